"""Which methods the figures of a page use, so that its notes ("How to read the figures") name those
and no other: a computed interval of a proportion, a difference between arms and its interval,
Fisher's exact test, the P value an interval implies, counts derived from printed figures, and
intervals printed by the source.

Each kind of table says what one of its tables uses (`Kind.methods`); a page's methods are those of
its sections (`sections_methods`), or of the figures it shows alone, such as the overview's cards
(`values_methods`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from generator.values import FigureField as F
from generator.values import Value

if TYPE_CHECKING:
    from generator.analysis import StudyResults
    from generator.layout import Section


@dataclass(frozen=True)
class Methods:
    """The methods behind a page's figures (each True when at least one figure uses it)."""

    proportion_ci: bool = False
    """A confidence interval the site computes for a proportion (statistics.ci_method)."""
    difference_ci: bool = False
    """A difference between arms with the interval the site computes (statistics.difference_method)."""
    fisher: bool = False
    """Fisher's exact test between arms, computed by the site."""
    implied_p: bool = False
    """The P value a printed interval implies, computed by the site."""
    derived_counts: bool = False
    """Counts the site works out from printed figures (a percentage, a sum, a complement)."""
    reported_intervals: bool = False
    """Intervals printed by the source, shown as printed."""

    def __or__(self, other: Methods) -> Methods:
        return Methods(**{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)})

    @property
    def computed(self) -> bool:
        """Whether the site computes any figure of the page (beyond a percentage)."""
        return self.proportion_ci or self.difference_ci or self.fisher or self.implied_p


def any_value(frame: pd.DataFrame, column: str) -> bool:
    """Whether a column of a table holds at least one value (not empty, not NaN)."""
    return column in frame and bool(frame[column].notna().any())


def sections_methods(sections: Iterable[Section], results: StudyResults) -> Methods:
    """The methods of the tables on a page: each asks its kind."""
    used = Methods()
    for section in sections:
        used = used | section.kind.methods(section.table, results)
    return used


def values_methods(values: Iterable[Value | None]) -> Methods:
    """The methods behind figures shown one by one (such as the overview's cards), read from each
    figure's field and origin."""
    used = Methods()
    for value in values:
        if value is not None:
            used = used | _value_methods(value)
    return used


def _value_methods(value: Value) -> Methods:
    field = value.id.rsplit("/", 1)[-1]
    computed = value.kind == "computed"
    return Methods(
        proportion_ci=field == F.CI and computed and "/comparison/" not in value.id,
        difference_ci=field == F.CI and computed and "/comparison/" in value.id,
        fisher=field == F.FISHER_P,
        implied_p=field == F.IMPLIED_P,
        derived_counts=value.kind == "derived",
        reported_intervals=field in (F.CI, F.REPORTED_CI) and value.kind == "reported",
    )


def shown_values(*items: Any) -> list[Value]:
    """The figures records of a page hold (a card: its main figure, count, interval; a main result and
    the figures of its arms), in order; None stands for no record."""
    found: list[Value] = []
    for item in items:
        if isinstance(item, Value):
            found.append(item)
        elif isinstance(item, list | tuple):
            found += shown_values(*item)
        elif is_dataclass(item) and not isinstance(item, type):
            found += shown_values(*(getattr(item, f.name) for f in fields(item)))
    return found
