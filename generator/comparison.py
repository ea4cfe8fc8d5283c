"""Studies side by side: for each outcome they share, every study's figure, the caveats a reader
needs, and (where the settings turn it on and the figures allow it) a pooled estimate.

Pure computation: entries in, dataclasses out. Pooling is statsmodels' `combine_effects`; the forest
plot is drawn by `forest.py`; the pages are templates/comparison.md.j2 (one outcome) and
templates/comparisons.md.j2 (the list), rendered from `ComparisonPage` and `ComparisonsIndexPage`.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from html import unescape
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from generator.analysis import StudyResults
from generator.charts import Chart
from generator.config import TAU2_METHOD_NAMES, TAU2_METHODS, ComparisonSettings
from generator.figures import ShowFigure
from generator.formatting import NumberFormat, design_words, p_value, reported_number
from generator.frames import records
from generator.kinds import KINDS
from generator.kinds.base import text_or_none
from generator.layout import SiteInfo, StudyLayout
from generator.model import RATIO_MEASURES, OutcomeVocabulary, SharedOutcome, SharedRef
from generator.paging import Pager
from generator.summary import ComparisonEntry, events_markdown
from generator.text import escape_markdown
from generator.values import FigureField as F
from generator.values import Value, ValueBook

FOLDER = "comparisons"
"""The comparison pages' folder, relative to the docs folder: one page per outcome and the list."""
INDEX_PAGE = f"{FOLDER}/index.md"


def comparison_path(key: str) -> str:
    """The page of a shared outcome, relative to the docs folder."""
    return f"{FOLDER}/{key}.md"


DIFFERENCE = "difference"
MEASURE_NAMES = {
    "proportion": "proportion",
    "hazard_ratio": "hazard ratio",
    "odds_ratio": "odds ratio",
    "risk_ratio": "risk ratio",
    "rate_ratio": "rate ratio",
    DIFFERENCE: "difference",
}
INTERVAL_WORDS = {
    "reported": "reported",
    "computed": "computed by this site from n/N",
    "none": "no interval",
}
ORIGIN_WORDS = {
    "reported": "reported by the study",
    "computed": "computed by this site from n/N",
    "none": "absent",
}
LISTED = 4
"""How many different designs, populations or units a caveat names before it says how many more."""

DERIVATION = (
    "Each study's variance is derived from its interval and that interval's level, as the study gives "
    "them: the standard error is SE = (ln upper − ln lower) / (2z) for a ratio, pooled on the log scale, "
    "or SE = (upper − lower) / (2z) for a difference, where z is the standard normal quantile of the "
    "level (z = 1.96 for a 95% interval); the variance is SE². The pooled estimate and its interval "
    "(normal distribution, at the site's confidence level) come from statsmodels' combine_effects; a "
    "ratio is shown back on its own scale."
)


@dataclass(frozen=True)
class Pooled:
    """A pooled estimate of one effect measure over the studies that report it."""

    measure: str
    estimate: float
    ci_low: float
    ci_high: float
    ci_level: float
    tau2: float
    """Between-study variance (on the log scale for a ratio), truncated at 0."""
    i2: float
    """Share of the variation due to heterogeneity rather than chance (0 to 1), truncated at 0."""
    q: float
    q_df: int
    q_p_value: float
    """P value of Cochran's Q test of heterogeneity (chi-squared on q_df degrees of freedom)."""
    studies: int
    method: str
    """The method in words, such as "random effects, DerSimonian-Laird estimate of tau²"."""
    heterogeneity_note: str = ""
    """Why Q or I² is at a bound of its range (0), in words; empty when neither is."""
    model: str = "random-effects"
    """The pooling model of the settings: random-effects or fixed-effect. tau² is a figure of the
    random-effects model only: under fixed-effect it is neither shown nor published."""
    weights: tuple[tuple[str, float], ...] = ()
    """Each study's share of the pooled estimate (0 to 1), by study slug, in the model's weights."""

    @property
    def shows_tau2(self) -> bool:
        """Whether tau² belongs to the model named (random effects); Q and I² belong to both."""
        return self.model != "fixed-effect"

    def weight_of(self, study: str) -> float | None:
        return dict(self.weights).get(study)

    @property
    def log_scale(self) -> bool:
        return self.measure in RATIO_MEASURES

    @property
    def measure_name(self) -> str:
        return measure_name(self.measure)

    @property
    def estimate_text(self) -> str:
        return effect_number(self.estimate, self.measure)

    @property
    def interval_text(self) -> str:
        return f"{effect_number(self.ci_low, self.measure)} to {effect_number(self.ci_high, self.measure)}"

    @property
    def level_text(self) -> str:
        return f"{reported_number(round(self.ci_level * 100, 6))}%"

    @property
    def tau2_text(self) -> str:
        return f"{self.tau2:.4f}"

    @property
    def i2_text(self) -> str:
        return f"{self.i2 * 100:.1f}%"

    @property
    def q_text(self) -> str:
        return f"{self.q:.2f}"

    @property
    def p_text(self) -> str:
        return p_value(self.q_p_value)


