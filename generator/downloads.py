"""Files a reader downloads: the data behind each table and chart, a study's tables as one zip (with a
data dictionary and a README), its citation for reference managers, and the site-wide index of every
figure with its provenance.

Every column of every CSV is declared once, in `COLUMNS`: a name means the same thing, in the same
unit, in every file. Percentages are 0 to 100 everywhere (columns ending in `_percent`; differences of
proportions in percentage points end in `_percentage_points`), as the pages and data/values.json show
them. The same declarations write the CSVs and the data dictionary in the zip. Each row names its study
(and its registration and DOI), and each interval says how it was obtained (`ci_method`, `ci_level_percent`).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from generator.analysis import StudyResults
from generator.audit import AuditReport
from generator.charts import Chart
from generator.citation import to_bibtex, to_csl_json, to_ris
from generator.comparison import page_url
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
from generator.model import EFFECT_MEASURES
from generator.text import csv_cell, one_line

VALUES_INDEX = "data/values.json"
"""The stable path of the machine-readable index of every figure on the site."""

AS_REPORTED = "as reported"
"""The `ci_method` of an interval printed in the source."""
PERCENT = "percent (0 to 100)"
POINTS = "percentage points (-100 to 100)"
PROBABILITY = "probability (0 to 1)"
TEXT = "text"
PATIENTS = "integer (patients)"
ROW_UNIT = "the unit in the row's unit column (a percentage is 0 to 100)"
ROW_SCALE = "the row's unit (comparison tables) or the scale of its measure (effects tables)"


@dataclass(frozen=True)
class Column:
    """One column of the downloads: its meaning and unit, the same in every file that has it."""

    name: str
    description: str
    unit: str
    """The unit, or the type of a column without one (text, integer, ...)."""
    allowed: str = ""
    """The values it may hold, when they are a fixed list."""


def _declare(*columns: Column) -> dict[str, Column]:
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ValueError("a download column is declared twice")
    return {c.name: c for c in columns}


COLUMNS = _declare(
    # who and what a row is about
    Column("study", "The study's identifier on this site (its folder under content/studies).", TEXT),
    Column(
        "registry_id",
        "The study's registration number in a trial registry (ClinicalTrials.gov NCT...), several separated "
        "by '; '; empty when the study records none.",
        TEXT,
    ),
    Column("doi", "The DOI of the study's publication (https://doi.org/ followed by it opens it).", TEXT),
    Column("study_title", "The study's short title on this site.", TEXT),
    Column("year", "The year the study's publication appeared.", "integer (year)"),
    Column("design", "The study's design in words.", TEXT),
    Column("population", "Who the figure is about: the analysis set, with its number of patients.", TEXT),
    Column("table", "The study's table the row comes from (its CSV file without .csv).", TEXT),
    Column("outcome", "The outcome's key in the study's table.", TEXT),
    Column("label", "The outcome in words, as the site shows it.", TEXT),
    Column("event", "The event the source compares in words.", TEXT),
    Column(
        "arm",
        "The arm or group the row is about: its key in study tables ('all' for every patient), its label "
        "in comparison tables ('A vs B' for an effect).",
        TEXT,
    ),
    Column("reference_arm", "The arm or group it is compared with (the reference).", TEXT),
    Column("subgroup", "The subgroup of patients the row is about, in words; empty for the whole arm.", TEXT),
    Column("grade", "The grade band of an adverse event as printed (1, 3, ≥3, any).", TEXT),
    Column("set", "The analysis set the denominator is (randomized, treated, ...).", TEXT),
    Column("set_label", "The analysis set in words.", TEXT),
    # counts and percentages of patients
    Column("n", "Patients in the analysis set.", PATIENTS),
    Column(
        "count",
        "Patients with the outcome: printed in the source, or derived by this site (see status and how).",
        PATIENTS,
    ),
    Column("denominator", "Patients the count is out of.", PATIENTS),
    Column("percent_reported", "The percentage as printed in the source, digits as printed.", PERCENT),
    Column("estimate_percent", "count / denominator × 100, computed by this site.", PERCENT),
    Column(
        "ci_low_percent",
        "Lower bound of the confidence interval this site computed from count/denominator.",
        PERCENT,
    ),
    Column(
        "ci_high_percent",
        "Upper bound of the confidence interval this site computed from count/denominator.",
        PERCENT,
    ),
    Column(
        "reported_ci_low_percent", "Lower bound of an interval printed in the source, as printed.", PERCENT
    ),
    Column(
        "reported_ci_high_percent", "Upper bound of an interval printed in the source, as printed.", PERCENT
    ),
    Column("reported_ci_level_percent", "The printed confidence level of that interval.", PERCENT),
    Column(
        "status",
        "Whether the row's figure is printed in the source (reported), worked out by this site from printed "
        "figures (derived), or computed by it (computed: a pooled estimate).",
        TEXT,
        "reported; derived; computed",
    ),
    Column("derivation", "How a derived count is worked out: from_percent, sum(...), complement(...).", TEXT),
    Column("how", "The working of a derived count, with its numbers.", TEXT),
    # values and effects as printed
    Column("value", "The value as printed (5.0 stays 5.0), or 'not reached'.", ROW_UNIT),
    Column(
        "unit",
        "The unit of the row's value, estimate, interval or dose, as printed ('%' and 'percent': 0 to 100; "
        "'ratio': a ratio).",
        TEXT,
    ),
    Column("method", "How the value was estimated, as printed (Kaplan-Meier).", TEXT),
    Column(
        "measure",
        "What the estimate measures: an effect (hazard_ratio, odds_ratio, risk_ratio, rate_ratio, "
        "difference as printed; none: a P value alone); in comparison tables also proportion, or the unit "
        "of a value (months).",
        TEXT,
    ),
    Column(
        "estimate",
        "The estimate: digits as the source prints them (4.0 stays 4.0) when it prints it, otherwise "
        "computed by this site (a proportion's count / denominator, a pooled estimate).",
        ROW_SCALE,
    ),
    Column(
        "ci_low",
        "Lower bound of the row's interval, in the unit of its value or estimate (digits as printed when "
        "the source prints it).",
        ROW_SCALE,
    ),
    Column(
        "ci_high",
        "Upper bound of the row's interval, in the unit of its value or estimate (digits as printed when "
        "the source prints it).",
        ROW_SCALE,
    ),
    Column(
        "ci_method",
        "How the row's interval was obtained: the method this site computed it by (statistics.ci_method and "
        "statistics.difference_method in site_config.yml, or the pooling method), or 'as reported' for an "
        "interval printed in the source; empty without an interval.",
        TEXT,
        "; ".join([*CI_METHOD_NAMES.values(), *DIFFERENCE_METHOD_NAMES.values(), AS_REPORTED]),
    ),
    Column(
        "ci_level_percent",
        "The confidence level of the row's interval: the site's setting for an interval it computed, the "
        "printed level for one printed in the source (empty when the source prints none).",
        PERCENT,
    ),
    Column(
        "interval",
        "Where the row's interval comes from: printed in the source, computed by this site, or none.",
        TEXT,
        "reported; computed; none",
    ),
    Column(
        "p_value",
        "The P value as the source prints it, words and signs included (P = 0.01, P<0.001): text, not a "
        "number; implied_p and fisher_p are numbers.",
        TEXT,
    ),
    Column(
        "sided",
        "Whether the source says the P value is one-sided or two-sided; empty when it does not say (most "
        "P values are two-sided).",
        TEXT,
        "one; two; empty (not stated)",
    ),
    Column(
        "implied_p", "The two-sided P value the printed estimate and interval imply (computed).", PROBABILITY
    ),
    Column(
        "implied_p_low", "The lowest implied P value over the rounding of the printed numbers.", PROBABILITY
    ),
    Column(
        "implied_p_high", "The highest implied P value over the rounding of the printed numbers.", PROBABILITY
    ),
    Column(
        "direction", "The finding as the source states it.", TEXT, "less frequent; more frequent; similar"
    ),
    # differences between arms, computed
    Column(
        "difference_percentage_points",
        "The arm's percentage minus the reference arm's, computed from both counts.",
        POINTS,
    ),
    Column("ci_low_percentage_points", "Lower bound of the difference's confidence interval.", POINTS),
    Column("ci_high_percentage_points", "Upper bound of the difference's confidence interval.", POINTS),
    Column("fisher_p", "Two-sided P value of Fisher's exact test of the two arms' counts.", PROBABILITY),
    # dosing
    Column("day", "Day of the treatment cycle the dose is given.", "integer (day)"),
    Column("dose_min", "The dose, or the lower end of a dose range.", ROW_UNIT),
    Column("dose_max", "The dose, or the upper end of a dose range.", ROW_UNIT),
    Column("route", "How the drug is given, as printed.", TEXT),
    Column("doses_per_cycle", "Doses in one cycle.", "integer (doses)"),
    Column("total_min", "Total dose per cycle (sum of dose_min).", ROW_UNIT),
    Column("total_max", "Total dose per cycle (sum of dose_max).", ROW_UNIT),
    Column("cycle_weeks_min", "Cycle length as printed, or the short end of its range.", "weeks"),
    Column("cycle_weeks_max", "Cycle length as printed, or the long end of its range.", "weeks"),
    Column("cycle_days_min", "cycle_weeks_min × 7 (computed).", "days"),
    Column("cycle_days_max", "cycle_weeks_max × 7 (computed).", "days"),
    Column("cycle_days_how", "How the cycle's days are computed.", TEXT),
    Column("cycle_source", "The sentence of the source that gives the cycle length.", TEXT),
    # the audit
    Column("check", "The check's identifier.", TEXT),
    Column("rule", "The audit rule it applies.", TEXT),
    Column("subject", "What it checks, in words.", TEXT),
    Column("inputs", "The figures it compared, as printed or computed.", TEXT),
    Column("expected", "What they should give.", TEXT),
    Column(
        "result",
        "pass, fail or known discrepancy (a failure of the source itself, with its reason); for "
        "implied-counts rows, the counts the printed percentage allows.",
        TEXT,
    ),
    Column("known_reason", "Why a known discrepancy is accepted.", TEXT),
    Column("file", "The project file the checked figure is in.", TEXT),
    Column("line", "Its line in that file.", "integer (line)"),
    # where it comes from
    Column("source", "The sentence or table row of the source the figure is read from, word for word.", TEXT),
    Column(
        "page",
        "The page of this site that shows the figure: its address relative to the site's root "
        "(studies/<study>/<page>/), as the site links it.",
        TEXT,
    ),
    # the data dictionary itself
    Column("file_name", "A CSV file of this zip.", TEXT),
    Column("column_name", "One of its columns.", TEXT),
    Column("description", "What the column holds.", TEXT),
    Column("unit_or_type", "Its unit, or its type when it has none.", TEXT),
    Column("allowed_values", "The values it may hold, when they are a fixed list (separated by '; ').", TEXT),
)
"""Every column of every CSV download, declared once."""


LAYOUTS: dict[str, tuple[str, ...]] = {
    kind: tuple(columns.split())
    for kind, columns in {
        "proportions": """study registry_id doi outcome label arm subgroup grade set count denominator
            percent_reported status derivation how estimate_percent ci_low_percent ci_high_percent
            ci_method ci_level_percent reported_ci_low_percent reported_ci_high_percent
            reported_ci_level_percent source""",
        "measures": """study registry_id doi outcome label arm subgroup value unit method ci_low ci_high
            ci_method ci_level_percent status source""",
        "effects": """study registry_id doi outcome label arm reference_arm subgroup measure estimate
            ci_low ci_high ci_method ci_level_percent p_value sided implied_p implied_p_low implied_p_high
            status source""",
        "statements": "study registry_id doi event arm reference_arm direction status source",
        "comparisons": """study registry_id doi table outcome label subgroup grade set arm reference_arm
            difference_percentage_points ci_low_percentage_points ci_high_percentage_points ci_method
            ci_level_percent fisher_p""",
        "sets": "study registry_id doi arm set set_label n source",
        "dosing": "study registry_id doi arm day dose_min dose_max unit source",
        "schedules": """study registry_id doi arm route doses_per_cycle total_min total_max unit
            cycle_weeks_min cycle_weeks_max cycle_days_min cycle_days_max cycle_days_how cycle_source""",
        "audit": "study registry_id doi check rule subject inputs expected result known_reason file line",
        "shared": """study registry_id doi study_title year design population arm subgroup measure unit
            estimate ci_low ci_high ci_method ci_level_percent interval status count denominator page""",
        "dictionary": "file_name column_name description unit_or_type allowed_values",
    }.items()
}
"""The columns of each kind of download, in order: the study's tables by kind (model.TABLE_KINDS), the
site's own tables, the comparison pages' tables (`shared`) and the data dictionary."""
IDENTIFIERS = ("study", "registry_id", "doi")
"""The columns that name the study, first in every table of a study."""

DICTIONARY = "data-dictionary.csv"
README = "README.txt"
TABLES_ZIP = "-tables.zip"
"""How the name of each study's zip ends: `<slug>-tables.zip`."""
DATA_VERSION_MARK = "Data version: (stamped when the site is assembled)"
"""The README's data-version line as a study's own build writes it: the site's data version depends on
every study, so it is filled in when the site is assembled (`with_data_version`)."""

