"""Save a screenshot of every app page into docs/screenshots/ (headless Chromium, offline).

    .venv/bin/python scripts/screenshots.py [--chromium /usr/bin/chromium]

Starts ``streamlit run app.py`` on a free localhost port, blocks every non-localhost request,
and writes ``<page>.png`` (and ``<page>_en.png`` in English).  The browser test
(``tests/test_browser.py``) saves the Chinese screenshots as well.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PAGES = {"plan_map": "", "coverage": "coverage", "upload": "upload"}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("streamlit did not start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(
            ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
        ):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    try:
        _wait(url, proc)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
            for lang in ("zh", "en"):
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                ctx.route("**/*", route)
                page = ctx.new_page()
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
                ctx.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    if blocked:
        print("blocked requests:", *blocked, sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
