"""OpenStreetMap ingestion: walking network, amenities and residential demand.

Two entry points:

- :func:`read_osm_file` reads an offline extract (``.osm`` / ``.osm.xml`` / ``.osm.bz2`` XML
  through osmnx, ``.osm.pbf`` through pyrosm, or a GeoPackage written by :func:`fetch_place`)
  and returns an :class:`OsmExtract`.
- :func:`fetch_place` downloads the same layers for a place name with osmnx (needs internet)
  and saves them atomically as GraphML + GeoPackage.

Units and CRS: the walking network (``edges``, ``nodes``) is in the UTM zone of the data
(metres, chosen with ``estimate_utm_crs``; EPSG:32651 for Ningbo); ``amenities`` and
``residential`` are in WGS-84 (EPSG:4326).  Edge ``length`` is the great-circle length in
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
]

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"

#: ``building=*`` values counted as homes.
RESIDENTIAL_BUILDINGS = frozenset(
    {"residential", "apartments", "house", "detached", "terrace", "dormitory"}
)
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
_GPKG_LAYERS = ("edges", "nodes", "amenities", "residential")
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
        ``nodes``, ``amenities`` per category, ``residential_buildings``.
    """

    edges: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    amenities: gpd.GeoDataFrame
    residential: gpd.GeoDataFrame
    crs: str
    attribution: str = OSM_ATTRIBUTION
    stats: dict[str, Any] = field(default_factory=dict)


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
# features: normalise osmnx / pyrosm tables to (osm_type, osm_id, tags, geometry)
# --------------------------------------------------------------------------------------
def _features_from_osmnx(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """osmnx features (MultiIndex element/id, one column per tag) -> normalised table."""
    cols = ["osm_type", "osm_id", "tags"]
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=WGS84)
    gdf = gdf.to_crs(WGS84)
    idx = gdf.index
    osm_type = [str(t) for t in idx.get_level_values(0)]
    osm_id = [int(i) for i in idx.get_level_values(1)]
    tag_cols = [c for c in gdf.columns if c != gdf.geometry.name and c not in _META_COLUMNS]
    records = gdf[tag_cols].to_dict(orient="records")
    tags = [{k: v for k, v in r.items() if not _is_missing(v)} for r in records]
    return gpd.GeoDataFrame(
        {"osm_type": osm_type, "osm_id": osm_id, "tags": tags},
        geometry=gdf.geometry.values,
        crs=WGS84,
    )


def _features_from_pyrosm(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """pyrosm table (known tags as columns, the rest JSON in ``tags``) -> normalised table."""
    cols = ["osm_type", "osm_id", "tags"]
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=WGS84)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    gdf = gdf.to_crs(WGS84)
    tag_cols = [c for c in gdf.columns if c != gdf.geometry.name and c not in _META_COLUMNS]
    records = gdf[tag_cols].to_dict(orient="records")
    extra = gdf["tags"] if "tags" in gdf.columns else pd.Series([None] * len(gdf))
    tags: list[dict[str, Any]] = []
    for rec, more in zip(records, extra, strict=True):
        t: dict[str, Any] = {}
        if isinstance(more, str) and more:
            with contextlib.suppress(ValueError):
                t.update(json.loads(more))
        elif isinstance(more, dict):
            t.update(more)
        t.update({k: v for k, v in rec.items() if not _is_missing(v)})
        tags.append(t)
    osm_type = gdf["osm_type"].astype(str).tolist() if "osm_type" in gdf else ["way"] * len(gdf)
    return gpd.GeoDataFrame(
        {"osm_type": osm_type, "osm_id": gdf["id"].astype("int64").tolist(), "tags": tags},
        geometry=gdf.geometry.values,
        crs=WGS84,
    )


def _name(tags: Mapping[str, Any]) -> str:
    for key in ("name", "name:zh", "name:en", "brand", "operator"):
        v = tags.get(key)
        if not _is_missing(v) and str(v).strip():
            return str(v)
    street, number = tags.get("addr:street"), tags.get("addr:housenumber")
    if not _is_missing(street):
        return f"{street} {'' if _is_missing(number) else number}".strip()
    return ""


