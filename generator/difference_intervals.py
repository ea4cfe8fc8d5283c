"""Intervals of a difference between two proportions, by the standard methods sources compute them with,
and which of them reproduce an interval a source prints.

Every interval is statsmodels' (`confint_proportions_2indep`, compare="diff"). The site's words for the
methods (an effect row's `ci_method`) are mapped to statsmodels' once, in `METHODS`. A printed interval is
reproduced by a method when each computed bound, in the units the interval is printed in, lies within the
rounding of the printed bound (half its last printed digit: 3.2 stands for 3.15 to 3.25, either tie).

The units are read from the printed difference: percentage points when it equals the difference of the
two percentages (100 × (a/n − b/m)) at its printed precision, a proportion when it equals a/n − b/m;
where both readings fit (a difference near 0), the one whose interval the methods come nearer to.

Pure: counts and printed numbers in, intervals and findings out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from generator.model import printed_decimals, rounding_half
from generator.recall import is_pair_or_none, remembered


@dataclass(frozen=True)
class Method:
    """One standard method: how pages name it, and how statsmodels computes it."""

    name: str
    statsmodels: str
    """`confint_proportions_2indep`'s `method`."""
    correction: bool = False
    """Miettinen and Nurminen's small-sample correction of the variance, N/(N − 1): statsmodels applies
    it to the score method only, and only this makes that method theirs (without it, it is Mee's)."""


METHODS: dict[str, Method] = {
    "newcombe": Method("Newcombe hybrid score", "newcomb"),
    "wald": Method("Wald", "wald"),
    "agresti-caffo": Method("Agresti-Caffo", "agresti-caffo"),
    "miettinen-nurminen": Method("Miettinen-Nurminen score", "score", correction=True),
}
"""The methods, by the words of an effect row's `ci_method`, in the order findings name them."""


@dataclass(frozen=True)
class Unit:
    """The units a difference is printed in."""

    name: str
    short: str
    """Its abbreviation after a number ('pp'), or '' for a proportion."""
    scale: int
    """A proportion's difference (0.1) times this is the difference in these units (10)."""


PERCENTAGE_POINTS = Unit("percentage points", " pp", 100)
PROPORTION = Unit("proportion", "", 1)


@dataclass(frozen=True)
class Counts:
    """Patients with the outcome of each of the two groups: count of total, and the reference's."""

    count: int
    total: int
    ref_count: int
    ref_total: int

    @property
    def difference(self) -> float:
        """count/total − ref_count/ref_total, as a proportion."""
        return self.count / self.total - self.ref_count / self.ref_total


@remembered(is_pair_or_none)
def difference_interval(method: str, counts: Counts, level: float) -> tuple[float, float] | None:
    """The interval of count/total − ref_count/ref_total by one method (a key of METHODS), at `level`
    (0.95), as proportions; None where the method gives none for these counts.

    statsmodels finds the score interval's bounds by root-finding inside a bracket it widens from the
    Wald interval by a fixed share, which misses a bound when a Wald bound is near 0 (it raises); then
    the same root-finding, on statsmodels' own score test, runs inside a bracket widened until it holds
    the bound (`_score_bound`)."""
    import numpy as np
    from statsmodels.stats.proportion import confint_proportions_2indep

    chosen = METHODS[method]
    with np.errstate(all="ignore"):
        try:
            low, high = confint_proportions_2indep(
                counts.count,
                counts.total,
                counts.ref_count,
                counts.ref_total,
                method=chosen.statsmodels,
                compare="diff",
                alpha=1 - level,
                correction=chosen.correction,
            )
        except ValueError:
            if chosen.statsmodels != "score":
                raise
            low = _score_bound(counts, level, chosen.correction, -1)
            high = _score_bound(counts, level, chosen.correction, 1)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    return float(low), float(high)


