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
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from gisplan.catalogue import Category, CircleStandard, load_catalogue
from gisplan.crs import WGS84
from gisplan.errors import InputError, OfflineError
from gisplan.io.atomic import atomic_path
from gisplan.io.guards import check_osm_xml_coordinates

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

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"

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

_OFFLINE_MESSAGE = (
    "需要互联网连接 / needs internet access to download OpenStreetMap data; "
    "use --osm FILE with an offline extract"
)
_XML_SUFFIXES = (".osm", ".xml", ".osm.xml", ".osm.bz2", ".xml.bz2")
_PBF_SUFFIXES = (".pbf", ".osm.pbf")
_GPKG_LAYERS = ("edges", "nodes", "amenities", "residential")  # required; "water" optional
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


# --------------------------------------------------------------------------------------
# result type
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# walking filter (same rules as osmnx's network_type="walk")
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
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


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suf in sorted((*_XML_SUFFIXES, *_PBF_SUFFIXES, ".gpkg"), key=len, reverse=True):
        if name.endswith(suf):
            return suf
    return path.suffix.lower()


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


@contextlib.contextmanager
def _osmnx_settings(**values: Any) -> Iterator[None]:
    """Temporarily set osmnx settings (restored afterwards)."""
    import osmnx as ox

    old = {k: getattr(ox.settings, k) for k in values}
    try:
        for k, v in values.items():
            setattr(ox.settings, k, v)
        yield
    finally:
        for k, v in old.items():
            setattr(ox.settings, k, v)


def _empty_points(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=WGS84)


_AMENITY_COLUMNS = ["id", "name", "category", "osm_id", "source"]
_WATER_COLUMNS = ["id", "name", "kind", "source"]
_RESIDENTIAL_COLUMNS = [
    "id",
    "name",
    "population",
    "population_estimated",
    "building",
    "levels",
    "floor_area_m2",
    "source",
]


# --------------------------------------------------------------------------------------
# features: osmnx / pyrosm tables -> element type, id, geometry and a table of tag columns
# --------------------------------------------------------------------------------------
_NAME_KEYS = ("name", "name:zh", "name:en", "brand", "operator")
_ADDR_KEYS = ("addr:street", "addr:housenumber")
_BUILDING_KEYS = ("building", "building:levels", "landuse")
_WATER_KEYS = tuple(dict.fromkeys([*WATER_TAGS, *_NAME_KEYS]))


def _feature_keys(categories: Iterable[Category]) -> list[str]:
    """Tag keys read from features: the catalogue's, names, addresses, building and landuse."""
    return list(
        dict.fromkeys([*_catalogue_keys(categories), *_NAME_KEYS, *_ADDR_KEYS, *_BUILDING_KEYS])
    )


@dataclass
class _Features:
    """OSM features in WGS-84.

    ``osm_type`` (str) and ``osm_id`` (int) per feature, ``geometry`` (shapely objects, may be
    None) and ``tags``: one object column per tag key read, ``None`` where a feature lacks
    the tag (values as in the file, normally str).
    """

    osm_type: np.ndarray
    osm_id: np.ndarray
    geometry: np.ndarray
    tags: pd.DataFrame

    def __len__(self) -> int:
        return len(self.osm_id)

    @classmethod
    def empty(cls, keys: Iterable[str] = ()) -> _Features:
        return cls(
            np.array([], dtype=object),
            np.array([], dtype="int64"),
            np.array([], dtype=object),
            pd.DataFrame({k: pd.Series(dtype=object) for k in keys}),
        )

    def take(self, mask: np.ndarray) -> _Features:
        mask = np.asarray(mask, dtype=bool)
        return _Features(
            self.osm_type[mask],
            self.osm_id[mask],
            self.geometry[mask],
            self.tags[mask].reset_index(drop=True),
        )

    def present(self, key: str) -> np.ndarray:
        """Boolean mask: the feature has tag ``key``."""
        if key not in self.tags.columns:
            return np.zeros(len(self), dtype=bool)
        return self.tags[key].notna().to_numpy()

    def text(self, key: str) -> np.ndarray:
        """Tag values as str, ``""`` where missing (lists joined with ``;``)."""
        if key not in self.tags.columns:
            return np.full(len(self), "", dtype=object)
        return _text_array(self.tags[key])


