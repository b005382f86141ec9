"""The residents' page "我的15分钟生活圈" through AppTest: pick by name, the URL, messages.

The minutes expected on the page are computed here from the access model's own distances
(metres per community and category), not through the page's engine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gisplan.app import state as app_support
from gisplan.app.my_circle import (
    SEARCH_LIMIT,
    community_labels,
    community_search,
    pinyin_initials,
    place_from_params,
)
from gisplan.catalogue import default_standard

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "gisplan" / "app" / "pages" / "my_circle.py")
TIMEOUT = 180
STD = default_standard()


@pytest.fixture(scope="module")
def model():
    """The cached access model of the demo data (the same object the app uses)."""
    return app_support._model("demo", app_support.demo())


def open_page(lang: str = "zh", **params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["lang"] = lang
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    return "\n".join(
        [m.value for m in at.markdown]
        + [c.value for c in at.caption]
        + [w.value for w in at.warning]
        + [i.value for i in at.info]
    )


def choose(at: AppTest, cid: str, model) -> None:
    """Type the community's pinyin initials and click it in the short list of matches."""
    name = model.communities.set_index("id").loc[cid, "name"]
    label = community_labels("demo", app_support.demo())[cid]
    at.text_input(key="circle_query").input(pinyin_initials(name)).run()
    assert not at.exception, [e.value for e in at.exception]
    hits = [b for b in at.button if b.key.startswith("circle_hit_")]
    assert 0 < len(hits) <= SEARCH_LIMIT
    next(b for b in hits if b.label.replace("\\", "") == label).click().run()
    assert not at.exception, [e.value for e in at.exception]


def expected_minutes(model, cid: str, category: str) -> str:
    d = model.distances_m.loc[cid, category] / STD.metres_per_minute
    return f"{d:.1f}"


def test_pick_a_community_by_name_shows_the_engines_minutes(model):
    at = open_page()
    labels = community_labels("demo", app_support.demo())
    # the community of the demo that meets the standard and the one that does not
    table = model.coverage(STD).table.set_index("id")
    good = table.index[table["complete"]][0]
    bad = table.index[~table["complete"] & table["snapped"]][0]
    for cid in (good, bad):
        choose(at, cid, model)
        assert at.query_params["c"] == [cid] or at.query_params["c"] == cid
        shown = texts(at)
        name = model.communities.set_index("id").loc[cid, "name"]
        assert f"#### {name}" in shown or name in shown
        assert labels[cid].startswith(name)
        verdict = "✅ 达到15分钟便民生活圈标准" if cid == good else "⚠️ 未达到15分钟便民生活圈标准"
        assert verdict in shown
        for cat in STD.required_ids:
            d = model.distances_m.loc[cid, cat]
            if d <= 20 * STD.metres_per_minute:
                assert f"{expected_minutes(model, cid, cat)} 分钟" in shown, (cid, cat)
            else:
                assert "20 分钟内没有" in shown
        for cat in table.loc[cid, "missing"].split(","):
            if cat:
                assert f"✗ 缺{STD[cat].name_zh}" in shown
        # every card carries the synthetic label, not just the page
        assert shown.count("示例数据（合成）") >= 3


def test_nearest_names_are_amenities_of_their_category_at_those_minutes(model):
    at = open_page(c="C0100")
    card = next(m.value for m in at.markdown if "★ **便利店**" in m.value)
    amen = model.amenities
    for row in card.split("  \n"):
        parts = row.split(" · ")
        if len(parts) < 4:
            continue
        cat = next(c for c in STD.categories if f"**{c.name_zh}**" in parts[0])
        names = set(amen.loc[amen["category"] == cat.id, "name"])
        assert parts[1].replace("\\", "") in names
        assert parts[2] == f"{expected_minutes(model, 'C0100', cat.id)} 分钟"


def test_the_url_reopens_the_same_place(model):
    at = open_page(c="C0042")
    name = model.communities.set_index("id").loc["C0042", "name"]
    assert f"#### {name}" in texts(at)
    # a tapped place: ?at=lon,lat
    p = model.communities.set_index("id").loc["C0042"].geometry
    at2 = open_page(at=f"{p.x + 0.0004:.5f},{p.y:.5f}")
    assert at2.text_input(key="circle_query").value == ""
    shown = texts(at2)
    assert "地图上点选的位置" in shown and f"{p.x + 0.0004:.5f}" in shown
    assert at2.query_params["at"] in (
        [f"{p.x + 0.0004:.5f},{p.y:.5f}"],
        f"{p.x + 0.0004:.5f},{p.y:.5f}",
    )


