"""The skeleton `new` writes is refused while a placeholder remains, each one located; the example study
a new project starts with passes `check` and builds as written."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.build import build_site, generate, open_project
from generator.cli import main
from generator.errors import DataError
from generator.load import TextProblem, load_study_in_part, load_vocabulary
from generator.skeleton import (
    EXAMPLE,
    EXAMPLE_TITLE,
    example_study,
    holds_placeholder,
    skeleton_files,
    write_example_study,
)
from tests.conftest import STUDY, copy_project, edit

SLUG = "first-study"


def marked_texts(files: dict[str, str]) -> set[tuple[str, str]]:
    """(file, field) of every text of a study's files that holds the placeholder, as problems name them."""
    found = set()
    for name, text in files.items():
        if name.endswith(".csv"):
            for row in csv.DictReader(io.StringIO(text)):
                found |= {(name, column) for column, cell in row.items() if holds_placeholder(cell)}
        else:
            found |= {(name, field) for field in _marked_fields(yaml.safe_load(text), "")}
    return found


def _marked_fields(data: Any, at: str) -> list[str]:
    if isinstance(data, str):
        return [at] if holds_placeholder(data) else []
    if isinstance(data, dict):
        return [f for k, v in data.items() for f in _marked_fields(v, f"{at}.{k}" if at else k)]
    if isinstance(data, list):
        return [f for i, v in enumerate(data) for f in _marked_fields(v, f"{at}[{i}]")]
    return []


@pytest.fixture
def skeleton(one_study_copy: Path) -> Path:
    """A project holding STUDY and a skeleton written by `new`, untouched."""
    assert main(["new", SLUG, "--project", str(one_study_copy), "-q"]) == 0
    return one_study_copy / "content" / "studies" / SLUG


def problems_of(folder: Path) -> list:
    content = folder.parent.parent
    _, problems, _ = load_study_in_part(folder, None, load_vocabulary(content))
    return problems


def test_an_untouched_skeleton_is_refused_for_each_placeholder_and_nothing_else(skeleton):
    files = {path.name: path.read_text() for path in skeleton.iterdir()}
    problems = problems_of(skeleton)
    assert problems and all(isinstance(p, TextProblem) and "placeholder" in p.message for p in problems)
    located = {(p.file.name, p.field) for p in problems}
    assert located == marked_texts(files)
    with_rows = {name for name, text in files.items() if len(text.splitlines()) > 1}  # flow.csv: a header
    assert {name for name, _ in located} == with_rows, "every file of the skeleton holds placeholders"
    assert all(p.line is not None for p in problems)


def test_check_names_the_file_line_field_found_and_expected(skeleton, command_line):
    result = command_line("check", "--project", str(skeleton.parent.parent.parent))
    assert result.returncode == 1
    lines = (skeleton / "study.yml").read_text().splitlines()
    title = next(n for n, line in enumerate(lines, 1) if line.startswith("short_title:"))
    assert (
        f"{SLUG}/study.yml, line {title}, field 'short_title': still holds the skeleton's placeholder "
        "'REPLACE: a short title of the study'; expected the study's own short title"
    ) in result.stderr
    assert (
        f"{SLUG}/responses.csv, line 3, field 'source': still holds the skeleton's placeholder"
        in result.stderr
    )
    assert STUDY not in result.stderr  # the other study is fine


def test_build_refuses_a_skeleton_and_lists_no_study_titled_replace(skeleton):
    with pytest.raises(DataError) as caught:
        generate(open_project(skeleton.parent.parent.parent), write_cache=False)
    assert any(p.file.parent == skeleton for p in caught.value.problems)


