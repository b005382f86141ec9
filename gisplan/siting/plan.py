"""Siting new amenities of one category: the problem, the solvers and their results.

:func:`build_problem` turns an :class:`~gisplan.access.coverage.AccessModel`, a circle
standard, a category and candidate sites into a maximal covering problem:

- objective ``"population"``: demand points are the snapped communities *not yet* within the
  category's walking threshold of an existing amenity (existing amenities count as open),
  weighted by population;
- objective ``"complete"``: demand points are the communities that already meet every other
  required category but not this one, weight 1 each — a covered one becomes a complete circle.
  The category must then be part of the required standard.

:func:`plan_sites` runs the lazy greedy and, on request, the exact MILP (HiGHS), reports both
objectives and the gap, and evaluates the chosen sites against *all* communities (people
newly served, circles completed, covered population before and after).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from gisplan.access.coverage import AccessModel
from gisplan.catalogue import CircleStandard
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.jsonsafe import json_number
from gisplan.labels import SYNTHETIC_LABEL
from gisplan.params import SITES_K, TIME_LIMIT_S
from gisplan.siting.candidates import Candidates, candidates_within
from gisplan.siting.exact import ExactResult, solve_mclp
from gisplan.siting.greedy import GreedyResult, greedy_max_cover, marginal_order, multistart_improve
from gisplan.siting.incidence import coverage_incidence

if TYPE_CHECKING:
    from gisplan.siting.area import Area
    from gisplan.siting.effect import Effect

__all__ = [
    "OBJECTIVES",
    "candidates_within",
    "area_summary",
    "SitingProblem",
    "SitingResult",
    "build_problem",
    "plan_sites",
    "met_matrix",
    "threshold_m",
]

OBJECTIVES = ("population", "complete")

Progress = Callable[[str], None]


def _noop(_msg: str) -> None:
    pass


def threshold_m(standard: CircleStandard, category: str) -> float:
    """Walking distance (metres) counted as "within the threshold" (:meth:`CircleStandard.met_limit_m`)."""
    return standard.met_limit_m(category)


def met_matrix(
    distances_m: pd.DataFrame, standard: CircleStandard, categories: list[str]
) -> pd.DataFrame:
    """Boolean "met" per community (rows) and category (:meth:`CircleStandard.met`)."""
    mpm = standard.metres_per_minute
    out = {c: standard.met(c, distances_m[c].to_numpy(dtype=float) / mpm) for c in categories}
    return pd.DataFrame(out, index=distances_m.index)


def _check_category(model: AccessModel, standard: CircleStandard, category: str) -> None:
    standard[category]  # raises InputError for an unknown id
    if category not in model.distances_m.columns:
        raise InputError(
            f"the access model has no distances for {category}",
            field="category",
            hint="rebuild the AccessModel with this category",
        )


@dataclass(eq=False)
class SitingProblem:
    """A maximal covering problem for one category.

    Attributes
    ----------
    category, objective : str
    threshold_m : float
        Walking distance (metres) within which a site serves a community.
    candidates : Candidates
    demand : numpy.ndarray of int
        Positions (rows of ``model.communities``) of the demand points in play.
    weights : numpy.ndarray of float
        Weight of each demand point (people, or 1 per community for ``"complete"``).
    incidence : scipy.sparse.csr_matrix, shape (candidates, demand)
        Walking metres from candidate to demand point, stored only within ``threshold_m``.
    timings_s : dict
    """

    category: str
    objective: str
    threshold_m: float
    candidates: Candidates
    demand: np.ndarray
    weights: np.ndarray
    incidence: sp.csr_matrix
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def total_weight(self) -> float:
        """Weight of all demand in play (the objective if every demand point were covered)."""
        return float(self.weights.sum())

    def objective_of(self, chosen: np.ndarray) -> float:
        """Covered weight of a set of candidate indices."""
        chosen = np.asarray(chosen, dtype=np.int64)
        if len(chosen) == 0:
            return 0.0
        hit = np.zeros(self.incidence.shape[1], dtype=bool)
        hit[self.incidence[chosen].indices] = True
        return float(self.weights[hit].sum())


def build_problem(
    model: AccessModel,
    standard: CircleStandard,
    category: str,
    candidates: Candidates,
    *,
    objective: str = "population",
    batch_size: int | None = None,
    progress: Progress | None = None,
    demand_mask: np.ndarray | None = None,
    region=None,
) -> SitingProblem:
    """Select the demand in play and compute each candidate's coverage set (see module doc).

    ``demand_mask`` (boolean, one per community of the model) further restricts the demand
    in play, e.g. to the communities of a planning area. ``region`` (shapely geometry,
    EPSG:4326) holding every candidate lets the coverage sets be computed on the network near
    it only (:func:`gisplan.siting.clip.area_incidence`; same result).
    """
    progress = progress or _noop
    _check_category(model, standard, category)
    if objective not in OBJECTIVES:
        raise InputError(
            f"unknown objective {objective!r}", field="objective", hint="use population or complete"
        )
    ids = model.communities["id"].to_numpy()
    dist = model.distances_m.reindex(ids)
    snapped = model.community_snap.ok
    if objective == "population":
        met = met_matrix(dist, standard, [category])[category].to_numpy()
        weights_all = model.communities["population"].to_numpy(dtype=float)
        mask = snapped & ~met & (weights_all > 0)
        weights = weights_all[mask]
    else:
        required = standard.required_ids
        if category not in required:
            raise InputError(
                f"{category} is not a required category, so new sites cannot complete a circle",
                field="objective",
                hint="use --objective population, or add the category with --required",
                code="siting.not_required",
                params={"categories": [category]},
            )
        _missing = [c for c in required if c not in model.distances_m.columns]
        if _missing:
            raise InputError(
                "the access model lacks " + ", ".join(_missing),
                field="required",
                hint="rebuild the AccessModel with every required category",
            )
        met_all = met_matrix(dist, standard, required)
        others = [c for c in required if c != category]
        others_met = met_all[others].all(axis=1).to_numpy() if others else np.ones(len(ids), bool)
        mask = snapped & ~met_all[category].to_numpy() & others_met
        weights = np.ones(int(mask.sum()))
    if demand_mask is not None:
        keep = np.asarray(demand_mask, dtype=bool)
        weights = weights[keep[mask]]
        mask = mask & keep
    demand = np.flatnonzero(mask)
    thr = threshold_m(standard, category)
    progress(
        f"{len(demand)} communities in play, {len(candidates)} candidates, "
        f"threshold {thr:.0f} m ({standard.threshold_minutes(category):g} min)"
    )
    t0 = time.perf_counter()
    kw = {} if batch_size is None else {"batch_size": batch_size}
    from gisplan.siting.clip import area_incidence

    incidence = area_incidence(
        model.network,
        candidates.snap,
        model.community_snap.subset(demand),
        thr,
        region,
        progress=progress,
        **kw,
    )
    return SitingProblem(
        category=category,
        objective=objective,
        threshold_m=thr,
        candidates=candidates,
        demand=demand,
        weights=weights,
        incidence=incidence,
        timings_s={"incidence": time.perf_counter() - t0},
    )


@dataclass(eq=False)
class SitingResult:
    """Chosen sites and their effect.

    Attributes
    ----------
    problem : SitingProblem
    k : int
    greedy, exact : GreedyResult or ExactResult or None
        The runs that were made.
    method : str
        Which solution was kept: ``"exact"`` when the MILP ran and is at least as good as
        the greedy, else ``"greedy"``.
    chosen : numpy.ndarray of int
        Candidate indices of the kept solution in rank order (largest marginal gain first).
    sites : GeoDataFrame (EPSG:4326)
        One row per chosen site (see :func:`plan_sites`).
    evaluation : dict
        Before/after figures for all communities (see :func:`evaluate_sites`).
    """

    problem: SitingProblem
    k: int
    greedy: GreedyResult | None
    exact: ExactResult | None
    method: str
    chosen: np.ndarray
    sites: gpd.GeoDataFrame
    evaluation: dict
    synthetic: bool
    timings_s: dict[str, float] = field(default_factory=dict)
    greedy_plain_objective: float | None = None
    greedy_swaps: int = 0
    area: Area | None = None
    count_outside: bool = False
    effect: Effect | None = None

    def summary(self) -> dict:
        """JSON-ready summary: parameters, before/after coverage, objectives, gap, timings."""
        p = self.problem
        ev = self.evaluation
        out = {
            "category": p.category,
            "objective": p.objective,
            "objective_unit": "people" if p.objective == "population" else "communities",
            "k": self.k,
            "sites_chosen": int(len(self.chosen)),
            "method": self.method,
            "threshold_m": round(p.threshold_m, 3),
            "candidate_source": p.candidates.kind,
            "candidates": int(len(p.candidates)),
            "unsnapped_candidates": [str(i) for i in p.candidates.unsnapped_ids],
            "demand_in_play": int(len(p.demand)),
            "demand_weight_in_play": _num(p.total_weight),
            "synthetic": self.synthetic,
            **{k: _num(v) if not isinstance(v, list) else v for k, v in ev.items()},
            "greedy_objective": None,
            "exact_objective": None,
            "gap": None,
        }
        if self.greedy is not None:
            out["greedy_objective"] = _num(self.greedy.objective)
            out["greedy_time_s"] = round(self.greedy.time_s, 4)
            out["greedy_evaluations"] = int(self.greedy.evaluations)
            out["greedy_method"] = (
                "lazy greedy + 1-swap local search"
                if self.greedy_plain_objective is not None
                else "lazy greedy"
            )
            out["greedy_plain_objective"] = _num(
                self.greedy.objective
                if self.greedy_plain_objective is None
                else self.greedy_plain_objective
            )
            out["greedy_swaps"] = int(self.greedy_swaps)
        if self.exact is not None:
            e = self.exact
            out["exact_objective"] = _num(e.objective)
            out["exact_status"] = e.status
            out["exact_optimal"] = e.optimal
            out["exact_bound"] = _num(e.bound)
            out["exact_mip_gap"] = None if not np.isfinite(e.mip_gap) else round(e.mip_gap, 6)
            out["exact_time_s"] = round(e.time_s, 4)
            out["exact_solve_time_s"] = round(e.solve_time_s, 4)
            out["exact_model_size"] = {"candidates": e.n_candidates, "demand_groups": e.n_demand}
        if self.greedy is not None and self.exact is not None:
            best = max(self.exact.objective, self.greedy.objective)
            out["gap"] = round((best - self.greedy.objective) / best, 6) if best > 0 else 0.0
        out["timings_s"] = {k: round(v, 4) for k, v in {**p.timings_s, **self.timings_s}.items()}
        if self.area is not None and self.effect is not None:
            out["area"] = area_summary(self.area, self.effect, count_outside=self.count_outside)
        return out


def _num(v):
    return json_number(v)


def evaluate_sites(
    model: AccessModel,
    standard: CircleStandard,
    category: str,
    candidates: Candidates,
    chosen: np.ndarray,
) -> tuple[dict, pd.DataFrame]:
    """Effect of opening ``chosen`` sites (in rank order) on every community.

    Independent of the demand selection of the problem: one small incidence from the chosen
    sites to all snapped communities.

    Returns ``(evaluation, per_rank)``. ``evaluation`` has ``covered_population_before`` /
    ``_after`` (people within the category's threshold), ``newly_served_population``,
    ``newly_served_communities``, ``communities_complete_before`` / ``_after`` (whole required
    standard) and ``newly_complete_ids``. ``per_rank`` has, per site, ``gain_population``,
    ``gain_complete``, ``cumulative_population`` and ``cumulative_complete``.
    """
    ids = model.communities["id"].to_numpy()
    dist = model.distances_m.reindex(ids)
    pop = model.communities["population"].to_numpy(dtype=float)
    required = [c for c in standard.required_ids if c in dist.columns]
    cats = list(dict.fromkeys([*required, category]))
    met = met_matrix(dist, standard, cats)
    met_cat = met[category].to_numpy()
    complete_before = met[required].all(axis=1).to_numpy() if required else np.ones(len(ids), bool)
    others = [c for c in required if c != category]
    others_met = met[others].all(axis=1).to_numpy() if others else np.ones(len(ids), bool)

    chosen = np.asarray(chosen, dtype=np.int64)
    inc = coverage_incidence(
        model.network,
        candidates.snap.subset(chosen),
        model.community_snap,
        threshold_m(standard, category),
    )
    served = met_cat.copy()
    complete = complete_before.copy()
    rows = []
    base_pop = float(pop[met_cat].sum())
    cum_pop = base_pop
    for r in range(len(chosen)):
        cols = inc.indices[inc.indptr[r] : inc.indptr[r + 1]]
        new = cols[~served[cols]]
        served[new] = True
        gain_pop = float(pop[new].sum())
        if category in required:
            new_complete = new[others_met[new] & ~complete[new]]
            complete[new_complete] = True
            gain_c = int(len(new_complete))
        else:
            gain_c = 0
        cum_pop += gain_pop
        rows.append(
            {
                "gain_population": gain_pop,
                "gain_complete": gain_c,
                "cumulative_population": cum_pop,
                "cumulative_complete": int(complete.sum()),
            }
        )
    newly = served & ~met_cat
    evaluation = {
        "total_population": float(pop.sum()),
        "covered_population_before": base_pop,
        "covered_population_after": float(pop[served].sum()),
        "newly_served_population": float(pop[newly].sum()),
        "newly_served_communities": int(newly.sum()),
        "communities_complete_before": int(complete_before.sum()),
        "communities_complete_after": int(complete.sum()),
        "newly_complete_ids": [str(i) for i in ids[complete & ~complete_before]],
    }
    return evaluation, pd.DataFrame(
        rows,
        columns=[
            "gain_population",
            "gain_complete",
            "cumulative_population",
            "cumulative_complete",
        ],
    )


def plan_sites(
    model: AccessModel,
    standard: CircleStandard,
    category: str,
    k: int,
    candidates: Candidates,
    *,
    objective: str = "population",
    exact: bool = False,
    greedy: bool = True,
    improve: bool = True,
    time_limit_s: float | None = 60.0,
    mip_rel_gap: float = 1e-6,
    synthetic: bool | None = None,
    problem: SitingProblem | None = None,
    progress: Progress | None = None,
    area: Area | None = None,
    count_outside: bool = False,
) -> SitingResult:
    """Choose up to ``k`` new sites of ``category`` among ``candidates``.

    Parameters
    ----------
    model : AccessModel
        Cached distances to the existing amenities (which count as already open).
    standard : CircleStandard
        Speed, thresholds (minutes) and required set.
    k : int
        Number of new sites (a site that would add nothing is not proposed).
    objective : ``"population"`` or ``"complete"``
    exact : bool
        Also solve the MILP with HiGHS; both objectives and the gap are reported.
    greedy : bool
        Run the lazy greedy (needed unless ``exact``).
    improve : bool
        Follow the greedy with a multi-start + 1-swap search (:func:`multistart_improve`); the
        reported ``greedy_objective`` is then the improved one and ``greedy_plain_objective``
        the greedy's own.
    time_limit_s, mip_rel_gap : float
        HiGHS limits for the exact run.
    synthetic : bool, optional
        Label outputs as synthetic; default: the network or communities say ``synthetic``.
    problem : SitingProblem, optional
        A problem already built by :func:`build_problem` for the same inputs (reused).
    area : Area, optional
        Planning area (:func:`gisplan.siting.area.resolve_area`): only candidates inside it
        are considered and, unless ``count_outside``, only demand inside it counts. The
        summary then has an ``area`` block with the figures inside and outside it.
    count_outside : bool
        With ``area``: also count people outside the area who are newly served.

    Returns
    -------
    SitingResult
        ``sites`` columns: ``rank``, ``id``, ``name``, ``kind`` (``"chosen"``, as the scenario
        store expects), ``candidate_kind`` (grid / commercial / file), ``category``, ``method``,
        ``gain`` (objective units), ``gain_population``, ``gain_complete``,
        ``cumulative_population`` (people within the threshold after sites up to this rank),
        ``cumulative_complete``, ``snap_offset_m``, ``lon``, ``lat``, ``source``, ``label``.
    """
    progress = progress or _noop
    k = int(SITES_K.check(k))
    if time_limit_s is not None:
        time_limit_s = TIME_LIMIT_S.check(time_limit_s)
    if not (greedy or exact):
        raise InputError("choose the greedy, the exact solver or both", field="method")
    in_area = None
    if area is not None:
        candidates = candidates_within(candidates, area)
        in_area = area.contains(model.communities)
    if problem is None:
        problem = build_problem(
            model,
            standard,
            category,
            candidates,
            objective=objective,
            progress=progress,
            demand_mask=None if (in_area is None or count_outside) else in_area,
            region=None if area is None else area.geometry,
        )
    timings: dict[str, float] = {}
    greedy_plain: float | None = None
    greedy_swaps = 0
    g_res = None
    e_res = None
    if greedy:
        progress(f"greedy: choosing {k} sites")
        g_res = greedy_max_cover(problem.incidence, problem.weights, k)
        timings["greedy"] = g_res.time_s
        if improve and len(g_res.chosen) > 0:
            t0 = time.perf_counter()
            better, swaps = multistart_improve(problem.incidence, problem.weights, g_res.chosen)
            if problem.objective_of(better) > g_res.objective:
                plain = g_res.objective
                order, gains = marginal_order(problem.incidence, problem.weights, better)
                g_res = GreedyResult(
                    chosen=order,
                    gains=gains,
                    objective=problem.objective_of(order),
                    time_s=g_res.time_s + time.perf_counter() - t0,
                    evaluations=g_res.evaluations,
                )
                greedy_plain, greedy_swaps = plain, swaps
            timings["local_search"] = time.perf_counter() - t0
    if exact:
        progress(f"exact: MILP with HiGHS (time limit {time_limit_s} s)")
        e_res = solve_mclp(
            problem.incidence,
            problem.weights,
            k,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            initial=None if g_res is None else g_res.chosen,
        )
        timings["exact"] = e_res.time_s
    if e_res is not None and (g_res is None or e_res.objective >= g_res.objective):
        method = "exact"
        chosen, gains = marginal_order(problem.incidence, problem.weights, e_res.chosen)
    else:
        assert g_res is not None  # for the type checker: greedy ran when exact did not win
        method = "greedy"
        chosen, gains = g_res.chosen, g_res.gains

    evaluation, per_rank = evaluate_sites(model, standard, category, candidates, chosen)
    if synthetic is None:
        src = (
            model.communities["source"].astype(str)
            if "source" in model.communities
            else pd.Series([], dtype=str)
        )
        synthetic = model.network.source == "synthetic" or bool((src == "synthetic").any())
    sites = _sites_frame(problem, chosen, gains, per_rank, method, synthetic)
    effect = None
    if area is not None:
        from gisplan.siting.effect import distances_with_sites, effect_of

        after = distances_with_sites(
            model, standard, category, problem.candidates.snap.subset(chosen)
        )
        effect = effect_of(model, standard, {category: after}, in_area=in_area)
    return SitingResult(
        problem=problem,
        k=k,
        greedy=g_res,
        exact=e_res,
        method=method,
        chosen=chosen,
        sites=sites,
        evaluation=evaluation,
        synthetic=bool(synthetic),
        timings_s=timings,
        greedy_plain_objective=greedy_plain,
        greedy_swaps=greedy_swaps,
        area=area,
        count_outside=bool(count_outside),
        effect=effect,
    )


def area_summary(area: Area, effect: Effect, *, count_outside: bool) -> dict:
    """JSON-ready area block of a summary.

    The area's description, what the objective counts, and the before/after figures inside
    the area, outside it and in all.
    """
    return {
        **area.describe(),
        "objective_counts": "area and outside" if count_outside else "area only",
        **effect.all_figures(),
    }


def _sites_frame(
    problem: SitingProblem,
    chosen: np.ndarray,
    gains: np.ndarray,
    per_rank: pd.DataFrame,
    method: str,
    synthetic: bool,
) -> gpd.GeoDataFrame:
    return sites_frame(
        problem.candidates,
        chosen,
        {
            "category": problem.category,
            "method": method,
            "gain": np.asarray(gains, dtype=float),
            "gain_population": per_rank["gain_population"].to_numpy(dtype=float),
            "gain_complete": per_rank["gain_complete"].to_numpy(dtype=np.int64),
            "cumulative_population": per_rank["cumulative_population"].to_numpy(dtype=float),
            "cumulative_complete": per_rank["cumulative_complete"].to_numpy(dtype=np.int64),
        },
        synthetic=synthetic,
    )


def sites_frame(
    candidates: Candidates, chosen: np.ndarray, columns: dict, *, synthetic: bool
) -> gpd.GeoDataFrame:
    """Chosen candidates (positions, in rank order) as a sites layer in EPSG:4326.

    Columns: ``rank``, ``id``, ``name``, ``kind`` (``"chosen"``), ``candidate_kind``, then
    ``columns`` (one value or one per site), then ``snap_offset_m``, ``lon``, ``lat``,
    ``source`` and ``label`` (the synthetic label when ``synthetic``).
    """
    chosen = np.asarray(chosen, dtype=np.int64)
    pts = candidates.points.iloc[chosen].reset_index(drop=True)
    geom = pts.geometry.to_crs(WGS84)
    n = len(pts)
    frame = pd.DataFrame(
        {
            "rank": np.arange(1, n + 1, dtype=np.int64),
            "id": pts["id"].astype(str).to_numpy(),
            "name": pts["name"].astype(str).to_numpy() if "name" in pts else [""] * n,
            "kind": "chosen",
            "candidate_kind": pts["kind"].astype(str).to_numpy()
            if "kind" in pts
            else candidates.kind,
            **columns,
            "snap_offset_m": np.round(candidates.snap.offset_m[chosen], 2),
            "lon": np.round(geom.x.to_numpy(), 7),
            "lat": np.round(geom.y.to_numpy(), 7),
            "source": "synthetic" if synthetic else "gisplan siting",
            "label": SYNTHETIC_LABEL if synthetic else "",
        },
        index=pd.RangeIndex(n),
    )
    return gpd.GeoDataFrame(frame, geometry=geom.values, crs=WGS84)
