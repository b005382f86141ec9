"""Several formats in one plan: choose sites of several categories jointly.

A plan gives a number of new sites per category (``{"wet_market": 2, "supermarket": 3}``,
:func:`parse_plan` reads ``wet_market=2,supermarket=3``). Two objectives:

``"complete"`` (default)
    Residents whose whole circle standard becomes met. A community is in play when it does
    not meet the standard now and every required category it misses is in the plan and
    reachable from some candidate; it counts (with its population) only when *every* missing
    category gets a new site within that category's walking threshold. Sites of different
    categories complement each other, so choosing each category on its own can be worse
    than choosing them together.
``"population"``
    People newly within each category's threshold, summed over the plan's categories with
    per-category weights (default 1).

Both are one problem: *groups* (communities, or community × category for ``population``)
with a weight, each needing a set of *items* (community × missing category) to be covered;
a site of category ``c`` covers the items of ``c`` within its threshold. The objective is the
weight of groups whose items are all covered, under a budget per category.

Solvers: a lazy greedy on a submodular surrogate (each covered item earns its group's weight
divided by the group's number of items) under the per-category budgets, then a 1-swap local
search (within a category) on the true objective; and, on request, the exact MILP with HiGHS
(``x`` per candidate and category, ``y`` per group, ``y_g <= sum x`` for every item of ``g``,
``sum x <= k_c``). The exact run starts from the greedy's solution, so it is never worse; the
gap ``(best - greedy) / best`` is reported.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from gisplan.access.coverage import AccessModel
from gisplan.catalogue import CircleStandard
from gisplan.errors import InputError
from gisplan.siting.area import Area
from gisplan.siting.candidates import Candidates
from gisplan.siting.clip import area_incidence
from gisplan.siting.effect import Effect, distances_with_sites, effect_of
from gisplan.siting.exact import run_covering_milp
from gisplan.siting.plan import (
    Progress,
    _noop,
    _num,
    area_summary,
    candidates_within,
    met_matrix,
    sites_frame,
    threshold_m,
)

__all__ = [
    "JOINT_OBJECTIVES",
    "parse_plan",
    "JointProblem",
    "JointResult",
    "build_joint_problem",
    "joint_greedy",
    "joint_improve",
    "solve_joint_milp",
    "plan_joint",
]

JOINT_OBJECTIVES = ("complete", "population")


def parse_plan(text: str, standard: CircleStandard, *, what: str = "--plan") -> dict[str, int]:
    """``"wet_market=2,supermarket=3"`` → ``{"wet_market": 2, "supermarket": 3}`` (checked)."""
    out: dict[str, int] = {}
    for part in str(text).replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, val = part.partition("=")
        key = key.strip()
        if not sep:
            raise InputError(
                f"cannot read {part!r}", field=what, hint="write CATEGORY=N, e.g. wet_market=2"
            )
        standard[key]  # unknown category: InputError naming the known ids
        try:
            n = int(val)
        except ValueError:
            raise InputError(
                f"{val.strip()!r} is not a whole number", field=what, hint="e.g. supermarket=3"
            ) from None
        if n < 0:
            raise InputError(f"{key}: {n} sites", field=what, hint="give 0 or more sites")
        if key in out:
            raise InputError(f"{key} is given twice", field=what, hint="give each category once")
        out[key] = n
    out = {k: v for k, v in out.items() if v > 0}
    if not out:
        raise InputError(
            "the plan has no sites", field=what, hint="e.g. wet_market=2,supermarket=3"
        )
    return out


def parse_weights(text: str | None, standard: CircleStandard) -> dict[str, float]:
    """``"wet_market=2,supermarket=1"`` → weights per category (default 1 for the others)."""
    out: dict[str, float] = {}
    for part in str(text or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, val = part.partition("=")
        key = key.strip()
        standard[key]
        try:
            w = float(val)
        except ValueError:
            w = float("nan")
        if not sep or not np.isfinite(w) or w < 0:
            raise InputError(
                f"cannot read weight {part!r}",
                field="--weights",
                hint="write CATEGORY=WEIGHT with a weight >= 0, e.g. wet_market=2",
            )
        out[key] = w
    return out


@dataclass(eq=False)
class JointProblem:
    """A joint covering problem (see the module docstring).

    Attributes
    ----------
    counts : dict of str to int
        Sites per category (the plan).
    categories : list of str
        Plan categories, in plan order.
    objective : str
    candidates : Candidates
        Candidate places (each may host a site of any plan category).
    row_cat, row_cand : numpy.ndarray of int
        For each row (candidate × category): index into ``categories`` and candidate index.
    incidence : scipy.sparse.csr_matrix, shape (rows, items)
        0/1: which items each row covers.
    item_group, item_cat, item_comm : numpy.ndarray of int
        Group, category (index into ``categories``) and community (row of
        ``model.communities``) of each item.
    group_weight : numpy.ndarray of float
        Weight of each group (people, times the category weight for ``population``).
    """

    counts: dict[str, int]
    categories: list[str]
    objective: str
    candidates: Candidates
    row_cat: np.ndarray
    row_cand: np.ndarray
    incidence: sp.csr_matrix
    item_group: np.ndarray
    item_cat: np.ndarray
    item_comm: np.ndarray
    group_weight: np.ndarray
    weights: dict[str, float] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        """Number of candidate rows (one per candidate and category)."""
        return int(self.incidence.shape[0])

    @property
    def total_weight(self) -> float:
        """Sum of the group weights (the objective if every group were completed)."""
        return float(self.group_weight.sum())

    def item_share(self) -> np.ndarray:
        """Surrogate weight per item: its group's weight over the group's number of items."""
        n = np.bincount(self.item_group, minlength=len(self.group_weight))
        return self.group_weight[self.item_group] / np.maximum(n[self.item_group], 1)

    def covered_items(self, rows: np.ndarray) -> np.ndarray:
        """Boolean per item: covered by at least one of ``rows``."""
        hit = np.zeros(self.incidence.shape[1], dtype=bool)
        a = self.incidence
        for r in np.asarray(rows, dtype=np.int64):
            hit[a.indices[a.indptr[r] : a.indptr[r + 1]]] = True
        return hit

    def objective_of(self, rows: np.ndarray) -> float:
        """Weight of groups with every item covered by ``rows``."""
        hit = self.covered_items(rows)
        missing = np.bincount(self.item_group[~hit], minlength=len(self.group_weight))
        return float(self.group_weight[missing == 0].sum())

    def feasible(self, rows: np.ndarray) -> bool:
        """Whether ``rows`` keep within every category's number of new sites."""
        n = np.bincount(
            self.row_cat[np.asarray(rows, dtype=np.int64)], minlength=len(self.categories)
        )
        return bool(all(n[i] <= self.counts[c] for i, c in enumerate(self.categories)))


