"""Load and validate every study under `content/studies/`, collecting all problems at once."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, TypeVar

import pandas as pd

from generator.errors import DataError, InputError, Problem
from generator.frames import records
from generator.invocation import command
from generator.kinds import HEADLINE_KINDS, TABLE_KINDS, kind_of_columns
from generator.kinds import Kind as TableKind
from generator.model import (
    ALL_PATIENTS,
    GENERATED_TABLES,
    GLOSSARY_FILE,
    KEY,
    MAX_SLUG_CHARS,
    SHARED_OUTCOMES_FILE,
    SLUG,
    Arm,
    Glossary,
    Group,
    Headline,
    OutcomeVocabulary,
    ProportionRow,
    SharedRef,
    StatementRow,
    Strict,
    StudyFile,
    parse_derivation,
    parse_headline,
    parse_shared_ref,
    slugify,
)
from generator.skeleton import PLACEHOLDER_WORD, holds_placeholder
from generator.validation import read_validated, validate
from generator.yamlfile import dotted, line_of, read_input_bytes, read_input_text, read_yaml

STUDY_FILE = "study.yml"
MAX_PROBLEMS_PER_FILE = 20
MAX_TABLE_ROWS = 1000
MAX_TABLE_COLUMNS = 100
"""Columns a table may have: every kind has fewer than 20, so more is a file of another kind (and a
header of 100,000 columns would otherwise take minutes to compare with each kind)."""
MAX_NAMES_SHOWN = 10
"""Column names listed in one problem; the rest are counted."""
"""A study table summarises results: far fewer rows than this (and the checks stay fast)."""


@dataclass(frozen=True)
class Table:
    """One CSV table of a study: its name (the file name without .csv), its kind and its rows."""

    name: str
    kind: TableKind
    frame: pd.DataFrame
    implied: bool = False
    """Given by study.yml alone, without a CSV file (`Kind.implied`)."""


@dataclass(frozen=True)
class Study:
    """One validated study: its description and its outcome tables, one DataFrame each."""

    slug: str
    folder: Path
    meta: StudyFile
    tables: dict[str, Table]
    meta_lines: dict = dataclasses.field(default_factory=dict, compare=False)
    """The line of each key path of study.yml, to locate problems found after loading."""
    published_folder: str = ""
    """The folder as the site names it: relative to the project, the same on every machine."""

    @property
    def source_text(self) -> str:
        return source_text(self.meta)

    @property
    def kinds(self) -> list[TableKind]:
        """The kinds of table the study holds, in the registry's order: the stages go through these."""
        return [kind for kind in TABLE_KINDS.values() if any(t.kind is kind for t in self.tables.values())]

    def tables_of(self, kind: str) -> dict[str, pd.DataFrame]:
        """The rows of each table of one kind, by table name."""
        return {name: t.frame for name, t in self.tables.items() if t.kind.name == kind}

    def is_harms(self, table: str) -> bool:
        """Whether a table holds adverse events: named in study.yml's `harms`, or by default a table of
        proportions by grade band (a `grade` column)."""
        if self.meta.harms is not None:
            return table in self.meta.harms
        found = self.tables.get(table)
        return found is not None and found.kind.harms_by_default(found.frame)

    def arm_label(self, arm_id: str) -> str:
        """The label of an arm or group; 'All patients' for `all`."""
        members: list[Arm | Group] = [*self.meta.arms, *self.meta.groups]
        return next((a.label for a in members if a.id == arm_id), "All patients")


@dataclass(frozen=True)
class TextProblem(Problem):
    """A problem of wording that leaves the figures sound (a placeholder left, a quote not found): the
    tables it is found in are still computed and audited, so that the audit's problems come with it."""


def source_text(meta: StudyFile) -> str:
    """Every quotable block of every source document, space normalised, one a line: a quote must be
    found within one block (a sentence cannot run from one section or table row into the next)."""
    return "\n".join(normalise_space(text) for doc in meta.sources for _, text in doc.blocks())


def load_studies(
    content_dir: Path, project_root: Path | None = None, vocabulary: OutcomeVocabulary | None = None
) -> list[Study]:
    """Every study folder under `content_dir/studies`, sorted by slug; DataError lists all problems.

    Messages name files as found; what the site publishes names them relative to `project_root`.
    """
    if vocabulary is None:
        vocabulary = load_vocabulary(content_dir)
    problems: list[Problem] = []
    studies = []
    for folder in list_study_folders(content_dir):
        study = _load_study(folder, problems, vocabulary)
        if study is not None:
            studies.append(study)
    problems += duplicate_studies([(s.folder, s.meta.citation.doi, s.meta.citation.pmid) for s in studies])
    if problems:
        raise DataError(cap_per_file(problems))
    return [dataclasses.replace(s, published_folder=_published(s.folder, project_root)) for s in studies]


