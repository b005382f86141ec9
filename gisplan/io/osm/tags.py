"""OpenStreetMap tags: licence, tag sets read, the walking filter and tag-value helpers.

The walking filter follows osmnx's ``network_type="walk"`` rules.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from gisplan.catalogue import Category, CircleStandard, load_catalogue
from gisplan.labels import OSM_ATTRIBUTION

__all__ = [
    "is_walkable",
    "RESIDENTIAL_BUILDINGS",
    "DEFAULT_LEVELS",
    "FLOOR_AREA_PER_PERSON_M2",
    "OSM_ATTRIBUTION",
    "WATER_TAGS",
]


#: ``building=*`` values counted as homes.
RESIDENTIAL_BUILDINGS = frozenset(
    {"residential", "apartments", "house", "detached", "terrace", "dormitory"}
)
#: Tags of water areas read as snapping barriers (closed ways and multipolygons only).
WATER_TAGS: dict[str, tuple[str, ...]] = {
    "natural": ("water",),
    "waterway": ("riverbank",),
    "water": ("river", "canal", "lake"),
    "landuse": ("reservoir", "basin"),
}
#: Storeys assumed when ``building:levels`` is missing or unreadable.
DEFAULT_LEVELS = 3.0
#: Gross floor area per resident (m²) used for the population estimate.
FLOOR_AREA_PER_PERSON_M2 = 35.0


# tag keys that are OSM element metadata (pyrosm columns), not tags
_META_COLUMNS = {
    "id",
    "osm_type",
    "geometry",
    "tags",
    "timestamp",
    "version",
    "changeset",
    "visible",
    "lon",
    "lat",
    "uid",
    "user",
    "nodes",
    "members",
    "element",
    "element_type",
    "osmid",
}


_WALK_EXCLUDED_HIGHWAY = re.compile(
    "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|"
    "raceway|razed|rest_area|services"
)
_SIDEWALK_KEYS = ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")
_WALK_TAGS = ("highway", "area", "access", "foot", "service", *_SIDEWALK_KEYS)


def is_walkable(tags: Mapping[str, Any]) -> bool:
    """True when an OSM way with ``tags`` is part of the public walking network.

    Mirrors osmnx's ``network_type="walk"`` Overpass filter: needs ``highway``; excludes
    areas, ``access=private``, motorways, cycleways, construction and the like,
    ``foot=no``, ``service=private`` and roads whose sidewalks are mapped separately
    (``sidewalk=separate``: the separate footway is used instead).
    """

    def val(key: str) -> str | None:
        v = tags.get(key)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, list):  # osmnx merges values of simplified edges into lists
            v = ";".join(map(str, v))
        return str(v)

    highway = val("highway")
    if highway is None:
        return False
    if _WALK_EXCLUDED_HIGHWAY.search(highway):
        return False
    checks = {
        "area": "yes",
        "access": "private",
        "foot": "no",
        "service": "private",
        **{k: "separate" for k in _SIDEWALK_KEYS},
    }
    for key, bad in checks.items():
        v = val(key)
        if v is not None and re.search(bad, v):
            return False
    return True


def _categories(catalogue: Iterable[Category] | CircleStandard | None) -> tuple[Category, ...]:
    if catalogue is None:
        return load_catalogue()
    if isinstance(catalogue, CircleStandard):
        return catalogue.categories
    return tuple(catalogue)


def _catalogue_keys(categories: Iterable[Category]) -> list[str]:
    keys: list[str] = []
    for cat in categories:
        for flt in cat.osm:
            for key in flt:
                if key not in keys:
                    keys.append(key)
    return keys


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return v is pd.NA


def _text(v: Any) -> str:
    if _is_missing(v):
        return ""
    if isinstance(v, (list, tuple)):
        return ";".join(str(x) for x in v if not _is_missing(x))
    return str(v)


_NAME_KEYS = ("name", "name:zh", "name:en", "brand", "operator")
_ADDR_KEYS = ("addr:street", "addr:housenumber")
_BUILDING_KEYS = ("building", "building:levels", "landuse")
_WATER_KEYS = tuple(dict.fromkeys([*WATER_TAGS, *_NAME_KEYS]))


def _feature_keys(categories: Iterable[Category]) -> list[str]:
    """Tag keys read from features: the catalogue's, names, addresses, building and landuse."""
    return list(
        dict.fromkeys([*_catalogue_keys(categories), *_NAME_KEYS, *_ADDR_KEYS, *_BUILDING_KEYS])
    )
