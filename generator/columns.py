"""The columns of every CSV download, each declared once (`COLUMNS`): a name means the same thing, in the
same unit, in every file; and the conversions that put computed values in those units.

Percentages are 0 to 100 everywhere (columns ending in `_percent`; differences of proportions in
percentage points end in `_percentage_points`), as the pages and data/values.json show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from generator.config import CI_METHOD_NAMES, DIFFERENCE_METHOD_NAMES, StatisticsSettings

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


def declare(*columns: Column) -> dict[str, Column]:
    """Columns by name; a name declared twice is an error."""
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ValueError("a download column is declared twice")
    return {c.name: c for c in columns}


COLUMNS = declare(
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
    Column(
        "status",
        "Whether the row's figure is printed in the source (reported), worked out by this site from printed "
        "figures (derived), or computed by it (computed: a pooled estimate).",
        TEXT,
        "reported; derived; computed",
    ),
    # values and effects as printed
    Column(
        "unit",
        "The unit of the row's value, estimate, interval or dose, as printed ('%' and 'percent': 0 to 100; "
        "'ratio': a ratio).",
        TEXT,
    ),
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
        "interval printed in the source; for a printed difference of two proportions, the method the source "
        "states ('Wald, as the source states') or the standard methods that reproduce it ('Newcombe hybrid "
        "score, identified by the audit'); empty without an interval.",
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
        "pass, fail, known discrepancy (a failure of the source itself, with its reason) or note (a "
        "finding to read, which neither passes nor fails); for "
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
"""The columns the downloads share, declared once; a kind of table declares those only its own
downloads have (`Kind.new_columns`), and `generator.downloads.COLUMNS` holds them all."""


def percent(column: pd.Series) -> pd.Series:
    """Fractions (0 to 1) as percentages (0 to 100); empty cells stay empty."""
    return pd.to_numeric(column, errors="coerce") * 100


def number_text(value: Any) -> str | None:
    """A computed number as every CSV writes it (six significant digits); empty stays empty."""
    number = pd.to_numeric(value, errors="coerce")
    return None if pd.isna(number) else f"{number:.6g}"


def level_percent(level: float) -> float:
    """A confidence level (0.95) in percent (95)."""
    return round(level * 100, 6)


def where_known(known: pd.Series, value: object) -> list[Any]:
    """`value` in the rows that are `known`, empty in the others."""
    return [value if k else None for k in known]


def as_reported(frame: pd.DataFrame, stats: StatisticsSettings) -> pd.DataFrame:
    """Values and effects: their intervals are printed in the source, at their printed level."""
    out = frame.rename(columns={"ci_level": "ci_level_percent"})
    if "ci_low" in out:
        out["ci_method"] = where_known(out["ci_low"].notna(), AS_REPORTED)
    return out