@pytest.mark.parametrize(
    ("file", "old", "new", "field"),
    [
        ("study.yml", "journal: Journal", 'journal: "REPLACE: the journal" #', "citation.journal"),
        ("study.yml", "label: Placebo", "label: Placebo of the REPLACE-2 trial", None),
        ("study.yml", "label: Placebo", "label: REPLACE with the label", "arms[1].label"),
        ("study.yml", "label: Placebo", 'label: "REPLACE: Placebo"', "arms[1].label"),
        ("study.yml", "The results are invented.", "REPLACE: the results.", "sources[0].sections[1].text"),
        ("responses.csv", "response,Response,placebo", "response,REPLACE: Response,placebo", "label"),
        ("survival.csv", "months,,,,,reported,", "months,,,,,reported,REPLACE: ", "source"),
    ],
)
def test_one_placeholder_left_in_any_text_is_refused_where_it_is(tmp_path, file, old, new, field):
    folder = example_project(tmp_path) / "content" / "studies" / "example"
    edit(folder / file, old, new)
    problems = [p for p in problems_of(folder) if "placeholder" in p.message]
    if field is None:  # a trial's name
        assert problems == []
        return
    (problem,) = problems
    assert problem.file.name == file and problem.field == field and problem.line is not None
    assert "still holds the skeleton's placeholder 'REPLACE" in problem.message
    assert "; expected " in problem.message


def test_every_figure_the_skeleton_invents_sits_beside_a_placeholder():
    """A number cannot hold the mark: the mapping holding it has a marked text (or, holding only
    numbers, such as a cycle's min and max, the mapping around it has)."""

    def check(data: Any, around: dict | None) -> None:
        if isinstance(data, dict):
            numbers = [v for v in data.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
            only_numbers = len(numbers) == len(data)
            beside = data if not only_numbers or around is None else around
            assert not numbers or any(isinstance(v, str) and holds_placeholder(v) for v in beside.values()), (
                data
            )
            for value in data.values():
                check(value, data)
        elif isinstance(data, list):
            for value in data:
                check(value, around)

    check(example_study(SLUG), None)
    for name, text in skeleton_files(SLUG).items():
        if name.endswith(".csv"):
            for row in csv.DictReader(io.StringIO(text)):
                assert any(holds_placeholder(cell) for cell in row.values()), (name, row)


def test_a_trial_named_replace_is_not_a_placeholder():
    for name in ("The REPLACE-2 trial", "REPLACE-BG", "to replace", "REPLACED", "XREPLACE"):
        assert not holds_placeholder(name), name
    for text in ("REPLACE: the journal", "REPLACE with the title", "10.0000/REPLACE:x", "Drug A (REPLACE)"):
        assert holds_placeholder(text), text


# The example study of a new project -----------------------------------------------------------------


def example_project(tmp_path: Path) -> Path:
    """A project holding only the example study, written as `init` writes it (no studies folder yet)."""
    root = copy_project(tmp_path / "project", studies=[])
    shutil.rmtree(root / "content" / "studies")
    write_example_study(root / "content", "example", root / "schema" / "study.schema.json")
    return root


def test_the_example_study_passes_check_and_builds_as_written(tmp_path):
    root = example_project(tmp_path)
    folder = root / "content" / "studies" / "example"
    files = {path.name: path.read_text() for path in folder.iterdir()}
    assert files == skeleton_files("example", "../../../schema/study.schema.json", EXAMPLE)
    assert not any("REPLACE" in text for text in files.values())
    study, problems, whole = load_study_in_part(folder, root, load_vocabulary(root / "content"))
    assert problems == [] and whole and study is not None
    assert study.meta.short_title.startswith(EXAMPLE_TITLE)
    assert study.meta.citation.title.startswith(EXAMPLE_TITLE)
    project = open_project(root, site_dir=tmp_path / "site", docs_dir=tmp_path / "docs")
    build_site(project)
    assert EXAMPLE_TITLE in (tmp_path / "docs" / "studies" / "index.md").read_text()


def test_the_example_is_audited_and_passes_every_check(tmp_path):
    from generator.analysis import analyse_study
    from generator.audit import audit_study
    from generator.config import StatisticsSettings

    folder = example_project(tmp_path) / "content" / "studies" / "example"
    study, _, _ = load_study_in_part(folder, None, load_vocabulary(folder.parent.parent))
    assert study is not None
    report = audit_study(analyse_study(study, StatisticsSettings()))
    rules = {check.rule for check in report.checks}
    assert (
        report.failures == [] and {"percent-rounding", "figure-in-quote", "p-agrees-with-interval"} <= rules
    )


def test_the_example_is_refused_where_a_study_exists(tmp_path):
    root = example_project(tmp_path)
    with pytest.raises(Exception, match="already exists"):
        write_example_study(root / "content", "example")
