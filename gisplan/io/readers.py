"""Reading any supported file into a GeoDataFrame in WGS-84 (EPSG:4326).

Formats: GeoJSON, GeoPackage, Shapefile (plain or zipped, ``.zip``) and CSV with longitude and
latitude columns.  Vector files carry their CRS (a layer without one is an error unless
``crs=`` is given).  CSV files carry none: WGS-84 is assumed (with a warning) unless you pass
``"cgcs2000"``, ``"gcj02"`` (Amap/Gaode, Tencent) or ``"bd09"`` (Baidu).  GCJ-02 and BD-09
data are converted to WGS-84 with :mod:`gisplan.coords`.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from gisplan.coords import convert, normalize_system
from gisplan.crs import WGS84
from gisplan.errors import InputError, InputWarning
from gisplan.io.guards import check_json_depth, nonfinite_positions
from gisplan.io.validate import (
    LAT_NAMES,
    LON_NAMES,
    Rows,
    check_lonlat,
    fail,
    find_column,
    read_csv_table,
)

__all__ = [
    "read_layer",
    "read_csv_points",
]

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


def read_csv_points(
    path: str | os.PathLike,
    *,
    lon: str | None = None,
    lat: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a CSV of points with longitude/latitude columns into WGS-84 (EPSG:4326).

    Parameters
    ----------
    path : path-like
        CSV, comma / tab / semicolon separated.
    lon, lat : str, optional
        Column names.  When not given, the first of ``lon, lng, long, longitude, 经度`` and
        ``lat, latitude, 纬度`` (case-insensitive) is used.
    crs : {"wgs84", "cgcs2000", "gcj02", "bd09"}, optional
        System of the coordinates in the file.  A CSV carries no CRS: when ``crs`` is not
        given WGS-84 (GPS, OpenStreetMap) is assumed and a warning says so.  Amap/Gaode and
        Tencent exports are ``"gcj02"``; Baidu exports ``"bd09"``.
    encoding : str, optional
        Text encoding; by default UTF-8 (with or without BOM) or GBK/GB18030 is detected.

    Returns
    -------
    GeoDataFrame
        All other columns as strings, Point geometry in EPSG:4326, in file order.
    """
    path = Path(path)
    rows = Rows(path, csv=True)
    if crs is None:
        system = "wgs84"
        warnings.warn(
            InputWarning(
                f"{path}: a CSV has no coordinate system; assuming WGS-84 longitude/latitude "
                "(pass crs='gcj02' for Amap/Tencent, 'bd09' for Baidu, or crs='wgs84' to confirm)",
                code="csv.assumed_wgs84",
                file=path.name,
            ),
            stacklevel=2,
        )
    else:
        try:
            system = normalize_system(crs)
        except InputError as exc:
            raise InputError(
                exc.message,
                file=path,
                field="crs",
                hint=exc.hint,
                code="crs.unknown",
                params={"crs": str(crs)},
            ) from None
    df = read_csv_table(path, encoding=encoding)
    lon_col = find_column(df.columns, lon, LON_NAMES)
    lat_col = find_column(df.columns, lat, LAT_NAMES)
    for col, given, names, what in (
        (lon_col, lon, LON_NAMES, "longitude"),
        (lat_col, lat, LAT_NAMES, "latitude"),
    ):
        if col is None:
            raise InputError(
                f"no {what} column; columns present: {', '.join(map(str, df.columns))}",
                file=path,
                field=given or names[0],
                hint=f"name the column one of {', '.join(names)} or pass "
                f"{'lon' if what == 'longitude' else 'lat'}='<column>'",
                code=f"csv.no_{'lon' if what == 'longitude' else 'lat'}",
                params={
                    "columns": ", ".join(map(str, df.columns)),
                    "names": ", ".join(names),
                },
            )
    if df.empty:
        raise InputError(
            "the layer has no rows",
            file=path,
            field="geometry",
            hint="add data rows",
            code="layer.empty",
        )
    assert lon_col is not None and lat_col is not None  # for the type checker: refused above
    values = {}
    for col in (lon_col, lat_col):
        raw = df[col]
        num = pd.to_numeric(raw.str.strip(), errors="coerce")
        missing = np.flatnonzero(raw.isna().to_numpy())
        if missing.size:
            fail(
                "empty coordinate",
                rows,
                field=col,
                positions=missing,
                hint="fill in or delete the rows",
                code="csv.empty_coordinate",
                column=col,
            )
        bad = np.flatnonzero(num.isna().to_numpy() | ~np.isfinite(num.to_numpy(dtype=float)))
        if bad.size:
            examples = ", ".join(repr(v) for v in raw.iloc[bad[:3]])
            fail(
                f"coordinate is not a number ({examples})",
                rows,
                field=col,
                positions=bad,
                hint="use decimal degrees such as 121.55 (not 121°33′)",
                code="csv.coordinate_not_number",
                column=col,
                examples=examples,
            )
        values[col] = num.to_numpy(dtype=float)
    x, y = values[lon_col], values[lat_col]
    check_lonlat(x, y, rows, lon_field=lon_col, lat_field=lat_col, system=system)
    wx, wy = convert(x, y, system, "wgs84")
    attrs = df.drop(columns=[lon_col, lat_col])
    gdf = gpd.GeoDataFrame(attrs, geometry=gpd.points_from_xy(wx, wy), crs=WGS84)
    gdf.attrs["source_file"] = str(path)
    gdf.attrs["coord_system"] = system
    return gdf


