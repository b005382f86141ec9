"""An uploaded layer says what it will replace before it does, and only lands in the area
(issue 11 item 16).

Before: uploading 3 supermarkets replaced every amenity (convenience-store and wet-market
coverage fell to 0.0 %), and a layer in Beijing was accepted ("已读取 80 个要素") before the
analysis failed.  Now the page checks the layer's area first, shows per category what stays
and what is replaced, and changes nothing until the user confirms.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gisplan.analysis import amenity_changes, check_layer_area, merge_amenities
from gisplan.app.auth import SESSION_KEY
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.store import User, hash_password
from tests.helpers.app import ROOT

CJK = re.compile(r"[\u3400-\u9fff]")


def _amenities(rows: list[tuple[str, str, float, float]]) -> gpd.GeoDataFrame:
    ids, cats, xs, ys = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"id": list(ids), "name": list(ids), "category": list(cats), "source": "user"},
        geometry=gpd.points_from_xy(xs, ys),
        crs=WGS84,
    )


CURRENT = _amenities(
    [
        ("a1", "convenience_store", 121.55, 29.87),
        ("a2", "convenience_store", 121.56, 29.87),
        ("a3", "supermarket", 121.55, 29.88),
        ("a4", "wet_market", 121.54, 29.86),
    ]
)
UPLOADED = _amenities(
    [("a1", "supermarket", 121.551, 29.871), ("s2", "supermarket", 121.57, 29.87)]
)


def test_replacing_the_categories_in_the_file_keeps_the_others():
    merged = merge_amenities(CURRENT, UPLOADED, "categories")
    assert sorted(merged["category"]) == sorted(
        ["convenience_store", "convenience_store", "wet_market", "supermarket", "supermarket"]
    )
    # the uploaded "a1" clashes with a kept id: every uploaded id is marked
    assert list(merged["id"]) == ["a1", "a2", "a4", "u:a1", "u:s2"]
    assert merged["id"].is_unique
    changes = amenity_changes(CURRENT, UPLOADED, "categories").set_index("category")
    assert changes.loc["supermarket", ["before", "uploaded", "after"]].tolist() == [1, 2, 2]
    assert changes.loc["supermarket", "change"] == "replaced"
    assert changes.loc["convenience_store", ["before", "after", "change"]].tolist() == [
        2,
        2,
        "kept",
    ]


def test_adding_removes_nothing_and_replacing_all_says_what_is_removed():
    added = amenity_changes(CURRENT, UPLOADED, "add").set_index("category")
    assert added.loc["supermarket", ["before", "after", "change"]].tolist() == [1, 3, "added"]
    assert len(merge_amenities(CURRENT, UPLOADED, "add")) == len(CURRENT) + len(UPLOADED)
    every = amenity_changes(CURRENT, UPLOADED, "all").set_index("category")
    assert every.loc["convenience_store", ["after", "change"]].tolist() == [0, "removed"]
    assert every.loc["wet_market", "change"] == "removed"
    assert list(merge_amenities(CURRENT, UPLOADED, "all")["id"]) == ["a1", "s2"]


def test_a_layer_elsewhere_is_refused_before_it_replaces_anything(model):
    from gisplan.app.state import demo

    ds = demo()
    beijing = _amenities([(f"b{i}", "supermarket", 116.40 + i * 1e-3, 39.90) for i in range(80)])
    with pytest.raises(InputError) as info:
        check_layer_area(ds, beijing, file="北京.geojson")
    assert info.value.code == "layer.outside_ningbo"
    assert info.value.params["n"] == 80 and info.value.params["lon"] == pytest.approx(
        116.44, abs=0.01
    )
    # in Ningbo, but far from the demo neighbourhood (Beilun)
    beilun = _amenities([("x", "supermarket", 121.85, 29.90)])
    with pytest.raises(InputError) as info:
        check_layer_area(ds, beilun)
    assert info.value.code == "layer.outside_dataset"
    # a mixed layer: the outside features are counted, the layer is kept
    w, s, e, n = ds.communities.total_bounds
    mixed = _amenities(
        [("in", "supermarket", (w + e) / 2, (s + n) / 2), ("out", "supermarket", 121.85, 29.9)]
    )
    assert check_layer_area(ds, mixed).tolist() == [False, True]


# -- the page ---------------------------------------------------------------------------------


@pytest.fixture()
def planner(monkeypatch) -> User:
    table = {"tester": {"password_hash": hash_password("pw", rounds=4), "role": "planner"}}
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(table))
    monkeypatch.delenv("GISPLAN_USERS_FILE", raising=False)
    return User("tester", "planner")


def _open(user: User, lang: str = "zh", page: str = "gisplan/app/pages/upload.py") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state[SESSION_KEY] = user
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _radio(at: AppTest, key: str):
    """The radio ``key`` in either language (English widgets have the key ``key__en``)."""
    found = [r for r in at.radio if r.key in (key, f"{key}__en")]
    assert len(found) == 1, [r.key for r in at.radio]
    return found[0]


def _uses_upload(at: AppTest) -> bool:
    return (
        "upload_amenities" in at.session_state and at.session_state["upload_amenities"] is not None
    )


def _plan(at: AppTest, column: str):
    """The table of what the upload changes (the one with a ``column`` column)."""
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def _cards(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _page_text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.warning, *at.error)]
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    return "\n".join(str(p) for p in parts)


def _three_supermarkets(model) -> bytes:
    pts = model.amenities[model.amenities["category"] == "supermarket"].head(3)
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": f"新超市{i}", "category": "超市"},
                    "geometry": {"type": "Point", "coordinates": [p.x + 2e-4, p.y]},
                }
                for i, p in enumerate(pts.geometry)
            ],
        }
    ).encode()


def _check(at: AppTest, name: str, data: bytes) -> AppTest:
    _radio(at, "upload_kind").set_value("amenities").run()
    at.file_uploader(key="upload_file_amenities").set_value(
        (name, data, "application/geo+json")
    ).run()
    at.button(key="upload_apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_three_supermarkets_replace_only_supermarkets_after_confirming(model, planner):
    demo_cards = _cards(_open(planner, page="gisplan/app/pages/coverage.py"))
    at = _check(_open(planner), "超市.geojson", _three_supermarkets(model))
    assert not at.error and not at.success  # checked, nothing used yet
    assert not _uses_upload(at)
    plan = _plan(at, "变化").set_index("类别")
    assert plan.loc["超市", "变化"] == "替换" and plan.loc["超市", "确认后"] == 3
    assert plan.loc["便利店", "变化"] == "保留"
    assert plan.loc["便利店", "确认后"] == plan.loc["便利店", "现有"] > 0
    assert _radio(at, "upload_amenity_mode").value == "categories"  # the safe default
    at.button(key="upload_confirm").click().run()
    assert at.success[0].value == "已读取 3 个要素，本会话将使用此图层。"
    # the banner names the replaced category as the user's and the rest as generated
    assert any("设施（超市）为您上传的数据" in w.value for w in at.warning), [
        w.value for w in at.warning
    ]
    at.switch_page("gisplan/app/pages/coverage.py").run()
    assert not at.exception
    cards = _cards(at)
    for cat in ("便利店", "农贸市场"):
        label = f"{cat} 人口覆盖"
        assert cards[label] == demo_cards[label] != "0.0%"
    assert "Infinity" not in _page_text(at) and "inf" not in _page_text(at).split()


def test_replacing_all_amenities_warns_which_required_categories_will_be_empty(model, planner):
    at = _check(_open(planner, "en"), "shops.geojson", _three_supermarkets(model))
    _radio(at, "upload_amenity_mode").set_value("all").run()
    warnings = " ".join(w.value for w in at.warning)
    assert "Convenience store" in warnings and "coverage is 0%" in warnings
    plan = _plan(at, "Change").set_index("Category")
    assert plan.loc["Convenience store", "Change"] == "all removed"
    at.button(key="upload_confirm").click().run()
    at.switch_page("gisplan/app/pages/coverage.py").run()
    assert not at.exception
    assert _cards(at)["Convenience store population coverage"] == "0.0%"
    text = _page_text(at)
    assert "Infinity" not in text and not re.search(r"\binf\b", text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_beijing_coordinates_are_refused_at_the_check(planner, lang):
    beijing = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": f"b{i}", "category": "supermarket"},
                "geometry": {"type": "Point", "coordinates": [116.40 + i * 1e-3, 39.90]},
            }
            for i in range(80)
        ],
    }
    at = _check(_open(planner, lang), "stores.geojson", json.dumps(beijing).encode())
    assert not at.success
    assert len(at.error) == 1
    text = re.sub(r"\\(.)", r"\1", at.error[0].value)
    if lang == "zh":
        assert (
            text.startswith("文件 stores.geojson：80 个要素都不在宁波") and "未作任何替换" in text
        )
    else:
        assert text.startswith("File stores.geojson: None of the 80 features is in Ningbo")
        assert not CJK.search(text)
    assert not _uses_upload(at)
    assert not [b for b in at.button if b.key == "upload_confirm"]
    assert np.isclose(float(re.search(r"(116\.\d+)", text).group(1)), 116.44, atol=0.01)
