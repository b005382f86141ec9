"""Disk cache of the synthetic demonstration city (so a fresh app server starts fast).

:func:`gisplan.synthetic.generate_city` takes a few seconds; its result depends only on the
seed, on the generator's source and the catalogue, and on the numeric libraries.
:func:`cached_city` stores the generated layers as GeoParquet files under
``<cache dir>/synthetic-<key>/``, where ``key`` is a SHA-256 over all of those, and reads
them back on later calls (about a tenth of a second).  Any change to the generator, the
catalogue, the seed or a library version gives a new key, so the city is generated again;
nothing is ever read from a stale entry.

The cache directory is ``$GISPLAN_CACHE_DIR`` if set, else the user cache directory of
:mod:`platformdirs` (``~/.cache/gisplan`` on Linux).  Entries are written into a temporary
folder beside the final one and renamed into place, so a reader never sees half an entry;
an unreadable entry is ignored and rewritten.  Layers keep their CRS (edges and nodes in
EPSG:32651, the rest in EPSG:4326, as documented on :class:`gisplan.synthetic.SyntheticCity`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import fields
from importlib import metadata
from pathlib import Path

import geopandas as gpd

from gisplan.io.atomic import atomic_folder
from gisplan.settings import ENV_CACHE_DIR
from gisplan.synthetic import SyntheticCity, generate_city

__all__ = ["cache_dir", "synthetic_key", "cached_city", "CACHE_ENV"]

log = logging.getLogger(__name__)

#: Environment variable that overrides the cache directory.
CACHE_ENV = ENV_CACHE_DIR
_FORMAT = 1  # bump when the on-disk layout changes
_LAYERS = [f.name for f in fields(SyntheticCity) if f.name != "bounds_wgs84"]
_PACKAGE = Path(__file__).resolve().parent
# Files whose content determines the generated city (the synthetic/ package's modules too).
_SOURCES = ("synthetic/*.py", "catalogue.py", "catalogue.toml", "crs.py")
_LIBRARIES = ("numpy", "scipy", "shapely", "pyproj", "geopandas", "pandas")


def cache_dir() -> Path:
    """The gisplan cache directory (``$GISPLAN_CACHE_DIR`` or the platform's user cache)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gisplan", appauthor=False))


def synthetic_key(seed: int) -> str:
    """Hex key of the city for ``seed``: generator sources, catalogue, library versions."""
    h = hashlib.sha256(f"format={_FORMAT};seed={int(seed)}".encode())
    for pattern in _SOURCES:
        for path in sorted(_PACKAGE.glob(pattern)):
            name = path.relative_to(_PACKAGE).as_posix()
            h.update(b"\0" + name.encode() + b"\0" + path.read_bytes())
    for lib in _LIBRARIES:
        try:
            version = metadata.version(lib)
        except metadata.PackageNotFoundError:  # pragma: no cover
            version = "-"
        h.update(f"\0{lib}={version}".encode())
    return h.hexdigest()[:24]


def _read(folder: Path) -> SyntheticCity:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    layers = {name: gpd.read_parquet(folder / f"{name}.parquet") for name in _LAYERS}
    w, s, e, n = (float(v) for v in meta["bounds_wgs84"])
    return SyntheticCity(**layers, bounds_wgs84=(w, s, e, n))


def _write(city: SyntheticCity, folder: Path, key: str) -> None:
    """Write ``city`` into ``folder`` atomically (temporary sibling folder, then rename).

    When another process wrote the same entry first (its ``meta.json`` exists), theirs is kept.
    """
    with atomic_folder(folder, complete_marker="meta.json") as tmp:
        for name in _LAYERS:
            getattr(city, name).to_parquet(tmp / f"{name}.parquet")
        meta = {"key": key, "format": _FORMAT, "bounds_wgs84": list(city.bounds_wgs84)}
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def cached_city(seed: int = 2025, *, directory: str | os.PathLike | None = None) -> SyntheticCity:
    """:func:`gisplan.synthetic.generate_city` ``(seed)``, read from the disk cache when present.

    Parameters
    ----------
    seed : int
        Generator seed.
    directory : path, optional
        Cache directory (default :func:`cache_dir`).  If it cannot be written, the city is
        still returned (generated) and a warning is logged.
    """
    key = synthetic_key(seed)
    folder = Path(directory) if directory is not None else cache_dir()
    entry = folder / f"synthetic-{key}"
    if (entry / "meta.json").exists():
        try:
            return _read(entry)
        except Exception as exc:  # noqa: BLE001 - a damaged entry is regenerated
            log.warning("ignoring unreadable cache entry %s: %s", entry, exc)
            shutil.rmtree(entry, ignore_errors=True)
    city = generate_city(seed)
    try:
        _write(city, entry, key)
    except OSError as exc:
        log.warning("could not write the synthetic-city cache in %s: %s", folder, exc)
    return city
