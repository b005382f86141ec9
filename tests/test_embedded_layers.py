"""Tests of the embedded Ningbo layers in data/geo/ and their loader (gisplan.io.embedded)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from gisplan.errors import InputError
from gisplan.io import embedded

# GB/T 2260 codes of Ningbo's county-level divisions (standards.md / the task brief).
NINGBO = {
    "330203": "海曙区",
    "330205": "江北区",
    "330206": "北仑区",
    "330211": "镇海区",
    "330212": "鄞州区",
    "330213": "奉化区",
    "330225": "象山县",
    "330226": "宁海县",
    "330281": "余姚市",
    "330282": "慈溪市",
}

# Centroids of six OpenStreetMap features of central Ningbo (© OpenStreetMap contributors, ODbL),
# from the developers' reference "landmarks of central Ningbo" (kept outside the project).
LANDMARKS = pd.DataFrame(
    [
        ("天一广场", 29.87187, 121.54991, "海曙区"),
        ("城隍庙商业步行街", 29.86857, 121.54703, "海曙区"),
        ("宁波鼓楼商业步行街", 29.87763, 121.54261, "海曙区"),
        ("南塘老街", 29.85610, 121.53393, "海曙区"),
        ("宁波老外滩", 29.87913, 121.55649, "江北区"),
        ("和义大道购物中心", 29.87610, 121.55125, "海曙区"),
    ],
    columns=["name_zh", "lat", "lon", "district"],
)

# 专栏4: "规划建设泛三江口商圈、东部新城商圈、南部商务区商圈、城西集士港商圈、镇海新城商圈、北仑新碶商圈"
PLAN_DISTRICTS = (
    "泛三江口商圈、东部新城商圈、南部商务区商圈、城西集士港商圈、镇海新城商圈、北仑新碶商圈"
)

METRIC = "EPSG:32651"


def landmarks_gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        LANDMARKS, geometry=gpd.points_from_xy(LANDMARKS.lon, LANDMARKS.lat), crs="EPSG:4326"
    )


def county_shares(geom_metric, counties_metric: gpd.GeoDataFrame, measure: str) -> pd.Series:
    """Share of a geometry's area or length inside each county, largest first."""
    inter = counties_metric.geometry.intersection(geom_metric)
    total = getattr(geom_metric, measure)
    shares = pd.Series(getattr(inter, measure).to_numpy() / total, index=counties_metric.name_zh)
    return shares.sort_values(ascending=False)


# ---------------------------------------------------------------- counties


def test_counties_codes_names_and_crs():
    c = embedded.load_counties()
    assert c.crs.to_epsg() == 4326
    assert len(c) == 10
    assert dict(zip(c.code, c.name_zh, strict=True)) == NINGBO
    assert list(c.columns) == ["code", "name_zh", "name_en", "source", "licence", "geometry"]
    suffix = {"区": " District", "县": " County", "市": " City"}
    for zh, en in zip(c.name_zh, c.name_en, strict=True):
        assert en.endswith(suffix[zh[-1]]), (zh, en)
    assert c.name_en[c.code == "330203"].item() == "Haishu District"


def test_counties_geometry_valid_disjoint_and_plausible():
    c = embedded.load_counties()
    assert c.geometry.is_valid.all()
    assert set(c.geom_type) == {"MultiPolygon"}
    m = c.to_crs(METRIC)
    area_km2 = m.area / 1e6
    # every county between 150 and 2000 km²; Ningbo's land area is about 9,800 km²
    assert area_km2.between(150, 2000).all(), area_km2
    assert 9000 < area_km2.sum() < 10200
    # neighbours share boundaries without overlapping
    overlap = sum(
        m.geometry.iloc[i].intersection(m.geometry.iloc[j]).area
        for i in range(10)
        for j in range(i + 1, 10)
    )
    assert overlap < 1e3  # m²
    # the smallest county is 江北区, the largest 宁海县 (official: 208 and 1,843 km²)
    assert c.name_zh[area_km2.idxmin()] == "江北区"
    assert c.name_zh[area_km2.idxmax()] == "宁海县"


def test_landmarks_fall_in_their_district():
    pts = landmarks_gdf()
    got = embedded.county_of(pts)
    assert got.tolist() == pts.district.tolist()


