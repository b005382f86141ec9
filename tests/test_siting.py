"""Siting engine: coverage incidence, greedy and exact maximal covering, plan and what-if.

Expectations come from independent computations: per-candidate walking distances with
:func:`nearest_source_distances`, brute force over all k-subsets, a plain (non-lazy) greedy,
and a full rebuild of the AccessModel with the new amenities appended.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely

from gisplan.access.walking import nearest_source_distances
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import snap_points
from gisplan.siting import (
    build_problem,
    candidates_from_points,
    commercial_candidates,
    coverage_incidence,
    greedy_max_cover,
    grid_candidates,
    plan_sites,
    scenario_payload,
    solve_mclp,
    what_if,
)
from gisplan.siting.exact import reduce_problem
from gisplan.siting.greedy import improve_by_swaps
from gisplan.siting.plan import threshold_m
from tests.helpers.cities import CRS, build_model, grid_network, random_points, small_city


def line_network() -> WalkNetwork:
    # A(0,0) - B(100,0) - C(300,0)
    edges = gpd.GeoDataFrame(
        {"u": [1, 2], "v": [2, 3]},
        geometry=[shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (300, 0)])],
        crs=CRS,
    )
    edges["length"] = edges.length
    return WalkNetwork.from_edges(edges)


def pts(xy) -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.points(np.asarray(xy, dtype=float)), crs=CRS)


# -- coverage incidence ----------------------------------------------------------------------


def test_incidence_hand_computed_distances():
    net = line_network()
    cand = snap_points(net, pts([(250, 10), (640, 0)]), ids=["a", "far"], max_distance_m=1000)
    dem = snap_points(net, pts([(50, -20), (260, 5)]), ids=["c1", "c2"])
    inc = coverage_incidence(net, cand, dem, 230.0).toarray()
    # a -> c1: 10 off + 150 along BC + 100 ... no: via B: 10 + 150 + 50 + 20 = 230 (within)
    assert inc[0, 0] == pytest.approx(230.0)
    # a -> c2 on the same edge: 10 along + 10 + 5 off-network legs
    assert inc[0, 1] == pytest.approx(25.0)
    # "far" joins C with a 340 m leg: nothing within 230 m
    assert inc[1].sum() == 0
    inc = coverage_incidence(net, cand, dem, 229.0).toarray()
    assert inc[0, 0] == 0 and inc[0, 1] == pytest.approx(25.0)


@pytest.mark.parametrize("seed", range(6))
def test_incidence_equals_per_candidate_walking_distances(seed):
    rng = np.random.default_rng(100 + seed)
    net = grid_network(7, 6, 70.0, seed=seed, drop=0.25)
    cand_pts = random_points(net, 40, rng, spread=30)
    dem_pts = random_points(net, 80, rng, spread=30)
    # put a few demand points on candidates' own edges, and one unsnappable demand point
    extra = cand_pts.values[:5]
    extra = [shapely.Point(p.x + rng.uniform(-15, 15), p.y + rng.uniform(-15, 15)) for p in extra]
    dem_pts = pd.concat(
        [dem_pts, pts([(p.x, p.y) for p in extra]), pts([(0, 0)])], ignore_index=True
    )
    cand = snap_points(net, cand_pts, ids=np.arange(len(cand_pts)))
    dem = snap_points(net, dem_pts, ids=np.arange(len(dem_pts)))
    thr = float(rng.uniform(120, 300))
    inc = coverage_incidence(net, cand, dem, thr, batch_size=7)
    assert inc.shape == (len(cand), len(dem))
    for j in range(len(cand)):
        d = nearest_source_distances(net, cand.subset(np.array([j])), dem)
        expect = np.nan_to_num(d, nan=np.inf) <= thr
        row = inc.getrow(j)
        got = np.zeros(len(dem), dtype=bool)
        got[row.indices] = True
        assert np.array_equal(got, expect), f"candidate {j}"
        np.testing.assert_allclose(row.data, d[row.indices], rtol=0, atol=1e-6)


def test_incidence_unsnapped_candidate_has_empty_row():
    net = line_network()
    cand = snap_points(net, pts([(50, 0), (5000, 5000)]), ids=["a", "b"])
    dem = snap_points(net, pts([(60, 0)]), ids=["c"])
    inc = coverage_incidence(net, cand, dem, 100.0)
    assert inc.getrow(1).nnz == 0 and inc.getrow(0).nnz == 1


# -- greedy and exact ------------------------------------------------------------------------


def brute_force(a: sp.csr_matrix, w: np.ndarray, k: int) -> float:
    dense = a.toarray() > 0
    best = 0.0
    for comb in itertools.combinations(range(dense.shape[0]), min(k, dense.shape[0])):
        best = max(best, float(w[dense[list(comb)].any(axis=0)].sum()))
    return best


def plain_greedy(a: sp.csr_matrix, w: np.ndarray, k: int) -> list[int]:
    dense = a.toarray() > 0
    covered = np.zeros(dense.shape[1], dtype=bool)
    out = []
    for _ in range(k):
        gains = (dense & ~covered).astype(float) @ w
        j = int(np.argmax(gains))  # lowest index among ties
        if gains[j] <= 0:
            break
        out.append(j)
        covered |= dense[j]
    return out


@pytest.mark.parametrize("seed", range(8))
def test_exact_is_optimal_and_greedy_within_bound_on_network_instances(seed):
    rng = np.random.default_rng(seed)
    net = grid_network(6, 6, 80.0, seed=seed)
    cand = snap_points(net, random_points(net, 11, rng), ids=np.arange(11))
    dem = snap_points(net, random_points(net, 40, rng), ids=np.arange(40))
    a = coverage_incidence(net, cand, dem, float(rng.uniform(100, 220)))
    w = rng.integers(0, 1000, 40).astype(float)
    for k in (1, 2, 3, 4):
        opt = brute_force(a, w, k)
        ex = solve_mclp(a, w, k)
        gr = greedy_max_cover(a, w, k)
        assert ex.optimal and ex.objective == pytest.approx(opt)
        assert len(ex.chosen) <= k
        assert gr.objective <= opt + 1e-9
        assert gr.objective >= (1 - 1 / math.e) * opt - 1e-9
        assert list(gr.chosen) == plain_greedy(a, w, k)
        assert gr.gains.sum() == pytest.approx(gr.objective)
        better, _ = improve_by_swaps(a, w, gr.chosen)
        assert len(set(better.tolist())) == len(gr.chosen)
        covered = w[np.asarray(a[better].sum(axis=0)).ravel() > 0].sum() if len(better) else 0.0
        assert gr.objective - 1e-9 <= covered <= opt + 1e-9


def test_greedy_beats_nothing_and_stops_when_no_gain():
    a = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0]]))
    w = np.array([5.0, 1.0, 7.0])
    g = greedy_max_cover(a, w, 3)
    assert list(g.chosen) == [0] and g.objective == 6.0  # rows 1, 2 would add nothing
    ex = solve_mclp(a, w, 3)
    assert ex.objective == 6.0


def test_greedy_is_not_optimal_where_expected_and_exact_is():
    # Classic: greedy takes the big middle set, optimum takes the two halves.
    a = sp.csr_matrix(np.array([[0, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]]))
    w = np.array([1.0, 1, 1, 1, 1, 1])
    assert greedy_max_cover(a, w, 2).objective == 5.0
    ex = solve_mclp(a, w, 2)
    assert ex.objective == 6.0 and sorted(ex.chosen) == [1, 2]
    better, swaps = improve_by_swaps(a, w, greedy_max_cover(a, w, 2).chosen)
    assert sorted(better) == [1, 2] and swaps == 1


def test_reduce_problem_merges_identical_demand():
    a = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]))
    red, gw, cand = reduce_problem(a, np.array([2.0, 3.0, 4.0, 9.0]))
    assert list(cand) == [0, 1]  # candidate 2 covers nothing
    assert sorted(gw) == [4.0, 5.0]  # demand 0+1 merged, demand 3 uncovered, dropped
    assert red.shape == (2, 2)


# -- problem building and planning on a small city ------------------------------------------


@pytest.fixture(scope="module")
def city():
    counts = {"convenience_store": 8, "wet_market": 3, "supermarket": 3}
    net, comm, amen, std = small_city(3, n_comm=70, amen_counts=counts)
    return net, comm, amen, std, build_model(net, comm, amen, std)


def test_population_demand_is_exactly_the_unserved_communities(city):
    net, comm, amen, std, model = city
    cands = grid_candidates(net, spacing_m=60)
    table = model.coverage(std).table
    for cat in ("convenience_store", "wet_market"):
        prob = build_problem(model, std, cat, cands)
        unserved = table.loc[
            ~table[f"met_{cat}"] & table["snapped"] & (table["population"] > 0), "id"
        ]
        assert set(model.communities["id"].iloc[prob.demand]) == set(unserved)
        assert prob.weights.sum() == table.loc[table["id"].isin(unserved), "population"].sum()


def test_complete_demand_meets_other_required_categories(city):
    net, comm, amen, std, model = city
    cands = grid_candidates(net, spacing_m=60)
    table = model.coverage(std).table
    prob = build_problem(model, std, "wet_market", cands, objective="complete")
    expect = table.loc[
        ~table["met_wet_market"] & table["met_convenience_store"] & table["met_supermarket"], "id"
    ]
    assert set(model.communities["id"].iloc[prob.demand]) == set(expect)
    assert np.all(prob.weights == 1)
    with pytest.raises(InputError, match="not a required category"):
        build_problem(model, std, "pharmacy", cands, objective="complete")


def rebuild_with_sites(net, comm, amen, std, sites: gpd.GeoDataFrame, category: str):
    new = gpd.GeoDataFrame(
        {
            "id": [f"NEW{i}" for i in range(len(sites))],
            "name": "new",
            "category": category,
            "source": "test",
        },
        geometry=sites.geometry.to_crs(amen.crs).values,
        crs=amen.crs,
    )
    return build_model(net, comm, pd.concat([amen, new], ignore_index=True), std)


@pytest.mark.parametrize(
    ("category", "objective"),
    [
        ("convenience_store", "population"),
        ("wet_market", "population"),
        ("supermarket", "complete"),
    ],
)
def test_plan_sites_figures_match_a_full_recomputation(city, category, objective):
    net, comm, amen, std, model = city
    cands = grid_candidates(net, spacing_m=60)
    res = plan_sites(model, std, category, 3, cands, objective=objective, exact=True)
    s = res.summary()
    before = model.coverage(std)
    after = rebuild_with_sites(net, comm, amen, std, res.sites, category).coverage(std)
    pop = before.table["population"]
    assert s["covered_population_before"] == pop[before.table[f"met_{category}"]].sum()
    assert s["covered_population_after"] == pop[after.table[f"met_{category}"]].sum()
    assert s["communities_complete_before"] == before.communities_complete
    assert s["communities_complete_after"] == after.communities_complete
    newly = after.table["complete"] & ~before.table["complete"]
    assert set(s["newly_complete_ids"]) == set(after.table.loc[newly, "id"])
    # the objective of the kept solution is what the recomputation gains
    if objective == "population":
        assert (
            s["exact_objective"] == s["covered_population_after"] - s["covered_population_before"]
        )
    else:
        assert s["exact_objective"] == after.communities_complete - before.communities_complete
    assert 0 < s["greedy_plain_objective"] <= s["greedy_objective"] <= s["exact_objective"]
    assert s["gap"] == pytest.approx(
        (s["exact_objective"] - s["greedy_objective"]) / s["exact_objective"], abs=1e-6
    )
    # sites table: ranks, cumulative population ends at the after figure, lon/lat in EPSG:4326
    sites = res.sites
    assert sites.crs.to_epsg() == 4326
    assert list(sites["rank"]) == list(range(1, len(sites) + 1))
    assert sites["cumulative_population"].iloc[-1] == s["covered_population_after"]
    assert np.all(np.diff(sites["gain"].to_numpy()) <= 1e-9)  # ranked by marginal gain
    assert (sites["source"] == "synthetic").all() and sites["label"].str.contains("synthetic").all()
    np.testing.assert_allclose(sites["lon"], sites.geometry.x, atol=1e-6)


def test_plan_sites_exact_matches_brute_force_on_candidates(city):
    net, comm, amen, std, model = city
    cands = grid_candidates(net, spacing_m=60)
    prob = build_problem(model, std, "wet_market", cands)
    useful = np.flatnonzero(np.diff(prob.incidence.indptr) > 0)
    sub = cands.subset(useful[:12])
    prob = build_problem(model, std, "wet_market", sub)
    res = plan_sites(model, std, "wet_market", 3, sub, exact=True, problem=prob)
    assert res.exact.objective == pytest.approx(brute_force(prob.incidence, prob.weights, 3))


def test_scenario_payload_is_plain_json(city):
    import json

    net, comm, amen, std, model = city
    res = plan_sites(model, std, "wet_market", 2, grid_candidates(net, spacing_m=60))
    payload = scenario_payload(res, {"note": "x"}, name="方案A")
    text = json.dumps(payload, allow_nan=False)
    back = json.loads(text)
    assert back["name"] == "方案A" and back["category"] == "wet_market"
    assert back["params"]["k"] == 2 and back["params"]["note"] == "x"
    assert len(back["sites"]["features"]) == len(res.sites)
    assert all(f["properties"]["kind"] == "chosen" for f in back["sites"]["features"])
    cat = back["results"]["categories"]["wet_market"]
    assert cat["covered_population_after"] == res.summary()["covered_population_after"]


def test_plan_sites_rejects_bad_parameters(city):
    net, comm, amen, std, model = city
    cands = grid_candidates(net, spacing_m=60)
    with pytest.raises(InputError, match="k must be from 1"):
        plan_sites(model, std, "wet_market", 0, cands)
    with pytest.raises(InputError, match="unknown category"):
        plan_sites(model, std, "bakery", 2, cands)
    with pytest.raises(InputError, match="objective"):
        plan_sites(model, std, "wet_market", 2, cands, objective="people")


# -- candidates ------------------------------------------------------------------------------


def test_grid_candidates_lie_on_the_network_and_are_distinct(city):
    net = city[0]
    c = grid_candidates(net, spacing_m=50)
    xy = c.snap.snapped_xy
    d = shapely.distance(shapely.points(xy), shapely.multilinestrings(net.edge_geometry))
    assert np.all(d < 1e-6)
    assert len(np.unique(np.round(xy), axis=0)) == len(c)
    assert np.all(c.snap.offset_m == 0) and c.snap.ok.all()
    back = c.points.geometry.to_crs(CRS)
    np.testing.assert_allclose(np.c_[back.x, back.y], xy, atol=1e-3)
    # spacing bounds the count: no more than one candidate per grid cell
    ext = np.ptp(net.node_xy, axis=0)
    assert len(c) <= (ext[0] / 50 + 2) * (ext[1] / 50 + 2)
    with pytest.raises(InputError, match="spacing"):
        grid_candidates(net, spacing_m=1)


def test_commercial_candidates_are_near_existing_amenities(city):
    net, comm, amen, std, model = city
    c = commercial_candidates(
        net, amen, spacing_m=20, near_amenity_m=100, streets=gpd.GeoSeries([], crs=CRS)
    )
    am = amen.to_crs(CRS).geometry.values
    p = c.points.to_crs(CRS).geometry.values
    nearest = np.array([shapely.distance(q, am).min() for q in p])
    assert len(c) > 0 and np.all(nearest <= 100 + 1e-6)
    # every along-street point within 100 m of an amenity was kept (up to 1 m de-duplication)
    allp = commercial_candidates(
        net, amen, spacing_m=20, near_amenity_m=1e6, streets=gpd.GeoSeries([], crs=CRS)
    )
    ap = allp.points.to_crs(CRS).geometry.values
    near = np.array([shapely.distance(q, am).min() for q in ap]) <= 100 - 1
    assert near.sum() <= len(c)


def test_file_candidates_validation(city):
    net = city[0]
    good = gpd.GeoDataFrame(
        {"id": ["a", "b"]}, geometry=pts([(X, Y) for X, Y in net.node_xy[:2]]).values, crs=CRS
    )
    c = candidates_from_points(net, good)
    assert list(c.points["id"]) == ["a", "b"] and c.snap.ok.all() and c.points.crs == WGS84
    dup = good.assign(id=["a", "a"])
    with pytest.raises(InputError) as err:
        candidates_from_points(net, dup, file="c.geojson")
    assert err.value.row == 1 and err.value.field == "id" and "c.geojson" in str(err.value)
    far = gpd.GeoDataFrame({"id": ["z"]}, geometry=pts([(0, 0)]).values, crs=CRS)
    with pytest.raises(InputError, match="within 300 m"):
        candidates_from_points(net, far)
    with pytest.raises(InputError, match="no CRS"):
        candidates_from_points(net, gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(1, 1)]))


# -- what-if ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        ("east", 29.8, "not numbers"),
        (None, 29.8, "not numbers"),
        (float("nan"), 29.8, "not a longitude"),
        (121.5, float("inf"), "not a longitude"),
        (29.8, 121.5, "not a longitude"),  # swapped: latitude beyond 90°
        (181.0, 29.8, "not a longitude"),
    ],
)
def test_what_if_refuses_a_place_that_is_not_degrees(city, lon, lat, message):
    """One rule for a clicked or typed place (params.point_lonlat), shared with the residents' page."""
    *_, std, model = city
    with pytest.raises(InputError, match=message) as err:
        what_if(model, std, "supermarket", lon, lat)
    assert err.value.field == "lon/lat"