def _complete_items(
    dist: pd.DataFrame,
    standard: CircleStandard,
    cats: list[str],
    ok: np.ndarray,
    pop: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Groups and items of the complete-circle objective.

    A group is a community that the plan's categories alone could complete (its residents
    are the weight); its items are the planned categories it misses.  Returns group weights
    and, per item, its group, category (position in ``cats``) and community (position).
    """
    required = standard.required_ids
    outside_plan = [c for c in cats if c not in required]
    if outside_plan:
        raise InputError(
            f"{', '.join(outside_plan)} is not in the required standard, so it cannot "
            "complete a circle",
            field="objective",
            hint="use the population objective, or add the category with --required",
            code="plan.not_required",
            params={"categories": outside_plan},
        )
    lacking = [c for c in required if c not in dist.columns]
    if lacking:
        raise InputError(
            "the access model lacks " + ", ".join(lacking),
            field="required",
            hint="rebuild the AccessModel with every required category",
        )
    missing = ~met_matrix(dist, standard, required).to_numpy()  # communities × required
    not_planned = [j for j, c in enumerate(required) if c not in cats]
    can = ok & missing.any(axis=1)
    if not_planned:
        can &= ~missing[:, not_planned].any(axis=1)
    groups = np.flatnonzero(can)
    gw = pop[groups]
    miss_cats = [np.flatnonzero(missing[g][[required.index(c) for c in cats]]) for g in groups]
    item_group = np.repeat(np.arange(len(groups)), [len(m) for m in miss_cats])
    item_cat = np.concatenate(miss_cats).astype(np.int64) if len(groups) else np.zeros(0, np.int64)
    return gw, item_group, item_cat, groups[item_group]


def _population_items(
    dist: pd.DataFrame,
    standard: CircleStandard,
    cats: list[str],
    ok: np.ndarray,
    pop: np.ndarray,
    weights: Mapping[str, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Groups and items of the (weighted) population objective: one item per unmet need.

    Each item is its own group, weighted by the community's residents times the category's
    weight.  Returns the same arrays as :func:`_complete_items`.
    """
    met = met_matrix(dist, standard, cats).to_numpy()
    parts_c, parts_comm = [], []
    for j, _c in enumerate(cats):
        pos = np.flatnonzero(ok & ~met[:, j])
        parts_c.append(np.full(len(pos), j, dtype=np.int64))
        parts_comm.append(pos)
    item_cat = np.concatenate(parts_c) if parts_c else np.zeros(0, np.int64)
    item_comm = np.concatenate(parts_comm) if parts_comm else np.zeros(0, np.int64)
    item_group = np.arange(len(item_cat))
    gw = pop[item_comm] * np.array([weights[cats[j]] for j in item_cat], dtype=float)
    return gw, item_group, item_cat, item_comm


