"""Start the Streamlit app with its modules and demo data loaded before the first visitor.

    python -m gisplan.app.serve app.py [streamlit options]   (what ``gisplan app`` runs)

``streamlit run`` imports the app's modules (numpy, pandas, geopandas, folium, the gisplan
maps, ...) only when the first visitor's script runs, so that visitor waits for them.  This
launcher imports them, and makes sure the synthetic demonstration city is in the disk cache
(:func:`gisplan.cache.cached_city`), before it starts the server in the same process; the
arguments are passed to ``streamlit run`` unchanged.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

__all__ = ["preload", "main"]

#: Modules the pages import; importing them here makes the first script run fast.
PRELOAD = (
    "gisplan.app.state",
    "gisplan.maps",
    "gisplan.app.auth",
    "gisplan.siting",
    "folium.plugins",  # what streamlit_folium imports; the component itself must be
    # declared inside the running server, so streamlit_folium is not imported here
)


def preload(seed: int = 2025) -> float:
    """Import :data:`PRELOAD` and fill the demo-city disk cache; returns the seconds taken."""
    import importlib

    t0 = time.perf_counter()
    for name in PRELOAD:
        importlib.import_module(name)
    from gisplan.cache import cached_city

    cached_city(seed)
    return time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    """``streamlit run`` with ``argv`` after :func:`preload`."""
    args = list(sys.argv[1:] if argv is None else argv)
    seconds = preload()
    print(f"gisplan: modules and demo data ready in {seconds:.1f} s", file=sys.stderr)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *args]
    try:
        cli.main(prog_name="streamlit")
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
