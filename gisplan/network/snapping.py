"""Joining points (communities, amenities, candidate sites) to the walking network.

Each point joins the network at the nearest point of its nearest edge — not merely the
nearest node — and the straight off-network leg from the point to that edge is walked at the
same speed as the network. A point farther than ``max_distance_m`` from every edge is
*unsnapped*: it keeps its row with ``edge = -1`` and is reported by id, never dropped.

Barriers (rivers, lakes, walls) can be given to :func:`snap_points`: a point then joins the
nearest edge whose straight off-network leg (the *connector*, from the point to its join
point) does not cross a barrier. The rules, in the network's metric CRS:

- **polygons** (water): a connector is blocked when it meets the polygon's *interior*;
  running along or ending on the bank (the boundary) is allowed. A point that itself lies in
  the water (a pier, a mis-placed point) may *leave* it: the piece of the connector that
  starts at the point is allowed, but the connector may not enter water again. Touching or
  overlapping polygons are merged first, so one water body made of several polygons (rivers
  meeting at a confluence) counts as one. A join point over water (mid-span on a bridge) can
  only be reached from the water, never from the bank.
- **lines** (walls, fences, river centre lines): a connector is blocked when it *crosses*
  the line (interiors meet at a point); starting or ending on the line, or running along it,
  is allowed.

A point on its edge (off-network leg 0 m) is never blocked.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.catalogue import DEFAULT_MAX_SNAP_M
from gisplan.errors import InputError
from gisplan.network.graph import WalkNetwork

__all__ = ["Barriers", "Snapped", "prepare_barriers", "snap_points"]


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
    max_distance_m: float = DEFAULT_MAX_SNAP_M,
    barriers: gpd.GeoDataFrame | gpd.GeoSeries | Barriers | None = None,
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
    barriers : GeoDataFrame, GeoSeries or Barriers, optional
        Water polygons and/or barrier lines (any CRS, projected to ``network.crs``). A point
        then joins the nearest edge within ``max_distance_m`` whose connector does not cross
        a barrier (rules in the module docstring); a point with no such edge is unsnapped.
        ``None`` or an empty layer gives exactly the unconstrained result.

    Returns
    -------
    Snapped

    Raises
    ------
    InputError
        Points without a CRS, or a barrier layer without a CRS or holding points.
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

    prepared = prepare_barriers(barriers, network.crs)
    valid = ~(shapely.is_empty(geoms) | pd.isna(geoms))
    idx = np.flatnonzero(valid)
    if len(idx):
        (src, tree_idx), dist = network.edge_tree.query_nearest(
            geoms[idx], max_distance=max_distance_m, return_distance=True, all_matches=False
        )
        pts = idx[src]
        if prepared is not None and len(prepared):
            pts, tree_idx, dist = _allowed_nearest(
                network, geoms, pts, tree_idx, dist, prepared, max_distance_m
            )
        _join(network, geoms, pts, tree_idx, dist, edge, along, offset, snapped_xy)
    return Snapped(ids, edge, along, offset, snapped_xy)


def _join_points(
    network: WalkNetwork, points: np.ndarray, tree_idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Position along each edge's geometry and the join point (network CRS, metres)."""
    lines = network.edge_geometry[tree_idx]
    pos = shapely.line_locate_point(lines, points)
    on_line = shapely.line_interpolate_point(lines, pos)
    return pos, shapely.get_coordinates(on_line).reshape(-1, 2)


def _join(
    network: WalkNetwork,
    geoms: np.ndarray,
    pts: np.ndarray,
    tree_idx: np.ndarray,
    dist: np.ndarray,
    edge: np.ndarray,
    along: np.ndarray,
    offset: np.ndarray,
    snapped_xy: np.ndarray,
) -> None:
    """Fill the output arrays for points ``pts`` joining edges ``tree_idx`` (in place)."""
    if len(pts) == 0:
        return
    pos, xy = _join_points(network, geoms[pts], tree_idx)
    geom_len = shapely.length(network.edge_geometry[tree_idx])
    scale = np.divide(
        network.edge_length[tree_idx], geom_len, out=np.ones_like(geom_len), where=geom_len > 0
    )
    edge[pts] = tree_idx
    along[pts] = np.clip(pos * scale, 0.0, network.edge_length[tree_idx])
    offset[pts] = dist
    snapped_xy[pts] = xy


