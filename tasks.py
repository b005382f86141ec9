#!/usr/bin/env python3
"""Set up gisplan and run it — the two commands of the README.

    python3 tasks.py app     # create .venv, install gisplan, start the app on the embedded data (offline)
                             # on this machine only (http://localhost:8501); `app 8600 --address
                             # 0.0.0.0` serves another port / every network interface
    python3 tasks.py test    # create .venv, install gisplan with test extras, system packages
                             # (Chromium, PostgreSQL) when run as root, then run the whole test suite

Needs only Python 3.11+ with pip and venv. Other sub-commands: ``analyze`` (the CLI on the
embedded data), ``bench`` (benchmarks).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
APT_PACKAGES = ["chromium", "chromium-driver", "postgresql", "postgis", "fonts-wqy-microhei"]


def sh(cmd: list[str], **kw) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run(cmd, check=True, **kw)


def ensure_venv(extras: str) -> None:
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    pyproject = ROOT / "pyproject.toml"
    if stamp.exists() and stamp.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    sh([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    target = f".[{extras}]" if extras else "."
    sh([str(PY), "-m", "pip", "install", "-q", "-e", target], cwd=ROOT)
    stamp.touch()


def ensure_system_packages() -> None:
    """Install Chromium and PostgreSQL from Debian when missing (needs root and apt-get)."""
    missing = [p for p in APT_PACKAGES if not _dpkg_installed(p)]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(
            f"note: system packages missing ({', '.join(missing)}); install them with apt-get as root "
            "to run the browser and PostgreSQL tests",
            file=sys.stderr,
        )
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sh(["apt-get", "update", "-q"], env=env)
    sh(["apt-get", "install", "-y", "-q", *missing], env=env)


def _dpkg_installed(name: str) -> bool:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def cmd_app(argv: list[str]) -> int:
    ensure_venv("")
    # python3 tasks.py app [PORT] [--address ADDR]: localhost only unless --address is given.
    address = []
    if "--address" in argv:
        i = argv.index("--address")
        address = argv[i : i + 2]
        argv = argv[:i] + argv[i + 2 :]
    port = argv[0] if argv else "8501"
    # `gisplan app` preloads the modules and the demo data, then runs `streamlit run app.py`.
    return subprocess.call(
        [str(VENV / "bin" / "gisplan"), "app", "--port", port, *address], cwd=ROOT
    )


def cmd_test(argv: list[str]) -> int:
    ensure_system_packages()
    ensure_venv("test")
    env = dict(os.environ)
    if os.environ.get("CI"):
        env.setdefault("GISPLAN_REQUIRE_BROWSER", "1")
        env.setdefault("GISPLAN_REQUIRE_PG", "1")
    if "GISPLAN_TEST_PG_URL" not in env and shutil.which("bash") and _dpkg_installed("postgresql"):
        r = subprocess.run(
            ["bash", str(ROOT / "scripts" / "pg_test_server.sh")], capture_output=True, text=True
        )
        if r.returncode == 0 and r.stdout.strip():
            env["GISPLAN_TEST_PG_URL"] = r.stdout.strip().splitlines()[-1]
        else:
            print(r.stdout + r.stderr, file=sys.stderr)
    sh([str(PY), "-m", "ruff", "check", "."], cwd=ROOT)
    sh([str(PY), "-m", "mypy"], cwd=ROOT)  # settings in pyproject.toml [tool.mypy]
    return subprocess.call([str(PY), "-m", "pytest", "-q", *argv], cwd=ROOT, env=env)


def cmd_analyze(argv: list[str]) -> int:
    ensure_venv("")
    return subprocess.call([str(VENV / "bin" / "gisplan"), "analyze", *argv], cwd=ROOT)


def cmd_bench(argv: list[str]) -> int:
    ensure_venv("test")
    rc = 0
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        rc |= subprocess.call([str(PY), str(script), *argv], cwd=ROOT)
    return rc


def main() -> int:
    commands = {"app": cmd_app, "test": cmd_test, "analyze": cmd_analyze, "bench": cmd_bench}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 1
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
