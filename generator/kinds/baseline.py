"""Baseline characteristics: who the patients were at the start, per arm, as printed (CONSORT's "Table 1").

A row is one characteristic (or one category of it, such as ECOG 0) of one arm: either n (%), a count
with its denominator and the percentage as printed, or a value summarised by its measure (mean,
median) with its spread (SD, IQR, range). Nothing is computed from them and the arms are not tested
against each other (CONSORT: baseline differences get no significance tests). The audit checks each
printed percentage against n/N (the proportions kind's rounding check), each figure against its
quote, and that a median or mean lies within its printed IQR or range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pandas as pd
from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from generator.analysis import StudyResults
from generator.audit import Check, ImpliedCounts, figures_in_quotes, has
from generator.columns import ROW_UNIT, TEXT, Column
from generator.config import StatisticsSettings
from generator.errors import Problem
from generator.formatting import NumberFormat, reported_number
from generator.frames import records
from generator.kinds.base import Download, Kind, column_names, table_file
from generator.kinds.proportions import _denominator_source as denominator_source
from generator.kinds.proportions import _percent_rounding as percent_rounding
from generator.model import ALL_PATIENTS, DESIGN_PAGE, KEY, Strict, slugify
from generator.values import FigureField as F
from generator.values import Value, ValueBook

if TYPE_CHECKING:
    from generator.load import Study

BOUNDED_SPREADS = ("iqr", "range")
"""Spreads printed as two bounds (spread_low, spread_high)."""
SINGLE_SPREADS = ("sd", "se")
"""Spreads printed as one number (spread_value)."""
SPREAD_NAMES = {"sd": "SD", "se": "SE", "iqr": "IQR", "range": "range"}
COUNT_FIELDS = ("count", "denominator", "percent")
MEASURE_FIELDS = ("value", "unit", "measure", "spread", "spread_low", "spread_high", "spread_value")
QUOTED_FIGURES = ["count", "percent", "value", "spread_low", "spread_high", "spread_value"]
"""The figures of a row the audit looks for in its quote (the denominator is often the arm's N, printed
in a column heading)."""


MAX_NUMBER = 1e150
"""The largest value or spread a row may give (1e+400 would be infinite as a float)."""


class BaselineRow(Strict):
    """A row of a baseline characteristics table: one characteristic (or category) of one arm, as printed:
    n (%) (count, denominator, percent) or a value with its measure and spread."""

    characteristic: str = Field(
        pattern=KEY.pattern,
        description="The characteristic's key: lowercase letters, digits and underscores.",
    )
    label: str = Field(description="The characteristic as printed, such as Age, years or Female sex.")
    category: str | None = Field(
        None, description="A category of the characteristic, as printed, such as ECOG 0; empty for none."
    )
    arm: str = Field(description="An arm id of study.yml, or all for every patient.")
    count: NonNegativeInt | None = Field(None, description="Patients with the characteristic, as printed.")
    denominator: PositiveInt | None = Field(None, description="Patients the count is out of, if printed.")
    percent: Decimal | None = Field(None, ge=0, le=100, description="The percentage as printed.")
    value: Decimal | None = Field(None, description="The value as printed (52.0 stays 52.0).")
    unit: str | None = Field(None, description="The value's unit, such as years; empty for a score.")
    measure: Literal["mean", "median"] | None = Field(None, description="What the value is: mean or median.")
    spread: Literal["sd", "se", "iqr", "range"] | None = Field(
        None, description="The spread printed with the value: sd, se (spread_value), iqr or range (bounds)."
    )
    spread_low: Decimal | None = Field(None, description="The lower bound of an IQR or range, as printed.")
    spread_high: Decimal | None = Field(None, description="The upper bound of an IQR or range, as printed.")
    spread_value: Decimal | None = Field(None, ge=0, description="An SD or SE, as printed.")
    status: Literal["reported"] = Field(description="Always reported: a baseline table is printed.")
    source: str = Field(description="The sentence or table row of a source the row is read from.")

    @model_validator(mode="after")
    def _one_form(self) -> BaselineRow:
        counted = [name for name in COUNT_FIELDS if getattr(self, name) is not None]
        measured = [name for name in MEASURE_FIELDS if getattr(self, name) is not None]
        if counted and measured:
            raise ValueError(
                "a row gives either n (%) (count, denominator, percent) or a value with its measure "
                f"(value, unit, measure, spread), not both; this row has {', '.join(counted + measured)}"
            )
        if not counted and not measured:
            raise ValueError(
                "a row needs its figure: n (%) (count, with denominator and percent as printed), a "
                "percent alone, or a value with its measure (mean or median)"
            )
        if counted:
            self._check_count()
        else:
            self._check_measure()
        return self

    def _check_count(self) -> None:
        if self.denominator is not None and self.count is None:
            raise ValueError(f"denominator {self.denominator} goes with a count (n of N); count is empty")
        if self.count is not None and self.denominator is not None and self.count > self.denominator:
            raise ValueError(f"count {self.count} is larger than its denominator {self.denominator}")

    def _check_measure(self) -> None:
        if self.value is None:
            raise ValueError("a measure needs its value as printed; value is empty")
        if self.measure is None:
            raise ValueError(f"value {self.value} needs its measure: mean or median")
        numbers = [self.value, self.spread_low, self.spread_high, self.spread_value]
        beyond = [str(n) for n in numbers if n is not None and not abs(float(n)) <= MAX_NUMBER]
        if beyond:
            raise ValueError(
                f"{beyond[0]} is beyond what can be shown and computed with (at most {MAX_NUMBER:g} in "
                "size); is a digit or an exponent mistyped?"
            )
        bounds = [name for name in ("spread_low", "spread_high") if getattr(self, name) is not None]
        if self.spread is None:
            given = [*bounds, *(["spread_value"] if self.spread_value is not None else [])]
            if given:
                raise ValueError(f"{', '.join(given)}: expected the spread they give (sd, se, iqr or range)")
            return
        name = SPREAD_NAMES[self.spread]
        if self.spread in BOUNDED_SPREADS:
            if self.spread_value is not None:
                raise ValueError(f"{name} has two bounds (spread_low, spread_high), not spread_value")
            if len(bounds) < 2:
                raise ValueError(f"{name} needs both bounds as printed: spread_low and spread_high")
            assert self.spread_low is not None and self.spread_high is not None
            if self.spread_low > self.spread_high:
                raise ValueError(f"spread_low {self.spread_low} is above spread_high {self.spread_high}")
        else:
            if bounds:
                raise ValueError(f"an {name} is one number (spread_value), not bounds ({', '.join(bounds)})")
            if self.spread_value is None:
                raise ValueError(f"an {name} needs its spread_value as printed")


def _download(frame: pd.DataFrame, stats: StatisticsSettings) -> pd.DataFrame:
    return frame.rename(columns={"percent": "percent_reported", "measure": "summary_measure"})


class Baseline(Kind):
    name = "baseline"
    row = BaselineRow
    columns = ("characteristic", "label", "arm", "status", "source")
    title = "Baseline characteristics"
    description = (
        "Who the patients were at the start, per arm, as printed: n (%), or a mean or median with its "
        "spread (SD, IQR, range)."
    )
    template = "kinds/baseline.md.j2"
    page = DESIGN_PAGE  # who the patients were: beside the population, not among the results
    download = Download(
        column_names(
            """study registry_id doi characteristic label category arm count denominator percent_reported
            summary_measure value unit spread spread_low spread_high spread_value status source"""
        ),
        _download,
    )
    new_columns: ClassVar[tuple[Column, ...]] = (
        Column("characteristic", "The baseline characteristic's key in the study's table.", TEXT),
        Column("category", "A category of the characteristic as printed (ECOG 0); empty for none.", TEXT),
        Column("summary_measure", "How the value summarises the patients, as printed.", TEXT, "mean; median"),
        Column(
            "spread",
            "The spread printed with the value: standard deviation, standard error, interquartile range "
            "or range.",
            TEXT,
            "sd; se; iqr; range",
        ),
        Column("spread_low", "The lower bound of the printed IQR or range.", ROW_UNIT),
        Column("spread_high", "The upper bound of the printed IQR or range.", ROW_UNIT),
        Column("spread_value", "The printed SD or SE.", ROW_UNIT),
    )
    rules: ClassVar[Mapping[str, str]] = {
        "spread-contains-value": "A median or mean of a baseline characteristic lies within its printed "
        "interquartile range or range",
    }
    example = (
        "baseline",
        [
            {
                "characteristic": "age",
                "label": "Age, years",
                "arm": "drug-a",
                "value": "58",
                "unit": "years",
                "measure": "median",
                "spread": "range",
                "spread_low": "31",
                "spread_high": "79",
                "status": "reported",
                "source": "The median age was 58 years (range, 31 to 79) with drug A",
            },
            {
                "characteristic": "female",
                "label": "Female sex",
                "arm": "drug-a",
                "count": 16,
                "denominator": 30,
                "percent": "53",
                "status": "reported",
                "source": "16 of the 30 patients (53%) assigned to drug A were women",
            },
        ],
    )
    example_source = (
        "The median age was 58 years (range, 31 to 79) with drug A. "
        "16 of the 30 patients (53%) assigned to drug A were women."
    )

    # Figures

    def add_values(
        self, book: ValueBook, table: str, frame: pd.DataFrame, results: StudyResults, fmt: NumberFormat
    ) -> None:
        for record in records(frame):
            record["denominator_source"] = denominator_source(results, record)  # else an analysis set's
            _row_values(book, table, record, table_file(results, table))

    # The audit

    def audit(
        self, table: str, frame: pd.DataFrame, results: StudyResults, file: str
    ) -> tuple[list[Check], list[ImpliedCounts]]:
        """Figures in their quotes and percentages against n/N, by the shared checks (a row read as a
        proportion of its characteristic), and each median or mean within its IQR or range."""
        rows = _as_outcomes(frame)
        checks = figures_in_quotes(table, rows, QUOTED_FIGURES, file)
        checks += percent_rounding(table, rows, file)
        checks += _spread_contains_value(table, rows, file)
        return checks, []

    # The loader

    def check_rows(self, study: Study, path: Path, table: pd.DataFrame) -> list[Problem]:
        """Two rows for the same characteristic (and category) of the same arm."""
        problems: list[Problem] = []
        first: dict[tuple[str, str, str], int] = {}
        for record in records(table):
            key = (record["characteristic"], slugify(record["category"] or ""), record["arm"])
            line = first.setdefault(key, record["line"])
            if line != record["line"]:
                what = record["characteristic"] + (f" ({record['category']})" if record["category"] else "")
                message = f"duplicate row for {what}@{record['arm']}: line {line} already gives it; keep one"
                problems.append(Problem(path, message, line=record["line"]))
        return problems

    # Pages

    def grid(self, book: ValueBook, table: str, rows: list[dict], study: Study) -> Grid:
        """The section's table: one line per characteristic (a heading line, then one per category),
        one column per arm (then all patients), each cell the row's figures."""
        return baseline_grid(book, table, rows, study)


