"""Pure computation: derived counts, percentages, confidence intervals and arm comparisons.

DataFrames and settings in, DataFrames out; no file, template or chart code here. Intervals and
tests come from statsmodels and scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from generator.config import (
    CI_METHODS,
    EXPLORATORY_UNADJUSTED,
    FROM_DERIVED_COUNTS,
    NOT_RANDOMIZED,
    BetweenArmsSettings,
    StatisticsSettings,
)
from generator.difference_intervals import Counts, difference_interval
from generator.errors import DataError, Problem
from generator.frames import records
from generator.model import (
    ALL_PATIENTS,
    RATIO_MEASURES,
    ROW_QUALIFIERS,
    Arm,
    parse_derivation,
    printed_decimals,
    rounding_half,
    row_segments,
)
from generator.recall import is_number, is_pair, remembered

if TYPE_CHECKING:  # the loader tells each table's kind, and the kinds compute with this module
    from generator.load import Study

DAYS_PER_WEEK = 7


def round_half_up(value: Fraction, decimals: int = 0) -> Fraction:
    """Round as papers print percentages: halves go up (57.5 -> 58), computed exactly."""
    scale = 10**decimals
    return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


def counts_matching_percent(percent: Decimal | float, denominator: int) -> list[int]:
    """Every whole count of `denominator` whose percentage rounds to the reported `percent`.

    The rounding is read from the reported value itself: '57' to whole percent, '57.1' to tenths.
    """
    printed = Decimal(str(percent))
    decimals = printed_decimals(printed)
    scaled = Fraction(printed) * 10**decimals  # a whole number: the printed digits
    # round_half_up(100 k / N) == printed  <=>  scaled - 1/2 <= 100 k / N * 10**decimals < scaled + 1/2
    unit = Fraction(denominator, 100 * 10**decimals)
    low = math.ceil((scaled - Fraction(1, 2)) * unit)
    high = math.ceil((scaled + Fraction(1, 2)) * unit) - 1
    return list(range(max(low, 0), min(high, denominator) + 1))


@remembered(is_pair)
def proportion_ci(count: int, total: int, level: float, method: str) -> tuple[float, float]:
    """Confidence interval of count/total as fractions, by a method named in site_config.yml."""
    from statsmodels.stats.proportion import proportion_confint  # slow to import: only when computing

    low, high = proportion_confint(count, total, alpha=1 - level, method=CI_METHODS[method])
    return float(low), float(high)


@dataclass(frozen=True)
class Comparison:
    """Arm minus reference arm, for one outcome."""

    difference: float
    ci_low: float
    ci_high: float
    fisher_p: float


def compare_proportions(
    count: int, total: int, ref_count: int, ref_total: int, settings: StatisticsSettings
) -> Comparison:
    """Difference count/total - ref_count/ref_total with its interval, and Fisher's exact test."""
    counts = Counts(count, total, ref_count, ref_total)
    low, high = difference_interval(settings.difference_method, counts, settings.ci_level) or (
        math.nan,
        math.nan,
    )
    p_value = fisher_p(count, total, ref_count, ref_total)
    return Comparison(count / total - ref_count / ref_total, float(low), float(high), p_value)


@remembered(is_number)
def fisher_p(count: int, total: int, ref_count: int, ref_total: int) -> float:
    """Fisher's exact test (two-sided, scipy) of count/total against ref_count/ref_total."""
    from scipy.stats import fisher_exact

    table = [[count, total - count], [ref_count, ref_total - ref_count]]
    _, p_value = fisher_exact(table, alternative="two-sided")
    return float(p_value)


def resolve_counts(table: pd.DataFrame, source: Path) -> pd.DataFrame:
    """Fill every derived count from the reported figures; add `how` saying how it was found."""
    resolved = table.copy()
    resolved["how"] = None
    resolved["count"] = resolved["count"].astype(object)
    resolver = _CountResolver(resolved, source)
    for i in resolved.index:
        resolver.count(i)
    if resolver.problems:
        raise DataError(resolver.problems)
    return resolved


