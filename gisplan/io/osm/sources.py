"""Readers of OSM files: XML through osmnx, PBF through pyrosm (same interface)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely

from gisplan.catalogue import Category
from gisplan.crs import WGS84
from gisplan.io.osm.features import _Features, _features_from_osmnx, _features_from_pyrosm
from gisplan.io.osm.network import _NetworkTables, _object_array
from gisplan.io.osm.tags import (
    _WALK_TAGS,
    _WATER_KEYS,
    WATER_TAGS,
    _catalogue_keys,
    _feature_keys,
    is_walkable,
)


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


def _buildings_and_landuse(table: _Features) -> tuple[_Features, _Features]:
    """Buildings and ``landuse=residential`` areas of an osmnx feature table."""
    return (
        table.take(table.present("building")),
        table.take(table.text("landuse") == "residential"),
    )


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
        return _buildings_and_landuse(self._features())

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
