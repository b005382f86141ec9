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

import geopandas as gpd
import numpy as np
import shapely
from shapely.ops import substring

from gisplan.access.walking import node_distances
from gisplan.crs import WGS84
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import Snapped

__all__ = ["reachable_lines", "service_area", "service_areas_per_source", "buffer_lines"]

#: Default street-frontage width (metres) added on each side of reachable edges.
FRONTAGE_M = 40.0

#: Above this many line pieces, buffering switches from exact vector buffers to a grid.
VECTOR_LIMIT = 10000


def buffer_lines(
    lines: np.ndarray, buffer_m: float, *, method: str = "auto", cell_m: float | None = None
):
    """Dissolved buffer (metres) around line pieces in a metric CRS.

    ``method="vector"`` buffers exactly with GEOS; it is slow and memory-hungry for tens of
    thousands of pieces. ``method="grid"`` marks the lines on a square grid (cells of
    ``cell_m`` metres, default ``max(5, buffer_m / 8)`` enlarged so the grid stays under
    ~16 million cells), dilates by ``buffer_m`` with a disk and turns the cells back into
    polygons: the outline is accurate to about one cell. ``"auto"`` uses the grid above
    :data:`VECTOR_LIMIT` pieces.
    """
    if len(lines) == 0:
        return shapely.Polygon()
    if method == "auto":
        method = "vector" if len(lines) <= VECTOR_LIMIT else "grid"
    if method == "vector":
        # Buffering pieces one by one and dissolving is much faster in GEOS than buffering
        # one large MultiLineString, with the same result.
        return shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=4))
    from scipy import ndimage

    minx, miny, maxx, maxy = shapely.total_bounds(lines)
    minx, miny, maxx, maxy = minx - buffer_m, miny - buffer_m, maxx + buffer_m, maxy + buffer_m
    cell = cell_m or max(5.0, buffer_m / 8)
    while ((maxx - minx) / cell) * ((maxy - miny) / cell) > 16e6:
        cell *= 1.5
    nx_, ny_ = int(np.ceil((maxx - minx) / cell)) + 1, int(np.ceil((maxy - miny) / cell)) + 1
    pts = shapely.get_coordinates(shapely.segmentize(lines, cell / 2))
    ix = ((pts[:, 0] - minx) / cell).astype(np.int64)
    iy = ((pts[:, 1] - miny) / cell).astype(np.int64)
    grid = np.zeros((ny_, nx_), dtype=bool)
    grid[iy, ix] = True
    # A marked cell stands for its whole square: dilate by the buffer less half a cell.
    radius = max(buffer_m - cell / 4, 0.0) / cell
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    disk = (xx * xx + yy * yy) <= radius**2
    grid = ndimage.binary_dilation(grid, structure=disk)
    # Run-length encode each row into rectangles, then dissolve the non-overlapping rectangles.
    padded = np.zeros((ny_, nx_ + 2), dtype=np.int8)
    padded[:, 1:-1] = grid
    diff = np.diff(padded, axis=1)
    rows_s, starts = np.nonzero(diff == 1)
    rows_e, ends = np.nonzero(diff == -1)
    boxes = shapely.box(
        minx + starts * cell, miny + rows_s * cell, minx + ends * cell, miny + (rows_s + 1) * cell
    )
    return shapely.coverage_union_all(boxes)


def _clip(
    geom: shapely.LineString, length_m: float, a_m: float, b_m: float
) -> shapely.LineString | None:
    """Part of ``geom`` between network distances ``a_m`` and ``b_m`` from its start."""
    if b_m <= a_m:
        return None
    scale = geom.length / length_m if length_m > 0 else 1.0
    return substring(geom, a_m * scale, b_m * scale)


def reachable_lines(
    network: WalkNetwork,
    node_dist_m: np.ndarray,
    budget_m: float,
    *,
    sources: Snapped | None = None,
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
    """
    length = network.edge_length
    ru = budget_m - node_dist_m[network.edge_u]
    rv = budget_m - node_dist_m[network.edge_v]
    ru = np.where(np.isfinite(ru), ru, -1.0)
    rv = np.where(np.isfinite(rv), rv, -1.0)
    full = (ru >= length) | (rv >= length) | ((ru > 0) & (rv > 0) & (ru + rv >= length))
    pieces: list = list(network.edge_geometry[full])
    for e in np.flatnonzero(~full & (ru > 0)):
        pieces.append(_clip(network.edge_geometry[e], length[e], 0.0, ru[e]))
    for e in np.flatnonzero(~full & (rv > 0)):
        pieces.append(_clip(network.edge_geometry[e], length[e], length[e] - rv[e], length[e]))
    if sources is not None:
        for k in np.flatnonzero(sources.ok):
            e = int(sources.edge[k])
            b = budget_m - float(sources.offset_m[k])
            if b <= 0 or full[e]:
                continue
            a = float(sources.along_m[k])
            pieces.append(
                _clip(network.edge_geometry[e], length[e], max(0.0, a - b), min(length[e], a + b))
            )
    return np.asarray([p for p in pieces if p is not None and not p.is_empty], dtype=object)


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


def service_areas_per_source(
    network: WalkNetwork,
    sources: Snapped,
    budget_m: float,
    *,
    buffer_m: float = FRONTAGE_M,
    to_crs: str | None = WGS84,
) -> gpd.GeoDataFrame:
    """One service-area polygon per snapped source (``id`` column), for display.

    Each search is bounded by ``budget_m`` so its cost is local to the source.
    """
    ids, geoms = [], []
    for k in np.flatnonzero(sources.ok):
        one = sources.subset(np.array([k]))
        area = service_area(network, one, budget_m, buffer_m=buffer_m, to_crs=None)
        ids.append(sources.ids[k])
        geoms.append(area.iloc[0])
    out = gpd.GeoDataFrame({"id": ids}, geometry=geoms, crs=network.crs)
    return out.to_crs(to_crs) if to_crs else out