def _list_layers(path: Path) -> list[str]:
    try:
        return [str(name) for name, _ in pyogrio.list_layers(_ogr_path(path))]
    except Exception:  # noqa: BLE001 - reported by the read that follows
        return []


def _ogr_path(path: Path) -> str:
    if path.suffix.lower() == ".zip":
        return f"/vsizip/{path.resolve()}"
    return str(path)


def _json_problem(path: Path) -> tuple[str, str, dict] | None:
    """What is wrong with a GeoJSON file GDAL could not read: ``(message, code, params)``."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            doc = json.load(f)
    except json.JSONDecodeError as exc:
        return (
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            "json.malformed",
            {"line": exc.lineno, "column": exc.colno},
        )
    except UnicodeDecodeError:
        return "GeoJSON must be UTF-8 text", "json.not_utf8", {}
    except RecursionError:
        return "the JSON is nested too deeply", "upload.too_deep", {}
    except OSError:
        return None
    if not isinstance(doc, dict) or "type" not in doc:
        return "not a GeoJSON object (no 'type' member)", "json.not_geojson", {}
    return None


def read_layer(
    path: str | os.PathLike,
    *,
    layer: str | int | None = None,
    crs: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector layer or a CSV of points into WGS-84 (EPSG:4326).

    Parameters
    ----------
    path : path-like
        ``.geojson``/``.json``, ``.gpkg``, ``.shp``, ``.zip`` (zipped Shapefile) or ``.csv``.
    layer : str or int, optional
        Layer of a multi-layer source (GeoPackage, zip with several Shapefiles).  Required
        when there is more than one.
    crs : str, optional
        Coordinate system of the data: ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"``, ``"bd09"``
        or any pyproj CRS string (``"EPSG:32651"``).  For vector files it replaces the file's
        own CRS label (use it for GCJ-02/BD-09 data, usually labelled EPSG:4326, and for files
        without a CRS).  For CSV it must be one of the four names; without it WGS-84 is
        assumed with a warning.
    encoding : str, optional
        Text encoding of CSV / Shapefile attributes (e.g. ``"gbk"``); guessed when not given.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path, hint="check the path", code="file.not_found")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_csv_points(path, crs=crs, encoding=encoding)
    if suffix not in VECTOR_SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix or '(none)'}",
            file=path,
            hint="use GeoJSON, GeoPackage, Shapefile (.shp or zipped .zip) or CSV with lon/lat",
            code="upload.unsupported_type",
            params={"suffix": suffix or "—"},
        )
    rows = Rows(path, csv=False)
    gdf = _read_vector(path, suffix, layer, encoding)
    check_geometries_present(gdf, rows)
    _check_finite(gdf, rows)
    gdf = _apply_crs(gdf, path, crs)
    system = gdf.attrs.get("coord_system")
    if system is None and gdf.crs is not None:
        epsg = CRS.from_user_input(gdf.crs).to_epsg()
        system = {4326: "wgs84", 4490: "cgcs2000"}.get(epsg) if epsg is not None else None
    if system is not None:
        _check_vertices(gdf, rows, system)
        out = _shift(gdf, system)
    else:
        out = gdf.to_crs(WGS84)
    out.attrs["source_file"] = str(path)
    out.attrs["coord_system"] = system or CRS.from_user_input(gdf.crs).to_string()
    return out


def _read_vector(
    path: Path, suffix: str, layer: str | int | None, encoding: str | None
) -> gpd.GeoDataFrame:
    """The features of one layer of a vector file (at least one); InputError names the file."""
    if layer is None and suffix in (".gpkg", ".zip"):
        names = _list_layers(path)
        if len(names) > 1:
            raise InputError(
                f"the file has {len(names)} layers: {', '.join(names)}",
                file=path,
                field="layer",
                hint="choose one with layer='<name>'",
                code="upload.several_layers",
                params={"n": len(names), "names": ", ".join(names)},
            )
    if suffix in (".geojson", ".json"):
        check_json_depth(path)
    kw = {}
    if encoding is not None:
        kw["encoding"] = encoding
    try:
        gdf = gpd.read_file(_ogr_path(path), layer=layer, engine="pyogrio", **kw)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; all are input problems
        problem = _json_problem(path) if suffix in (".geojson", ".json") else None
        detail = problem[0] if problem else f"cannot read the layer: {exc}"
        code, params = problem[1:] if problem else ("layer.unreadable", {})
        field = "layer" if layer is not None and "layer" in str(exc).lower() else None
        raise InputError(
            detail,
            file=path,
            field=field,
            hint="open it in QGIS to check; export as GeoJSON (UTF-8) or GeoPackage",
            code=code,
            params=params,
        ) from None
    if len(gdf) == 0:
        raise InputError(
            "the layer has no features",
            file=path,
            field="geometry",
            hint="add features",
            code="layer.empty",
        )
    return gdf


def _apply_crs(gdf: gpd.GeoDataFrame, path: Path, crs: str | None) -> gpd.GeoDataFrame:
    """The layer with the CRS the caller gave, or its own; InputError when it has none.

    ``crs`` is a pyproj CRS, or one of the four coordinate systems (recorded in
    ``attrs["coord_system"]``, the CRS label dropped).
    """
    if crs is None:
        if gdf.crs is None:
            raise InputError(
                "the layer has no coordinate reference system",
                file=path,
                field="crs",
                hint="set one in QGIS (or add the .prj of a Shapefile), or pass crs='wgs84' / "
                "'cgcs2000' / 'gcj02' / 'bd09' / 'EPSG:xxxx'",
                code="crs.missing",
            )
        return gdf
    try:
        system = normalize_system(crs)
    except InputError:
        system = None
    if system is not None:
        gdf = gdf.set_crs(None, allow_override=True)
        gdf.attrs["coord_system"] = system
        return gdf
    try:
        return gdf.set_crs(CRS.from_user_input(crs), allow_override=True)
    except Exception as exc:  # noqa: BLE001
        raise InputError(
            f"unknown CRS {crs!r}: {exc}",
            file=path,
            field="crs",
            hint="use wgs84, cgcs2000, gcj02, bd09 or an EPSG code",
            code="crs.unknown",
            params={"crs": str(crs)},
        ) from None


def _shift(gdf: gpd.GeoDataFrame, system: str) -> gpd.GeoDataFrame:
    def fn(c):
        x, y = convert(c[:, 0], c[:, 1], system, "wgs84")
        return np.column_stack([x, y])

    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(
        shapely.transform(gdf.geometry.values, fn), index=gdf.index
    )
    return out.set_crs(WGS84, allow_override=True)


def check_geometries_present(gdf: gpd.GeoDataFrame, rows: Rows) -> None:
    geom = gdf.geometry
    missing = np.flatnonzero((geom.isna() | geom.is_empty).to_numpy())
    if missing.size:
        fail(
            "missing or empty geometry",
            rows,
            field="geometry",
            positions=missing,
            hint="give every feature a location or delete it",
            code="layer.empty_geometry",
        )


def _check_finite(gdf: gpd.GeoDataFrame, rows: Rows) -> None:
    """Refuse NaN or infinite coordinates (GDAL reads ``[NaN, 29.87]``; GEOS fails on it later)."""
    bad = nonfinite_positions(gdf.geometry.values)
    if bad.size:
        fail(
            "coordinates are not finite (NaN or infinity)",
            rows,
            field="geometry",
            positions=bad,
            hint="fix or delete the features; coordinates must be numbers",
            code="layer.not_finite",
        )


def _check_vertices(gdf: gpd.GeoDataFrame, rows: Rows, system: str) -> None:
    """Range / swapped-axis check on the first vertex of each feature (degrees)."""
    coords, idx = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    xy = np.full((len(gdf), 2), np.nan)
    _, first = np.unique(idx, return_index=True)
    xy[idx[first]] = coords[first]
    check_lonlat(xy[:, 0], xy[:, 1], rows, lon_field="x", lat_field="y", system=system)