def _text_array(values: pd.Series) -> np.ndarray:
    """Vectorised :func:`_text`: str of each value, ``""`` when missing, lists joined by ``;``."""
    arr = values.to_numpy(dtype=object, na_value=None)
    out = np.full(len(arr), "", dtype=object)
    have = pd.notna(values).to_numpy()
    if not have.any():
        return out
    vals = arr[have]
    is_list = np.fromiter((isinstance(v, (list, tuple)) for v in vals), bool, len(vals))
    text = vals.astype(str).astype(object)
    if is_list.any():
        text[is_list] = [_text(v) for v in vals[is_list]]
    out[have] = text
    return out


def _tag_column(values: pd.Series | None, n: int) -> pd.Series:
    """Object column with ``None`` for missing values (None, NaN, pd.NA)."""
    if values is None:
        return pd.Series([None] * n, dtype=object)
    col = pd.Series(values.to_numpy(dtype=object, na_value=None), dtype=object)
    return col.where(pd.notna(col), None)


def _features_from_osmnx(gdf: gpd.GeoDataFrame | None, keys: Iterable[str]) -> _Features:
    """osmnx features (MultiIndex element/id, one column per tag) -> :class:`_Features`."""
    keys = list(keys)
    if gdf is None or len(gdf) == 0:
        return _Features.empty(keys)
    gdf = gdf.to_crs(WGS84)
    idx = gdf.index
    n = len(gdf)
    cols = {k: _tag_column(gdf[k] if k in gdf.columns else None, n) for k in keys}
    return _Features(
        np.asarray(idx.get_level_values(0).astype(str), dtype=object),
        np.asarray(idx.get_level_values(1), dtype="int64"),
        np.asarray(gdf.geometry.values, dtype=object),
        pd.DataFrame(cols),
    )


def _features_from_pyrosm(gdf: gpd.GeoDataFrame | None, keys: Iterable[str]) -> _Features:
    """pyrosm table (known tags as columns, the rest JSON in ``tags``) -> :class:`_Features`.

    A tag's value is its column's where that is not missing, else the JSON ``tags`` value.
    Only rows whose JSON text mentions a missing key are parsed.
    """
    keys = list(keys)
    if gdf is None or len(gdf) == 0:
        return _Features.empty(keys)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    gdf = gdf.to_crs(WGS84)
    n = len(gdf)
    have_cols = set(gdf.columns) - _META_COLUMNS - {gdf.geometry.name}
    cols = {k: _tag_column(gdf[k] if k in have_cols else None, n) for k in keys}
    if "tags" in gdf.columns:
        extra = gdf["tags"].to_numpy(dtype=object, na_value=None)
        is_str = np.fromiter((isinstance(t, str) and t != "" for t in extra), bool, n)
        is_dict = np.fromiter((isinstance(t, dict) for t in extra), bool, n)
        text = pd.Series(np.where(is_str, extra, ""), dtype=object).astype(str)
        parsed: dict[int, dict[str, Any]] = {}
        for k in keys:
            missing = cols[k].isna().to_numpy()
            cand = missing & (
                is_dict | (is_str & text.str.contains(json.dumps(k), regex=False).to_numpy())
            )
            rows = np.flatnonzero(cand)
            if len(rows) == 0:
                continue
            vals = cols[k].to_numpy(dtype=object).copy()
            for i in rows:
                t = parsed.get(i)
                if t is None:
                    t = {}
                    if is_dict[i]:
                        t = extra[i]
                    else:
                        with contextlib.suppress(ValueError):
                            loaded = json.loads(extra[i])
                            if isinstance(loaded, dict):
                                t = loaded
                    parsed[i] = t
                v = t.get(k)
                if not _is_missing(v):
                    vals[i] = v
            cols[k] = pd.Series(vals, dtype=object)
    osm_type = (
        gdf["osm_type"].astype(str).to_numpy(dtype=object)
        if "osm_type" in gdf.columns
        else np.full(n, "way", dtype=object)
    )
    return _Features(
        osm_type,
        gdf["id"].astype("int64").to_numpy(),
        np.asarray(gdf.geometry.values, dtype=object),
        pd.DataFrame(cols),
    )


