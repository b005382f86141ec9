"""Benchmark of the Streamlit app: first page load and recompute time, in a real browser.

Starts fresh ``streamlit run app.py`` / ``gisplan app`` servers on localhost and opens the
default page (the public plan map) in headless Debian Chromium with every non-localhost
request blocked. "Loaded" means the map has drawn its layers, all five 2025 targets are
shown and Streamlit has finished the script. Then it times the coverage page's recompute
after a threshold change (Streamlit AppTest, same process).

    python benchmarks/bench_app.py [--repeat N] [--small]

Targets (issue 3): first load on the embedded data < 3 s; recompute after a threshold
change < 1 s without rebuilding the network. Figures vary with machine load: the script
prints every repetition and the best.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, offline_context  # noqa: E402
from tests.test_browser_startup import first_load_s  # noqa: E402


def recompute_s() -> tuple[float, int]:
    """Seconds for the coverage page to re-run after a threshold change, and searches run."""
    from streamlit.testing.v1 import AppTest

    from gisplan.app import state as app_state

    calls = []
    real = app_state.build_access

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    app_state.build_access = counting
    try:
        at = AppTest.from_file(str(ROOT / "gisplan" / "app" / "pages" / "coverage.py"), default_timeout=120)
        at.run()
        at.number_input(key="thr_wet_market").set_value(4)
        t0 = time.perf_counter()
        at.run()
        return time.perf_counter() - t0, len(calls)
    finally:
        app_state.build_access = real


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--small", action="store_true", help="one repetition (quick run)")
    args = ap.parse_args()
    if args.small:
        args.repeat = 1
    if not Path(CHROMIUM).exists():
        print(f"bench_app: Chromium not found at {CHROMIUM} (apt-get install chromium); skipped")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cache = Path(tmp) / "cache"
        print("first page load on a freshly started server (plan map drawn, targets shown):")
        cold = first_load_s(browser, cache, offline_context)
        print(f"  streamlit run, empty disk cache          {cold:6.2f} s")
        for launcher, label in (
            ("streamlit", "streamlit run, disk cache filled"),
            ("gisplan", "gisplan app (modules preloaded)"),
        ):
            runs = [
                first_load_s(browser, cache, offline_context, launcher=launcher)
                for _ in range(args.repeat)
            ]
            print(
                f"  {label:<40} {' '.join(f'{r:5.2f}' for r in runs)} s   best {min(runs):.2f} s (target < 3 s)"
            )
        browser.close()
    seconds, searches = recompute_s()
    print(
        f"coverage page re-run after a threshold change: {seconds:.2f} s (target < 1 s); "
        f"walking-distance builds in the session: {searches} (the network is not rebuilt)"
    )


if __name__ == "__main__":
    main()