@dataclass(frozen=True)
class ComparisonRow:
    """One entry as the comparison table shows it: each cell worked out here, not in the template."""

    entry: ComparisonEntry
    interval: str
    provenance: str
    interval_note: str = ""
    """The interval's level, and whether printed or computed (with the method)."""
    weight: str = ""
    """The study's weight in the pooled estimate of its measure ('12.3%'); empty when not pooled."""

    @property
    def study_title(self) -> str:
        return self.entry.study_title

    @property
    def year(self) -> int:
        return self.entry.year

    @property
    def design(self) -> str:
        return self.entry.design

    @property
    def population(self) -> str:
        return self.entry.population

    @property
    def arm(self) -> str:
        return self.entry.arm

    @property
    def subgroup(self) -> str | None:
        return self.entry.subgroup

    @property
    def link(self) -> str:
        """The study page showing the figure, relative to the comparison page."""
        return posixpath.relpath(self.entry.page, FOLDER)

    @property
    def shown(self) -> Markup:
        """The figure with its provenance link, as the study's page shows it (Markdown made by the site)."""
        return Markup(self.entry.shown)

    @property
    def shown_interval(self) -> Markup | None:
        """The interval with its provenance link, as the study's page shows it; None without one."""
        return Markup(self.entry.shown_interval) if self.entry.shown_interval else None

    @property
    def shown_events(self) -> Markup | None:
        """Each group's events/total with their provenance links (an effect's); None where unknown."""
        return Markup(self.entry.shown_events) if self.entry.shown_events else None


@dataclass(frozen=True)
class Comparison:
    """One shared outcome: each study's figures, what to keep in mind, and any pooled estimates."""

    outcome: SharedOutcome
    entries: list[ComparisonEntry]
    """Sorted by study year, then title, then arm (and subgroup)."""
    pooled: list[Pooled]
    caveats: list[str]
    pooling_on: bool
    """Whether site_config.yml turns pooling on (comparison.pooling)."""
    pooling_notes: list[str]
    """With pooling on, why each measure was not pooled (empty when all were)."""
    chart_measure: str | None
    """The one measure or unit the forest plot shows (the most frequent); None when nothing can be drawn."""

    @property
    def key(self) -> str:
        return self.outcome.key

    @property
    def title(self) -> str:
        return self.outcome.title

    @property
    def path(self) -> str:
        """The comparison page, relative to the docs folder."""
        return comparison_path(self.key)

    @property
    def page_name(self) -> str:
        """The comparison page, relative to the list of comparisons."""
        return f"{self.key}.md"

    @cached_property
    def studies(self) -> int:
        return len({e.study for e in self.entries})

    @property
    def kind_words(self) -> str:
        return str(KINDS[self.outcome.kind].compared_as)

    @property
    def pooled_words(self) -> str:
        if not self.pooling_on:
            return "off"
        if not self.pooled:
            return "not possible"
        return ", ".join(p.measure_name for p in self.pooled)

    @property
    def is_forest(self) -> bool:
        """Whether its chart is a forest plot: effects between arms (ratios or differences), each against
        the line of no effect. Per-arm figures (proportions, measures) are drawn side by side instead."""
        measure = self.chart_measure
        effects = KINDS[self.outcome.kind].pooled  # the kind whose figures are effects between arms
        return effects and (measure in RATIO_MEASURES or measure == DIFFERENCE)

    @property
    def chart_words(self) -> str:
        """What its chart is, for the list of comparisons."""
        if self.chart_measure is None:
            return "none (no figure is a number)"
        return "forest plot" if self.is_forest else "side by side, each arm's own figure"

    @cached_property
    def charted(self) -> list[ComparisonEntry]:
        """The entries the forest plot draws: a number in the chart's measure or unit."""
        return [e for e in self.entries if e.measure == self.chart_measure and e.estimate is not None]

    @property
    def derivation(self) -> str:
        return DERIVATION


