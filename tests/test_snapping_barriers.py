"""Barrier-aware snapping: hand-built river crossings and properties on random networks.

Geometry in EPSG:32651 (metres). The hand-built layout (two parallel bank streets 100 m
apart — with straight parallel streets a point 40 m from one and 60 m from the other puts
them 100 m apart):

    y = 100  street B (far bank), x 0..1000 -------------------------+
    y 65..95 river polygon, x -100..900                               | bridge x = 1000
    y = 0    street A (own bank), x 0..1000 -------------------------+

The community at (100, 60) is 40 m from B (across the water) and 60 m from A.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.access.coverage import AccessModel
from gisplan.catalogue import default_standard
from gisplan.errors import InputError
from gisplan.network.snapping import snap_points
from tests.helpers.networks import CRS, network_from_segments, points, random_network

RIVER = shapely.box(-100, 65, 900, 95)


def _banks():
    return network_from_segments(
        [
            (1, 2, (0, 0), (1000, 0)),  # A, own bank
            (3, 4, (0, 100), (1000, 100)),  # B, far bank
            (2, 4, (1000, 0), (1000, 100)),  # the only bridge
        ]
    )


def _river(crs: str = CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["江"]}, geometry=[RIVER], crs=CRS).to_crs(crs)


def test_community_snaps_across_the_water_without_barriers_and_to_its_own_bank_with_them():
    net = _banks()
    free = snap_points(net, points([(100, 60)]), ids=["c"])
    assert free.edge[0] == 1 and free.offset_m[0] == pytest.approx(40)
    held = snap_points(net, points([(100, 60)]), ids=["c"], barriers=_river())
    assert held.edge[0] == 0 and held.offset_m[0] == pytest.approx(60)
    assert held.along_m[0] == pytest.approx(100)
    np.testing.assert_allclose(held.snapped_xy[0], [100, 0])


@pytest.mark.parametrize("barrier_crs", [CRS, "EPSG:4326"])
def test_walking_time_to_an_amenity_on_its_own_bank(barrier_crs):
    net = _banks()
    std = default_standard()
    comm = gpd.GeoDataFrame(
        {"id": ["c"], "name": ["甲"], "population": [100]},
        geometry=shapely.points([(100, 60)]),
        crs=CRS,
    )
    amen = gpd.GeoDataFrame(
        {"id": ["s"], "name": ["店"], "category": ["convenience_store"]},
        geometry=shapely.points([(160, -20)]),
        crs=CRS,
    )
    cats = std.ids
    free = AccessModel.build(net, comm, amen, categories=cats)
    river = _river(barrier_crs)
    held = AccessModel.build(net, comm, amen, categories=cats, barriers=river)
    assert held.barriers is river and free.barriers is None
    # across the water: 40 off + 900 along B to the bridge + 100 bridge + 840 back along A
    # + 20 off = 1900 m
    assert free.distances_m.loc["c", "convenience_store"] == pytest.approx(1900)
    # own bank: 60 off + 60 along A (x 100 -> 160) + 20 off = 140 m
    assert held.distances_m.loc["c", "convenience_store"] == pytest.approx(140, abs=1e-6)
    minutes = held.coverage(std).table.set_index("id").loc["c", "minutes_convenience_store"]
    assert minutes == pytest.approx(round(140 / (std.walking_speed_kmh * 1000 / 60), 2))


def test_point_with_every_candidate_edge_across_the_water_is_unsnapped():
    net = network_from_segments([(3, 4, (0, 100), (1000, 100))])  # street B only
    free = snap_points(net, points([(100, 40), (500, 120)]), ids=["c", "d"])
    assert free.ok.all()
    held = snap_points(net, points([(100, 40), (500, 120)]), ids=["c", "d"], barriers=_river())
    assert held.unsnapped_ids == ["c"]
    assert held.edge[0] == -1 and np.isnan(held.offset_m[0]) and np.isnan(held.snapped_xy[0]).all()
    assert held.offset_m[1] == pytest.approx(20)  # d is on B's bank


def test_point_in_the_water_may_leave_it_but_not_cross_land_into_water_again():
    net = _banks()
    # in the river, 20 m from B: the connector leaves the water at y=95 -> allowed
    held = snap_points(net, points([(100, 80)]), ids=["w"], barriers=_river())
    assert held.edge[0] == 1 and held.offset_m[0] == pytest.approx(20)
    # a second water body between the river and A: from the river, the way to A leaves the
    # river and enters the pond; the way to B only leaves the river -> B even though farther
    pond = shapely.box(-100, 10, 900, 40)
    water = gpd.GeoSeries([RIVER, pond], crs=CRS)
    held = snap_points(net, points([(100, 66)]), ids=["w"], barriers=water)
    assert held.edge[0] == 1 and held.offset_m[0] == pytest.approx(34)


def test_touching_water_polygons_count_as_one_water_body():
    net = _banks()
    # the river split in two polygons that meet at y=80; a point in the lower half may
    # leave through the upper half to B
    lower, upper = shapely.box(-100, 65, 900, 80), shapely.box(-100, 80, 900, 95)
    held = snap_points(
        net, points([(100, 70)]), ids=["w"], barriers=gpd.GeoSeries([lower, upper], crs=CRS)
    )
    assert held.edge[0] == 1 and held.offset_m[0] == pytest.approx(30)


def test_bank_is_not_water_and_line_barriers_block_only_when_crossed():
    net = _banks()
    # a connector ending on the bank polygon's edge only touches it
    bank_side = shapely.box(-100, 0, 900, 30)  # water starting exactly at street A
    held = snap_points(
        net, points([(100, 40)]), ids=["c"], barriers=gpd.GeoSeries([bank_side], crs=CRS)
    )
    # connector to A (y 40 -> 0) runs through the water interior (y 0..30): blocked -> B
    assert held.edge[0] == 1 and held.offset_m[0] == pytest.approx(60)
    wall = gpd.GeoSeries([shapely.LineString([(0, 30), (900, 30)])], crs=CRS)
    held = snap_points(net, points([(100, 40), (200, 30)]), ids=["c", "on"], barriers=wall)
    assert held.edge[0] == 1  # crossing the wall to A is blocked
    # a point on the wall itself may join A (the connector only touches the wall)
    assert held.edge[1] == 0 and held.offset_m[1] == pytest.approx(30)


def test_bad_barrier_layers_raise_input_error_naming_the_field():
    net = _banks()
    with pytest.raises(InputError) as err:
        snap_points(net, points([(100, 60)]), barriers=gpd.GeoSeries([RIVER]))
    assert err.value.field == "barriers" and err.value.hint
    with pytest.raises(InputError) as err:
        snap_points(
            net, points([(100, 60)]), barriers=gpd.GeoSeries([shapely.Point(1, 1)], crs=CRS)
        )
    assert err.value.field == "barriers" and "points" in str(err.value)
    with pytest.raises(InputError) as err:
        snap_points(net, points([(100, 60)]), barriers=[RIVER])
    assert err.value.field == "barriers"


# -- properties on random networks --------------------------------------------------------


def _same(a, b) -> None:
    np.testing.assert_array_equal(a.edge, b.edge)
    np.testing.assert_array_equal(a.along_m, b.along_m)
    np.testing.assert_array_equal(a.offset_m, b.offset_m)
    np.testing.assert_array_equal(a.snapped_xy, b.snapped_xy)


def _random_barriers(rng: np.random.Generator, n_poly: int, n_line: int) -> gpd.GeoSeries:
    geoms = []
    for _ in range(n_poly):
        c = rng.uniform(0, 2000, 2)
        if rng.random() < 0.5:
            geoms.append(shapely.Point(c).buffer(rng.uniform(20, 250), quad_segs=4))
        else:  # a long thin "river" strip
            a = rng.uniform(0, np.pi)
            d = np.array([np.cos(a), np.sin(a)]) * rng.uniform(300, 2000)
            geoms.append(shapely.LineString([c - d, c + d]).buffer(rng.uniform(5, 60)))
    for _ in range(n_line):
        geoms.append(shapely.LineString(rng.uniform(0, 2000, size=(int(rng.integers(2, 5)), 2))))
    return gpd.GeoSeries(geoms, crs=CRS)


def _oracle(net, pts: np.ndarray, barriers: gpd.GeoSeries, max_m: float) -> np.ndarray:
    """Offset (metres) of the nearest allowed join, one point and one edge at a time (NaN: none)."""
    kinds = barriers.geom_type.to_numpy()
    water = shapely.union_all(barriers.values[kinds == "Polygon"])
    lines = list(barriers.values[kinds == "LineString"])
    out = np.full(len(pts), np.nan)
    for i, p in enumerate(pts):
        best = np.inf
        for line in net.edge_geometry:
            d = p.distance(line)
            if d > max_m or d >= best:
                continue
            q = line.interpolate(line.project(p))
            if d > 0:
                conn = shapely.LineString([p, q])
                if any(conn.crosses(w) for w in lines):
                    continue
                if not water.is_empty and conn.intersects(water) and not conn.touches(water):
                    if not p.within(water):
                        continue
                    cut = conn.intersection(water)
                    pieces = [g for g in shapely.get_parts(cut) if g.geom_type == "LineString"]
                    if (
                        len(shapely.get_parts(shapely.line_merge(shapely.MultiLineString(pieces))))
                        > 1
                    ):
                        continue
            best = d
        out[i] = best if np.isfinite(best) else np.nan
    return out


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 30),
    extra=st.integers(0, 30),
    n_pts=st.integers(1, 30),
    n_poly=st.integers(0, 4),
    n_line=st.integers(0, 3),
)
def test_random_networks_barriers_respected_and_nearest_allowed(
    seed, n, extra, n_pts, n_poly, n_line
):
    rng = np.random.default_rng(seed)
    net = random_network(rng, n, extra)
    pts = points(rng.uniform(-100, 2100, size=(n_pts, 2)).tolist())
    max_m = 300.0
    free = snap_points(net, pts, max_distance_m=max_m)
    # an empty barrier layer gives exactly the unconstrained result
    _same(free, snap_points(net, pts, max_distance_m=max_m, barriers=gpd.GeoSeries([], crs=CRS)))

    barriers = _random_barriers(rng, n_poly, n_line)
    held = snap_points(net, pts, max_distance_m=max_m, barriers=barriers)
    # never closer than the unconstrained join; unsnapped stays unsnapped
    assert not (held.ok & ~free.ok).any()
    both = held.ok & free.ok
    assert (held.offset_m[both] >= free.offset_m[both] - 1e-9).all()
    # the chosen connector crosses no barrier line and enters no water it did not start in
    kinds = barriers.geom_type.to_numpy()
    water = shapely.union_all(barriers.values[kinds == "Polygon"])
    for k in np.flatnonzero(held.ok):
        p = pts.values[k]
        assert p.distance(net.edge_geometry[held.edge[k]]) == pytest.approx(held.offset_m[k])
        if held.offset_m[k] == 0:
            continue
        conn = shapely.LineString([p, shapely.Point(held.snapped_xy[k])])
        assert not any(conn.crosses(w) for w in barriers.values[kinds == "LineString"])
        if not water.is_empty and not p.within(water):
            assert conn.intersection(water).length < 1e-6
    # and it is the nearest allowed join (independent one-at-a-time search)
    expect = _oracle(net, pts.values, barriers, max_m)
    np.testing.assert_array_equal(np.isnan(expect), ~held.ok)
    np.testing.assert_allclose(held.offset_m[held.ok], expect[held.ok], rtol=0, atol=1e-6)
