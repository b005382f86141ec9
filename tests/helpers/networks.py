"""Hand-built walking networks and points for the tests (metric CRS EPSG:32651)."""

from __future__ import annotations

import geopandas as gpd
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
