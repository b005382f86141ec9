"""City scale: the dataset catalogue, the disk cache of access models, hexagon aggregation."""

from __future__ import annotations

import json
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gisplan.analysis import demo_dataset
from gisplan.catalogue import default_standard
from gisplan.dataset import write_dataset
from gisplan.dataset.catalog import (
    DEMO_ID,
    ENV_DATASET,
    ENV_DATASETS_DIR,
    configured_datasets,
)
from gisplan.dataset.model_cache import cached_access, clear_memory, model_key
from gisplan.maps.hexagons import HEX_LEVELS, hex_axial, hex_polygons, hexagon_cells


@pytest.fixture(scope="module")
def demo():
    return demo_dataset(cached=True)


# -- catalogue --------------------------------------------------------------------------------


def test_catalogue_lists_configured_file_folder_and_demo(tmp_path, demo):
    one = tmp_path / "one.gpkg"
    write_dataset(replace(demo, name="数据一 one"), one)
    folder = tmp_path / "sets"
    folder.mkdir()
    write_dataset(replace(demo, name="B"), folder / "b.gpkg")  # same layers: listed once
    (folder / "broken.gpkg").write_bytes(b"not a geopackage")
    (folder / "notes.txt").write_text("ignored")

    assert [e.id for e in configured_datasets({})] == [DEMO_ID]
    got = configured_datasets({ENV_DATASET: str(one), ENV_DATASETS_DIR: str(folder)})
    assert [e.name for e in got] == ["数据一 one", "broken.gpkg", got[-1].name]
    assert got[0].content_hash == demo.content_hash and got[0].synthetic and got[0].usable
    assert got[0].path == one
    assert not got[1].usable and "broken.gpkg" in got[1].error
    assert got[-1].is_demo  # the demo comes last once a real choice exists
    # only a broken file configured: the demo is the default
    only_broken = configured_datasets({ENV_DATASETS_DIR: str(folder / "nope")})
    assert only_broken[0].is_demo and "not a folder" in only_broken[1].error


# -- model cache ------------------------------------------------------------------------------


def test_cached_model_equals_the_built_one_and_skips_opening(tmp_path, demo):
    std = default_standard()
    clear_memory()
    ds1, m1, t1 = cached_access(demo.content_hash, lambda: demo, std, directory=tmp_path)
    assert t1["hit"] is False

    def must_not_open():
        raise AssertionError("a cache hit must not open the dataset")

    _, m_mem, t_mem = cached_access(demo.content_hash, must_not_open, std, directory=tmp_path)
    assert t_mem["memory"] is True and m_mem is m1  # held in this process
    clear_memory()  # from here on: read back from disk

    ds2, m2, t2 = cached_access(demo.content_hash, must_not_open, std, directory=tmp_path)
    assert t2["hit"] is True
    pd.testing.assert_frame_equal(m1.distances_m, m2.distances_m)
    for c in m1.node_dist_m:
        np.testing.assert_array_equal(m1.node_dist_m[c], m2.node_dist_m[c])
    r1, r2 = m1.coverage(std).table, m2.coverage(std).table
    pd.testing.assert_frame_equal(r1.drop(columns="geometry"), r2.drop(columns="geometry"))
    assert (ds2.name, ds2.synthetic, ds2.content_hash) == (demo.name, True, demo.content_hash)
    assert ds2.sources == demo.sources and set(ds2.extras) == set(demo.extras)
    net1, net2 = m1.network, m2.network
    np.testing.assert_array_equal(net1.edge_length, net2.edge_length)
    assert shapely.equals(net1.edge_geometry, net2.edge_geometry).all()
    assert (net1.adjacency != net2.adjacency).nnz == 0
    for c, s in m1.amenity_snap.items():
        np.testing.assert_array_equal(s.ids, m2.amenity_snap[c].ids)
        np.testing.assert_array_equal(s.edge, m2.amenity_snap[c].edge)
    # a service area (snaps, node distances and edge geometries) is the same on both
    from gisplan.access.service_area import service_area

    areas = [
        service_area(
            m.network,
            m.amenity_snap["supermarket"],
            std.threshold_metres("supermarket"),
            node_dist_m=m.node_dist_m["supermarket"],
        )
        for m in (m1, m2)
    ]
    m2_area = [a.to_crs("EPSG:32651").area.sum() for a in areas]  # square metres
    assert m2_area[0] > 0
    assert m2_area[0] == pytest.approx(m2_area[1], rel=1e-9)


