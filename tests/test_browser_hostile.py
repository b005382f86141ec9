"""Hostile names in headless Chromium: no script runs, nothing is fetched, text stays text.

Issue 8 items 1 and 5, as the attack ran: a planner saves a scenario whose site names are
HTML/JavaScript payloads and whose name is a Markdown image + phishing link; an official opens
方案管理, hovers every site marker, and reads the page.  A planner uploads communities named
with the same payloads and hovers and clicks them on the coverage map; the standalone HTML
map they could download is opened on its own and hovered too.  Every JavaScript dialog is
recorded (the payloads call ``alert``); none may fire, each tooltip must show the name as
literal text, and no request may leave localhost (the Markdown image would be one).
"""

from __future__ import annotations

import html
import json

import geopandas as gpd
import pytest
import shapely

from gisplan.i18n import t
from tests.conftest import offline_context, run_streamlit
from tests.helpers.browser import MAP_IFRAME
from tests.helpers.browser import idle as _idle
from tests.helpers.browser import screenshot as _screenshot
from tests.helpers.browser import wait_drawn as _wait_drawn
from tests.hostile_files import HOSTILE_NAMES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PLANNER, OFFICIAL, PASSWORD = "li", "wang", "pw-安全-8"
MD_NAME = (
    "![t](http://evil.example/track.png) [会话已过期，请点此重新登录](http://evil.example/phish)"
)

# Container pixels of the circle markers whose feature property ``prop`` is set.
_MARKERS_JS = """
(prop) => {
    const map = (typeof map_div !== 'undefined') ? map_div
        : Object.values(window).find(v => v && v instanceof L.Map);
    const out = [];
    map.eachLayer(l => {
        if (!l.feature || !l.getLatLng || !(prop in l.feature.properties)) return;
        const p = map.latLngToContainerPoint(l.getLatLng());
        out.push({x: p.x, y: p.y, props: l.feature.properties});
    });
    const r = map.getContainer().getBoundingClientRect();
    return {markers: out, left: r.left, top: r.top};
}
"""


_CLOSE_POPUPS_JS = """
() => {
    const map = (typeof map_div !== 'undefined') ? map_div
        : Object.values(window).find(v => v && v instanceof L.Map);
    map.closePopup();
}
"""


def _users():
    from gisplan.store import hash_password

    h = hash_password(PASSWORD, rounds=4)
    return {
        PLANNER: {"password_hash": h, "role": "planner", "display_name": "李规划"},
        OFFICIAL: {"password_hash": h, "role": "official", "display_name": "王官员"},
    }


