"""Comparisons across studies: pooling against a published meta-analysis, when pooling is refused,
the caveats, the forest plot, the downloads, and both pages rendered with hostile data text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.stats.meta_analysis import combine_effects

from generator.charts import LABEL_CHARS, MARGIN, NARROW, TOP_AXIS_SPACE, WIDE, row_height
from generator.comparison import (
    ComparisonPage,
    ComparisonsIndexPage,
    build_comparisons,
    compare,
    comparison_values,
    pooled_values,
    standard_error,
)
from generator.config import ComparisonSettings, SiteConfig, StatisticsSettings
from generator.downloads import comparison_downloads
from generator.forest import forest_chart
from generator.formatting import NumberFormat
from generator.model import OutcomeVocabulary, SharedOutcome
from generator.render import SiteInfo, make_environment, render_page
from generator.summary import ComparisonEntry
from tests.conftest import ROOT

POOLING = ComparisonSettings(pooling=True)
Z95 = float(norm.ppf(0.975))

# BCG vaccine trials (Colditz et al., JAMA 1994), as in metafor's dat.bcg: vaccinated with and
# without tuberculosis, then controls with and without; each trial's log risk ratio and variance.
BCG = [
    (4, 119, 11, 128),
    (6, 300, 29, 274),
    (3, 228, 11, 209),
    (62, 13536, 248, 12619),
    (33, 5036, 47, 5761),
    (180, 1361, 372, 1079),
    (8, 2537, 10, 619),
    (505, 87886, 499, 87892),
    (29, 7470, 45, 7232),
    (17, 1699, 65, 1600),
    (186, 50448, 141, 27197),
    (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]


def bcg_log_risk_ratios() -> tuple[np.ndarray, np.ndarray]:
    tpos, tneg, cpos, cneg = np.array(BCG, dtype=float).T
    effects = np.log(tpos / (tpos + tneg)) - np.log(cpos / (cpos + cneg))
    variances = 1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg)
    return effects, variances


def entry(study: str = "a", **fields) -> ComparisonEntry:
    values = {
        "outcome": "response",
        "study": study,
        "study_title": f"Study {study}",
        "year": 2000,
        "design": "Randomized, phase 3",
        "population": "Randomized, 100 patients",
        "arm": "Drug vs placebo",
        "subgroup": None,
        "kind": "effects",
        "measure": "hazard_ratio",
        "estimate": 0.7,
        "ci_low": 0.5,
        "ci_high": 0.98,
        "ci_level": 0.95,
        "interval": "reported",
        "status": "reported",
        "page": f"studies/{study}/results.md",
        "experimental_vs_control": True,
    }
    values.update(fields)
    shown = (
        f'[{values["estimate"]}](../studies/{study}/results.md "Reported"){{ #u1 .ev-value .ev-reported }}'
    )
    return ComparisonEntry(**{"shown": shown, **values})


def outcome(kind: str = "effects", **fields) -> SharedOutcome:
    values = {"key": "response", "title": "Response", "kind": kind, "definition": "As each study defines it."}
    return SharedOutcome(**{**values, **fields})


def bcg_entries() -> list[ComparisonEntry]:
    effects, variances = bcg_log_risk_ratios()
    half = Z95 * np.sqrt(variances)
    return [
        entry(
            f"trial-{i}",
            year=1940 + i,
            measure="risk_ratio",
            estimate=math.exp(y),
            ci_low=math.exp(y - h),
            ci_high=math.exp(y + h),
        )
        for i, (y, h) in enumerate(zip(effects, half, strict=True))
    ]


# Pooling


def test_the_variance_is_derived_from_the_interval_and_its_level():
    _, variances = bcg_log_risk_ratios()
    for e, v in zip(bcg_entries(), variances, strict=True):
        assert standard_error(e) ** 2 == pytest.approx(v, rel=1e-12)
    ninety = entry(measure="difference", estimate=1.0, ci_low=0.0, ci_high=2.0, ci_level=0.90)
    assert standard_error(ninety) == pytest.approx(1 / norm.ppf(0.95))


def test_random_effects_reproduce_the_published_bcg_meta_analysis():
    """metafor's rma(yi, vi, data = dat.bcg, method = "DL") (Viechtbauer, J Stat Softw 2010): estimate
    −0.7141 (95% CI −1.0644 to −0.3638), tau² 0.3088, I² 92.12%, Q(df = 12) 152.2330, p < .0001."""
    (pooled,) = compare(outcome(), bcg_entries(), POOLING, 0.95).pooled
    assert math.log(pooled.estimate) == pytest.approx(-0.7141, abs=5e-5)
    assert math.log(pooled.ci_low) == pytest.approx(-1.0644, abs=5e-5)
    assert math.log(pooled.ci_high) == pytest.approx(-0.3638, abs=5e-5)
    assert pooled.tau2 == pytest.approx(0.3088, abs=5e-5)
    assert pooled.i2 == pytest.approx(0.9212, abs=5e-5)
    assert pooled.q == pytest.approx(152.2330, abs=5e-4)
    assert (pooled.q_df, pooled.studies) == (12, 13)
    assert pooled.q_p_value < 1e-4
    assert pooled.method == "random effects, DerSimonian-Laird estimate of tau²"
    assert (pooled.estimate_text, pooled.interval_text, pooled.i2_text) == ("0.49", "0.34 to 0.70", "92.1%")
    assert (pooled.tau2_text, pooled.p_text, pooled.level_text) == ("0.3088", "p < 0.001", "95%")


def test_fixed_effect_reproduces_the_published_bcg_meta_analysis():
    """metafor's rma(..., method = "FE"): estimate −0.4303 (95% CI −0.5097 to −0.3509)."""
    settings = ComparisonSettings(pooling=True, model="fixed-effect")
    (pooled,) = compare(outcome(), bcg_entries(), settings, 0.95).pooled
    assert math.log(pooled.estimate) == pytest.approx(-0.4303, abs=5e-5)
    assert math.log(pooled.ci_low) == pytest.approx(-0.5097, abs=5e-5)
    assert math.log(pooled.ci_high) == pytest.approx(-0.3509, abs=5e-5)
    assert pooled.method == "fixed effect, inverse variance"
    assert pooled.tau2 == pytest.approx(0.3088, abs=5e-5)  # heterogeneity is reported with either model


