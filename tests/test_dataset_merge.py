"""Amenity merging across sources, on hand-made duplicates with distances set in metres."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from gisplan.dataset.merge import (
    MERGE_DISTANCE_M,
    merge_amenities,
    names_similar,
    normalise_name,
)

UTM = "EPSG:32651"
X0, Y0 = 360_000.0, 3_306_000.0  # metres, near 三江口


def _layer(source: str, rows: list[tuple[str, str, str, float, float]]) -> gpd.GeoDataFrame:
    """rows: (id, name, category, dx metres, dy metres) from a common origin."""
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "category": [r[2] for r in rows],
            "source": source,
        },
        geometry=gpd.points_from_xy([X0 + r[3] for r in rows], [Y0 + r[4] for r in rows]),
        crs=UTM,
    ).to_crs(4326)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("联华超市", "联华超市(鼓楼店)", True),  # branch in brackets dropped
        ("ＦＡＭＩＬＹ　ＭＡＲＴ", "familymart", True),  # NFKC, case, spaces
        ("全家便利店", "全家", True),  # containment
        ("快客便利", "快客便利店", True),
        ("老王早餐", "小李早餐", False),  # ratio 0.5
        ("华联", "物美", False),
        ("7-11", "7—11", True),  # punctuation removed
    ],
)
def test_name_rule(a, b, same):
    assert names_similar(normalise_name(a), normalise_name(b)) is same


def test_merge_hand_made_duplicates():
    osm = _layer(
        "osm",
        [
            ("osm:1", "联华超市", "supermarket", 0, 0),
            ("osm:2", "全家", "convenience_store", 100, 0),
            ("osm:3", "", "wet_market", 200, 0),  # unnamed market
            ("osm:4", "老王早餐", "breakfast", 300, 0),
            ("osm:5", "快客", "convenience_store", 400, 0),
        ],
    )
    amap = _layer(
        "amap",
        [
            ("B1", "联华超市(鼓楼店)", "supermarket", 20, 0),  # 20 m, similar -> merged
            ("B2", "全家便利店", "convenience_store", 100, 29),  # 29 m -> merged
            ("B3", "白沙菜场", "wet_market", 208, 0),  # 8 m, unnamed partner -> merged
            ("B4", "小李早餐", "breakfast", 305, 0),  # 5 m, other name -> kept
            ("B5", "快客", "supermarket", 400, 0),  # other category -> kept
            ("B6", "联华超市", "supermarket", 0, 31),  # 31 m > 30 m -> kept
        ],
    )
    baidu = _layer(
        "baidu",
        [
            ("b1", "联华超市", "supermarket", 10, 0),  # merged into osm:1 as well (other source)
            ("b2", "", "convenience_store", 400, 15),  # unnamed, 15 m > 10 m -> kept
        ],
    )
    merged, report = merge_amenities([osm, amap, baidu], metric_crs=UTM)
    assert MERGE_DISTANCE_M == 30.0
    ids = set(merged["id"])
    assert ids == {"osm:1", "osm:2", "osm:3", "osm:4", "osm:5", "B4", "B5", "B6", "b2"}
    m = merged.set_index("id")["merged_ids"]
    assert set(m["osm:1"].split(";")) == {"B1", "b1"} and m["osm:2"] == "B2" and m["osm:3"] == "B3"
    assert report.merged == {"osm+amap": 3, "osm+baidu": 1}
    assert report.rows_in == {"osm": 5, "amap": 6, "baidu": 2}
    assert report.rows_out == len(merged) == 13 - 4
    # independent check: every dropped row has a kept row of another source, same category,
    # within 30 m
    allrows = gpd.GeoDataFrame(
        np.concatenate([osm.to_crs(UTM).values, amap.to_crs(UTM).values, baidu.to_crs(UTM).values]),
        columns=osm.columns,
        geometry="geometry",
        crs=UTM,
    )
    kept = merged.to_crs(UTM).set_index("id")
    for rec in allrows[~allrows["id"].isin(ids)].itertuples():
        partner = kept.loc[[k for k, v in m.items() if rec.id in v.split(";")][0]]
        assert partner["category"] == rec.category and partner["source"] != rec.source
        assert partner.geometry.distance(rec.geometry) <= 30.0


def test_one_record_absorbs_at_most_one_per_source_and_same_source_never_merges():
    osm = _layer("osm", [("o1", "华联", "supermarket", 0, 0), ("o2", "华联", "supermarket", 5, 0)])
    amap = _layer(
        "amap", [("a1", "华联", "supermarket", 1, 0), ("a2", "华联", "supermarket", 2, 0)]
    )
    merged, report = merge_amenities([osm, amap], metric_crs=UTM)
    # o1 takes its nearest (a1), o2 the other one; o1 and o2 (same source) both stay
    assert sorted(merged["id"]) == ["o1", "o2"]
    assert dict(zip(merged["id"], merged["merged_ids"], strict=True)) == {"o1": "a1", "o2": "a2"}
    assert report.merged == {"osm+amap": 2}


def test_clashing_ids_are_prefixed():
    a = _layer("osm", [("1", "甲", "pharmacy", 0, 0)])
    b = _layer("amap", [("1", "乙药房", "pharmacy", 500, 0)])
    merged, _ = merge_amenities([a, b], metric_crs=UTM)
    assert sorted(merged["id"]) == ["1", "amap:1"]
