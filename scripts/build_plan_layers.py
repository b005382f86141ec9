"""Build the plan's layers in ``data/geo/``: business districts, pedestrian streets, OSM places.

Outputs (EPSG:4326, GeoJSON with a ``crs`` member):

- ``osm_commercial_places.geojson`` — names and positions of OpenStreetMap commercial areas and
  malls of Ningbo, for orientation on the public map (© OpenStreetMap contributors, ODbL 1.0).
  Made only when ``--osm-areas FILE`` is given: FILE is the extract "OpenStreetMap commercial
  and retail areas and malls of Ningbo's 10 counties" (osmnx, August 2025; 353 features with
  ``name`` and polygon or point geometry). Only the name and one point per feature are kept
  (see :func:`extract_places`); the file itself is not copied.
- ``business_districts.geojson`` — the six business districts (商圈) of the Ningbo commerce plan
  2021–2025 (宁波市商贸发展“十四五”规划, 专栏4). The plan publishes no maps: each district's extent
  is drawn around the OpenStreetMap commercial places its name refers to (``osm_anchors``: the
  box around those places' positions, widened by a margin, corners cut), except 泛三江口, whose
  three-bank outline is drawn by hand and checked to contain its anchors.
- ``pedestrian_streets.geojson`` — the plan's pedestrian streets (步行街): schematic centre lines
  of the OpenStreetMap areas of the same name where OSM has one (computed once from the
  extract with :func:`centre_line` and kept below as coordinates), otherwise placed from
  general geographic knowledge.

Every feature carries ``geometry_quality = "approximate"``. The script checks the result against
``counties.geojson`` (built first by ``scripts/build_admin_divisions.py``): a business district's
largest area share and its centroid lie in its stated county, a pedestrian street lies in its
county; and against the places: every anchor lies inside its district, every street passes within
100 m of its OSM place. With ``--osm-areas`` it also checks each street against its OSM polygon
(at least 80 % of the line inside, except where a
street only starts in it) and prints the nearest OSM places of every district.

Usage::

    .venv/bin/python scripts/build_plan_layers.py [--out-dir data/geo] [--osm-areas FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box, mapping

REPO = Path(__file__).resolve().parents[1]
PLAN = "宁波市商贸发展“十四五”规划 (Ningbo commerce plan 2021–2025)"
CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
OSM = "© OpenStreetMap contributors"
ODBL = "ODbL 1.0, © OpenStreetMap contributors"
METRIC = "EPSG:32651"  # UTM 51N, metres
OSM_EXTRACT = "OpenStreetMap commercial areas and malls of Ningbo (osmnx extract, August 2025)"

# -- OSM commercial places -------------------------------------------------------------------

#: Names that do not help a visitor find a shopping place: companies, offices, hotels, car
#: dealers, industrial/office parks, government and media buildings, one-word placeholders.
NOT_A_PLACE = re.compile(
    r"有限公司|公司|集团|分局|政府|酒店|博物馆|投递站|产业园|孵化园|创业园|科技园|文创园|园区|"
    r"汽车|小鹏|蔚来|理想|广汽|大厦|大楼|传媒|电视|研究院|天能|波威|韵升|荪湖山庄|二手车|"
    r"车源汇|Sport|信息|Intime|Wanda|^农贸$"
)
#: Features of the same name closer than this (metres) are one place (the larger is kept).
SAME_PLACE_M = 400.0


def extract_places(areas: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Names and one point each of the OSM commercial areas that help a visitor orient.

    Drops names matching :data:`NOT_A_PLACE` and repeats of a name within
    :data:`SAME_PLACE_M` (the same place mapped twice, e.g. once per county queried). The
    point is the area's centroid, or a point on its surface when the centroid lies outside it.
    ``county`` comes from ``counties`` (the project's own boundaries). Sorted by county, name.
    """
    a = areas[areas["name"].notna()].copy()
    a["name"] = a["name"].astype(str).str.strip()
    a = a[(a["name"] != "") & ~a["name"].str.contains(NOT_A_PLACE)]
    m = a.to_crs(METRIC)
    a["_area"] = m.area
    pts = m.geometry.centroid
    outside = ~m.geometry.buffer(1.0).contains(pts)
    pts[outside] = m.geometry[outside].representative_point()
    a = a.set_geometry(gpd.GeoSeries(pts, crs=METRIC).to_crs("EPSG:4326").values)
    a = a.sort_values("_area", ascending=False)
    keep: list[int] = []
    for _, grp in a.groupby("name", sort=False):
        taken: list[Point] = []
        for idx, g in zip(grp.index, grp.to_crs(METRIC).geometry, strict=True):
            if all(g.distance(t) >= SAME_PLACE_M for t in taken):
                taken.append(g)
                keep.append(idx)
    a = a.loc[keep]
    cm = counties.to_crs("EPSG:4326")
    ipt, icounty = shapely.STRtree(cm.geometry.values).query(a.geometry.values, predicate="within")
    county = pd.Series("", index=range(len(a)), dtype=object)
    county.iloc[ipt] = cm["name_zh"].to_numpy()[icounty]
    out = gpd.GeoDataFrame(
        {
            "name": a["name"].to_numpy(),
            "county": county.to_numpy(),
            "source": f"OpenStreetMap ({OSM_EXTRACT}); name and one point per feature",
            "licence": ODBL,
        },
        geometry=a.geometry.values,
        crs="EPSG:4326",
    )
    out = out[out["county"] != ""]
    return out.sort_values(["county", "name"], kind="stable").reset_index(drop=True)