def test_model_key_changes_with_hash_categories_and_snapping():
    base = model_key("abc", ["a", "b"], 300.0)
    assert model_key("abc", ["b", "a"], 300.0) == base
    assert model_key("abd", ["a", "b"], 300.0) != base
    assert model_key("abc", ["a"], 300.0) != base
    assert model_key("abc", ["a", "b"], 250.0) != base


def test_damaged_cache_entry_is_rebuilt(tmp_path, demo):
    std = default_standard()
    clear_memory()
    cached_access(demo.content_hash, lambda: demo, std, directory=tmp_path)
    (entry,) = list(tmp_path.glob("model-*"))
    (entry / "distances.parquet").write_bytes(b"garbage")
    clear_memory()
    _, m, t = cached_access(demo.content_hash, lambda: demo, std, directory=tmp_path)
    assert t["hit"] is False and len(m.distances_m) == len(demo.communities)
    clear_memory()
    _, _, t = cached_access(demo.content_hash, lambda: demo, std, directory=tmp_path)
    assert t["hit"] is True


# -- hexagons ---------------------------------------------------------------------------------


def test_hex_axial_puts_every_point_in_its_own_hexagon():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-5000, 5000, 4000), rng.uniform(-5000, 5000, 4000)
    q, r = hex_axial(x, y, 700.0)
    polys = hex_polygons(q, r, 700.0)
    pts = shapely.points(x, y)
    assert shapely.covers(polys, pts).all()
    # the hexagon holding a point is its nearest hexagon centre (the definition of the grid)
    cx = 700.0 * np.sqrt(3) * (q + r / 2)
    cy = 700.0 * 1.5 * r
    d_own = np.hypot(x - cx, y - cy)
    for dq, dr in ((1, 0), (0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1)):
        ox = 700.0 * np.sqrt(3) * (q + dq + (r + dr) / 2)
        oy = 700.0 * 1.5 * (r + dr)
        assert (d_own <= np.hypot(x - ox, y - oy) + 1e-6).all()
    # hexagons tile: neighbours share an edge, none overlap
    a = shapely.set_precision(hex_polygons(np.array([0, 1]), np.array([0, 0]), 700.0), 1e-6)
    assert a[0].intersection(a[1]).area == pytest.approx(0.0, abs=1e-3)
    assert a[0].intersection(a[1]).length == pytest.approx(700.0, abs=1e-3)
    assert a[0].area == pytest.approx(3 * np.sqrt(3) / 2 * 700.0**2)


def test_hexagon_sums_equal_community_sums(demo):
    comm = demo.communities
    covered = (np.arange(len(comm)) % 3) == 0
    cells = hexagon_cells(comm, covered, size_m=400.0)
    assert cells.crs.to_epsg() == 4326
    assert cells["communities"].sum() == len(comm)
    assert cells["population"].sum() == pytest.approx(comm["population"].sum())
    assert cells["population_covered"].sum() == pytest.approx(comm["population"][covered].sum())
    share = cells["population_covered"] / cells["population"]
    np.testing.assert_allclose(cells["share_covered"], share)
    # each community lies in the cell that counted it, and in no other
    joined = gpd.sjoin(comm[["population", "geometry"]], cells, predicate="within")
    assert len(joined) == len(comm)
    per_cell = joined.groupby(["q", "r"])["population_left"].sum()
    got = cells.set_index(["q", "r"])["population"]
    pd.testing.assert_series_equal(
        per_cell.sort_index(), got.sort_index(), check_names=False, check_dtype=False
    )


