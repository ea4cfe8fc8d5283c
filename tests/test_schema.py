"""The JSON Schemas (`schema`) and the skeleton study (`new`), both generated from the content model."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import yaml

from generator import kinds, model
from generator.build import generate, open_project
from generator.cli import main
from generator.errors import GeneratorError
from generator.load import load_studies
from generator.schema import DIALECT, HELP, STUDY_SCHEMA, model_tree, schema_text, schemas
from generator.skeleton import COMMENTED_OUT, EXAMPLE_TABLES, example_study, skeleton_files
from tests.conftest import IN_CI, ROOT, STUDY

try:
    import jsonschema
except ImportError:  # not a pinned dependency: the pydantic model is the loader's validator
    jsonschema = None

needs_jsonschema = pytest.mark.skipif(
    jsonschema is None and not IN_CI, reason="jsonschema is not installed (in CI, where it is, this fails)"
)


def expected_files() -> set[str]:
    return {STUDY_SCHEMA} | {f"{name}.schema.json" for name in kinds.KINDS}


def write_schemas(out: Path) -> dict[str, bytes]:
    assert main(["schema", "--project", str(ROOT), "--out", str(out), "-q"]) == 0
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


def as_json(data):
    """YAML read as JSON reads it: PyYAML makes dates of 2013-08-01, the schema (like editors) has text."""
    return json.loads(json.dumps(data, default=str))


def validator(schema: dict):
    if jsonschema is None:  # in CI only: `make test` installs it, so its absence fails
        pytest.fail("jsonschema is not installed: requirements-dev.lock is not installed", pytrace=False)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


# --- schema -----------------------------------------------------------------------------------


def test_schema_writes_study_and_each_table_kind_as_json_schema_2020_12(tmp_path):
    files = write_schemas(tmp_path / "schema")
    assert set(files) == expected_files()
    for name, data in files.items():
        text = data.decode("utf-8")
        schema = json.loads(text)
        assert schema["$schema"] == DIALECT and schema["$id"] == name and schema["title"]
        assert text == json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_schema_output_is_deterministic_and_unchanged_files_are_not_rewritten(tmp_path, capsys):
    first, second = write_schemas(tmp_path / "a"), write_schemas(tmp_path / "b")
    assert first == second
    assert main(["schema", "--project", str(ROOT), "--out", str(tmp_path / "a")]) == 0
    assert "all unchanged" in capsys.readouterr().out


@pytest.fixture
def project_copy(one_study_copy: Path) -> Path:
    """The project `schema` and `new` write into holds one study: `new` adds one beside it."""
    return one_study_copy


def test_schema_defaults_to_the_projects_schema_folder(project_copy):
    assert main(["schema", "--project", str(project_copy), "-q"]) == 0
    assert {p.name for p in (project_copy / "schema").iterdir()} == expected_files()


def test_schema_refuses_a_folder_inside_the_projects_inputs(project_copy, capsys):
    before = sorted(p.relative_to(project_copy) for p in (project_copy / "content").rglob("*"))
    out = project_copy / "content" / "studies" / "schema"
    assert main(["schema", "--project", str(project_copy), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "command line, field '--out'" in err and "lies inside the content folder" in err
    assert sorted(p.relative_to(project_copy) for p in (project_copy / "content").rglob("*")) == before


def test_study_schema_has_every_field_of_the_model_and_no_other():
    schema = schemas()[STUDY_SCHEMA]
    assert set(schema["properties"]) == set(model.StudyFile.model_fields)
    assert schema["additionalProperties"] is False
    for cls in model_tree(model.StudyFile)[1:]:
        assert set(schema["$defs"][cls.__name__]["properties"]) == set(cls.model_fields)


def test_table_schema_describes_a_row_with_the_kinds_required_columns():
    for kind in kinds.KINDS.values():
        schema = schemas()[f"{kind.name}.schema.json"]
        assert set(schema["properties"]) == set(kind.row.model_fields)
        assert set(kind.columns) <= set(schema["required"])
        assert "every cell is text" in schema["description"]
        for column in kind.optional_columns:
            assert column in schema["description"]


def test_every_help_text_names_a_field_of_the_model():
    models = {cls.__name__: cls for cls in model_tree(model.StudyFile)}
    models.update({kind.row.__name__: kind.row for kind in kinds.KINDS.values()})
    for key in HELP:
        cls, field = key.split(".")
        assert cls in models and field in models[cls].model_fields, f"HELP names no field: {key}"


@needs_jsonschema
def test_study_schema_accepts_the_real_study_and_rejects_unknown_fields():
    check = validator(schemas()[STUDY_SCHEMA])
    data = as_json(yaml.safe_load((ROOT / "content" / "studies" / STUDY / "study.yml").read_text()))
    assert list(check.iter_errors(data)) == []
    assert not check.is_valid({**data, "abstrakt": "typo"})
    assert not check.is_valid({**data, "citation": {**data["citation"], "jornal": "typo"}})
    assert not check.is_valid({key: value for key, value in data.items() if key != "arms"})


@needs_jsonschema
def test_table_schemas_accept_the_real_studys_rows():
    folder = ROOT / "content" / "studies" / STUDY
    for path in sorted(folder.glob("*.csv")):
        header, *_ = list(csv.reader(io.StringIO(path.read_text())))
        kind = kinds.kind_of_columns(header)
        assert kind is not None, path.name
        check = validator(schemas()[f"{kind.name}.schema.json"])
        for record in csv.DictReader(io.StringIO(path.read_text())):
            row = kind.row.model_validate({k: v.strip() or None for k, v in record.items()})
            assert list(check.iter_errors(as_json(row.model_dump(mode="json")))) == [], path.name


# --- new ----------------------------------------------------------------------------------------


def studies_listing(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "content" / "studies").iterdir())


def test_new_writes_study_folders_refused_for_their_placeholders_only(project_copy):
    for slug in ("first-study", "second-study"):  # side by side: each has its own placeholder DOI
        assert main(["new", slug, "--project", str(project_copy), "-q"]) == 0
    with pytest.raises(GeneratorError) as refused:
        generate(open_project(project_copy))
    problems = refused.value.problems
    assert {p.file.parent.name for p in problems} == {"first-study", "second-study"}
    listed = [p for p in problems if not p.message.startswith("… and ")]  # a file's list is capped
    assert all("still holds the skeleton's placeholder" in p.message for p in listed), [
        p for p in listed if "placeholder" not in p.message
    ]


def test_new_writes_an_example_table_of_every_kind_told_by_its_columns():
    files = skeleton_files("a-study")
    for kind in kinds.KINDS.values():
        assert kind.name in EXAMPLE_TABLES, f"the skeleton has no example table of kind {kind.name}"
        name, _ = EXAMPLE_TABLES[kind.name]
        header = next(csv.reader(io.StringIO(files[f"{name}.csv"])))
        assert kinds.kind_of_columns(header) is kind


def test_new_study_yml_explains_every_field_of_the_model_and_reads_back_as_the_example():
    text = skeleton_files("a-study")["study.yml"]
    for cls in model_tree(model.StudyFile):
        for name in cls.model_fields:
            assert re.search(rf"#\s+{name} \((required|optional);", text), f"{cls.__name__}.{name}"
    for kind in kinds.KINDS.values():
        assert f"#   {kind.name} (" in text
    data = yaml.safe_load(text)
    assert data == example_study("a-study")
    assert "REPLACE" in data["short_title"] and "REPLACE" in data["sources"][0]["sections"][0]["text"]
    assert max(len(line) for line in text.splitlines()) <= 110


def test_new_study_yml_names_the_generated_schema_for_editors(project_copy):
    assert main(["new", "a-study", "--project", str(project_copy), "-q"]) == 0
    study_yml = project_copy / "content" / "studies" / "a-study" / "study.yml"
    first = study_yml.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../../schema/study.schema.json"
    assert (study_yml.parent / first.split("=", 1)[1]).resolve() == project_copy / "schema" / STUDY_SCHEMA


def test_new_study_yml_commented_out_examples_are_valid_when_uncommented():
    data = example_study("a-study")
    for dotted, value in COMMENTED_OUT.items():
        *parents, name = dotted.split(".")
        if parents == ["sources"]:
            continue  # a table instead of text: checked as a document of its own below
        node = data
        for part in parents:
            node = node.setdefault(part, {})
            node = node[0] if isinstance(node, list) else node
        node[name] = value
    model.StudyFile.model_validate(data)
    model.SourceDocument.model_validate(
        {"id": "table-1", "title": "Table 1", "header": COMMENTED_OUT["sources.header"]}
        | {"rows": COMMENTED_OUT["sources.rows"]}
    )
    text = skeleton_files("a-study")["study.yml"]
    for dotted in COMMENTED_OUT:
        assert f"# {dotted.split('.')[-1]}:" in text


@needs_jsonschema
def test_new_study_yml_is_valid_against_the_generated_schema():
    check = validator(schemas()[STUDY_SCHEMA])
    assert list(check.iter_errors(as_json(yaml.safe_load(skeleton_files("a-study")["study.yml"])))) == []


def test_new_refuses_an_existing_folder_and_changes_nothing(project_copy, capsys):
    folder = project_copy / "content" / "studies" / STUDY
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    listing = studies_listing(project_copy)
    assert main(["new", STUDY, "--project", str(project_copy)]) == 1
    err = capsys.readouterr().err
    assert f"{STUDY}: already exists" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert studies_listing(project_copy) == listing


@pytest.mark.parametrize("slug", ["Bad_Slug", "../x", "x/y", "x-", "", "."])
def test_new_refuses_a_bad_slug_with_a_located_message_and_writes_nothing(project_copy, capsys, slug):
    listing = studies_listing(project_copy)
    assert main(["new", slug, "--project", str(project_copy)]) == 1
    err = capsys.readouterr().err
    assert "command line, field 'SLUG'" in err and "lowercase letters, digits and hyphens" in err
    assert studies_listing(project_copy) == listing
    assert not (project_copy / "content" / "x").exists() and not (project_copy / "x").exists()


def test_new_refuses_a_slug_too_long_for_a_file_name_and_writes_nothing(project_copy, capsys):
    """A 300-character slug was "the build failed" (exit 3): the folder name was too long."""
    listing = studies_listing(project_copy)
    assert main(["new", "a" * 300, "--project", str(project_copy)]) == 1
    err = capsys.readouterr().err
    assert "command line, field 'SLUG': the slug is 300 characters long; expected at most 100" in err
    assert studies_listing(project_copy) == listing
    assert main(["new", "a" * 100, "--project", str(project_copy), "-q"]) == 0


def test_a_study_folder_with_a_name_too_long_is_located(project_copy):
    from generator.errors import DataError

    studies = project_copy / "content" / "studies"
    (studies / STUDY).rename(studies / ("a" * 101))
    with pytest.raises(DataError) as caught:
        load_studies(project_copy / "content")
    assert any(
        "the folder's name is 101 characters long; expected at most 100" in str(p)
        for p in caught.value.problems
    )


def test_new_in_a_folder_that_cannot_be_written_says_so_and_not_that_a_build_failed(
    project_copy, capsys, monkeypatch
):
    """Tests run as root, whom permissions do not stop: the disk's refusal is made here."""
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(project_copy / "content" / "studies"))

    listing = studies_listing(project_copy)
    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    assert main(["new", "smith-2020", "--project", str(project_copy)]) == 3
    err = capsys.readouterr().err
    assert "the study folder could not be written, so nothing was: [Errno 30] Read-only file system" in err
    assert "build" not in err and "Traceback" not in err
    assert studies_listing(project_copy) == listing


def test_the_committed_schemas_are_the_ones_the_model_generates():
    """schema/ is in git so that editors find it right after a clone; it must not drift from the model."""
    committed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "schema").glob("*.schema.json")}
    generated = {name: schema_text(schema) for name, schema in schemas().items()}
    assert committed == generated, "run `python -m generator schema` and commit schema/"