class _CountResolver:
    """Works out derived counts, each once, following the rows they use; collects every problem."""

    def __init__(self, frame: pd.DataFrame, source: Path):
        self.frame, self.source = frame, source
        self.index: dict[tuple[Any, Any], Any] = {(r.outcome, r.arm): i for i, r in frame.iterrows()}
        self.done: dict[int, int | None] = {}
        self.visiting: set[int] = set()
        self.problems: list[Problem] = []

    def count(self, i) -> int | None:
        row = self.frame.loc[i]
        if row["status"] == "reported":
            return None if pd.isna(row["count"]) else int(row["count"])
        if i in self.done:
            return self.done[i]
        if i in self.visiting:
            self._problem(row, "derivations refer to each other in a circle")
            return None
        self.visiting.add(i)
        derivation = parse_derivation(row["derivation"])
        refs = [self.frame.loc[self.index[(ref, row["arm"])]] for ref in derivation.refs]
        ref_counts = [self.count(self.index[(r["outcome"], r["arm"])]) for r in refs]
        self.visiting.discard(i)
        count = how = None
        if any(c is None for c in ref_counts):
            self._problem(row, "derivation uses a row whose count is unknown")
        else:
            count, how = _apply(derivation.rule, row, refs, ref_counts, self.source, self.problems)
        if count is not None and not 0 <= count <= int(row["denominator"] or count):
            self._problem(
                row, f"derived count {count} is outside 0 to its denominator {int(row['denominator'])}"
            )
            count, how = None, None
        self.done[i] = count
        self.frame.at[i, "count"], self.frame.at[i, "how"] = count, how
        return count

    def _problem(self, row: pd.Series, message: str) -> None:
        self.problems.append(Problem(self.source, message, line=row["line"], field="derivation"))


def _apply(rule, row, refs, ref_counts, source, problems) -> tuple[int | None, str | None]:
    if rule == "sum":
        total = sum(ref_counts)
        terms = " + ".join(str(c) for c in ref_counts)
        return total, f"{terms} = {total} (sum of {', '.join(r['label'] for r in refs)})"
    if rule == "complement":
        count = int(row["denominator"]) - ref_counts[0]
        return count, f"{int(row['denominator'])} − {ref_counts[0]} = {count} (all minus {refs[0]['label']})"
    matches = counts_matching_percent(row["percent"], int(row["denominator"]))
    if len(matches) != 1:
        found = "no whole count" if not matches else f"{len(matches)} counts ({matches})"
        problems.append(
            Problem(
                source,
                f"from_percent: {found} of {int(row['denominator'])} round to {row['percent']}%; "
                "expected exactly one",
                line=row["line"],
                field="derivation",
            )
        )
        return None, None
    reported = f"{row['percent']}%"
    return matches[0], (
        f"{reported} of {int(row['denominator'])}: {matches[0]} is the only whole count "
        f"that rounds to {reported}"
    )


def summarise_proportions(
    table: pd.DataFrame, study: Study, settings: StatisticsSettings, source: Path
) -> pd.DataFrame:
    """Counts resolved, with the computed percentage and its interval where n/N is known."""
    frame = resolve_counts(table, source)
    frame["arm_label"] = frame["arm"].map(study.arm_label)
    # the interval a source prints is kept apart from the one the site computes
    frame = frame.rename(columns={"ci_low": "reported_ci_low", "ci_high": "reported_ci_high"})
    known = frame["count"].notna() & frame["denominator"].notna()
    frame["estimate"] = None
    frame["ci_low"] = None
    frame["ci_high"] = None
    for i in frame.index[known]:
        count, total = _whole(frame.at[i, "count"]), _whole(frame.at[i, "denominator"])
        low, high = proportion_ci(count, total, settings.ci_level, settings.ci_method)
        frame.at[i, "estimate"], frame.at[i, "ci_low"], frame.at[i, "ci_high"] = count / total, low, high
    return frame


COMPARED_ALIKE = ROW_QUALIFIERS
"""What a comparison holds alike besides the outcome: one arm's subgroup is compared only with the same
subgroup of the reference arm, a grade band with the same band, an analysis set with the same set."""


