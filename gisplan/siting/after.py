"""The state after a siting run, for maps: coverage with the chosen sites open, their areas.

:func:`coverage_after` re-applies the standard to the model's distances with the chosen
sites added (one bounded search from the sites, :func:`gisplan.siting.effect.distances_with_sites`),
so a map can colour communities by the *after* state and mark those newly served;
:func:`chosen_service_area` is the walking area within the category's threshold of the
chosen sites.  Both are in EPSG:4326 like the model's coverage.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np

from gisplan.access.coverage import AccessModel, CoverageResult
from gisplan.access.service_area import service_area
from gisplan.catalogue import CircleStandard
from gisplan.siting.effect import distances_with_sites
from gisplan.siting.plan import SitingResult

__all__ = ["coverage_after", "newly_served", "chosen_service_area"]


def coverage_after(
    model: AccessModel, standard: CircleStandard, result: SitingResult
) -> CoverageResult:
    """Coverage under ``standard`` with ``result``'s chosen sites open as well."""
    cat = result.problem.category
    sites = result.problem.candidates.snap.subset(np.asarray(result.chosen, dtype=np.int64))
    after_m = distances_with_sites(model, standard, cat, sites)
    ids = model.communities["id"].to_numpy()
    dist = model.distances_m.reindex(ids).copy()
    dist[cat] = after_m
    after = dataclasses.replace(model, distances_m=dist)
    return after.coverage(standard)


def newly_served(before: CoverageResult, after: CoverageResult, category: str) -> np.ndarray:
    """Boolean per community (table order): within the threshold after, not before."""
    b = before.table.set_index("id")[f"met_{category}"]
    a = after.table.set_index("id")[f"met_{category}"].reindex(b.index)
    return a.to_numpy(bool) & ~b.to_numpy(bool)


def chosen_service_area(
    model: AccessModel, standard: CircleStandard, result: SitingResult
) -> gpd.GeoSeries:
    """The area within the category's threshold (walking) of the chosen sites (EPSG:4326)."""
    sites = result.problem.candidates.snap.subset(np.asarray(result.chosen, dtype=np.int64))
    return service_area(model.network, sites, standard.threshold_metres(result.problem.category))