def test_city_scale_coverage_layers_show_hexagons_then_detail(demo):
    """At city scale the overlay starts with one hexagon layer per cell size, each shown over
    its own zoom range (larger cells further out, every zoom below DETAIL_MIN_ZOOM covered
    once), whose populations add up to the communities' at every size; communities and
    amenities show from the detail zoom."""
    from gisplan.analysis import build_access
    from gisplan.maps.coverage import coverage_overlays
    from gisplan.maps.hexagons import (
        DETAIL_MIN_ZOOM,
        HEX_LEVELS,
        LayerZoomRange,
        hex_size_for_zoom,
    )

    std = default_standard()
    result = build_access(demo, std).coverage(std)
    groups = coverage_overlays(result, amenities=demo.amenities, aggregate=True)
    hex_groups = groups[: len(HEX_LEVELS)]
    table = result.table
    for g, (size, lo, hi) in zip(hex_groups, HEX_LEVELS, strict=True):
        (geojson,) = [c for c in g._children.values() if hasattr(c, "data")]
        props = [f["properties"] for f in geojson.data["features"]]
        assert sum(p["_communities"] for p in props) == len(table)
        assert sum(p["_population"] for p in props) == table["population"].sum()
        (zr,) = [c for c in g._children.values() if isinstance(c, LayerZoomRange)]
        assert (zr.min_zoom, zr.max_zoom) == (lo, hi)
        assert all(hex_size_for_zoom(z) == size for z in range(lo, hi + 1))
    # one size per zoom, contiguous from 0 to the detail zoom, smaller cells when zoomed in
    shown = [z for _s, lo, hi in HEX_LEVELS for z in range(lo, hi + 1)]
    assert shown == list(range(DETAIL_MIN_ZOOM))
    sizes = [s for s, _lo, _hi in HEX_LEVELS]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)
    assert hex_size_for_zoom(DETAIL_MIN_ZOOM) is None and hex_size_for_zoom(9.5) == 4000.0
    zooms = [
        (c.min_zoom, c.max_zoom)
        for g in groups[len(HEX_LEVELS) :]
        for c in g._children.values()
        if isinstance(c, LayerZoomRange)
    ]
    assert zooms[0] == (0, DETAIL_MIN_ZOOM - 1)  # the hexagons' legend
    assert all(z == (DETAIL_MIN_ZOOM, 30) for z in zooms[1:])
    assert len(zooms) == len(groups) - len(HEX_LEVELS)
    # the default (a neighbourhood of a few hundred communities) draws no hexagons
    plain = coverage_overlays(result, amenities=demo.amenities)
    assert not any(isinstance(c, LayerZoomRange) for g in plain for c in g._children.values())


@pytest.mark.parametrize("size", [h[0] for h in HEX_LEVELS])
def test_hexagon_population_exact_at_every_size(demo, size):
    """Every cell size sums the communities' population exactly (integers, no rounding loss)."""
    comm = demo.communities.assign(population=np.arange(len(demo.communities)) * 7 + 3)
    covered = (np.arange(len(comm)) % 4) == 1
    cells = hexagon_cells(comm, covered, size_m=size)
    assert int(cells["population"].sum()) == int(comm["population"].sum())
    assert int(cells["population_covered"].sum()) == int(comm["population"][covered].sum())
    assert int(cells["communities"].sum()) == len(comm)