def centre_line(polygon, pieces: int = 6) -> LineString:
    """A schematic centre line of an elongated polygon (metric CRS in, metric CRS out).

    The polygon is cut into ``pieces`` strips across the long side of its minimum rotated
    rectangle; the line joins the strips' centroids.
    """
    rect = list(polygon.minimum_rotated_rectangle.exterior.coords)
    a, b = max(zip(rect[:-1], rect[1:], strict=True), key=lambda e: LineString(e).length)
    angle = float(np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])))
    c = polygon.centroid
    p = affinity.rotate(polygon, -angle, origin=c)
    minx, miny, maxx, maxy = p.bounds
    step = (maxx - minx) / pieces
    pts = []
    for i in range(pieces):
        part = p.intersection(box(minx + i * step, miny, minx + (i + 1) * step, maxy))
        if not part.is_empty:
            pts.append(part.centroid)
    return affinity.rotate(LineString(pts), angle, origin=c)


# -- business districts ----------------------------------------------------------------------


def _octagon(west: float, south: float, east: float, north: float, cut: float = 0.2) -> Polygon:
    """The box (any CRS) with its corners cut by ``cut`` of each side."""
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


BD_LICENCE = (
    "geometry: drawn around OpenStreetMap positions (ODbL 1.0, © OpenStreetMap contributors); "
    "attribute text quoted from a public government plan"
)

