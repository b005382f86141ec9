"""``pip install .`` (not editable) gives a working ``gisplan analyze`` and ``gisplan app``.

The wheel is built from this checkout and installed into a fresh virtual environment that
has no gisplan; both commands then run from a folder outside the checkout, so the embedded
layers (``data/geo`` -> ``gisplan/geodata``), the catalogue, the migrations and the app's
pages must all come from the wheel.  To stay offline, the new environment sees the current
environment's third-party packages through a path file (``deps.pth`` adds the folder to
``sys.path`` without running that folder's own ``.pth`` files, so the editable gisplan of a
developer's environment stays invisible); the test checks that ``gisplan`` is imported from
the new environment.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, _free_port, offline_context, wait_healthy

pytestmark = pytest.mark.slow

#: Folders and files of a checkout that are not part of the source distribution.
_NOT_SOURCE = (".git", ".venv", "*.egg-info", "build", "dist", "__pycache__", ".pytest_cache")
_NOT_SOURCE += (".ruff_cache", "static", "out", "artifacts", ".mypy_cache", "*.db")


def _run(args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """A fresh venv with the gisplan wheel installed; returns its paths and a clean env."""
    base = tmp_path_factory.mktemp("wheel")
    # Build from a copy, so that the checkout gets no build/ or egg-info folder.
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
    # pip must see neither this checkout (PYTHONPATH) nor the developer's gisplan.
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    dist = base / "dist"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w"]
        + [str(dist), str(src)],
        cwd=base,
        env=clean,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = dist.glob("gisplan-*.whl")
    venv = base / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    py = venv / "bin" / "python"
    site = Path(
        _run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    inst = _run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index"]
        + [str(wheel)],
        env=clean,
    )
    assert inst.returncode == 0, inst.stderr[-3000:]
    # After the install: pip must not see the developer's gisplan through this path file.
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    env = dict(clean)
    env["GISPLAN_CACHE_DIR"] = str(base / "cache")
    env["GISPLAN_DB"] = "sqlite:///" + str(base / "plans.db")
    env.pop("GISPLAN_DATA_DIR", None)
    outside = base / "elsewhere"
    outside.mkdir()
    return {"wheel": wheel, "venv": venv, "py": py, "env": env, "cwd": outside, "site": site}


def test_wheel_carries_data_pages_and_migrations(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for name in (
        "gisplan/catalogue.toml",
        "gisplan/geodata/counties.geojson",
        "gisplan/geodata/business_districts.geojson",
        "gisplan/geodata/pedestrian_streets.geojson",
        "gisplan/geodata/SOURCES.md",
        "gisplan/app/main.py",
        "gisplan/app/pages/coverage.py",
        "gisplan/store/migrations/env.py",
        "gisplan/store/migrations/versions/0001_initial.py",
    ):
        assert name in names, name
    # Every file of data/geo is in the wheel.
    for f in (ROOT / "data" / "geo").iterdir():
        assert f"gisplan/geodata/{f.name}" in names, f.name


def test_installed_gisplan_is_imported_from_the_venv(installed):
    out = _run(
        [
            str(installed["py"]),
            "-c",
            "import gisplan, gisplan.io.embedded as e; "
            "print(gisplan.__file__); print(e.data_dir())",
        ],
        cwd=installed["cwd"],
        env=installed["env"],
    )
    assert out.returncode == 0, out.stderr
    module, data = out.stdout.split()
    assert Path(module).is_relative_to(installed["site"])
    assert Path(data) == installed["site"] / "gisplan" / "geodata"


def test_installed_gisplan_analyze_runs_outside_the_checkout(installed):
    out_dir = installed["cwd"] / "out"
    done = _run(
        [str(installed["venv"] / "bin" / "gisplan"), "analyze", "--out", str(out_dir), "--quiet"],
        cwd=installed["cwd"],
        env=installed["env"],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["synthetic"] is True and summary["communities"] > 0
    assert (out_dir / "coverage.csv").stat().st_size > 0


@pytest.mark.browser
def test_installed_gisplan_app_serves_the_plan_map(installed, chromium):
    port = _free_port()
    proc = subprocess.Popen(
        [str(installed["venv"] / "bin" / "gisplan"), "app", "--port", str(port)],
        cwd=installed["cwd"],
        env=installed["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # `gisplan app` runs the server as a child process: stop the whole group afterwards.
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_healthy(url, proc, 180)
        with offline_context(chromium, url) as page:
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_role("heading", name="商圈与步行街地图").wait_for(timeout=120_000)
            # The map is drawn with the locally served Leaflet (from the installed package).
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
            frame.locator(".leaflet-container").wait_for(timeout=120_000)
            assert not page.offline.blocked
            assert page.get_by_text("Traceback").count() == 0
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen) -> None:
    """Stop ``gisplan app`` and the server it started (same process group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
        time.sleep(2)  # the child server shuts down after its parent
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # the whole group has exited
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
