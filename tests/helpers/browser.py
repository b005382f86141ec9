"""Headless-Chromium helpers shared by the browser tests (the fixtures that start the server
and the browser are in tests/conftest.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"

# Number of non-transparent canvas pixels (sampled) and Leaflet layers inside the map iframe.
DRAWN_JS = """
() => {
    let painted = 0;
    for (const c of document.querySelectorAll('.leaflet-container .leaflet-overlay-pane canvas')) {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4 * 7) if (d[i] > 0) painted++;
    }
    const svgPaths = document.querySelectorAll('.leaflet-container .leaflet-overlay-pane svg path').length;
    let layers = -1;
    if (typeof map_div !== 'undefined' && typeof map_div.eachLayer === 'function') { layers = 0; map_div.eachLayer(() => layers++); }
    return {painted, svgPaths, layers};
}
"""

# The container pixel nearest to (lat, lng) that lies at least 4 px clear of every marker
# and of every map control, searched outwards in 4-px rings; null when there is none.
CLEAR_PIXEL_JS = """
([lat, lng]) => {
    const map = map_div, box = map.getContainer(), at = box.getBoundingClientRect();
    const W = box.clientWidth, H = box.clientHeight;
    const marks = [];
    map.eachLayer(l => {
        if (l.getLatLng && l.getRadius) {
            const p = map.latLngToContainerPoint(l.getLatLng());
            marks.push([p.x, p.y, l.getRadius() + 4]);
        }
    });
    const controls = [...box.querySelectorAll('.leaflet-control')]
        .map(c => c.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
    const clear = (x, y) => x > 40 && y > 40 && x < W - 40 && y < H - 40
        && marks.every(([mx, my, r]) => (x - mx) ** 2 + (y - my) ** 2 > r * r)
        && !controls.some(c => at.left + x > c.left - 4 && at.left + x < c.right + 4
                               && at.top + y > c.top - 4 && at.top + y < c.bottom + 4);
    const c = map.latLngToContainerPoint([lat, lng]);
    for (let d = 0; d < 200; d += 4) {
        for (let dx = -d; dx <= d; dx += 4) for (const dy of [-d, d]) {
            for (const [x, y] of [[c.x + dx, c.y + dy], [c.x + dy, c.y + dx]]) {
                if (clear(x, y)) return {x: Math.round(x), y: Math.round(y), left: at.left,
                                         top: at.top, w: W, h: H};
            }
        }
    }
    return null;
}
"""


def map_frame(page):
    """The map iframe (locator, content frame) once its overlay pane has drawn something."""
    page.locator(MAP_IFRAME).first.wait_for(timeout=60_000)
    frame = page.frame_locator(MAP_IFRAME).first
    frame.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg").first.wait_for(
        timeout=60_000
    )
    handle = page.locator(MAP_IFRAME).first.element_handle()
    return frame, handle.content_frame()


def leaflet_content(page, iframe, *, settle_ms: int = 1500):
    """The content frame of a map ``iframe`` (locator) once Leaflet's map exists and has
    painted, scrolled into view, after ``settle_ms`` for the final frame size and fit."""
    iframe.wait_for(timeout=120_000)
    iframe.scroll_into_view_if_needed()
    content = iframe.element_handle().content_frame()
    content.wait_for_function(
        "() => typeof map_div !== 'undefined' && typeof map_div.eachLayer === 'function'",
        timeout=60_000,
    )
    wait_drawn(content)
    page.wait_for_timeout(settle_ms)
    return content


def server_env(app_cache_dir, db_path, users: dict[str, dict]) -> dict[str, str]:
    """Environment of a ``streamlit run app.py`` with these accounts (``users``: user name ->
    ``{"password_hash", "role", "display_name"}``) and a SQLite scenario database."""
    import json

    return {
        "GISPLAN_CACHE_DIR": str(app_cache_dir),
        "GISPLAN_USERS": json.dumps(users),
        "GISPLAN_USERS_FILE": "",
        "GISPLAN_DB": f"sqlite:///{db_path}",
    }


def planner_account(password: str, display_name: str, *, role: str = "planner") -> dict:
    """One account's entry for :func:`server_env` (a cheap password hash for tests)."""
    from gisplan.store import hash_password

    return {
        "password_hash": hash_password(password, rounds=4),
        "role": role,
        "display_name": display_name,
    }


def wait_drawn(content_frame, timeout_s: float = 20.0) -> dict:
    """:data:`DRAWN_JS` once the map has painted (or after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        drawn = content_frame.evaluate(DRAWN_JS)
        if drawn["painted"] > 0 or drawn["svgPaths"] > 0 or time.monotonic() > deadline:
            return drawn
        time.sleep(0.2)


def metric_value(page, label: str, *, last: bool = False) -> str:
    """The value of the (first or last) Streamlit metric whose label holds ``label``."""
    boxes = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    box = boxes.last if last else boxes.first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


#: True when Streamlit is not running the script: the app root's run state (set as soon as the
#: server reports a run, unlike the status widget, which Streamlit shows only after a run has
#: lasted 500 ms) and no status widget.
_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"]');
}"""


def idle(page, timeout_ms: int = 60_000, settle_ms: int = 200) -> None:
    """Wait until Streamlit has finished running the script.

    Checked twice, ``settle_ms`` apart, so that a run the last action asked for but the
    server had not yet started (one round trip) is waited for too.
    """
    page.wait_for_function(_IDLE_JS, timeout=timeout_ms)
    page.wait_for_timeout(settle_ms)
    page.wait_for_function(_IDLE_JS, timeout=timeout_ms)


def screenshot(page, name: str) -> Path:
    """A full-page screenshot into docs/screenshots/<name>.png (viewport 1400 wide)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        '() => Math.max(...[...document.querySelectorAll(\'[data-testid="stMain"], section.main, '
        '[data-testid="stAppViewContainer"] section\')].map(e => e.scrollHeight), 1000)'
    )
    page.set_viewport_size({"width": 1400, "height": int(min(height + 40, 4000))})
    page.wait_for_timeout(1200)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path


@pytest.fixture(scope="module")
def model_and_standard(app_cache_dir):
    """The access model the page builds: demo data (cached layers), the default standard."""
    import os

    from gisplan.analysis import build_access, demo_dataset
    from gisplan.catalogue import default_standard

    old = os.environ.get("GISPLAN_CACHE_DIR")
    os.environ["GISPLAN_CACHE_DIR"] = str(app_cache_dir)
    try:
        dataset = demo_dataset(cached=True)
    finally:
        if old is None:
            os.environ.pop("GISPLAN_CACHE_DIR", None)
        else:
            os.environ["GISPLAN_CACHE_DIR"] = old
    standard = default_standard()
    return build_access(dataset, standard), standard


# Container pixels of every circle marker, with its position and radius.
MARKERS_JS = """
() => {
    const out = [];
    map_div.eachLayer(l => {
        if (l.getLatLng && l.getRadius) {
            const ll = l.getLatLng(), p = map_div.latLngToContainerPoint(ll);
            out.push({lat: ll.lat, lng: ll.lng, x: p.x, y: p.y, r: l.getRadius()});
        }
    });
    const box = map_div.getContainer(), at = box.getBoundingClientRect();
    return {markers: out, w: box.clientWidth, h: box.clientHeight, left: at.left, top: at.top};
}
"""


def clear_marker(info: dict, amenities) -> tuple[str, dict]:
    """An amenity whose marker is well inside the map and 6 px clear of every other marker."""
    ms = info["markers"]
    xy = np.array([[m["x"], m["y"]] for m in ms])
    lon = amenities.geometry.x.to_numpy()
    lat = amenities.geometry.y.to_numpy()
    for i, m in enumerate(ms):
        if not (60 < m["x"] < info["w"] - 60 and 60 < m["y"] < info["h"] - 60):
            continue
        d = np.hypot(*(xy - xy[i]).T)
        d[i] = np.inf
        if d.min() < 2 * m["r"] + 6:
            continue
        near = np.hypot(lon - m["lng"], lat - m["lat"])
        j = int(np.argmin(near))
        if near[j] < 2e-6:
            return str(amenities["id"].iloc[j]), m
    raise AssertionError("no amenity marker clear of the others")
