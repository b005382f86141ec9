"""Joint plans of several categories: hand-computed case, brute force, greedy vs exact.

The brute force is independent of the siting code: for every combination of sites it takes
each community's walking distance to the existing amenities and to the chosen sites (one
:func:`nearest_source_distances` per candidate) and applies the threshold directly.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest

from gisplan.access.walking import nearest_source_distances
from gisplan.catalogue import default_standard
from gisplan.errors import InputError
from gisplan.siting import candidates_from_points, plan_sites
from gisplan.siting.joint import parse_plan, plan_joint
from tests.helpers.cities import CRS, build_model, random_points, small_city, street_model


def street(xs_comm, amen, cands, *, length=3000):
    """Communities ``(name, x, population)``, amenities ``(category, x)``, candidates at x."""
    std = default_standard().with_overrides(
        thresholds={"convenience_store": 3, "wet_market": 3, "supermarket": 3}
    )
    model, cand = street_model(
        [(n, n, x, p) for n, x, p in xs_comm],
        [(f"A{i}", c, c, x) for i, (c, x) in enumerate(amen)],
        cands,
        std,
        length_m=length,
    )
    return model, std, cand


def test_joint_beats_separate_picks():
    # P (x=500, 100 people) has a convenience store but misses wet market and supermarket.
    # Q (x=1500, 150) has a supermarket, misses wet market and convenience store.
    # R (x=2500, 150) has a wet market, misses supermarket and convenience store.
    model, std, cand = street(
        [("P", 500, 100), ("Q", 1500, 150), ("R", 2500, 150)],
        [("convenience_store", 500), ("supermarket", 1500), ("wet_market", 2500)],
        [500, 1500, 2500],
    )
    plan = {"wet_market": 1, "supermarket": 1}
    # Separately, each category serves the most people: market at Q, supermarket at R —
    # and no circle becomes complete (Q and R still lack a convenience store).
    wm = plan_sites(model, std, "wet_market", 1, cand)
    sm = plan_sites(model, std, "supermarket", 1, cand)
    assert list(wm.sites["id"]) == ["K1500"] and list(sm.sites["id"]) == ["K2500"]
    sep = plan_joint(model, std, plan, cand, objective="population")
    assert sorted(sep.sites["id"]) == ["K1500", "K2500"]
    assert sep.summary()["complete_circles_after"] == sep.summary()["complete_circles_before"]
    # The one-category "complete" objective sees no community it could complete alone.
    assert (
        plan_sites(model, std, "wet_market", 1, cand, objective="complete").problem.total_weight
        == 0
    )
    # Jointly: both at P completes P's circle (100 residents).
    for exact in (False, True):
        joint = plan_joint(model, std, plan, cand, objective="complete", exact=exact)
        s = joint.summary()
        assert sorted(zip(joint.sites["category"], joint.sites["id"], strict=True)) == [
            ("supermarket", "K500"),
            ("wet_market", "K500"),
        ]
        assert s["newly_complete_ids"] == ["P"]
        assert s["complete_population_after"] - s["complete_population_before"] == 100
        assert s["greedy_objective"] == 100
        if exact:
            assert s["exact_objective"] == 100 and s["gap"] == 0


def brute_force(model, std, plan, cand, objective, weights=None):
    """Best objective over all per-category combinations, computed from scratch."""
    ids = model.communities["id"].to_numpy()
    pop = model.communities["population"].to_numpy(dtype=float)
    base = model.distances_m.reindex(ids)
    mpm = std.metres_per_minute
    per_cand = {
        j: nearest_source_distances(
            model.network, cand.snap.subset(np.array([j])), model.community_snap
        )
        for j in range(len(cand))
    }
    req = std.required_ids

    def met(d, c):
        return np.nan_to_num(d / mpm, nan=np.inf) <= std.threshold_minutes(c) + 1e-9

    complete_before = np.all([met(base[c].to_numpy(float), c) for c in req], axis=0)
    best = 0.0
    cats = list(plan)
    combos = [list(itertools.combinations(range(len(cand)), plan[c])) for c in cats]
    for pick in itertools.product(*combos):
        after = {c: base[c].to_numpy(float).copy() for c in std.ids}
        for c, js in zip(cats, pick, strict=True):
            for j in js:
                after[c] = np.fmin(after[c], per_cand[j])
        if objective == "complete":
            comp = np.all([met(after[c], c) for c in req], axis=0)
            value = pop[comp & ~complete_before].sum()
        else:
            value = sum(
                (weights or {}).get(c, 1.0)
                * pop[met(after[c], c) & ~met(base[c].to_numpy(float), c)].sum()
                for c in cats
            )
        best = max(best, float(value))
    return best


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("objective", ["complete", "population"])
def test_exact_equals_brute_force_and_beats_greedy(seed, objective):
    counts = {"convenience_store": 3, "wet_market": 1, "supermarket": 1}
    net, comm, amen, std = small_city(seed, n_comm=50, amen_counts=counts)
    model = build_model(net, comm, amen, std)
    rng = np.random.default_rng(seed)
    cand = candidates_from_points(
        net, gpd.GeoDataFrame(geometry=random_points(net, 7, rng, spread=20), crs=CRS)
    )
    plan = {"wet_market": 2, "supermarket": 1}
    weights = {"wet_market": 2.0} if objective == "population" else None
    res = plan_joint(model, std, plan, cand, objective=objective, weights=weights, exact=True)
    s = res.summary()
    expect = brute_force(model, std, plan, cand, objective, weights)
    assert s["exact_objective"] == pytest.approx(expect)
    assert s["exact_objective"] >= s["greedy_objective"] - 1e-9
    assert s["exact_optimal"]
    assert s["gap"] == pytest.approx((expect - s["greedy_objective"]) / expect if expect else 0)
    # the reported figures agree with the objective
    if objective == "complete":
        gain = s["complete_population_after"] - s["complete_population_before"]
        assert gain == pytest.approx(expect)
    counts_chosen = res.sites["category"].value_counts().to_dict()
    assert all(counts_chosen.get(c, 0) <= n for c, n in plan.items())


def test_parse_plan():
    std = default_standard()
    assert parse_plan("wet_market=2, supermarket=3", std) == {"wet_market": 2, "supermarket": 3}
    assert parse_plan("wet_market=2，supermarket=0", std) == {"wet_market": 2}
    for bad in (
        "wet_market",
        "wet_market=x",
        "nosuch=1",
        "wet_market=1,wet_market=2",
        "wet_market=0",
    ):
        with pytest.raises(InputError):
            parse_plan(bad, std)


def test_complete_needs_required_category():
    net, comm, amen, std = small_city(1, n_comm=20)
    model = build_model(net, comm, amen, std)
    cand = candidates_from_points(
        net, gpd.GeoDataFrame(geometry=random_points(net, 3, np.random.default_rng(1)), crs=CRS)
    )
    with pytest.raises(InputError, match="not in the required standard"):
        plan_joint(model, std, {"breakfast": 1, "wet_market": 1}, cand, objective="complete")
