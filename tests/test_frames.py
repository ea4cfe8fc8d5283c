"""generator.frames.records: the rows of a table exactly as pandas' to_dict("records") gives them."""

import numpy as np
import pandas as pd
import pytest

from generator.frames import records


def _table(extra: dict | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "outcome": ["CR", "CR", "OS"],
            "n": [12, 7, 0],
            "percent": [40.0, 23.3, np.nan],
            "ci_low": [None, 1.5, None],
            "reported": [True, False, True],
            "date": pd.to_datetime(["2017-08-25"] * 3),
            "text": pd.Series(["a", None, "c"], dtype="str"),
            "category": pd.Categorical(["x", None, "y"]),
        }
    )
    frame["boxed"] = pd.Series([np.float64(0.71), np.int64(3), "as printed"], dtype=object)
    for name, column in (extra or {}).items():
        frame[name] = column
    return frame


@pytest.mark.parametrize(
    "extra",
    [
        None,
        {"masked_int": pd.array([1, None, 3], dtype="Int64")},
        {"masked_text": pd.array(["a", None, "c"], dtype="string")},
        {"masked_bool": pd.array([True, None, False], dtype="boolean")},
    ],
    ids=["numpy and object columns", "Int64", "string", "boolean"],
)
def test_records_are_what_to_dict_gives_value_for_value_and_type_for_type(extra):
    frame = _table(extra)
    expected = frame.to_dict("records")
    found = records(frame)
    assert repr(found) == repr(expected)
    assert [[type(v) for v in row.values()] for row in found] == [
        [type(v) for v in row.values()] for row in expected
    ]


def test_numpy_scalars_in_an_object_column_become_python_numbers():
    row = records(_table())[0]
    assert type(row["boxed"]) is float and row["boxed"] == 0.71
    assert type(row["n"]) is int and type(row["reported"]) is bool


def test_an_empty_table_has_no_rows_and_labels_are_kept():
    assert records(_table().iloc[:0]) == []
    assert list(records(pd.DataFrame({3: [1], ("a", "b"): [2]}))[0]) == [3, ("a", "b")]