@dataclass(frozen=True)
class ComparisonPage:
    """What templates/comparison.md.j2 receives, as `page`."""

    site: SiteInfo
    comparison: Comparison
    chart: Chart | None
    fmt: NumberFormat
    entries: list[ComparisonEntry] | None = None
    """The figures this page lists (a page of a long comparison); None: every figure."""
    pager: Pager | None = None

    @property
    def description(self) -> Markup:
        """The page's meta description, for its front matter: the outcome and how many studies report it
        (as character references, since the theme writes it as it is, in a YAML string)."""
        count = self.comparison.studies
        studies = f"{count} {'study' if count == 1 else 'studies'}"
        text = f"{self.comparison.title}: {studies} side by side, each figure with its source."
        return Markup(json.dumps(str(escape_markdown(text)), ensure_ascii=False))

    @property
    def rows(self) -> list[ComparisonRow]:
        return [
            ComparisonRow(
                e,
                interval_text(e, self.fmt),
                provenance_text(e),
                interval_note(e, self.fmt),
                weight_text(self.comparison, e),
            )
            for e in (self.comparison.entries if self.entries is None else self.entries)
        ]

    @property
    def weighted(self) -> bool:
        """Whether the table has a column of weights: a pooled estimate."""
        return bool(self.comparison.pooled)

    @cached_property
    def counted(self) -> bool:
        """Whether the table has a column of each group's events/total: an entry gives them (asked
        once a row: found once, or a paged comparison's pages would each scan every figure a row)."""
        return any(e.shown_events for e in self.comparison.entries)

    @property
    def path(self) -> str:
        return self.comparison.path

    @property
    def summary_of_findings(self) -> Any:
        """The outcome's GRADE summary of findings (a `summary_of_findings.SummaryTable`), when
        content/outcomes.yml declares one; None otherwise."""
        from generator.summary_of_findings import summary_of_findings  # it reads this module's types

        return summary_of_findings(self.comparison)


@dataclass(frozen=True)
class ComparisonsIndexPage:
    """What templates/comparisons.md.j2 receives, as `page`: every comparison, in vocabulary order."""

    site: SiteInfo
    comparisons: list[Comparison]
    fmt: NumberFormat

    @property
    def path(self) -> str:
        return INDEX_PAGE


def build_comparisons(
    vocabulary: OutcomeVocabulary,
    entries: list[ComparisonEntry],
    settings: ComparisonSettings,
    ci_level: float,
) -> list[Comparison]:
    """One comparison per outcome of the vocabulary that has entries, in the vocabulary's order."""
    by_outcome: dict[str, list[ComparisonEntry]] = defaultdict(list)
    for entry in entries:
        by_outcome[entry.outcome].append(entry)
    return [
        compare(outcome, by_outcome[outcome.key], settings, ci_level)
        for outcome in vocabulary.outcomes
        if by_outcome.get(outcome.key)
    ]


def compare(
    outcome: SharedOutcome, entries: list[ComparisonEntry], settings: ComparisonSettings, ci_level: float
) -> Comparison:
    """The comparison of one outcome's entries."""
    ordered = sorted(entries, key=_entry_order)
    measure = chart_measure(ordered)
    pooled: list[Pooled] = []
    notes: list[str] = []
    if settings.pooling:
        pooled, notes = pool_effects(outcome, ordered, settings, ci_level)
    return Comparison(
        outcome, ordered, pooled, caveats(outcome, ordered, measure), settings.pooling, notes, measure
    )


def _entry_order(entry: ComparisonEntry) -> tuple:
    return (entry.year, entry.study_title, entry.study, entry.arm, entry.subgroup or "", entry.measure)


def chart_measure(entries: list[ComparisonEntry]) -> str | None:
    """The measure or unit most entries give a number in (the first of them on a tie)."""
    counts = Counter(e.measure for e in entries if e.estimate is not None and e.measure != "none")
    if not counts:
        return None
    return max(counts, key=counts.__getitem__)  # max keeps the first of equal counts, in entry order


# Pooling


