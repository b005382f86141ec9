"""Import of POI exports (Amap/Gaode, Baidu, Tencent CSV) as a validated amenity layer.

POI exports carry Chinese headers (名称, 类型/type, 经度, 纬度, 地址), are UTF-8 or GBK, and
their coordinates are GCJ-02 (Amap, Tencent) or BD-09 (Baidu) — never assumed: the caller
states the system with ``crs=``.  The result follows the amenities schema of
``docs/ARCHITECTURE.md`` in WGS-84 (EPSG:4326).

Categories come either from a fixed ``category=`` for the whole file, or from a column whose
values are catalogue ids, catalogue Chinese/English names, or Amap-style type strings such as
``购物服务;便民商店/便利店;便利店``, matched by keyword (:data:`TYPE_KEYWORDS`, first match
wins in that order).  Rows whose type matches nothing are left out and reported in a warning
with counts per type; nothing is dropped silently.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from gisplan.coords import convert, normalize_system
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.io.atomic import atomic_path
from gisplan.io.layers import category_lookup, valid_categories_text
from gisplan.io.validate import (
    LAT_NAMES,
    LON_NAMES,
    Rows,
    check_lonlat,
    fail,
    find_column,
    read_csv_table,
)

__all__ = ["TYPE_KEYWORDS", "classify_type", "import_poi", "write_layer"]

#: Keywords of POI type strings (Amap 类型, Baidu 标签) and the catalogue id they map to.
#: Checked in this order; the first keyword found anywhere in the type string wins.
TYPE_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("便利店", "convenience_store"),
    ("菜市场", "wet_market"),
    ("农贸市场", "wet_market"),
    ("超市", "supermarket"),
    ("超级市场", "supermarket"),
    ("药店", "pharmacy"),
    ("药房", "pharmacy"),
    ("理发", "hair_salon"),
    ("美发", "hair_salon"),
    ("早餐", "breakfast"),
    ("洗衣", "laundry"),
    ("干洗", "laundry"),
    ("维修", "repair"),
    ("家政", "housekeeping"),
    ("回收", "recycling"),
    ("快递", "express_delivery"),
    ("驿站", "express_delivery"),
)

_NAME_NAMES = ("name", "名称", "poi名称", "店名", "title")
_TYPE_NAMES = ("category", "类别", "type", "类型", "poi类型", "tag", "标签", "分类", "业态")
_ID_NAMES = ("id", "poi_id", "poiid", "uid", "编号")
_LOCATION_NAMES = ("location", "坐标", "经纬度", "lnglat")


def classify_type(value: object) -> str | None:
    """Catalogue id for a category value or POI type string, ``None`` when nothing matches.

    Exact catalogue ids / Chinese / English names are recognised first, then the keywords of
    :data:`TYPE_KEYWORDS` inside the string (e.g. ``"购物服务;便民商店/便利店"`` ->
    ``"convenience_store"``).
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    exact = category_lookup().get(text.lower())
    if exact is not None:
        return exact
    for keyword, cid in TYPE_KEYWORDS:
        if keyword in text:
            return cid
    return None


def _split_location(df: pd.DataFrame, rows: Rows, col: str) -> tuple[pd.Series, pd.Series]:
    parts = df[col].astype("string").str.split(r"[,，\s]+", n=1, expand=True, regex=True)
    if parts.shape[1] != 2:
        fail(
            "location is not 'lon,lat'",
            rows,
            field=col,
            positions=np.arange(len(df)),
            hint="give separate longitude/latitude columns or 'lon,lat' text",
        )
    return parts[0], parts[1]