def test_paule_mandel_and_the_level_go_to_statsmodels():
    settings = ComparisonSettings(pooling=True, tau2_method="paule-mandel")
    (pooled,) = compare(outcome(), bcg_entries(), settings, 0.90).pooled
    effects, variances = bcg_log_risk_ratios()
    direct = combine_effects(effects, variances, method_re="iterated", alpha=0.10)
    low, high = direct.conf_int(alpha=0.10, use_t=False)[1]
    assert pooled.tau2 == pytest.approx(direct.tau2, rel=1e-9)
    assert math.log(pooled.estimate) == pytest.approx(direct.mean_effect_re, rel=1e-9)
    assert (math.log(pooled.ci_low), math.log(pooled.ci_high)) == pytest.approx((low, high), rel=1e-9)
    assert pooled.ci_level == 0.90 and "Paule-Mandel" in pooled.method


def test_differences_are_pooled_on_their_own_scale():
    entries = [
        entry("a", measure="difference", estimate=0.10, ci_low=0.02, ci_high=0.18),
        entry("b", measure="difference", estimate=0.20, ci_low=0.05, ci_high=0.35),
        entry("c", measure="difference", estimate=-0.05, ci_low=-0.20, ci_high=0.10),
    ]
    (pooled,) = compare(outcome(), entries, POOLING, 0.95).pooled
    se = np.array([0.16, 0.30, 0.30]) / (2 * Z95)
    direct = combine_effects(np.array([0.10, 0.20, -0.05]), se**2, method_re="chi2")
    assert pooled.estimate == pytest.approx(direct.mean_effect_re, rel=1e-9)
    assert not pooled.log_scale


def test_a_negative_dersimonian_laird_tau2_is_read_as_zero():
    """Studies closer together than chance allows: statsmodels' DL tau² is below 0, the site's is 0."""
    entries = [
        entry("a", estimate=0.70, ci_low=0.5, ci_high=0.98),
        entry("b", estimate=0.71, ci_low=0.5, ci_high=1.0),
    ]
    (pooled,) = compare(outcome(), entries, POOLING, 0.95).pooled
    fixed_effect = ComparisonSettings(pooling=True, model="fixed-effect")
    (fixed,) = compare(outcome(), entries, fixed_effect, 0.95).pooled
    assert pooled.tau2 == 0 and pooled.i2 == 0
    assert pooled.estimate == pytest.approx(fixed.estimate)
    assert "equal to the fixed-effect estimate" in pooled.method


@pytest.mark.parametrize("model", ["random-effects", "fixed-effect"])
def test_identical_studies_give_q_and_i2_of_zero_and_the_page_says_why(model):
    """Two studies with the same estimate and interval: statsmodels' Q is about -1.8e-15 and its I²
    5.6e14 (56294995342131296%); the site publishes Q 0.00 and I² 0.0%, and says why."""
    tower = {"estimate": 0.71, "ci_low": 0.55, "ci_high": 0.93}
    settings = ComparisonSettings(pooling=True, model=model)
    comparison = compare(outcome(), [entry("a", **tower), entry("b", **tower)], settings, 0.95)
    (pooled,) = comparison.pooled
    assert (pooled.q, pooled.i2, pooled.tau2) == (0.0, 0.0, 0.0)
    assert (pooled.q_text, pooled.i2_text, pooled.estimate_text) == ("0.00", "0.0%", "0.71")
    assert pooled.q_p_value == pytest.approx(1.0)
    page, _ = rendered(comparison, forest_chart(comparison))
    assert 'I² <span class="ev-value ev-computed">0.0%</span>' in page
    assert "The estimates are the same" in page and "-0.00" not in page


def test_i2_is_zero_with_its_reason_when_q_is_below_its_degrees_of_freedom():
    entries = [
        entry("a", estimate=0.70, ci_low=0.5, ci_high=0.98),
        entry("b", estimate=0.71, ci_low=0.5, ci_high=1.0),
    ]
    (pooled,) = compare(outcome(), entries, POOLING, 0.95).pooled
    assert 0 < pooled.q < pooled.q_df and pooled.i2 == 0.0
    assert "not above its degrees of freedom" in pooled.heterogeneity_note


@pytest.mark.parametrize(
    ("q", "df", "i2", "expected"),
    [
        (-1.8e-15, 1, 5.6e14, (0.0, 0.0)),
        (float("nan"), 2, float("nan"), (0.0, 0.0)),
        (0.5, 1, -1.0, (0.5, 0.0)),
        (2.0, 2, 0.0, (2.0, 0.0)),  # Q at its degrees of freedom: I² is 0, and the page says why
        (152.233, 12, 0.9212, (152.233, 0.9212)),
        (3.0, 1, 1.5, (3.0, 1.0)),
    ],
)
def test_q_and_i2_stay_in_their_ranges(q, df, i2, expected):
    from generator.comparison import heterogeneity_in_range

    *kept, note = heterogeneity_in_range(q, df, i2)
    assert tuple(kept) == expected
    assert (note == "") == (q > df), "a bound taken is said, and only then"


@pytest.mark.parametrize(
    ("scale", "measure"), [(1e-200, "difference"), (1e200, "difference"), (1e-300, "hazard_ratio")]
)
def test_numbers_beyond_floating_point_are_not_pooled_and_never_published_as_nan(scale, measure):
    """Differences of 1e-200 gave a variance of 0 and a pooled "nan (95% CI nan to nan)"; of 1e+200,
    an OverflowError (exit 4)."""
    entries = [
        entry("a", measure=measure, estimate=1 * scale, ci_low=0.5 * scale, ci_high=2 * scale),
        entry("b", measure=measure, estimate=3 * scale, ci_low=2 * scale, ci_high=4 * scale),
    ]
    comparison = compare(outcome(), entries, POOLING, 0.95)
    if comparison.pooled:  # a ratio's log scale keeps these numbers in range
        assert all(map(math.isfinite, [comparison.pooled[0].estimate, comparison.pooled[0].q]))
    else:
        assert "not pooled, as 2 of the 2 estimates have an interval too narrow or too wide" in " ".join(
            comparison.pooling_notes
        )
    page, _ = rendered(comparison, forest_chart(comparison))
    assert not re.search(r"\b(nan|inf)\b", page, flags=re.I), re.findall(r".{40}\b(?:nan|inf)\b.{40}", page)


