"""``gisplan app``: start the Streamlit app (offline; the demo data or prepared datasets).

``--data FILE.gpkg`` opens a prepared dataset (``gisplan prepare``) and ``--datasets-dir DIR``
offers every prepared dataset in a folder; they set ``GISPLAN_DATASET`` and
``GISPLAN_DATASETS_DIR`` for the server (a deployment sets those variables directly).  Each
file is checked before the server starts, so a wrong path is one clear line, not a broken
page.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from gisplan.settings import STREAMLIT_OPTIONS, streamlit_flags

#: The app listens on this machine only unless ``--address`` says otherwise.
DEFAULT_ADDRESS = str(STREAMLIT_OPTIONS["server.address"])


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``gisplan app`` and its options to the CLI's sub-parsers."""
    p = sub.add_parser("app", help="start the interactive map app / 启动交互地图应用")
    p.add_argument("--port", default="8501", help="local port (default 8501)")
    p.add_argument(
        "--data",
        type=Path,
        metavar="FILE.gpkg",
        help="prepared dataset to open (sets GISPLAN_DATASET) / 打开的数据集",
    )
    p.add_argument(
        "--datasets-dir",
        type=Path,
        metavar="DIR",
        help="folder of prepared datasets offered in the sidebar (sets GISPLAN_DATASETS_DIR)",
    )
    p.add_argument(
        "--address",
        default=DEFAULT_ADDRESS,
        metavar="ADDR",
        help=f"address to listen on (default {DEFAULT_ADDRESS}: this machine only); "
        "0.0.0.0 serves every network interface — put a reverse proxy with TLS in front "
        "(SECURITY.md)",
    )
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


def server_command(app: Path, port: str, address: str) -> list[str]:
    """The command line that serves ``app`` on ``address``:``port``."""
    flags = [f for f in streamlit_flags() if not f.startswith("--server.address=")]
    return [
        sys.executable,
        "-m",
        "gisplan.app.serve",  # streamlit run, after importing the modules and demo data
        str(app),
        # the options of .streamlit/config.toml, which an installed package does not have
        *flags,
        f"--server.address={address}",
        "--server.port",
        str(port),
    ]


def _is_loopback(address: str) -> bool:
    import ipaddress

    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    """Run ``gisplan app``; the exit status."""
    app = app_script()
    if not _is_loopback(args.address):
        print(
            f"gisplan: serving to the network on {args.address}:{args.port} — anyone who can "
            "reach this address can use the app; put a reverse proxy with TLS in front "
            "(see SECURITY.md)",
            file=sys.stderr,
        )
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    from gisplan.dataset.catalog import ENV_DATASET, ENV_DATASETS_DIR

    if getattr(args, "data", None) is not None:
        from gisplan.dataset import read_metadata

        read_metadata(args.data)  # DatasetError (one line from the CLI) when it is not one
        env[ENV_DATASET] = str(args.data.resolve())
    if getattr(args, "datasets_dir", None) is not None:
        if not args.datasets_dir.is_dir():
            print(
                f"gisplan app: --datasets-dir {args.datasets_dir} is not a folder", file=sys.stderr
            )
            return 2
        env[ENV_DATASETS_DIR] = str(args.datasets_dir.resolve())
    return subprocess.call(server_command(app, args.port, args.address), cwd=app.parent, env=env)
