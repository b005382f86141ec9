"""``gisplan app``: start the Streamlit app (offline on the embedded data)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("app", help="start the interactive map app / 启动交互地图应用")
    p.add_argument("--port", default="8501", help="local port (default 8501)")
    return p


def run(args: argparse.Namespace) -> int:
    app = Path(__file__).resolve().parents[2] / "app.py"
    if not app.exists():
        print(
            "app.py not found next to the gisplan package; run from a source checkout",
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    return subprocess.call(
        [
            sys.executable,
            "-m",
            "gisplan.app.serve",  # streamlit run, after importing the modules and demo data
            str(app),
            "--server.port",
            str(args.port),
            "--server.headless",
            "true",
        ],
        cwd=app.parent,
        env=env,
    )