def test_q_of_zero_from_rounding_is_said_so_when_the_estimates_differ():
    from generator.comparison import Q_ZERO, SAME_ESTIMATES, heterogeneity_in_range

    assert heterogeneity_in_range(2e-14, 1, 0.5, same=False) == (0.0, 0.0, Q_ZERO)
    assert heterogeneity_in_range(2e-14, 1, 0.5, same=True) == (0.0, 0.0, SAME_ESTIMATES)


def test_pooling_is_off_unless_the_settings_turn_it_on():
    assert SiteConfig().comparison.pooling is False
    comparison = compare(outcome(), bcg_entries(), ComparisonSettings(), 0.95)
    assert comparison.pooled == [] and not comparison.pooling_on and comparison.pooled_words == "off"


@pytest.mark.parametrize(
    ("entries", "why"),
    [
        ([entry("a")], "Hazard ratio: not pooled, as only one study reports it."),
        (
            [entry("a"), entry("b", ci_low=None, ci_high=None, interval="none")],
            "Hazard ratio: not pooled, as 1 of the 2 estimates has no interval",
        ),
        (
            [entry("a"), entry("b", ci_level=None)],
            "Hazard ratio: not pooled, as 1 of the 2 estimates has no interval",
        ),
        (
            [entry("a"), entry("a", arm="Drug B vs placebo"), entry("b")],
            "Hazard ratio: not pooled, as a study gives more than one estimate (for several arms or "
            "subgroups: Study a); pooling takes one estimate per study.",
        ),
    ],
)
def test_pooling_is_refused_and_the_page_says_why(entries, why):
    comparison = compare(outcome(), entries, POOLING, 0.95)
    assert comparison.pooled == [] and comparison.pooled_words == "not possible"
    (note,) = comparison.pooling_notes
    assert note.startswith(why)


def test_different_measures_are_never_pooled_together():
    entries = [entry("a"), entry("b", measure="odds_ratio"), entry("c"), entry("d", measure="odds_ratio")]
    comparison = compare(outcome(), entries, POOLING, 0.95)
    assert [(p.measure, p.studies) for p in comparison.pooled] == [("hazard_ratio", 2), ("odds_ratio", 2)]
    mixed = compare(outcome(), entries[:2], POOLING, 0.95)
    assert mixed.pooled == []
    assert mixed.pooling_notes == [
        "Hazard ratio: not pooled, as only one study reports it.",
        "Odds ratio: not pooled, as only one study reports it.",
    ]


def test_proportions_are_not_pooled():
    entries = [proportion("a"), proportion("b")]
    comparison = compare(outcome("proportions"), entries, POOLING, 0.95)
    assert comparison.pooled == []
    assert comparison.pooling_notes[0].startswith("Pooling is offered only for effects between arms")


# Comparisons and caveats


def proportion(study: str, **fields) -> ComparisonEntry:
    values = {
        "kind": "proportions",
        "measure": "proportion",
        "arm": "Drug",
        "estimate": 0.5,
        "ci_low": 0.4,
        "ci_high": 0.6,
        "interval": "computed",
        "count": 50,
        "denominator": 100,
    }
    return entry(study, **{**values, **fields})


def test_one_comparison_per_shared_outcome_with_entries_in_vocabulary_order():
    vocabulary = OutcomeVocabulary(
        outcomes=[
            outcome("proportions", key="remission", title="Remission"),
            outcome(key="unused", title="Nobody reports this"),
            outcome(key="survival", title="Overall survival"),
        ]
    )
    entries = [
        entry("z", outcome="survival", year=2017),
        proportion("b", outcome="remission", year=2018, arm="Drug"),
        proportion("a", outcome="remission", year=2013, arm="Cohort 2"),
        proportion("a", outcome="remission", year=2013, arm="Cohort 1"),
        entry("y", outcome="survival", year=2017, study_title="Another study"),
    ]
    comparisons = build_comparisons(vocabulary, entries, ComparisonSettings(), 0.95)
    assert [c.key for c in comparisons] == ["remission", "survival"]
    remission, survival = comparisons
    assert [(e.study, e.arm) for e in remission.entries] == [
        ("a", "Cohort 1"),
        ("a", "Cohort 2"),
        ("b", "Drug"),
    ]
    assert remission.studies == 2 and remission.path == "comparisons/remission.md"
    assert [e.study for e in survival.entries] == ["y", "z"]


def test_caveats_come_from_the_entries_and_the_outcome():
    entries = [
        proportion("a", design="Single-arm, phase 2", population="Treated, 90 patients"),
        proportion("b", status="derived", interval="reported", ci_level=0.90),
        proportion("c", ci_low=None, ci_high=None, interval="none"),
    ]
    notes = ["Response criteria differ between the studies."]
    comparison = compare(outcome("proportions", notes=notes), entries, ComparisonSettings(), 0.95)
    assert comparison.caveats == [
        "Response criteria differ between the studies.",
        "The studies differ in design (Single-arm, phase 2; Randomized, phase 3): a difference between "
        "their estimates may come from how they were run, not only from the treatments.",
        "The estimates are about different populations and analysis sets (Treated, 90 patients; "
        "Randomized, 100 patients).",
        "1 of the 3 estimates are derived by this site from reported figures; the others are printed by "
        "their source (see the provenance column).",
        "The intervals are not all of one origin: 1 reported by the study; 1 computed by this site from n/N; "
        "1 absent.",
        "The intervals are at different confidence levels (95%; 90%).",
        "An estimate without an interval is drawn as a point only (a hollow marker).",
    ]


def test_alike_studies_need_no_generated_caveat():
    comparison = compare(outcome(), [entry("a"), entry("b")], ComparisonSettings(), 0.95)
    assert comparison.caveats == []