@pytest.mark.parametrize("seed", range(5))
def test_what_if_equals_full_recomputation(city, seed):
    net, comm, amen, std, model = city
    rng = np.random.default_rng(seed)
    p = random_points(net, 1, rng, spread=30).to_crs(WGS84).iloc[0]
    before = model.coverage(std)
    served = 0
    for cat in ("convenience_store", "wet_market", "supermarket"):
        wi = what_if(model, std, cat, p.x, p.y)
        served += len(wi.newly_served_ids)
        site = gpd.GeoDataFrame(geometry=[p], crs=WGS84)
        full = rebuild_with_sites(net, comm, amen, std, site, cat)
        after = full.coverage(std)
        newly = after.table[f"met_{cat}"] & ~before.table[f"met_{cat}"]
        assert set(wi.newly_served_ids) == set(after.table.loc[newly, "id"])
        assert wi.newly_served_population == after.table.loc[newly, "population"].sum()
        comp = after.table["complete"] & ~before.table["complete"]
        assert set(wi.newly_complete_ids) == set(after.table.loc[comp, "id"])
        mpm = std.metres_per_minute
        full_min = full.distances_m[cat] / mpm
        # within the threshold of the new site, minutes equal the recomputation
        idx = wi.minutes_to_site.index
        np.testing.assert_allclose(wi.new_minutes[idx], full_min[idx], atol=1e-9)
        # an unbounded search makes every community's minutes exact
        wi_all = what_if(model, std, cat, p.x, p.y, search_limit_m=np.inf, with_service_area=False)
        np.testing.assert_allclose(
            wi_all.new_minutes.to_numpy(),
            full_min.reindex(wi_all.new_minutes.index).to_numpy(),
            atol=1e-9,
        )
    assert served > 0  # the point serves someone new in at least one category


