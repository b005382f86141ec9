"""``gisplan site``: choose k new sites of one category (maximal covering location)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable
from typing import Any

from gisplan.commands import (
    add_dataset_options,
    add_login_options,
    add_output_options,
    add_save_options,
    add_standard_options,
    area_from_args,
    dataset_from_args,
    login_from_args,
    progress_printer,
    run_summary,
    save_scenario,
    standard_from_args,
)
from gisplan.errors import InputError
from gisplan.params import SITES_K, SPACING_M, TIME_LIMIT_S


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``gisplan site`` and its options to the CLI's sub-parsers."""
    p = sub.add_parser(
        "site",
        help="choose new sites for a category / 新增网点选址",
        description=(
            "Choose K new sites of one amenity category that bring the most people (or the most "
            "complete circles) within the category's walking threshold. Existing amenities count "
            "as open. A lazy greedy runs by default; --exact also solves the MILP with HiGHS and "
            "reports both objectives and the gap. Without --osm it runs offline on the embedded "
            "synthetic 三江口 demonstration data. Writes sites.geojson, sites.gpkg (EPSG:4326) "
            "and summary.json."
        ),
    )
    p.add_argument("--category", metavar="CAT", help="category id, e.g. wet_market")
    p.add_argument("--k", type=int, metavar="K", help="number of new sites")
    p.add_argument(
        "--plan",
        metavar="CAT=N[,CAT=N...]",
        help="several formats in one plan, chosen jointly, e.g. wet_market=2,supermarket=3 "
        "(instead of --category/--k); objective complete (default) or population",
    )
    p.add_argument(
        "--weights",
        metavar="CAT=W[,CAT=W...]",
        help="with --plan --objective population: weight of each category (default 1)",
    )
    p.add_argument("--exact", action="store_true", help="also solve exactly (MILP, HiGHS)")
    p.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        metavar="S",
        help="time limit of the exact solver in seconds (default 60)",
    )
    p.add_argument(
        "--objective",
        choices=["population", "complete"],
        default=None,
        help="population newly served (default for --category) or circles that become "
        "complete (default for --plan: residents whose whole standard becomes met)",
    )
    p.add_argument(
        "--candidate-source",
        choices=["grid", "commercial", "file"],
        default=None,
        help="candidate sites: grid over the network (default), commercial streets, or --candidates FILE",
    )
    p.add_argument(
        "--candidates", metavar="FILE", help="candidate layer (GeoJSON, GPKG, SHP, CSV lon/lat)"
    )
    p.add_argument(
        "--grid-spacing",
        type=float,
        default=None,
        metavar="M",
        help="spacing of grid candidates (default 100 m) or of commercial points along streets (default 50 m)",
    )
    p.add_argument(
        "--within",
        metavar="NAME_OR_FILE",
        help="plan only inside this area: a county (海曙区 / Haishu), a circle/街道 of the "
        "dataset's circles layer, or a polygon file (GeoJSON, GPKG, zipped SHP)",
    )
    p.add_argument(
        "--count-outside",
        action="store_true",
        help="with --within: also count people outside the area who are newly served",
    )
    add_output_options(p)
    add_dataset_options(p)
    add_save_options(p)
    add_login_options(p)
    add_standard_options(p)
    return p


def _candidate_source(args: argparse.Namespace) -> str:
    source = args.candidate_source
    if source is None:
        source = "file" if args.candidates else "grid"
    if source == "file" and not args.candidates:
        raise InputError(
            "--candidate-source file needs a candidate layer",
            field="--candidates",
            hint="give --candidates FILE",
        )
    if source != "file" and args.candidates:
        raise InputError(
            f"--candidates is only used with --candidate-source file, not {source}",
            field="--candidate-source",
            hint="drop one of the two options",
        )
    return source