def test_published_layers_are_fetched_not_sent(demo, tmp_path):
    """With a layer store, the city-scale layers are files (escaped like embedded layers) that
    the map fetches by URL; the groups sent to the browser carry no features, and the same
    state publishes nothing new."""
    from gisplan.analysis import build_access
    from gisplan.app.state import _StaticLayers
    from gisplan.maps.base import FetchedGeoJson
    from gisplan.maps.coverage import coverage_overlays

    std = default_standard()
    comm = demo.communities.copy()
    comm.loc[0, "name"] = "<img src=x onerror=alert(1)>"
    model = build_access(replace(demo, communities=comm), std)
    result = model.coverage(std)
    store = _StaticLayers(tmp_path / "layers")
    groups = coverage_overlays(result, amenities=demo.amenities, aggregate=True, store=store)
    fetched = [c for g in groups for c in g._children.values() if isinstance(c, FetchedGeoJson)]
    assert not any(hasattr(c, "data") for g in groups for c in g._children.values())
    n_amenity_cats = (
        demo.amenities["category"]
        .isin(std.required_ids)
        .groupby(demo.amenities["category"])
        .any()
        .sum()
    )
    assert len(fetched) == len(HEX_LEVELS) + 1 + n_amenity_cats
    files = sorted((tmp_path / "layers").glob("*.json"))
    assert len(files) == len(fetched)
    by_url = {f"/app/static/layers/{f.name}": json.loads(f.read_text("utf-8")) for f in files}
    for c in fetched[: len(HEX_LEVELS)]:
        props = [f["properties"] for f in by_url[c.url]["features"]]
        assert sum(p["_population"] for p in props) == result.table["population"].sum()
    communities = by_url[fetched[-1].url]["features"]  # drawn last, over the amenities
    names = [f["properties"]["_name"] for f in communities]
    assert "&lt;img src=x onerror=alert(1)&gt;" in names
    assert not any("<img" in n for n in names)
    before = {f.name: f.stat().st_mtime_ns for f in files}
    again = coverage_overlays(result, amenities=demo.amenities, aggregate=True, store=store)
    urls = [c.url for g in again for c in g._children.values() if isinstance(c, FetchedGeoJson)]
    assert urls == [c.url for c in fetched]
    assert {f.name: f.stat().st_mtime_ns for f in (tmp_path / "layers").glob("*.json")} == before
    # another threshold publishes the layers that changed
    other = model.coverage(std.with_overrides(thresholds={"convenience_store": 1}))
    coverage_overlays(other, amenities=demo.amenities, aggregate=True, store=store)
    assert len(list((tmp_path / "layers").glob("*.json"))) > len(files)


# -- uploading a prepared dataset ----------------------------------------------------------


def test_prepared_dataset_upload_is_checked_in_the_worker(tmp_path, demo):
    """The bounded worker validates the whole dataset (hash included) and returns its facts;
    a damaged file is refused with the uploaded file's name."""
    from gisplan.errors import InputError
    from gisplan.io.upload import read_upload

    path = tmp_path / "城市.gpkg"
    write_dataset(replace(demo, name="上传的 城市"), path)
    data = path.read_bytes()
    res = read_upload(data, "城市.gpkg", "dataset")
    comm = res.layers["communities"]
    facts = comm.attrs
    assert facts["content_hash"] == demo.content_hash and facts["dataset_name"] == "上传的 城市"
    assert facts["communities"] == len(demo.communities) == len(comm)
    assert facts["amenities"] == len(demo.amenities) and facts["synthetic"] is True
    # truncated: refused, naming the file as uploaded (not the server's temporary path)
    with pytest.raises(InputError) as err:
        read_upload(data[: len(data) // 2], "城市.gpkg", "dataset")
    assert "城市.gpkg" in str(err.value) and "gisplan-upload" not in str(err.value)
    # a plain GeoPackage layer is not a dataset
    plain = tmp_path / "plain.gpkg"
    demo.communities.to_file(plain, layer="communities")
    with pytest.raises(InputError, match="not a gisplan dataset|gisplan_metadata"):
        read_upload(plain.read_bytes(), "plain.gpkg", "dataset")


def test_gisplan_app_refuses_a_file_that_is_not_a_dataset(tmp_path, capsys):
    """``gisplan app --data`` checks the file before starting a server: one clear line."""
    from gisplan.cli import main

    bad = tmp_path / "notes.gpkg"
    bad.write_bytes(b"not a geopackage at all")
    assert main(["app", "--data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "notes.gpkg" in err and "Traceback" not in err
    assert main(["app", "--datasets-dir", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
