"""Save a screenshot of every public app page into docs/screenshots/ (headless Chromium, offline).

    .venv/bin/python scripts/screenshots.py [--chromium /usr/bin/chromium]

Starts ``streamlit run app.py`` on a free localhost port, blocks every non-localhost request,
and writes ``<page>.png`` (and ``<page>_en.png`` in English). The browser tests save the
Chinese screenshots too (``tests/test_browser.py``; the signed-in 新店选址 and 方案管理 pages
come from ``tests/test_browser_siting.py``). Server start-up and the offline browser context
are the browser tests' own (``tests/conftest.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, offline_context, run_streamlit  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PAGES = {"plan_map": "", "coverage": "coverage", "upload": "upload"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chromium", default=CHROMIUM)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    blocked: list = []
    with run_streamlit(log_name="screenshots") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for lang in ("zh", "en"):
            with offline_context(browser, url) as page:
                for name, path in PAGES.items():
                    page.goto(url + path)
                    if lang == "en":
                        page.get_by_text("English", exact=True).click()
                    page.wait_for_timeout(1500)
                    page.wait_for_function(
                        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                        timeout=120_000,
                    )
                    page.wait_for_timeout(2000)
                    height = page.evaluate(
                        "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
                    )
                    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 4000)})
                    page.wait_for_timeout(1500)
                    out = OUT / (f"{name}.png" if lang == "zh" else f"{name}_en.png")
                    page.screenshot(path=str(out), full_page=True)
                    page.set_viewport_size({"width": 1400, "height": 1000})
                    print(out.relative_to(ROOT))
                blocked += page.offline.blocked
        browser.close()
    if blocked:
        print("blocked requests:", *blocked, sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