def test_only_figures_in_the_most_frequent_unit_are_charted_and_the_rest_is_said():
    measures = [
        entry(s, kind="measures", measure=unit, estimate=value, ci_low=None, ci_high=None, interval="none")
        for s, unit, value in [
            ("a", "months", 6.2),
            ("b", "months", 4.0),
            ("c", "weeks", 20.0),
            ("d", "months", None),
        ]
    ]
    comparison = compare(outcome("measures"), measures, ComparisonSettings(), 0.95)
    assert comparison.chart_measure == "months"
    assert [e.study for e in comparison.charted] == ["a", "b"]
    assert "Figures in other units (weeks) are in the table only: the chart shows those in months." in (
        comparison.caveats
    )
    unnumbered = (
        "1 of the estimates are not given as a number (such as not reached) and are in the table only."
    )
    assert unnumbered in comparison.caveats
    chart = forest_chart(comparison)
    assert list(chart.data["study"]) == ["a", "b"]
    assert chart.figure["layout"]["xaxis"]["title"]["text"] == "Months"


# The forest plot


def test_ratios_on_a_log_axis_with_the_line_of_no_effect_at_one():
    entries = [entry("a"), entry("b", estimate=1.2, ci_low=None, ci_high=None, interval="none")]
    chart = forest_chart(compare(outcome(), entries, ComparisonSettings(), 0.95))
    layout = chart.figure["layout"]
    assert (
        chart.key == "compare-response"
        and chart.title == "Response: forest plot of each study's hazard ratio"
    )
    assert layout["xaxis"]["type"] == "log"
    (line,) = layout["shapes"]
    assert (line["x0"], line["x1"], line["type"]) == (1, 1, "line")
    filled, hollow = chart.figure["data"]
    assert filled["marker"]["color"] != "rgba(0,0,0,0)"
    assert filled["error_x"]["array"] == pytest.approx([0.28])
    assert filled["error_x"]["arrayminus"] == pytest.approx([0.2])
    assert hollow["marker"]["color"] == "rgba(0,0,0,0)" and "error_x" not in hollow
    assert hollow["x"] == [1.2]
    assert layout["yaxis"]["ticktext"][:2] == [
        "Study a (2000)<br>Drug vs placebo",
        "Study b (2000)<br>Drug vs placebo",
    ]
    ticks = layout["yaxis"]["ticktext"]
    assert set(ticks[2:]) == {""}, "blank rows below the studies hold the favours labels"
    assert hollow["hovertext"][0].startswith(
        "Study b (2000) · Drug vs placebo<br>1.2 (reported)<br>no interval"
    )
    hover = filled["hovertext"][0]
    assert "0.7 (reported)" in hover and "95% CI 0.5 to 0.98 (as printed)" in hover
    assert list(chart.data.columns) == [
        *("study", "study_title", "year", "arm", "subgroup", "measure", "estimate", "ci_low", "ci_high"),
        *("ci_level", "interval", "status", "page"),
    ]


def test_the_pooled_estimate_is_a_diamond_row_at_the_bottom():
    comparison = compare(outcome(), bcg_entries(), POOLING, 0.95)
    chart = forest_chart(comparison)
    traces = {trace["name"]: trace for trace in chart.figure["data"]}
    outline, centre = traces["Pooled interval"], traces["Pooled estimate"]
    assert outline["fill"] == "toself" and centre["marker"]["symbol"] == "diamond"
    pooled = comparison.pooled[0]
    assert outline["x"] == pytest.approx(
        [pooled.ci_low, pooled.estimate, pooled.ci_high, pooled.estimate, pooled.ci_low]
    )
    yaxis = chart.figure["layout"]["yaxis"]
    labels = dict(zip(yaxis["tickvals"], yaxis["ticktext"], strict=True))
    drawn = [y for y, text in labels.items() if text]
    assert centre["y"][0] == min(drawn) and len(drawn) == len(bcg_entries()) + 1
    assert labels[centre["y"][0]] == "Pooled (13 studies)"
    assert list(chart.data["study"])[-1] == "pooled" and chart.data["status"].iloc[-1] == "computed"
    assert chart.figure["layout"]["height"] > 90 + 40 * 13


def test_forest_plots_are_sized_as_every_chart_of_rows():
    comparison = compare(outcome(), bcg_entries(), POOLING, 0.95)
    chart = forest_chart(comparison)
    layout = chart.figure["layout"]
    top = MARGIN["t"] + TOP_AXIS_SPACE[WIDE]  # longer than a screen: room for the axis at the top
    assert layout["margin"]["t"] == top and layout["margin"]["b"] == MARGIN["b"]
    rows = len(bcg_entries()) + 1
    labels = layout["yaxis"]["ticktext"]
    assert layout["height"] >= row_height(labels, WIDE) * rows + top + MARGIN["b"]
    narrow_rows = row_height(chart.narrow["yaxis.ticktext"], NARROW) * rows
    assert chart.narrow["height"] >= narrow_rows + MARGIN["t"] + MARGIN["b"]
    assert "log scale" in layout["xaxis"]["title"]["text"], "the axis title of _axis_title"


def test_a_forest_plot_longer_than_a_screen_has_its_axis_at_the_top_as_well():
    """Known heights: 13 studies and the pooled row are longer than a screen (720 px of plot) at both
    widths; 11 studies only narrow (734 px of plot, 646 wide); 10 at neither (695 narrow)."""
    pooled = forest_chart(compare(outcome(), bcg_entries(), POOLING, 0.95))
    layout = pooled.figure["layout"]
    assert (layout["height"], layout["margin"]["t"]) == (875, MARGIN["t"] + TOP_AXIS_SPACE[WIDE])
    narrow = pooled.narrow
    assert (narrow["height"], narrow["margin.t"]) == (1010, MARGIN["t"] + TOP_AXIS_SPACE[NARROW])
    top, below = layout["xaxis2"], layout["xaxis"]
    expected = {"side": "top", "overlaying": "x", "matches": "x", "anchor": "y", "type": "log"}
    assert {key: top[key] for key in expected} == expected
    assert top["tickvals"] == below["tickvals"] and top["range"] == below["range"], "the same scale"
    assert top["visible"] is True and pooled.narrow["xaxis2.visible"] is True
    holder = pooled.figure["data"][-1]
    assert holder["xaxis"] == "x2" and holder["hoverinfo"] == "skip"
    eleven = forest_chart(compare(outcome(), bcg_entries()[:11], ComparisonSettings(), 0.95))
    layout = eleven.figure["layout"]
    assert (layout["height"], layout["margin"]["t"]) == (676, MARGIN["t"])
    assert layout["xaxis2"]["visible"] is False
    narrow = eleven.narrow
    assert (narrow["height"], narrow["margin.t"], narrow["xaxis2.visible"]) == (804, 40, True)
    ten = forest_chart(compare(outcome(), bcg_entries()[:10], ComparisonSettings(), 0.95))
    assert "xaxis2" not in ten.figure["layout"] and ten.narrow["height"] == 725
    assert "margin.t" not in ten.narrow and "xaxis2.visible" not in ten.narrow