SITE_TABLES = {
    "comparisons": "Differences between arms, computed by this site from the counts of each arm.",
    "sets": "The analysis sets the source names, with their patients.",
    "dosing": "The dose on each day of a treatment cycle, by arm, as reported.",
    "schedules": "Each arm's doses per cycle, total dose and cycle length.",
    "audit": "The consistency audit: every check of the printed figures, and what each percentage printed "
    "alone allows.",
}
"""The tables the site writes itself (model.GENERATED_TABLES), in words."""


# Turning the computed tables into downloads ------------------------------------------------------


def _percent(column: pd.Series) -> pd.Series:
    """Fractions (0 to 1) as percentages (0 to 100); empty cells stay empty."""
    return pd.to_numeric(column, errors="coerce") * 100


def _number(value: object) -> str | None:
    """A computed number as every CSV writes it (six significant digits); empty stays empty."""
    number = pd.to_numeric(value, errors="coerce")
    return None if pd.isna(number) else f"{number:.6g}"


def _level_percent(level: float) -> float:
    return round(level * 100, 6)


def _where(known: pd.Series, value: object) -> list[object]:
    return [value if k else None for k in known]


def _proportions(frame: pd.DataFrame, stats: StatisticsSettings) -> pd.DataFrame:
    out = frame.rename(
        columns={
            "percent": "percent_reported",
            "estimate": "estimate_percent",
            "ci_low": "ci_low_percent",
            "ci_high": "ci_high_percent",
            "reported_ci_low": "reported_ci_low_percent",
            "reported_ci_high": "reported_ci_high_percent",
            "ci_level": "reported_ci_level_percent",  # the computed interval's level is the site's
        }
    )
    for name in ("estimate_percent", "ci_low_percent", "ci_high_percent"):
        if name in out:
            out[name] = _percent(out[name])
    if "ci_low_percent" in out:
        computed = out["ci_low_percent"].notna()
        out["ci_method"] = _where(computed, CI_METHOD_NAMES[stats.ci_method])
        out["ci_level_percent"] = _where(computed, _level_percent(stats.ci_level))
    return out


