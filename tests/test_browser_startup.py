"""First page load on a freshly started server, cold (empty disk cache) and warm.

Each measurement starts a new ``streamlit run app.py`` process and opens the default page
(the public plan map) in headless Chromium with the internet blocked.  "Loaded" means: the
map has drawn its layers, every 2025 target is shown (two of them need the walking network
and the coverage of the demo data) and Streamlit has finished running the script.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import offline_context, run_streamlit
from tests.test_browser import _idle, _map_frame, _wait_drawn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The plan's 2025 targets shown on the plan page (the last two need the coverage).
TARGETS = ("国家级和省级步行街", "市级步行街", "商圈", "达标便民生活圈", "再生资源回收点覆盖率")


def _first_load_s(chromium, cache_dir, launcher: str = "streamlit") -> float:
    env = {"GISPLAN_CACHE_DIR": str(cache_dir)}
    with run_streamlit(env, log_name="startup", launcher=launcher) as url:
        with offline_context(chromium, url) as page:
            t0 = time.perf_counter()
            page.goto(url)
            _, content = _map_frame(page)
            drawn = _wait_drawn(content)
            for label in TARGETS:
                box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
                box.locator('[data-testid="stMetricValue"]').wait_for(timeout=60_000)
            _idle(page)
            elapsed = time.perf_counter() - t0
            assert drawn["painted"] > 100 or drawn["svgPaths"] > 0, drawn
            assert page.offline.blocked == [], page.offline.blocked
    return elapsed


def test_first_load_cold_and_warm(chromium, tmp_path):
    """``streamlit run``: cold and warm disk cache; ``gisplan app``: preloaded (< 3 s)."""
    cache = tmp_path / "cache"
    cold = _first_load_s(chromium, cache)
    entries = sorted(p.name for p in cache.iterdir())
    assert len(entries) == 1 and entries[0].startswith("synthetic-"), entries  # written once
    warm = _first_load_s(chromium, cache)
    assert sorted(p.name for p in cache.iterdir()) == entries  # read, not rewritten
    served = _first_load_s(chromium, cache, launcher="gisplan")
    print(
        "\nfirst page load on a freshly started server: "
        f"streamlit run, cold cache {cold:.2f} s; streamlit run, warm cache {warm:.2f} s; "
        f"gisplan app (python -m gisplan.serve) {served:.2f} s"
    )
    assert warm < cold, (cold, warm)
    assert served < 3.0, (cold, warm, served)
