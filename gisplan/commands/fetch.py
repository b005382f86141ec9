"""``gisplan fetch``: download OpenStreetMap data for a place (needs internet) as a prepared dataset."""

from __future__ import annotations

import argparse

from gisplan.commands import progress_printer


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``gisplan fetch`` and its options to the CLI's sub-parsers."""
    p = sub.add_parser(
        "fetch",
        help="download OSM network, amenities and residential areas (online) / 下载 OSM 数据（需联网）",
        description=(
            "Downloads the walking network, amenities of every catalogue category, residential "
            "buildings and water for a place with osmnx, and writes a prepared dataset "
            "(<place>.dataset.gpkg, the format of gisplan prepare) beside the raw download "
            "(<place>.gpkg, <place>.graphml). Needs internet; offline it stops with a clear message. "
            "Open the dataset with: gisplan app --data FILE, or add POIs and communities with "
            "gisplan prepare --osm <place>.gpkg …"
        ),
    )
    p.add_argument("--place", required=True, help='place name, e.g. "海曙区, 宁波市, 中国"')
    p.add_argument(
        "--out", default="data/osm", metavar="DIR", help="output folder (default data/osm)"
    )
    p.add_argument(
        "--timeout", type=float, default=15.0, metavar="S", help="network timeout in seconds"
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``gisplan fetch``; the exit status."""
    from pathlib import Path

    from gisplan.dataset.prepare import prepare_dataset
    from gisplan.io import osm

    print(f"下载 downloading OpenStreetMap data for {args.place!r} …", flush=True)
    paths = osm.fetch_place(args.place, out_dir=args.out, timeout_s=args.timeout)
    raw = Path(paths["gpkg"])
    dataset = raw.with_name(raw.stem + ".dataset.gpkg")
    ds, report = prepare_dataset(
        osm=raw,
        out=dataset,
        name=f"OpenStreetMap {args.place}",
        progress=progress_printer(args.quiet),
    )
    for kind, path in paths.items():
        print(f"  {kind}: {path}")
    print(f"  dataset: {dataset} ({report['file_mb']} MB, content hash {ds.content_hash[:12]})")
    print(f"数据来源 data: {osm.OSM_ATTRIBUTION}")
    print(f"打开 open: gisplan app --data {dataset}")
    print(f"离线分析 analyse offline: gisplan analyze --osm {raw}")
    return 0
