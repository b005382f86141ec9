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

__all__ = ["reachable_lines", "service_area", "service_areas_per_source"]

#: Default street-frontage width (metres) added on each side of reachable edges.
FRONTAGE_M = 40.0


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
) -> gpd.GeoSeries:
    """One (multi)polygon: the area within ``budget_m`` metres' walk of any source.

    Returns a one-row GeoSeries in ``to_crs`` (EPSG:4326 by default; ``None`` keeps the
    network CRS). Empty geometry when nothing is reachable.
    """
    if node_dist_m is None:
        node_dist_m = node_distances(network, sources, limit_m=budget_m)
    lines = reachable_lines(network, node_dist_m, budget_m, sources=sources)
    if len(lines) == 0:
        geom = shapely.Polygon()
    else:
        geom = shapely.buffer(shapely.multilinestrings(lines), buffer_m, quad_segs=4)
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