def _numeric(raw: pd.Series, rows: Rows, field: str) -> np.ndarray:
    missing = np.flatnonzero(raw.isna().to_numpy())
    if missing.size:
        fail(
            "empty coordinate",
            rows,
            field=field,
            positions=missing,
            hint="fill in or delete the rows",
        )
    num = pd.to_numeric(raw.astype(str).str.strip(), errors="coerce").astype(float)
    bad = np.flatnonzero((num.isna() | ~np.isfinite(num)).to_numpy())
    if bad.size:
        examples = ", ".join(repr(v) for v in raw.iloc[bad[:3]])
        fail(
            f"coordinate is not a number ({examples})",
            rows,
            field=field,
            positions=bad,
            hint="use decimal degrees such as 121.55",
        )
    return num.to_numpy()


def import_poi(
    path: str | os.PathLike,
    *,
    crs: str,
    category: str | None = None,
    category_column: str | None = None,
    name_column: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    encoding: str | None = None,
    id_column: str | None = None,
    bounds: Sequence[float] | None = None,
    source: str = "user",
) -> gpd.GeoDataFrame:
    """Turn a POI export CSV into a validated amenity layer in WGS-84 (EPSG:4326).

    Parameters
    ----------
    path : path-like
        CSV (UTF-8 with or without BOM, or GBK/GB18030; comma, tab or semicolon separated).
    crs : {"gcj02", "bd09", "wgs84", "cgcs2000"}
        System of the file's coordinates: Amap/Gaode and Tencent export ``"gcj02"``, Baidu
        ``"bd09"``.  Required: a wrong guess moves every POI by several hundred metres.
    category : str, optional
        One category (catalogue id or Chinese name) for every row.
    category_column : str, optional
        Column with catalogue ids / names or POI type strings; by default the first of
        category, 类别, type, 类型, tag, 标签, 分类 that exists.
    name_column, lon, lat, id_column : str, optional
        Column names; by default 名称/name, 经度/lon/lng, 纬度/lat, id/uid/poi_id.  A single
        ``location`` column holding ``"lon,lat"`` (Amap API style) is also understood.
    bounds : (minx, miny, maxx, maxy), optional
        Plausible area in EPSG:4326 degrees; POIs outside it are an error.
    source : str
        Value of the ``source`` column (default ``"user"``).

    Returns
    -------
    GeoDataFrame
        ``id, name, category, source, source_type`` (the file's own type string or category
        value, e.g. ``购物服务;便民商店/便利店;便利店``) + the remaining input columns, Point
        geometry in EPSG:4326.  Missing ids are generated (``a0001, …``); repeated ids (the same POI
        exported twice) are kept once, with a warning.  Rows whose type matches no category
        are left out with a warning listing the types and counts.
    """
    path = Path(path)
    rows = Rows(path, csv=True)
    if not path.exists():
        raise InputError("file not found", file=path, hint="check the path")
    try:
        system = normalize_system(crs)
    except InputError as exc:
        raise InputError(exc.message, file=path, field="crs", hint=exc.hint) from None
    df = read_csv_table(path, encoding=encoding)
    if df.empty:
        raise InputError(
            "the file has no data rows", file=path, field="geometry", hint="export some POIs"
        )
    x, y, (lon_field, lat_field) = _coordinates(df, rows, lon, lat)
    check_lonlat(x, y, rows, lon_field=lon_field, lat_field=lat_field, system=system)
    wx, wy = convert(x, y, system, "wgs84")
    cats, cat_col = _category_ids(df, path, category, category_column)
    ids, names, id_col, name_col = _ids_and_names(df, rows, id_column, name_column)
    keep = _kept_rows(df, rows, cats, cat_col, ids, id_col)

    used = {lon_field, lat_field, cat_col, id_col, name_col}
    extras = [
        c
        for c in df.columns
        if c not in used and c not in ("id", "name", "category", "source", "source_type")
    ]
    original = (
        df[cat_col].astype("string").fillna("").str.strip()
        if cat_col is not None
        else pd.Series(str(category), index=df.index)
    )
    data = {
        "id": ids.to_numpy()[keep],
        "name": names.to_numpy()[keep],
        "category": cats.to_numpy()[keep].astype(str),
        "source": np.full(int(keep.sum()), source, dtype=object),
        "source_type": original.to_numpy(dtype=object)[keep],
    }
    for c in extras:
        data[c] = df[c].to_numpy()[keep]
    out = gpd.GeoDataFrame(
        data, geometry=gpd.points_from_xy(wx[keep], wy[keep]), crs=WGS84
    ).reset_index(drop=True)
    out.attrs["source_file"] = str(path)
    out.attrs["coord_system"] = system
    if bounds is not None:
        minx, miny, maxx, maxy = (float(v) for v in bounds)
        gx, gy = wx[keep], wy[keep]
        outside = ~((gx >= minx) & (gx <= maxx) & (gy >= miny) & (gy <= maxy))
        if outside.any():
            fail(
                f"POI outside the plausible area ({minx}, {miny}, {maxx}, {maxy}) in EPSG:4326",
                rows,
                field=f"{lon_field}/{lat_field}",
                positions=np.flatnonzero(keep)[outside],
                hint=f"check crs= (the file was read as {system}) and the coordinates",
            )
    return out


