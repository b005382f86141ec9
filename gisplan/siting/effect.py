"""Before/after figures of a change to the amenities (sites opened, amenities closed).

A change is described by the communities' walking distances (metres) *after* it, for the
categories it touches; every other category keeps the model's cached distances. The same
"within threshold" rule as coverage (:func:`gisplan.siting.plan.met_matrix`) decides what is
met, before and after, so siting, joint plans and closures all report with one set of
numbers:

- per category: people and communities within the threshold before / after, newly served,
  and those who lose it;
- the whole required standard (complete circles): communities and people before / after,
  newly complete and no longer complete;

each for the planning area (``"area"``), the rest (``"outside"``) and everything (``"all"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gisplan.access.coverage import AccessModel
from gisplan.access.walking import nearest_source_distances
from gisplan.catalogue import CircleStandard
from gisplan.network.snapping import Snapped
from gisplan.siting.plan import met_matrix, threshold_m

__all__ = ["Effect", "effect_of", "distances_with_sites", "SCOPES"]

SCOPES = ("area", "outside", "all")


@dataclass(eq=False)
class Effect:
    """Per-community before/after state of a change.

    Attributes
    ----------
    table : DataFrame
        One row per community (order of ``model.communities``): ``id``, ``name``,
        ``population``, ``in_area``, and for each changed category ``c``:
        ``minutes_<c>_before`` / ``_after`` (walking minutes; ``inf`` unreachable, ``nan``
        unsnapped), ``met_<c>_before`` / ``_after``; then ``completeness_before`` /
        ``_after`` (share of required categories met, 0–1) and ``complete_before`` / ``_after``.
    categories : list of str
        The changed categories.
    required : list of str
        The required standard's categories present in the model.
    """

    table: pd.DataFrame
    categories: list[str]
    required: list[str]

    def scope_mask(self, scope: str) -> np.ndarray:
        """Boolean per community: in the area (``"area"``), outside it or all (``"all"``)."""
        inside = self.table["in_area"].to_numpy(dtype=bool)
        if scope == "area":
            return inside
        if scope == "outside":
            return ~inside
        return np.ones(len(inside), dtype=bool)

    def figures(self, scope: str = "all") -> dict:
        """Before/after numbers for ``scope`` (``"area"``, ``"outside"`` or ``"all"``).

        Keys: ``population``, ``communities``; ``categories`` → per changed category
        ``covered_population_before`` / ``_after`` (people within the threshold),
        ``covered_communities_before`` / ``_after``, ``newly_served_population``,
        ``newly_served_communities``, ``lost_population``, ``lost_communities``;
        ``complete_circles_before`` / ``_after`` (communities meeting the whole standard),
        ``complete_population_before`` / ``_after``, ``newly_complete``,
        ``no_longer_complete``, ``newly_complete_population``,
        ``no_longer_complete_population``.
        """
        t = self.table
        m = self.scope_mask(scope)
        pop = t["population"].to_numpy(dtype=float)
        cats = {}
        for c in self.categories:
            b = t[f"met_{c}_before"].to_numpy(dtype=bool) & m
            a = t[f"met_{c}_after"].to_numpy(dtype=bool) & m
            cats[c] = {
                "covered_population_before": _int(pop[b].sum()),
                "covered_population_after": _int(pop[a].sum()),
                "covered_communities_before": int(b.sum()),
                "covered_communities_after": int(a.sum()),
                "newly_served_population": _int(pop[a & ~b].sum()),
                "newly_served_communities": int((a & ~b).sum()),
                "lost_population": _int(pop[b & ~a].sum()),
                "lost_communities": int((b & ~a).sum()),
            }
        cb = t["complete_before"].to_numpy(dtype=bool) & m
        ca = t["complete_after"].to_numpy(dtype=bool) & m
        return {
            "population": _int(pop[m].sum()),
            "communities": int(m.sum()),
            "categories": cats,
            "complete_circles_before": int(cb.sum()),
            "complete_circles_after": int(ca.sum()),
            "complete_population_before": _int(pop[cb].sum()),
            "complete_population_after": _int(pop[ca].sum()),
            "newly_complete": int((ca & ~cb).sum()),
            "no_longer_complete": int((cb & ~ca).sum()),
            "newly_complete_population": _int(pop[ca & ~cb].sum()),
            "no_longer_complete_population": _int(pop[cb & ~ca].sum()),
        }

    def all_figures(self) -> dict:
        """:meth:`figures` for each of :data:`SCOPES`."""
        return {s: self.figures(s) for s in SCOPES}

    def newly_complete_ids(self, scope: str = "all") -> list[str]:
        """Ids of the communities whose circle becomes complete, within ``scope``."""
        t = self.table
        sel = t["complete_after"] & ~t["complete_before"] & self.scope_mask(scope)
        return [str(i) for i in t.loc[sel, "id"]]


def _int(v: float) -> int | float:
    v = float(v)
    return int(round(v)) if abs(v - round(v)) < 1e-6 else round(v, 6)


def effect_of(
    model: AccessModel,
    standard: CircleStandard,
    after_m: Mapping[str, np.ndarray],
    *,
    in_area: np.ndarray | None = None,
) -> Effect:
    """Compare the model's distances with ``after_m`` (metres per community, model order).

    ``in_area`` marks the communities of the planning area (default: none, so ``"area"``
    figures are zeros and ``"outside"`` equals ``"all"``).
    """
    comm = model.communities
    ids = comm["id"].to_numpy()
    before = model.distances_m.reindex(ids)
    after = before.copy()
    for c, d in after_m.items():
        after[c] = np.asarray(d, dtype=float)
    required = [c for c in standard.required_ids if c in before.columns]
    cats = list(dict.fromkeys([*required, *after_m]))
    met_b = met_matrix(before, standard, cats)
    met_a = met_matrix(after, standard, cats)
    mpm = standard.metres_per_minute
    cols: dict[str, object] = {
        "id": ids.astype(str),
        "name": comm["name"].astype(str).to_numpy() if "name" in comm else [""] * len(ids),
        "population": comm["population"].to_numpy(dtype=float),
        "in_area": np.zeros(len(ids), bool) if in_area is None else np.asarray(in_area, bool),
    }
    for c in after_m:
        cols[f"minutes_{c}_before"] = before[c].to_numpy(dtype=float) / mpm
        cols[f"minutes_{c}_after"] = after[c].to_numpy(dtype=float) / mpm
        cols[f"met_{c}_before"] = met_b[c].to_numpy()
        cols[f"met_{c}_after"] = met_a[c].to_numpy()
    n_req = len(required)
    for when, met in (("before", met_b), ("after", met_a)):
        count = met[required].sum(axis=1).to_numpy() if n_req else np.zeros(len(ids))
        cols[f"completeness_{when}"] = count / n_req if n_req else 1.0
        cols[f"complete_{when}"] = count == n_req
    return Effect(table=pd.DataFrame(cols), categories=list(after_m), required=required)


def distances_with_sites(
    model: AccessModel,
    standard: CircleStandard,
    category: str,
    sites: Snapped,
    *,
    base_m: np.ndarray | None = None,
    limit_m: float | None = None,
) -> np.ndarray:
    """Per-community metres to the nearest ``category`` amenity with ``sites`` open as well.

    One multi-source search from the sites, bounded by ``limit_m`` (default the category's
    threshold, which is all "met" needs; a community farther than that from every site keeps
    ``base_m``). ``base_m`` defaults to the model's cached distances.
    """
    if base_m is None:
        base_m = model.distances_m[category].reindex(model.communities["id"]).to_numpy(float)
    if len(sites) == 0 or not sites.ok.any():
        return np.asarray(base_m, dtype=float).copy()
    limit = threshold_m(standard, category) if limit_m is None else float(limit_m)
    to_sites = nearest_source_distances(model.network, sites, model.community_snap, limit_m=limit)
    base = np.asarray(base_m, dtype=float)
    return np.where(np.isnan(base), base, np.fmin(base, to_sites))
