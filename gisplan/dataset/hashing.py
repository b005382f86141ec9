"""Content hash of a prepared dataset: the same layers give the same hash, file or no file.

The hash is a sha256 over every layer in name order: its row count, then each attribute
column in name order (numbers and booleans as float64, text through pandas' fixed-key
``hash_pandas_object``; missing text counts as ``""``), then the geometries as 2-D WKB.  It
is computed from the layers as written and again, by :func:`gisplan.dataset.open_dataset`,
from the layers as read, so a file edited after preparation (or damaged) is detected, and
caches can be keyed by it (``Dataset.content_hash``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.dataset.schema import FORMAT, SCHEMA_VERSION

__all__ = ["content_hash", "normalise_columns"]

_CHUNK = 200_000


def normalise_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Attribute columns as a GeoPackage stores them: numbers, booleans or text.

    Object columns holding only numbers become float (or int), anything else becomes text
    with missing values kept missing; the result reads back from a GeoPackage unchanged.
    """
    out = gdf.copy()
    geom = out.geometry.name
    for col in out.columns:
        if col == geom:
            continue
        s = out[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            continue
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
            out[col] = pd.to_numeric(s, errors="coerce")
        elif kind == "boolean" and s.notna().all():
            out[col] = s.astype(bool)
        elif kind == "empty":
            out[col] = pd.Series([None] * len(s), index=s.index, dtype=object)
        else:
            text = s.map(lambda v: v if isinstance(v, str) else (None if _missing(v) else str(v)))
            out[col] = text.astype(object)
    return out


def _missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _column_bytes(s: pd.Series) -> bytes:
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        arr = np.asarray(s, dtype="float64").copy()
        arr[np.isnan(arr)] = np.nan  # one bit pattern for every missing value
        return b"n" + arr.tobytes()
    vals = s.astype(object).to_numpy()
    miss = pd.isna(vals)
    text = pd.Series(np.where(miss, "", vals), dtype=object).astype(str)
    return b"s" + pd.util.hash_pandas_object(text, index=False).to_numpy().tobytes()


def content_hash(
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame | None],
    wkb: Mapping[str, bytes | memoryview] | None = None,
) -> str:
    """sha256 (hex) of the layers' contents; ``None`` layers are left out.

    ``wkb`` may give a layer's geometries already encoded — the concatenated 2-D ISO WKB
    (little endian) of all its features, as GDAL hands them over when reading — so that
    opening a file does not re-encode them; the layer's frame then needs no geometry.
    """
    wkb = wkb or {}
    h = hashlib.sha256(f"{FORMAT}:{SCHEMA_VERSION}".encode())
    present = {k: v for k, v in layers.items() if v is not None}
    for name in sorted(present):
        gdf = present[name]
        h.update(f"\x1elayer:{name}:{len(gdf)}".encode())
        geom = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
        for col in sorted(str(c) for c in gdf.columns if c != geom):
            h.update(f"\x1fcol:{col}".encode())
            h.update(_column_bytes(gdf[col]))
        if name in wkb:
            h.update(wkb[name])
            continue
        values = np.asarray(gdf.geometry.values, dtype=object)
        for start in range(0, len(values), _CHUNK):
            part = values[start : start + _CHUNK]
            enc = shapely.to_wkb(part, output_dimension=2, byte_order=1, flavor="iso")
            h.update(b"".join(b"" if w is None else w for w in enc))
    return h.hexdigest()
