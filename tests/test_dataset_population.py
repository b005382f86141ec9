"""Population of communities: households, residential polygons without buildings, census calibration."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gisplan.dataset.population import (
    PERSONS_PER_HOUSEHOLD,
    RESIDENT_AREA_M2,
    calibrate,
    households_to_population,
    landuse_demand,
    load_census,
)
from gisplan.errors import InputError
from gisplan.io.embedded import load_counties

UTM = "EPSG:32651"
X0, Y0 = 360_000.0, 3_306_000.0  # multiples of 250 m


def test_households_to_population():
    assert PERSONS_PER_HOUSEHOLD == 2.21  # Ningbo, 7th census (2020)
    np.testing.assert_array_equal(households_to_population([100, 1, 0, 455]), [221, 2, 0, 1006])
    np.testing.assert_array_equal(households_to_population([100], 3.0), [300])
    with pytest.raises(InputError, match="persons per household"):
        households_to_population([1], 0)


def test_residential_polygons_without_buildings_become_demand_units():
    areas = gpd.GeoDataFrame(
        {"id": ["osm:way/1", "osm:way/2", "osm:way/3"], "name": ["甲小区", "乙小区", ""]},
        geometry=[
            shapely.box(X0 - 1000, Y0, X0 - 900, Y0 + 100),  # 10,000 m², no building
            shapely.box(X0 - 2000, Y0, X0 - 1900, Y0 + 100),  # holds a building -> left to it
            shapely.box(X0, Y0, X0 + 600, Y0 + 250),  # 150,000 m² -> three grid cells
        ],
        crs=UTM,
    ).to_crs(4326)
    buildings = gpd.GeoDataFrame(
        {"id": ["osm:way/9"]}, geometry=[shapely.Point(X0 - 1950, Y0 + 50)], crs=UTM
    ).to_crs(4326)
    out = landuse_demand(areas, buildings, metric_crs=UTM).to_crs(UTM)
    assert list(out["id"]) == ["osm:way/1", "osm:way/3#1", "osm:way/3#2", "osm:way/3#3"]
    assert RESIDENT_AREA_M2 == 30.0
    # hand-computed: areas / 30 m² per resident, rounded
    assert list(out["area_m2"].round()) == [10000, 62500, 62500, 25000]
    assert list(out["population"]) == [333, 2083, 2083, 833]
    assert (out["population_method"] == "osm_landuse_area_density").all()
    assert out["population_estimated"].all()
    # each demand point lies inside its polygon's cell
    assert shapely.contains_xy(
        shapely.box(X0 + 500, Y0, X0 + 600, Y0 + 250), *out.geometry.iloc[3].coords[0]
    )
    assert out["name"].iloc[0] == "甲小区"


def _communities():
    return gpd.GeoDataFrame(
        {
            "id": ["a1", "a2", "a3", "b1", "c1", "c2"],
            "county": ["甲区", "甲区", "甲区", "乙区", "丙区", "丙区"],
            "population": [1000, 2000, 1000, 500, 5000, 300],
            "population_estimated": [False, True, True, True, False, True],
            "population_method": [
                "given",
                "households",
                "osm_landuse_area_density",
                "osm_buildings_floor_area",
                "given",
                "households",
            ],
        },
        geometry=shapely.points(np.arange(6), np.zeros(6)),
        crs=4326,
    )


def test_calibration_with_a_test_table(tmp_path):
    table = tmp_path / "census.csv"
    table.write_text(
        "# test table\ncounty,population\n甲区,6000\n乙区,900\n丙区,4000\n", encoding="utf-8"
    )
    census = load_census(table)
    out, cal = calibrate(
        _communities(), census, coverage_of_county={"甲区": 1.0, "乙区": 0.5, "丙区": 0.99}
    )
    # 甲区: (6000 - 1000 given) / 3000 estimated = 5/3
    assert cal.factors == {"甲区": pytest.approx(5 / 3)}
    p = out.set_index("id")["population"]
    assert p["a1"] == 1000 and p["a2"] == 3333 and p["a3"] == 1667
    assert p[["a1", "a2", "a3"]].sum() == 6000
    m = out.set_index("id")["population_method"]
    assert m["a2"] == "households+calibrated" and m["a1"] == "given"
    # 乙区 only half covered, 丙区 given figures exceed the census: untouched, with reasons
    assert cal.skipped == {
        "乙区": "the dataset covers 50% of the county",
        "丙区": "given figures alone reach the census total",
    }
    assert p["b1"] == 500 and p["c2"] == 300


def test_packaged_census_table_matches_the_county_layer():
    census = load_census()
    assert len(census) == 10
    assert int(census["population"].sum()) == 9_404_283  # the city total of the bulletin
    assert set(census["county"]) == set(load_counties()["name_zh"])


def test_census_table_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("county,population\n甲区,-5\n", encoding="utf-8")
    with pytest.raises(InputError, match="positive") as err:
        load_census(bad)
    assert err.value.row == 1
    missing = tmp_path / "m.csv"
    missing.write_text("name,pop\n甲区,5\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks column 'county'"):
        load_census(missing)


def test_communities_from_households(tmp_path):
    from gisplan.io.layers import read_communities

    only_hh = tmp_path / "hh.csv"
    only_hh.write_text(
        "编号,小区名称,经度,纬度,户数\nA,甲,121.55,29.87,100\nB,乙,121.56,29.87,455\n",
        encoding="gbk",
    )
    c = read_communities(only_hh, crs="wgs84")
    assert list(c["population"]) == [221, 1006]  # round(100 x 2.21), round(455 x 2.21)
    assert list(c["population_method"]) == ["households", "households"]
    assert c["population_estimated"].all()
    c3 = read_communities(only_hh, crs="wgs84", persons_per_household=3.0)
    assert list(c3["population"]) == [300, 1365]

    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "id,name,lon,lat,population,households\nA,甲,121.55,29.87,500,100\nB,乙,121.56,29.87,,200\n",
        encoding="utf-8",
    )
    m = read_communities(mixed, crs="wgs84").set_index("id")
    assert m.loc["A", "population"] == 500 and m.loc["A", "population_method"] == "given"
    assert not m.loc["A", "population_estimated"]
    assert m.loc["B", "population"] == 442 and m.loc["B", "population_method"] == "households"

    bad = tmp_path / "bad.csv"
    bad.write_text("id,lon,lat,户数\nA,121.55,29.87,10\nB,121.56,29.87,很多\n", encoding="utf-8")
    with pytest.raises(InputError, match="households is not a number") as err:
        read_communities(bad, crs="wgs84")
    assert err.value.field == "户数" and err.value.row == 2

    neither = tmp_path / "neither.csv"
    neither.write_text("id,lon,lat\nA,121.55,29.87\n", encoding="utf-8")
    with pytest.raises(InputError, match="or households"):
        read_communities(neither, crs="wgs84")