def build_joint_problem(
    model: AccessModel,
    standard: CircleStandard,
    counts: Mapping[str, int],
    candidates: Candidates,
    *,
    objective: str = "complete",
    weights: Mapping[str, float] | None = None,
    demand_mask: np.ndarray | None = None,
    region=None,
    progress: Progress | None = None,
) -> JointProblem:
    """Groups, items and each candidate's coverage for a joint plan (see module doc).

    ``region`` (shapely geometry, EPSG:4326) holding every candidate lets the coverage sets
    be computed on the network near it only (:func:`gisplan.siting.clip.area_incidence`).
    """
    progress = progress or _noop
    if objective not in JOINT_OBJECTIVES:
        raise InputError(
            f"unknown objective {objective!r}",
            field="objective",
            hint="use complete or population",
        )
    cats = [c for c, n in counts.items() if int(n) > 0]
    for c in cats:
        standard[c]
        if c not in model.distances_m.columns:
            raise InputError(
                f"the access model has no distances for {c}",
                field="plan",
                hint="rebuild the AccessModel with this category",
            )
    weights = {c: float((weights or {}).get(c, 1.0)) for c in cats}
    comm = model.communities
    ids = comm["id"].to_numpy()
    dist = model.distances_m.reindex(ids)
    pop = comm["population"].to_numpy(dtype=float)
    ok = model.community_snap.ok & (pop > 0)
    if demand_mask is not None:
        ok &= np.asarray(demand_mask, dtype=bool)
    t0 = time.perf_counter()
    if objective == "complete":
        gw, item_group, item_cat, item_comm = _complete_items(dist, standard, cats, ok, pop)
    else:
        gw, item_group, item_cat, item_comm = _population_items(
            dist, standard, cats, ok, pop, weights
        )
    # Items sorted by category so that the incidence is block diagonal.
    order = np.argsort(item_cat, kind="stable")
    item_cat, item_comm, item_group = item_cat[order], item_comm[order], item_group[order]
    progress(
        f"joint plan {dict(counts)}: {len(gw)} groups ({len(item_cat)} needs) in play, "
        f"{len(candidates)} candidates"
    )
    blocks = []
    for j, c in enumerate(cats):
        sel = np.flatnonzero(item_cat == j)
        inc = area_incidence(
            model.network,
            candidates.snap,
            model.community_snap.subset(item_comm[sel]),
            threshold_m(standard, c),
            region,
            progress=progress,
        )
        blocks.append(sp.csr_matrix((np.ones(inc.nnz), inc.indices, inc.indptr), shape=inc.shape))
    a = sp.block_diag(blocks, format="csr") if blocks else sp.csr_matrix((0, 0))
    n_c = len(candidates)
    row_cat = np.repeat(np.arange(len(cats)), n_c)
    row_cand = np.tile(np.arange(n_c), len(cats))
    # Groups whose needs cannot all be covered by any candidate never count: drop them.
    reach = np.diff(a.tocsc().indptr) > 0
    dead = np.bincount(item_group[~reach], minlength=len(gw)) > 0
    if dead.any():
        keep_g = ~dead
        new_id = np.cumsum(keep_g) - 1
        keep_i = keep_g[item_group]
        a = a[:, np.flatnonzero(keep_i)].tocsr()
        item_group = new_id[item_group[keep_i]]
        item_cat, item_comm = item_cat[keep_i], item_comm[keep_i]
        gw = gw[keep_g]
    return JointProblem(
        counts={c: int(counts[c]) for c in cats},
        categories=cats,
        objective=objective,
        candidates=candidates,
        row_cat=row_cat,
        row_cand=row_cand,
        incidence=a,
        item_group=item_group,
        item_cat=item_cat,
        item_comm=item_comm,
        group_weight=np.asarray(gw, dtype=float),
        weights=weights,
        timings_s={"incidence": time.perf_counter() - t0},
    )


