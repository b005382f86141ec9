"""新店选址 in headless Chromium, internet blocked: an official draws the planning area on the
map, runs the siting in it, and relocates a market by clicking its new site.

1. One format (单一业态选址), area 在地图上绘制: a double-click only zooms (no corner); five
   clicks place five corners; 完成范围 closes the polygon. Its GeoJSON download holds the
   clicked points (where Leaflet puts those pixels, 6 decimals). 运行选址 then gives the
   sites and figures of :func:`gisplan.siting.plan_sites` for that polygon
   (:func:`gisplan.siting.area.drawn_area`, grid candidates inside it), every site inside it.
2. Closures (网点关闭影响): close a wet market by clicking it, tick the relocation, click an
   empty spot: the new site is that point, and the figures equal
   :func:`gisplan.siting.closure.close_amenities` with the new site there.

Screenshots: docs/screenshots/siting-draw-area.png and siting-relocation.png.
"""

from __future__ import annotations

import io
import json
import re

import geopandas as gpd
import numpy as np
import pytest

from tests.conftest import offline_context, run_streamlit
from tests.helpers.browser import MAP_IFRAME, MARKERS_JS, clear_marker, leaflet_content
from tests.helpers.browser import idle as _idle
from tests.helpers.browser import metric_value as _metric
from tests.helpers.browser import screenshot as _screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USER, PASSWORD, DISPLAY = "wang", "官员-pw-7", "王科长"
K = 2
SPACING = 100.0

# Chosen-site diamonds on a map: their positions.
_SITES_JS = """
() => {
    const out = [];
    map_div.eachLayer(l => {
        const cls = l.options && l.options.icon && l.options.icon.options.className || '';
        if (l.getLatLng && cls.includes('gisplan-site-chosen')) {
            const ll = l.getLatLng(); out.push([ll.lng, ll.lat]);
        }
    });
    return out;
}
"""

# Container size and offset of the map, and the lon/lat of given container pixels.
_PIXELS_JS = """
(pts) => {
    const box = map_div.getContainer(), at = box.getBoundingClientRect();
    const ll = pts.map(([x, y]) => { const p = map_div.containerPointToLatLng([x, y]);
                                      return [p.lng, p.lat]; });
    const a = map_div.containerPointToLatLng([0, 0]), b = map_div.containerPointToLatLng([1, 1]);
    return {w: box.clientWidth, h: box.clientHeight, left: at.left, top: at.top, ll: ll,
            zoom: map_div.getZoom(), px: Math.max(Math.abs(b.lng - a.lng), Math.abs(b.lat - a.lat))};
}
"""


# Whether each container pixel is on the map itself (not on a control such as the legend).
_ON_MAP_JS = """
(pts) => {
    const box = map_div.getContainer(), at = box.getBoundingClientRect();
    return pts.map(([x, y]) => {
        const el = document.elementFromPoint(at.left + x, at.top + y);
        return !!el && !el.closest('.leaflet-control') && box.contains(el);
    });
}
"""


def _clear_of_markers(content, px: list[float]) -> list[float]:
    """The pixel nearest ``px`` (whole pixels, spiralling out) clear of every circle marker:
    a click on a small marker is placed at the marker's centre by Leaflet."""
    ms = content.evaluate(MARKERS_JS)["markers"]
    xy = np.array([[m["x"], m["y"]] for m in ms]).reshape(-1, 2)
    r = np.array([m["r"] for m in ms])
    for step in range(0, 60, 3):
        for dx, dy in [(0, 0), (step, 0), (-step, 0), (0, step), (0, -step), (step, step)]:
            p = np.round([px[0] + dx, px[1] + dy])
            if not len(xy) or (np.hypot(*(xy - p).T) - r).min() > 4:
                return p.tolist()
    raise AssertionError(f"no pixel clear of markers near {px}")


def _number(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text))


