"""Candidates generated within a planning area equal those generated everywhere, then clipped.

``make_candidates(..., area=A)`` builds grid / commercial candidates only in the area's window
(issue 13). The reference is the old way: generate over the whole network, keep the candidates
inside ``A`` (:func:`candidates_within`). Both must give the same candidates — ids, joins and
positions — on jittered street grids with bent streets, for concave areas, areas with holes,
multi-part areas and areas whose boundary runs along or just beside streets.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.siting import candidates as cand_mod
from gisplan.siting.area import Area
from gisplan.siting.candidates import (
    Candidates,
    candidates_within,
    commercial_candidates,
    grid_candidates,
    make_candidates,
)
from tests.helpers.cities import X0, Y0, build_model, grid_network, random_points
from tests.helpers.networks import CRS

BLOCK = 80.0
N = 16  # 16 x 16 nodes, 1.2 km across


def _area(geom_m: shapely.Geometry, name: str = "测试片区") -> Area:
    """An area from a polygon in the test CRS (metres)."""
    geom = gpd.GeoSeries([geom_m], crs=CRS).to_crs(WGS84).iloc[0]
    return Area(name=name, kind="file", geometry=geom, source="test")


def _star(rng: np.random.Generator, cx: float, cy: float, r: float, n: int = 9) -> shapely.Polygon:
    """A concave star-shaped polygon (radius r / 3 .. r around (cx, cy))."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = rng.uniform(r / 3, r, n)
    return shapely.Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)])


def _areas(seed: int) -> list[Area]:
    rng = np.random.default_rng(seed)
    c = N * BLOCK / 2
    star = _star(rng, X0 + c, Y0 + c, 450.0)
    ring = shapely.box(X0 + 100, Y0 + 100, X0 + 1000, Y0 + 900).difference(
        shapely.box(X0 + 350, Y0 + 300, X0 + 700, Y0 + 650)
    )
    parts = shapely.MultiPolygon(
        [_star(rng, X0 + 250, Y0 + 250, 200.0), _star(rng, X0 + 900, Y0 + 850, 250.0)]
    )
    # Boundary along a street line (y = one grid row, jittered by up to 16 m) and just beside it.
    row = shapely.box(X0 - 50, Y0 + 5 * BLOCK, X0 + 700, Y0 + 9 * BLOCK + 3)
    corner = shapely.box(X0 - 500, Y0 - 500, X0 + 170, Y0 + 130)  # sticks out of the network
    return [_area(g, f"a{i}") for i, g in enumerate([star, ring, parts, row, corner])]


def assert_same(a: Candidates, b: Candidates) -> None:
    assert len(a) == len(b) > 0
    assert list(a.points["id"]) == list(b.points["id"])
    assert a.kind == b.kind and (a.points["kind"] == b.points["kind"]).all()
    assert np.array_equal(a.snap.ids, b.snap.ids)
    assert np.array_equal(a.snap.edge, b.snap.edge)
    assert np.array_equal(a.snap.along_m, b.snap.along_m)
    assert np.array_equal(a.snap.offset_m, b.snap.offset_m)
    assert np.array_equal(a.snap.snapped_xy, b.snap.snapped_xy)
    assert shapely.equals_exact(a.points.geometry.values, b.points.geometry.values, 0).all()


@pytest.mark.parametrize("spacing", [37.0, 60.0, 125.0])
@pytest.mark.parametrize("seed", range(3))
def test_grid_in_area_equals_grid_then_clip(seed, spacing):
    net = grid_network(N, N, BLOCK, seed=seed, drop=0.2)
    whole = grid_candidates(net, spacing_m=spacing)
    for area in _areas(seed):
        up_front = grid_candidates(net, spacing_m=spacing, area=area)
        assert_same(up_front, candidates_within(whole, area))
        assert area.contains(up_front.points).all()


