"""The access model owns the snapping context; build-time and re-applied parameters stay apart."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gisplan.errors import InputError
from gisplan.network.snapping import snap_points
from gisplan.siting import candidates_from_points, grid_candidates, make_candidates
from tests.helpers.cities import CRS, X0, Y0, build_model, small_city


@pytest.fixture(scope="module")
def model():
    net, comm, amen, std = small_city(seed=3)
    return build_model(net, comm, amen, std), std


def test_model_snap_uses_the_models_distance(model):
    m, _ = model
    # 150 m and 500 m west of the grid's corner: only the first is within 300 m.
    pts = gpd.GeoSeries([shapely.Point(X0 - 150, Y0), shapely.Point(X0 - 500, Y0)], crs=CRS)
    got = m.snap(pts)
    ref = snap_points(m.network, pts, max_distance_m=m.max_snap_distance_m)
    assert list(got.ok) == list(ref.ok) == [True, False]
    np.testing.assert_allclose(got.offset_m[got.ok], ref.offset_m[ref.ok])


def test_file_candidates_take_the_models_context_and_refuse_another(model):
    m, _ = model
    layer = gpd.GeoDataFrame(
        {"id": ["a", "b"]},
        geometry=[shapely.Point(X0 + 10, Y0 + 5), shapely.Point(X0 - 500, Y0)],
        crs=CRS,
    )
    c = make_candidates(m, "file", points=layer, file="c.geojson")
    assert list(c.snap.ok) == [True, False]
    with pytest.raises(TypeError):
        candidates_from_points(m, layer, max_snap_distance_m=1000)
    # With a bare network the caller's distance applies (here wide enough for both).
    wide = candidates_from_points(m.network, layer, max_snap_distance_m=1000)
    assert list(wide.snap.ok) == [True, True]


def test_make_candidates_defaults_and_unknown_source(model):
    m, _ = model
    a = make_candidates(m, "grid")
    b = grid_candidates(m.network, spacing_m=100.0)
    assert list(a.points["id"]) == list(b.points["id"])
    np.testing.assert_allclose(a.snap.along_m, b.snap.along_m)
    with pytest.raises(InputError):
        make_candidates(m, "nowhere")
    with pytest.raises(InputError):
        make_candidates(m, "file")


def test_coverage_leaves_the_shared_model_alone(model):
    m, std = model
    before = dict(m.timings_s)
    res = m.coverage(std)
    assert m.timings_s == before
    assert res.time_s > 0


def test_coverage_refuses_a_standard_with_another_snapping_distance(model):
    m, std = model
    with pytest.raises(InputError, match="snap"):
        m.coverage(std.with_overrides(max_snap_distance_m=50))
    # The summary reports the distance the model was built with.
    assert m.coverage(std).summary()["standard"]["max_snap_distance_m"] == m.max_snap_distance_m
