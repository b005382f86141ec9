"""Siting new amenities: maximal covering location (lazy greedy + exact HiGHS MILP) and what-if.

>>> from gisplan.analysis import demo_dataset, build_access
>>> from gisplan.catalogue import default_standard
>>> from gisplan.siting import make_candidates, plan_sites, what_if
>>> ds = demo_dataset(); std = default_standard(); model = build_access(ds, std)
>>> cands = make_candidates(model, "grid", spacing_m=100)         # doctest: +SKIP
>>> res = plan_sites(model, std, "supermarket", 3, cands, exact=True)  # doctest: +SKIP
>>> res.summary()["covered_population_after"]                      # doctest: +SKIP
"""

from gisplan.siting.candidates import (
    CANDIDATE_SOURCES,
    Candidates,
    candidates_from_points,
    commercial_candidates,
    grid_candidates,
    make_candidates,
    read_candidates,
)
from gisplan.siting.exact import ExactResult, solve_mclp
from gisplan.siting.export import scenario_payload, scenario_payload_with_manual, write_outputs
from gisplan.siting.greedy import GreedyResult, greedy_max_cover
from gisplan.siting.incidence import coverage_incidence
from gisplan.siting.plan import (
    OBJECTIVES,
    SitingProblem,
    SitingResult,
    build_problem,
    evaluate_sites,
    plan_sites,
)
from gisplan.siting.whatif import WhatIf, what_if

__all__ = [
    "CANDIDATE_SOURCES",
    "Candidates",
    "candidates_from_points",
    "commercial_candidates",
    "grid_candidates",
    "make_candidates",
    "read_candidates",
    "ExactResult",
    "solve_mclp",
    "scenario_payload",
    "scenario_payload_with_manual",
    "write_outputs",
    "GreedyResult",
    "greedy_max_cover",
    "coverage_incidence",
    "OBJECTIVES",
    "SitingProblem",
    "SitingResult",
    "build_problem",
    "evaluate_sites",
    "plan_sites",
    "WhatIf",
    "what_if",
]
