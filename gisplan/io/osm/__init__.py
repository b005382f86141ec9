"""OpenStreetMap ingestion: walking network, amenities and residential demand.

Two entry points:

- :func:`read_osm_file` reads an offline extract (``.osm`` / ``.osm.xml`` / ``.osm.bz2`` XML
  through osmnx, ``.osm.pbf`` through pyrosm, or a GeoPackage written by :func:`fetch_place`)
  and returns an :class:`OsmExtract`.
- :func:`fetch_place` downloads the same layers for a place name with osmnx (needs internet)
  and saves them atomically as GraphML + GeoPackage.

Units and CRS: the walking network (``edges``, ``nodes``) is in the UTM zone of the data
(metres, chosen with ``estimate_utm_crs``; EPSG:32651 for Ningbo); ``amenities``,
``residential`` and ``water`` are in WGS-84 (EPSG:4326).  Edge ``length`` is the great-circle length in
metres computed from the OSM node coordinates.

Data licence: OpenStreetMap data is © OpenStreetMap contributors, ODbL 1.0.

Modules: :mod:`~gisplan.io.osm.tags` (licence, tag sets, walking filter),
:mod:`~gisplan.io.osm.features` (amenities, residential demand, water),
:mod:`~gisplan.io.osm.network` (network layers), :mod:`~gisplan.io.osm.sources` (XML / PBF
readers), :mod:`~gisplan.io.osm.extract` (:class:`OsmExtract`, :func:`read_osm_file`,
:func:`save_extract`) and :mod:`~gisplan.io.osm.download` (:func:`fetch_place`).
"""

from gisplan.io.osm.download import fetch_place
from gisplan.io.osm.extract import OsmExtract, read_osm_file, save_extract
from gisplan.io.osm.features import estimate_population
from gisplan.io.osm.network import geodesic_lengths
from gisplan.io.osm.tags import (
    DEFAULT_LEVELS,
    FLOOR_AREA_PER_PERSON_M2,
    OSM_ATTRIBUTION,
    RESIDENTIAL_BUILDINGS,
    WATER_TAGS,
    is_walkable,
)

__all__ = [
    "OsmExtract",
    "read_osm_file",
    "save_extract",
    "fetch_place",
    "is_walkable",
    "estimate_population",
    "geodesic_lengths",
    "RESIDENTIAL_BUILDINGS",
    "DEFAULT_LEVELS",
    "FLOOR_AREA_PER_PERSON_M2",
    "OSM_ATTRIBUTION",
    "WATER_TAGS",
]
