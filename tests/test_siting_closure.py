"""Closures and relocations equal a full rebuild of the AccessModel without / with the amenities.

The expectation is independent of the incremental computation: ``AccessModel.build`` on the
amenities minus the closed ones (plus the new sites), and, for the nearest alternative, a
walking distance from that one amenity alone with :func:`nearest_source_distances`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gisplan.access.coverage import AccessModel
from gisplan.access.walking import nearest_source_distances
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.siting.area import Area
from gisplan.siting.closure import close_amenities
from tests.helpers.cities import build_model, random_points, small_city

COUNTS = {"convenience_store": 6, "wet_market": 4, "supermarket": 3}


def rebuilt(model, std, closed, extra=None):
    am = model.amenities[~model.amenities["id"].isin(closed)]
    if extra is not None:
        am = pd.concat([am, extra.to_crs(WGS84)], ignore_index=True)
    return AccessModel.build(
        model.network,
        model.communities,
        gpd.GeoDataFrame(am, crs=WGS84),
        categories=std.ids,
        max_snap_distance_m=std.max_snap_distance_m,
    )


def check_against(model, std, res, full):
    mpm = std.metres_per_minute
    t = res.effect.table
    for c in res.effect.categories:
        expect = full.distances_m[c].reindex(t["id"]).to_numpy() / mpm
        np.testing.assert_allclose(
            t[f"minutes_{c}_after"].to_numpy(), expect, rtol=0, atol=1e-6, equal_nan=True
        )
    cov = full.coverage(std).table.set_index("id")
    np.testing.assert_array_equal(t["complete_after"], cov.loc[t["id"], "complete"])


@pytest.mark.parametrize("seed", range(6))
def test_closure_equals_full_recomputation(seed):
    net, comm, amen, std = small_city(seed, n_comm=70, amen_counts=COUNTS)
    model = build_model(net, comm, amen, std)
    rng = np.random.default_rng(seed)
    # one amenity, then several of two categories at once
    for closed in (
        [str(rng.choice(amen["id"][amen["category"] == "wet_market"]))],
        list(rng.choice(amen["id"], 3, replace=False).astype(str)),
    ):
        res = close_amenities(model, std, closed)
        full = rebuilt(model, std, closed)
        check_against(model, std, res, full)
        a = res.affected
        # everyone who changed is listed; the alternative is the nearest remaining amenity
        for row in a.itertuples():
            if not row.alternative_id:
                assert not np.isfinite(row.minutes_after)
                continue
            assert row.alternative_id not in closed
            one = model.amenity_snap[row.category]
            pos = np.flatnonzero(one.ids == row.alternative_id)
            ci = np.flatnonzero(model.communities["id"].to_numpy() == row.id)
            d = nearest_source_distances(net, one.subset(pos), model.community_snap.subset(ci))[0]
            assert d / std.metres_per_minute == pytest.approx(row.alternative_minutes, abs=0.01)
        s = res.summary()
        lost = a[a["lost"]]
        assert s["people_losing"] == int(lost.drop_duplicates("id")["population"].sum())
        for c in res.effect.categories:
            f = s["categories"][c]
            assert (
                f["covered_population_before"] - f["covered_population_after"]
                == f["lost_population"]
            )


def test_closing_every_amenity_of_a_category():
    net, comm, amen, std = small_city(3, n_comm=40, amen_counts=COUNTS)
    model = build_model(net, comm, amen, std)
    closed = list(amen["id"][amen["category"] == "supermarket"].astype(str))
    res = close_amenities(model, std, closed)
    check_against(model, std, res, rebuilt(model, std, closed))
    assert res.summary()["complete_circles_after"] == 0
    assert (res.affected["alternative_id"] == "").all()


@pytest.mark.parametrize("seed", range(4))
def test_relocation_equals_full_recomputation(seed):
    net, comm, amen, std = small_city(seed, n_comm=70, amen_counts=COUNTS)
    model = build_model(net, comm, amen, std)
    rng = np.random.default_rng(50 + seed)
    closed = [str(rng.choice(amen["id"][amen["category"] == "supermarket"]))]
    new_pts = random_points(net, 2, rng, spread=10)
    new = gpd.GeoDataFrame(
        {
            "id": ["N1", "N2"],
            "name": ["新店1", "新店2"],
            "category": "supermarket",
            "source": "test",
        },
        geometry=new_pts.values,
        crs=new_pts.crs,
    )
    res = close_amenities(model, std, closed, open_sites=new)
    full = rebuilt(model, std, closed, new)
    t = res.effect.table
    # "met" and completeness are exact; minutes are exact within the new sites' search bound
    cov = full.coverage(std).table.set_index("id")
    np.testing.assert_array_equal(t["met_supermarket_after"], cov.loc[t["id"], "met_supermarket"])
    np.testing.assert_array_equal(t["complete_after"], cov.loc[t["id"], "complete"])
    for row in res.affected.itertuples():
        if row.alternative_id in ("N1", "N2"):
            expect = full.distances_m.loc[row.id, "supermarket"] / std.metres_per_minute
            assert row.alternative_minutes == pytest.approx(expect, abs=0.01)
    assert list(res.closed["id"]) == closed and list(res.opened["id"]) == ["N1", "N2"]


def test_area_figures_and_unknown_id():
    net, comm, amen, std = small_city(2, n_comm=60, amen_counts=COUNTS)
    model = build_model(net, comm, amen, std)
    hull = model.communities.geometry.union_all().convex_hull
    west = shapely.clip_by_rect(hull, -180, -90, hull.centroid.x, 90)
    area = Area("西半区", "file", west, "test")
    closed = [str(amen["id"][amen["category"] == "wet_market"].iloc[0])]
    s = close_amenities(model, std, closed, area=area).summary()
    for key in ("lost_population", "covered_population_after"):
        a = s["area"]["area"]["categories"]["wet_market"][key]
        o = s["area"]["outside"]["categories"]["wet_market"][key]
        assert a + o == s["categories"]["wet_market"][key]
    with pytest.raises(InputError, match="NOPE"):
        close_amenities(model, std, ["NOPE"])
