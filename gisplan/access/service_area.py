"""Service areas: what lies within N minutes' walk, built from reachable network edges.

An edge is reachable in full when the walking budget left at one of its ends covers its
length (or the budgets from both ends together do); otherwise only the stretch within the
budget from each end is kept, clipped from the edge geometry. A source's own edge is reached
from the source's join point in both directions. The reachable lines are then buffered by a
street-frontage width (``buffer_m``, default 40 m) and dissolved. This follows the street
network; it is not a convex hull or a circular buffer.

Service areas are for display; coverage itself is computed per community in
:mod:`gisplan.access.coverage`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import geopandas as gpd
import numpy as np
import shapely

from gisplan.access.walking import node_distances
from gisplan.crs import WGS84
from gisplan.network.costs import own_edge_stretches
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import Snapped

if TYPE_CHECKING:
    from contourpy._contourpy import FillReturn_ChunkCombinedOffsetOffset

__all__ = [
    "reachable_lines",
    "clip_lines",
    "service_area",
    "buffer_lines",
    "grid_cell_m",
]

#: Default street-frontage width (metres) added on each side of reachable edges.
FRONTAGE_M = 40.0

#: Above this many line pieces, buffering switches from exact vector buffers to a grid.
VECTOR_LIMIT = 10000

#: The grid used for many pieces holds at most about this many cells; the cell size grows
#: with the extent of the lines (see :func:`grid_cell_m`).
GRID_MAX_CELLS = 12_000_000


def grid_cell_m(bounds: tuple[float, float, float, float], buffer_m: float) -> float:
    """Cell size (metres) of the buffering grid for lines within ``bounds`` (metric CRS).

    ``buffer_m / 8`` (5 m for the 40 m street frontage), enlarged so that the grid over the
    bounds padded by the buffer holds at most :data:`GRID_MAX_CELLS` cells: about 5 m for an
    18 km city, 15 m for a 53 km one.
    """
    minx, miny, maxx, maxy = bounds
    area = (maxx - minx + 2 * buffer_m) * (maxy - miny + 2 * buffer_m)
    return max(buffer_m / 8, float(np.sqrt(area / GRID_MAX_CELLS)), 0.01)


def buffer_lines(
    lines: np.ndarray, buffer_m: float, *, method: str = "auto", cell_m: float | None = None
):
    """Dissolved buffer (metres) around line pieces in a metric CRS.

    ``method="vector"`` buffers exactly with GEOS; it is slow and memory-hungry for tens of
    thousands of pieces. ``method="grid"`` samples the lines onto a square grid (cells of
    ``cell_m`` metres, default :func:`grid_cell_m`), takes the Euclidean distance from every
    cell to the nearest line cell (:func:`scipy.ndimage.distance_transform_edt`) and traces
    the ``buffer_m`` contour of that distance with contourpy (linear interpolation between
    cell centres, holes kept); the rings are then simplified to half a cell. It is accurate
    to about one cell (area within a few per cent of the exact buffer). ``"auto"`` uses the grid above :data:`VECTOR_LIMIT` pieces.
    """
    if len(lines) == 0:
        return shapely.Polygon()
    if method == "auto":
        method = "vector" if len(lines) <= VECTOR_LIMIT else "grid"
    if method == "vector":
        # Buffering pieces one by one and dissolving is much faster in GEOS than buffering
        # one large MultiLineString, with the same result.
        return shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=4))
    if method != "grid":
        raise ValueError(f"method must be 'auto', 'vector' or 'grid', not {method!r}")
    return _grid_buffer(lines, buffer_m, cell_m)


def _grid_buffer(lines: np.ndarray, buffer_m: float, cell_m: float | None):
    """The ``method="grid"`` branch of :func:`buffer_lines` (metres, metric CRS)."""
    import contourpy
    from scipy import ndimage

    bounds = tuple(shapely.total_bounds(lines))
    cell = float(cell_m or grid_cell_m(bounds, buffer_m))
    # Pad by the buffer and two cells so that the contour closes inside the grid.
    pad = buffer_m + 2 * cell
    minx, miny = bounds[0] - pad, bounds[1] - pad
    nx_ = int(np.ceil((bounds[2] + pad - minx) / cell)) + 1
    ny_ = int(np.ceil((bounds[3] + pad - miny) / cell)) + 1
    # Sample the lines every half cell (vertices included) and mark the cells they fall in.
    pts = shapely.get_coordinates(shapely.segmentize(lines, cell / 2))
    ix = ((pts[:, 0] - minx) / cell).astype(np.int64)
    iy = ((pts[:, 1] - miny) / cell).astype(np.int64)
    del pts
    free = np.ones((ny_, nx_), dtype=bool)
    free[iy, ix] = False
    del ix, iy
    # Distance (in cells) from each cell centre to the nearest marked cell centre.
    dist = ndimage.distance_transform_edt(free)
    del free
    gen = contourpy.contour_generator(
        z=dist, fill_type=contourpy.FillType.ChunkCombinedOffsetOffset, chunk_count=1
    )
    # One chunk of FillType.ChunkCombinedOffsetOffset (contourpy types the union of all kinds).
    filled = cast("FillReturn_ChunkCombinedOffsetOffset", gen.filled(-1.0, buffer_m / cell))
    (points,), (ring_offsets,), (outer_offsets,) = filled
    del gen, dist
    if points is None or len(points) == 0 or ring_offsets is None or outer_offsets is None:
        return shapely.Polygon()
    # Grid indices (column, row) -> metres: cell (i, j) has its centre at ((j + .5), (i + .5)).
    xy = np.empty_like(points)
    xy[:, 0] = minx + (points[:, 0] + 0.5) * cell
    xy[:, 1] = miny + (points[:, 1] + 0.5) * cell
    ring_sizes = np.diff(ring_offsets)
    rings = shapely.linearrings(xy, indices=np.repeat(np.arange(len(ring_sizes)), ring_sizes))
    polygon_of_ring = np.repeat(np.arange(len(outer_offsets) - 1), np.diff(outer_offsets))
    # Simplify ring by ring (Douglas-Peucker on polygons would re-node them, far slower);
    # rings that collapse (a fraction of a cell) are dropped, a shell with its holes.
    simple = shapely.simplify(rings, cell / 2, preserve_topology=False)
    ok = (shapely.get_num_coordinates(simple) >= 4) & ~shapely.is_empty(simple)
    shell = np.r_[True, polygon_of_ring[1:] != polygon_of_ring[:-1]]
    ok &= ok[np.flatnonzero(shell)][np.cumsum(shell) - 1]
    if not ok.any():
        return shapely.Polygon()
    rings, simple, shell = rings[ok], simple[ok], shell[ok]
    _, polygon_of_ring = np.unique(polygon_of_ring[ok], return_inverse=True)
    polys = shapely.polygons(simple, indices=polygon_of_ring)
    for k in np.flatnonzero(~shapely.is_valid(polys)):
        polys[k] = _repair(rings[polygon_of_ring == k], simple[polygon_of_ring == k])
    polys = shapely.get_parts(shapely.get_parts(polys))  # a repair may give collections
    polys = polys[(shapely.get_type_id(polys) == 3) & ~shapely.is_empty(polys)]
    if len(polys) == 0:
        return shapely.Polygon()
    return shapely.multipolygons(polys) if len(polys) > 1 else polys[0]


def _repair(rings: np.ndarray, simple: np.ndarray):
    """A valid polygon from a shell and holes whose simplified rings cross.

    ``rings``: the shell first, then the holes; ``simple``: the same rings simplified.  The
    rings at fault go back to their unsimplified form.
    """
    simple = simple.copy()
    if not shapely.is_simple(simple[0]):
        simple[0] = rings[0]
    # The holes lay inside the shell and apart before simplifying: a hole is at fault if it
    # is not simple, touches the shell or touches another hole.
    holes = shapely.polygons(simple[1:])
    bad = ~shapely.is_simple(simple[1:])
    tree = shapely.STRtree(holes)
    bad[tree.query(simple[0], predicate="intersects")] = True
    i, j = tree.query(holes, predicate="intersects")
    bad[i[i != j]] = True
    simple[1:][bad] = rings[1:][bad]
    poly = shapely.polygons(simple[0], holes=simple[1:])
    return poly if poly.is_valid else shapely.make_valid(poly)


def clip_lines(
    geoms: np.ndarray, length_m: np.ndarray, start_m: np.ndarray, end_m: np.ndarray
) -> np.ndarray:
    """Parts of LineStrings between network distances ``start_m`` and ``end_m`` (metres).

    Vectorised :func:`shapely.ops.substring`: piece ``k`` is the stretch of ``geoms[k]``
    from ``start_m[k]`` to ``end_m[k]`` metres along it, where distances are measured in
    network metres (``length_m[k]`` for the whole edge) and scaled to the geometry's own
    length. Distances are clamped to the line; pieces with ``end_m <= start_m`` must be
    filtered out beforehand. Returns an object array of LineStrings in the input CRS.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if n == 0:
        return np.empty(0, dtype=object)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    counts = np.bincount(owner, minlength=n)
    first = np.zeros(n, dtype=np.int64)
    first[1:] = np.cumsum(counts)[:-1]
    last = first + counts - 1
    # Distance of every vertex from the start of all the lines laid end to end (monotone).
    step = np.zeros(len(coords))
    step[1:] = np.hypot(*np.diff(coords, axis=0).T)
    step[first] = 0.0
    pos = np.cumsum(step)
    geom_len = pos[last] - pos[first]
    length_m = np.asarray(length_m, dtype=float)
    scale = np.divide(geom_len, length_m, out=np.ones(n), where=length_m > 0)
    s = pos[first] + np.clip(np.asarray(start_m, dtype=float) * scale, 0.0, geom_len)
    t = pos[first] + np.clip(np.asarray(end_m, dtype=float) * scale, 0.0, geom_len)
    # Segment holding each end: vertex j to j + 1, with pos[j] <= s < pos[j + 1].
    js = np.clip(np.searchsorted(pos, s, side="right") - 1, first, last - 1)
    je = np.clip(np.searchsorted(pos, t, side="left") - 1, first, last - 1)
    je = np.maximum(je, js)

    def at(j: np.ndarray, d: np.ndarray) -> np.ndarray:
        seg = step[j + 1]
        f = np.clip(np.divide(d - pos[j], seg, out=np.zeros(len(j)), where=seg > 0), 0.0, 1.0)
        return coords[j] + f[:, None] * (coords[j + 1] - coords[j])

    inner = je - js  # vertices strictly between the two ends
    size = inner + 2
    out_first = np.zeros(n, dtype=np.int64)
    out_first[1:] = np.cumsum(size)[:-1]
    out = np.empty((int(size.sum()), 2))
    out[out_first] = at(js, s)
    out[out_first + size - 1] = at(je, t)
    if inner.any():
        piece = np.repeat(np.arange(n), inner)
        rank = np.arange(len(piece)) - np.repeat(np.cumsum(inner) - inner, inner)
        out[out_first[piece] + 1 + rank] = coords[js[piece] + 1 + rank]
    return shapely.linestrings(out, indices=np.repeat(np.arange(n), size))


