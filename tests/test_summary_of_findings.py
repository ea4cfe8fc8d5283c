"""The GRADE summary of findings of a shared outcome: GRADE's conversions from a relative effect and a
comparator risk to absolute effects, checked against worked examples and an independent survival
computation; the rules a summary's judgement must keep; which relative effect each row gives; and the
table on a comparison page, rendered with hostile text and built in a site."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError
from scipy.stats import expon

from generator.build import generate, open_project
from generator.comparison import compare
from generator.config import ComparisonSettings
from generator.errors import InputError
from generator.load import load_vocabulary
from generator.model import SharedOutcome
from generator.summary_of_findings import (
    Absolute,
    absolute,
    corresponding_risk,
    difference_words,
    per_thousand,
    summary_of_findings,
)
from tests.conftest import edit
from tests.test_comparison import HOSTILE, POOLING, entry, outcome, rendered, table_rows
from tests.test_comparison_site import two_trials

SIDE_BY_SIDE = ComparisonSettings()
JUDGEMENT = {
    "certainty": "low",
    "downgraded": [
        {"domain": "risk of bias", "reason": "Open-label, with the outcome judged by the investigators."},
        {"domain": "imprecision", "reason": "Few events."},
    ],
    "comparator_risk": {"per_1000": 200, "source": "The control arms at one year."},
}


def judged(kind: str = "effects", **judgement) -> SharedOutcome:
    return outcome(kind, summary_of_findings={**JUDGEMENT, **judgement})


# The conversions


def test_a_risk_ratio_multiplies_the_comparator_risk():
    """The GRADE handbook's example: a comparator risk of 200 per 1,000 and a risk ratio of 0.75 give
    0.2 × 0.75 = 0.15, 150 per 1,000 with the intervention: 150 − 200 = 50 fewer per 1,000."""
    risk = corresponding_risk("risk_ratio", 0.2, 0.75)
    assert risk == pytest.approx(0.15, abs=1e-15)
    found = Absolute(0.2, risk)
    assert (found.risk_text, found.difference_text) == ("150 per 1,000", "50 fewer per 1,000")


def test_an_odds_ratio_converts_through_the_odds():
    """OR × CR / (1 − CR + OR × CR): 0.75 × 0.2 / (1 − 0.2 + 0.75 × 0.2) = 0.15 / 0.95 = 0.157895, 158
    per 1,000 and 42 fewer; at CR 0.5 an odds ratio of 3 gives 1.5 / (0.5 + 1.5) = 0.75."""
    assert corresponding_risk("odds_ratio", 0.2, 0.75) == pytest.approx(0.15 / 0.95, rel=1e-15)
    assert Absolute(0.2, corresponding_risk("odds_ratio", 0.2, 0.75)).difference_text == "42 fewer per 1,000"
    assert corresponding_risk("odds_ratio", 0.5, 3.0) == pytest.approx(0.75, rel=1e-15)
    odds = 0.15 / 0.85 / (0.2 / 0.8)  # the odds ratio of risks 0.15 and 0.2 takes 0.2 back to 0.15
    assert corresponding_risk("odds_ratio", 0.2, odds) == pytest.approx(0.15, rel=1e-12)


def test_a_hazard_ratio_converts_through_survival():
    """1 − (1 − CR)^HR: 1 − 0.8^0.75 = 1 − exp(0.75 × ln 0.8) = 1 − exp(−0.167358) = 1 − 0.845897 =
    0.154103, 154 per 1,000 and 46 fewer. The same as survival with constant hazards: the control's
    hazard λ = −ln 0.8 gives a risk of 0.2 at time 1, and the intervention's, 0.75 λ, its risk then."""
    risk = corresponding_risk("hazard_ratio", 0.2, 0.75)
    assert risk == pytest.approx(1 - 0.8**0.75, rel=1e-14)
    assert risk == pytest.approx(0.154103, abs=5e-7)
    hazard = -math.log(0.8)
    assert expon(scale=1 / hazard).cdf(1) == pytest.approx(0.2)
    assert risk == pytest.approx(expon(scale=1 / (0.75 * hazard)).cdf(1), rel=1e-12)
    found = Absolute(0.2, risk)
    assert (found.risk_text, found.difference_text) == ("154 per 1,000", "46 fewer per 1,000")
    assert corresponding_risk("hazard_ratio", 1e-12, 0.5) == pytest.approx(0.5e-12, rel=1e-9), "tiny risks"


