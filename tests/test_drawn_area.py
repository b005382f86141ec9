"""An area drawn on the map by clicking corners: checks, surface in km², GeoJSON.

The surface is checked against an independent geodesic computation (pyproj's ``Geod`` on the
WGS-84 ellipsoid) and against a square laid out in metres; the validity rule against shapely's
own ``is_valid`` on random outlines.
"""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from gisplan.errors import InputError
from gisplan.siting.area import crossing_edges, drawn_area

LON, LAT = 121.55, 29.87  # 三江口


def _square_lonlat(side_m: float) -> list[tuple[float, float]]:
    """A side_m × side_m square laid out in UTM 51N (metres), as lon/lat corners."""
    x0, y0 = 363_000.0, 3_305_000.0
    sq = [(x0, y0), (x0 + side_m, y0), (x0 + side_m, y0 + side_m), (x0, y0 + side_m)]
    pts = gpd.GeoSeries(shapely.points(sq), crs=32651).to_crs(4326)
    return [(p.x, p.y) for p in pts]


def test_area_km2_of_a_square_and_against_geodesic():
    area = drawn_area(_square_lonlat(1000.0), name="方块")
    # UTM's scale factor near the central meridian is ~0.9996: 1 km² in UTM is ~1.0008 km²
    assert area.area_km2 == pytest.approx(1.0, rel=2e-3)
    geod_m2, _ = Geod(ellps="WGS84").geometry_area_perimeter(area.geometry)
    assert area.area_km2 == pytest.approx(abs(geod_m2) / 1e6, rel=1e-5)
    assert area.kind == "drawn" and area.name == "方块"


def test_concave_outline_is_kept_as_drawn():
    corners = [
        (LON, LAT),
        (LON + 0.02, LAT),
        (LON + 0.02, LAT + 0.02),
        (LON + 0.01, LAT + 0.005),  # notch
        (LON, LAT + 0.02),
    ]
    area = drawn_area(corners)
    assert area.geometry.equals(shapely.Polygon(corners))
    inside = gpd.GeoSeries(
        shapely.points([(LON + 0.005, LAT + 0.01), (LON + 0.01, LAT + 0.015)]), crs=4326
    )
    assert list(area.contains(inside)) == [True, False]  # the second lies in the notch


def test_geojson_download_round_trips():
    area = drawn_area(_square_lonlat(500.0), name="片区 <b>")
    back = gpd.read_file(io.BytesIO(area.to_geojson()))
    assert back.crs.to_epsg() == 4326 and len(back) == 1
    assert back.loc[0, "name"] == "片区 <b>" and back.loc[0, "kind"] == "drawn"
    assert back.loc[0, "area_km2"] == pytest.approx(area.area_km2, abs=1e-6)
    assert back.geometry.iloc[0].equals_exact(area.geometry, 1e-9)


@pytest.mark.parametrize(
    ("corners", "message"),
    [
        ([], "at least 3 corners; 0 placed"),
        ([(LON, LAT), (LON + 0.01, LAT)], "at least 3 corners; 2 placed"),
        # repeated clicks on one spot count once
        ([(LON, LAT), (LON, LAT), (LON + 0.01, LAT), (LON + 0.01, LAT)], "2 placed"),
        # bow tie: edge 1–2 crosses edge 3–4
        (
            [(LON, LAT), (LON + 0.01, LAT + 0.01), (LON + 0.01, LAT), (LON, LAT + 0.01)],
            "edge 1–2 meets edge 3–4",
        ),
        # the closing edge (4–1) crosses edge 2–3
        (
            [(LON, LAT), (LON + 0.02, LAT), (LON + 0.01, LAT + 0.01), (LON + 0.03, LAT + 0.01)],
            "edge 2–3 meets edge 4–1",
        ),
        ([(LON, LAT), (LON + 0.01, LAT + 0.01), (LON + 0.02, LAT + 0.02)], "on one line"),
        ([(LON, LAT), (LON + 0.01, LAT), (float("nan"), LAT)], "corner 3"),
        ([(LON, LAT), (LON + 0.01, LAT), (LON, 95.0)], "corner 3"),
    ],
)
def test_bad_outlines_are_refused_with_a_clear_message(corners, message):
    with pytest.raises(InputError, match=message):
        drawn_area(corners)


def test_too_many_corners():
    ang = np.linspace(0, 2 * np.pi, 250, endpoint=False)
    corners = list(zip(LON + 0.01 * np.cos(ang), LAT + 0.01 * np.sin(ang), strict=True))
    with pytest.raises(InputError, match="250 corners"):
        drawn_area(corners)


def test_crossing_edges_of_an_open_path():
    """While drawing (not closed yet) only the placed edges count."""
    z = [(0, 0), (2, 0), (1, 1), (3, 1)]
    assert crossing_edges(z, closed=False) == []
    assert crossing_edges(z) == [(1, 3)]
    zig = [(0, 0), (2, 2), (2, 0), (0, 2)]
    assert crossing_edges(zig, closed=False) == [(0, 2)]
    # going back along the previous edge overlaps it
    assert crossing_edges([(0, 0), (2, 0), (1, 0)], closed=False) == [(0, 1)]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1000), st.integers(0, 1000)), min_size=3, max_size=8, unique=True
    )
)
def test_accepted_exactly_when_shapely_calls_it_a_valid_polygon(raw):
    # exactly representable coordinates: collinear corners give exactly zero area
    corners = [(121.0 + x / 1024, 29.0 + y / 1024) for x, y in raw]
    poly = shapely.Polygon(corners)
    ok = poly.is_valid and poly.area > 0
    if ok:
        assert drawn_area(corners).geometry.equals(poly)
    else:
        with pytest.raises(InputError):
            drawn_area(corners)


def test_outline_error_says_which_check_failed():
    """The app words the message itself from ``reason`` (and the crossing edges)."""
    from gisplan.siting.area import OutlineError, edge_name

    bow = [(LON, LAT), (LON + 0.01, LAT + 0.01), (LON + 0.01, LAT), (LON, LAT + 0.01)]
    with pytest.raises(OutlineError) as err:
        drawn_area(bow)
    assert err.value.reason == "crossing" and err.value.edges == (0, 2)
    assert [edge_name(e, 4) for e in err.value.edges] == ["1–2", "3–4"]
    assert edge_name(3, 4) == "4–1"
    for corners, reason in [
        ([(LON, LAT)], "few"),
        ([(LON, LAT), (LON + 0.01, LAT + 0.01), (LON + 0.02, LAT + 0.02)], "no_area"),
        ([(LON, LAT), ("x", LAT), (LON, LAT + 0.01)], "corner"),
    ]:
        with pytest.raises(OutlineError) as err:
            drawn_area(corners)
        assert err.value.reason == reason and err.value.field == "vertices"