def test_county_of_any_crs_outside_and_index():
    pts = landmarks_gdf().set_index(pd.Index([10, 11, 12, 13, 14, 15]))
    extra = gpd.GeoDataFrame(
        {"name_zh": ["杭州西湖", "海上"]},
        geometry=[Point(120.14, 30.25), Point(123.5, 29.5)],
        crs="EPSG:4326",
        index=[20, 21],
    )
    pts = pd.concat([pts, extra])
    by_wgs = embedded.county_of(pts)
    by_utm = embedded.county_of(pts.to_crs(METRIC))
    assert list(by_wgs.index) == [10, 11, 12, 13, 14, 15, 20, 21]
    assert by_wgs.iloc[:6].tolist() == by_utm.iloc[:6].tolist() == LANDMARKS.district.tolist()
    assert by_wgs.loc[[20, 21]].isna().all() and by_utm.loc[[20, 21]].isna().all()
    # a point in each county's interior maps back to that county
    c = embedded.load_counties()
    inner = gpd.GeoSeries(c.geometry.representative_point(), crs=c.crs)
    assert embedded.county_of(inner).tolist() == c.name_zh.tolist()


def test_county_of_needs_crs():
    with pytest.raises(InputError, match="CRS"):
        embedded.county_of(gpd.GeoSeries([Point(121.5, 29.9)]))


# ---------------------------------------------------------------- business districts


def test_business_districts_names_and_attributes():
    b = embedded.load_business_districts()
    assert b.crs.to_epsg() == 4326
    assert sorted(b.name_zh) == sorted(PLAN_DISTRICTS.split("、"))
    assert (b.geometry_quality == "approximate").all()
    assert b.status.isin(["planned", "under construction"]).all()
    assert b.positioning.str.len().gt(0).all() and b.positioning_en.str.len().gt(0).all()
    assert b.source.str.len().gt(0).all() and b.licence.str.len().gt(0).all()
    row = b.set_index("name_zh")
    for part in ("海曙“最宁波”", "鄞州“最时尚”", "江北“最国际”"):
        assert part in row.loc["泛三江口商圈", "positioning"]
    projects = row.loc["东部新城商圈", "key_projects"].split("、")
    assert projects == [
        "宏泰广场",
        "文化广场",
        "A3区块夜产业链",
        "阪急百货",
        "东部新城水街与中央公园",
        "中国银行43楼观景台",
    ]
    assert "名品折扣" in row.loc["城西集士港商圈", "positioning"]


def test_business_districts_in_their_county_and_plausible_size():
    b = embedded.load_business_districts()
    assert b.geometry.is_valid.all()
    cm = embedded.load_counties().to_crs(METRIC)
    bm = b.to_crs(METRIC)
    # centroid lies in the stated county
    centroids = gpd.GeoSeries(bm.geometry.centroid, crs=METRIC)
    assert embedded.county_of(centroids).tolist() == b.county.tolist()
    for name, county, counties, geom in zip(
        b.name_zh, b.county, b.counties, bm.geometry, strict=True
    ):
        assert 2e6 <= geom.area <= 10e6, (name, geom.area)
        shares = county_shares(geom, cm, "area")
        assert shares.index[0] == county, (name, shares)
        assert shares.sum() == pytest.approx(1.0, abs=1e-6)  # wholly inside Ningbo
        assert set(shares[shares > 0.05].index) == set(counties.split("、")), (name, shares)
    assert b.set_index("name_zh").loc["泛三江口商圈", "counties"] == "海曙区、江北区、鄞州区"
    # the six districts are separate places
    assert not any(
        bm.geometry.iloc[i].intersects(bm.geometry.iloc[j])
        for i in range(6)
        for j in range(i + 1, 6)
    )


def test_business_district_of_landmarks():
    got = embedded.business_district_of(landmarks_gdf()).set_axis(LANDMARKS.name_zh)
    # the landmarks around 三江口 lie in 泛三江口; 南塘老街 (~2.3 km SW of 天一广场) does not
    near = ["天一广场", "城隍庙商业步行街", "宁波鼓楼商业步行街", "宁波老外滩", "和义大道购物中心"]
    assert (got[near] == "泛三江口商圈").all()
    assert pd.isna(got["南塘老街"])
    # a point at each district's representative point maps back to it; far away -> NaN
    b = embedded.load_business_districts()
    pts = gpd.GeoSeries(list(b.geometry.representative_point()) + [Point(121.0, 29.0)], crs=b.crs)
    assert embedded.business_district_of(pts).iloc[:6].tolist() == b.name_zh.tolist()
    assert pd.isna(embedded.business_district_of(pts).iloc[6])


