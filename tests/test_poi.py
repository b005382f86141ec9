"""Tests of gisplan.io.poi: POI export import and atomic layer writing.

Fixtures are Amap/Baidu-style CSV exports generated in ``tmp_path`` from known WGS-84 points.
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from pyproj import Geod

from gisplan.coords import wgs84_to_bd09, wgs84_to_gcj02
from gisplan.errors import InputError
from gisplan.io.layers import read_amenities
from gisplan.io.poi import TYPE_KEYWORDS, classify_type, import_poi, write_layer

GEOD = Geod(ellps="WGS84")

# (name, Amap type string, WGS-84 lon, lat, expected category)
ROWS = [
    (
        "全家便利店(天一店)",
        "购物服务;便民商店/便利店;便利店",
        121.5501,
        29.8702,
        "convenience_store",
    ),
    ("南门菜市场", "购物服务;综合市场;菜市场", 121.5480, 29.8650, "wet_market"),
    ("联华超市", "购物服务;超级市场;超市", 121.5560, 29.8740, "supermarket"),
    ("老百姓大药房", "医疗保健服务;医药保健销售店;药房", 121.5520, 29.8710, "pharmacy"),
    ("阿强美发", "生活服务;美容美发店;美容美发店", 121.5530, 29.8690, "hair_salon"),
    ("永和早餐", "餐饮服务;快餐厅;早餐", 121.5510, 29.8720, "breakfast"),
    ("福奈特洗衣", "生活服务;洗衣店;干洗店", 121.5540, 29.8730, "laundry"),
    ("手机维修", "生活服务;维修站点;手机维修", 121.5550, 29.8680, "repair"),
    ("好帮手家政", "生活服务;家政服务;家政服务", 121.5570, 29.8660, "housekeeping"),
    ("再生资源回收站", "生活服务;回收站;回收站", 121.5580, 29.8700, "recycling"),
    ("菜鸟驿站", "生活服务;物流速递;快递驿站", 121.5590, 29.8710, "express_delivery"),
    ("工商银行", "金融保险服务;银行;中国工商银行", 121.5600, 29.8720, None),
    ("小学", "科教文化服务;学校;小学", 121.5610, 29.8730, None),
    ("建设银行", "金融保险服务;银行;中国建设银行", 121.5620, 29.8740, None),
]


def metres(lon1, lat1, lon2, lat2):
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def amap_csv(path, rows=ROWS, *, encoding="gbk", system="gcj02", header="名称,类型,经度,纬度,地址"):
    lon = np.array([r[2] for r in rows])
    lat = np.array([r[3] for r in rows])
    fwd = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}[system]
    x, y = fwd(lon, lat)
    lines = [header]
    for (name, kind, *_), xi, yi in zip(rows, x, y, strict=True):
        lines.append(f"{name},{kind},{xi:.7f},{yi:.7f},宁波市海曙区某路{len(lines)}号")
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_classify_type():
    assert classify_type("购物服务;便民商店/便利店;便利店") == "convenience_store"
    assert classify_type("农贸市场") == "wet_market"
    assert classify_type("wet_market") == "wet_market"
    assert classify_type("Convenience store") == "convenience_store"
    assert classify_type("金融保险服务;银行") is None
    assert classify_type(None) is None
    assert {cid for _, cid in TYPE_KEYWORDS} >= {"convenience_store", "wet_market", "supermarket"}


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_amap_export_gcj02(tmp_path, encoding):
    path = amap_csv(tmp_path / "amap.csv", encoding=encoding)
    with pytest.warns(UserWarning) as record:
        gdf = import_poi(path, crs="gcj02")
    messages = [str(w.message) for w in record]
    assert any("generated ids a0001..a0014" in m for m in messages)
    unmatched = [m for m in messages if "match no category" in m]
    assert len(unmatched) == 1
    # counts per type and the rows, not a silent drop
    assert "3 of 14 rows" in unmatched[0] and "data rows 12, 13, 14" in unmatched[0]
    assert "'金融保险服务;银行;中国工商银行' ×1" in unmatched[0]
    expected = [r for r in ROWS if r[4] is not None]
    assert gdf["name"].tolist() == [r[0] for r in expected]
    assert gdf["category"].tolist() == [r[4] for r in expected]
    assert gdf["source"].tolist() == ["user"] * len(expected)
    assert gdf["地址"].str.startswith("宁波市海曙区").all()
    assert gdf.crs == "EPSG:4326"
    # GCJ-02 input lands within 1 m of the WGS-84 truth
    d = metres(gdf.geometry.x, gdf.geometry.y, [r[2] for r in expected], [r[3] for r in expected])
    assert d.max() < 1.0


def test_baidu_export_bd09_with_english_headers_and_uid(tmp_path):
    rows = ROWS[:3]
    path = tmp_path / "baidu.csv"
    x, y = wgs84_to_bd09(np.array([r[2] for r in rows]), np.array([r[3] for r in rows]))
    text = "uid,name,tag,lng,lat\n" + "".join(
        f"u{i},{r[0]},{r[1]},{x[i]:.7f},{y[i]:.7f}\n" for i, r in enumerate(rows)
    )
    path.write_text(text, encoding="utf-8")
    gdf = import_poi(path, crs="bd09")
    assert gdf["id"].tolist() == ["u0", "u1", "u2"]
    assert gdf["category"].tolist() == ["convenience_store", "wet_market", "supermarket"]
    assert (
        metres(gdf.geometry.x, gdf.geometry.y, [r[2] for r in rows], [r[3] for r in rows]).max()
        < 1.0
    )
    # read as the wrong system the points are far off: the crs argument matters
    wrong = import_poi(path, crs="gcj02")
    assert (
        metres(wrong.geometry.x, wrong.geometry.y, [r[2] for r in rows], [r[3] for r in rows]).min()
        > 300
    )


def test_location_column_and_fixed_category(tmp_path):
    path = tmp_path / "loc.csv"
    gx, gy = wgs84_to_gcj02(121.55, 29.87)
    path.write_text(f'id,name,location\nB1,某店,"{gx:.8f},{gy:.8f}"\n', encoding="utf-8")
    gdf = import_poi(path, crs="gcj02", category="便利店")
    assert gdf["category"].tolist() == ["convenience_store"]
    assert metres(gdf.geometry.x[0], gdf.geometry.y[0], 121.55, 29.87) < 1.0


def test_explicit_columns(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("店,业种,X,Y\n甲,超市,121.55,29.87\n", encoding="utf-8")
    gdf = import_poi(path, crs="wgs84", name_column="店", category_column="业种", lon="X", lat="Y")
    assert gdf["name"].tolist() == ["甲"] and gdf["category"].tolist() == ["supermarket"]
    assert (gdf.geometry.x[0], gdf.geometry.y[0]) == (121.55, 29.87)


def test_repeated_poi_ids_kept_once(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text(
        "id,名称,类型,经度,纬度\nB1,甲,便利店,121.55,29.87\nB2,乙,超市,121.56,29.87\nB1,甲,便利店,121.55,29.87\n",
        encoding="utf-8",
    )
    with pytest.warns(UserWarning, match="1 repeated ids kept once.*data row 3"):
        gdf = import_poi(path, crs="wgs84")
    assert gdf["id"].tolist() == ["B1", "B2"]


def test_gbk_roundtrip_through_written_layers(tmp_path):
    path = amap_csv(tmp_path / "amap.csv", ROWS[:11])
    with pytest.warns(UserWarning, match="generated ids"):
        gdf = import_poi(path, crs="gcj02")
    for name in ("out.geojson", "out.gpkg"):
        out = write_layer(gdf, tmp_path / name)
        back = read_amenities(out)
        assert back["id"].tolist() == gdf["id"].tolist()
        assert back["name"].tolist() == [r[0] for r in ROWS[:11]]
        assert back["category"].tolist() == gdf["category"].tolist()
        assert back["地址"].tolist() == gdf["地址"].tolist()
        assert metres(back.geometry.x, back.geometry.y, gdf.geometry.x, gdf.geometry.y).max() < 1e-3
    assert listing(tmp_path) == ["amap.csv", "out.geojson", "out.gpkg"]


# -- bad input: InputError naming file and field, nothing written ----------------------------


def _fails(tmp_path, path, match_parts, **kw):
    out = tmp_path / "out" / "poi.geojson"
    out.parent.mkdir(exist_ok=True)
    with pytest.raises(InputError) as exc:
        write_layer(import_poi(path, **kw), out)
    text = str(exc.value)
    for part in [str(path), *match_parts]:
        assert part in text, f"{part!r} not in {text!r}"
    assert listing(out.parent) == []  # no output and no temporary file left behind
    return exc.value


def test_bad_crs(tmp_path):
    path = amap_csv(tmp_path / "a.csv")
    _fails(tmp_path, path, ["field 'crs'", "unknown coordinate system 'wgs'"], crs="wgs")


def test_no_category_matches(tmp_path):
    path = amap_csv(tmp_path / "a.csv", ROWS[11:])
    with pytest.warns(UserWarning):
        _fails(
            tmp_path,
            path,
            ["field '类型'", "no row matches a catalogue category", "category="],
            crs="gcj02",
        )


def test_unknown_fixed_category(tmp_path):
    path = amap_csv(tmp_path / "a.csv")
    _fails(
        tmp_path,
        path,
        ["field 'category'", "unknown category 'bank'", "wet_market (农贸市场)"],
        crs="gcj02",
        category="bank",
    )


def test_missing_category_column(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("名称,经度,纬度\n甲,121.55,29.87\n", encoding="utf-8")
    _fails(tmp_path, path, ["field 'category'", "columns present: 名称, 经度, 纬度"], crs="gcj02")


def test_missing_coordinate_columns(tmp_path):
    path = amap_csv(tmp_path / "a.csv", header="名称,类型,经,纬,地址")
    _fails(
        tmp_path,
        path,
        ["field '经度/lon, 纬度/lat'", "columns present: 名称, 类型, 经, 纬, 地址"],
        crs="gcj02",
    )


def test_swapped_coordinates(tmp_path):
    path = amap_csv(tmp_path / "a.csv", header="名称,类型,纬度,经度,地址")
    err = _fails(tmp_path, path, ["field '纬度'", "looks like lat/lon are swapped"], crs="gcj02")
    assert err.row == 1


def test_non_numeric_coordinate(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "名称,类型,经度,纬度\n甲,超市,121.55,29.87\n乙,超市,东经121度,29.87\n", encoding="utf-8"
    )
    err = _fails(tmp_path, path, ["field '经度'", "row 2", "not a number"], crs="gcj02")
    assert err.row == 2


def test_outside_bounds(tmp_path):
    path = amap_csv(tmp_path / "a.csv", ROWS[:3])
    with pytest.warns(UserWarning):
        _fails(
            tmp_path,
            path,
            [
                "field '经度/纬度'",
                "outside the plausible area",
                "data rows 1, 2, 3",
                "read as gcj02",
            ],
            crs="gcj02",
            bounds=(116.0, 39.0, 117.0, 40.0),
        )


def test_missing_id_value(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "id,名称,类型,经度,纬度\nB1,甲,超市,121.55,29.87\n,乙,超市,121.56,29.87\n", encoding="utf-8"
    )
    _fails(tmp_path, path, ["field 'id'", "row 2", "missing id"], crs="wgs84")


# -- write_layer ------------------------------------------------------------------------------


def _layer():
    return gpd.GeoDataFrame(
        {"id": ["a"], "name": ["甲"], "category": ["supermarket"], "source": ["user"]},
        geometry=gpd.points_from_xy([121.55], [29.87]),
        crs="EPSG:4326",
    )


def test_write_layer_rejects_unknown_suffix(tmp_path):
    with pytest.raises(InputError) as exc:
        write_layer(_layer(), tmp_path / "x.kml")
    assert "field 'path'" in str(exc.value) and ".geojson or .gpkg" in str(exc.value)
    assert listing(tmp_path) == []


def test_write_layer_failure_leaves_previous_file_intact(tmp_path, monkeypatch):
    target = tmp_path / "layer.geojson"
    write_layer(_layer(), target)
    before = target.read_bytes()

    def half_write(df, path, **kw):
        with open(path, "wb") as f:
            f.write(b'{"type": "FeatureCollection", "features": [')
        raise OSError("disk full")

    monkeypatch.setattr(pyogrio, "write_dataframe", half_write)
    with pytest.raises(OSError, match="disk full"):
        write_layer(_layer(), target)
    assert target.read_bytes() == before
    assert listing(tmp_path) == ["layer.geojson"]


def test_write_geojson_reprojects_to_wgs84(tmp_path):
    metric = _layer().to_crs("EPSG:32651")
    out = write_layer(metric, tmp_path / "m.geojson")
    back = gpd.read_file(out)
    assert back.crs == "EPSG:4326"
    assert metres(back.geometry.x[0], back.geometry.y[0], 121.55, 29.87) < 1e-3
    assert os.path.getsize(out) > 0