@dataclass(frozen=True)
class ArmPolicy:
    """What the settings allow between the arms of one table, given the study's design and whether the
    table holds adverse events (`arm_policy`)."""

    differences: bool
    """Whether differences with their intervals are computed at all."""
    p_values: bool
    """Whether Fisher's exact test is computed beside each difference."""
    randomized: bool = True
    harms: bool = False

    def caveat(self, derived: bool, tests: int) -> str:
        """How a comparison is labelled: not randomized, exploratory and unadjusted (one of `tests` on
        its table), from derived counts; empty for a randomized comparison of reported counts."""
        words = [] if self.randomized else [NOT_RANDOMIZED]
        if self.harms and self.p_values:
            tests_here = f"one of {tests} tests" if tests > 1 else "the only test"
            words.append(f"{EXPLORATORY_UNADJUSTED}: {tests_here} on this table")
        if derived:
            words.append(FROM_DERIVED_COUNTS)
        return "; ".join(words)


RANDOMIZED_EFFICACY = ArmPolicy(differences=True, p_values=True)
"""Randomized arms, an outcome that is not an adverse event: differences and tests."""
NOTHING = ArmPolicy(differences=False, p_values=False)


def arm_policy(allocation: str, harms: bool, settings: BetweenArmsSettings) -> ArmPolicy:
    """What may be computed between arms (CONSORT, CONSORT-Harms): between randomized arms, differences
    and Fisher P values for efficacy; between arms that were not randomized, or for adverse events, only
    what the settings ask (`statistics.between_arms`), and then labelled."""
    randomized = allocation == "randomized"
    if not randomized and not settings.non_randomized:
        return NOTHING
    if harms and not settings.harms_differences:
        return NOTHING
    return ArmPolicy(True, settings.harms_p_values if harms else True, randomized, harms)


def compare_arms(
    proportions: pd.DataFrame, arms: list[Arm], settings: StatisticsSettings, policy: ArmPolicy
) -> pd.DataFrame:
    """For each outcome (and subgroup, grade band and analysis set) known in every arm: each arm against
    the first (the reference), like with like only; as far as `policy` allows (nothing, differences, or
    differences and Fisher P values), each with its `caveat`.

    `key` names the comparison among the table's: `outcome/arm-vs-reference`, with the subgroup, grade
    or set added (as in provenance.row_key) only where the outcome's comparisons differ in it."""
    columns = [
        "outcome",
        "label",
        *COMPARED_ALIKE,
        "arm",
        "arm_label",
        "reference",
        "reference_label",
        "difference",
        "ci_low",
        "ci_high",
        "fisher_p",
        "derived_counts",
        "caveat",
        "tests_in_table",
        "key",
    ]
    if len(arms) < 2 or not policy.differences:
        return pd.DataFrame(columns=columns)
    reference, rows = arms[0], []
    known = proportions[proportions["estimate"].notna()].copy()
    for name in COMPARED_ALIKE:
        known[name] = known[name].map(_text) if name in known else ""
    for (outcome, *alike), group in known.groupby(["outcome", *COMPARED_ALIKE], sort=False):
        by_arm = {r["arm"]: r for _, r in group.iterrows()}
        if not all(a.id in by_arm for a in arms) or len(by_arm) != len(group):
            continue  # an arm missing, or two rows of one arm alike in every respect: nothing to compare
        ref = by_arm[reference.id]
        for arm in arms[1:]:
            row = by_arm[arm.id]
            result = compare_proportions(
                int(row["count"]),
                int(row["denominator"]),
                int(ref["count"]),
                int(ref["denominator"]),
                settings,
            )
            rows.append(
                [
                    outcome,
                    row["label"],
                    *alike,
                    arm.id,
                    arm.label,
                    reference.id,
                    reference.label,
                    result.difference,
                    result.ci_low,
                    result.ci_high,
                    result.fisher_p if policy.p_values else None,
                    _derived(row) or _derived(ref),
                    "",
                    None,
                    None,
                ]
            )
    frame = pd.DataFrame(rows, columns=columns)
    tests = len(frame) if policy.p_values else 0
    frame["tests_in_table"] = [tests or None] * len(frame)
    frame["caveat"] = [policy.caveat(bool(d), tests) for d in frame["derived_counts"]]
    frame["key"] = comparison_keys(frame)
    return frame


