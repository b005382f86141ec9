"""What the three users do in the first minute, in headless Chromium (issue 11, items 1–7, 9).

One server for the module, with a planner account and a fresh scenario database.  Each test
does what the user does (clicks the zoom buttons, changes a threshold, moves between pages,
deletes a scenario) and reads back what the user sees (the map's zoom and centre, the figures,
the selector, the confirm box, the toolbar).
"""

from __future__ import annotations

import pytest

from tests.conftest import offline_context, run_streamlit
from tests.helpers.browser import MAP_IFRAME, planner_account, server_env
from tests.helpers.browser import idle as _idle
from tests.helpers.browser import wait_drawn as _wait_drawn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USER, PASSWORD, DISPLAY = "li", "ux-pw-11", "李工"


@pytest.fixture(scope="module")
def ux_server(app_cache_dir, tmp_path_factory):
    """``streamlit run app.py`` with one planner account and an empty scenario database."""
    db = tmp_path_factory.mktemp("ux-db") / "plans.db"
    env = server_env(app_cache_dir, db, {USER: planner_account(PASSWORD, DISPLAY)})
    with run_streamlit(env, log_name="ux") as url:
        yield url, f"sqlite:///{db}"


@pytest.fixture()
def page(chromium, ux_server):
    url, _ = ux_server
    with offline_context(chromium, url) as p:
        yield p


def _map(page, nth: int = 0):
    """The Leaflet frame of the ``nth`` map on the page, once the map has drawn."""
    iframe = page.locator(MAP_IFRAME).nth(nth)
    iframe.wait_for(timeout=90_000)
    content = iframe.element_handle().content_frame()
    content.wait_for_function(
        "() => typeof map_div !== 'undefined' && typeof map_div.getZoom === 'function'",
        timeout=60_000,
    )
    _wait_drawn(content)
    return content


def _view(content) -> dict:
    return content.evaluate(
        "() => { const c = map_div.getCenter();"
        " return {zoom: map_div.getZoom(), lat: c.lat, lng: c.lng}; }"
    )


def _sign_in(page) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("用户名").wait_for(timeout=90_000)
    sidebar.get_by_label("用户名").fill(USER)
    sidebar.get_by_label("密码").fill(PASSWORD)
    sidebar.get_by_role("button", name="登录").click()
    sidebar.get_by_text(f"已登录：{DISPLAY}").wait_for(timeout=60_000)
    _idle(page)


def _go(page, title: str) -> None:
    """Follow a sidebar link (keeps the session, as a user does)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    _idle(page)


def _set_number(page, name: str, value: int) -> None:
    box = page.get_by_role("spinbutton", name=name, exact=True)
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(300)
    _idle(page)


# -- item 1: each click on "+" zooms ----------------------------------------------------------


@pytest.mark.parametrize("path", ["", "coverage"])
def test_each_zoom_button_click_zooms(page, path):
    page.goto(page.base_url + path)
    content = _map(page)
    _idle(page)
    page.wait_for_timeout(1500)  # first fit done
    z0 = _view(content)["zoom"]
    delta = content.evaluate("() => map_div.options.zoomDelta")
    zoom_in = page.frame_locator(MAP_IFRAME).first.locator(".leaflet-control-zoom-in")
    for i in range(1, 4):
        zoom_in.click()
        page.wait_for_timeout(900)  # longer than the zoom animation and any refit
        assert _view(content)["zoom"] == pytest.approx(z0 + i * delta), (i, z0, delta)
    zoom_out = page.frame_locator(MAP_IFRAME).first.locator(".leaflet-control-zoom-out")
    zoom_out.click()
    page.wait_for_timeout(900)
    assert _view(content)["zoom"] == pytest.approx(z0 + 2 * delta)


# -- item 6: a control change keeps the map and the user's view -------------------------------


_COMPLETE_JS = """
() => { let n = 0, all = 0;
  map_div.eachLayer(l => { const p = l.feature && l.feature.properties;
    if (p && '_completeness' in p) { all++; const [a, b] = p._completeness.split('/'); if (a === b) n++; } });
  return [n, all]; }
