"""Tests of gisplan.coords: WGS-84 / CGCS2000 / GCJ-02 / BD-09 conversions.

References used:
- Published vectors from the README of the widely used coordTransform (wandergis) library,
  reproduced by many independent ports: WGS-84 (116.404, 39.915) -> GCJ-02
  (116.41024449916938, 39.91640428150164), -> BD-09 (116.41662724378733, 39.922699552216216);
  GCJ-02 (116.404, 39.915) -> BD-09 (116.41036949371029, 39.92133699351021).
- Beijing railway station, GCJ-02 (116.42703, 39.90245) / BD-09 (116.43351, 39.90851), as
  published with 5 decimals.
- The maintained implementations ``prcoords`` (public domain) and ``eviltransform`` on PyPI
  (test dependencies).
"""

from __future__ import annotations

import eviltransform  # test dependency (pyproject [test])
import geopandas as gpd
import numpy as np
import prcoords  # test dependency (pyproject [test])
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from gisplan import coords
from gisplan.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    cgcs2000_to_wgs84,
    convert,
    from_wgs84_gdf,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84_gdf,
    wgs84_to_bd09,
    wgs84_to_cgcs2000,
    wgs84_to_gcj02,
)
from gisplan.errors import InputError

GEOD = Geod(ellps="WGS84")
# Mainland-China-ish box well inside the out_of_china box (lon 73-135, lat 18-53).
china_lon = st.floats(min_value=73.0, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=18.0, max_value=53.0, allow_nan=False)


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# -- published reference values ---------------------------------------------------------------


def test_wgs84_to_gcj02_published_vector():
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-11)
    assert lat == pytest.approx(39.91640428150164, abs=1e-11)
    # the brief's rounded figure
    assert (round(lon, 5), round(lat, 5)) == (116.41024, 39.9164)


def test_wgs84_to_bd09_published_vector():
    lon, lat = wgs84_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.41662724378733, abs=1e-11)
    assert lat == pytest.approx(39.922699552216216, abs=1e-11)


def test_gcj02_to_bd09_published_vectors():
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.41036949371029, abs=1e-11)
    assert lat == pytest.approx(39.92133699351021, abs=1e-11)
    # Beijing railway station, input and output published to 5 decimals: both roundings
    # (5e-6 each, the map's derivative being ~1) bound the difference by 1e-5 + margin.
    lon, lat = gcj02_to_bd09(116.42703, 39.90245)
    assert abs(lon - 116.43351) < 1.2e-5
    assert abs(lat - 39.90851) < 1.2e-5


def test_inverses_beat_the_one_step_approximation():
    """The published one-step inverses are off by decimetres; ours reproduce the input."""
    one_step_gcj_to_wgs = (116.39775550083061, 39.91359571849836)
    wgs = gcj02_to_wgs84(116.404, 39.915)
    assert metres(*wgs, *one_step_gcj_to_wgs) < 1.0  # same point, give or take the approximation
    back = wgs84_to_gcj02(*wgs)
    assert metres(*back, 116.404, 39.915) < 1e-4  # < 0.1 mm
    back_approx = wgs84_to_gcj02(*one_step_gcj_to_wgs)
    assert metres(*back_approx, 116.404, 39.915) > metres(*back, 116.404, 39.915)

    one_step_bd_to_gcj = (116.39762729119315, 39.90865673957631)
    gcj = bd09_to_gcj02(116.404, 39.915)
    assert metres(*gcj, *one_step_bd_to_gcj) < 1.0
    assert metres(*gcj02_to_bd09(*gcj), 116.404, 39.915) < 1e-4


# -- against maintained implementations -------------------------------------------------------


POINTS = [(116.404, 39.915), (121.55, 29.87), (121.62, 29.92), (87.6, 43.8), (113.26, 23.13)]


@pytest.mark.parametrize(("lon", "lat"), POINTS)
def test_against_prcoords(lon, lat):
    ref = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
    assert np.allclose(wgs84_to_gcj02(lon, lat), (ref.lon, ref.lat), atol=1e-9, rtol=0)
    ref = prcoords.wgs_bd(prcoords.Coords(lat, lon))
    assert np.allclose(wgs84_to_bd09(lon, lat), (ref.lon, ref.lat), atol=1e-9, rtol=0)
    # prcoords' iterative ("bored") inverses
    ref = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon))
    assert metres(*gcj02_to_wgs84(lon, lat), ref.lon, ref.lat) < 0.01
    ref = prcoords.bd_wgs_bored(prcoords.Coords(lat, lon))
    assert metres(*bd09_to_wgs84(lon, lat), ref.lon, ref.lat) < 0.01


