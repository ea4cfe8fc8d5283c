"""A new study folder: a commented `study.yml` and an example CSV table of each kind.

Two studies are written from one example: the skeleton `new` writes, whose every value the author
replaces is marked with PLACEHOLDER (`check` and `build` refuse a study while one remains), and the
example study of a new project (`write_example_study`), the same with fictional values, which passes
`check` as written. Their comments are generated from the content model (the field names, the
descriptions, whether a field is required and what it holds), so they cannot drift from it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel

from generator import model
from generator.errors import InputError, Problem
from generator.kinds import KINDS, Kind
from generator.schema import SCHEMA_DIR, STUDY_SCHEMA, describe_property, field_help, models_in

STUDY_FILE = "study.yml"
WIDTH = 100
"""The widest line of the written study.yml."""

PLACEHOLDER = "REPLACE"
"""The mark of each value the skeleton writes for the author to replace (written 'REPLACE: ...'): every
text it invents holds it, and every figure it invents sits beside one (in the row or entry whose quote
holds it). A study is refused while any text of its study.yml or tables holds it (`holds_placeholder`)."""
PLACEHOLDER_WORD = re.compile(rf"\b{PLACEHOLDER}\b(?!-)")
"""The mark as a word in capitals, not followed by a hyphen: trials named REPLACE-2 or REPLACE-BG are
not placeholders."""


def holds_placeholder(text: str) -> bool:
    """Whether `text` still holds the skeleton's placeholder."""
    return PLACEHOLDER_WORD.search(text) is not None


@dataclass(frozen=True)
class Values:
    """How the example's values are written: marked as placeholders (a skeleton), or as they are (the
    fictional example study)."""

    placeholders: bool

    def own(self, instruction: str, example: str) -> str:
        """A value only the study can give: what to write, marked, in a skeleton; else the example's."""
        return f"{PLACEHOLDER}: {instruction}" if self.placeholders else example

    def example(self, value: str) -> str:
        """A value of the example (a quote, a label), marked in a skeleton."""
        return f"{PLACEHOLDER}: {value}" if self.placeholders else value


SKELETON, EXAMPLE = Values(placeholders=True), Values(placeholders=False)

EXAMPLE_TITLE = "Example study (fictional data)"
"""How the example study's titles begin: its figures are invented."""

DESIGN = "60 patients were randomly assigned in a 1:1 ratio to drug A or to placebo"
DOSING = "Drug A was given intravenously at a dose of 10 mg/m2 on day 1 of each 3-week cycle"
ABSTRACT_METHODS = [f"{DESIGN}.", f"{DOSING}."]
ABSTRACT_RESULTS = [
    "Of the 30 patients assigned to drug A, 12 (40%) had a response.",
    "Of the 30 patients assigned to placebo, 6 (20%) had a response.",
    "The median overall survival was 9.5 months with drug A.",
    "The hazard ratio for death with drug A was 0.80 (95% CI, 0.50 to 1.28; P = 0.35).",
    "Nausea was more frequent with drug A than with placebo.",
]
"""The example source's sentences: every quote of the example begins one of them (so that in a
skeleton, where each sentence and each quote is marked, the marked quote is still found)."""


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in re.split(r"(?<=\.)\s+", text.strip()) if sentence]


def _section(intro: str, sentences: list[str], values: Values) -> str:
    return " ".join([intro, *(values.example(sentence) for sentence in sentences)])


