"""Service areas follow the network: hand-computed lengths and a property against distances."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.access.service_area import reachable_lines, service_area
from gisplan.access.walking import nearest_source_distances, node_distances
from gisplan.network.snapping import snap_points
from tests.helpers.networks import network_from_segments, points, random_network


def test_partial_edge_around_a_mid_edge_source():
    net = network_from_segments([(1, 2, (0, 0), (1000, 0))])
    src = snap_points(net, points([(300, 0)]), ids=["s"])
    lines = reachable_lines(net, node_distances(net, src), 200.0, sources=src)
    total = shapely.union_all(lines).length
    assert total == pytest.approx(400.0)
    merged = shapely.line_merge(shapely.union_all(lines))
    assert merged.bounds == pytest.approx((100.0, 0.0, 500.0, 0.0))


def test_t_junction_budget_split_between_branches():
    # Source at the junction J(0,0) with three 500 m arms; budget 300 m -> 3 x 300 m of street.
    net = network_from_segments(
        [(0, 1, (0, 0), (500, 0)), (0, 2, (0, 0), (-500, 0)), (0, 3, (0, 0), (0, 500))]
    )
    src = snap_points(net, points([(0, 0)]), ids=["s"])
    lines = reachable_lines(net, node_distances(net, src), 300.0, sources=src)
    assert shapely.union_all(lines).length == pytest.approx(900.0)


def test_service_area_is_not_a_circle_across_a_river():
    # Two banks joined by one bridge far away: the opposite bank is outside a 300 m area.
    net = network_from_segments(
        [
            (1, 2, (0, 0), (2000, 0)),
            (3, 4, (0, 150), (2000, 150)),
            (2, 4, (2000, 0), (2000, 150)),
        ]
    )
    src = snap_points(net, points([(100, 0)]), ids=["s"])
    area = service_area(net, src, 300.0, buffer_m=20, to_crs=None).iloc[0]
    assert area.contains(shapely.Point(350, 0))
    assert not area.contains(shapely.Point(100, 150))  # 150 m away as the crow flies


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 5000), budget=st.floats(50, 1500))
def test_targets_within_budget_lie_on_reachable_lines(seed, budget):
    rng = np.random.default_rng(seed)
    net = random_network(rng, 25, 30)
    src = snap_points(
        net,
        points(rng.uniform(0, 2000, size=(3, 2)).tolist()),
        ids=np.arange(3),
        max_distance_m=5000,
    )
    tgt = snap_points(
        net,
        points(rng.uniform(0, 2000, size=(40, 2)).tolist()),
        ids=np.arange(40),
        max_distance_m=5000,
    )
    nd = node_distances(net, src)
    lines = reachable_lines(net, nd, budget, sources=src)
    # Distance along the network from the join point (not including the target's own offset).
    d_on = nearest_source_distances(net, src, tgt, node_dist=nd) - tgt.offset_m
    reach = shapely.union_all(lines) if len(lines) else shapely.GeometryCollection()
    for k in range(len(tgt)):
        p = shapely.Point(tgt.snapped_xy[k])
        if d_on[k] <= budget - 1e-6:
            assert reach.distance(p) < 1e-5
    # Total reachable length never exceeds the network length and grows with the budget.
    more = reachable_lines(net, nd, budget * 1.5, sources=src)
    assert sum(g.length for g in lines) <= sum(g.length for g in more) + 1e-6
    assert (
        sum(g.length for g in more) <= float(np.sum([g.length for g in net.edge_geometry])) + 1e-6
    )


def _random_reachable_lines(*, seed: int, nodes: int, extra: int, n_src: int, budget_m: float):
    """Reachable lines within ``budget_m`` of ``n_src`` random sources on a random network."""
    rng = np.random.default_rng(seed)
    net = random_network(rng, nodes, extra)
    src = snap_points(
        net,
        points(rng.uniform(0, 2000, size=(n_src, 2)).tolist()),
        ids=np.arange(n_src),
        max_distance_m=5000,
    )
    return reachable_lines(net, node_distances(net, src), budget_m, sources=src)


def test_grid_buffer_agrees_with_exact_vector_buffer():
    from gisplan.access.service_area import buffer_lines

    lines = _random_reachable_lines(seed=3, nodes=60, extra=80, n_src=4, budget_m=600.0)
    exact = buffer_lines(lines, 40.0, method="vector")
    grid = buffer_lines(lines, 40.0, method="grid")
    assert grid.area == pytest.approx(exact.area, rel=0.05)
    assert grid.symmetric_difference(exact).area < 0.08 * exact.area
    # Every reachable line lies inside the grid outline.
    assert grid.buffer(1.0).covers(shapely.union_all(lines))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_clip_lines_matches_shapely_substring(seed):
    from shapely.ops import substring

    from gisplan.access.service_area import clip_lines

    rng = np.random.default_rng(seed)
    n = 30
    lines = []
    for _ in range(n):
        k = int(rng.integers(2, 8))
        xy = np.cumsum(rng.normal(0, 50, size=(k, 2)), axis=0)
        if rng.random() < 0.2:
            xy[1] = xy[0]  # a zero-length segment
        lines.append(shapely.LineString(xy))
    lines = np.array(lines, dtype=object)
    geom_len = shapely.length(lines)
    # Network lengths differ from geometry lengths: distances are scaled along the geometry.
    net_len = geom_len * rng.uniform(0.8, 1.25, n)
    a = rng.uniform(0, 1, n) * net_len
    b = a + rng.uniform(0, 1, n) * (net_len - a)
    b[:3] = net_len[:3]  # to the end
    a[3:6] = 0.0  # from the start
    keep = b > a
    got = clip_lines(lines[keep], net_len[keep], a[keep], b[keep])
    for g, line, nl, s, t in zip(got, lines[keep], net_len[keep], a[keep], b[keep], strict=True):
        scale = line.length / nl
        ref = substring(line, s * scale, t * scale)
        assert g.length == pytest.approx((t - s) * scale, abs=1e-6)
        assert g.length == pytest.approx(ref.length, abs=1e-6)
        assert shapely.hausdorff_distance(g, ref) < 1e-6
        assert g.coords[0] == pytest.approx(ref.coords[0], abs=1e-6)
        assert g.coords[-1] == pytest.approx(ref.coords[-1], abs=1e-6)


def test_clip_lines_hand_computed_on_a_bent_line():
    from gisplan.access.service_area import clip_lines

    # An L: 300 m east then 400 m north; the network says 1400 m (twice the drawn length).
    line = shapely.LineString([(0, 0), (300, 0), (300, 400)])
    (piece,) = clip_lines(np.array([line]), np.array([1400.0]), np.array([400.0]), [1000.0])
    # 400 -> 1000 network metres = 200 -> 500 drawn metres: (200, 0), corner, (300, 200).
    assert np.asarray(piece.coords) == pytest.approx(np.array([[200, 0], [300, 0], [300, 200]]))


def test_grid_buffer_city_scale_outline_is_valid_and_dissolved():
    from gisplan.access.service_area import buffer_lines, grid_cell_m

    lines = _random_reachable_lines(seed=8, nodes=150, extra=220, n_src=6, budget_m=900.0)
    exact = buffer_lines(lines, 40.0, method="vector")
    # A coarse grid as at city scale (cell chosen as for a ~50 km extent).
    cell = grid_cell_m((0, 0, 50_000, 50_000), 40.0)
    assert 10 < cell < 20
    grid = buffer_lines(lines, 40.0, method="grid", cell_m=cell)
    assert grid.is_valid
    # One polygon per connected part of the exact buffer, not a pile of cell strips.
    assert shapely.get_num_geometries(grid) <= 2 * shapely.get_num_geometries(exact)
    assert grid.area == pytest.approx(exact.area, rel=0.08)
    assert grid.symmetric_difference(exact).area < 0.15 * exact.area
    assert grid.buffer(cell).covers(shapely.union_all(lines))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 5000), budget=st.floats(50, 1500))
def test_pieces_from_the_edges_near_a_place_equal_those_from_every_edge(seed, budget):
    """``edges=``: the edges whose box meets the budget's square around the join point give
    exactly the pieces the whole network gives (what CircleFinder relies on)."""
    rng = np.random.default_rng(seed)
    net = random_network(rng, 30, 40)
    src = snap_points(net, points(rng.uniform(0, 2000, size=(1, 2)).tolist()), ids=["p"])
    nd = node_distances(net, src, limit_m=budget)
    x, y = src.snapped_xy[0]
    near = net.edge_tree.query(shapely.box(x - budget, y - budget, x + budget, y + budget))
    every = reachable_lines(net, nd, budget, sources=src)
    local = reachable_lines(net, nd, budget, sources=src, edges=near)
    assert len(local) == len(every)
    assert shapely.union_all(local).symmetric_difference(shapely.union_all(every)).length < 1e-6
