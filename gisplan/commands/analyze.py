"""``gisplan analyze``: convenience-circle coverage on the embedded data or an OSM extract."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable
from typing import Any

from gisplan.commands import (
    add_output_options,
    add_standard_options,
    progress_printer,
    standard_from_args,
)
from gisplan.errors import InputError


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``gisplan analyze`` and its options to the CLI's sub-parsers."""
    p = sub.add_parser(
        "analyze",
        help="coverage analysis (15-minute convenience circles) / 生活圈覆盖分析",
        description=(
            "Walking-time coverage of every community for every amenity category. Without --osm it "
            "runs offline on the embedded synthetic 三江口 demonstration data."
        ),
    )
    add_output_options(p)
    p.add_argument(
        "--osm", metavar="FILE", help="OpenStreetMap extract (.osm or .osm.pbf) to analyse instead"
    )
    p.add_argument(
        "--data", metavar="FILE.gpkg", help="prepared dataset (from gisplan prepare) to analyse"
    )
    p.add_argument(
        "--communities", metavar="FILE", help="community layer (GeoJSON, GPKG, zipped SHP, CSV)"
    )
    p.add_argument(
        "--amenities", metavar="FILE", help="amenity layer replacing the dataset's amenities"
    )
    p.add_argument(
        "--gaps", type=int, default=10, metavar="N", help="gap-list rows to print (default 10)"
    )
    add_standard_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``gisplan analyze``; the exit status."""
    from gisplan.analysis import build_access, demo_dataset, osm_dataset, with_layers
    from gisplan.report.outputs import summary_table, write_analysis_outputs

    progress = progress_printer(args.quiet)
    standard = standard_from_args(args)
    t0 = time.perf_counter()
    communities = amenities = None
    if args.communities or args.amenities:
        from gisplan.io.layers import read_amenities, read_communities

        if args.communities:
            progress(f"reading communities {args.communities}")
            communities = read_communities(args.communities)
        if args.amenities:
            progress(f"reading amenities {args.amenities}")
            amenities = read_amenities(args.amenities)
    if args.data and args.osm:
        raise InputError("give --data or --osm, not both", field="--data")
    if args.data:
        from gisplan.dataset import open_dataset

        progress(f"opening prepared dataset {args.data}")
        dataset = open_dataset(args.data, progress=progress)
        if communities is not None or amenities is not None:
            dataset = with_layers(dataset, communities=communities, amenities=amenities)
    elif args.osm:
        progress(f"reading OpenStreetMap file {args.osm}")
        dataset = osm_dataset(args.osm, communities=communities, amenities=amenities)
    else:
        progress("generating the embedded synthetic 三江口 demonstration data")
        dataset = demo_dataset()
        if communities is not None or amenities is not None:
            dataset = with_layers(dataset, communities=communities, amenities=amenities)
    progress(f"network: {dataset.network.n_nodes:,} nodes, {dataset.network.n_edges:,} edges")
    try:
        model = build_access(dataset, standard, progress=progress)
    except InputError as exc:
        if exc.file is None and args.communities and exc.field == "geometry":
            exc.file = args.communities  # the layer that does not meet the network
            exc.args = (str(exc),)
        raise
    progress("coverage")
    result = model.coverage(standard)
    paths = write_analysis_outputs(
        result,
        args.out,
        dataset_name=dataset.label,
        synthetic=dataset.synthetic,
        attribution=dataset.attribution,
        extra_summary={"timings_s": {k: round(v, 3) for k, v in model.timings_s.items()}},
    )
    print(f"数据 dataset: {dataset.label}")
    if dataset.attribution:
        print(f"来源 source: {dataset.attribution}")
    print(summary_table(result))
    gaps = result.gaps(limit=args.gaps)
    if len(gaps):
        print(f"\n缺口（按人口）gaps by population, top {len(gaps)}:")
        rows: Iterable[Any] = gaps.itertuples(index=False)  # columns by name
        for rec in rows:
            print(
                f"  {rec.id:<10} {rec.name:<16} {int(rec.population):>7,}  缺 missing: {rec.missing_zh}"
            )
    print(f"\n输出 outputs ({time.perf_counter() - t0:.1f} s):")
    for p in paths.values():
        print(f"  {p}")
    return 0
