"""Maps: local Leaflet only, GCJ-02 shifting for Amap, legends, colours and plan targets."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from folium.plugins import Fullscreen

from gisplan import i18n
from gisplan.access.coverage import CoverageResult
from gisplan.catalogue import default_standard
from gisplan.coords import wgs84_to_gcj02
from gisplan.crs import WGS84
from gisplan.io.embedded import load_business_districts, load_counties, load_pedestrian_streets
from gisplan.labels import synthetic_label
from gisplan.maps import assets, basemaps
from gisplan.maps import coverage as coverage_maps
from gisplan.maps.assets import (
    UnavailableAssetError,
    external_urls,
    install_vendor,
    localize,
    standalone_html,
)
from gisplan.maps.base import to_feature_collection
from gisplan.maps.coverage import coverage_map, minutes_class
from gisplan.maps.elements import MapLabel
from gisplan.maps.plan import plan_map
from gisplan.report import targets


@pytest.fixture(scope="module")
def plan_layers():
    return load_counties(), load_business_districts(), load_pedestrian_streets()


def _toy_result(recycling_m=(100.0, 900.0, 1100.0, np.inf), store_m=(100.0, 400.0, np.nan, 100.0)):
    """Four communities; distances in metres; 4 km/h = 66.67 m/min."""
    pts = [(121.55, 29.87), (121.551, 29.871), (121.552, 29.872), (121.553, 29.873)]
    comm = gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "name": ["A", "B", "C", "D"],
            "population": [100, 200, 300, 400],
            "source": "synthetic",
        },
        geometry=[shapely.Point(p) for p in pts],
        crs=WGS84,
    )
    std = default_standard()
    d = pd.DataFrame(
        {c: [50.0, 50.0, 50.0, 50.0] for c in std.ids}, index=pd.Index(comm["id"], name="id")
    )
    d["recycling"] = list(recycling_m)
    d["convenience_store"] = list(store_m)
    return CoverageResult.from_distances(comm, d, std, group_columns=[]), comm


def _script_urls(html: str) -> list[str]:
    return re.findall(r"""<(?:script|link)\b[^>]*?(?:src|href)\s*=\s*["']([^"']+)["']""", html)


# -- assets --------------------------------------------------------------------------------


def test_plan_map_uses_only_local_leaflet(plan_layers):
    m = plan_map(*plan_layers, base_url="/app/static/vendor")
    html = m.get_root().render()
    urls = _script_urls(html)
    assert external_urls(html) == []
    assert sorted(urls) == [
        "/app/static/vendor/leaflet/leaflet.css",
        "/app/static/vendor/leaflet/leaflet.js",
    ]
    # what streamlit-folium hands to its iframe: every element's default_js/default_css
    links = [
        u
        for el in assets._walk(m)
        for _, u in (getattr(el, "default_js", []) + getattr(el, "default_css", []))
    ]
    assert links and all(u.startswith("/app/static/vendor/") for u in links)
    # folium's class-level CDN lists are untouched (instances were changed, not the class)
    assert any("cdn.jsdelivr.net" in u for _, u in folium.Map.default_js)


def test_localize_refuses_elements_that_need_a_cdn():
    m = folium.Map(tiles=None)
    Fullscreen().add_to(m)
    with pytest.raises(UnavailableAssetError, match="Fullscreen"):
        localize(m)


def test_install_vendor_copies_leaflet_byte_for_byte(tmp_path):
    out = install_vendor(tmp_path / "vendor")
    src = assets.leaflet_dir()
    for name in ("leaflet.js", "leaflet.css", "images/layers.png", "images/marker-icon.png"):
        assert (out / name).read_bytes() == (src / name).read_bytes()
    # second call is a no-op that leaves the files intact
    install_vendor(tmp_path / "vendor")
    assert (out / "leaflet.js").stat().st_size == (src / "leaflet.js").stat().st_size


def test_standalone_html_inlines_leaflet_and_has_no_external_files(plan_layers):
    html = standalone_html(plan_map(*plan_layers), title="t<1>")
    assert external_urls(html) == []
    assert _script_urls(html) == []
    leaflet_js = (assets.leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    # the library's own first line (version banner) is inside the document
    assert leaflet_js.splitlines()[0].strip() in html
    assert "url(images/" not in html and "data:image/png;base64," in html
    assert "<title>t&lt;1&gt;</title>" in html


# -- basemaps and coordinate shifting -----------------------------------------------------------


def test_amap_basemap_shifts_every_layer_to_gcj02(plan_layers):
    counties, districts, streets = plan_layers
    plain = plan_map(counties, districts, streets, basemap="none").get_root().render()
    amap = plan_map(counties, districts, streets, basemap="amap").get_root().render()
    s_wgs = streets.geometry.iloc[0].coords[0]
    gx, gy = wgs84_to_gcj02(s_wgs[0], s_wgs[1])
    shift_m = np.hypot((gx - s_wgs[0]) * 96_500, (gy - s_wgs[1]) * 111_000)
    assert shift_m > 200  # GCJ-02 is a few hundred metres off in Ningbo
    assert f"[{round(s_wgs[0], 6)}, {round(s_wgs[1], 6)}]" in plain
    assert f"[{round(gx, 6)}, {round(gy, 6)}]" in amap
    assert f"[{round(s_wgs[0], 6)}, {round(s_wgs[1], 6)}]" not in amap
    assert "autonavi.com" in amap and "autonavi.com" not in plain


def test_display_layer_matches_coords_module_for_every_vertex():
    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString([(121.5, 29.8), (121.6, 29.9)])], crs=WGS84)
    out = basemaps.display_layer(gdf, "amap")
    got = np.asarray(out.geometry.iloc[0].coords)
    ex, ey = wgs84_to_gcj02(np.array([121.5, 121.6]), np.array([29.8, 29.9]))
    np.testing.assert_allclose(got, np.column_stack([ex, ey]), atol=1e-12)
    same = basemaps.display_layer(gdf, "tianditu")
    np.testing.assert_allclose(
        np.asarray(same.geometry.iloc[0].coords), [(121.5, 29.8), (121.6, 29.9)], atol=1e-9
    )


def test_tianditu_needs_a_key(plan_layers, monkeypatch):
    monkeypatch.delenv(basemaps.TIANDITU_ENV, raising=False)
    assert basemaps.tianditu_key({}) is None
    with pytest.raises(basemaps.MissingKeyError, match=basemaps.TIANDITU_ENV):
        plan_map(*plan_layers, basemap="tianditu")
    monkeypatch.setenv(basemaps.TIANDITU_ENV, " abc123 ")
    key = basemaps.tianditu_key({})
    assert key == "abc123"
    assert basemaps.tianditu_key({"tianditu_key": "fromsecrets"}) == "fromsecrets"
    html = plan_map(*plan_layers, basemap="tianditu", tianditu_key=key).get_root().render()
    assert "tk=abc123" in html and "LAYER=vec" in html and "LAYER=cva" in html


def test_osm_basemap_is_attributed(plan_layers):
    html = plan_map(*plan_layers, basemap="osm").get_root().render()
    assert "tile.openstreetmap.org" in html
    assert "\\u00a9 OpenStreetMap contributors" in html or "© OpenStreetMap contributors" in html


# -- coverage map --------------------------------------------------------------------------


def test_minutes_classes_hand_computed():
    got = minutes_class(np.array([np.nan, np.inf, 5.0, 5.01, 7.5, 7.51, 10.0, 10.01, 0.0]), 5.0)
    assert got.tolist() == [4, 3, 0, 1, 1, 2, 2, 3, 0]


def test_completeness_colours_run_from_red_to_green():
    assert coverage_maps.completeness_color(0.0) == coverage_maps.COMPLETENESS_COLORS[0]
    assert coverage_maps.completeness_color(1.0) == coverage_maps.COMPLETENESS_COLORS[-1]
    assert coverage_maps.completeness_color(0.5) == coverage_maps.COMPLETENESS_COLORS[2]


def test_feature_collection_rounds_and_drops_non_finite():
    gdf = gpd.GeoDataFrame(
        {"v": [np.inf, 1.5], "s": ["x", None]},
        geometry=[shapely.Point(1.23456789, 2.0), shapely.Point(3, 4)],
        crs=WGS84,
    )
    fc = to_feature_collection(gdf, ["v", "s"])
    assert list(fc["features"][0]["geometry"]["coordinates"]) == [1.234568, 2.0]
    assert fc["features"][0]["properties"] == {"v": None, "s": "x"}
    assert fc["features"][1]["properties"] == {"v": 1.5, "s": None}
    json.dumps(fc, allow_nan=False)  # valid JSON (no Infinity / NaN)


def test_coverage_map_colours_legend_and_synthetic_label():
    result, comm = _toy_result()
    synth = coverage_map(result, synthetic=True, lang="zh")
    labels = [el for el in assets._walk(synth) if isinstance(el, MapLabel)]
    assert [lb.text for lb in labels] == ["示例数据（合成）"]  # the map's language only
    assert json.dumps("示例数据（合成）")[1:-1] in synth.get_root().render()
    english = coverage_map(result, synthetic=True, lang="en")
    labels = [el for el in assets._walk(english) if isinstance(el, MapLabel)]
    assert [lb.text for lb in labels] == [synthetic_label("en")] == ["Synthetic sample"]
    assert "示例数据" not in english.get_root().render()
    # Community d (store 100 m = 1.5 min) meets all three; c is unsnapped for the store.
    table = result.table.set_index("id")
    assert table.loc["d", "required_met"] == 3 and table.loc["c", "required_met"] == 2
    # one community layer with 4 features, coloured by completeness
    m = coverage_map(result, synthetic=False)
    fcs = [el.data for el in assets._walk(m) if isinstance(el, folium.GeoJson)]
    comm_fc = fcs[-1]
    assert len(comm_fc["features"]) == 4
    colours = {f["properties"]["_name"]: f["properties"]["_color"] for f in comm_fc["features"]}
    assert colours["D"] == coverage_maps.completeness_color(1.0)
    assert colours["C"] == coverage_maps.completeness_color(2 / 3)
    legend = [el for el in assets._walk(m) if type(el).__name__ == "Legend"][0]
    assert sorted(i.label for i in legend.items) == ["2/3", "3/3"]
    assert not [el for el in assets._walk(m) if isinstance(el, MapLabel)]
    assert "synthetic" not in m.get_root().render()


def test_coverage_map_minutes_mode_uses_threshold_classes():
    result, _ = _toy_result()
    m = coverage_map(result, color_by="convenience_store")
    fc = [el.data for el in assets._walk(m) if isinstance(el, folium.GeoJson)][-1]
    colours = [f["properties"]["_color"] for f in fc["features"]]
    # 100 m = 1.5 min (met), 400 m = 6 min (<= 7.5: class 1), nan (unsnapped), 100 m
    assert colours == [
        coverage_maps.MINUTES_COLORS[0],
        coverage_maps.MINUTES_COLORS[1],
        coverage_maps.MINUTES_COLORS[4],
        coverage_maps.MINUTES_COLORS[0],
    ]


def test_coverage_map_on_amap_shifts_communities():
    result, comm = _toy_result()
    m = coverage_map(result, basemap="amap")
    fc = [el.data for el in assets._walk(m) if isinstance(el, folium.GeoJson)][-1]
    x, y = fc["features"][0]["geometry"]["coordinates"]
    gx, gy = wgs84_to_gcj02(121.55, 29.87)
    assert (x, y) == (round(gx, 6), round(gy, 6))


# -- targets -------------------------------------------------------------------------------


def test_plan_progress_counts_from_the_layers(plan_layers):
    _, districts, streets = plan_layers
    result, _ = _toy_result()
    got = {
        p.key: p
        for p in targets.plan_progress(
            streets, districts, result, dataset_label="toy", synthetic=True
        )
    }
    levels = list(streets["level"])
    assert got["streets_high"].value == levels.count("national") + levels.count("provincial")
    assert got["streets_municipal"].value == levels.count("municipal")
    assert got["districts"].value == len(districts) == 6 and got["districts"].met
    assert got["streets_high"].target == 10 and got["streets_municipal"].target == 20
    # recycling: 100 m and 900 m (1.5, 13.5 min) are within 15 min; 1100 m (16.5 min) and inf are not
    assert (
        got["recycling"].value == pytest.approx(0.5)
        and got["recycling"].share
        and got["recycling"].synthetic
    )
    assert got["recycling"].text() == "50.0% / 100%"
    # circles: the toy data has no circles layer, so the count is not available -- never
    # the number of complete communities (a and d), which is a different thing
    assert got["circles"].value is None and not got["circles"].available
    assert got["circles"].target == 50 and not got["circles"].met
    assert got["circles"].text() == "— / 50+" and got["circles"].value_text() == "—"
    assert got["streets_high"].layer == "embedded:pedestrian_streets"


def test_plan_progress_counts_complete_circles_of_the_circles_layer(plan_layers):
    """Hand-computed: a and d meet the whole standard (populations 100, 400); b (200) and
    c (300) do not.  Circle X holds a and b (100/300 = 33% < 80%), Z holds c (0%), Y holds d
    (100%), W holds nobody (never complete): 1 complete circle of 4."""
    from gisplan.access.circles import assign_circles

    _, districts, streets = plan_layers
    result, comm = _toy_result()
    circles = gpd.GeoDataFrame(
        {"id": ["X", "Z", "Y", "W"], "name": ["甲", "丙", "乙", "丁"]},
        geometry=[
            shapely.box(121.5495, 29.8695, 121.5515, 29.8715),
            shapely.box(121.5515, 29.8715, 121.5525, 29.8725),
            shapely.box(121.5525, 29.8725, 121.5535, 29.8735),
            shapely.box(121.60, 29.90, 121.61, 29.91),
        ],
        crs=WGS84,
    )
    result.circles = circles
    result.circle_of = assign_circles(comm, circles)
    assert list(result.table["complete"]) == [True, False, False, True]
    got = {p.key: p for p in targets.plan_progress(streets, districts, result, dataset_label="t")}
    c = got["circles"]
    assert (c.value, c.of_total, c.met) == (1, 4, False)
    assert c.value_text() == "1 / 4" and c.text() == "1 / 50+"
    assert result.communities_complete == 2  # the 小区 count differs and is not used


def test_plan_progress_without_coverage_has_three_targets(plan_layers):
    _, districts, streets = plan_layers
    assert [p.key for p in targets.plan_progress(streets, districts)] == [
        "streets_high",
        "streets_municipal",
        "districts",
    ]


# -- i18n ----------------------------------------------------------------------------------


# (every key in both languages with the same placeholders: tests/test_i18n.py)


def test_t_language_selection_and_fallback():
    assert i18n.t("page.coverage", "zh") == "便民生活圈覆盖"
    assert i18n.t("page.coverage", "en") == "Convenience-circle coverage"
    assert i18n.t("no.such.key", "en") == "no.such.key"
    assert i18n.t("cov.recompute", "en", ms=12.4) == "Recomputed in 12 ms (network not rebuilt)"
    cat = default_standard()["wet_market"]
    assert (
        i18n.category_name(cat, "zh") == "农贸市场"
        and i18n.category_name(cat, "en") == "Wet market"
    )


def test_plan_map_labels_districts_counties_and_marks_every_street():
    """Every district and street name is on the map as a label; every street has a marker."""
    import json
    import re

    from gisplan.io.embedded import load_business_districts, load_counties, load_pedestrian_streets
    from gisplan.maps import plan_map

    counties, districts, streets = (
        load_counties(),
        load_business_districts(),
        load_pedestrian_streets(),
    )
    html_text = plan_map(counties, districts, streets).get_root().render()
    labels = [
        re.sub(r"<[^>]+>", "", json.loads(f'"{raw}"'))
        for raw in re.findall(r'"html": "(\\u003cdiv class=\\"gisplan-map-label.*?)",\n', html_text)
    ]
    for name in districts["name_zh"]:
        assert labels.count(name) == 1, name
    for name in streets["name_zh"]:
        assert labels.count(name) == 1, name
    # counties drawn in the first view: the three central ones at least, each once
    for name in ("海曙区", "江北区", "鄞州区"):
        assert labels.count(name) == 1, name
    assert set(labels) <= set(districts["name_zh"]) | set(streets["name_zh"]) | set(
        counties["name_zh"]
    )
    # one circle marker per street, halfway along it (display = WGS-84 for the offline basemap)
    mids = [g.interpolate(0.5, normalized=True) for g in streets.geometry]
    for p in mids:
        assert f"[{round(p.x, 6)}, {round(p.y, 6)}]" in html_text.replace("\n", "").replace(
            "  ", ""
        ), p


def test_street_labels_appear_only_when_zoomed_in(plan_layers):
    """Street names are in a layer that the map shows from STREET_LABEL_MIN_ZOOM on."""
    from gisplan.maps.plan import STREET_LABEL_MIN_ZOOM

    m = plan_map(*plan_layers, base_url="/app/static/vendor")
    html_text = m.get_root().render()
    groups = re.findall(r"\}\)\((map_\w+), (feature_group_\w+), (\d+)\);", html_text)
    assert len(groups) == 1, groups
    map_name, group_name, zoom = groups[0]
    assert int(zoom) == STREET_LABEL_MIN_ZOOM
    # That group holds exactly the street labels (one per street), not district or county names.
    streets = plan_layers[2]
    assert f"var {group_name} = L.featureGroup" in html_text
    n_labels_in_group = len(re.findall(r"\.addTo\(" + group_name + r"\)", html_text))
    assert n_labels_in_group == len(streets)


def _unescape_js(text: str) -> str:
    """Undo the ``\\uXXXX`` escapes folium writes into JSON strings."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def test_osm_places_shown_when_zoomed_in_and_credited(plan_layers):
    """OSM place names: dots from OSM_PLACE_MIN_ZOOM, names from OSM_PLACE_LABEL_MIN_ZOOM,
    credited to OpenStreetMap, label text escaped; none of it without places."""
    from gisplan.io.embedded import load_osm_places
    from gisplan.maps.plan import (
        OSM_PLACE_LABEL_MIN_ZOOM,
        OSM_PLACE_MIN_ZOOM,
        STREET_LABEL_MIN_ZOOM,
    )

    places = load_osm_places().head(5).copy()
    places.loc[places.index[0], "name"] = "<b>商场</b>"
    html_text = _unescape_js(plan_map(*plan_layers, places=places).get_root().render())
    groups = re.findall(r"\}\)\((map_\w+), (\w+), (\d+)\);", html_text)
    zooms = sorted(int(z) for _, _, z in groups)
    assert zooms == sorted([STREET_LABEL_MIN_ZOOM, OSM_PLACE_MIN_ZOOM, OSM_PLACE_LABEL_MIN_ZOOM])
    label_group = next(g for _, g, z in groups if int(z) == OSM_PLACE_LABEL_MIN_ZOOM)
    assert len(re.findall(r"\.addTo\(" + label_group + r"\)", html_text)) == len(places)
    labels = re.findall(r'gisplan-map-label\\" style=\\"[^"]*\\">(.*?)</div>', html_text)
    assert "&lt;b&gt;商场&lt;/b&gt;" in labels and "<b>商场</b>" not in labels
    for name in places["name"].iloc[1:]:
        assert name in labels
    assert "© OpenStreetMap 贡献者" in html_text  # the credit in the map's language
    assert i18n.t("layer.osm_places", "zh") in html_text  # legend
    plain = _unescape_js(plan_map(*plan_layers).get_root().render())
    assert i18n.t("layer.osm_places", "zh") not in plain


def test_coverage_layers_object_and_keywords_draw_the_same_map():
    """One definition of what the overlays draw: CoverageLayers or its fields as keywords."""
    result, _ = _toy_result()
    opts = coverage_maps.CoverageLayers(color_by="convenience_store", community_popups=False)

    def community_colours(m):
        fc = [el.data for el in assets._walk(m) if isinstance(el, folium.GeoJson)][-1]
        return {f["properties"]["_name"]: f["properties"]["_color"] for f in fc["features"]}

    by_object = coverage_map(result, opts)
    by_keywords = coverage_map(result, color_by="convenience_store", community_popups=False)
    # store at 100 m, 400 m, unsnapped, 100 m (5 min at 4 km/h = 333 m): classes 0, 1, 4, 0
    colors = coverage_maps.MINUTES_COLORS
    expected = {"A": colors[0], "B": colors[1], "C": colors[4], "D": colors[0]}
    assert community_colours(by_object) == community_colours(by_keywords) == expected
    with pytest.raises(TypeError, match="colour_by"):
        coverage_map(result, colour_by="x")
    with pytest.raises(TypeError, match="not both"):
        coverage_map(result, opts, color_by="completeness")