def _env(app_cache_dir, tmp_path) -> dict:
    from gisplan.store import hash_password

    users = {
        USER: {
            "password_hash": hash_password(PASSWORD, rounds=4),
            "role": "official",
            "display_name": DISPLAY,
        }
    }
    return {
        "GISPLAN_CACHE_DIR": str(app_cache_dir),
        "GISPLAN_USERS": json.dumps(users),
        "GISPLAN_USERS_FILE": "",
        "GISPLAN_DB": f"sqlite:///{tmp_path / 'plans.db'}",
    }


def _sign_in(page, url: str):
    page.goto(url + "siting")
    sidebar = page.locator('[data-testid="stSidebar"]')
    page.get_by_text("请在左侧边栏登录").first.wait_for(timeout=90_000)
    sidebar.get_by_label("用户名").fill(USER)
    sidebar.get_by_label("密码").fill(PASSWORD)
    sidebar.get_by_role("button", name="登录").click()
    sidebar.get_by_text(f"已登录：{DISPLAY}").wait_for(timeout=60_000)
    _idle(page)
    return sidebar


def _map_content(page, iframe):
    return leaflet_content(page, iframe)


def test_draw_area_then_siting_equals_api(chromium, app_cache_dir, tmp_path, model_and_standard):
    from gisplan.siting import make_candidates, plan_sites
    from gisplan.siting.area import drawn_area

    model, standard = model_and_standard
    with (
        run_streamlit(_env(app_cache_dir, tmp_path), log_name="area-draw") as url,
        offline_context(chromium, url) as page,
    ):
        page.set_viewport_size({"width": 1440, "height": 1000})
        sidebar = _sign_in(page, url)
        page.get_by_role("button", name="运行选址").wait_for(timeout=120_000)
        k_box = sidebar.get_by_role("spinbutton", name="新店数量 k")
        k_box.fill(str(K))
        k_box.press("Enter")
        _idle(page)
        sidebar.get_by_text("在地图上绘制").click()
        page.get_by_role("heading", name="绘制规划范围").wait_for(timeout=60_000)
        _idle(page)
        # nothing runs on an unfinished drawing
        assert page.get_by_role("button", name="运行选址").is_disabled()
        assert page.get_by_role("button", name="完成范围").is_disabled()

        iframe = page.locator(MAP_IFRAME).first  # the drawing map is the first map
        content = _map_content(page, iframe)
        box = iframe.bounding_box()
        info = content.evaluate(_PIXELS_JS, [])
        w, h = info["w"], info["h"]
        # aim at the communities the existing supermarkets leave unserved (so sites help)
        table = model.coverage(standard).table
        unserved = table[~table["met_supermarket"]]
        assert len(unserved), "the demo data leaves some communities without a supermarket"
        aim = unserved.geometry.union_all().centroid
        cx, cy = content.evaluate(
            "([lat, lng]) => { const p = map_div.latLngToContainerPoint([lat, lng]);"
            " return [p.x, p.y]; }",
            [aim.y, aim.x],
        )
        cx, cy = min(max(cx, 0.3 * w), 0.7 * w), min(max(cy, 0.35 * h), 0.65 * h)

        # a double-click zooms the map (around that point) and places no corner
        zoom0 = info["zoom"]
        page.mouse.dblclick(box["x"] + info["left"] + cx, box["y"] + info["top"] + cy)
        content.wait_for_function(f"() => map_div.getZoom() > {zoom0}", timeout=10_000)
        page.wait_for_timeout(2000)  # longer than a click's hold (250 ms) and a rerun
        _idle(page)
        page.get_by_text("已放置 0 个角点").wait_for(timeout=10_000)

        # five corners of a pentagon around the middle of the (zoomed) view, on the map itself
        # (not on the legend or another control); where Leaflet puts each pixel is read just
        # before its click (the page's layout may move the frame by a scrollbar's width)
        ang = np.radians(90 + 72 * np.arange(5))
        expected = []
        one_px = info["px"]  # degrees per screen pixel: the browser clicks whole pixels
        try:
            for i, a in enumerate(ang, start=1):
                box = iframe.bounding_box()
                info = content.evaluate(_PIXELS_JS, [])
                w, h = info["w"], info["h"]
                px = [cx + 0.25 * w * np.cos(a), cy - 0.3 * h * np.sin(a)]
                assert content.evaluate(_ON_MAP_JS, [px]) == [True], (i, px)
                px = _clear_of_markers(content, px)
                expected += content.evaluate(_PIXELS_JS, [px])["ll"]
                page.mouse.click(box["x"] + info["left"] + px[0], box["y"] + info["top"] + px[1])
                page.get_by_text(f"已放置 {i} 个角点").wait_for(timeout=60_000)
                _idle(page)
        finally:
            _screenshot(page, "siting-draw-area")
        page.get_by_role("button", name="完成范围").click()
        page.get_by_text("范围已完成").wait_for(timeout=60_000)
        _idle(page)
        # the sidebar names the drawn area with its surface
        assert sidebar.get_by_text("绘制范围（").count() >= 1

        # the download is the clicked polygon
        with page.expect_download() as dl:
            page.get_by_role("button", name="下载范围 GeoJSON").click()
        drawn = gpd.read_file(io.BytesIO(open(dl.value.path(), "rb").read()))
        ring = list(drawn.geometry.iloc[0].exterior.coords)[:-1]
        assert len(ring) == 5
        for lon, lat in expected:  # the corners, possibly re-ordered counter-clockwise
            near = min(max(abs(lon - a), abs(lat - b)) for a, b in ring)
            assert near < one_px + 1e-6, (expected, ring, one_px)
        area = drawn_area(ring)
        shown_km2 = _metric(page, "范围面积").replace("平方公里", "").replace(",", "").strip()
        assert float(shown_km2) == pytest.approx(area.area_km2, abs=0.006)
        assert float(drawn["area_km2"].iloc[0]) == pytest.approx(area.area_km2, abs=1e-6)

        # -- siting in the drawn area equals the API for the same polygon -------------------
        page.get_by_role("button", name="运行选址").click()
        page.get_by_text("选址结果：超市").wait_for(timeout=120_000)
        _idle(page)
        cands = make_candidates(model, "grid", spacing_m=SPACING, area=area)
        api = plan_sites(model, standard, "supermarket", K, cands, area=area)
        s = api.summary()
        assert len(api.sites) == K and area.contains(api.sites).all()
        assert area.contains(cands.points).all()
        assert _number(_metric(page, "新增服务人口")) == s["newly_served_population"]
        assert _number(_metric(page, "覆盖人口（之后）")) == s["covered_population_after"]
        page.get_by_text("规划范围内").first.wait_for(timeout=30_000)
        # the chosen sites on the result map are the API's
        # (the second map: the drawing map stays above the results)
        result_iframe = page.locator(MAP_IFRAME).nth(1)
        result_map = _map_content(page, result_iframe)
        result_map.wait_for_function(
            "() => document.querySelectorAll('.gisplan-site-chosen').length > 0", timeout=30_000
        )
        got = np.array(sorted(result_map.evaluate(_SITES_JS)))
        want = np.array(sorted(zip(api.sites["lon"], api.sites["lat"], strict=True)))
        assert got.shape == want.shape and np.abs(got - want).max() < 2e-6, (got, want)
        shown_sites = gpd.GeoSeries(gpd.points_from_xy(got[:, 0], got[:, 1]), crs="EPSG:4326")
        assert area.contains(shown_sites).all()  # the page's sites lie in the drawn polygon
        _screenshot(page, "siting-draw-area")
        assert page.offline.blocked == [], page.offline.blocked


