"""Computations against known values."""

from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from generator.analysis import (
    compare_proportions,
    counts_matching_percent,
    proportion_ci,
    resolve_counts,
    round_half_up,
)
from generator.config import StatisticsSettings
from generator.errors import DataError


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