def _check_plan_args(args: argparse.Namespace, standard) -> dict[str, int] | None:
    """Validate --category/--k or --plan; returns the plan (None for one category)."""
    from gisplan.siting.joint import parse_plan, parse_weights

    if args.plan:
        if args.category or args.k is not None:
            raise InputError(
                "--plan replaces --category and --k",
                field="--plan",
                hint="give either --plan CAT=N,... or --category CAT --k N",
            )
        plan = parse_plan(args.plan, standard)
        args.objective = args.objective or "complete"
        args.weights_parsed = parse_weights(args.weights, standard)
        if args.weights and args.objective != "population":
            raise InputError(
                "--weights are for --objective population",
                field="--weights",
                hint="add --objective population, or drop --weights",
            )
        return plan
    if not args.category or args.k is None:
        raise InputError(
            "give --category and --k (or --plan)",
            field="--category",
            hint="e.g. --category supermarket --k 3, or --plan wet_market=2,supermarket=3",
        )
    if args.weights:
        raise InputError("--weights need --plan", field="--weights", hint="or drop --weights")
    standard[args.category]  # unknown category: clear error before any work
    SITES_K.check(args.k, field="--k")
    args.objective = args.objective or "population"
    return None


def run(args: argparse.Namespace) -> int:
    """Run ``gisplan site``; the exit status."""
    from gisplan.analysis import build_access
    from gisplan.io.readers import read_layer
    from gisplan.siting import make_candidates, plan_sites, write_outputs

    progress = progress_printer(args.quiet)
    t0 = time.perf_counter()
    standard = standard_from_args(args)
    plan = _check_plan_args(args, standard)
    if args.grid_spacing is not None:
        SPACING_M.check(args.grid_spacing, field="--grid-spacing")
    if plan is None and args.objective == "complete" and args.category not in standard.required_ids:
        raise InputError(
            f"{args.category} is not a required category, so new sites cannot complete a circle",
            field="--objective",
            hint="use --objective population, or add the category with --required",
        )
    if args.time_limit is not None:
        TIME_LIMIT_S.check(args.time_limit, field="--time-limit")
    source = _candidate_source(args)
    if args.count_outside and not args.within:
        raise InputError(
            "--count-outside needs --within", field="--count-outside", hint="give --within AREA"
        )
    user = login_from_args(args, "save") if args.save else None

    dataset = dataset_from_args(args, progress)
    network = dataset.network
    progress(f"network: {network.n_nodes:,} nodes, {network.n_edges:,} edges")

    layer = None
    if source == "file":  # read (and validate) the file before the slow model build
        progress(f"reading candidates {args.candidates}")
        layer = read_layer(args.candidates)
    area = area_from_args(args, dataset, progress)

    model = build_access(dataset, standard, progress=progress)
    candidates = make_candidates(
        model, source, spacing_m=args.grid_spacing, points=layer, file=args.candidates, area=area
    )
    progress(f"{len(candidates):,} {source} candidates")
    if plan is not None:
        return _run_joint(args, plan, dataset, standard, model, candidates, area, source, user, t0)
    result = plan_sites(
        model,
        standard,
        args.category,
        args.k,
        candidates,
        objective=args.objective,
        exact=args.exact,
        time_limit_s=args.time_limit,
        synthetic=dataset.synthetic,
        progress=progress,
        area=area,
        count_outside=args.count_outside,
    )
    extra = run_summary(
        dataset, standard, t0, {"threshold_min": standard.threshold_minutes(args.category)}
    )
    paths = write_outputs(result, args.out, extra_summary=extra)
    s = result.summary()
    cat = standard[args.category]
    print(f"数据 dataset: {dataset.label}")
    print(
        f"类别 category: {cat.label} ({cat.minutes:g} min), "
        f"目标 objective: {args.objective}, k = {args.k}"
    )
    print(
        f"覆盖人口 covered population: {s['covered_population_before']:,} -> "
        f"{s['covered_population_after']:,} (+{s['newly_served_population']:,})"
    )
    print(
        f"完整生活圈 complete circles: {s['communities_complete_before']} -> "
        f"{s['communities_complete_after']}"
    )
    if area is not None:
        print_area(s["area"], [args.category])
    print_objectives(s)
    print_sites(result.sites, paths)
    if args.save:
        from gisplan.siting import scenario_payload

        params = {
            "k": args.k,
            "objective": args.objective,
            "candidate_source": source,
            "exact": bool(args.exact),
            "within": area.name if area is not None else None,
            "count_outside": bool(args.count_outside),
            "dataset": dataset.label,
            **extra,
        }
        save_scenario(args, user, scenario_payload(result, params, name=args.save))
    return 0


