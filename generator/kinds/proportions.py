"""Proportions: patients with an outcome, count of denominator, the percentage as printed.

Derived counts are worked out and each proportion gets its interval (`analysis.summarise_proportions`);
where every arm has the outcome, each arm is compared with the reference arm (`comparisons`). The
audit checks the printed percentages against n/N, parts against their totals, the arms against all
patients, printed intervals against the methods the site knows, and bounds a percentage printed alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from generator.analysis import (
    StudyResults,
    arm_policy,
    compare_arms,
    counts_matching_percent,
    proportion_ci,
    reference_first,
    round_half_up,
    summarise_proportions,
)
from generator.audit import Check, ImpliedCounts, at_decimals, figures_in_quotes, has, row_id, subject_of
from generator.columns import PERCENT, POINTS, PROBABILITY, TEXT, Column, level_percent, percent, where_known
from generator.config import (
    CI_METHOD_NAMES,
    CI_METHODS,
    DIFFERENCE_METHOD_NAMES,
    FROM_DERIVED_COUNTS,
    StatisticsSettings,
)
from generator.errors import DataError
from generator.formatting import NumberFormat, count_of, p_value, reported_number
from generator.frames import records
from generator.kinds.base import (
    Download,
    Kind,
    Record,
    arm_population,
    column_names,
    float_or_none,
    int_or_none,
    level_or_none,
    printed_cells,
    table_file,
)
from generator.methods import Methods, any_value
from generator.model import (
    ALL_PATIENTS,
    ROW_QUALIFIERS,
    ProportionRow,
    parse_derivation,
    printed_decimals,
    row_segments,
)
from generator.values import FigureField as F
from generator.values import Origin, Value, ValueBook, row_key

if TYPE_CHECKING:
    from generator.charts import Chart
    from generator.load import Study
    from generator.summary import ComparisonEntry

COMPARISONS = "comparisons"
"""The table of differences between arms the site computes from a study's proportions."""


def _download(frame: pd.DataFrame, stats: StatisticsSettings) -> pd.DataFrame:
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
            out[name] = percent(out[name])
    if "ci_low_percent" in out:
        computed = out["ci_low_percent"].notna()
        out["ci_method"] = where_known(computed, CI_METHOD_NAMES[stats.ci_method])
        out["ci_level_percent"] = where_known(computed, level_percent(stats.ci_level))
    return out


def _differences_download(frame: pd.DataFrame, stats: StatisticsSettings) -> pd.DataFrame:
    out = frame.rename(
        columns={
            "reference": "reference_arm",
            "difference": "difference_percentage_points",
            "ci_low": "ci_low_percentage_points",
            "ci_high": "ci_high_percentage_points",
        }
    )
    for name in ("difference_percentage_points", "ci_low_percentage_points", "ci_high_percentage_points"):
        out[name] = percent(out[name])
    computed = out["ci_low_percentage_points"].notna()
    out["ci_method"] = where_known(computed, DIFFERENCE_METHOD_NAMES[stats.difference_method])
    out["ci_level_percent"] = where_known(computed, level_percent(stats.ci_level))
    return out