def example_study(slug: str, values: Values = SKELETON) -> dict[str, Any]:
    """The example study.yml as data, by default the skeleton's; every quote begins a sentence of its
    example abstract."""
    v = values
    results = [*ABSTRACT_RESULTS, *(s for source in EXAMPLE_SOURCES for s in _sentences(source))]
    methods_intro = v.own(
        "this text with the source's own, word for word (such as its abstract); every quote of this "
        "file and of the tables is a sentence of it.",
        "This study is fictional: an example of how a study is written, with invented figures.",
    )
    results_intro = v.own("these results with the source's.", "The results are invented.")
    return {
        "short_title": v.own("a short title of the study", f"{EXAMPLE_TITLE}: drug A or placebo"),
        "citation": {
            "title": v.own(
                "the article's title", f"{EXAMPLE_TITLE}: drug A against placebo, a randomized trial"
            ),
            "authors": [
                {
                    "family": v.own("the first author's family name", "Example"),
                    "given": v.own("the first author's given names", "Ada"),
                }
            ],
            "authors_complete": False,
            "journal": v.own("the journal", "Journal of Example Studies"),
            "date": dt.date(2000, 1, 1),
            "volume": v.own("the volume", "1"),
            "issue": v.own("the issue", "1"),
            "pages": v.own("the pages", "1-10"),
            "doi": f"10.0000/{PLACEHOLDER}:{slug}" if v.placeholders else f"10.0000/example-{slug}",
            "notes": [
                v.own(
                    "what a reader should know about this record, or remove the note",
                    "Fictional data: an example study written with the project. Delete its folder once "
                    "the site has a study of its own.",
                )
            ],
            "publication_types": [v.own("a publication type", "Randomized Controlled Trial")],
            "keywords": [v.own("a keyword", "example")],
            "mesh_terms": [],
            "substances": [],
        },
        "sources": [
            {
                "id": "abstract",
                "title": "Abstract",
                "note": v.own(
                    "where the text comes from, such as the article's PubMed record",
                    "Invented for the example: no such article exists.",
                ),
                "sections": [
                    {"heading": "Methods", "text": _section(methods_intro, ABSTRACT_METHODS, v)},
                    {"heading": "Results", "text": _section(results_intro, results, v)},
                ],
            }
        ],
        "design": {
            "summary": v.own(
                "the design in a few plain sentences",
                "A randomized, double-blind trial of drug A or placebo.",
            ),
            "source": v.example(DESIGN),
            "allocation": "randomized",
            "ratio": "1:1",
            "phase": "3",
            "masking": "double-blind",
            "enrolment": v.own("when patients were enrolled, as printed", "Invented for the example"),
        },
        "population": {
            "description": v.own("who was studied, in one sentence", "Adults with an invented disease."),
            "description_source": v.example("60 patients were randomly assigned"),
            "sets": [
                {"id": "randomized", "n": 60, "source": v.example("60 patients were randomly assigned")},
            ],
        },
        "arms": [
            {
                "id": "drug-a",
                "label": v.example("Drug A"),
                "role": "experimental",
                "regimen": v.own("the treatment in words", "Drug A, 10 mg/m2 on day 1 of each 3-week cycle"),
                "sets": [
                    {
                        "id": "randomized",
                        "n": 30,
                        "source": v.example("Of the 30 patients assigned to drug A"),
                    },
                ],
                "dosing": {
                    "route": "intravenous",
                    "cycle_weeks": {"min": 3, "max": 3},
                    "cycle_source": v.example(DOSING),
                    "doses": [
                        {
                            "day": 1,
                            "dose_min": 10,
                            "dose_max": 10,
                            "unit": "mg/m2",
                            "source": v.example(DOSING),
                        }
                    ],
                },
            },
            {
                "id": "placebo",
                "label": v.example("Placebo"),
                "role": "control",
                "sets": [
                    {
                        "id": "randomized",
                        "n": 30,
                        "source": v.example("Of the 30 patients assigned to placebo"),
                    },
                ],
            },
        ],
        "evidence": {"source_kind": "abstract"},
        "headline": ["responses:response@drug-a"],
    }


def commented_out(values: Values = SKELETON) -> dict[str, Any]:
    """Optional fields shown commented out, with an example value, by their dotted path."""
    return {
        "citation.epub_date": dt.date(1999, 12, 1),
        "citation.pmid": "12345678",
        "citation.url": "https://example.org/the-record",
        "design.registrations": [
            {
                "registry": "ClinicalTrials.gov",
                "id": "NCT00000000",
                "url": "https://clinicaltrials.gov/study/NCT00000000",
            }
        ],
        "primary": {"result": "survival_effects:death@drug-a"},
        "sources.header": ["Event", "Drug A", "Placebo"],
        "sources.rows": [["Nausea", "10 (33)", "4 (13)"]],
        "design.data_cutoff": dt.date(2001, 6, 30),
        "population.sets.label": "Randomized (intention to treat)",
        "known_discrepancies": [
            {
                "check": "responses/response@drug-a/percent-rounding",
                "reason": values.own(
                    "why the source's figure is accepted as printed",
                    "The source prints 41% for 12 of 30 patients: a misprint, shown as printed",
                ),
            }
        ],
        "pages": [
            {"title": "Efficacy", "tables": ["responses", "survival"], "titles": {"survival": "Survival"}},
            {"title": "Safety", "tables": ["adverse_events"]},
        ],
    }