def list_study_folders(content_dir: Path) -> list[Path]:
    """The study folders under `content_dir/studies`, sorted; DataError when there are none."""
    root = content_dir / "studies"
    if not root.is_dir():
        raise DataError([Problem(root, "no studies folder: expected content/studies/<slug>/")])
    problems: list[Problem] = []
    folders = study_folders(root, problems)
    if not folders and not problems:
        problems.append(Problem(root, "no study folders found"))
    if problems:
        raise DataError(cap_per_file(problems))
    return folders


def load_study(folder: Path, project_root: Path | None, vocabulary: OutcomeVocabulary) -> Study:
    """One study folder, validated; DataError lists all its problems."""
    problems: list[Problem] = []
    study = _load_study(folder, problems, vocabulary)
    if problems or study is None:
        raise DataError(cap_per_file(problems))
    return dataclasses.replace(study, published_folder=_published(study.folder, project_root))


def load_study_in_part(
    folder: Path, project_root: Path | None, vocabulary: OutcomeVocabulary
) -> tuple[Study | None, list[Problem], bool]:
    """One study folder: what of it is sound, all its problems, and whether the study is whole.

    Without problems, or with problems of wording only (TextProblem), the whole study, as `load_study`
    gives it. Otherwise the study without the tables that have problems, for the audit to check the
    others in the same pass; None when study.yml or the folder itself has one.
    """
    problems: list[Problem] = []
    study = _read_study(folder, problems, vocabulary)
    if study is None:
        return None, problems, False
    study = dataclasses.replace(study, published_folder=_published(study.folder, project_root))
    unsound = {p.file for p in problems if not isinstance(p, TextProblem)}
    if not unsound:
        return _with_implied(study), problems, True
    if any(file.parent != folder or file.suffix != ".csv" for file in unsound):
        return None, problems, False
    tables = {name: t for name, t in study.tables.items() if folder / f"{name}.csv" not in unsound}
    return dataclasses.replace(study, tables=tables), problems, False


def vocabulary_path(content_dir: Path) -> Path:
    return content_dir / SHARED_OUTCOMES_FILE


def load_vocabulary(content_dir: Path) -> OutcomeVocabulary:
    """`content/outcomes.yml`, the outcomes studies share; empty when the file is absent."""
    return _shared_file(vocabulary_path(content_dir), OutcomeVocabulary)


def glossary_path(content_dir: Path) -> Path:
    return content_dir / GLOSSARY_FILE


def load_glossary(content_dir: Path) -> Glossary:
    """`content/glossary.yml`, the readers' abbreviations and synonyms; empty when the file is absent."""
    return _shared_file(glossary_path(content_dir), Glossary)


SharedFile = TypeVar("SharedFile", OutcomeVocabulary, Glossary)


def _shared_file(path: Path, model: type[SharedFile]) -> SharedFile:
    """A file of the content folder that studies share, validated; empty when it is absent."""
    if not os.path.lexists(path):
        return model()
    if path.is_symlink():
        raise DataError([Problem(path, f"is a symbolic link; expected a real file: {LINKS_NOT_FOLLOWED}")])
    return read_validated(path, model, DataError)


def _published(folder: Path, project_root: Path | None) -> str:
    if project_root is not None and folder.resolve().is_relative_to(project_root.resolve()):
        return folder.resolve().relative_to(project_root.resolve()).as_posix()
    return folder.as_posix()


LINKS_NOT_FOLLOWED = (
    "links are not followed, so that the data version and the published site cover exactly the files "
    "in content/"
)


def study_folders(root: Path, problems: list[Problem]) -> list[Path]:
    """The study folders in `root`, sorted; a problem for each symbolic link (other files are ignored)."""
    return [path for path in _entries(root, problems) if path.is_dir()]


def study_files(folder: Path, problems: list[Problem]) -> list[Path]:
    """The files of a study folder the loader reads, sorted: study.yml and the CSV tables."""
    wanted = [path for path in _entries(folder, problems) if path.name == STUDY_FILE or path.suffix == ".csv"]
    return [path for path in wanted if not path.is_dir()]


def _entries(folder: Path, problems: list[Problem]) -> list[Path]:
    """The entries of `folder` that are not editor litter, sorted; symbolic links refused.

    A link could lead outside content/ (or to a pipe or a device): the data version and the
    published site must cover exactly the files under content/, so links are not followed.
    """
    entries = []
    for path in sorted(folder.iterdir()):
        if is_editor_litter(path):
            continue
        if path.is_symlink():
            problems.append(
                Problem(
                    path,
                    f"is a symbolic link; expected a real file or folder: {LINKS_NOT_FOLLOWED}",
                )
            )
            continue
        entries.append(path)
    return entries


def cap_per_file(problems: list[Problem], limit: int = MAX_PROBLEMS_PER_FILE) -> list[Problem]:
    """The first `limit` problems of each file, then one line saying how many more that file has."""
    counts = Counter(problem.file for problem in problems)
    kept: list[Problem] = []
    shown: Counter[Path] = Counter()
    for problem in problems:
        shown[problem.file] += 1
        if shown[problem.file] <= limit:
            kept.append(problem)
        if shown[problem.file] == limit and counts[problem.file] > limit:
            more = counts[problem.file] - limit
            plural = "s" if more > 1 else ""
            kept.append(Problem(problem.file, f"… and {more} more problem{plural} in this file"))
    return kept