def _allowed_nearest(
    network: WalkNetwork,
    geoms: np.ndarray,
    pts: np.ndarray,
    tree_idx: np.ndarray,
    dist: np.ndarray,
    barriers: Barriers,
    max_distance_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replace blocked nearest joins by the nearest allowed edge within ``max_distance_m``.

    The unconstrained nearest join is kept when its connector is allowed (most points);
    the others search every edge within ``max_distance_m`` (all candidate pairs at once)
    and take the nearest allowed one, ties to the lowest edge index, or become unsnapped.
    Returns the snapped point indices, their edges and off-network distances (metres).
    """
    _, xy = _join_points(network, geoms[pts], tree_idx)
    blocked = barriers.blocked(geoms[pts], xy)
    if not blocked.any():
        return pts, tree_idx, dist
    keep = ~blocked
    redo = pts[blocked]
    src, cand = network.edge_tree.query(geoms[redo], predicate="dwithin", distance=max_distance_m)
    cand_pts = redo[src]
    cand_dist = shapely.distance(geoms[cand_pts], network.edge_geometry[cand])
    ok = cand_dist <= max_distance_m
    cand_pts, cand, cand_dist = cand_pts[ok], cand[ok], cand_dist[ok]
    _, cand_xy = _join_points(network, geoms[cand_pts], cand)
    allowed = ~barriers.blocked(geoms[cand_pts], cand_xy)
    cand_pts, cand, cand_dist = cand_pts[allowed], cand[allowed], cand_dist[allowed]
    order = np.lexsort((cand, cand_dist, cand_pts))
    cand_pts, cand, cand_dist = cand_pts[order], cand[order], cand_dist[order]
    _, first = np.unique(cand_pts, return_index=True)
    new_pts = np.concatenate([pts[keep], cand_pts[first]])
    new_edge = np.concatenate([tree_idx[keep], cand[first]])
    new_dist = np.concatenate([dist[keep], cand_dist[first]])
    return new_pts, new_edge, new_dist


@dataclass(eq=False)
class Barriers:
    """Barrier geometries prepared for connector tests (see the module docstring).

    Attributes
    ----------
    crs : str
        The metric CRS of the geometries (the network's).
    polygons : numpy.ndarray of shapely.Polygon
        Water bodies, merged where they touch or overlap (metres, ``crs``).
    lines : numpy.ndarray of shapely.LineString
        Barrier lines (metres, ``crs``).
    """

    crs: str
    polygons: np.ndarray
    lines: np.ndarray
    _polygon_tree: shapely.STRtree | None = None
    _line_tree: shapely.STRtree | None = None

    def __post_init__(self) -> None:
        shapely.prepare(self.polygons)
        shapely.prepare(self.lines)
        self._polygon_tree = shapely.STRtree(self.polygons) if len(self.polygons) else None
        self._line_tree = shapely.STRtree(self.lines) if len(self.lines) else None

    def __len__(self) -> int:
        return int(len(self.polygons) + len(self.lines))

    def blocked(self, points: np.ndarray, join_xy: np.ndarray) -> np.ndarray:
        """Which connectors from ``points`` to ``join_xy`` cross a barrier.

        Parameters
        ----------
        points : numpy.ndarray of shapely.Point
            Start of each connector (the off-network point), in ``crs``.
        join_xy : numpy.ndarray, shape (k, 2)
            End of each connector (the join point on the edge), in ``crs`` (metres).

        Returns
        -------
        numpy.ndarray of bool
            True where the connector is blocked. Zero-length connectors are never blocked.
        """
        k = len(points)
        out = np.zeros(k, dtype=bool)
        if k == 0 or len(self) == 0:
            return out
        start = shapely.get_coordinates(points)
        test = np.flatnonzero(np.any(start != join_xy, axis=1))
        if len(test) == 0:
            return out
        conn = shapely.linestrings(np.stack([start[test], join_xy[test]], axis=1))
        if self._line_tree is not None:
            # bounding boxes from the tree, then the predicate with the *barrier* first:
            # shapely prepares the first argument, and the barriers are prepared once
            ci, li = self._line_tree.query(conn)
            hit = shapely.crosses(self.lines[li], conn[ci])
            out[test[ci[hit]]] = True
        if self._polygon_tree is not None:
            ci, pi = self._polygon_tree.query(conn)
            hit = shapely.intersects(self.polygons[pi], conn[ci])
            ci, pi = ci[hit], pi[hit]
            polys = self.polygons[pi]
            # meeting only the bank (boundary) is allowed
            inside = ~shapely.touches(conn[ci], polys)
            ci, pi, polys = ci[inside], pi[inside], polys[inside]
            # a point in the water may leave it: allowed when the connector's part in this
            # water body is one piece (the one that starts at the point)
            from_water = shapely.within(points[test[ci]], polys)
            leaving = np.zeros(len(ci), dtype=bool)
            if from_water.any():
                fw = np.flatnonzero(from_water)
                inter = shapely.intersection(conn[ci[fw]], polys[fw])
                parts, which = shapely.get_parts(inter, return_index=True)
                lineal = shapely.get_type_id(parts) == 1
                pieces = np.zeros(len(fw), dtype=np.int64)
                if lineal.any():
                    has, compact = np.unique(which[lineal], return_inverse=True)
                    merged = shapely.line_merge(
                        shapely.multilinestrings(parts[lineal], indices=compact)
                    )
                    pieces[has] = shapely.get_num_geometries(merged)
                leaving[fw] = pieces <= 1
            out[test[ci[~leaving]]] = True
        return out


def prepare_barriers(
    barriers: gpd.GeoDataFrame | gpd.GeoSeries | Barriers | None, crs: str
) -> Barriers | None:
    """Project and prepare a barrier layer (polygons and/or lines, any CRS) for ``crs``.

    Returns ``None`` for ``None``; an already prepared :class:`Barriers` in ``crs`` is
    returned unchanged. Empty geometries are ignored; invalid polygons are repaired.

    Raises
    ------
    InputError
        The layer has no CRS, or holds points (a barrier must be a polygon or a line).
    """
    if barriers is None:
        return None
    if isinstance(barriers, Barriers):
        if barriers.crs != crs:
            raise InputError(
                f"the prepared barriers are in {barriers.crs}, the network in {crs}",
                field="barriers",
                hint="prepare the barriers for the network's CRS",
            )
        return barriers
    if not isinstance(barriers, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise InputError(
            f"barriers must be a GeoDataFrame or GeoSeries, not {type(barriers).__name__}",
            field="barriers",
            hint="give the water polygons or barrier lines as a GeoDataFrame",
        )
    if barriers.crs is None:
        raise InputError(
            "the barrier layer has no CRS",
            field="barriers",
            hint="set its CRS (e.g. EPSG:4326)",
        )
    geoms = barriers.geometry if isinstance(barriers, gpd.GeoDataFrame) else barriers
    geoms = np.asarray(geoms.to_crs(crs).values, dtype=object)
    geoms = geoms[~(pd.isna(geoms) | shapely.is_empty(geoms))] if len(geoms) else geoms
    parts = shapely.get_parts(geoms) if len(geoms) else np.empty(0, dtype=object)
    kind = shapely.get_type_id(parts)
    if np.any(kind == 0):
        raise InputError(
            "the barrier layer holds points",
            field="barriers",
            hint="give water as polygons and walls or fences as lines",
        )
    polys = parts[kind == 3]
    lines = parts[(kind == 1) | (kind == 2)]
    lines = (
        np.asarray([shapely.LineString(g.coords) for g in lines], dtype=object)
        if np.any(kind == 2)
        else lines
    )
    if len(polys):
        bad = ~shapely.is_valid(polys)
        if bad.any():
            polys = polys.copy()
            polys[bad] = shapely.make_valid(polys[bad])
        merged = shapely.get_parts(shapely.union_all(polys))
        polys = merged[shapely.get_type_id(merged) == 3]
    return Barriers(
        crs=crs,
        polygons=np.asarray(polys, dtype=object),
        lines=np.asarray(lines, dtype=object),
    )