# ---------------------------------------------------------------- pedestrian streets


def test_pedestrian_street_levels():
    p = embedded.load_pedestrian_streets()
    assert p.crs.to_epsg() == 4326
    assert p.level.isin(["national", "provincial", "municipal", "other"]).all()
    assert p.status.isin(["existing", "planned"]).all()
    assert p.geometry.is_valid.all()
    assert (p.geometry_quality == "approximate").all()
    level = dict(zip(p.name_zh, p.level, strict=True))
    assert level["老外滩街区"] == "national"
    assert level["东鼓道"] == level["南塘老街"] == level["南部商务区水街"] == "provincial"
    assert level["庄市老街"] == "municipal"
    assert list(p.level).count("national") == 1


def test_pedestrian_streets_in_their_county():
    p = embedded.load_pedestrian_streets()
    cm = embedded.load_counties().to_crs(METRIC)
    pm = p.to_crs(METRIC)
    mids = gpd.GeoSeries([g.interpolate(0.5, normalized=True) for g in pm.geometry], crs=METRIC)
    assert embedded.county_of(mids).tolist() == p.county.tolist()
    expected_county = {
        "老外滩街区": "江北区",
        "东鼓道": "海曙区",
        "南塘老街": "海曙区",
        "南部商务区水街": "鄞州区",
        "庄市老街": "镇海区",
    }
    assert {k: v for k, v in zip(p.name_zh, p.county, strict=True) if k in expected_county} == (
        expected_county
    )
    for name, county, geom in zip(p.name_zh, p.county, pm.geometry, strict=True):
        shares = county_shares(geom, cm, "length")
        # the county boundaries are generalised (vertices ~1.7 km apart): most, not all, inside
        assert shares.index[0] == county and shares.iloc[0] > 0.8, (name, shares)
        assert 100 <= geom.length <= 2000, (name, geom.length)


@pytest.mark.parametrize(
    ("landmark", "street"),
    [
        ("宁波老外滩", "老外滩街区"),
        ("南塘老街", "南塘老街"),
        ("城隍庙商业步行街", "城隍庙商业步行街"),
        ("宁波鼓楼商业步行街", "东鼓道"),
    ],
)
def test_streets_pass_by_their_osm_landmark(landmark, street):
    lm = landmarks_gdf().to_crs(METRIC).set_index("name_zh").geometry[landmark]
    line = embedded.load_pedestrian_streets().to_crs(METRIC).set_index("name_zh").geometry[street]
    assert line.distance(lm) < 100  # metres
    assert "OpenStreetMap" in embedded.load_pedestrian_streets().set_index("name_zh").source[street]


def test_streets_in_plan_districts():
    """南部商务区水街 lies in 南部商务区商圈; 老外滩 and 东鼓道 in 泛三江口商圈."""
    p = embedded.load_pedestrian_streets().set_index("name_zh")
    b = embedded.load_business_districts().set_index("name_zh")
    assert b.geometry["南部商务区商圈"].contains(p.geometry["南部商务区水街"])
    assert b.geometry["泛三江口商圈"].contains(p.geometry["老外滩街区"])
    assert b.geometry["泛三江口商圈"].contains(p.geometry["东鼓道"])


# ---------------------------------------------------------------- OSM places


def test_osm_places_are_named_points_credited_to_osm():
    p = embedded.load_osm_places()
    assert p.crs.to_epsg() == 4326
    assert len(p) > 200  # names of malls and shopping areas across the ten counties
    assert set(p.geom_type) == {"Point"}
    assert p["name"].str.strip().str.len().gt(0).all()
    assert set(p.county) <= set(NINGBO.values()) and p.county.nunique() == 10
    assert embedded.county_of(p).tolist() == p.county.tolist()
    assert p.source.str.contains("OpenStreetMap").all()
    assert p.licence.str.contains("ODbL").all()
    assert p.licence.str.contains("© OpenStreetMap contributors").all()
    # names and positions only: no copy of the OSM polygons or other tags
    assert list(p.columns) == ["name", "county", "source", "licence", "geometry"]


