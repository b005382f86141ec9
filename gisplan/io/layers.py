"""Reading and validating user layers (communities = demand, amenities = supply).

Formats: GeoJSON, GeoPackage, Shapefile (plain or zipped, ``.zip``) and CSV with longitude and
latitude columns.  Everything comes back as a GeoDataFrame in WGS-84 (EPSG:4326) following the
layer schemas in ``docs/ARCHITECTURE.md``; every problem raises
:class:`gisplan.errors.InputError` naming the file, the field and the row, with a hint.

Row numbers in messages: for CSV files the 1-based data row (the first line after the header is
row 1, i.e. line 2 of the file); for vector layers the 0-based feature index, as GIS software
shows it.

Coordinate systems: vector files carry their CRS (a layer without one is an error unless
``crs=`` is given).  CSV files carry none: WGS-84 is assumed (with a warning) unless you pass
``"cgcs2000"``, ``"gcj02"`` (Amap/Gaode, Tencent) or ``"bd09"`` (Baidu).  GCJ-02 and BD-09
data are converted to WGS-84 with :mod:`gisplan.coords`.
"""

from __future__ import annotations

import codecs
import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from gisplan.catalogue import load_catalogue
from gisplan.coords import convert, normalize_system
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.io.guards import check_json_depth, nonfinite_positions, utf16_encoding
from gisplan.io.households import HOUSEHOLD_COLUMNS, PERSONS_PER_HOUSEHOLD, households_to_population

__all__ = [
    "CHINA_BOUNDS",
    "read_layer",
    "read_csv_points",
    "read_csv_table",
    "detect_encoding",
    "map_categories",
    "read_communities",
    "read_amenities",
    "category_lookup",
]

#: Rough lon/lat box of China (the GCJ-02 ``out_of_china`` box), used to spot swapped columns.
CHINA_BOUNDS: tuple[float, float, float, float] = (72.004, 0.8293, 137.8347, 55.8271)

LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x坐标", "wgs84经度")
LAT_NAMES = ("lat", "latitude", "纬度", "y坐标", "wgs84纬度")
_ID_NAMES = ("id", "编号", "序号", "fid_")
_NAME_NAMES = ("name", "名称", "小区名称", "小区", "名字")
_POP_NAMES = ("population", "pop", "人口", "人口数", "居住人口", "常住人口")
_COUNTY_NAMES = ("county", "district", "区县", "区", "县区", "行政区")
_CATEGORY_NAMES = ("category", "类别", "类型", "业态", "分类")
_SOURCE_NAMES = ("source", "来源", "数据来源")

_MAX_LISTED = 10
_VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip"}
_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


# ---------------------------------------------------------------------------------------------
# helpers


@dataclass(frozen=True)
class _Rows:
    """How to number rows of one source in messages."""

    path: Path
    csv: bool

    def number(self, i: int) -> int:
        """Row number shown to the user for positional index ``i``."""
        return i + 1 if self.csv else i

    def describe(self, positions: Sequence[int]) -> str:
        nums = [self.number(int(i)) for i in positions]
        text = ", ".join(str(n) for n in nums[:_MAX_LISTED])
        if len(nums) > _MAX_LISTED:
            text += f" and {len(nums) - _MAX_LISTED} more"
        kind = "data row" if self.csv else "feature"
        if len(nums) > 1:
            kind += "s"
        return f"{kind} {text}"


def _fail(message: str, rows: _Rows, *, field: str | None, positions=None, hint: str | None):
    row = None
    if positions is not None and len(positions):
        row = rows.number(int(positions[0]))
        message = f"{message} ({rows.describe(positions)})"
    raise InputError(message, file=rows.path, field=field, row=row, hint=hint)


def _find_column(columns: Sequence[str], wanted: str | None, aliases: Sequence[str]) -> str | None:
    """Return the column named ``wanted`` (exact) or the first alias (case-insensitive)."""
    cols = [str(c) for c in columns]
    if wanted is not None:
        if wanted in cols:
            return wanted
        low = {c.strip().lower(): c for c in cols}
        return low.get(wanted.strip().lower())
    low = {c.strip().lower(): c for c in cols}
    for name in aliases:
        if name.lower() in low:
            return low[name.lower()]
    return None


