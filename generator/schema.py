"""JSON Schemas of `study.yml` and of each kind of CSV table, generated from the content model.

Editors validate a study as it is typed against these files (with the YAML language server, a
`# yaml-language-server: $schema=...` first line). They are generated from `generator.model`, so
they cannot drift from what the loader accepts; rules across fields (a derived row leaves `count`
empty, quotes found in a source) are the loader's and are not in the schemas.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from generator import model
from generator.errors import InputError, Problem
from generator.kinds import KINDS, Kind
from generator.outputs import write_file_atomically

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_DIR = "schema"
"""The folder of the project the `schema` command writes by default; the generator owns it."""
STUDY_SCHEMA = "study.schema.json"

STUDY_HELP: dict[str, str] = {
    "StudyFile.short_title": "A short name of the study for navigation and titles.",
    "StudyFile.citation": "The publication the study is read from.",
    "StudyFile.design": "How the study was designed, with the sentence it is read from.",
    "StudyFile.population": "Who was studied, and the patients of each analysis set.",
    "StudyFile.arms": "The study's arms (groups of patients on one treatment or schedule).",
    "Author.family": "Family name.",
    "Author.given": "Given names or initials.",
    "Citation.title": "The article's title as published.",
    "Citation.authors": "The authors in order (set authors_complete: false if only the first are listed).",
    "Citation.journal": "The journal's name.",
    "Citation.epub_date": "Date of the electronic publication ahead of print.",
    "Citation.volume": "Volume, as text.",
    "Citation.issue": "Issue, as text.",
    "Citation.pages": "Page range as printed, such as 2728-2736.",
    "Citation.doi": "The DOI without https://doi.org/, such as 10.1000/example.2020.1.",
    "Citation.pmid": "The PubMed id, digits only.",
    "Citation.publication_types": "Publication types of the PubMed record.",
    "Citation.keywords": "The article's keywords.",
    "Citation.mesh_terms": "MeSH terms of the PubMed record.",
    "Citation.substances": "Substances of the PubMed record.",
    "SourceSection.heading": "The section's heading, such as Results.",
    "SourceSection.text": "The section's text, word for word.",
    "SourceDocument.title": "What the document is called on the site, such as Abstract.",
    "Design.summary": "The design in a few plain sentences.",
    "Design.registrations": "Trial registrations.",
    "Design.data_cutoff": "The data cut-off date, YYYY-MM-DD.",
    "AnalysisSet.n": "The number of patients.",
    "AnalysisSet.source": "The sentence of a source that gives the number.",
    "Population.description": "Who was studied, in one sentence.",
    "Population.description_source": "The sentence of a source the description is read from.",
    "WeekRange.min": "The shortest cycle, in weeks.",
    "WeekRange.max": "The longest cycle, in weeks (the same as min for a fixed cycle).",
    "Dose.dose_min": "The lowest dose given on this day.",
    "Dose.dose_max": "The highest dose given on this day (the same as dose_min for a fixed dose).",
    "Dose.unit": "The dose's unit as printed, such as mg/m2.",
    "Dose.source": "The sentence of a source that gives the dose.",
    "Dosing.route": "How it is given, such as intravenous or oral.",
    "Dosing.cycle_weeks": "The length of a cycle in weeks, min and max.",
    "Dosing.cycle_source": "The sentence of a source that gives the cycle length.",
    "Dosing.doses": "The doses by day of the cycle.",
    "Arm.label": "How the site names the arm.",
    "Arm.dosing": "How the arm's treatment is given, where the source says.",
    "KnownDiscrepancy.reason": "Why the failed check is accepted.",
    "PageDeclaration.title": "The page's title.",
}
"""What a field of study.yml means, for the fields the model gives no description."""

HELP: dict[str, str] = {
    **STUDY_HELP,
    **{f"{kind.row.__name__}.{name}": text for kind in KINDS.values() for name, text in kind.help.items()},
}
"""What a field means, for the fields the model gives no description (the model's own wins): those of
study.yml, then each kind's row's (`Kind.help`). Keyed by model class and field name; a test checks
every key still names a field."""


def field_help(cls: type[BaseModel], name: str) -> str | None:
    """What field `name` of model `cls` means: its description in the model, else HELP's."""
    field = cls.model_fields[name]
    return field.description or HELP.get(f"{cls.__name__}.{name}")


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models inside an annotation such as `Arm`, `list[Arm]` or `Arm | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [found for argument in get_args(annotation) for found in models_in(argument)]


def model_tree(root: type[BaseModel]) -> list[type[BaseModel]]:
    """`root` and every model its fields hold, each once, in the order first met."""
    seen: list[type[BaseModel]] = []
    pending = [root]
    while pending:
        cls = pending.pop(0)
        if cls in seen:
            continue
        seen.append(cls)
        pending += [m for field in cls.model_fields.values() for m in models_in(field.annotation)]
    return seen


def _add_help(schema: dict, root: type[BaseModel]) -> dict:
    """Descriptions from HELP for the properties the model leaves undescribed."""
    for cls in model_tree(root):
        node = schema if cls is root else schema.get("$defs", {}).get(cls.__name__)
        if not node:
            continue
        for name, prop in node.get("properties", {}).items():
            text = field_help(cls, name) if name in cls.model_fields else None
            if text and "description" not in prop:
                prop["description"] = text
    return schema


def study_schema() -> dict:
    """The JSON Schema of study.yml."""
    schema = _add_help(model.StudyFile.model_json_schema(), model.StudyFile)
    schema.update(
        {
            "$schema": DIALECT,
            "$id": STUDY_SCHEMA,
            "title": "study.yml: one study of the evidence site",
            "description": (
                "What describes one study: content/studies/<slug>/study.yml. Generated from the "
                "generator's content model (python -m generator schema); the generator also checks "
                "rules this schema cannot state, such as every quote being found in a source document."
            ),
        }
    )
    return schema


def table_file(kind: Kind) -> str:
    return f"{kind.name}.schema.json"


def table_schema(kind: Kind) -> dict:
    """The JSON Schema of one row of a CSV table of this kind, read as an object of its cells."""
    schema = _add_help(kind.row.model_json_schema(), kind.row)
    model_required = schema.get("required", [])
    required = [name for name in kind.row.model_fields if name in kind.columns or name in model_required]
    optional = [name for name in kind.row.model_fields if name not in required]
    schema.update(
        {
            "$schema": DIALECT,
            "$id": table_file(kind),
            "title": f"{kind.title}: one row of a {kind.name} table (CSV)",
            "description": (
                f"{kind.description} A study names its CSV files freely; a table's kind is told by its "
                f"header. Required columns: {', '.join(required)}. Optional columns: "
                f"{', '.join(optional) or 'none'}. This schema describes one row read as an object, one "
                "property per column. In the CSV file every cell is text: numbers are written as digits "
                "(5.0 stays 5.0), and an empty cell is no value (null here)."
            ),
            "required": required,
        }
    )
    return schema


def schemas() -> dict[str, dict]:
    """Every schema by file name: study.yml's, then one per table kind of the model's registry."""
    files = {STUDY_SCHEMA: study_schema()}
    files.update({table_file(kind): table_schema(kind) for kind in KINDS.values()})
    return files


def schema_text(schema: dict) -> str:
    """The schema as a file: sorted keys, two-space indent, UTF-8, one trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(out: Path, *, protected: dict[Path, str] | None = None) -> list[Path]:
    """Write every schema into `out` (created if needed); return the files whose content changed.

    `protected` maps folders `out` may not be or lie inside to what they are (the project's inputs).
    Each file is written whole (a temporary file renamed over it), never through a link.
    """
    _check_out(out, protected or {})
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = out / name
        data = schema_text(schema).encode("utf-8")
        if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
            continue
        write_file_atomically(path, data)
        written.append(path)
    return written


def _check_out(out: Path, protected: dict[Path, str]) -> None:
    where = Path("command line")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise InputError([Problem(where, f"{out} exists and is not a folder; name a folder", field="--out")])
    resolved = out.resolve()
    for folder, what in protected.items():
        if resolved == folder or resolved.is_relative_to(folder):
            relation = "is" if resolved == folder else "lies inside"
            raise InputError(
                [
                    Problem(
                        where,
                        f"{out} {relation} {what} ({folder}); name a folder of its own, such as {SCHEMA_DIR}",
                        field="--out",
                    )
                ]
            )
    taken = [
        name
        for name in schemas()
        if os.path.lexists(out / name) and ((out / name).is_symlink() or not (out / name).is_file())
    ]
    if taken:
        message = "exists and is not a regular file; remove it or name another --out"
        raise InputError([Problem(out / name, message) for name in taken])


def describe_property(prop: dict) -> str:
    """A JSON Schema property in words: 'text', 'a whole number, 0 or more', 'one of: a, b', ..."""
    variants = prop.get("anyOf")
    if variants:
        kept = [v for v in variants if v.get("type") != "null"]
        types = {v.get("type") for v in kept}
        if types == {"number", "string"}:  # a decimal: a number, or the same as text
            kept = [v for v in kept if v.get("type") == "number"]
        words = " or ".join(describe_property(v) for v in kept)
        return words
    if "$ref" in prop:
        return "the fields below"
    if "enum" in prop:
        return "one of: " + ", ".join(str(v) for v in prop["enum"])
    if "const" in prop:
        return f"always {prop['const']}"
    kind = prop.get("type")
    if kind == "string":
        if prop.get("format") == "date":
            return "a date, YYYY-MM-DD"
        pattern = prop.get("pattern")
        if pattern:
            return f"text, {PATTERN_WORDS.get(pattern, f'matching {pattern}')}"
        return "text"
    if kind in ("integer", "number"):
        words = "a whole number" if kind == "integer" else "a number"
        bounds = []
        if "minimum" in prop:
            bounds.append(f"at least {prop['minimum']:g}")
        if "exclusiveMinimum" in prop:
            bounds.append(f"more than {prop['exclusiveMinimum']:g}")
        if "maximum" in prop:
            bounds.append(f"at most {prop['maximum']:g}")
        return ", ".join([words, *bounds])
    if kind == "boolean":
        return "true or false"
    if kind == "object":
        values = prop.get("additionalProperties")
        if isinstance(values, dict) and values:
            return f"a mapping; each value: {describe_property(values)}"
        return "a mapping"
    if kind == "array":
        items = prop.get("items", {})
        least = f", at least {prop['minItems']}" if prop.get("minItems") else ""
        if "$ref" in items:
            return f"a list{least}, each item with the fields below"
        return f"a list{least}; each item: {describe_property(items)}"
    return "a value"


PATTERN_WORDS = {
    model.SLUG.pattern: "lowercase letters, digits and hyphens",
    model.KEY.pattern: "lowercase letters, digits and underscores",
    r"^\d+$": "digits only",
    r"^\d+(:\d+)+$": "numbers joined by colons, such as 2:1",
    r"^10\.\d{4,9}/\S+$": "a DOI such as 10.1000/example.2020.1",
}
