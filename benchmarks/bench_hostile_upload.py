"""Hostile uploads: what each costs the server now, and what another visitor's page costs meanwhile.

    python benchmarks/bench_hostile_upload.py [--skip-before] [--skip-app] [--small]

1. **Worker** (``gisplan.io.upload.read_upload``, as the upload page calls it): for each
   hostile file of issue 8 — the 96 KB GeoPackage whose layer is a never-ending recursive view,
   the 311 KB zipped Shapefile that expands to 160 MB, the valid 1.19-million-point CSV — the
   wall time until the refusal, the worker's peak resident memory and the message.
2. **Before** (``--skip-before`` to leave out): the same files read the old way, in-process
   with ``gisplan.io.layers.read_communities``, each in a child process stopped after 60 s
   (wall time, peak resident memory of that child).
3. **App**: a ``streamlit run app.py`` server (zip limits raised, so the bomb is really read
   by a worker until its memory limit); a signed-in planner uploads the three files again and
   again (another process, another browser) while a second session loads the public map page;
   its load time is compared with loads on the quiet server, in the same run.

Timings depend on the machine's load (2 shared cores here): the ratio is the figure to read.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gisplan.errors import InputError  # noqa: E402
from gisplan.io.upload import UploadLimits, read_upload  # noqa: E402
from tests import hostile_files as hf  # noqa: E402

_BEFORE = """
import resource, sys, time
t0 = time.perf_counter()
try:
    from gisplan.io.layers import read_communities
    gdf = read_communities(sys.argv[1], crs="wgs84" if sys.argv[1].endswith(".csv") else None)
    outcome = f"accepted {len(gdf):,} features"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {str(exc)[:90]}"