# Business districts (国际知名商圈) of 专栏4.  Status: the 2020 review says 泛三江口 and 东部新城
# "稳步建设" (under construction); the others are "规划建设" (planned) in the plan.
# ``anchors``: (name, county) of OSM commercial places the district's name refers to;
# ``margin_m``: how far the extent reaches beyond them; ``outline``: a hand-drawn polygon instead.
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
        "note": "Around the confluence of the 余姚江, 奉化江 and 甬江 (~29.874 N 121.556 E): "
        "天一广场/鼓楼/城隍庙/和义 (海曙), 老外滩 and the 来福士/绿地中心 bank (江北), the east "
        "bank (鄞州, former 江东). Outline drawn by hand; it contains every OSM place listed in "
        "osm_anchors.",
        "anchors": [
            ("天一广场", "海曙区"),
            ("和义大道购物中心", "海曙区"),
            ("城隍庙商业步行街", "海曙区"),
            ("宁波鼓楼商业步行街", "海曙区"),
            ("宁波老外滩", "江北区"),
            ("来福士广场", "江北区"),
            ("宁波绿地中心", "江北区"),
            ("THE PARK by K11 Select", "鄞州区"),
            ("宁波集合广场", "鄞州区"),
        ],
        "outline": Polygon(
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
        "note": "Around 宁波文化广场, 宏泰广场 and 阪急 (the plan's key projects, all mapped in "
        "OSM) north to the 国际会展中心 and south to 东部银泰城/五一广场.",
        "anchors": [
            ("宁波文化广场", "鄞州区"),
            ("宏泰广场", "鄞州区"),
            ("宁波阪急", "鄞州区"),
            ("宁波国际金融服务中心", "鄞州区"),
            ("东部银泰城", "鄞州区"),
            ("宁波五一广场", "鄞州区"),
            ("杉杉国贸天地", "鄞州区"),
            ("宁波国际会议展览中心", "鄞州区"),
        ],
        "margin_m": 450.0,
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
        "note": "Around the OSM area 南部商务区 (~1 km², centred ~29.808 N 121.543 E) and "
        "宝龙一城 beside it. Until 2026-11 this layer put the district's centre ~2.1 km further "
        "north-east, around 29.822 N 121.553 E.",
        "anchors": [("南部商务区", "鄞州区"), ("宝龙一城购物广场", "鄞州区")],
        "margin_m": 850.0,
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
        "note": "海曙区 集士港, around the 杉井奥特莱斯 outlet mall (the plan's 名品折扣 "
        "positioning) and 盈隆广场. Until 2026-11 this layer was centred ~1.6 km further "
        "south-west (29.850 N 121.441 E), leaving the outlet mall outside.",
        "anchors": [("杉井奥特莱斯广场·宁波", "海曙区"), ("盈隆广场", "海曙区")],
        "margin_m": 700.0,
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
        "note": "镇海新城 (骆驼), around 箭湖中心, 银泰百货 and 镇海新城市场 (~29.966 N 121.593 E). "
        "Until 2026-11 this layer put it ~5.7 km further east (29.963 N 121.650 E), "
        "where no commercial centre is mapped.",
        "anchors": [
            ("箭湖中心", "镇海区"),
            ("银泰百货", "镇海区"),
            ("镇海新城市场", "镇海区"),
            ("大润发", "镇海区"),
            ("迪赛邻里", "镇海区"),
        ],
        "margin_m": 500.0,
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
        "note": "北仑区 新碶 centre, from 环球东方港城/北仑银泰城 east to 富邦商业广场 and 凤凰城堡.",
        "anchors": [
            ("北仑银泰城", "北仑区"),
            ("富邦商业广场", "北仑区"),
            ("凤凰城堡（南区）", "北仑区"),
            ("凤凰城堡（北区）", "北仑区"),
            ("环球东方港城商业广场", "北仑区"),
            ("摩根国际", "北仑区"),
            ("北仑凤凰金融中心", "北仑区"),
        ],
        "margin_m": 450.0,
    },
]

PS_SOURCE_PLAN = f"{PLAN}, 专栏4 and section 四(三)2 (name, level)"
PS_OSM_LICENCE = "ODbL 1.0 (position from OpenStreetMap); attributes from a public government plan"

