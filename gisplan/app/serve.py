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
    warm_configured_dataset()
    return time.perf_counter() - t0


def warm_configured_dataset() -> None:
    """Build (or find) the disk-cached network and distances of ``GISPLAN_DATASET``.

    So the first visitor of a server started on a new whole-city dataset does not wait for
    the build; a file that cannot be opened is reported here and again in the app.
    """
    import os

    from gisplan.dataset.catalog import ENV_DATASET, describe_file

    path = os.environ.get(ENV_DATASET, "").strip()
    if not path:
        return
    entry = describe_file(path)
    if not entry.usable:
        print(f"gisplan: {entry.error}", file=sys.stderr)
        return
    from gisplan.catalogue import default_standard
    from gisplan.dataset import open_dataset
    from gisplan.dataset.model_cache import cached_access
    from gisplan.safetext import terminal_text

    t0 = time.perf_counter()
    _ds, _model, timings = cached_access(
        entry.content_hash, lambda: open_dataset(path), default_standard()
    )
    how = "read from the cache" if timings.get("hit") else "built and cached"
    print(
        f"gisplan: dataset {terminal_text(entry.name)!r} {how} in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )


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
