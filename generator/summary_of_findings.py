"""A GRADE summary of findings of a shared outcome of effects: the relative effect with its interval,
the comparator risk the content states, the absolute effects the site computes from the two, the
participants and studies, and the certainty of the evidence as the content judges it.

Pure computation: a `Comparison` in, a `SummaryTable` out (None when content/outcomes.yml declares no
`summary_of_findings` for the outcome); templates/summary_of_findings.md.j2 renders it on the outcome's
comparison page. The site computes and never rates the evidence: the comparator risk, the certainty
and its reasons are the content's, shown as written.

The relative effect is the pooled estimate where the comparison pools that measure, else each study's
estimate as it reports it (one row each). The conversions are GRADE's (GRADE Handbook, Schünemann,
Brożek, Guyatt and Oxman, eds., 2013, "Summary of Findings tables"; Cochrane Handbook for Systematic
Reviews of Interventions, version 6, chapter 14 and section 15.4.4), with CR the comparator risk and
ACR the corresponding risk with the intervention, both proportions:

- risk ratio: ACR = CR × RR
- odds ratio: ACR = OR × CR / (1 − CR + OR × CR)
- hazard ratio: ACR = 1 − (1 − CR)^HR, that is 1 − exp(HR × ln(1 − CR)), under proportional hazards,
  at the time point of the comparator risk
- risk difference: ACR = CR + RD

The difference is ACR − CR, shown per 1,000. Each bound of the relative effect's interval is converted
the same way (each conversion rises with the effect); the comparator risk is taken as fixed, as GRADE's
tables take it, so its own uncertainty is not in the interval. These are definitions, not estimators:
no statistics library is needed for them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from markupsafe import Markup

from generator.formatting import reported_number
from generator.model import (
    RATIO_MEASURES,
    STARTING_CERTAINTY,
    ComparatorRisk,
    SharedOutcome,
    SummaryOfFindings,
)
from generator.summary import ComparisonEntry

if TYPE_CHECKING:
    from generator.comparison import Comparison, Pooled

PER = 1000
PER_TEXT = "per 1,000"
DIFFERENCE = "difference"
CONVERTED = ("risk_ratio", "odds_ratio", "hazard_ratio")
"""The ratios GRADE converts into a risk; a rate ratio compares rates, not risks."""
MARKS = {"high": "⊕⊕⊕⊕", "moderate": "⊕⊕⊕◯", "low": "⊕⊕◯◯", "very low": "⊕◯◯◯"}
"""GRADE's symbols of each level of certainty, shown beside its words."""
CONVERSIONS = {
    "risk_ratio": "risk ratio, ACR = CR × RR",
    "odds_ratio": "odds ratio, ACR = OR × CR / (1 − CR + OR × CR)",
    "hazard_ratio": "hazard ratio, ACR = 1 − (1 − CR)^HR (assuming proportional hazards, at the time "
    "point of the comparator risk)",
    DIFFERENCE: "risk difference, ACR = CR + RD",
}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


# The conversions (module docstring)


def corresponding_risk(measure: str, comparator: float, effect: float) -> float:
    """The risk with the intervention (ACR) at comparator risk CR, from a risk, odds or hazard ratio."""
    if measure == "risk_ratio":
        return comparator * effect
    if measure == "odds_ratio":
        return effect * comparator / (1 - comparator + effect * comparator)
    if measure == "hazard_ratio":
        return -math.expm1(effect * math.log1p(-comparator))  # 1 − (1 − CR)^HR, exact for small CR
    raise ValueError(f"a {measure.replace('_', ' ')} is not converted into a risk")


def risk_difference(difference: float, scale: str) -> float:
    """A risk difference as a proportion: 12.5 percentage points is 0.125."""
    return difference / 100 if scale == "percentage points" else difference


