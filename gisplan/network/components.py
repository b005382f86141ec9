"""Connected components of a graph given as edge arrays (no gisplan types; numpy/scipy only).

The one "largest connected component" rule, used wherever a walking graph is assembled: the
OpenStreetMap reader (:mod:`gisplan.io.osm.network`), the synthetic generators
(:mod:`gisplan.synthetic.streets`) and dataset clipping (:mod:`gisplan.dataset.prepare`).
Edge directions are ignored (walking).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["largest_component"]


def largest_component(n_nodes: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Boolean mask of the nodes (``0 .. n_nodes - 1``) in the largest connected component.

    ``u``, ``v`` are the end nodes (positions) of each edge.  Ties go to the component whose
    first node comes first.  An edge is in the component when its ``u`` end is.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    graph = coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(graph, directed=False)
    return labels == int(np.argmax(np.bincount(labels)))