def pool_effects(
    outcome: SharedOutcome, entries: list[ComparisonEntry], settings: ComparisonSettings, ci_level: float
) -> tuple[list[Pooled], list[str]]:
    """Pooled estimates, one per effect measure that can be pooled, and why the others cannot."""
    kind = KINDS[outcome.kind]
    if not kind.pooled:
        return [], [
            f"Pooling is offered only for effects between arms (ratios or differences); this outcome's "
            f"figures are of another kind ({kind.compared_as})."
        ]
    groups: dict[str, list[ComparisonEntry]] = defaultdict(list)
    for entry in entries:
        groups[entry.measure].append(entry)
    pooled, notes = [], []
    for measure, group in groups.items():
        reason = unpoolable(measure, group)
        try:
            result = None if reason else pool(measure, group, settings, ci_level)
        except (ArithmeticError, ValueError):
            result = None
            reason = _beyond(measure)
        if result is not None and not all(map(math.isfinite, _numbers(result))):
            reason = _beyond(measure)
        if reason:
            notes.append(reason)
        elif result is not None:
            pooled.append(result)
    return pooled, notes


def _numbers(pooled: Pooled) -> list[float]:
    return [pooled.estimate, pooled.ci_low, pooled.ci_high, pooled.tau2, pooled.i2, pooled.q]


def _beyond(measure: str) -> str:
    return (
        f"{measure_name(measure).capitalize()}: not pooled, as the estimates and intervals are beyond "
        "what floating-point numbers can combine."
    )


def unpoolable(measure: str, group: list[ComparisonEntry]) -> str | None:
    """Why these entries of one measure cannot be pooled, or None if they can."""
    name = measure_name(measure).capitalize()
    if measure not in RATIO_MEASURES and measure != DIFFERENCE:
        return f"{name}: not pooled, as only ratios and differences are pooled."
    if any(e.estimate is None for e in group):
        return f"{name}: not pooled, as an estimate is not given as a number."
    turned = [e for e in group if not e.experimental_vs_control]
    if turned:
        arms = _listed(_distinct(e.arm for e in turned))
        return (
            f"{name}: not pooled, as an effect is pooled only when each study gives it for an "
            f"experimental arm against a control arm, in that order; {arms} is not."
        )
    without = [e for e in group if not has_interval(e)]
    if without:
        return (
            f"{name}: not pooled, as {len(without)} of the {len(group)} estimates "
            f"{'has' if len(without) == 1 else 'have'} no interval with its level (or one that is half-open "
            "or of zero width) to derive a variance from."
        )
    beyond = [e for e in group if variance(e) is None]
    if beyond:
        return (
            f"{name}: not pooled, as {len(beyond)} of the {len(group)} estimates "
            f"{'has' if len(beyond) == 1 else 'have'} an interval too narrow or too wide for its variance "
            "to be computed with floating-point numbers."
        )
    per_study = Counter(e.study for e in group)
    repeated = [e.study_title for e in group if per_study[e.study] > 1]
    if repeated:
        return (
            f"{name}: not pooled, as a study gives more than one estimate (for several arms or subgroups: "
            f"{_listed(_distinct(repeated))}); pooling takes one estimate per study."
        )
    if len(per_study) < 2:
        return f"{name}: not pooled, as only one study reports it."
    return None


def has_interval(entry: ComparisonEntry) -> bool:
    """An interval a variance can be derived from: both bounds, their level, and a width."""
    return (
        entry.ci_low is not None
        and entry.ci_high is not None
        and entry.ci_level is not None
        and 0 < entry.ci_level < 1
        and entry.ci_high > entry.ci_low
    )


def standard_error(entry: ComparisonEntry) -> float:
    """SE from the interval: (ln hi − ln lo) / (2z) for a ratio, (hi − lo) / (2z) otherwise."""
    from scipy.stats import norm

    if entry.ci_level is None or entry.ci_low is None or entry.ci_high is None:
        raise ValueError("an entry without an interval and its level has no standard error")
    z = float(norm.ppf(0.5 + entry.ci_level / 2))
    scale = _log_scale(entry.measure)
    return (scale(entry.ci_high) - scale(entry.ci_low)) / (2 * z)


def variance(entry: ComparisonEntry) -> float | None:
    """The estimate's variance from its interval, None when it is not a positive finite number (an
    interval of 1e-200 underflows to 0, one of 1e+200 overflows) or the estimate is not finite."""
    try:
        value = standard_error(entry) ** 2
        finite = math.isfinite(_log_scale(entry.measure)(entry.estimate))
    except (OverflowError, ValueError):
        return None
    return value if finite and math.isfinite(value) and value > 0 else None


