"""The walking network as compact arrays.

A :class:`WalkNetwork` holds an undirected walking graph in a metric CRS:

- node coordinates (metres) and the original node ids;
- one row per edge: end-node indices ``u``, ``v``, length (metres) and geometry (u -> v);
- a symmetric CSR adjacency matrix whose weights are the shortest edge length between two
  nodes (parallel edges collapse to the shortest), used by every shortest-path search.

Build it from an edges GeoDataFrame (:meth:`WalkNetwork.from_edges`); OpenStreetMap data
arrives as such a table from :mod:`gisplan.io.osm`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from gisplan.errors import InputError

__all__ = ["WalkNetwork", "EPS_M", "min_csr"]

#: Smallest stored distance (metres): zero-length edges and zero costs get this weight so that
#: sparse matrices keep them as entries.  The one epsilon of the engine.
EPS_M = 1e-9


@dataclass(eq=False)
class WalkNetwork:
    """An undirected walking network in a metric CRS (all lengths in metres).

    Attributes
    ----------
    crs : str
        Metric CRS of every coordinate, e.g. ``"EPSG:32651"``.
    node_ids : numpy.ndarray
        Original node id of each node index (int64).
    node_xy : numpy.ndarray, shape (n, 2)
        Node coordinates in ``crs`` (metres).
    edge_u, edge_v : numpy.ndarray of int
        Node indices at the start and end of each edge.
    edge_length : numpy.ndarray of float
        Edge lengths in metres (the walking distance along the edge).
    edge_geometry : numpy.ndarray of shapely.LineString
        Edge geometries oriented from ``edge_u`` to ``edge_v``.
    adjacency : scipy.sparse.csr_matrix
        Symmetric (n, n) matrix of edge lengths in metres.
    source : str
        Where the network comes from (``"synthetic"``, ``"osm"``, ...).
    """

    crs: str
    node_ids: np.ndarray
    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    edge_geometry: np.ndarray
    source: str = "unknown"
    adjacency: sp.csr_matrix = field(init=False, repr=False)
    _tree: shapely.STRtree | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.adjacency = _symmetric_csr(self.edge_u, self.edge_v, self.edge_length, self.n_nodes)

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_edges(
        cls,
        edges: gpd.GeoDataFrame,
        *,
        u: str = "u",
        v: str = "v",
        length: str | None = "length",
        nodes: gpd.GeoDataFrame | None = None,
        source: str = "unknown",
    ) -> WalkNetwork:
        """Build a network from an edges GeoDataFrame in a metric CRS.

        Parameters
        ----------
        edges : GeoDataFrame
            One LineString per edge with end-node id columns ``u`` and ``v``. Its CRS must be
            projected (metres). Geometries are oriented from ``u`` to ``v``; a geometry that
            runs the other way is reversed.
        length : str or None
            Column of edge lengths in metres; ``None`` uses the geometry length.
        nodes : GeoDataFrame, optional
            Node points indexed by node id (same CRS). Without it, node positions are taken
            from the edge end points, which must then be oriented ``u`` -> ``v``.
        source : str
            Provenance label stored on the network.
        """
        if edges.crs is None or not edges.crs.is_projected:
            raise InputError(
                "the network edges need a projected (metric) CRS",
                field="crs",
                hint="project the edges, e.g. edges.to_crs('EPSG:32651'), before building the network",
            )
        if len(edges) == 0:
            raise InputError(
                "the network has no edges",
                hint="check the walking-network filter or the input file",
            )
        for col in (u, v):
            if col not in edges.columns:
                raise InputError(
                    f"edges lack the column {col!r}", field=col, hint="give end-node ids u and v"
                )
        geom = edges.geometry.values
        if np.any(shapely.is_empty(geom)) or np.any(pd.isna(geom)):
            raise InputError("some network edges have no geometry", field="geometry")

        raw_u = edges[u].to_numpy()
        raw_v = edges[v].to_numpy()
        node_ids, inverse = np.unique(np.concatenate([raw_u, raw_v]), return_inverse=True)
        m = len(edges)
        eu = inverse[:m].astype(np.int64)
        ev = inverse[m:].astype(np.int64)
        lengths = (
            shapely.length(geom).astype(float)
            if length is None
            else edges[length].to_numpy(dtype=float)
        )
        if np.any(~np.isfinite(lengths)) or np.any(lengths < 0):
            raise InputError(
                "edge lengths must be finite and non-negative (metres)", field=length or "geometry"
            )

        # Node coordinates: from ``nodes`` when given, else from edge end points (u = start).
        geom = np.asarray(geom, dtype=object)
        start = shapely.get_point(geom, 0)
        end = shapely.get_point(geom, -1)
        sx, sy = shapely.get_x(start), shapely.get_y(start)
        node_xy = np.full((len(node_ids), 2), np.nan)
        if nodes is not None:
            missing = ~pd.Index(node_ids).isin(nodes.index)
            if missing.any():
                raise InputError(
                    f"{int(missing.sum())} edge end nodes are not in the nodes layer",
                    field="u/v",
                    hint="give a nodes layer indexed by the node ids used in u and v",
                )
            pts = nodes.geometry.reindex(node_ids).values
            node_xy[:, 0], node_xy[:, 1] = shapely.get_x(pts), shapely.get_y(pts)
            # Reverse geometries that run v -> u.
            du = np.hypot(sx - node_xy[eu, 0], sy - node_xy[eu, 1])
            dv = np.hypot(sx - node_xy[ev, 0], sy - node_xy[ev, 1])
            flip = dv < du
            if np.any(flip):
                geom = geom.copy()
                geom[flip] = shapely.reverse(geom[flip])
        else:
            node_xy[ev, 0], node_xy[ev, 1] = shapely.get_x(end), shapely.get_y(end)
            node_xy[eu, 0], node_xy[eu, 1] = sx, sy
        return cls(
            crs=edges.crs.to_string(),
            node_ids=node_ids.astype(np.int64) if node_ids.dtype.kind in "iu" else node_ids,
            node_xy=node_xy,
            edge_u=eu,
            edge_v=ev,
            edge_length=lengths,
            edge_geometry=geom,
            source=source,
        )

    # -- properties ------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(len(self.node_xy))

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return int(len(self.edge_length))

    @property
    def edge_tree(self) -> shapely.STRtree:
        """Spatial index over edge geometries (built once, lazily)."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.edge_geometry)
        return self._tree

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """Edges as a GeoDataFrame (``u``, ``v`` original node ids, ``length`` metres)."""
        return gpd.GeoDataFrame(
            {
                "u": self.node_ids[self.edge_u],
                "v": self.node_ids[self.edge_v],
                "length": self.edge_length,
            },
            geometry=self.edge_geometry,
            crs=self.crs,
        )

    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """Nodes as a GeoDataFrame indexed by original node id."""
        return gpd.GeoDataFrame(
            index=pd.Index(self.node_ids, name="node_id"),
            geometry=shapely.points(self.node_xy),
            crs=self.crs,
        )

    def to_networkx(self):
        """An undirected ``networkx.Graph`` on node indices with ``length`` (metres) weights.

        Parallel edges keep the shortest. Used for independent checks, not for analysis.
        """
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(self.n_nodes))
        coo = self.adjacency.tocoo()
        for i, j, w in zip(coo.row, coo.col, coo.data, strict=True):
            if i < j:
                g.add_edge(int(i), int(j), length=float(w))
        return g


def _symmetric_csr(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """Symmetric CSR matrix of the minimum weight between each node pair (self-loops dropped)."""
    keep = u != v
    rows = np.concatenate([u[keep], v[keep]])
    cols = np.concatenate([v[keep], u[keep]])
    data = np.maximum(np.concatenate([w[keep], w[keep]]), EPS_M)
    return min_csr(rows, cols, data, (n, n))


def min_csr(
    rows: np.ndarray, cols: np.ndarray, data: np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    """CSR matrix keeping the minimum of duplicate (row, col) entries (scipy would sum them)."""
    if len(rows) == 0:
        return sp.csr_matrix(shape, dtype=float)
    n_cols = shape[1]
    key = np.asarray(rows, dtype=np.int64) * n_cols + np.asarray(cols, dtype=np.int64)
    order = np.lexsort((data, key))
    key, data = key[order], np.asarray(data)[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, data = key[first], data[first]
    r = key // n_cols
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=shape[0]))])
    out = sp.csr_matrix((data, key % n_cols, indptr), shape=shape)
    out.has_sorted_indices = True
    return out