"""


def test_threshold_change_keeps_the_map_and_the_view(page):
    page.goto(page.base_url + "coverage")
    content = _map(page)
    _idle(page)
    page.wait_for_timeout(1500)
    # the user zooms in twice and drags the map
    zoom_in = page.frame_locator(MAP_IFRAME).first.locator(".leaflet-control-zoom-in")
    zoom_in.click()
    page.wait_for_timeout(700)
    zoom_in.click()
    page.wait_for_timeout(700)
    box = page.locator(MAP_IFRAME).first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 90, cy + 40, steps=6)
    page.mouse.up()
    page.wait_for_timeout(800)
    view = _view(content)
    complete_before = content.evaluate(_COMPLETE_JS)
    content.evaluate("() => { window.__same_map = true; }")

    _set_number(page, "便利店", 3)
    page.wait_for_timeout(1500)
    content = _map(page)
    # the same Leaflet map (not reloaded), at the same view, with the recoloured communities
    assert content.evaluate("() => window.__same_map === true"), "the map was reloaded"
    after = _view(content)
    assert after["zoom"] == view["zoom"], (view, after)
    assert after["lat"] == pytest.approx(view["lat"], abs=1e-7)
    assert after["lng"] == pytest.approx(view["lng"], abs=1e-7)
    complete_after = content.evaluate(_COMPLETE_JS)
    assert complete_after[1] == complete_before[1]  # every community drawn once
    assert complete_after[0] < complete_before[0], (complete_before, complete_after)
    _set_number(page, "便利店", 5)


# -- item 5: one standard per session ---------------------------------------------------------


def test_standard_is_kept_across_pages_and_shown_on_each(page):
    page.goto(page.base_url + "coverage")
    _map(page)
    _idle(page)
    _sign_in(page)
    _set_number(page, "超市", 12)
    _go(page, "新店选址")
    page.get_by_role("button", name="运行选址").wait_for(timeout=90_000)
    _idle(page)
    # the standard in force is visible on the siting page and its map uses it
    std = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="现行标准")
    std.first.wait_for(timeout=30_000)
    assert "超市 12" in std.first.inner_text(), std.first.inner_text()
    page.get_by_role("button", name="运行选址").click()
    page.get_by_text("选址结果：超市").wait_for(timeout=120_000)
    _idle(page)
    legend = page.frame_locator(MAP_IFRAME).first.locator(".gisplan-legend", has_text="阈值")
    assert "阈值 12" in legend.inner_text() and "15" not in legend.inner_text(), legend.inner_text()
    # back on the coverage page the user's threshold is still 12
    _go(page, "便民生活圈覆盖")
    page.get_by_role("spinbutton", name="超市", exact=True).wait_for(timeout=60_000)
    assert page.get_by_role("spinbutton", name="超市", exact=True).input_value() == "12"
    std = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="现行标准")
    assert "超市 12" in std.first.inner_text()
    _set_number(page, "超市", 15)


# -- item 7: signed-out visitors find no CSV download ------------------------------------------


def test_signed_out_visitor_cannot_download_the_gap_list(page):
    page.goto(page.base_url + "coverage")
    _map(page)
    _idle(page)
    page.get_by_text("请在左侧边栏登录").first.wait_for(timeout=60_000)
    tables = page.locator('[data-testid="stDataFrame"]')
    # the gap list: the first table on show (others may sit in closed expanders)
    table = next(tables.nth(i) for i in range(tables.count()) if tables.nth(i).is_visible())
    table.scroll_into_view_if_needed()
    table.hover()
    page.wait_for_timeout(800)
    assert page.get_by_role("button", name="Download as CSV").count() == 0
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0
    # a signed-in planner gets the gap list as a download button
    _sign_in(page)
    page.get_by_role("button", name="缺口清单 CSV").wait_for(timeout=60_000)


# -- item 3: deleting a scenario --------------------------------------------------------------


def _save_scenarios(db_url: str, names: list[str]) -> None:
    from gisplan.store import ScenarioRecord, ScenarioStore, User, engine_from_env

    store = ScenarioStore(engine_from_env(db_url))
    user = User(USER, "planner", DISPLAY)
    for i, name in enumerate(names):
        sites = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"kind": "chosen", "rank": 1, "gain": 100.0 * (i + 1)},
                    "geometry": {"type": "Point", "coordinates": [121.55 + 0.01 * i, 29.87]},
                }
            ],
        }
        store.save(
            user,
            ScenarioRecord(name, "supermarket", {"k": i + 1, "category": "supermarket"}, sites, {}),
            overwrite=True,
        )


def test_deleting_a_scenario_leaves_a_consistent_page(page, ux_server):
    _, db_url = ux_server
    _save_scenarios(db_url, ["删除测试甲", "删除测试乙", "删除测试丙"])
    page.goto(page.base_url + "scenarios")
    _sign_in(page)
    page.get_by_role("heading", name="查看方案").wait_for(timeout=60_000)
    _idle(page)
    select = page.locator('[data-testid="stSelectbox"]').filter(has_text="方案").first
    select.click()
    page.get_by_role("option", name="删除测试乙").click()
    _idle(page)
    page.get_by_text("确认删除“删除测试乙”").click()
    _idle(page)
    page.get_by_role("button", name="删除方案").click()
    # the message is where the user is looking (a toast, wherever the page is scrolled to)
    toast = page.get_by_test_id("stToast").filter(has_text="已删除方案“删除测试乙”")
    toast.wait_for(timeout=60_000)
    top = toast.bounding_box()["y"]
    assert 0 <= top < page.viewport_size["height"], top
    # and it is recorded at the selector
    page.get_by_test_id("stAlert").filter(has_text="已删除方案“删除测试乙”").wait_for(
        timeout=60_000
    )
    _idle(page)
    page.wait_for_timeout(500)
    # the selector, the parameters, the map legend and the confirm box agree on one scenario
    shown = select.evaluate(
        "e => [...e.querySelectorAll('input')].map(i => i.value || i.getAttribute('aria-label') || '')"
        ".join(' ') + ' ' + e.innerText"
    )
    assert "删除测试乙" not in shown
    current = "删除测试甲" if "删除测试甲" in shown else "删除测试丙"
    assert current in shown, shown
    assert page.get_by_text(f"确认删除“{current}”").count() == 1
    confirm = page.get_by_role("checkbox", name=f"确认删除“{current}”（操作记录中保留副本）")
    assert not confirm.is_checked()
    assert page.get_by_role("button", name="删除方案").is_disabled()
    legend = page.frame_locator(MAP_IFRAME).first.locator(".gisplan-legend")
    assert current in legend.inner_text()
    # only in the messages (the one at the selector and the toast, while it shows)
    assert page.get_by_text("删除测试乙").count() <= 1 + toast.count()


# -- item 9: the what-if result where the eye is; a double-click only zooms --------------------

# [lat, lng] of the community marker nearest to the middle of the map's view.
_NEAR_COMMUNITY_JS = """
() => { const c = map_div.getCenter(); let best = null, d = Infinity;
  map_div.eachLayer(l => { const p = l.feature && l.feature.properties;
    if (p && '_completeness' in p && l.getLatLng) { const ll = l.getLatLng();
      const e = (ll.lat - c.lat) ** 2 + (ll.lng - c.lng) ** 2; if (e < d) { d = e; best = [ll.lat, ll.lng]; } } });
  return best; }