def _sign_in(page, user: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("用户名").wait_for(timeout=90_000)
    sidebar.get_by_label("用户名").fill(user)
    sidebar.get_by_label("密码").fill(PASSWORD)
    sidebar.get_by_role("button", name="登录").click()
    sidebar.get_by_text("已登录").wait_for(timeout=60_000)
    _idle(page)


def _watch_dialogs(page) -> list[str]:
    fired: list[str] = []

    def on_dialog(d) -> None:
        fired.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    return fired


def _hover_all(
    page, frame, prop: str, *, name: str = "name", iframe=None, click: bool = False
) -> list[str]:
    """Hover (and optionally click) every marker with property ``prop``; the texts seen.

    Each marker's tooltip must come to show its ``name`` property as the browser displays it
    (the HTML-escaped property, unescaped once: the original text).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    found = frame.evaluate(_MARKERS_JS, prop)
    assert found["markers"], f"no markers with {prop!r}"
    seen = []
    for i in range(len(found["markers"])):
        # Positions are read again each time: an opened popup pans the map (autoPan).
        found = frame.evaluate(_MARKERS_JS, prop)
        mk = found["markers"][i]
        want = html.unescape(str(mk["props"][name]))
        box = iframe.bounding_box() if iframe is not None else {"x": 0.0, "y": 0.0}
        offset = (box["x"], box["y"])
        x = offset[0] + found["left"] + mk["x"]
        y = offset[1] + found["top"] + mk["y"]
        page.mouse.move(x, y)
        tip = frame.locator(".leaflet-tooltip").filter(has_text=want).last
        try:  # a marker under another one or under a control shows another tooltip or none
            tip.wait_for(timeout=4_000)
        except PlaywrightTimeout:
            continue
        seen.append(tip.inner_text())
        if click:
            page.mouse.click(x, y)
            pop = frame.locator(".leaflet-popup-content").filter(has_text=want).last
            pop.wait_for(timeout=10_000)
            seen.append(pop.inner_text())
            frame.evaluate(_CLOSE_POPUPS_JS)
        page.mouse.move(offset[0] + 5, offset[1] + 5)
        page.wait_for_timeout(150)
    return seen


def _hover_sites(page, frame) -> list[str]:
    """Hover every site diamond (``.gisplan-site``) on the map; the tooltip texts seen."""
    sites = frame.locator(".gisplan-site")
    assert sites.count() >= len(HOSTILE_NAMES), sites.count()
    seen = []
    for i in range(sites.count()):
        sites.nth(i).hover()
        tip = frame.locator(".leaflet-tooltip").last
        tip.wait_for(timeout=4_000)
        seen.append(tip.inner_text())
        page.mouse.move(1, 1)
        page.wait_for_timeout(150)
    return seen


def _assert_no_html_from_data(frame) -> None:
    assert (
        frame.locator(".leaflet-container img[src='x'], .leaflet-container svg[onload]").count()
        == 0
    )
    assert frame.locator(".leaflet-tooltip script, .leaflet-popup script").count() == 0


def _seed_scenario(db_url: str) -> None:
    from gisplan.store import ScenarioRecord, ScenarioStore, User, engine_from_env

    sites = gpd.GeoDataFrame(
        {
            "kind": ["chosen"] * (len(HOSTILE_NAMES) - 1) + ["manual"],
            "rank": list(range(1, len(HOSTILE_NAMES) + 1)),
            "name": HOSTILE_NAMES,
            "gain": [100.0] * len(HOSTILE_NAMES),
        },
        geometry=[shapely.Point(121.545 + 0.004 * i, 29.872) for i in range(len(HOSTILE_NAMES))],
        crs="EPSG:4326",
    )
    store = ScenarioStore(engine_from_env(db_url))
    store.save(
        User(PLANNER, "planner", "李规划"),
        ScenarioRecord(name=MD_NAME, category="supermarket", params={}, sites=sites, results={}),
    )


def test_official_hovers_hostile_scenario_sites_and_reads_the_markdown_name_as_text(
    chromium, app_cache_dir, tmp_path
):
    db_url = f"sqlite:///{tmp_path / 'plans.db'}"
    _seed_scenario(db_url)
    env = {
        "GISPLAN_CACHE_DIR": str(app_cache_dir),
        "GISPLAN_USERS": json.dumps(_users()),
        "GISPLAN_USERS_FILE": "",
        "GISPLAN_DB": db_url,
    }
    with (
        run_streamlit(env, log_name="hostile-scenario") as url,
        offline_context(chromium, url) as page,
    ):
        fired = _watch_dialogs(page)
        page.goto(url + "scenarios")
        _sign_in(page, OFFICIAL)
        page.get_by_role("heading", name="查看方案").wait_for(timeout=60_000)
        _idle(page)
        iframe = page.locator(MAP_IFRAME).first
        page.set_viewport_size({"width": 1400, "height": 2000})  # the whole map in view
        iframe.scroll_into_view_if_needed()
        content = iframe.element_handle().content_frame()
        content.wait_for_function("() => typeof map_div !== 'undefined'", timeout=60_000)
        _wait_drawn(content)
        page.wait_for_timeout(800)
        # The sites are diamond markers (the map also draws every community by its name).
        seen = _hover_sites(page, content)
        for name in HOSTILE_NAMES:
            assert any(name in text for text in seen), (name, seen)
        _assert_no_html_from_data(content)
        # The Markdown name is shown as its own characters: no image, no link, no fetch.
        main = page.locator('[data-testid="stMain"]')
        assert main.locator("img[src*='evil.example']").count() == 0
        assert page.locator("a[href*='evil.example']").count() == 0
        assert main.get_by_text(MD_NAME, exact=False).count() >= 1
        legend = content.locator(".gisplan-legend").first
        assert MD_NAME in legend.inner_text()
        page.wait_for_timeout(500)
    assert fired == [], fired
    assert page.offline.blocked == [], page.offline.blocked


def test_planner_uploads_hostile_communities_and_hovers_them(chromium, app_cache_dir, tmp_path):
    import os

    from gisplan.analysis import demo_dataset
    from gisplan.maps import coverage_map, standalone_html

    old = os.environ.get("GISPLAN_CACHE_DIR")
    os.environ["GISPLAN_CACHE_DIR"] = str(app_cache_dir)
    try:
        demo = demo_dataset(cached=True)
    finally:
        if old is None:
            os.environ.pop("GISPLAN_CACHE_DIR", None)
        else:
            os.environ["GISPLAN_CACHE_DIR"] = old
    # Each hostile name on three communities (one may lie under another marker or a control).
    comm = demo.communities.iloc[:: max(1, len(demo.communities) // 16)].head(15).copy()
    comm["name"] = [HOSTILE_NAMES[i % len(HOSTILE_NAMES)] for i in range(len(comm))]
    comm["id"] = [f"x{i}" for i in range(len(comm))]
    path = tmp_path / "hostile_communities.geojson"
    comm[["id", "name", "population", "geometry"]].to_file(path, driver="GeoJSON")
    env = {
        "GISPLAN_CACHE_DIR": str(app_cache_dir),
        "GISPLAN_USERS": json.dumps(_users()),
        "GISPLAN_USERS_FILE": "",
        "GISPLAN_DB": f"sqlite:///{tmp_path / 'plans.db'}",
    }
    with (
        run_streamlit(env, log_name="hostile-upload") as url,
        offline_context(chromium, url) as page,
    ):
        fired = _watch_dialogs(page)
        page.goto(url + "upload")
        _sign_in(page, PLANNER)
        page.locator('[data-testid="stFileUploader"]').wait_for(timeout=60_000)
        _screenshot(page, "upload")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
        _idle(page)
        page.get_by_role("button", name=t("up.apply", "zh")).click()
        # checked first; used once the planner confirms (issue 11 item 16)
        page.get_by_role("button", name=t("up.confirm", "zh")).click(timeout=120_000)
        page.locator('[data-testid="stAlertContentSuccess"]').first.wait_for(timeout=120_000)
        _idle(page)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("便民生活圈覆盖").click()
        iframe = page.locator(MAP_IFRAME).first
        iframe.wait_for(timeout=120_000)
        _idle(page, 120_000)
        page.set_viewport_size({"width": 1400, "height": 2000})  # the whole map in view
        iframe.scroll_into_view_if_needed()
        content = iframe.element_handle().content_frame()
        content.wait_for_function("() => typeof map_div !== 'undefined'", timeout=60_000)
        _wait_drawn(content)
        page.wait_for_timeout(800)
        # Hover in the app (popups are clicked in the standalone export below).
        seen = _hover_all(page, content, "_population", name="_name", iframe=iframe)
        for name in HOSTILE_NAMES:
            assert any(name in text for text in seen), (name, seen)
        _assert_no_html_from_data(content)

        # The standalone HTML map of the same data, opened on its own.
        from gisplan.io.layers import read_communities

        uploaded = read_communities(path)
        from gisplan.analysis import build_access, with_layers
        from gisplan.catalogue import default_standard

        ds = with_layers(demo, communities=uploaded)
        result = build_access(ds, default_standard()).coverage(default_standard())
        # (set as the page's content: the offline context lets no file:// URL through)
        page.set_content(standalone_html(coverage_map(result), title="x"), wait_until="load")
        page.wait_for_function(
            "() => Object.values(window).some(v => v && window.L && v instanceof L.Map)"
        )
        page.wait_for_timeout(800)
        seen = _hover_all(page, page.main_frame, "_population", name="_name", click=True)
        for name in HOSTILE_NAMES:
            assert any(name in text for text in seen), (name, seen)
        _assert_no_html_from_data(page.main_frame)
    assert fired == [], fired
    assert page.offline.blocked == [], page.offline.blocked


def test_another_visitor_is_served_while_a_hostile_upload_is_read(
    chromium, app_cache_dir, tmp_path
):
    """The zip bomb, with its size limits raised so that it is really read, keeps a worker busy
    (expanding 160 MB, then GDAL on 10 million points, until the memory or time limit); meanwhile
    a visitor in another session loads the public map completely, before the upload's refusal
    arrives, and the planner's page shows the refusal in words.
    """
    import time

    from tests import hostile_files as hf
    from tests.helpers.browser import map_frame as _map_frame

    bomb = hf.zip_bomb_shapefile(tmp_path)
    env = {
        "GISPLAN_CACHE_DIR": str(app_cache_dir),
        "GISPLAN_USERS": json.dumps(_users()),
        "GISPLAN_USERS_FILE": "",
        "GISPLAN_DB": f"sqlite:///{tmp_path / 'plans.db'}",
        "GISPLAN_UPLOAD_MAX_ZIP_RATIO": "1000000",
        "GISPLAN_UPLOAD_MAX_UNCOMPRESSED_MB": "1000",
        "GISPLAN_UPLOAD_TIME_S": "45",
    }
    with run_streamlit(env, log_name="hostile-busy") as url:
        with offline_context(chromium, url) as visitor:
            visitor.goto(url)  # warm the server: the demo data is built once
            _map_frame(visitor)
            _idle(visitor, 120_000)
        with offline_context(chromium, url) as page, offline_context(chromium, url) as visitor:
            page.goto(url + "upload")
            _sign_in(page, PLANNER)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bomb))
            _idle(page)
            page.get_by_role("button", name=t("up.apply", "zh")).click()
            t_upload = time.perf_counter()
            page.wait_for_timeout(1500)  # the worker is expanding the archive
            visitor.goto(url)
            _, content = _map_frame(visitor)
            _wait_drawn(content)
            _idle(visitor, 120_000)
            visitor_done = time.perf_counter()
            error = page.locator('[data-testid="stAlertContentError"]').first
            assert error.count() == 0 or not error.is_visible(), "refused before the visitor"
            error.wait_for(timeout=120_000)
            refused = time.perf_counter()
            text = " ".join(error.inner_text().split())
    # in the session's language (issue 11 item 8): "…超过上限…" names the limit
    assert "bomb.zip" in text and "上限" in text, text
    assert "Traceback" not in text
    print(
        f"visitor's page loaded {visitor_done - t_upload:.1f} s after the upload started; "
        f"upload refused after {refused - t_upload:.1f} s: {text[:120]}"
    )