print(f"{time.perf_counter() - t0:.1f}|{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}|{outcome}")
"""


def hostile_files(folder: Path) -> dict[str, Path]:
    return {
        "recursive-view GeoPackage": hf.recursive_view_gpkg(folder),
        "zip bomb (Shapefile)": hf.zip_bomb_shapefile(folder),
        "1.19 M-point CSV": hf.big_points_csv(folder),
    }


def worker_figures(files: dict[str, Path], limits: UploadLimits) -> None:
    print(f"\n1. Worker (limits: {limits})")
    for label, path in files.items():
        t0 = time.perf_counter()
        try:
            res = read_upload(path.read_bytes(), path.name, "communities", limits=limits)
            outcome, peak = f"accepted {len(res.gdf):,} features", res.peak_mb
        except InputError as exc:
            outcome = "refused: " + exc.message[:90]
            peak = getattr(exc, "worker_peak_mb", float("nan"))
        seconds = time.perf_counter() - t0
        size = path.stat().st_size / 1e3
        print(
            f"  {label:<28} {size:>9,.0f} KB  {seconds:6.2f} s  worker peak RSS {peak:5.0f} MB  "
            f"{outcome}"
        )


def before_figures(files: dict[str, Path], timeout_s: float = 60.0) -> None:
    print(f"\n2. Before: in-process read_communities, child process stopped after {timeout_s:g} s")
    for label, path in files.items():
        t0 = time.perf_counter()
        try:
            out = (
                subprocess.run(
                    [sys.executable, "-c", _BEFORE, str(path)],
                    capture_output=True,
                    text=True,
                    timeout=timeout_s,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            seconds, peak, outcome = out.split("|", 2)
            print(f"  {label:<28} {float(seconds):6.1f} s  peak {float(peak):6.0f} MB  {outcome}")
        except subprocess.TimeoutExpired:
            print(f"  {label:<28} still running after {time.perf_counter() - t0:.0f} s (killed)")


def _sign_in(page, user: str, password: str) -> None:
    from tests.test_browser import _idle

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("用户名").wait_for(timeout=90_000)
    sidebar.get_by_label("用户名").fill(user)
    sidebar.get_by_label("密码").fill(password)
    sidebar.get_by_role("button", name="登录").click()
    sidebar.get_by_text("已登录").wait_for(timeout=60_000)
    _idle(page)


def upload_loop(url: str, paths: list[str], stop_file: str) -> None:
    """Child process: sign in and upload the hostile files again and again until ``stop_file``."""
    from playwright.sync_api import sync_playwright

    from gisplan.i18n import t
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, offline_context
    from tests.test_browser import _idle

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with offline_context(browser, url) as page:
            page.goto(url + "upload")
            _sign_in(page, "bench", "bench-pw")
            rounds = 0
            while not Path(stop_file).exists():
                for path in paths:
                    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                        path
                    )
                    page.locator('[data-testid="stFileUploader"]').get_by_text(
                        Path(path).name
                    ).first.wait_for(timeout=60_000)
                    _idle(page, 180_000)
                    t0 = time.perf_counter()
                    page.get_by_role("button", name=t("up.apply", "zh")).click()
                    err = (
                        page.locator('[data-testid="stAlertContentError"]')
                        .filter(has_text=Path(path).name)
                        .first
                    )
                    err.wait_for(timeout=180_000)
                    _idle(page, 180_000)
                    text = " ".join(err.inner_text().split())[:110]
                    print(
                        f"    upload {Path(path).name:<22} refused in {time.perf_counter() - t0:5.1f} s: {text}",
                        flush=True,
                    )
                rounds += 1
        browser.close()
    print(f"    ({rounds} rounds of hostile uploads)", flush=True)


def app_figures(files: list[Path], repeat: int = 3) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    from gisplan.store import hash_password
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, offline_context, run_streamlit
    from tests.test_browser import MAP_IFRAME, _idle, _map_frame, _wait_drawn

    users = {"bench": {"password_hash": hash_password("bench-pw", rounds=4), "role": "planner"}}
    print("\n3. App: the public map page in another session, quiet and during hostile uploads")
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "GISPLAN_CACHE_DIR": str(Path(tmp) / "cache"),
            "GISPLAN_USERS": json.dumps(users),
            "GISPLAN_USERS_FILE": "",
            "GISPLAN_DB": f"sqlite:///{Path(tmp) / 'plans.db'}",
            # The zip bomb's size limits raised, so that a worker really reads it (expanding
            # 160 MB, GDAL on 10 M points) until its memory or time limit: the worst case.
            "GISPLAN_UPLOAD_MAX_ZIP_RATIO": "1000000",
            "GISPLAN_UPLOAD_MAX_UNCOMPRESSED_MB": "1000",
        }
        with run_streamlit(env, log_name="bench-hostile") as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def public_load() -> float:
                """Seconds until the public page is fully loaded (inf: not within 180 s)."""
                with offline_context(browser, url) as page:
                    t0 = time.perf_counter()
                    page.goto(url, timeout=180_000)
                    try:
                        page.locator(MAP_IFRAME).first.wait_for(timeout=180_000)
                        _, content = _map_frame(page)
                        _wait_drawn(content)
                        _idle(page, 180_000)
                    except PlaywrightTimeout:
                        return float("inf")
                    return time.perf_counter() - t0

            public_load()  # warm: the demo data and network are built once per server
            quiet = [public_load() for _ in range(repeat)]
            stop = Path(tmp) / "stop"
            child = subprocess.Popen(
                [sys.executable, __file__, "--upload-loop", url, str(stop), *map(str, files)],
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            time.sleep(10.0)  # the uploader signs in and starts
            busy = [public_load() for _ in range(repeat)]
            stop.touch()
            child.wait(timeout=600)
            browser.close()
    q, b = min(quiet), min(busy)
    print(
        f"  quiet server                 {q:6.2f} s   (all: {', '.join(f'{x:.2f}' for x in quiet)})"
    )
    print(
        f"  during hostile uploads       {b:6.2f} s   (all: {', '.join(f'{x:.2f}' for x in busy)})"
        f"   ratio {b / q:.2f} (best), {max(busy) / max(quiet):.2f} (worst)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-before", action="store_true")
    ap.add_argument("--skip-app", action="store_true")
    ap.add_argument(
        "--small", action="store_true", help="as other benchmarks: quick run (no 'before' part)"
    )
    ap.add_argument("--upload-loop", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.upload_loop:
        url, stop, *paths = args.upload_loop
        upload_loop(url, paths, stop)
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = hostile_files(Path(tmp))
        worker_figures(files, UploadLimits.from_env())
        if not (args.skip_before or args.small):
            before_figures(files)
        if not args.skip_app:
            app_figures(list(files.values()))


if __name__ == "__main__":
    main()