# Pedestrian streets (高品质步行街).  ``osm_place``: the OSM commercial area of the same street
# (name, county) the line was drawn on; lines marked "centre line" are centre_line() of that
# OSM polygon, computed from the extract and rounded to 5 decimals (~1 m).
PEDESTRIAN_STREETS: list[dict] = [
    {
        "id": "ps-laowaitan",
        "name_zh": "老外滩街区",
        "name_en": "Old Bund (Laowaitan) Quarter",
        "level": "national",
        "status": "existing",
        "county": "江北区",
        "osm_place": ("宁波老外滩", "江北区"),
        "source": f"{PS_SOURCE_PLAN}; line = centre line of the OSM area 宁波老外滩 ({OSM})",
        "licence": PS_OSM_LICENCE,
        "note_zh": "全国第二批步行街改造提升试点。线位取自 OpenStreetMap 中甬江北岸“宁波老外滩”区域的中心线，约 310 米；街区的街巷延伸到线外。",
        "note": "National pilot for pedestrian-street upgrading (全国第二批步行街改造提升试点). "
        "Centre line of the OSM area on the north bank of the 甬江, ~310 m; the quarter's "
        "streets extend beyond it.",
        "geometry": LineString([(121.55617, 29.8778), (121.55689, 29.8805)]),
    },
    {
        "id": "ps-dongguodao",
        "name_zh": "东鼓道",
        "name_en": "Donggudao (Dongmenkou–Gulou) Street",
        "level": "provincial",
        "status": "existing",
        "county": "海曙区",
        "osm_place": ("宁波鼓楼商业步行街", "海曙区"),
        "osm_min_inside": 0.2,  # only the 鼓楼 end is the OSM area
        "source": f"{PS_SOURCE_PLAN}; 鼓楼 part = centre line of the OSM area 宁波鼓楼商业步行街 "
        f"({OSM}); 中山路 part schematic",
        "licence": PS_OSM_LICENCE,
        "note_zh": "规划：推进省级步行街建设。自鼓楼步行街（公园路）向南，再沿中山路向东至东门口；中山路段为示意线位。",
        "note": "Plan: 推进省级步行街建设. From the 鼓楼 pedestrian street (公园路) south, then "
        "east along 中山路 to 东门口; the 中山路 part is schematic.",
        "geometry": LineString([(121.54325, 29.87934), (121.54226, 29.87595), (121.5535, 29.8742)]),
    },
    {
        "id": "ps-nantanglaojie",
        "name_zh": "南塘老街",
        "name_en": "Nantang Old Street",
        "level": "provincial",
        "status": "existing",
        "county": "海曙区",
        "osm_place": ("南塘老街", "海曙区"),
        "source": f"{PS_SOURCE_PLAN}; line = centre line of the OSM area 南塘老街 ({OSM})",
        "licence": PS_OSM_LICENCE,
        "note_zh": "规划：推进省级步行街建设。沿南塘河自西南向东北，约 1 公里（OpenStreetMap 区域的中心线）。2026 年 11 月以前本图层将其画为南北走向。",
        "note": "Plan: 推进省级步行街建设. Along the 南塘河, south-west to north-east, ~1 km "
        "(centre line of the OSM area). Until 2026-11 this layer drew it north–south.",
        "geometry": LineString(
            [
                (121.53751, 29.85853),
                (121.53592, 29.85731),
                (121.53454, 29.85623),
                (121.53267, 29.85524),
                (121.53095, 29.85433),
                (121.52926, 29.85334),
            ]
        ),
    },
    {
        "id": "ps-nanbushuijie",
        "name_zh": "南部商务区水街",
        "name_en": "Southern Business District Water Street",
        "level": "provincial",
        "status": "existing",
        "county": "鄞州区",
        "osm_place": ("南部商务区", "鄞州区"),
        "source": f"{PS_SOURCE_PLAN}; placed inside the OSM area 南部商务区 ({OSM}); "
        "alignment schematic",
        "licence": PS_OSM_LICENCE,
        "note_zh": "规划：推进省级步行街建设。OpenStreetMap 中没有这一名称的街道：线位放在“南部商务区”区域中部（走向未知，为示意）。2026 年 11 月以前本图层将其置于东北方约 1.8 公里处。",
        "note": "Plan: 推进省级步行街建设. OSM maps no street of this name: the line is placed "
        "across the middle of the OSM area 南部商务区 (alignment unknown, schematic). Until "
        "2026-11 this layer put it ~1.8 km further north-east.",
        "geometry": LineString([(121.5395, 29.8086), (121.5462, 29.8078)]),
    },
    {
        "id": "ps-zhuangshilaojie",
        "name_zh": "庄市老街",
        "name_en": "Zhuangshi Old Street",
        "level": "municipal",
        "status": "existing",
        "county": "镇海区",
        "osm_place": None,
        "source": f"{PS_SOURCE_PLAN}; position from general geographic knowledge (no OSM "
        "feature of this name in the extract)",
        "licence": "gisplan project (MIT); attributes from a public government plan",
        "note_zh": "规划所举的市级高品质步行街示例。镇海区庄市街道老街，置于约北纬 29.931°、东经 121.612°（江北—镇海区界以东；该纬度处区界约在东经 121.597°）；位置误差可达约 1 公里。",
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
        "osm_place": ("城隍庙商业步行街", "海曙区"),
        "source": f"line = centre line of the OSM area 城隍庙商业步行街 ({OSM})",
        "licence": "ODbL 1.0 (position from OpenStreetMap)",
        "note_zh": "宁波府城隍庙旁现有的商业步行街，规划中未列名；约 120 米（OpenStreetMap 区域的长轴）。",
        "note": "Existing commercial pedestrian street by the 宁波府城隍庙, not named in the plan; "
        "~120 m (the OSM area's long axis).",
        "geometry": LineString([(121.54763, 29.86845), (121.54641, 29.86871)]),
    },
]


