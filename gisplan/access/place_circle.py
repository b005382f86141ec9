"""The 15-minute circle of one place: what a resident reaches on foot from home.

:class:`CircleFinder` answers, for one place (a community of the model, or a tapped
longitude/latitude), the questions a resident asks:

- the nearest amenity of every catalogue category, with its id, name and walking minutes;
- the areas reachable on foot within 5, 10 and 15 minutes, drawn from the street network;
- whether the place meets the circle standard in force (by default "5-minute convenience
  store + 10-minute wet market + 15-minute supermarket") and what is missing;
- how far the nearest business districts and pedestrian streets are (:meth:`CircleFinder.nearest_features`).

Each answer is **one bounded search** on the model's network: the place is joined to the
network as every point is (:func:`~gisplan.network.snapping.snap_points`, the model's
snapping distance and water barriers; a community reuses the model's own join), and one
Dijkstra search (:func:`~gisplan.access.walking.node_distances`) runs from it with a
limit of the longest ring or threshold plus a margin (:data:`SEARCH_MARGIN`): 20 minutes'
walk (1,333 m at 4 km/h) for the default standard. Amenity distances come from the same
search (:func:`~gisplan.access.walking.nearest_source_distances`, both off-network legs
included), the areas from the same distances
(:func:`~gisplan.access.service_area.reachable_lines` and
:func:`~gisplan.access.service_area.buffer_lines`). Nothing is rebuilt per request, and
the work per request depends on the search bound, not on the size of the city (apart
from linear passes over arrays the server already holds).

An amenity beyond the bound is reported as beyond it (``minutes = inf``), never guessed.
Whether a category is met is decided by the coverage rule itself
(:meth:`~gisplan.access.coverage.CoverageResult.from_distances`), so a place and a
community in the coverage table can never disagree.

Coordinates: input and output in EPSG:4326 (degrees); distances in metres, times in
minutes at the standard's walking speed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.access.coverage import AccessModel, CoverageResult
from gisplan.access.service_area import FRONTAGE_M, buffer_lines, reachable_lines
from gisplan.access.walking import nearest_source_distances, node_distances
from gisplan.catalogue import CircleStandard
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.network.snapping import Barriers, Snapped, prepare_barriers, snap_points
from gisplan.params import point_lonlat

__all__ = [
    "RINGS_MIN",
    "SEARCH_MARGIN",
    "FEATURE_REACH_M",
    "CircleFinder",
    "NearestAmenity",
    "OutsideAreaError",
    "PlaceCircle",
]

#: Walking-time rings drawn around a place (minutes).
RINGS_MIN: tuple[float, ...] = (5.0, 10.0, 15.0)

#: The search reaches this share beyond the longest ring or threshold (1/3: 15 -> 20 min),
#: so an amenity just beyond the standard is still named with its minutes.
SEARCH_MARGIN = 1.0 / 3.0

#: A pedestrian street or business district counts as reached on foot from a network node
#: within this straight distance of it (metres): the node's walking distance plus the gap.
FEATURE_REACH_M = 60.0


class OutsideAreaError(InputError):
    """The place lies outside the area the dataset covers (nothing there can be answered)."""


@dataclass(frozen=True)
class NearestAmenity:
    """The nearest amenity of one category from a place.

    Attributes
    ----------
    category : str
        Catalogue id.
    threshold_min : float
        The standard's walking-time threshold for the category (minutes).
    required : bool
        Whether the category is part of the standard's required set.
    met : bool
        Within the threshold (the coverage rule).
    id, name : str or None
        The amenity; ``None`` when none lies within the search bound.
    minutes : float
        Walking minutes including both off-network legs; ``inf`` beyond the search bound.
    distance_m : float
        The same walk in metres (``inf`` beyond the bound).
    lon, lat : float
        The amenity's position (EPSG:4326); ``nan`` when none was reached.
    """

    category: str
    threshold_min: float
    required: bool
    met: bool
    id: str | None
    name: str | None
    minutes: float
    distance_m: float
    lon: float = float("nan")
    lat: float = float("nan")

    @property
    def reached(self) -> bool:
        """An amenity of the category lies within the search bound."""
        return self.id is not None


@dataclass(eq=False)
class PlaceCircle:
    """What can be reached on foot from one place (see the module docstring).

    Attributes
    ----------
    lon, lat : float
        The place (EPSG:4326): the community's point or the tapped position.
    community_id, community_name : str or None
        The community, when the place is one.
    offset_m : float
        Straight leg (metres) from the place to its join point on the nearest street.
    standard : CircleStandard
    bound_min : float
        The search bound (minutes); farther amenities are "beyond" it.
    nearest : list of NearestAmenity
        One per category of the standard, catalogue order.
    areas : GeoDataFrame (EPSG:4326)
        One row per ring: ``minutes`` and the (multi)polygon of the streets reachable within
        it plus the street frontage (``buffer_m``); empty geometry when nothing is reached.
        Largest ring first (for drawing).
    missing : list of str
        Required categories not met (catalogue ids).
    engine_s : float
        Seconds spent computing this answer.
    """

    lon: float
    lat: float
    community_id: str | None
    community_name: str | None
    offset_m: float
    standard: CircleStandard
    bound_min: float
    nearest: list[NearestAmenity]
    areas: gpd.GeoDataFrame
    missing: list[str]
    engine_s: float
    node_dist_m: np.ndarray = field(repr=False)
    snapped: Snapped = field(repr=False)

    @property
    def meets_standard(self) -> bool:
        """Every required category is within its threshold."""
        return not self.missing

    def amenity(self, category: str) -> NearestAmenity:
        """The entry of ``category``."""
        for a in self.nearest:
            if a.category == category:
                return a
        raise KeyError(category)

    def table(self) -> pd.DataFrame:
        """The nearest amenities as a table (one row per category, catalogue order)."""
        return pd.DataFrame(
            [
                {
                    "category": a.category,
                    "required": a.required,
                    "threshold_min": a.threshold_min,
                    "id": a.id,
                    "name": a.name,
                    "minutes": a.minutes,
                    "distance_m": a.distance_m,
                    "met": a.met,
                }
                for a in self.nearest
            ]
        )


@dataclass(eq=False)
class CircleFinder:
    """Answers "my 15-minute circle" for any place on an :class:`AccessModel`'s network.

    Build it once per model and standard (it only gathers arrays the model already holds:
    the amenities' joins to the network, prepared water barriers); each
    :meth:`from_community` / :meth:`from_lonlat` call is one bounded search.

    Parameters
    ----------
    model : AccessModel
        Network, snapped amenities and communities (built with every category of
        ``standard``).
    standard : CircleStandard
        Speed, thresholds and required set in force.
    rings_min : sequence of float
        Walking-time rings to draw (minutes), default :data:`RINGS_MIN`.
    buffer_m : float
        Street-frontage width of the ring areas (metres).
    """

    model: AccessModel
    standard: CircleStandard
    rings_min: Sequence[float] = RINGS_MIN
    buffer_m: float = FRONTAGE_M

    def __post_init__(self) -> None:
        cats = [c for c in self.standard.ids if c in self.model.amenity_snap]
        missing = [c for c in self.standard.ids if c not in self.model.amenity_snap]
        if missing:
            raise InputError(
                "the access model has no amenities layer for " + ", ".join(missing),
                field="categories",
                hint="build the AccessModel with every category of the standard",
            )
        self.rings_min = tuple(sorted(float(r) for r in self.rings_min))
        if not self.rings_min or self.rings_min[0] <= 0:
            raise InputError("walking-time rings must be positive minutes", field="rings_min")
        longest = max(max(self.rings_min), *(self.standard.threshold_minutes(c) for c in cats))
        self.bound_min = longest * (1.0 + SEARCH_MARGIN)
        self.bound_m = self.bound_min * self.standard.metres_per_minute
        snaps = [self.model.amenity_snap[c] for c in cats]
        self._amenity_snap = Snapped.concat(snaps)
        self._amenity_code = np.repeat(np.arange(len(cats)), [len(s) for s in snaps])
        amen = self.model.amenities.set_index(self.model.amenities["id"].astype(str))
        ids = self._amenity_snap.ids.astype(str)
        self._amenity_name = amen["name"].reindex(ids).astype(str).to_numpy(dtype=object)
        geom = amen.geometry.reindex(ids).values
        self._amenity_xy = np.column_stack([shapely.get_x(geom), shapely.get_y(geom)])
        # the two end nodes of each amenity's edge (unsnapped ones: node 0, never used)
        edge = np.where(self._amenity_snap.ok, self._amenity_snap.edge, 0)
        self._amenity_u = self.model.network.edge_u[edge]
        self._amenity_v = self.model.network.edge_v[edge]
        self._cats = cats
        self._barriers: Barriers | None = prepare_barriers(
            self.model.barriers, self.model.network.crs
        )
        self._community_pos = pd.Index(self.model.communities["id"].astype(str))
        net = self.model.network
        lo = net.node_xy.min(axis=0) - self.model.max_snap_distance_m
        hi = net.node_xy.max(axis=0) + self.model.max_snap_distance_m
        box = gpd.GeoSeries([shapely.box(*lo, *hi)], crs=net.crs).to_crs(WGS84)
        #: The area (EPSG:4326 bounds: west, south, east, north) a tapped place must lie in.
        self.area_bounds = tuple(float(v) for v in box.total_bounds)
        self._area = box.iloc[0]
        self._community_tree: shapely.STRtree | None = None

    # -- places ----------------------------------------------------------------------------
    def from_community(self, community_id: str) -> PlaceCircle:
        """The circle of a community of the model (its own join to the network).

        Raises
        ------
        InputError
            Unknown community id, or a community farther than the snapping distance from
            every street.
        """
        t0 = time.perf_counter()
        cid = str(community_id)
        pos = self._community_pos.get_indexer([cid])[0]
        if pos < 0:
            raise InputError(
                f"no community with id {cid!r}",
                field="community",
                hint="choose a community of the dataset by name",
            )
        row = self.model.communities.iloc[pos]
        snap = self.model.community_snap.subset(np.array([pos]))
        if not snap.ok[0]:
            raise InputError(
                f"the community {row['name']} is more than "
                f"{self.model.max_snap_distance_m:g} m from the walking network",
                field="community",
                hint="tap a street near it on the map instead",
            )
        geom = row.geometry
        return self._answer(snap, geom.x, geom.y, cid, str(row["name"]), t0)

    def from_lonlat(self, lon: float, lat: float) -> PlaceCircle:
        """The circle of a tapped place (degrees, EPSG:4326).

        Raises
        ------
        InputError
            Coordinates that are not finite numbers, or a point farther than the snapping
            distance from the walking network (on its side of any water).
        OutsideAreaError
            The point lies outside the dataset's area.
        """
        t0 = time.perf_counter()
        lon, lat = point_lonlat(lon, lat)
        if not self._area.contains(shapely.Point(lon, lat)):
            raise OutsideAreaError(
                f"({lon:.5f}, {lat:.5f}) lies outside the area of this dataset",
                field="lon/lat",
                hint="tap a place inside the area shown on the map",
            )
        snap = snap_points(
            self.model.network,
            gpd.GeoSeries([shapely.Point(lon, lat)], crs=WGS84),
            ids=np.array(["place"], dtype=object),
            max_distance_m=self.model.max_snap_distance_m,
            barriers=self._barriers,
        )
        if not snap.ok[0]:
            raise InputError(
                f"the place is more than {self.model.max_snap_distance_m:g} m from the "
                "walking network",
                field="lon/lat",
                hint="tap on or next to a street",
            )
        return self._answer(snap, lon, lat, None, None, t0)

    def community_at(self, lon: float, lat: float, *, within_m: float = 40.0) -> str | None:
        """The id of the community nearest to a tapped point (degrees), or ``None``.

        Only a community within ``within_m`` metres counts: a tap on a community's dot means
        that community, a tap elsewhere the tapped place.
        """
        if self._community_tree is None:
            pts = self.model.communities.geometry.to_crs(self.model.network.crs).values
            self._community_tree = shapely.STRtree(np.asarray(pts, dtype=object))
        try:
            p = gpd.GeoSeries([shapely.Point(float(lon), float(lat))], crs=WGS84)
            p = p.to_crs(self.model.network.crs).iloc[0]
        except (TypeError, ValueError):
            return None
        if p.is_empty or not np.isfinite([p.x, p.y]).all():
            return None
        hit = self._community_tree.query_nearest(p, max_distance=within_m, all_matches=False)
        return str(self._community_pos[int(hit[0])]) if len(hit) else None

    def street_lines(
        self, circle: PlaceCircle | None = None, *, max_edges: int = 20_000
    ) -> gpd.GeoSeries:
        """Streets to draw for context (EPSG:4326 lines).

        Around a place: the streets in the box of the largest ring plus twice the frontage
        around it (what the map frames; bounded work, whatever the size of the city; a
        resident who pans farther sees the water and the communities). Without a place: every
        street when there are at most ``max_edges``, else none.
        """
        net = self.model.network
        if circle is not None:
            x, y = self._place_xy(circle)
            r = max(self.rings_min) * self.standard.metres_per_minute + 2 * self.buffer_m
            idx = net.edge_tree.query(shapely.box(x - r, y - r, x + r, y + r))
            idx = np.sort(idx)[:max_edges]
        elif net.n_edges <= max_edges:
            idx = np.arange(net.n_edges)
        else:
            idx = np.empty(0, dtype=np.int64)
        return gpd.GeoSeries(net.edge_geometry[idx], crs=net.crs).to_crs(WGS84)

    # -- the search ------------------------------------------------------------------------
    def _answer(
        self,
        snap: Snapped,
        lon: float,
        lat: float,
        community_id: str | None,
        community_name: str | None,
        t0: float,
    ) -> PlaceCircle:
        net = self.model.network
        std = self.standard
        mpm = std.metres_per_minute
        node_dist = node_distances(net, snap, limit_m=self.bound_m)
        # Only amenities on an edge with a reached end, or on the place's own edge, can be
        # within the bound: the others are not looked at (the work stays local in a city).
        reach = np.isfinite(node_dist)
        edge = int(snap.edge[0])
        near = np.flatnonzero(
            reach[self._amenity_u] | reach[self._amenity_v] | (self._amenity_snap.edge == edge)
        )
        to_near = nearest_source_distances(
            net, snap, self._amenity_snap.subset(near), node_dist=node_dist, limit_m=self.bound_m
        )
        to_near = np.where(np.isnan(to_near), np.inf, to_near)  # unsnapped never count
        code = self._amenity_code[near]
        best: dict[str, int | None] = {}
        dist_m: dict[str, float] = {}
        for i, c in enumerate(self._cats):
            mine = np.flatnonzero(code == i)
            j = int(mine[np.argmin(to_near[mine])]) if len(mine) else -1
            ok = j >= 0 and np.isfinite(to_near[j])
            best[c] = int(near[j]) if ok else None
            dist_m[c] = float(to_near[j]) if ok else np.inf
        # Met / missing by the coverage rule itself (one row: this place).
        one = gpd.GeoDataFrame(
            {"id": ["place"], "name": [""], "population": [0]},
            geometry=[shapely.Point(lon, lat)],
            crs=WGS84,
        )
        verdict = CoverageResult.from_distances(
            one,
            pd.DataFrame(dist_m, index=pd.Index(["place"], name="id")),
            std,
            group_columns=[],
        ).table.iloc[0]
        nearest = []
        for c in self._cats:
            k = best[c]
            nearest.append(
                NearestAmenity(
                    category=c,
                    threshold_min=std.threshold_minutes(c),
                    required=std[c].required,
                    met=bool(verdict[f"met_{c}"]),
                    id=None if k is None else str(self._amenity_snap.ids[k]),
                    name=None if k is None else str(self._amenity_name[k]),
                    minutes=dist_m[c] / mpm,
                    distance_m=dist_m[c],
                    lon=np.nan if k is None else float(self._amenity_xy[k, 0]),
                    lat=np.nan if k is None else float(self._amenity_xy[k, 1]),
                )
            )
        local = self._edges_near(snap)
        geoms = [
            buffer_lines(
                reachable_lines(net, node_dist, r * mpm, sources=snap, edges=local),
                self.buffer_m,
            )
            for r in reversed(self.rings_min)
        ]
        areas = gpd.GeoDataFrame(
            {"minutes": list(reversed(self.rings_min))}, geometry=geoms, crs=net.crs
        ).to_crs(WGS84)
        missing = [c for c in str(verdict["missing"]).split(",") if c]
        return PlaceCircle(
            lon=float(lon),
            lat=float(lat),
            community_id=community_id,
            community_name=community_name,
            offset_m=float(snap.offset_m[0]),
            standard=std,
            bound_min=self.bound_min,
            nearest=nearest,
            areas=areas,
            missing=missing,
            engine_s=time.perf_counter() - t0,
            node_dist_m=node_dist,
            snapped=snap,
        )

    def _edges_near(self, snap: Snapped) -> np.ndarray:
        """Edges that can hold a piece of the rings (indices into the network's edges).

        Those whose box meets the square of half-side :attr:`bound_m` around the join point:
        every node reached within the bound lies inside it, as does the place's own edge.
        """
        x, y = snap.snapped_xy[0]
        r = self.bound_m
        return self.model.network.edge_tree.query(shapely.box(x - r, y - r, x + r, y + r))

    # -- business districts, pedestrian streets -------------------------------------------
    def nearest_features(
        self, circle: PlaceCircle, layer: gpd.GeoDataFrame, *, limit: int = 3
    ) -> pd.DataFrame:
        """The features of ``layer`` (districts, streets; any CRS) nearest to the place.

        Returns the layer's attribute columns (no geometry) for the ``limit`` nearest
        features, plus:

        - ``straight_m``: straight-line distance from the place (metres; 0 inside);
        - ``walking_m``: walking distance when the feature is reached within the search
          bound — the place's own search to a street node inside the feature or within
          :data:`FEATURE_REACH_M` of it, plus that last gap — else ``nan``;
        - ``inside``: the place lies inside the feature (areas).

        Sorted by walking distance where known, else by the straight distance (never less
        than the bound, which every feature not reached lies beyond).
        """
        if layer is None or not len(layer):
            return pd.DataFrame(columns=["straight_m", "walking_m", "inside"])
        net = self.model.network
        geoms = np.asarray(layer.to_crs(net.crs).geometry.values, dtype=object)
        place = shapely.points(*self._place_xy(circle))
        straight = shapely.distance(place, geoms)
        inside = shapely.contains(geoms, place) & (shapely.get_dimensions(geoms) == 2)
        reached = np.flatnonzero(np.isfinite(circle.node_dist_m))
        walking = np.full(len(geoms), np.nan)
        if len(reached):
            pts = shapely.points(net.node_xy[reached])
            for k, g in enumerate(geoms):
                gap = shapely.distance(pts, g)
                near = gap <= FEATURE_REACH_M
                if near.any():
                    walking[k] = float(np.min(circle.node_dist_m[reached][near] + gap[near]))
        walking[inside] = 0.0
        walking[walking > self.bound_m] = np.nan
        out = pd.DataFrame(layer.drop(columns=layer.geometry.name)).reset_index(drop=True)
        out["straight_m"] = np.where(inside, 0.0, straight)
        out["walking_m"] = walking
        out["inside"] = inside
        key = np.where(np.isnan(walking), np.maximum(straight, self.bound_m), walking)
        order = np.lexsort((straight, key))
        return out.iloc[order[:limit]].reset_index(drop=True)

    def _place_xy(self, circle: PlaceCircle) -> tuple[float, float]:
        """The place in the network's metric CRS (metres)."""
        p = gpd.GeoSeries([shapely.Point(circle.lon, circle.lat)], crs=WGS84).to_crs(
            self.model.network.crs
        )
        return float(p.iloc[0].x), float(p.iloc[0].y)
