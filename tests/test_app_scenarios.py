"""方案管理 page through AppTest: visitors see nothing; planners list, compare, export, delete.

Scenarios are saved here through the store API into a temporary SQLite database
(``GISPLAN_DB``); what the page shows is checked against the database.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from gisplan.store import ScenarioRecord, ScenarioStore, User, engine_from_env, hash_password
from tests.helpers.app import open_page as open_app_page
from tests.helpers.app import sign_in

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "gisplan" / "app" / "pages" / "scenarios.py")
TIMEOUT = 120
PLANNER = User("li", "official", "李处")
NAMES = ("方案甲", "方案乙")


def record(name: str, after: float, n_manual: int) -> ScenarioRecord:
    pts = [shapely.Point(121.54 + 0.003 * i, 29.87) for i in range(2 + n_manual)]
    sites = gpd.GeoDataFrame(
        {
            "kind": ["chosen", "chosen"] + ["manual"] * n_manual,
            "gain": [100.0 * (i + 1) for i in range(2 + n_manual)],
            "rank": [1, 2] + [None] * n_manual,
        },
        geometry=pts,
        crs="EPSG:4326",
    )
    results = {
        "categories": {
            "wet_market": {
                "covered_population_before": 1000.0,
                "covered_population_after": after,
            }
        },
        "complete_circles_before": 3,
        "complete_circles_after": 5,
    }
    return ScenarioRecord(name, "wet_market", {"k": 2, "synthetic": True}, sites, results)


@pytest.fixture()
def db(monkeypatch, tmp_path):
    table = {
        "li": {
            "password_hash": hash_password("pw-li", rounds=4),
            "role": "official",
            "display_name": "李处",
        }
    }
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(table))
    monkeypatch.delenv("GISPLAN_USERS_FILE", raising=False)
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    monkeypatch.setenv("GISPLAN_DB", url)
    store = ScenarioStore(engine_from_env(url))
    store.save(PLANNER, record(NAMES[0], 1500.0, 0))
    store.save(PLANNER, record(NAMES[1], 1800.0, 1))
    return store


def open_page() -> AppTest:
    return open_app_page(PAGE, TIMEOUT)


def shown_text(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "success")
        for e in getattr(at, kind)
    ]
    parts += [str(s.options) for s in at.selectbox]
    parts += [d.value.to_string() for d in at.dataframe]
    return " ".join(map(str, parts))


def download_buttons(at: AppTest) -> list:
    return list(at.get("download_button"))


def test_visitor_sees_no_scenarios(db):
    at = open_page()
    assert any("请在左侧边栏登录" in w.value for w in at.warning)
    text = shown_text(at)
    assert all(n not in text for n in NAMES)
    assert not download_buttons(at)
    assert len(at.dataframe) == 0 and len(at.selectbox) == 0


def test_wrong_password_shows_no_scenarios(db):
    at = open_page()
    sign_in(at, "li", "wrong")
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    assert all(n not in shown_text(at) for n in NAMES)


def test_official_lists_compares_exports_and_deletes(db):
    at = open_page()
    sign_in(at, "li", "pw-li")
    listing = [d.value for d in at.dataframe if "手动选址" in d.value.columns][0]
    assert list(listing["名称"]) == sorted(NAMES)
    # the author by display name, the time in Ningbo's local time (UTC+8)
    assert set(listing["作者"]) == {"李处"}
    stored = {s.name: s.updated_at for s in db.list(PLANNER)}
    for name, shown in zip(listing["名称"], listing["更新时间（北京时间）"], strict=True):
        utc = stored[name]
        utc = utc if utc.tzinfo else utc.replace(tzinfo=datetime.UTC)
        assert shown == (utc + datetime.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert dict(zip(listing["名称"], listing["手动选址"], strict=True)) == {
        NAMES[0]: 0,
        NAMES[1]: 1,
    }
    assert "示例数据（合成）" in " ".join(w.value for w in at.warning)

    # compare: the figures of both, rounded with units, the difference B − A; the store's
    # numbers behind them (no raw result ids, no "None", no float noise)
    a, b = at.selectbox(key="compare_a").value, at.selectbox(key="compare_b").value
    shown = [d.value for d in at.dataframe if "difference" in d.value.columns][0]
    recs = {n: db.load(PLANNER, n) for n in (a, b)}
    after = {
        n: recs[n].results["categories"]["wet_market"]["covered_population_after"] for n in (a, b)
    }
    row = shown[shown["metric"] == "农贸市场覆盖人口（之后）"].iloc[0]
    assert row["scenario_a"] == f"{after[a]:,.0f} 人"
    assert row["scenario_b"] == f"{after[b]:,.0f} 人"
    diff = after[b] - after[a]
    assert row["difference"] == ("+" if diff > 0 else "−") + f"{abs(diff):,.0f} 人"
    manual = shown[shown["metric"] == "手动选址"].iloc[0]
    counts = {n: recs[n].site_counts()["manual"] for n in (a, b)}
    assert (manual["scenario_a"], manual["scenario_b"]) == (f"{counts[a]} 处", f"{counts[b]} 处")
    assert shown["metric"].is_unique
    assert all("不同的业态" not in w.value for w in at.warning)  # both are wet-market plans

    # export: four files, the GeoJSON holds the opened scenario's sites
    assert not download_buttons(at)
    at.selectbox(key="scenario_open").set_value(NAMES[1]).run()
    at.button(key="export_prepare").click().run()
    assert not at.exception
    files = at.session_state["scenario_export"]["files"]
    assert set(files) == {"sites.gpkg", "sites.geojson", "results.csv", "report.html"}
    assert len(download_buttons(at)) == 4
    fc = json.loads(files["sites.geojson"])
    assert sorted(f["properties"]["kind"] for f in fc["features"]) == ["chosen", "chosen", "manual"]
    assert files["sites.gpkg"][:16] == b"SQLite format 3\x00"
    assert NAMES[1] in files["report.html"].decode("utf-8")
    assert [e.action for e in db.audit(PLANNER, NAMES[1])][0] == "export"

    # delete: nothing happens without the confirmation, then it is gone from the database
    assert at.button(key="delete_button").disabled
    assert {s.name for s in db.list(PLANNER)} == set(NAMES)
    at.checkbox(key=f"delete_confirm:{NAMES[1]}").check().run()
    at.button(key="delete_button").click().run()
    assert not at.exception
    assert [s.name for s in db.list(PLANNER)] == [NAMES[0]]
    assert db.audit(PLANNER, NAMES[1])[0].action == "delete"
    listing = [d.value for d in at.dataframe if "手动选址" in d.value.columns][0]
    assert list(listing["名称"]) == [NAMES[0]]
    # the page opens the remaining scenario, unconfirmed, and says what was deleted
    assert at.selectbox(key="scenario_open").value == NAMES[0]
    assert not at.checkbox(key=f"delete_confirm:{NAMES[0]}").value
    assert at.button(key="delete_button").disabled
    assert any(NAMES[1] in s.value for s in at.success)


def test_pages_are_in_the_app_navigation_and_protected(db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    for page, title in (
        ("gisplan/app/pages/siting.py", "新店选址"),
        ("gisplan/app/pages/scenarios.py", "方案管理"),
    ):
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.title[0].value == title
        assert any("请在左侧边栏登录" in w.value for w in at.warning)
        assert all(n not in shown_text(at) for n in NAMES)
        assert not download_buttons(at)


def test_scenario_opened_on_another_dataset_says_so(db):
    """A scenario records its dataset; opened on other data the page warns, on the same data
    it says so, and one saved before datasets were recorded says that it does not know."""
    import hashlib
    from dataclasses import replace

    from gisplan.analysis import demo_dataset

    demo_hash = demo_dataset(cached=True).content_hash
    other = hashlib.sha256(b"another city").hexdigest()
    db.save(
        PLANNER, replace(record("同数据", 1200.0, 0), dataset_name="示例", dataset_hash=demo_hash)
    )
    db.save(
        PLANNER,
        replace(record("别的数据", 1200.0, 0), dataset_name="慈溪市 2026", dataset_hash=other),
    )
    at = open_page()
    sign_in(at, "li", "pw-li")

    at.selectbox(key="scenario_open").set_value("别的数据").run()
    warnings = " ".join(w.value for w in at.warning)
    assert "慈溪市 2026" in warnings and "不对应当前数据" in warnings
    at.selectbox(key="scenario_open").set_value("同数据").run()
    assert "不对应当前数据" not in " ".join(w.value for w in at.warning)
    assert any("与当前数据一致" in c.value for c in at.caption)
    at.selectbox(key="scenario_open").set_value(NAMES[0]).run()  # saved without a dataset
    assert any("未记录所用数据集" in i.value for i in at.info)


# -- issue 11 item 14: real scenarios read as figures, not as the store's ids -------------------


@pytest.fixture(scope="module")
def real_payloads():
    """Two real siting runs on the demo: 3 supermarkets plus a hand-placed one, 2 wet markets."""
    from tests.helpers.scenarios import demo_scenario

    return {
        "超市三处": demo_scenario("超市三处", "supermarket", 3, manual=[(121.545, 29.872)])[0],
        "菜场两处": demo_scenario("菜场两处", "wet_market", 2)[0],
    }


RAW_ID = __import__("re").compile(r"[a-z]+_[a-z_]+")  # covered_population_after, greedy_swaps …


def _cells(frame: pd.DataFrame) -> list[str]:
    """The values shown (column keys are fixed ids; the page gives each a header)."""
    return [str(v) for v in frame.to_numpy().ravel()]


def test_real_scenarios_show_rounded_figures_with_units_and_no_ids(db, real_payloads):
    for rec in real_payloads.values():
        db.save(PLANNER, rec)
    at = open_page()
    sign_in(at, "li", "pw-li")
    at.selectbox(key="scenario_open").set_value("超市三处").run()
    assert not at.exception, [e.value for e in at.exception]
    rec = real_payloads["超市三处"]
    res = rec.results
    by_columns = {
        ("group", "metric", "before", "after", "change"): "scenario_results",
        ("metric", "value"): "scenario_figures",
        ("parameter", "value"): "scenario_params",
        ("group", "metric", "scenario_a", "scenario_b", "difference"): "compare_table",
    }
    frames = {by_columns.get(tuple(d.value.columns)): d.value for d in at.dataframe}
    for key in ("scenario_results", "scenario_figures", "scenario_params", "compare_table"):
        cells = _cells(frames[key])
        assert not [c for c in cells if RAW_ID.fullmatch(c)], (key, cells)
        assert not [c for c in cells if c in ("None", "nan", "NaN", "<NA>")], (key, cells)
        # no float noise: at most two decimals in any number shown
        assert not [c for c in cells if __import__("re").search(r"\d\.\d{3,}", c)], (key, cells)
    table = frames["scenario_results"].set_index("metric")
    assert table.index.is_unique
    cat = res["categories"]["supermarket"]
    b, a = cat["covered_population_before"], cat["covered_population_after"]
    assert table.loc["超市覆盖人口", "before"] == f"{b:,.0f} 人"
    assert table.loc["超市覆盖人口", "after"] == f"{a:,.0f} 人"
    assert table.loc["超市覆盖人口", "change"] == f"+{a - b:,.0f} 人"
    total = cat["population_total"]
    assert table.loc["超市覆盖率", "after"] == f"{100 * a / total:.1f}%"
    assert table.loc["达标生活圈社区", "after"] == f"{res['complete_circles_after']} 个社区"
    # the threshold in minutes, never in metres
    params = frames["scenario_params"].set_index("parameter")["value"]
    assert params["步行时间标准"] == "15 分钟"
    assert not any("米" in v and "间距" not in v for v in params)
    # two plans of different categories: the comparison warns
    at.selectbox(key="compare_a").set_value("超市三处").run()
    at.selectbox(key="compare_b").set_value("菜场两处").run()
    assert any("不同的业态" in w.value for w in at.warning), [w.value for w in at.warning]


def test_export_gives_every_site_lon_lat_and_the_synthetic_label(db, real_payloads, tmp_path):
    import geopandas as gpd

    from gisplan.store import export_scenario

    rec = real_payloads["超市三处"]
    db.save(PLANNER, rec)
    paths = export_scenario(PLANNER, db, rec.name, tmp_path)
    for fname in ("sites.gpkg", "sites.geojson"):
        sites = gpd.read_file(paths[fname])
        assert sorted(sites["kind"]) == ["chosen"] * 3 + ["manual"]
        assert sites["lon"].notna().all() and sites["lat"].notna().all()
        assert (sites["lon"] - sites.geometry.x).abs().max() < 1e-6
        assert (sites["lat"] - sites.geometry.y).abs().max() < 1e-6
        assert set(sites["label"]) == {"示例数据（合成） / synthetic sample"}
        assert set(sites["source"]) == {"synthetic"}