def print_sites(sites, paths: dict, *, with_category: bool = False) -> None:
    """Print the chosen sites and the files written.

    A site's rank, category (joint plans), lon/lat and the people it newly serves.
    """
    if len(sites):
        category = "类别 category  " if with_category else ""
        print(
            f"选址 sites (WGS-84):  名次 rank  {category}经度 lon  纬度 lat  "
            "新增服务人口 people newly served"
        )
        rows: Iterable[Any] = sites.itertuples()  # columns by name
        for row in rows:
            cat = f"{row.category:<18} " if with_category else ""
            print(
                f"  {int(row.rank):>3}  {cat}{row.lon:.6f}  {row.lat:.6f}  "
                f"{int(row.gain_population):>10,}"
            )
    for name, path in paths.items():
        print(f"{name}: {path}")


def print_objectives(s: dict) -> None:
    """Print the greedy and exact objectives of a siting summary, with the gap."""
    if s["greedy_objective"] is not None:
        print(f"greedy objective: {s['greedy_objective']:,} ({s['greedy_time_s']:.3f} s)")
    if s["exact_objective"] is not None:
        print(
            f"exact objective: {s['exact_objective']:,} ({s['exact_status']}, "
            f"{s['exact_time_s']:.3f} s), gap {s['gap']:.2%}"
        )


def print_area(block: dict, categories: list[str]) -> None:
    """Print an ``area`` summary block: the area, then inside / outside figures."""
    from gisplan.safetext import terminal_text

    note = "（边界为概略 approximate boundary）" if block.get("approximate") else ""
    line = f"规划范围 area: {terminal_text(block['name'])}{note}"
    if "objective_counts" in block:
        counts = block["objective_counts"] == "area only"
        line += "; 目标计入 objective counts: " + (
            "区内 area only" if counts else "区内+区外 area and outside"
        )
    print(line)
    for scope, label in (("area", "区内 inside"), ("outside", "区外 outside")):
        f = block[scope]
        parts = []
        for c in categories:
            fc = f["categories"].get(c)
            if fc is None:
                continue
            parts.append(
                f"{c} {fc['covered_population_before']:,} -> {fc['covered_population_after']:,}"
                f" (+{fc['newly_served_population']:,}"
                + (f", -{fc['lost_population']:,}" if fc["lost_population"] else "")
                + ")"
            )
        print(
            f"  {label}: 人口 population {f['population']:,}; "
            + "; ".join(parts)
            + f"; 完整生活圈 complete circles {f['complete_circles_before']} -> "
            f"{f['complete_circles_after']}"
        )


def _run_joint(args, plan, dataset, standard, model, candidates, area, source, user, t0) -> int:
    """``gisplan site --plan ...``: several categories chosen jointly."""
    from gisplan.siting.export import joint_scenario_payload, write_site_files
    from gisplan.siting.joint import plan_joint

    result = plan_joint(
        model,
        standard,
        plan,
        candidates,
        objective=args.objective,
        weights=args.weights_parsed,
        exact=args.exact,
        time_limit_s=args.time_limit,
        area=area,
        count_outside=args.count_outside,
        synthetic=dataset.synthetic,
        progress=progress_printer(args.quiet),
    )
    s = result.summary()
    thresholds = {c: standard.threshold_minutes(c) for c in plan}
    extra = run_summary(dataset, standard, t0, {"thresholds_min": thresholds})
    paths = write_site_files(result.sites, {**s, **extra}, args.out)
    print(f"数据 dataset: {dataset.label}")
    plan_text = ", ".join(f"{standard[c].label} × {n}" for c, n in plan.items())
    unit = (
        "完整生活圈居民 residents completing the circle"
        if args.objective == "complete"
        else "新增服务人口 people newly served (weighted)"
    )
    print(f"方案 plan: {plan_text}; 目标 objective: {unit}")
    for c, f in s["categories"].items():
        print(
            f"  {standard[c].label}: 覆盖人口 covered {f['covered_population_before']:,} -> "
            f"{f['covered_population_after']:,} (+{f['newly_served_population']:,})"
        )
    print(
        f"完整生活圈 complete circles: {s['complete_circles_before']} -> "
        f"{s['complete_circles_after']} (居民 residents {s['complete_population_before']:,} -> "
        f"{s['complete_population_after']:,})"
    )
    if area is not None:
        print_area(s["area"], list(plan))
    print_objectives(s)
    print_sites(result.sites, paths, with_category=True)
    if args.save:
        params = {
            "candidate_source": source,
            "within": area.name if area is not None else None,
            "count_outside": bool(args.count_outside),
            **extra,
        }
        save_scenario(args, user, joint_scenario_payload(result, params, name=args.save))
    return 0