def _points(geoms: gpd.GeoSeries) -> np.ndarray:
    """Points unchanged; lines and polygons by their representative point."""
    values = geoms.values
    out = np.array(values, dtype=object)
    not_point = ~(shapely.get_type_id(values) == 0)
    if not_point.any():
        out[not_point] = shapely.point_on_surface(values[not_point])
    return out


def _amenities(features: gpd.GeoDataFrame, categories: tuple[Category, ...]) -> gpd.GeoDataFrame:
    """One row per (feature, matching category); see :class:`OsmExtract`."""
    if len(features) == 0:
        return _empty_points(_AMENITY_COLUMNS)
    feats = features[~features.geometry.isna() & ~features.geometry.is_empty]
    points = _points(feats.geometry)
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    for (otype, oid, tags), pt in zip(
        feats[["osm_type", "osm_id", "tags"]].itertuples(index=False, name=None),
        points,
        strict=True,
    ):
        matched = [c.id for c in categories if c.matches_tags(tags)]
        base = f"osm:{otype}/{oid}"
        for cid in matched:
            rows.append(
                {
                    "id": base if len(matched) == 1 else f"{base}#{cid}",
                    "name": _name(tags),
                    "category": cid,
                    "osm_id": f"{otype}/{oid}",
                    "source": "osm",
                }
            )
            geoms.append(pt)
    if not rows:
        return _empty_points(_AMENITY_COLUMNS)
    out = gpd.GeoDataFrame(rows, geometry=geoms, crs=WGS84)
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


