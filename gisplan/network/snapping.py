"""Joining points (communities, amenities, candidate sites) to the walking network.

Each point joins the network at the nearest point of its nearest edge — not merely the
nearest node — and the straight off-network leg from the point to that edge is walked at the
same speed as the network. A point farther than ``max_distance_m`` from every edge is
*unsnapped*: it keeps its row with ``edge = -1`` and is reported by id, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.errors import InputError
from gisplan.network.graph import WalkNetwork

__all__ = ["Snapped", "snap_points"]


@dataclass(eq=False)
class Snapped:
    """Points joined to a :class:`WalkNetwork`.

    Attributes
    ----------
    ids : numpy.ndarray
        The points' ids, in input order.
    edge : numpy.ndarray of int
        Index of the edge each point joins, ``-1`` when unsnapped.
    along_m : numpy.ndarray of float
        Walking distance (metres) along the edge from its ``u`` end to the join point.
    offset_m : numpy.ndarray of float
        Straight distance (metres) from the point to the join point (the off-network leg);
        NaN when unsnapped.
    snapped_xy : numpy.ndarray, shape (k, 2)
        Join point coordinates in the network CRS (NaN when unsnapped).
    """

    ids: np.ndarray
    edge: np.ndarray
    along_m: np.ndarray
    offset_m: np.ndarray
    snapped_xy: np.ndarray

    def __len__(self) -> int:
        return int(len(self.ids))

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of snapped points."""
        return self.edge >= 0

    @property
    def unsnapped_ids(self) -> list:
        """Ids of points farther than the maximum snapping distance from every edge."""
        return [i for i in self.ids[~self.ok].tolist()]

    def subset(self, mask: np.ndarray) -> Snapped:
        """The points selected by a boolean mask or index array."""
        return Snapped(
            ids=self.ids[mask],
            edge=self.edge[mask],
            along_m=self.along_m[mask],
            offset_m=self.offset_m[mask],
            snapped_xy=self.snapped_xy[mask],
        )

    @staticmethod
    def concat(parts: list[Snapped]) -> Snapped:
        """Concatenate snapped point sets."""
        return Snapped(
            ids=np.concatenate([p.ids for p in parts]),
            edge=np.concatenate([p.edge for p in parts]),
            along_m=np.concatenate([p.along_m for p in parts]),
            offset_m=np.concatenate([p.offset_m for p in parts]),
            snapped_xy=np.concatenate([p.snapped_xy for p in parts]),
        )


def snap_points(
    network: WalkNetwork,
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    ids: pd.Series | np.ndarray | list | None = None,
    max_distance_m: float = 300.0,
) -> Snapped:
    """Join points to the nearest point of the nearest network edge.

    Parameters
    ----------
    network : WalkNetwork
        The walking network (metric CRS).
    points : GeoDataFrame or GeoSeries
        Point geometries in any CRS; they are projected to ``network.crs``. Polygons are
        replaced by their representative point.
    ids : array-like, optional
        Point ids; defaults to the ``id`` column when present, else the index.
    max_distance_m : float
        Largest off-network leg (metres). Farther points are unsnapped (``edge = -1``).

    Returns
    -------
    Snapped
    """
    if points.crs is None:
        raise InputError(
            "points have no CRS", field="crs", hint="set the layer's CRS (e.g. EPSG:4326)"
        )
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if ids is None:
        ids = (
            points["id"]
            if isinstance(points, gpd.GeoDataFrame) and "id" in points.columns
            else points.index
        )
    ids = np.asarray(ids, dtype=object)
    geoms = geoms.to_crs(network.crs).values
    geoms = np.asarray(geoms, dtype=object)
    not_point = shapely.get_type_id(geoms) != 0
    if np.any(not_point):
        geoms = geoms.copy()
        geoms[not_point] = shapely.point_on_surface(geoms[not_point])

    k = len(geoms)
    edge = np.full(k, -1, dtype=np.int64)
    along = np.full(k, np.nan)
    offset = np.full(k, np.nan)
    snapped_xy = np.full((k, 2), np.nan)
    if k == 0:
        return Snapped(ids, edge, along, offset, snapped_xy)

    valid = ~(shapely.is_empty(geoms) | pd.isna(geoms))
    idx = np.flatnonzero(valid)
    if len(idx):
        (src, tree_idx), dist = network.edge_tree.query_nearest(
            geoms[idx], max_distance=max_distance_m, return_distance=True, all_matches=False
        )
        pts = idx[src]
        lines = network.edge_geometry[tree_idx]
        pos = shapely.line_locate_point(lines, geoms[pts])
        geom_len = shapely.length(lines)
        scale = np.divide(
            network.edge_length[tree_idx], geom_len, out=np.ones_like(geom_len), where=geom_len > 0
        )
        on_line = shapely.line_interpolate_point(lines, pos)
        edge[pts] = tree_idx
        along[pts] = np.clip(pos * scale, 0.0, network.edge_length[tree_idx])
        offset[pts] = dist
        snapped_xy[pts, 0] = shapely.get_x(on_line)
        snapped_xy[pts, 1] = shapely.get_y(on_line)
    return Snapped(ids, edge, along, offset, snapped_xy)