def _log_scale(measure: str):
    return math.log if measure in RATIO_MEASURES else float


def pool(measure: str, group: list[ComparisonEntry], settings: ComparisonSettings, ci_level: float) -> Pooled:
    """statsmodels' combine_effects over one estimate per study; a ratio on the log scale."""
    from statsmodels.stats.meta_analysis import combine_effects  # only when pooling: it is slow to import

    scale = _log_scale(measure)
    effects = np.array([scale(e.estimate) for e in group])
    variances = np.array([variance(e) for e in group], dtype=float)
    alpha = 1 - ci_level
    # statsmodels divides by Q (0 for identical estimates) and takes roots of a negative variance
    # (its Hartung-Knapp interval, unused here) when its tau² is below 0
    with np.errstate(divide="ignore", invalid="ignore"):
        result = combine_effects(
            effects, variances, method_re=TAU2_METHODS[settings.tau2_method], alpha=alpha, use_t=False
        )
        fixed_ci, random_ci, *_ = result.conf_int(alpha=alpha, use_t=False)
    tau2_name = TAU2_METHOD_NAMES[settings.tau2_method]
    weights = _shares(result.weights_fe)
    if settings.model == "fixed-effect":
        mean, ci, method = result.mean_effect_fe, fixed_ci, "fixed effect, inverse variance"
    elif result.tau2 <= 0:
        # DerSimonian-Laird's estimate below 0 is read as 0 (statsmodels leaves it negative): the
        # random-effects weights are then the fixed-effect ones
        mean, ci = result.mean_effect_fe, fixed_ci
        method = f"random effects, {tau2_name} estimate of tau² (0, so equal to the fixed-effect estimate)"
    else:
        mean, ci, method = result.mean_effect_re, random_ci, f"random effects, {tau2_name} estimate of tau²"
        weights = _shares(result.weights_re)
    back = math.exp if measure in RATIO_MEASURES else float
    heterogeneity = result.test_homogeneity()
    same = len(set(effects.tolist())) == 1
    q, i2, note = heterogeneity_in_range(float(result.q), int(heterogeneity.df), float(result.i2), same=same)
    return Pooled(
        measure=measure,
        estimate=back(float(mean)),
        ci_low=back(float(ci[0])),
        ci_high=back(float(ci[1])),
        ci_level=ci_level,
        tau2=max(float(result.tau2), 0.0),
        i2=i2,
        q=q,
        q_df=int(heterogeneity.df),
        q_p_value=float(heterogeneity.pvalue),
        studies=len(group),
        method=method,
        heterogeneity_note=note,
        model=settings.model,
        weights=tuple(zip([e.study for e in group], weights, strict=True)),
    )


def _shares(weights: np.ndarray) -> list[float]:
    """statsmodels' inverse-variance weights of one model as shares of their sum (0 to 1)."""
    total = float(np.sum(weights))
    return [float(w) / total for w in weights]


Q_ROUNDING = 1e-9
"""A Cochran's Q this close to 0 is 0: estimates that are the same give Q of ±1e-15 in floating point."""


SAME_ESTIMATES = "The estimates are the same, so they vary no more than chance allows: Q is 0 and I² 0%."
Q_ZERO = (
    "Q is 0 to the precision of the computation (the estimates differ by far less than their intervals' "
    "width), so I² is 0%."
)
Q_NOT_ABOVE_DF = (
    "I² is 0% because Q is not above its degrees of freedom: the estimates vary no more than chance "
    "allows (I² = (Q − df) / Q, taken as 0 below 0)."
)


def heterogeneity_in_range(q: float, df: int, i2: float, *, same: bool = False) -> tuple[float, float, str]:
    """Cochran's Q and I² (statsmodels') kept in their ranges, with why a bound was taken.

    Q is a sum of squares, so at least 0; I² = (Q − df) / Q is a share, 0 when Q is at most its degrees
    of freedom (Higgins and Thompson 2002). Identical estimates give Q of 0 (statsmodels' rounding
    leaves ±1e-15, and an I² divided by it that runs to 10¹⁵)."""
    if not math.isfinite(q) or q < Q_ROUNDING * max(df, 1):
        return 0.0, 0.0, SAME_ESTIMATES if same else Q_ZERO
    if q <= df or not math.isfinite(i2):
        return q, 0.0, Q_NOT_ABOVE_DF
    return q, min(max(i2, 0.0), 1.0), ""