class Proportions(Kind):
    name = "proportions"
    row = ProportionRow
    columns = ("outcome", "label", "arm", "count", "denominator", "percent", "status", "source")
    title = "Proportions"
    description = "Patients with an outcome: count of denominator, the percentage as printed."
    help: ClassVar[Mapping[str, str]] = {
        "outcome": "The outcome's key: lowercase letters, digits and underscores.",
        "label": "How the site names the outcome.",
        "arm": "An arm id of study.yml, or all for every patient.",
        "count": "Patients with the outcome, as printed; empty for a derived row.",
        "denominator": "Patients the count is out of.",
        "source": "The sentence of a source the row is read from, word for word.",
    }
    template = "kinds/proportions.md.j2"
    download = Download(
        column_names(
            """study registry_id doi outcome label arm subgroup grade set count denominator
            percent_reported status derivation how estimate_percent ci_low_percent ci_high_percent
            ci_method ci_level_percent reported_ci_low_percent reported_ci_high_percent
            reported_ci_level_percent source"""
        ),
        _download,
    )
    new_columns: ClassVar[tuple[Column, ...]] = (
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
            "reported_ci_low_percent",
            "Lower bound of an interval printed in the source, as printed.",
            PERCENT,
        ),
        Column(
            "reported_ci_high_percent",
            "Upper bound of an interval printed in the source, as printed.",
            PERCENT,
        ),
        Column("reported_ci_level_percent", "The printed confidence level of that interval.", PERCENT),
        Column(
            "derivation", "How a derived count is worked out: from_percent, sum(...), complement(...).", TEXT
        ),
        Column("how", "The working of a derived count, with its numbers.", TEXT),
        Column(
            "difference_percentage_points",
            "The arm's percentage minus the reference arm's, computed from both counts.",
            POINTS,
        ),
        Column("ci_low_percentage_points", "Lower bound of the difference's confidence interval.", POINTS),
        Column("ci_high_percentage_points", "Upper bound of the difference's confidence interval.", POINTS),
        Column(
            "fisher_p",
            "Two-sided P value of Fisher's exact test of the two arms' counts; empty where the settings "
            "compute none (adverse events, arms not randomized: statistics.between_arms in site_config.yml).",
            PROBABILITY,
        ),
        Column(
            "caveat",
            "How the difference is to be read, as the page labels it: not randomized (descriptive, "
            "exploratory), exploratory and unadjusted (a P value on adverse events, with the number of "
            "tests on its table), from derived counts; empty for a randomized comparison of printed counts.",
            TEXT,
        ),
        Column(
            "tests_in_table",
            "How many P values the site computed on the same table (for multiplicity); empty without one.",
            "integer (tests)",
        ),
    )
    example = (
        "responses",
        [
            {
                "outcome": "response",
                "label": "Response",
                "arm": "drug-a",
                "count": 12,
                "denominator": 30,
                "percent": "40",
                "status": "reported",
                "source": "Of the 30 patients assigned to drug A, 12 (40%) had a response",
            },
            {
                "outcome": "response",
                "label": "Response",
                "arm": "placebo",
                "count": 6,
                "denominator": 30,
                "percent": "20",
                "status": "reported",
                "source": "Of the 30 patients assigned to placebo, 6 (20%) had a response",
            },
            {
                "outcome": "no_response",
                "label": "No response",
                "arm": "drug-a",
                "denominator": 30,
                "status": "derived",
                "derivation": "complement(response)",
                "source": "Of the 30 patients assigned to drug A, 12 (40%) had a response",
            },
        ],
    )
    headline = True
    may_hold_harms = True
    compared_as = "proportion of patients, per arm"

    # Analysis

    def analyse(
        self, study: Study, tables: dict[str, pd.DataFrame], settings: StatisticsSettings
    ) -> dict[str, pd.DataFrame]:
        """Counts resolved and each proportion's interval; the problems of every table together."""
        frames, problems = {}, []
        for name, table in tables.items():
            try:
                frames[name] = summarise_proportions(table, study, settings, study.folder / f"{name}.csv")
            except DataError as exc:
                problems += exc.problems
        if problems:
            raise DataError(problems)
        return frames

    def computed(
        self, study: Study, tables: dict[str, pd.DataFrame], settings: StatisticsSettings
    ) -> dict[str, pd.DataFrame]:
        """Each arm against the reference arm, for the outcomes every arm has, of every table, as far
        as the design and the settings allow (`analysis.arm_policy`: by default only between randomized
        arms, and not for adverse events)."""
        arms = reference_first(study.meta.arms)
        allocation = study.meta.design.allocation
        differences = [
            compare_arms(
                frame, arms, settings, arm_policy(allocation, study.is_harms(name), settings.between_arms)
            ).assign(table=name)
            for name, frame in tables.items()
        ]
        return {COMPARISONS: pd.concat(differences, ignore_index=True)} if differences else {}

    # Figures

    def add_values(
        self, book: ValueBook, table: str, frame: pd.DataFrame, results: StudyResults, fmt: NumberFormat
    ) -> None:
        for record in records(frame):
            record["denominator_source"] = _denominator_source(results, record)
            _proportion_values(book, table, record, fmt, table_file(results, table))

    def add_computed_values(self, book: ValueBook, results: StudyResults, fmt: NumberFormat) -> None:
        differences = results.computed.get(COMPARISONS)
        for record in records(differences) if differences is not None else []:
            _difference_values(book, record, fmt)

    # The audit

    def audit(
        self, table: str, frame: pd.DataFrame, results: StudyResults, file: str
    ) -> tuple[list[Check], list[ImpliedCounts]]:
        checks = figures_in_quotes(table, frame, ["count", "percent"], file)
        checks += _percent_rounding(table, frame, file)
        checks += _parts_sum_to_total(table, frame, file)
        checks += _arm_rows_sum_to_all(table, frame, results, file)
        checks += _reported_interval_methods(table, frame, file)
        implied = [
            _implied_counts(table, row, frame, results, file) for row in records(frame) if _percent_only(row)
        ]
        return checks, implied

    # Pages

    def chart(self, table: str, title: str, frame: pd.DataFrame, fmt: NumberFormat) -> Chart:
        from generator.charts import proportion_chart  # only to draw

        if frame["estimate"].notna().any():
            ci = "the confidence interval computed by this site from n/N"
            caption = (
                f"Proportion of patients for each outcome, with {ci}; a hollow dot is a percentage "
                "reported without its count."
            )
            return proportion_chart(
                table,
                f"{title}: percent of patients for each outcome, with its interval",
                caption,
                frame,
                fmt,
            )
        caption = (  # a note true for the chart: no count, so no interval computed
            "Percentage of patients for each outcome, as printed; the source gives no counts, so no "
            "interval is computed."
        )
        return proportion_chart(table, f"{title}: percent of patients for each outcome", caption, frame, fmt)

    def computed_downloads(self) -> dict[str, Download]:
        return {
            COMPARISONS: Download(
                column_names(
                    """study registry_id doi table outcome label subgroup grade set arm reference_arm
                    difference_percentage_points ci_low_percentage_points ci_high_percentage_points
                    ci_method ci_level_percent fisher_p tests_in_table caveat"""
                ),
                _differences_download,
                "Differences between arms, computed by this site from the counts of each arm, where the "
                "design and the settings allow them (statistics.between_arms), each with its caveat.",
            )
        }

    def methods(self, table: str, results: StudyResults) -> Methods:
        """Computed intervals of proportions, printed ones, derived counts; and the differences between
        arms (with Fisher's test) the site computes for this table, where it computes any."""
        frame = results.frame(table)
        differences = self.differences(table, results)
        return Methods(
            proportion_ci=any_value(frame, "ci_low"),
            difference_ci=any_value(differences, "ci_low"),
            fisher=any_value(differences, "fisher_p"),
            derived_counts=bool((frame["status"] == "derived").any()),
            reported_intervals=any_value(frame, "reported_ci_low"),
        )

    def harms_by_default(self, frame: pd.DataFrame) -> bool:
        """A table of proportions by grade band (a `grade` column with a value) holds adverse events."""
        return any_value(frame, "grade")

    def differences(self, table: str, results: StudyResults) -> pd.DataFrame:
        """The differences between arms the site computed for one table (none by default for arms not
        randomized and for adverse events: `analysis.arm_policy`)."""
        computed = results.computed.get(COMPARISONS)
        if computed is None or computed.empty:
            return pd.DataFrame(columns=["table", "ci_low", "fisher_p"])
        return computed[computed["table"] == table]

    # Comparisons across studies

    def main_figure(self, values: Mapping[str, Value]) -> Value | None:
        """The percentage as the source prints it; else the one the site computes from n/N."""
        return values.get(F.PERCENT) or values.get(F.ESTIMATE)

    def entry_fields(self, study: Study, record: Record, fmt: NumberFormat) -> dict[str, Any]:
        """A proportion as a fraction: the percentage as printed where the source prints one (else the
        one computed from n/N), with its printed interval (or else the one the site computes)."""
        if float_or_none(record.get("reported_ci_low")) is not None:
            low, high = record["reported_ci_low"] / 100, record["reported_ci_high"] / 100
            level, interval = level_or_none(record.get("ci_level")), "reported"  # None when not printed
        elif float_or_none(record.get("ci_low")) is not None:
            low, high, level, interval = record["ci_low"], record["ci_high"], fmt.level, "computed"
        else:
            low = high = level = None
            interval = "none"
        printed_percent = float_or_none(record.get("percent"))
        estimate = float_or_none(record.get("estimate")) if printed_percent is None else printed_percent / 100
        printed = record.get("percent") if printed_percent is not None else None
        status = "reported" if printed is not None else str(record.get("status") or "reported")
        reported = interval == "reported"
        bounds = (record.get("reported_ci_low"), record.get("reported_ci_high")) if reported else (None, None)
        denominator = int_or_none(record.get("denominator"))
        return dict(
            arm=record["arm_label"],
            population=arm_population(study, record, denominator),
            measure="proportion",
            estimate=estimate,
            ci_low=float_or_none(low),
            ci_high=float_or_none(high),
            ci_level=level,
            interval=interval,
            status=status,
            count=int_or_none(record.get("count")),
            denominator=denominator,
            **printed_cells(printed, *bounds),
        )

    def figure_text(self, entry: ComparisonEntry, fmt: NumberFormat | None) -> str:
        """The percentage as printed (its digits: '58%'), else as computed ('57.8%')."""
        assert entry.estimate is not None
        if entry.estimate_printed:
            return f"{entry.estimate_printed}%"
        return fmt.percent(entry.estimate) if fmt else f"{entry.estimate * 100:.1f}%"

    def bounds_text(self, entry: ComparisonEntry, fmt: NumberFormat | None) -> tuple[str, str]:
        """A printed interval's bounds as printed; a computed one's at the site's decimals (its origin,
        `entry.interval`, is said beside it: `comparison.INTERVAL_WORDS`)."""
        assert entry.ci_low is not None and entry.ci_high is not None
        if entry.interval == "reported" and entry.ci_low_printed and entry.ci_high_printed:
            return f"{entry.ci_low_printed}%", f"{entry.ci_high_printed}%"
        if fmt:
            return fmt.percent(entry.ci_low), fmt.percent(entry.ci_high)
        return f"{entry.ci_low * 100:.1f}%", f"{entry.ci_high * 100:.1f}%"