def _category_matrix(tags: pd.DataFrame, categories: Iterable[Category]) -> np.ndarray:
    """Boolean matrix (features x categories): ``Category.matches_tags``, vectorised.

    ``tags`` has one column per tag key (missing: None or NaN).  A filter matches when
    every key is present and, unless the wanted value is ``"*"``, ``str(value)`` equals it.
    """
    categories = tuple(categories)
    n = len(tags)
    present: dict[str, np.ndarray] = {}
    as_text: dict[str, np.ndarray] = {}
    out = np.zeros((n, len(categories)), dtype=bool)
    for j, cat in enumerate(categories):
        for flt in cat.osm:
            ok = np.ones(n, dtype=bool)
            for key, want in flt.items():
                if key not in present:
                    if key in tags.columns:
                        col = tags[key]
                        present[key] = pd.notna(col).to_numpy()
                        as_text[key] = np.asarray(
                            col.to_numpy(dtype=object, na_value=None).astype(str), dtype=object
                        )
                    else:
                        present[key] = np.zeros(n, dtype=bool)
                        as_text[key] = np.full(n, "", dtype=object)
                ok &= present[key]
                if want != "*":
                    ok &= as_text[key] == want
            out[:, j] |= ok
    return out


def _names(feats: _Features) -> np.ndarray:
    """Display name per feature, as :func:`_name` gives it (only present values are visited)."""
    n = len(feats)
    out = np.full(n, "", dtype=object)
    todo = np.ones(n, dtype=bool)

    def values(key: str, rows: np.ndarray) -> list[str]:
        col = feats.tags[key].to_numpy(dtype=object, na_value=None)
        return [str(v) for v in col[rows]]

    for key in _NAME_KEYS:
        rows = np.flatnonzero(todo & feats.present(key))
        if len(rows) == 0:
            continue
        text = values(key, rows)
        ok = np.fromiter((bool(t.strip()) for t in text), dtype=bool, count=len(rows))
        out[rows[ok]] = np.array(text, dtype=object)[ok]
        todo[rows[ok]] = False
    rows = np.flatnonzero(todo & feats.present("addr:street"))
    if len(rows):
        street = values("addr:street", rows)
        has_number = feats.present("addr:housenumber")[rows]
        number = (
            values("addr:housenumber", rows)
            if "addr:housenumber" in feats.tags
            else [""] * len(rows)
        )
        out[rows] = [
            f"{s} {x if h else ''}".strip()
            for s, x, h in zip(street, number, has_number, strict=True)
        ]
    return out


def _name(tags: Mapping[str, Any]) -> str:
    """Display name from one feature's tags: name, name:zh, name:en, brand, operator, address."""
    for key in _NAME_KEYS:
        v = tags.get(key)
        if not _is_missing(v) and str(v).strip():
            return str(v)
    street, number = tags.get("addr:street"), tags.get("addr:housenumber")
    if not _is_missing(street):
        return f"{street} {'' if _is_missing(number) else number}".strip()
    return ""


def _points(geoms: np.ndarray | gpd.GeoSeries) -> np.ndarray:
    """Points unchanged; lines and polygons by their representative point."""
    values = np.asarray(geoms.values if hasattr(geoms, "values") else geoms, dtype=object)
    out = values.copy()
    not_point = ~(shapely.get_type_id(values) == 0)
    if not_point.any():
        out[not_point] = shapely.point_on_surface(values[not_point])
    return out


def _osm_ids(osm_type: np.ndarray, osm_id: np.ndarray) -> np.ndarray:
    """``"way/123"`` per feature."""
    return (
        pd.Series(osm_type, dtype=object).astype(str) + "/" + pd.Series(osm_id).astype(str)
    ).to_numpy(dtype=object)