# Caveats


def caveats(outcome: SharedOutcome, entries: list[ComparisonEntry], measure: str | None) -> list[str]:
    """What a reader needs before comparing: the outcome's notes, then what the entries show."""
    found = [*outcome.notes]
    designs = _distinct(e.design for e in entries)
    if len(designs) > 1:
        found.append(
            f"The studies differ in design ({_listed(designs)}): a difference between their estimates "
            "may come from how they were run, not only from the treatments."
        )
    populations = _distinct(e.population for e in entries)
    if len(populations) > 1:
        found.append(
            f"The estimates are about different populations and analysis sets ({_listed(populations)})."
        )
    found += _status_caveats(entries)
    found += _interval_caveats(entries)
    found += _chart_caveats(entries, measure)
    return found


def _status_caveats(entries: list[ComparisonEntry]) -> list[str]:
    derived = [e for e in entries if e.status == "derived"]
    if not derived:
        return []
    if len(derived) == len(entries):
        return [
            "Every estimate here is derived by this site from reported figures, not printed by the source."
        ]
    return [
        f"{len(derived)} of the {len(entries)} estimates are derived by this site from reported figures; "
        "the others are printed by their source (see the provenance column)."
    ]


def _interval_caveats(entries: list[ComparisonEntry]) -> list[str]:
    found = []
    kinds = Counter(e.interval for e in entries)
    if len(kinds) > 1:
        parts = [f"{kinds[k]} {ORIGIN_WORDS[k]}" for k in ("reported", "computed", "none") if kinds[k]]
        found.append(f"The intervals are not all of one origin: {'; '.join(parts)}.")
    levels = _distinct(
        f"{reported_number(round(e.ci_level * 100, 6))}%"
        for e in entries
        if e.interval != "none" and e.ci_level is not None
    )
    if len(levels) > 1:
        found.append(f"The intervals are at different confidence levels ({_listed(levels)}).")
    if kinds["none"]:
        found.append("An estimate without an interval is drawn as a point only (a hollow marker).")
    if any(map(half_open, entries)):
        found.append(
            "An interval with one bound in words (such as not reached) is half-open: it is drawn running "
            "to the edge of the axis, ending in an arrowhead."
        )
    return found


def _chart_caveats(entries: list[ComparisonEntry], measure: str | None) -> list[str]:
    found = []
    others = _distinct(e.measure for e in entries if e.measure != measure and e.estimate is not None)
    if others and measure is not None:
        units = KINDS[entries[0].kind].measured_in_units
        shown = f"those in {measure}" if units else f"the {measure_name(measure)} estimates"
        names = _listed([measure_name(m) for m in others])
        other = "unit" if units else "measure"
        found.append(f"Figures in other {other}s ({names}) are in the table only: the chart shows {shown}.")
    unnumbered = [e for e in entries if e.estimate is None]
    if unnumbered:
        found.append(
            f"{len(unnumbered)} of the estimates are not given as a number (such as not reached) and are "
            "in the table only."
        )
    return found


def _distinct(values) -> list[str]:
    """The values in their first order, each once."""
    return list(dict.fromkeys(values))


def _listed(values: list[str]) -> str:
    if len(values) <= LISTED:
        return "; ".join(values)
    return f"{'; '.join(values[:LISTED])}; and {len(values) - LISTED} more"


# Words and numbers


def measure_name(measure: str) -> str:
    """'hazard ratio'; a unit ('months') as it is."""
    return MEASURE_NAMES.get(measure, measure)


def effect_number(value: float, measure: str) -> str:
    """A ratio with two decimals, any other figure with three significant digits; a true minus sign."""
    text = f"{value:.2f}" if measure in RATIO_MEASURES else f"{value:.3g}"
    return text.replace("-", "−")


def figure_text(entry: ComparisonEntry, fmt: NumberFormat | None = None) -> str:
    """The figure's estimate in words (a proportion as a percentage)."""
    if entry.estimate is None:
        return "–"
    return KINDS[entry.kind].figure_text(entry, fmt)


_LINK_TEXT = re.compile(r"\[(?P<text>[^\]]*)\]\(")