def joint_greedy(problem: JointProblem) -> np.ndarray:
    """Lazy greedy on the surrogate (see module doc) under the per-category budgets.

    Returns the chosen rows in the order picked.
    """
    a = problem.incidence
    share = problem.item_share()
    gains0 = a @ share
    budget = np.array([problem.counts[c] for c in problem.categories])
    used = np.zeros(len(budget), dtype=np.int64)
    covered = np.zeros(a.shape[1], dtype=bool)
    heap = [(-float(gains0[r]), int(r)) for r in np.flatnonzero(gains0 > 0)]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap and (used < budget).any():
        _, r = heapq.heappop(heap)
        if used[problem.row_cat[r]] >= budget[problem.row_cat[r]]:
            continue
        cols = a.indices[a.indptr[r] : a.indptr[r + 1]]
        fresh = cols[~covered[cols]]
        g = float(share[fresh].sum())
        if g <= 0:
            continue
        if heap and (-g, r) > heap[0]:
            heapq.heappush(heap, (-g, r))
            continue
        chosen.append(r)
        used[problem.row_cat[r]] += 1
        covered[fresh] = True
    return np.asarray(chosen, dtype=np.int64)


def _completion_values(problem: JointProblem, cnt: np.ndarray) -> tuple[float, np.ndarray]:
    """Objective with item cover counts ``cnt``, and per item what a new cover completes.

    That is its group's weight when it is the group's only uncovered item, else 0.
    """
    unc = cnt == 0
    ng = len(problem.group_weight)
    n_unc = np.bincount(problem.item_group[unc], minlength=ng)
    value = float(problem.group_weight[n_unc == 0].sum())
    v = np.where(
        unc & (n_unc[problem.item_group] == 1), problem.group_weight[problem.item_group], 0.0
    )
    return value, v


def joint_improve(
    problem: JointProblem,
    chosen: np.ndarray,
    *,
    max_sweeps: int = 10,
    time_limit_s: float = 5.0,
) -> tuple[np.ndarray, int]:
    """1-swap local search on the true objective.

    Swaps a site for another place of the same category; also fills unused budget.  Never
    worse.  Returns ``(rows, swaps)``.
    """
    t0 = time.perf_counter()
    a = problem.incidence
    rows = [int(r) for r in chosen]
    cnt = np.zeros(a.shape[1], dtype=np.int64)
    for r in rows:
        cnt[a.indices[a.indptr[r] : a.indptr[r + 1]]] += 1
    in_set = np.zeros(a.shape[0], dtype=bool)
    in_set[rows] = True
    tol = 1e-9 * max(1.0, problem.total_weight)
    swaps = 0
    # fill budgets the greedy left unused (surrogate gains ran out) with the best true gain
    for j, c in enumerate(problem.categories):
        while sum(problem.row_cat[r] == j for r in rows) < problem.counts[c]:
            _, v = _completion_values(problem, cnt)
            gains = a @ v
            gains[in_set | (problem.row_cat != j)] = -np.inf
            r = int(np.argmax(gains))
            if not gains[r] > tol:
                break
            rows.append(r)
            in_set[r] = True
            cnt[a.indices[a.indptr[r] : a.indptr[r + 1]]] += 1
    current, _ = _completion_values(problem, cnt)
    for _ in range(max_sweeps):
        improved = False
        for pos in range(len(rows)):
            s = rows[pos]
            cols_s = a.indices[a.indptr[s] : a.indptr[s + 1]]
            cnt[cols_s] -= 1
            base, v = _completion_values(problem, cnt)
            gains = a @ v
            gains[in_set | (problem.row_cat != problem.row_cat[s])] = -np.inf
            best = int(np.argmax(gains))
            if base + gains[best] > current + tol:
                cnt[a.indices[a.indptr[best] : a.indptr[best + 1]]] += 1
                in_set[s], in_set[best] = False, True
                rows[pos] = best
                current = base + float(gains[best])
                swaps += 1
                improved = True
            else:
                cnt[cols_s] += 1
            if time.perf_counter() - t0 > time_limit_s:
                return np.asarray(rows, dtype=np.int64), swaps
        if not improved:
            break
    return np.asarray(rows, dtype=np.int64), swaps