"""


def test_what_if_result_beside_the_map_and_double_click_only_zooms(page):
    from tests.helpers.browser import CLEAR_PIXEL_JS as _CLEAR_PIXEL_JS

    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(page.base_url + "siting")
    _sign_in(page)
    page.get_by_role("button", name="运行选址").wait_for(timeout=90_000)
    _idle(page)
    iframe = page.locator(MAP_IFRAME).first  # no run yet: the what-if map is the only map
    content = _map(page)
    iframe.evaluate("e => e.scrollIntoView({block: 'center'})")  # the user scrolls to the map
    page.wait_for_timeout(1500)
    lon0 = page.get_by_role("spinbutton", name="经度").input_value()
    view0 = _view(content)
    delta = content.evaluate("() => map_div.options.zoomDelta")
    # beside a community near the middle of the view (on land, near the network)
    near = content.evaluate(_NEAR_COMMUNITY_JS)
    target = content.evaluate(_CLEAR_PIXEL_JS, near)
    assert target is not None
    box = iframe.bounding_box()
    px, py = box["x"] + target["left"] + target["x"], box["y"] + target["top"] + target["y"]

    # a double-click zooms one step and places nothing
    page.mouse.dblclick(px, py)
    page.wait_for_timeout(2500)
    _idle(page)
    assert _view(content)["zoom"] == pytest.approx(view0["zoom"] + delta)
    assert page.get_by_role("spinbutton", name="经度").input_value() == lon0
    assert page.locator('[data-testid="stMetric"]').filter(has_text="新增服务社区").count() == 0

    # a single click gives the result beside the map, inside the 1280×720 window, and the
    # map keeps the user's zoom
    content.evaluate("() => { window.__same_map = true; }")
    target = content.evaluate(_CLEAR_PIXEL_JS, content.evaluate(_NEAR_COMMUNITY_JS))
    box = iframe.bounding_box()
    page.mouse.click(
        box["x"] + target["left"] + target["x"], box["y"] + target["top"] + target["y"]
    )
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="新增服务社区")
    metric.wait_for(timeout=60_000)
    _idle(page)
    where = metric.bounding_box()
    assert 0 <= where["y"] and where["y"] + where["height"] <= 720, where
    content = _map(page)
    assert content.evaluate("() => window.__same_map === true"), "the map was reloaded"
    assert _view(content)["zoom"] == pytest.approx(view0["zoom"] + delta)
    assert page.get_by_role("spinbutton", name="经度").input_value() != lon0


# -- item 15: the scenario map shows where the sites act -----------------------------------------


def _save_real_scenario(db_url: str, name: str) -> tuple:
    """A real 2-supermarket siting run on the demo, saved with the demo's dataset hash."""
    from gisplan.store import ScenarioStore, User, engine_from_env
    from tests.helpers.scenarios import demo_scenario

    rec, model, _demo = demo_scenario(name, "supermarket", 2)
    store = ScenarioStore(engine_from_env(db_url))
    store.save(User(USER, "planner", DISPLAY), rec, overwrite=True)
    return rec, len(model.communities)


