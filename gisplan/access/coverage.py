"""Convenience-circle coverage of residential communities.

:class:`AccessModel` does the expensive part once: it snaps communities and amenities to the
network and runs one multi-source search per category, keeping every community's walking
*distance* (metres) to its nearest amenity of each category. :meth:`AccessModel.coverage`
then applies a :class:`~gisplan.catalogue.CircleStandard` (speed, thresholds, required set)
without searching again, so changing a threshold or the speed is instant.

:class:`CoverageResult` holds per-community minutes and met/unmet flags, completeness, the
population-weighted coverage overall and per group (county, business district), the ranked
gap list and the count of communities meeting the whole standard (the plan's "50+ circles").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplan.access.circles import CircleCoverage, assign_circles, circle_coverage
from gisplan.access.walking import nearest_source_distances, node_distances
from gisplan.catalogue import DEFAULT_MAX_SNAP_M, CircleStandard
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.jsonsafe import json_value
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import Snapped, snap_points

__all__ = ["AccessModel", "CoverageResult", "CIRCLE_TARGET"]

#: The plan's 2025 target: 50 or more completed 15-minute convenience circles.
CIRCLE_TARGET = 50

Progress = Callable[[str], None]


def _noop(_msg: str) -> None:
    pass


@dataclass(eq=False)
class AccessModel:
    """Walking distances from every community to the nearest amenity of each category.

    Build with :meth:`build`. Distances are metres along the network including both
    off-network legs; ``nan`` for an unsnapped community, ``inf`` when no amenity of the
    category is reachable.

    Attributes
    ----------
    network : WalkNetwork
    communities : GeoDataFrame
        Communities in EPSG:4326 (``id``, ``name``, ``population`` and any group columns).
    amenities : GeoDataFrame
        Amenities in EPSG:4326 (``id``, ``name``, ``category``).
    community_snap : Snapped
    amenity_snap : dict of str to Snapped
        Snapped amenities per category.
    distances_m : DataFrame
        Index: community id; one column per category (metres).
    node_dist_m : dict of str to numpy.ndarray
        Per category, the distance (metres) from every network node to the nearest amenity.
    max_snap_distance_m : float
    timings_s : dict
        Seconds spent per stage.
    barriers : GeoDataFrame or GeoSeries, optional
        Water polygons / barrier lines (any CRS) the off-network legs were not allowed to
        cross (see :mod:`gisplan.network.snapping`); ``None`` when snapping ignored them.
        What-if points and candidate layers snapped for this model use them too.
    circles : GeoDataFrame, optional
        Service circles (polygons, ``id``; :mod:`gisplan.access.circles`); ``None`` when the
        data has none.
    circle_of : Series, optional
        Community id -> circle id (``None`` outside every circle), computed once at build.
    """

    network: WalkNetwork
    communities: gpd.GeoDataFrame
    amenities: gpd.GeoDataFrame
    community_snap: Snapped
    amenity_snap: dict[str, Snapped]
    distances_m: pd.DataFrame
    node_dist_m: dict[str, np.ndarray]
    max_snap_distance_m: float
    timings_s: dict[str, float] = field(default_factory=dict)
    barriers: gpd.GeoDataFrame | gpd.GeoSeries | None = None
    circles: gpd.GeoDataFrame | None = None
    circle_of: pd.Series | None = None

    @classmethod
    def build(
        cls,
        network: WalkNetwork,
        communities: gpd.GeoDataFrame,
        amenities: gpd.GeoDataFrame,
        *,
        categories: Iterable[str],
        max_snap_distance_m: float = DEFAULT_MAX_SNAP_M,
        progress: Progress | None = None,
        barriers: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
        circles: gpd.GeoDataFrame | None = None,
    ) -> AccessModel:
        """Snap the layers and compute distances for each category.

        Parameters
        ----------
        network : WalkNetwork
        communities, amenities : GeoDataFrame
            Validated layers (any CRS; kept in EPSG:4326).
        categories : iterable of str
            Category ids to analyse; a category with no amenity gets ``inf`` everywhere.
        max_snap_distance_m : float
            Largest off-network leg in metres; farther points are reported as unsnapped.
        progress : callable, optional
            Called with a short message before each stage.
        barriers : GeoDataFrame or GeoSeries, optional
            Water polygons and/or barrier lines (any CRS): no off-network leg of a community
            or amenity may cross them (:func:`~gisplan.network.snapping.snap_points`).
        circles : GeoDataFrame, optional
            Service-circle polygons (``id``, ``name``): each community is assigned to the
            circle containing it, so :meth:`CoverageResult.circle_coverage` can count
            complete circles.
        """
        progress = progress or _noop
        timings: dict[str, float] = {}
        categories = list(categories)
        for name, layer in (("communities", communities), ("amenities", amenities)):
            if layer.crs is None:
                raise InputError(
                    f"the {name} layer has no CRS", field="crs", hint="set its CRS, e.g. EPSG:4326"
                )
        communities = communities.to_crs(WGS84)
        amenities = amenities.to_crs(WGS84)
        if len(communities) == 0:
            raise InputError(
                "the communities layer is empty", hint="give at least one residential community"
            )

        t0 = time.perf_counter()
        progress(
            f"snapping {len(communities)} communities and {len(amenities)} amenities to the network"
        )
        all_snap = snap_points(
            network,
            pd.concat([communities.geometry, amenities.geometry], ignore_index=True).set_crs(
                WGS84, allow_override=True
            ),
            ids=np.concatenate(
                [communities["id"].to_numpy(dtype=object), amenities["id"].to_numpy(dtype=object)]
            ),
            max_distance_m=max_snap_distance_m,
            barriers=barriers,
        )
        nc = len(communities)
        community_snap = all_snap.subset(np.arange(nc))
        if not community_snap.ok.any():
            raise InputError(
                f"none of the {nc} communities lies within {max_snap_distance_m:g} m of the "
                "walking network",
                field="geometry",
                hint="check that the communities layer has the right CRS (GCJ-02/BD-09 exports "
                "need converting) and covers the same area as the network",
                code="layer.off_network",
                params={"n": nc, "limit": max_snap_distance_m},
            )
        amen_snap_all = all_snap.subset(np.arange(nc, nc + len(amenities)))
        cat_values = amenities["category"].to_numpy()
        amenity_snap = {c: amen_snap_all.subset(cat_values == c) for c in categories}
        timings["snap"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        dist = {}
        node_dist = {}
        for c in categories:
            progress(f"walking distances to {c} ({int(amenity_snap[c].ok.sum())} sites)")
            nd = node_distances(network, amenity_snap[c])
            node_dist[c] = nd
            dist[c] = nearest_source_distances(
                network, amenity_snap[c], community_snap, node_dist=nd
            )
        timings["walking"] = time.perf_counter() - t0
        distances = pd.DataFrame(dist, index=pd.Index(communities["id"].to_numpy(), name="id"))
        return cls(
            network=network,
            communities=communities.reset_index(drop=True),
            amenities=amenities.reset_index(drop=True),
            community_snap=community_snap,
            amenity_snap=amenity_snap,
            distances_m=distances,
            node_dist_m=node_dist,
            max_snap_distance_m=float(max_snap_distance_m),
            timings_s=timings,
            barriers=barriers,
            circles=circles,
            circle_of=None if circles is None else assign_circles(communities, circles),
        )

    @property
    def categories(self) -> list[str]:
        """Category ids the model has distances for (build-time)."""
        return list(self.distances_m.columns)

    def snap(
        self,
        points: gpd.GeoDataFrame | gpd.GeoSeries,
        *,
        ids: pd.Series | np.ndarray | list | None = None,
    ) -> Snapped:
        """Join points to the network with the model's snapping context.

        The same largest off-network leg (``max_snap_distance_m``, metres) and barriers as the
        model's communities and amenities; what-if points and candidate layers use this, so
        no caller picks its own.  ``points`` in any CRS.
        """
        return snap_points(
            self.network,
            points,
            ids=ids,
            max_distance_m=self.max_snap_distance_m,
            barriers=self.barriers,
        )

    @property
    def unsnapped_community_ids(self) -> list:
        """Ids of communities farther than the snapping distance from the network."""
        return self.community_snap.unsnapped_ids

    @property
    def unsnapped_amenity_ids(self) -> dict[str, list]:
        """Per category, ids of amenities farther than the snapping distance (if any)."""
        return {c: s.unsnapped_ids for c, s in self.amenity_snap.items() if (~s.ok).any()}

    def coverage(
        self,
        standard: CircleStandard,
        *,
        group_columns: Iterable[str] = ("county", "business_district"),
    ) -> CoverageResult:
        """Apply a circle standard to the cached distances (no new search).

        Only the re-applied parameters of ``standard`` are used: walking speed, thresholds
        and the required set.  The build-time ones (categories, snapping distance, barriers)
        are the model's; a standard with another snapping distance is refused rather than
        reported as if it had been applied.  The model is not modified (it may be shared
        between app sessions); the time taken is on the result (``time_s``).
        """
        t0 = time.perf_counter()
        if abs(standard.max_snap_distance_m - self.max_snap_distance_m) > 1e-9:
            raise InputError(
                f"the standard snaps within {standard.max_snap_distance_m:g} m but the access "
                f"model was built with {self.max_snap_distance_m:g} m",
                field="max_snap_distance_m",
                hint="rebuild the AccessModel with this snapping distance",
            )
        missing = [c for c in standard.ids if c not in self.distances_m.columns]
        if missing:
            raise InputError(
                "the access model has no distances for " + ", ".join(missing),
                field="categories",
                hint="rebuild the AccessModel with these categories",
            )
        result = CoverageResult.from_distances(
            self.communities,
            self.distances_m,
            standard,
            group_columns=[g for g in group_columns if g in self.communities.columns],
            unsnapped_communities=self.unsnapped_community_ids,
            unsnapped_amenities=self.unsnapped_amenity_ids,
            amenity_counts={c: int(s.ok.sum()) for c, s in self.amenity_snap.items()},
        )
        result.circles = self.circles
        result.circle_of = self.circle_of
        result.time_s = time.perf_counter() - t0
        return result


@dataclass(eq=False)
class CoverageResult:
    """Coverage of communities under one circle standard.

    Attributes
    ----------
    table : GeoDataFrame (EPSG:4326)
        One row per community: ``id``, ``name``, ``population`` (with ``population_estimated``
        and ``population_method`` when the layer has them), group columns, ``snapped``,
        ``minutes_<category>`` (walking minutes, ``inf`` unreachable, ``nan`` unsnapped),
        ``met_<category>``, ``required_met`` (count), ``completeness`` (share of required
        categories met, 0–1), ``complete`` (whole standard met) and ``missing`` (required
        categories not met, comma-separated ids).
    standard : CircleStandard
    circles, circle_of
        The service circles and each community's circle (from the :class:`AccessModel`);
        ``None`` without a circles layer.
    time_s : float
        Seconds :meth:`AccessModel.coverage` took (0 when built otherwise).
    """

    table: gpd.GeoDataFrame
    standard: CircleStandard
    group_columns: list[str]
    unsnapped_communities: list
    unsnapped_amenities: dict[str, list]
    amenity_counts: dict[str, int]
    circles: gpd.GeoDataFrame | None = None
    circle_of: pd.Series | None = None
    time_s: float = 0.0

    @classmethod
    def from_distances(
        cls,
        communities: gpd.GeoDataFrame,
        distances_m: pd.DataFrame,
        standard: CircleStandard,
        *,
        group_columns: list[str],
        unsnapped_communities: list | None = None,
        unsnapped_amenities: dict | None = None,
        amenity_counts: dict | None = None,
    ) -> CoverageResult:
        """Coverage from per-community walking distances (metres) under ``standard``."""
        keep = [
            c
            for c in (
                "id",
                "name",
                "population",
                "population_estimated",
                "population_method",
                *group_columns,
                "source",
            )
            if c in communities.columns
        ]
        table = gpd.GeoDataFrame(
            communities[keep].copy(), geometry=communities.geometry.values, crs=communities.crs
        )
        d = distances_m.reindex(communities["id"].to_numpy())
        mpm = standard.metres_per_minute
        table["snapped"] = ~d.isna().all(axis=1).to_numpy() if len(d.columns) else True
        required = standard.required_ids
        met_required = np.zeros(len(table), dtype=int)
        missing_lists: list[list[str]] = [[] for _ in range(len(table))]
        for cat in standard.ids:
            minutes = d[cat].to_numpy(dtype=float) / mpm
            met = standard.met(cat, minutes)
            table[f"minutes_{cat}"] = np.round(minutes, 2)
            table[f"met_{cat}"] = met
            if cat in required:
                met_required += met
                for i in np.flatnonzero(~met):
                    missing_lists[i].append(cat)
        table["required_met"] = met_required
        table["completeness"] = met_required / len(required) if required else 1.0
        table["complete"] = met_required == len(required)
        table["missing"] = [",".join(m) for m in missing_lists]
        return cls(
            table=table,
            standard=standard,
            group_columns=list(group_columns),
            unsnapped_communities=list(unsnapped_communities or []),
            unsnapped_amenities=dict(unsnapped_amenities or {}),
            amenity_counts=dict(amenity_counts or {}),
        )

    # -- aggregates ------------------------------------------------------------------------
    @property
    def total_population(self) -> int:
        """Residents of all communities (people)."""
        return int(self.table["population"].sum())

    @property
    def communities_complete(self) -> int:
        """Number of communities meeting the whole required standard."""
        return int(self.table["complete"].sum())

    def circle_coverage(self, level: float | None = None) -> CircleCoverage | None:
        """Per-circle residents, share served and completeness; ``None`` without circles.

        ``level`` (0–1) overrides the standard's ``circle_complete_share`` (default 0.8).
        """
        if self.circles is None or self.circle_of is None:
            return None
        return circle_coverage(
            self.table,
            self.circle_of,
            self.circles,
            self.standard.required_ids,
            self.standard.circle_complete_share if level is None else float(level),
        )

    @property
    def circles_complete(self) -> int | None:
        """Number of complete service circles (the plan's 50+); ``None`` = not available.

        Not available when the data has no circles layer: a count of communities (小区)
        is a different thing and is never given in its place.
        """
        cc = self.circle_coverage()
        return None if cc is None else cc.complete_count

    def population_coverage(self, by: str | None = None) -> pd.DataFrame:
        """Share of population within each category's threshold, and under the full standard.

        Returns a DataFrame with one row overall (``by=None``) or one row per group value,
        columns ``population``, ``communities``, one share column per category (0–1),
        ``complete`` (population share meeting the whole standard), ``communities_complete``.
        Unsnapped communities count as not served.
        """
        t = self.table
        pop = t["population"].astype(float)
        cols = {f"met_{c}": c for c in self.standard.ids}
        frame = pd.DataFrame({c: t[m].astype(float) * pop for m, c in cols.items()})
        frame["complete"] = t["complete"].astype(float) * pop
        frame["population"] = pop
        frame["communities"] = 1
        frame["communities_complete"] = t["complete"].astype(int)
        if by is None:
            sums = frame.sum().to_frame().T
            sums.index = pd.Index(["全部 All"], name="group")
        else:
            sums = frame.groupby(t[by].fillna("（未知 unknown）").to_numpy()).sum()
            sums.index.name = by
        denom = sums["population"].replace(0, np.nan)
        for c in [*self.standard.ids, "complete"]:
            sums[c] = (sums[c] / denom).fillna(0.0)
        sums["population"] = sums["population"].astype(int)
        return sums[
            ["population", "communities", *self.standard.ids, "complete", "communities_complete"]
        ]

    def gaps(self, limit: int | None = None) -> pd.DataFrame:
        """Communities that do not meet the whole standard, most populous first.

        Columns: ``id``, ``name``, ``population``, group columns, ``missing`` (ids),
        ``missing_zh`` (Chinese names) and ``minutes_<category>`` of the missing categories.
        """
        t = self.table.loc[~self.table["complete"]].copy()
        t = t.sort_values(["population", "id"], ascending=[False, True])
        zh = {c.id: c.name_zh for c in self.standard.categories}
        t["missing_zh"] = t["missing"].map(lambda s: "、".join(zh[c] for c in s.split(",") if c))
        cols = [
            "id",
            "name",
            "population",
            *self.group_columns,
            "snapped",
            "missing",
            "missing_zh",
            *[f"minutes_{c}" for c in self.standard.required_ids],
        ]
        out = pd.DataFrame(t[[c for c in cols if c in t.columns]]).reset_index(drop=True)
        return out if limit is None else out.head(limit)

    def summary(self, *, gap_limit: int = 50) -> dict:
        """A JSON-ready summary: standard, overall and per-group coverage, gaps, circle target."""
        std = self.standard

        def frame_records(df: pd.DataFrame) -> dict:
            out = {}
            for key, row in df.iterrows():
                out[str(key)] = {
                    "population": int(row["population"]),
                    "communities": int(row["communities"]),
                    "communities_complete": int(row["communities_complete"]),
                    "coverage": {c: round(float(row[c]), 4) for c in std.ids},
                    "complete": round(float(row["complete"]), 4),
                }
            return out

        overall = frame_records(self.population_coverage())["全部 All"]
        cc = self.circle_coverage()
        gaps = self.gaps(limit=gap_limit)
        sources = (
            sorted(set(self.table["source"].dropna().astype(str))) if "source" in self.table else []
        )
        return {
            "standard": {
                "walking_speed_kmh": std.walking_speed_kmh,
                "max_snap_distance_m": std.max_snap_distance_m,
                "thresholds_min": {c.id: c.minutes for c in std.categories},
                "required": std.required_ids,
                "categories": {
                    c.id: {"name_zh": c.name_zh, "name_en": c.name_en} for c in std.categories
                },
            },
            "data_sources": sources,
            "synthetic": "synthetic" in sources,
            "communities": int(len(self.table)),
            "population": self.total_population,
            "amenity_counts": self.amenity_counts,
            "overall": overall,
            "by_group": {
                g: frame_records(self.population_coverage(by=g)) for g in self.group_columns
            },
            "communities_complete": self.communities_complete,
            "circle_target": CIRCLE_TARGET,
            "circles": {
                "available": cc is not None,
                "total": None if cc is None else cc.total,
                "complete": None if cc is None else cc.complete_count,
                "level": std.circle_complete_share,
                "residents_outside_circles": None if cc is None else cc.residents_outside,
            },
            # counts circles, not communities; None (not available) without a circles layer
            "circle_target_met": None if cc is None else cc.complete_count >= CIRCLE_TARGET,
            "unsnapped_communities": [str(i) for i in self.unsnapped_communities],
            "unsnapped_amenities": {
                c: [str(i) for i in v] for c, v in self.unsnapped_amenities.items()
            },
            "gap_count": int((~self.table["complete"]).sum()),
            "gaps": [json_value(rec) for rec in gaps.to_dict(orient="records")],
        }
