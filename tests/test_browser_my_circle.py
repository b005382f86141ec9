"""The residents' page "我的15分钟生活圈" in headless Chromium, offline, at phone and desktop width.

A resident picks a community by typing its pinyin initials, or taps the map; the page shows
the walking minutes the engine computes (checked here against the access model and a
:class:`CircleFinder` built in the test), puts the place in the URL, and the URL reopens
it. At 390×844 the answer is above the fold, the map is not a scroll trap and the tap
targets are at least 44 px. Screenshots of both widths in both languages go to
docs/screenshots/my_circle_<lang>_<width>.png.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from tests.conftest import Offline
from tests.helpers.browser import idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def engine():
    """The demo's access model and a CircleFinder, built in the test process."""
    from gisplan.access.place_circle import CircleFinder
    from gisplan.analysis import build_access, demo_dataset
    from gisplan.catalogue import default_standard

    std = default_standard()
    ds = demo_dataset()
    model = build_access(ds, std)
    return model, CircleFinder(model, std), std


def expect(*args, **kwargs):
    """Playwright's retrying assertions (imported here: without Playwright the module still
    loads, and conftest skips or fails the tests as configured)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


def _page(chromium, base_url: str, viewport: dict, *, phone: bool):
    context = chromium.new_context(
        viewport=viewport,
        locale="zh-CN",
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=1,
    )
    offline = Offline()
    context.route("**/*", offline)
    page = context.new_page()
    page.offline = offline
    page.base_url = base_url
    return context, page


def _idle(page, timeout_ms: int = 90_000) -> None:
    idle(page, timeout_ms)


def _card(page) -> str:
    card = page.locator(".st-key-circle_card")
    card.wait_for(timeout=90_000)
    return card.inner_text()


def _card_shows(page, title: str, lines: list[str], *more: str) -> str:
    """Wait until the verdict card shows ``title`` and every line (Streamlit replaces a card
    element by element while the script runs: right after the title changes, the lines below
    may still be the previous place's), then return its text."""
    card = page.locator(".st-key-circle_card")
    expect(card.locator("h4")).to_contain_text(title, timeout=90_000)
    for line in [*lines, *more]:
        expect(card).to_contain_text(line, timeout=90_000)
    _idle(page)
    return card.inner_text()


def _settled(page, content, timeout_ms: int = 60_000) -> None:
    """Wait until the map has stopped moving: the same centre, zoom and frame position in
    five animation-frame samples 150 ms apart (a refit after web fonts, a resize or the new
    place's layers comes late on a busy machine; a tap computed before it lands elsewhere)."""
    frame = page.locator(MAP_IFRAME).first
    deadline = time.monotonic() + timeout_ms / 1000
    last, same = None, 0
    while time.monotonic() < deadline:
        try:
            view = content.evaluate(
                "() => { const c = map_div.getCenter(); return [c.lat, c.lng, map_div.getZoom(),"
                " !!map_div._animatingZoom, !!(map_div._panAnim && map_div._panAnim._inProgress)]; }"
            )
        except Exception as exc:  # noqa: BLE001 - "Frame was detached": the map was redrawn
            if "detached" not in str(exc):
                raise
            content = _map_content(page)
            last, same = None, 0
            continue
        box = frame.bounding_box()
        now = (tuple(view), None if box is None else (round(box["x"]), round(box["y"])))
        moving = view[3] or view[4]
        same = same + 1 if (now == last and not moving) else 0
        if same >= 4:
            return
        last = now
        page.wait_for_timeout(150)
    raise AssertionError(f"the map kept moving for {timeout_ms} ms")


def _map_content(page):
    page.locator(MAP_IFRAME).first.wait_for(timeout=90_000)
    frame = page.frame_locator(MAP_IFRAME).first
    frame.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg").first.wait_for(
        timeout=90_000
    )
    content = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    content.wait_for_function("() => typeof map_div !== 'undefined'")
    return content