def _amenities(features: _Features, categories: tuple[Category, ...]) -> gpd.GeoDataFrame:
    """One row per (feature, matching category); see :class:`OsmExtract`."""
    if len(features) == 0:
        return _empty_points(_AMENITY_COLUMNS)
    geom = features.geometry
    has_geom = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    feats = features.take(has_geom)
    matrix = _category_matrix(feats.tags, categories)
    rows, cols = np.nonzero(matrix)  # row-major: per feature, categories in catalogue order
    if len(rows) == 0:
        return _empty_points(_AMENITY_COLUMNS)
    n_match = matrix.sum(axis=1)[rows]
    cat_ids = np.array([c.id for c in categories], dtype=object)[cols]
    osm_id = _osm_ids(feats.osm_type[rows], feats.osm_id[rows])
    base = "osm:" + pd.Series(osm_id, dtype=object)
    ids = base.where(n_match == 1, base + "#" + pd.Series(cat_ids, dtype=object))
    out = gpd.GeoDataFrame(
        {
            "id": ids.to_numpy(dtype=object),
            "name": _names(feats)[rows],
            "category": cat_ids,
            "osm_id": osm_id,
            "source": "osm",
        },
        geometry=_points(feats.geometry[rows]),
        crs=WGS84,
    )
    return out.drop_duplicates("id").reset_index(drop=True)


def _levels(values: pd.Series) -> pd.Series:
    """Parse ``building:levels`` ("5", "2.5", "3;4" -> first number); DEFAULT_LEVELS if unusable."""
    text = values.astype("string").str.extract(r"(\d+(?:\.\d+)?)", expand=False)
    num = pd.to_numeric(text, errors="coerce")
    num = num.where(num > 0)
    return num.fillna(DEFAULT_LEVELS).astype(float)


def estimate_population(floor_area_m2: np.ndarray | pd.Series, levels: np.ndarray | pd.Series):
    """Estimated residents of a building.

    ``population = max(1, round(footprint_area_m2 * levels / FLOOR_AREA_PER_PERSON_M2))``
    with ``FLOOR_AREA_PER_PERSON_M2 = 35`` m² of floor area per resident.  Footprint areas
    are measured in the UTM CRS (m²).  This is a coarse planning estimate, not a census
    figure; results carry ``population_estimated = True``.
    """
    area = np.asarray(floor_area_m2, dtype=float)
    lv = np.asarray(levels, dtype=float)
    pop = np.rint(area * lv / FLOOR_AREA_PER_PERSON_M2)
    return np.maximum(pop, 1).astype("int64")


_POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def _residential(buildings: _Features, landuse: _Features, metric_crs: str) -> gpd.GeoDataFrame:
    """Residential demand points from building footprints (see :func:`estimate_population`).

    Kept: polygons with ``building`` in :data:`RESIDENTIAL_BUILDINGS`, plus ``building=yes``
    whose representative point lies in a ``landuse=residential`` polygon.  Buildings mapped
    as points or lines have no footprint and are skipped.
    """
    if len(buildings) == 0:
        return _empty_points(_RESIDENTIAL_COLUMNS)
    b = buildings.take(np.isin(shapely.get_type_id(buildings.geometry), _POLYGON_TYPES))
    if len(b) == 0:
        return _empty_points(_RESIDENTIAL_COLUMNS)
    building = b.text("building")
    keep = np.isin(building, list(RESIDENTIAL_BUILDINGS))
    yes = building == "yes"
    if yes.any() and len(landuse):
        zones = landuse.geometry[np.isin(shapely.get_type_id(landuse.geometry), _POLYGON_TYPES)]
        if len(zones):
            tree = shapely.STRtree(zones)
            rep_yes = _points(b.geometry[yes])
            hit = tree.query(rep_yes, predicate="within")
            inside = np.zeros(len(rep_yes), dtype=bool)
            inside[np.unique(hit[0])] = True
            keep[np.flatnonzero(yes)[inside]] = True
    if not keep.any():
        return _empty_points(_RESIDENTIAL_COLUMNS)
    b = b.take(keep)
    building = building[keep]
    area = gpd.GeoSeries(b.geometry, crs=WGS84).to_crs(metric_crs).area.to_numpy()
    levels = _levels(
        b.tags["building:levels"]
        if "building:levels" in b.tags
        else pd.Series([None] * len(b), dtype=object)
    ).to_numpy()
    out = gpd.GeoDataFrame(
        {
            "id": ("osm:" + pd.Series(_osm_ids(b.osm_type, b.osm_id), dtype=object)).to_numpy(
                dtype=object
            ),
            "name": _names(b),
            "population": estimate_population(area, levels),
            "population_estimated": True,
            "building": building,
            "levels": levels,
            "floor_area_m2": np.round(area * levels, 1),
            "source": "osm",
        },
        geometry=_points(b.geometry),
        crs=WGS84,
    )
    return out.drop_duplicates("id").reset_index(drop=True)


