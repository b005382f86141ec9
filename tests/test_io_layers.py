"""Tests of gisplan.io.layers: reading and validating communities and amenities layers.

All fixtures are generated in ``tmp_path``.
"""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from gisplan.catalogue import load_catalogue
from gisplan.coords import wgs84_to_bd09, wgs84_to_gcj02
from gisplan.errors import InputError
from gisplan.io.layers import read_amenities, read_communities
from gisplan.io.readers import read_csv_points, read_layer
from gisplan.io.validate import detect_encoding

GEOD = Geod(ellps="WGS84")
# Three points near Ningbo's 三江口 (WGS-84 truth).
LON = [121.550, 121.556, 121.561]
LAT = [29.870, 29.874, 29.866]


def metres(lon1, lat1, lon2, lat2):
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def feature(geometry, **props):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def point(x, y):
    return {"type": "Point", "coordinates": [x, y]}


def write_geojson(path, features):
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def communities_gdf(**extra):
    data = {
        "id": ["c1", "c2", "c3"],
        "name": ["甲小区", "乙小区", "丙小区"],
        "population": [1200, 800, 0],
    }
    data.update(extra)
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(LON, LAT), crs="EPSG:4326")


def assert_error(excinfo, *parts):
    text = str(excinfo.value)
    for part in parts:
        assert part in text, f"{part!r} not in {text!r}"


# -- formats ----------------------------------------------------------------------------------


def test_geojson_communities_schema(tmp_path):
    path = tmp_path / "c.geojson"
    communities_gdf(county=["海曙区", "江北区", "鄞州区"]).to_file(path, driver="GeoJSON")
    gdf = read_communities(path)
    assert list(gdf.columns) == [
        "id",
        "name",
        "population",
        "population_method",
        "population_estimated",
        "county",
        "source",
        "geometry",
    ]
    assert (gdf["population_method"] == "given").all() and not gdf["population_estimated"].any()
    assert gdf.crs == "EPSG:4326"
    assert gdf["id"].tolist() == ["c1", "c2", "c3"]
    assert gdf["population"].tolist() == [1200, 800, 0]
    assert gdf["population"].dtype == np.int64
    assert gdf["source"].tolist() == ["user"] * 3
    assert gdf["county"].tolist() == ["海曙区", "江北区", "鄞州区"]
    assert np.allclose(gdf.geometry.x, LON) and np.allclose(gdf.geometry.y, LAT)


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "zip", "metric_gpkg"])
def test_other_formats_give_the_same_layer(tmp_path, fmt):
    src = communities_gdf()
    if fmt == "gpkg":
        path = tmp_path / "c.gpkg"
        src.to_file(path, driver="GPKG")
    elif fmt == "metric_gpkg":
        path = tmp_path / "c.gpkg"
        src.to_crs("EPSG:32651").to_file(path, driver="GPKG")
    else:
        shp_dir = tmp_path / "shp"
        shp_dir.mkdir()
        src.to_file(shp_dir / "c.shp", driver="ESRI Shapefile", encoding="utf-8")
        path = shp_dir / "c.shp"
        if fmt == "zip":
            path = tmp_path / "c.zip"
            with zipfile.ZipFile(path, "w") as zf:
                for f in shp_dir.iterdir():
                    zf.write(f, f.name)
    gdf = read_communities(path)
    assert gdf.crs == "EPSG:4326"
    assert gdf["id"].tolist() == ["c1", "c2", "c3"]
    assert gdf["name"].tolist() == ["甲小区", "乙小区", "丙小区"]
    assert gdf["population"].tolist() == [1200, 800, 0]
    assert np.max(metres(gdf.geometry.x, gdf.geometry.y, LON, LAT)) < 1e-3


def test_multilayer_geopackage_needs_layer(tmp_path):
    path = tmp_path / "m.gpkg"
    communities_gdf().to_file(path, layer="communities", driver="GPKG")
    communities_gdf().iloc[:1].to_file(path, layer="other", driver="GPKG")
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'layer'", "communities", "other", "layer=")
    assert len(read_communities(path, layer="other")) == 1


