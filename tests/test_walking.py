"""Walking distances on hand-built networks and against an independent networkx computation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.access.walking import nearest_source_distances, node_distances
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import snap_points
from tests.helpers.networks import (
    CRS,
    network_from_segments,
    points,
    random_network,
    split_graph_distances,
)


def test_snap_onto_edge_interior_and_walk_along_network():
    # A(0,0) - B(100,0) - C(300,0)
    net = network_from_segments([(1, 2, (0, 0), (100, 0)), (2, 3, (100, 0), (300, 0))])
    amen = snap_points(net, points([(250, 10)]), ids=["a"])
    comm = snap_points(net, points([(50, -20)]), ids=["c"])
    assert amen.offset_m[0] == pytest.approx(10)
    assert amen.along_m[0] == pytest.approx(150)  # from B along B->C
    assert comm.along_m[0] == pytest.approx(50)
    d = nearest_source_distances(net, amen, comm)
    # 20 off-network + 50 to B + 150 along BC + 10 off-network
    assert d[0] == pytest.approx(230)


def test_source_on_same_edge_is_reached_directly():
    net = network_from_segments([(1, 2, (0, 0), (100, 0)), (2, 3, (100, 0), (1000, 0))])
    amen = snap_points(net, points([(600, 0)]), ids=["a"])
    comm = snap_points(net, points([(640, 5)]), ids=["c"])
    d = nearest_source_distances(net, amen, comm)
    assert d[0] == pytest.approx(45)  # 40 along the edge + 5 off-network, not via a node


def test_river_crossed_only_at_one_bridge():
    # South bank street y=0 and north bank street y=200, one bridge at x=500.
    segs = [
        (1, 2, (0, 0), (500, 0)),
        (2, 3, (500, 0), (1000, 0)),
        (4, 5, (0, 200), (500, 200)),
        (5, 6, (500, 200), (1000, 200)),
        (2, 5, (500, 0), (500, 200)),  # the bridge
    ]
    net = network_from_segments(segs)
    amen = snap_points(net, points([(100, 190)]), ids=["north"])
    comm = snap_points(net, points([(100, 10)]), ids=["south"])
    d = nearest_source_distances(net, amen, comm)
    assert d[0] == pytest.approx(10 + 400 + 200 + 400 + 10)


def test_nearest_of_several_sources_and_unreachable_and_unsnapped():
    segs = [(1, 2, (0, 0), (1000, 0)), (3, 4, (0, 5000), (1000, 5000))]  # two separate streets
    net = network_from_segments(segs)
    amen = snap_points(net, points([(900, 0), (300, 0)]), ids=["far", "near"])
    comm = snap_points(
        net, points([(100, 0), (500, 5000), (500, 2500)]), ids=["c1", "island", "nowhere"]
    )
    assert comm.unsnapped_ids == ["nowhere"]
    d = nearest_source_distances(net, amen, comm)
    assert d[0] == pytest.approx(200)
    assert np.isinf(d[1])
    assert np.isnan(d[2])


def test_node_distances_from_mid_edge_source():
    net = network_from_segments([(1, 2, (0, 0), (100, 0)), (2, 3, (100, 0), (300, 0))])
    amen = snap_points(net, points([(30, 0)]), ids=["a"])
    nd = node_distances(net, amen)
    order = np.argsort(net.node_ids)
    assert nd[order] == pytest.approx([30, 70, 270])


def test_parallel_edges_keep_the_shortest():
    # Two edges between the same nodes: a straight one (100 m) and a detour (300 m).
    edges = gpd.GeoDataFrame(
        {"u": [1, 1], "v": [2, 2]},
        geometry=[
            shapely.LineString([(0, 0), (100, 0)]),
            shapely.LineString([(0, 0), (0, 100), (100, 100), (100, 0)]),
        ],
        crs=CRS,
    )
    edges["length"] = edges.length
    net = WalkNetwork.from_edges(edges)
    assert net.adjacency.nnz == 2
    assert net.adjacency.data == pytest.approx([100, 100])


# -- independent check against networkx on random graphs --------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 40),
    extra=st.integers(0, 60),
    n_src=st.integers(1, 6),
    n_tgt=st.integers(1, 25),
)
def test_agrees_with_networkx_on_random_graphs(seed, n, extra, n_src, n_tgt):
    rng = np.random.default_rng(seed)
    net = random_network(rng, n, extra)
    src = snap_points(
        net,
        points(rng.uniform(-100, 2100, size=(n_src, 2)).tolist()),
        ids=np.arange(n_src),
        max_distance_m=400,
    )
    tgt = snap_points(
        net,
        points(rng.uniform(-100, 2100, size=(n_tgt, 2)).tolist()),
        ids=np.arange(n_tgt),
        max_distance_m=400,
    )
    ours = nearest_source_distances(net, src, tgt)
    ref = split_graph_distances(net, src, tgt)
    assert np.array_equal(np.isnan(ours), np.isnan(ref))
    finite = np.isfinite(ref)
    assert np.array_equal(np.isinf(ours), np.isinf(ref))
    np.testing.assert_allclose(ours[finite], ref[finite], rtol=1e-9, atol=1e-6)


# -- a single place: one bounded search per seed on the network's own adjacency ---------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 40),
    extra=st.integers(0, 60),
    limit=st.floats(0, 3000),
)
def test_bounded_search_from_one_place_equals_the_virtual_source_search(seed, n, extra, limit):
    """The per-seed path (a place: two seeds) equals the super-source path cut at the limit."""
    import gisplan.access.walking as walking

    rng = np.random.default_rng(seed)
    net = random_network(rng, n, extra)
    place = snap_points(
        net, points(rng.uniform(0, 2000, size=(1, 2)).tolist()), ids=["p"], max_distance_m=5000
    )
    ours = node_distances(net, place, limit_m=limit)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(walking, "FEW_SEEDS", 0)  # force the virtual super-source
        full = node_distances(net, place)
    expected = np.where(full <= limit, full, np.inf)
    assert np.array_equal(np.isinf(ours), np.isinf(expected))
    np.testing.assert_allclose(ours[np.isfinite(ours)], expected[np.isfinite(ours)], atol=1e-6)


def test_bounded_search_from_one_place_does_not_copy_the_adjacency():
    """Memory of one place's search: a few node arrays, never a copy of the adjacency."""
    import tracemalloc

    side = 150  # 22,500 nodes, 44,700 edges on a 50 m grid
    ids = np.arange(side * side).reshape(side, side)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    xy = np.column_stack([(ids % side).ravel() * 50.0, (ids // side).ravel() * 50.0])
    edges = gpd.GeoDataFrame(
        {"u": u, "v": v, "length": 50.0},
        geometry=shapely.linestrings(np.stack([xy[u], xy[v]], axis=1)),
        crs=CRS,
    )
    net = WalkNetwork.from_edges(edges)
    adj = net.adjacency
    adjacency_bytes = adj.data.nbytes + adj.indices.nbytes + adj.indptr.nbytes
    place = snap_points(net, points([(3210.0, 3333.0)]), ids=["p"])
    node_distances(net, place, limit_m=1333.0)  # warm-up (imports, caches)
    tracemalloc.start()
    nd = node_distances(net, place, limit_m=1333.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.isfinite(nd).sum() > 100  # the search did walk
    assert peak < 4 * net.n_nodes * 8 < adjacency_bytes, (peak, adjacency_bytes)
