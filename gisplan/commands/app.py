"""``gisplan app``: start the Streamlit app (offline on the embedded data)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from gisplan.settings import streamlit_flags


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("app", help="start the interactive map app / 启动交互地图应用")
    p.add_argument("--port", default="8501", help="local port (default 8501)")
    return p


def app_script() -> Path:
    """The script Streamlit runs: ``app.py`` of a source checkout, else the package's own.

    An installed wheel has no ``app.py``; :mod:`gisplan.app.main` is the same app.
    """
    checkout = Path(__file__).resolve().parents[2] / "app.py"
    if checkout.is_file():
        return checkout
    from gisplan.app import main

    return Path(main.__file__).resolve()


def run(args: argparse.Namespace) -> int:
    app = app_script()
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    return subprocess.call(
        [
            sys.executable,
            "-m",
            "gisplan.app.serve",  # streamlit run, after importing the modules and demo data
            str(app),
            # the options of .streamlit/config.toml, which an installed package does not have
            *streamlit_flags(),
            "--server.port",
            str(args.port),
        ],
        cwd=app.parent,
        env=env,
    )
