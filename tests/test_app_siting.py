"""新店选址 page and sign-in through AppTest.

Users come from ``GISPLAN_USERS`` with bcrypt hashes made here; the scenario database is a
temporary SQLite file (``GISPLAN_DB``).  Expected figures come from the siting API run here on
the same cached access model, and from the model's raw distances.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gisplan.app.auth import SESSION_KEY
from gisplan.catalogue import default_standard
from gisplan.siting import grid_candidates, plan_sites, what_if
from gisplan.store import ScenarioStore, User, engine_from_env
from tests.helpers.app import PASSWORD, sign_in
from tests.helpers.app import open_page as helpers_open_page

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "gisplan" / "app" / "pages" / "siting.py")
TIMEOUT = 180


def open_page(path: str = PAGE) -> AppTest:
    return helpers_open_page(path, TIMEOUT)


def frame_with(at: AppTest, column: str):
    """The one shown DataFrame with ``column`` (AppTest does not expose dataframe keys)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def test_without_users_visitors_get_a_short_notice_not_the_setup_text(monkeypatch):
    monkeypatch.delenv("GISPLAN_USERS", raising=False)
    monkeypatch.delenv("GISPLAN_USERS_FILE", raising=False)
    at = open_page()
    shown = " ".join(e.value for e in [*at.info, *at.caption, *at.markdown, *at.warning])
    # the administrator's set-up (README, server log) is not the visitors' business
    assert "GISPLAN_USERS" not in shown and "hash-password" not in shown
    assert "登录未开放" in shown
    assert any("登录" in w.value for w in at.warning)
    assert "siting_run" not in keys(at)
    assert len(at.dataframe) == 0 and len(at.metric) == 0


def test_visitor_sees_sign_in_prompt_and_no_siting(users):
    at = open_page()
    assert any("请在左侧边栏登录" in w.value for w in at.warning)
    assert len(at.sidebar.text_input) == 2  # username, password
    assert "siting_run" not in keys(at)
    assert len(at.metric) == 0


def test_wrong_password_is_refused(users):
    at = open_page()
    sign_in(at, "zhang", "not-the-password")
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    assert SESSION_KEY not in at.session_state
    assert "siting_run" not in keys(at)
    # unknown user too
    sign_in(at, "nobody", PASSWORD)
    assert SESSION_KEY not in at.session_state
    # the password is never kept in session state
    for k in at.session_state:
        assert at.session_state[k] != PASSWORD and at.session_state[k] != "not-the-password"


def test_public_role_is_refused_even_when_signed_in(users):
    at = open_page()
    sign_in(at, "visitor", "visitor-pw")
    assert at.session_state[SESSION_KEY] == User("visitor", "public")
    assert any("无权选址分析" in w.value for w in at.warning)
    assert "siting_run" not in keys(at)


def test_session_user_removed_from_configuration_is_signed_out(users, monkeypatch):
    at = open_page()
    sign_in(at, "zhang", PASSWORD)
    assert "siting_run" in keys(at)
    monkeypatch.setenv("GISPLAN_USERS", json.dumps({}))
    at.run()
    assert SESSION_KEY not in at.session_state
    assert "siting_run" not in keys(at)