# -- building and checking -------------------------------------------------------------------


def _place_points(places: gpd.GeoDataFrame, wanted: list[tuple[str, str]]) -> gpd.GeoSeries:
    """The points (metric CRS) of the places named (name, county); exactly one each."""
    idx = places.set_index(["name", "county"])
    out = []
    for key in wanted:
        if key not in idx.index:
            raise SystemExit(f"OSM place {key} not in osm_commercial_places.geojson")
        rows = idx.loc[[key]]
        if len(rows) != 1:
            raise SystemExit(f"OSM place {key} is ambiguous ({len(rows)} rows)")
        out.append(rows.geometry.iloc[0])
    return gpd.GeoSeries(out, crs=places.crs).to_crs(METRIC)


def district_geometry(bd: dict, places: gpd.GeoDataFrame) -> Polygon:
    """A district's polygon (EPSG:4326): its outline, or the octagon around its anchors."""
    if "outline" in bd:
        return bd["outline"]
    pts = _place_points(places, bd["anchors"])
    w, s, e, n = pts.total_bounds
    r = bd["margin_m"]
    poly = _octagon(w - r, s - r, e + r, n + r)
    return gpd.GeoSeries([poly], crs=METRIC).to_crs("EPSG:4326").iloc[0]


def district_rows(places: gpd.GeoDataFrame) -> list[dict]:
    """Business-district rows (attributes + geometry) ready to write."""
    rows = []
    for bd in BUSINESS_DISTRICTS:
        anchors = "、".join(name for name, _ in bd["anchors"])
        how = (
            "outline drawn by hand around the OSM places in osm_anchors"
            if "outline" in bd
            else f"box around the OSM places in osm_anchors widened by {bd['margin_m']:.0f} m"
        )
        row = {k: v for k, v in bd.items() if k not in ("anchors", "margin_m", "outline")}
        row.update(
            osm_anchors=anchors,
            source=f"{PLAN} 专栏4 (name, positioning, projects); extent: {how} ({OSM}); the "
            "plan publishes no boundary",
            licence=BD_LICENCE,
            geometry=district_geometry(bd, places),
        )
        rows.append(row)
    return rows


def street_rows() -> list[dict]:
    rows = []
    for ps in PEDESTRIAN_STREETS:
        row = {k: v for k, v in ps.items() if k not in ("osm_place", "osm_min_inside")}
        row["osm_place"] = ps["osm_place"][0] if ps["osm_place"] else ""
        rows.append(row)
    return rows


