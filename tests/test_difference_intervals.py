"""The intervals of a difference of two proportions by each standard method, against published values,
and which methods reproduce a printed interval at its printed precision (generator.difference_intervals).

Reference values, for 7 of 34 against 1 of 34 at 95% (Perondi et al., 2004), are those statsmodels' own
tests use (statsmodels/stats/tests/test_proportion.py, test_confint_2indep and
test_confint_2indep_propcis): the table of Fagerland, Lydersen and Laake (2015), and R's PropCIs
(wald2ci, diffscoreci), with statsmodels' tolerances. Newcombe's hybrid score is also checked against
Newcombe (Stat Med 1998;17:873-90), Table II, method 10, examples (a) and (b), printed to 4 decimals.
"""

from __future__ import annotations

import typing
from decimal import Decimal

import pytest
from numpy.testing import assert_allclose

from generator.difference_intervals import (
    METHODS,
    PERCENTAGE_POINTS,
    PROPORTION,
    Counts,
    Printed,
    _score_bound,
    difference_interval,
    find,
    fitting_units,
    within_rounding,
)
from generator.model import EffectRow

PERONDI = Counts(7, 34, 1, 34)


@pytest.mark.parametrize(
    ("method", "expected", "tolerance"),
    [
        ("newcombe", (0.019, 0.340), {"atol": 0.005}),  # Fagerland et al., as in statsmodels' test
        ("wald", (0.02916942, 0.32377176), {"atol": 6e-7}),  # PropCIs wald2ci(adjust="Wald")
        ("agresti-caffo", (0.01161167, 0.32172166), {"atol": 6e-7}),  # PropCIs wald2ci(adjust="AC")
        ("miettinen-nurminen", (0.028, 0.343), {"rtol": 0.03}),  # Fagerland et al., as in statsmodels'
        ("miettinen-nurminen", (0.0270416, 0.3452912), {"atol": 0.002}),  # PropCIs diffscoreci
    ],
)
def test_each_method_gives_the_published_interval(method, expected, tolerance):
    assert_allclose(difference_interval(method, PERONDI, 0.95), expected, **tolerance)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [(Counts(56, 70, 48, 80), (0.0524, 0.3339)), (Counts(9, 10, 3, 10), (0.1705, 0.8090))],
)
def test_newcombes_hybrid_score_is_his_table_ii_method_10(counts, expected):
    assert_allclose(difference_interval("newcombe", counts, 0.95), expected, atol=5e-5)


