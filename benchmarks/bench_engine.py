"""Benchmark of the coverage engine on a synthetic city-scale network.

Prints time and peak memory per stage (build, snap, walking times, coverage, service areas)
on a network of at least 250,000 nodes with 10+ categories and 20,000 communities, then, in
the same process, the naive approach (one networkx isochrone per facility) against our
multi-source search on a smaller network, with the ratio.

    python benchmarks/bench_engine.py            # full size
    python benchmarks/bench_engine.py --small    # quick run (~30,000 nodes)

Targets (issue 2): walking times + coverage for all categories < 5 s once the network is
built; whole analysis < 2 GB peak memory; >= 50x faster than the naive approach.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np
import shapely
from measure import Stage, maxrss_mb  # benchmarks/measure.py, beside this script

from gisplan.access.coverage import AccessModel
from gisplan.access.service_area import service_area
from gisplan.access.walking import nearest_source_distances, node_distances
from gisplan.catalogue import default_standard
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import snap_points
from gisplan.synthetic import generate_grid_city


def run_ours(city, standard, *, service_areas: bool = True) -> tuple[AccessModel, dict]:
    with Stage("build network (CSR)") as s_build:
        net = WalkNetwork.from_edges(city.edges, nodes=city.nodes, source="synthetic")
    with Stage("snap communities + amenities"):
        snap_all = snap_points(net, city.communities, max_distance_m=standard.max_snap_distance_m)
    del snap_all
    with Stage("snap + walking times, all categories") as s_walk:
        model = AccessModel.build(
            net,
            city.communities,
            city.amenities,
            categories=standard.ids,
            max_snap_distance_m=standard.max_snap_distance_m,
        )
    with Stage("coverage (all categories)") as s_cov:
        result = model.coverage(standard)
    if service_areas:
        with Stage("service areas (3 required categories)"):
            for cat in standard.required_ids:
                t0 = time.perf_counter()
                area = service_area(
                    net,
                    model.amenity_snap[cat],
                    standard.threshold_metres(cat),
                    node_dist_m=model.node_dist_m[cat],
                )
                print(
                    f"    {cat:<20} {time.perf_counter() - t0:6.2f} s  "
                    f"{shapely.get_num_coordinates(area.iloc[0]):,} vertices",
                    flush=True,
                )
    return model, {
        "build_s": s_build.seconds,
        "walk_s": s_walk.seconds,
        "walk_only_s": model.timings_s["walking"],
        "coverage_s": s_cov.seconds,
        "complete": result.communities_complete,
    }


def naive_isochrones(
    g: nx.Graph, net: WalkNetwork, sources, comm_xy: np.ndarray, budget_m: float
) -> np.ndarray:
    """The naive method, as in osmnx's isochrone example: per facility, the ego graph within
    ``budget_m`` of its nearest node, its convex hull, and a point-in-polygon test.

    Returns a boolean array: community covered by any facility's isochrone.
    """
    covered = np.zeros(len(comm_xy), dtype=bool)
    for k in np.flatnonzero(sources.ok):
        e = sources.edge[k]
        node = int(net.edge_u[e] if sources.along_m[k] <= net.edge_length[e] / 2 else net.edge_v[e])
        sub = nx.ego_graph(g, node, radius=budget_m, distance="length")
        hull = shapely.MultiPoint(net.node_xy[list(sub.nodes)]).convex_hull.buffer(40.0)
        covered |= shapely.contains_xy(hull, comm_xy[:, 0], comm_xy[:, 1])
    return covered


def compare_naive(standard, nodes: int) -> None:
    city = generate_grid_city(
        nodes, seed=7, n_communities=5000, n_amenities_per_category=max(100, nodes // 60)
    )
    net = WalkNetwork.from_edges(city.edges, nodes=city.nodes)
    comm = snap_points(net, city.communities)
    comm_xy = shapely.get_coordinates(city.communities.to_crs(net.crs).geometry.values)
    ids = city.amenities["category"].to_numpy()
    cats = standard.ids
    sources = {c: snap_points(net, city.amenities[ids == c]) for c in cats}
    g = net.to_networkx()  # built once, outside the timing
    t0 = time.perf_counter()
    ours_cov = {}
    for c in cats:
        d = nearest_source_distances(
            net, sources[c], comm, node_dist=node_distances(net, sources[c])
        )
        ours_cov[c] = d <= standard.threshold_metres(c)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive_cov = {
        c: naive_isochrones(g, net, sources[c], comm_xy, standard.threshold_metres(c)) for c in cats
    }
    naive = time.perf_counter() - t0
    disagree = np.mean([np.mean(ours_cov[c] != naive_cov[c]) for c in cats])
    print(
        f"\nNaive comparison on {net.n_nodes:,} nodes, {len(comm):,} communities, "
        f"{len(city.amenities):,} facilities, {len(cats)} categories (same inputs, snapping done before timing):"
    )
    print(f"  ours (one multi-source search per category)          {ours:8.2f} s")
    print(f"  naive (networkx ego-graph isochrone per facility)    {naive:8.2f} s")
    print(f"  ratio naive / ours                                   {naive / ours:8.1f}x")
    print(f"  communities classified differently by the hull isochrones: {disagree * 100:.1f}%")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--small", action="store_true", help="quick run on a smaller network")
    ap.add_argument("--nodes", type=int, default=None)
    args = ap.parse_args()
    n_nodes = args.nodes or (30_000 if args.small else 260_000)
    n_comm = 5_000 if args.small else 20_000
    standard = default_standard()
    print(
        f"gisplan engine benchmark: ~{n_nodes:,} nodes, {n_comm:,} communities, {len(standard.ids)} categories"
    )
    t0 = time.perf_counter()
    city = generate_grid_city(
        n_nodes, seed=1, n_communities=n_comm, n_amenities_per_category=max(200, n_nodes // 400)
    )
    print(f"  generate synthetic city (not timed as a stage)  {time.perf_counter() - t0:8.2f} s")
    print(
        f"  network: {len(city.nodes):,} nodes, {len(city.edges):,} edges; amenities {len(city.amenities):,}"
    )
    model, figures = run_ours(city, standard)
    print(
        f"\nWalking times + coverage, all {len(standard.ids)} categories, network built: "
        f"{figures['walk_s'] + figures['coverage_s']:.2f} s (target < 5 s; "
        f"searches alone {figures['walk_only_s']:.2f} s)"
    )
    print(f"Communities meeting the standard: {figures['complete']:,} of {n_comm:,}")
    print(f"Peak resident memory so far (maxrss): {maxrss_mb():,.0f} MB (target < 2048 MB)")
    compare_naive(standard, 20_000 if not args.small else 8_000)
    print(f"\nPeak resident memory of the whole run (maxrss): {maxrss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
