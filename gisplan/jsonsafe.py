"""The one JSON cleaner: any value gisplan writes as JSON, made into plain JSON values.

``json.dumps`` cannot write numpy scalars and writes NaN / infinity as the non-standard
``NaN`` / ``Infinity``.  :func:`json_value` turns a value (recursively through dicts, lists and
tuples) into JSON's own types: numpy scalars become Python numbers, NaN / infinity / pandas'
missing values become ``null``, dict keys become text, and any other object its text.
Summaries, exports, map feature properties and siting figures all go through it; writers
then call ``json.dumps(..., allow_nan=False)`` so that nothing non-standard slips through.
(The scenario store *validates* what users save instead, refusing infinities:
:mod:`gisplan.store.scenarios`.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["json_value", "json_number"]


def json_value(obj: Any) -> Any:
    """A JSON-ready copy of ``obj`` (see the module docstring)."""
    if isinstance(obj, dict):
        return {str(k): json_value(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_value(v) for v in obj]
    return _scalar(obj.item() if isinstance(obj, np.generic) else obj)


def _scalar(v: Any) -> Any:
    if v is None or isinstance(v, bool | str | int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    try:
        missing = bool(pd.isna(v))
    except (TypeError, ValueError):  # arrays and other containers: not a missing scalar
        missing = False
    return None if missing else str(v)


def json_number(v: Any, digits: int = 6) -> int | float | None:
    """A number for JSON, rounded to ``digits`` decimals.

    ``None`` when missing or not finite (or not a number); whole floats become ``int``.
    """
    v = json_value(v)
    if v is None or isinstance(v, bool) or not isinstance(v, int | float):
        return None
    if isinstance(v, int):
        return v
    return int(v) if v.is_integer() else round(v, digits)