def _derived(row: pd.Series) -> bool:
    """Whether a row's count is derived by the site (from a percentage, a sum or a complement)."""
    return row.get("status") == "derived"


def comparison_keys(frame: pd.DataFrame) -> list[str]:
    """Each comparison's key: `outcome/arm-vs-reference`, then `/subgroup-slug`, `/grade-ge3` and
    `/set-treated` for each of those the outcome's comparisons of that pair of arms differ in."""
    pair = ["outcome", "arm", "reference"]
    varies = {
        name: list(frame.groupby(pair)[name].transform("nunique") > 1) if len(frame) else []
        for name in COMPARED_ALIKE
    }
    keys = []
    for position, r in enumerate(records(frame)):
        varying = [name for name in COMPARED_ALIKE if varies[name][position]]
        keys.append(f"{r['outcome']}/{r['arm']}-vs-{r['reference']}" + row_segments(r, varying))
    return keys


def _whole(value: Any) -> int:
    """A cell holding a whole number, as an int."""
    return int(value)


def _text(value: Any) -> str:
    """A cell as text; an empty cell as ''."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def analysis_sets(study: Study) -> pd.DataFrame:
    """The patients of every analysis set the source names: for all patients, then for each arm."""
    groups = [(ALL_PATIENTS, "All patients", study.meta.population.sets)]
    groups += [(arm.id, arm.label, arm.sets) for arm in study.meta.arms]
    rows = [
        {"arm": arm, "arm_label": label, "set": s.id, "set_label": s.name, "n": s.n, "source": s.source}
        for arm, label, sets in groups
        for s in sets
    ]
    return pd.DataFrame(rows, columns=["arm", "arm_label", "set", "set_label", "n", "source"])


def dosing_schedule(arms: list[Arm]) -> pd.DataFrame:
    """One row per dose day of each arm whose dosing the source gives."""
    rows = [
        {
            "arm": arm.id,
            "arm_label": arm.label,
            "day": d.day,
            "dose_min": d.dose_min,
            "dose_max": d.dose_max,
            "unit": d.unit,
            "source": d.source,
        }
        for arm in arms
        if arm.dosing is not None
        for d in arm.dosing.doses
    ]
    return pd.DataFrame(rows, columns=["arm", "arm_label", "day", "dose_min", "dose_max", "unit", "source"])


def schedule_summary(arms: list[Arm]) -> pd.DataFrame:
    """Per arm with dosing: doses per cycle, total dose per cycle and cycle length in days (derived)."""
    rows = []
    for arm in arms:
        if arm.dosing is None:
            continue
        dosing = arm.dosing
        units = sorted({d.unit for d in dosing.doses})
        rows.append(
            {
                "arm": arm.id,
                "arm_label": arm.label,
                "route": dosing.route,
                "doses_per_cycle": len(dosing.doses),
                "total_min": round(sum(d.dose_min for d in dosing.doses), 6),
                "total_max": round(sum(d.dose_max for d in dosing.doses), 6),
                "unit": units[0] if len(units) == 1 else None,
                "cycle_weeks_min": dosing.cycle_weeks.min,
                "cycle_weeks_max": dosing.cycle_weeks.max,
                "cycle_days_min": dosing.cycle_weeks.min * DAYS_PER_WEEK,
                "cycle_days_max": dosing.cycle_weeks.max * DAYS_PER_WEEK,
                "cycle_days_how": f"weeks × {DAYS_PER_WEEK}",
                "cycle_source": dosing.cycle_source,
            }
        )
    return pd.DataFrame(rows)


def summarise_effects(table: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Effects as printed, with the labels of both groups and, where an estimate has its interval,
    the two-sided P value that interval implies (`implied_p`, with the range its rounding allows)."""
    frame = with_arm_labels(table, study)
    frame["reference_label"] = frame["reference_arm"].map(study.arm_label)
    implied = [implied_p_range(r) for r in records(frame)]
    frame["implied_p"] = [p[0] if p else None for p in implied]
    frame["implied_p_low"] = [p[1] if p else None for p in implied]
    frame["implied_p_high"] = [p[2] if p else None for p in implied]
    return frame