# Figures


def row_name(record: Mapping[Any, Any]) -> str:
    """'age', 'ecog/ecog-0': what a row is about, its characteristic and category."""
    category = f"/{slugify(record['category'])}" if record.get("category") else ""
    return f"{record['characteristic']}{category}"


def row_base(table: str, record: Mapping[Any, Any]) -> str:
    """'baseline/age@drug-a', 'baseline/ecog/ecog-0@drug-a': a row's key, in figure and check ids."""
    return f"{table}/{row_name(record)}@{record['arm']}"


def _subject(record: Mapping[Any, Any]) -> str:
    """'ECOG performance status: ECOG 0'."""
    return f"{record['label']}: {record['category']}" if record.get("category") else str(record["label"])


def bounds_text(low: Decimal, high: Decimal) -> str:
    """'18–80' as a table prints a range; '-2 to 3' when a bound is negative."""
    joint = " to " if low < 0 or high < 0 else "–"
    return f"{reported_number(low)}{joint}{reported_number(high)}"


def _row_values(book: ValueBook, table: str, r: dict, file: str) -> None:
    base, line, quote = f"{book.slug}/{row_base(table, r)}", r["line"], r["source"]
    label = f"{_subject(r)}, {r['arm_label']}"

    def add(field: str, what: str, text: str, number: float | list[float | None], said: str = quote) -> None:
        book.add(
            Value(f"{base}/{field}", f"{label}: {what}", text, number, "reported", said, file=file, line=line)
        )

    if has(r["count"]):
        add(F.COUNT, "patients", str(int(r["count"])), int(r["count"]))
    if has(r["denominator"]):
        add(
            F.DENOMINATOR,
            "patients in the denominator",
            str(int(r["denominator"])),
            int(r["denominator"]),
            r["denominator_source"],
        )
    if has(r["percent"]):
        add(F.PERCENT, "percentage as reported", f"{reported_number(r['percent'])}%", float(r["percent"]))
    if has(r["value"]):
        unit = f" ({r['unit']})" if r["unit"] else ""
        add(F.VALUE, f"{r['measure']}{unit}", reported_number(r["value"]), float(r["value"]))
    if r["spread"] in BOUNDED_SPREADS:
        low, high = r["spread_low"], r["spread_high"]
        add(F.SPREAD, SPREAD_NAMES[r["spread"]], bounds_text(low, high), [float(low), float(high)])
    elif r["spread"] in SINGLE_SPREADS:
        add(F.SPREAD, SPREAD_NAMES[r["spread"]], reported_number(r["spread_value"]), float(r["spread_value"]))


