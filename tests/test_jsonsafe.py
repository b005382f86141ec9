"""The one JSON cleaner gives standard JSON for numpy, pandas and non-finite values."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from gisplan.jsonsafe import json_number, json_value


def test_json_value_cleans_nested_values_into_standard_json():
    obj = {
        1: np.int64(3),
        "f": np.float32(0.5),
        "nan": float("nan"),
        "inf": np.inf,
        "b": np.bool_(True),
        "na": pd.NA,
        "t": (np.float64(-np.inf), "x", None),
        "ts": pd.Timestamp("2025-01-02"),
    }
    out = json_value(obj)
    assert out == {
        "1": 3,
        "f": 0.5,
        "nan": None,
        "inf": None,
        "b": True,
        "na": None,
        "t": [None, "x", None],
        "ts": "2025-01-02 00:00:00",
    }
    assert type(out["1"]) is int and type(out["b"]) is bool
    json.dumps(out, allow_nan=False)  # raises on anything non-standard


def test_json_number_rounds_and_drops_non_finite():
    assert json_number(np.float64(2.0)) == 2 and type(json_number(2.0)) is int
    assert json_number(1 / 3) == round(1 / 3, 6)
    assert json_number(math.nan) is None and json_number(np.inf) is None
    assert json_number(None) is None and json_number("a") is None
    assert json_number(np.int32(7)) == 7