def test_planner_runs_greedy_what_if_and_saves(users, model):
    at = open_page()
    sign_in(at, "zhang", PASSWORD)
    assert at.session_state[SESSION_KEY] == User("zhang", "planner", "张工")
    assert any("张工" in c.value for c in at.sidebar.caption)
    assert at.selectbox(key="siting_category").value == "supermarket"
    at.number_input(key="siting_k").set_value(2)
    at.button(key="siting_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]

    std = default_standard()
    expected = plan_sites(model, std, "supermarket", 2, grid_candidates(model.network, 100.0))
    table = frame_with(at, "增益")
    assert list(table["id"]) == list(expected.sites["id"])
    np.testing.assert_allclose(table["增益"].to_numpy(), expected.sites["gain"].to_numpy())
    np.testing.assert_allclose(table["经度"].to_numpy(), expected.sites["lon"].to_numpy())

    # Before: population within 15 min of a supermarket, from the raw distances (metres).
    pop = model.communities.set_index("id")["population"].astype(float)
    d = np.nan_to_num(model.distances_m["supermarket"].reindex(pop.index).to_numpy(), nan=np.inf)
    before = float(pop[d <= 15 * 4000 / 60 + 1e-6].sum())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["覆盖人口（之前）"] == f"{before:,.0f}"
    gain = float(expected.sites["gain"].sum())  # objective "population": people newly served
    assert metrics["覆盖人口（之后）"] == f"{before + gain:,.0f}"
    assert metrics["新增服务人口"] == f"{gain:,.0f}"
    assert "示例数据（合成）" in " ".join(w.value for w in at.warning)

    # What-if at the first chosen site, typed as lon/lat: alone it serves exactly its gain.
    first = expected.sites.iloc[0]
    at.number_input(key="whatif_lon").set_value(float(first["lon"]))
    at.number_input(key="whatif_lat").set_value(float(first["lat"]))
    [b for b in at.button if b.label == "计算该点"][0].click().run()
    assert not at.exception and not at.error
    wi = what_if(model, std, "supermarket", float(first["lon"]), float(first["lat"]))
    assert wi.newly_served_population == int(first["gain_population"])
    served = [m.value for m in at.metric if m.label == "新增服务人口"]
    assert served[-1] == f"{wi.newly_served_population:,}"
    circles = [m.value for m in at.metric if m.label == "新达标社区"]
    assert circles == [str(len(wi.newly_complete_ids))]
    assert sorted(frame_with(at, "名称")["id"]) == sorted(wi.newly_complete_ids)

    # Counting the plan's chosen sites as open, the same point adds nothing new (it is one of them).
    at.checkbox(key="whatif_count_planned").check().run()
    assert not at.exception and not at.error
    on_top = what_if(
        model,
        std,
        "supermarket",
        float(first["lon"]),
        float(first["lat"]),
        planned_sites=expected.sites[["geometry"]],
    )
    assert on_top.newly_served_population == 0
    served = [m.value for m in at.metric if m.label == "新增服务人口"]
    assert served[-1] == "0"
    at.checkbox(key="whatif_count_planned").uncheck().run()

    # Hand-place a second what-if site away from the chosen ones, then save.
    at.number_input(key="whatif_lon").set_value(121.5700)
    at.number_input(key="whatif_lat").set_value(29.8900)
    [b for b in at.button if b.label == "计算该点"][0].click().run()
    at.button(key="whatif_add").click().run()
    # the hand-placed table speaks the page's language (issue 11 item 20: it showed raw ids)
    hand = [
        d.value
        for d in at.dataframe
        if list(d.value.columns) == ["名称", "类别", "新增服务人口", "经度", "纬度"]
    ]
    assert len(hand) == 1 and len(hand[0]) == 1
    assert hand[0]["类别"].iloc[0] == "超市"
    at.text_input(key="save_name").input("三江口 方案A")
    [b for b in at.button if b.label == "保存方案"][0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("三江口 方案A" in s.value for s in at.success)

    store = ScenarioStore(engine_from_env(users))
    rec = store.load(User("zhang", "planner"), "三江口 方案A")
    assert rec.author == "zhang"
    assert rec.site_counts() == {"chosen": 2, "manual": 1, "total": 3}
    manual = rec.sites_frame().query("kind == 'manual'").iloc[0]
    assert manual.geometry.x == pytest.approx(121.57) and manual.geometry.y == pytest.approx(29.89)
    wi2 = what_if(model, std, "supermarket", 121.57, 29.89)
    assert manual["gain"] == wi2.newly_served_population
    cat = rec.results["categories"]["supermarket"]
    assert cat["covered_population_before"] == pytest.approx(before)
    # After with all three sites: the union of the people each one serves.
    newly = set(wi2.newly_served_ids)
    for _, s in expected.sites.iterrows():
        newly |= set(what_if(model, std, "supermarket", s["lon"], s["lat"]).newly_served_ids)
    assert cat["covered_population_after"] == pytest.approx(before + float(pop[list(newly)].sum()))

    # Saving the same name again is refused without overwrite.
    [b for b in at.button if b.label == "保存方案"][0].click().run()
    # said in the page's terms: the name, and the page's own checkbox (not overwrite=True)
    errors = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]
    assert errors == ["已有名为“三江口 方案A”的方案。请换一个名称，或勾选“同名时覆盖”。"], errors


def test_sign_out(users):
    at = open_page()
    sign_in(at, "zhang", PASSWORD)
    at.button(key="auth_sign_out").click().run()
    assert SESSION_KEY not in at.session_state
    assert "siting_run" not in keys(at)
