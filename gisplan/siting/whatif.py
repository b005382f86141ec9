"""What-if: the effect of opening one new amenity at a given point, at interactive speed.

Uses the distances cached in the :class:`~gisplan.access.coverage.AccessModel` and one search
from the new point bounded by the category's walking threshold: a community's distance to the
category becomes ``min(cached distance, distance to the new site)``. The numbers are the same
as rebuilding the model with the amenity appended (tested).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.access.coverage import AccessModel
from gisplan.access.service_area import FRONTAGE_M, service_area
from gisplan.access.walking import nearest_source_distances, node_distances
from gisplan.catalogue import CircleStandard
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.params import point_lonlat
from gisplan.siting.plan import _check_category, met_matrix, threshold_m

__all__ = ["WhatIf", "what_if"]


@dataclass(eq=False)
class WhatIf:
    """Effect of one new amenity of ``category`` at (``lon``, ``lat``), EPSG:4326.

    Attributes
    ----------
    category : str
    lon, lat : float
        The new site, degrees WGS-84.
    offset_m : float
        Off-network leg from the site to the nearest walkable edge (metres).
    newly_served_population : int
        People in communities brought within the category's threshold.
    newly_served_ids : list of str
        Those communities.
    newly_complete_ids : list of str
        Communities that now meet the whole required standard and did not before.
    new_minutes : pandas.Series
        Index community id: walking minutes to the nearest amenity of the category with the
        new site open (``inf`` unreachable, ``nan`` unsnapped). The search from the new site
        stops at ``search_limit_m`` (default: the threshold), so a community farther than that
        from the new site keeps its cached minutes even if the new site is nearer.
    minutes_to_site : pandas.Series
        Index community id: walking minutes to the new site, for communities within its
        threshold only.
    service_area : GeoSeries (EPSG:4326)
        One polygon: the streets within the threshold of the new site (40 m frontage buffer).
    time_s : float
    """

    category: str
    lon: float
    lat: float
    offset_m: float
    newly_served_population: int
    newly_served_ids: list
    newly_complete_ids: list
    new_minutes: pd.Series
    minutes_to_site: pd.Series
    service_area: gpd.GeoSeries
    time_s: float
    area: dict | None = None

    def to_dict(self) -> dict:
        """JSON-ready summary (without the per-community series and the polygon)."""
        return {
            "category": self.category,
            "lon": self.lon,
            "lat": self.lat,
            "offset_m": round(self.offset_m, 2),
            "newly_served_population": self.newly_served_population,
            "newly_served_ids": self.newly_served_ids,
            "newly_complete_ids": self.newly_complete_ids,
            "time_s": round(self.time_s, 4),
            "area": self.area,
        }


def what_if(
    model: AccessModel,
    standard: CircleStandard,
    category: str,
    lon: float,
    lat: float,
    *,
    buffer_m: float = FRONTAGE_M,
    with_service_area: bool = True,
    search_limit_m: float | None = None,
    planned_sites: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    area=None,
) -> WhatIf:
    """People newly served and circles completed by one new ``category`` site at ``lon, lat``.

    Parameters
    ----------
    model : AccessModel
        Cached distances (existing amenities stay open).
    standard : CircleStandard
        Speed, thresholds and required set (the model's snapping distance is used).
    lon, lat : float
        Degrees in WGS-84 (EPSG:4326).
    buffer_m : float
        Street-frontage width of the service-area polygon (metres).
    with_service_area : bool
        Skip the polygon when only the numbers are needed.
    search_limit_m : float, optional
        Bound of the search from the new site (metres); default the category's threshold,
        which is all the served / complete figures need. ``numpy.inf`` makes ``new_minutes``
        exact everywhere at the cost of a full search.
    planned_sites : GeoDataFrame or GeoSeries, optional
        New sites of the same category already planned (e.g. the optimiser's choice and
        hand-placed sites), any CRS. They count as open before the new site: the figures are
        what the new site adds on top of existing amenities *and* these (one extra search).
    area : gisplan.siting.area.Area, optional
        Planning area: ``WhatIf.area`` then splits the people newly served and the circles
        completed into inside / outside the area (``name``, ``newly_served_population_inside``,
        ``_outside``, ``newly_complete_inside``, ``_outside``).

    Raises
    ------
    InputError
        Unknown category, coordinates that are not numbers, or a point farther than the
        model's snapping distance from the walking network.
    """
    t0 = time.perf_counter()
    planning_area = area
    _check_category(model, standard, category)
    lon, lat = point_lonlat(lon, lat)
    net = model.network
    site = model.snap(
        gpd.GeoSeries([shapely.Point(lon, lat)], crs=WGS84),
        ids=np.array(["what-if"], dtype=object),
    )
    if not site.ok[0]:
        raise InputError(
            f"the point is more than {model.max_snap_distance_m:g} m from the walking network"
            + (" on its side of the water" if model.barriers is not None else ""),
            field="lon/lat",
            hint="click on or next to a street",
            code="point.off_network",
            params={"limit": model.max_snap_distance_m, "water": model.barriers is not None},
        )
    thr = threshold_m(standard, category)
    limit = thr if search_limit_m is None else max(float(search_limit_m), thr)
    node_dist = node_distances(net, site, limit_m=limit)
    to_site = nearest_source_distances(
        net, site, model.community_snap, node_dist=node_dist, limit_m=limit
    )

    ids = model.communities["id"].to_numpy()
    dist = model.distances_m.reindex(ids)
    if planned_sites is not None and len(planned_sites):
        planned = model.snap(
            planned_sites.geometry
            if isinstance(planned_sites, gpd.GeoDataFrame)
            else planned_sites,
            ids=np.array([f"planned{i}" for i in range(len(planned_sites))], dtype=object),
        )
        to_planned = nearest_source_distances(net, planned, model.community_snap)
        base = dist[category].to_numpy(dtype=float)
        dist = dist.copy()
        dist[category] = np.where(np.isnan(base), base, np.fmin(base, to_planned))
    required = [c for c in standard.required_ids if c in dist.columns]
    cats = list(dict.fromkeys([*required, category]))
    met_before = met_matrix(dist, standard, cats)
    after = dist.copy()
    old = dist[category].to_numpy(dtype=float)
    new = np.where(np.isnan(old), old, np.fmin(old, to_site))
    after[category] = new
    met_after = met_matrix(after, standard, cats)

    newly = met_after[category].to_numpy() & ~met_before[category].to_numpy()
    if required:
        complete_before = met_before[required].all(axis=1).to_numpy()
        complete_after = met_after[required].all(axis=1).to_numpy()
    else:
        complete_before = complete_after = np.ones(len(ids), dtype=bool)
    pop = model.communities["population"].to_numpy(dtype=float)
    mpm = standard.metres_per_minute
    within = np.isfinite(to_site) & (to_site <= thr)

    if with_service_area:
        area = service_area(net, site, thr, node_dist_m=node_dist, buffer_m=buffer_m)
    else:
        area = gpd.GeoSeries([], crs=WGS84)
    area_split = None
    if planning_area is not None:
        inside = planning_area.contains(model.communities)
        done = complete_after & ~complete_before
        area_split = {
            "name": planning_area.name,
            "newly_served_population_inside": int(round(pop[newly & inside].sum())),
            "newly_served_population_outside": int(round(pop[newly & ~inside].sum())),
            "newly_complete_inside": int((done & inside).sum()),
            "newly_complete_outside": int((done & ~inside).sum()),
        }
    return WhatIf(
        area=area_split,
        category=category,
        lon=lon,
        lat=lat,
        offset_m=float(site.offset_m[0]),
        newly_served_population=int(round(pop[newly].sum())),
        newly_served_ids=[str(i) for i in ids[newly]],
        newly_complete_ids=[str(i) for i in ids[complete_after & ~complete_before]],
        new_minutes=pd.Series(
            new / mpm, index=pd.Index(ids, name="id"), name=f"minutes_{category}"
        ),
        minutes_to_site=pd.Series(
            to_site[within] / mpm, index=pd.Index(ids[within], name="id"), name="minutes_to_site"
        ),
        service_area=area,
        time_s=time.perf_counter() - t0,
    )