def _score_bound(counts: Counts, level: float, correction: bool, side: int) -> float | None:
    """One bound of the score interval (side -1: lower, 1: upper): where statsmodels' score test of
    `count/total − ref_count/ref_total = v` gives P = 1 − level, found by scipy's brentq between the
    observed difference and an edge moved outward (from the Wald interval's half width, by √2 each
    step) until its P is below 1 − level; None where no edge is (a count of 0 or all may give none)."""
    from scipy.optimize import brentq
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    alpha = 1 - level
    arms = (counts.count, counts.total, counts.ref_count, counts.ref_total)

    def beyond(value: float) -> float:
        test = test_proportions_2indep(
            *arms, value=value, compare="diff", method="score", correction=correction
        )
        return float(test.pvalue) - alpha

    wald_low, wald_high = confint_proportions_2indep(*arms, method="wald", compare="diff", alpha=alpha)
    width = max(float(wald_high - wald_low) / 2, 1e-3)
    observed = counts.difference
    for step in range(16):
        edge = max(-1 + 1e-9, min(1 - 1e-9, observed + side * width * 1.25 * 2 ** (step / 2)))
        below = beyond(edge)
        if math.isfinite(below) and below < 0:
            start, end = sorted((observed, edge))
            return float(brentq(beyond, start, end))
        if abs(edge) >= 1 - 1e-9:
            break
    return None


@dataclass(frozen=True)
class Printed:
    """A difference with its interval as the source prints it, and the interval's level (0.95)."""

    estimate: Decimal
    low: Decimal
    high: Decimal
    level: float


@dataclass(frozen=True)
class Attempt:
    """One method's interval against the printed one, in the printed units."""

    method: str
    low: Decimal
    high: Decimal
    """The computed bounds rounded as the printed ones are."""
    off: Decimal
    """How far the rounded computed bounds are from the printed ones, the farther of the two (0 when it
    reproduces them)."""
    reproduced: bool
    nearness: float
    """The farther of the two unrounded bounds' distances from the printed ones, as a proportion (orders
    the attempts, in either units)."""

    @property
    def name(self) -> str:
        return METHODS[self.method].name


@dataclass(frozen=True)
class Finding:
    """What the methods make of a printed interval, given the two groups' counts: in which units it is
    printed (None when the printed difference is not the counts' difference in either), each method's
    attempt, and the method the source states, if it does."""

    printed: Printed
    counts: Counts
    unit: Unit | None
    attempts: tuple[Attempt, ...]
    stated: str | None = None

    @property
    def reproducing(self) -> list[Attempt]:
        return [a for a in self.attempts if a.reproduced]

    @property
    def closest(self) -> Attempt | None:
        return min(self.attempts, key=lambda a: (a.off, a.nearness), default=None)

    @property
    def stated_attempt(self) -> Attempt | None:
        return next((a for a in self.attempts if a.method == self.stated), None)

    @property
    def passed(self) -> bool:
        """With a stated method: whether it reproduces the interval. Without: whether any method does."""
        if self.stated is not None:
            attempt = self.stated_attempt
            return attempt is not None and attempt.reproduced
        return bool(self.reproducing)

    @property
    def identified(self) -> list[str]:
        """The names of the methods the interval is made with: the stated one, else those reproducing it."""
        if self.stated is not None:
            return [METHODS[self.stated].name]
        return [a.name for a in self.reproducing]

    @property
    def arms_difference(self) -> str:
        """The counts' difference in the printed units ('10.0 percentage points'), or in both when the
        printed difference is neither."""
        if self.unit is None:
            return (
                f"{_plain(self.counts.difference * 100)} percentage points, "
                f"or {_plain(self.counts.difference)} as proportions"
            )
        return f"{_plain(self.counts.difference * self.unit.scale)} {self.unit.name}".rstrip()

    @property
    def summary(self) -> str:
        """The finding in words: 'reproduced by Newcombe hybrid score', 'no standard method reproduces
        it; closest: Wald, 3.5 to 20.8 (off by 0.3 pp)'."""
        if self.unit is None:
            return (
                f"not comparable: the printed difference {self.printed.estimate} is not the difference of "
                f"the two groups' counts ({self.arms_difference})"
            )
        others = _reproduced_by(self.reproducing)
        if self.stated is not None:
            attempt = self.stated_attempt
            if attempt is None:
                return (
                    f"{METHODS[self.stated].name}, the method the source states, gives no interval for "
                    "these counts; " + (others or "no standard method reproduces it")
                )
            if attempt.reproduced:
                return f"reproduced by {attempt.name}, the method the source states"
            return (
                f"{attempt.name}, the method the source states, gives {self._interval(attempt)} (off by "
                f"{attempt.off}{self.unit.short}); " + (others or "no standard method reproduces it")
            )
        if others:
            return others
        closest = self.closest
        if closest is None:
            return "no standard method gives an interval for these counts"
        return (
            f"no standard method reproduces it; closest: {closest.name}, {self._interval(closest)} "
            f"(off by {closest.off}{self.unit.short})"
        )

    def _interval(self, attempt: Attempt) -> str:
        return f"{attempt.low} to {attempt.high}"


