"""Walking distances on the network: one multi-source shortest-path search per category.

The sources (for example every supermarket) are joined to the network part-way along their
edges. A virtual super-source is linked to both ends of each source's edge with the walking
distance from the source to that end (off-network leg + along-edge part); one Dijkstra search
from the super-source then gives every node's distance to its *nearest* source. A target point
reads its distance from the two ends of its own edge, and a source on the very same edge is
reached directly along the edge.

All distances are in metres; minutes are distance / (metres per minute) and are computed by
the caller, so that changing the walking speed never repeats a search.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import dijkstra

from gisplan.network.costs import edge_end_costs, same_edge_pairs, with_virtual_sources
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import Snapped

__all__ = ["FEW_SEEDS", "node_distances", "nearest_source_distances", "source_seeds"]

#: Up to this many seed nodes (a place or a site: the two ends of its edge), each seed gets its
#: own bounded search on the network's adjacency instead of one search from a virtual
#: super-source, which needs a copy of the whole adjacency (29 MB at 569k nodes) per call.
FEW_SEEDS = 4


def source_seeds(network: WalkNetwork, sources: Snapped) -> tuple[np.ndarray, np.ndarray]:
    """Network nodes at the ends of the sources' edges and the distance (metres) to reach them.

    Returns ``(nodes, dist_m)``, one entry per distinct node, keeping the nearest source
    (:func:`gisplan.network.costs.edge_end_costs`).
    """
    ends = edge_end_costs(network, sources)
    nodes, dist = ends.nodes(), ends.costs()
    if len(nodes) == 0:
        return nodes.astype(np.int64), dist
    # nearest first within each node, then the first row of each node (no n_nodes array)
    order = np.lexsort((dist, nodes))
    nodes, dist = nodes[order], dist[order]
    first = np.ones(len(nodes), dtype=bool)
    first[1:] = nodes[1:] != nodes[:-1]
    return nodes[first].astype(np.int64), dist[first]


def node_distances(
    network: WalkNetwork, sources: Snapped, *, limit_m: float = np.inf
) -> np.ndarray:
    """Distance (metres) from every network node to its nearest snapped source.

    Parameters
    ----------
    network : WalkNetwork
    sources : Snapped
        Source points; unsnapped ones are ignored.
    limit_m : float
        Stop the search beyond this distance (metres); farther nodes get ``inf``.

    Returns
    -------
    numpy.ndarray of float, shape (n_nodes,)
        ``inf`` where no source is reachable (or beyond ``limit_m``).
    """
    n = network.n_nodes
    seeds, seed_dist = source_seeds(network, sources)
    if len(seeds) == 0:
        return np.full(n, np.inf)
    if len(seeds) <= FEW_SEEDS:
        return _few_seed_distances(network, seeds, seed_dist, limit_m)
    # One virtual super-source (index n) linked to every seed.
    graph = with_virtual_sources(network, np.zeros(len(seeds), dtype=np.int64), seeds, seed_dist, 1)
    dist = dijkstra(graph, directed=True, indices=n, limit=limit_m)
    return dist[:n]


def _few_seed_distances(
    network: WalkNetwork, seeds: np.ndarray, seed_dist: np.ndarray, limit_m: float
) -> np.ndarray:
    """:func:`node_distances` for a few seeds, without copying the adjacency.

    One bounded search per seed on the network's own adjacency, each limited to what the
    budget leaves after its seed.

    Metres; ``inf`` beyond ``limit_m``.  Memory: two arrays of ``n_nodes`` floats, whatever
    the size of the adjacency.
    """
    out = np.full(network.n_nodes, np.inf)
    for node, start in zip(seeds, seed_dist, strict=True):
        budget = limit_m - start
        if budget < 0:
            continue
        d = dijkstra(network.adjacency, directed=True, indices=int(node), limit=budget)
        d += start
        np.minimum(out, d, out=out)
    return out


def nearest_source_distances(
    network: WalkNetwork,
    sources: Snapped,
    targets: Snapped,
    *,
    node_dist: np.ndarray | None = None,
    limit_m: float = np.inf,
) -> np.ndarray:
    """Walking distance (metres) from each target point to its nearest source point.

    Includes both off-network legs. Sources sharing a target's edge are also reached
    directly along that edge. Unsnapped targets, and targets with no reachable source,
    get ``inf`` (unsnapped targets: ``nan``).

    Parameters
    ----------
    node_dist : numpy.ndarray, optional
        The result of :func:`node_distances` for these sources, to avoid a second search.
    """
    if node_dist is None:
        node_dist = node_distances(network, sources, limit_m=limit_m)
    out = np.full(len(targets), np.nan)
    ends = edge_end_costs(network, targets, with_offset=False)
    ok = ends.pos
    best = np.minimum(node_dist[ends.u] + ends.cost_u, node_dist[ends.v] + ends.cost_v)
    # Sources on the same edge: walk straight along the edge.
    _, t_pos, direct = same_edge_pairs(sources, targets)
    if len(t_pos):
        slot = np.searchsorted(ok, t_pos)  # ok is sorted; every paired target is snapped
        np.minimum.at(best, slot, direct)
    out[ok] = best + targets.offset_m[ok]
    if np.isfinite(limit_m):
        out[targets.ok & (out > limit_m)] = np.inf
    return out