# The audit


def _as_outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows as the shared checks read a proportion's: the row's key as its outcome (so check ids
    are `table/<row key>/...`), its label with its category, no derivation."""
    rows = frame.copy()
    cells = records(frame)
    rows["outcome"] = [row_name(r) for r in cells]
    rows["label"] = [_subject(r) for r in cells]
    rows["derivation"] = None
    return rows


def _spread_contains_value(table: str, rows: pd.DataFrame, file: str) -> list[Check]:
    checks = []
    for row in records(rows):
        if row["spread"] not in BOUNDED_SPREADS:
            continue
        value, low, high = row["value"], row["spread_low"], row["spread_high"]
        name = SPREAD_NAMES[row["spread"]]
        subject = row["label"] if row["arm"] == ALL_PATIENTS else f"{row['label']}, {row['arm_label']}"
        checks.append(
            Check(
                f"{table}/{row['outcome']}@{row['arm']}/spread-contains-value",
                "spread-contains-value",
                subject,
                f"{row['measure']} {value}, {name} {low} to {high}",
                f"{low} ≤ {value} ≤ {high}: the {row['measure']} within its {name}",
                low <= value <= high,
                file,
                row["line"],
                data=f"{row['measure']} {value}, {name} {low} to {high}",
                computed=f"finds {value} {'within' if low <= value <= high else 'outside'} {low} to {high}",
            )
        )
    return checks


# Pages


@dataclass(frozen=True)
class Cell:
    """One arm's figures of one line: n/N (%), or the measure, value, spread and unit; each a Value."""

    count: Value | None = None
    denominator: Value | None = None
    percent: Value | None = None
    value: Value | None = None
    spread: Value | None = None
    measure: str | None = None
    spread_name: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class ArmColumn:
    id: str
    label: str


