"""Uploads are read in a bounded worker process (gisplan.io.upload): hostile files are refused.

The hostile files are built by ``tests/hostile_files.py``: a GeoPackage whose layer is a
never-ending recursive view, a 311 KB zipped Shapefile that expands to 160 MB, a valid
1.19-million-point CSV, GeoPackage triggers, NaN coordinates, deeply nested JSON.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import zipfile

import pytest
import shapely

from gisplan.errors import InputError
from gisplan.io import upload
from gisplan.io.layers import read_communities
from gisplan.io.upload import UploadLimits, read_upload
from tests import hostile_files as hf

FAST = UploadLimits(time_s=30)


def _read(path, kind="communities", limits=FAST, **kw):
    return read_upload(path.read_bytes(), path.name, kind, limits=limits, **kw)


def test_a_good_layer_comes_back_as_the_reader_gives_it(tmp_path):
    path = tmp_path / "小区.geojson"
    hf.communities_frame(names=["甲", "<b>乙</b>", "丙"]).to_file(path, driver="GeoJSON")
    got = _read(path)
    want = read_communities(path)
    assert list(got.gdf["name"]) == list(want["name"]) == ["甲", "<b>乙</b>", "丙"]
    assert list(got.gdf["population"]) == list(want["population"])
    assert shapely.equals(got.gdf.geometry.values, want.geometry.values).all()
    assert got.gdf.crs == want.crs
    assert got.gdf.attrs["source_file"] == "小区.geojson"  # the name the user gave, no temp path
    assert got.peak_mb > 0 and got.seconds > 0


def test_without_the_checks_gdal_spins_on_the_recursive_view(tmp_path):
    """The threat itself: reading the view directly does not finish (killed after 5 s)."""
    path = hf.recursive_view_gpkg(tmp_path)
    code = "import pyogrio, sys; pyogrio.read_dataframe(sys.argv[1], layer='evil'); print('done')"
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([sys.executable, "-c", code, str(path)], timeout=5, capture_output=True)


def test_recursive_view_geopackage_is_refused_without_running_it(tmp_path):
    path = hf.recursive_view_gpkg(tmp_path)
    assert path.stat().st_size < 200_000
    with pytest.raises(InputError, match=r"contains views \(evil\); only tables"):
        _read(path)


def test_geopackage_renamed_as_geojson_is_refused(tmp_path):
    path = hf.recursive_view_gpkg(tmp_path)
    disguised = tmp_path / "layer.geojson"
    disguised.write_bytes(path.read_bytes())
    with pytest.raises(InputError, match="not a GeoJSON file"):
        _read(disguised)
    hidden = tmp_path / "hidden.zip"
    with zipfile.ZipFile(hidden, "w") as z:
        z.write(path, "layer.shp")
        z.writestr("layer.dbf", b"")
    with pytest.raises(InputError, match="not a Shapefile file"):
        _read(hidden)


def test_geopackage_triggers_never_run(tmp_path):
    path = hf.trigger_gpkg(tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    got = _read(path)
    assert len(got.gdf) == 3
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT count(*) FROM pwned").fetchone()[0] == 0


def test_zip_bomb_is_refused_before_expanding(tmp_path):
    path = hf.zip_bomb_shapefile(tmp_path)
    assert path.stat().st_size < 400_000  # the 311 KB bomb
    with zipfile.ZipFile(path) as z:
        assert sum(i.file_size for i in z.infolist()) > 150e6
    with pytest.raises(InputError, match=r"expands \d+-fold; the limit is 100-fold"):
        _read(path)
    # Under a looser ratio the uncompressed total is the limit that stops it.
    with pytest.raises(InputError, match=r"expands to 160 MB; the limit is 100 MB"):
        _read(path, limits=UploadLimits(max_zip_ratio=1e6, max_uncompressed_mb=100))
    # With both raised, the worker's memory limit stops GDAL expanding 10 M points.
    # (GDAL either reports the failed allocation or crashes on it: both are named.)
    with pytest.raises(InputError, match=r"1800 MiB memory limit"):
        _read(
            path,
            kind="layer",
            limits=UploadLimits(max_zip_ratio=1e6, max_uncompressed_mb=1000, memory_mb=1800),
        )


def test_zip_members_cannot_leave_the_folder(tmp_path):
    inner = tmp_path / "src"
    inner.mkdir()
    hf.communities_frame(3).to_file(inner / "c.shp", engine="pyogrio")
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as z:
        for part in inner.iterdir():
            z.write(part, f"../../../../tmp/gisplan-slip-{part.name}")
    got = _read(path)
    assert len(got.gdf) == 3
    assert not list(__import__("pathlib").Path("/tmp").glob("gisplan-slip-*"))


def test_large_csv_is_refused_with_the_cap_in_the_message(tmp_path):
    path = hf.big_points_csv(tmp_path)
    assert 35e6 < path.stat().st_size < 50e6
    with pytest.raises(InputError, match=r"1,190,000 data rows; the limit is 200,000 features"):
        _read(path)


def test_feature_and_vertex_caps_name_their_limits(tmp_path):
    path = tmp_path / "c.geojson"
    hf.communities_frame(names=[f"n{i}" for i in range(30)]).to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match=r"30 features; the limit is 20"):
        _read(path, limits=UploadLimits(max_features=20))
    with pytest.raises(InputError, match=r"30 vertices; the limit is 10"):
        _read(path, limits=UploadLimits(max_vertices=10))


def test_a_reader_that_never_ends_is_killed_at_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setitem(upload.READERS, "spin", "tests.hostile_files:spin_reader")
    path = tmp_path / "c.geojson"
    hf.communities_frame(3).to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match=r"longer than the 4 s limit and was stopped"):
        _read(path, kind="spin", limits=UploadLimits(time_s=4))


def test_a_reader_that_hoards_memory_is_stopped_at_the_memory_limit(tmp_path, monkeypatch):
    monkeypatch.setitem(upload.READERS, "hog", "tests.hostile_files:hog_reader")
    path = tmp_path / "c.geojson"
    hf.communities_frame(3).to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match=r"more than the 2500 MiB memory limit"):
        _read(path, kind="hog", limits=UploadLimits(memory_mb=2500))


def test_upload_size_limit(tmp_path):
    with pytest.raises(InputError, match=r"the upload limit is 1 MB"):
        read_upload(b"x" * 1_200_000, "big.csv", "communities", limits=UploadLimits(max_mb=1))


def test_limits_from_the_environment():
    got = UploadLimits.from_env(
        {"GISPLAN_UPLOAD_MAX_FEATURES": "5000", "GISPLAN_UPLOAD_TIME_S": "9.5"}
    )
    assert got.max_features == 5000 and got.time_s == 9.5 and got.memory_mb == 3072
    with pytest.raises(InputError, match="GISPLAN_UPLOAD_TIME_S"):
        UploadLimits.from_env({"GISPLAN_UPLOAD_TIME_S": "nan"})
    with pytest.raises(InputError, match="GISPLAN_UPLOAD_MAX_MB"):
        UploadLimits.from_env({"GISPLAN_UPLOAD_MAX_MB": "-1"})


def test_a_multi_layer_reader_returns_every_table(tmp_path, monkeypatch):
    monkeypatch.setitem(upload.READERS, "two", "tests.hostile_files:two_tables_reader")
    monkeypatch.setattr(upload, "MULTI_LAYER", {"two"})
    path = tmp_path / "c.gpkg"
    hf.communities_frame(4).to_file(path, layer="pts", driver="GPKG", engine="pyogrio")
    hf.communities_frame(2).to_file(path, layer="more", driver="GPKG", engine="pyogrio")
    got = _read(path, kind="two")
    assert got.gdf is None
    assert sorted(got.layers) == ["notes", "points"]
    assert len(got.layers["points"]) == 4 and got.layers["points"].crs is not None
    assert list(got.layers["notes"]["v"]) == [1, 2]
    # The same two-layer file is refused for a single-layer kind.
    with pytest.raises(InputError, match="the file has 2 layers"):
        _read(path)


def test_nan_coordinates_and_deep_nesting_are_refused_by_the_worker(tmp_path):
    with pytest.raises(InputError, match="not finite") as err:
        _read(hf.nan_geojson(tmp_path))
    assert err.value.row == 1 and "nan.geojson" in str(err.value)
    with pytest.raises(InputError, match="nested more than 64 levels"):
        _read(hf.deep_geojson(tmp_path))


def test_utf16_csv_without_bom_is_read_by_the_worker(tmp_path):
    text = "id,名称,人口,lon,lat\n1,鼓楼小区,1200,121.55,29.87\n2,天一小区,800,121.56,29.88\n"
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode("utf-16-le"))
    got = _read(path, crs="wgs84")
    assert list(got.gdf["name"]) == ["鼓楼小区", "天一小区"]
