"""The :class:`OsmExtract` result and reading/writing it: OSM files and gisplan GeoPackages."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd

from gisplan.catalogue import Category, CircleStandard
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.io.atomic import atomic_path
from gisplan.io.guards import check_osm_xml_coordinates
from gisplan.io.osm.features import (
    _AREA_COLUMNS,
    _RESIDENTIAL_COLUMNS,
    _WATER_COLUMNS,
    _amenities,
    _empty_points,
    _Features,
    _residential,
    _residential_areas,
    _water,
)
from gisplan.io.osm.network import _network_layers, _NetworkTables
from gisplan.io.osm.sources import _PbfSource, _XmlSource
from gisplan.io.osm.stream import STREAM_THRESHOLD_MB, StreamSource
from gisplan.io.osm.tags import OSM_ATTRIBUTION, _categories

__all__ = [
    "OsmExtract",
    "read_osm_file",
    "save_extract",
]

_XML_SUFFIXES = (".osm", ".xml", ".osm.xml", ".osm.bz2", ".xml.bz2")
_PBF_SUFFIXES = (".pbf", ".osm.pbf")
_GPKG_LAYERS = ("edges", "nodes", "amenities", "residential")  # required; "water" optional


@dataclass
class OsmExtract:
    """Layers read from OpenStreetMap.

    Attributes
    ----------
    edges : GeoDataFrame
        Undirected walking network: ``u``, ``v`` (int OSM node ids), ``key``, ``length``
        (metres), ``highway``, ``name``, geometry LineString oriented u -> v; CRS ``crs``.
    nodes : GeoDataFrame
        Index = OSM node id (``node_id``), geometry Point; CRS ``crs``.
    amenities : GeoDataFrame
        ``id`` (``"osm:node/123"``; ``"osm:node/123#category"`` when one feature falls in
        several categories), ``name``, ``category`` (catalogue id), ``osm_id``, ``source``
        (``"osm"``), geometry Point in EPSG:4326 (ways/relations by representative point).
    residential : GeoDataFrame
        Demand points: ``id``, ``name``, ``population`` (estimated, see
        :func:`estimate_population`), ``population_estimated`` (True), ``building``,
        ``levels``, ``floor_area_m2``, ``source`` (``"osm"``), geometry Point in EPSG:4326.
    crs : str
        Metric CRS of ``edges`` and ``nodes`` (UTM zone of the data), e.g. ``"EPSG:32651"``.
    attribution : str
        Licence notice to show with the data.
    stats : dict
        Counts: ``nodes_dropped`` (outside the largest connected component), ``edges``,
        ``nodes``, ``amenities`` per category, ``residential_buildings``, ``water_areas``.
    water : GeoDataFrame
        Water areas (snapping barriers): ``id`` (``"osm:way/123"``), ``name``, ``kind``
        (the matching tag of :data:`WATER_TAGS`, e.g. ``"natural=water"``), ``source``
        (``"osm"``), geometry Polygon / MultiPolygon in EPSG:4326; empty when the data has
        none (or for a GeoPackage written before this layer existed).
    """

    edges: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    amenities: gpd.GeoDataFrame
    residential: gpd.GeoDataFrame
    crs: str
    attribution: str = OSM_ATTRIBUTION
    stats: dict[str, Any] = field(default_factory=dict)
    water: gpd.GeoDataFrame = field(default_factory=lambda: _empty_points(_WATER_COLUMNS))
    residential_areas: gpd.GeoDataFrame = field(
        default_factory=lambda: _empty_points(_AREA_COLUMNS)
    )


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suf in sorted((*_XML_SUFFIXES, *_PBF_SUFFIXES, ".gpkg"), key=len, reverse=True):
        if name.endswith(suf):
            return suf
    return path.suffix.lower()


class _Source(Protocol):
    """What the read pipeline (:func:`_extract`) needs of a source of OSM layers.

    Implemented by the file readers (:class:`~gisplan.io.osm.sources._XmlSource`,
    :class:`~gisplan.io.osm.sources._PbfSource`, :class:`~gisplan.io.osm.stream.StreamSource`)
    and by the download (:class:`~gisplan.io.osm.download._DownloadedSource`).
    """

    def network(self) -> _NetworkTables: ...

    def amenity_features(self) -> _Features: ...

    def residential_features(self) -> tuple[_Features, _Features]: ...

    def water_features(self) -> _Features: ...


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn a reader's failure into an InputError naming the file."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"cannot read OpenStreetMap data ({type(exc).__name__}: {exc})",
            file=path,
            hint="the file is corrupt or not OSM XML/PBF; download the extract again",
        ) from exc


@contextlib.contextmanager
def _stage(timings: dict[str, float], name: str) -> Iterator[None]:
    """Add the wall-clock seconds of the block to ``timings[name]``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0