def _residential(
    buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame, metric_crs: str
) -> gpd.GeoDataFrame:
    """Residential demand points from building footprints (see :func:`estimate_population`).

    Kept: polygons with ``building`` in :data:`RESIDENTIAL_BUILDINGS`, plus ``building=yes``
    whose representative point lies in a ``landuse=residential`` polygon.  Buildings mapped
    as points or lines have no footprint and are skipped.
    """
    if len(buildings) == 0:
        return _empty_points(_RESIDENTIAL_COLUMNS)
    b = buildings[buildings.geom_type.isin(["Polygon", "MultiPolygon"])].copy()
    if len(b) == 0:
        return _empty_points(_RESIDENTIAL_COLUMNS)
    b["building"] = [_text(t.get("building")) for t in b["tags"]]
    b["rep"] = _points(b.geometry)
    keep = b["building"].isin(RESIDENTIAL_BUILDINGS).to_numpy().copy()
    yes = (b["building"] == "yes").to_numpy()
    if yes.any() and len(landuse):
        zones = landuse[landuse.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(zones):
            tree = shapely.STRtree(zones.geometry.values)
            rep_yes = b["rep"].to_numpy()[yes]
            hit = tree.query(rep_yes, predicate="within")
            inside = np.zeros(len(rep_yes), dtype=bool)
            inside[np.unique(hit[0])] = True
            idx = np.flatnonzero(yes)[inside]
            keep[idx] = True
    b = b[keep]
    if len(b) == 0:
        return _empty_points(_RESIDENTIAL_COLUMNS)
    area = b.geometry.to_crs(metric_crs).area.to_numpy()
    levels = _levels(pd.Series([t.get("building:levels") for t in b["tags"]], index=b.index))
    out = gpd.GeoDataFrame(
        {
            "id": [f"osm:{t}/{i}" for t, i in zip(b["osm_type"], b["osm_id"], strict=True)],
            "name": [_name(t) for t in b["tags"]],
            "population": estimate_population(area, levels.to_numpy()),
            "population_estimated": True,
            "building": b["building"].to_numpy(),
            "levels": levels.to_numpy(),
            "floor_area_m2": np.round(area * levels.to_numpy(), 1),
            "source": "osm",
        },
        geometry=list(b["rep"]),
        crs=WGS84,
    )
    return out.drop_duplicates("id").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# network
# --------------------------------------------------------------------------------------
def _network_layers(
    G: nx.MultiDiGraph, file: Path | str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str, int]:
    """Largest connected component of a (simplified) osmnx graph -> edges, nodes, crs, dropped."""
    import osmnx as ox

    if G.number_of_edges() == 0:
        raise InputError(
            "no walkable ways (highway=footway/residential/…) in the file",
            file=file,
            hint="use an extract that covers streets of the study area",
        )
    n_before = G.number_of_nodes()
    G = ox.truncate.largest_component(G, strongly=False)
    dropped = n_before - G.number_of_nodes()
    lonlat = gpd.GeoSeries(
        gpd.points_from_xy(
            [d["x"] for _, d in G.nodes(data=True)], [d["y"] for _, d in G.nodes(data=True)]
        ),
        crs=WGS84,
    )
    crs = lonlat.estimate_utm_crs().to_string()
    Gu = ox.convert.to_undirected(G)
    nodes, edges = ox.convert.graph_to_gdfs(Gu, nodes=True, edges=True, fill_edge_geometry=True)
    nodes = nodes.set_crs(WGS84, allow_override=True)

    edges = edges.reset_index()
    # orient each geometry u -> v
    geom = edges.geometry.values
    start = shapely.get_point(geom, 0)
    pu = nodes.geometry.reindex(edges["u"]).values
    pv = nodes.geometry.reindex(edges["v"]).values
    flip = shapely.distance(start, pv) < shapely.distance(start, pu)
    geom = np.where(flip, shapely.reverse(geom), geom)
    out_edges = gpd.GeoDataFrame(
        {
            "u": edges["u"].astype("int64").to_numpy(),
            "v": edges["v"].astype("int64").to_numpy(),
            "key": edges["key"].astype("int64").to_numpy(),
            "length": geodesic_lengths(geom),
            "highway": [_text(h) for h in edges.get("highway", [None] * len(edges))],
            "name": [_text(n) for n in edges.get("name", [None] * len(edges))],
            "osmid": [_text(o) for o in edges.get("osmid", [None] * len(edges))],
        },
        geometry=geom,
        crs=WGS84,
    ).to_crs(crs)
    nodes = nodes.to_crs(crs)
    out_nodes = gpd.GeoDataFrame(
        geometry=nodes.geometry.values,
        index=pd.Index(nodes.index.astype("int64"), name="node_id"),
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


def _read_xml(path: Path, categories: tuple[Category, ...], residential: bool) -> dict[str, Any]:
    import osmnx as ox

    G = _graph_from_xml(path)
    tags: dict[str, bool | str | list[str]] = {k: True for k in _catalogue_keys(categories)}
    if residential:
        tags["building"] = True
        tags["landuse"] = "residential"
    try:
        with _osmnx_settings(log_console=False):
            feats = ox.features_from_xml(path, tags=tags)
    except Exception as exc:  # osmnx raises when nothing matches
        if type(exc).__name__ == "InsufficientResponseError" or "No matching features" in str(exc):
            feats = None
        else:
            raise
    table = _features_from_osmnx(feats)
    has = table["tags"].map
    amen = table[has(lambda t: any(k in t for k in tags if k not in ("building", "landuse")))]
    bld = table[has(lambda t: "building" in t)] if residential else table.iloc[:0]
    lu = table[has(lambda t: t.get("landuse") == "residential")] if residential else table.iloc[:0]
    return {"graph": G, "amenities": amen, "buildings": bld, "landuse": lu}


def _read_pbf(path: Path, categories: tuple[Category, ...], residential: bool) -> dict[str, Any]:
    from pyrosm import OSM

    osm = OSM(str(path))
    net = osm.get_network(network_type="walking", nodes=True)
    if net is None or net[1] is None or len(net[1]) == 0:
        G = nx.MultiDiGraph(crs=WGS84)
    else:
        nodes, edges = net
        G = osm.to_graph(
            nodes, edges, graph_type="networkx", osmnx_compatible=True, retain_all=True
        )
    keys = _catalogue_keys(categories)
    pois = osm.get_pois(custom_filter={k: True for k in keys})
    out: dict[str, Any] = {"graph": G, "amenities": _features_from_pyrosm(pois)}
    if residential:
        out["buildings"] = _features_from_pyrosm(osm.get_buildings())
        out["landuse"] = _features_from_pyrosm(
            osm.get_landuse(custom_filter={"landuse": ["residential"]})
        )
    else:
        out["buildings"] = out["landuse"] = _features_from_pyrosm(None)
    return out


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
        stats={"edges": len(edges), "nodes": len(nodes)},
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
        and residential demand (EPSG:4326).  The population of a residential building is
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
    reader = _read_pbf if suffix in _PBF_SUFFIXES else _read_xml
    try:
        raw = reader(path, categories, residential)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"cannot read OpenStreetMap data ({type(exc).__name__}: {exc})",
            file=path,
            hint="the file is corrupt or not OSM XML/PBF; download the extract again",
        ) from exc

    edges, nodes, crs, dropped = _network_layers(raw["graph"], path)
    amenities = _amenities(raw["amenities"], categories)
    if len(amenities) == 0:
        raise InputError(
            "no amenities of any catalogue category (shops, markets, pharmacies, …) found",
            file=path,
            field="category",
            hint="use an extract that covers the study area's shops, or give an amenities file",
        )
    resid = (
        _residential(raw["buildings"], raw["landuse"], crs)
        if residential
        else _empty_points(_RESIDENTIAL_COLUMNS)
    )
    stats = {
        "nodes": len(nodes),
        "edges": len(edges),
        "nodes_dropped": dropped,
        "amenities": amenities["category"].value_counts().to_dict(),
        "residential_buildings": len(resid),
    }
    return OsmExtract(
        edges=edges, nodes=nodes, amenities=amenities, residential=resid, crs=crs, stats=stats
    )


def save_extract(
    extract: OsmExtract, path: str | Path, *, boundary: gpd.GeoDataFrame | None = None
) -> Path:
    """Write an :class:`OsmExtract` to a GeoPackage atomically (readable by read_osm_file).

    Layers: ``edges`` and ``nodes`` (metric CRS), ``amenities`` and ``residential``
    (EPSG:4326), optionally ``boundary``.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        extract.edges.to_file(tmp, layer="edges", driver="GPKG")
        extract.nodes.reset_index().to_file(tmp, layer="nodes", driver="GPKG")
        extract.amenities.to_file(tmp, layer="amenities", driver="GPKG")
        extract.residential.to_file(tmp, layer="residential", driver="GPKG")
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
    amenities of every catalogue category and buildings, and processes them exactly like
    :func:`read_osm_file`.  Writes, atomically:

    - ``<place>.graphml``: the raw walking graph (osmnx GraphML, WGS-84), and
    - ``<place>.gpkg``: layers ``edges``/``nodes`` (UTM metres), ``amenities``,
      ``residential`` (EPSG:4326) and ``boundary`` — readable with :func:`read_osm_file`.

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
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise OfflineError(f"{_OFFLINE_MESSAGE} ({type(exc).__name__})") from exc

    edges, nodes, crs, dropped = _network_layers(G, place)
    amenities = _amenities(_features_from_osmnx(feats), categories)
    if len(amenities) == 0:
        raise InputError(
            f"no amenities of any catalogue category found in {place!r}",
            field="place",
            hint="check the place name, or give an amenities file",
        )
    table = _features_from_osmnx(bld)
    has = table["tags"].map
    resid = _residential(
        table[has(lambda t: "building" in t)],
        table[has(lambda t: t.get("landuse") == "residential")],
        crs,
    )
    stem = _slug(place)
    graphml = out_dir / f"{stem}.graphml"
    gpkg = out_dir / f"{stem}.gpkg"
    with atomic_path(graphml) as tmp:
        ox.save_graphml(G, tmp)
    save_extract(
        OsmExtract(edges=edges, nodes=nodes, amenities=amenities, residential=resid, crs=crs),
        gpkg,
        boundary=boundary[["geometry"]].assign(place=place, nodes_dropped=dropped),
    )
    return {"graphml": graphml, "gpkg": gpkg}
