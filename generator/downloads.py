"""Files a reader downloads: the data behind each table and chart, a study's tables as one zip (with a
data dictionary and a README), its citation for reference managers, and the site-wide index of every
figure with its provenance.

Every column of every CSV is declared once (`COLUMNS`: those the downloads share, in
`generator.columns`, and each kind's own): a name means the same thing, in the same unit, in every
file. Each kind of table gives the layout of its download and how its values are put in those units
(`Kind.download`). Percentages are 0 to 100 everywhere (columns ending in `_percent`; differences of
proportions in percentage points end in `_percentage_points`), as the pages and data/values.json show
them. The same declarations write the CSVs and the data dictionary in the zip. Each row names its study
(and its registration and DOI), and each interval says how it was obtained (`ci_method`,
`ci_level_percent`).
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
from collections.abc import Mapping

import pandas as pd

from generator.analysis import StudyResults
from generator.audit import AuditReport
from generator.charts import Chart
from generator.citation import to_bibtex, to_csl_json, to_ris
from generator.columns import AS_REPORTED, Column, declare, level_percent, number_text, percent
from generator.columns import COLUMNS as SHARED_COLUMNS
from generator.comparison import DICTIONARY as COMPARISONS_DICTIONARY
from generator.comparison import FOLDER as COMPARISONS_FOLDER
from generator.comparison import Comparison, chart_rows, entries_frame, page_url
from generator.config import (
    CI_METHOD_NAMES,
    DIFFERENCE_METHOD_NAMES,
    SOURCE_COPYRIGHT,
    DataSettings,
    SiteConfig,
    StatisticsSettings,
)
from generator.figures import FigureLinks
from generator.formatting import reported_number, vancouver_reference
from generator.kinds import KINDS, Download
from generator.kinds.base import column_names
from generator.model import EFFECT_MEASURES, ROW_QUALIFIERS
from generator.text import csv_cell, one_line

VALUES_INDEX = "data/values.json"
"""The stable path of the machine-readable index of every figure on the site."""

COLUMNS: dict[str, Column] = declare(
    *SHARED_COLUMNS.values(), *(column for kind in KINDS.values() for column in kind.new_columns)
)
"""Every column of every CSV download, each declared once: those the downloads share, then each
kind's own."""

SITE_DOWNLOADS = {
    "sets": Download(
        column_names("study registry_id doi arm set set_label n source"),
        description="The analysis sets the source names, with their patients.",
    ),
    "dosing": Download(
        column_names("study registry_id doi arm day dose_min dose_max unit source"),
        description="The dose on each day of a treatment cycle, by arm, as reported.",
    ),
    "schedules": Download(
        column_names(
            """study registry_id doi arm route doses_per_cycle total_min total_max unit
            cycle_weeks_min cycle_weeks_max cycle_days_min cycle_days_max cycle_days_how cycle_source"""
        ),
        description="Each arm's doses per cycle, total dose and cycle length.",
    ),
    "audit": Download(
        column_names(
            "study registry_id doi check rule subject inputs expected result known_reason file line"
        ),
        description="The consistency audit: every check of the printed figures, and what each percentage "
        "printed alone allows.",
    ),
    "shared": Download(
        column_names(
            """study registry_id doi study_title year design population arm subgroup measure unit
            estimate ci_low ci_high ci_method ci_level_percent interval status count denominator page"""
        )
    ),
    "dictionary": Download(column_names("file_name column_name description unit_or_type allowed_values")),
}
"""The downloads of the site's own tables, the comparison pages' tables (`shared`) and the data
dictionary."""

DOWNLOADS: dict[str, Download] = {
    **{name: kind.download for name, kind in KINDS.items()},
    **{name: download for kind in KINDS.values() for name, download in kind.computed_downloads().items()},
    **SITE_DOWNLOADS,
}
"""Every kind of download by name: a study's tables by their kind, the tables the kinds and the site
compute, the comparison pages' tables and the data dictionary."""
LAYOUTS: dict[str, tuple[str, ...]] = {name: download.layout for name, download in DOWNLOADS.items()}
"""The columns of each kind of download, in order."""
IDENTIFIERS = ("study", "registry_id", "doi")
"""The columns that name the study, first in every table of a study."""

DICTIONARY = "data-dictionary.csv"
README = "README.txt"
TABLES_ZIP = "-tables.zip"
"""How the name of each study's zip ends: `<slug>-tables.zip`."""
DATA_VERSION_MARK = "Data version: (stamped when the site is assembled)"
"""The README's data-version line as a study's own build writes it: the site's data version depends on
every study, so it is filled in when the site is assembled (`with_data_version`)."""

