"""Benchmark of OpenStreetMap ingestion (gisplan.io.osm.read_osm_file) at city scale.

Generates, offline and deterministically, a synthetic city extract with pyosmium (the
``osmium`` package, in the ``test`` extra) into a temporary folder (deleted afterwards,
never committed), then times ``read_osm_file`` on it and prints time and peak memory per
stage (network, amenities, residential), like ``bench_engine.py``.

The synthetic city (around Ningbo, 121.55° E 29.87° N):

- a jittered street grid (~80 m spacing) of ``--nodes`` street nodes: every row is a street
  split into ways of 2-60 nodes (every 10th row one ``highway=primary`` way spanning the
  whole row), every 4th column a street; footway links, a few cycleways / motorways /
  ``foot=no`` / ``access=private`` ways that must be excluded;
- ~20,000 shops and amenities as nodes with the catalogue's tags (plus non-catalogue shops,
  multi-category ones, ``craft=* + repair=yes``), ~1,000 more as building polygons and a
  few as multipolygon relations;
- ~50,000 building polygons (``building=apartments/residential/house/yes/...`` with
  ``building:levels`` given as "6", "2.5", "3;4", "abc" or missing), ``landuse=residential``
  zones as ways and multipolygon relations (``building=yes`` inside them counts as homes).

    python benchmarks/bench_osm.py            # ~200,000 street nodes PBF + ~20,000 XML
    python benchmarks/bench_osm.py --small    # quick run (~30,000 PBF, ~8,000 XML)

Target: the ~200k-node PBF read in well under 60 s and under 2 GB peak memory.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from measure import Stage, maxrss_mb  # benchmarks/measure.py, beside this script

LON0, LAT0 = 121.55, 29.87
SPACING_M = 80.0
_DLAT = SPACING_M / 111_000.0
_DLON = SPACING_M / (111_320.0 * math.cos(math.radians(LAT0)))

# catalogue tags (gisplan/catalogue.toml) and some that match no category
_SHOP_TAGS: list[dict[str, str]] = [
    {"shop": "convenience"},
    {"shop": "convenience"},
    {"shop": "convenience", "cuisine": "breakfast"},
    {"amenity": "marketplace"},
    {"shop": "greengrocer"},
    {"shop": "supermarket"},
    {"amenity": "fast_food"},
    {"shop": "bakery"},
    {"amenity": "restaurant", "cuisine": "breakfast"},
    {"shop": "hairdresser"},
    {"shop": "beauty"},
    {"amenity": "pharmacy"},
    {"shop": "chemist"},
    {"craft": "electronics_repair"},
    {"craft": "carpenter", "repair": "yes"},
    {"craft": "carpenter"},
    {"shop": "repair"},
    {"shop": "mobile_phone_repair"},
    {"craft": "tailor"},
    {"shop": "laundry"},
    {"shop": "dry_cleaning"},
    {"office": "housekeeping"},
    {"craft": "cleaning"},
    {"amenity": "recycling"},
    {"amenity": "parcel_locker"},
    {"amenity": "post_office"},
    {"office": "courier"},
    {"shop": "clothes"},
    {"amenity": "restaurant"},
    {"amenity": "bank"},
    {"office": "company"},
]
_BUILDING_TYPES = ["apartments", "residential", "house", "yes", "yes", "commercial", "dormitory"]
_LEVELS = ["6", "18", "2.5", "3;4", "abc", "", None, None, "11", "33"]


def _tags(d: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in d.items() if v}


def write_city(
    path: Path, n_street_nodes: int, *, seed: int = 1, street_every: int = 4
) -> dict[str, int]:
    """Write a synthetic city extract to ``path`` (.osm.pbf or .osm by suffix); return counts.

    Every row of the grid is a street, and every ``street_every``-th column (4: most street
    nodes lie between junctions; 1: nearly every street node is a junction, as in
    ``bench_prepare.py``).
    """
    import osmium
    from osmium.osm import mutable

    rng = np.random.default_rng(seed)
    side = max(8, int(round(math.sqrt(n_street_nodes))))
    cols = rows = side
    n_grid = rows * cols
    n_shops = max(500, n_grid // 10)
    n_buildings = max(1000, n_grid // 4)
    n_shop_polys = max(50, n_shops // 20)
    n_zones = max(10, n_grid // 2000)

    jx = rng.uniform(-0.2, 0.2, n_grid) * _DLON
    jy = rng.uniform(-0.2, 0.2, n_grid) * _DLAT
    gi, gj = np.divmod(np.arange(n_grid), cols)  # row, column
    glon = LON0 + gj * _DLON + jx
    glat = LAT0 + gi * _DLAT + jy

    def gid(i: int, j: int) -> int:
        return 1 + i * cols + j

    next_node = n_grid + 1
    nodes: list[tuple[int, float, float, dict[str, str]]] = []  # extra (non-grid) nodes
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    rels: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []
    next_way = 1

    def add_way(refs: list[int], tags: dict[str, str]) -> int:
        nonlocal next_way
        ways.append((next_way, refs, tags))
        next_way += 1
        return next_way - 1

    def add_ring(lon: float, lat: float, w: float, h: float, tags: dict[str, str]) -> int:
        nonlocal next_node
        ids = []
        for dx, dy in ((0, 0), (w, 0), (w, h), (0, h)):
            nodes.append((next_node, lon + dx, lat + dy, {}))
            ids.append(next_node)
            next_node += 1
        return add_way([*ids, ids[0]], tags)

    # streets ------------------------------------------------------------------------------
    def street_tags() -> dict[str, str]:
        r = rng.random()
        if r < 0.60:
            return {"highway": "residential"}
        if r < 0.80:
            return {"highway": "footway"}
        if r < 0.88:
            return {"highway": "tertiary", "name": f"路{int(rng.integers(1, 500))}"}
        if r < 0.92:
            return {"highway": "service"}
        if r < 0.94:
            return {"highway": "cycleway"}
        if r < 0.96:
            return {"highway": "residential", "access": "private"}
        if r < 0.98:
            return {"highway": "secondary", "foot": "no"}
        return {"highway": "living_street", "sidewalk": "both"}

    for i in range(rows):
        if i % 10 == 0:
            add_way([gid(i, j) for j in range(cols)], {"highway": "primary", "name": f"大道{i}"})
            continue
        j = 0
        while j < cols - 1:
            k = min(cols - 1, j + int(rng.integers(2, 60)))
            tags = {"highway": "motorway"} if i % 97 == 5 else street_tags()
            add_way([gid(i, jj) for jj in range(j, k + 1)], tags)
            j = k
    for j in range(0, cols, street_every):
        i = 0
        while i < rows - 1:
            k = min(rows - 1, i + int(rng.integers(2, 40)))
            add_way([gid(ii, j) for ii in range(i, k + 1)], street_tags())
            i = k
    for _ in range(n_grid // 40):  # footway links across blocks
        i, j = int(rng.integers(0, rows - 1)), int(rng.integers(0, cols))
        if j % street_every:
            add_way([gid(i, j), gid(i + 1, j)], {"highway": "footway"})

    # shops and amenities ------------------------------------------------------------------
    names = ["", "", "华联", "联华超市", "快客", "便利蜂", "老王早餐"]
    for _ in range(n_shops):
        t = dict(_SHOP_TAGS[int(rng.integers(0, len(_SHOP_TAGS)))])
        nm = names[int(rng.integers(0, len(names)))]
        if nm:
            t["name" if rng.random() < 0.8 else "name:zh"] = nm
        elif rng.random() < 0.3:
            t.update({"addr:street": "中山路", "addr:housenumber": str(int(rng.integers(1, 999)))})
        c = int(rng.integers(0, n_grid))
        lon = glon[c] + rng.uniform(0.1, 0.4) * _DLON
        lat = glat[c] + rng.uniform(0.1, 0.4) * _DLAT
        nodes.append((next_node, lon, lat, t))
        next_node += 1
    for _ in range(n_shop_polys):  # supermarkets / markets mapped as buildings or areas
        c = int(rng.integers(0, n_grid))
        t = (
            {"building": "retail", "shop": "supermarket", "name": "大润发"}
            if rng.random() < 0.6
            else {"amenity": "marketplace", "name": "菜场"}
        )
        add_ring(glon[c] + 0.2 * _DLON, glat[c] + 0.2 * _DLAT, 0.5 * _DLON, 0.5 * _DLAT, t)

    # residential buildings and zones ------------------------------------------------------
    zone_ways: list[tuple[int, float, float]] = []
    for z in range(n_zones):
        c = int(rng.integers(0, n_grid))
        w = float(rng.uniform(3, 10)) * _DLON
        h = float(rng.uniform(3, 10)) * _DLAT
        if z % 5 == 0:  # multipolygon relation with an untagged outer way and an inner hole
            outer = add_ring(glon[c], glat[c], w, h, {})
            inner = add_ring(glon[c] + w / 3, glat[c] + h / 3, w / 3, h / 3, {})
            rels.append(
                (
                    len(rels) + 1,
                    [("w", outer, "outer"), ("w", inner, "inner")],
                    {"type": "multipolygon", "landuse": "residential"},
                )
            )
        else:
            add_ring(glon[c], glat[c], w, h, {"landuse": "residential"})
        zone_ways.append((c, w, h))
    for b in range(n_buildings):
        if b % 3 == 0 and zone_ways:  # a third inside residential zones
            c, w, h = zone_ways[int(rng.integers(0, len(zone_ways)))]
            lon = glon[c] + rng.uniform(0.05, 0.9) * w
            lat = glat[c] + rng.uniform(0.05, 0.9) * h
        else:
            c = int(rng.integers(0, n_grid))
            lon, lat = glon[c] + 0.25 * _DLON, glat[c] + 0.25 * _DLAT
        t = _tags(
            {
                "building": _BUILDING_TYPES[int(rng.integers(0, len(_BUILDING_TYPES)))],
                "building:levels": _LEVELS[int(rng.integers(0, len(_LEVELS)))],
                "name": f"{int(rng.integers(1, 40))}幢" if rng.random() < 0.3 else None,
            }
        )
        add_ring(lon, lat, float(rng.uniform(0.1, 0.4)) * _DLON, 0.15 * _DLAT, t)
    for k in range(max(3, n_buildings // 5000)):  # building and shop multipolygons
        c = int(rng.integers(0, n_grid))
        outer = add_ring(glon[c], glat[c], 0.6 * _DLON, 0.6 * _DLAT, {})
        inner = add_ring(glon[c] + 0.2 * _DLON, glat[c] + 0.2 * _DLAT, 0.2 * _DLON, 0.2 * _DLAT, {})
        t = {"type": "multipolygon", "building": "apartments", "building:levels": "12"}
        if k % 2:
            t = {"type": "multipolygon", "shop": "supermarket", "building": "retail"}
        rels.append((len(rels) + 1, [("w", outer, "outer"), ("w", inner, "inner")], t))

    # write (objects sorted by type, then id) --------------------------------------------
    path.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(path)) as w:
        for k in range(n_grid):
            w.add_node(mutable.Node(id=k + 1, location=(float(glon[k]), float(glat[k])), version=1))
        for nid, lon, lat, t in nodes:
            w.add_node(mutable.Node(id=nid, location=(lon, lat), tags=t, version=1))
        for wid, refs, t in ways:
            w.add_way(mutable.Way(id=wid, nodes=refs, tags=t, version=1))
        for rid, members, t in rels:
            w.add_relation(mutable.Relation(id=rid, members=members, tags=t, version=1))
    return {
        "street_nodes": n_grid,
        "nodes": next_node - 1,
        "ways": len(ways),
        "relations": len(rels),
        "shops": n_shops + n_shop_polys,
        "buildings": n_buildings,
    }


def _clear_pyrosm_cache(path: Path) -> None:
    """pyrosm caches each read's result under the temp folder; time first reads only."""
    if path.name.endswith(".pbf"):
        from pyrosm import OSM

        OSM.clear_cache(str(path))