def _coordinates(
    df: pd.DataFrame, rows: Rows, lon: str | None, lat: str | None
) -> tuple[np.ndarray, np.ndarray, tuple[str, str]]:
    """The file's x, y numbers and the columns they came from (lon and lat).

    Separate lon/lat columns, or (when neither is named nor found) one ``location`` column of
    ``"lon,lat"`` text.
    """
    columns = list(df.columns)
    lon_col = find_column(columns, lon, LON_NAMES)
    lat_col = find_column(columns, lat, LAT_NAMES)
    loc_col = None
    if lon_col is None and lat_col is None and lon is None and lat is None:
        loc_col = find_column(columns, None, _LOCATION_NAMES)
    if loc_col is not None:
        raw_x, raw_y = _split_location(df, rows, loc_col)
        return _numeric(raw_x, rows, loc_col), _numeric(raw_y, rows, loc_col), (loc_col, loc_col)
    if lon_col is None or lat_col is None:
        missing = [
            given or default
            for col, given, default in ((lon_col, lon, "经度/lon"), (lat_col, lat, "纬度/lat"))
            if col is None
        ]
        raise InputError(
            f"missing coordinate column(s) {', '.join(missing)}; columns present: "
            f"{', '.join(columns)}",
            file=rows.path,
            field=", ".join(missing),
            hint="pass lon='<column>' and lat='<column>'",
        )
    x = _numeric(df[lon_col], rows, lon_col)
    y = _numeric(df[lat_col], rows, lat_col)
    return x, y, (lon_col, lat_col)


def _category_ids(
    df: pd.DataFrame, path: Path, category: str | None, category_column: str | None
) -> tuple[pd.Series, str | None]:
    """Catalogue id per row (None where the type matches none) and the type column used."""
    if category is not None:
        cid = category_lookup().get(str(category).strip().lower())
        if cid is None:
            raise InputError(
                f"unknown category {category!r}",
                file=path,
                field="category",
                hint="use one of: " + valid_categories_text(),
            )
        return pd.Series(cid, index=df.index, dtype=object), None
    columns = list(df.columns)
    cat_col = find_column(columns, category_column, _TYPE_NAMES)
    if cat_col is None:
        raise InputError(
            f"no category/type column ({category_column or 'category, 类型, type, 类别'}); "
            f"columns present: {', '.join(columns)}",
            file=path,
            field=category_column or "category",
            hint="pass category_column='<column>' or a fixed category='<id>'",
        )
    return df[cat_col].map(classify_type), cat_col


def _named_column(df: pd.DataFrame, path: Path, given: str | None, aliases) -> str | None:
    """The column ``given`` (an InputError when absent), or the first alias present."""
    columns = list(df.columns)
    col = find_column(columns, given, aliases)
    if col is None and given is not None:
        raise InputError(
            f"no column {given!r}; columns present: {', '.join(columns)}",
            file=path,
            field=given,
            hint="check the column name",
        )
    return col