@pytest.mark.parametrize(("lon", "lat"), POINTS)
def test_against_eviltransform(lon, lat):
    """eviltransform differs in two documented ways, which bound the agreement.

    Its shift uses a = 6378137 m instead of 6378245 m: a relative change of 1.7e-5 of a shift
    under 1 km, i.e. < 2 cm.  Its "exact" inverse is a bisection stopped at 1e-6 degrees
    (~0.11 m in each axis), so inverses agree within 0.2 m.
    """
    lat_ref, lon_ref = eviltransform.wgs2gcj(lat, lon)
    assert metres(*wgs84_to_gcj02(lon, lat), lon_ref, lat_ref) < 0.02
    lat_ref, lon_ref = eviltransform.wgs2bd(lat, lon)
    assert metres(*wgs84_to_bd09(lon, lat), lon_ref, lat_ref) < 0.02
    lat_ref, lon_ref = eviltransform.gcj2wgs_exact(lat, lon)
    assert metres(*gcj02_to_wgs84(lon, lat), lon_ref, lat_ref) < 0.2


def test_vectorised_matches_scalar_prcoords():
    rng = np.random.default_rng(7)
    lon = rng.uniform(75, 134, 500)
    lat = rng.uniform(19, 52, 500)
    gx, gy = wgs84_to_gcj02(lon, lat)
    assert gx.shape == (500,)
    ref = np.array(
        [
            (c.lon, c.lat)
            for c in (
                prcoords.wgs_gcj(prcoords.Coords(b, a)) for a, b in zip(lon, lat, strict=True)
            )
        ]
    )
    assert np.max(np.abs(gx - ref[:, 0])) < 1e-9
    assert np.max(np.abs(gy - ref[:, 1])) < 1e-9


# -- properties -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_roundtrip_wgs_gcj_wgs(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert abs(back[0] - lon) < 1e-6 and abs(back[1] - lat) < 1e-6
    assert metres(*back, lon, lat) < 0.01  # the brief's < 1 cm


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_roundtrip_wgs_bd_wgs(lon, lat):
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert metres(*back, lon, lat) < 0.01


@settings(max_examples=200, deadline=None)
@given(china_lon, china_lat)
def test_roundtrip_gcj_bd_gcj(lon, lat):
    back = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert metres(*back, lon, lat) < 0.01


@settings(max_examples=200, deadline=None)
@given(china_lon, china_lat)
def test_gcj_shift_is_bounded(lon, lat):
    """GCJ-02 moves points by tens to hundreds of metres, never kilometres, inside China."""
    d = metres(lon, lat, *wgs84_to_gcj02(lon, lat))
    assert 1.0 < d < 1500.0


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.tuples(st.floats(-180, 71.9), st.floats(-90, 90)),
        st.tuples(st.floats(137.9, 180), st.floats(-90, 90)),
        st.tuples(st.floats(-180, 180), st.floats(55.9, 90)),
        st.tuples(st.floats(-180, 180), st.floats(-90, 0.8)),
    )
)
def test_out_of_china_not_shifted(point):
    lon, lat = point
    assert bool(out_of_china(lon, lat))
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_out_of_china_box_edges():
    assert not out_of_china(121.55, 29.87)
    assert out_of_china(2.35, 48.85)  # Paris
    assert out_of_china(np.nan, 30.0)
    mask = out_of_china([72.0, 72.004, 137.8347, 137.84], [30, 30, 30, 30])
    assert mask.tolist() == [True, False, False, True]


def test_ningbo_shift_magnitude():
    """In Ningbo the GCJ-02 shift is several hundred metres; BD-09 about a kilometre."""
    lon, lat = 121.55, 29.87
    d_gcj = metres(lon, lat, *wgs84_to_gcj02(lon, lat))
    d_bd = metres(lon, lat, *wgs84_to_bd09(lon, lat))
    assert 300.0 < d_gcj < 700.0
    assert 800.0 < d_bd < 1400.0
    assert d_bd > d_gcj


# -- CGCS2000 ---------------------------------------------------------------------------------


def test_cgcs2000_is_practically_wgs84():
    lon = np.array([121.55, 116.404, 87.6])
    lat = np.array([29.87, 39.915, 43.8])
    x, y = cgcs2000_to_wgs84(lon, lat)
    assert np.max(metres(lon, lat, x, y)) < 0.01
    x2, y2 = wgs84_to_cgcs2000(x, y)
    assert np.allclose(x2, lon, atol=1e-12) and np.allclose(y2, lat, atol=1e-12)