def duplicate_studies(identities: list[tuple[Path, str | None, str | None]]) -> list[Problem]:
    """The same publication in two folders (same DOI or PMID) would publish two copies of it.

    `identities` holds each study's (folder, DOI, PMID)."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Path] = {}
    for folder, doi, pmid in identities:
        for field, key in (("citation.doi", doi.lower() if doi else None), ("citation.pmid", pmid)):
            if not key:
                continue
            first = seen.setdefault((field, key), folder)
            if first != folder:
                problems.append(
                    Problem(
                        folder / STUDY_FILE,
                        f"the same {field.split('.')[1].upper()} as {first}: each study is one folder",
                        field=field,
                    )
                )
    return problems


def _load_study(folder: Path, problems: list[Problem], vocabulary: OutcomeVocabulary) -> Study | None:
    before = len(problems)
    study = _read_study(folder, problems, vocabulary)
    if study is None or len(problems) != before:
        return None
    return _with_implied(study)


def _read_study(folder: Path, problems: list[Problem], vocabulary: OutcomeVocabulary) -> Study | None:
    """A study folder with every table that loaded, each checked; None when study.yml did not load."""
    if not SLUG.match(folder.name):
        problems.append(
            Problem(folder, "study folder names are slugs: lowercase letters, digits and hyphens")
        )
    elif len(folder.name) > MAX_SLUG_CHARS:
        message = (
            f"the folder's name is {len(folder.name)} characters long; expected at most {MAX_SLUG_CHARS}"
        )
        problems.append(Problem(folder, message))
    files = study_files(folder, problems)
    meta_path = folder / STUDY_FILE
    meta, lines = _load_meta(meta_path, problems) if meta_path in files else (None, {})
    if not os.path.lexists(meta_path):
        problems.append(Problem(meta_path, "missing: every study folder needs a study.yml"))
    tables = _load_tables([path for path in files if path.suffix == ".csv"], problems)
    if meta is None:
        return None
    study = Study(folder.name, folder, meta, tables, lines)
    _check_references(study, problems)  # on every table that loaded, so all problems come at once
    _check_shared_outcomes(study, vocabulary, problems)
    return study


def _with_implied(study: Study) -> Study:
    """The study with the tables its kinds read from study.yml alone (`Kind.implied`), where it has none."""
    implied = {
        name: Table(name, kind, frame, implied=True)
        for kind in TABLE_KINDS.values()
        for name, frame in kind.implied(study).items()
        if name not in study.tables and not any(table.kind is kind for table in study.tables.values())
    }
    return dataclasses.replace(study, tables={**study.tables, **implied}) if implied else study


def _load_meta(path: Path, problems: list[Problem]) -> tuple[StudyFile | None, dict]:
    try:
        data, lines = read_yaml(path)
    except InputError as exc:  # not a regular file, YAML syntax, an alias, a key given twice, ...
        problems.extend(exc.problems)
        return None, {}
    problems.extend(
        placeholder_problem(path, text, line_of(lines, at), dotted(at)) for at, text in _texts(data, ())
    )
    old = old_format_problems(data, path, lines)
    if old:
        problems.extend(old)
        return None, {}
    meta = validate(StudyFile, data, path, problems, lines=lines)
    if meta is not None:
        _check_meta_quotes(meta, path, lines, problems)
    return meta, lines


OLD_FORMAT = {
    ("abstract",): "write the abstract as a source document: sources: [{id: abstract, title: Abstract, "
    "sections: [the same heading and text entries]}]",
    ("population", "treated"): "give the patients of each analysis set: population.sets: "
    "[{id: treated, n: ..., source: ...}] (treated_source becomes that set's source)",
    ("arms", "n"): "give each arm's patients per analysis set: sets: [{id: treated, n: ..., source: ...}] "
    "(n_source becomes that set's source), and its role: experimental, control or cohort",
    ("arms", "doses"): "move route, cycle_weeks, cycle_source and doses under dosing: {...}",
}
"""Keys of the first study.yml format, with what to write instead."""


def old_format_problems(data: object, path: Path, lines: dict) -> list[Problem]:
    """A located problem for each key of the old study.yml format, saying what to change."""
    if not isinstance(data, dict):
        return []
    found = []
    for key_path, advice in OLD_FORMAT.items():
        for at in _old_key_places(data, key_path):
            found.append(Problem(path, f"old study.yml format: {advice}", line_of(lines, at), dotted(at)))
    return found


def _old_key_places(data: dict, key_path: tuple[str, ...]) -> list[tuple]:
    head, *rest = key_path
    if not rest:
        return [(head,)] if head in data else []
    node = data.get(head)
    if isinstance(node, dict):
        return [(head, *rest)] if rest[0] in node else []
    if isinstance(node, list):
        return [(head, i, *rest) for i, item in enumerate(node) if isinstance(item, dict) and rest[0] in item]
    return []


def _load_tables(paths: list[Path], problems: list[Problem]) -> dict[str, Table]:
    """Every CSV table of a study, by file name without .csv; its kind told by its columns."""
    tables = {}
    for path in paths:
        if not KEY.match(path.stem) or path.stem in GENERATED_TABLES:
            message = (
                "table file names are lowercase letters, digits and underscores, such as responses.csv, "
                f"and not one of the site's own tables ({', '.join(GENERATED_TABLES)})"
            )
            problems.append(Problem(path, message))
            continue
        loaded = _read_csv_rows(path, problems)
        if loaded is not None:
            kind, rows = loaded
            columns = [*kind.row.model_fields, "line"]
            tables[path.stem] = Table(path.stem, kind, pd.DataFrame(rows, columns=columns, dtype=object))
    return tables


def _read_csv_rows(path: Path, problems: list[Problem]) -> tuple[TableKind, list[dict]] | None:
    try:
        text = read_input_text(path)  # a regular file of bounded size; a byte-order mark is dropped
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    try:
        return _parse_csv_rows(path, text, problems)
    except _UnreadableRecord as exc:
        problems.append(exc.problem(path))
    return None


def _parse_csv_rows(path: Path, text: str, problems: list[Problem]) -> tuple[TableKind, list] | None:
    records = _records(csv.reader(io.StringIO(text, newline=""), strict=True))
    _, header = next(records, (1, None))
    header = [cell.strip() for cell in header or []]
    if len(header) > MAX_TABLE_COLUMNS:
        message = (
            f"has {len(header)} columns; expected at most {MAX_TABLE_COLUMNS} (a table of one of the kinds "
            f"{', '.join(TABLE_KINDS)}, whose columns are listed by `{command('schema')}`)"
        )
        problems.append(Problem(path, message, line=1))
        return None
    kind = kind_of_columns(header)
    if kind is None:
        problems.append(_header_problem(path, header))
        return None
    rows, ok = [], True
    for count, (line, record) in enumerate(records, start=1):
        if count > MAX_TABLE_ROWS:
            message = f"has more than {MAX_TABLE_ROWS} rows; expected at most {MAX_TABLE_ROWS}"
            problems.append(Problem(path, message, line=line))
            return None
        if not any(cell.strip() for cell in record):
            continue
        problems.extend(
            placeholder_problem(path, cell, line, name)
            for name, cell in zip(header, record, strict=False)
            if holds_placeholder(cell)
        )
        row = _parse_record(path, kind.row, header, line, record, problems)
        ok = ok and row is not None
        if row is not None:
            rows.append({**row.model_dump(), "line": line})
    return (kind, rows) if ok else None


def _parse_record(
    path: Path, schema: type[Strict], header: list[str], line: int, record: list[str], problems: list[Problem]
) -> Strict | None:
    """The validated row of a CSV record; None, with its problems, when it is not valid."""
    if len(record) != len(header):
        problems.append(Problem(path, f"has {len(record)} cells, expected {len(header)}", line=line))
        return None
    data = {k: (v.strip() or None) for k, v in zip(header, record, strict=True)}
    return validate(schema, data, path, problems, line=line)


def _records(reader) -> Iterator[tuple[int, list[str]]]:
    """Each record of a CSV reader with the line it starts on; _UnreadableRecord where one cannot be read."""
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _UnreadableRecord(str(exc), start, reader.line_num) from None


class _UnreadableRecord(Exception):
    """A CSV record the csv module cannot read: the line it starts on and the line reading stopped."""

    def __init__(self, reason: str, start: int, stop: int):
        super().__init__(reason)
        self.reason, self.start, self.stop = reason, start, stop

    def problem(self, path: Path) -> Problem:
        if self.reason.startswith("unexpected end of data"):
            message = 'a quoted cell is never closed; expected a closing quote (") before the end of the file'
            return Problem(path, message, line=self.start)
        if self.reason.startswith("field larger than field limit"):
            message = (
                f"a cell is longer than {csv.field_size_limit()} characters; expected a short cell "
                "(is a quote left open?)"
            )
            return Problem(path, message, line=self.start)
        return Problem(path, f"cannot be read as CSV: {self.reason} (line {self.stop})")


def _header_problem(path: Path, header: list[str]) -> Problem:
    """Which kind of table the header comes closest to, and what it lacks or has too many of."""
    repeated = sorted(name for name, count in Counter(header).items() if count > 1)
    if repeated:
        return Problem(path, f"column(s) {_names(repeated)} appear twice; keep one of each", line=1)
    kinds = list(TABLE_KINDS.values())
    closest = max(kinds, key=lambda kind: len(set(kind.columns) & set(header)))
    missing = [c for c in closest.columns if c not in header]
    extra = [c for c in header if c not in closest.row.model_fields]
    parts = [f"missing column(s) {', '.join(missing)}"] if missing else []
    parts += [f"unknown column(s) {_names(extra)}"] if extra else []
    optional = f" (optional: {', '.join(closest.optional_columns)})" if closest.optional_columns else ""
    others = "; ".join(f"{k.name}: {','.join(k.columns)}" for k in kinds if k is not closest)
    return Problem(
        path,
        f"{'; '.join(parts)}; expected the columns of a table of {closest.name}, "
        f"{','.join(closest.columns)}{optional}, or of another kind ({others})",
        line=1,
    )


def _names(names: list[str]) -> str:
    """At most MAX_NAMES_SHOWN names, the others counted."""
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    return shown + (f" and {len(names) - MAX_NAMES_SHOWN} more" if len(names) > MAX_NAMES_SHOWN else "")


PLACEHOLDER_EXPECTED = {
    "source": "a sentence of the study's own source, word for word (the figures beside it are the "
    "skeleton's too)",
    "description_source": "a sentence of the study's own source, word for word",
    "cycle_source": "a sentence of the study's own source, word for word (the cycle beside it is the "
    "skeleton's too)",
    "text": "the source's own text, word for word",
    "short_title": "the study's own short title",
    "title": "the study's own title",
    "family": "the author's family name",
    "given": "the author's given names",
    "doi": "the study's own DOI",
    "notes": "the study's own note, or no note",
    "note": "where the source's text comes from",
    "summary": "the study's own design, in a few plain sentences",
    "regimen": "the arm's own treatment, in words",
    "label": "the study's own label",
    "keywords": "a keyword of the study",
    "publication_types": "the article's publication type",
    "enrolment": "when the study's patients were enrolled, as printed",
    "description": "who the study's patients were, in one sentence",
}
"""What to write in place of a placeholder, by field name (others: 'the study's own <name>')."""


def placeholder_problem(path: Path, text: str, line: int | None, field: str) -> TextProblem:
    """A value that still holds the skeleton's placeholder: where, what it holds, what to write."""
    name = re.sub(r"\[\d+\]", "", field).rsplit(".", 1)[-1]
    expected = PLACEHOLDER_EXPECTED.get(name, f"the study's own {name.replace('_', ' ')}")
    mark = PLACEHOLDER_WORD.search(text)
    found = text[mark.start() if mark else 0 :]
    shown = found if len(found) <= 80 else f"{found[:80]}..."
    message = f"still holds the skeleton's placeholder {shown!r}; expected {expected}"
    return TextProblem(path, message, line=line, field=field)


def _texts(data: object, at: tuple) -> Iterator[tuple[tuple, str]]:
    """(key path, text) of every text of a YAML document that holds the skeleton's placeholder."""
    if isinstance(data, str):
        if holds_placeholder(data):
            yield at, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _texts(value, (*at, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _texts(value, (*at, index))


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _quote_found(quote: str, text: str) -> bool:
    """Whether `quote` is in `text`, the study's source text (see `source_text`)."""
    return normalise_space(quote) in text


def _check_meta_quotes(meta: StudyFile, path: Path, lines, problems: list[Problem]) -> None:
    text = source_text(meta)
    for key_path, quote in _meta_quotes(meta):
        if not _quote_found(quote, text):
            problems.append(_missing_quote(path, quote, line_of(lines, key_path), key_path))


def _meta_quotes(meta: StudyFile) -> list[tuple[tuple, str]]:
    """(key path, quote) of every quote in study.yml."""
    quotes: list[tuple[tuple, str]] = [
        (("design", "source"), meta.design.source),
        (("population", "description_source"), meta.population.description_source),
    ]
    quotes += [(("groups", i, "source"), g.source) for i, g in enumerate(meta.groups) if g.source]
    quotes += [
        (("design", "registrations", i, "source"), r.source)
        for i, r in enumerate(meta.design.registrations)
        if r.source
    ]
    if meta.evidence is not None and meta.evidence.follow_up_source:
        quotes.append((("evidence", "follow_up_source"), meta.evidence.follow_up_source))
    quotes += [
        (("population", "sets", i, "source"), s.source)
        for i, s in enumerate(meta.population.sets)
        if s.source
    ]
    for i, arm in enumerate(meta.arms):
        quotes += [(("arms", i, "sets", j, "source"), s.source) for j, s in enumerate(arm.sets) if s.source]
        if arm.dosing is not None:
            quotes.append((("arms", i, "dosing", "cycle_source"), arm.dosing.cycle_source))
            quotes += [
                (("arms", i, "dosing", "doses", j, "source"), d.source)
                for j, d in enumerate(arm.dosing.doses)
            ]
    return quotes


def _check_one_table(study: Study, problems: list[Problem]) -> None:
    """A kind a study holds at most one table of (`Kind.one_table`): a second table is refused."""
    first: dict[str, str] = {}
    for name, loaded in sorted(study.tables.items()):
        kind = loaded.kind
        if kind.one_table and first.setdefault(kind.name, name) != name:
            problems.append(
                Problem(
                    study.folder / f"{name}.csv",
                    f"a second table of {kind.name} (the first is {first[kind.name]}.csv); a study holds "
                    f"one, expected every row of {kind.name} in {first[kind.name]}.csv",
                )
            )


def _missing_quote(path: Path, quote: str, line: int | None, field) -> Problem:
    name = dotted(field) if isinstance(field, tuple) else field
    return TextProblem(
        path,
        f"quote {quote!r} is not in any of the study's source documents; quote the source word for word "
        "(a table row reads as its cells joined by ' | ')",
        line=line,
        field=name,
    )


def _check_references(study: Study, problems: list[Problem]) -> None:
    _check_one_table(study, problems)
    arms = {arm.id for arm in study.meta.arms} | {g.id for g in study.meta.groups} | {ALL_PATIENTS}
    text = study.source_text
    for name, loaded in study.tables.items():
        path, table, schema = study.folder / f"{name}.csv", loaded.frame, loaded.kind.row
        outcomes = table.groupby("arm")["outcome"].agg(set).to_dict() if schema is ProportionRow else {}
        for record in records(table):
            _check_row(text, path, record, arms, problems)
            _check_set(study, path, record, problems)
            if schema is ProportionRow:
                _check_derivation(path, record, outcomes.get(record["arm"], set()), problems)
        if schema is StatementRow:
            problems += _duplicate_findings(path, table)
        elif "outcome" in table:
            problems += _duplicate_outcomes(path, table)
        problems += loaded.kind.check_rows(study, path, table)
    _check_headline(study, problems)
    _check_primary(study, problems)
    _check_harms(study, problems)
    _check_derived_sets(study, problems)
    _check_follow_up(study, problems)
    _check_pages(study, problems)


class Where(TypedDict):
    """Where in study.yml a problem is: the keyword arguments of a Problem after its message."""

    line: int | None
    field: str


def _check_shared_outcomes(study: Study, vocabulary: OutcomeVocabulary, problems: list[Problem]) -> None:
    """Each shared outcome is a key of content/outcomes.yml and names rows of a table of its kind."""
    path = study.folder / STUDY_FILE
    kinds = {outcome.key: outcome.kind for outcome in vocabulary.outcomes}
    for key, ref in study.meta.shared_outcomes.items():
        where: Where = {
            "line": line_of(study.meta_lines, ("shared_outcomes", key)),
            "field": f"shared_outcomes.{key}",
        }
        if key not in kinds:
            known = (
                ", ".join(sorted(kinds))
                or f"none ({SHARED_OUTCOMES_FILE} in the content folder is missing or empty)"
            )
            problems.append(
                Problem(
                    path, f"{key!r} is not an outcome of {SHARED_OUTCOMES_FILE}; its keys: {known}", **where
                )
            )
            continue
        try:
            shared = parse_shared_ref(ref)
        except ValueError as exc:
            problems.append(Problem(path, str(exc), **where))
            continue
        table = study.tables.get(shared.table)
        if table is None:
            if not os.path.lexists(study.folder / f"{shared.table}.csv"):
                known = ", ".join(sorted(study.tables)) or "none"
                problems.append(
                    Problem(path, f"no table {shared.table}.csv in this study; its tables: {known}", **where)
                )
        elif table.kind.name != kinds[key]:
            message = f"{ref!r} names a table of {table.kind.name}; {key!r} is an outcome of {kinds[key]}"
            problems.append(Problem(path, message, **where))
        elif shared.rows(table.frame).empty:
            problems.append(Problem(path, f"{ref!r} names no row of {shared.table}.csv", **where))


def _check_pages(study: Study, problems: list[Problem]) -> None:
    """Each declared table exists and is on one page; with pages declared, every table is on one."""
    path, placed = study.folder / STUDY_FILE, {}
    for p, page in enumerate(study.meta.pages):
        for t, name in enumerate(page.tables):
            at = ("pages", p, "tables", t)
            where: Where = {"line": line_of(study.meta_lines, at), "field": dotted(at)}
            if name in placed:
                problems.append(Problem(path, f"table {name!r} is on two pages; keep one", **where))
            elif name not in study.tables and not os.path.lexists(study.folder / f"{name}.csv"):
                known = ", ".join(sorted(study.tables)) or "none"
                message = f"no table {name}.csv in this study; its tables: {known}"
                problems.append(Problem(path, message, **where))
            placed[name] = p
    if study.meta.pages:
        homeless = {name for name, table in study.tables.items() if table.kind.page is None}
        for name in sorted(homeless - set(placed)):
            problems.append(
                Problem(
                    path,
                    f"table {name}.csv is on no page; add it to the tables of one page",
                    line=line_of(study.meta_lines, ("pages",)),
                    field="pages",
                )
            )


def _duplicate_outcomes(path: Path, table: pd.DataFrame) -> list[Problem]:
    """Two rows for the same outcome of the same arm (and subgroup)."""
    keys = table["outcome"] + "@" + table["arm"]
    for column, same in (("reference_arm", str), ("subgroup", slugify), ("grade", normalise_space)):
        if column in table:
            keys += "/" + table[column].map(lambda text, same=same: same(text or ""))
    return [
        Problem(
            path,
            f"duplicate row for {dup['outcome']}@{dup['arm']}"
            + (f" ({dup['subgroup']})" if dup.get("subgroup") else ""),
            line=dup["line"],
        )
        for _, dup in table[keys.duplicated(keep="first")].iterrows()
    ]


def _duplicate_findings(path: Path, table: pd.DataFrame) -> list[Problem]:
    """Two rows comparing the same two arms (either way round) on the same event (case and spaces aside)."""
    problems: list[Problem] = []
    first: dict[tuple[str, frozenset[str]], int] = {}
    for record in records(table):
        arms = frozenset((record["arm"], record["reference_arm"]))
        key = (normalise_space(record["event"]).casefold(), arms)
        line = first.setdefault(key, record["line"])
        if line != record["line"]:
            problems.append(
                Problem(
                    path,
                    f"duplicate row for event {record['event']!r} ({record['arm']} against "
                    f"{record['reference_arm']}): line {line} already compares these arms on it; keep one",
                    line=record["line"],
                )
            )
    return problems


def _check_row(text: str, path: Path, record: dict, arms: set[str], problems: list[Problem]) -> None:
    line = record["line"]
    for field in ("arm", "reference_arm"):
        if field in record and record[field] not in arms:
            problems.append(
                Problem(
                    path,
                    f"unknown arm or group {record[field]!r}; expected one of {', '.join(sorted(arms))}",
                    line=line,
                    field=field,
                )
            )
    if not _quote_found(record["source"], text):
        problems.append(_missing_quote(path, record["source"], line, "source"))


def _check_set(study: Study, path: Path, record: dict, problems: list[Problem]) -> None:
    """A row's analysis set is one its arm (or all patients) has; its counts fit within it."""
    set_id = record.get("set")
    if not set_id:
        return
    arm = next((a for a in study.meta.arms if a.id == record["arm"]), None)
    sets = {s.id: s.n for s in (arm.sets if arm else study.meta.population.sets)}
    where: Where = {"line": record["line"], "field": "set"}
    if set_id not in sets:
        known = ", ".join(sorted(sets))
        message = f"unknown analysis set {set_id!r} for {record['arm']}; expected one of {known}"
        problems.append(Problem(path, message, **where))
        return
    for name in ("count", "denominator"):
        if record.get(name) is not None and record[name] > sets[set_id]:
            message = f"{name} {record[name]} is more than the {sets[set_id]} patients of the set {set_id!r}"
            problems.append(Problem(path, message, **where))


def _check_derivation(path: Path, record: dict, same_arm: set[str], problems: list[Problem]) -> None:
    """The derivation of a row reads, names outcomes of the same arm, and has the figures it needs."""
    if not record["derivation"]:
        return
    line = record["line"]
    try:
        derivation = parse_derivation(record["derivation"])
    except ValueError as exc:
        problems.append(Problem(path, str(exc), line=line, field="derivation"))
        return
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
    seen: dict[Headline, int] = {}
    for index, ref in enumerate(study.meta.headline):
        try:
            headline = parse_headline(ref)
        except ValueError as exc:
            problems.append(Problem(path, str(exc), field=f"headline[{index}]"))
            continue
        same = dataclasses.replace(headline, subgroup=slugify(headline.subgroup or ""))
        first = seen.setdefault(same, index)
        if first != index:
            problems.append(
                Problem(
                    path,
                    f"headline {ref!r} is listed twice (also headline[{first}]); keep one",
                    line=line_of(study.meta_lines, ("headline", index)),
                    field=f"headline[{index}]",
                )
            )
            continue
        table = study.tables.get(headline.table)
        if table is not None and table.kind.name not in HEADLINE_KINDS:
            kinds = " or ".join(HEADLINE_KINDS)
            message = f"headline {ref!r} names a table of {table.kind.name}; expected a table of {kinds}"
            problems.append(Problem(path, message, field=f"headline[{index}]"))
            continue
        frame = table.frame if table is not None else None
        if frame is None and os.path.lexists(study.folder / f"{headline.table}.csv"):
            continue  # the table itself failed to load, and said so
        if frame is None or headline.rows(frame).empty:
            problems.append(
                Problem(
                    path, f"headline {ref!r} names no row of this study's tables", field=f"headline[{index}]"
                )
            )


PRIMARY_KINDS = tuple(name for name, kind in TABLE_KINDS.items() if kind.effect or name in HEADLINE_KINDS)
"""The kinds of table a main result may come from: an effect, or a figure a headline card may show."""
HARMS_KINDS = tuple(name for name, kind in TABLE_KINDS.items() if kind.may_hold_harms)


def _check_primary(study: Study, problems: list[Problem]) -> None:
    """study.yml's `primary`: its result names one row of an effects (or headline) table; its arms a
    table:outcome of that study with rows."""
    primary = study.meta.primary
    if primary is None:
        return
    path = study.folder / STUDY_FILE
    for field, ref, kinds in (
        ("result", primary.result, PRIMARY_KINDS),
        ("arms", primary.arms, HEADLINE_KINDS),
    ):
        if ref is None:
            continue
        where, line = f"primary.{field}", line_of(study.meta_lines, ("primary", field))
        rows: Headline | SharedRef
        try:
            rows = parse_headline(ref) if field == "result" else parse_shared_ref(ref)
        except ValueError as exc:
            problems.append(
                Problem(path, str(exc).replace("read headline ", "read "), line=line, field=where)
            )
            continue
        table = study.tables.get(rows.table)
        if table is None:
            if not os.path.lexists(study.folder / f"{rows.table}.csv"):
                found = ", ".join(sorted(study.tables)) or "none"
                message = (
                    f"{ref!r} names table {rows.table!r}, which this study does not have (tables: {found})"
                )
                problems.append(Problem(path, message, line=line, field=where))
            continue
        if table.kind.name not in kinds:
            message = f"{ref!r} names a table of {table.kind.name}; expected a table of {' or '.join(kinds)}"
            problems.append(Problem(path, message, line=line, field=where))
        elif rows.rows(table.frame).empty:
            problems.append(
                Problem(path, f"{ref!r} names no row of table {rows.table!r}", line=line, field=where)
            )
        elif field == "result" and len(rows.rows(table.frame)) > 1:
            count = len(rows.rows(table.frame))
            message = (
                f"{ref!r} names {count} rows of table {rows.table!r} (they differ in grade, analysis set or "
                "reference arm); expected one row: the main result is one figure"
            )
            problems.append(Problem(path, message, line=line, field=where))


def _check_follow_up(study: Study, problems: list[Problem]) -> None:
    """Every number of the follow-up as given is printed in the sentence it quotes."""
    evidence = study.meta.evidence
    if evidence is None or not evidence.follow_up or not evidence.follow_up_source:
        return
    quoted = set(re.findall(r"\d+(?:\.\d+)?", evidence.follow_up_source))
    missing = [n for n in re.findall(r"\d+(?:\.\d+)?", evidence.follow_up) if n not in quoted]
    if missing:
        where = ("evidence", "follow_up")
        message = (
            f"follow_up {evidence.follow_up!r} gives {missing[0]}, which its follow_up_source does not "
            "print; expected the follow-up as the sentence gives it"
        )
        problems.append(
            Problem(
                study.folder / STUDY_FILE, message, line=line_of(study.meta_lines, where), field=dotted(where)
            )
        )


def _check_derived_sets(study: Study, problems: list[Problem]) -> None:
    """A set total derived from the arms needs every arm's n in that set."""
    path = study.folder / STUDY_FILE
    for index, total in enumerate(study.meta.population.sets):
        missing = [arm.id for arm in study.meta.arms if arm.set_size(total.id) is None]
        if total.derived and missing:
            message = (
                f"analysis set {total.id!r} is derived from the arms (derived: true), but arm {missing[0]!r} "
                "gives no n in it; give each arm's n in this set, or the total with its source"
            )
            where = ("population", "sets", index)
            problems.append(
                Problem(path, message, line=line_of(study.meta_lines, where), field=dotted(where))
            )


def _check_harms(study: Study, problems: list[Problem]) -> None:
    """study.yml's `harms` names tables of proportions the study has."""
    path = study.folder / STUDY_FILE
    for index, name in enumerate(study.meta.harms or []):
        table = study.tables.get(name)
        where, line = f"harms[{index}]", line_of(study.meta_lines, ("harms", index))
        if table is None:
            found = ", ".join(sorted(study.tables)) or "none"
            message = f"harms names table {name!r}, which this study does not have (its tables: {found})"
            problems.append(Problem(path, message, line=line, field=where))
        elif table.kind.name not in HARMS_KINDS:
            expected = " or ".join(HARMS_KINDS)
            message = f"harms names {name!r}, a table of {table.kind.name}; expected a table of {expected}"
            problems.append(Problem(path, message, line=line, field=where))


def content_version(content_dir: Path) -> str:
    """A short hash of exactly the files the loader reads: the version of the data a site shows.

    Refused entries (links, special files, editor litter) are skipped, never opened.
    """
    digest = hashlib.sha256()
    ignored: list[Problem] = []
    for name in (SHARED_OUTCOMES_FILE, GLOSSARY_FILE):
        shared = content_dir / name
        if shared.is_file() and not shared.is_symlink():
            with contextlib.suppress(InputError):  # the loader reports it
                digest.update(f"{name}\0".encode() + read_input_bytes(shared) + b"\0")
    root = content_dir / "studies"
    for folder in study_folders(root, ignored) if root.is_dir() else []:
        for path in study_files(folder, ignored):
            try:
                data = read_input_bytes(path)
            except InputError:
                continue  # the loader reports it
            digest.update(path.relative_to(content_dir).as_posix().encode() + b"\0" + data + b"\0")
    return digest.hexdigest()[:12]


def is_editor_litter(path: Path) -> bool:
    """Hidden, backup, swap and lock files, which are not data: .DS_Store, ._x.csv (macOS), .#x.csv and
    #x.csv# (emacs), x.csv~, .x.csv.swp (vim), ~$x.csv (Office)."""
    name = path.name
    return (
        name.startswith((".", "~$"))
        or name.endswith(("~", ".swp", ".bak"))
        or (name.startswith("#") and name.endswith("#"))
    )
