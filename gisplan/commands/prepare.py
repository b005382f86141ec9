"""``gisplan prepare``: build one prepared dataset (GeoPackage) that the app and CLI open."""

from __future__ import annotations

import argparse
from pathlib import Path

from gisplan.commands import progress_printer
from gisplan.errors import InputError


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``gisplan prepare`` and its options to the CLI's sub-parsers."""
    p = sub.add_parser(
        "prepare",
        help="build a prepared dataset (.gpkg) from OSM, POI exports and community lists / 准备数据集",
        description=(
            "Builds one GeoPackage with the walking network, amenities (OSM and POI exports, "
            "duplicates merged), communities (given, from households, or estimated from OSM), "
            "water barriers, optional service circles and metadata (sources, licences, content "
            "hash). Open it with: gisplan app --data FILE.gpkg. Offline."
        ),
    )
    p.add_argument(
        "--osm",
        metavar="FILE",
        help="OpenStreetMap extract: .osm.pbf, .osm or a GeoPackage from gisplan fetch",
    )
    p.add_argument(
        "--pois",
        action="append",
        default=[],
        metavar="FILE",
        help="POI export CSV (Amap/Baidu/…, UTF-8 or GBK); repeatable, each with its --crs",
    )
    p.add_argument(
        "--crs",
        action="append",
        default=[],
        metavar="SYSTEM",
        help="coordinate system of each --pois file in order: gcj02 (Amap, Tencent), bd09 (Baidu), wgs84; one value applies to all",
    )
    p.add_argument(
        "--poi-source",
        action="append",
        default=[],
        metavar="NAME",
        help="source label per --pois file (default from --crs: gcj02 -> amap, bd09 -> baidu, wgs84 -> user)",
    )
    p.add_argument(
        "--communities", metavar="FILE", help="小区 list with population or households (户数)"
    )
    p.add_argument(
        "--communities-crs",
        metavar="SYSTEM",
        help="coordinate system of a CSV communities file: wgs84 (default, with a warning), cgcs2000, gcj02, bd09",
    )
    p.add_argument(
        "--persons-per-household",
        type=float,
        metavar="N",
        help="persons per household for households -> population (default 2.21: Ningbo, 2020 census)",
    )
    p.add_argument(
        "--calibrate",
        nargs="?",
        const=True,
        metavar="CSV",
        help="scale estimated populations to county census totals (default table: data/geo/census_2020_counties.csv)",
    )
    p.add_argument("--circles", metavar="FILE", help="service circles: 街道/社区 polygons")
    p.add_argument("--clip", metavar="COUNTY", help="keep one county, e.g. 海曙区 or Haishu")
    p.add_argument("--bbox", metavar="MINLON,MINLAT,MAXLON,MAXLAT", help="keep a WGS-84 box")
    p.add_argument(
        "--demo", action="store_true", help="write the embedded synthetic 三江口 demonstration data"
    )
    p.add_argument(
        "--reader",
        choices=("auto", "pyrosm", "stream"),
        default="auto",
        help="OSM PBF reader: pyrosm (in memory) or stream (pyosmium, for province extracts); "
        "auto streams files of 256 MB or more",
    )
    p.add_argument("--name", help="dataset name shown in titles and exports")
    p.add_argument("--out", required=True, metavar="FILE.gpkg", help="output GeoPackage")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def _poi_files(args: argparse.Namespace):
    from gisplan.dataset.prepare import PoiFile

    files, crs, srcs = args.pois, args.crs, args.poi_source
    if files and not crs:
        raise InputError(
            "each --pois file needs its coordinate system",
            field="--crs",
            hint="add --crs gcj02 (Amap, Tencent), --crs bd09 (Baidu) or --crs wgs84",
        )
    if len(crs) not in (0, 1, len(files)):
        raise InputError(
            f"{len(files)} --pois file(s) but {len(crs)} --crs value(s)",
            field="--crs",
            hint="give one --crs for all files or one per file, in the same order",
        )
    if len(srcs) not in (0, 1, len(files)):
        raise InputError(
            f"{len(files)} --pois file(s) but {len(srcs)} --poi-source value(s)",
            field="--poi-source",
            hint="give one label for all files or one per file",
        )
    return [
        PoiFile(
            Path(f),
            crs[i if len(crs) > 1 else 0],
            (srcs[i if len(srcs) > 1 else 0] if srcs else None),
        )
        for i, f in enumerate(files)
    ]


def _bbox(text: str | None):
    if text is None:
        return None
    try:
        vals = [float(v) for v in text.replace(" ", "").split(",")]
    except ValueError:
        vals = []
    if len(vals) != 4:
        raise InputError(
            f"cannot read --bbox {text!r}",
            field="--bbox",
            hint="write MINLON,MINLAT,MAXLON,MAXLAT, e.g. 121.50,29.84,121.60,29.90",
        )
    return vals


def run(args: argparse.Namespace) -> int:
    """Run ``gisplan prepare``; the exit status."""
    from gisplan.dataset import write_dataset

    progress = progress_printer(args.quiet)
    if args.demo:
        from gisplan.analysis import demo_dataset

        progress("generating the embedded synthetic 三江口 demonstration data")
        ds = demo_dataset()
        if args.name:
            ds.name = args.name
        write_dataset(ds, args.out, progress=progress)
        print(f"写入 wrote {args.out}: {ds.label}")
        print(f"  content hash {ds.content_hash}")
        return 0
    if not args.osm:
        raise InputError(
            "give --osm FILE (or --demo)",
            field="--osm",
            hint="an OpenStreetMap extract (.osm.pbf / .osm) or a GeoPackage from gisplan fetch",
        )
    from gisplan.dataset.prepare import prepare_dataset

    ds, report = prepare_dataset(
        osm=args.osm,
        out=args.out,
        pois=_poi_files(args),
        communities=args.communities,
        communities_crs=args.communities_crs,
        circles=args.circles,
        clip=args.clip,
        bbox=_bbox(args.bbox),
        name=args.name,
        persons_per_household=args.persons_per_household,
        calibrate_to=args.calibrate,
        reader=args.reader,
        progress=progress,
    )
    print(f"写入 wrote {args.out} ({report['file_mb']} MB): {ds.label}")
    for layer, n in report["rows"].items():
        print(f"  {layer:<12} {'not given' if n is None else f'{n:,}'}")
    merged = report["amenities"]["merged_per_source_pair"]
    if merged:
        print("  合并 merged amenities: " + ", ".join(f"{k} {v:,}" for k, v in merged.items()))
    for method, rec in report["communities"]["by_method"].items():
        print(
            f"  人口 population {method}: {rec['rows']:,} communities, {rec['population']:,} residents"
        )
    if "calibration" in report:
        cal = report["calibration"]
        for k, v in cal["factors"].items():
            print(f"  校准 calibration {k}: ×{v}")
        for k, v in cal["skipped"].items():
            print(f"  校准 calibration {k}: not calibrated ({v})")
    print(f"  数据来源 sources: {ds.attribution}")
    print(f"  content hash {ds.content_hash}")
    return 0
