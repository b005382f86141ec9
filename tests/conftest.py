"""Browser fixtures: a real ``streamlit run app.py`` server and headless Debian Chromium.

Browser tests are skipped when Chromium or Playwright is missing, unless the environment sets
``GISPLAN_REQUIRE_BROWSER=1`` (CI does), in which case they fail.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

#: Fixtures shared by several test modules, defined beside their builders in tests/helpers/.
pytest_plugins = ("tests.helpers.app", "tests.helpers.browser", "tests.helpers.cli")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("GISPLAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _require_or_skip(reason: str) -> None:
    if os.environ.get("GISPLAN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser test required (GISPLAN_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate a server process, killing it when it has not exited after 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    """Wait until the Streamlit server at ``url`` answers its health check.

    Raises RuntimeError when the process exits first or ``timeout_s`` seconds pass.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start within {timeout_s:g} s")
        time.sleep(0.3)


@contextlib.contextmanager
def run_streamlit(
    env: dict[str, str] | None = None,
    log_name: str = "streamlit",
    *,
    launcher: str = "streamlit",
    app: Path | None = None,
):
    """Run ``streamlit run app.py`` on a free localhost port; yields its URL.

    ``env`` adds environment variables (e.g. ``GISPLAN_CACHE_DIR``, ``GISPLAN_USERS``).
    ``launcher="gisplan"`` starts it as ``gisplan app`` does (``python -m gisplan.app.serve``,
    which imports the app's modules and fills the demo cache before serving).
    ``app`` runs another main script instead of ``app.py`` (from its own folder, which then
    needs its own ``.streamlit/`` and ``static/``; benchmarks use it).
    The server is stopped (terminate, then kill) when the block ends.
    """
    script = Path(app) if app is not None else ROOT / "app.py"
    port = _free_port()
    log = (
        open(ROOT / ".pytest_cache" / f"{log_name}-{port}.log", "w")
        if (ROOT / ".pytest_cache").is_dir()
        else subprocess.DEVNULL
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            *(["streamlit", "run"] if launcher == "streamlit" else ["gisplan.app.serve"]),
            str(script),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=script.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_healthy(url, proc, 90)
        yield url
    finally:
        stop_process(proc)
        if log is not subprocess.DEVNULL:
            log.close()


@pytest.fixture(scope="module")
def model():
    """The app's cached access model of the demo data (the same object the pages use).

    Test modules that build their own model define their own ``model`` fixture, which
    takes precedence over this one.
    """
    from gisplan.app import state as app_state

    return app_state._model("demo", app_state.demo())


@pytest.fixture(scope="session")
def app_cache_dir(tmp_path_factory) -> Path:
    """A cache directory for the test servers (the user's own cache is left alone)."""
    return tmp_path_factory.mktemp("gisplan-cache")


@pytest.fixture(scope="session")
def streamlit_server(app_cache_dir):
    """URL of ``streamlit run app.py`` on a free localhost port (headless, no usage stats)."""
    with run_streamlit({"GISPLAN_CACHE_DIR": str(app_cache_dir)}) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium through Playwright (skips or fails as described above)."""
    if not Path(CHROMIUM).exists():
        _require_or_skip(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require_or_skip("Python Playwright is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Offline:
    """Aborts every request that does not go to localhost, and records it."""

    LOCAL = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:", "about:")

    def __init__(self) -> None:
        self.blocked: list[tuple[str, str]] = []

    def __call__(self, route) -> None:
        req = route.request
        if req.url.startswith(self.LOCAL):
            route.continue_()
        else:
            self.blocked.append((req.resource_type, req.url))
            route.abort()


@contextlib.contextmanager
def offline_context(chromium, base_url: str):
    """A page in a fresh browser context with every non-localhost request blocked."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    offline = Offline()
    context.route("**/*", offline)
    page = context.new_page()
    page.offline = offline
    page.base_url = base_url
    try:
        yield page
    finally:
        context.close()


@pytest.fixture()
def offline_page(chromium, streamlit_server):
    """A fresh page with every non-localhost request blocked; ``page.offline.blocked`` lists them."""
    with offline_context(chromium, streamlit_server) as page:
        yield page


@pytest.fixture(autouse=True)
def _private_sign_in_counts(tmp_path_factory, monkeypatch):
    """Each test keeps the CLI's failed-sign-in counts in its own file, not the user's."""
    folder = tmp_path_factory.mktemp("signin")
    monkeypatch.setenv("GISPLAN_SIGNIN_STATE", str(folder / "signin-failures.json"))