def per_thousand(risk: float) -> int:
    """A proportion as a whole number per 1,000, half away from zero: 0.1495 -> 150, -0.05 -> -50."""
    return int(Decimal(repr(risk * PER)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def difference_words(difference: float) -> str:
    """'50 fewer', '12 more', '0'."""
    count = per_thousand(difference)
    if count == 0:
        return "0"
    return f"{abs(count)} {'fewer' if count < 0 else 'more'}"


@dataclass(frozen=True)
class Absolute:
    """The absolute effects of one relative effect at the comparator risk, each a proportion."""

    comparator: float
    risk: float
    """The risk with the intervention (ACR)."""
    low: float | None = None
    high: float | None = None
    """The risk with the intervention at each bound of the relative effect's interval."""

    @property
    def risk_text(self) -> str:
        """'150 per 1,000 (120 to 188)'."""
        text = f"{per_thousand(self.risk)} {PER_TEXT}"
        if self.low is None or self.high is None:
            return text
        return f"{text} ({per_thousand(self.low)} to {per_thousand(self.high)})"

    @property
    def difference_text(self) -> str:
        """'50 fewer per 1,000 (80 fewer to 12 more)'."""
        text = f"{difference_words(self.risk - self.comparator)} {PER_TEXT}"
        if self.low is None or self.high is None:
            return text
        low, high = (difference_words(bound - self.comparator) for bound in (self.low, self.high))
        return f"{text} ({low} to {high})"

    @property
    def within_range(self) -> bool:
        """Whether every risk is one (0 to 1): a risk ratio times a high comparator risk may be above 1, a
        risk difference added to a low one below 0."""
        risks = [r for r in (self.risk, self.low, self.high) if r is not None]
        return all(0 <= r <= 1 for r in risks)


def absolute(
    measure: str, comparator: float, effect: tuple[float, float | None, float | None], scale: str | None
) -> Absolute:
    """The absolute effects at the comparator risk of an effect (estimate, low, high): a risk, odds or
    hazard ratio, or a risk difference on `scale` (percentage points or proportion)."""

    def convert(value: float) -> float:
        if measure != DIFFERENCE:
            return corresponding_risk(measure, comparator, value)
        if scale is None:
            raise ValueError("a difference is converted only when the content says it is a risk difference")
        return comparator + risk_difference(value, scale)

    estimate, low, high = effect
    if low is None or high is None:
        return Absolute(comparator, convert(estimate))
    return Absolute(comparator, convert(estimate), convert(low), convert(high))


# The table


@dataclass(frozen=True)
class Footnote:
    """A reason for the certainty, as the content gives it."""

    letter: str
    heading: str
    """'Rated down for imprecision'."""
    reason: str


@dataclass(frozen=True)
class FindingRow:
    """One relative effect of the outcome (pooled, or one study's) and what the site computes from it."""

    label: str
    """'' for a pooled row; a study's row names the study, its arms and any subgroup."""
    measure: str
    relative: Markup
    """The relative effect with its interval: a pooled one as computed, a study's as its page shows it."""
    absolute: Absolute | None
    not_converted: str
    """Why the row has no absolute effects; '' when it has them."""
    participants: int | None
    studies: int

    @property
    def pooled(self) -> bool:
        return not self.label

    @property
    def participants_text(self) -> str:
        """'405 (1 study)'; '– (2 studies)' when a study does not give the patients of both groups."""
        count = "–" if self.participants is None else f"{self.participants:,}"
        return f"{count} ({self.studies} {'study' if self.studies == 1 else 'studies'})"


@dataclass(frozen=True)
class SummaryTable:
    """What templates/summary_of_findings.md.j2 shows, as `page.summary_of_findings`."""

    outcome: SharedOutcome
    rows: list[FindingRow]
    left_out: list[str]
    """Why each figure of the outcome that is not in the table is left out."""
    pooling_on: bool

    @property
    def judgement(self) -> SummaryOfFindings:
        assert self.outcome.summary_of_findings is not None
        return self.outcome.summary_of_findings

    @property
    def title(self) -> str:
        return self.outcome.title

    @property
    def per_text(self) -> str:
        return PER_TEXT

    @property
    def marks(self) -> str:
        return MARKS[self.judgement.certainty]

    @property
    def certainty_words(self) -> str:
        return self.judgement.certainty.capitalize()

    @property
    def start_words(self) -> str:
        """Where GRADE starts the certainty of this evidence: 'high' for randomized trials."""
        return STARTING_CERTAINTY[self.judgement.evidence_from]

    @property
    def footnotes(self) -> list[Footnote]:
        """Each reason for rating the certainty down, then up, lettered a, b, c, ..."""
        reasons: list[tuple[str, str]] = [
            (f"Rated down for {r.domain}", r.reason) for r in self.judgement.downgraded
        ]
        reasons += [(f"Rated up for {r.domain}", r.reason) for r in self.judgement.upgraded]
        return [
            Footnote(_letter(number), heading, reason) for number, (heading, reason) in enumerate(reasons)
        ]

    @property
    def footnote_letters(self) -> str:
        return ",".join(f.letter for f in self.footnotes)

    @property
    def comparator(self) -> ComparatorRisk | None:
        return self.judgement.comparator_risk

    @property
    def comparator_text(self) -> str:
        """The comparator risk per 1,000: as the content states it, or its proportion times 1,000."""
        risk = self.comparator
        if risk is None:
            return "–"
        if risk.per_1000 is not None:
            return f"{reported_number(risk.per_1000)} {PER_TEXT}"
        return f"{per_thousand(risk.fraction)} {PER_TEXT}"

    @property
    def computed(self) -> bool:
        """Whether any row has absolute effects, computed by this site."""
        return any(r.absolute is not None for r in self.rows)

    @property
    def conversions(self) -> str:
        """The conversions the rows used, in words: 'risk ratio, ACR = CR × RR; ...'."""
        used = {r.measure for r in self.rows if r.absolute is not None}
        return "; ".join(words for measure, words in CONVERSIONS.items() if measure in used)

    @property
    def not_converted(self) -> list[FindingRow]:
        """The rows without absolute effects though a comparator risk is stated (each says why)."""
        return [r for r in self.rows if r.not_converted] if self.comparator is not None else []

    @property
    def basis(self) -> str:
        """Which relative effect the rows give, in words."""
        pooled = any(r.pooled for r in self.rows)
        single = [r for r in self.rows if not r.pooled]
        parts = []
        if pooled:
            parts.append(
                "A pooled relative effect is computed by this site over the studies that report it (its "
                "method is under Pooled estimate)."
            )
        if len(single) == 1 and not pooled:
            parts.append("The relative effect is the one study's estimate, as the study reports it.")
        elif single:
            off = " (pooling is off)" if not self.pooling_on else ""
            each = "Each other" if pooled else "Each"
            parts.append(f"{each} relative effect is one study's estimate as it reports it, not pooled{off}.")
        return " ".join(parts)


def _letter(number: int) -> str:
    """a, b, ..., z, aa, bb, ..."""
    return LETTERS[number % len(LETTERS)] * (1 + number // len(LETTERS))


# From a comparison to its summary of findings


def summary_of_findings(comparison: Comparison) -> SummaryTable | None:
    """The outcome's summary of findings, when content/outcomes.yml declares one; None otherwise."""
    judgement = comparison.outcome.summary_of_findings
    if judgement is None:
        return None
    pooled = {p.measure: p for p in comparison.pooled}
    rows = [_pooled_row(p, comparison.entries, judgement) for p in comparison.pooled]
    left_out = []
    for entry in comparison.entries:
        if entry.estimate is None:
            left_out.append(f"{_entry_label(entry)}: no estimate as a number.")
        elif entry.measure not in pooled:
            rows.append(_entry_row(entry, judgement))
    return SummaryTable(comparison.outcome, rows, left_out, comparison.pooling_on)


def _pooled_row(pooled: Pooled, entries: list[ComparisonEntry], judgement: SummaryOfFindings) -> FindingRow:
    """The row of a pooled estimate: its participants are those of every study it pools."""
    pooled_entries = [e for e in entries if e.measure == pooled.measure]
    patients = [e.participants for e in pooled_entries]
    relative = Markup(
        '{name} <span class="ev-value ev-computed">{estimate}</span> ({level} CI '
        '<span class="ev-value ev-computed">{interval}</span>)'
    ).format(
        name=pooled.measure_name.capitalize(),
        estimate=pooled.estimate_text,
        level=pooled.level_text,
        interval=pooled.interval_text,
    )
    effect = (pooled.estimate, pooled.ci_low, pooled.ci_high)
    found, why = _absolute(pooled.measure, effect, judgement, oriented=True)
    total = None if any(n is None for n in patients) else sum(n for n in patients if n is not None)
    return FindingRow("", pooled.measure, relative, found, why, total, pooled.studies)


def _entry_row(entry: ComparisonEntry, judgement: SummaryOfFindings) -> FindingRow:
    """The row of one study's estimate, as its page shows it."""
    assert entry.estimate is not None
    name = entry.measure.replace("_", " ").capitalize()
    if entry.measure == DIFFERENCE and judgement.difference_scale:
        name = "Risk difference"
    relative = Markup("{name} {shown}").format(name=name, shown=shown_again(entry.shown))
    if entry.shown_interval:
        level = f"{reported_number(round(entry.ci_level * 100, 6))}% " if entry.ci_level else ""
        relative += Markup(" ({level}CI {interval})").format(
            level=level, interval=shown_again(entry.shown_interval)
        )
    if entry.measure == DIFFERENCE and judgement.difference_scale:
        relative += Markup(", in {scale}").format(scale=judgement.difference_scale)
    effect = (entry.estimate, entry.ci_low, entry.ci_high)
    found, why = _absolute(entry.measure, effect, judgement, oriented=entry.experimental_vs_control)
    return FindingRow(_entry_label(entry), entry.measure, relative, found, why, entry.participants, 1)


_FIGURE_ID = re.compile(r"\{ #(?P<id>[a-z0-9-]+) (?P<marks>\.ev-value \.ev-[a-z]+) \}")
"""The attribute list of a figure link (`figures.figure_link`): its id and its marks."""


def shown_again(shown: str) -> Markup:
    """A figure link the comparison table already shows, shown a second time: the same link and marks,
    under an id of its own (an id names one element of a page)."""
    return Markup(_FIGURE_ID.sub(r"{ #sof-\g<id> \g<marks> }", shown))


def _entry_label(entry: ComparisonEntry) -> str:
    subgroup = f" ({entry.subgroup})" if entry.subgroup else ""
    return f"{entry.study_title} {entry.year}: {entry.arm}{subgroup}"


def _absolute(
    measure: str,
    effect: tuple[float, float | None, float | None],
    judgement: SummaryOfFindings,
    *,
    oriented: bool,
) -> tuple[Absolute | None, str]:
    """The absolute effects of a relative effect, or None and why the site does not compute them."""
    why = _why_not(measure, judgement, oriented=oriented)
    if why or judgement.comparator_risk is None:
        return None, why
    found = absolute(measure, judgement.comparator_risk.fraction, effect, judgement.difference_scale)
    if not found.within_range:
        return None, (
            f"at this comparator risk, the risk with the intervention (or a bound of its interval) is not "
            f"between 0 and {PER:,} {PER_TEXT}"
        )
    return found, ""


def _why_not(measure: str, judgement: SummaryOfFindings, *, oriented: bool) -> str:
    """Why an effect is not converted into absolute effects; '' when it is."""
    if judgement.comparator_risk is None:
        return "no comparator risk is stated"
    if measure in RATIO_MEASURES and measure not in CONVERTED:
        return f"a {measure.replace('_', ' ')} compares rates, not risks: it is not converted into a risk"
    if measure == DIFFERENCE and judgement.difference_scale is None:
        return (
            "a difference is converted only when content/outcomes.yml says it is a risk difference "
            "(difference_scale)"
        )
    if measure not in CONVERTED and measure != DIFFERENCE:
        return f"a {measure.replace('_', ' ')} is not converted into a risk"
    if not oriented:
        return (
            "the effect is not given for an experimental arm against a control arm, in that order, and the "
            "comparator risk is the control's"
        )
    return ""