def _as_reported(frame: pd.DataFrame, stats: StatisticsSettings) -> pd.DataFrame:
    """Values and effects: their intervals are printed in the source, at their printed level."""
    out = frame.rename(columns={"ci_level": "ci_level_percent"})
    if "ci_low" in out:
        out["ci_method"] = _where(out["ci_low"].notna(), AS_REPORTED)
    return out


def _differences(frame: pd.DataFrame, stats: StatisticsSettings) -> pd.DataFrame:
    out = frame.rename(
        columns={
            "reference": "reference_arm",
            "difference": "difference_percentage_points",
            "ci_low": "ci_low_percentage_points",
            "ci_high": "ci_high_percentage_points",
        }
    )
    for name in ("difference_percentage_points", "ci_low_percentage_points", "ci_high_percentage_points"):
        out[name] = _percent(out[name])
    computed = out["ci_low_percentage_points"].notna()
    out["ci_method"] = _where(computed, DIFFERENCE_METHOD_NAMES[stats.difference_method])
    out["ci_level_percent"] = _where(computed, _level_percent(stats.ci_level))
    return out


def _unchanged(frame: pd.DataFrame, stats: StatisticsSettings) -> pd.DataFrame:
    return frame


PREPARE: dict[str, Callable[[pd.DataFrame, StatisticsSettings], pd.DataFrame]] = {
    "proportions": _proportions,
    "measures": _as_reported,
    "effects": _as_reported,
    "comparisons": _differences,
}
"""How a computed table of each kind becomes its download (the others are written as they are)."""