def bench_file(path: Path, label: str) -> dict[str, float]:
    """Read ``path`` twice: untimed by tracemalloc (wall-clock per stage, from
    ``stats["timings_s"]``), then with each stage in a :class:`measure.Stage` (its
    tracemalloc peak; tracing slows Python-heavy code, so its times are not the figures)."""
    from gisplan.io import osm
    from gisplan.io.osm import extract as osm_extract

    _clear_pyrosm_cache(path)
    t0 = time.perf_counter()
    ext = osm.read_osm_file(path)
    total = time.perf_counter() - t0
    timings = ext.stats["timings_s"]
    s = ext.stats
    for name, sec in timings.items():
        print(f"  {name:<42} {sec:8.2f} s")
    print(f"  {'read_osm_file total (' + label + ')':<42} {total:8.2f} s", flush=True)
    print(
        f"    -> {s['nodes']:,} nodes, {s['edges']:,} edges ({s['nodes_dropped']:,} nodes dropped); "
        f"{len(ext.amenities):,} amenity rows; {len(ext.residential):,} residential points "
        f"({int(ext.residential['population'].sum()):,} people est.)",
        flush=True,
    )
    del ext
    print("  peak Python-heap memory per stage (second read, under tracemalloc):")
    original = osm_extract._stage

    @contextlib.contextmanager
    def staged(timings: dict[str, float], name: str):
        with Stage(f"  {name} (traced)", width=40), original(timings, name):
            yield

    _clear_pyrosm_cache(path)
    osm_extract._stage = staged
    try:
        osm.read_osm_file(path)
    finally:
        osm_extract._stage = original
        _clear_pyrosm_cache(path)
    return {"total_s": total, **timings}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--small", action="store_true", help="quick run on smaller extracts")
    ap.add_argument("--nodes", type=int, default=None, help="street nodes of the PBF city")
    ap.add_argument("--xml-nodes", type=int, default=None, help="street nodes of the XML city")
    ap.add_argument("--keep", type=Path, default=None, help="write the extracts here (kept)")
    args = ap.parse_args()
    n_pbf = args.nodes or (30_000 if args.small else 200_000)
    n_xml = args.xml_nodes or (8_000 if args.small else 20_000)
    with tempfile.TemporaryDirectory(prefix="gisplan-bench-osm-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        pbf = folder / "city.osm.pbf"
        xml = folder / "city_small.osm"
        for p, n in ((pbf, n_pbf), (xml, n_xml)):
            t0 = time.perf_counter()
            counts = write_city(p, n, seed=1)
            print(
                f"generated {p.name}: {p.stat().st_size / 2**20:,.1f} MB, "
                + ", ".join(f"{k} {v:,}" for k, v in counts.items())
                + f" ({time.perf_counter() - t0:.1f} s, not timed)",
                flush=True,
            )
        print(
            f"\nPBF ({n_pbf:,} street nodes), wall-clock per stage (first read, pyrosm cache cleared):"
        )
        bench_file(pbf, "pbf")
        print(f"Peak resident memory so far (maxrss): {maxrss_mb():,.0f} MB (target < 2048 MB)")
        print(f"\nOSM XML ({n_xml:,} street nodes), wall-clock per stage:")
        bench_file(xml, "xml")
        print(f"\nPeak resident memory of the whole run (maxrss): {maxrss_mb():,.0f} MB")
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"Largest child process (pyrosm workers, if any) maxrss: {children:,.0f} MB")


if __name__ == "__main__":
    main()
