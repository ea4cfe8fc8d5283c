"""Computations against known values."""

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from generator.analysis import (
    NOTHING,
    RANDOMIZED_EFFICACY,
    arm_policy,
    compare_arms,
    compare_proportions,
    counts_matching_percent,
    implied_p_range,
    implied_p_value,
    proportion_ci,
    resolve_counts,
    round_half_up,
)
from generator.config import BetweenArmsSettings, StatisticsSettings
from generator.errors import DataError
from generator.model import Arm, parse_p_value


def test_round_half_up_rounds_halves_up_like_printed_percentages():
    assert round_half_up(Fraction(575, 10)) == 58
    assert round_half_up(Fraction(5854, 100)) == 59
    assert round_half_up(Fraction(5749, 100)) == 57


@pytest.mark.parametrize(
    ("percent", "denominator", "counts"),
    [(57, 49, [28]), (59, 41, [24]), (68, 90, [61]), (19, 90, [17]), (7, 100, [7]), (40, 90, [36])],
)
def test_counts_matching_percent_known_values(percent, denominator, counts):
    assert counts_matching_percent(percent, denominator) == counts


def test_counts_matching_percent_can_be_ambiguous_or_impossible():
    assert counts_matching_percent(33, 300) == [98, 99, 100]
    assert counts_matching_percent(50, 200) == [99, 100]
    assert counts_matching_percent(50, 3) == []


def test_exact_interval_for_52_of_90():
    low, high = proportion_ci(52, 90, 0.95, "clopper-pearson")
    assert (round(low * 100, 1), round(high * 100, 1)) == (46.9, 68.1)


def test_interval_method_and_level_are_settings():
    exact = proportion_ci(52, 90, 0.95, "clopper-pearson")
    wilson = proportion_ci(52, 90, 0.95, "wilson")
    narrow = proportion_ci(52, 90, 0.80, "clopper-pearson")
    assert wilson != exact
    assert narrow[0] > exact[0] and narrow[1] < exact[1]


def test_newcombe_difference_matches_newcombe_1998():
    """Newcombe (1998), Statistics in Medicine 17:873, method 10: 56/70 - 48/80 -> 0.0524 to 0.3339."""
    result = compare_proportions(56, 70, 48, 80, StatisticsSettings())
    assert result.difference == pytest.approx(0.2)
    assert (round(result.ci_low, 4), round(result.ci_high, 4)) == (0.0524, 0.3339)


def test_fisher_exact_for_the_two_schedules():
    result = compare_proportions(24, 41, 28, 49, StatisticsSettings())
    assert result.fisher_p == pytest.approx(1.0)
    assert round(result.difference * 100, 1) == 1.4


def _table(rows):
    columns = [
        "outcome",
        "label",
        "arm",
        "count",
        "denominator",
        "percent",
        "status",
        "derivation",
        "source",
        "line",
    ]
    return pd.DataFrame([dict(zip(columns, r, strict=True)) for r in rows], dtype=object)


def test_resolve_counts_sums_complements_and_reads_percentages():
    table = _table(
        [
            ("a", "A", "all", 17, 90, 19, "reported", None, "q", 2),
            ("b", "B", "all", 27, 90, 30, "reported", None, "q", 3),
            ("c", "C", "all", 8, 90, 9, "reported", None, "q", 4),
            ("total", "Total", "all", None, 90, 58, "derived", "sum(a, b, c)", "q", 5),
            ("rest", "Rest", "all", None, 90, None, "derived", "complement(total)", "q", 6),
            ("arm", "Arm", "x", None, 49, 57, "derived", "from_percent", "q", 7),
        ]
    )
    resolved = resolve_counts(table, Path("t.csv")).set_index("outcome")
    assert resolved.loc["total", "count"] == 52
    assert resolved.loc["total", "how"].startswith("17 + 27 + 8 = 52")
    assert resolved.loc["rest", "count"] == 38
    assert resolved.loc["arm", "count"] == 28
    assert "only whole count" in resolved.loc["arm", "how"]


def test_resolve_counts_refuses_an_ambiguous_percentage_with_its_line():
    table = _table([("x", "X", "all", None, 300, 33, "derived", "from_percent", "q", 9)])
    with pytest.raises(DataError) as caught:
        resolve_counts(table, Path("responses.csv"))
    message = str(caught.value)
    assert "responses.csv, line 9" in message and "3 counts ([98, 99, 100])" in message


