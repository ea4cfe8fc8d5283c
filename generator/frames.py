"""Rows of a table as plain Python: what `DataFrame.to_dict("records")` gives, at a fraction of its cost.

A study's tables are small and wide (tens of rows, about twenty columns, nearly all of object dtype);
pandas' `to_dict` spends its time column by column and cell by cell, which made it a fifth of a
study's build. One conversion of the whole frame to an object array is enough.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_extension_array_dtype


def records(frame: pd.DataFrame) -> list[dict[Any, Any]]:
    """Each row as a dict of its cells by column label: the same values as `to_dict("records")`
    (Python's numbers, not numpy's)."""
    if any(_missing_is_na(dtype) for dtype in frame.dtypes):
        return frame.to_dict("records")  # pandas gives None for pd.NA there: left to pandas
    labels = frame.columns.tolist()
    rows = frame.to_numpy(dtype=object).tolist()
    return [dict(zip(labels, map(_native, row), strict=True)) for row in rows]


def _missing_is_na(dtype: Any) -> bool:
    """A dtype whose missing cell is `pd.NA` (Int64, boolean, string[python]), which `to_dict` makes None."""
    return is_extension_array_dtype(dtype) and dtype.na_value is pd.NA


def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