COMMENTED_OUT = commented_out(SKELETON)
"""The skeleton's optional fields shown commented out, by their dotted path."""

MARKED_COLUMNS = ("label", "event", "source")
"""The columns of an example table whose text a skeleton marks: what a row is about, and its quote."""
EXAMPLE_TABLES: dict[str, tuple[str, list[dict[str, Any]]]] = {
    name: kind.example for name, kind in KINDS.items()
}
"""An example table of each kind, by kind: its file name (without .csv) and its rows."""
EXAMPLE_SOURCES = [kind.example_source for kind in KINDS.values() if kind.example_source]
"""What the example tables quote beyond the shared example abstract, added to its results."""


def example_rows(rows: list[dict[str, Any]], values: Values = SKELETON) -> list[dict[str, Any]]:
    """A kind's example rows, their labels and quotes marked in a skeleton."""
    return [
        {
            name: values.example(cell) if name in MARKED_COLUMNS and cell else cell
            for name, cell in row.items()
        }
        for row in rows
    ]


# ---------------------------------------------------------------------------------------------
# study.yml


INTRODUCTION = {
    SKELETON: (
        "One study of the evidence site, written by `new {slug}` for you to fill in. Every value marked "
        f"{PLACEHOLDER} is a placeholder, and so is every figure beside one (in the same entry or table "
        "row): write the study's own in their place. The `check` command lists, by file, line and field, "
        f"each {PLACEHOLDER} that remains, and `check` and `build` refuse the study while one does."
    ),
    EXAMPLE: (
        "An example study whose data are fictional, written with the project: it passes `check` and "
        "builds as it is. `new SLUG` writes a study of the same form to fill in for your own; delete this "
        "folder once the site has a study of its own."
    ),
}


def study_yaml(slug: str, schema_path: str | None = None, values: Values = SKELETON) -> str:
    """The commented study.yml of a new study (by default the skeleton; with EXAMPLE, the fictional
    example); `schema_path` is the JSON Schema for editors."""
    head = []
    if schema_path:
        head.append(f"# yaml-language-server: $schema={schema_path}")
    head += _comment(INTRODUCTION[values].format(slug=slug), 0)
    head += _comment(
        "Each field is explained above it, with whether it is required and what it holds. An "
        "optional field shown commented out (# name: value) is an example: remove the '# ' to use it. "
        "Every quote (each source, description_source, cycle_source) must be found word for word "
        "in a document of `sources`; the build checks it.",
        0,
    )
    head += ["#", *_tables_comment(), ""]
    body = _mapping_lines(model.StudyFile, example_study(slug, values), (), True, 0, commented_out(values))
    return "\n".join([*head, *body]) + "\n"


def _tables_comment() -> list[str]:
    lines = _comment(
        "Tables sit beside this file as CSV files: a header of column names, then one row per "
        "figure; an empty cell is no value. The columns tell a table's kind; its file name "
        "(lowercase letters, digits and underscores, then .csv) is its name in `headline` and "
        "`pages`. The kinds:",
        0,
    )
    for kind in KINDS.values():
        example = EXAMPLE_TABLES.get(kind.name)
        where = f"{example[0]}.csv in this folder" if example else "no example in this folder"
        lines += _comment(f"{kind.name} ({where}): {kind.description}", 0, within=2)
        properties = kind.row.model_json_schema().get("properties", {})
        for name in kind.row.model_fields:
            required = "required column" if name in kind.columns else "optional column"
            words = describe_property(properties.get(name, {}))
            help_text = field_help(kind.row, name) or ""
            lines += _comment(f"{name} ({required}; {words}): {help_text}".rstrip(": "), 0, within=4)
    return lines


def _comment(text: str, indent: int, *, within: int = 0) -> list[str]:
    """`text` as comment lines at `indent`, `within` spaces after the #, wrapped at WIDTH."""
    prefix = " " * indent + "#" + " " * (within + 1)
    wrapped = textwrap.wrap(text.strip(), WIDTH - len(prefix), break_long_words=False, break_on_hyphens=False)
    return [f"{prefix}{line}" if i == 0 else f"{prefix}  {line}" for i, line in enumerate(wrapped)]