@pytest.mark.parametrize(
    "params, message",
    [
        ({"at": "121.0,31.0"}, "不在本数据集的范围内"),
        ({"at": "abc"}, "链接中的位置无效"),
        ({"at": "nan,nan"}, "链接中的位置无效"),
        ({"at": "1" * 200}, "链接中的位置无效"),
        ({"c": "no-such-community"}, "链接中的位置无效"),
    ],
)
def test_bad_links_get_a_friendly_message(params, message):
    at = open_page(**params)
    assert any(message in w.value for w in at.warning), [w.value for w in at.warning]
    assert "#### " not in texts(at)


def test_english(model):
    at = open_page("en", c="C0100")
    shown = texts(at)
    assert "My 15-minute circle" in at.title[0].value
    assert "Nearest everyday services" in shown
    assert "Synthetic sample" in shown
    assert f"{expected_minutes(model, 'C0100', 'convenience_store')} min" in shown


def test_nothing_chosen_invites_a_choice_and_sends_no_list():
    at = open_page()
    assert any("请先选择小区" in i.value for i in at.info)
    assert not [b for b in at.button if b.key.startswith("circle_hit_")]  # no names sent
    at.text_input(key="circle_query").input("zzzzqqq").run()
    assert any("没有找到这个小区" in c.value for c in at.caption)


@pytest.mark.parametrize("query", ["gyhy", "花园", "HY", "y", "园", "cs", " 广 园 "])
def test_search_finds_every_match_and_lists_the_first_few(query):
    """The count equals a search written here over the raw names; the list is short, with
    names that start with the query first."""
    demo = app_support.demo()
    index = community_search("demo", demo)
    q = "".join(c for c in query.lower() if c.isalnum())
    names = demo.communities["name"].astype(str)
    expected = {
        cid
        for cid, n in zip(demo.communities["id"].astype(str), names, strict=True)
        if q in n.lower() or q in pinyin_initials(n, alternatives=True)
    }
    hits, total = index.find(query)
    assert total == len(expected)
    assert len(hits) == min(SEARCH_LIMIT, len(expected))
    assert {cid for cid, _ in hits} <= expected
    labels = community_labels("demo", demo)
    assert all(labels[cid] == label for cid, label in hits)
    starts = [labels[cid].lower().startswith(q) for cid, _ in hits]
    assert starts == sorted(starts, reverse=True)  # names starting with it come first


def test_pinyin_initials_and_url_parsing():
    assert pinyin_initials("广园花园") == "gyhy"
    assert pinyin_initials("银泰城 A区 1期") == "ytcaq1q"
    assert pinyin_initials("长闻新村", alternatives=True) == "zwxc cwxc"
    assert pinyin_initials("广园花园", alternatives=True) == "gyhy"
    assert place_from_params({"c": "C1"})[0].community_id == "C1"
    assert place_from_params({"at": "121.5,29.8"})[0].lon == pytest.approx(121.5)
    assert place_from_params({"at": "121.5"}) == (None, "at")
    assert place_from_params({"at": "inf,1"}) == (None, "at")
    assert place_from_params({}) == (None, None)
    assert np.isfinite(place_from_params({"at": " 121.5 , 29.8 "})[0].lat)


def test_a_real_dataset_shows_its_date_and_source_on_the_cards(monkeypatch):
    """On data that is not synthetic, every card names the data, its date and its source."""
    from dataclasses import replace

    from gisplan.analysis import DataSource
    from gisplan.app import state

    real = replace(
        app_support.demo(),
        name="宁波测试数据 Ningbo test data",
        synthetic=False,
        sources=(
            DataSource(kind="osm", name="OpenStreetMap extract ningbo.osm.pbf", date="2026-10-01"),
            DataSource(kind="poi", name="Amap POI export", date="2026-09-15"),
        ),
    )
    monkeypatch.setattr(state, "current_dataset", lambda: ("real-test", real))
    at = open_page(c="C0100")
    shown = texts(at).replace("\\", "")  # names are Markdown-escaped text
    assert "示例数据（合成）" not in shown
    note = "数据：宁波测试数据 Ningbo test data（2026-09-15, 2026-10-01）"
    assert shown.count(note) >= 3, shown
    assert "OpenStreetMap extract ningbo.osm.pbf; Amap POI export" in shown