@pytest.mark.parametrize("measure", ["risk_ratio", "odds_ratio", "hazard_ratio"])
def test_no_effect_leaves_the_comparator_risk_as_it_is(measure):
    assert corresponding_risk(measure, 0.37, 1.0) == pytest.approx(0.37, rel=1e-15)


def test_a_rate_ratio_is_not_a_ratio_of_risks():
    with pytest.raises(ValueError, match="rate ratio is not converted"):
        corresponding_risk("rate_ratio", 0.2, 0.75)


def test_each_bound_of_the_interval_is_converted_the_same_way():
    """RR 0.75 (0.60 to 0.94) at 0.2: 0.2 × 0.60 = 0.12 and 0.2 × 0.94 = 0.188, so 120 to 188 per
    1,000, and 80 fewer to 12 fewer."""
    found = absolute("risk_ratio", 0.2, (0.75, 0.60, 0.94), None)
    assert found.risk_text == "150 per 1,000 (120 to 188)"
    assert found.difference_text == "50 fewer per 1,000 (80 fewer to 12 fewer)"
    across = absolute("risk_ratio", 0.2, (0.9, 0.7, 1.2), None)  # 140 to 240: 60 fewer to 40 more
    assert across.difference_text == "20 fewer per 1,000 (60 fewer to 40 more)"


def test_a_risk_difference_converts_directly_on_its_scale():
    """5 percentage points at 200 per 1,000: 0.2 + 0.05 = 0.25, 250 per 1,000 and 50 more; a difference
    of −0.05 as a proportion: 150 per 1,000 and 50 fewer."""
    points = absolute("difference", 0.2, (5.0, 1.0, 9.0), "percentage points")
    assert points.risk_text == "250 per 1,000 (210 to 290)"
    assert points.difference_text == "50 more per 1,000 (10 more to 90 more)"
    assert absolute("difference", 0.2, (-0.05, None, None), "proportion").difference_text == (
        "50 fewer per 1,000"
    )
    with pytest.raises(ValueError, match="risk difference"):
        absolute("difference", 0.2, (5.0, None, None), None)


def test_per_thousand_rounds_half_away_from_zero():
    assert [per_thousand(x) for x in (0.0625, -0.0625, 0.0624, 0.15000000000000002)] == [63, -63, 62, 150]
    assert [difference_words(x) for x in (-0.0004, 0.0125, -0.05)] == ["0", "13 more", "50 fewer"]


# What a summary's judgement must be