def _water(features: _Features) -> gpd.GeoDataFrame:
    """Water areas (EPSG:4326) among ``features``: polygons with a tag of :data:`WATER_TAGS`.

    ``kind`` is the first matching ``key=value`` in :data:`WATER_TAGS` order.  Points and
    lines (e.g. an unclosed ``natural=water`` way) are skipped.
    """
    if len(features) == 0:
        return _empty_points(_WATER_COLUMNS)
    kind = np.full(len(features), "", dtype=object)
    for key, values in WATER_TAGS.items():
        text = features.text(key)
        for value in values:
            kind[(kind == "") & (text == value)] = f"{key}={value}"
    keep = (kind != "") & np.isin(shapely.get_type_id(features.geometry), _POLYGON_TYPES)
    if not keep.any():
        return _empty_points(_WATER_COLUMNS)
    w = features.take(keep)
    out = gpd.GeoDataFrame(
        {
            "id": ("osm:" + pd.Series(_osm_ids(w.osm_type, w.osm_id), dtype=object)).to_numpy(
                dtype=object
            ),
            "name": _names(w),
            "kind": kind[keep],
            "source": "osm",
        },
        geometry=w.geometry,
        crs=WGS84,
    )
    return out.drop_duplicates("id").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# network
# --------------------------------------------------------------------------------------
@dataclass
class _NetworkTables:
    """A directed walking graph as arrays (WGS-84): nodes and the edges between them.

    ``edge_geometry`` may hold None for an edge without geometry (a straight line between
    its nodes is used).  ``osmid``, ``highway`` and ``name`` hold scalars or lists.
    """

    node_id: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    osmid: np.ndarray
    highway: np.ndarray
    name: np.ndarray
    edge_geometry: np.ndarray

    @classmethod
    def empty(cls) -> _NetworkTables:
        f, i, o = np.array([], dtype=float), np.array([], dtype="int64"), np.array([], dtype=object)
        return cls(i, f, f, i, i, o, o, o, o)

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph) -> _NetworkTables:
        """From an osmnx MultiDiGraph (node attributes ``x``, ``y`` in WGS-84)."""
        nodes = list(G.nodes(data=True))
        edges = list(G.edges(data=True))
        n, m = len(nodes), len(edges)
        return cls(
            np.fromiter((k for k, _ in nodes), dtype="int64", count=n),
            np.fromiter((d["x"] for _, d in nodes), dtype=float, count=n),
            np.fromiter((d["y"] for _, d in nodes), dtype=float, count=n),
            np.fromiter((a for a, _, _ in edges), dtype="int64", count=m),
            np.fromiter((b for _, b, _ in edges), dtype="int64", count=m),
            _object_array((d.get("osmid") for _, _, d in edges), m),
            _object_array((d.get("highway") for _, _, d in edges), m),
            _object_array((d.get("name") for _, _, d in edges), m),
            _object_array((d.get("geometry") for _, _, d in edges), m),
        )


