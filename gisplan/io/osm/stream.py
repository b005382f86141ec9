"""Streaming reader of large OpenStreetMap PBF files (province extracts) with pyosmium.

pyrosm decodes a whole PBF into memory (several GB per million street nodes), which does not
fit a province such as Zhejiang on an ordinary machine.  :class:`StreamSource` reads the file
with libosmium (``osmium``) in two streaming passes and keeps only what gisplan needs:

1. **network** — ways with a walkable ``highway`` tag (:func:`gisplan.io.osm.is_walkable`,
   the osmnx ``walk`` rules) with their node locations (libosmium's location index); each
   way is split at every node shared with another walkable way and at its ends, so edges
   run between junctions (chains of two-way nodes inside a way are kept as geometry);
2. **features** — nodes, closed ways and multipolygon relations (areas assembled by
   libosmium) tagged with a catalogue key, ``building``, ``landuse=residential`` or a water
   tag, with the tag values gisplan reads.

It returns the same intermediate tables as the pyrosm and osmnx readers, so amenities,
residential demand, water and the largest-component network come out of the same code
(:func:`gisplan.io.osm.read_osm_file` with ``reader="stream"``, chosen automatically for
PBF files of :data:`STREAM_THRESHOLD_MB` or more).  The only difference from the pyrosm
reader: a junction-free chain that spans two ways is two edges here (one per way) and one
edge there — the walking distances are the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from gisplan.io.osm.features import _Features
from gisplan.io.osm.network import _NetworkTables
from gisplan.io.osm.tags import _WATER_KEYS, WATER_TAGS, _catalogue_keys, _feature_keys, is_walkable

__all__ = ["StreamSource", "STREAM_THRESHOLD_MB"]

#: PBF files at least this large (MB) are read by :class:`StreamSource` (``reader="auto"``).
STREAM_THRESHOLD_MB = 256.0

_WALK_KEYS = (
    "highway",
    "area",
    "access",
    "foot",
    "service",
    "sidewalk",
    "sidewalk:both",
    "sidewalk:left",
    "sidewalk:right",
    "name",
)


class StreamSource:
    """Layers of a PBF (or XML) file read with pyosmium; see the module docstring."""

    def __init__(self, path: Path, categories, residential: bool):
        self.path = Path(path)
        self.residential = residential
        self.keys = list(dict.fromkeys([*_feature_keys(categories), *_WATER_KEYS]))
        self.catalogue_keys = _catalogue_keys(categories)
        self._features = None

    # -- pass 1: the walking network -------------------------------------------------------
    def network(self):
        """Pass 1: the walking network's tables (ways with a walkable ``highway``)."""
        import osmium

        way_ids: list[int] = []
        highway: list[str] = []
        names: list[object] = []
        lengths: list[int] = []
        refs: list[int] = []
        lons: list[float] = []
        lats: list[float] = []
        fp = (
            osmium.FileProcessor(str(self.path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations("flex_mem")
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for w in fp:
            tags = {k: w.tags.get(k) for k in _WALK_KEYS if k in w.tags}
            if not is_walkable(tags):
                continue
            nodes = w.nodes
            n = len(nodes)
            if n < 2:
                continue
            ok = True
            r = [0] * n
            x = [0.0] * n
            y = [0.0] * n
            for i, nd in enumerate(nodes):
                loc = nd.location
                if not loc.valid():
                    ok = False  # a way leaving the extract: keep the part inside
                    break
                r[i] = nd.ref
                x[i] = loc.lon
                y[i] = loc.lat
            pieces = [(r, x, y)] if ok else _valid_runs(nodes)
            for r, x, y in pieces:
                if len(r) < 2:
                    continue
                way_ids.append(w.id)
                highway.append(tags["highway"])
                names.append(tags.get("name"))
                lengths.append(len(r))
                refs.extend(r)
                lons.extend(x)
                lats.extend(y)
        if not way_ids:
            return _NetworkTables.empty()
        return _split_ways(
            np.asarray(way_ids, dtype="int64"),
            np.asarray(lengths, dtype="int64"),
            np.asarray(refs, dtype="int64"),
            np.asarray(lons, dtype=float),
            np.asarray(lats, dtype=float),
            np.asarray(highway, dtype=object),
            np.asarray(names, dtype=object),
        )

    # -- pass 2: tagged features -----------------------------------------------------------
    def _read_features(self):
        import osmium

        keys = self.keys
        wanted = set(self.catalogue_keys) | {"building", "landuse", *WATER_TAGS}
        if not self.residential:
            wanted.discard("building")
        wkb = osmium.geom.WKBFactory()
        kinds: list[str] = []
        ids: list[int] = []
        geoms: list[object] = []
        rows: list[list[object]] = []
        fp = (
            osmium.FileProcessor(str(self.path))
            .with_areas()
            .with_filter(osmium.filter.KeyFilter(*sorted(wanted)))
        )
        for obj in fp:
            if obj.is_node():
                loc = obj.location
                if not loc.valid():
                    continue
                geom = shapely.Point(loc.lon, loc.lat)
                kind, oid = "node", obj.id
            elif obj.is_area():
                try:
                    geom = wkb.create_multipolygon(obj)
                except (RuntimeError, osmium.InvalidLocationError):
                    continue  # broken ring: osmnx and pyrosm drop these too
                kind = "way" if obj.from_way() else "relation"
                oid = obj.orig_id()
            else:
                continue  # plain ways (lines) and relations: their areas come separately
            tags = obj.tags
            kinds.append(kind)
            ids.append(oid)
            geoms.append(geom)
            rows.append([tags.get(k) for k in keys])
        geometry = np.empty(len(geoms), dtype=object)
        if geoms:
            is_hex = np.fromiter((isinstance(g, str) for g in geoms), bool, len(geoms))
            geometry[~is_hex] = [g for g, h in zip(geoms, is_hex, strict=True) if not h]
            if is_hex.any():
                geometry[is_hex] = shapely.from_wkb(
                    [g for g, h in zip(geoms, is_hex, strict=True) if h]
                )
            single = shapely.get_type_id(geometry) == 6
            one = single & (shapely.get_num_geometries(geometry) == 1)
            if one.any():
                geometry[one] = shapely.get_geometry(geometry[one], 0)
        table = (
            pd.DataFrame(rows, columns=keys, dtype=object)
            if rows
            else pd.DataFrame({k: pd.Series(dtype=object) for k in keys})
        )
        self._features = _Features(
            np.asarray(kinds, dtype=object), np.asarray(ids, dtype="int64"), geometry, table
        )
        return self._features

    def _table(self):
        return self._features if self._features is not None else self._read_features()

    def amenity_features(self):
        """Features with a tag of a catalogue category."""
        t = self._table()
        mask = np.zeros(len(t), dtype=bool)
        for key in self.catalogue_keys:
            mask |= t.present(key)
        return t.take(mask)

    def residential_features(self):
        """Buildings and ``landuse=residential`` areas."""
        t = self._table()
        return t.take(t.present("building")), t.take(t.text("landuse") == "residential")

    def water_features(self):
        """The feature table for the water areas (the last use: the table is freed)."""
        t = self._table()
        self._features = None  # the last user: free it
        return t


def _valid_runs(nodes):
    """Runs of consecutive nodes with a location (a way leaving the extract keeps its parts inside)."""
    runs, r, x, y = [], [], [], []
    for nd in nodes:
        loc = nd.location
        if not loc.valid():
            if r:
                runs.append((r, x, y))
            r, x, y = [], [], []
            continue
        r.append(nd.ref)
        x.append(loc.lon)
        y.append(loc.lat)
    if r:
        runs.append((r, x, y))
    return runs


def _split_ways(way_ids, lengths, refs, lons, lats, highway, names):
    """Split ways at shared nodes and ends -> directed edge tables (one direction per edge)."""
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    ends = starts + lengths - 1
    uniq, inverse, counts = np.unique(refs, return_inverse=True, return_counts=True)
    split = counts[inverse] >= 2
    split[starts] = True
    split[ends] = True
    way_of = np.repeat(np.arange(len(way_ids)), lengths)
    sp = np.flatnonzero(split)
    a, b = sp[:-1], sp[1:]
    same = way_of[a] == way_of[b]
    a, b = a[same], b[same]
    keep = refs[a] != refs[b]  # closed loops of one segment and repeated nodes add nothing
    a, b = a[keep], b[keep]
    npts = b - a + 1
    offsets = np.repeat(a - np.concatenate([[0], np.cumsum(npts)[:-1]]), npts)
    pos = np.arange(npts.sum()) + offsets
    geom = shapely.linestrings(
        np.column_stack([lons[pos], lats[pos]]), indices=np.repeat(np.arange(len(a)), npts)
    )
    # nodes: every edge end, with its location
    ends_ref = np.concatenate([refs[a], refs[b]])
    ends_pos = np.concatenate([a, b])
    node_ids, first = np.unique(ends_ref, return_index=True)
    node_pos = ends_pos[first]
    w = way_of[a]
    return _NetworkTables(
        node_ids,
        lons[node_pos],
        lats[node_pos],
        refs[a],
        refs[b],
        way_ids[w].astype(object),
        highway[w],
        names[w],
        np.asarray(geom, dtype=object),
    )
