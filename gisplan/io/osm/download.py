"""Downloading OpenStreetMap data for a place name with osmnx (needs internet)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterable
from pathlib import Path

import networkx as nx

from gisplan.catalogue import Category, CircleStandard
from gisplan.crs import WGS84
from gisplan.errors import InputError, OfflineError
from gisplan.io.atomic import atomic_path
from gisplan.io.osm.extract import _extract, save_extract
from gisplan.io.osm.features import _Features, _features_from_osmnx
from gisplan.io.osm.network import _NetworkTables
from gisplan.io.osm.sources import _buildings_and_landuse, _osmnx_settings, _water_osmnx_tags
from gisplan.io.osm.tags import _WALK_TAGS, _WATER_KEYS, _catalogue_keys, _categories, _feature_keys

__all__ = [
    "fetch_place",
]

_OFFLINE_MESSAGE = (
    "需要互联网连接 / needs internet access to download OpenStreetMap data; "
    "use --osm FILE with an offline extract"
)


def _online(hosts: Iterable[str], timeout_s: float = 5.0) -> bool:
    """True when a TCP connection to one of ``hosts`` (port 443) succeeds within the timeout.

    Runs in a daemon thread so that a stalled DNS lookup cannot hang the caller.
    """
    result = {"ok": False}

    def probe() -> None:
        for host in hosts:
            try:
                with socket.create_connection((host, 443), timeout=timeout_s):
                    result["ok"] = True
                    return
            except OSError:
                continue

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout_s * 2)
    return result["ok"]


def _unless_empty(func, *args, **kwargs):
    """Call an osmnx download function; None when Overpass returns no matching data."""
    try:
        return func(*args, **kwargs)
    except Exception as exc:
        if type(exc).__name__ == "InsufficientResponseError":
            return None
        raise


class _DownloadedSource:
    """The layers osmnx downloaded for a place, with the interface of the file readers.

    ``graph`` is the walking MultiDiGraph; ``features``, ``buildings`` and ``water`` the osmnx
    feature tables of the catalogue tags, of ``building`` / ``landuse=residential`` and of
    :data:`~gisplan.io.osm.tags.WATER_TAGS` (None when Overpass found nothing).
    """

    def __init__(self, graph: nx.MultiDiGraph, features, buildings, water, categories):
        self.graph = graph
        self.keys = _feature_keys(categories)
        self.features, self.buildings, self.water = features, buildings, water

    def network(self) -> _NetworkTables:
        return _NetworkTables.from_graph(self.graph)

    def amenity_features(self) -> _Features:
        return _features_from_osmnx(self.features, self.keys)

    def residential_features(self) -> tuple[_Features, _Features]:
        return _buildings_and_landuse(_features_from_osmnx(self.buildings, self.keys))

    def water_features(self) -> _Features:
        return _features_from_osmnx(self.water, _WATER_KEYS)


def _slug(place: str) -> str:
    s = re.sub(r"[^\w]+", "_", place, flags=re.UNICODE).strip("_")
    return s[:80] or "place"


def fetch_place(
    place: str,
    *,
    out_dir: str | Path,
    catalogue: Iterable[Category] | CircleStandard | None = None,
    timeout_s: float = 15.0,
) -> dict[str, Path]:
    """Download OpenStreetMap data for a place name with osmnx and save it.

    Downloads the boundary (Nominatim), the walking network (``network_type="walk"``),
    amenities of every catalogue category, buildings and water areas, and processes them with
    the read pipeline of :func:`read_osm_file` itself (:func:`gisplan.io.osm.extract._extract`).
    Writes, atomically:

    - ``<place>.graphml``: the raw walking graph (osmnx GraphML, WGS-84), and
    - ``<place>.gpkg``: layers ``edges``/``nodes`` (UTM metres), ``amenities``,
      ``residential``, ``water`` (when any; EPSG:4326) and ``boundary`` — readable with :func:`read_osm_file`.

    Returns ``{"graphml": path, "gpkg": path}``.

    Raises
    ------
    OfflineError
        Without internet access (checked first with a short TCP probe; osmnx requests time
        out after ``timeout_s`` seconds).
    InputError
        The place name is not found, or the area has no walkable ways / amenities.
    """
    import osmnx as ox
    import requests

    hosts = ("nominatim.openstreetmap.org", "overpass-api.de")
    if not _online(hosts, timeout_s=min(5.0, timeout_s)):
        raise OfflineError(_OFFLINE_MESSAGE)
    categories = _categories(catalogue)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    useful = list(dict.fromkeys([*ox.settings.useful_tags_way, *_WALK_TAGS]))
    try:
        with _osmnx_settings(
            requests_timeout=timeout_s,
            log_console=False,
            useful_tags_way=useful,
            cache_folder=str(out_dir / ".osmnx_cache"),
        ):
            try:
                boundary = ox.geocode_to_gdf(place)
            except Exception as exc:
                if isinstance(exc, requests.RequestException):
                    raise
                raise InputError(
                    f"place {place!r} not found ({exc})",
                    field="place",
                    hint="use a name Nominatim knows, e.g. '海曙区, 宁波市, 中国'",
                ) from exc
            polygon = boundary.geometry.union_all()
            G = _unless_empty(ox.graph_from_polygon, polygon, network_type="walk", retain_all=True)
            if G is None:
                G = nx.MultiDiGraph(crs=WGS84)
            tags: dict[str, bool | str | list[str]] = {k: True for k in _catalogue_keys(categories)}
            feats = _unless_empty(ox.features_from_polygon, polygon, tags=tags)
            bld = _unless_empty(
                ox.features_from_polygon, polygon, tags={"building": True, "landuse": "residential"}
            )
            wat = _unless_empty(ox.features_from_polygon, polygon, tags=_water_osmnx_tags())
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise OfflineError(f"{_OFFLINE_MESSAGE} ({type(exc).__name__})") from exc

    source = _DownloadedSource(G, feats, bld, wat, categories)
    extract = _extract(source, place, categories, residential=True, reader="osmnx download")
    stem = _slug(place)
    graphml = out_dir / f"{stem}.graphml"
    gpkg = out_dir / f"{stem}.gpkg"
    with atomic_path(graphml) as tmp:
        ox.save_graphml(G, tmp)
    save_extract(
        extract,
        gpkg,
        boundary=boundary[["geometry"]].assign(
            place=place, nodes_dropped=extract.stats["nodes_dropped"]
        ),
    )
    return {"graphml": graphml, "gpkg": gpkg}
