"""Build ``data/geo/business_districts.geojson`` and ``data/geo/pedestrian_streets.geojson``.

The names, positioning, projects and levels come from the Ningbo commerce plan 2021–2025
(宁波市商贸发展“十四五”规划, 专栏4 and section 四(三)2; text in
``/work/shared/reference/ningbo-commerce-plan-2021-2025.txt``).  The plan publishes no maps, so
the geometry below is **approximate**: schematic extents drawn by the gisplan developers from
general knowledge of Ningbo's geography, anchored where possible on OpenStreetMap feature
centroids (``/work/shared/reference/landmarks.csv``, © OpenStreetMap contributors, ODbL).
Every feature carries ``geometry_quality = "approximate"``.

The script checks each feature against ``data/geo/counties.geojson`` (built first by
``scripts/build_admin_divisions.py``): a business district's largest area share and its centroid
must lie in its stated county, and a pedestrian street must lie in its stated county.

Coordinates are (longitude, latitude) in WGS-84 (EPSG:4326).

Usage::

    .venv/bin/python scripts/build_plan_layers.py [--out-dir data/geo]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
from shapely.geometry import LineString, Polygon, mapping

REPO = Path(__file__).resolve().parents[1]
PLAN = "宁波市商贸发展“十四五”规划 (Ningbo commerce plan 2021–2025)"
CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
OSM = "© OpenStreetMap contributors"


def _box(west: float, south: float, east: float, north: float, cut: float = 0.2) -> Polygon:
    """An octagon: the box (degrees) with its corners cut by ``cut`` of each side."""
    dx, dy = (east - west) * cut, (north - south) * cut
    return Polygon(
        [
            (west + dx, south),
            (east - dx, south),
            (east, south + dy),
            (east, north - dy),
            (east - dx, north),
            (west + dx, north),
            (west, north - dy),
            (west, south + dy),
        ]
    )


BD_SOURCE = (
    f"{PLAN} 专栏4 (name, positioning, projects); extent drawn by gisplan developers from "
    "general geographic knowledge (no official boundary published)"
)
BD_LICENCE = "geometry: gisplan project (MIT); attribute text quoted from a public government plan"

# Business districts (国际知名商圈) of 专栏4.  Status: the 2020 review says 泛三江口 and 东部新城
# "稳步建设" (under construction); the others are "规划建设" (planned) in the plan.
BUSINESS_DISTRICTS: list[dict] = [
    {
        "id": "bd-fansanjiangkou",
        "name_zh": "泛三江口商圈",
        "name_en": "Pan-Sanjiangkou (Three-River Confluence) Business District",
        "county": "海曙区",
        "counties": "海曙区、江北区、鄞州区",
        "positioning": "彰显宁波三江汇聚、历史沉淀、文化交融的城市特质，围绕海曙“最宁波”、鄞州“最时尚”、"
        "江北“最国际”版块功能布局，打造国内一流、国际有影响力的核心商圈",
        "positioning_en": "Core district expressing the three-river confluence, history and "
        "cultural blend; Haishu 'most Ningbo', Yinzhou 'most fashionable', Jiangbei 'most "
        "international'; first-class in China with international influence",
        "key_projects": "",
        "status": "under construction",
        "note": "Spans 天一广场/鼓楼/城隍庙/和义 (海曙), 老外滩 (江北) and the east bank (鄞州, "
        "former 江东); centred on the confluence ~29.874 N 121.556 E; 天一广场 and 老外滩 from "
        f"OSM centroids ({OSM}).",
        "geometry": Polygon(
            [
                (121.5360, 29.8625),
                (121.5600, 29.8615),
                (121.5710, 29.8660),
                (121.5720, 29.8770),
                (121.5650, 29.8880),
                (121.5500, 29.8880),
                (121.5440, 29.8820),
                (121.5360, 29.8805),
            ]
        ),
    },
    {
        "id": "bd-dongbuxincheng",
        "name_zh": "东部新城商圈",
        "name_en": "Eastern New Town Business District",
        "county": "鄞州区",
        "counties": "鄞州区",
        "positioning": "加快环明湖新型商务商业区的谋划建设，打造高端化、国际化核心商圈",
        "positioning_en": "High-end, international core district; new business and commercial "
        "area around Ming Lake (明湖)",
        "key_projects": "宏泰广场、文化广场、A3区块夜产业链、阪急百货、东部新城水街与中央公园、中国银行43楼观景台",
        "status": "under construction",
        "note": "Around 明湖 and 宁波文化广场, ~29.868 N 121.610 E.",
        "geometry": _box(121.594, 29.858, 121.628, 29.879),
    },
    {
        "id": "bd-nanbushangwuqu",
        "name_zh": "南部商务区商圈",
        "name_en": "Southern Business District",
        "county": "鄞州区",
        "counties": "鄞州区",
        "positioning": "主打集办公、商务、娱乐等于一体的城市一站式综合服务特色商圈；引导优化业态和品牌组合",
        "positioning_en": "One-stop urban service district combining offices, business and "
        "entertainment; optimise its mix of formats and brands",
        "key_projects": "",
        "status": "planned",
        "note": "鄞州 南部商务区 around its 水街, ~29.822 N 121.553 E.",
        "geometry": _box(121.542, 29.813, 121.564, 29.831),
    },
    {
        "id": "bd-chengxijishigang",
        "name_zh": "城西集士港商圈",
        "name_en": "Chengxi Jishigang Business District",
        "county": "海曙区",
        "counties": "海曙区",
        "positioning": "主打国际商贸名品折扣特色",
        "positioning_en": "International brand-name discount (outlet) retail",
        "key_projects": "",
        "status": "planned",
        "note": "海曙区 集士港镇 (west of the city), ~29.850 N 121.440 E.",
        "geometry": _box(121.428, 29.840, 121.454, 29.860),
    },
    {
        "id": "bd-zhenhaixincheng",
        "name_zh": "镇海新城商圈",
        "name_en": "Zhenhai New Town Business District",
        "county": "镇海区",
        "counties": "镇海区",
        "positioning": "打造特色鲜明、错位发展的区域商圈",
        "positioning_en": "Distinctive regional district developed to complement, not compete "
        "with, the core districts",
        "key_projects": "",
        "status": "planned",
        "note": "镇海新城 (骆驼 area), ~29.963 N 121.650 E.",
        "geometry": _box(121.637, 29.952, 121.663, 29.974),
    },
    {
        "id": "bd-beilunxinqi",
        "name_zh": "北仑新碶商圈",
        "name_en": "Beilun Xinqi Business District",
        "county": "北仑区",
        "counties": "北仑区",
        "positioning": "打造特色鲜明、错位发展的区域商圈",
        "positioning_en": "Distinctive regional district developed to complement, not compete "
        "with, the core districts",
        "key_projects": "",
        "status": "planned",
        "note": "北仑区 新碶街道 (district centre), ~29.900 N 121.845 E.",
        "geometry": _box(121.832, 29.890, 121.858, 29.910),
    },
]

PS_SOURCE_PLAN = f"{PLAN}, 专栏4 and section 四(三)2 (name, level)"

# Pedestrian streets (高品质步行街).  Lines are schematic: through the OSM centroid where
# landmarks.csv has one, orientation from general knowledge.
PEDESTRIAN_STREETS: list[dict] = [
    {
        "id": "ps-laowaitan",
        "name_zh": "老外滩街区",
        "name_en": "Old Bund (Laowaitan) Quarter",
        "level": "national",
        "status": "existing",
        "county": "江北区",
        "source": f"{PS_SOURCE_PLAN}; centre = OSM centroid of 宁波老外滩 (landmarks.csv, {OSM})",
        "licence": "ODbL 1.0 (position from OpenStreetMap); attributes from a public government plan",
        "note": "National pilot for pedestrian-street upgrading (全国第二批步行街改造提升试点). Line "
        "along the north bank of the 甬江 (中马路 direction), ~700 m; schematic.",
        "geometry": LineString([(121.5540, 29.8770), (121.5590, 29.8813)]),
    },
    {
        "id": "ps-dongguodao",
        "name_zh": "东鼓道",
        "name_en": "Donggudao (Dongmenkou–Gulou) Street",
        "level": "provincial",
        "status": "existing",
        "county": "海曙区",
        "source": f"{PS_SOURCE_PLAN}; 鼓楼 end = OSM centroid of 宁波鼓楼商业步行街 "
        f"(landmarks.csv, {OSM})",
        "licence": "ODbL 1.0 (position from OpenStreetMap); attributes from a public government plan",
        "note": "Plan: 推进省级步行街建设. 东门口 to 鼓楼 along 中山路 and 公园路; schematic.",
        "geometry": LineString([(121.5426, 29.8776), (121.5428, 29.8750), (121.5535, 29.8742)]),
    },
    {
        "id": "ps-nantanglaojie",
        "name_zh": "南塘老街",
        "name_en": "Nantang Old Street",
        "level": "provincial",
        "status": "existing",
        "county": "海曙区",
        "source": f"{PS_SOURCE_PLAN}; centre = OSM centroid of 南塘老街 (landmarks.csv, {OSM})",
        "licence": "ODbL 1.0 (position from OpenStreetMap); attributes from a public government plan",
        "note": "Plan: 推进省级步行街建设. North–south along the 南塘河, ~800 m; schematic.",
        "geometry": LineString([(121.5335, 29.8602), (121.5341, 29.8526)]),
    },
    {
        "id": "ps-nanbushuijie",
        "name_zh": "南部商务区水街",
        "name_en": "Southern Business District Water Street",
        "level": "provincial",
        "status": "existing",
        "county": "鄞州区",
        "source": f"{PS_SOURCE_PLAN}; position from general geographic knowledge",
        "licence": "gisplan project (MIT); attributes from a public government plan",
        "note": "Plan: 推进省级步行街建设. In 鄞州 南部商务区, ~29.822 N 121.553 E; alignment "
        "schematic.",
        "geometry": LineString([(121.5495, 29.8222), (121.5570, 29.8218)]),
    },
    {
        "id": "ps-zhuangshilaojie",
        "name_zh": "庄市老街",
        "name_en": "Zhuangshi Old Street",
        "level": "municipal",
        "status": "existing",
        "county": "镇海区",
        "source": f"{PS_SOURCE_PLAN}; position from general geographic knowledge",
        "licence": "gisplan project (MIT); attributes from a public government plan",
        "note": "Plan's example of a municipal high-quality pedestrian street (市级高品质步行街). "
        "镇海区 庄市街道 old town, placed at ~29.931 N 121.612 E (east of the 江北–镇海 boundary, "
        "which runs near 121.597 E at this latitude); position uncertain by up to ~1 km.",
        "geometry": LineString([(121.6100, 29.9315), (121.6140, 29.9305)]),
    },
    {
        "id": "ps-chenghuangmiao",
        "name_zh": "城隍庙商业步行街",
        "name_en": "Chenghuang Temple Shopping Street",
        "level": "other",
        "status": "existing",
        "county": "海曙区",
        "source": f"centre = OSM centroid of 城隍庙商业步行街 (landmarks.csv, {OSM})",
        "licence": "ODbL 1.0 (position from OpenStreetMap)",
        "note": "Existing commercial pedestrian street by the 宁波府城隍庙, not named in the plan; "
        "~250 m, orientation schematic.",
        "geometry": LineString([(121.5463, 29.8680), (121.5478, 29.8692)]),
    },
]


def _feature_collection(name: str, rows: list[dict]) -> dict:
    feats = []
    for row in rows:
        props = {k: v for k, v in row.items() if k != "geometry"}
        feats.append({"type": "Feature", "properties": props, "geometry": mapping(row["geometry"])})
    return {"type": "FeatureCollection", "name": name, "crs": CRS84, "features": feats}


def _round(obj):
    """Round coordinates (nested lists/tuples) to 6 decimals (~0.1 m)."""
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, list | tuple):
        return [_round(o) for o in obj]
    if isinstance(obj, dict):
        return {k: (_round(v) if k == "coordinates" else v) for k, v in obj.items()}
    return obj


def check(counties: gpd.GeoDataFrame) -> list[str]:
    """Return a list of problems of the definitions against the county polygons (EPSG:4326)."""
    problems: list[str] = []
    cm = counties.to_crs("EPSG:32651").set_index("name_zh").geometry
    for bd in BUSINESS_DISTRICTS:
        g = gpd.GeoSeries([bd["geometry"]], crs="EPSG:4326").to_crs("EPSG:32651").iloc[0]
        shares = (cm.intersection(g).area / g.area).sort_values(ascending=False)
        if not g.is_valid:
            problems.append(f"{bd['name_zh']}: invalid polygon")
        if shares.index[0] != bd["county"]:
            problems.append(
                f"{bd['name_zh']}: largest share in {shares.index[0]}, not {bd['county']}"
            )
        if not cm[bd["county"]].contains(g.centroid):
            problems.append(f"{bd['name_zh']}: centroid not in {bd['county']}")
        spanned = set(shares[shares > 0.05].index)
        if spanned != set(bd["counties"].split("、")):
            problems.append(f"{bd['name_zh']}: spans {sorted(spanned)}, stated {bd['counties']}")
        print(
            f"{bd['name_zh']:8s} {g.area / 1e6:5.2f} km²  "
            + ", ".join(f"{k} {v:.0%}" for k, v in shares[shares > 0].items())
        )
    for ps in PEDESTRIAN_STREETS:
        g = gpd.GeoSeries([ps["geometry"]], crs="EPSG:4326").to_crs("EPSG:32651").iloc[0]
        shares = (cm.intersection(g).length / g.length).sort_values(ascending=False)
        if shares.index[0] != ps["county"]:
            problems.append(
                f"{ps['name_zh']}: largest share in {shares.index[0]}, not {ps['county']}"
            )
        if not cm[ps["county"]].contains(g.interpolate(0.5, normalized=True)):
            problems.append(f"{ps['name_zh']}: midpoint not in {ps['county']}")
        print(
            f"{ps['name_zh']:10s} {g.length:6.0f} m  "
            + ", ".join(f"{k} {v:.0%}" for k, v in shares[shares > 0].items())
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=REPO / "data" / "geo")
    args = ap.parse_args(argv)
    counties = gpd.read_file(args.out_dir / "counties.geojson")
    problems = check(counties)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    from gisplan.io.atomic import atomic_write_text

    for name, rows, extra in (
        (
            "business_districts",
            BUSINESS_DISTRICTS,
            {"geometry_quality": "approximate", "source": BD_SOURCE, "licence": BD_LICENCE},
        ),
        ("pedestrian_streets", PEDESTRIAN_STREETS, {"geometry_quality": "approximate"}),
    ):
        rows = [{**r, **extra} for r in rows]
        doc = _feature_collection(name, rows)
        for f in doc["features"]:
            f["geometry"] = _round(f["geometry"])
        out = args.out_dir / f"{name}.geojson"
        atomic_write_text(out, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
