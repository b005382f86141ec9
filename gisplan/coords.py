"""Conversions among WGS-84, CGCS2000, GCJ-02 and BD-09 longitude/latitude (degrees).

- **WGS-84** (EPSG:4326): GPS, OpenStreetMap, gisplan's exchange system.
- **CGCS2000** (EPSG:4490): China's national datum (Tianditu); PROJ treats it as the same
  datum as WGS-84, so the conversion is the identity to well within a metre.
- **GCJ-02** ("Mars coordinates"): the obfuscated system required for maps published in
  mainland China (Amap/Gaode, Tencent, Google China).  It shifts points by a smooth function
  of position, a few hundred metres in Ningbo.  Points outside China's rough bounding box are
  not shifted (the usual ``out_of_china`` rule).
- **BD-09**: Baidu's system, a further rotation/offset of GCJ-02.

The forward GCJ-02 formula is the widely published one on the Krasovsky 1940 ellipsoid
(``a = 6378245.0`` m, ``ee = 0.00669342162296594323``).  The inverses (GCJ-02 -> WGS-84,
BD-09 -> GCJ-02) are solved by fixed-point iteration to better than 1e-9 degrees (~0.1 mm),
not by the one-step approximation (which is off by up to a few metres).

Every function takes longitude and latitude as scalars or array-likes (numpy-vectorised) and
returns ``(lon, lat)`` as float arrays of the broadcast shape (floats for scalar input).
NaN propagates.  GeoDataFrame helpers shift every vertex of any geometry type.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer

from gisplan.crs import CGCS2000, WGS84
from gisplan.errors import InputError

__all__ = [
    "SYSTEMS",
    "normalize_system",
    "out_of_china",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "cgcs2000_to_wgs84",
    "wgs84_to_cgcs2000",
    "convert",
    "to_wgs84_gdf",
    "from_wgs84_gdf",
]

#: Coordinate systems understood by :func:`convert` (canonical names).
SYSTEMS: tuple[str, ...] = ("wgs84", "cgcs2000", "gcj02", "bd09")

_ALIASES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "wgs_84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "gps": "wgs84",
    "cgcs2000": "cgcs2000",
    "cgcs-2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
    "4490": "cgcs2000",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj_02": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd_09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
}

# Krasovsky 1940 ellipsoid used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
# BD-09 constants.
_X_PI = np.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006

_INVERSE_TOL_DEG = 1e-10
_INVERSE_MAX_ITER = 30


def normalize_system(name: str) -> str:
    """Return the canonical name (one of :data:`SYSTEMS`) for a system name or alias.

    Accepts e.g. ``"WGS-84"``, ``"EPSG:4326"``, ``"GCJ-02"``, ``"amap"``, ``"BD-09"``,
    ``"baidu"``, ``"CGCS2000"``, ``"EPSG:4490"``.  Raises :class:`InputError` otherwise.
    """
    key = str(name).strip().lower().replace(" ", "")
    try:
        return _ALIASES[key]
    except KeyError:
        raise InputError(
            f"unknown coordinate system {name!r}",
            field="crs",
            hint="use one of: " + ", ".join(SYSTEMS),
        ) from None


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x, y


def _out(
    x: NDArray[np.float64], y: NDArray[np.float64], scalar: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | tuple[float, float]:
    if scalar:
        return float(x), float(y)
    return x, y


def _is_scalar(lon: ArrayLike, lat: ArrayLike) -> bool:
    return np.ndim(lon) == 0 and np.ndim(lat) == 0


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies outside the rough box in which GCJ-02 applies.

    The box is the one every published implementation uses: longitude 72.004–137.8347 °E,
    latitude 0.8293–55.8271 °N.  NaN counts as outside (nothing is shifted).
    """
    x, y = _as_arrays(lon, lat)
    inside = (x >= 72.004) & (x <= 137.8347) & (y >= 0.8293) & (y <= 55.8271)
    return ~inside


