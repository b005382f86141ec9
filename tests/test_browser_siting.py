"""新店选址 and 方案管理 end to end in headless Chromium, with the internet blocked.

A planner signs in through the sidebar form, runs the greedy siting (k = 2, the page's
default category), clicks a point on the what-if map inside the streamlit-folium iframe and
reads the what-if figures the page shows.  They are compared with
:func:`gisplan.siting.what_if` computed here on the same demo data and standard, at the
coordinates the page typed back into its lon/lat fields (which must be where Leaflet says the
click landed).  Two scenarios are then saved, checked in the database, and opened and compared
on the scenarios page.  Screenshots: docs/screenshots/siting.png and scenarios.png.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import offline_context, run_streamlit
from tests.helpers.browser import CLEAR_PIXEL_JS as _CLEAR_PIXEL_JS
from tests.helpers.browser import MAP_IFRAME, leaflet_content
from tests.helpers.browser import idle as _idle
from tests.helpers.browser import metric_value as _metric
from tests.helpers.browser import screenshot as _screenshot
from tests.helpers.browser import wait_drawn as _wait_drawn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USER, PASSWORD, DISPLAY = "zhang", "规划-pw-2", "张工"
CATEGORY = "supermarket"  # the page's default category (index of "supermarket")
K = 2


def _number(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text))


def test_sign_in_greedy_click_what_if_save_and_compare(
    chromium, app_cache_dir, tmp_path, model_and_standard
):
    from gisplan.siting import what_if
    from gisplan.store import ScenarioStore, User, engine_from_env, hash_password

    users = {
        USER: {
            "password_hash": hash_password(PASSWORD, rounds=4),
            "role": "planner",
            "display_name": DISPLAY,
        }
    }
    db_url = f"sqlite:///{tmp_path / 'plans.db'}"
    env = {
        "GISPLAN_CACHE_DIR": str(app_cache_dir),
        "GISPLAN_USERS": json.dumps(users),
        "GISPLAN_USERS_FILE": "",
        "GISPLAN_DB": db_url,
    }
    model, standard = model_and_standard
    with run_streamlit(env, log_name="siting") as url, offline_context(chromium, url) as page:
        page.goto(url + "siting")
        # -- sign in through the sidebar form --------------------------------------------------
        sidebar = page.locator('[data-testid="stSidebar"]')
        page.get_by_text("请在左侧边栏登录").first.wait_for(timeout=90_000)
        sidebar.get_by_label("用户名").fill(USER)
        sidebar.get_by_label("密码").fill(PASSWORD)
        sidebar.get_by_role("button", name="登录").click()
        sidebar.get_by_text(f"已登录：{DISPLAY}").wait_for(timeout=60_000)
        page.get_by_role("button", name="运行选址").wait_for(timeout=120_000)
        _idle(page)

        # -- greedy, k = 2 ---------------------------------------------------------------------
        k_box = sidebar.get_by_role("spinbutton", name="新店数量 k")
        k_box.fill(str(K))
        k_box.press("Enter")
        _idle(page)
        page.get_by_role("button", name="运行选址").click()
        page.get_by_text("选址结果：超市").wait_for(timeout=120_000)  # the default category
        _idle(page)
        page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first.wait_for(
            timeout=30_000
        )  # the sites table (the sidebar has tables in closed expanders)

        # -- click on the what-if map (the second folium map, below the results map) ----------
        frames = page.locator(MAP_IFRAME)
        frames.nth(1).wait_for(timeout=60_000)
        assert frames.count() == 2
        whatif_iframe = frames.nth(1)
        content = leaflet_content(page, whatif_iframe, settle_ms=1000)
        # A pixel inside the data, near the communities the existing supermarkets leave
        # unserved, and on no marker: a click on a community opens its popup instead.
        table = model.coverage(standard).table
        unserved = table[~table[f"met_{CATEGORY}"]]
        assert len(unserved), "the demo data leaves some communities without a supermarket"
        aim = unserved.geometry.union_all().centroid
        target = content.evaluate(_CLEAR_PIXEL_JS, [aim.y, aim.x])
        assert target is not None, "no clear pixel near the unserved communities"
        assert 40 < target["x"] < target["w"] - 40 and 40 < target["y"] < target["h"] - 40, target
        box = whatif_iframe.bounding_box()
        px = box["x"] + target["left"] + target["x"]
        py = box["y"] + target["top"] + target["y"]
        # Where Leaflet puts that pixel (the page must evaluate this point).
        clicked = content.evaluate(
            "([x, y]) => { const ll = map_div.containerPointToLatLng([x, y]);"
            " return [ll.lng, ll.lat]; }",
            [target["x"], target["y"]],
        )
        page.mouse.click(px, py)
        page.locator('[data-testid="stMetric"]').filter(has_text="新增服务社区").wait_for(
            timeout=60_000
        )
        _idle(page)

        lon = float(page.get_by_role("spinbutton", name="经度").input_value())
        lat = float(page.get_by_role("spinbutton", name="纬度").input_value())
        # the offline basemap is WGS-84, so the typed-back point is the clicked one (6 decimals)
        assert abs(lon - clicked[0]) < 2e-6 and abs(lat - clicked[1]) < 2e-6, (lon, lat, clicked)
        wi = what_if(model, standard, CATEGORY, lon, lat)
        shown_people = _number(_metric(page, "新增服务人口", last=True))
        assert shown_people == wi.newly_served_population
        assert _number(_metric(page, "新增服务社区")) == len(wi.newly_served_ids)
        assert _number(_metric(page, "新达标社区", last=True)) == len(wi.newly_complete_ids)
        assert wi.newly_served_population > 0, "pick a click point that serves someone new"
        # the clicked site is drawn on the what-if map (orange marker and service area)
        legends = whatif_iframe.content_frame.locator(".gisplan-legend")
        assert legends.filter(has_text="假设新店及服务范围").count() == 1
        _screenshot(page, "siting")

        # -- save two scenarios: greedy only, then greedy + the clicked point ---------------
        def save(name: str) -> None:
            form = page.locator('[data-testid="stForm"]').filter(has_text="方案名称")
            form.get_by_label("方案名称").fill(name)
            form.get_by_role("button", name="保存方案").click()
            page.get_by_text(f"已保存方案“{name}”").wait_for(timeout=60_000)
            _idle(page)

        save("超市两店（贪心）")
        page.get_by_role("button", name="将此点加入方案（手动选址）").click()
        page.get_by_text("手动添加的选址（1 个）").wait_for(timeout=60_000)
        _idle(page)
        save("超市两店加手动点")

        store = ScenarioStore(engine_from_env(db_url))
        reader = User(USER, "planner", DISPLAY)
        assert [s.name for s in store.list(reader)] == sorted(
            ["超市两店（贪心）", "超市两店加手动点"]
        )
        plus = store.load(reader, "超市两店加手动点")
        sites = plus.sites_frame()
        assert sorted(sites["kind"]) == ["chosen"] * K + ["manual"]
        manual = sites[sites["kind"] == "manual"].geometry.iloc[0]
        assert (manual.x, manual.y) == pytest.approx((lon, lat), abs=1e-9)

        # -- 方案管理 in the same session (the sidebar link keeps the sign-in) -------------------
        page.locator('[data-testid="stSidebarNav"]').get_by_text("方案管理").click()
        page.get_by_role("heading", name="方案对比").wait_for(timeout=60_000)
        _idle(page)
        # list, results, figures and the comparison (the parameters sit in a closed expander)
        page.wait_for_function(
            '() => [...document.querySelectorAll(\'[data-testid="stMain"] '
            '[data-testid="stDataFrame"]\')].filter(e => e.offsetParent !== null).length >= 4',
            timeout=60_000,
        )
        _, handle = (
            page.frame_locator(MAP_IFRAME).first,
            page.locator(MAP_IFRAME).first.element_handle(),
        )
        _wait_drawn(handle.content_frame())
        page.wait_for_timeout(1000)
        _screenshot(page, "scenarios")

        assert page.offline.blocked == [], page.offline.blocked
