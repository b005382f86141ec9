"""``gisplan import-poi``: turn a POI export (Amap / Baidu CSV) into a validated amenity layer."""

from __future__ import annotations

import argparse
import sys
import warnings


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``gisplan import-poi`` and its options to the CLI's sub-parsers."""
    p = sub.add_parser(
        "import-poi",
        help="import a POI export CSV (UTF-8 or GBK; WGS-84, GCJ-02 or BD-09) / 导入 POI 数据",
        description=(
            "Reads a POI export (Amap/Gaode exports are in GCJ-02, Baidu in BD-09), converts it to "
            "WGS-84, maps each row to a catalogue category and writes a validated amenity layer."
        ),
    )
    p.add_argument("file", help="the POI CSV file")
    p.add_argument(
        "--crs", required=True, help="coordinate system of the file: wgs84, cgcs2000, gcj02 or bd09"
    )
    p.add_argument(
        "--out",
        "-o",
        default="amenities.gpkg",
        help="output .gpkg or .geojson (default amenities.gpkg)",
    )
    p.add_argument(
        "--category", help="one category for every row (id or Chinese name, e.g. 便利店)"
    )
    p.add_argument(
        "--category-column", help="column with category ids, Chinese names or Amap type strings"
    )
    p.add_argument("--name-column", help="column with the POI name (default: 名称/name)")
    p.add_argument("--id-column", help="column with a unique POI id")
    p.add_argument("--lon", help="longitude column (default: lon/lng/经度)")
    p.add_argument("--lat", help="latitude column (default: lat/纬度)")
    p.add_argument("--encoding", help="file encoding (default: detect UTF-8 / GBK)")
    p.add_argument(
        "--ningbo-bounds", action="store_true", help="reject points outside Ningbo's extent"
    )
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``gisplan import-poi``; the exit status."""
    from gisplan.io.poi import import_poi, write_layer

    bounds = None
    if args.ningbo_bounds:
        from gisplan.io.embedded import NINGBO_BOUNDS

        bounds = NINGBO_BOUNDS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gdf = import_poi(
            args.file,
            crs=args.crs,
            category=args.category,
            category_column=args.category_column,
            name_column=args.name_column,
            id_column=args.id_column,
            lon=args.lon,
            lat=args.lat,
            encoding=args.encoding,
            bounds=bounds,
        )
    for w in caught:
        print(f"注意 warning: {w.message}", file=sys.stderr)
    write_layer(gdf, args.out)
    counts = gdf["category"].value_counts()
    print(f"写入 wrote {len(gdf)} amenities to {args.out} (WGS-84):")
    for cat, n in counts.items():
        print(f"  {cat:<20} {n}")
    return 0