# -- convert and shapes -----------------------------------------------------------------------


def test_convert_all_pairs_roundtrip_and_agree_with_direct_functions():
    lon = np.array([121.55, 121.60, 116.404])
    lat = np.array([29.87, 29.95, 39.915])
    for src in coords.SYSTEMS:
        for dst in coords.SYSTEMS:
            x, y = convert(lon, lat, src, dst)
            bx, by = convert(x, y, dst, src)
            assert np.max(metres(lon, lat, bx, by)) < 0.01, (src, dst)
    assert np.allclose(convert(lon, lat, "wgs84", "gcj02"), wgs84_to_gcj02(lon, lat), atol=0)
    assert np.allclose(convert(lon, lat, "gcj02", "bd09"), gcj02_to_bd09(lon, lat), atol=0)
    assert np.allclose(convert(lon, lat, "BD-09", "GCJ-02"), bd09_to_gcj02(lon, lat), atol=0)
    assert np.allclose(convert(lon, lat, "EPSG:4490", "baidu"), wgs84_to_bd09(lon, lat), atol=1e-10)


def test_shapes_scalars_and_nan():
    x, y = wgs84_to_gcj02(121.55, 29.87)
    assert isinstance(x, float) and isinstance(y, float)
    gx, gy = wgs84_to_gcj02([[121.55, 121.56]], [[29.87, 29.88]])
    assert gx.shape == (1, 2)
    nx, ny = gcj02_to_wgs84([121.55, np.nan], [29.87, 29.88])
    assert np.isnan(nx[1]) and np.isfinite(nx[0])


def test_convert_rejects_unknown_system():
    with pytest.raises(
        InputError, match="unknown coordinate system 'mars'.*wgs84, cgcs2000, gcj02, bd09"
    ):
        convert(1, 2, "mars", "wgs84")


# -- GeoDataFrames ----------------------------------------------------------------------------


def _layer():
    return gpd.GeoDataFrame(
        {"name": ["pt", "line", "poly"]},
        geometry=[
            shapely.Point(121.55, 29.87),
            shapely.LineString([(121.54, 29.86), (121.56, 29.88), (121.57, 29.88)]),
            shapely.Polygon(
                [(121.5, 29.8), (121.6, 29.8), (121.6, 29.9), (121.5, 29.9)],
                holes=[[(121.52, 29.82), (121.53, 29.82), (121.53, 29.83)]],
            ),
        ],
        crs="EPSG:4326",
    )


def test_gdf_roundtrip_every_vertex():
    wgs = _layer()
    for dst in ("gcj02", "bd09"):
        shifted = from_wgs84_gdf(wgs, dst)
        assert shifted.crs is None and shifted.attrs["coord_system"] == dst
        # every vertex moved exactly as the point function says
        c0 = shapely.get_coordinates(wgs.geometry.values)
        c1 = shapely.get_coordinates(shifted.geometry.values)
        ex, ey = convert(c0[:, 0], c0[:, 1], "wgs84", dst)
        assert np.allclose(c1[:, 0], ex, atol=0) and np.allclose(c1[:, 1], ey, atol=0)
        assert np.all(metres(c0[:, 0], c0[:, 1], c1[:, 0], c1[:, 1]) > 100)  # every vertex shifted
        back = to_wgs84_gdf(shifted, dst)
        assert back.crs == "EPSG:4326"
        cb = shapely.get_coordinates(back.geometry.values)
        assert np.max(metres(c0[:, 0], c0[:, 1], cb[:, 0], cb[:, 1])) < 0.01
        # holes and types kept
        assert list(back.geom_type) == ["Point", "LineString", "Polygon"]
        assert len(back.geometry.iloc[2].interiors) == 1
        assert list(back["name"]) == ["pt", "line", "poly"]
    assert wgs.crs == "EPSG:4326"  # input untouched
    assert shapely.get_coordinates(wgs.geometry.values)[0].tolist() == [121.55, 29.87]


def test_to_wgs84_gdf_projected_and_missing_crs():
    utm = _layer().to_crs("EPSG:32651")
    back = to_wgs84_gdf(utm, "wgs84")  # a projected layer's own CRS wins
    assert np.allclose(back.geometry.iloc[0].coords[0], (121.55, 29.87), atol=1e-9)
    with pytest.raises(InputError, match="projected"):
        to_wgs84_gdf(utm, "gcj02")
    with pytest.raises(InputError, match="no CRS"):
        to_wgs84_gdf(_layer().set_crs(None, allow_override=True))
    cg = from_wgs84_gdf(_layer(), "cgcs2000")
    assert cg.crs.to_epsg() == 4490