def reachable_lines(
    network: WalkNetwork,
    node_dist_m: np.ndarray,
    budget_m: float,
    *,
    sources: Snapped | None = None,
    edges: np.ndarray | None = None,
) -> np.ndarray:
    """Edge pieces within ``budget_m`` metres of the nearest source (network CRS).

    Parameters
    ----------
    network : WalkNetwork
    node_dist_m : numpy.ndarray
        Distance (metres) from each node to the nearest source (:func:`node_distances`).
    budget_m : float
        Walking distance budget in metres (minutes × metres per minute).
    sources : Snapped, optional
        The sources; needed to add the stretches around each source on its own edge.
    edges : numpy.ndarray of int, optional
        Only these edges are looked at (default: all). Any superset of the edges with a
        reached end and of the sources' own edges gives the same pieces; a bounded search
        passes the edges near its origin, so that the work does not grow with the city.

    Returns
    -------
    numpy.ndarray of LineString
        Whole edges reached in full (the network's own geometries) followed by the clipped
        partial stretches (:func:`clip_lines`).
    """
    cand = np.arange(network.n_edges) if edges is None else np.unique(np.asarray(edges, np.int64))
    length = network.edge_length[cand]
    ru = budget_m - node_dist_m[network.edge_u[cand]]
    rv = budget_m - node_dist_m[network.edge_v[cand]]
    ru = np.where(np.isfinite(ru), ru, -1.0)
    rv = np.where(np.isfinite(rv), rv, -1.0)
    full = (ru >= length) | (rv >= length) | ((ru > 0) & (rv > 0) & (ru + rv >= length))
    from_u = np.flatnonzero(~full & (ru > 0))
    from_v = np.flatnonzero(~full & (rv > 0))
    picked = [cand[from_u], cand[from_v]]
    starts = [np.zeros(len(from_u)), length[from_v] - rv[from_v]]
    ends = [ru[from_u], length[from_v]]
    full_edges = cand[full]
    if sources is not None:
        e, a, b = own_edge_stretches(network, sources, budget_m)
        keep = ~np.isin(e, full_edges)
        picked.append(e[keep])
        starts.append(a[keep])
        ends.append(b[keep])
    e = np.concatenate(picked)
    a = np.concatenate(starts)
    b = np.concatenate(ends)
    keep = b > a
    e, a, b = e[keep], a[keep], b[keep]
    parts = clip_lines(network.edge_geometry[e], network.edge_length[e], a, b)
    pieces = np.concatenate([np.asarray(network.edge_geometry[full_edges], dtype=object), parts])
    return pieces[~shapely.is_empty(pieces)]


def service_area(
    network: WalkNetwork,
    sources: Snapped,
    budget_m: float,
    *,
    node_dist_m: np.ndarray | None = None,
    buffer_m: float = FRONTAGE_M,
    to_crs: str | None = WGS84,
    method: str = "auto",
) -> gpd.GeoSeries:
    """One (multi)polygon: the area within ``budget_m`` metres' walk of any source.

    Returns a one-row GeoSeries in ``to_crs`` (EPSG:4326 by default; ``None`` keeps the
    network CRS). Empty geometry when nothing is reachable. ``method`` chooses exact vector
    buffers or the grid (see :func:`buffer_lines`).
    """
    if node_dist_m is None:
        node_dist_m = node_distances(network, sources, limit_m=budget_m)
    lines = reachable_lines(network, node_dist_m, budget_m, sources=sources)
    geom = buffer_lines(lines, buffer_m, method=method)
    out = gpd.GeoSeries([geom], crs=network.crs)
    return out.to_crs(to_crs) if to_crs else out