# Figures


def _denominator_source(results: StudyResults, record: dict) -> str:
    """The sentence that prints a row's denominator: its own, else that of an analysis set of its arm
    (or of all patients) of that size."""
    denominator = record["denominator"]
    if denominator is None or re.search(rf"\b{int(denominator)}\b", record["source"]):
        return str(record["source"])
    sets = results.sets[(results.sets["arm"] == record["arm"]) & (results.sets["n"] == int(denominator))]
    return str(sets["source"].iloc[0]) if len(sets) else str(record["source"])


def _proportion_values(book: ValueBook, table: str, r: dict, fmt: NumberFormat, file: str) -> None:
    base = f"{book.slug}/{row_key(table, r)}"
    label = f"{r['label']}, {r['arm_label']}" + (f" (grade {r['grade']})" if r.get("grade") else "")
    line = r["line"]
    if r["count"] is not None and not pd.isna(r["count"]):
        origin: Origin = "derived" if r["status"] == "derived" else "reported"
        book.add(
            Value(
                f"{base}/{F.COUNT}",
                f"{label}: patients",
                str(int(r["count"])),
                int(r["count"]),
                origin,
                r["source"],
                r["how"],
                file,
                line,
            )
        )
    if r["denominator"] is not None:
        book.add(
            Value(
                f"{base}/{F.DENOMINATOR}",
                f"{label}: patients in the denominator",
                str(int(r["denominator"])),
                int(r["denominator"]),
                "reported",
                r["denominator_source"],
                file=file,
                line=line,
            )
        )
    if r["percent"] is not None:
        book.add(
            Value(
                f"{base}/{F.PERCENT}",
                f"{label}: percentage as reported",
                f"{reported_number(r['percent'])}%",
                float(r["percent"]),
                "reported",
                r["source"],
                file=file,
                line=line,
            )
        )
    if r["estimate"] is not None:
        n_of = count_of(r["count"], r["denominator"])
        if r["status"] == "derived":
            n_of += f" ({FROM_DERIVED_COUNTS}: {r['how']})"
        book.add(
            Value(
                f"{base}/{F.ESTIMATE}",
                f"{label}: percentage",
                fmt.percent(r["estimate"]),
                round(float(r["estimate"]) * 100, 6),
                "computed",
                r["source"],
                f"{n_of} × 100",
                file,
                line,
            )
        )
        book.add(
            Value(
                f"{base}/{F.CI}",
                f"{label}: {fmt.ci_name}",
                fmt.interval(r["ci_low"], r["ci_high"]),
                [round(float(r["ci_low"]) * 100, 6), round(float(r["ci_high"]) * 100, 6)],
                "computed",
                r["source"],
                f"{fmt.ci_name} of {n_of}, {fmt.ci_method_name}",
                file,
                line,
            )
        )
    if r.get("reported_ci_low") is not None and not pd.isna(r["reported_ci_low"]):
        level = f"{reported_number(r['ci_level'])}% " if r["ci_level"] else ""
        book.add(
            Value(
                f"{base}/{F.REPORTED_CI}",
                f"{label}: {level}CI as reported",
                f"{reported_number(r['reported_ci_low'])}% to {reported_number(r['reported_ci_high'])}%",
                [float(r["reported_ci_low"]), float(r["reported_ci_high"])],
                "reported",
                r["source"],
                file=file,
                line=line,
            )
        )