def _place(places: gpd.GeoDataFrame, name: str, county: str):
    rows = places[(places.name == name) & (places.county == county)]
    assert len(rows) == 1, (name, county, len(rows))
    return rows.geometry.iloc[0]


def test_every_district_contains_the_osm_places_it_rests_on():
    places = embedded.load_osm_places()
    for row in embedded.load_business_districts().itertuples():
        anchors = row.osm_anchors.split("、")
        assert len(anchors) >= 2, row.name_zh
        counties = row.counties.split("、")
        for name in anchors:
            candidates = places[(places.name == name) & places.county.isin(counties)]
            assert len(candidates) == 1, (row.name_zh, name)
            assert row.geometry.contains(candidates.geometry.iloc[0]), (row.name_zh, name)
        assert "OpenStreetMap" in row.source and "ODbL" in row.licence


@pytest.mark.parametrize(
    ("district", "place", "county"),
    [
        # the commercial centre each name refers to (the layer once had 镇海新城 5.7 km east)
        ("镇海新城商圈", "镇海新城市场", "镇海区"),
        ("城西集士港商圈", "杉井奥特莱斯广场·宁波", "海曙区"),  # the plan's 名品折扣 (outlet)
        ("南部商务区商圈", "南部商务区", "鄞州区"),
        ("东部新城商圈", "宁波文化广场", "鄞州区"),  # key projects 文化广场, 宏泰广场, 阪急
        ("东部新城商圈", "宏泰广场", "鄞州区"),
        ("东部新城商圈", "宁波阪急", "鄞州区"),
        ("北仑新碶商圈", "北仑银泰城", "北仑区"),
        ("泛三江口商圈", "天一广场", "海曙区"),
    ],
)
def test_district_is_at_its_commercial_centre(district, place, county):
    b = embedded.load_business_districts().to_crs(METRIC).set_index("name_zh").geometry
    pt = gpd.GeoSeries([_place(embedded.load_osm_places(), place, county)], crs=4326)
    pt = pt.to_crs(METRIC).iloc[0]
    assert b[district].contains(pt)
    assert b[district].centroid.distance(pt) < 1500  # metres
    # and no other district holds it
    assert sum(g.contains(pt) for g in b) == 1


def test_streets_pass_by_their_osm_place():
    places = embedded.load_osm_places().to_crs(METRIC)
    streets = embedded.load_pedestrian_streets()
    with_place = streets[streets.osm_place != ""]
    assert set(streets.name_zh) - set(with_place.name_zh) == {"庄市老街"}  # not in OSM
    for row in with_place.to_crs(METRIC).itertuples():
        pt = _place(places, row.osm_place, row.county)
        assert row.geometry.distance(pt) < 100, row.name_zh
        assert "OpenStreetMap" in row.source and "ODbL" in row.licence


# ---------------------------------------------------------------- loader


def test_data_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("GISPLAN_DATA_DIR", raising=False)
    default = embedded.data_dir()
    assert default == Path(embedded.__file__).resolve().parents[2] / "data" / "geo"
    assert (default / "counties.geojson").is_file()
    assert (default / "SOURCES.md").is_file()
    monkeypatch.setenv("GISPLAN_DATA_DIR", str(tmp_path))
    assert embedded.data_dir() == tmp_path.resolve()


def test_loaders_return_independent_copies():
    a = embedded.load_counties()
    a.loc[0, "name_zh"] = "changed"
    a["geometry"] = None
    b = embedded.load_counties()
    assert b.name_zh.iloc[0] == "海曙区" and b.geometry.notna().all()


def test_sources_md_names_every_layer():
    text = (embedded.data_dir() / "SOURCES.md").read_text(encoding="utf-8")
    for name in (
        "counties.geojson",
        "business_districts.geojson",
        "pedestrian_streets.geojson",
        "osm_commercial_places.geojson",
    ):
        assert name in text
    assert "© OpenStreetMap contributors" in text and "ODbL" in text
    assert 'source = "synthetic"' in text


LAYERS = {
    "counties": ("counties.geojson", embedded.load_counties),
    "business_districts": ("business_districts.geojson", embedded.load_business_districts),
    "pedestrian_streets": ("pedestrian_streets.geojson", embedded.load_pedestrian_streets),
    "osm_places": ("osm_commercial_places.geojson", embedded.load_osm_places),
}