def test_the_downloaded_image_names_the_comparison_and_how_its_intervals_were_found():
    fmt = NumberFormat(SiteConfig())
    comparison = compare(outcome(), bcg_entries(), POOLING, 0.95)
    chart = forest_chart(comparison, fmt)
    assert comparison.title in chart.source and f"studies compared: {comparison.studies}" in chart.source
    assert chart.method.startswith("Intervals: as reported by each study;")  # none computed: no method named
    assert fmt.ci_method_name not in chart.method
    assert f"pooled: {comparison.pooled[0].method}" in chart.method
    computed = compare(outcome("proportions"), [proportion("a")], POOLING, 0.95)
    method = forest_chart(computed, fmt).method
    assert method.startswith("Intervals: as reported by each study, or computed by this site from n/N")
    assert fmt.ci_method_name in method
    plain = forest_chart(compare(outcome(), [entry("a")], ComparisonSettings(), 0.95), fmt)
    assert "pooled" not in plain.method


def test_proportions_in_percent_and_differences_with_a_line_at_zero():
    props = compare(outcome("proportions"), [proportion("a"), proportion("b", estimate=0.25)], POOLING, 0.95)
    chart = forest_chart(props)
    layout = chart.figure["layout"]
    assert layout["xaxis"]["range"] == [0, 100] and chart.figure["data"][0]["x"] == [50, 25]
    assert not layout.get("shapes")
    diffs = [entry(s, measure="difference", estimate=0.1, ci_low=-0.1, ci_high=0.3) for s in "ab"]
    layout = forest_chart(compare(outcome(), diffs, ComparisonSettings(), 0.95)).figure["layout"]
    assert "type" not in layout["xaxis"] and layout["shapes"][0]["x0"] == 0


def test_nothing_to_draw_gives_no_chart():
    entries = [entry("a", kind="measures", measure="months", estimate=None, ci_low=None, ci_high=None)]
    assert forest_chart(compare(outcome("measures"), entries, ComparisonSettings(), 0.95)) is None


# Downloads and pages


def test_downloads_are_the_table_and_the_chart_data_and_safe_in_a_spreadsheet():
    comparison = compare(outcome(), [entry("a", arm="=HYPERLINK(1)"), entry("b")], ComparisonSettings(), 0.95)
    files = comparison_downloads(comparison, forest_chart(comparison), StatisticsSettings())
    assert sorted(files) == ["comparisons/data/chart-compare-response.csv", "comparisons/data/response.csv"]
    table = files["comparisons/data/response.csv"].decode("utf-8-sig")
    assert table.startswith("study,registry_id,doi,study_title,year,design,population,arm,")
    assert "'=HYPERLINK(1)" in table
    assert comparison_downloads(comparison, None, StatisticsSettings()).keys() == {
        "comparisons/data/response.csv"
    }


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_downloads_give_proportions_in_percent_and_each_interval_its_method():
    """Known values: 0.5 (0.4 to 0.6) is written 50 (40 to 60), as the study's own tables write it; a
    computed interval names the site's method, a printed one says so, its level in percent."""
    entries = [
        proportion("a"),
        proportion("b", estimate=0.345, ci_low=None, ci_high=None, ci_level=None, interval="none"),
        proportion("c", interval="reported", ci_level=0.9),
    ]
    comparison = compare(outcome("proportions"), entries, ComparisonSettings(), 0.95)
    files = comparison_downloads(comparison, forest_chart(comparison), StatisticsSettings(ci_method="wilson"))
    table = csv_rows(files["comparisons/data/response.csv"])
    chart = csv_rows(files["comparisons/data/chart-compare-response.csv"])
    by_study = {row["study"]: row for row in table}
    figures = ("estimate", "ci_low", "ci_high", "unit")
    assert [by_study["a"][k] for k in figures] == ["50", "40", "60", "percent"]
    assert (by_study["a"]["ci_method"], by_study["a"]["ci_level_percent"]) == ("Wilson score", "95")
    assert (by_study["b"]["estimate"], by_study["b"]["ci_method"], by_study["b"]["ci_level_percent"]) == (
        "34.5",
        "",
        "",
    )
    assert (by_study["c"]["ci_method"], by_study["c"]["ci_level_percent"]) == ("as reported", "90")
    for row in chart:  # the chart's data: the same figures, in the same units
        for column in ("estimate", "ci_low", "ci_high", "ci_method", "ci_level_percent", "unit"):
            assert row[column] == by_study[row["study"]][column], (row["study"], column)


def test_downloads_name_the_pooling_method_of_a_pooled_row_and_keep_ratios_as_ratios():
    entries = [entry("a"), entry("b", estimate=0.8, ci_low=0.6, ci_high=1.1)]
    comparison = compare(outcome(), entries, POOLING, 0.95)
    files = comparison_downloads(comparison, forest_chart(comparison), StatisticsSettings())
    chart = csv_rows(files["comparisons/data/chart-compare-response.csv"])
    assert [(r["study"], r["estimate"], r["unit"], r["ci_method"]) for r in chart[:2]] == [
        ("a", "0.7", "ratio", "as reported"),
        ("b", "0.8", "ratio", "as reported"),
    ]
    (pooled,) = comparison.pooled
    row = chart[2]
    assert (row["study"], row["ci_method"], row["ci_level_percent"]) == ("pooled", pooled.method, "95")