def _screen_point(page, lat: float, lon: float, attempts: int = 4) -> list[float]:
    """Where (lat, lon) is drawn inside the map's frame (pixels), once the map has settled."""
    for attempt in range(attempts):
        try:
            content = _map_content(page)
            _settled(page, content)  # the map's last refit (after web fonts, frame size)
            return content.evaluate(
                "([lat, lon]) => { const q = map_div.latLngToContainerPoint([lat, lon]);"
                " const r = map_div.getContainer().getBoundingClientRect();"
                " return [q.x + r.left, q.y + r.top]; }",
                [lat, lon],
            )
        except Exception as exc:  # playwright's Error: "Frame was detached" (map redrawn)
            if "detached" not in str(exc) or attempt == attempts - 1:
                raise
            _idle(page)
    raise AssertionError("unreachable")


def _required_lines(model, std, minutes: dict[str, float]) -> list[str]:
    """The card's lines for the required categories, from minutes computed in the test."""
    out = []
    for cid in std.required_ids:
        name = std[cid].name_zh
        m = minutes[cid]
        if m <= std.threshold_minutes(cid) + 1e-9:
            out.append(f"✓ {name}：步行 {m:.1f} 分钟")
        elif np.isfinite(m) and m <= 20:
            out.append(f"✗ 缺{name}：最近的需步行 {m:.1f} 分钟")
        else:
            out.append(f"✗ 缺{name}：步行 20 分钟内没有")
    return out


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def _shot(page, name: str) -> None:
    """The whole page (Streamlit scrolls inside its own container: grow the viewport)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        '() => Math.max(...[...document.querySelectorAll(\'[data-testid="stMain"], '
        '[data-testid="stAppViewContainer"] section\')].map(e => e.scrollHeight), 800)'
    )
    page.set_viewport_size({"width": size["width"], "height": int(min(height + 40, 4000))})
    page.wait_for_timeout(2500)  # the map's refit after the resize, without animation
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)


def _pick_by_initials(page, initials: str, label_start: str) -> None:
    """Type the initials; the short list of matches shows the community: tap it."""
    box = page.locator(".st-key-circle_pick input").first
    box.click()
    page.keyboard.type(initials, delay=40)
    hits = page.locator(".st-key-circle_pick button")
    hit = hits.filter(has_text=label_start).first
    hit.wait_for(timeout=90_000)
    assert hits.count() <= 8  # a short list, not every community
    hit.click()


@pytest.mark.parametrize("phone", [True, False], ids=["390x844", "1440x900"])
def test_pick_by_name_tap_the_map_and_reopen_the_url(chromium, streamlit_server, engine, phone):
    from gisplan.app.my_circle import pinyin_initials

    model, finder, std = engine
    mpm = std.metres_per_minute
    context, page = _page(chromium, streamlit_server, PHONE if phone else DESKTOP, phone=phone)
    try:
        page.goto(page.base_url + "my-circle")
        page.get_by_text("请先选择小区").wait_for(timeout=90_000)
        _idle(page)

        # 1. pick a community by typing its pinyin initials
        comm = model.communities.set_index("id")
        cid = "C0100"
        name = comm.loc[cid, "name"]
        _pick_by_initials(page, pinyin_initials(name), name)
        expected = {c: model.distances_m.loc[cid, c] / mpm for c in std.required_ids}
        lines = _required_lines(model, std, expected)
        card = _card_shows(page, name, lines, "示例数据（合成）")  # the label on the card itself
        for line in lines:
            assert line in card, (line, card)
        expect(page).to_have_url(re.compile(rf"[?&]c={cid}(&|$)"), timeout=60_000)
        assert _query(page) == {"c": cid}

        # phone first: the answer above the fold, thumb-sized targets, no scroll trap
        if phone:
            top = page.locator(".st-key-circle_card").bounding_box()
            assert top["y"] < PHONE["height"] * 0.6, top
            sel = page.locator(".st-key-circle_pick input").first
            assert sel.bounding_box()["height"] >= 44
            page.locator(MAP_IFRAME).first.wait_for(state="visible", timeout=60_000)
            frame_box = page.locator(MAP_IFRAME).first.bounding_box()
            assert frame_box["height"] <= PHONE["height"] * 0.6, frame_box
            content = _map_content(page)
            zoom = content.locator(".leaflet-control-zoom-in").bounding_box()
            assert zoom["height"] >= 44 and zoom["width"] >= 44, zoom
            size = page.locator(".st-key-circle_card p").first.evaluate(
                "e => parseFloat(getComputedStyle(e).fontSize)"
            )
            assert size >= 15, size
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # 2. tap the map on a street about 300-600 m away, not on a community dot
        content = _map_content(page)
        nodes = model.network.nodes_gdf().to_crs(4326).geometry
        node_xy = np.column_stack([nodes.x, nodes.y])
        metric = model.network.node_xy
        here = model.communities.set_index("id").to_crs(model.network.crs).loc[cid].geometry
        d = np.hypot(metric[:, 0] - here.x, metric[:, 1] - here.y)
        comm_xy = model.communities.to_crs(model.network.crs).geometry
        far_from_dots = np.array(
            [comm_xy.distance(__import__("shapely").Point(xy)).min() > 80 for xy in metric]
        )
        pick = np.flatnonzero((d > 300) & (d < 600) & far_from_dots)[0]
        lon, lat = node_xy[pick]
        # the whole map in view first: a click into a frame half below the fold scrolls it
        page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
        px = _screen_point(page, float(lat), float(lon))
        box = page.locator(MAP_IFRAME).first.bounding_box()
        x, y = box["x"] + px[0], box["y"] + px[1]
        if phone:
            page.touchscreen.tap(x, y)
        else:
            page.mouse.click(x, y)
        expect(page.locator(".st-key-circle_card h4")).to_contain_text(
            "地图上点选的位置", timeout=90_000
        )
        expect(page).to_have_url(re.compile(r"[?&]at="), timeout=60_000)
        q = _query(page)
        assert set(q) == {"at"}, q
        tlon, tlat = (float(v) for v in q["at"].split(","))
        assert abs(tlon - lon) < 3e-4 and abs(tlat - lat) < 3e-4  # where the thumb landed
        tapped = finder.from_lonlat(tlon, tlat)
        minutes = {a.category: a.minutes for a in tapped.nearest}
        lines = _required_lines(model, std, minutes)
        card = _card_shows(page, f"{tlon:.5f}", lines)
        for line in lines:
            assert line in card, (line, card)
        assert name not in page.locator(".st-key-circle_pick").inner_text()
        url = page.url
    finally:
        context.close()

    # 3. the shared URL reopens the same place in a fresh browser
    context, page = _page(chromium, streamlit_server, PHONE if phone else DESKTOP, phone=phone)
    try:
        page.goto(url)
        card = _card_shows(page, "地图上点选的位置", lines, f"{tlon:.5f}")
        assert _query(page) == q
        for line in lines:
            assert line in card, (line, card)
        bad = [(k, u) for k, u in page.offline.blocked if k in ("script", "stylesheet", "font")]
        assert bad == [], bad
        assert not any("tile" in u for _, u in page.offline.blocked), page.offline.blocked
    finally:
        context.close()


@pytest.mark.parametrize("phone", [True, False], ids=["390", "1440"])
def test_screenshots_in_both_languages(chromium, streamlit_server, engine, phone):
    model, _, std = engine
    cid = model.coverage(std).table.query("~complete & snapped")["id"].iloc[0]
    width = 390 if phone else 1440
    context, page = _page(chromium, streamlit_server, PHONE if phone else DESKTOP, phone=phone)
    try:
        page.goto(page.base_url + f"my-circle?c={cid}")
        _card(page)
        _map_content(page)
        _idle(page)
        _shot(page, f"my_circle_zh_{width}")
        if phone:  # the language switch is in the sidebar, folded away on a phone
            page.locator(
                '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
            ).first.click()
        page.get_by_text("English", exact=True).click()
        page.get_by_role("heading", name="My 15-minute circle").wait_for(timeout=60_000)
        if phone:  # fold the sidebar away again
            page.get_by_test_id("stSidebarCollapseButton").click()
            page.wait_for_timeout(800)
        card_el = page.locator(".st-key-circle_card")
        expect(card_el).to_contain_text(
            re.compile(r"(Meets|Does not meet) the 15-minute circle standard"), timeout=90_000
        )
        expect(card_el).to_contain_text("Synthetic sample", timeout=90_000)
        _idle(page)
        assert _query(page) == {"c": cid}
        _map_content(page)
        _shot(page, f"my_circle_en_{width}")
    finally:
        context.close()