def test_csv_utf8_bom_and_gbk_with_chinese_headers(tmp_path):
    rows = "".join(f"小区{i},{LON[i]},{LAT[i]},{100 * (i + 1)}\n" for i in range(3))
    text = "名称,经度,纬度,人口\n" + rows
    (tmp_path / "u8.csv").write_bytes(text.encode("utf-8"))
    (tmp_path / "bom.csv").write_bytes(text.encode("utf-8-sig"))
    (tmp_path / "gbk.csv").write_bytes(text.encode("gbk"))
    assert detect_encoding((tmp_path / "gbk.csv").read_bytes()) == "gb18030"
    assert detect_encoding((tmp_path / "bom.csv").read_bytes()) == "utf-8-sig"
    for name in ("u8.csv", "bom.csv", "gbk.csv"):
        with pytest.warns(UserWarning, match="generated ids c0001..c0003"):
            gdf = read_communities(tmp_path / name)
        assert gdf["name"].tolist() == ["小区0", "小区1", "小区2"]
        assert gdf["id"].tolist() == ["c0001", "c0002", "c0003"]
        assert gdf["population"].tolist() == [100, 200, 300]
        assert np.allclose(gdf.geometry.x, LON) and np.allclose(gdf.geometry.y, LAT)


def test_csv_column_aliases_and_ids_keep_zeros(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "ID,Longitude,Latitude,category,name\n007,121.55,29.87,便利店,A\n008,121.56,29.88,农贸市场,\n",
        encoding="utf-8",
    )
    gdf = read_amenities(path)
    assert gdf["id"].tolist() == ["007", "008"]
    assert gdf["category"].tolist() == ["convenience_store", "wet_market"]
    assert gdf["name"].tolist() == ["A", "008"]  # missing name defaults to the id


def test_tab_separated_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("lng\tlat\tpop\n121.55\t29.87\t5\n", encoding="utf-8")
    with pytest.warns(UserWarning):
        gdf = read_communities(path)
    assert gdf["population"].tolist() == [5]


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_shifted_csv_lands_within_1m_of_truth(tmp_path, system):
    fwd = wgs84_to_gcj02 if system == "gcj02" else wgs84_to_bd09
    x, y = fwd(np.array(LON), np.array(LAT))
    assert np.min(metres(x, y, LON, LAT)) > 300  # the raw file is far off
    path = tmp_path / "p.csv"
    path.write_text(
        "id,lon,lat,population\n" + "".join(f"p{i},{x[i]:.8f},{y[i]:.8f},10\n" for i in range(3)),
        encoding="utf-8",
    )
    gdf = read_communities(path, crs=system)
    assert np.max(metres(gdf.geometry.x, gdf.geometry.y, LON, LAT)) < 1.0
    pts = read_csv_points(path, crs=system)
    assert pts.attrs["coord_system"] == system


def test_gcj02_vector_layer_with_crs_override(tmp_path):
    x, y = wgs84_to_gcj02(np.array(LON), np.array(LAT))
    path = write_geojson(
        tmp_path / "g.geojson",
        [feature(point(x[i], y[i]), id=f"a{i}", category="supermarket") for i in range(3)],
    )
    gdf = read_amenities(path, crs="gcj02")
    assert np.max(metres(gdf.geometry.x, gdf.geometry.y, LON, LAT)) < 1.0
    naive = read_amenities(path)  # GeoJSON is labelled WGS-84: taken at face value
    assert np.min(metres(naive.geometry.x, naive.geometry.y, LON, LAT)) > 300


def test_polygons_become_points_inside_them(tmp_path):
    # An L-shaped residential area whose centroid lies outside it.
    ell = shapely.Polygon(
        [
            (121.55, 29.87),
            (121.56, 29.87),
            (121.56, 29.871),
            (121.551, 29.871),
            (121.551, 29.88),
            (121.55, 29.88),
        ]
    )
    assert not ell.contains(ell.centroid)
    path = tmp_path / "poly.geojson"
    gpd.GeoDataFrame({"id": ["r1"], "population": [500]}, geometry=[ell], crs="EPSG:4326").to_file(
        path
    )
    gdf = read_communities(path)
    assert gdf.geom_type.tolist() == ["Point"]
    assert ell.contains(gdf.geometry.iloc[0])
    with pytest.raises(InputError) as exc:
        read_communities(path, polygons="error")
    assert_error(exc, str(path), "field 'geometry'", "polygons")


def test_amenities_chinese_and_english_category_names(tmp_path):
    cats = load_catalogue()
    path = tmp_path / "a.geojson"
    feats = [
        feature(point(121.55 + 0.001 * i, 29.87), id=f"a{i}", category=c.name_zh)
        for i, c in enumerate(cats)
    ]
    feats.append(feature(point(121.54, 29.87), id="en", category="Supermarket"))
    write_geojson(path, feats)
    gdf = read_amenities(path)
    assert gdf["category"].tolist() == [c.id for c in cats] + ["supermarket"]


