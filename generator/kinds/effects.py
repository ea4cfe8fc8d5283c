"""Effects: one group against another, as printed: a ratio or difference with its interval, and a P
value (or a P value alone).

Where an estimate has its interval, the site computes the P value that interval implies
(`analysis.summarise_effects`), and the audit compares it with the printed one. A printed difference
of two proportions whose groups' counts a proportions table of the study gives is recomputed by the
standard methods (`generator.difference_intervals`): the audit notes which reproduce its interval, or
checks the method the row states (`ci_method`). Effects are the figures a comparison of studies can pool.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from generator import difference_intervals as intervals
from generator.analysis import StudyResults, resolve_counts, summarise_effects
from generator.audit import Check, ImpliedCounts, figures_in_quotes, has, row_id, subject_of
from generator.columns import AS_REPORTED, PROBABILITY, TEXT, Column, as_reported
from generator.config import StatisticsSettings
from generator.errors import DataError, Problem
from generator.formatting import NumberFormat, p_value, reported_number
from generator.frames import records
from generator.kinds.base import (
    Download,
    Kind,
    Record,
    as_printed,
    column_names,
    row_set,
    set_patients,
    table_file,
    text_or_none,
    two_group_population,
)
from generator.model import RATIO_MEASURES, EffectRow, parse_p_value, row_segments
from generator.values import FigureField as F
from generator.values import Value, ValueBook, row_key

if TYPE_CHECKING:
    from generator.charts import Chart
    from generator.load import Study

DIFFERENCE_RULE = "difference-interval-method"
"""The audit rule of a printed difference of two proportions and its interval (`Effects.rules`)."""


def _download(frame: pd.DataFrame, stats: StatisticsSettings) -> pd.DataFrame:
    """As printed (`columns.as_reported`), with the method of a difference's interval where the source
    states it or the audit identifies it (`ci_method`)."""
    out = as_reported(frame, stats)
    if "ci_low" in out:
        out["ci_method"] = [_method_cell(row) for row in records(frame)]
    return out


def _method_cell(row: Record) -> str | None:
    """'Wald, as the source states'; 'Newcombe hybrid score, identified by the audit'; 'as reported'."""
    if not has(row.get("ci_low")):
        return None
    stated = text_or_none(row.get("ci_method"))
    if stated is not None:
        return f"{intervals.METHODS[stated].name}, as the source states"
    finding = row.get("interval_finding")
    if isinstance(finding, intervals.Finding) and finding.reproducing:
        return f"{' or '.join(finding.identified)}, identified by the audit"
    return AS_REPORTED


class Effects(Kind):
    name = "effects"
    row = EffectRow
    columns = ("outcome", "label", "arm", "reference_arm", "measure", "status", "source")
    title = "Effects"
    description = "One group against another as printed: a ratio or difference with its interval, a P value."
    template = "kinds/effects.md.j2"
    download = Download(
        column_names(
            """study registry_id doi outcome label arm reference_arm subgroup measure estimate
            ci_low ci_high ci_method ci_level_percent p_value sided implied_p implied_p_low implied_p_high
            status source"""
        ),
        _download,
    )
    new_columns: ClassVar[tuple[Column, ...]] = (
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
            "implied_p",
            "The two-sided P value the printed estimate and interval imply (computed).",
            PROBABILITY,
        ),
        Column(
            "implied_p_low",
            "The lowest implied P value over the rounding of the printed numbers.",
            PROBABILITY,
        ),
        Column(
            "implied_p_high",
            "The highest implied P value over the rounding of the printed numbers.",
            PROBABILITY,
        ),
    )
    example = (
        "survival_effects",
        [
            {
                "outcome": "death",
                "label": "Death",
                "arm": "drug-a",
                "reference_arm": "placebo",
                "measure": "hazard_ratio",
                "estimate": "0.80",
                "ci_low": "0.50",
                "ci_high": "1.28",
                "ci_level": "95",
                "p_value": "P = 0.35",
                "status": "reported",
                "source": "The hazard ratio for death with drug A was 0.80 (95% CI, 0.50 to 1.28; P = 0.35).",
            }
        ],
    )
    compared_as = "effect between arms"
    pooled = True
    effect = True
    rules: ClassVar[dict[str, str]] = {
        DIFFERENCE_RULE: "A printed interval of a difference of two proportions, recomputed from the groups' "
        "counts by the standard methods (Newcombe hybrid score, Wald, Agresti-Caffo, Miettinen-Nurminen "
        "score): those that reproduce it at its printed precision are noted, or the closest; a method the "
        "source states must reproduce it",
    }

    def check_rows(self, study: Study, path: Path, table: pd.DataFrame) -> list[Problem]:
        """A stated interval method (`ci_method`) says how a difference's interval was computed: it goes
        with a difference printed with its interval."""
        return [
            Problem(
                path,
                f"ci_method {row['ci_method']!r} names how the interval of a difference of two proportions "
                f"was computed, but this row is a {str(row['measure']).replace('_', ' ')}"
                + ("" if has(row["ci_low"]) else " without an interval")
                + "; expected ci_method only on a difference printed with its interval (or leave it empty)",
                line=row["line"],
                field="ci_method",
            )
            for row in records(table)
            if text_or_none(row.get("ci_method"))
            and (row["measure"] != "difference" or not has(row["ci_low"]))
        ]

    def analyse(
        self, study: Study, tables: dict[str, pd.DataFrame], settings: StatisticsSettings
    ) -> dict[str, pd.DataFrame]:
        """Each table as printed, with the P value each interval implies and, for a difference of two
        proportions, what the standard methods make of its interval (`interval_finding`, from the
        groups' counts described in `interval_counts`)."""
        counts = _proportion_counts(study)
        return {
            name: _with_interval_findings(summarise_effects(table, study), study, counts)
            for name, table in tables.items()
        }

    def add_values(
        self, book: ValueBook, table: str, frame: pd.DataFrame, results: StudyResults, fmt: NumberFormat
    ) -> None:
        for record in records(frame):
            _effect_values(book, table, record, table_file(results, table))

    def audit(
        self, table: str, frame: pd.DataFrame, results: StudyResults, file: str
    ) -> tuple[list[Check], list[ImpliedCounts]]:
        checks = figures_in_quotes(table, frame, ["estimate", "ci_low", "ci_high"], file)
        checks += _p_agrees_with_interval(table, frame, file)
        return checks + _difference_interval_checks(table, frame, file), []

    def chart(self, table: str, title: str, frame: pd.DataFrame, fmt: NumberFormat) -> Chart | None:
        """The effect plot: each estimate and its interval as printed against the line of no effect, with
        the side favouring each arm named; None when no row has an estimate."""
        from generator.effect_plot import drawn_rows, effect_caption, effect_chart  # only to draw

        if drawn_rows(frame).empty:
            return None
        return effect_chart(table, f"{title}: each effect against no effect", effect_caption(frame), frame)

    def compared_groups(self, record: Record) -> list[tuple[str, Record]]:
        """The proportions rows (table, row) giving the events/total of both groups of an effect."""
        return list(record.get("group_rows") or [])

    def entry_fields(self, study: Study, record: Record, fmt: NumberFormat) -> dict[str, Any]:
        """An effect of one arm against another, 'A vs B', as printed."""
        roles = {a.id: a.role for a in study.meta.arms}
        oriented = (roles.get(record["arm"]), roles.get(record["reference_arm"])) == (
            "experimental",
            "control",
        )
        return {
            **as_printed(record, record.get("estimate"), record.get("measure")),
            "arm": f"{record['arm_label']} vs {record['reference_label']}",
            "experimental_vs_control": oriented,
            "population": two_group_population(study, record),
            "participants": _participants(study, record),
        }


def _participants(study: Study, record: Record) -> int | None:
    """The patients of both groups compared, in the row's analysis set; None unless both are known."""
    analysis_set, _ = row_set(study, record)
    ours = set_patients(study, analysis_set, record["arm"])
    theirs = set_patients(study, analysis_set, record.get("reference_arm"))
    return ours + theirs if ours is not None and theirs is not None else None


CountKey = tuple[str, str, str, str]
"""What ties a proportions row to a group of an effect: outcome, arm, subgroup and analysis set."""


def _count_key(study: Study, row: Record, arm: str) -> CountKey:
    return (row["outcome"], arm, text_or_none(row.get("subgroup")) or "", row_set(study, row)[0].id)


def _proportion_counts(study: Study) -> dict[CountKey, list[Record]]:
    """The rows of the study's proportions tables that have a count and a denominator (and no grade
    band), by outcome, arm, subgroup and analysis set; counts resolved as the proportions kind resolves
    them (`analysis.resolve_counts`: a derived count worked out)."""
    found: dict[CountKey, list[Record]] = {}
    for name, table in study.tables_of("proportions").items():
        try:
            frame = resolve_counts(table, study.folder / f"{name}.csv")
        except DataError:
            continue  # the proportions kind reports its problems
        for row in records(frame):
            if has(row["count"]) and has(row["denominator"]) and not text_or_none(row.get("grade")):
                found.setdefault(_count_key(study, row, row["arm"]), []).append({**row, TABLE: name})
    return found


def _with_interval_findings(
    frame: pd.DataFrame, study: Study, counts: dict[CountKey, list[Record]]
) -> pd.DataFrame:
    found = [_interval_finding(study, row, counts) for row in records(frame)]
    frame["interval_finding"] = pd.Series(
        [f[0] if f else None for f in found], index=frame.index, dtype=object
    )
    frame["interval_counts"] = pd.Series(
        [f[1] if f else None for f in found], index=frame.index, dtype=object
    )
    groups = [_group_rows(study, row, counts) for row in records(frame)]
    frame["group_rows"] = pd.Series(groups, index=frame.index, dtype=object)
    return frame


TABLE = "_table"
"""The key under which a proportions row found for an effect's group keeps its table's name."""


def _group_rows(study: Study, row: Record, counts: dict[CountKey, list[Record]]) -> tuple | None:
    """The proportions rows (table name, row) of the effect's two groups, each the one row of its group's
    outcome, subgroup and analysis set; None unless both are known."""
    ours = counts.get(_count_key(study, row, row["arm"]), [])
    theirs = counts.get(_count_key(study, row, row["reference_arm"]), [])
    if len(ours) != 1 or len(theirs) != 1:
        return None
    return tuple((found[TABLE], {k: v for k, v in found.items() if k != TABLE}) for found in (*ours, *theirs))


def _interval_finding(
    study: Study, row: Record, counts: dict[CountKey, list[Record]]
) -> tuple[intervals.Finding, str] | None:
    """What the standard methods make of a printed difference's interval, from the counts of its two
    groups (each from exactly one proportions row), and those counts in words; None for another measure,
    a difference without its interval, or groups whose counts are not known."""
    if row["measure"] != "difference" or not has(row["ci_low"]):
        return None
    ours = counts.get(_count_key(study, row, row["arm"]), [])
    theirs = counts.get(_count_key(study, row, row["reference_arm"]), [])
    if len(ours) != 1 or len(theirs) != 1:
        return None
    (a,), (b,) = ours, theirs
    estimate, low, high = (Decimal(str(row[name])) for name in ("estimate", "ci_low", "ci_high"))
    printed = intervals.Printed(estimate, low, high, float(row["ci_level"] or 95) / 100)
    groups = intervals.Counts(int(a["count"]), int(a["denominator"]), int(b["count"]), int(b["denominator"]))
    finding = intervals.find(groups, printed, text_or_none(row.get("ci_method")))
    return finding, f"{_group_count(study, a)} vs {_group_count(study, b)}"


def _group_count(study: Study, row: Record) -> str:
    """'Drug A 60/200 (count reported)', or '(count derived by this site)'."""
    how = "count reported" if row["status"] == "reported" else "count derived by this site"
    return f"{study.arm_label(row['arm'])} {int(row['count'])}/{int(row['denominator'])} ({how})"


def _level_text(row: Record) -> str:
    """'95%' as printed, or '95%, assumed (the level is not printed)'."""
    return (
        f"{reported_number(row['ci_level'])}%"
        if row["ci_level"]
        else "95%, assumed (the level is not printed)"
    )


def _difference_interval_checks(table: str, frame: pd.DataFrame, file: str) -> list[Check]:
    """Each printed interval of a difference of two proportions against the standard methods: a note
    naming those that reproduce it (or the closest), or, where the row states its method, a check that
    this method reproduces it."""
    checks = []
    for row in records(frame):
        finding = row.get("interval_finding")
        stated = text_or_none(row.get("ci_method"))
        if not isinstance(finding, intervals.Finding) and stated is None:
            continue
        printed = f"printed {row['estimate']} ({_level_text(row)} CI {row['ci_low']} to {row['ci_high']})"
        data = f"{row['estimate']} ({_level_text(row)} CI {row['ci_low']} to {row['ci_high']})"
        if isinstance(finding, intervals.Finding):
            inputs = f"{row['interval_counts']}: their difference {finding.arms_difference}; {printed}"
            expected, passed = finding.summary, finding.passed
            data = f"{row['interval_counts']}; the difference {data}"
            computed = f"computes their difference {finding.arms_difference}: {finding.summary}"
        else:
            inputs, passed = printed, False
            why = (
                "no table of proportions gives the counts of both groups for this outcome, subgroup and "
                "analysis set"
            )
            expected, computed = f"not checked: {why}", f"cannot check it: {why}"
        if stated is not None:
            inputs += f"; the source states {intervals.METHODS[stated].name}"
            data += f", made by {intervals.METHODS[stated].name} as the source states"
        checks.append(
            Check(
                f"{row_id(table, row)}{row_segments(row, ('subgroup',))}-vs-{row['reference_arm']}"
                f"/{DIFFERENCE_RULE}",
                DIFFERENCE_RULE,
                subject_of(row),
                inputs,
                expected,
                passed,
                file,
                row["line"],
                note=stated is None or not isinstance(finding, intervals.Finding),
                data=data,
                computed=computed,
            )
        )
    return checks


def _effect_values(book: ValueBook, table: str, r: dict, file: str) -> None:
    """An effect as printed (estimate, interval with its level, P value) and the P value its interval
    implies, computed."""
    base = f"{book.slug}/{row_key(table, r)}"
    label = f"{r['label']}: {r['arm_label']} vs {r['reference_label']}"
    line = r["line"]
    measure = r["measure"].replace("_", " ")
    if r["estimate"] is not None:
        text = reported_number(r["estimate"])
        book.add(
            Value(
                f"{base}/{F.ESTIMATE}",
                f"{label}: {measure}",
                text,
                float(r["estimate"]),
                "reported",
                r["source"],
                file=file,
                line=line,
            )
        )
    if r["ci_low"] is not None:
        level = f"{reported_number(r['ci_level'])}% CI" if r["ci_level"] else "CI (its level not printed)"
        text = f"{reported_number(r['ci_low'])} to {reported_number(r['ci_high'])}"
        numbers: list[float | None] = [float(r["ci_low"]), float(r["ci_high"])]
        book.add(
            Value(
                f"{base}/{F.CI}",
                f"{label}: {level}, as printed",
                text,
                numbers,
                "reported",
                r["source"],
                file=file,
                line=line,
            )
        )
    if r["p_value"]:
        printed = parse_p_value(r["p_value"])
        book.add(
            Value(
                f"{base}/{F.P}",
                f"{label}: P value",
                printed.printed,
                float(printed.value),
                "reported",
                r["source"],
                file=file,
                line=line,
            )
        )
    if r["implied_p"] is not None and not pd.isna(r["implied_p"]):
        sided, implied = _implied_sided(r)
        book.add(
            Value(
                f"{base}/{F.IMPLIED_P}",
                f"{label}: {sided} P implied by the interval",
                p_value(implied),
                implied,
                "computed",
                None,
                _implied_how(r, sided, implied),
                file=file,
                line=line,
            )
        )


def _implied_sided(r: Record) -> tuple[str, float]:
    """The implied P value with the sidedness of the printed one it is compared with: one-sided (half
    the two-sided P) where the source says its P is one-sided, else two-sided."""
    if r["sided"] == "one":
        return "one-sided", float(r["implied_p"]) / 2
    return "two-sided", float(r["implied_p"])


def _implied_how(r: Record, sided: str, implied: float) -> str:
    """How the implied P value is computed, with the printed figures it is computed from."""
    measure = r["measure"].replace("_", " ")
    scale = " (on the log scale)" if r["measure"] in RATIO_MEASURES else ""
    half = ", halved: the source says its P value is one-sided (in the direction of the estimate)"
    return (
        f"{sided} P implied by the {measure} {reported_number(r['estimate'])} and its {_level_text(r)} "
        f"interval {reported_number(r['ci_low'])} to {reported_number(r['ci_high'])}, as printed, by the "
        f"method of Altman and Bland (BMJ 2011): the standard error from the width of the interval{scale}, "
        f"z = estimate / standard error, and the two-sided P from the normal distribution"
        f"{half if sided == 'one-sided' else ''}: {implied:.4f}"
    )


def _p_agrees_with_interval(table: str, frame: pd.DataFrame, file: str) -> list[Check]:
    """Each printed P value against the P value its estimate and interval imply (two-sided)."""
    checks = []
    for row in records(frame):
        if not row["p_value"] or not has(row["implied_p"]):
            continue
        printed = parse_p_value(row["p_value"])
        low, high = printed.interval
        implied_low, implied_high = row["implied_p_low"], row["implied_p_high"]
        sided = " (the source says one-sided: halved)" if row["sided"] == "one" else ""
        factor = 0.5 if row["sided"] == "one" else 1
        implied_low, implied_high = implied_low * factor, implied_high * factor
        measure = f"{row['measure'].replace('_', ' ')} {row['estimate']}"
        measure += f" ({row['ci_low']} to {row['ci_high']})"
        checks.append(
            Check(
                f"{row_id(table, row)}{row_segments(row, ('subgroup',))}-vs-{row['reference_arm']}"
                "/p-agrees-with-interval",
                "p-agrees-with-interval",
                subject_of(row),
                f"{row['measure'].replace('_', ' ')} {row['estimate']} "
                f"({row['ci_low']} to {row['ci_high']}): "
                f"implied P {row['implied_p'] * factor:.4f}, {implied_low:.4f} to {implied_high:.4f} "
                f"within the rounding of the printed figures{sided}",
                f"{printed.printed} as printed, that is {low} to {high}",
                implied_low <= float(high) and implied_high >= float(low),
                file,
                row["line"],
                data=f"{measure}, {printed.printed}",
                computed=f"computes the P value they imply, {row['implied_p'] * factor:.4f} ("
                f"{implied_low:.4f} to {implied_high:.4f} within the rounding of the printed figures"
                f"{sided}), against {low} to {high} for {printed.printed} as printed",
            )
        )
    return checks


KIND = Effects()
