"""Load and validate every study under `content/studies/`, collecting all problems at once."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from generator.errors import DataError, InputError, Problem
from generator.model import (
    ALL_PATIENTS,
    SLUG,
    TABLE_SCHEMAS,
    FindingRow,
    ProportionRow,
    StudyFile,
    parse_derivation,
    parse_headline,
    slugify,
)
from generator.validation import validate
from generator.yamlfile import line_of, read_yaml

STUDY_FILE = "study.yml"


@dataclass(frozen=True)
class Study:
    """One validated study: its description and its outcome tables, one DataFrame each."""

    slug: str
    folder: Path
    meta: StudyFile
    tables: dict[str, pd.DataFrame]
    meta_lines: dict = dataclasses.field(default_factory=dict, compare=False)
    """The line of each key path of study.yml, to locate problems found after loading."""

    @property
    def abstract_text(self) -> str:
        return abstract_text(self.meta)

    def arm_label(self, arm_id: str) -> str:
        return next((a.label for a in self.meta.arms if a.id == arm_id), "All patients")


def abstract_text(meta: StudyFile) -> str:
    """The abstract as one text: every quote must be found in it."""
    return " ".join(section.text for section in meta.abstract)


def load_studies(content_dir: Path) -> list[Study]:
    """Every study folder under `content_dir/studies`, sorted by slug; DataError lists all problems."""
    root = content_dir / "studies"
    if not root.is_dir():
        raise DataError([Problem(root, "no studies folder: expected content/studies/<slug>/")])
    problems: list[Problem] = []
    studies = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        study = _load_study(folder, problems)
        if study is not None:
            studies.append(study)
    if not studies and not problems:
        problems.append(Problem(root, "no study folders found"))
    problems += _duplicate_studies(studies)
    if problems:
        raise DataError(problems)
    return studies


def _duplicate_studies(studies: list[Study]) -> list[Problem]:
    """The same publication in two folders (same DOI or PMID) would publish two copies of it."""
    problems, seen = [], {}
    for study in studies:
        for field, key in (
            ("citation.doi", study.meta.citation.doi.lower()),
            ("citation.pmid", study.meta.citation.pmid),
        ):
            first = seen.setdefault((field, key), study)
            if first is not study:
                problems.append(
                    Problem(
                        study.folder / STUDY_FILE,
                        f"the same {field.split('.')[1].upper()} as {first.folder}: each study is one folder",
                        field=field,
                    )
                )
    return problems


def _load_study(folder: Path, problems: list[Problem]) -> Study | None:
    before = len(problems)
    if not SLUG.match(folder.name):
        problems.append(
            Problem(folder, "study folder names are slugs: lowercase letters, digits and hyphens")
        )
    meta_path = folder / STUDY_FILE
    meta, lines = _load_meta(meta_path, problems) if meta_path.is_file() else (None, {})
    if not meta_path.is_file():
        problems.append(Problem(meta_path, "missing: every study folder needs a study.yml"))
    tables = _load_tables(folder, problems)
    if meta is None:
        return None
    study = Study(folder.name, folder, meta, tables, lines)
    _check_references(study, problems)  # on every table that loaded, so all problems come at once
    return study if len(problems) == before else None


def _load_meta(path: Path, problems: list[Problem]) -> tuple[StudyFile | None, dict]:
    try:
        data, lines = read_yaml(path)
    except InputError as exc:  # YAML syntax, or a key given twice
        problems.extend(exc.problems)
        return None, {}
    meta = validate(StudyFile, data, path, problems, lines=lines)
    if meta is not None:
        _check_meta_quotes(meta, path, lines, problems)
    return meta, lines


def _load_tables(folder: Path, problems: list[Problem]) -> dict[str, pd.DataFrame]:
    tables = {}
    for path in sorted(folder.glob("*.csv")):
        schema = TABLE_SCHEMAS.get(path.stem)
        if schema is None:
            known = ", ".join(f"{name}.csv" for name in TABLE_SCHEMAS)
            problems.append(Problem(path, f"unknown table; a study folder may hold {known}"))
            continue
        rows = _read_csv_rows(path, schema, problems)
        if rows is not None:
            tables[path.stem] = pd.DataFrame(rows, columns=[*schema.model_fields, "line"], dtype=object)
    return tables


def _read_csv_rows(path: Path, schema, problems: list[Problem]) -> list[dict] | None:
    try:
        return _parse_csv_rows(path, schema, problems)
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, f"is not UTF-8 text (byte {exc.start} cannot be read)"))
    except csv.Error as exc:
        problems.append(Problem(path, f"cannot be read as CSV: {exc}"))
    return None


def _parse_csv_rows(path: Path, schema, problems: list[Problem]) -> list[dict] | None:
    expected = list(schema.model_fields)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, strict=True)
        header = next(reader, None)
        if header != expected:
            problems.append(_header_problem(path, header or [], expected))
            return None
        rows, ok = [], True
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            line = reader.line_num
            if len(record) != len(expected):
                problems.append(
                    Problem(path, f"has {len(record)} cells, expected {len(expected)}", line=line)
                )
                ok = False
                continue
            data = {k: (v.strip() or None) for k, v in zip(expected, record, strict=True)}
            row = validate(schema, data, path, problems, line=line)
            if row is None:
                ok = False
                continue
            rows.append({**row.model_dump(), "line": line})
    return rows if ok else None


def _header_problem(path: Path, header: list[str], expected: list[str]) -> Problem:
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    parts = []
    if missing:
        parts.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        parts.append(f"unknown column(s) {', '.join(extra)}")
    if not parts:
        parts.append("columns are out of order")
    return Problem(path, f"{'; '.join(parts)}; expected the header {','.join(expected)}", line=1)


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _quote_found(quote: str, abstract: str) -> bool:
    return normalise_space(quote) in normalise_space(abstract)


def _check_meta_quotes(meta: StudyFile, path: Path, lines, problems: list[Problem]) -> None:
    abstract = abstract_text(meta)
    quotes: list[tuple[tuple, str]] = [
        (("design", "source"), meta.design.source),
        (("population", "description_source"), meta.population.description_source),
        (("population", "treated_source"), meta.population.treated_source),
    ]
    for i, arm in enumerate(meta.arms):
        quotes += [(("arms", i, "n_source"), arm.n_source), (("arms", i, "cycle_source"), arm.cycle_source)]
        quotes += [(("arms", i, "doses", j, "source"), d.source) for j, d in enumerate(arm.doses)]
    for key_path, quote in quotes:
        if not _quote_found(quote, abstract):
            problems.append(_missing_quote(path, quote, line_of(lines, key_path), key_path))


def _missing_quote(path: Path, quote: str, line: int | None, field) -> Problem:
    name = ".".join(str(p) for p in field) if isinstance(field, tuple) else field
    return Problem(
        path,
        f"quote {quote!r} is not in the study's abstract; quote the source word for word",
        line=line,
        field=name,
    )


def _check_references(study: Study, problems: list[Problem]) -> None:
    arms = {arm.id for arm in study.meta.arms} | {ALL_PATIENTS}
    for name, table in study.tables.items():
        path = study.folder / f"{name}.csv"
        schema = TABLE_SCHEMAS[name]
        for record in table.to_dict("records"):
            _check_row(study, path, record, arms, problems)
            if schema is ProportionRow:
                _check_derivation(path, record, table, problems)
        if schema is not FindingRow:
            keys = table["outcome"] + "@" + table["arm"]
            if "subgroup" in table:
                keys += "/" + table["subgroup"].map(lambda text: slugify(text or ""))
            for _, dup in table[keys.duplicated(keep="first")].iterrows():
                problems.append(
                    Problem(
                        path,
                        f"duplicate row for {dup['outcome']}@{dup['arm']}"
                        + (f" ({dup['subgroup']})" if dup.get("subgroup") else ""),
                        line=dup["line"],
                    )
                )
    _check_headline(study, problems)


def _check_row(study: Study, path: Path, record: dict, arms: set[str], problems: list[Problem]) -> None:
    line = record["line"]
    for field in ("arm", "reference_arm"):
        if field in record and record[field] not in arms:
            problems.append(
                Problem(
                    path,
                    f"unknown arm {record[field]!r}; expected one of {', '.join(sorted(arms))}",
                    line=line,
                    field=field,
                )
            )
    if not _quote_found(record["source"], study.abstract_text):
        problems.append(_missing_quote(path, record["source"], line, "source"))


def _check_derivation(path: Path, record: dict, table: pd.DataFrame, problems: list[Problem]) -> None:
    if not record["derivation"]:
        return
    line = record["line"]
    try:
        derivation = parse_derivation(record["derivation"])
    except ValueError as exc:
        problems.append(Problem(path, str(exc), line=line, field="derivation"))
        return
    same_arm = set(table.loc[table["arm"] == record["arm"], "outcome"])
    for ref in derivation.refs:
        if ref not in same_arm:
            problems.append(
                Problem(
                    path,
                    f"derivation names outcome {ref!r}, which has no row for arm {record['arm']!r}",
                    line=line,
                    field="derivation",
                )
            )
    needs = {"from_percent": ["percent", "denominator"], "complement": ["denominator"], "sum": []}
    missing = [name for name in needs[derivation.rule] if record[name] is None]
    if missing:
        problems.append(
            Problem(path, f"{derivation.rule} needs {' and '.join(missing)}", line=line, field="derivation")
        )


def _check_headline(study: Study, problems: list[Problem]) -> None:
    path = study.folder / STUDY_FILE
    for index, ref in enumerate(study.meta.headline):
        try:
            headline = parse_headline(ref)
        except ValueError as exc:
            problems.append(Problem(path, str(exc), field=f"headline[{index}]"))
            continue
        frame = study.tables.get(headline.table)
        if frame is None and (study.folder / f"{headline.table}.csv").is_file():
            continue  # the table itself failed to load, and said so
        if frame is None or headline.rows(frame).empty:
            problems.append(
                Problem(
                    path, f"headline {ref!r} names no row of this study's tables", field=f"headline[{index}]"
                )
            )


def content_version(content_dir: Path) -> str:
    """A short hash of every file under content/: the version of the data a site shows."""
    digest = hashlib.sha256()
    for path in sorted(p for p in content_dir.rglob("*") if p.is_file() and not is_editor_litter(p)):
        digest.update(path.relative_to(content_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def is_editor_litter(path: Path) -> bool:
    """Hidden, backup and swap files, which are not data (.DS_Store, notes.csv~, .study.yml.swp)."""
    return path.name.startswith(".") or path.name.endswith(("~", ".swp", ".bak"))
