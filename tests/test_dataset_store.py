"""Prepared datasets: write -> open round trip, atomic writes, and a clear error for each damage."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gisplan.analysis import build_access, demo_dataset
from gisplan.catalogue import default_standard
from gisplan.dataset import SCHEMA_VERSION, DatasetError, open_dataset, read_metadata, write_dataset
from gisplan.dataset import store as store_module
from tests.helpers.gpkg import sql_edit as _sql


@pytest.fixture(scope="module")
def demo():
    return demo_dataset(cached=True)


@pytest.fixture(scope="module")
def demo_file(demo, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ds") / "demo.gpkg"
    write_dataset(demo, path)
    return path


@pytest.fixture
def copy(demo_file, tmp_path) -> Path:
    out = tmp_path / "copy.gpkg"
    shutil.copyfile(demo_file, out)
    return out


def test_round_trip_keeps_metadata_layers_and_results(demo, demo_file):
    ds = open_dataset(demo_file)
    assert ds.name == demo.name
    assert ds.synthetic is True and "合成" in ds.label
    assert [s.kind for s in ds.sources] == [s.kind for s in demo.sources]
    assert ds.sources[0].licence == demo.sources[0].licence
    assert ds.content_hash == demo.content_hash and len(ds.content_hash) == 64
    meta = read_metadata(demo_file)
    assert meta["schema_version"] == str(SCHEMA_VERSION)
    assert meta["crs"] == "EPSG:32651"
    assert meta["created"].endswith("+00:00")
    assert len(meta["catalogue_version"]) == 12
    assert ds.network.n_nodes == demo.network.n_nodes
    assert ds.network.n_edges == demo.network.n_edges
    np.testing.assert_allclose(ds.network.edge_length.sum(), demo.network.edge_length.sum())
    assert set(ds.communities["population_method"]) == {"synthetic"}
    assert ds.communities["population_estimated"].all()
    assert len(ds.extras["rivers"]) == len(demo.extras["rivers"])
    assert ds.circles is None
    # the whole engine gives the same figures on the opened file
    std = default_standard()
    a = build_access(demo, std).coverage(std).table.set_index("id")
    b = build_access(ds, std).coverage(std).table.set_index("id").loc[a.index]
    cols = [c for c in a.columns if c.startswith("minutes_")]
    np.testing.assert_allclose(a[cols].to_numpy(float), b[cols].to_numpy(float))
    assert (a["complete"] == b["complete"]).all()


def test_opening_writes_nothing(demo_file):
    before = demo_file.read_bytes()
    mtime = demo_file.stat().st_mtime_ns
    listing = sorted(p.name for p in demo_file.parent.iterdir())
    open_dataset(demo_file)
    assert demo_file.stat().st_mtime_ns == mtime
    assert hashlib.sha256(demo_file.read_bytes()).digest() == hashlib.sha256(before).digest()
    assert sorted(p.name for p in demo_file.parent.iterdir()) == listing


def test_failed_write_leaves_the_old_file_untouched(demo, copy, monkeypatch):
    before = copy.read_bytes()
    real = store_module.pyogrio.write_dataframe

    def failing(df, path, layer=None, **kw):
        if layer == "amenities":
            raise OSError("disk full")
        return real(df, path, layer=layer, **kw)

    monkeypatch.setattr(store_module.pyogrio, "write_dataframe", failing)
    with pytest.raises(OSError):
        write_dataset(demo, copy)
    assert copy.read_bytes() == before
    assert sorted(p.name for p in copy.parent.iterdir()) == ["copy.gpkg"]


def test_truncated_file(copy):
    data = copy.read_bytes()
    copy.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="truncated") as err:
        open_dataset(copy)
    assert str(copy) in str(err.value) and "copy the file again" in str(err.value)


def test_empty_and_non_sqlite_files(tmp_path):
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(DatasetError, match="empty"):
        open_dataset(empty)
    text = tmp_path / "notes.gpkg"
    text.write_text("id,name\n1,a\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="not an SQLite database"):
        open_dataset(text)
    with pytest.raises(DatasetError, match="file not found"):
        open_dataset(tmp_path / "missing.gpkg")


def test_missing_layer(copy):
    _sql(
        copy,
        "DROP TABLE amenities",
        "DELETE FROM gpkg_contents WHERE table_name = 'amenities'",
        "DELETE FROM gpkg_geometry_columns WHERE table_name = 'amenities'",
    )
    with pytest.raises(DatasetError, match="amenities missing") as err:
        open_dataset(copy)
    assert err.value.field == "amenities"


def test_wrong_schema_version(copy):
    _sql(copy, "UPDATE gisplan_metadata SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(DatasetError, match="schema version '99'") as err:
        open_dataset(copy)
    assert "update gisplan" in str(err.value)


def test_foreign_geopackage(tmp_path):
    path = tmp_path / "foreign.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(121.5, 29.8)], crs=4326).to_file(
        path, layer="shops"
    )
    with pytest.raises(DatasetError, match="not a gisplan dataset.*shops"):
        open_dataset(path)


def test_edited_content_fails_the_hash(copy):
    _sql(copy, "UPDATE communities SET population = population + 1 WHERE fid = 1")
    with pytest.raises(DatasetError, match="content hash"):
        open_dataset(copy)
    ds = open_dataset(copy, verify_hash=False)  # the caller may choose to trust it
    assert ds.content_hash == read_metadata(copy)["content_hash"]


def test_edge_to_a_missing_node(copy):
    _sql(copy, "UPDATE edges SET u = -5 WHERE fid = 3")
    with pytest.raises(DatasetError, match="missing nodes") as err:
        open_dataset(copy)
    assert err.value.field == "edges.u" and err.value.row == 2


def test_repeated_ids_and_unknown_category(copy, tmp_path):
    _sql(copy, "UPDATE amenities SET id = (SELECT id FROM amenities WHERE fid = 1) WHERE fid = 2")
    with pytest.raises(DatasetError, match="repeated ids"):
        open_dataset(copy)
    other = tmp_path / "cat.gpkg"
    shutil.copyfile(copy, other)
    _sql(other, "UPDATE amenities SET id = 'x' || fid, category = 'casino' WHERE fid = 2")
    with pytest.raises(DatasetError, match="'casino' is not in"):
        open_dataset(other)


def test_wrong_crs(copy):
    _sql(
        copy,
        "UPDATE gpkg_geometry_columns SET srs_id = 4326 WHERE table_name = 'edges'",
    )
    with pytest.raises(DatasetError, match="layer 'edges' is in EPSG:4326, expected EPSG:32651"):
        open_dataset(copy)


def test_out_must_be_gpkg(demo, tmp_path):
    with pytest.raises(DatasetError, match="GeoPackage"):
        write_dataset(demo, tmp_path / "x.geojson")


def test_circles_layer_round_trip(demo, tmp_path):
    from dataclasses import replace

    xmin, ymin, xmax, ymax = demo.communities.total_bounds
    mid = (xmin + xmax) / 2
    circles = gpd.GeoDataFrame(
        {"id": ["west", "east"], "name": ["西社区", "东社区"], "level": "社区"},
        geometry=[
            shapely.box(xmin - 0.01, ymin - 0.01, mid, ymax + 0.01),
            shapely.box(mid, ymin - 0.01, xmax + 0.01, ymax + 0.01),
        ],
        crs=4326,
    )
    with_circles = replace(demo, circles=circles, _content_hash="")
    path = tmp_path / "circles.gpkg"
    write_dataset(with_circles, path)
    ds = open_dataset(path)
    assert list(ds.circles["id"]) == ["west", "east"]
    assert ds.circles.geom_type.eq("MultiPolygon").all()
    assert ds.content_hash == with_circles.content_hash != demo.content_hash
    std = default_standard()
    res = build_access(ds, std).coverage(std)
    cc = res.circle_coverage()
    assert cc.table["residents"].sum() == ds.communities["population"].sum()
    # hand check of one circle from the community table
    t = res.table
    west = t.geometry.x < mid
    share = t.loc[west & t["complete"], "population"].sum() / t.loc[west, "population"].sum()
    assert cc.table.set_index("id").loc["west", "share_complete"] == pytest.approx(share)
    assert res.circles_complete == int((cc.table["share_complete"] >= 0.8).sum())
