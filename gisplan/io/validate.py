"""Row-level helpers shared by the layer and POI readers.

Column lookup, errors that name the file, field and rows, lon/lat checks, CSV encoding
detection and reading.

Row numbers in messages: for CSV files the 1-based data row (the first line after the header is
row 1, i.e. line 2 of the file); for vector layers the 0-based feature index, as GIS software
shows it.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.errors import InputError
from gisplan.io.guards import utf16_encoding

__all__ = [
    "CHINA_BOUNDS",
    "read_csv_table",
    "detect_encoding",
    "LON_NAMES",
    "LAT_NAMES",
    "Rows",
    "fail",
    "find_column",
    "check_lonlat",
]

#: Rough lon/lat box of China (the GCJ-02 ``out_of_china`` box), used to spot swapped columns.
CHINA_BOUNDS: tuple[float, float, float, float] = (72.004, 0.8293, 137.8347, 55.8271)


LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x坐标", "wgs84经度")
LAT_NAMES = ("lat", "latitude", "纬度", "y坐标", "wgs84纬度")


MAX_LISTED = 10


@dataclass(frozen=True)
class Rows:
    """How to number rows of one source in messages."""

    path: Path
    csv: bool

    def number(self, i: int) -> int:
        """Row number shown to the user for positional index ``i``."""
        return i + 1 if self.csv else i

    def describe(self, positions: Iterable[int]) -> str:
        """The rows at ``positions`` as a message names them (``data rows 3, 7 and 2 more``)."""
        nums = [self.number(int(i)) for i in positions]
        text = ", ".join(str(n) for n in nums[:MAX_LISTED])
        if len(nums) > MAX_LISTED:
            text += f" and {len(nums) - MAX_LISTED} more"
        kind = "data row" if self.csv else "feature"
        if len(nums) > 1:
            kind += "s"
        return f"{kind} {text}"


def fail(
    message: str,
    rows: Rows,
    *,
    field: str | None,
    positions=None,
    hint: str | None,
    code: str | None = None,
    **params,
):
    """Raise an :class:`InputError` naming the file, ``field`` and the rows at ``positions``.

    ``code`` and ``params`` are the error's i18n code (see :class:`InputError`); the rows
    go into ``params`` as ``rows`` (the first ten numbers shown to the user), ``more`` (how
    many besides) and ``csv`` (data rows, else features).
    """
    row = None
    if positions is not None and len(positions):
        row = rows.number(int(positions[0]))
        message = f"{message} ({rows.describe(positions)})"
        nums = [rows.number(int(i)) for i in positions]
        params |= {
            "rows": nums[:MAX_LISTED],
            "more": max(len(nums) - MAX_LISTED, 0),
            "csv": rows.csv,
        }
    raise InputError(
        message, file=rows.path, field=field, row=row, hint=hint, code=code, params=params
    )


def find_column(columns: Iterable[Any], wanted: str | None, aliases: Sequence[str]) -> str | None:
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
        raise InputError(
            f"cannot read the file ({exc.strerror or exc})", file=path, code="file.unreadable"
        ) from None
    if encoding is None:
        encoding = detect_encoding(data)
        if not encoding:
            raise InputError(
                "the file is neither UTF-8 nor GBK/GB18030 text",
                file=path,
                field="encoding",
                hint="save it as UTF-8 CSV, or pass encoding= (for example 'big5')",
                code="csv.encoding",
            )
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(
            f"cannot decode the file as {encoding}: {exc}",
            file=path,
            field="encoding",
            hint="leave the encoding unset to auto-detect UTF-8 / GBK, or give the right one",
            code="csv.encoding",
        ) from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError(
            "the file is empty",
            file=path,
            hint="export the layer with a header row",
            code="file.empty",
        )
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
            code="csv.malformed",
        ) from None
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    return df


def check_lonlat(
    lon: np.ndarray,
    lat: np.ndarray,
    rows: Rows,
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
            fail(
                f"latitude outside ±90° — looks like lat/lon are swapped (columns "
                f"'{lon_field}' and '{lat_field}')",
                rows,
                field=lat_field,
                positions=bad_lat,
                hint="swap the longitude and latitude columns (longitude is east, ~121.5 in Ningbo)",
                code="coords.swapped",
            )
        fail(
            "latitude outside ±90°",
            rows,
            field=lat_field,
            positions=bad_lat,
            hint="fix the values",
            code="coords.lat_range",
        )
    if bad_lon.size:
        fail(
            "longitude outside ±180°",
            rows,
            field=lon_field,
            positions=bad_lon,
            hint="fix the values",
            code="coords.lon_range",
        )
    if system in ("gcj02", "bd09", "wgs84", "cgcs2000"):
        minx, miny, maxx, maxy = CHINA_BOUNDS
        inside = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
        inside_swapped = (lat >= minx) & (lat <= maxx) & (lon >= miny) & (lon <= maxy)
        suspicious = np.flatnonzero(~inside & inside_swapped)
        if suspicious.size:
            fail(
                "coordinates lie outside China but inside it once swapped — looks like lat/lon "
                f"are swapped (columns '{lon_field}' and '{lat_field}')",
                rows,
                field=f"{lon_field}/{lat_field}",
                positions=suspicious,
                hint="swap the longitude and latitude columns",
                code="coords.swapped",
            )


def check_bounds(gdf: gpd.GeoDataFrame, bounds, rows: Rows) -> None:
    if bounds is None:
        return
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    g = gdf.geometry.values
    ok = shapely.intersects(g, shapely.box(minx, miny, maxx, maxy))
    bad = np.flatnonzero(~np.asarray(ok))
    if bad.size:
        fail(
            f"geometry outside the plausible area ({minx}, {miny}, {maxx}, {maxy}) in EPSG:4326",
            rows,
            field="geometry",
            positions=bad,
            hint="check the coordinate system (WGS-84 / GCJ-02 / BD-09) and the coordinates",
            code="coords.outside_area",
        )