HOSTILE = "<script>alert(1)</script> | *bold* _x_ [a](javascript:b)"
SITE = SiteInfo("Evidence site", "abc123", dt.date(2024, 1, 2))


def rendered(comparison, chart) -> tuple[str, str]:
    env = make_environment((ROOT / "templates",))
    fmt = NumberFormat(SiteConfig())
    page = render_page(env, "comparison.md.j2", {"page": ComparisonPage(SITE, comparison, chart, fmt)})
    index = render_page(env, "comparisons.md.j2", {"page": ComparisonsIndexPage(SITE, [comparison], fmt)})
    return page.decode(), index.decode()


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("|")]


def test_both_pages_render_with_hostile_text_escaped_and_tables_whole():
    entries = [
        replace(entry("a"), study_title=HOSTILE, arm=HOSTILE, population=HOSTILE, design=HOSTILE),
        entry("b", subgroup="| <b>", estimate=0.9, ci_low=None, ci_high=None, interval="none"),
    ]
    hostile = outcome(title=HOSTILE, definition=HOSTILE, notes=[HOSTILE, "- a list?"])
    comparison = compare(hostile, entries, POOLING, 0.95)
    page, index = rendered(comparison, forest_chart(comparison))
    figure = re.search(r' data-figure="([^"]*)"', page)[1]  # an HTML attribute, which Markdown leaves alone
    assert "<" not in figure and "&amp;lt;script&amp;gt;" in figure
    source = re.search(r' data-export-source="([^"]*)"', page)[1]
    assert "<" not in source and "studies compared:" in source, "the image names the comparison, escaped"
    for text in (page.replace(figure, ""), index):
        assert "<script>" not in text and "*bold*" not in text and "](javascript" not in text
    for markdown, columns in ((page, 7), (index, 6)):
        rows = table_rows(markdown)
        assert rows and all(row.count("|") == columns + 1 for row in rows), rows
    assert "&#60;script&#62;alert(1)&#60;/script&#62; &#124; &#42;bold&#42;" in page
    assert '[Study b](../studies/b/results.md) <span class="ev-source">2000</span>' in page
    assert (
        '| <span class="ev-label">95% CI 0.5 to 0.98</span> '
        '<span class="ev-source">95% CI, as printed</span> | Estimate reported; interval reported |' in page
    )
    assert (
        '| <span class="ev-label">–</span> <span class="ev-source">no interval</span> '
        "| Estimate reported; no interval |" in page
    )
    assert '<div class="ev-chart" id="chart-compare-response" data-chart="compare-response"' in page
    assert "(data/chart-compare-response.csv)" in page and "(data/response.csv)" in page
    assert '    - <span class="ev-label">&#45; a list?' in page
    assert "Hazard ratio: not pooled, as 1 of the 2 estimates has no interval" in page
    count = r'<span class="ev-check">2</span>'
    cells = rf'{count} \| {count} \| <span class="ev-label">not possible'
    assert re.search(r"\| \[.+\]\(response\.md\) \| effect between arms \| forest plot \| " + cells, index)


def test_the_page_gives_the_pooled_estimate_with_its_method_and_heterogeneity():
    comparison = compare(outcome(), bcg_entries(), POOLING, 0.95)
    page, index = rendered(comparison, forest_chart(comparison))
    assert (
        'pooled over <span class="ev-check">13</span> studies' in page
        and "random effects, DerSimonian-Laird estimate of tau²" in page
    )
    assert 'I² <span class="ev-value ev-computed">92.1%</span>' in page
    assert (
        'Cochran\'s Q <span class="ev-value ev-computed">152.23</span> '
        'on <span class="ev-check">12</span> degrees of freedom' in page
    )
    assert "SE = (ln upper − ln lower) / (2z)" in page
    method = re.search(r' data-export-method="([^"]*)"', page)[1]
    assert method.startswith("Intervals: as reported by each study") and "pooled: random effects" in method
    assert '<span class="ev-label">risk ratio</span> |' in index


def test_the_page_says_when_pooling_is_off():
    comparison = compare(outcome(), [entry("a"), entry("b")], ComparisonSettings(), 0.95)
    page, index = rendered(comparison, None)
    assert "Pooling is off" in page and "ev-chart" not in page
    assert '<span class="ev-label">off</span> |' in index


def test_every_comparison_template_holds_words_only():
    for name in ("comparison.md.j2", "comparisons.md.j2"):
        words = re.sub(r"{{.*?}}|{%.*?%}|{#.*?#}", "", (ROOT / "templates" / name).read_text(), flags=re.S)
        assert not re.findall(r"\d", words), name


def test_the_settings_file_documents_the_comparison_settings():
    text = (ROOT / "site_config.yml").read_text()
    for key in ComparisonSettings.model_fields:
        assert re.search(rf"^  {key}: ", text, flags=re.M), key
    assert Path(ROOT / "site_config.yml").exists()


def test_long_labels_wrap_and_stay_text():
    title = "A study with a rather long title <b>that</b> goes on & on"
    entries = [entry("a", study_title=title, subgroup="Age 65 or older")]
    chart = forest_chart(compare(outcome(), entries, ComparisonSettings(), 0.95))
    label = chart.figure["layout"]["yaxis"]["ticktext"][0]
    assert label.split("<br>") == [
        "A study with a rather long title &lt;b&gt;that&lt;/b&gt;",
        "goes on &amp; on (2000)",
        "Drug vs placebo · Age 65 or older",
    ], f"lines of at most {LABEL_CHARS[WIDE]} characters, as every chart's labels"


def test_an_effect_given_for_the_control_arm_against_the_experimental_one_is_not_pooled():
    turned = entry(
        "b", arm="Placebo vs drug", estimate=1.22, ci_low=1.04, ci_high=1.43, experimental_vs_control=False
    )
    comparison = build_comparisons(
        OutcomeVocabulary(outcomes=[outcome()]), [entry("a"), turned], ComparisonSettings(pooling=True), 0.95
    )[0]
    assert comparison.pooled == []
    assert any(
        "experimental arm against a control arm" in note and "Placebo vs drug" in note
        for note in comparison.pooling_notes
    )


