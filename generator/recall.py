"""Statistical results a study's last build computed, recalled when the same call comes again.

After a one-value edit (a label, a note, a quote) the study is built again, and importing the
statistics libraries (scipy, statsmodels) takes most of a second of that. Every result of a function
marked `@remembered` is kept with the study's cache entry, keyed on the function and its arguments;
the study's next build under the same site key (the same generator code, library versions, settings
and vocabulary: `cache.site_key`) takes a result from there when the same function is called with the
same arguments, and imports nothing. JSON keeps a float exactly, so a recalled result is the number
the function returns.

Pure bookkeeping: the build stage (`studies`) gives the results to recall and keeps those used; the
cache (`cache`) stores and checks them. Outside `recalling` every call computes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

Result = float | list[float] | None
"""A result as kept: a number, a tuple of numbers as a list, or None."""

MAX_RESULTS = 100_000
"""The most results kept for one study (a real study's build computes 20 to 300)."""
MAX_KEY_CHARS = 1_000
MAX_RESULT_NUMBERS = 8


@dataclass
class Results:
    """The results a build may recall (`known`) and those it computed or recalled (`used`)."""

    known: dict[str, Result]
    used: dict[str, Result] = field(default_factory=dict)


_CURRENT: ContextVar[Results | None] = ContextVar("recalled_results", default=None)
"""Per thread: a Dask worker may build studies in several threads at once."""

Function = TypeVar("Function", bound=Callable[..., Any])


def is_number(result: Result) -> bool:
    return type(result) is float


def is_pair(result: Result) -> bool:
    return isinstance(result, list) and len(result) == 2 and all(is_number(n) for n in result)


def is_pair_or_none(result: Result) -> bool:
    return result is None or is_pair(result)


def remembered(shape: Callable[[Result], bool]) -> Callable[[Function], Function]:
    """Mark a pure statistical function whose result, as kept, is of `shape` (`is_number`: a float;
    `is_pair`: a tuple of two floats; `is_pair_or_none`), called with arguments whose `repr` says all
    they are (numbers, strings, frozen dataclasses of them). A kept result of another shape is not
    recalled: the function computes it."""

    def marked(function: Function) -> Function:
        name = f"{function.__module__}.{function.__qualname__}"

        @functools.wraps(function)
        def recalled_or_computed(*args: Any, **kwargs: Any) -> Any:
            results = _CURRENT.get()
            if results is None:
                return function(*args, **kwargs)
            key = f"{name}{args!r}" + (f"{sorted(kwargs.items())!r}" if kwargs else "")
            known = results.known.get(key, _MISSING)
            result = known if known is not _MISSING and shape(known) else _kept(function(*args, **kwargs))
            results.used[key] = result
            return tuple(result) if isinstance(result, list) else result

        return recalled_or_computed  # type: ignore[return-value]

    return marked


_MISSING: Any = object()


def _kept(result: Any) -> Result:
    if result is None:
        return None
    if isinstance(result, tuple):
        return [float(number) for number in result]
    return float(result)


@contextmanager
def recalling(known: dict[str, Result]) -> Iterator[Results]:
    """Within this block, `@remembered` functions take their results from `known` where the call is
    the same, and every result used is listed in the yielded `Results.used`."""
    results = Results(known)
    token = _CURRENT.set(results)
    try:
        yield results
    finally:
        _CURRENT.reset(token)


def checked_results(data: Any) -> dict[str, Result] | None:
    """Results read back (from an untrusted cache entry) if they are exactly of the form kept: a
    mapping of at most MAX_RESULTS keys of at most MAX_KEY_CHARS characters to a number, None or a
    list of at most MAX_RESULT_NUMBERS numbers; None otherwise."""
    if not isinstance(data, dict) or len(data) > MAX_RESULTS:
        return None
    for key, result in data.items():
        if not isinstance(key, str) or len(key) > MAX_KEY_CHARS or not _is_result(result):
            return None
    return data


def _is_result(result: Any) -> bool:
    if result is None or is_number(result):
        return True
    return (
        isinstance(result, list)
        and len(result) <= MAX_RESULT_NUMBERS
        and all(is_number(number) for number in result)
    )
