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
from gisplan.io.osm.extract import OsmExtract, save_extract
from gisplan.io.osm.features import (
    _amenities,
    _features_from_osmnx,
    _residential,
    _residential_areas,
    _water,
)
from gisplan.io.osm.network import _network_layers, _NetworkTables
from gisplan.io.osm.sources import _osmnx_settings, _water_osmnx_tags
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
    amenities of every catalogue category, buildings and water areas, and processes them exactly like
    :func:`read_osm_file`.  Writes, atomically:

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

    edges, nodes, crs, dropped = _network_layers(_NetworkTables.from_graph(G), place)
    keys = _feature_keys(categories)
    amenities = _amenities(_features_from_osmnx(feats, keys), categories)
    if len(amenities) == 0:
        raise InputError(
            f"no amenities of any catalogue category found in {place!r}",
            field="place",
            hint="check the place name, or give an amenities file",
        )
    table = _features_from_osmnx(bld, keys)
    resid = _residential(
        table.take(table.present("building")),
        table.take(table.text("landuse") == "residential"),
        crs,
    )
    water = _water(_features_from_osmnx(wat, _WATER_KEYS))
    stem = _slug(place)
    graphml = out_dir / f"{stem}.graphml"
    gpkg = out_dir / f"{stem}.gpkg"
    with atomic_path(graphml) as tmp:
        ox.save_graphml(G, tmp)
    save_extract(
        OsmExtract(
            edges=edges,
            nodes=nodes,
            amenities=amenities,
            residential=resid,
            crs=crs,
            water=water,
            residential_areas=_residential_areas(
                table.take(table.text("landuse") == "residential")
            ),
        ),
        gpkg,
        boundary=boundary[["geometry"]].assign(place=place, nodes_dropped=dropped),
    )
    return {"graphml": graphml, "gpkg": gpkg}