@pytest.mark.parametrize(
    ("judgement", "message"),
    [
        ({"downgraded": []}, "certainty 'low' is below 'high', the level evidence from randomized trials"),
        ({"certainty": "high"}, "downgraded gives reasons for rating the certainty down, but 'high' is not"),
        (
            {"certainty": "moderate", "evidence_from": "observational studies", "downgraded": []},
            "certainty 'moderate' is above 'low', the level evidence from observational studies starts "
            "at; give the reasons for rating it up in upgraded",
        ),
        (
            {"downgraded": [{"domain": "bias", "reason": "x"}]},
            "'risk of bias', 'inconsistency', 'indirectness'",
        ),
        ({"downgraded": [{"domain": "imprecision", "reason": "  "}]}, "reason is blank; expected words"),
        (
            {
                "downgraded": [
                    {"domain": "imprecision", "reason": "a"},
                    {"domain": "imprecision", "reason": "b"},
                ]
            },
            "downgraded names imprecision more than once; give one reason per domain",
        ),
        ({"certainty": "poor"}, "'high', 'moderate', 'low' or 'very low'"),
        ({"comparator_risk": {"source": "A cohort."}}, "give the comparator risk once: per_1000"),
        (
            {"comparator_risk": {"per_1000": 200, "proportion": 0.2, "source": "A cohort."}},
            "give the comparator risk once",
        ),
        ({"comparator_risk": {"per_1000": 1000, "source": "A cohort."}}, "less than 1000"),
        ({"comparator_risk": {"proportion": 0, "source": "A cohort."}}, "greater than 0"),
        ({"comparator_risk": {"per_1000": 200, "source": ""}}, "source is blank"),
        ({"difference_scale": "percent"}, "'percentage points' or 'proportion'"),
    ],
)
def test_a_judgement_that_breaks_grades_rules_is_refused_with_why(judgement, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        judged(**judgement)


def test_judgements_grade_allows_are_accepted():
    judged(certainty="low", evidence_from="observational studies", downgraded=[])
    judged(
        certainty="moderate",
        evidence_from="observational studies",
        downgraded=[],
        upgraded=[{"domain": "large effect", "reason": "A risk ratio below 0.2."}],
    )
    judged(certainty="high", downgraded=[], comparator_risk=None)
    both = [{"domain": "inconsistency", "reason": "I² of 80%."}]
    judged(
        certainty="low",
        evidence_from="observational studies",
        downgraded=both,
        upgraded=[{"domain": "dose-response gradient", "reason": "Higher doses, fewer events."}],
    )
    assert judged(comparator_risk={"proportion": 0.2, "source": "A cohort."}).summary_of_findings


def test_only_an_outcome_of_effects_has_a_summary_of_findings():
    with pytest.raises(ValidationError, match="summary_of_findings is for an outcome of kind effects"):
        judged("proportions")


def test_outcomes_yml_reports_a_bad_summary_with_its_line_and_field(tmp_path):
    (tmp_path / "outcomes.yml").write_text(
        "outcomes:\n"
        "  - key: death\n"
        "    title: Death\n"
        "    kind: effects\n"
        "    definition: Death from any cause.\n"
        "    summary_of_findings:\n"
        "      certainty: moderate\n"
        "      downgraded:\n"
        "        - domain: imprecise\n"
        "          reason: Few events.\n"
    )
    with pytest.raises(InputError) as caught:
        load_vocabulary(tmp_path)
    (problem,) = caught.value.problems
    assert problem.field == "outcomes[0].summary_of_findings.downgraded[0].domain"
    assert problem.line == 9 and "'imprecision'" in problem.message and "found 'imprecise'" in problem.message


# Which relative effect each row gives


def test_one_studys_effect_is_its_row_with_its_participants():
    comparison = compare(
        judged(), [entry("a", measure="risk_ratio", estimate=0.75, participants=300)], SIDE_BY_SIDE, 0.95
    )
    table = summary_of_findings(comparison)
    (row,) = table.rows
    assert row.label == "Study a 2000: Drug vs placebo" and row.participants_text == "300 (1 study)"
    assert row.absolute.risk_text == "150 per 1,000 (100 to 196)"  # 0.2 × 0.5, 0.2 × 0.98
    assert table.basis == "The relative effect is the one study's estimate, as the study reports it."
    assert table.conversions == "risk ratio, ACR = CR × RR"
    assert (table.marks, table.certainty_words, table.footnote_letters) == ("⊕⊕◯◯", "Low", "a,b")
    assert [f.heading for f in table.footnotes] == [
        "Rated down for risk of bias",
        "Rated down for imprecision",
    ]


def test_a_pooled_effect_is_the_row_with_every_studys_participants():
    """Hazard ratios 0.7 (0.5 to 0.98) and 0.8 (0.6 to 1.0), pooled; participants 300 + 200."""
    entries = [
        entry("a", participants=300),
        entry("b", estimate=0.8, ci_low=0.6, ci_high=1.0, participants=200),
    ]
    comparison = compare(judged(), entries, POOLING, 0.95)
    (pooled,) = comparison.pooled
    (row,) = summary_of_findings(comparison).rows
    assert row.pooled and row.participants_text == "500 (2 studies)"
    assert row.absolute.risk == pytest.approx(1 - 0.8**pooled.estimate)
    assert row.absolute.low == pytest.approx(1 - 0.8**pooled.ci_low)
    assert "computed" in str(row.relative) and pooled.estimate_text in str(row.relative)
    assert (
        summary_of_findings(
            compare(judged(), [*entries[:1], replace(entries[1], participants=None)], POOLING, 0.95)
        )
        .rows[0]
        .participants_text
        == "– (2 studies)"
    )


def test_without_pooling_each_study_is_a_row_and_the_page_says_so():
    entries = [entry("a"), entry("b", estimate=0.8)]
    table = summary_of_findings(compare(judged(), entries, SIDE_BY_SIDE, 0.95))
    assert [r.label for r in table.rows] == ["Study a 2000: Drug vs placebo", "Study b 2000: Drug vs placebo"]
    assert "one study's estimate as it reports it, not pooled (pooling is off)" in table.basis


def test_what_is_not_converted_says_why():
    entries = [
        entry("a", measure="rate_ratio"),
        entry("b", measure="difference", estimate=5.0, ci_low=1.0, ci_high=9.0),
        entry("c", experimental_vs_control=False),
        entry("d", measure="risk_ratio", estimate=6.0, ci_low=2.0, ci_high=9.0),  # 0.2 × 6 = 1.2
        entry("e", measure="none", estimate=None, ci_low=None, ci_high=None),
    ]
    table = summary_of_findings(compare(judged(), entries, SIDE_BY_SIDE, 0.95))
    why = {r.label.split()[1]: r.not_converted for r in table.not_converted}
    assert "compares rates, not risks" in why["a"]
    assert "says it is a risk difference (difference_scale)" in why["b"]
    assert "not given for an experimental arm against a control arm" in why["c"]
    assert "not between 0 and 1,000 per 1,000" in why["d"]
    assert table.left_out == ["Study e 2000: Drug vs placebo: no estimate as a number."]
    assert not table.computed and table.conversions == ""
    scaled = summary_of_findings(
        compare(judged(difference_scale="percentage points"), entries[1:2], SIDE_BY_SIDE, 0.95)
    )
    assert scaled.rows[0].absolute.difference_text == "50 more per 1,000 (10 more to 90 more)"


def test_without_a_comparator_risk_the_summary_gives_the_relative_effect_only():
    table = summary_of_findings(compare(judged(comparator_risk=None), [entry("a")], SIDE_BY_SIDE, 0.95))
    assert table.rows[0].absolute is None and table.not_converted == [] and table.comparator_text == "–"


def test_no_judgement_no_summary():
    assert summary_of_findings(compare(outcome(), [entry("a")], SIDE_BY_SIDE, 0.95)) is None


# The table on the page


def test_the_page_shows_the_summary_with_hostile_text_escaped_and_its_table_whole():
    judgement = {
        **JUDGEMENT,
        "certainty": "moderate",
        "note": HOSTILE,
        "downgraded": [{"domain": "imprecision", "reason": HOSTILE}],
        "comparator_risk": {"per_1000": 200, "source": HOSTILE},
    }
    hostile = outcome(title=HOSTILE, summary_of_findings=judgement)
    entries = [
        replace(
            entry("a", measure="risk_ratio", estimate=0.75, ci_low=0.6, ci_high=0.94), study_title=HOSTILE
        )
    ]
    page, _ = rendered(compare(hostile, entries, SIDE_BY_SIDE, 0.95), None)
    summary = page[page.index("## Summary of findings") :]
    assert "<script>" not in summary and "*bold*" not in summary and "](javascript" not in summary
    assert summary.count("&#60;script&#62;alert(1)&#60;/script&#62; &#124; &#42;bold&#42;") >= 5
    rows = table_rows(summary)
    assert len(rows) == 3 and all(row.count("|") == 8 for row in rows), rows
    cells = [cell.strip() for cell in rows[2].split("|")[2:-1]]
    assert cells[0].startswith("Risk ratio [0.75](")
    assert cells[1:4] == [
        '<span class="ev-label">200 per 1,000</span>',
        '<span class="ev-value ev-computed">150 per 1,000 (120 to 188)</span>',
        '<span class="ev-value ev-computed">50 fewer per 1,000 (80 fewer to 12 fewer)</span>',
    ]
    assert cells[5] == '<span aria-hidden="true">⊕⊕⊕◯</span> Moderate<sup>a</sup>'
    assert '- <sup>a</sup> Rated down for imprecision: <span class="ev-label">&#60;script' in summary
    assert "computed by this site from the comparator risk and the relative effect" in summary
    assert "risk ratio, ACR = CR × RR" in summary
    assert (
        "the content's judgement (`content/outcomes.yml`)" in summary and "does not rate evidence" in summary
    )


def test_a_comparison_without_a_judgement_has_no_summary_section():
    page, _ = rendered(compare(outcome(), [entry("a")], SIDE_BY_SIDE, 0.95), None)
    assert "Summary of findings" not in page


SUMMARY = """    summary_of_findings:
      certainty: moderate
      downgraded:
        - domain: imprecision
          reason: Two small trials.
      comparator_risk:
        per_1000: 200
        source: Made up for the test, at one year.
"""


@pytest.mark.parametrize("pooling", [False, True], ids=["side-by-side", "pooled"])
def test_a_built_comparison_page_has_the_summary_with_its_conversions(tmp_path: Path, pooling):
    """Hazard ratios 0.75 (0.60 to 0.94) and 0.85 (0.70 to 1.03), 300 patients each, at 200 per 1,000:
    1 − 0.8^0.75 = 0.154 (0.125 to 0.189) and 1 − 0.8^0.85 = 0.173 (0.145 to 0.205)."""
    root = two_trials(tmp_path, pooling)
    edit(
        root / "content" / "outcomes.yml",
        "treatment against control.\n",
        "treatment against control.\n" + SUMMARY,
    )
    page = generate(open_project(root))["comparisons/death-hazard-ratio.md"].decode()
    summary = page[page.index("## Summary of findings") :]
    rows = table_rows(summary)[2:]
    if pooling:
        (row,) = rows
        assert "(pooled)" in row and "600 (2 studies)" in row
    else:
        assert len(rows) == 2 and all("300 (1 study)" in row for row in rows)
        assert (
            "154 per 1,000 (125 to 189)" in rows[0] and "46 fewer per 1,000 (75 fewer to 11 fewer)" in rows[0]
        )
        assert (
            "173 per 1,000 (145 to 205)" in rows[1] and "27 fewer per 1,000 (55 fewer to 5 more)" in rows[1]
        )
        assert "pooling is off" in summary
        assert "| Hazard ratio [0.75](../studies/two-arm-randomized/source.md#q-" in rows[0]
        assert "(95% CI [0.60 to 0.94](../studies/two-arm-randomized/source.md#q-" in rows[0]
        assert (
            "{ #sof-u-two-arm-randomized-effects-death-drug-a-vs-placebo-ci .ev-value .ev-reported }"
            in rows[0]
        )
    ids = re.findall(r"\{ #([a-z0-9-]+) ", page)
    assert len(ids) == len(set(ids)), "a figure shown twice has an id of its own each time"
    assert (
        "hazard ratio, ACR = 1 − (1 − CR)^HR" in summary and "Made up for the test, at one year." in summary
    )
