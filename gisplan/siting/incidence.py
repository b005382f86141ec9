"""Coverage incidence: which demand points each candidate site reaches within a walking distance.

The result is a sparse (candidates × demand) matrix whose stored entries are the walking
distance in metres from the candidate to the demand point, kept only where it is within the
threshold. No dense candidate × demand matrix is ever built.

Distances follow :mod:`gisplan.access.walking` exactly: a candidate joined to edge ``e`` at
``along`` metres from ``u`` with an off-network leg ``offset`` reaches ``u`` after
``offset + along`` and ``v`` after ``offset + length - along``; a demand point reads its
distance from both ends of its own edge and adds its own leg; a candidate on the demand
point's own edge also reaches it directly along that edge.

Method: the network CSR is extended with one virtual node per candidate (linked to the two
ends of its edge); batches of these virtual nodes go through
:func:`scipy.sparse.csgraph.dijkstra` with ``limit = threshold``, and each batch is turned
into sparse (candidate, demand, metres) triples straight away.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from gisplan.network.costs import EPS_M, edge_end_costs, same_edge_pairs, with_virtual_sources
from gisplan.network.graph import WalkNetwork, min_csr
from gisplan.network.snapping import Snapped

__all__ = ["coverage_incidence", "DEFAULT_BATCH"]

#: Candidates per bounded Dijkstra batch (memory ~ batch × (nodes + candidates) × 8 bytes).
DEFAULT_BATCH = 256


def _augmented_graph(network: WalkNetwork, cand: Snapped) -> sp.csr_matrix:
    """Network CSR with one virtual node per (snapped) candidate, linked to its edge's ends."""
    ends = edge_end_costs(network, cand)
    group = np.concatenate([np.arange(len(ends.pos)), np.arange(len(ends.pos))])
    return with_virtual_sources(network, group, ends.nodes(), ends.costs(), len(cand))


def _demand_attachment(network: WalkNetwork, demand: Snapped) -> sp.csr_matrix:
    """(nodes × demand) CSR: metres from each edge end to each demand point (incl. its leg)."""
    ends = edge_end_costs(network, demand)
    return min_csr(
        ends.nodes(),
        np.concatenate([ends.pos, ends.pos]),
        np.maximum(ends.costs(), EPS_M),
        (network.n_nodes, len(demand)),
    )


def _same_edge_pairs(
    cand: Snapped, cand_pos: np.ndarray, demand: Snapped, threshold_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direct along-edge (candidate, demand, metres) pairs for points sharing an edge."""
    c, d, metres = same_edge_pairs(cand, demand)
    dist = metres + demand.offset_m[d]
    keep = dist <= threshold_m
    return cand_pos[c[keep]], d[keep], dist[keep]


def coverage_incidence(
    network: WalkNetwork,
    candidates: Snapped,
    demand: Snapped,
    threshold_m: float,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[str], None] | None = None,
) -> sp.csr_matrix:
    """Sparse (candidates × demand) walking distances (metres) within ``threshold_m``.

    Parameters
    ----------
    network : WalkNetwork
        Metric CRS, lengths in metres.
    candidates, demand : Snapped
        Candidate sites and demand points joined to ``network``. Unsnapped points (``edge``
        ``-1``) get empty rows / columns.
    threshold_m : float
        Walking distance (metres) within which a candidate covers a demand point.
    batch_size : int
        Candidates per bounded Dijkstra call.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (len(candidates), len(demand)), float64
        Entry ``(j, i)`` is stored iff the walking distance from candidate ``j`` to demand
        point ``i`` is at most ``threshold_m``; its value is that distance in metres (at
        least :data:`gisplan.network.costs.EPS_M` so that it is never an implicit zero).
        Pass the threshold of the "met" rule (:meth:`CircleStandard.threshold_m
        <gisplan.catalogue.CircleStandard.threshold_m>`) to agree with coverage. Distances equal
        :func:`gisplan.access.walking.nearest_source_distances` with the single candidate
        as source.
    """
    n_c, n_d = len(candidates), len(demand)
    shape = (n_c, n_d)
    c_ok = np.flatnonzero(candidates.ok)
    if len(c_ok) == 0 or not np.any(demand.ok) or not threshold_m >= 0:
        return sp.csr_matrix(shape, dtype=float)
    cand = candidates.subset(c_ok)
    n = network.n_nodes
    graph = _augmented_graph(network, cand)
    attach = _demand_attachment(network, demand)
    att_ptr, att_idx, att_val = attach.indptr, attach.indices, attach.data
    limit = float(threshold_m)

    rows_parts: list[np.ndarray] = []
    cols_parts: list[np.ndarray] = []
    vals_parts: list[np.ndarray] = []
    batch_size = max(1, int(batch_size))
    n_batches = (len(c_ok) + batch_size - 1) // batch_size
    for b in range(n_batches):
        lo, hi = b * batch_size, min(len(c_ok), (b + 1) * batch_size)
        if progress is not None and (b % 10 == 0):
            progress(f"coverage sets: candidates {lo + 1}-{len(c_ok)} of {len(c_ok)}")
        src = n + np.arange(lo, hi)
        dist = dijkstra(graph, directed=True, indices=src, limit=limit)[:, :n]
        r, node = np.nonzero(np.isfinite(dist))
        if len(r) == 0:
            continue
        dn = dist[r, node]
        del dist
        # Expand each reached node to the demand points attached to it.
        cnt = att_ptr[node + 1] - att_ptr[node]
        has = cnt > 0
        r, node, dn, cnt = r[has], node[has], dn[has], cnt[has]
        if len(r) == 0:
            continue
        rep_r = np.repeat(r, cnt)
        rep_d = np.repeat(dn, cnt)
        starts = np.repeat(att_ptr[node], cnt)
        offs = np.arange(len(rep_r)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        k = starts + offs
        total = rep_d + att_val[k]
        keep = total <= limit
        rows_parts.append(c_ok[lo + rep_r[keep]])
        cols_parts.append(att_idx[k[keep]])
        vals_parts.append(total[keep])

    sr, sd, sv = _same_edge_pairs(cand, c_ok, demand, limit)
    rows_parts.append(sr)
    cols_parts.append(sd)
    vals_parts.append(sv)
    rows = np.concatenate(rows_parts).astype(np.int64)
    cols = np.concatenate(cols_parts).astype(np.int64)
    vals = np.maximum(np.concatenate(vals_parts), EPS_M)
    return min_csr(rows, cols, vals, shape)
