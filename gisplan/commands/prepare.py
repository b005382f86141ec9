"""``gisplan prepare``: build one prepared dataset (GeoPackage) that the app and CLI open."""

from __future__ import annotations

import argparse

from gisplan.commands import progress_printer


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "prepare",
        help="build a prepared dataset (.gpkg) from OSM, POI exports and community lists / 准备数据集",
        description=(
            "Builds one GeoPackage with the walking network, amenities, communities, water "
            "barriers, optional service circles and metadata (sources, licences, hash). "
            "Open it with: gisplan app --data FILE.gpkg, or gisplan.dataset.open_dataset()."
        ),
    )
    p.add_argument(
        "--demo", action="store_true", help="the embedded synthetic 三江口 demonstration data"
    )
    p.add_argument("--name", help="dataset name shown in titles and exports")
    p.add_argument("--out", required=True, metavar="FILE.gpkg", help="output GeoPackage")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def run(args: argparse.Namespace) -> int:
    from gisplan.analysis import demo_dataset
    from gisplan.dataset import write_dataset

    progress = progress_printer(args.quiet)
    if not args.demo:
        from gisplan.errors import InputError

        raise InputError(
            "give --demo", field="--demo", hint="gisplan prepare --demo --out demo.gpkg"
        )
    progress("generating the embedded synthetic 三江口 demonstration data")
    ds = demo_dataset()
    if args.name:
        ds.name = args.name
    write_dataset(ds, args.out, progress=progress)
    print(f"写入 wrote {args.out}: {ds.label}")
    print(f"  content hash {ds.content_hash}")
    return 0
