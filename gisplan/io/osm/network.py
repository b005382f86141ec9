"""OSM walking graph -> undirected network layers (largest component, metric UTM CRS, metres)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.io.osm.tags import _text
from gisplan.network.components import largest_component

__all__ = [
    "geodesic_lengths",
]


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
    net: _NetworkTables, file: Path | str, *, twins: bool = True
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str, int]:
    """Largest connected component of a directed walking graph -> edges, nodes, crs, dropped.

    Vectorised equivalent of ``osmnx.truncate.largest_component`` (weak components; the
    first of equally large ones in node order) followed by ``osmnx.convert.to_undirected``
    (an edge and its reverse twin, i.e. same OSM ids and same coordinates in either order,
    become one undirected edge; parallel edges that differ are kept) and
    ``graph_to_gdfs``: ``u`` is the end node that comes first in node order, geometry runs
    u -> v, ``key`` numbers the parallel edges of a node pair from 0.

    ``twins=False`` skips the search for reverse twins, for tables that hold every edge in
    one direction only (the streaming reader): same result, far less memory.
    """
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
    node_in = largest_component(n, pu, pv)
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
    if twins:
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
        del wkb, wkb_rev, canon
        table = table.sort_values(["backward", "row"], ascending=[False, True], kind="stable")
        table = table[~table.duplicated(["lo", "hi", "osmid", "geom"], keep="first")]
    else:
        table = pd.DataFrame({"lo": lo, "hi": hi, "row": np.arange(len(e))})
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
