"""Coverage incidence for candidates inside a planning area, on the network near the area only.

A walk of at most ``threshold_m`` metres from a candidate never leaves the disc of that radius
around the candidate (a walk is at least as long as the straight line). So when every candidate
lies inside a region, every walk that counts stays within ``threshold_m`` of the region, and
the incidence computed on the edges meeting that buffer equals the one on the whole network.
For a county of a whole-city network this is a fraction of the nodes, which makes each bounded
search — whose set-up costs one value per network node — proportionally cheaper. The searches
also start from whichever side (candidates or demand) has fewer points.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely

from gisplan.crs import WGS84
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import Snapped
from gisplan.siting.incidence import coverage_incidence

__all__ = ["subnetwork", "restrict_snapped", "area_incidence"]


def subnetwork(network: WalkNetwork, edges: np.ndarray) -> tuple[WalkNetwork, np.ndarray]:
    """The network made of ``edges`` (indices) and their end nodes.

    Returns ``(sub, edge_map)``: ``edge_map[e]`` is the index in ``sub`` of edge ``e`` of
    ``network``, ``-1`` for edges left out. Edge geometry, orientation and length are kept, so
    a point's ``along_m`` and ``offset_m`` are valid in both.
    """
    edges = np.unique(np.asarray(edges, dtype=np.int64))
    nodes = np.unique(np.concatenate([network.edge_u[edges], network.edge_v[edges]]))
    sub = WalkNetwork(
        crs=network.crs,
        node_ids=network.node_ids[nodes],
        node_xy=network.node_xy[nodes],
        edge_u=np.searchsorted(nodes, network.edge_u[edges]),
        edge_v=np.searchsorted(nodes, network.edge_v[edges]),
        edge_length=network.edge_length[edges],
        edge_geometry=network.edge_geometry[edges],
        source=network.source,
    )
    edge_map = np.full(network.n_edges, -1, dtype=np.int64)
    edge_map[edges] = np.arange(len(edges))
    return sub, edge_map


def restrict_snapped(points: Snapped, edge_map: np.ndarray) -> Snapped:
    """``points`` joined to the sub-network (points on left-out edges become unsnapped)."""
    ok = points.ok
    edge = np.full(len(points), -1, dtype=np.int64)
    edge[ok] = edge_map[points.edge[ok]]
    return Snapped(
        ids=points.ids,
        edge=edge,
        along_m=points.along_m,
        offset_m=points.offset_m,
        snapped_xy=points.snapped_xy,
    )


def area_incidence(
    network: WalkNetwork,
    candidates: Snapped,
    demand: Snapped,
    threshold_m: float,
    region: shapely.Geometry | None,
    *,
    progress: Callable[[str], None] | None = None,
    **kwargs,
) -> sp.csr_matrix:
    """:func:`coverage_incidence` for candidates lying inside ``region`` (EPSG:4326).

    Computed on the edges within ``threshold_m`` of the region; the whole network when
    ``region`` is None.  Same result either way (see the module docstring).
    """
    if region is None:
        return _incidence(network, candidates, demand, threshold_m, progress, kwargs)
    zone = gpd.GeoSeries([region], crs=WGS84).to_crs(network.crs).iloc[0]
    zone = zone.buffer(float(threshold_m) + 1.0)
    edges = network.edge_tree.query(zone, predicate="intersects")
    if len(edges) == 0:
        return sp.csr_matrix((len(candidates), len(demand)), dtype=float)
    sub, edge_map = subnetwork(network, edges)
    return _incidence(
        sub,
        restrict_snapped(candidates, edge_map),
        restrict_snapped(demand, edge_map),
        threshold_m,
        progress,
        kwargs,
    )


def _incidence(network, candidates, demand, threshold_m, progress, kwargs) -> sp.csr_matrix:
    """:func:`coverage_incidence`, searching from whichever side has fewer points.

    Walking distances are symmetric (undirected streets; the off-network legs and the
    along-edge parts add up the same both ways), so the searches can start from the demand
    points and the result be transposed — much cheaper when a few communities are in play
    among thousands of candidates (the complete-circle objective).
    """
    if int(demand.ok.sum()) < int(candidates.ok.sum()):
        return coverage_incidence(
            network, demand, candidates, threshold_m, progress=progress, **kwargs
        ).T.tocsr()
    return coverage_incidence(network, candidates, demand, threshold_m, progress=progress, **kwargs)