def _difference_values(book: ValueBook, c: dict, fmt: NumberFormat) -> None:
    key = c.get("key") or f"{c['outcome']}/{c['arm']}-vs-{c['reference']}"
    base = f"{book.slug}/comparison/{c['table']}/{key}"
    qualified = key.count("/") > 1  # the subgroup, grade or set tells it apart from another comparison
    alike = [str(c[name]) for name in ROW_QUALIFIERS if qualified and c.get(name)]
    grouped = f" ({', '.join(alike)})" if alike else ""
    label = f"{c['label']}{grouped}: {c['arm_label']} vs {c['reference_label']}"
    caveat = f" ({c['caveat']})" if c.get("caveat") else ""
    inputs = f"{c['arm_label']} minus {c['reference_label']}, from the n/N of each{caveat}"
    book.add(
        Value(
            f"{base}/{F.DIFFERENCE}",
            f"{label}, difference{caveat}",
            fmt.points(c["difference"]),
            round(c["difference"] * 100, 6),
            "computed",
            None,
            inputs,
        )
    )
    book.add(
        Value(
            f"{base}/{F.CI}",
            f"{label}, {fmt.ci_name} of the difference{caveat}",
            fmt.interval(c["ci_low"], c["ci_high"], signed=True),
            [round(c["ci_low"] * 100, 6), round(c["ci_high"] * 100, 6)],
            "computed",
            None,
            f"{fmt.ci_name}, {fmt.difference_method_name} method{caveat}",
        )
    )
    if float_or_none(c.get("fisher_p")) is None:
        return  # the settings compute no test here (statistics.between_arms)
    book.add(
        Value(
            f"{base}/{F.FISHER_P}",
            f"{label}, Fisher's exact test{caveat}",
            p_value(c["fisher_p"]),
            round(c["fisher_p"], 6),
            "computed",
            None,
            f"Fisher's exact test, two-sided, on the 2×2 table{caveat}",
        )
    )


