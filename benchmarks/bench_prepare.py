"""Benchmark of ``gisplan prepare`` at whole-city scale (and, with ``--province``, a province).

Generates, offline and deterministically, into a temporary folder (deleted afterwards unless
``--keep``):

- a synthetic OpenStreetMap extract with the generator of ``bench_osm.py`` (pyosmium), every
  grid column a street so that nearly every street node is a junction: ``--nodes`` street
  nodes (default 700,000 -> over 600,000 walking-network nodes after reading);
- a communities CSV (WGS-84 lon/lat, **households** only, no population column) with
  ``--communities`` rows (default 5,500);
- a POI export CSV in **GCJ-02** with Amap type strings, ``--pois`` rows (default 110,000),
  written in GBK like a real export; names overlap the OSM shops' so some are merged;
- a service-circles GeoJSON (2 km squares over the city).

then runs :func:`gisplan.dataset.prepare.prepare_dataset` and prints, per stage, the wall time
and the peak resident memory of the stage (the kernel's peak-RSS counter is reset at each
stage start, ``/proc/self/clear_refs``), the dataset's size and rows, and the time of
``open_dataset`` (with and without the content-hash check).  Targets: prepare < 5 min and
< 8 GB.

    python benchmarks/bench_prepare.py                       # whole city
    python benchmarks/bench_prepare.py --keep out/city.gpkg  # keep the dataset (for bench_app)
    python benchmarks/bench_prepare.py --small               # quick run (~60k nodes)
    python benchmarks/bench_prepare.py --province            # >= 5M walking nodes, streaming reader

The machine is shared: say so when reporting; the figures are upper bounds under load.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_osm import LAT0, LON0, SPACING_M, write_city  # benchmarks/, beside this script

_AMAP_TYPES = [
    ("购物服务;便民商店/便利店;便利店", ["快客便利", "全家", "罗森", "好邻居便利店", "华联便利"]),
    ("购物服务;综合市场;农贸市场", ["菜场", "农贸市场", "白沙菜市场"]),
    ("购物服务;超级市场;超市", ["联华超市", "大润发", "华联超市", "永辉超市"]),
    ("医疗保健服务;医药保健销售店;药房", ["老百姓大药房", "海王星辰"]),
    ("生活服务;美容美发店;美发", ["发艺", "剪吧"]),
    ("餐饮服务;快餐厅;早餐", ["老王早餐", "永和豆浆"]),
    ("生活服务;洗衣店;洗衣", ["福奈特洗衣"]),
    ("生活服务;维修站点;维修", ["家电维修"]),
    ("生活服务;物流速递;快递驿站", ["菜鸟驿站", "妈妈驿站"]),
    ("生活服务;家政服务;家政", ["好帮手家政"]),
    ("生活服务;回收站;再生资源回收", ["再生资源回收站"]),
    ("餐饮服务;中餐厅;中餐厅", ["饭店"]),  # not a catalogue category: left out with a warning
]


def _city_extent(n_street_nodes: int) -> tuple[float, float, float, float]:
    side = max(8, int(round(math.sqrt(n_street_nodes))))
    dlat = SPACING_M / 111_000.0
    dlon = SPACING_M / (111_320.0 * math.cos(math.radians(LAT0)))
    return LON0, LAT0, LON0 + side * dlon, LAT0 + side * dlat


_OSM_TO_AMAP = {
    "convenience": "购物服务;便民商店/便利店;便利店",
    "supermarket": "购物服务;超级市场;超市",
    "marketplace": "购物服务;综合市场;农贸市场",
}


def _named_shops(pbf: Path) -> list[tuple[float, float, str, str]]:
    """Named convenience stores, supermarkets and markets (nodes) of the generated extract."""
    import osmium

    out = []
    fp = osmium.FileProcessor(str(pbf), osmium.osm.NODE).with_filter(
        osmium.filter.KeyFilter("name")
    )
    for n in fp:
        kind = n.tags.get("shop") or n.tags.get("amenity")
        if kind in _OSM_TO_AMAP:
            out.append((n.location.lon, n.location.lat, n.tags["name"], _OSM_TO_AMAP[kind]))
    return out


def write_inputs(folder: Path, n_nodes: int, n_comm: int, n_pois: int, seed: int = 7) -> dict:
    """Write the extract, the communities CSV, the GCJ-02 POI CSV and the circles layer."""
    import geopandas as gpd
    import shapely

    from gisplan.coords import convert

    rng = np.random.default_rng(seed)
    out = {"osm": folder / "city.osm.pbf"}
    t0 = time.perf_counter()
    counts = write_city(out["osm"], n_nodes, seed=1, street_every=1)
    print(
        f"generated {out['osm'].name}: {out['osm'].stat().st_size / 2**20:,.1f} MB, "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + f" ({time.perf_counter() - t0:.1f} s, not timed)",
        flush=True,
    )
    x0, y0, x1, y1 = _city_extent(n_nodes)

    # communities: households only (population comes from households x 2.21)
    out["communities"] = folder / "xiaoqu.csv"
    lon = rng.uniform(x0, x1, n_comm)
    lat = rng.uniform(y0, y1, n_comm)
    pd.DataFrame(
        {
            "编号": [f"XQ{i:05d}" for i in range(n_comm)],
            "小区名称": [f"小区{i}" for i in range(n_comm)],
            "经度": np.round(lon, 6),
            "纬度": np.round(lat, 6),
            "户数": rng.integers(50, 1500, n_comm),
        }
    ).to_csv(out["communities"], index=False, encoding="utf-8")

    # POIs: an Amap export in GCJ-02, GBK; 10 % re-map a shop of the OSM extract 5-25 m away
    # under a similar name (what merging must catch)
    out["pois"] = folder / "amap_pois.csv"
    kinds = rng.integers(0, len(_AMAP_TYPES), n_pois)
    plon = rng.uniform(x0, x1, n_pois)
    plat = rng.uniform(y0, y1, n_pois)
    names = [
        _AMAP_TYPES[k][1][int(rng.integers(0, len(_AMAP_TYPES[k][1])))] + f"({i % 97}店)"
        for i, k in enumerate(kinds)
    ]
    types = [_AMAP_TYPES[k][0] for k in kinds]
    shops = _named_shops(out["osm"])
    n_dup = min(len(shops), n_pois // 10)
    pick = rng.choice(len(shops), n_dup, replace=False)
    for i, s in zip(rng.choice(n_pois, n_dup, replace=False), pick, strict=True):
        lon, lat, name, amap_type = shops[s]
        d = rng.uniform(5, 25)
        a = rng.uniform(0, 2 * np.pi)
        plon[i] = lon + d * np.cos(a) / (111_320.0 * math.cos(math.radians(LAT0)))
        plat[i] = lat + d * np.sin(a) / 111_000.0
        names[i] = f"{name}({i % 97}店)"
        types[i] = amap_type
    glon, glat = convert(plon, plat, "wgs84", "gcj02")
    pd.DataFrame(
        {
            "id": [f"B0{i:08d}" for i in range(n_pois)],
            "名称": names,
            "类型": types,
            "经度": np.round(glon, 6),
            "纬度": np.round(glat, 6),
        }
    ).to_csv(out["pois"], index=False, encoding="gbk")

    # service circles: 2 km squares
    step_lon = 2000 / (111_320.0 * math.cos(math.radians(LAT0)))
    step_lat = 2000 / 111_000.0
    xs = np.arange(x0, x1, step_lon)
    ys = np.arange(y0, y1, step_lat)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + step_lon, gy.ravel() + step_lat)
    out["circles"] = folder / "circles.geojson"
    gpd.GeoDataFrame(
        {
            "id": [f"SQ{i:04d}" for i in range(len(boxes))],
            "name": [f"社区{i}" for i in range(len(boxes))],
        },
        geometry=boxes,
        crs=4326,
    ).to_file(out["circles"], driver="GeoJSON")
    sizes = {k: f"{p.stat().st_size / 2**20:,.1f} MB" for k, p in out.items()}
    print(
        f"inputs: {n_comm:,} communities, {n_pois:,} POIs (GCJ-02, GBK), {len(boxes):,} circles; {sizes}"
    )
    return out


def run_prepare(
    inputs: dict,
    target: Path,
    *,
    with_extras: bool = True,
    reader: str = "auto",
    open_after: bool = True,
) -> dict:
    from gisplan.dataset.prepare import PoiFile, prepare_dataset

    lines: list[str] = []

    def say(msg: str) -> None:
        lines.append(msg)
        print("    " + msg, flush=True)

    t0 = time.perf_counter()
    ds, report = prepare_dataset(
        osm=inputs["osm"],
        out=target,
        pois=[PoiFile(inputs["pois"], "gcj02")] if with_extras else [],
        communities=inputs["communities"] if with_extras else None,
        communities_crs="wgs84",
        circles=inputs["circles"] if with_extras else None,
        name="benchmark city (synthetic)",
        synthetic=True,
        reader=reader,
        progress=say,
    )
    total = time.perf_counter() - t0
    print(f"\n  {'stage':<14} {'time':>10} {'peak RSS':>12}")
    for name, rec in report["stages"].items():
        print(f"  {name:<14} {rec['seconds']:>8.1f} s {rec['peak_rss_mb']:>9,.0f} MB")
    goal = "target < 300 s" if with_extras else "province: no time target"
    print(f"  {'prepare total':<14} {total:>8.1f} s   ({goal})")
    peak = max(r["peak_rss_mb"] for r in report["stages"].values())
    goal = "target < 8,192 MB" if with_extras else "province target: completes on 24 GB"
    print(f"  peak resident memory of any stage: {peak:,.0f} MB ({goal})")
    print(f"  dataset: {target.stat().st_size / 2**20:,.1f} MB; rows {report['rows']}")
    print(f"  amenities merged per source pair: {report['amenities']['merged_per_source_pair']}")
    print(f"  communities by method: {report['communities']['by_method']}")
    del ds
    from gisplan.dataset import open_dataset

    for verify in (True, False) if open_after else ():
        t0 = time.perf_counter()
        opened = open_dataset(target, verify_hash=verify)
        print(
            f"  open_dataset(verify_hash={verify}): {time.perf_counter() - t0:.1f} s "
            f"({opened.network.n_nodes:,} nodes)"
        )
        del opened
    return {"total_s": total, "peak_mb": peak, **report}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--small", action="store_true", help="quick run (60k nodes, 1,000 communities, 10k POIs)"
    )
    ap.add_argument(
        "--nodes", type=int, default=None, help="street nodes of the city (default 700,000)"
    )
    ap.add_argument("--communities", type=int, default=None, help="communities (default 5,500)")
    ap.add_argument("--pois", type=int, default=None, help="POIs (default 110,000)")
    ap.add_argument(
        "--province", action="store_true", help="also a province-size extract (>= 5M walking nodes)"
    )
    ap.add_argument(
        "--province-nodes",
        type=int,
        default=6_000_000,
        help="street nodes of the province (default 6,000,000 -> over 5M walking nodes)",
    )
    ap.add_argument(
        "--province-pbf",
        type=Path,
        default=None,
        help="use this province extract (made by an earlier run) instead of generating one",
    )
    ap.add_argument(
        "--province-reader",
        choices=("pyrosm", "stream"),
        default="stream",
        help="OSM reader for the province (synthetic PBFs are small, so 'auto' would pick pyrosm)",
    )
    ap.add_argument("--skip-city", action="store_true", help="only the province")
    ap.add_argument(
        "--province-no-open", action="store_true", help="do not time open_dataset on the province"
    )
    ap.add_argument("--keep", type=Path, default=None, help="write the city dataset here (kept)")
    ap.add_argument(
        "--reader",
        choices=("auto", "pyrosm", "stream"),
        default="auto",
        help="OSM reader for the city",
    )
    args = ap.parse_args()
    n = args.nodes or (60_000 if args.small else 700_000)
    n_comm = args.communities or (1_000 if args.small else 5_500)
    n_pois = args.pois or (10_000 if args.small else 110_000)
    print(f"load average at start: {os.getloadavg()} (2 cores, shared machine)")
    with tempfile.TemporaryDirectory(prefix="gisplan-bench-prepare-") as tmp:
        folder = Path(tmp)
        if not args.skip_city:
            inputs = write_inputs(folder, n, n_comm, n_pois)
            target = args.keep or folder / "city.gpkg"
            target.parent.mkdir(parents=True, exist_ok=True)
            print(
                f"\nprepare: city ({n:,} street nodes) + communities + POIs + circles -> {target}"
            )
            run_prepare(inputs, target, reader=args.reader)
        if args.province or args.province_pbf:
            pdir = folder / "province"
            pdir.mkdir()
            pbf = args.province_pbf
            if pbf is None:
                print(f"\nprovince: generating {args.province_nodes:,} street nodes …", flush=True)
                pbf = pdir / "province.osm.pbf"
                t0 = time.perf_counter()
                counts = write_city(pbf, args.province_nodes, seed=2, street_every=1)
                print(
                    f"generated {pbf.name}: {pbf.stat().st_size / 2**20:,.1f} MB, {counts} "
                    f"({time.perf_counter() - t0:.1f} s, not timed)"
                )
            print(f"\nprepare: province {pbf.name} (OSM only), reader {args.province_reader}")
            run_prepare(
                {"osm": pbf},
                pdir / "province.gpkg",
                with_extras=False,
                reader=args.province_reader,
                open_after=not args.province_no_open,
            )
        print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