def _ids_and_names(
    df: pd.DataFrame, rows: Rows, id_column: str | None, name_column: str | None
) -> tuple[pd.Series, pd.Series, str | None, str | None]:
    """Ids (generated ``a0001, …`` without an id column) and names (the id when empty)."""
    path = rows.path
    id_col = _named_column(df, path, id_column, _ID_NAMES)
    name_col = _named_column(df, path, name_column, _NAME_NAMES)
    if id_col is None:
        ids = pd.Series([f"a{i + 1:04d}" for i in range(len(df))], index=df.index)
        warnings.warn(
            f"{path}: no id column; generated ids {ids.iloc[0]}..{ids.iloc[-1]}",
            UserWarning,
            stacklevel=3,
        )
    else:
        ids = df[id_col].astype("string").str.strip()
        empty = np.flatnonzero((ids.isna() | (ids == "")).to_numpy())
        if empty.size:
            fail("missing id", rows, field=id_col, positions=empty, hint="give every POI an id")
        ids = ids.astype(str)
    names = df[name_col].astype("string").str.strip() if name_col else ids
    names = names.where(names.notna() & (names != ""), ids).astype(str)
    return ids, names, id_col, name_col


def _kept_rows(
    df: pd.DataFrame,
    rows: Rows,
    cats: pd.Series,
    cat_col: str | None,
    ids: pd.Series,
    id_col: str | None,
) -> np.ndarray:
    """Rows with a category, each id once (warnings list what was left out)."""
    path = rows.path
    keep = cats.notna().to_numpy().copy()
    if not keep.all():
        types = df[cat_col].fillna("(empty)").astype(str)[~keep]
        counts = types.value_counts()
        listed = "; ".join(f"{t!r} ×{n}" for t, n in counts.head(10).items())
        more = f" and {len(counts) - 10} more types" if len(counts) > 10 else ""
        warnings.warn(
            f"{path}: field '{cat_col}': {int((~keep).sum())} of {len(df)} rows match no "
            f"category and were left out ({rows.describe(np.flatnonzero(~keep))}): {listed}{more}",
            UserWarning,
            stacklevel=3,
        )
    if not keep.any():
        raise InputError(
            "no row matches a catalogue category",
            file=path,
            field=cat_col,
            row=1,
            hint="pass category='<id>' or a column of catalogue ids / Chinese names: "
            + valid_categories_text(),
        )
    dup = (ids.duplicated(keep="first").to_numpy()) & keep
    if id_col is not None and dup.any():
        warnings.warn(
            f"{path}: field '{id_col}': {int(dup.sum())} repeated ids kept once "
            f"({rows.describe(np.flatnonzero(dup))})",
            UserWarning,
            stacklevel=3,
        )
    return keep & ~dup


_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}


def write_layer(
    gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, layer: str | None = None
) -> Path:
    """Write a layer to GeoJSON (``.geojson``/``.json``) or GeoPackage (``.gpkg``) atomically.

    The file is written beside the target under a temporary name and renamed when complete,
    so a failure never leaves a partial file.  GeoJSON is written in EPSG:4326 (RFC 7946): a
    layer in another CRS is re-projected; a layer without CRS (e.g. GCJ-02 output of
    :func:`gisplan.coords.from_wgs84_gdf`) is written as it is.  A GeoPackage is replaced
    whole; its layer is named ``layer`` or the file stem.  Returns the path written.
    """
    path = Path(path)
    driver = _DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise InputError(
            f"cannot write {path.suffix or 'files without a suffix'}",
            file=path,
            field="path",
            hint="use .geojson or .gpkg",
        )
    out = gdf
    if driver == "GeoJSON" and gdf.crs is not None and not gdf.crs.equals(WGS84):
        out = gdf.to_crs(WGS84)
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(out, tmp, driver=driver, layer=layer or path.stem)
    return path
