"""Benchmark of siting (maximal covering) on a synthetic city network. Prints figures.

1. Large instance: k = 50 sites from 10,000 candidates for 50,000 demand points (communities
   of :func:`gisplan.synthetic.generate_grid_city`, all treated as unserved): time to build the
   sparse coverage incidence, greedy time, peak memory (tracemalloc per stage and the
   process's maximum resident set size). Targets: greedy < 10 s, < 2 GB.
2. Exact instance, in the same run: a window of about 3,000 demand points and 600 candidates,
   k = 20: our greedy and our HiGHS MILP (objectives, gap, times) next to spopt's MCLP
   (``MCLP.from_cost_matrix``) solved with PuLP's HiGHS and CBC on the same coverage.
   Target: greedy >= 99.5 % of the exact optimum.
3. What-if on the embedded demonstration data: time per call (target < 0.3 s).
4. With ``--city DATASET``: the siting page's work on a whole-city prepared dataset (e.g.
   ``/tmp/gisplan-bench/city.gpkg`` from ``bench_prepare.py --keep``): the access model read
   from the disk cache (as the app does), then for one category and k = 10 what the page runs
   on "run siting" — :func:`~gisplan.siting.make_candidates` (grid at the page's default
   spacing, and commercial streets) and :func:`~gisplan.siting.plan_sites` (greedy with its
   improvement) — with time and peak memory per stage, and the same steps on the embedded
   demonstration data in the same process as the baseline (ratio).

    python benchmarks/bench_siting.py            # full size
    python benchmarks/bench_siting.py --small    # quick run
    python benchmarks/bench_siting.py --city out/city.gpkg [--cache DIR] [--category supermarket]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from measure import Stage, maxrss_mb  # benchmarks/measure.py, beside this script

from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import snap_points
from gisplan.siting import coverage_incidence, greedy_max_cover, grid_candidates, solve_mclp
from gisplan.siting.greedy import multistart_improve


def covered(a: sp.csr_matrix, w: np.ndarray, chosen) -> float:
    hit = np.zeros(a.shape[1], dtype=bool)
    for j in chosen:
        hit[a.indices[a.indptr[j] : a.indptr[j + 1]]] = True
    return float(w[hit].sum())


def large_instance(n_nodes: int, n_demand: int, n_cand: int, k: int, threshold_m: float, seed: int):
    from gisplan.synthetic import generate_grid_city

    t0 = time.perf_counter()
    city = generate_grid_city(
        n_nodes, seed=seed, n_communities=n_demand, n_amenities_per_category=1
    )
    net = WalkNetwork.from_edges(city.edges, nodes=city.nodes, source="synthetic")
    print(
        f"  synthetic city (not a stage): {net.n_nodes:,} nodes, {net.n_edges:,} edges, "
        f"{len(city.communities):,} demand points, {time.perf_counter() - t0:.1f} s"
    )
    rng = np.random.default_rng(seed)
    with Stage("snap demand points"):
        demand = snap_points(net, city.communities)
    with Stage("candidates (grid over the network)"):
        ext = np.ptp(net.node_xy, axis=0)
        spacing = float(np.sqrt(ext[0] * ext[1] / (n_cand * 1.15)))
        cands = grid_candidates(net, spacing_m=spacing)
        if len(cands) > n_cand:
            cands = cands.subset(np.sort(rng.choice(len(cands), n_cand, replace=False)))
    print(
        f"  {len(cands):,} candidates (grid spacing {spacing:.0f} m), threshold {threshold_m:.0f} m"
    )
    with Stage("coverage incidence (bounded Dijkstra)") as st:
        inc = coverage_incidence(net, cands.snap, demand, threshold_m)
    t_inc = st.seconds
    print(
        f"  incidence: {inc.nnz:,} pairs, {inc.nnz / max(1, inc.shape[0]):.0f} demand points per "
        f"candidate, {(inc.data.nbytes + inc.indices.nbytes + inc.indptr.nbytes) / 2**20:.1f} MB"
    )
    w = city.communities["population"].to_numpy(dtype=float)
    with Stage(f"greedy k={k} (lazy)") as st:
        g = greedy_max_cover(inc, w, k)
    print(
        f"  greedy objective {g.objective:,.0f} of {w.sum():,.0f} people; "
        f"{g.evaluations:,} gain evaluations (plain greedy: {k * len(cands):,})"
    )
    with Stage("multi-start + 1-swap search after the greedy"):
        better, swaps = multistart_improve(inc, w, g.chosen)
    print(
        f"  greedy + multi-start/swaps objective {covered(inc, w, better):,.0f} ({swaps} improving restarts)"
    )
    print(f"  max resident set size so far: {maxrss_mb():,.0f} MB")
    return net, cands, demand, inc, w, t_inc, st.seconds


def exact_instance(
    net, cands, demand, inc, w, n_demand: int, n_cand: int, k: int, time_limit: float
):
    """A square window with about ``n_demand`` demand points and ``n_cand`` candidates."""
    dxy, cxy = demand.snapped_xy, cands.snap.snapped_xy
    centre = np.nanmedian(net.node_xy, axis=0)
    ok = demand.ok
    dist_d = np.max(np.abs(dxy - centre), axis=1)
    half = np.sort(dist_d[ok])[min(n_demand, ok.sum()) - 1]
    d_idx = np.flatnonzero(ok & (dist_d <= half))
    c_in = np.flatnonzero(np.max(np.abs(cxy - centre), axis=1) <= half)
    rng = np.random.default_rng(3)
    c_idx = np.sort(rng.choice(c_in, min(n_cand, len(c_in)), replace=False))
    a = inc[c_idx][:, d_idx].tocsr()
    ww = w[d_idx]
    print(
        f"  window {2 * half:.0f} m square: {len(d_idx):,} demand points, {len(c_idx):,} candidates, "
        f"k={k}, {a.nnz:,} coverage pairs"
    )
    g = greedy_max_cover(a, ww, k)
    print(f"  ours   greedy            objective {g.objective:12,.0f}   {g.time_s:8.3f} s")
    t0 = time.perf_counter()
    better, swaps = multistart_improve(a, ww, g.chosen)
    t_ls = time.perf_counter() - t0
    g_ls = covered(a, ww, better)
    print(
        f"  ours   greedy + restarts objective {g_ls:12,.0f}   {g.time_s + t_ls:8.3f} s  ({swaps} improving restarts)"
    )
    e = solve_mclp(a, ww, k, time_limit_s=time_limit)
    print(
        f"  ours   exact (highspy)   objective {e.objective:12,.0f}   {e.time_s:8.3f} s  "
        f"[{e.status}, MIP gap {e.mip_gap:.2e}, reduced to {e.n_candidates} x {e.n_demand}]"
    )
    e_warm = solve_mclp(a, ww, k, time_limit_s=time_limit, initial=g.chosen)
    print(
        f"  ours   exact, greedy start objective {e_warm.objective:12,.0f}   {e_warm.time_s:8.3f} s"
    )
    ratio = g.objective / e.objective if e.objective else 1.0
    ratio_ls = g_ls / e.objective if e.objective else 1.0
    print(
        f"  plain greedy / exact = {ratio:.4%}; greedy + restarts/swaps / exact = {ratio_ls:.4%} (target >= 99.5 %)"
    )
    spopt_runs(
        a,
        ww,
        k,
        threshold=float(a.data.max()) if a.nnz else 1.0,
        time_limit=time_limit,
        ours=e.objective,
    )
    return g, e


def spopt_runs(
    a: sp.csr_matrix, w: np.ndarray, k: int, *, threshold: float, time_limit: float, ours: float
):
    import pulp
    from spopt.locate import MCLP

    # spopt takes a dense (demand x facility) cost matrix; uncovered pairs get 2 x threshold.
    cost = np.full((a.shape[1], a.shape[0]), 2 * threshold + 1.0)
    coo = a.tocoo()
    cost[coo.col, coo.row] = coo.data
    for label, solver in (
        ("HiGHS", pulp.HiGHS(msg=False, timeLimit=time_limit)),
        ("CBC", pulp.PULP_CBC_CMD(msg=False, timeLimit=int(time_limit))),
    ):
        t0 = time.perf_counter()
        try:
            model = MCLP.from_cost_matrix(cost, w, service_radius=threshold, p_facilities=k)
            t_build = time.perf_counter() - t0
            model = model.solve(solver, results=False)
            chosen = [
                j for j, v in enumerate(model.fac_vars) if v.value() is not None and v.value() > 0.5
            ]
            hit = np.zeros(a.shape[1], dtype=bool)
            for j in chosen:
                hit[a.indices[a.indptr[j] : a.indptr[j + 1]]] = True
            obj = float(w[hit].sum())
            dt = time.perf_counter() - t0
            print(
                f"  spopt  MCLP + PuLP {label:<6} objective {obj:12,.0f}   {dt:8.3f} s  "
                f"(model build {t_build:.3f} s; status {pulp.LpStatus[model.problem.status]}; "
                f"{'same' if abs(obj - ours) < 1e-6 else 'DIFFERENT'} optimum as ours)"
            )
        except Exception as exc:  # noqa: BLE001 - report and continue the benchmark
            print(f"  spopt  MCLP + PuLP {label}: failed: {exc}")


def what_if_timing(n_calls: int) -> None:
    from gisplan.analysis import build_access, demo_dataset
    from gisplan.catalogue import default_standard
    from gisplan.siting import what_if

    ds = demo_dataset()
    std = default_standard()
    model = build_access(ds, std)
    rng = np.random.default_rng(0)
    pts = ds.communities.geometry.iloc[rng.choice(len(ds.communities), n_calls, replace=False)]
    times = {}
    for cat in std.required_ids:
        what_if(model, std, cat, pts.iloc[0].x, pts.iloc[0].y)  # warm-up
        ts = []
        for p in pts:
            t0 = time.perf_counter()
            what_if(model, std, cat, p.x + 0.0005, p.y)
            ts.append(time.perf_counter() - t0)
        times[cat] = ts
    print(
        f"  demo data: {ds.network.n_nodes:,} nodes, {len(ds.communities)} communities; "
        f"{n_calls} clicks per category (with service-area polygon)"
    )
    for cat, ts in times.items():
        print(
            f"  what-if {cat:<18} median {np.median(ts) * 1000:6.1f} ms   max {np.max(ts) * 1000:6.1f} ms  (target < 300 ms)"
        )


def _page_siting(model, standard, category: str, k: int, source: str, spacing: float, synthetic):
    """What the siting page runs on "run siting": candidates, then greedy (+ improvement)."""
    from gisplan.siting import make_candidates, plan_sites

    with Stage(f"candidates ({source}, {spacing:g} m)") as st_c:
        cands = make_candidates(model, source, spacing_m=spacing)
    with Stage(f"plan_sites greedy k={k} ({len(cands):,} candidates)") as st_p:
        res = plan_sites(model, standard, category, k, cands, synthetic=synthetic)
    return st_c, st_p, res


def city_siting(dataset: str, cache: str | None, category: str, k: int) -> None:
    """Siting at city scale (the siting page's work), against the demo data in the same process."""
    import os

    from gisplan.analysis import build_access, demo_dataset
    from gisplan.catalogue import default_standard
    from gisplan.dataset import open_dataset, read_metadata
    from gisplan.dataset.model_cache import cached_access
    from gisplan.siting.candidates import DEFAULT_SPACING_M

    if cache:
        os.environ["GISPLAN_CACHE_DIR"] = cache
    print(f"load average at start: {os.getloadavg()} (2 cores, shared machine)")
    std = default_standard()
    with Stage("access model (disk cache, as the app opens it)"):
        ds, model, timings = cached_access(
            read_metadata(dataset)["content_hash"], lambda: open_dataset(dataset), std
        )
    print(
        f"  {ds.name}: {model.network.n_nodes:,} nodes, {len(model.communities):,} communities, "
        f"{len(model.amenities):,} amenities ({'cache hit' if timings.get('hit') else 'built'})"
    )
    with Stage("edge geometries (first use, for candidates)"):
        model.network.edge_geometry  # noqa: B018 - built on first use (model_cache)
    demo = demo_dataset()
    demo_model = build_access(demo, std)
    rows = []
    for source in ("grid", "commercial"):
        spacing = float(DEFAULT_SPACING_M[source])
        print(f"-- {source} candidates, {category}, k={k}: demo data (baseline) --")
        d_c, d_p, _ = _page_siting(demo_model, std, category, k, source, spacing, True)
        print(f"-- {source} candidates, {category}, k={k}: whole city --")
        c_c, c_p, res = _page_siting(model, std, category, k, source, spacing, ds.synthetic)
        s = res.summary()
        print(
            f"  chosen {s['sites_chosen']} sites; newly served {s['greedy_objective']} people "
            f"({s['demand_in_play']:,} demand points in play)"
        )
        rows.append((source, c_c, c_p, d_c, d_p))
    print("  source       candidates    greedy     total   (ratio city/demo)   peak heap")
    for source, c_c, c_p, d_c, d_p in rows:
        total, base = c_c.seconds + c_p.seconds, d_c.seconds + d_p.seconds
        print(
            f"  {source:<11} {c_c.seconds:9.2f} s {c_p.seconds:8.2f} s {total:8.2f} s"
            f"   ({total / base:6.1f}x)   {max(c_c.peak_mb, c_p.peak_mb):8.0f} MB"
        )
    print(f"max RSS {maxrss_mb():,.0f} MB; load average at end: {os.getloadavg()}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--small", action="store_true", help="quick run (about a tenth of the size)")
    ap.add_argument(
        "--minutes", type=float, default=10.0, help="walking threshold in minutes (default 10)"
    )
    ap.add_argument("--speed", type=float, default=4.0, help="walking speed km/h (default 4)")
    ap.add_argument("--time-limit", type=float, default=300.0, help="exact solver time limit (s)")
    ap.add_argument("--city", default=None, help="a prepared whole-city dataset (.gpkg)")
    ap.add_argument("--cache", default=None, help="model cache folder for --city")
    ap.add_argument("--category", default="supermarket", help="category for --city")
    ap.add_argument("--k", type=int, default=10, help="new sites for --city (default 10)")
    args = ap.parse_args()
    if args.city:
        city_siting(args.city, args.cache, args.category, args.k)
        return
    threshold_m = args.minutes * args.speed * 1000 / 60
    if args.small:
        sizes = dict(n_nodes=6_000, n_demand=5_000, n_cand=1_000, k=20)
        exact_sizes = dict(n_demand=1_000, n_cand=200, k=10)
    else:
        sizes = dict(n_nodes=60_000, n_demand=50_000, n_cand=10_000, k=50)
        exact_sizes = dict(n_demand=3_000, n_cand=600, k=20)
    print(f"== large instance ({'small run' if args.small else 'full size'}) ==")
    t_all = time.perf_counter()
    net, cands, demand, inc, w, t_inc, t_greedy = large_instance(
        sizes["n_nodes"], sizes["n_demand"], sizes["n_cand"], sizes["k"], threshold_m, seed=1
    )
    print(
        f"  => incidence {t_inc:.2f} s + greedy {t_greedy:.2f} s = {t_inc + t_greedy:.2f} s "
        f"(target greedy < 10 s); max RSS {maxrss_mb():,.0f} MB (target < 2,048 MB)"
    )
    print("== exact instance ==")
    exact_instance(net, cands, demand, inc, w, time_limit=args.time_limit, **exact_sizes)
    print("== what-if ==")
    what_if_timing(10 if args.small else 30)
    print(f"total {time.perf_counter() - t_all:.1f} s, max RSS {maxrss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