def test_each_comparison_page_has_its_own_description_from_its_data():
    import yaml

    comparison = compare(outcome(title=HOSTILE), [entry("a"), entry("b")], POOLING, 0.95)
    page, index = rendered(comparison, forest_chart(comparison))
    meta = yaml.safe_load(page.split("---\n")[1])
    assert (
        meta["description"].startswith("&#60;script&#62;")
        and ": 2 studies side by side" in meta["description"]
    )
    assert "<" not in meta["description"] and "*" not in meta["description"], "written as it is by the theme"
    one = compare(outcome(), [entry("a")], POOLING, 0.95)
    assert ": 1 study side by side" in yaml.safe_load(rendered(one, None)[0].split("---\n")[1])["description"]
    assert yaml.safe_load(index.split("---\n")[1])["description"].startswith(
        "Every outcome the studies share"
    )
    changes = (ROOT / "templates/changes.md.j2").read_text()
    assert yaml.safe_load(changes.split("---\n")[1])["description"].startswith(
        "Every version of this site's data"
    )


def test_downloads_name_the_study_and_keep_the_printed_digits_of_each_figure():
    printed = entry(
        "a",
        registry_id="NCT01",
        doi="10.1/a",
        estimate=0.7,
        estimate_printed="0.70",
        ci_low_printed="0.50",
        ci_high_printed="0.98",
    )
    comparison = compare(outcome(), [printed, entry("b", doi="10.1/b")], ComparisonSettings(), 0.95)
    files = comparison_downloads(comparison, forest_chart(comparison), StatisticsSettings())
    for name in ("comparisons/data/response.csv", "comparisons/data/chart-compare-response.csv"):
        rows = {r["study"]: r for r in csv_rows(files[name])}
        assert (rows["a"]["registry_id"], rows["a"]["doi"], rows["b"]["doi"]) == ("NCT01", "10.1/a", "10.1/b")
        assert (rows["a"]["estimate"], rows["a"]["ci_low"], rows["a"]["ci_high"]) == ("0.70", "0.50", "0.98")
        assert (rows["b"]["estimate"], rows["b"]["ci_low"]) == ("0.7", "0.5"), "computed: as every CSV"
        assert rows["a"]["page"] == "studies/a/results/", "the page's address, not its Markdown file"


# A forest plot names its sides; per-arm figures are never one


def favours_texts(chart) -> list[str]:
    """The favours labels of a chart, left then right, as plain text."""
    return [html_lines(a["text"]) for a in chart.figure["layout"]["annotations"]]


def html_lines(text: str) -> str:
    return " ".join(text.split("<br>")).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


@pytest.mark.parametrize(
    ("better", "left", "right"),
    [
        ("lower", "← Favours experimental", "Favours control →"),
        ("higher", "← Favours control", "Favours experimental →"),
        (None, "← Lower with experimental", "Higher with experimental →"),
    ],
)
def test_a_forest_plot_names_the_side_each_arm_is_favoured_on(better, left, right):
    comparison = compare(outcome(better=better), [entry("a"), entry("b")], ComparisonSettings(), 0.95)
    chart = forest_chart(comparison)
    assert favours_texts(chart) == [left, right]
    layout = chart.figure["layout"]
    notes = layout["annotations"]
    assert (notes[0]["xanchor"], notes[1]["xanchor"]) == ("right", "left")
    assert notes[0]["x"] == notes[1]["x"] == 0
    (line,) = layout["shapes"]
    assert line["x0"] == 1 and line["name"] == "no-effect"
    assert layout["xaxis"]["type"] == "log"
    low, high = layout["xaxis"]["range"]
    assert low < 0 < high and low == -high, "log10 units, symmetric about 1: both sides have room"
    assert "forest plot" in chart.title
    if better is None:
        assert "the data do not state whether lower or higher is better" in chart.caption
    else:
        assert f"{better} is better for patients" in chart.caption
    assert chart.narrow["annotations[0].text"].startswith("← ") and "annotations[1].text" in chart.narrow


def test_a_forest_plot_of_effects_not_all_experimental_against_control_names_no_arm():
    turned = entry("b", arm="Placebo vs drug", experimental_vs_control=False)
    chart = forest_chart(compare(outcome(better="lower"), [entry("a"), turned], ComparisonSettings(), 0.95))
    left, right = favours_texts(chart)
    assert "Favours" not in left + right and left.startswith("← Lower") and right.startswith("Higher")
    assert "are not named for an arm" in chart.caption


def test_a_difference_forest_plot_is_linear_with_its_line_at_zero():
    diffs = [entry(s, measure="difference", estimate=-0.1, ci_low=-0.3, ci_high=0.1) for s in "ab"]
    chart = forest_chart(compare(outcome(better="higher"), diffs, ComparisonSettings(), 0.95))
    layout = chart.figure["layout"]
    assert "type" not in layout["xaxis"] and layout["shapes"][0]["x0"] == 0
    assert favours_texts(chart) == ["← Favours control", "Favours experimental →"]
    assert layout["xaxis"]["range"][0] <= -0.3 and layout["xaxis"]["range"][1] >= 0.3


def test_each_study_weighs_in_the_pooled_estimate_as_statsmodels_weighs_it():
    effects, variances = bcg_log_risk_ratios()
    reference = combine_effects(effects, variances, method_re="dl")
    comparison = compare(outcome(), bcg_entries(), POOLING, 0.95)
    (pooled,) = comparison.pooled
    shares = [w for _, w in pooled.weights]
    assert shares == pytest.approx(list(reference.weights_re / reference.weights_re.sum()), rel=1e-9)
    chart = forest_chart(comparison)
    sizes = chart.figure["data"][0]["marker"]["size"]
    heaviest = int(np.argmax(shares))
    assert sizes[heaviest] == max(sizes) and len(set(sizes)) > 1, "a square's size shows its weight"
    assert chart.table.columns[-1] == "Weight" and chart.table.rows[heaviest][-1] == f"{shares[heaviest]:.1%}"
    page, _ = rendered(comparison, chart)
    assert (
        "| Weight |" in page and f'<span class="ev-value ev-computed">{shares[heaviest]:.1%}</span>' in page
    )
    fixed = compare(outcome(), bcg_entries(), ComparisonSettings(pooling=True, model="fixed-effect"), 0.95)
    fe = [w for _, w in fixed.pooled[0].weights]
    assert fe == pytest.approx(list(reference.weights_fe / reference.weights_fe.sum()), rel=1e-9)