def test_relocation_new_site_by_click_equals_api(
    chromium,
    app_cache_dir,
    tmp_path,
    model_and_standard,
):
    from gisplan.crs import WGS84
    from gisplan.siting.closure import close_amenities

    model, standard = model_and_standard
    with (
        run_streamlit(_env(app_cache_dir, tmp_path), log_name="relocation") as url,
        offline_context(chromium, url) as page,
    ):
        page.set_viewport_size({"width": 1440, "height": 1000})
        sidebar = _sign_in(page, url)
        sidebar.get_by_text("网点关闭影响").click()
        _idle(page)
        iframe = page.locator(MAP_IFRAME).first
        content = _map_content(page, iframe)
        info = content.evaluate(MARKERS_JS)
        amen = model.amenities
        markets = amen[amen["category"] == "wet_market"]
        amenity_id, marker = clear_marker(info, markets)
        box = iframe.bounding_box()
        page.mouse.click(
            box["x"] + info["left"] + marker["x"], box["y"] + info["top"] + marker["y"]
        )
        page.locator('[data-testid="stMetric"]').filter(has_text="失去覆盖的人口").wait_for(
            timeout=60_000
        )
        _idle(page)
        page.get_by_text("同时在新址开一家同类网点（搬迁）").click()
        page.get_by_text("在地图上单击新址位置").wait_for(timeout=60_000)
        _idle(page)

        # an empty spot 40 px beside the closed market, clear of every marker
        content = _map_content(page, page.locator(MAP_IFRAME).first)
        info = content.evaluate(MARKERS_JS)
        xy = np.array([[m["x"], m["y"]] for m in info["markers"]])
        spot = None
        for dx, dy in [(40, 0), (-40, 0), (0, 40), (0, -40), (60, 30), (-60, -30)]:
            p = np.round([marker["x"] + dx, marker["y"] + dy])
            if np.hypot(*(xy - p).T).min() > 14 and 30 < p[0] < info["w"] - 30:
                spot = p
                break
        assert spot is not None, "no empty spot beside the closed market"
        lonlat = content.evaluate(
            "([x, y]) => { const ll = map_div.containerPointToLatLng([x, y]);"
            " return [ll.lng, ll.lat]; }",
            spot.tolist(),
        )
        box = page.locator(MAP_IFRAME).first.bounding_box()
        before = page.get_by_role("spinbutton", name="新址经度").input_value()
        page.mouse.click(
            float(box["x"] + info["left"] + spot[0]), float(box["y"] + info["top"] + spot[1])
        )
        page.wait_for_function(
            "(v) => { const e = [...document.querySelectorAll('input')].find("
            "i => i.getAttribute('aria-label') === '新址经度'); return e && e.value !== v; }",
            arg=before,
            timeout=60_000,
        )
        _idle(page)
        lon = float(page.get_by_role("spinbutton", name="新址经度").input_value())
        lat = float(page.get_by_role("spinbutton", name="新址纬度").input_value())
        assert abs(lon - lonlat[0]) < 2e-6 and abs(lat - lonlat[1]) < 2e-6, (lon, lat, lonlat)
        # the market is still the one closed (the click placed the site, closed nothing)
        assert page.locator('[data-testid="stMultiSelect"]').filter(has_text=amenity_id).count()

        new = gpd.GeoDataFrame(
            {"id": ["new1"], "name": ["新址"], "category": ["wet_market"]},
            geometry=gpd.points_from_xy([lon], [lat]),
            crs=WGS84,
        )
        api = close_amenities(model, standard, [amenity_id], open_sites=new).summary()
        # the figures follow the new site once the rerun it started has finished
        box = page.locator('[data-testid="stMetric"]').filter(has_text="失去覆盖的人口").first
        value = box.locator('[data-testid="stMetricValue"]')
        try:
            value.filter(has_text=f"{api['people_losing']:,}").wait_for(timeout=60_000)
        finally:
            _screenshot(page, "siting-relocation")
        _idle(page)
        shown = _number(_metric(page, "失去覆盖的人口"))
        assert shown == api["people_losing"], (amenity_id, lon, lat, shown, api)
        assert _number(_metric(page, "失去覆盖的社区")) == api["communities_losing"]
        assert _metric(page, "达标社区（之前 → 之后）") == (
            f"{api['complete_circles_before']} → {api['complete_circles_after']}"
        )
        closed_only = close_amenities(model, standard, [amenity_id]).summary()
        assert api["people_losing"] <= closed_only["people_losing"]
        _screenshot(page, "siting-relocation")
        assert page.offline.blocked == [], page.offline.blocked