@dataclass(frozen=True)
class Line:
    """A line of the section's table: a characteristic, or one of its categories (`category` set); a
    characteristic with categories has a heading line first (`cells` empty)."""

    label: str
    category: str | None
    cells: list[Cell | None]
    quotes: list[str]


@dataclass(frozen=True)
class Grid:
    arms: list[ArmColumn]
    lines: list[Line]


def baseline_grid(book: ValueBook, table: str, rows: list[dict], study: Study) -> Grid:
    order = [a.id for a in study.meta.arms] + [g.id for g in study.meta.groups] + [ALL_PATIENTS]
    present = {r["arm"]: r["arm_label"] for r in rows}
    arms = [ArmColumn(arm, present[arm]) for arm in order if arm in present]
    by_line: dict[tuple[str, str], dict[str, dict]] = {}
    for r in rows:
        by_line.setdefault((r["characteristic"], slugify(r["category"] or "")), {})[r["arm"]] = r
    lines, headed = [], set()
    for (characteristic, _), cells in by_line.items():
        first = next(iter(cells.values()))
        if first["category"] and characteristic not in headed:
            headed.add(characteristic)
            lines.append(Line(first["label"], None, [], []))
        quotes = list(dict.fromkeys(str(r["source"]) for r in cells.values()))
        shown = [_cell(book, table, cells[arm.id]) if arm.id in cells else None for arm in arms]
        lines.append(Line(first["label"], first["category"], shown, quotes))
    return Grid(arms, lines)


def _cell(book: ValueBook, table: str, r: dict) -> Cell:
    base = f"{book.slug}/{row_base(table, r)}/"
    values = book.values
    return Cell(
        count=values.get(base + F.COUNT),
        denominator=values.get(base + F.DENOMINATOR),
        percent=values.get(base + F.PERCENT),
        value=values.get(base + F.VALUE),
        spread=values.get(base + F.SPREAD),
        measure=r["measure"],
        spread_name=SPREAD_NAMES[r["spread"]] if r["spread"] else None,
        unit=r["unit"],
    )


KIND = Baseline()