def _corrupt_copy(monkeypatch, tmp_path, layer, mutate):
    """Copy all layers into tmp_path, apply ``mutate`` to the JSON of ``layer``."""
    src = embedded.data_dir()
    for fname, _ in LAYERS.values():
        (tmp_path / fname).write_text((src / fname).read_text(encoding="utf-8"), encoding="utf-8")
    fname, loader = LAYERS[layer]
    doc = json.loads((tmp_path / fname).read_text(encoding="utf-8"))
    mutate(doc)
    (tmp_path / fname).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("GISPLAN_DATA_DIR", str(tmp_path))
    return tmp_path / fname, loader


def _drop_property(name):
    def mutate(doc):
        for f in doc["features"]:
            f["properties"].pop(name, None)

    return mutate


def _drop_crs(doc):
    doc.pop("crs")


@pytest.mark.parametrize("layer", list(LAYERS))
def test_corrupted_layer_missing_column(monkeypatch, tmp_path, layer):
    column = {
        "counties": "code",
        "business_districts": "osm_anchors",
        "pedestrian_streets": "level",
        "osm_places": "name",
    }
    path, loader = _corrupt_copy(monkeypatch, tmp_path, layer, _drop_property(column[layer]))
    with pytest.raises(InputError) as err:
        loader()
    assert err.value.file == str(path)
    assert err.value.field == column[layer]
    assert str(path) in str(err.value)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_corrupted_layer_without_crs(monkeypatch, tmp_path, layer):
    path, loader = _corrupt_copy(monkeypatch, tmp_path, layer, _drop_crs)
    with pytest.raises(InputError) as err:
        loader()
    assert err.value.file == str(path) and err.value.field == "crs"


def test_corrupted_invalid_geometry_names_row(monkeypatch, tmp_path):
    def bowtie(doc):
        doc["features"][2]["geometry"] = {
            "type": "Polygon",
            "coordinates": [
                [[121.5, 29.8], [121.6, 29.9], [121.6, 29.8], [121.5, 29.9], [121.5, 29.8]]
            ],
        }

    path, loader = _corrupt_copy(monkeypatch, tmp_path, "business_districts", bowtie)
    with pytest.raises(InputError) as err:
        loader()
    assert (err.value.file, err.value.field, err.value.row) == (str(path), "geometry", 2)
    assert "Self-intersection" in str(err.value)


def test_corrupted_bad_level_and_swapped_axes(monkeypatch, tmp_path):
    def bad_level(doc):
        doc["features"][1]["properties"]["level"] = "county"

    path, loader = _corrupt_copy(monkeypatch, tmp_path, "pedestrian_streets", bad_level)
    with pytest.raises(InputError) as err:
        loader()
    assert (err.value.field, err.value.row) == ("level", 1)

    def swap(doc):  # lat, lon instead of lon, lat
        g = shapely.geometry.shape(doc["features"][0]["geometry"])
        swapped = shapely.ops.transform(lambda x, y: (y, x), g)
        doc["features"][0]["geometry"] = shapely.geometry.mapping(swapped)

    path, loader = _corrupt_copy(monkeypatch, tmp_path, "counties", swap)
    with pytest.raises(InputError, match="outside Ningbo") as err:
        loader()
    assert err.value.row == 0


def test_missing_file(monkeypatch, tmp_path):
    monkeypatch.setenv("GISPLAN_DATA_DIR", str(tmp_path))
    with pytest.raises(InputError, match="not found") as err:
        embedded.load_pedestrian_streets()
    assert err.value.file == str(tmp_path.resolve() / "pedestrian_streets.geojson")


def test_layer_in_cgcs2000_is_converted(monkeypatch, tmp_path):
    """A copy declaring EPSG:4490 loads and comes back in EPSG:4326 with the same coordinates."""

    def to_4490(doc):
        doc["crs"] = {"type": "name", "properties": {"name": "EPSG:4490"}}

    _corrupt_copy(monkeypatch, tmp_path, "counties", to_4490)
    got = embedded.load_counties()
    monkeypatch.delenv("GISPLAN_DATA_DIR")
    ref = embedded.load_counties()
    assert got.crs.to_epsg() == 4326
    assert got.geometry.geom_equals_exact(ref.geometry, tolerance=1e-7).all()