SITE_TABLES = {name: d.description for name, d in DOWNLOADS.items() if d.description}
"""The tables the site writes itself (model.GENERATED_TABLES), in words."""


# Turning the computed tables into downloads ------------------------------------------------------


def tabulate(
    frame: pd.DataFrame,
    kind: str,
    stats: StatisticsSettings,
    identifiers: Mapping[str, str],
    *,
    whole: bool = True,
) -> pd.DataFrame:
    """A computed table as its download: its columns renamed and in the units `COLUMNS` declares,
    the study named on every row, in the order of its kind's layout.

    A `whole` table has exactly its layout's columns. The data behind a chart holds some of them:
    those are kept, in the layout's order, and any other column after them."""
    out = DOWNLOADS[kind].prepare(frame.reset_index(drop=True), stats)
    out = out.assign(**{name: value for name, value in identifiers.items()})
    layout = LAYOUTS[kind]
    if whole:
        missing = [name for name in layout if name not in out]
        if missing:
            raise KeyError(f"the {kind} table has no column {', '.join(missing)}")
        return out[list(layout)]
    ordered = [name for name in layout if name in out]
    return out[ordered + [name for name in out.columns if name not in layout]]


def study_identifiers(result: StudyResults) -> dict[str, str]:
    """What names the study on every row: its slug, its registration numbers and its DOI."""
    meta = result.study.meta
    return {
        "study": result.study.slug,
        "registry_id": "; ".join(r.id for r in meta.design.registrations),
        "doi": meta.citation.doi or "",
    }


def table_frames(
    result: StudyResults, audit: AuditReport, stats: StatisticsSettings
) -> dict[str, pd.DataFrame]:
    """Each table of the study as its download, by file name: its own tables by kind, the tables its
    kinds compute, then the site's."""
    ids = study_identifiers(result)
    frames = {}
    for kind, tables in result.tables.items():
        frames.update({f"{name}.csv": tabulate(frame, kind, stats, ids) for name, frame in tables.items()})
    for name, frame in result.computed.items():
        if not frame.empty:
            frames[f"{name}.csv"] = tabulate(frame, name, stats, ids)
    frames["sets.csv"] = tabulate(result.sets, "sets", stats, ids)
    if not result.schedules.empty:
        frames["dosing.csv"] = tabulate(result.dosing, "dosing", stats, ids)
        frames["schedules.csv"] = tabulate(result.schedules, "schedules", stats, ids)
    frames["audit.csv"] = tabulate(audit_frame(audit), "audit", stats, ids)
    return frames


def table_csvs(result: StudyResults, audit: AuditReport, stats: StatisticsSettings) -> dict[str, bytes]:
    """Each table of the study as the site computed it, as CSV, by file name."""
    return {name: to_csv(frame) for name, frame in table_frames(result, audit, stats).items()}


def chart_frame(key: str, chart: Chart, result: StudyResults, stats: StatisticsSettings) -> pd.DataFrame:
    """The data behind one of the study's charts, in the columns and units of its table: charts are
    keyed by table name (and `dosing`, a table of the site)."""
    ids = study_identifiers(result)
    table = result.study.tables.get(key)
    if table is not None:
        data = with_row_keys(chart.data, result.frame(key))
        return tabulate(data, table.kind.name, stats, ids, whole=False)
    if key in LAYOUTS:
        return tabulate(chart.data, key, stats, ids, whole=False)
    return chart.data.assign(**ids)[[*IDENTIFIERS, *chart.data.columns]]