@dataclass(eq=False)
class JointExact:
    """Result of the joint MILP (see :class:`gisplan.siting.exact.ExactResult` for fields)."""

    chosen: np.ndarray
    objective: float
    bound: float
    mip_gap: float
    status: str
    optimal: bool
    time_s: float
    n_rows: int
    n_groups: int


def _reduce(problem: JointProblem):
    """Drop rows covering nothing; merge groups with identical needs (weights added)."""
    a = problem.incidence
    useful = np.flatnonzero(np.diff(a.indptr) > 0)
    at = a[useful].T.tocsr()
    at.sort_indices()
    keys = [
        (int(problem.item_group[t]), at.indices[at.indptr[t] : at.indptr[t + 1]].tobytes())
        for t in range(at.shape[0])
    ]
    per_group: dict[int, list[bytes]] = {}
    for g, k in keys:
        per_group.setdefault(g, []).append(k)
    gids = sorted(per_group)
    sig = [b"|".join(sorted(per_group[g])) for g in gids]
    codes, uniques = pd.factorize(pd.Series(sig, dtype=object))
    gw = np.bincount(codes, weights=problem.group_weight[gids], minlength=len(uniques))
    # one representative group per merged class; its items give the constraints
    rep = np.zeros(len(uniques), dtype=np.int64)
    rep[codes[::-1]] = np.asarray(gids)[::-1]
    rep_code = {int(g): i for i, g in enumerate(rep)}
    items = [t for t in range(at.shape[0]) if int(problem.item_group[t]) in rep_code]
    item_y = np.array([rep_code[int(problem.item_group[t])] for t in items], dtype=np.int64)
    cover = at[items]  # reduced items × useful rows
    return useful, cover, item_y, gw


def solve_joint_milp(
    problem: JointProblem,
    *,
    time_limit_s: float | None = 60.0,
    mip_rel_gap: float = 1e-6,
    initial: np.ndarray | None = None,
) -> JointExact:
    """Solve the joint plan exactly with HiGHS (see module doc)."""
    t0 = time.perf_counter()
    useful, cover, item_y, gw = _reduce(problem)
    nx, ny, nt = len(useful), len(gw), cover.shape[0]
    if nx == 0 or ny == 0:
        return JointExact(np.zeros(0, np.int64), 0.0, 0.0, 0.0, "Optimal", True, 0.0, nx, ny)
    ncat = len(problem.categories)
    # rows 0..nt-1: y_g - sum x <= 0 ; rows nt..nt+ncat-1: sum_{r in c} x_r <= k_c
    x_part = sp.vstack(
        [
            -cover.tocsc(),
            sp.csr_matrix(
                (np.ones(nx), (problem.row_cat[useful], np.arange(nx))), shape=(ncat, nx)
            ),
        ]
    ).tocsc()
    y_part = sp.vstack(
        [
            sp.csr_matrix((np.ones(nt), (np.arange(nt), item_y)), shape=(nt, ny)),
            sp.csr_matrix((ncat, ny)),
        ]
    ).tocsc()
    start = None
    if initial is not None and len(initial):
        pos = pd.Index(useful).get_indexer(np.asarray(initial))
        x0 = np.zeros(nx)
        x0[pos[pos >= 0]] = 1.0
        covered = (cover @ x0) > 0
        unc = np.bincount(item_y[~covered], minlength=ny)
        start = np.concatenate([x0, (unc == 0).astype(float)])
    run = run_covering_milp(
        sp.hstack([x_part, y_part]),
        np.concatenate([np.zeros(nx), gw]),
        np.concatenate([np.zeros(nt), [float(problem.counts[c]) for c in problem.categories]]),
        nx,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        start=start,
    )
    chosen = useful[np.flatnonzero(run.x > 0.5)] if run.x is not None else np.zeros(0, np.int64)
    return JointExact(
        chosen=np.sort(chosen).astype(np.int64),
        objective=problem.objective_of(chosen),
        bound=run.bound,
        mip_gap=run.mip_gap,
        status=run.status,
        optimal=run.optimal,
        time_s=time.perf_counter() - t0,
        n_rows=nx,
        n_groups=ny,
    )


