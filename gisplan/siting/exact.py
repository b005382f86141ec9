"""Exact maximal covering location problem (MCLP) solved as a MILP with HiGHS (highspy).

    maximise    sum_i w_i y_i
    subject to  y_i <= sum_{j covers i} x_j     for every demand point i
                sum_j x_j <= k
                x_j in {0, 1},  0 <= y_i <= 1

Before solving, the problem is shrunk without changing its optimum: demand points with no
weight or no covering candidate are dropped, demand points with the same covering set are
merged (weights added), and candidates covering nothing are dropped. ``<= k`` rather than
``= k`` lets the solver leave out sites that add nothing; an optimal solution of one is an
optimal solution of the other.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["ExactResult", "solve_mclp", "reduce_problem", "run_covering_milp", "MilpRun"]

_BANNER_SHOWN = False


def _new_highs():
    """A silent ``highspy.Highs``.

    HiGHS prints a licence banner on standard output (C level) when the first instance of a
    process is created, before any option can be set; it would spoil the CLI's output, so the
    first construction runs with file descriptor 1 pointed at ``os.devnull``.
    """
    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        h = None
        try:
            sys.stdout.flush()
            saved = os.dup(1)
        except (OSError, ValueError, AttributeError):
            saved = None
        if saved is None:
            h = highspy.Highs()
        else:
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
                    with contextlib.suppress(Exception):
                        ctypes.CDLL(None).fflush(None)
            finally:
                os.dup2(saved, 1)
                os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


@dataclass(eq=False)
class ExactResult:
    """Result of the MILP.

    Attributes
    ----------
    chosen : numpy.ndarray of int
        Candidate indices with ``x_j = 1`` (ascending); empty when no solution was found.
    objective : float
        Covered weight of ``chosen`` recomputed from the incidence (not the solver's value).
    bound : float
        Best upper bound on the optimum proven by the solver.
    mip_gap : float
        Relative gap ``(bound - objective) / objective`` reported by HiGHS (0 when optimal).
    status : str
        HiGHS model status, e.g. ``"Optimal"`` or ``"Time limit reached"``.
    optimal : bool
        True when HiGHS proved optimality (within ``mip_rel_gap``).
    time_s : float
        Wall time including building the model (seconds).
    solve_time_s : float
        HiGHS run time only (seconds).
    n_candidates, n_demand : int
        Size of the reduced model that was solved.
    """

    chosen: np.ndarray
    objective: float
    bound: float
    mip_gap: float
    status: str
    optimal: bool
    time_s: float
    solve_time_s: float
    n_candidates: int
    n_demand: int


@dataclass(eq=False)
class MilpRun:
    """Outcome of :func:`run_covering_milp`.

    Values of the integer columns (None when HiGHS found no solution), model status text,
    optimality, best bound, relative gap, run time.
    """

    x: np.ndarray | None
    status: str
    optimal: bool
    bound: float
    mip_gap: float
    solve_time_s: float


def run_covering_milp(
    mat: sp.spmatrix,
    cost: np.ndarray,
    row_upper: np.ndarray,
    n_integer: int,
    *,
    time_limit_s: float | None,
    mip_rel_gap: float,
    threads: int | None = None,
    start: np.ndarray | None = None,
) -> MilpRun:
    """Maximise ``cost @ z`` subject to ``mat @ z <= row_upper`` and ``0 <= z <= 1`` with HiGHS.

    The first ``n_integer`` columns are integer (binary); ``start`` is a feasible ``z`` to
    start from.  The covering models of :func:`solve_mclp` and the joint plans
    (:func:`gisplan.siting.joint.solve_joint_milp`) both have this form.
    """
    import highspy

    mat = sp.csc_matrix(mat)
    mat.sort_indices()
    n_rows, n_cols = mat.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.ones(n_cols)
    lp.row_lower_ = np.full(n_rows, -highspy.kHighsInf)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = mat.indptr.astype(np.int32)
    lp.a_matrix_.index_ = mat.indices.astype(np.int32)
    lp.a_matrix_.value_ = mat.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_integer + [
        highspy.HighsVarType.kContinuous
    ] * (n_cols - n_integer)
    h = _new_highs()
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(time_limit_s))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    h.passModel(lp)
    if start is not None:
        h.setSolution(n_cols, np.arange(n_cols, dtype=np.int32), np.asarray(start, dtype=float))
    t0 = time.perf_counter()
    h.run()
    solve_time = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value)
    ok = len(values) == n_cols and info.primal_solution_status >= 1
    optimal = status == highspy.HighsModelStatus.kOptimal
    gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else float("inf")
    return MilpRun(
        x=values[:n_integer] if ok else None,
        status=h.modelStatusToString(status),
        optimal=bool(optimal),
        bound=float(info.mip_dual_bound),
        mip_gap=max(0.0, gap) if optimal else gap,
        solve_time_s=solve_time,
    )


def reduce_problem(
    incidence: sp.spmatrix, weights: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Shrink a covering problem without changing its optimum.

    Returns ``(reduced, group_weights, candidate_index)``: ``reduced`` is a (kept candidates ×
    demand groups) 0/1 CSR matrix, ``group_weights`` the summed weight of each group and
    ``candidate_index`` maps reduced rows back to original candidate indices.
    """
    a = sp.csr_matrix(incidence)
    w = np.asarray(weights, dtype=float)
    a = sp.csr_matrix((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)
    at = a.T.tocsr()
    at.sort_indices()
    n_cover = np.diff(at.indptr)
    keep_d = np.flatnonzero((w > 0) & (n_cover > 0))
    keys = [at.indices[at.indptr[i] : at.indptr[i + 1]].tobytes() for i in keep_d]
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
    group_w = np.bincount(codes, weights=w[keep_d], minlength=len(uniques))
    first = np.zeros(len(uniques), dtype=np.int64)
    first[codes[::-1]] = keep_d[::-1]  # one representative demand point per group
    reduced = at[first].T.tocsr()  # candidates × groups
    cand = np.flatnonzero(np.diff(reduced.indptr) > 0)
    return reduced[cand], group_w, cand


def solve_mclp(
    incidence: sp.spmatrix,
    weights: np.ndarray,
    k: int,
    *,
    time_limit_s: float | None = 60.0,
    mip_rel_gap: float = 1e-6,
    initial: np.ndarray | None = None,
    threads: int | None = None,
) -> ExactResult:
    """Solve the maximal covering problem exactly with HiGHS.

    Parameters
    ----------
    incidence : sparse matrix, shape (candidates, demand)
        Stored entries mark coverage (values ignored).
    weights : numpy.ndarray, shape (demand,)
        Non-negative demand weights.
    k : int
        Largest number of sites.
    time_limit_s : float or None
        HiGHS time limit (seconds); the best solution found so far is returned with its gap.
    mip_rel_gap : float
        Relative optimality tolerance.
    initial : numpy.ndarray of int, optional
        A feasible set of candidate indices (e.g. the greedy's) given to HiGHS as a start.
    """
    t0 = time.perf_counter()
    a = sp.csr_matrix(incidence)
    w = np.asarray(weights, dtype=float)
    reduced, gw, cand = reduce_problem(a, w)
    nx, ny = reduced.shape
    pattern = sp.csr_matrix((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)

    def covered_weight(sel: np.ndarray) -> float:
        if len(sel) == 0:
            return 0.0
        hit = np.asarray(pattern[sel].sum(axis=0)).ravel() > 0
        return float(w[hit].sum())

    if nx == 0 or k <= 0:
        return ExactResult(
            np.array([], dtype=np.int64),
            0.0,
            0.0,
            0.0,
            "Optimal",
            True,
            time.perf_counter() - t0,
            0.0,
            nx,
            ny,
        )
    if k >= nx:  # every useful candidate fits: optimal without a solver
        return ExactResult(
            cand.copy(),
            covered_weight(cand),
            float(gw.sum()),
            0.0,
            "Optimal",
            True,
            time.perf_counter() - t0,
            0.0,
            nx,
            ny,
        )

    # Rows 0..ny-1: y_g - sum_j a_jg x_j <= 0 ; row ny: sum_j x_j <= k.
    # Columns 0..nx-1: x_j ; nx..nx+ny-1: y_g.
    x_cols = sp.vstack([-reduced.T.tocsc(), sp.csr_matrix(np.ones((1, nx)))]).tocsc()
    y_cols = sp.vstack([sp.identity(ny, format="csc"), sp.csc_matrix((1, ny))]).tocsc()
    mat = sp.hstack([x_cols, y_cols]).tocsc()
    mat.sort_indices()

    start = None
    if initial is not None and len(initial):
        pos = pd.Index(cand).get_indexer(np.asarray(initial))
        pos = pos[pos >= 0][:k]
        x0 = np.zeros(nx)
        x0[pos] = 1.0
        start = np.concatenate([x0, np.minimum(1.0, reduced.T @ x0)])
    run = run_covering_milp(
        mat,
        np.concatenate([np.zeros(nx), gw]),
        np.concatenate([np.zeros(ny), [float(k)]]),
        nx,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        threads=threads,
        start=start,
    )
    chosen = cand[np.flatnonzero(run.x > 0.5)] if run.x is not None else np.array([], np.int64)
    objective = covered_weight(chosen)
    optimal, bound, gap, status_text, solve_time = (
        run.optimal,
        run.bound,
        run.mip_gap,
        run.status,
        run.solve_time_s,
    )
    return ExactResult(
        chosen=np.sort(chosen).astype(np.int64),
        objective=objective,
        bound=bound,
        mip_gap=gap,
        status=status_text,
        optimal=bool(optimal),
        time_s=time.perf_counter() - t0,
        solve_time_s=solve_time,
        n_candidates=nx,
        n_demand=ny,
    )