def detect_encoding(data: bytes) -> str:
    """Guess the text encoding of a CSV file: UTF-8 (with or without BOM), UTF-16 or GB18030.

    UTF-16 is recognised with or without a byte-order mark (Excel's "Unicode text").

    GB18030 is a superset of GBK and GB2312, the encodings of Chinese Excel exports.
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = utf16_encoding(data)
    if utf16:
        return utf16
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        return ""


def read_csv_table(path: str | os.PathLike, *, encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV (comma, tab or semicolon separated) as strings, guessing the encoding.

    All cells are returned as ``str`` (or missing), so ids such as ``"007"`` keep their zeros.
    Raises :class:`InputError` for an unreadable file, an unknown encoding or a file without
    a header.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=path) from None
    if encoding is None:
        encoding = detect_encoding(data)
        if not encoding:
            raise InputError(
                "the file is neither UTF-8 nor GBK/GB18030 text",
                file=path,
                field="encoding",
                hint="save it as UTF-8 CSV, or pass encoding= (for example 'big5')",
            )
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(
            f"cannot decode the file as {encoding}: {exc}",
            file=path,
            field="encoding",
            hint="leave the encoding unset to auto-detect UTF-8 / GBK, or give the right one",
        ) from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError("the file is empty", file=path, hint="export the layer with a header row")
    header = text.splitlines()[0]
    sep = max((",", "\t", ";"), key=header.count)
    try:
        df = pd.read_csv(
            StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(
            f"malformed CSV: {exc}",
            file=path,
            hint="check for unquoted separators or a ragged row",
        ) from None
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    return df


def _check_lonlat(
    lon: np.ndarray,
    lat: np.ndarray,
    rows: _Rows,
    *,
    lon_field: str,
    lat_field: str,
    system: str,
) -> None:
    """Range and swapped-axis checks on raw longitude/latitude degrees."""
    bad_lat = np.flatnonzero(np.abs(lat) > 90)
    bad_lon = np.flatnonzero(np.abs(lon) > 180)
    swappable = (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    if bad_lat.size:
        if np.all(swappable[bad_lat]):
            _fail(
                f"latitude outside ±90° — looks like lat/lon are swapped (columns "
                f"'{lon_field}' and '{lat_field}')",
                rows,
                field=lat_field,
                positions=bad_lat,
                hint="swap the longitude and latitude columns (longitude is east, ~121.5 in Ningbo)",
            )
        _fail(
            "latitude outside ±90°", rows, field=lat_field, positions=bad_lat, hint="fix the values"
        )
    if bad_lon.size:
        _fail(
            "longitude outside ±180°",
            rows,
            field=lon_field,
            positions=bad_lon,
            hint="fix the values",
        )
    if system in ("gcj02", "bd09", "wgs84", "cgcs2000"):
        minx, miny, maxx, maxy = CHINA_BOUNDS
        inside = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
        inside_swapped = (lat >= minx) & (lat <= maxx) & (lon >= miny) & (lon <= maxy)
        suspicious = np.flatnonzero(~inside & inside_swapped)
        if suspicious.size:
            _fail(
                "coordinates lie outside China but inside it once swapped — looks like lat/lon "
                f"are swapped (columns '{lon_field}' and '{lat_field}')",
                rows,
                field=f"{lon_field}/{lat_field}",
                positions=suspicious,
                hint="swap the longitude and latitude columns",
            )


def _check_bounds(gdf: gpd.GeoDataFrame, bounds, rows: _Rows) -> None:
    if bounds is None:
        return
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    g = gdf.geometry.values
    ok = shapely.intersects(g, shapely.box(minx, miny, maxx, maxy))
    bad = np.flatnonzero(~np.asarray(ok))
    if bad.size:
        _fail(
            f"geometry outside the plausible area ({minx}, {miny}, {maxx}, {maxy}) in EPSG:4326",
            rows,
            field="geometry",
            positions=bad,
            hint="check the coordinate system (WGS-84 / GCJ-02 / BD-09) and the coordinates",
        )


# ---------------------------------------------------------------------------------------------
# reading


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
    rows = _Rows(path, csv=True)
    if crs is None:
        system = "wgs84"
        warnings.warn(
            f"{path}: a CSV has no coordinate system; assuming WGS-84 longitude/latitude "
            "(pass crs='gcj02' for Amap/Tencent, 'bd09' for Baidu, or crs='wgs84' to confirm)",
            UserWarning,
            stacklevel=2,
        )
    else:
        try:
            system = normalize_system(crs)
        except InputError as exc:
            raise InputError(exc.message, file=path, field="crs", hint=exc.hint) from None
    df = read_csv_table(path, encoding=encoding)
    lon_col = _find_column(df.columns, lon, LON_NAMES)
    lat_col = _find_column(df.columns, lat, LAT_NAMES)
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
            )
    if df.empty:
        raise InputError("the layer has no rows", file=path, field="geometry", hint="add data rows")
    values = {}
    for col in (lon_col, lat_col):
        raw = df[col]
        num = pd.to_numeric(raw.str.strip(), errors="coerce")
        missing = np.flatnonzero(raw.isna().to_numpy())
        if missing.size:
            _fail(
                "empty coordinate",
                rows,
                field=col,
                positions=missing,
                hint="fill in or delete the rows",
            )
        bad = np.flatnonzero(num.isna().to_numpy() | ~np.isfinite(num.to_numpy(dtype=float)))
        if bad.size:
            examples = ", ".join(repr(v) for v in raw.iloc[bad[:3]])
            _fail(
                f"coordinate is not a number ({examples})",
                rows,
                field=col,
                positions=bad,
                hint="use decimal degrees such as 121.55 (not 121°33′)",
            )
        values[col] = num.to_numpy(dtype=float)
    x, y = values[lon_col], values[lat_col]
    _check_lonlat(x, y, rows, lon_field=lon_col, lat_field=lat_col, system=system)
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


def _json_problem(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8-sig") as f:
            doc = json.load(f)
    except json.JSONDecodeError as exc:
        return f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except UnicodeDecodeError:
        return "GeoJSON must be UTF-8 text"
    except RecursionError:
        return "the JSON is nested too deeply"
    except OSError:
        return None
    if not isinstance(doc, dict) or "type" not in doc:
        return "not a GeoJSON object (no 'type' member)"
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
        raise InputError("file not found", file=path, hint="check the path")
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return read_csv_points(path, crs=crs, encoding=encoding)
    if suffix not in _VECTOR_SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix or '(none)'}",
            file=path,
            hint="use GeoJSON, GeoPackage, Shapefile (.shp or zipped .zip) or CSV with lon/lat",
        )
    rows = _Rows(path, csv=False)
    if layer is None and suffix in (".gpkg", ".zip"):
        names = _list_layers(path)
        if len(names) > 1:
            raise InputError(
                f"the file has {len(names)} layers: {', '.join(names)}",
                file=path,
                field="layer",
                hint="choose one with layer='<name>'",
            )
    if suffix in (".geojson", ".json"):
        check_json_depth(path)
    kw = {}
    if encoding is not None:
        kw["encoding"] = encoding
    try:
        gdf = gpd.read_file(_ogr_path(path), layer=layer, engine="pyogrio", **kw)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; all are input problems
        detail = _json_problem(path) if suffix in (".geojson", ".json") else None
        if detail is None:
            detail = f"cannot read the layer: {exc}"
        field = "layer" if layer is not None and "layer" in str(exc).lower() else None
        raise InputError(
            detail,
            file=path,
            field=field,
            hint="open it in QGIS to check; export as GeoJSON (UTF-8) or GeoPackage",
        ) from None
    if len(gdf) == 0:
        raise InputError(
            "the layer has no features", file=path, field="geometry", hint="add features"
        )
    _check_geometries_present(gdf, rows)
    _check_finite(gdf, rows)
    if crs is not None:
        try:
            system = normalize_system(crs)
        except InputError:
            system = None
        if system is None:
            try:
                gdf = gdf.set_crs(CRS.from_user_input(crs), allow_override=True)
            except Exception as exc:  # noqa: BLE001
                raise InputError(
                    f"unknown CRS {crs!r}: {exc}",
                    file=path,
                    field="crs",
                    hint="use wgs84, cgcs2000, gcj02, bd09 or an EPSG code",
                ) from None
        else:
            gdf = gdf.set_crs(None, allow_override=True)
            gdf.attrs["coord_system"] = system
    elif gdf.crs is None:
        raise InputError(
            "the layer has no coordinate reference system",
            file=path,
            field="crs",
            hint="set one in QGIS (or add the .prj of a Shapefile), or pass crs='wgs84' / "
            "'cgcs2000' / 'gcj02' / 'bd09' / 'EPSG:xxxx'",
        )
    system = gdf.attrs.get("coord_system")
    if system is None and gdf.crs is not None:
        epsg = CRS.from_user_input(gdf.crs).to_epsg()
        system = {4326: "wgs84", 4490: "cgcs2000"}.get(epsg)
    if system is not None:
        _check_vertices(gdf, rows, system)
        out = _shift(gdf, system)
    else:
        out = gdf.to_crs(WGS84)
    out.attrs["source_file"] = str(path)
    out.attrs["coord_system"] = system or CRS.from_user_input(gdf.crs).to_string()
    return out


def _shift(gdf: gpd.GeoDataFrame, system: str) -> gpd.GeoDataFrame:
    def fn(c):
        x, y = convert(c[:, 0], c[:, 1], system, "wgs84")
        return np.column_stack([x, y])

    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(
        shapely.transform(gdf.geometry.values, fn), index=gdf.index
    )
    return out.set_crs(WGS84, allow_override=True)


def _check_geometries_present(gdf: gpd.GeoDataFrame, rows: _Rows) -> None:
    geom = gdf.geometry
    missing = np.flatnonzero((geom.isna() | geom.is_empty).to_numpy())
    if missing.size:
        _fail(
            "missing or empty geometry",
            rows,
            field="geometry",
            positions=missing,
            hint="give every feature a location or delete it",
        )


def _check_finite(gdf: gpd.GeoDataFrame, rows: _Rows) -> None:
    """Refuse NaN or infinite coordinates (GDAL reads ``[NaN, 29.87]``; GEOS fails on it later)."""
    bad = nonfinite_positions(gdf.geometry.values)
    if bad.size:
        _fail(
            "coordinates are not finite (NaN or infinity)",
            rows,
            field="geometry",
            positions=bad,
            hint="fix or delete the features; coordinates must be numbers",
        )


def _check_vertices(gdf: gpd.GeoDataFrame, rows: _Rows, system: str) -> None:
    """Range / swapped-axis check on the first vertex of each feature (degrees)."""
    coords, idx = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    xy = np.full((len(gdf), 2), np.nan)
    _, first = np.unique(idx, return_index=True)
    xy[idx[first]] = coords[first]
    _check_lonlat(xy[:, 0], xy[:, 1], rows, lon_field="x", lat_field="y", system=system)


# ---------------------------------------------------------------------------------------------
# schemas


def _read_any(path, *, layer, crs, encoding, lon, lat) -> tuple[gpd.GeoDataFrame, _Rows]:
    path = Path(path)
    if path.suffix.lower() in _CSV_SUFFIXES:
        if not path.exists():
            raise InputError("file not found", file=path, hint="check the path")
        gdf = read_csv_points(path, lon=lon, lat=lat, crs=crs, encoding=encoding)
        return gdf, _Rows(path, csv=True)
    gdf = read_layer(path, layer=layer, crs=crs, encoding=encoding)
    return gdf, _Rows(path, csv=False)


def _to_points(gdf: gpd.GeoDataFrame, rows: _Rows, *, polygons: str, what: str) -> gpd.GeoDataFrame:
    """Points stay; polygons become representative points (or fail); lines fail."""
    g = gdf.geometry
    types = g.geom_type.to_numpy()
    is_point = types == "Point"
    is_multipoint = types == "MultiPoint"
    single_mp = np.zeros(len(g), dtype=bool)
    if is_multipoint.any():
        single_mp[is_multipoint] = shapely.get_num_geometries(g.values[is_multipoint]) == 1
    is_poly = np.isin(types, ("Polygon", "MultiPolygon"))
    bad = np.flatnonzero(~(is_point | single_mp | is_poly))
    if bad.size:
        kinds = sorted(set(types[bad]))
        _fail(
            f"{what} must be points (or polygons), found {', '.join(kinds)}",
            rows,
            field="geometry",
            positions=bad,
            hint="convert the features to points (e.g. centroids) before importing",
        )
    if is_poly.any():
        if polygons != "point":
            _fail(
                f"{what} must be points, found polygons",
                rows,
                field="geometry",
                positions=np.flatnonzero(is_poly),
                hint="convert the polygons to points (e.g. QGIS 'Point on surface') first",
            )
        invalid = np.flatnonzero(is_poly & ~g.is_valid.to_numpy())
        if invalid.size:
            reason = shapely.is_valid_reason(g.values[invalid[0]])
            _fail(
                f"invalid polygon: {reason}",
                rows,
                field="geometry",
                positions=invalid,
                hint="repair it (QGIS 'Fix geometries' or shapely.make_valid) and retry",
            )
    new = g.values.copy()
    if is_poly.any():
        new[is_poly] = shapely.point_on_surface(g.values[is_poly])
    if single_mp.any():
        new[single_mp] = shapely.get_geometry(g.values[single_mp], 0)
    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs)
    if out.geometry.name != "geometry":
        out = out.rename_geometry("geometry")
    return out


def _ids(
    gdf: gpd.GeoDataFrame, rows: _Rows, *, id_column: str | None, prefix: str
) -> tuple[pd.Series, str | None]:
    col = _find_column(gdf.columns, id_column, _ID_NAMES)
    if col is None and id_column is not None:
        _missing_columns(gdf, rows, [id_column])
    if col is None:
        ids = pd.Series([f"{prefix}{i + 1:04d}" for i in range(len(gdf))], index=gdf.index)
        warnings.warn(
            f"{rows.path}: no 'id' column; generated ids {ids.iloc[0]}..{ids.iloc[-1]}",
            UserWarning,
            stacklevel=3,
        )
        return ids, None
    raw = gdf[col]
    missing = np.flatnonzero(raw.isna().to_numpy())
    if missing.size:
        _fail("missing id", rows, field=col, positions=missing, hint="give every row a unique id")
    ids = raw.map(_id_text)
    empty = np.flatnonzero((ids == "").to_numpy())
    if empty.size:
        _fail("empty id", rows, field=col, positions=empty, hint="give every row a unique id")
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        dups = sorted(set(ids[dup]))
        _fail(
            f"duplicate ids: {', '.join(dups[:_MAX_LISTED])}",
            rows,
            field=col,
            positions=np.flatnonzero(dup),
            hint="make the ids unique (or drop the id column to have them generated)",
        )
    return ids, col


def _id_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _missing_columns(gdf, rows: _Rows, missing: Sequence[str], aliases: Sequence[str] = ()):
    present = [c for c in gdf.columns if c != gdf.geometry.name]
    alias_text = f" (also accepted: {', '.join(aliases)})" if aliases else ""
    raise InputError(
        f"missing required column(s) {', '.join(missing)}{alias_text}; columns present: "
        f"{', '.join(map(str, present)) or '(none)'}",
        file=rows.path,
        field=", ".join(missing),
        hint="rename the column or pass its name as an argument",
    )


def _text_column(gdf, col: str | None, default: pd.Series) -> pd.Series:
    if col is None:
        return default
    vals = gdf[col].map(
        lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
    )
    vals = vals.where(vals.notna() & (vals != ""), default)
    return vals.astype(str)


def _finish(
    gdf: gpd.GeoDataFrame,
    schema: dict[str, pd.Series],
    used: set[str | None],
    rows: _Rows,
    bounds,
) -> gpd.GeoDataFrame:
    extras = [
        c for c in gdf.columns if c not in used and c != gdf.geometry.name and c not in schema
    ]
    data = dict(schema)
    for c in extras:
        data[c] = gdf[c]
    out = gpd.GeoDataFrame(data, geometry=gdf.geometry.values, crs=WGS84, index=gdf.index)
    out = out.reset_index(drop=True)
    out.attrs.update(gdf.attrs)
    _check_bounds(out, bounds, rows)
    return out


def read_communities(
    path: str | os.PathLike,
    *,
    layer: str | int | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
    bounds: Sequence[float] | None = None,
    polygons: str = "point",
    source: str = "user",
    households_column: str | None = None,
    persons_per_household: float | None = None,
) -> gpd.GeoDataFrame:
    """Read and validate a communities (demand) layer; return it in WGS-84 (EPSG:4326).

    Schema of the result: ``id`` (str, unique), ``name`` (str), ``population`` (int >= 0),
    ``population_method`` (``given`` or ``households``), ``population_estimated`` (bool),
    ``county`` (str, when the input has such a column), ``source`` (str), Point geometry,
    followed by any other input columns unchanged.

    Residents come from the population column (``given``); where there is none, or a row
    leaves it empty, from a households column (``households``/户数/住户数) ×
    ``persons_per_household`` (default 2.21, :mod:`gisplan.io.households`), marked as an
    estimate (``population_estimated = True``).

    Column names are matched case-insensitively, with Chinese alternatives: ``id``/编号,
    ``name``/名称/小区名称, ``population``/人口/居住人口/常住人口, ``county``/区县,
    ``source``/来源.  A missing ``id`` column is generated as ``c0001, c0002, …`` with a
    warning; a missing name defaults to the id; a missing source to ``source``.

    Polygons (residential areas) are replaced by a representative point guaranteed to lie
    inside them (``shapely.point_on_surface``) when ``polygons="point"`` (default); with
    ``polygons="error"`` they are rejected.  Invalid polygons are rejected either way.
    Population must be a number >= 0; fractional values are rounded with a warning.

    Parameters
    ----------
    bounds : (minx, miny, maxx, maxy), optional
        Plausible area in EPSG:4326 degrees; features outside it are an error.
    crs, layer, encoding, lon, lat
        As in :func:`read_layer` / :func:`read_csv_points`.
    """
    gdf, rows = _read_any(path, layer=layer, crs=crs, encoding=encoding, lon=lon, lat=lat)
    _check_geometries_present(gdf, rows)
    gdf = _to_points(gdf, rows, polygons=polygons, what="communities")
    pop_col = _find_column(gdf.columns, population_column, _POP_NAMES)
    hh_col = _find_column(gdf.columns, households_column, HOUSEHOLD_COLUMNS)
    if pop_col is None and hh_col is None:
        _missing_columns(
            gdf,
            rows,
            [population_column or "population"],
            [*_POP_NAMES[1:], "or households: " + "/".join(HOUSEHOLD_COLUMNS)],
        )
    ids, id_col = _ids(gdf, rows, id_column=id_column, prefix="c")
    name_col = _find_column(gdf.columns, name_column, _NAME_NAMES)
    if name_col is None and name_column is not None:
        _missing_columns(gdf, rows, [name_column])
    county_col = _find_column(gdf.columns, None, _COUNTY_NAMES)
    source_col = _find_column(gdf.columns, None, _SOURCE_NAMES)
    pph = PERSONS_PER_HOUSEHOLD if persons_per_household is None else persons_per_household
    from_households = pd.Series(pop_col is None, index=gdf.index)
    if pop_col is not None and hh_col is not None:
        from_households = gdf[pop_col].isna() | (gdf[pop_col].astype(str).str.strip() == "")
    if pop_col is not None:
        population = pd.Series(0, index=gdf.index, dtype="int64")
        given = ~from_households.to_numpy()
        if given.any():
            population[given] = _population(gdf.loc[given, pop_col], rows, pop_col).to_numpy()
    if from_households.any():
        hh = _population(gdf.loc[from_households, hh_col], rows, hh_col, what="households")
        population = population if pop_col is not None else pd.Series(0, index=gdf.index)
        population[from_households] = households_to_population(hh, pph)
        population = population.astype("int64")
    schema: dict[str, pd.Series] = {
        "id": ids,
        "name": _text_column(gdf, name_col, ids),
        "population": population,
        "population_method": from_households.map({True: "households", False: "given"}).astype(
            object
        ),
        "population_estimated": from_households.astype(bool),
    }
    if county_col is not None:
        schema["county"] = gdf[county_col].astype("string").str.strip()
    schema["source"] = _text_column(gdf, source_col, pd.Series(source, index=gdf.index))
    used = {pop_col, id_col, name_col, county_col, source_col}
    out = _finish(gdf, schema, used, rows, bounds)
    out.attrs["persons_per_household"] = pph
    return out


def _population(raw: pd.Series, rows: _Rows, field: str, what: str = "population") -> pd.Series:
    at = np.asarray(raw.index)  # row positions in the whole layer (default index)

    missing = at[np.flatnonzero(raw.isna().to_numpy())]
    if missing.size:
        _fail(f"missing {what}", rows, field=field, positions=missing, hint="give a number >= 0")
    text = raw.astype(str).str.strip().str.replace(",", "", regex=False)
    num = pd.to_numeric(text, errors="coerce")
    bad = np.flatnonzero((num.isna() | ~np.isfinite(num.astype(float))).to_numpy())
    if bad.size:
        examples = ", ".join(repr(v) for v in raw.iloc[bad[:3]])
        _fail(
            f"{what} is not a number ({examples})",
            rows,
            field=field,
            positions=at[bad],
            hint="give a whole number of residents >= 0",
        )
    num = num.astype(float)
    neg = np.flatnonzero((num < 0).to_numpy())
    if neg.size:
        _fail(
            f"negative {what}",
            rows,
            field=field,
            positions=at[neg],
            hint=f"{what} must be >= 0",
        )
    rounded = np.round(num)
    frac = np.flatnonzero((rounded != num).to_numpy())
    if frac.size:
        warnings.warn(
            f"{rows.path}: field '{field}': fractional {what} rounded to whole numbers "
            f"({rows.describe(at[frac])})",
            UserWarning,
            stacklevel=3,
        )
    return rounded.astype("int64")


def category_lookup() -> dict[str, str]:
    """Map accepted category spellings to catalogue ids.

    Accepted: the id (``convenience_store``), the Chinese name (``便利店``) and the English
    name (``Convenience store``), compared case-insensitively after trimming.
    """
    table: dict[str, str] = {}
    for c in load_catalogue():
        for key in (c.id, c.name_zh, c.name_en):
            table[key.strip().lower()] = c.id
    return table


def map_categories(values: pd.Series) -> pd.Series:
    """Catalogue id for each value (id, Chinese or English name), ``None`` where unknown."""
    table = category_lookup()
    return values.map(
        lambda v: (
            None
            if v is None or (isinstance(v, float) and np.isnan(v))
            else table.get(str(v).strip().lower())
        )
    )


def _valid_categories_text() -> str:
    return ", ".join(f"{c.id} ({c.name_zh})" for c in load_catalogue())


def read_amenities(
    path: str | os.PathLike,
    *,
    layer: str | int | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    category_column: str | None = None,
    category: str | None = None,
    bounds: Sequence[float] | None = None,
    polygons: str = "error",
    source: str = "user",
) -> gpd.GeoDataFrame:
    """Read and validate an amenities (supply) layer; return it in WGS-84 (EPSG:4326).

    Schema of the result: ``id`` (str, unique), ``name`` (str), ``category`` (catalogue id),
    ``source`` (str), Point geometry, followed by any other input columns unchanged.

    Category values may be catalogue ids (``wet_market``), Chinese names (``农贸市场``) or
    English names; anything else is an error listing the valid ids.  Pass ``category=`` to
    give every feature the same category (then no category column is needed).  Column
    aliases: ``category``/类别/类型/业态, ``name``/名称, ``id``/编号, ``source``/来源.
    Missing ids are generated as ``a0001, …`` with a warning.  Geometry must be points;
    ``polygons="point"`` accepts polygons and uses a point on their surface.
    """
    gdf, rows = _read_any(path, layer=layer, crs=crs, encoding=encoding, lon=lon, lat=lat)
    _check_geometries_present(gdf, rows)
    gdf = _to_points(gdf, rows, polygons=polygons, what="amenities")
    if category is not None:
        cid = category_lookup().get(str(category).strip().lower())
        if cid is None:
            raise InputError(
                f"unknown category {category!r}",
                file=rows.path,
                field="category",
                hint="use one of: " + _valid_categories_text(),
            )
        cats = pd.Series(cid, index=gdf.index)
        cat_col = None
    else:
        cat_col = _find_column(gdf.columns, category_column, _CATEGORY_NAMES)
        if cat_col is None:
            _missing_columns(gdf, rows, [category_column or "category"], _CATEGORY_NAMES[1:])
        cats = map_categories(gdf[cat_col])
        unknown = np.flatnonzero(cats.isna().to_numpy())
        if unknown.size:
            vals = gdf[cat_col].iloc[unknown]
            counts = vals.fillna("(empty)").astype(str).value_counts()
            listed = ", ".join(f"{v!r} ×{n}" for v, n in counts.head(_MAX_LISTED).items())
            _fail(
                f"unknown category {listed}",
                rows,
                field=cat_col,
                positions=unknown,
                hint="use a catalogue id or Chinese name: " + _valid_categories_text(),
            )
    ids, id_col = _ids(gdf, rows, id_column=id_column, prefix="a")
    name_col = _find_column(gdf.columns, name_column, _NAME_NAMES)
    if name_col is None and name_column is not None:
        _missing_columns(gdf, rows, [name_column])
    source_col = _find_column(gdf.columns, None, _SOURCE_NAMES)
    schema = {
        "id": ids,
        "name": _text_column(gdf, name_col, ids),
        "category": cats.astype(str),
        "source": _text_column(gdf, source_col, pd.Series(source, index=gdf.index)),
    }
    used = {cat_col, id_col, name_col, source_col}
    return _finish(gdf, schema, used, rows, bounds)
