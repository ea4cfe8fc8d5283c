"""A figure of the site and where it comes from (`Value`), a study's figures by id (`ValueBook`), and
how ids are made: a row's key (`row_key`) and which figure of the row (`FigureField`).

The kinds of table add their figures to a study's book (`generator.kinds`); `generator.provenance`
collects a study's book and locates each quote in its source.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from generator.errors import DataError, Problem
from generator.model import row_segments

Origin = Literal["reported", "derived", "computed"]
"""Where a figure comes from: printed in the source, worked out from printed figures, or computed."""


class FigureField(StrEnum):
    """The last segment of a figure's id: which figure of its row (or arm) it is. Declared once: the
    kinds write ids with these, and the pages (Python and templates, as `F`) read them back."""

    COUNT = "count"
    DENOMINATOR = "denominator"
    PERCENT = "percent"
    ESTIMATE = "estimate"
    CI = "ci"
    REPORTED_CI = "reported_ci"
    VALUE = "value"
    P = "p"
    IMPLIED_P = "implied_p"
    DIFFERENCE = "difference"
    FISHER_P = "fisher_p"
    CYCLE_WEEKS = "cycle_weeks"
    CYCLE_DAYS = "cycle_days"
    DOSES_PER_CYCLE = "doses_per_cycle"
    TOTAL_DOSE = "total_dose"
    DAY = "day"
    DOSE = "dose"
    SPREAD = "spread"


@dataclass(frozen=True)
class Value:
    """One figure on the site, with its provenance."""

    id: str
    label: str
    text: str
    number: float | list[float | None] | None
    kind: Origin
    quote: str | None = None
    how: str | None = None
    file: str | None = None
    line: int | None = None
    where: str | None = None
    """For a reported figure: the document it is quoted from, and a table's row and column."""

    @property
    def anchor(self) -> str:
        """The id of this value's entry on the study's audit page."""
        return "v-" + re.sub(r"[^a-z0-9]+", "-", self.id.split("/", 1)[-1].lower()).strip("-")

    @property
    def explanation(self) -> str:
        """One line for a tooltip: where the figure comes from."""
        if self.kind == "reported":
            return f"Reported ({self.where}): “{self.quote}”" if self.where else f"Reported: “{self.quote}”"
        return f"{self.kind.capitalize()}: {self.how}"

    def as_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        return data


@dataclass
class ValueBook:
    """A study's Values by id, in the order they were added."""

    slug: str
    values: dict[str, Value] = field(default_factory=dict)
    _by_anchor: dict[str, Value] = field(default_factory=dict, repr=False, compare=False)
    _by_row: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    """The ids of each row's Values by field name (the Values themselves may be replaced in `values`)."""

    def add(self, value: Value) -> Value:
        clash = self.values.get(value.id) or self._by_anchor.get(value.anchor)
        if clash is not None:
            raise DataError(
                [
                    Problem(
                        Path(value.file or self.slug),
                        f"figures '{clash.label}' and '{value.label}' "
                        "would share one name on the site; rename an outcome or subgroup",
                        line=value.line,
                    )
                ]
            )
        self.values[value.id] = value
        self._by_anchor[value.anchor] = value
        row, name = value.id.rsplit("/", 1)
        self._by_row.setdefault(row + "/", {})[name] = value.id
        return value

    def __getitem__(self, key: str) -> Value:
        return self.values[f"{self.slug}/{key}"]

    def row(self, table: str, record: dict) -> dict[str, Value]:
        """The Values of one table row, by field name."""
        fields = self._by_row.get(f"{self.slug}/{row_key(table, record)}/", {})
        return {name: self.values[value_id] for name, value_id in fields.items()}


def check_provenance(book: ValueBook) -> None:
    """Every figure needs a source sentence (reported) or a derivation (derived, computed)."""
    missing = [v for v in book.values.values() if not (v.quote if v.kind == "reported" else v.how)]
    if missing:
        raise DataError(
            [
                Problem(
                    Path(v.file or book.slug),
                    f"figure '{v.label}' ({v.text}) has no source and no derivation",
                    line=v.line,
                )
                for v in missing
            ]
        )


def row_key(table: str, record: dict) -> str:
    """'responses/overall_response@all', with '-vs-placebo' for a comparison, then '/salvage-1' for a
    subgroup and '/grade-ge3' for a grade band (not the analysis set: ids have never named it)."""
    key = f"{table}/{record['outcome']}@{record['arm']}"
    if record.get("reference_arm"):
        key += f"-vs-{record['reference_arm']}"
    return key + row_segments(record, ("subgroup", "grade"))