# The audit


def _derived_by(row: dict) -> str | None:
    return parse_derivation(row["derivation"]).rule if row["derivation"] else None


def _percent_rounding(table: str, frame: pd.DataFrame, file: str) -> list[Check]:
    """Printed percentage against n/N; not for counts read from the percentage or summed (checked apart)."""
    checks = []
    for row in records(frame):
        if not (has(row["count"]) and has(row["denominator"]) and has(row["percent"])):
            continue
        if _derived_by(row) in ("from_percent", "sum"):
            continue
        count, total, printed = int(row["count"]), int(row["denominator"]), Decimal(row["percent"])
        exact = Fraction(100 * count, total)
        rounded = round_half_up(exact, printed_decimals(printed))
        checks.append(
            Check(
                f"{row_id(table, row)}{row_segments(row, ('subgroup',))}/percent-rounding",
                "percent-rounding",
                subject_of(row),
                f"{count}/{total} = {float(exact):.2f}%",
                f"{printed}% as printed",
                rounded == Fraction(printed),
                file,
                row["line"],
                data=f"{count} of {total}, {printed}%",
                computed=f"computes {count}/{total} = {float(exact):.2f}%, which rounds to "
                f"{at_decimals(rounded, printed_decimals(printed))}%",
            )
        )
    return checks