@remembered(is_number)
def implied_p_value(measure: str, estimate: float, low: float, high: float, level: float) -> float:
    """The two-sided P value an estimate and its interval imply, as Altman and Bland (BMJ 2011) show:
    the standard error from the interval's width (on the log scale for a ratio), z = estimate / SE,
    and P from the normal distribution (scipy)."""
    from scipy.stats import norm

    z_level = norm.ppf(1 - (1 - level) / 2)
    if measure in RATIO_MEASURES:
        estimate, low, high = math.log(estimate), math.log(low), math.log(high)
    standard_error = (high - low) / (2 * z_level)
    return float(2 * norm.sf(abs(estimate / standard_error)))


def implied_p_range(row: dict) -> tuple[float, float, float] | None:
    """The implied P value, and its lowest and highest over every estimate and bound the printed ones
    round from (0.71 stands for 0.705 to 0.715); None without an estimate and its interval."""
    numbers: list[Any] = [row.get("estimate"), row.get("ci_low"), row.get("ci_high")]
    if row["measure"] == "none" or any(n is None or pd.isna(n) for n in numbers):
        return None
    level = float(row.get("ci_level") or 95) / 100
    spreads = [_rounding_range(Decimal(str(n))) for n in numbers]
    corners = []
    for estimate in spreads[0]:
        for low in spreads[1]:
            for high in spreads[2]:
                if high > low and (row["measure"] not in RATIO_MEASURES or low > 0):
                    corners.append(implied_p_value(row["measure"], estimate, low, high, level))
    printed = [float(n) for n in numbers]
    central = implied_p_value(row["measure"], printed[0], printed[1], printed[2], level)
    return central, min(corners, default=central), max(corners, default=central)


def _rounding_range(printed: Decimal) -> tuple[float, float]:
    half = rounding_half(printed)
    return float(printed - half), float(printed + half)


def reference_first(arms: list[Arm]) -> list[Arm]:
    """The arms with the control arm (if any) first: comparisons are each arm against it."""
    return sorted(arms, key=lambda arm: arm.role != "control")


@dataclass(frozen=True)
class StudyResults:
    """Everything computed for one study, ready for charts and pages: its tables as computed, by kind
    name then table name (the kinds in the registry's order), the tables its kinds compute across
    them (such as comparisons between arms), and what the study.yml gives (sets, dosing)."""

    study: Study
    tables: dict[str, dict[str, pd.DataFrame]]
    computed: dict[str, pd.DataFrame]
    dosing: pd.DataFrame
    schedules: pd.DataFrame
    sets: pd.DataFrame

    def frame(self, table: str) -> pd.DataFrame:
        """One of the study's tables as computed, by its name."""
        return next(tables[table] for tables in self.tables.values() if table in tables)


def analyse_study(study: Study, settings: StatisticsSettings) -> StudyResults:
    """Run every computation for one study, each kind of table by its kind; the problems of all its
    tables are reported together."""
    tables, problems = {}, []
    for kind in study.kinds:
        try:
            tables[kind.name] = kind.analyse(study, study.tables_of(kind.name), settings)
        except DataError as exc:
            problems += exc.problems
    if problems:
        raise DataError(problems)
    computed = {
        name: frame
        for kind in study.kinds
        for name, frame in kind.computed(study, tables[kind.name], settings).items()
    }
    return StudyResults(
        study,
        tables,
        computed,
        dosing_schedule(study.meta.arms),
        schedule_summary(study.meta.arms),
        analysis_sets(study),
    )


def with_arm_labels(table: pd.DataFrame, study: Study) -> pd.DataFrame:
    """A copy of a table with the label of each row's arm (`arm_label`)."""
    frame = table.copy()
    frame["arm_label"] = frame["arm"].map(study.arm_label)
    return frame