def tabulate(
    frame: pd.DataFrame,
    kind: str,
    stats: StatisticsSettings,
    identifiers: Mapping[str, object],
    *,
    whole: bool = True,
) -> pd.DataFrame:
    """A computed table as its download: its columns renamed and in the units `COLUMNS` declares,
    the study named on every row, in the order of its kind's layout.

    A `whole` table has exactly its layout's columns. The data behind a chart holds some of them:
    those are kept, in the layout's order, and any other column after them."""
    out = PREPARE.get(kind, _unchanged)(frame.reset_index(drop=True), stats)
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
        "doi": meta.citation.doi,
    }


def table_frames(
    result: StudyResults, audit: AuditReport, stats: StatisticsSettings
) -> dict[str, pd.DataFrame]:
    """Each table of the study as its download, by file name: its own tables, then the site's."""
    ids = study_identifiers(result)
    frames = {}
    for kind, tables in (
        ("proportions", result.proportions),
        ("measures", result.measures),
        ("effects", result.effects),
        ("statements", result.findings),
    ):
        frames.update({f"{name}.csv": tabulate(frame, kind, stats, ids) for name, frame in tables.items()})
    if not result.comparisons.empty:
        frames["comparisons.csv"] = tabulate(result.comparisons, "comparisons", stats, ids)
    frames["sets.csv"] = tabulate(result.sets, "sets", stats, ids)
    if not result.schedules.empty:
        frames["dosing.csv"] = tabulate(result.dosing, "dosing", stats, ids)
        frames["schedules.csv"] = tabulate(result.schedules, "schedules", stats, ids)
    frames["audit.csv"] = tabulate(audit_frame(audit), "audit", stats, ids)
    return frames


