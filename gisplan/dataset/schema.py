"""The prepared-dataset format: one GeoPackage that holds everything an analysis needs.

Layers (all written by :func:`gisplan.dataset.write_dataset`, checked by
:func:`gisplan.dataset.open_dataset`):

=================  ==========  ==============================================================
layer              CRS         columns (besides geometry)
=================  ==========  ==============================================================
``nodes``          metric      ``node_id`` (int, unique); Point
``edges``          metric      ``u``, ``v`` (node ids), ``length`` (metres); LineString u -> v
``communities``    EPSG:4326   ``id`` (unique), ``name``, ``population`` (int >= 0),
                               ``population_method``, ``population_estimated`` (bool),
                               ``source``; Point
``amenities``      EPSG:4326   ``id`` (unique), ``name``, ``category`` (catalogue id),
                               ``source`` (osm / amap / baidu / user / synthetic),
                               ``source_type`` (the source's own category or type); Point
``barriers``       EPSG:4326   ``id``, ``name``, ``kind``, ``source``; MultiPolygon (water);
                               may be empty
``circles``        EPSG:4326   optional: ``id`` (unique), ``name``, ``level``, ``source``;
                               MultiPolygon (街道/社区 service circles)
``bridges``        EPSG:4326   optional context lines (the synthetic demo's bridges)
``gisplan_metadata``  —        attribute table ``key``, ``value`` (text; see :data:`METADATA_KEYS`)
``gisplan_sources``   —        attribute table, one row per source: ``kind``, ``name``,
                               ``file``, ``licence``, ``attribution``, ``date``, ``rows``, ``note``
=================  ==========  ==============================================================

The metric CRS is the network's (a UTM zone, EPSG:32651 for Ningbo); it is recorded in the
metadata key ``crs``.  ``schema_version`` is :data:`SCHEMA_VERSION`; a file with another
version is refused with a message saying which gisplan can read it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from gisplan.errors import InputError

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "METADATA_TABLE",
    "SOURCES_TABLE",
    "REQUIRED_LAYERS",
    "OPTIONAL_LAYERS",
    "LAYER_COLUMNS",
    "METADATA_KEYS",
    "POPULATION_METHODS",
    "AMENITY_SOURCES",
    "DatasetError",
    "catalogue_version",
]

#: Value of the metadata key ``format``: marks a GeoPackage as a gisplan dataset.
FORMAT = "gisplan-dataset"
#: Version of the layer schema written by this gisplan.  Bump on incompatible changes.
SCHEMA_VERSION = 1
METADATA_TABLE = "gisplan_metadata"
SOURCES_TABLE = "gisplan_sources"

REQUIRED_LAYERS = ("nodes", "edges", "communities", "amenities", "barriers")
OPTIONAL_LAYERS = ("circles", "bridges")

#: Columns every row of a layer must have (geometry aside).
LAYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "nodes": ("node_id",),
    "edges": ("u", "v", "length"),
    "communities": (
        "id",
        "name",
        "population",
        "population_method",
        "population_estimated",
        "source",
    ),
    "amenities": ("id", "name", "category", "source", "source_type"),
    "barriers": ("id", "name", "kind", "source"),
    "circles": ("id", "name", "level", "source"),
    "bridges": (),
}

#: Metadata keys and what they hold.
METADATA_KEYS: dict[str, str] = {
    "format": f"always {FORMAT!r}",
    "schema_version": "integer, the layer schema version",
    "name": "dataset name shown in titles and exports",
    "created": "UTC time the file was written, ISO 8601",
    "crs": "metric CRS of nodes and edges, e.g. EPSG:32651",
    "catalogue_version": "version of the amenity catalogue used to map categories",
    "synthetic": "'true' when any layer is generated (synthetic) data",
    "attribution": "data credit to show with maps and exports",
    "content_hash": "sha256 of the layers' contents (see gisplan.dataset.hashing)",
    "gisplan_version": "gisplan version that wrote the file",
    "network_source": "where the walking network comes from (osm, synthetic, ...)",
    "report": "JSON: what the preparation did (merges, population methods, calibration)",
}

#: How a community's population was obtained (column ``population_method``).
POPULATION_METHODS: dict[str, str] = {
    "given": "residents given in the communities file",
    "households": "households (户数) × persons per household",
    "osm_buildings_floor_area": "OSM residential building floor area / floor area per resident",
    "osm_landuse_area_density": "area of an OSM landuse=residential polygon × residential density",
    "synthetic": "generated demonstration data",
}
#: Suffix added to the method of a calibrated estimate, e.g. ``households+calibrated``.
CALIBRATED_SUFFIX = "+calibrated"

#: Values of the amenities' ``source`` column gisplan writes itself.
AMENITY_SOURCES = ("osm", "amap", "baidu", "tencent", "user", "synthetic")


class DatasetError(InputError):
    """A prepared dataset file is missing, damaged, foreign or of another schema version."""


def _catalogue_path() -> Path:
    return Path(__file__).resolve().parents[1] / "catalogue.toml"


@lru_cache(maxsize=1)
def catalogue_version() -> str:
    """Version of the packaged amenity catalogue: the first 12 hex digits of its sha256."""
    return hashlib.sha256(_catalogue_path().read_bytes()).hexdigest()[:12]
