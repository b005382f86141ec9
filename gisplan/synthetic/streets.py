"""Streets of the synthetic city.

The block-size field, superblocks, block splitting and the walking network built from the
linework (metres, EPSG:32651).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely

from gisplan.crs import METRIC_CRS
from gisplan.network.components import largest_component
from gisplan.synthetic.geometry import _project, _ragged_linestrings

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
    node_mask = largest_component(n_nodes, u, v)
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