def _gcj_delta(x: NDArray[np.float64], y: NDArray[np.float64]):
    """GCJ-02 shift (dlon, dlat) in degrees at WGS-84 point (x=lon, y=lat); zero outside China."""
    dx = x - 105.0
    dy = y - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * dx * pi) + 20.0 * np.sin(2.0 * dx * pi)) * 2.0 / 3.0
    t_lat = (
        -100.0
        + 2.0 * dx
        + 3.0 * dy
        + 0.2 * dy * dy
        + 0.1 * dx * dy
        + 0.2 * np.sqrt(np.abs(dx))
        + common
        + (20.0 * np.sin(dy * pi) + 40.0 * np.sin(dy / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(dy / 12.0 * pi) + 320.0 * np.sin(dy * pi / 30.0)) * 2.0 / 3.0
    )
    t_lon = (
        300.0
        + dx
        + 2.0 * dy
        + 0.1 * dx * dx
        + 0.1 * dx * dy
        + 0.1 * np.sqrt(np.abs(dx))
        + common
        + (20.0 * np.sin(dx * pi) + 40.0 * np.sin(dx / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(dx / 12.0 * pi) + 300.0 * np.sin(dx / 30.0 * pi)) * 2.0 / 3.0
    )
    rad_lat = y / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (t_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (t_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * pi)
    outside = out_of_china(x, y)
    dlon = np.where(outside, 0.0, dlon)
    dlat = np.where(outside, 0.0, dlat)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike):
    """WGS-84 -> GCJ-02 (degrees).  Points outside China are returned unchanged."""
    scalar = _is_scalar(lon, lat)
    x, y = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(x, y)
    return _out(x + dlon, y + dlat, scalar)


def _invert(forward, gx: NDArray[np.float64], gy: NDArray[np.float64]):
    """Solve forward(x, y) == (gx, gy) by fixed-point iteration (the shift is nearly constant)."""
    x = gx.copy()
    y = gy.copy()
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = forward(x, y)
        ex = fx - gx
        ey = fy - gy
        x = x - ex
        y = y - ey
        err = np.maximum(np.abs(ex), np.abs(ey))
        if not np.any(err > _INVERSE_TOL_DEG):  # NaN compares False: NaN inputs stop too
            break
    return x, y


def _wgs_to_gcj_arrays(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    dlon, dlat = _gcj_delta(x, y)
    return x + dlon, y + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike):
    """GCJ-02 -> WGS-84 (degrees), iterative exact inverse (error < 1e-9°, i.e. < 1 mm).

    Points outside China's box are returned unchanged.
    """
    scalar = _is_scalar(lon, lat)
    gx, gy = _as_arrays(lon, lat)
    x, y = _invert(_wgs_to_gcj_arrays, gx, gy)
    outside = out_of_china(gx, gy)
    return _out(np.where(outside, gx, x), np.where(outside, gy, y), scalar)


def _gcj_to_bd_arrays(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike):
    """GCJ-02 -> BD-09 (degrees).  Applied everywhere (Baidu does not exempt points abroad)."""
    scalar = _is_scalar(lon, lat)
    x, y = _as_arrays(lon, lat)
    return _out(*_gcj_to_bd_arrays(x, y), scalar)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike):
    """BD-09 -> GCJ-02 (degrees), iterative exact inverse of :func:`gcj02_to_bd09`."""
    scalar = _is_scalar(lon, lat)
    bx, by = _as_arrays(lon, lat)
    # The published one-step inverse is a good starting point.
    x0 = bx - _BD_DLON
    y0 = by - _BD_DLAT
    z = np.sqrt(x0 * x0 + y0 * y0) - 0.00002 * np.sin(y0 * _X_PI)
    theta = np.arctan2(y0, x0) - 0.000003 * np.cos(x0 * _X_PI)
    x = z * np.cos(theta)
    y = z * np.sin(theta)
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = _gcj_to_bd_arrays(x, y)
        ex = fx - bx
        ey = fy - by
        x = x - ex
        y = y - ey
        if not np.any(np.maximum(np.abs(ex), np.abs(ey)) > _INVERSE_TOL_DEG):
            break
    return _out(x, y, scalar)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike):
    """WGS-84 -> BD-09 (degrees), through GCJ-02."""
    scalar = _is_scalar(lon, lat)
    x, y = _as_arrays(lon, lat)
    return _out(*_gcj_to_bd_arrays(*_wgs_to_gcj_arrays(x, y)), scalar)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike):
    """BD-09 -> WGS-84 (degrees), through GCJ-02 (both inverses iterative)."""
    scalar = _is_scalar(lon, lat)
    x, y = bd09_to_gcj02(*_as_arrays(lon, lat))
    wx, wy = gcj02_to_wgs84(x, y)
    return _out(np.asarray(wx), np.asarray(wy), scalar)


@lru_cache(maxsize=4)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def cgcs2000_to_wgs84(lon: ArrayLike, lat: ArrayLike):
    """CGCS2000 (EPSG:4490) -> WGS-84 (EPSG:4326) through pyproj (practically the identity)."""
    scalar = _is_scalar(lon, lat)
    x, y = _as_arrays(lon, lat)
    return _out(*_transformer(CGCS2000, WGS84).transform(x, y), scalar)


def wgs84_to_cgcs2000(lon: ArrayLike, lat: ArrayLike):
    """WGS-84 (EPSG:4326) -> CGCS2000 (EPSG:4490) through pyproj (practically the identity)."""
    scalar = _is_scalar(lon, lat)
    x, y = _as_arrays(lon, lat)
    return _out(*_transformer(WGS84, CGCS2000).transform(x, y), scalar)