def _parts_sum_to_total(table: str, frame: pd.DataFrame, file: str) -> list[Check]:
    checks = []
    by_key = {(r["outcome"], r["arm"]): r for r in records(frame)}
    for row in by_key.values():
        if _derived_by(row) != "sum" or not (has(row["percent"]) and has(row["denominator"])):
            continue  # without a printed percentage, a sum has nothing to be checked against
        parts = [by_key[(ref, row["arm"])] for ref in parse_derivation(row["derivation"]).refs]
        total = sum(int(p["count"]) for p in parts)
        terms = " + ".join(str(int(p["count"])) for p in parts)
        names = " + ".join(p["label"] for p in parts)
        printed, denominator = Decimal(row["percent"]), int(row["denominator"])
        exact = Fraction(100 * total, denominator)
        rounded = round_half_up(exact, printed_decimals(printed))
        expected = f"a total that is {printed}% of {denominator}, as printed"
        checks.append(
            Check(
                f"{row_id(table, row)}/parts-sum-to-total",
                "parts-sum-to-total",
                subject_of(row),
                f"{names}: {terms} = {total}",
                expected,
                rounded == Fraction(printed),
                file,
                row["line"],
                data=f"{names}: {terms}; the total {printed}% of {denominator}",
                computed=f"adds {terms} = {total}, and computes {total}/{denominator} = {float(exact):.2f}%, "
                f"which rounds to {at_decimals(rounded, printed_decimals(printed))}%",
            )
        )
    return checks


def _arm_rows_sum_to_all(table: str, frame: pd.DataFrame, results: StudyResults, file: str) -> list[Check]:
    checks = []
    arms = [a.id for a in results.study.meta.arms]
    for outcome, group in frame.groupby("outcome", sort=False):
        rows = {r["arm"]: r for r in records(group)}
        if ALL_PATIENTS not in rows or not all(a in rows for a in arms) or len(arms) < 2:
            continue
        whole, parts = rows[ALL_PATIENTS], [rows[a] for a in arms]
        if not all(has(p["count"]) and has(p["denominator"]) for p in parts) or not has(whole["count"]):
            continue
        if sum(int(p["denominator"]) for p in parts) != int(whole["denominator"]):
            continue  # the arms' rows are not a split of the all-patients row
        terms = " + ".join(str(int(p["count"])) for p in parts)
        total = sum(int(p["count"]) for p in parts)
        labels = " + ".join(p["arm_label"] for p in parts)
        checks.append(
            Check(
                f"{table}/{outcome}/arm-rows-sum-to-all",
                "arm-rows-sum-to-all",
                whole["label"],
                f"{labels}: {terms} = {total}",
                f"{int(whole['count'])}, the count for all patients",
                total == int(whole["count"]),
                file,
                whole["line"],
                data=f"{labels}: {terms}; all patients: {int(whole['count'])}",
                computed=f"adds {terms} = {total}",
            )
        )
    return checks


