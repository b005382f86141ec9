"""Hand-built walking networks and points for the tests (metric CRS EPSG:32651)."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from gisplan.network.graph import WalkNetwork

CRS = "EPSG:32651"


def network_from_segments(segments: list[tuple[int, int, tuple, tuple]]) -> WalkNetwork:
    """Network of straight segments ``(u, v, (x0, y0), (x1, y1))``; length = geometry length."""
    edges = gpd.GeoDataFrame(
        {"u": [s[0] for s in segments], "v": [s[1] for s in segments]},
        geometry=[shapely.LineString([s[2], s[3]]) for s in segments],
        crs=CRS,
    )
    edges["length"] = edges.length
    return WalkNetwork.from_edges(edges)


def points(xy: list[tuple[float, float]]) -> gpd.GeoSeries:
    """Points (metres, EPSG:32651)."""
    return gpd.GeoSeries(shapely.points(np.asarray(xy, dtype=float)), crs=CRS)


def random_network(rng: np.random.Generator, n: int, extra: int) -> WalkNetwork:
    """A connected random network of ``n`` nodes (spanning tree plus ``extra`` edges)."""
    xy = rng.uniform(0, 2000, size=(n, 2))
    pairs = set()
    # A random spanning tree keeps the graph connected, plus extra random edges.
    for i in range(1, n):
        pairs.add((int(rng.integers(0, i)), i))
    for _ in range(extra):
        a, b = rng.integers(0, n, size=2)
        if a != b:
            pairs.add((int(min(a, b)), int(max(a, b))))
    pairs = sorted(pairs)
    geoms = [shapely.LineString([xy[a], xy[b]]) for a, b in pairs]
    edges = gpd.GeoDataFrame(
        {"u": [p[0] for p in pairs], "v": [p[1] for p in pairs]}, geometry=geoms, crs=CRS
    )
    # Walking length may exceed straight-line length (curvy streets): scale up to 1.3x.
    edges["length"] = edges.length * rng.uniform(1.0, 1.3, size=len(edges))
    return WalkNetwork.from_edges(edges)


def split_graph_distances(net: WalkNetwork, src, tgt) -> np.ndarray:
    """Independent computation: split edges at every snapped point and run networkx."""
    g = nx.Graph()
    on_edge: dict[int, list[tuple[float, str]]] = {}
    for prefix, snap in (("s", src), ("t", tgt)):
        for k in np.flatnonzero(snap.ok):
            name = f"{prefix}{k}"
            on_edge.setdefault(int(snap.edge[k]), []).append((float(snap.along_m[k]), name))
            g.add_edge(name, f"{name}_on", weight=float(snap.offset_m[k]))
    for e in range(net.n_edges):
        u, v, length = int(net.edge_u[e]), int(net.edge_v[e]), float(net.edge_length[e])
        chain = (
            [(0.0, f"n{u}")]
            + sorted((a, f"{nm}_on") for a, nm in on_edge.get(e, []))
            + [(length, f"n{v}")]
        )
        for (a0, n0), (a1, n1) in zip(chain[:-1], chain[1:], strict=True):
            w = a1 - a0
            if g.has_edge(n0, n1):
                w = min(w, g[n0][n1]["weight"])
            g.add_edge(n0, n1, weight=w)
    sources = [f"s{k}" for k in np.flatnonzero(src.ok)]
    dist = nx.multi_source_dijkstra_path_length(g, sources, weight="weight") if sources else {}
    out = np.full(len(tgt), np.nan)
    for k in range(len(tgt)):
        if tgt.ok[k]:
            out[k] = dist.get(f"t{k}", np.inf)
    return out