def shown_text(entry: ComparisonEntry, fmt: NumberFormat | None = None) -> str:
    """The figure as the study's page shows it, as plain text (the text of its provenance link)."""
    found = _LINK_TEXT.match(entry.shown)
    return unescape(found["text"]) if found else figure_text(entry, fmt)


def half_open(entry: ComparisonEntry) -> bool:
    """Whether the entry's interval is printed with one bound in words (such as not reached)."""
    return entry.interval == "reported" and (entry.ci_low is None) != (entry.ci_high is None)


def level_words(entry: ComparisonEntry) -> str:
    """'95% CI ', or 'CI ' when the interval's level is not stated."""
    return f"{reported_number(round(entry.ci_level * 100, 6))}% CI " if entry.ci_level else "CI "


def interval_text(entry: ComparisonEntry, fmt: NumberFormat | None = None) -> str:
    """'95% CI 46.9% to 68.1%', '95% CI 0.55 to 0.93', '95% CI 1.1 to not reached months' (half-open, as
    its study's page shows it), or '–' without an interval."""
    if half_open(entry):
        found = _LINK_TEXT.match(entry.shown_interval)
        return f"{level_words(entry)}{unescape(found['text']) if found else 'open at one end'}"
    if entry.ci_low is None or entry.ci_high is None:
        return "–"
    level = level_words(entry)
    low, high = KINDS[entry.kind].bounds_text(entry, fmt)
    return f"{level}{low} to {high}"


def provenance_text(entry: ComparisonEntry) -> str:
    """'Estimate reported; interval computed by this site from n/N'."""
    estimate = "Estimate reported" if entry.status == "reported" else "Estimate derived by this site"
    interval = "no interval" if entry.interval == "none" else f"interval {INTERVAL_WORDS[entry.interval]}"
    if half_open(entry):
        interval += " (half-open: one bound in words)"
    return f"{estimate}; {interval}"


def interval_note(entry: ComparisonEntry, fmt: NumberFormat | None = None, *, level: bool = True) -> str:
    """What an interval is: its level (unless `level` is false), and whether printed or computed (with
    the method): '95% CI, as printed', '95% CI, computed by this site from n/N (Clopper-Pearson)'."""
    if entry.interval == "none":
        return "no interval"
    if entry.interval == "computed":
        method = f" ({fmt.ci_method_name})" if fmt is not None else ""
        origin = f"{INTERVAL_WORDS['computed']}{method}"
    else:
        origin = "as printed" + (", half-open (one bound in words)" if half_open(entry) else "")
    if not level:
        return origin
    stated = level_words(entry).strip() if entry.ci_level else "CI, level not stated"
    return f"{stated}, {origin}"


# Downloads


CSV_COLUMNS = [
    "study",
    "registry_id",
    "doi",
    "study_title",
    "year",
    "design",
    "population",
    "arm",
    "subgroup",
    "measure",
    "estimate",
    "ci_low",
    "ci_high",
    "ci_level",
    "interval",
    "status",
    "count",
    "denominator",
    "page",
]
PRINTED = ["estimate_printed", "ci_low_printed", "ci_high_printed"]
"""The figures as printed, beside `estimate`, `ci_low` and `ci_high`: the downloads write those digits."""
DICTIONARY = f"{FOLDER}/data/data-dictionary.csv"
"""What every column of every comparison download holds, its unit and its values."""


def entries_frame(entries: list[ComparisonEntry]) -> pd.DataFrame:
    """The entries as a table, one row each, in the CSV's columns (and the figures as printed)."""
    columns = CSV_COLUMNS + PRINTED
    return pd.DataFrame(
        [{column: getattr(e, column) for column in columns} for e in entries], columns=columns
    )


def page_url(path: str) -> str:
    """A page's address relative to the site's root, as the site links it: 'studies/x/efficacy.md' ->
    'studies/x/efficacy/', 'studies/x/index.md' -> 'studies/x/' (mkdocs' directory URLs)."""
    stem = path.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return stem.removesuffix("index")
    return f"{stem}/"


def chart_rows(comparison: Comparison, data: pd.DataFrame) -> pd.DataFrame:
    """The data behind the forest plot with what names each study (registration, DOI) and the figures as
    printed: its rows are the charted entries in order, then the pooled ones."""
    out = data.reset_index(drop=True).copy()
    charted = comparison.charted
    ids = {e.study: (e.registry_id, e.doi) for e in comparison.entries}
    out["registry_id"] = [ids.get(study, ("", ""))[0] for study in out["study"]]
    out["doi"] = [ids.get(study, ("", ""))[1] for study in out["study"]]
    if "study" in out and list(out["study"][: len(charted)]) == [e.study for e in charted]:
        for name in PRINTED:
            out[name] = [getattr(e, name) for e in charted] + [""] * (len(out) - len(charted))
    return out