_TO_WGS = {
    "wgs84": lambda x, y: (x, y),
    "cgcs2000": cgcs2000_to_wgs84,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS = {
    "wgs84": lambda x, y: (x, y),
    "cgcs2000": wgs84_to_cgcs2000,
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def convert(lon: ArrayLike, lat: ArrayLike, src: str, dst: str):
    """Convert longitude/latitude (degrees) from system ``src`` to ``dst``.

    ``src`` and ``dst`` are names from :data:`SYSTEMS` (aliases such as ``"GCJ-02"`` or
    ``"EPSG:4326"`` are accepted).  GCJ-02 <-> BD-09 is done directly; every other pair goes
    through WGS-84.  Returns ``(lon, lat)`` arrays (floats for scalar input).
    """
    src = normalize_system(src)
    dst = normalize_system(dst)
    scalar = _is_scalar(lon, lat)
    x, y = _as_arrays(lon, lat)
    if src == dst:
        rx, ry = x.copy(), y.copy()
    elif (src, dst) == ("gcj02", "bd09"):
        rx, ry = gcj02_to_bd09(x, y)
    elif (src, dst) == ("bd09", "gcj02"):
        rx, ry = bd09_to_gcj02(x, y)
    else:
        rx, ry = _FROM_WGS[dst](*_TO_WGS[src](x, y))
    return _out(np.asarray(rx, dtype=np.float64), np.asarray(ry, dtype=np.float64), scalar)


def _shift_geoms(geoms, src: str, dst: str):
    def fn(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = convert(coords[:, 0], coords[:, 1], src, dst)
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms), fn)


def _require_geographic(gdf: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> None:
    if gdf.crs is not None and not CRS.from_user_input(gdf.crs).is_geographic:
        raise InputError(
            f"{what} coordinates must be longitude/latitude in degrees, but the layer's CRS is "
            f"{gdf.crs.to_string()} (projected)",
            field="crs",
            hint="pass the layer in degrees, or leave the source system as its own CRS",
        )


def to_wgs84_gdf(gdf: gpd.GeoDataFrame, src: str | None = None) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in WGS-84 (EPSG:4326), every vertex shifted from ``src``.

    Parameters
    ----------
    gdf : GeoDataFrame
        Any geometry types.
    src : str, optional
        System of the layer's longitude/latitude: ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"`` or
        ``"bd09"``.  For GCJ-02/BD-09 the layer's CRS label (often mislabelled EPSG:4326, or
        none) is ignored but must not be a projected CRS.  When ``None`` the layer's own CRS
        is used (``gdf.to_crs("EPSG:4326")``), and a layer without a CRS is an error.
    """
    if src is None:
        if gdf.crs is None:
            raise InputError(
                "layer has no CRS and no source coordinate system was given",
                field="crs",
                hint="set the layer's CRS or pass src='wgs84' / 'cgcs2000' / 'gcj02' / 'bd09'",
            )
        return gdf.to_crs(WGS84)
    src = normalize_system(src)
    if src in ("wgs84", "cgcs2000"):
        if gdf.crs is not None and not CRS.from_user_input(gdf.crs).is_geographic:
            # A projected layer: its own CRS label is the truth.
            return gdf.to_crs(WGS84)
        epsg = WGS84 if src == "wgs84" else CGCS2000
        return gdf.set_crs(epsg, allow_override=True).to_crs(WGS84)
    _require_geographic(gdf, src)
    return _with_geoms(gdf, _shift_geoms(gdf.geometry.values, src, "wgs84"), WGS84)


def _with_geoms(gdf: gpd.GeoDataFrame, geoms, crs) -> gpd.GeoDataFrame:
    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(geoms, index=out.index)
    return out.set_crs(crs, allow_override=True)


def from_wgs84_gdf(gdf: gpd.GeoDataFrame, dst: str) -> gpd.GeoDataFrame:
    """Return a copy of a WGS-84 layer with every vertex converted to system ``dst``.

    A layer in another CRS is first projected to EPSG:4326; a layer without CRS is taken as
    WGS-84.  The result's CRS is EPSG:4326 for ``"wgs84"``, EPSG:4490 for ``"cgcs2000"`` and
    **None** for ``"gcj02"`` / ``"bd09"`` (no EPSG code describes them; leaving the CRS unset
    stops anyone re-projecting shifted coordinates as if they were WGS-84).  The system name
    is recorded in ``result.attrs["coord_system"]``.
    """
    dst = normalize_system(dst)
    base = gdf if gdf.crs is None else gdf.to_crs(WGS84)
    out = base.copy()
    if dst == "cgcs2000":
        out = out.set_crs(WGS84, allow_override=True).to_crs(CGCS2000)
    elif dst == "wgs84":
        out = out.set_crs(WGS84, allow_override=True)
    else:
        out = _with_geoms(base, _shift_geoms(base.geometry.values, "wgs84", dst), None)
    out.attrs["coord_system"] = dst
    return out