def with_row_keys(data: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """A chart's rows with the columns of its table that tell rows apart (two grades of one event), when
    its rows are rows of the table (same index, outcome and arm); otherwise as they are."""
    missing = [name for name in ROW_QUALIFIERS if name in table and name not in data]
    if not missing or not {"outcome", "arm"} <= set(data) or not data.index.isin(table.index).all():
        return data
    rows = table.loc[data.index]
    if not (rows["outcome"].equals(data["outcome"]) and rows["arm"].equals(data["arm"])):
        return data
    return data.join(rows[missing])


def audit_frame(audit: AuditReport) -> pd.DataFrame:
    """The audit's checks, one row each, with the percentages reported without a count."""
    return pd.DataFrame(
        [
            {
                "check": c.id,
                "rule": c.rule,
                "subject": c.subject,
                "inputs": c.inputs,
                "expected": c.expected,
                "result": c.status,
                "known_reason": c.known,
                "file": c.file,
                "line": c.line,
            }
            for c in audit.checks
        ]
        + [
            {
                "check": f"{i.id}/implied-counts",
                "rule": "implied-counts",
                "subject": i.subject,
                "inputs": f"{i.percent}%",
                "expected": i.constraints,
                "result": i.summary,
                "known_reason": None,
                "file": i.file,
                "line": i.line,
            }
            for i in audit.implied
        ],
        columns=["check", "rule", "subject", "inputs", "expected", "result", "known_reason", "file", "line"],
    )


# The zip of a study's tables ---------------------------------------------------------------------


def data_dictionary(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every column of every file (and of the dictionary itself): what it holds, its unit, its values."""
    columns = [(name, column) for name, frame in frames.items() for column in frame.columns]
    columns += [(DICTIONARY, column) for column in LAYOUTS["dictionary"]]
    return pd.DataFrame(
        [
            {
                "file_name": name,
                "column_name": column,
                "description": COLUMNS[column].description,
                "unit_or_type": COLUMNS[column].unit,
                "allowed_values": COLUMNS[column].allowed,
            }
            for name, column in columns
        ],
        columns=list(LAYOUTS["dictionary"]),
    )


def file_descriptions(result: StudyResults, names: list[str]) -> list[str]:
    """One line for each file of the zip, saying what it holds."""
    kinds = {name: t.kind for name, t in result.study.tables.items()}
    lines = []
    for file in names:
        table = file.removesuffix(".csv")
        if table in kinds:
            kind = kinds[table]
            lines.append(f"- {file}: {kind.title.lower()}. {kind.description}")
        elif table in SITE_TABLES:
            lines.append(f"- {file}: {SITE_TABLES[table]}")
    lines.append(
        f"- {DICTIONARY}: every column of every file: what it holds, its unit, the values it may take."
    )
    return lines


def readme(result: StudyResults, names: list[str], config: SiteConfig) -> str:
    """The zip's README: the study, its citation, the data version, the intervals, the units, the licence."""
    meta, stats, data = result.study.meta, config.statistics, config.data
    level = reported_number(level_percent(stats.ci_level))
    registered = meta.design.registrations
    registrations = (
        "; ".join(f"{r.registry} {r.id}" + (f" ({r.url})" if r.url else "") for r in registered)
        or "none recorded"
    )
    lines = [
        f"Tables of one study: {meta.short_title}",
        "",
        f"Study: {result.study.slug}",
        f"Citation: {vancouver_reference(meta.citation)}",
        *([f"DOI: https://doi.org/{meta.citation.doi}"] if meta.citation.doi else []),
        *([f"PMID: {meta.citation.pmid}"] if meta.citation.pmid else []),
        *([f"Record: {meta.citation.url}"] if meta.citation.url else []),
        f"Registration: {registrations}",
        DATA_VERSION_MARK,
        "",
        "Intervals",
        f"- Computed by this site for a proportion: {level}% confidence intervals, "
        f"{CI_METHOD_NAMES[stats.ci_method]} method.",
        *differences_lines(result, stats, level),
        f"- Printed in the source: given {AS_REPORTED}, at their printed level.",
        "- Each row says which: columns ci_method and ci_level_percent.",
        "",
        "Units and format",
        "- Percentages are 0 to 100 in every file (columns ending in _percent); differences between two "
        "percentages are in percentage points (_percentage_points). P values computed by this site "
        "(fisher_p, implied_p) are numbers from 0 to 1; p_value is the P value as printed, as text "
        "(P = 0.01, P<0.001).",
        f"- {DICTIONARY} gives every column's meaning, unit and allowed values.",
        "- Every row names its study (study, registry_id, doi).",
        "- UTF-8 with a byte-order mark, comma-separated, lines ending in CRLF. A text cell that a "
        "spreadsheet would read as a formula starts with a single quote (').",
        "",
        "Files",
        *file_descriptions(result, names),
        "",
        "Licence",
        f"The data this site extracts and computes are licensed under {data.licence} ({data.name}):",
        data.url,
        SOURCE_COPYRIGHT,
    ]
    return "\r\n".join(one_line(line) for line in lines) + "\r\n"


def differences_lines(result: StudyResults, stats: StatisticsSettings, level: str) -> list[str]:
    """The README's line on differences between arms: their method where the site computed any, else
    why there are none (statistics.between_arms)."""
    if any(not frame.empty for frame in result.computed.values()):
        return [
            f"- Computed for a difference between two arms: {level}% confidence intervals, "
            f"{DIFFERENCE_METHOD_NAMES[stats.difference_method]} method; each row's caveat says when the "
            "arms were not randomized, the P value is exploratory, or a count is derived."
        ]
    return [
        "- No difference between arms is computed for this study: by default only between randomized "
        "arms, and not for adverse events (statistics.between_arms in the site's settings)."
    ]


def tables_zip(
    result: StudyResults, frames: Mapping[str, pd.DataFrame], csvs: Mapping[str, bytes], config: SiteConfig
) -> bytes:
    """The study's tables (`csvs`: `frames` as written to CSV, the same bytes as the site's own
    downloads, serialised once), their data dictionary and a README, in a folder named after the study."""
    slug = result.study.slug
    files = {f"{slug}/{name}": csvs[name] for name in frames}
    files[f"{slug}/{DICTIONARY}"] = to_csv(data_dictionary(frames))
    files[f"{slug}/{README}"] = readme(result, list(frames), config).encode("utf-8")
    return zip_files(files)


def with_data_version(files: Mapping[str, bytes], version: str) -> dict[str, bytes]:
    """Each study's zip with the site's data version in its README (a study's own build cannot know
    it): the zips among `files`, rewritten."""
    return {path: _stamped(data, version) for path, data in files.items() if path.endswith(TABLES_ZIP)}


def _stamped(data: bytes, version: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    line = f"Data version: {version} (this site's data version; data/values.json records every version)"
    for name in members:
        if name.endswith(f"/{README}"):
            members[name] = members[name].replace(DATA_VERSION_MARK.encode(), line.encode(), 1)
    return zip_files(members)


def study_downloads(
    folder: str, result: StudyResults, audit: AuditReport, charts: dict[str, Chart], config: SiteConfig
) -> dict[str, bytes]:
    """Every download of one study, by path relative to the docs folder."""
    slug, citation, stats = result.study.slug, result.study.meta.citation, config.statistics
    frames = table_frames(result, audit, stats)
    csvs = {name: to_csv(frame) for name, frame in frames.items()}
    files = {f"{folder}/data/{name}": data for name, data in csvs.items()}
    files.update(
        {
            f"{folder}/data/chart-{key}.csv": to_csv(chart_frame(key, chart, result, stats))
            for key, chart in charts.items()
        }
    )
    files[f"{folder}/data/{slug}{TABLES_ZIP}"] = tables_zip(result, frames, csvs, config)
    files[f"{folder}/cite/{slug}.bib"] = to_bibtex(citation, slug).encode()
    files[f"{folder}/cite/{slug}.ris"] = to_ris(citation).encode()
    files[f"{folder}/cite/{slug}.json"] = to_csl_json(citation, slug).encode()
    return files


# The comparison pages' tables --------------------------------------------------------------------


def shared_unit(measure: str) -> str:
    """The unit of a comparison row's estimate: percent for a proportion, ratio, or the printed unit."""
    if measure == "proportion":
        return "percent"
    if measure in EFFECT_MEASURES:
        return "ratio" if measure.endswith("_ratio") else "difference as printed"
    return measure


def shared_frame(
    frame: pd.DataFrame, stats: StatisticsSettings, pooled_methods: list[str], *, whole: bool = True
) -> pd.DataFrame:
    """A comparison page's rows (`comparison.entries_frame`, or the data behind its forest plot) as a
    download: proportions in percent, each interval with its method and level.

    Pooled rows (study `pooled`, last) take the pooling methods, in order; a chart's data (not `whole`)
    holds some of the columns."""
    out = frame.reset_index(drop=True).copy()
    proportion = out["measure"] == "proportion"
    for name in ("estimate", "ci_low", "ci_high"):
        if name in out:
            out[name] = out[name].astype(object)
            out.loc[proportion, name] = percent(out.loc[proportion, name])
            printed = out.pop(f"{name}_printed") if f"{name}_printed" in out else None
            if (
                printed is not None
            ):  # a figure the source prints keeps its digits (4.0), as in the study's CSV
                out[name] = [p if p else number_text(v) for p, v in zip(printed, out[name], strict=True)]
    if "page" in out:
        out["page"] = [None if pd.isna(p) or not p else page_url(p) for p in out["page"]]
    out["unit"] = [shared_unit(m) for m in out["measure"]]
    if "ci_level" in out:
        out["ci_level_percent"] = [
            None if pd.isna(v) else level_percent(float(v)) for v in out.pop("ci_level")
        ]
    if "interval" in out:
        methods = {"reported": AS_REPORTED, "computed": CI_METHOD_NAMES[stats.ci_method]}
        out["ci_method"] = [methods.get(i) for i in out["interval"]]
        pooled = out.index[out["study"] == "pooled"]
        for i, method in zip(pooled, pooled_methods, strict=False):
            out.at[i, "ci_method"] = method
    return tabulate(out, "shared", stats, {}, whole=whole)


def comparison_downloads(
    comparison: Comparison, chart: Chart | None, stats: StatisticsSettings
) -> dict[str, bytes]:
    """The comparison's table and the data behind its chart, by path relative to the docs folder: in
    the units and columns of every download (`COLUMNS`), each interval with its method."""
    return {path: to_csv(frame) for path, frame in comparison_frames(comparison, chart, stats).items()}


def comparison_frames(
    comparison: Comparison, chart: Chart | None, stats: StatisticsSettings
) -> dict[str, pd.DataFrame]:
    """The comparison's downloads as tables, by path relative to the docs folder."""
    pooling = [p.method for p in comparison.pooled]
    frames = {
        f"{COMPARISONS_FOLDER}/data/{comparison.key}.csv": shared_frame(
            entries_frame(comparison.entries), stats, pooling
        )
    }
    if chart is not None:
        frames[f"{COMPARISONS_FOLDER}/data/chart-{chart.key}.csv"] = shared_frame(
            chart_rows(comparison, chart.data), stats, pooling, whole=False
        )
    return frames


def comparisons_dictionary(
    comparisons: list[Comparison], charts: dict[str, Chart | None], stats: StatisticsSettings
) -> dict[str, bytes]:
    """The data dictionary of every comparison download (comparisons/data/data-dictionary.csv), from the
    same column declarations as the study downloads'; `charts` by comparison key."""
    if not comparisons:
        return {}
    frames = {
        posixpath.basename(path): frame
        for c in comparisons
        for path, frame in comparison_frames(c, charts.get(c.key), stats).items()
    }
    return {COMPARISONS_DICTIONARY: to_csv(data_dictionary(frames))}


# The index of every figure -----------------------------------------------------------------------


def published_values(link: FigureLinks) -> list[dict]:
    """Every figure of one study with its provenance and (once pages are rendered) where it is shown."""
    return [
        {
            **value.as_json(),
            "study": link.book.slug,
            "shown_on": sorted({use.page for use in link.uses.get(value.id, [])}),
        }
        for value in link.book.values.values()
    ]


def values_index(values: list[dict], site: dict, licence: DataSettings) -> bytes:
    """The manifest of the build: its identity, the licence of its data and every figure it published,
    as JSON of one line a field, and one line a figure (readable, and compared by line; written by
    the json module's C encoder, which an indented dump does not use: 55 MB at 1,000 studies)."""
    head = {**site, "licence": licence.as_json()}
    fields = [f" {json.dumps(name)}: {json.dumps(part, ensure_ascii=False)}," for name, part in head.items()]
    figures = ",\n".join(f"  {json.dumps(value, ensure_ascii=False)}" for value in values)
    return "\n".join(["{", *fields, ' "values": [', figures, " ]", "}", ""]).encode()


# Writing -----------------------------------------------------------------------------------------


def zip_files(files: dict[str, bytes]) -> bytes:
    """A zip with fixed timestamps, so the same tables always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # readable by all when unzipped
            archive.writestr(info, files[name])
    return buffer.getvalue()


def to_csv(frame: pd.DataFrame) -> bytes:
    """The one CSV writer: every text cell through `csv_cell`, so no spreadsheet runs it.

    Lines end in CRLF (RFC 4180), so that a cell holding either line break is quoted and stays one cell.
    """
    frame = frame.infer_objects()  # floats held in object columns get the float format below
    text = frame.select_dtypes(include=["object", "string"]).columns
    frame = frame.assign(**{name: frame[name].map(csv_cell) for name in text})
    # with a byte-order mark, so that a spreadsheet reads it as UTF-8 (curly quotes, ≥, µ stay as printed)
    return frame.to_csv(index=False, lineterminator="\r\n", float_format="%.6g").encode("utf-8-sig")