def test_miettinen_nurminen_is_the_score_interval_with_their_variance_correction():
    """Their N/(N − 1) makes the interval wider than Mee's, the same score interval without it."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    mee = confint_proportions_2indep(7, 34, 1, 34, method="score", compare="diff", correction=False)
    low, high = difference_interval("miettinen-nurminen", PERONDI, 0.95)
    assert low < mee[0] - 1e-4 and high > mee[1] + 1e-4


def test_the_methods_are_the_content_vocabulary():
    """Every method an effect row may state has its statsmodels method, and no other is declared."""
    stated = typing.get_args(typing.get_args(EffectRow.model_fields["ci_method"].annotation)[0])
    assert set(METHODS) == set(stated)


def test_a_score_bound_statsmodels_misses_is_found_on_its_own_score_test():
    """statsmodels' bracket misses the lower bound of 60/200 against 20/100 (a Wald bound near 0): the
    bound found instead is where statsmodels' score test gives P = 0.05, and where statsmodels finds
    the bounds, the same search finds the same."""
    from statsmodels.stats.proportion import test_proportions_2indep

    counts = Counts(60, 200, 20, 100)
    low, high = difference_interval("miettinen-nurminen", counts, 0.95)
    for bound in (low, high):
        test = test_proportions_2indep(60, 200, 20, 100, value=bound, method="score", correction=True)
        assert test.pvalue == pytest.approx(0.05, abs=1e-8)
    assert low < 0 < high
    expected = difference_interval("miettinen-nurminen", PERONDI, 0.95)
    found = (_score_bound(PERONDI, 0.95, True, -1), _score_bound(PERONDI, 0.95, True, 1))
    assert_allclose(found, expected, atol=1e-8)


def test_no_interval_where_the_score_test_gives_none():
    assert difference_interval("miettinen-nurminen", Counts(10, 10, 0, 10), 0.95) is None


# Which methods reproduce a printed interval

# 30 of 200 against 8 of 100 at 95%, in percentage points, by each method:
# Newcombe -1.207 to 13.823, Wald -0.264 to 14.264, Agresti-Caffo -0.893 to 13.939,
# Miettinen-Nurminen -1.130 to 13.918: at one decimal, four different intervals.
COUNTS = Counts(30, 200, 8, 100)
BY_METHOD = {
    "newcombe": ("-1.2", "13.8"),
    "wald": ("-0.3", "14.3"),
    "agresti-caffo": ("-0.9", "13.9"),
    "miettinen-nurminen": ("-1.1", "13.9"),
}


def printed(estimate: str, low: str, high: str, level: float = 0.95) -> Printed:
    return Printed(Decimal(estimate), Decimal(low), Decimal(high), level)


@pytest.mark.parametrize("method", list(BY_METHOD))
def test_an_interval_printed_by_each_method_is_identified_as_that_method(method):
    finding = find(COUNTS, printed("7.0", *BY_METHOD[method]))
    assert finding.unit == PERCENTAGE_POINTS
    assert [a.method for a in finding.reproducing] == [method]
    assert finding.summary == f"reproduced by {METHODS[method].name}"
    assert finding.passed and finding.identified == [METHODS[method].name]


def test_the_same_interval_printed_as_proportions_is_identified_too():
    finding = find(COUNTS, printed("0.07", "-0.012", "0.138"))
    assert finding.unit == PROPORTION
    assert [a.method for a in finding.reproducing] == ["newcombe"]


def test_every_method_that_reproduces_an_interval_is_named():
    """At 90%, Newcombe's and Miettinen-Nurminen's intervals are both 0.3 to 12.8 at one decimal."""
    finding = find(COUNTS, printed("7.0", "0.3", "12.8", level=0.90))
    assert [a.method for a in finding.reproducing] == ["newcombe", "miettinen-nurminen"]
    assert finding.summary == "reproduced by Newcombe hybrid score and by Miettinen-Nurminen score"


def test_an_interval_no_method_reproduces_names_the_closest_and_by_how_much():
    finding = find(COUNTS, printed("7.0", "-0.6", "14.3"))
    assert finding.reproducing == [] and not finding.passed
    assert finding.summary == "no standard method reproduces it; closest: Wald, -0.3 to 14.3 (off by 0.3 pp)"


def test_one_last_digit_off_is_not_reproduced():
    """Newcombe's -1.207 rounds to -1.21 and -1.2, not -1.22 or -1.1."""
    assert within_rounding(-0.01207 * 100, Decimal("-1.21"))
    assert not within_rounding(-0.01207 * 100, Decimal("-1.22"))
    assert not find(COUNTS, printed("7.0", "-1.1", "13.8")).reproducing  # no method's pair of bounds


def test_a_stated_method_that_reproduces_the_interval_passes():
    finding = find(COUNTS, printed("7.0", "-0.3", "14.3"), stated="wald")
    assert finding.passed
    assert finding.summary == "reproduced by Wald, the method the source states"


def test_a_stated_method_that_does_not_reproduce_it_fails_and_names_the_one_that_does():
    finding = find(COUNTS, printed("7.0", "-1.2", "13.8"), stated="wald")
    assert not finding.passed
    assert finding.summary == (
        "Wald, the method the source states, gives -0.3 to 14.3 (off by 0.9 pp); "
        "reproduced by Newcombe hybrid score"
    )


def test_a_printed_difference_that_is_not_the_counts_one_is_in_no_unit():
    assert fitting_units(COUNTS, printed("12.0", "2.0", "22.0")) == []
    finding = find(COUNTS, printed("12.0", "2.0", "22.0"))
    assert finding.unit is None and not finding.passed and not finding.attempts
    assert finding.summary.startswith("not comparable: the printed difference 12.0 is not the difference")
    assert "7.0 percentage points, or 0.07 as proportions" in finding.summary