def _field_comment(cls: type[BaseModel], name: str, indent: int, *, within: int = 0) -> list[str]:
    field = cls.model_fields[name]
    words = describe_property(_properties(cls).get(name, {}))
    need = "required" if field.is_required() else "optional"
    help_text = field_help(cls, name)
    if not help_text:
        documented = [m.__doc__ for m in models_in(field.annotation) if m.__doc__]
        help_text = documented[0].strip().splitlines()[0] if documented else ""
    return _comment(f"{name} ({need}; {words}): {help_text}".rstrip(": "), indent, within=within)


def _nested_comments(cls: type[BaseModel], name: str, indent: int) -> list[str]:
    """The fields of the model a commented-out field holds, explained (its example shows no comments)."""
    lines = []
    for nested in models_in(cls.model_fields[name].annotation)[:1]:
        for inner in nested.model_fields:
            lines += _field_comment(nested, inner, indent, within=2)
    return lines


_PROPERTIES: dict[type, dict] = {}


def _properties(cls: type[BaseModel]) -> dict:
    if cls not in _PROPERTIES:
        _PROPERTIES[cls] = cls.model_json_schema().get("properties", {})
    return _PROPERTIES[cls]


def _dotted(path: tuple) -> str:
    return ".".join(str(part) for part in path if not isinstance(part, int))


def _mapping_lines(
    cls: type[BaseModel], data: dict, path: tuple, describe: bool, indent: int, commented: dict[str, Any]
) -> list[str]:
    """The fields of model `cls` filled from `data`, each explained above it when `describe`; the
    optional fields `commented` names (by dotted path) shown commented out with its example."""
    lines: list[str] = []
    for name, field in cls.model_fields.items():
        at = (*path, name)
        if name in data:
            if describe:
                lines += _field_comment(cls, name, indent)
            lines += _entry_lines(f"{name}:", data[name], field.annotation, at, describe, indent, commented)
        elif describe and _dotted(at) in commented:
            lines += _field_comment(cls, name, indent)
            lines += _nested_comments(cls, name, indent)
            example = commented[_dotted(at)]
            shown = _entry_lines(f"{name}:", example, field.annotation, at, False, indent, commented)
            lines += [f"{line[:indent]}# {line[indent:]}" for line in shown]
        elif describe:
            lines += _field_comment(cls, name, indent)
    return lines


def _entry_lines(
    key: str, value: Any, annotation: Any, path: tuple, describe: bool, indent: int, commented: dict[str, Any]
) -> list[str]:
    """`key` (a field name with its colon, or '-' for a list item) and its value, as YAML lines."""
    pad = " " * indent
    nested = models_in(annotation)
    if isinstance(value, dict) and not nested:  # a plain mapping, such as dict[str, str]
        inner = [line for k, v in value.items() for line in _scalar_lines(f"{_scalar(k)}:", v, indent + 2)]
        if key == "-":
            inner[0] = f"{pad}- {inner[0][indent + 2 :]}"
            return inner
        return [f"{pad}{key}", *inner] if inner else [f"{pad}{key} {{}}"]
    if isinstance(value, dict):
        inner = _mapping_lines(nested[0], value, path, describe, indent + 2, commented)
        if key != "-":
            return [f"{pad}{key}", *inner]
        first = next(i for i, line in enumerate(inner) if not line.lstrip().startswith("#"))
        inner[first] = f"{pad}- {inner[first][indent + 2 :]}"
        return [f"{pad}{line.lstrip()}" for line in inner[:first]] + inner[first:]
    if isinstance(value, list):
        if not value:
            return [f"{pad}{key} []"]
        item = _item_annotation(annotation)
        if all(isinstance(v, list) for v in value):
            return [f"{pad}{key}", *(f"{pad}  - {_flow(v)}" for v in value)]
        lines = [f"{pad}{key}"] if key != "-" else []
        for i, element in enumerate(value):
            lines += _entry_lines("-", element, item, (*path, i), describe and i == 0, indent + 2, commented)
        return lines
    return _scalar_lines(key, value, indent)


def _item_annotation(annotation: Any) -> Any:
    """The item type of `list[X]`, `list[X] | None`."""
    if get_origin(annotation) is list:
        return get_args(annotation)[0]
    for argument in get_args(annotation):
        if get_origin(argument) is list:
            return get_args(argument)[0]
    return Any


def _flow(values: list) -> str:
    return "[" + ", ".join(_scalar(v) for v in values) + "]"


