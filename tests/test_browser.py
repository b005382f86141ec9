"""End to end in headless Chromium against ``streamlit run app.py``, with the internet blocked.

Checks that the maps draw their layers from locally served Leaflet, that a threshold change
updates the coverage figure, that panning the map does not rerun the script, and saves a
screenshot of every page into docs/screenshots/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.helpers.browser import MAP_IFRAME, SHOTS
from tests.helpers.browser import idle as _idle
from tests.helpers.browser import map_frame as _map_frame
from tests.helpers.browser import metric_value as _metric_value
from tests.helpers.browser import screenshot as _screenshot
from tests.helpers.browser import wait_drawn as _wait_drawn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]


# Where the features of one layer (those whose GeoJSON properties hold ``prop``) are drawn:
# how many, how many reach outside the map container, how many lie (with their radius, px)
# under a map control (zoom buttons, legend, labels, scale, attribution), and the view bounds.
_PLACEMENT_JS = """
(prop) => {
    const map = map_div, box = map.getContainer();
    const W = box.clientWidth, H = box.clientHeight, at = box.getBoundingClientRect();
    const controls = [...box.querySelectorAll('.leaflet-control')]
        .map(c => c.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
    let n = 0, outside = 0, covered = 0;
    map.eachLayer(l => {
        if (!l.feature || !l.feature.properties || !(prop in l.feature.properties)) return;
        const r = l.getRadius ? l.getRadius() : 0;
        const lls = l.getLatLng ? [l.getLatLng()]
            : [l.getBounds().getSouthWest(), l.getBounds().getNorthEast()];
        for (const ll of lls) {
            n++;
            const p = map.latLngToContainerPoint(ll);
            if (p.x - r < 0 || p.y - r < 0 || p.x + r > W || p.y + r > H) outside++;
            const x = at.left + p.x, y = at.top + p.y;
            if (controls.some(c => x + r > c.left && x - r < c.right && y + r > c.top && y - r < c.bottom))
                covered++;
        }
    });
    const b = map.getBounds();
    return {n, outside, covered, W, H, view: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]};
}
"""


def _no_external_scripts_or_styles(page) -> None:
    bad = [
        (kind, url)
        for kind, url in page.offline.blocked
        if kind in ("script", "stylesheet", "font")
    ]
    assert bad == [], bad


def test_plan_map_page_renders_offline(offline_page):
    page = offline_page
    t0 = time.perf_counter()
    page.goto(page.base_url)
    frame, content = _map_frame(page)
    drawn = _wait_drawn(content)
    first_map_s = time.perf_counter() - t0
    assert drawn["painted"] > 100 or drawn["svgPaths"] > 0, drawn
    # counties (10), districts (6), streets (6) as three GeoJSON groups plus their features
    assert drawn["layers"] == -1 or drawn["layers"] >= 3 + 10 + 6 + 6, drawn
    legend = frame.locator(".gisplan-legend")
    assert "步行街" in legend.inner_text() and "国家级" in legend.inner_text()
    # Leaflet came from the app's static folder
    src = content.evaluate("() => [...document.scripts].map(s => s.src).filter(Boolean)")
    assert any(s.endswith("/app/static/vendor/leaflet/leaflet.js") for s in src), src
    assert all(s.startswith(page.base_url) for s in src), src
    page.get_by_text("再生资源回收点覆盖率").wait_for(timeout=60_000)
    page.get_by_text("示例数据（合成）").first.wait_for(timeout=60_000)
    _idle(page)
    _no_external_scripts_or_styles(page)
    assert page.offline.blocked == [], page.offline.blocked  # the offline basemap asks for nothing
    print(f"\nfirst map drawn after {first_map_s:.2f} s")
    _screenshot(page, "plan_map")


_LABELS_JS = "() => [...document.querySelectorAll('.gisplan-map-label')].map(e => e.textContent)"


def test_plan_map_zoomed_in_names_the_osm_places_around_a_district(offline_page):
    """A visitor drags to 镇海新城 and zooms in: the district sits among the malls OSM names there.

    (Map labels are zero-width Leaflet icons that Playwright calls hidden, so the test reads
    which labels the map holds: the OSM names are added to the map only from zoom 15.)
    """
    page = offline_page
    page.goto(page.base_url)
    page.get_by_text("再生资源回收点覆盖率").wait_for(timeout=60_000)
    _idle(page)  # the page has finished (the map is not re-mounted under the test)
    frame, content = _map_frame(page)
    _wait_drawn(content)
    assert "箭湖中心" not in content.evaluate(_LABELS_JS)  # not at city zoom
    # The map may still refit itself once after the first draw (issue 11 item 1, zoom snapping
    # back): zoom again as a user would, until the view holds.
    for _ in range(5):
        content.evaluate(
            "() => { map_div.fire('dragstart');"
            " map_div.setView([29.967, 121.592], 16, {animate: false}); }"
        )
        page.wait_for_timeout(700)
        if content.evaluate("() => map_div.getZoom()") == 16:
            break
    content.wait_for_function(
        "() => [...document.querySelectorAll('.gisplan-map-label')].some(e => e.textContent == '箭湖中心')",
        timeout=20_000,
    )
    assert content.evaluate("() => map_div.getZoom()") == 16
    texts = set(content.evaluate(_LABELS_JS))
    assert {"镇海新城商圈", "银泰百货", "镇海新城市场", "箭湖中心"} <= texts, texts
    assert "OpenStreetMap" in frame.locator(".leaflet-control-attribution").inner_text()
    page.screenshot(path=str(SHOTS / "plan_map_zhenhai_zoomed.png"))


def test_coverage_threshold_changes_the_figure_and_panning_does_not_rerun(offline_page):
    page = offline_page
    sent: list[str] = []
    page.on(
        "websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(str(payload)[:40]))
    )
    page.goto(page.base_url + "coverage")
    frame, content = _map_frame(page)
    drawn = _wait_drawn(content)
    assert drawn["painted"] > 100 or drawn["svgPaths"] > 0, drawn
    assert "示例数据（合成）" in frame.locator(".gisplan-label").inner_text()
    label = "便利店 人口覆盖"
    page.locator('[data-testid="stMetric"]').filter(has_text=label).first.wait_for(timeout=60_000)
    _idle(page)
    before = _metric_value(page, label)
    complete_before = _metric_value(page, "达标社区数")

    # Pan and zoom: streamlit-folium returns nothing (returned_objects=[]), so no rerun is sent.
    page.wait_for_timeout(500)
    n_sent = len(sent)
    box = page.locator(MAP_IFRAME).first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 120, cy + 60, steps=8)
    page.mouse.up()
    frame.locator(".leaflet-control-zoom-in").click()
    page.wait_for_timeout(1500)
    assert len(sent) == n_sent, sent[n_sent:]

    # Lower the convenience-store threshold from 5 to 3 minutes.
    box_input = page.get_by_role("spinbutton", name="便利店", exact=True)
    box_input.fill("3")
    box_input.press("Enter")
    page.wait_for_function(
        """([label, before]) => {
            const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(e => e.innerText.includes(label));
            return m && !m.innerText.includes(before);
        }""",
        arg=[label, before],
        timeout=30_000,
    )
    _idle(page)
    after = _metric_value(page, label)

    def pct(text: str) -> float:
        return float(re.sub(r"[^\d.]", "", text))

    assert pct(after) < pct(before), (before, after)
    assert int(_metric_value(page, "达标社区数").split("/")[0]) <= int(
        complete_before.split("/")[0]
    )
    _, content = _map_frame(page)
    assert _wait_drawn(content)["painted"] > 100
    _no_external_scripts_or_styles(page)
    assert page.offline.blocked == [], page.offline.blocked
    box_input.fill("5")
    box_input.press("Enter")
    page.wait_for_function(
        "([label, before]) => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
        ".some(e => e.innerText.includes(label) && e.innerText.includes(before))",
        arg=[label, before],
        timeout=30_000,
    )
    _idle(page)
    page.goto(page.base_url + "coverage")  # fresh view (the map was panned and zoomed above)
    _, content = _map_frame(page)
    _wait_drawn(content)
    page.locator('[data-testid="stMetric"]').filter(has_text=label).first.wait_for(timeout=60_000)
    _idle(page)
    _screenshot(page, "coverage")


def _settled_placement(page, attempts: int = 4) -> dict:
    """Marker placement in the map once it has settled.

    Streamlit may replace the component's iframe while the page settles (a rerun after a
    language switch or a resize); a detached frame is looked up again.
    """
    for attempt in range(attempts):
        try:
            _, content = _map_frame(page)
            _wait_drawn(content)
            content.wait_for_function(
                "() => typeof map_div !== 'undefined' && typeof map_div.eachLayer === 'function'"
            )
            page.wait_for_timeout(1500)  # the frame's final size and the refit after web fonts
            return content.evaluate(_PLACEMENT_JS, "_completeness")
        except Exception as exc:  # playwright's Error: "Frame was detached"
            if "detached" not in str(exc) or attempt == attempts - 1:
                raise
            _idle(page)
    raise AssertionError("unreachable")


@pytest.mark.parametrize("width", [1400, 1000])
def test_coverage_map_first_view_shows_every_community_clear_of_controls(offline_page, width):
    """On first display every community lies inside the map and under no control (legend...)."""
    from gisplan.analysis import demo_dataset

    communities = demo_dataset().communities
    page = offline_page
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(page.base_url + "coverage")
    where = _settled_placement(page)
    assert where["n"] == len(communities), where
    assert where["outside"] == 0 and where["covered"] == 0, where
    west, south, east, north = communities.total_bounds
    v = where["view"]
    assert v[0] < west and v[1] < south and v[2] > east and v[3] > north, (
        v,
        west,
        south,
        east,
        north,
    )
    # and in English, whose legend is wider
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Convenience-circle coverage").wait_for(timeout=30_000)
    _idle(page)
    where = _settled_placement(page)
    assert where["n"] == len(communities), where
    assert where["outside"] == 0 and where["covered"] == 0, where


def test_upload_page_is_for_signed_in_users_in_both_languages(offline_page):
    """A visitor (deep link) gets the sign-in prompt and no upload field, in zh and en.

    (The signed-in upload page is used, and its screenshot taken, in test_browser_hostile.)
    """
    page = offline_page
    page.goto(page.base_url + "upload")
    page.get_by_text("上传数据需要以规划人员或官员身份登录").wait_for(timeout=60_000)
    _idle(page)
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    page.get_by_text("English").click()
    page.get_by_role("heading", name="Data upload").wait_for(timeout=30_000)
    page.get_by_text("Sign in as a planner or official (sidebar) to upload data").wait_for(
        timeout=30_000
    )
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    _no_external_scripts_or_styles(page)
    assert page.offline.blocked == [], page.offline.blocked
