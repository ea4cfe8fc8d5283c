"""Effects: one group against another, as printed: a ratio or difference with its interval, and a P
value (or a P value alone).

Where an estimate has its interval, the site computes the P value that interval implies
(`analysis.summarise_effects`), and the audit compares it with the printed one. Effects are the
figures a comparison of studies can pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from generator.analysis import StudyResults, summarise_effects
from generator.audit import Check, ImpliedCounts, figures_in_quotes, has, row_id, subject_of
from generator.columns import PROBABILITY, TEXT, Column, as_reported
from generator.config import StatisticsSettings
from generator.formatting import NumberFormat, p_value, reported_number
from generator.kinds.base import (
    Download,
    Kind,
    Record,
    as_printed,
    column_names,
    row_set,
    set_patients,
    table_file,
)
from generator.model import EffectRow, parse_p_value
from generator.values import FigureField as F
from generator.values import Value, ValueBook, row_key

if TYPE_CHECKING:
    from generator.load import Study


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
        as_reported,
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
                "label": "Death (REPLACE)",
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

    def analyse(
        self, study: Study, tables: dict[str, pd.DataFrame], settings: StatisticsSettings
    ) -> dict[str, pd.DataFrame]:
        return {name: summarise_effects(table, study) for name, table in tables.items()}

    def add_values(
        self, book: ValueBook, table: str, frame: pd.DataFrame, results: StudyResults, fmt: NumberFormat
    ) -> None:
        for record in frame.to_dict("records"):
            _effect_values(book, table, record, table_file(results, table))

    def audit(
        self, table: str, frame: pd.DataFrame, results: StudyResults, file: str
    ) -> tuple[list[Check], list[ImpliedCounts]]:
        checks = figures_in_quotes(table, frame, ["estimate", "ci_low", "ci_high"], file)
        return checks + _p_agrees_with_interval(table, frame, file), []

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
            "population": _population(study, record),
        }


def _population(study: Study, record: Record) -> str:
    """'Randomized, n = 271 vs 134': the analysis set, with the patients of both groups where known."""
    analysis_set, _ = row_set(study, record)
    ours = set_patients(study, analysis_set, record["arm"])
    theirs = set_patients(study, analysis_set, record.get("reference_arm"))
    both = ours is not None and theirs is not None
    return f"{analysis_set.name}, n = {ours} vs {theirs}" if both else analysis_set.name


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
        level = f"{reported_number(r['ci_level'])}% " if r["ci_level"] else ""
        text = f"{reported_number(r['ci_low'])} to {reported_number(r['ci_high'])}"
        numbers: list[float | None] = [float(r["ci_low"]), float(r["ci_high"])]
        book.add(
            Value(
                f"{base}/{F.CI}",
                f"{label}: {level}CI",
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
        how = (
            f"two-sided P implied by the {measure} {reported_number(r['estimate'])} and its interval "
            f"{reported_number(r['ci_low'])} to {reported_number(r['ci_high'])} (Altman and Bland): "
            f"{r['implied_p']:.4f}"
        )
        book.add(
            Value(
                f"{base}/{F.IMPLIED_P}",
                f"{label}: P implied by the interval",
                p_value(r["implied_p"]),
                r["implied_p"],
                "computed",
                None,
                how,
                file=file,
                line=line,
            )
        )


def _p_agrees_with_interval(table: str, frame: pd.DataFrame, file: str) -> list[Check]:
    """Each printed P value against the P value its estimate and interval imply (two-sided)."""
    checks = []
    for row in frame.to_dict("records"):
        if not row["p_value"] or not has(row["implied_p"]):
            continue
        printed = parse_p_value(row["p_value"])
        low, high = printed.interval
        implied_low, implied_high = row["implied_p_low"], row["implied_p_high"]
        sided = " (the source says one-sided: halved)" if row["sided"] == "one" else ""
        factor = 0.5 if row["sided"] == "one" else 1
        implied_low, implied_high = implied_low * factor, implied_high * factor
        checks.append(
            Check(
                f"{row_id(table, row)}-vs-{row['reference_arm']}/p-agrees-with-interval",
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
            )
        )
    return checks


KIND = Effects()
