"""Small hand-made cities for the siting tests (metric CRS EPSG:32651, near Ningbo)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gisplan.access.coverage import AccessModel
from gisplan.catalogue import default_standard
from gisplan.network.graph import WalkNetwork
from tests.helpers.networks import CRS

X0, Y0 = 362_000.0, 3_305_000.0
REQUIRED = ["convenience_store", "wet_market", "supermarket"]


def grid_network(
    nx: int = 9, ny: int = 9, block: float = 80.0, *, seed: int = 0, drop: float = 0.15
) -> WalkNetwork:
    """A jittered street grid with some streets missing (can be disconnected)."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    xy = np.stack([X0 + ii.ravel() * block, Y0 + jj.ravel() * block], axis=1)
    xy = xy + rng.uniform(-block * 0.2, block * 0.2, size=xy.shape)
    node = (ii * ny + jj).ravel()
    segs = []
    for i in range(nx):
        for j in range(ny):
            a = i * ny + j
            if i + 1 < nx:
                segs.append((a, (i + 1) * ny + j))
            if j + 1 < ny:
                segs.append((a, i * ny + j + 1))
    segs = [s for s in segs if rng.random() > drop]
    u = np.array([s[0] for s in segs])
    v = np.array([s[1] for s in segs])
    # Some streets bend (two-segment lines), so geometry length != straight distance.
    geoms = []
    for a, b in zip(u, v, strict=True):
        p, q = xy[node == a][0], xy[node == b][0]
        if rng.random() < 0.3:
            mid = (p + q) / 2 + rng.uniform(-10, 10, 2)
            geoms.append(shapely.LineString([p, mid, q]))
        else:
            geoms.append(shapely.LineString([p, q]))
    edges = gpd.GeoDataFrame({"u": u, "v": v}, geometry=geoms, crs=CRS)
    edges["length"] = edges.length
    return WalkNetwork.from_edges(edges, source="synthetic")


def random_points(
    network: WalkNetwork, n: int, rng: np.random.Generator, *, spread: float = 40.0
) -> gpd.GeoSeries:
    """Points near random network nodes (off-network by up to ``spread`` metres)."""
    k = rng.integers(0, network.n_nodes, n)
    xy = network.node_xy[k] + rng.uniform(-spread, spread, size=(n, 2))
    return gpd.GeoSeries(shapely.points(xy), crs=CRS)


def small_city(seed: int = 0, *, n_comm: int = 60, amen_counts: dict | None = None):
    """(network, communities, amenities, standard) of a small random city.

    Thresholds are shortened (3 / 4 / 6 minutes at 4 km/h = 200 / 267 / 400 m) so that the
    800 m wide grid has gaps to fill.
    """
    rng = np.random.default_rng(seed)
    net = grid_network(seed=seed)
    comm_pts = random_points(net, n_comm, rng)
    communities = gpd.GeoDataFrame(
        {
            "id": [f"C{i:03d}" for i in range(n_comm)],
            "name": [f"小区{i}" for i in range(n_comm)],
            "population": rng.integers(50, 3000, n_comm),
            "source": "synthetic",
        },
        geometry=comm_pts.values,
        crs=CRS,
    )
    amen_counts = amen_counts or {"convenience_store": 4, "wet_market": 2, "supermarket": 2}
    rows, geoms = [], []
    for cat, cnt in amen_counts.items():
        pts = random_points(net, cnt, rng)
        for p in pts.values:
            rows.append(
                {"id": f"A{len(rows):03d}", "name": cat, "category": cat, "source": "synthetic"}
            )
            geoms.append(p)
    amenities = gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)
    standard = default_standard().with_overrides(
        thresholds={"convenience_store": 3, "wet_market": 4, "supermarket": 6}
    )
    return net, communities, amenities, standard


def build_model(net, communities, amenities, standard) -> AccessModel:
    return AccessModel.build(
        net,
        communities,
        amenities,
        categories=standard.ids,
        max_snap_distance_m=standard.max_snap_distance_m,
    )


def street_model(
    communities: list[tuple[str, str, float, int]],
    amenities: list[tuple[str, str, str, float]],
    candidates_x: list[float],
    standard,
    *,
    length_m: float = 3000.0,
):
    """A straight street along y = Y0 from x = 0 to ``length_m`` (100 m edges, EPSG:32651).

    ``communities`` are ``(id, name, x, population)`` 5 m off the street, ``amenities``
    ``(id, name, category, x)`` 5 m off it and the candidates lie on it at ``candidates_x``
    (ids ``K<x>``); distances are hand-computable (x differences plus the 5 m legs).
    Returns ``(model, candidates)``.
    """
    from gisplan.siting import candidates_from_points

    xs = np.arange(0, length_m + 1, 100, dtype=float)
    edges = gpd.GeoDataFrame(
        {"u": np.arange(len(xs) - 1), "v": np.arange(1, len(xs))},
        geometry=[
            shapely.LineString([(X0 + a, Y0), (X0 + b, Y0)])
            for a, b in zip(xs[:-1], xs[1:], strict=True)
        ],
        crs=CRS,
    )
    edges["length"] = edges.length
    net = WalkNetwork.from_edges(edges, source="synthetic")

    def off_street(xs, **columns) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {**columns, "source": "synthetic"},
            geometry=[shapely.Point(X0 + x, Y0 + 5) for x in xs],
            crs=CRS,
        )

    comm = off_street(
        [c[2] for c in communities],
        id=[c[0] for c in communities],
        name=[c[1] for c in communities],
        population=[c[3] for c in communities],
    )
    amen = off_street(
        [a[3] for a in amenities],
        id=[a[0] for a in amenities],
        name=[a[1] for a in amenities],
        category=[a[2] for a in amenities],
    )
    model = AccessModel.build(net, comm, amen, categories=standard.ids)
    cands = candidates_from_points(
        net,
        gpd.GeoDataFrame(
            {"id": [f"K{x}" for x in candidates_x]},
            geometry=[shapely.Point(X0 + x, Y0) for x in candidates_x],
            crs=CRS,
        ),
    )
    return model, cands
