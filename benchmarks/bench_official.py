"""Benchmark of the district official's tools at whole-city scale. Prints figures.

On the perturbed-grid city of :func:`gisplan.synthetic.generate_grid_city` (default 500,000
nodes, about 70 km across, centred on Ningbo; synthetic), or on a prepared whole-city dataset
(``--data city.gpkg``, opened read-only, e.g. the one ``bench_prepare.py --keep`` writes):

0. **Candidates within the county**: grid candidates every ``--spacing`` metres inside
   海曙区, generated in the area's window only (``make_candidates(..., area=)``), against the
   baseline in the same process — the grid over the whole network, then clipped to the area
   (how it was done before). The two must be identical (ids, joins, positions).
1. **Joint plan within a county**: 5 new sites — 2 wet markets and 3 supermarkets — chosen
   jointly to complete the most circles (residents), among those candidates. Stages:
   coverage sets (bounded searches), greedy (+ swap search), exact MILP (HiGHS) with the gap;
   then the same with the population objective. Target: greedy < 10 s.
2. **Closure of one amenity**: a wet market in the county closes. Stages: the catchment
   index (once per model and category), the closure itself (bounded re-search over the
   closed market's catchment), and — the baseline — a full recomputation of the category's
   distances without it; the two must agree for every community. Target: closure < 1 s.

Per stage: wall time and Python-heap peak (tracemalloc, numpy included); at the end the
process's peak resident set. The machine is shared: figures are upper bounds under load;
the ratio closure / full recomputation is measured in the same process.

    python benchmarks/bench_official.py                        # 500k nodes
    python benchmarks/bench_official.py --small                # 60k nodes, quick
    python benchmarks/bench_official.py --data out/city.gpkg   # a prepared dataset
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from measure import Stage, maxrss_mb  # benchmarks/measure.py, beside this script

from gisplan.access.coverage import AccessModel
from gisplan.access.walking import nearest_source_distances, node_distances
from gisplan.catalogue import default_standard
from gisplan.network.graph import WalkNetwork
from gisplan.siting import make_candidates
from gisplan.siting.area import resolve_area
from gisplan.siting.candidates import Candidates, candidates_within
from gisplan.siting.closure import catchment_index, close_amenities
from gisplan.siting.effect import effect_of
from gisplan.siting.joint import plan_joint


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="60k nodes instead of 500k")
    ap.add_argument("--nodes", type=int, default=None, help="network nodes (default 500,000)")
    ap.add_argument("--spacing", type=float, default=250.0, help="candidate spacing, metres")
    ap.add_argument("--county", default="海曙区", help="planning area (county name)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--data", default=None, help="prepared dataset (.gpkg, read-only) instead of a grid city"
    )
    args = ap.parse_args()
    std = default_standard()
    req = std.required_ids
    t0 = time.perf_counter()
    if args.data:
        from gisplan.analysis import dataset_barriers
        from gisplan.dataset import open_dataset

        ds = open_dataset(args.data, verify_hash=False)
        net, communities, amenities, barriers = (
            ds.network,
            ds.communities,
            ds.amenities,
            dataset_barriers(ds),
        )
        what = f"dataset {ds.label}" + (" (synthetic)" if ds.synthetic else "")
    else:
        from gisplan.synthetic import generate_grid_city

        n_nodes = args.nodes or (60_000 if args.small else 500_000)
        city = generate_grid_city(
            n_nodes,
            seed=args.seed,
            n_communities=max(800, n_nodes // 50),
            n_amenities_per_category=max(60, n_nodes // 400),
        )
        net = WalkNetwork.from_edges(city.edges, nodes=city.nodes, source="synthetic")
        communities, amenities, barriers = city.communities, city.amenities, None
        what = f"{n_nodes:,}-node grid city (synthetic)"
    amenities = amenities[amenities["category"].isin(req)]
    print(f"bench_official: {what}, county {args.county}")
    print(
        f"  data (not a stage): {net.n_nodes:,} nodes, {net.n_edges:,} edges, "
        f"{len(communities):,} communities, {len(amenities):,} amenities of the 3 required "
        f"categories, {time.perf_counter() - t0:.1f} s"
    )
    with Stage("access model (3 required categories)"):
        model = AccessModel.build(
            net,
            communities,
            amenities,
            categories=req,
            max_snap_distance_m=std.max_snap_distance_m,
            barriers=barriers,
        )
    before = effect_of(model, std, {}).figures()
    print(
        f"  complete circles before: {before['complete_circles_before']:,} of "
        f"{before['communities']:,} communities"
    )

    # -- 0. candidates within the county -------------------------------------------------------
    print(f"\n0. grid candidates every {args.spacing:g} m within the county")
    area = resolve_area(args.county)
    with Stage("baseline: whole-network grid, then clip") as base:
        whole = make_candidates(model, "grid", spacing_m=args.spacing)
        clipped = candidates_within(whole, area)
    with Stage("area window only (make_candidates area=)") as now:
        cands = make_candidates(model, "grid", spacing_m=args.spacing, area=area)
    same = _same_candidates(cands, clipped)
    n_in = int(area.contains(model.communities).sum())
    print(
        f"  {len(cands):,} candidates inside (of {len(whole):,} over the network), "
        f"{n_in:,} communities inside; identical to the baseline: {same}; "
        f"time ratio window / baseline {now.seconds / base.seconds:.3f}"
    )
    if not same:
        raise SystemExit("candidates in the area's window differ from the clipped baseline")

    # -- 1. joint plan within the county -------------------------------------------------------
    print("\n1. joint plan: wet_market=2, supermarket=3 within the county")
    plan = {"wet_market": 2, "supermarket": 3}
    for objective in ("complete", "population"):
        with Stage(f"plan_joint ({objective}, greedy + exact)"):
            res = plan_joint(
                model, std, plan, cands, objective=objective, exact=True, area=area, time_limit_s=60
            )
        s = res.summary()
        t = s["timings_s"]
        print(
            f"  coverage sets {t['incidence']:.2f} s; greedy (+swaps) {t['greedy']:.3f} s; "
            f"exact {t.get('exact', float('nan')):.2f} s ({s['exact_status']}, model "
            f"{s['exact_model_size']['rows']:,} rows x {s['exact_model_size']['groups']:,} groups)"
        )
        print(
            f"  objective ({'residents completing' if objective == 'complete' else 'people served'}): "
            f"greedy {s['greedy_objective']:,} (plain {s['greedy_plain_objective']:,}), exact "
            f"{s['exact_objective']:,}, gap {s['gap']:.2%}"
        )
        a = s["area"]["area"]
        print(
            f"  in the county: complete circles {a['complete_circles_before']} -> "
            f"{a['complete_circles_after']}; sites {list(zip(res.sites['category'], res.sites['id'], strict=True))}"
        )

    # -- 2. closure of one amenity -------------------------------------------------------------
    print("\n2. closure of one wet market (5 markets in the county, one at a time)")
    markets = model.amenities[model.amenities["category"] == "wet_market"]
    inside = markets[area.contains(markets)]
    pool = (inside if len(inside) >= 5 else markets)["id"].astype(str).to_numpy()[:5]
    with Stage("catchment index (once per model and category)"):
        catchment_index(model, "wet_market")
    with Stage("first closure, traced (tracemalloc slows Python)"):
        close_amenities(model, std, [pool[0]], area=area)
    snap = model.amenity_snap["wet_market"]
    t_close, t_full, all_same = [], [], True
    for closed in pool:  # timed without tracemalloc
        t1 = time.perf_counter()
        res = close_amenities(model, std, [closed], area=area)
        t_close.append(time.perf_counter() - t1)
        keep = snap.ids != closed
        t1 = time.perf_counter()
        nd = node_distances(net, snap.subset(keep))
        full = nearest_source_distances(net, snap.subset(keep), model.community_snap, node_dist=nd)
        t_full.append(time.perf_counter() - t1)
        got = res.effect.table["minutes_wet_market_after"].to_numpy() * std.metres_per_minute
        same = np.allclose(
            np.nan_to_num(got, nan=-1, posinf=1e300),
            np.nan_to_num(full, nan=-1, posinf=1e300),
            rtol=0,
            atol=1e-6,
        )
        all_same &= bool(same)
        s = res.summary()
        print(
            f"  {closed}: closure {t_close[-1]:.3f} s, full recomputation {t_full[-1]:.3f} s; "
            f"{s['communities_losing']} communities / {s['people_losing']:,} people lose their "
            f"market, {len(res.affected)} walk longer; circles {s['complete_circles_before']} -> "
            f"{s['complete_circles_after']}; equal to full: {same}"
        )
    print(
        f"  closure median {np.median(t_close):.3f} s (max {max(t_close):.3f} s); full "
        f"recomputation median {np.median(t_full):.3f} s; ratio {np.median(t_close) / np.median(t_full):.3f}"
    )
    print(f"\npeak resident set (whole process): {maxrss_mb():,.0f} MB")
    if not all_same:
        raise SystemExit("closure differs from the full recomputation")


def _same_candidates(a: Candidates, b: Candidates) -> bool:
    """Same ids, joins and positions."""
    return (
        list(a.points["id"]) == list(b.points["id"])
        and np.array_equal(a.snap.edge, b.snap.edge)
        and np.array_equal(a.snap.along_m, b.snap.along_m)
        and np.array_equal(a.snap.snapped_xy, b.snap.snapped_xy)
    )


if __name__ == "__main__":
    main()