@dataclass(eq=False)
class JointResult:
    """Chosen sites of a joint plan and their effect.

    ``sites`` (EPSG:4326) columns: ``rank``, ``id``, ``name``, ``kind`` (``"chosen"``),
    ``candidate_kind``, ``category``, ``method``, ``gain_population`` (people newly within
    the category's threshold thanks to this site, after the sites ranked before it),
    ``snap_offset_m``, ``lon``, ``lat``, ``source``, ``label``.
    """

    problem: JointProblem
    greedy_rows: np.ndarray | None
    greedy_objective: float | None
    greedy_plain_objective: float | None
    greedy_time_s: float | None
    exact: JointExact | None
    method: str
    chosen: np.ndarray
    sites: gpd.GeoDataFrame
    effect: Effect
    area: Area | None
    count_outside: bool
    synthetic: bool
    timings_s: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready summary: plan, objectives, gap, before/after figures (area and all)."""
        p = self.problem
        figs = self.effect.figures("all")
        out = {
            "plan": dict(p.counts),
            "objective": p.objective,
            "objective_unit": "people",
            "category_weights": dict(p.weights) if p.objective == "population" else None,
            "sites_chosen": int(len(self.chosen)),
            "method": self.method,
            "candidate_source": p.candidates.kind,
            "candidates": int(len(p.candidates)),
            "groups_in_play": int(len(p.group_weight)),
            "demand_weight_in_play": _num(p.total_weight),
            "synthetic": self.synthetic,
            "total_population": figs["population"],
            "categories": figs["categories"],
            "complete_circles_before": figs["complete_circles_before"],
            "complete_circles_after": figs["complete_circles_after"],
            "complete_population_before": figs["complete_population_before"],
            "complete_population_after": figs["complete_population_after"],
            "newly_complete_ids": self.effect.newly_complete_ids(),
            "greedy_objective": _num(self.greedy_objective),
            "greedy_plain_objective": _num(self.greedy_plain_objective),
            "greedy_time_s": None if self.greedy_time_s is None else round(self.greedy_time_s, 4),
            "exact_objective": None,
            "gap": None,
        }
        if self.exact is not None:
            e = self.exact
            out.update(
                exact_objective=_num(e.objective),
                exact_status=e.status,
                exact_optimal=e.optimal,
                exact_bound=_num(e.bound),
                exact_mip_gap=None if not np.isfinite(e.mip_gap) else round(e.mip_gap, 6),
                exact_time_s=round(e.time_s, 4),
                exact_model_size={"rows": e.n_rows, "groups": e.n_groups},
            )
        if self.greedy_objective is not None and self.exact is not None:
            best = max(self.exact.objective, self.greedy_objective)
            out["gap"] = round((best - self.greedy_objective) / best, 6) if best > 0 else 0.0
        if self.area is not None:
            out["area"] = area_summary(self.area, self.effect, count_outside=self.count_outside)
        out["timings_s"] = {k: round(v, 4) for k, v in {**p.timings_s, **self.timings_s}.items()}
        return out


def plan_joint(
    model: AccessModel,
    standard: CircleStandard,
    counts: Mapping[str, int],
    candidates: Candidates,
    *,
    objective: str = "complete",
    weights: Mapping[str, float] | None = None,
    exact: bool = False,
    improve: bool = True,
    time_limit_s: float | None = 60.0,
    mip_rel_gap: float = 1e-6,
    area: Area | None = None,
    count_outside: bool = False,
    synthetic: bool | None = None,
    progress: Progress | None = None,
) -> JointResult:
    """Choose the plan's sites jointly (greedy, and with ``exact`` the MILP as well).

    Parameters as for :func:`gisplan.siting.plan_sites`; ``counts`` maps category ids to the
    number of new sites, ``weights`` the per-category weights of the population objective.
    Existing amenities count as open. With ``area`` only candidates inside it are used and
    only its demand counts unless ``count_outside``.
    """
    progress = progress or _noop
    in_area = None
    if area is not None:
        candidates = candidates_within(candidates, area)
        in_area = area.contains(model.communities)
    problem = build_joint_problem(
        model,
        standard,
        counts,
        candidates,
        objective=objective,
        weights=weights,
        demand_mask=None if (in_area is None or count_outside) else in_area,
        region=None if area is None else area.geometry,
        progress=progress,
    )
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    progress("greedy")
    rows = joint_greedy(problem)
    plain = problem.objective_of(rows)
    if improve:
        rows, _ = joint_improve(problem, rows)
    g_obj = problem.objective_of(rows)
    timings["greedy"] = time.perf_counter() - t0
    e_res = None
    method = "greedy"
    if exact:
        progress(f"exact: joint MILP with HiGHS (time limit {time_limit_s} s)")
        e_res = solve_joint_milp(
            problem, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, initial=rows
        )
        timings["exact"] = e_res.time_s
        if e_res.objective >= g_obj and len(e_res.chosen):
            rows, method = e_res.chosen, "exact"
    order = _rank(problem, rows)
    effect, gains = _evaluate(model, standard, problem, order, in_area)
    if synthetic is None:
        src = model.communities.get("source", pd.Series([], dtype=str)).astype(str)
        synthetic = model.network.source == "synthetic" or bool((src == "synthetic").any())
    sites = _sites_frame(problem, order, gains, method, bool(synthetic))
    return JointResult(
        problem=problem,
        greedy_rows=rows,
        greedy_objective=g_obj,
        greedy_plain_objective=plain,
        greedy_time_s=timings["greedy"],
        exact=e_res,
        method=method,
        chosen=order,
        sites=sites,
        effect=effect,
        area=area,
        count_outside=bool(count_outside),
        synthetic=bool(synthetic),
        timings_s=timings,
    )


def _rank(problem: JointProblem, rows: np.ndarray) -> np.ndarray:
    """Order chosen rows by surrogate marginal gain (most valuable first)."""
    a = problem.incidence
    share = problem.item_share()
    left = [int(r) for r in rows]
    covered = np.zeros(a.shape[1], dtype=bool)
    out = []

    def gain(r: int) -> float:
        cols = a.indices[a.indptr[r] : a.indptr[r + 1]]
        return float(share[cols[~covered[cols]]].sum())

    while left:
        i = int(np.argmax([gain(r) for r in left]))
        r = left.pop(i)
        covered[a.indices[a.indptr[r] : a.indptr[r + 1]]] = True
        out.append(r)
    return np.asarray(out, dtype=np.int64)


def _evaluate(model, standard, problem: JointProblem, order: np.ndarray, in_area):
    """Effect of all chosen sites, and each site's people newly served in rank order."""
    after: dict[str, np.ndarray] = {}
    gains = np.zeros(len(order))
    mpm_thr = {c: threshold_m(standard, c) for c in problem.categories}
    pop = model.communities["population"].to_numpy(dtype=float)
    for j, c in enumerate(problem.categories):
        pos = np.flatnonzero(problem.row_cat[order] == j)
        cand = problem.row_cand[order[pos]]
        snap = problem.candidates.snap.subset(cand)
        after[c] = distances_with_sites(model, standard, c, snap)
        base = model.distances_m[c].reindex(model.communities["id"]).to_numpy(float)
        served = np.nan_to_num(base, nan=np.inf) <= mpm_thr[c]
        for p, ci in zip(pos, cand, strict=True):
            one = distances_with_sites(
                model, standard, c, problem.candidates.snap.subset(np.array([ci]))
            )
            new = (np.nan_to_num(one, nan=np.inf) <= mpm_thr[c]) & ~served
            gains[p] = pop[new].sum()
            served |= new
    return effect_of(model, standard, after, in_area=in_area), gains


def _sites_frame(problem: JointProblem, order, gains, method, synthetic) -> gpd.GeoDataFrame:
    return sites_frame(
        problem.candidates,
        problem.row_cand[order],
        {
            "category": [problem.categories[j] for j in problem.row_cat[order]],
            "method": method,
            "gain_population": np.asarray(gains, dtype=float),
        },
        synthetic=synthetic,
    )
