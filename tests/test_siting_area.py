"""Siting within a planning area: candidates inside it, demand inside it (or also outside).

Expectations are hand-computed on a straight street where the best site of the whole dataset,
the best site inside the area and the best site inside the area counting people outside it
are three different sites.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gisplan.access.coverage import AccessModel
from gisplan.catalogue import default_standard
from gisplan.errors import InputError
from gisplan.siting import plan_sites
from gisplan.siting.area import resolve_area
from gisplan.siting.effect import distances_with_sites, effect_of
from tests.helpers.cities import CRS, X0, Y0, street_model

# A street from x = 0 to 2000 m. The area is x < 1000 m.
# Communities (x, population): 210 -> 1000, 590 -> 800 (inside); 1100 -> 3000, 1800 -> 5000.
# Candidates at x = 200, 400, 950, 1800. Supermarket threshold 3 min at 4 km/h = 200 m.
COMM = [(210, 1000), (590, 800), (1100, 3000), (1800, 5000)]
CANDS = [200, 400, 950, 1800]


def street_city():
    standard = default_standard().with_overrides(thresholds={"supermarket": 3})
    model, cands = street_model(
        [(f"C{i}", f"小区{i}", x, p) for i, (x, p) in enumerate(COMM)],
        [("S0", "便利店", "convenience_store", 1000)],
        CANDS,
        standard,
        length_m=2000,
    )
    return model, standard, cands


@pytest.fixture
def area_file(tmp_path):
    poly = shapely.box(X0 - 50, Y0 - 100, X0 + 1000, Y0 + 100)
    path = tmp_path / "西片区.geojson"
    gpd.GeoDataFrame({"name": ["西片区"]}, geometry=[poly], crs=CRS).to_crs(4326).to_file(path)
    return path


@pytest.mark.parametrize("exact", [False, True])
def test_best_site_inside_differs_from_best_overall(area_file, exact):
    model, std, cands = street_city()
    overall = plan_sites(model, std, "supermarket", 1, cands, exact=exact)
    assert list(overall.sites["id"]) == ["K1800"]  # 5000 people

    area = resolve_area(area_file)
    assert area.name == "西片区" and area.kind == "file"
    inside = plan_sites(model, std, "supermarket", 1, cands, exact=exact, area=area)
    # Inside the area: K400 serves 210 and 590 (195 m each) = 1800 people; K950 serves
    # only the community at 1100, which lies outside and does not count.
    assert list(inside.sites["id"]) == ["K400"]
    a = inside.summary()["area"]
    assert a["objective_counts"] == "area only"
    assert a["area"]["categories"]["supermarket"]["newly_served_population"] == 1800
    assert a["outside"]["categories"]["supermarket"]["newly_served_population"] == 0
    assert a["area"]["population"] == 1800 and a["outside"]["population"] == 8000

    outside = plan_sites(
        model, std, "supermarket", 1, cands, exact=exact, area=area, count_outside=True
    )
    # Counting people outside: K950 (inside the area) brings 3000 people at x = 1100.
    assert list(outside.sites["id"]) == ["K950"]
    b = outside.summary()["area"]
    assert b["objective_counts"] == "area and outside"
    assert b["area"]["categories"]["supermarket"]["newly_served_population"] == 0
    assert b["outside"]["categories"]["supermarket"]["newly_served_population"] == 3000
    assert b["all"]["categories"]["supermarket"]["newly_served_population"] == 3000


def test_area_candidates_only_inside(area_file):
    model, std, cands = street_city()
    area = resolve_area(area_file)
    res = plan_sites(model, std, "supermarket", 3, cands, area=area)
    assert set(res.problem.candidates.points["id"]) == {"K200", "K400", "K950"}
    assert area.contains(res.sites).all()


def test_effect_matches_rebuilt_model(area_file):
    """The area figures equal a full rebuild of the AccessModel with the sites as amenities."""
    model, std, cands = street_city()
    area = resolve_area(area_file)
    chosen = np.array([1, 2])
    after = distances_with_sites(model, std, "supermarket", cands.snap.subset(chosen))
    eff = effect_of(model, std, {"supermarket": after}, in_area=area.contains(model.communities))
    extra = cands.points.iloc[chosen].assign(category="supermarket", source="test")
    rebuilt = AccessModel.build(
        model.network,
        model.communities,
        gpd.GeoDataFrame(
            pd_concat([model.amenities, extra[["id", "name", "category", "source", "geometry"]]]),
            crs=4326,
        ),
        categories=std.ids,
    )
    cov = rebuilt.coverage(std).table
    np.testing.assert_array_equal(eff.table["met_supermarket_after"], cov["met_supermarket"])
    np.testing.assert_array_equal(eff.table["complete_after"], cov["complete"])


def pd_concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_county_names_resolve():
    a = resolve_area("海曙区")
    assert a.kind == "county" and a.name.startswith("海曙区") and a.approximate
    assert resolve_area("海曙").name == a.name
    assert resolve_area("haishu").name == a.name
    # a point in central Haishu (天一广场 is in Haishu) is inside
    assert a.contains(gpd.GeoSeries([shapely.Point(121.553, 29.870)], crs=4326))[0]


def test_circle_layer_area():
    circles = gpd.GeoDataFrame(
        {"name": ["白云街道"]}, geometry=[shapely.box(121.5, 29.8, 121.6, 29.9)], crs=4326
    )
    a = resolve_area("白云街道", circles=circles)
    assert a.kind == "circle" and a.name == "白云街道"


def test_unknown_area_lists_names():
    with pytest.raises(InputError) as exc:
        resolve_area("火星区")
    assert "海曙区" in str(exc.value) and "within" in str(exc.value)


def test_area_file_without_polygon(tmp_path):
    path = tmp_path / "pts.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(121.5, 29.8)], crs=4326).to_file(path)
    with pytest.raises(InputError, match="no polygon"):
        resolve_area(path)


def test_area_without_candidates(area_file, tmp_path):
    model, std, cands = street_city()
    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=4326).to_file(far)
    with pytest.raises(InputError, match="no candidate"):
        plan_sites(model, std, "supermarket", 1, cands, area=resolve_area(far))


@pytest.mark.parametrize("n_demand", [20, 150])
@pytest.mark.parametrize("seed", range(4))
def test_area_incidence_equals_whole_network(seed, n_demand):
    """Coverage sets on the network near the area equal those on the whole network."""
    from gisplan.network.snapping import snap_points
    from gisplan.siting.clip import area_incidence
    from gisplan.siting.incidence import coverage_incidence
    from tests.helpers.cities import grid_network, random_points

    rng = np.random.default_rng(seed)
    net = grid_network(12, 12, 80.0, seed=seed, drop=0.2)
    region_m = shapely.box(X0 + 200, Y0 + 200, X0 + 500, Y0 + 600)
    region = gpd.GeoSeries([region_m], crs=CRS).to_crs(4326).iloc[0]
    cand_pts = random_points(net, 200, rng, spread=30)
    cand_pts = cand_pts[cand_pts.within(region_m)]
    cand = snap_points(net, cand_pts, ids=np.arange(len(cand_pts)))
    dem_pts = random_points(net, n_demand, rng, spread=30)  # fewer or more than candidates
    dem = snap_points(net, dem_pts, ids=np.arange(len(dem_pts)))
    thr = float(rng.uniform(150, 350))
    whole = coverage_incidence(net, cand, dem, thr)
    near = area_incidence(net, cand, dem, thr, region)
    assert len(cand) >= 5 and whole.nnz > 0
    assert (abs(whole - near) > 1e-6).nnz == 0
    assert np.array_equal(whole.indptr, near.indptr) and np.array_equal(whole.indices, near.indices)


def test_what_if_within_area_splits_inside_and_outside(area_file):
    """A what-if site near the area's edge: people inside and outside reported apart."""
    from gisplan.siting import what_if

    model, std, _ = street_city()
    area = resolve_area(area_file)
    # a supermarket at x = 950 serves the community at 1100 (outside) only
    lonlat = gpd.GeoSeries([shapely.Point(X0 + 950, Y0)], crs=CRS).to_crs(4326).iloc[0]
    wi = what_if(model, std, "supermarket", lonlat.x, lonlat.y, area=area)
    assert wi.area["name"] == "西片区"
    assert wi.area["newly_served_population_outside"] == 3000
    assert wi.area["newly_served_population_inside"] == 0
    # at x = 400 it serves the two communities inside
    lonlat = gpd.GeoSeries([shapely.Point(X0 + 400, Y0)], crs=CRS).to_crs(4326).iloc[0]
    wi = what_if(model, std, "supermarket", lonlat.x, lonlat.y, area=area)
    assert wi.area["newly_served_population_inside"] == 1800
    assert wi.area["newly_served_population_outside"] == 0
    assert wi.newly_served_population == 1800