def test_under_a_fixed_effect_model_no_tau2_is_shown_nor_published():
    settings = ComparisonSettings(pooling=True, model="fixed-effect")
    comparison = compare(outcome(), bcg_entries(), settings, 0.95)
    chart = forest_chart(comparison)
    page, _ = rendered(comparison, chart)
    assert "tau²" not in page.split("## Pooled estimate")[1].split("**How**")[0]
    assert "I² <span" in page and "Cochran's Q" in page
    hover = next(t for t in chart.figure["data"] if t["name"] == "Pooled estimate")["hovertext"][0]
    assert "tau²" not in hover and "I²" in hover
    assert not any(v.id.endswith("/tau2") for v in pooled_values(comparison))
    random = compare(outcome(), bcg_entries(), POOLING, 0.95)
    assert "tau² <span" in rendered(random, forest_chart(random))[0]
    assert any(v.id.endswith("/tau2") for v in pooled_values(random))


def test_pooled_estimates_are_figures_with_their_method_and_page():
    comparison = compare(outcome(), bcg_entries(), POOLING, 0.95)
    (pooled,) = comparison.pooled
    values = {v["id"]: v for v in comparison_values([comparison])}
    estimate = values["comparisons/response/pooled-risk-ratio/estimate"]
    assert estimate["text"] == pooled.estimate_text and estimate["number"] == pytest.approx(pooled.estimate)
    assert estimate["kind"] == "computed" and pooled.method in estimate["how"]
    assert "combine_effects" in estimate["how"] and estimate["shown_on"] == ["comparisons/response.md"]
    assert estimate["study"] == "" and estimate["label"] == "Response: pooled risk ratio, 13 studies"
    ci = values["comparisons/response/pooled-risk-ratio/ci"]
    assert ci["number"] == pytest.approx([pooled.ci_low, pooled.ci_high]) and "95% CI" in ci["label"]
    assert comparison_values([compare(outcome(), bcg_entries(), ComparisonSettings(), 0.95)]) == []


def test_per_arm_figures_are_side_by_side_grouped_by_design_never_a_forest_plot():
    props = [
        proportion("a", design="Single-arm, phase 2"),
        proportion("b", design="Randomized, phase 3", estimate=0.25),
        proportion("c", design="Single-arm, phase 2", estimate=0.4),
    ]
    comparison = compare(outcome("proportions"), props, ComparisonSettings(), 0.95)
    chart = forest_chart(comparison)
    assert "forest" not in (chart.title + chart.caption).lower() and "side by side" in chart.title
    layout = chart.figure["layout"]
    assert not layout.get("shapes") and not layout.get("annotations"), "no line of no effect"
    ticks = layout["yaxis"]["ticktext"]
    assert ticks[0] == "<b>Single-arm, phase 2</b>" and ticks[3] == "<b>Randomized, phase 3</b>"
    assert [t.split("<br>")[0] for t in ticks[1:3]] == ["Study a (2000)", "Study c (2000)"]
    points = chart.figure["data"][0]
    assert dict(zip(points["y"], points["x"], strict=True)) == {-1: 50, -2: 40, -4: 25}, (
        "under its design's heading"
    )
    assert comparison.chart_words.startswith("side by side") and not comparison.is_forest
    _, index = rendered(comparison, chart)
    assert "forest plot |" not in index


def half_open_measure(study: str = "a") -> ComparisonEntry:
    link = '[1.1 to not reached months](../studies/a/results.md "Reported"){ #u2 .ev-value .ev-reported }'
    return entry(
        study,
        kind="measures",
        measure="months",
        estimate=6.0,
        ci_low=1.1,
        ci_high=None,
        interval="reported",
        shown_interval=link,
        experimental_vs_control=False,
    )


def test_a_half_open_interval_is_drawn_open_and_named_so_not_as_no_interval():
    comparison = compare(
        outcome("measures"),
        [
            half_open_measure(),
            entry("b", kind="measures", measure="months", estimate=4.0, ci_low=3.0, ci_high=5.0),
        ],
        ComparisonSettings(),
        0.95,
    )
    chart = forest_chart(comparison)
    whiskers, arrow = chart.figure["data"][:2]
    high = chart.figure["layout"]["xaxis"]["range"][1]
    assert whiskers["x"] == [6.0, 4.0] and whiskers["error_x"]["array"][0] == pytest.approx(high - 6.0)
    assert whiskers["error_x"]["arrayminus"][0] == pytest.approx(6.0 - 1.1)
    assert arrow["x"] == [high] and arrow["marker"]["symbol"] == ["triangle-right"]
    assert "no interval" not in whiskers["hovertext"][0]
    assert "95% CI 1.1 to not reached months (as printed, half-open" in whiskers["hovertext"][0]
    assert any("half-open" in c for c in comparison.caveats)
    assert "arrowhead" in chart.caption
    row = ComparisonPage(SITE, comparison, chart, NumberFormat(SiteConfig())).rows[0]
    assert row.interval_note == "95% CI, as printed, half-open (one bound in words)"
    assert "no interval" not in row.provenance


def test_the_interval_column_names_its_level_and_whether_printed_or_computed():
    fmt = NumberFormat(SiteConfig())
    comparison = compare(
        outcome("proportions"),
        [
            proportion("a", interval="reported"),
            proportion("b"),
            proportion("c", interval="reported", ci_level=None),
        ],
        ComparisonSettings(),
        0.95,
    )
    notes = [r.interval_note for r in ComparisonPage(SITE, comparison, None, fmt).rows]
    assert f"95% CI, computed by this site from n/N ({fmt.ci_method_name})" in notes
    assert "CI, level not stated, as printed" in notes