def _largest_set(results: StudyResults, arm_id: str) -> int:
    """The most patients any analysis set of this arm (or of all patients) holds."""
    meta = results.study.meta
    sets = next((a.sets for a in meta.arms if a.id == arm_id), meta.population.sets)
    return max(s.n for s in sets)


def _reported_interval_methods(table: str, frame: pd.DataFrame, file: str) -> list[Check]:
    """Each reported interval of a proportion recomputed by every method the site knows, at the
    interval's printed precision: the check names the methods that reproduce it, or says none does."""
    checks = []
    for row in records(frame):
        if not has(row["reported_ci_low"]) or not has(row["count"]) or not has(row["denominator"]):
            continue
        level = float(row["ci_level"] or 95) / 100
        printed = (Decimal(row["reported_ci_low"]), Decimal(row["reported_ci_high"]))
        matching = [
            CI_METHOD_NAMES[method]
            for method in CI_METHODS
            if _rounds_to(proportion_ci(int(row["count"]), int(row["denominator"]), level, method), printed)
        ]
        counts = f"{int(row['count'])}/{int(row['denominator'])}"
        interval = f"{printed[0]}% to {printed[1]}% ({float(row['ci_level'] or 95):g}%)"
        known = ", ".join(CI_METHOD_NAMES[method] for method in CI_METHODS)
        checks.append(
            Check(
                f"{row_id(table, row)}/reported-interval-method",
                "reported-interval-method",
                subject_of(row),
                f"{counts}, printed {interval}",
                "reproduced by " + (", ".join(matching) if matching else "no method this site knows"),
                bool(matching),
                file,
                row["line"],
                data=f"{counts} with the interval {interval}",
                computed=f"reproduces it by {', '.join(matching)}"
                if matching
                else f"reproduces it by none of its methods ({known})",
            )
        )
    return checks


def _rounds_to(interval: tuple[float, float], printed: tuple[Decimal, Decimal]) -> bool:
    """Whether a computed interval (fractions) rounds, half up, to the printed one (percent)."""
    return all(
        round_half_up(Fraction(bound * 100).limit_denominator(10**9), printed_decimals(p)) == Fraction(p)
        for bound, p in zip(interval, printed, strict=True)
    )


def _percent_only(row: dict) -> bool:
    return has(row["percent"]) and not has(row["count"])


def _implied_counts(
    table: str, row: dict, frame: pd.DataFrame, results: StudyResults, file: str
) -> ImpliedCounts:
    """Counts and denominators that round to the percentage and fit the outcome's other figures."""
    whole = frame[(frame["outcome"] == row["outcome"]) & (frame["arm"] == ALL_PATIENTS)]
    whole_row = whole.iloc[0] if len(whole) and row["arm"] != ALL_PATIENTS else None
    arm_n = _largest_set(results, row["arm"])
    limits = [(arm_n, f"denominator at most {arm_n}, the patients of {row['arm_label']}")]
    count_max = None
    if has(row["denominator"]):
        limits = [(int(row["denominator"]), f"denominator {int(row['denominator'])}, as reported")]
    elif whole_row is not None and has(whole_row["denominator"]):
        limits.append(
            (
                int(whole_row["denominator"]),
                f"denominator at most {int(whole_row['denominator'])}, as for all patients",
            )
        )
    if whole_row is not None and has(whole_row["count"]):
        count_max = int(whole_row["count"])
    denominator_max = min(limit for limit, _ in limits)
    denominators = [denominator_max] if has(row["denominator"]) else range(1, denominator_max + 1)
    candidates: dict[int, list[int]] = {}
    for denominator in denominators:
        for count in counts_matching_percent(row["percent"], denominator):
            if count_max is None or count <= count_max:
                candidates.setdefault(count, []).append(denominator)
    constraints = "; ".join(text for limit, text in limits if limit == denominator_max)
    if count_max is not None:
        constraints += f"; count at most {count_max}, as for all patients"
    return ImpliedCounts(
        row_id(table, row),
        subject_of(row),
        Decimal(row["percent"]),
        dict(sorted(candidates.items())),
        constraints,
        file,
        row["line"],
    )


KIND = Proportions()
