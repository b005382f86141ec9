"""Streamlit pages through AppTest: they load, and their controls change the results.

Expected figures are computed here independently from the access model's raw distances
(metres), not through CoverageResult.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from gisplan.app import state as app_state
from gisplan.app.auth import SESSION_KEY
from gisplan.catalogue import default_standard
from gisplan.coords import wgs84_to_gcj02
from gisplan.io.embedded import load_pedestrian_streets
from gisplan.store import User, hash_password

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 180


def open_page(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


TESTER = User("tester", "planner", "测试员")


@pytest.fixture()
def planner(monkeypatch):
    """A configured planner ``tester`` (users from ``GISPLAN_USERS``)."""
    table = {
        TESTER.username: {
            "password_hash": hash_password("pw-tester", rounds=4),
            "role": TESTER.role,
            "display_name": TESTER.display_name,
        }
    }
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(table))
    monkeypatch.delenv("GISPLAN_USERS_FILE", raising=False)
    return TESTER


def open_signed_in(page: str) -> AppTest:
    """``page`` in a session where :data:`TESTER` has signed in (needs the ``planner`` fixture)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[SESSION_KEY] = TESTER
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(markdown: str) -> str:
    """The text a reader sees of Markdown whose punctuation is backslash-escaped (md_text)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, (label, [m.label for m in at.metric])
    return found[0]


def pop_share(model, cid: str, minutes: float, speed_kmh: float = 4.0) -> float:
    """Population share within ``minutes`` of category ``cid`` (independent of CoverageResult)."""
    pop = model.communities.set_index("id")["population"].astype(float)
    d = model.distances_m[cid].reindex(pop.index).to_numpy()
    ok = np.nan_to_num(d, nan=np.inf) <= minutes * speed_kmh * 1000 / 60 + 1e-9
    return float(pop[ok].sum() / pop.sum())


def complete_count(model, limits: dict[str, float], speed_kmh: float = 4.0) -> int:
    ok = np.ones(len(model.distances_m), dtype=bool)
    for cid, minutes in limits.items():
        d = np.nan_to_num(model.distances_m[cid].to_numpy(), nan=np.inf)
        ok &= d <= minutes * speed_kmh * 1000 / 60 + 1e-9
    return int(ok.sum())


REQUIRED = {"convenience_store": 5, "wet_market": 10, "supermarket": 15}


def test_plan_page_loads_with_targets_from_the_layers(model):
    at = open_page()
    assert at.title[0].value == "商圈与步行街地图"
    streets = load_pedestrian_streets()
    assert metric(at, "国家级和省级步行街") == str(
        int(streets["level"].isin(["national", "provincial"]).sum())
    )
    assert metric(at, "市级步行街") == str(int((streets["level"] == "municipal").sum()))
    assert metric(at, "商圈") == "6"
    # The demo is synthetic and has no circles layer: its figures are set apart as a
    # demonstration (never Ningbo's progress, never "met"), the circle count is not available
    # (and not replaced by the number of complete communities).
    assert any("不是宁波的实际进展" in w.value for w in at.warning)
    assert metric(at, "达标便民生活圈（合成示例）") == "—"
    assert str(complete_count(model, REQUIRED)) != "—"
    d = np.nan_to_num(model.distances_m["recycling"].to_numpy(), nan=np.inf)
    share = f"{float(np.mean(d <= 15 * 4000 / 60 + 1e-9)):.1%}"
    assert metric(at, "再生资源回收点覆盖率（合成示例）") == share
    synthetic_cards = [m for m in at.metric if "合成示例" in m.label]
    assert len(synthetic_cards) == 2
    assert all("非实际进展" in m.proto.delta for m in synthetic_cards)
    assert all(m.proto.color == m.proto.GRAY for m in synthetic_cards)  # never green
    captions = shown(" ".join(c.value for c in at.caption))
    assert "没有生活圈（街道/社区）边界图层" in captions and "不以小区数代替" in captions
    assert (
        "示例数据（合成）" in captions
        and "内置步行街图层" in captions
        and "内置商圈图层" in captions
    )
    assert "data/geo" not in captions and ".geojson" not in captions  # sources by title, not path


def test_coverage_page_lowering_the_store_threshold_lowers_coverage(model):
    at = open_page("gisplan/app/pages/coverage.py")
    store = "便利店 人口覆盖"
    assert metric(at, store) == f"{pop_share(model, 'convenience_store', 5):.1%}"
    assert metric(at, "达标社区数") == f"{complete_count(model, REQUIRED)} / 50+"
    at.number_input(key="thr_convenience_store").set_value(3)
    at.run()
    assert not at.exception
    assert metric(at, store) == f"{pop_share(model, 'convenience_store', 3):.1%}"
    assert pop_share(model, "convenience_store", 3) < pop_share(model, "convenience_store", 5)
    assert (
        metric(at, "达标社区数")
        == f"{complete_count(model, {**REQUIRED, 'convenience_store': 3})} / 50+"
    )


def test_coverage_page_speed_and_required_set(model):
    at = open_page("gisplan/app/pages/coverage.py")
    at.slider(key="speed_kmh").set_value(5.0).run()
    assert metric(at, "超市 人口覆盖") == f"{pop_share(model, 'supermarket', 15, 5.0):.1%}"
    assert pop_share(model, "supermarket", 15, 5.0) > pop_share(model, "supermarket", 15, 4.0)
    at.multiselect(key="required").unselect("wet_market").run()
    assert not at.exception
    limits = {"convenience_store": 5, "supermarket": 15}
    assert metric(at, "达标社区数") == f"{complete_count(model, limits, 5.0)} / 50+"
    assert "农贸市场 人口覆盖" not in [m.label for m in at.metric]
    at.multiselect(key="required").set_value([]).run()
    assert [e.value for e in at.error] == ["请至少选择一个必备业态。"]


def test_changing_a_threshold_does_not_rebuild_the_network(monkeypatch):
    st.cache_resource.clear()
    calls = []
    real = app_state.build_access

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(app_state, "build_access", counting)
    at = open_page("gisplan/app/pages/coverage.py")
    assert len(calls) == 1
    before = metric(at, "人口覆盖（全部必备）")
    at.number_input(key="thr_wet_market").set_value(4)
    at.run()
    assert not at.exception
    assert len(calls) == 1  # distances reused: only the standard was re-applied
    assert metric(at, "人口覆盖（全部必备）") != before
    # (the recompute time is measured by benchmarks/bench_app.py)


def test_coverage_page_minutes_colouring_and_service_area():
    at = open_page("gisplan/app/pages/coverage.py")
    at.radio(key="color_mode").set_value("minutes").run()
    at.selectbox(key="color_cat").set_value("wet_market").run()
    at.selectbox(key="service_cat").set_value("supermarket").run()
    assert not at.exception
    at.selectbox(key="coverage_basemap").set_value("amap").run()
    assert not at.exception
    assert any("GCJ-02" in c.value for c in at.sidebar.caption)


def test_tianditu_without_key_keeps_the_map_and_says_so_briefly(monkeypatch):
    monkeypatch.delenv("GISPLAN_TIANDITU_KEY", raising=False)
    at = open_page()
    at.selectbox(key="plan_basemap").set_value("tianditu").run()
    assert not at.exception
    assert not at.error  # the map stays (without tiles); no set-up text for visitors
    notes = " ".join(c.value for c in at.sidebar.caption)
    assert "天地图" in notes and "无底图" in notes
    assert "secrets.toml" not in notes and "GISPLAN_TIANDITU_KEY" not in notes


def test_english_switch():
    at = open_page()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Business districts & pedestrian streets"
    assert "Municipal pedestrian streets" in [m.label for m in at.metric]
    # (AppTest runs a switched-to page on its own, without app.py's sidebar: set the state.)
    page = AppTest.from_file(APP, default_timeout=TIMEOUT)
    page.session_state["lang"] = "en"
    page.switch_page("gisplan/app/pages/coverage.py").run()
    assert not page.exception
    assert page.title[0].value == "Convenience-circle coverage"
    assert "Convenience store population coverage" in [m.label for m in page.metric]


def test_language_switch_keeps_the_controls():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["lang"] = "zh"
    at.switch_page("gisplan/app/pages/coverage.py").run()
    at.radio(key="color_mode").set_value("minutes").run()
    at.number_input(key="thr_convenience_store").set_value(3).run()
    at.multiselect(key="required").unselect("wet_market").run()
    at.selectbox(key="coverage_basemap").set_value("osm").run()
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    # Choice widgets are drawn afresh in English (key + "__en", labels in English only: issue
    # 11 item 20) with the choice carried over.
    assert at.radio(key="color_mode__en").value == "minutes"
    assert at.radio(key="color_mode__en").options == ["Completeness", "Minutes to a category"]
    assert at.number_input(key="thr_convenience_store").value == 3
    assert at.multiselect(key="required__en").value == ["convenience_store", "supermarket"]
    assert at.selectbox(key="coverage_basemap__en").value == "osm"
    at.session_state["lang"] = "zh"  # and back
    at.run()
    assert at.radio(key="color_mode").value == "minutes"
    assert at.multiselect(key="required").value == ["convenience_store", "supermarket"]


# -- upload --------------------------------------------------------------------------------


def _gcj_csv(model, n: int = 25) -> tuple[bytes, list[str]]:
    comm = model.communities.head(n)
    gx, gy = wgs84_to_gcj02(comm.geometry.x.to_numpy(), comm.geometry.y.to_numpy())
    frame = pd.DataFrame(
        {
            "id": comm["id"],
            "name": comm["name"],
            "population": comm["population"],
            "lon": gx,
            "lat": gy,
        }
    )
    return frame.to_csv(index=False).encode("utf-8"), list(comm["id"])


def test_upload_needs_a_signed_in_planner_or_official(planner):
    at = open_page("gisplan/app/pages/upload.py")
    assert at.get("file_uploader") == []  # a visitor gets no upload field, only the prompt
    assert any("上传数据需要以规划人员或官员身份登录" in w.value for w in at.warning)
    at = open_signed_in("gisplan/app/pages/upload.py")
    assert len(at.get("file_uploader")) == 1


def test_upload_gcj02_communities_replaces_the_layer_for_this_session_only(model, planner):
    at = open_signed_in("gisplan/app/pages/upload.py")
    data, ids = _gcj_csv(model)
    at.file_uploader(key="upload_file_communities").set_value(("小区.csv", data, "text/csv")).run()
    at.selectbox(key="upload_crs").set_value("gcj02").run()
    at.button(key="upload_apply").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not at.success  # checked; replaced only once the user confirms (issue 11 item 16)
    assert any("替换当前数据集的全部 341 个社区" in i.value for i in at.info)
    at.button(key="upload_confirm").click().run()
    assert at.success[0].value == "已读取 25 个要素，本会话将使用此图层。"
    at.switch_page("gisplan/app/pages/coverage.py").run()
    assert not at.exception
    # Shifted back from GCJ-02, the points sit where the demo communities are, so the same
    # communities meet the standard as in the demo analysis.
    ok = np.ones(len(ids), dtype=bool)
    sub = model.distances_m.loc[ids]
    for cid, minutes in REQUIRED.items():
        ok &= np.nan_to_num(sub[cid].to_numpy(), nan=np.inf) <= minutes * 4000 / 60 + 1e-9
    assert metric(at, "达标社区数") == f"{int(ok.sum())} / 50+"
    # another session still sees the demo layer
    other = open_page("gisplan/app/pages/coverage.py")
    assert metric(other, "达标社区数") == f"{complete_count(model, REQUIRED)} / 50+"


def test_upload_errors_are_shown_not_raised(monkeypatch, planner):
    at = open_signed_in("gisplan/app/pages/upload.py")
    bad = b"name,population,lon,lat\nA,10,121.55,29.87\nB,lots,121.56,29.88\n"
    at.file_uploader(key="upload_file_communities").set_value(("bad.csv", bad, "text/csv")).run()
    at.button(key="upload_apply").click().run()
    assert not at.exception
    assert len(at.error) == 1
    msg = shown(at.error[0].value)
    assert "bad.csv" in msg and "population" in msg and "/tmp" not in msg and "Traceback" not in msg
    assert "示例图层" in " ".join(m.value for m in at.markdown)  # the demo layer is still in use

    monkeypatch.setenv("GISPLAN_UPLOAD_MAX_MB", "0.00001")
    at = open_signed_in("gisplan/app/pages/upload.py")
    at.file_uploader(key="upload_file_communities").set_value(("big.csv", bad, "text/csv")).run()
    at.button(key="upload_apply").click().run()
    assert not at.exception
    assert "big.csv" in shown(at.error[0].value) and "MB" in at.error[0].value


def test_upload_limit_matches_the_server_setting():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == app_state.MAX_UPLOAD_MB
    assert config["server"]["enableStaticServing"] is True
    assert config["browser"]["gatherUsageStats"] is False


def test_default_standard_is_the_plans():
    std = default_standard()
    assert {c: std.threshold_minutes(c) for c in std.required_ids} == REQUIRED


def test_data_that_cannot_be_analysed_is_an_error_not_a_traceback(monkeypatch):
    from gisplan.app import state as app_state
    from gisplan.errors import InputError

    def refuse(*args, **kwargs):
        raise InputError("none of the 2 communities lies within 300 m of the walking network")

    monkeypatch.setattr(app_state, "build_access", refuse)
    app_state._model.clear()
    app_state._opened.clear()
    for page in ("gisplan/app/pages/coverage.py", "gisplan/app/pages/plan_map.py"):
        at = AppTest.from_file(str(ROOT / page), default_timeout=120)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("none of the 2 communities" in e.value for e in at.error), page
    app_state._model.clear()
    app_state._opened.clear()


def test_unexpected_analysis_faults_are_words_not_tracebacks(monkeypatch):
    """A GEOS fault (or any other) while analysing: one message, on every page that analyses."""
    import shapely.errors

    from gisplan.app import state as app_state

    def fail(*args, **kwargs):
        raise shapely.errors.GEOSException("IllegalArgumentException: Invalid number of points")

    monkeypatch.setattr(app_state, "build_access", fail)
    app_state._model.clear()
    app_state._opened.clear()
    try:
        for page in ("gisplan/app/pages/coverage.py", "gisplan/app/pages/plan_map.py"):
            at = AppTest.from_file(str(ROOT / page), default_timeout=120)
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            errors = [e.value for e in at.error]
            assert any("无法打开数据集" in e or "无法分析当前数据" in e for e in errors), errors
            assert any("意外错误" in e for e in errors), (page, errors)
            assert not any("GEOS" in e or "Traceback" in e or "/" in shown(e) for e in errors)
    finally:
        app_state._model.clear()
        app_state._opened.clear()


def test_uploaded_layers_count_only_while_signed_in_and_stay_out_of_the_server_cache(
    model, planner, monkeypatch
):
    from gisplan.app import state as app_state

    server_keys = []
    real = app_state._model

    def recording(key, dataset):
        server_keys.append(key)
        return real(key, dataset)

    recording.clear = real.clear
    monkeypatch.setattr(app_state, "_model", recording)
    at = open_signed_in("gisplan/app/pages/upload.py")
    data, ids = _gcj_csv(model, n=12)
    at.file_uploader(key="upload_file_communities").set_value(("小区.csv", data, "text/csv")).run()
    at.selectbox(key="upload_crs").set_value("gcj02").run()
    at.button(key="upload_apply").click().run()
    at.button(key="upload_confirm").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.switch_page("gisplan/app/pages/coverage.py").run()
    assert not at.exception
    uploaded = metric(at, "达标社区数")
    assert int(uploaded.split("/")[0]) <= 12  # the 12 uploaded communities, not the demo's
    # The session's model lives in the session, never in the server-wide cache.
    assert all("communities:" not in k for k in server_keys), server_keys
    # Signed out, the same session is back on the server's data.
    del at.session_state[SESSION_KEY]
    at.run()
    assert not at.exception
    assert metric(at, "达标社区数") == f"{complete_count(model, REQUIRED)} / 50+"