def check(
    counties: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | None = None,
) -> list[str]:
    """Problems of the definitions against counties, OSM places and (optionally) OSM areas."""
    problems: list[str] = []
    cm = counties.to_crs(METRIC).set_index("name_zh").geometry
    am = None
    if areas is not None:
        am = areas.to_crs(METRIC)
        am["name"] = am["name"].astype(str).str.strip()
    pm = places.to_crs(METRIC)
    for bd, row in zip(BUSINESS_DISTRICTS, district_rows(places), strict=True):
        g = gpd.GeoSeries([row["geometry"]], crs="EPSG:4326").to_crs(METRIC).iloc[0]
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
        anchors = _place_points(places, bd["anchors"])
        for (name, _), pt in zip(bd["anchors"], anchors, strict=True):
            if not g.contains(pt):
                problems.append(f"{bd['name_zh']}: anchor {name} outside the polygon")
        dist = pm.distance(g.centroid)
        near = pm.assign(d=dist)[dist < 2500]
        print(
            f"{bd['name_zh']:8s} {g.area / 1e6:5.2f} km²  "
            + ", ".join(f"{k} {v:.0%}" for k, v in shares[shares > 0].items())
            + "\n    OSM places within 2.5 km of the centroid: "
            + "、".join(f"{n} {d:.0f} m" for n, d in near.sort_values("d")[["name", "d"]].values)
        )
    for ps in PEDESTRIAN_STREETS:
        g = gpd.GeoSeries([ps["geometry"]], crs="EPSG:4326").to_crs(METRIC).iloc[0]
        shares = (cm.intersection(g).length / g.length).sort_values(ascending=False)
        if shares.index[0] != ps["county"]:
            problems.append(
                f"{ps['name_zh']}: largest share in {shares.index[0]}, not {ps['county']}"
            )
        if not cm[ps["county"]].contains(g.interpolate(0.5, normalized=True)):
            problems.append(f"{ps['name_zh']}: midpoint not in {ps['county']}")
        inside = ""
        if ps["osm_place"]:
            pt = _place_points(places, [ps["osm_place"]]).iloc[0]
            if g.distance(pt) > 100:
                problems.append(f"{ps['name_zh']}: {g.distance(pt):.0f} m from its OSM place")
            if am is not None:
                poly = am[am["name"] == ps["osm_place"][0]].geometry.union_all()
                frac = g.intersection(poly).length / g.length
                inside = f", {frac:.0%} inside the OSM area"
                if frac < ps.get("osm_min_inside", 0.8):
                    problems.append(f"{ps['name_zh']}: only {frac:.0%} inside its OSM area")
        print(
            f"{ps['name_zh']:10s} {g.length:6.0f} m  "
            + ", ".join(f"{k} {v:.0%}" for k, v in shares[shares > 0].items())
            + inside
        )
    return problems


def _feature_collection(name: str, rows: list[dict]) -> dict:
    feats = []
    for row in rows:
        props = {k: v for k, v in row.items() if k != "geometry"}
        geom = _round(mapping(row["geometry"]))
        feats.append({"type": "Feature", "properties": props, "geometry": geom})
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


def _write(path: Path, name: str, rows: list[dict]) -> None:
    from gisplan.io.atomic import atomic_write_text

    doc = _feature_collection(name, rows)
    atomic_write_text(path, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {path} ({len(rows)} features)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=REPO / "data" / "geo")
    ap.add_argument(
        "--osm-areas",
        type=Path,
        help=f"GeoJSON of {OSM_EXTRACT}: rebuild osm_commercial_places.geojson from it and "
        "check the streets against its polygons",
    )
    args = ap.parse_args(argv)
    counties = gpd.read_file(args.out_dir / "counties.geojson")
    places_path = args.out_dir / "osm_commercial_places.geojson"
    areas = None
    if args.osm_areas is not None:
        areas = gpd.read_file(args.osm_areas)
        places = extract_places(areas, counties)
        print(f"{len(areas)} OSM features -> {len(places)} places")
    else:
        places = gpd.read_file(places_path)
    problems = check(counties, places, areas)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    if areas is not None:
        rows = [
            {**r, "geometry": g}
            for r, g in zip(
                places.drop(columns="geometry").to_dict("records"), places.geometry, strict=True
            )
        ]
        _write(places_path, "osm_commercial_places", rows)
    approx = {"geometry_quality": "approximate"}
    _write(
        args.out_dir / "business_districts.geojson",
        "business_districts",
        [{**r, **approx} for r in district_rows(places)],
    )
    _write(
        args.out_dir / "pedestrian_streets.geojson",
        "pedestrian_streets",
        [{**r, **approx} for r in street_rows()],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
