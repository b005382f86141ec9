"""The network-distance kernel: what it costs to walk from a snapped point onto the graph.

A point snapped to edge ``e`` (ends ``u`` and ``v``, length ``L`` metres) at ``along`` metres
from ``u``, with an off-network leg of ``offset`` metres, reaches

- ``u`` after ``offset + along`` and ``v`` after ``offset + (L - along)`` metres
  (:func:`edge_end_costs`);
- another point on the *same* edge directly along it, after ``|along_a - along_b|`` plus the
  legs (:func:`same_edge_pairs`);
- within a budget of ``b`` metres, the stretch ``[along - (b - offset), along + (b - offset)]``
  of its own edge (:func:`own_edge_stretches`).

Sources enter a shortest-path search as *virtual nodes* appended to the network's CSR
adjacency and linked to the ends of their edges (:func:`with_virtual_sources`): one node for
all sources together (nearest-source distances, :mod:`gisplan.access.walking`) or one per
candidate (coverage incidence, :mod:`gisplan.siting.incidence`).  Walking times, coverage
incidence and service areas (:mod:`gisplan.access.service_area`) all use these functions, so
the rule is written once.

All distances are metres in the network's metric CRS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gisplan.network.graph import EPS_M, WalkNetwork, min_csr
from gisplan.network.snapping import Snapped

__all__ = [
    "EPS_M",
    "EdgeEnds",
    "edge_end_costs",
    "same_edge_pairs",
    "own_edge_stretches",
    "with_virtual_sources",
]


class EdgeEnds:
    """The edge ends of snapped points and the cost (metres) of reaching each end.

    Attributes
    ----------
    pos : numpy.ndarray of int
        Positions (in the :class:`Snapped`) of the snapped points; unsnapped ones are left out.
    u, v : numpy.ndarray of int
        Node ids of the two ends of each point's edge.
    cost_u, cost_v : numpy.ndarray of float
        Metres from the point to ``u`` / ``v`` (with the off-network leg when asked).
    """

    __slots__ = ("pos", "u", "v", "cost_u", "cost_v")

    def __init__(self, pos, u, v, cost_u, cost_v) -> None:
        self.pos, self.u, self.v, self.cost_u, self.cost_v = pos, u, v, cost_u, cost_v

    def nodes(self) -> np.ndarray:
        """``u`` then ``v`` (length ``2 n``)."""
        return np.concatenate([self.u, self.v])

    def costs(self) -> np.ndarray:
        """``cost_u`` then ``cost_v`` (length ``2 n``), matching :meth:`nodes`."""
        return np.concatenate([self.cost_u, self.cost_v])


def edge_end_costs(network: WalkNetwork, points: Snapped, *, with_offset: bool = True) -> EdgeEnds:
    """Metres from each snapped point to both ends of its edge.

    ``offset + along`` to ``u`` and ``offset + (length - along)`` to ``v``; with
    ``with_offset=False`` the off-network leg is left out (``along`` and ``length - along``),
    for callers that add it after taking a minimum.
    """
    pos = np.flatnonzero(points.ok)
    e = points.edge[pos]
    along = points.along_m[pos]
    rest = network.edge_length[e] - along
    if with_offset:
        off = points.offset_m[pos]
        cost_u, cost_v = off + along, off + rest
    else:
        cost_u, cost_v = along, rest
    return EdgeEnds(pos, network.edge_u[e], network.edge_v[e], cost_u, cost_v)


def same_edge_pairs(
    sources: Snapped, targets: Snapped
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of a source and a target snapped to the same edge, and the direct walk.

    Returns ``(source_pos, target_pos, metres)`` where ``metres`` is
    ``|along_target - along_source| + offset_source``: from the source to the target's join
    point along the shared edge.  The caller adds the target's own leg (``offset_m``).
    Unsnapped points never pair.
    """
    s_ok = np.flatnonzero(sources.ok)
    t_ok = np.flatnonzero(targets.ok)
    src = pd.DataFrame(
        {
            "edge": sources.edge[s_ok],
            "s": s_ok,
            "s_along": sources.along_m[s_ok],
            "s_off": sources.offset_m[s_ok],
        }
    )
    tgt = pd.DataFrame({"edge": targets.edge[t_ok], "t": t_ok, "t_along": targets.along_m[t_ok]})
    pairs = tgt.merge(src, on="edge", how="inner")
    metres = (pairs["t_along"] - pairs["s_along"]).abs() + pairs["s_off"]
    return (
        pairs["s"].to_numpy(dtype=np.int64),
        pairs["t"].to_numpy(dtype=np.int64),
        metres.to_numpy(dtype=float),
    )


def own_edge_stretches(
    network: WalkNetwork, sources: Snapped, budget_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stretch of each source's own edge within ``budget_m`` metres of the source.

    Returns ``(edge, start_m, end_m)`` (metres from the edge's ``u`` end), one row per snapped
    source whose off-network leg leaves some budget: ``[along - r, along + r]`` clipped to the
    edge, with ``r = budget_m - offset``.
    """
    k = np.flatnonzero(sources.ok)
    e = np.asarray(sources.edge[k], dtype=np.int64)
    r = budget_m - np.asarray(sources.offset_m[k], dtype=float)
    a = np.asarray(sources.along_m[k], dtype=float)
    keep = r > 0
    e, a, r = e[keep], a[keep], r[keep]
    return e, np.maximum(0.0, a - r), np.minimum(network.edge_length[e], a + r)


def with_virtual_sources(
    network: WalkNetwork, group: np.ndarray, nodes: np.ndarray, cost_m: np.ndarray, n_groups: int
) -> sp.csr_matrix:
    """The network's CSR adjacency with ``n_groups`` virtual source nodes appended.

    Virtual node ``n_nodes + g`` gets a directed link to ``nodes[i]`` of weight ``cost_m[i]``
    for every ``i`` with ``group[i] == g`` (the shortest where a node repeats; at least
    :data:`EPS_M`, so a zero cost stays a stored link).  Nothing links back, so a search from
    a virtual node never passes through another one.

    Returns a square CSR matrix of ``n_nodes + n_groups`` rows.
    """
    n = network.n_nodes
    size = n + n_groups
    adj = network.adjacency
    top = sp.csr_matrix((adj.data, adj.indices, adj.indptr), shape=(n, size))
    extra = min_csr(
        np.asarray(group, dtype=np.int64),
        np.asarray(nodes, dtype=np.int64),
        np.maximum(np.asarray(cost_m, dtype=float), EPS_M),
        (n_groups, size),
    )
    return sp.vstack([top, extra], format="csr")
