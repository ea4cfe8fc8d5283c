"""Statistical results recalled from a study's last build: only for the very same call, exactly the
number computed, and only from a cache entry of the same site key."""

from __future__ import annotations

import json
import math

import pytest

from generator.analysis import fisher_p, implied_p_value, proportion_ci
from generator.difference_intervals import Counts, difference_interval
from generator.recall import (
    MAX_RESULT_NUMBERS,
    checked_results,
    is_number,
    is_pair,
    is_pair_or_none,
    recalling,
    remembered,
)

CALLS = [
    (proportion_ci, (7, 20, 0.95, "wilson")),
    (proportion_ci, (0, 12, 0.9, "clopper-pearson")),
    (fisher_p, (10, 40, 3, 38)),
    (difference_interval, ("newcombe", Counts(10, 40, 3, 38), 0.95)),
    (difference_interval, ("miettinen-nurminen", Counts(1, 40, 0, 38), 0.95)),
    (difference_interval, ("wald", Counts(0, 40, 0, 38), 0.95)),
    (implied_p_value, ("HR", 0.71, 0.55, 0.93, 0.95)),
    (implied_p_value, ("HR", 0.705, 0.545, 0.935, 0.9)),
]


def _same(first, second) -> bool:
    if isinstance(first, tuple):
        return isinstance(second, tuple) and all(map(_same, first, second))
    return first == second or (first is not None and math.isnan(first) and math.isnan(second))


@pytest.mark.parametrize(("function", "args"), CALLS)
def test_a_recalled_result_is_the_computed_one_exactly(function, args):
    computed = function(*args)
    with recalling({}) as first:
        assert _same(function(*args), computed)
    kept = first.used
    assert len(kept) == 1
    as_stored = json.loads(json.dumps(kept))  # as the cache entry keeps them
    assert checked_results(as_stored) is as_stored
    with recalling(as_stored) as second:
        assert _same(function(*args), computed)
    assert second.used == as_stored


def test_none_and_tuples_come_back_as_they_were():
    @remembered(is_pair_or_none)
    def nothing(number: float) -> None:
        return None

    @remembered(is_pair)
    def pair(number: float) -> tuple[float, float]:
        return number, 2 * number

    with recalling({}) as first:
        nothing(1.0), pair(1.0)
    with recalling(json.loads(json.dumps(first.used))):
        assert nothing(1.0) is None
        assert pair(1.0) == (1.0, 2.0) and isinstance(pair(1.0), tuple)


def test_a_result_is_recalled_only_for_the_same_function_and_arguments():
    calls = []

    @remembered(is_number)
    def doubled(number: float, scale: float) -> float:
        calls.append(number)
        return 2.0 * number * scale

    @remembered(is_number)
    def tripled(number: float, scale: float) -> float:
        calls.append(number)
        return 3.0 * number * scale

    with recalling({}) as first:
        doubled(1.0, 1.0)
    (key,) = first.used
    planted = {key: 99.0}
    with recalling(planted) as second:
        assert doubled(1.0, 1.0) == 99.0  # recalled, not computed
        assert doubled(1.0, 2.0) == 4.0
        assert doubled(2.0, 1.0) == 4.0
        assert tripled(1.0, 1.0) == 3.0
    assert calls == [1.0, 1.0, 2.0, 1.0]
    assert len(second.used) == 4 and second.used[key] == 99.0
    assert doubled(1.0, 1.0) == 2.0  # outside `recalling`, always computed


def test_results_are_recalled_in_one_thread_only():
    import threading

    @remembered(is_number)
    def half(number: float) -> float:
        return number / 2

    with recalling({}) as results:
        half(1.0)
    seen = []
    with recalling({key: 7.0 for key in results.used}):
        thread = threading.Thread(target=lambda: seen.append(half(1.0)))
        thread.start()
        thread.join()
        assert half(1.0) == 7.0
    assert seen == [0.5]


@pytest.mark.parametrize(
    "kept",
    [
        [],
        {"f(1,)": "0.5"},
        {"f(1,)": 1},
        {"f(1,)": True},
        {"f(1,)": [0.1, "0.2"]},
        {"f(1,)": [0.1] * (MAX_RESULT_NUMBERS + 1)},
        {"f(1,)": [[0.1]]},
        {"f(1,)": {"low": 0.1}},
        {"x" * 1001: 0.5},
    ],
)
def test_results_of_any_other_form_are_refused(kept):
    assert checked_results(kept) is None


def test_results_of_the_kept_form_are_taken():
    kept = {"f(1,)": 0.5, "g(2,)": None, "h(3,)": [0.1, math.inf], "i(4,)": math.nan}
    assert checked_results(kept) == kept


def _twice(module: str):
    def twice(number: float) -> float:
        return 2.0 * number

    twice.__module__ = module
    return remembered(is_number)(twice)


def _planted(function, *args, value=99.0) -> dict:
    """The key of `function(*args)`, kept with `value` as its result."""
    with recalling({}) as results:
        function(*args)
    return {key: value for key in results.used}


def test_a_result_is_recalled_only_for_the_very_same_numbers():
    twice = _twice("one")
    with recalling(_planted(twice, 0.7051)):
        assert twice(0.7051) == 99.0
        assert twice(0.70510001) == 1.41020002
        assert twice(0.705) == 1.41


def test_a_result_is_recalled_only_for_the_function_of_that_module():
    first, second = _twice("one"), _twice("two")
    with recalling(_planted(first, 1.0)):
        assert first(1.0) == 99.0
        assert second(1.0) == 2.0


@pytest.mark.parametrize(("shape", "kept"), [(is_number, [0.5, 0.5]), (is_pair, 0.5), (is_pair, [0.5])])
def test_a_kept_result_of_another_shape_is_computed(shape, kept):
    @remembered(shape)
    def pair(number: float):
        return (number, number) if shape is is_pair else number

    with recalling(_planted(pair, 1.0, value=kept)):
        assert pair(1.0) == ((1.0, 1.0) if shape is is_pair else 1.0)


def test_nothing_is_recalled_after_a_build_that_failed():
    twice = _twice("one")
    with pytest.raises(ValueError), recalling(_planted(twice, 1.0)):
        raise ValueError("the study's build failed")
    assert twice(1.0) == 2.0


def test_a_call_by_keyword_is_computed_or_recalled_as_a_call_by_position_is():
    twice = _twice("one")
    assert twice(number=1.0) == 2.0
    with recalling({}) as first:
        assert twice(number=1.0) == 2.0
    with recalling(dict.fromkeys(first.used, 99.0)):
        assert twice(number=1.0) == 99.0
        assert twice(1.0) == 2.0