def test_the_p_value_an_interval_implies_follows_altman_and_bland():
    # Altman & Bland (BMJ 2011;343:d2090): a hazard ratio of 0.71, 95% CI 0.55 to 0.93, gives P about 0.01
    assert implied_p_value("hazard_ratio", 0.71, 0.55, 0.93, 0.95) == pytest.approx(0.0106, abs=5e-4)
    # a difference: 10, 95% CI 0.2 to 19.8 -> SE 5, z 2, P 0.0455
    assert implied_p_value("difference", 10, 0.2, 19.8, 0.95) == pytest.approx(0.0455, abs=5e-4)


def test_the_implied_p_value_spans_the_rounding_of_the_printed_figures():
    row = {"measure": "hazard_ratio", "estimate": Decimal("0.71"), "ci_low": Decimal("0.55")}
    central, low, high = implied_p_range({**row, "ci_high": Decimal("0.93"), "ci_level": None})
    assert (
        low < central < high
        and low == pytest.approx(0.0073, abs=5e-4)
        and high == pytest.approx(0.0148, abs=5e-4)
    )
    assert implied_p_range({**row, "measure": "none", "ci_high": None, "ci_level": None}) is None


@pytest.mark.parametrize(
    ("printed", "relation", "low", "high"),
    [
        ("P = 0.01", "=", "0.005", "0.015"),
        ("P<0.001", "<", "0", "0.001"),
        ("P = .002", "=", "0.0015", "0.0025"),
    ],
)
def test_p_values_are_read_as_printed(printed, relation, low, high):
    value = parse_p_value(printed)
    assert (value.printed, value.relation, value.interval) == (
        printed,
        relation,
        (Decimal(low), Decimal(high)),
    )


@pytest.mark.parametrize("text", ["p value 0.01", "P = 1.5", "P =", "0.01"])
def test_a_p_value_that_cannot_be_read_is_refused(text):
    with pytest.raises(ValueError, match="cannot read P value"):
        parse_p_value(text)


def _arms():
    sets = [{"id": "randomized", "n": 40, "source": "40 patients"}]
    return [
        Arm(id="control", label="Control", role="control", sets=sets),
        Arm(id="drug", label="Drug", role="experimental", sets=sets),
    ]


def _known(rows):
    """Proportions as summarise_proportions leaves them: (outcome, arm, subgroup, grade, count, N)."""
    frame = pd.DataFrame(
        [
            {
                "outcome": o,
                "label": "Response",
                "arm": a,
                "subgroup": sg,
                "grade": g,
                "set": "randomized",
                "count": c,
                "denominator": n,
                "estimate": c / n,
            }
            for o, a, sg, g, c, n in rows
        ],
        dtype=object,
    )
    return frame


def test_arms_are_compared_like_with_like_whole_arm_subgroup_and_grade_apart():
    proportions = _known(
        [
            ("response", "control", None, None, 20, 40),
            ("response", "control", "Age 65 or older", None, 5, 20),
            ("response", "drug", None, None, 30, 41),
            ("response", "drug", "Age 65 or older", None, 5, 20),
            ("nausea", "control", None, "any", 10, 40),
            ("nausea", "control", None, "≥3", 2, 40),
            ("nausea", "drug", None, "any", 20, 41),
            ("nausea", "drug", None, "≥3", 4, 41),
        ]
    )
    frame = compare_arms(proportions, _arms(), StatisticsSettings(), RANDOMIZED_EFFICACY)
    by_key = {r["key"]: r for r in frame.to_dict("records")}
    whole = by_key["response/drug-vs-control"]
    assert whole["difference"] == pytest.approx(30 / 41 - 20 / 40), (
        "the whole arms, not the last subgroup row"
    )
    assert whole["subgroup"] == "" and whole["set"] == "randomized"
    older = by_key["response/drug-vs-control/age-65-or-older"]
    assert older["difference"] == 0 and older["subgroup"] == "Age 65 or older"
    assert by_key["nausea/drug-vs-control/grade-any"]["difference"] == pytest.approx(20 / 41 - 10 / 40)
    assert by_key["nausea/drug-vs-control/grade-ge3"]["grade"] == "≥3"
    assert len(by_key) == len(frame) == 4, "each key names one comparison"


def test_a_single_grade_or_set_adds_nothing_to_the_key():
    proportions = _known([("nausea", "control", None, "≥3", 2, 40), ("nausea", "drug", None, "≥3", 4, 41)])
    frame = compare_arms(proportions, _arms(), StatisticsSettings(), RANDOMIZED_EFFICACY)
    assert list(frame["key"]) == ["nausea/drug-vs-control"], "the ids of a table without several grades stay"