def _read_gpkg(path: Path) -> OsmExtract:
    """Read a GeoPackage written by :func:`fetch_place`."""
    import pyogrio

    try:
        have = {name for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:
        raise InputError(
            f"cannot read the GeoPackage ({type(exc).__name__}: {exc})",
            file=path,
            hint="the file is corrupt; download the place again",
        ) from exc
    missing = [layer for layer in _GPKG_LAYERS if layer not in have]
    if missing:
        raise InputError(
            f"GeoPackage lacks layer(s) {', '.join(missing)}",
            file=path,
            field="layer",
            hint="give a GeoPackage written by gisplan's OSM download, or an .osm/.osm.pbf file",
        )
    try:
        edges = gpd.read_file(path, layer="edges")
        nodes = gpd.read_file(path, layer="nodes").set_index("node_id")
        amenities = gpd.read_file(path, layer="amenities").to_crs(WGS84)
        resid = gpd.read_file(path, layer="residential").to_crs(WGS84)
        water = (
            gpd.read_file(path, layer="water").to_crs(WGS84)
            if "water" in have
            else _empty_points(_WATER_COLUMNS)
        )
        areas = (
            gpd.read_file(path, layer="residential_areas").to_crs(WGS84)
            if "residential_areas" in have
            else _empty_points(_AREA_COLUMNS)
        )
        for col in ("u", "v", "key"):
            edges[col] = edges[col].astype("int64")
        nodes.index = nodes.index.astype("int64")
    except Exception as exc:
        raise InputError(
            f"cannot read the OSM GeoPackage ({type(exc).__name__}: {exc})",
            file=path,
            hint="download the place again with gisplan's OSM download",
        ) from exc
    return OsmExtract(
        edges=edges,
        nodes=nodes,
        amenities=amenities,
        residential=resid,
        crs=edges.crs.to_string(),
        stats={
            "edges": len(edges),
            "nodes": len(nodes),
            "water_areas": len(water),
            "reader": "gpkg",
        },
        water=water,
        residential_areas=areas,
    )


def read_osm_file(
    path: str | Path,
    *,
    catalogue: Iterable[Category] | CircleStandard | None = None,
    residential: bool = True,
    reader: str = "auto",
) -> OsmExtract:
    """Read an OpenStreetMap extract into a walking network, amenities and demand points.

    Parameters
    ----------
    path : path-like
        ``.osm`` / ``.osm.xml`` / ``.osm.bz2`` (OSM XML, read with osmnx), ``.osm.pbf``
        (read with pyrosm) or a ``.gpkg`` written by :func:`fetch_place`.
    catalogue : categories or CircleStandard, optional
        Amenity categories and their OSM tag filters (default: the packaged catalogue).
    residential : bool
        Also derive residential demand points from building footprints.
    reader : {"auto", "pyrosm", "stream"}
        How to read a ``.osm.pbf``: pyrosm (whole file in memory), or the streaming pyosmium
        reader (:mod:`gisplan.io.osm.stream`) for province-size files; ``"auto"`` streams
        files of :data:`~gisplan.io.osm.stream.STREAM_THRESHOLD_MB` (256 MB) or more.
        ``"stream"`` also reads OSM XML.

    Returns
    -------
    OsmExtract
        Network (undirected, largest connected component, simplified with osmnx; metric
        UTM CRS, lengths in metres), amenities (one row per matching category; EPSG:4326)
        residential demand and water areas (EPSG:4326; tags :data:`WATER_TAGS`, polygons
        only, used as snapping barriers).  The population of a residential building is
        *estimated*: footprint area (m², UTM) × ``building:levels`` (3 when missing)
        / 35 m² per person, rounded, at least 1 (``population_estimated = True``).
        ``building`` values counted as homes: residential, apartments, house, detached,
        terrace, dormitory, and ``yes`` inside ``landuse=residential``.

    Raises
    ------
    InputError
        Missing file, unsupported suffix, unreadable file, no walkable ways, no amenity
        of any catalogue category.
    """
    path = Path(path)
    categories = _categories(catalogue)
    if not path.exists():
        raise InputError(
            "file not found",
            file=path,
            hint="give the path of an OpenStreetMap extract (.osm or .osm.pbf)",
        )
    if not path.is_file():
        raise InputError("not a file", file=path, hint="give an .osm or .osm.pbf file")
    suffix = _suffix(path)
    if suffix == ".gpkg":
        return _read_gpkg(path)
    if suffix not in (*_XML_SUFFIXES, *_PBF_SUFFIXES):
        raise InputError(
            f"unsupported file type {suffix or '(none)'!r}",
            file=path,
            hint="give OpenStreetMap XML (.osm) or PBF (.osm.pbf), e.g. from download.geofabrik.de",
        )
    if suffix in _XML_SUFFIXES and not suffix.endswith(".bz2"):
        # osmnx reads lat="nan" as a number; GEOS fails on it far from the file (PBF stores
        # fixed-point integers, which are always finite).
        check_osm_xml_coordinates(path)
    timings: dict[str, float] = {}
    if reader not in ("auto", "pyrosm", "stream"):
        raise InputError(
            f"unknown reader {reader!r}", field="reader", hint="use auto, pyrosm or stream"
        )
    big = path.stat().st_size >= STREAM_THRESHOLD_MB * 2**20
    source_type: type[StreamSource] | type[_PbfSource] | type[_XmlSource]
    if reader == "stream" or (reader == "auto" and suffix in _PBF_SUFFIXES and big):
        source_type, reader = StreamSource, "stream"
    elif suffix in _PBF_SUFFIXES:
        source_type, reader = _PbfSource, "pyrosm"
    else:
        source_type, reader = _XmlSource, "osmnx"
    with _stage(timings, "network"), _reading(path):  # opening counts as network time
        source = source_type(path, categories, residential)
    return _extract(
        source,
        path,
        categories,
        residential=residential,
        reader=reader,
        reading=lambda: _reading(path),
        timings=timings,
    )


def _no_amenities(where: Path | str) -> InputError:
    """The error for data without an amenity of any catalogue category."""
    if isinstance(where, Path):
        return InputError(
            "no amenities of any catalogue category (shops, markets, pharmacies, …) found",
            file=where,
            field="category",
            hint="use an extract that covers the study area's shops, or give an amenities file",
        )
    return InputError(
        f"no amenities of any catalogue category found in {where!r}",
        field="place",
        hint="check the place name, or give an amenities file",
    )


def _extract(
    source: _Source,
    where: Path | str,
    categories: tuple[Category, ...],
    *,
    residential: bool,
    reader: str,
    reading: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
    timings: dict[str, float] | None = None,
) -> OsmExtract:
    """The read pipeline: a source's layers -> :class:`OsmExtract` (one path for files and downloads).

    Parameters
    ----------
    source : _Source
        The OSM layers (a file reader or the osmnx download).
    where : Path or str
        The file (or the place name of a download), named in errors.
    categories : tuple of Category
        Amenity categories and their OSM tag filters.
    residential : bool
        Derive residential demand points and areas from buildings and landuse.
    reader : str
        Name of the reader, recorded in ``stats["reader"]``; ``"stream"`` tables hold every
        edge in one direction only (no reverse twins to merge).
    reading : callable, optional
        Context manager around each call of the source (the file readers turn a failure into
        an InputError naming the file).
    timings : dict, optional
        Seconds per stage, added to; recorded in ``stats["timings_s"]``.
    """
    timings = {} if timings is None else timings
    with _stage(timings, "network"):
        with reading():
            tables = source.network()
        edges, nodes, crs, dropped = _network_layers(tables, where, twins=reader != "stream")
        del tables
    with _stage(timings, "amenities"):
        with reading():
            features = source.amenity_features()
        amenities = _amenities(features, categories)
        del features
    if len(amenities) == 0:
        raise _no_amenities(where)
    with _stage(timings, "residential"):
        if residential:
            with reading():
                buildings, landuse = source.residential_features()
            resid = _residential(buildings, landuse, crs)
            areas = _residential_areas(landuse)
            del buildings, landuse
        else:
            resid = _empty_points(_RESIDENTIAL_COLUMNS)
            areas = _empty_points(_AREA_COLUMNS)
    with _stage(timings, "water"):
        with reading():
            water_features = source.water_features()
        water = _water(water_features)
        del water_features
    stats = {
        "nodes": len(nodes),
        "edges": len(edges),
        "nodes_dropped": dropped,
        "amenities": amenities["category"].value_counts().to_dict(),
        "residential_buildings": len(resid),
        "water_areas": len(water),
        "residential_areas": len(areas),
        "reader": reader,
        "timings_s": timings,
    }
    return OsmExtract(
        edges=edges,
        nodes=nodes,
        amenities=amenities,
        residential=resid,
        crs=crs,
        stats=stats,
        water=water,
        residential_areas=areas,
    )


def save_extract(
    extract: OsmExtract, path: str | Path, *, boundary: gpd.GeoDataFrame | None = None
) -> Path:
    """Write an :class:`OsmExtract` to a GeoPackage atomically (readable by read_osm_file).

    Layers: ``edges`` and ``nodes`` (metric CRS), ``amenities`` and ``residential``
    (EPSG:4326), ``water`` (EPSG:4326, only when not empty), optionally ``boundary``.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        extract.edges.to_file(tmp, layer="edges", driver="GPKG")
        extract.nodes.reset_index().to_file(tmp, layer="nodes", driver="GPKG")
        extract.amenities.to_file(tmp, layer="amenities", driver="GPKG")
        extract.residential.to_file(tmp, layer="residential", driver="GPKG")
        if len(extract.water):
            extract.water.to_file(tmp, layer="water", driver="GPKG")
        if len(extract.residential_areas):
            extract.residential_areas.to_file(tmp, layer="residential_areas", driver="GPKG")
        if boundary is not None:
            boundary.to_file(tmp, layer="boundary", driver="GPKG")
    return path