def table_csvs(result: StudyResults, audit: AuditReport, stats: StatisticsSettings) -> dict[str, bytes]:
    """Each table of the study as the site computed it, as CSV, by file name."""
    return {name: to_csv(frame) for name, frame in table_frames(result, audit, stats).items()}


def chart_kind(key: str, result: StudyResults) -> str | None:
    """The kind of table a study's chart draws: charts are keyed by table name (and `dosing`)."""
    for kind, tables in (
        ("proportions", result.proportions),
        ("measures", result.measures),
        ("effects", result.effects),
    ):
        if key in tables:
            return kind
    return "dosing" if key == "dosing" else None


def chart_frame(key: str, chart: Chart, result: StudyResults, stats: StatisticsSettings) -> pd.DataFrame:
    """The data behind one of the study's charts, in the columns and units of its table."""
    kind = chart_kind(key, result)
    ids = study_identifiers(result)
    if kind is None:
        return chart.data.assign(**ids)[[*IDENTIFIERS, *chart.data.columns]]
    tables = {"proportions": result.proportions, "measures": result.measures, "effects": result.effects}
    data = with_row_keys(chart.data, tables[kind][key]) if kind in tables else chart.data
    return tabulate(data, kind, stats, ids, whole=False)


ROW_KEYS = ("subgroup", "grade", "set")
"""What tells apart rows of a table about the same outcome and arm."""