def test_a_subgroup_is_not_compared_with_the_other_arms_whole():
    proportions = _known(
        [("response", "control", None, None, 20, 40), ("response", "drug", "Age 65 or older", None, 5, 20)]
    )
    assert compare_arms(proportions, _arms(), StatisticsSettings(), RANDOMIZED_EFFICACY).empty


# What the design and the settings allow between arms (statistics.between_arms)

ALLOCATIONS = ["randomized", "non-randomized", "single-arm"]


@pytest.mark.parametrize("allocation", ALLOCATIONS)
@pytest.mark.parametrize("harms", [False, True])
def test_by_default_only_randomized_efficacy_is_compared(allocation, harms):
    policy = arm_policy(allocation, harms, BetweenArmsSettings())
    if allocation == "randomized" and not harms:
        assert policy == RANDOMIZED_EFFICACY
    else:
        assert policy == NOTHING, "no difference and no P value between cohorts or on adverse events"


def test_the_settings_open_each_comparison_and_label_it():
    cohorts = arm_policy("non-randomized", False, BetweenArmsSettings(non_randomized=True))
    assert (cohorts.differences, cohorts.p_values) == (True, True)
    assert cohorts.caveat(derived=False, tests=3) == "not randomized: descriptive, exploratory"
    harms = BetweenArmsSettings(harms_differences=True)
    differences_only = arm_policy("randomized", True, harms)
    assert (differences_only.differences, differences_only.p_values) == (True, False)
    assert differences_only.caveat(derived=False, tests=0) == ""
    tested = arm_policy("randomized", True, BetweenArmsSettings(harms_differences=True, harms_p_values=True))
    assert tested.caveat(derived=True, tests=14) == (
        "exploratory, unadjusted: one of 14 tests on this table; from derived counts"
    )
    assert arm_policy("single-arm", True, harms) == NOTHING, "adverse events of cohorts need both settings"


def test_p_values_on_adverse_events_need_their_differences():
    with pytest.raises(ValueError, match="harms_differences: true"):
        BetweenArmsSettings(harms_p_values=True)


def _two_outcomes():
    frame = _known(
        [
            ("response", "control", None, None, 20, 40),
            ("response", "drug", None, None, 30, 41),
            ("nausea", "control", None, None, 2, 40),
            ("nausea", "drug", None, None, 4, 41),
        ]
    )
    frame["status"] = ["reported", "derived", "reported", "reported"]
    return frame


def test_nothing_allowed_gives_no_comparison_at_all():
    frame = compare_arms(_two_outcomes(), _arms(), StatisticsSettings(), NOTHING)
    assert frame.empty and {"difference", "fisher_p", "caveat"} <= set(frame.columns)


def test_randomized_efficacy_has_differences_and_p_values_labelled_only_for_derived_counts():
    frame = compare_arms(_two_outcomes(), _arms(), StatisticsSettings(), RANDOMIZED_EFFICACY)
    by_outcome = {r["outcome"]: r for r in frame.to_dict("records")}
    assert by_outcome["response"]["fisher_p"] == pytest.approx(
        compare_proportions(30, 41, 20, 40, StatisticsSettings()).fisher_p
    )
    assert by_outcome["response"]["caveat"] == "from derived counts", "the drug arm's 30 is derived"
    assert by_outcome["nausea"]["caveat"] == "" and by_outcome["nausea"]["derived_counts"] is False
    assert by_outcome["nausea"]["tests_in_table"] == 2, "the tests on the table, counted for every table"


def test_harms_differences_have_intervals_but_no_p_value_unless_asked():
    settings = StatisticsSettings(between_arms=BetweenArmsSettings(harms_differences=True))
    policy = arm_policy("randomized", True, settings.between_arms)
    frame = compare_arms(_two_outcomes(), _arms(), settings, policy)
    assert frame["ci_low"].notna().all() and frame["fisher_p"].isna().all()
    asked = BetweenArmsSettings(harms_differences=True, harms_p_values=True)
    tested = compare_arms(_two_outcomes(), _arms(), settings, arm_policy("randomized", True, asked))
    assert tested["fisher_p"].notna().all() and list(tested["tests_in_table"]) == [2, 2]
    assert all("exploratory, unadjusted: one of 2 tests on this table" in c for c in tested["caveat"])


def test_non_randomized_cohorts_compared_when_asked_are_labelled():
    policy = arm_policy("non-randomized", False, BetweenArmsSettings(non_randomized=True))
    frame = compare_arms(_two_outcomes(), _arms(), StatisticsSettings(), policy)
    assert list(frame["caveat"]) == [
        "not randomized: descriptive, exploratory; from derived counts",
        "not randomized: descriptive, exploratory",
    ]
