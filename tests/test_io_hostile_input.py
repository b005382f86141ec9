"""Readers refuse hostile input with one clear InputError (issue 8 items 9, 15 and 21).

- non-finite coordinates (NaN, ±inf) in GeoJSON, GeoPackage, Shapefile, CSV and POI exports;
- deeply nested GeoJSON (no RecursionError, in the API and the CLI);
- UTF-16 CSV without a byte-order mark (decoded; no NUL bytes in any message).
"""

from __future__ import annotations

import struct
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.io.layers import read_amenities, read_communities
from gisplan.io.poi import import_poi
from gisplan.io.readers import read_csv_points, read_layer
from tests import hostile_files as hf


def test_nan_in_geojson_names_file_and_feature(tmp_path):
    path = hf.nan_geojson(tmp_path)
    with pytest.raises(InputError) as err:
        read_communities(path)
    text = str(err.value)
    assert "nan.geojson" in text and "not finite" in text and err.value.row == 1, text
    with pytest.raises(InputError, match="not finite"):
        read_layer(path)


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"])
@pytest.mark.parametrize("bad", [(np.nan, 29.87), (121.55, np.inf), (-np.inf, 29.8)])
def test_non_finite_coordinates_in_vector_files(tmp_path, suffix, bad):
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "name": ["甲", "乙", "丙"], "population": [1, 2, 3]},
        geometry=[shapely.Point(121.55, 29.87), shapely.Point(121.56, 29.88), shapely.Point(*bad)],
        crs=WGS84,
    )
    path = tmp_path / f"c{suffix}"
    if suffix == ".shp":
        # GDAL will not write a non-finite coordinate to a Shapefile: write a finite one and
        # patch the third point record's x and y (100-byte header, 28-byte point records).
        gdf.set_geometry([shapely.Point(0, 0)] * 3, crs=WGS84).to_file(path, engine="pyogrio")
        data = bytearray(path.read_bytes())
        data[100 + 2 * 28 + 12 : 100 + 2 * 28 + 28] = struct.pack("<2d", *bad)
        path.write_bytes(bytes(data))
    else:
        gdf.to_file(path, engine="pyogrio")
    with pytest.raises(InputError) as err:
        read_communities(path)
    assert "not finite" in str(err.value) and err.value.row == 2, str(err.value)


def test_non_finite_vertex_inside_a_polygon(tmp_path):
    ring = [(121.55, 29.87), (121.56, 29.87), (121.56, np.nan), (121.55, 29.88), (121.55, 29.87)]
    gdf = gpd.GeoDataFrame(
        {"id": ["a"], "population": [5]}, geometry=[shapely.Polygon(ring)], crs=WGS84
    )
    path = tmp_path / "poly.geojson"
    path.write_text(gdf.to_json(), encoding="utf-8")
    path.write_text(path.read_text().replace("null", "NaN"), encoding="utf-8")
    with pytest.raises(InputError, match="not finite"):
        read_communities(path)


@pytest.mark.parametrize("value", ["NaN", "inf", "-Infinity", "nan"])
def test_non_finite_coordinates_in_csv_and_poi_exports(tmp_path, value):
    path = tmp_path / "c.csv"
    path.write_text(
        f"id,name,population,category,lon,lat\n1,甲,5,超市,121.55,29.87\n2,乙,6,超市,{value},29.8\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        read_csv_points(path, crs="wgs84")
    assert err.value.row == 2 and err.value.field == "lon", str(err.value)
    with pytest.raises(InputError) as err:
        read_amenities(path, crs="wgs84")
    assert err.value.row == 2
    with pytest.raises(InputError) as err:
        import_poi(path, crs="gcj02")
    assert err.value.row == 2


def test_deeply_nested_geojson_is_an_input_error(tmp_path):
    path = hf.deep_geojson(tmp_path)
    with pytest.raises(InputError, match="nested more than 64 levels") as err:
        read_communities(path)
    assert "deep.geojson" in str(err.value)


def test_deeply_nested_geojson_in_the_cli_is_one_line(tmp_path):
    path = hf.deep_geojson(tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gisplan.cli",
            "analyze",
            "--communities",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "nested more than 64 levels" in errors[0], proc.stderr


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_csv_without_bom_is_read(tmp_path, encoding):
    text = "id,名称,人口,lon,lat\n1,鼓楼小区,1200,121.55,29.87\n2,天一小区,800,121.56,29.88\n"
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode(encoding))
    got = read_communities(path, crs="wgs84")
    assert list(got["name"]) == ["鼓楼小区", "天一小区"]
    assert list(got["population"]) == [1200, 800]


def test_messages_about_a_utf16_csv_hold_no_nul_bytes(tmp_path):
    text = "id,名称,人口,经度\n1,鼓楼小区,1200,121.55\n"  # no latitude column
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode("utf-16-le"))
    with pytest.raises(InputError) as err:
        read_communities(path, crs="wgs84")
    assert "\x00" not in str(err.value)
    assert "no latitude column" in str(err.value) and "名称" in str(err.value)


_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="29.870" lon="121.550" version="1"/>
  <node id="2" lat="29.871" lon="121.551" version="1"/>
  <node id="3" lat="29.872" lon="121.552" version="1"/>
  <node id="4" lat="{lat4}" lon="121.553" version="1"/>
  <node id="6" lat="29.8712" lon="{lon6}" version="1"><tag k="shop" v="convenience"/></node>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="residential"/></way>
</osm>
"""


@pytest.mark.parametrize(
    ("lat4", "lon6", "node"), [("nan", "121.5512", 4), ("29.873", "inf", 6), ("29.873", "1e999", 6)]
)
def test_non_finite_coordinates_in_osm_xml_name_the_node(tmp_path, lat4, lon6, node):
    from gisplan.io.osm import read_osm_file

    path = tmp_path / "city.osm"
    path.write_text(_OSM.format(lat4=lat4, lon6=lon6), encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_osm_file(path)
    text = str(err.value)
    assert "city.osm" in text and "not finite" in text and f"node {node}" in text, text
    assert "GEOS" not in text