def test_what_if_service_area_holds_the_communities_it_serves(city):
    net, comm, amen, std, model = city
    p = gpd.GeoSeries([shapely.Point(*net.node_xy[40])], crs=CRS).to_crs(WGS84).iloc[0]
    wi = what_if(model, std, "supermarket", p.x, p.y)
    area = wi.service_area.to_crs(CRS).iloc[0]
    assert not area.is_empty and area.contains(shapely.Point(*net.node_xy[40]))
    pos = model.communities["id"].isin(wi.minutes_to_site.index).to_numpy()
    assert pos.sum() > 0
    joins = shapely.points(model.community_snap.snapped_xy[pos])
    assert np.all(shapely.covers(area.buffer(1e-6), joins))
    assert wi.service_area.crs.to_epsg() == 4326


def test_what_if_rejects_points_off_the_network(city):
    net, comm, amen, std, model = city
    with pytest.raises(InputError, match="walking network"):
        what_if(model, std, "supermarket", 121.0, 29.0)
    with pytest.raises(InputError, match="longitude"):
        what_if(model, std, "supermarket", 500.0, 29.0)
    with pytest.raises(InputError, match="unknown category"):
        what_if(model, std, "bakery", 121.55, 29.87)


def test_what_if_service_area_equals_the_access_service_area(city):
    from gisplan.access.service_area import service_area

    net, comm, amen, std, model = city
    p = gpd.GeoSeries([shapely.Point(*(net.node_xy[30] + [7.0, 12.0]))], crs=CRS)
    lonlat = p.to_crs(WGS84).iloc[0]
    wi = what_if(model, std, "wet_market", lonlat.x, lonlat.y)
    site = snap_points(net, p, ids=np.array(["s"]))
    ref = service_area(
        net, site, threshold_m(std, "wet_market"), to_crs=None, method="vector"
    ).iloc[0]
    mine = wi.service_area.to_crs(CRS).iloc[0]
    assert ref.area > 0
    assert mine.symmetric_difference(ref).area < 1e-3 * ref.area