def test_source_column_kept(tmp_path):
    path = write_geojson(
        tmp_path / "s.geojson",
        [
            feature(point(121.55, 29.87), id="x", population=3, source="survey"),
            feature(point(121.56, 29.87), id="y", population=4),
        ],
    )
    gdf = read_communities(path)
    assert gdf["source"].tolist() == ["survey", "user"]


def test_fractional_population_rounded_with_warning(tmp_path):
    path = write_geojson(
        tmp_path / "f.geojson", [feature(point(121.55, 29.87), id="x", population=12.6)]
    )
    with pytest.warns(UserWarning, match="fractional population"):
        gdf = read_communities(path)
    assert gdf["population"].tolist() == [13]


# -- bad input --------------------------------------------------------------------------------


def test_malformed_geojson(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [\n  {"type": "Feature",, }\n]}',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "malformed JSON at line 2")


def test_not_geojson(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_layer(path)
    assert_error(exc, str(path), "not a GeoJSON object")


def test_missing_file_and_unsupported_type(tmp_path):
    with pytest.raises(InputError) as exc:
        read_layer(tmp_path / "nope.geojson")
    assert_error(exc, "nope.geojson", "file not found")
    (tmp_path / "x.xlsx").write_bytes(b"PK")
    with pytest.raises(InputError) as exc:
        read_layer(tmp_path / "x.xlsx")
    assert_error(exc, "x.xlsx", "unsupported file type .xlsx")


def test_empty_layer(tmp_path):
    path = write_geojson(tmp_path / "e.geojson", [])
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'geometry'", "no features")
    csv = tmp_path / "e.csv"
    csv.write_text("lon,lat,population\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_communities(csv)
    assert_error(exc, str(csv), "no rows")


def test_missing_required_columns_lists_present(tmp_path):
    path = write_geojson(tmp_path / "m.geojson", [feature(point(121.55, 29.87), id="x", 名称="甲")])
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'population'", "columns present: id, 名称", "人口")
    with pytest.raises(InputError) as exc:
        read_amenities(path)
    assert_error(exc, str(path), "field 'category'", "columns present: id, 名称")


def test_csv_missing_coordinate_columns(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("x,y,population\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(
        exc, str(path), "field 'lon'", "no longitude column", "columns present: x, y, population"
    )


def test_missing_crs(tmp_path):
    path = tmp_path / "nocrs.shp"
    communities_gdf().set_crs(None, allow_override=True).to_file(path, driver="ESRI Shapefile")
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'crs'", "no coordinate reference system", "crs='wgs84'")
    assert read_communities(path, crs="wgs84")["id"].tolist() == ["c1", "c2", "c3"]


def test_non_point_geometry(tmp_path):
    path = write_geojson(
        tmp_path / "l.geojson",
        [
            feature(point(121.55, 29.87), id="a", population=1, category="supermarket"),
            feature(
                {"type": "LineString", "coordinates": [[121.55, 29.87], [121.56, 29.88]]},
                id="b",
                population=1,
                category="supermarket",
            ),
        ],
    )
    for reader in (read_communities, read_amenities):
        with pytest.raises(InputError) as exc:
            reader(path)
        assert_error(exc, str(path), "field 'geometry'", "row 1", "LineString", "(feature 1)")


def test_amenity_polygons_rejected_by_default(tmp_path):
    path = tmp_path / "p.geojson"
    gpd.GeoDataFrame(
        {"id": ["m"], "category": ["wet_market"]},
        geometry=[shapely.box(121.55, 29.87, 121.551, 29.871)],
        crs="EPSG:4326",
    ).to_file(path)
    with pytest.raises(InputError) as exc:
        read_amenities(path)
    assert_error(exc, str(path), "field 'geometry'", "found polygons")
    assert read_amenities(path, polygons="point").geom_type.tolist() == ["Point"]


def test_invalid_polygon(tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[121.55, 29.87], [121.56, 29.88], [121.56, 29.87], [121.55, 29.88], [121.55, 29.87]]
        ],
    }
    path = write_geojson(
        tmp_path / "bow.geojson",
        [
            feature(point(121.55, 29.87), id="ok", population=1),
            feature(bowtie, id="bow", population=5),
        ],
    )
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(
        exc,
        str(path),
        "field 'geometry'",
        "row 1",
        "invalid polygon",
        "Self-intersection",
        "Fix geometries",
    )


def test_null_and_empty_geometry(tmp_path):
    path = write_geojson(
        tmp_path / "n.geojson",
        [
            feature(point(121.55, 29.87), id="a", population=1),
            feature(point(121.56, 29.87), id="b", population=1),
            feature(None, id="c", population=1),
        ],
    )
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'geometry'", "row 2", "missing or empty geometry")
    csv = tmp_path / "n.csv"
    csv.write_text("id,lon,lat,population\na,121.55,29.87,1\nb,,29.87,1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_communities(csv)
    assert_error(exc, str(csv), "field 'lon'", "row 2", "empty coordinate")


def test_duplicate_ids(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(
        "id,lon,lat,population\nA,121.55,29.87,1\nB,121.56,29.87,1\nA,121.57,29.87,1\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'id'", "row 1", "duplicate ids: A", "data rows 1, 3")


@pytest.mark.parametrize(
    ("value", "message", "row"),
    [
        ("-5", "negative population", 2),
        ("lots", "population is not a number ('lots')", 2),
        ("", "missing population", 2),
    ],
)
def test_bad_population(tmp_path, value, message, row):
    path = tmp_path / "p.csv"
    path.write_text(
        f"id,lon,lat,人口\na,121.55,29.87,10\nb,121.56,29.87,{value}\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field '人口'", f"row {row}", message)
    assert exc.value.row == row and exc.value.field == "人口"


def test_non_numeric_population_geojson(tmp_path):
    path = write_geojson(
        tmp_path / "p.geojson",
        [
            feature(point(121.55, 29.87), id="a", population=3),
            feature(point(121.56, 29.87), id="b", population="很多"),
        ],
    )
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'population'", "row 1", "not a number")


def test_unknown_category_lists_valid_ids(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "id,lon,lat,category\na,121.55,29.87,超市\nb,121.56,29.87,casino\nc,121.57,29.87,casino\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        read_amenities(path)
    assert_error(
        exc,
        str(path),
        "field 'category'",
        "row 2",
        "unknown category 'casino' ×2",
        "data rows 2, 3",
    )
    for c in load_catalogue():
        assert_error(exc, c.id, c.name_zh)
    with pytest.raises(InputError) as exc:
        read_amenities(path, category="bank")
    assert_error(exc, str(path), "field 'category'", "unknown category 'bank'", "convenience_store")
    fixed = read_amenities(path, category="药店")
    assert set(fixed["category"]) == {"pharmacy"}


def test_swapped_lat_lon_csv(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,lon,lat,population\na,29.87,121.55,1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'lat'", "row 1", "looks like lat/lon are swapped")


def test_swapped_lat_lon_inside_china_once_swapped(tmp_path):
    # (lon 29.87, lat 85.0) is a valid point in the Arctic; swapped it is in Xinjiang/Tibet.
    path = write_geojson(
        tmp_path / "s.geojson",
        [
            feature(point(121.55, 29.87), id="ok", population=1),
            feature(point(29.87, 85.0), id="bad", population=1),
        ],
    )
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'x/y'", "row 1", "looks like lat/lon are swapped")


def test_swapped_vector_latitude_beyond_90(tmp_path):
    path = write_geojson(
        tmp_path / "s.geojson", [feature(point(29.87, 121.55), id="bad", population=1)]
    )
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'y'", "row 0", "looks like lat/lon are swapped")


def test_bounds_name_rows(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(
        "id,lon,lat,population\na,121.55,29.87,1\nb,116.40,39.91,1\nc,121.56,29.88,1\nd,113.2,23.1,1\n",
        encoding="utf-8",
    )
    ningbo = (120.9, 28.8, 122.3, 30.4)
    with pytest.raises(InputError) as exc:
        read_communities(path, bounds=ningbo)
    assert_error(
        exc, str(path), "field 'geometry'", "row 2", "outside the plausible area", "data rows 2, 4"
    )
    ok = read_communities(path, bounds=(100, 20, 125, 45))
    assert len(ok) == 4


def test_unreadable_encoding(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"lon,lat\n\xff\xfe\xfa\x80,1\n")
    with pytest.raises(InputError) as exc:
        read_csv_points(path)
    assert_error(exc, str(path), "field 'encoding'")


def test_non_numeric_coordinate(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("lon,lat,population\n121°33′,29.87,1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_communities(path)
    assert_error(exc, str(path), "field 'lon'", "row 1", "not a number", "decimal degrees")


def test_csv_without_crs_assumes_wgs84_and_says_so(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("id,lon,lat,population\na,121.55,29.87,1\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="assuming WGS-84.*crs='gcj02'"):
        gdf = read_communities(path)
    assert (gdf.geometry.x[0], gdf.geometry.y[0]) == (121.55, 29.87)
    with pytest.raises(InputError) as exc:
        read_communities(path, crs="EPSG:3857")
    assert_error(
        exc, str(path), "field 'crs'", "unknown coordinate system", "wgs84, cgcs2000, gcj02, bd09"
    )
