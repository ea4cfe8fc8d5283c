"""Measures: a value as printed with its unit, such as a median time, with its interval if printed.

Shown and charted as reported (one panel per measure); every value is checked against its quote.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from generator.analysis import StudyResults
from generator.audit import Check, ImpliedCounts, figures_in_quotes
from generator.columns import ROW_UNIT, TEXT, Column, as_reported
from generator.formatting import NumberFormat, reported_number, with_unit
from generator.frames import records
from generator.kinds.base import Download, Kind, Record, arm_population, as_printed, column_names, table_file
from generator.model import ALL_PATIENTS, MeasureRow
from generator.text import in_sentence
from generator.values import FigureField as F
from generator.values import Value, ValueBook, row_key

if TYPE_CHECKING:
    from generator.charts import Chart
    from generator.load import Study
    from generator.summary import ComparisonEntry


class Measures(Kind):
    name = "measures"
    row = MeasureRow
    columns = ("outcome", "label", "arm", "value", "unit", "status", "source")
    title = "Measures"
    description = "A value as printed with its unit, such as a median time."
    help: ClassVar[Mapping[str, str]] = {
        "outcome": "The outcome's key: lowercase letters, digits and underscores.",
        "label": "How the site names the outcome.",
        "arm": "An arm id of study.yml, or all for every patient.",
        "subgroup": "The subgroup of patients the value is for, if any.",
        "status": "Always reported: a measure is printed in the source.",
        "unit": "The value's unit, such as months.",
        "source": "The sentence of a source the row is read from, word for word.",
    }
    template = "kinds/measures.md.j2"
    download = Download(
        column_names(
            """study registry_id doi outcome label arm subgroup value unit method ci_low ci_high
            ci_method ci_level_percent status source"""
        ),
        as_reported,
    )
    new_columns: ClassVar[tuple[Column, ...]] = (
        Column("value", "The value as printed (5.0 stays 5.0), or 'not reached'.", ROW_UNIT),
        Column("method", "How the value was estimated, as printed (Kaplan-Meier).", TEXT),
    )
    example = (
        "survival",
        [
            {
                "outcome": "median_os",
                "label": "Median overall survival",
                "arm": "drug-a",
                "value": "9.5",
                "unit": "months",
                "status": "reported",
                "source": "The median overall survival was 9.5 months with drug A",
            }
        ],
    )
    headline = True
    compared_as = "measure as reported (such as a median)"
    measured_in_units = True
    audit_rank = 1  # after the effects' checks, as the audit has always listed them

    def add_values(
        self, book: ValueBook, table: str, frame: pd.DataFrame, results: StudyResults, fmt: NumberFormat
    ) -> None:
        for record in records(frame):
            _measure_values(book, table, record, table_file(results, table))

    def audit(
        self, table: str, frame: pd.DataFrame, results: StudyResults, file: str
    ) -> tuple[list[Check], list[ImpliedCounts]]:
        return figures_in_quotes(table, frame, ["value"], file), []

    def chart(self, table: str, title: str, frame: pd.DataFrame, fmt: NumberFormat) -> Chart | None:
        """Points for the measures a number gives, one panel each; None when none does."""
        from generator.charts import measure_chart, measure_groups, open_intervals  # only to draw

        groups = measure_groups(frame)
        if not groups:
            return None
        measures = [in_sentence(str(g["label"].iloc[0])) for g in groups]
        named = ", ".join(measures[:-1]) + (" and " if len(measures) > 1 else "") + measures[-1]
        left_out = len(frame) - sum(len(g) for g in groups)
        words = " Figures given in words are in the table only." if left_out else ""
        if open_intervals(groups):
            words += (
                " An interval with a bound given in words (such as not reached) runs to the edge of the "
                "axis and ends in an arrowhead."
            )
        return measure_chart(
            table,
            f"{title}, as reported" if named.lower() == title.lower() else f"{title}: {named}",
            "Each measure as reported, in its own panel (panels in the same unit share a scale), for "
            "all patients, each arm and each subgroup: a whisker spans the reported interval, a hollow "
            f"point is a figure reported without one.{words} No curve is modelled.",
            frame,
        )

    def main_figure(self, values: Mapping[str, Value]) -> Value | None:
        return values.get(F.VALUE)

    def entry_fields(self, study: Study, record: Record, fmt: NumberFormat) -> dict[str, Any]:
        """A value in its unit, with its printed interval."""
        fields = as_printed(record, record.get("value"), record.get("unit"))
        return {**fields, "arm": record["arm_label"], "population": arm_population(study, record)}

    def figure_text(self, entry: ComparisonEntry, fmt: NumberFormat | None) -> str:
        return f"{super().figure_text(entry, fmt)} {entry.measure}"


def _measure_values(book: ValueBook, table: str, r: dict, file: str) -> None:
    # a subgroup of all patients is named alone: "All patients · <subgroup>" would read as everyone
    arm = None if r.get("subgroup") and r["arm"] == ALL_PATIENTS else r["arm_label"]
    label = " · ".join(str(p) for p in (r["label"], arm, r.get("subgroup")) if p)
    value = r["value"]
    book.add(
        Value(
            f"{book.slug}/{row_key(table, r)}/{F.VALUE}",
            label,
            with_unit(value, r["unit"]),
            float(value) if isinstance(value, Decimal) else None,
            "reported",
            r["source"],
            file=file,
            line=r["line"],
        )
    )
    if r.get("ci_low") is not None and not pd.isna(r["ci_low"]):
        level = f"{reported_number(r['ci_level'])}% " if r["ci_level"] else ""
        low = r["ci_low"] if isinstance(r["ci_low"], str) else reported_number(r["ci_low"])
        text = f"{low} to {with_unit(r['ci_high'], r['unit'])}"
        book.add(
            Value(
                f"{book.slug}/{row_key(table, r)}/{F.CI}",
                f"{label}: {level}CI",
                text,
                [None if isinstance(b, str) else float(b) for b in (r["ci_low"], r["ci_high"])],
                "reported",
                r["source"],
                file=file,
                line=r["line"],
            )
        )


KIND = Measures()