def test_multistart_improve_never_worse_and_bounded_by_exact():
    import itertools

    import scipy.sparse as sp

    from gisplan.siting.greedy import greedy_max_cover, improve_by_swaps, multistart_improve

    rng = np.random.default_rng(11)
    for _ in range(15):
        n_c, n_d, k = 9, 30, 3
        dense = rng.random((n_c, n_d)) < 0.25
        a = sp.csr_matrix(dense.astype(float))
        w = rng.integers(1, 100, size=n_d).astype(float)

        def value(sel, dense=dense, w=w):
            return float(w[dense[list(sel)].any(axis=0)].sum())

        g = greedy_max_cover(a, w, k)
        swapped, _ = improve_by_swaps(a, w, g.chosen)
        ms, _ = multistart_improve(a, w, g.chosen)
        best = max(value(c) for c in itertools.combinations(range(n_c), k))
        assert len(set(ms.tolist())) == len(ms) <= k
        assert value(ms) >= value(swapped) - 1e-9
        assert value(ms) <= best + 1e-9


def test_what_if_on_top_of_planned_sites_equals_full_recomputation(city):
    """With planned sites open, the what-if counts only what the new site adds on top."""
    net, comm, amen, std, model = city
    rng = np.random.default_rng(5)
    cat = "wet_market"
    site_m = random_points(net, 1, rng, spread=30).iloc[0]
    # Planned sites 150-250 m away: their service areas overlap the new site's.
    planned = gpd.GeoSeries(
        [shapely.Point(site_m.x + 150, site_m.y), shapely.Point(site_m.x, site_m.y - 250)], crs=CRS
    ).to_crs(WGS84)
    new_site = gpd.GeoSeries([site_m], crs=CRS).to_crs(WGS84).iloc[0]
    planned_gdf = gpd.GeoDataFrame(geometry=planned.values, crs=WGS84)
    with_planned = rebuild_with_sites(net, comm, amen, std, planned_gdf, cat)
    both = rebuild_with_sites(
        net,
        comm,
        amen,
        std,
        gpd.GeoDataFrame(geometry=[*planned.values, new_site], crs=WGS84),
        cat,
    )
    before, after = with_planned.coverage(std).table, both.coverage(std).table
    wi = what_if(model, std, cat, new_site.x, new_site.y, planned_sites=planned_gdf)
    newly = after[f"met_{cat}"] & ~before[f"met_{cat}"]
    assert set(wi.newly_served_ids) == set(after.loc[newly, "id"])
    assert wi.newly_served_population == after.loc[newly, "population"].sum()
    comp = after["complete"] & ~before["complete"]
    assert set(wi.newly_complete_ids) == set(after.loc[comp, "id"])
    # Without the planned sites the same point serves more people "newly" (the overlap).
    alone = what_if(model, std, cat, new_site.x, new_site.y, with_service_area=False)
    assert alone.newly_served_population > wi.newly_served_population