def _object_array(values: Iterable[Any], n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = list(values)
    return out


def _osmid_key(v: Any) -> str:
    """Order-free text of an edge's ``osmid`` (a scalar or the list of a simplified edge)."""
    if isinstance(v, (list, tuple, set)):
        return "[" + ";".join(sorted({str(x) for x in v}))
    return str(v)


def _network_layers(
    net: _NetworkTables, file: Path | str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str, int]:
    """Largest connected component of a directed walking graph -> edges, nodes, crs, dropped.

    Vectorised equivalent of ``osmnx.truncate.largest_component`` (weak components; the
    first of equally large ones in node order) followed by ``osmnx.convert.to_undirected``
    (an edge and its reverse twin, i.e. same OSM ids and same coordinates in either order,
    become one undirected edge; parallel edges that differ are kept) and
    ``graph_to_gdfs``: ``u`` is the end node that comes first in node order, geometry runs
    u -> v, ``key`` numbers the parallel edges of a node pair from 0.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if len(net.u) == 0:
        raise InputError(
            "no walkable ways (highway=footway/residential/…) in the file",
            file=file,
            hint="use an extract that covers streets of the study area",
        )
    n = len(net.node_id)
    order = np.argsort(net.node_id, kind="stable")
    sorted_ids = net.node_id[order]

    def position(ids: np.ndarray) -> np.ndarray:
        at = np.minimum(np.searchsorted(sorted_ids, ids), n - 1)
        if not np.array_equal(sorted_ids[at], ids):
            raise InputError(
                "an edge refers to a node missing from the network",
                file=file,
                hint="the file is corrupt; download the extract again",
            )
        return order[at]

    pu, pv = position(net.u), position(net.v)
    adjacency = coo_matrix((np.ones(len(pu), dtype=np.int8), (pu, pv)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="weak")
    largest = int(np.argmax(np.bincount(labels)))
    node_in = labels == largest
    dropped = int(n - node_in.sum())
    e = np.flatnonzero(node_in[pu])

    # edge geometry (straight line between the nodes when missing)
    geom = net.edge_geometry[e].copy()
    no_geom = shapely.is_missing(geom)
    if no_geom.any():
        a, b = pu[e][no_geom], pv[e][no_geom]
        xy = np.stack(
            [np.c_[net.node_x[a], net.node_y[a]], np.c_[net.node_x[b], net.node_y[b]]], axis=1
        )
        geom[no_geom] = shapely.linestrings(xy)

    # one row per undirected edge.  Of a pair of twins osmnx keeps the data of the edge
    # directed from the later node to the earlier one (it is added last under the same key)
    eu, ev = pu[e], pv[e]
    lo, hi = np.minimum(eu, ev), np.maximum(eu, ev)
    wkb = shapely.to_wkb(geom)
    wkb_rev = shapely.to_wkb(shapely.reverse(geom))
    canon = np.where(wkb <= wkb_rev, wkb, wkb_rev)
    table = pd.DataFrame(
        {
            "lo": lo,
            "hi": hi,
            "osmid": [_osmid_key(x) for x in net.osmid[e]],
            "geom": canon,
            "backward": eu > ev,
            "row": np.arange(len(e)),
        }
    )
    table = table.sort_values(["backward", "row"], ascending=[False, True], kind="stable")
    table = table[~table.duplicated(["lo", "hi", "osmid", "geom"], keep="first")]
    table = table.sort_values(["lo", "row"], kind="stable")
    keep = table["row"].to_numpy()
    sel = e[keep]
    u_pos, v_pos = lo[keep], hi[keep]
    key = table.groupby(["lo", "hi"], sort=False).cumcount().to_numpy()

    node_pos = np.flatnonzero(node_in)
    node_pts = shapely.points(net.node_x, net.node_y)
    lonlat = gpd.GeoSeries(node_pts[node_pos], crs=WGS84)
    crs = lonlat.estimate_utm_crs().to_string()

    # orient each geometry u -> v
    g = geom[keep]
    start = shapely.get_point(g, 0)
    flip = shapely.distance(start, node_pts[v_pos]) < shapely.distance(start, node_pts[u_pos])
    g = np.where(flip, shapely.reverse(g), g)
    out_edges = gpd.GeoDataFrame(
        {
            "u": net.node_id[u_pos],
            "v": net.node_id[v_pos],
            "key": key.astype("int64"),
            "length": geodesic_lengths(g),
            "highway": [_text(h) for h in net.highway[sel]],
            "name": [_text(x) for x in net.name[sel]],
            "osmid": [_text(o) for o in net.osmid[sel]],
        },
        geometry=g,
        crs=WGS84,
    ).to_crs(crs)
    out_nodes = gpd.GeoDataFrame(
        geometry=lonlat.to_crs(crs).values,
        index=pd.Index(net.node_id[node_pos].astype("int64"), name="node_id"),
        crs=crs,
    )
    return out_edges, out_nodes, crs, dropped


def geodesic_lengths(lines: np.ndarray | gpd.GeoSeries) -> np.ndarray:
    """Length in metres on the WGS-84 ellipsoid of each lon/lat LineString (EPSG:4326)."""
    from pyproj import Geod

    lines = np.asarray(lines, dtype=object)
    coords, index = shapely.get_coordinates(lines, return_index=True)
    if len(coords) < 2:
        return np.zeros(len(lines))
    same = index[1:] == index[:-1]
    _, _, seg = Geod(ellps="WGS84").inv(
        coords[:-1, 0][same], coords[:-1, 1][same], coords[1:, 0][same], coords[1:, 1][same]
    )
    return np.bincount(index[1:][same], weights=seg, minlength=len(lines)).astype(float)


def _graph_from_xml(path: Path) -> nx.MultiDiGraph:
    """Walkable, simplified MultiDiGraph (all components) from an OSM XML file."""
    import osmnx as ox

    useful = list(dict.fromkeys([*ox.settings.useful_tags_way, *_WALK_TAGS]))
    with _osmnx_settings(useful_tags_way=useful, log_console=False):
        try:
            G = ox.graph_from_xml(path, simplify=False, retain_all=True)
        except Exception as exc:  # empty file, no ways, malformed XML
            if "No data elements" in str(exc) or type(exc).__name__ == "InsufficientResponseError":
                G = nx.MultiDiGraph(crs=WGS84)
            else:
                raise
    drop = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if not is_walkable(d)]
    G.remove_edges_from(drop)
    G.remove_nodes_from([n for n, deg in dict(G.degree()).items() if deg == 0])
    if G.number_of_edges() == 0:
        return G
    return ox.simplify_graph(G)


def _water_osmnx_tags(*, residential_landuse: bool = False) -> dict[str, bool | str | list[str]]:
    """osmnx ``tags`` selecting :data:`WATER_TAGS` (plus ``landuse=residential`` if asked)."""
    tags: dict[str, bool | str | list[str]] = {k: list(v) for k, v in WATER_TAGS.items()}
    if residential_landuse:
        tags["landuse"] = ["residential", *WATER_TAGS["landuse"]]
    return tags


class _XmlSource:
    """Layers of an OSM XML file, read with osmnx (network and features parsed separately)."""

    def __init__(self, path: Path, categories: tuple[Category, ...], residential: bool):
        self.path = path
        self.keys = list(dict.fromkeys([*_feature_keys(categories), *_WATER_KEYS]))
        self.catalogue_keys = _catalogue_keys(categories)
        self.residential = residential
        self._table: _Features | None = None

    def network(self) -> _NetworkTables:
        return _NetworkTables.from_graph(_graph_from_xml(self.path))

    def _features(self) -> _Features:
        if self._table is None:
            import osmnx as ox

            tags: dict[str, bool | str | list[str]] = {k: True for k in self.catalogue_keys}
            if self.residential:
                tags["building"] = True
            tags.update(_water_osmnx_tags(residential_landuse=self.residential))
            try:
                with _osmnx_settings(log_console=False):
                    feats = ox.features_from_xml(self.path, tags=tags)
            except Exception as exc:  # osmnx raises when nothing matches
                if type(exc).__name__ == "InsufficientResponseError" or (
                    "No matching features" in str(exc)
                ):
                    feats = None
                else:
                    raise
            self._table = _features_from_osmnx(feats, self.keys)
        return self._table

    def amenity_features(self) -> _Features:
        table = self._features()
        mask = np.zeros(len(table), dtype=bool)
        for key in self.catalogue_keys:
            mask |= table.present(key)
        return table.take(mask)

    def residential_features(self) -> tuple[_Features, _Features]:
        table = self._features()
        return (
            table.take(table.present("building")),
            table.take(table.text("landuse") == "residential"),
        )

    def water_features(self) -> _Features:
        return self._features()


class _PbfSource:
    """Layers of an OSM PBF file, read with pyrosm (the file is decoded once, on first use)."""

    def __init__(self, path: Path, categories: tuple[Category, ...], residential: bool):
        from pyrosm import OSM

        self.osm = OSM(str(path))
        self.keys = _feature_keys(categories)
        self.catalogue_keys = _catalogue_keys(categories)

    def network(self) -> _NetworkTables:
        from pyrosm.graphs import graph_tables

        net = self.osm.get_network(network_type="walking", nodes=True)
        if net is None or net[1] is None or len(net[1]) == 0:
            return _NetworkTables.empty()
        nodes, edges = net
        # the tables pyrosm's to_graph(osmnx_compatible=True, retain_all=True) builds its
        # networkx graph from: directed both ways, simplified (chains of degree-2 nodes merged)
        nodes, edges = graph_tables(nodes, edges, retain_all=True)
        m = len(edges)

        def column(name: str) -> np.ndarray:
            if name not in edges.columns:
                return np.full(m, None, dtype=object)
            return _object_array(edges[name].to_numpy(dtype=object, na_value=None), m)

        pts = nodes.geometry.values
        return _NetworkTables(
            nodes["id"].to_numpy(dtype="int64"),
            shapely.get_x(pts),
            shapely.get_y(pts),
            edges["u"].to_numpy(dtype="int64"),
            edges["v"].to_numpy(dtype="int64"),
            column("id"),
            column("highway"),
            column("name"),
            np.asarray(edges.geometry.values, dtype=object),
        )

    def amenity_features(self) -> _Features:
        pois = self.osm.get_pois(custom_filter={k: True for k in self.catalogue_keys})
        return _features_from_pyrosm(pois, self.keys)

    def residential_features(self) -> tuple[_Features, _Features]:
        buildings = _features_from_pyrosm(self.osm.get_buildings(), self.keys)
        landuse = self.osm.get_landuse(custom_filter={"landuse": ["residential"]})
        return buildings, _features_from_pyrosm(landuse, self.keys)

    def water_features(self) -> _Features:
        water = self.osm.get_data_by_custom_criteria(
            custom_filter={k: list(v) for k, v in WATER_TAGS.items()},
            filter_type="keep",
            keep_nodes=False,
        )
        return _features_from_pyrosm(water, _WATER_KEYS)


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
        stats={"edges": len(edges), "nodes": len(nodes), "water_areas": len(water)},
        water=water,
    )


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------
def read_osm_file(
    path: str | Path,
    *,
    catalogue: Iterable[Category] | CircleStandard | None = None,
    residential: bool = True,
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
    source_type = _PbfSource if suffix in _PBF_SUFFIXES else _XmlSource
    with _stage(timings, "network"):
        with _reading(path):
            source = source_type(path, categories, residential)
            tables = source.network()
        edges, nodes, crs, dropped = _network_layers(tables, path)
        del tables
    with _stage(timings, "amenities"):
        with _reading(path):
            features = source.amenity_features()
        amenities = _amenities(features, categories)
        del features
    if len(amenities) == 0:
        raise InputError(
            "no amenities of any catalogue category (shops, markets, pharmacies, …) found",
            file=path,
            field="category",
            hint="use an extract that covers the study area's shops, or give an amenities file",
        )
    with _stage(timings, "residential"):
        if residential:
            with _reading(path):
                buildings, landuse = source.residential_features()
            resid = _residential(buildings, landuse, crs)
            del buildings, landuse
        else:
            resid = _empty_points(_RESIDENTIAL_COLUMNS)
    with _stage(timings, "water"):
        with _reading(path):
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
        if boundary is not None:
            boundary.to_file(tmp, layer="boundary", driver="GPKG")
    return path


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
        ),
        gpkg,
        boundary=boundary[["geometry"]].assign(place=place, nodes_dropped=dropped),
    )
    return {"graphml": graphml, "gpkg": gpkg}