@pytest.mark.parametrize("spacing", [20.0, 50.0])
@pytest.mark.parametrize("seed", range(3))
def test_commercial_in_area_equals_commercial_then_clip(seed, spacing):
    rng = np.random.default_rng(100 + seed)
    net = grid_network(N, N, BLOCK, seed=seed, drop=0.2)
    shops = gpd.GeoDataFrame(geometry=random_points(net, 25, rng).values, crs=CRS)
    streets = gpd.GeoSeries([shapely.LineString([(X0, Y0 + 610), (X0 + 1200, Y0 + 640)])], crs=CRS)
    kw = {"amenities": shops, "streets": streets, "spacing_m": spacing}
    whole = commercial_candidates(net, **kw)
    for area in _areas(seed):
        try:
            expected = candidates_within(whole, area)
        except InputError:
            with pytest.raises(InputError, match=area.name):  # none inside, or none near a shop
                commercial_candidates(net, **kw, area=area)
            continue
        assert_same(commercial_candidates(net, **kw, area=area), expected)


@pytest.mark.parametrize("source", ["grid", "commercial"])
def test_make_candidates_with_area(source):
    """What the CLI and the app call: same as make_candidates everywhere, then clipped."""
    rng = np.random.default_rng(5)
    net = grid_network(N, N, BLOCK, seed=5, drop=0.2)
    communities = gpd.GeoDataFrame(
        {"id": ["C0", "C1"], "name": ["甲", "乙"], "population": [100, 200], "source": "synthetic"},
        geometry=random_points(net, 2, rng).values,
        crs=CRS,
    )
    amenities = gpd.GeoDataFrame(
        {"id": [f"A{i}" for i in range(20)], "name": "店", "category": "supermarket"},
        geometry=random_points(net, 20, rng).values,
        crs=CRS,
    )
    from gisplan.catalogue import default_standard

    model = build_model(net, communities, amenities, default_standard())
    area = _areas(5)[0]
    expected = candidates_within(make_candidates(model, source, spacing_m=40.0), area)
    assert_same(make_candidates(model, source, spacing_m=40.0, area=area), expected)


def test_area_grid_is_generated_in_the_window_only(monkeypatch):
    """The grid-size limit applies to the area's window: a grid too fine for the whole
    network is fine for a small area (so generation really is restricted up front)."""
    net = grid_network(N, N, BLOCK, seed=1)
    small = _area(shapely.box(X0 + 300, Y0 + 300, X0 + 500, Y0 + 500))
    # Whole network: ~ (1200 / 10)^2 = 14,400 points; window of the area: ~ (200+2*32)/10 squared.
    monkeypatch.setattr(cand_mod, "MAX_GRID_POINTS", 2_000)
    with pytest.raises(InputError, match="grid over this network"):
        grid_candidates(net, spacing_m=10.0)
    got = grid_candidates(net, spacing_m=10.0, area=small)
    assert len(got) > 20 and small.contains(got.points).all()
    big = _area(shapely.box(X0, Y0, X0 + 1200, Y0 + 1200))
    with pytest.raises(InputError, match="grid over this area"):
        grid_candidates(net, spacing_m=10.0, area=big)


def test_area_outside_network_is_a_clear_error():
    net = grid_network(N, N, BLOCK, seed=2)
    far = _area(shapely.box(X0 + 50_000, Y0, X0 + 51_000, Y0 + 1000), "远处")
    with pytest.raises(InputError, match="no candidate site lies inside 远处"):
        grid_candidates(net, spacing_m=50.0, area=far)


def test_ids_number_the_whole_grid():
    """Grid ids are the row-major index of the point in the network's grid."""
    net = grid_network(N, N, BLOCK, seed=3)
    spacing = 100.0
    c = grid_candidates(net, spacing_m=spacing)
    xmin, ymin = net.node_xy.min(axis=0)
    nx = len(np.arange(xmin + spacing / 2, net.node_xy[:, 0].max() + spacing / 2, spacing))
    idx = np.array([int(i[1:]) for i in c.points["id"]])
    col, row = idx % nx, idx // nx
    grid_xy = np.c_[xmin + spacing / 2 + col * spacing, ymin + spacing / 2 + row * spacing]
    # each candidate lies within half a cell diagonal of its grid point
    assert (np.hypot(*(c.snap.snapped_xy - grid_xy).T) <= spacing / np.sqrt(2) + 1e-9).all()
    assert len(set(c.points["id"])) == len(c)