def _scalar_lines(key: str, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, str) and len(pad) + len(key) + len(value) + 1 > WIDTH and _foldable(value):
        lines = textwrap.wrap(value, WIDTH - indent - 2, break_long_words=False, break_on_hyphens=False)
        return [f"{pad}{key} >-", *(f"{pad}  {line}" for line in lines)]
    return [f"{pad}{key} {_scalar(value)}"]


def _foldable(text: str) -> bool:
    """Text that a folded block (>-) gives back unchanged: words with single spaces between them."""
    return text == " ".join(text.split()) and not text.startswith(("#", "-", "[", "{"))


def _scalar(value: Any) -> str:
    """A YAML scalar that reads back as `value`: plain where it can be, quoted otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    plain = str(value)
    try:
        if yaml.safe_load(f"key: {plain}") == {"key": value}:
            return plain
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# The CSV tables


def table_csv(kind: Kind, rows: list[dict[str, Any]]) -> str:
    """A CSV table of `kind` with every column of its rows, required and optional."""
    columns = list(kind.row.model_fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else str(row[name]) for name in columns])
    return buffer.getvalue()


def skeleton_files(slug: str, schema_path: str | None = None, values: Values = SKELETON) -> dict[str, str]:
    """Every file of a new study folder by name: study.yml and an example table of each kind (by
    default the skeleton's; with EXAMPLE, the fictional example study's)."""
    files = {STUDY_FILE: study_yaml(slug, schema_path, values)}
    for kind in KINDS.values():
        if kind.name in EXAMPLE_TABLES:
            name, rows = EXAMPLE_TABLES[kind.name]
            files[f"{name}.csv"] = table_csv(kind, example_rows(rows, values))
    return files


# ---------------------------------------------------------------------------------------------
# Writing the folder


def new_study(content_dir: Path, slug: str, schema_file: Path | None = None) -> Path:
    """Write the skeleton study folder `content_dir/studies/<slug>/`; return it.

    Refused, with nothing written, for a slug that is not lowercase letters, digits and hyphens, a
    folder that exists, or a place outside `content_dir/studies`. The folder appears whole: it is
    written in a hidden staging folder beside it (which the loader ignores) and then renamed.
    """
    return _write_study(content_dir, slug, schema_file, SKELETON)


def write_example_study(content_dir: Path, slug: str, schema_file: Path | None = None) -> Path:
    """Write the fictional example study `content_dir/studies/<slug>/` of a new project (the studies
    folder made if missing); return it. It has the skeleton's form and comments, every value filled
    in, and passes `check` as written. Refused as `new_study` is."""
    (content_dir / "studies").mkdir(parents=True, exist_ok=True)
    return _write_study(content_dir, slug, schema_file, EXAMPLE)


def _write_study(content_dir: Path, slug: str, schema_file: Path | None, values: Values) -> Path:
    where = Path("command line")
    studies = content_dir / "studies"
    if not model.SLUG.match(slug):
        raise InputError(
            [
                Problem(
                    where,
                    f"{slug!r} is not a study slug; expected lowercase letters, digits and hyphens, "
                    "such as smith-2020",
                    field="SLUG",
                )
            ]
        )
    if len(slug) > model.MAX_SLUG_CHARS:
        message = f"the slug is {len(slug)} characters long; expected at most {model.MAX_SLUG_CHARS}"
        raise InputError([Problem(where, message, field="SLUG")])
    if not studies.is_dir() or studies.is_symlink():
        raise InputError([Problem(studies, "no studies folder: expected content/studies/ to be a folder")])
    target = studies / slug
    if target.resolve().parent != studies.resolve():
        raise InputError([Problem(target, f"lies outside {studies}; expected a folder directly inside it")])
    if os.path.lexists(target):
        raise InputError(
            [Problem(target, "already exists; choose another slug, or remove the folder to start again")]
        )
    schema_path = os.path.relpath(schema_file, target) if schema_file else None
    files = skeleton_files(slug, Path(schema_path).as_posix() if schema_path else None, values)
    staging = Path(tempfile.mkdtemp(prefix=f".new-{slug}-", dir=studies))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        staging.chmod(0o755)
        if os.path.lexists(target):  # made meanwhile
            raise InputError([Problem(target, "already exists; choose another slug")])
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def default_schema_file(project: Path) -> Path:
    """Where `python -m generator schema` writes the schema of study.yml by default."""
    return project / SCHEMA_DIR / STUDY_SCHEMA
