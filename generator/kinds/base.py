"""What a kind of table is: one object that owns everything the site does with its tables.

A study names its CSV files freely; the loader tells a table's kind by its columns (`Kind.columns`,
`Kind.row`). From then on every stage asks the table's kind: how it is analysed (`analyse`), which
figures it publishes (`add_values`), which audit rules it applies (`audit`), its chart (`chart`), the
template of its page section (`template`), its download (`download`), whether and how its rows are
compared across studies (`compared_as`, `entry_fields`, `figure_text`, ...) or lead the overview
(`headline`), and the example table of a new study (`example`).

A kind is a subclass of `Kind` in its own module of this package, listed once in the registry
(`generator.kinds.KINDS`). The stages never name a kind: they iterate over the kinds a study has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from generator.analysis import StudyResults, with_arm_labels
from generator.audit import Check, ImpliedCounts
from generator.columns import Column
from generator.config import StatisticsSettings
from generator.errors import Problem
from generator.formatting import NumberFormat, reported_number
from generator.methods import Methods, any_value
from generator.model import ALL_PATIENTS, AnalysisSet, Strict
from generator.values import FigureField, Value, ValueBook

if TYPE_CHECKING:  # types only: the loader imports the kinds, and the charts only the pages need
    from generator.charts import Chart
    from generator.load import Study
    from generator.summary import ComparisonEntry


Record = dict[Any, Any]
"""A row of a table, as `DataFrame.to_dict("records")` gives it: its cells by column name."""


def _as_it_is(frame: pd.DataFrame, stats: StatisticsSettings) -> pd.DataFrame:
    return frame


@dataclass(frozen=True)
class Download:
    """How a computed table becomes its CSV download: its columns in order (each declared once, in
    `generator.columns.COLUMNS` or by a kind, `Kind.new_columns`), and how its values are put in the
    units those columns declare."""

    layout: tuple[str, ...]
    prepare: Callable[[pd.DataFrame, StatisticsSettings], pd.DataFrame] = _as_it_is
    description: str = ""
    """What the file holds, in words, for a table the site computes (the zip's README)."""


def column_names(text: str) -> tuple[str, ...]:
    """A layout written as words: 'study doi outcome' -> ('study', 'doi', 'outcome')."""
    return tuple(text.split())


class Kind:
    """A kind of table a study may hold. Subclasses set the class attributes and override the methods
    their tables need; the defaults suit a table shown and downloaded as it is."""

    name: ClassVar[str]
    """The kind's one name: in messages, the schema's file name, the registry and comparison entries."""
    row: ClassVar[type[Strict]]
    """The schema of one row of its CSV files."""
    columns: ClassVar[tuple[str, ...]]
    """The columns every table of this kind has; the row's other fields are optional columns."""
    title: ClassVar[str]
    description: ClassVar[str]
    help: ClassVar[Mapping[str, str]] = {}
    """What a field of the row means, for the fields the row's schema gives no description."""
    template: ClassVar[str]
    """The template of its section on a page, relative to the templates folder."""
    download: ClassVar[Download]
    example: ClassVar[tuple[str, list[dict[str, Any]]]]
    """The example table of a new study: its file name (without .csv) and its rows. Each quote begins a
    sentence of the example source: a skeleton marks each sentence and each quote as a placeholder."""
    example_source: ClassVar[str] = ""
    """Sentences its example rows quote, added to the new study's example abstract (`generator.skeleton`);
    empty when they quote what the abstract already says."""
    headline: ClassVar[bool] = False
    """Whether a row of its tables can lead the overview as a card (study.yml's `headline`)."""
    effect: ClassVar[bool] = False
    """Whether its rows are effects of one group against another (an estimate, its interval, a P value):
    such a row is a study's main result by default (`generator.primary`)."""
    may_hold_harms: ClassVar[bool] = False
    """Whether study.yml's `harms` may name one of its tables (adverse events, shown without tests)."""
    compared_as: ClassVar[str | None] = None
    """Its figures in words on a comparison page; None when its rows are not compared across studies."""
    pooled: ClassVar[bool] = False
    """Whether a comparison of its figures can pool them (with pooling on in site_config.yml)."""
    measured_in_units: ClassVar[bool] = False
    """Whether an entry's measure is a unit (months) rather than an effect measure."""
    audit_rank: ClassVar[int] = 0
    """Where its checks come in the audit's list (lower first; the registry's order among equals)."""
    new_columns: ClassVar[tuple[Column, ...]] = ()
    """The columns only its downloads have (its data dictionary entries); `generator.columns.COLUMNS`
    declares those the downloads share."""
    rules: ClassVar[Mapping[str, str]] = {}
    """Audit rules of its own, beside the audit's shared ones (`generator.audit.RULES`), by id."""
    one_table: ClassVar[bool] = False
    """Whether a study holds at most one table of this kind (two would tell two stories)."""
    page: ClassVar[str | None] = None
    """The page its tables go on when study.yml's `pages` does not place them: None for the study's
    result pages, `model.DESIGN_PAGE` for the design page, under the kind's title."""

    def __repr__(self) -> str:
        return f"<kind {self.name}>"

    @property
    def optional_columns(self) -> tuple[str, ...]:
        return tuple(name for name in self.row.model_fields if name not in self.columns)

    # Loading

    def implied(self, study: Study) -> dict[str, pd.DataFrame]:
        """The tables of this kind a study gives without a CSV file, from its study.yml alone, by table
        name: their rows as the loader reads a CSV file's (the row's fields and `line`). The loader
        adds them to a study that has loaded without a problem; none by default."""
        return {}

    def check_rows(self, study: Study, path: Path, table: pd.DataFrame) -> list[Problem]:
        """The problems of one of its tables beyond those every table is checked for (its arms, quotes
        and analysis sets), each located by line and field; none by default."""
        return []

    # Analysis

    def analyse(
        self, study: Study, tables: dict[str, pd.DataFrame], settings: StatisticsSettings
    ) -> dict[str, pd.DataFrame]:
        """Its tables as computed, by table name: as loaded, with each arm's label."""
        return {name: with_arm_labels(table, study) for name, table in tables.items()}

    def computed(
        self, study: Study, tables: dict[str, pd.DataFrame], settings: StatisticsSettings
    ) -> dict[str, pd.DataFrame]:
        """Tables it computes across its tables (by name, such as comparisons between arms)."""
        return {}

    # Figures

    def add_values(
        self, book: ValueBook, table: str, frame: pd.DataFrame, results: StudyResults, fmt: NumberFormat
    ) -> None:
        """Add each figure of one of its tables to the study's book of values."""

    def add_computed_values(self, book: ValueBook, results: StudyResults, fmt: NumberFormat) -> None:
        """Add the figures of the tables it computes (after every table's own)."""

    # The audit

    def audit(
        self, table: str, frame: pd.DataFrame, results: StudyResults, file: str
    ) -> tuple[list[Check], list[ImpliedCounts]]:
        """The checks of one of its tables, and what each percentage printed alone allows."""
        return [], []

    # Pages

    def chart(self, table: str, title: str, frame: pd.DataFrame, fmt: NumberFormat) -> Chart | None:
        """The chart of one of its tables under a section titled `title`; None when it has none."""
        return None

    def computed_downloads(self) -> dict[str, Download]:
        """The downloads of the tables it computes, by table name."""
        return {}

    def methods(self, table: str, results: StudyResults) -> Methods:
        """The methods the figures of one of its tables use, which the page's notes name: by default,
        intervals printed by the source (a `ci_low` column) and the P value an interval implies (an
        `implied_p` column), where the table has them."""
        frame = results.frame(table)
        return Methods(reported_intervals=any_value(frame, "ci_low"), implied_p=any_value(frame, "implied_p"))

    def harms_by_default(self, frame: pd.DataFrame) -> bool:
        """Whether one of its tables holds adverse events when study.yml's `harms` does not say
        (`Study.is_harms`); never by default."""
        return False

    def population(self, study: Study, record: Record) -> str:
        """Who a row is about, for its Patients column: 'All patients · Transplanted, n = 36'."""
        return row_population(study, record)

    # Comparisons across studies and headlines

    def main_figure(self, values: Mapping[str, Value]) -> Value | None:
        """The figure of a row that stands for it on a headline card or a comparison page."""
        return values.get(FigureField.ESTIMATE)

    def compared_groups(self, record: Record) -> list[tuple[str, Record]]:
        """For a row comparing two groups: the rows (table name, row) that give each group's events and
        total, where the study has them; none by default."""
        return []

    def entry_fields(self, study: Study, record: Record, fmt: NumberFormat) -> dict[str, Any]:
        """A row's fields of a comparison entry (arm, population, measure, estimate, interval, ...)."""
        raise NotImplementedError(f"tables of {self.name} are not compared across studies")

    def figure_text(self, entry: ComparisonEntry, fmt: NumberFormat | None) -> str:
        """An entry's estimate in words (its estimate is a number)."""
        assert entry.estimate is not None
        return reported_number(entry.estimate)

    def bounds_text(self, entry: ComparisonEntry, fmt: NumberFormat | None) -> tuple[str, str]:
        """An entry's interval bounds in words (its interval has both)."""
        assert entry.ci_low is not None and entry.ci_high is not None
        return reported_number(entry.ci_low), reported_number(entry.ci_high)


def table_file(results: StudyResults, table: str) -> str:
    """A table's CSV file as the site names it."""
    return f"{results.study.published_folder}/{table}.csv"


# Plain numbers of a row, for comparison entries: a missing cell is None, never NaN


def float_or_none(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def int_or_none(value: object) -> int | None:
    number = float_or_none(value)
    return None if number is None else int(number)


def level_or_none(value: object) -> float | None:
    """An interval's level as a fraction: 95 -> 0.95 (a fraction stays one)."""
    number = float_or_none(value)
    return None if number is None else (number / 100 if number > 1 else number)


def text_or_none(value: object) -> str | None:
    return (
        None if value is None or (isinstance(value, float) and value != value) or value == "" else str(value)
    )


def printed_cells(estimate: object, low: object, high: object) -> dict[str, str]:
    """The estimate and interval bounds as the source prints them (digits kept: '4.0'), where it does."""
    cells = {"estimate_printed": estimate, "ci_low_printed": low, "ci_high_printed": high}
    return {name: str(value) if float_or_none(value) is not None else "" for name, value in cells.items()}


def arm_population(study: Study, record: Record, denominator: int | None = None) -> str:
    """Who a row is about: 'Treated, n = 116' (the arm's own count for an arm), or 'n = 36' for a
    proportion of a subset the analysis sets do not name."""
    analysis_set, named = row_set(study, record)
    n = set_patients(study, analysis_set, record["arm"])
    if denominator is not None and denominator != n and not named:
        return f"n = {denominator}"
    return f"{analysis_set.name}, n = {n}" if n is not None else analysis_set.name


def two_group_population(study: Study, record: Record) -> str:
    """'Randomized, n = 271 vs 134': a comparison's analysis set, with the patients of both groups where
    known."""
    analysis_set, _ = row_set(study, record)
    ours = set_patients(study, analysis_set, record["arm"])
    theirs = set_patients(study, analysis_set, record.get("reference_arm"))
    both = ours is not None and theirs is not None
    return f"{analysis_set.name}, n = {ours} vs {theirs}" if both else analysis_set.name


def row_population(study: Study, record: Record) -> str:
    """A row's arm and the analysis set its denominator is: 'All patients · Transplanted, n = 36',
    'Weekly · Treated, n = 41', 'Weekly · n = 38' for a subset the analysis sets do not name, or
    'Weekly · denominator not given' for a percentage printed without its denominator or set."""
    denominator = int_or_none(record.get("denominator"))
    if "denominator" in record and denominator is None and text_or_none(record.get("set")) is None:
        return f"{study.arm_label(record['arm'])} · denominator not given"
    return f"{study.arm_label(record['arm'])} · {arm_population(study, record, denominator)}"


def row_set(study: Study, record: Record) -> tuple[AnalysisSet, bool]:
    """The analysis set a row names (else the study's first), and whether it names one."""
    sets = {s.id: s for s in study.meta.population.sets}
    named = text_or_none(record.get("set"))
    return sets.get(named or "", study.meta.population.sets[0]), named is not None


def set_patients(study: Study, analysis_set: AnalysisSet, arm: str | None) -> int | None:
    """The patients of an analysis set of the whole study: of all patients, or of one arm."""
    if arm == ALL_PATIENTS:
        return analysis_set.n
    arm_sets = next((a.sets for a in study.meta.arms if a.id == arm), [])
    return next((s.n for s in arm_sets if s.id == analysis_set.id), None)


def as_printed(record: Record, estimate: object, measure: object) -> dict[str, Any]:
    """The comparison fields of a row printed with its interval, if any (a measure or an effect). A
    half-open interval (one bound in words, such as 'not reached') is reported with its one number."""
    low, high = float_or_none(record.get("ci_low")), float_or_none(record.get("ci_high"))
    words = [text_or_none(record.get(b)) for b in ("ci_low", "ci_high")]
    half_open = (low is None) != (high is None) and all(words)
    has_interval = (low is not None and high is not None) or half_open
    bounds = (record.get("ci_low"), record.get("ci_high")) if has_interval else (None, None)
    return dict(
        measure=str(measure),
        estimate=float_or_none(estimate),
        ci_low=low if has_interval else None,
        ci_high=high if has_interval else None,
        ci_level=level_or_none(record.get("ci_level")) if has_interval else None,  # as printed, or unknown
        interval="reported" if has_interval else "none",
        status=str(record.get("status") or "reported"),
        **printed_cells(estimate, *bounds),
    )
