"""新店选址's closure mode in headless Chromium, internet blocked: the clicked amenity's closure.

An official signs in, switches 新店选址 to 网点关闭影响, and clicks an existing wet market's
marker inside the streamlit-folium iframe. The page's figures (people and communities losing
coverage, complete circles before → after) must equal
:func:`gisplan.siting.closure.close_amenities` for that amenity, computed here on the same demo
data and standard. Then the area plan mode runs for the preselected county and names it. Screenshots:
docs/screenshots/siting-closure.png and siting-area-plan.png.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import offline_context, run_streamlit
from tests.helpers.browser import MAP_IFRAME, MARKERS_JS, clear_marker, leaflet_content
from tests.helpers.browser import idle as _idle
from tests.helpers.browser import metric_value as _metric
from tests.helpers.browser import screenshot as _screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USER, PASSWORD, DISPLAY = "li", "官员-pw-3", "李科长"


def test_closure_click_equals_api(chromium, app_cache_dir, tmp_path, model_and_standard):
    from gisplan.siting.closure import close_amenities
    from gisplan.store import hash_password

    users = {
        USER: {
            "password_hash": hash_password(PASSWORD, rounds=4),
            "role": "official",
            "display_name": DISPLAY,
        }
    }
    env = {
        "GISPLAN_CACHE_DIR": str(app_cache_dir),
        "GISPLAN_USERS": json.dumps(users),
        "GISPLAN_USERS_FILE": "",
        "GISPLAN_DB": f"sqlite:///{tmp_path / 'plans.db'}",
    }
    model, standard = model_and_standard
    with run_streamlit(env, log_name="official") as url, offline_context(chromium, url) as page:
        page.set_viewport_size({"width": 1440, "height": 1000})
        page.goto(url + "siting")
        sidebar = page.locator('[data-testid="stSidebar"]')
        page.get_by_text("请在左侧边栏登录").first.wait_for(timeout=90_000)
        sidebar.get_by_label("用户名").fill(USER)
        sidebar.get_by_label("密码").fill(PASSWORD)
        sidebar.get_by_role("button", name="登录").click()
        sidebar.get_by_text(f"已登录：{DISPLAY}").wait_for(timeout=60_000)
        _idle(page)
        sidebar.get_by_text("网点关闭影响").click()
        _idle(page)
        frame = page.locator(MAP_IFRAME).first
        content = leaflet_content(page, frame)
        info = content.evaluate(MARKERS_JS)
        amen = model.amenities
        markets = amen[amen["category"] == "wet_market"]
        assert len(info["markers"]) == len(markets)  # the map shows the wet markets only
        amenity_id, marker = clear_marker(info, markets)
        box = frame.bounding_box()
        page.mouse.click(
            box["x"] + info["left"] + marker["x"], box["y"] + info["top"] + marker["y"]
        )
        try:
            page.locator('[data-testid="stMetric"]').filter(has_text="失去覆盖的人口").wait_for(
                timeout=60_000
            )
        finally:
            _screenshot(page, "siting-closure")
        _idle(page)

        api = close_amenities(model, standard, [amenity_id]).summary()
        assert int(_metric(page, "失去覆盖的人口").replace(",", "")) == api["people_losing"]
        assert int(_metric(page, "失去覆盖的社区").replace(",", "")) == api["communities_losing"]
        assert _metric(page, "达标社区（之前 → 之后）") == (
            f"{api['complete_circles_before']} → {api['complete_circles_after']}"
        )
        # the closed amenity is listed in the selection box
        assert (
            page.locator('[data-testid="stMultiSelect"]').filter(has_text=amenity_id).count() == 1
        )
        _screenshot(page, "siting-closure")

        # -- area plan for 海曙区 --------------------------------------------------------------
        sidebar.get_by_text("区域多业态方案").click()
        sidebar.get_by_text("各业态新店数量").wait_for(timeout=60_000)
        _idle(page)
        page.wait_for_timeout(500)
        sidebar.get_by_text("区县", exact=True).first.click()
        sidebar.get_by_text("区县边界为概略边界", exact=False).wait_for(timeout=60_000)
        _idle(page)
        page.get_by_role("button", name="运行区域方案").click()
        # the county holding most of the data is preselected, and the result names it
        county = model.communities["county"].value_counts().index[0]
        page.get_by_text(f"区域方案：{county}").wait_for(timeout=120_000)
        _idle(page)
        page.locator(MAP_IFRAME).first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        _screenshot(page, "siting-area-plan")
        assert page.offline.blocked == [], page.offline.blocked