def with_row_keys(data: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """A chart's rows with the columns of its table that tell rows apart (two grades of one event), when
    its rows are rows of the table (same index, outcome and arm); otherwise as they are."""
    missing = [name for name in ROW_KEYS if name in table and name not in data]
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
    level = reported_number(_level_percent(stats.ci_level))
    registrations = "; ".join(f"{r.registry} {r.id}" for r in meta.design.registrations) or "none recorded"
    lines = [
        f"Tables of one study: {meta.short_title}",
        "",
        f"Study: {result.study.slug}",
        f"Citation: {vancouver_reference(meta.citation)}",
        f"DOI: https://doi.org/{meta.citation.doi}",
        *([f"PMID: {meta.citation.pmid}"] if meta.citation.pmid else []),
        f"Registration: {registrations}",
        DATA_VERSION_MARK,
        "",
        "Intervals",
        f"- Computed by this site for a proportion: {level}% confidence intervals, "
        f"{CI_METHOD_NAMES[stats.ci_method]} method.",
        f"- Computed for a difference between two arms: {level}% confidence intervals, "
        f"{DIFFERENCE_METHOD_NAMES[stats.difference_method]} method.",
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


def tables_zip(result: StudyResults, frames: Mapping[str, pd.DataFrame], config: SiteConfig) -> bytes:
    """The study's tables, their data dictionary and a README, in a folder named after the study."""
    slug = result.study.slug
    files = {f"{slug}/{name}": to_csv(frame) for name, frame in frames.items()}
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
    files = {f"{folder}/data/{name}": to_csv(frame) for name, frame in frames.items()}
    files.update(
        {
            f"{folder}/data/chart-{key}.csv": to_csv(chart_frame(key, chart, result, stats))
            for key, chart in charts.items()
        }
    )
    files[f"{folder}/data/{slug}{TABLES_ZIP}"] = tables_zip(result, frames, config)
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
            out.loc[proportion, name] = _percent(out.loc[proportion, name])
            printed = out.pop(f"{name}_printed") if f"{name}_printed" in out else None
            if (
                printed is not None
            ):  # a figure the source prints keeps its digits (4.0), as in the study's CSV
                out[name] = [p if p else _number(v) for p, v in zip(printed, out[name], strict=True)]
    if "page" in out:
        out["page"] = [None if pd.isna(p) or not p else page_url(p) for p in out["page"]]
    out["unit"] = [shared_unit(m) for m in out["measure"]]
    if "ci_level" in out:
        out["ci_level_percent"] = [
            None if pd.isna(v) else _level_percent(float(v)) for v in out.pop("ci_level")
        ]
    if "interval" in out:
        methods = {"reported": AS_REPORTED, "computed": CI_METHOD_NAMES[stats.ci_method]}
        out["ci_method"] = [methods.get(i) for i in out["interval"]]
        pooled = out.index[out["study"] == "pooled"]
        for i, method in zip(pooled, pooled_methods, strict=False):
            out.at[i, "ci_method"] = method
    return tabulate(out, "shared", stats, {}, whole=whole)


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
    """The manifest of the build: its identity, the licence of its data and every figure it published."""
    manifest = {**site, "licence": licence.as_json(), "values": values}
    return (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode()


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