def _reproduced_by(attempts: list[Attempt]) -> str:
    return "reproduced by " + " and by ".join(a.name for a in attempts) if attempts else ""


def _plain(number: float) -> str:
    """A computed difference for reading: 4 significant decimals at most ('10.0', '0.1')."""
    return f"{number:.4g}" if abs(number) < 1 else f"{number:.1f}"


def within_rounding(computed: float, printed: Decimal) -> bool:
    """Whether a computed number rounds to the printed one at its printed precision (either tie)."""
    slack = rounding_half(printed) + Decimal("1e-9") * max(Decimal(1), abs(printed))
    return abs(Decimal(repr(computed)) - printed) <= slack


def rounded_as(computed: float, printed: Decimal) -> Decimal:
    """A computed number rounded (half up) to the decimals the printed one has; never '-0.0'."""
    rounded = Decimal(repr(computed)).quantize(Decimal(1).scaleb(-printed_decimals(printed)), ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded


def attempt(method: str, counts: Counts, printed: Printed, unit: Unit) -> Attempt | None:
    """One method's interval against the printed one, in `unit`; None where it gives no interval."""
    interval = difference_interval(method, counts, printed.level)
    if interval is None:
        return None
    low, high = (bound * unit.scale for bound in interval)
    rounded = (rounded_as(low, printed.low), rounded_as(high, printed.high))
    reproduced = within_rounding(low, printed.low) and within_rounding(high, printed.high)
    off = max(abs(rounded[0] - printed.low), abs(rounded[1] - printed.high))
    nearness = max(abs(low - float(printed.low)), abs(high - float(printed.high))) / unit.scale
    return Attempt(method, *rounded, Decimal(0) if reproduced else off, reproduced, nearness)


def fitting_units(counts: Counts, printed: Printed) -> list[Unit]:
    """The units under which the printed difference is the counts' difference at its printed precision
    (and its interval lies within what such a difference can be)."""
    return [
        unit
        for unit in (PERCENTAGE_POINTS, PROPORTION)
        if within_rounding(counts.difference * unit.scale, printed.estimate)
        and -unit.scale <= printed.low <= printed.high <= unit.scale
    ]


def find(counts: Counts, printed: Printed, stated: str | None = None) -> Finding:
    """Every method's interval against the printed one, in the units the printed difference is in."""
    findings = []
    for unit in fitting_units(counts, printed):
        attempts = (attempt(method, counts, printed, unit) for method in METHODS)
        findings.append(Finding(printed, counts, unit, tuple(a for a in attempts if a), stated))
    if not findings:
        return Finding(printed, counts, None, (), stated)
    return min(findings, key=_fit)


def _fit(finding: Finding) -> tuple[bool, int, float]:
    """Orders the readings of one interval: the one where the stated method (or any) reproduces it,
    then more methods reproducing it, then the nearest attempt."""
    closest = finding.closest
    return (not finding.passed, -len(finding.reproducing), closest.nearness if closest else 0.0)
