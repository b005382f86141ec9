"""Small geometry helpers of the synthetic generators (projection, linework, GeoDataFrames).

Metric coordinates are in :data:`gisplan.crs.METRIC_CRS` (EPSG:32651, metres).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from gisplan.crs import METRIC_CRS, WGS84

SOURCE = "synthetic"


_TO_METRIC = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)
_TO_WGS84 = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)


def _project(lonlat: Sequence[tuple[float, float]]) -> np.ndarray:
    """(lon, lat) pairs -> (n, 2) array of EPSG:32651 metres."""
    arr = np.asarray(lonlat, dtype=float)
    x, y = _TO_METRIC.transform(arr[:, 0], arr[:, 1])
    return np.column_stack([x, y])


def _bounds_wgs84(corners: np.ndarray) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees of corner points in metres (EPSG:32651)."""
    lon, lat = _TO_WGS84.transform(corners[:, 0], corners[:, 1])
    return (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


def _extend_end(xy: np.ndarray, metres: float) -> np.ndarray:
    """Prolong the last segment of a polyline by ``metres`` (so rivers leave any box)."""
    d = xy[-1] - xy[-2]
    return np.vstack([xy, xy[-1] + d / np.hypot(*d) * metres])


def _corner_cut(xy: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """Chaikin-style smoothing with bounded cut distances (metres), keeping both ends.

    Each pass replaces every interior vertex by two points ``cut`` metres (at most a quarter
    of the segment) either side of it, so the curve never strays more than about ``cut`` from
    the original polyline.
    """
    for cut in cuts:
        out = [xy[0]]
        for i in range(1, len(xy) - 1):
            a, b, c = xy[i - 1], xy[i], xy[i + 1]
            la, lc = np.hypot(*(b - a)), np.hypot(*(c - b))
            out.append(b + (a - b) * min(cut, 0.25 * la) / la)
            out.append(b + (c - b) * min(cut, 0.25 * lc) / lc)
        out.append(xy[-1])
        xy = np.asarray(out)
    return xy


def _ragged_linestrings(parts: list[np.ndarray]) -> np.ndarray:
    """LineStrings from coordinate arrays of different lengths (vectorised)."""
    if not parts:
        return np.array([], dtype=object)
    idx = np.repeat(np.arange(len(parts)), [len(c) for c in parts])
    return shapely.linestrings(np.vstack(parts), indices=idx)


def _segments(lines: np.ndarray) -> np.ndarray:
    """Every straight two-point segment of the given LineStrings."""
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    same = idx[1:] == idx[:-1]
    return shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))


def _gdf_to_wgs84(geoms, crs: str = METRIC_CRS, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs).to_crs(WGS84)