# Communities (by their class), county outlines, context layers (water, network) and sites.
_SCENARIO_MAP_JS = """
() => { const out = {states: {}, counties: [], context: 0, sites: 0};
  map_div.eachLayer(l => {
    const p = l.feature && l.feature.properties;
    if (p && '_state' in p) out.states[p._state] = (out.states[p._state] || 0) + 1;
    if (p && '_name' in p && l.feature.geometry.type.includes('Polygon')) out.counties.push(p._name);
    if (l.options && l.options.pane === 'gisplanContext' && l.feature) out.context += 1;
  });
  out.sites = document.querySelectorAll('.gisplan-site').length;
  out.legend = (document.querySelector('.gisplan-legend') || {}).innerText || '';
  return out; }
"""


def test_scenario_map_shows_communities_network_boundaries_and_areas(page, ux_server):
    _, db_url = ux_server
    rec, n_communities = _save_real_scenario(db_url, "地图测试")
    page.goto(page.base_url + "scenarios")
    _sign_in(page)
    page.get_by_role("heading", name="查看方案").wait_for(timeout=60_000)
    select = page.locator('[data-testid="stSelectbox"]').filter(has_text="方案").first
    select.click()
    page.get_by_role("option", name="地图测试").click()
    _idle(page)
    page.wait_for_timeout(1000)
    content = _map(page)
    content.wait_for_function(
        "() => { let n = 0; map_div.eachLayer(l => { if (l.options && l.options.pane === "
        "'gisplanContext' && l.feature) n += 1; }); return n > 0; }",
        timeout=60_000,
    )
    shown = content.evaluate(_SCENARIO_MAP_JS)
    # every community, classed as the stored evaluation says
    assert sum(shown["states"].values()) == n_communities
    assert shown["states"]["新增服务"] == rec.results["newly_served_communities"]
    assert {"海曙区", "鄞州区"} <= {c.split("（")[0] for c in shown["counties"]}
    assert shown["context"] >= 1  # water and the walking network, drawn faintly underneath
    assert shown["sites"] == 2
    for text in ("新增服务社区", "新选址 15 分钟步行范围", "区县界", "步行道路"):
        assert text in shown["legend"], shown["legend"]
    # the key outcomes above the map
    cards = page.get_by_test_id("stMetric")
    newly = rec.results["newly_served_population"]
    assert (
        cards.filter(has_text="超市新增服务人口（人）").filter(has_text=f"{newly:,.0f}").count()
        == 1
    )
    card_top = cards.first.bounding_box()["y"]
    map_top = page.locator(MAP_IFRAME).first.bounding_box()["y"]
    assert card_top < map_top
