"""``gisplan closure``: who loses coverage when existing amenities close (and relocations)."""

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


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``gisplan closure`` and its options to the CLI's sub-parsers."""
    p = sub.add_parser(
        "closure",
        help="effect of closing amenities / 网点关闭影响",
        description=(
            "Close existing amenities (e.g. a wet market facing demolition) and see which "
            "communities lose the category within its walking threshold, how many people, "
            "their new nearest alternative and its walking minutes, and the circles that stop "
            "being complete — before and after, for the planning area (--within) and in all. "
            "--open adds new sites in the same scenario (relocation: close one, open another). "
            "Writes affected.geojson, affected.csv, sites.geojson and summary.json."
        ),
    )
    p.add_argument(
        "--amenity",
        action="append",
        default=[],
        metavar="ID",
        help="id of an existing amenity to close (repeatable)",
    )
    p.add_argument(
        "--open",
        action="append",
        default=[],
        metavar="CAT@LON,LAT",
        help="open a new site, e.g. wet_market@121.55,29.87 (WGS-84; repeatable)",
    )
    p.add_argument(
        "--within",
        metavar="NAME_OR_FILE",
        help="report figures for this area too: a county, a circle/街道 or a polygon file",
    )
    add_output_options(p)
    add_save_options(p)
    add_dataset_options(p)
    add_login_options(p)
    add_standard_options(p)
    return p


def parse_open(items: list[str], standard):
    """``["wet_market@121.55,29.87", ...]`` → GeoDataFrame of new sites (EPSG:4326)."""
    import geopandas as gpd
    import shapely

    rows, geoms = [], []
    for i, item in enumerate(items):
        cat, sep, xy = item.partition("@")
        parts = xy.split(",")
        try:
            lon, lat = float(parts[0]), float(parts[1])
            ok = sep and len(parts) == 2 and -180 <= lon <= 180 and -90 <= lat <= 90
        except (ValueError, IndexError):
            ok = False
        if not ok:
            raise InputError(
                f"cannot read --open {item!r}",
                field="--open",
                hint="write CATEGORY@LON,LAT in WGS-84 degrees, e.g. wet_market@121.55,29.87",
            )
        standard[cat.strip()]
        rows.append({"id": f"new{i + 1}", "name": f"新店 new {i + 1}", "category": cat.strip()})
        geoms.append(shapely.Point(lon, lat))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326") if rows else None


def run(args: argparse.Namespace) -> int:
    """Run ``gisplan closure``; the exit status."""
    from gisplan.analysis import build_access
    from gisplan.safetext import terminal_text
    from gisplan.siting.closure import close_amenities, closure_geometry
    from gisplan.siting.export import closure_scenario_payload, write_closure_outputs

    progress = progress_printer(args.quiet)
    t0 = time.perf_counter()
    standard = standard_from_args(args)
    if not args.amenity and not args.open:
        raise InputError(
            "nothing to close", field="--amenity", hint="give --amenity ID (repeatable)"
        )
    open_sites = parse_open(args.open, standard)
    user = login_from_args(args, "save") if args.save else None
    dataset = dataset_from_args(args, progress)
    area = area_from_args(args, dataset)
    model = build_access(dataset, standard, progress=progress)
    result = close_amenities(
        model,
        standard,
        args.amenity,
        open_sites=open_sites,
        area=area,
        synthetic=dataset.synthetic,
    )
    s = result.summary()
    thresholds = {c: standard.threshold_minutes(c) for c in s["categories"]}
    extra = run_summary(dataset, standard, t0, {"thresholds_min": thresholds})
    paths = write_closure_outputs(
        result, closure_geometry(result, model), args.out, extra_summary=extra
    )
    print(f"数据 dataset: {dataset.label}")
    for r in s["closed"]:
        print(
            f"关闭 closed: {r['id']} {terminal_text(r['name'])} ({standard[r['category']].label})"
        )
    for r in s["opened"]:
        print(f"新开 opened: {standard[r['category']].label} at {r['lon']:.6f}, {r['lat']:.6f}")
    for c, f in s["categories"].items():
        print(
            f"  {standard[c].label}: 覆盖人口 covered {f['covered_population_before']:,} -> "
            f"{f['covered_population_after']:,}; 失去覆盖 losing: {f['communities_losing']} "
            f"社区 communities, {f['people_losing']:,} 人 people"
        )
    print(
        f"完整生活圈 complete circles: {s['complete_circles_before']} -> "
        f"{s['complete_circles_after']}"
    )
    if area is not None:
        from gisplan.commands.site import print_area

        print_area(s["area"], list(s["categories"]))
    lost = result.lost
    if len(lost):
        print(
            "失去覆盖的社区 communities losing coverage (最近替代 nearest alternative, 分钟 min):"
        )
        rows: Iterable[Any] = lost.head(20).itertuples()  # columns by name
        for row in rows:
            alt = (
                f"{row.alternative_id} {terminal_text(row.alternative_name)} "
                f"{row.alternative_minutes:.1f} min"
                if row.alternative_id
                else "无 none reachable"
            )
            print(
                f"  {row.id} {terminal_text(row.name)}  {int(row.population):,} 人  "
                f"{row.category}: {row.minutes_before:.1f} -> {alt}"
            )
        if len(lost) > 20:
            print(f"  … {len(lost) - 20} more in affected.csv")
    print(f"用时 time: {s['time_s']:.3f} s (closure itself)")
    for name, path in paths.items():
        print(f"{name}: {path}")
    if args.save:
        params = {"within": area.name if area is not None else None, **extra}
        save_scenario(args, user, closure_scenario_payload(result, params, name=args.save))
    return 0