# From a study's figures to its entries


def comparison_entries(
    results: StudyResults,
    book: ValueBook,
    layout: StudyLayout,
    folder: str,
    fmt: NumberFormat,
    key: str,
    ref: SharedRef,
    show: ShowFigure,
) -> list[ComparisonEntry]:
    """The study's figures for one shared outcome, each shown (with its provenance) on the comparison
    page; what each row gives is its kind's (`Kind.entry_fields`)."""
    study = results.study
    table = study.tables[ref.table]
    entries = []
    for record in records(ref.rows(results.frame(ref.table))):
        values = book.row(ref.table, record)
        main = table.kind.main_figure(values)
        interval = values.get(F.REPORTED_CI) or values.get(F.CI)  # a printed interval first, as entry_fields
        shown_interval = show(interval) if interval is not None else ""
        fields: dict[str, Any] = table.kind.entry_fields(study, record, fmt)
        events = [
            (book.row(name, group).get(F.COUNT), book.row(name, group).get(F.DENOMINATOR))
            for name, group in table.kind.compared_groups(record)
        ]
        known = [(str(show(count)), str(show(total))) for count, total in events if count and total]
        entries.append(
            ComparisonEntry(
                outcome=key,
                study=study.slug,
                study_title=study.meta.short_title,
                year=study.meta.citation.year,
                design=design_words(study.meta.design),
                subgroup=text_or_none(record.get("subgroup")),
                kind=table.kind.name,
                page=layout.page_of(ref.table, folder),
                shown=str(show(main)),
                shown_interval=str(shown_interval),
                shown_events=events_markdown(known) if len(known) == 2 else "",
                registry_id="; ".join(r.id for r in study.meta.design.registrations),
                doi=study.meta.citation.doi or "",
                **fields,
            )
        )
    return entries


def weight_text(comparison: Comparison, entry: ComparisonEntry) -> str:
    """The entry's weight in the pooled estimate of its measure, '12.3%'; '' when it is not pooled."""
    for p in comparison.pooled:
        weight = p.weight_of(entry.study) if p.measure == entry.measure else None
        if weight is not None:
            return f"{weight * 100:.1f}%"
    return ""


# Pooled estimates as figures of the site


POOLED_STUDY = ""
"""The `study` of a pooled figure in data/values.json: it belongs to a comparison, not to one study."""


def pooled_values(comparison: Comparison) -> list[Value]:
    """The pooled figures of a comparison, each with its derivation: the estimate and its interval, and
    the heterogeneity statistics of the model named (tau² under random effects only)."""
    values = []
    for p in comparison.pooled:
        base = f"{FOLDER}/{comparison.key}/pooled-{p.measure.replace('_', '-')}"
        name = f"{comparison.title}: pooled {p.measure_name}, {p.studies} studies"
        how = f"{p.method} (statsmodels combine_effects) over {p.studies} studies; {DERIVATION}"
        figures: list[tuple[str, str, str, float | list[float | None]]] = [
            (F.ESTIMATE, name, p.estimate_text, p.estimate),
            (F.CI, f"{name}: {p.level_text} CI", p.interval_text, [p.ci_low, p.ci_high]),
            ("i2", f"{name}: I²", p.i2_text, p.i2),
            ("q", f"{name}: Cochran's Q on {p.q_df} degrees of freedom", p.q_text, p.q),
        ]
        if p.shows_tau2:
            scale = " (log scale)" if p.log_scale else ""
            figures.append(("tau2", f"{name}: tau²{scale}", p.tau2_text, p.tau2))
        values += [
            Value(f"{base}/{field}", label, text, number, "computed", None, how)
            for field, label, text, number in figures
        ]
    return values


def comparison_values(comparisons: list[Comparison]) -> list[dict]:
    """The pooled figures of every comparison as data/values.json lists a figure: with its provenance
    and the page that shows it, so that "What changed" follows them as it follows every figure."""
    return [
        {**value.as_json(), "study": POOLED_STUDY, "shown_on": [c.path]}
        for c in comparisons
        for value in pooled_values(c)
    ]
