"""``gisplan fetch``: download OpenStreetMap data for a place (needs internet)."""

from __future__ import annotations

import argparse


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "fetch",
        help="download OSM network, amenities and residential areas (online) / 下载 OSM 数据（需联网）",
        description=(
            "Downloads the walking network, amenities of every catalogue category and residential "
            "buildings for a place with osmnx. Needs internet; offline it stops with a clear message. "
            "The saved GeoPackage can then be analysed offline: gisplan analyze --osm FILE.gpkg"
        ),
    )
    p.add_argument("--place", required=True, help='place name, e.g. "海曙区, 宁波市, 中国"')
    p.add_argument(
        "--out", default="data/osm", metavar="DIR", help="output folder (default data/osm)"
    )
    p.add_argument(
        "--timeout", type=float, default=15.0, metavar="S", help="network timeout in seconds"
    )
    return p


def run(args: argparse.Namespace) -> int:
    from gisplan.io.osm import OSM_ATTRIBUTION, fetch_place

    print(f"下载 downloading OpenStreetMap data for {args.place!r} …", flush=True)
    paths = fetch_place(args.place, out_dir=args.out, timeout_s=args.timeout)
    for kind, path in paths.items():
        print(f"  {kind}: {path}")
    print(f"数据来源 data: {OSM_ATTRIBUTION}")
    print(f"离线分析 analyse offline: gisplan analyze --osm {paths['gpkg']}")
    return 0
