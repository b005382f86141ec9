"""The base of every gisplan map.

A folium map with locally served Leaflet, GeoJSON feature collections, tooltips, popups and
labels.

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

import json
from collections.abc import Iterable, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gisplan.i18n import STRINGS, t
from gisplan.jsonsafe import json_value
from gisplan.labels import synthetic_label
from gisplan.maps.assets import DEFAULT_BASE_URL, localize
from gisplan.maps.basemaps import Basemap, add_basemap, get_basemap
from gisplan.maps.declutter import Placement
from gisplan.maps.elements import Attribution, MapLabel
from gisplan.safetext import html_properties, html_text

__all__ = [
    "new_map",
    "add_labels",
    "icon_marker",
    "text_tooltip",
    "to_feature_collection",
    "feature_collection_json",
    "FetchedGeoJson",
]

_BACKGROUND = "#f3f1ec"
_PRECISION = 6


# -- helpers ---------------------------------------------------------------------------------
def to_feature_collection(gdf: gpd.GeoDataFrame, columns: Sequence[str] = ()) -> dict:
    """A GeoJSON FeatureCollection (dict) of ``gdf`` with only ``columns`` as properties.

    Coordinates are taken as they are (no reprojection; callers pass display coordinates) and
    rounded to 6 decimals.  Non-finite numbers become ``None``.  Every property name and text
    value is HTML-escaped (:func:`gisplan.safetext.html_properties`): folium's tooltips and
    popups insert them with ``innerHTML``, and this is the one function that turns a
    GeoDataFrame into map features (``tests/test_map_escaping.py`` keeps it so).  The text is
    built by :func:`feature_collection_json`.
    """
    return json.loads(feature_collection_json(gdf, columns))


def _property_values(values: pd.Series) -> list:
    """One property column as JSON-ready values, text escaped (vectorised over unique texts)."""
    if pd.api.types.is_bool_dtype(values.dtype) and not values.isna().any():
        return values.astype(bool).tolist()
    if pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        return values.astype("int64").tolist()
    if pd.api.types.is_float_dtype(values.dtype):
        arr = values.to_numpy(dtype=float)
        return [None if not np.isfinite(v) else v for v in arr.tolist()]
    # Anything else goes value by value through the one cleaner and the one escaper, but each
    # distinct value only once (names repeat little; categories and labels a lot).
    out = []
    seen: dict = {}
    for v in values.astype(object).tolist():
        try:
            hit = (
                seen.get(v, _MISSING) if v is None or isinstance(v, (str, int, float)) else _MISSING
            )
        except TypeError:  # unhashable
            hit = _MISSING
        if hit is _MISSING:
            hit = html_properties({"v": json_value(v)})["v"]
            if v is None or isinstance(v, (str, int, float)):
                seen[v] = hit
        out.append(hit)
    return out


_MISSING = object()


def feature_collection_json(gdf: gpd.GeoDataFrame, columns: Sequence[str] = ()) -> str:
    """The text of :func:`to_feature_collection` (compact JSON), built column by column.

    Geometries are written by GEOS (:func:`shapely.to_geojson`) after rounding to 6 decimals;
    property names and text values are escaped exactly as :func:`to_feature_collection`
    states.  Feature ids are the row positions; rows without geometry are left out.  Layers
    that the browser fetches (:class:`FetchedGeoJson`) are this text, so they are escaped at
    the same choke point as every embedded layer.
    """
    geoms = shapely.transform(np.asarray(gdf.geometry.values), lambda c: np.round(c, _PRECISION))
    keep = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    geo_text = shapely.to_geojson(geoms[keep]) if len(keep) else np.array([], dtype=object)
    names = [html_text(str(c)) for c in columns]
    cols = [_property_values(gdf[c].iloc[keep]) for c in columns]
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    parts = [
        f'{{"type":"Feature","id":"{i}","properties":'
        f"{dumps(dict(zip(names, rec, strict=True)))},"
        f'"geometry":{g}}}'
        for i, g, *rec in zip(keep.tolist(), geo_text.tolist(), *cols, strict=True)
    ]
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


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
    lang: str | None = None,
) -> folium.Map:
    """An empty canvas-rendered map fitted to ``bounds`` ``[[south, west], [north, east]]``.

    ``bounds`` must already be in the basemap's coordinate system; ``lang`` is the language of
    the synthetic-data label (default: the current language).  Raises
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
    _FocusWithoutScroll().add_to(m)
    m.fit_bounds(bounds, padding=(8, 8))
    _RefitOnResize(bounds).add_to(m)
    texts = list(attribution)
    if synthetic:
        texts.append(synthetic_label(lang))
        MapLabel(synthetic_label(lang), position="topright").add_to(m)
    if texts:
        Attribution(texts).add_to(m)
    _Background(_BACKGROUND if not b.online else "#ffffff").add_to(m)
    # Popups: field names on one line (Chinese labels wrapped one character per line), and
    # never taller than the map (long popups scroll instead of hiding under the legend).
    root = m.get_root()
    assert isinstance(root, folium.Figure)  # a folium.Map's root is always its Figure
    root.header.add_child(folium.Element(_POPUP_STYLE), name="gisplan_popup_style")
    m.gisplan_basemap = b  # type: ignore[attr-defined]
    return localize(m, base_url)


_POPUP_STYLE = (
    "<style>.leaflet-popup-content th{white-space:nowrap;padding-right:8px;vertical-align:top}"
    ".leaflet-popup-content{max-height:240px;overflow-y:auto}"
    # A phone-width map (390 px screens): a compact legend that leaves the map its width, and
    # the scale bar kept above the attribution, which wraps to two lines there.
    "@media (max-width:480px){.gisplan-legend{font-size:10px!important;line-height:1.3!important;"
    "padding:4px 6px!important;max-width:52%!important}"
    ".leaflet-control-attribution{font-size:10px!important;line-height:1.3!important}"
    ".leaflet-bottom.leaflet-left{bottom:30px}}</style>"
)


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


class _FocusWithoutScroll(MacroElement):
    """Take the keyboard focus on the first press without scrolling the page.

    Leaflet focuses the map on mousedown (for keyboard panning); when the map's bottom lies
    below the fold the browser then scrolls the page to show it, between the press and the
    release, so the first click or tap lands some pixels away from where the user aimed
    (23 px at 1280×720 on the public map: a street marker's click hit the county under it).
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map) {
            var kb = map.keyboard;
            if (!kb || !kb.enabled()) { return; }
            kb.disable();
            kb._onMouseDown = function () {
                if (this._focused) { return; }
                this._map._container.focus({preventScroll: true});
            };
            kb.enable();
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


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
    ``map.gisplanFit(bounds)`` (JavaScript) gives it a new extent, for layers added after the
    map was drawn.
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
            // Layers added later (streamlit-folium's feature groups) may give a new extent to
            // keep in view the same way, until the user moves the map again.
            map.gisplanFit = function (newBounds) {
                bounds = newBounds;
                touched = false;
                fit();
                later();
            };
        })({{ this._parent.get_name() }}, {{ this.bounds|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "GisplanRefit"
        self.bounds = bounds


def _tooltip(
    fields: Sequence[str], aliases: Sequence[str], *, labels: bool = True
) -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(
        fields=[html_text(f) for f in fields],  # the keys to_feature_collection wrote
        aliases=[html_text(a) for a in aliases],
        labels=labels,
        sticky=True,
        localize=False,
    )


def _popup(fields: Sequence[str], aliases: Sequence[str]) -> folium.GeoJsonPopup:
    return folium.GeoJsonPopup(
        fields=[html_text(f) for f in fields],
        aliases=[html_text(a) for a in aliases],
        max_width=360,
        localize=False,
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
    "white-space:nowrap;width:max-content;font:{weight} {size}px/1.2 sans-serif;color:{color};"
    "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;pointer-events:none;"
    "transform:translate({dx},{dy});{extra}"
)


def _short_name(gdf: gpd.GeoDataFrame, lang: str) -> pd.Series:
    """One-language display name (Chinese, or English when ``lang == "en"``)."""
    if lang == "en" and "name_en" in gdf:
        return gdf["name_en"].astype(str).str.replace(r"\s*\(.*?\)", "", regex=True)
    return gdf["name_zh"].astype(str)


def text_tooltip(title: str, rows: Sequence[tuple[str, object]] = ()) -> folium.Tooltip:
    """A tooltip of text only: a bold ``title`` and ``label: value`` lines, every part escaped."""
    lines = [f"<b>{html_text(title)}</b>"]
    lines += [f"<b>{html_text(label)}</b>: {html_text(value)}" for label, value in rows]
    return folium.Tooltip("<br>".join(lines))


def icon_marker(
    location: Sequence[float],
    icon_html: str,
    *,
    size: int,
    class_name: str,
    tooltip: folium.Tooltip | None = None,
    interactive: bool = True,
) -> folium.Marker:
    """A marker drawn with ``icon_html`` at ``[lat, lon]``, anchored at its centre.

    ``icon_html`` is markup written by gisplan (a symbol), never text from data: names go in
    ``tooltip`` (:func:`text_tooltip`) or a label (:func:`add_labels`), which escape them.
    ``interactive=False``: clicks go through the marker to the map.
    """
    options: dict[str, Any] = {} if interactive else {"interactive": False}
    return folium.Marker(
        [round(float(location[0]), _PRECISION), round(float(location[1]), _PRECISION)],
        icon=folium.DivIcon(
            html=icon_html,
            icon_size=(size, size),
            icon_anchor=(size // 2, size // 2),
            class_name=class_name,
        ),
        tooltip=tooltip,
        **options,
    )


def add_labels(  # noqa: PLR0913 - keyword-only presentation options of one label group
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
    placement: Placement | None = None,
) -> folium.FeatureGroup:
    """Always-visible text labels (``L.divIcon``) at ``points`` (display coordinates).

    Labels are not interactive (clicks and hovers reach the layers below); ``dx``/``dy``
    shift the text relative to its point (CSS lengths, e.g. ``-50%`` centres it); ``dx`` may
    be one value per label. With ``min_zoom`` the labels show only from that zoom level on
    (crowded names at city scale appear when the user zooms in).

    With a ``placement`` (:class:`gisplan.maps.declutter.Placement`) the labels take part in
    :class:`gisplan.maps.declutter.Declutter`: a label that would cover another label or an
    obstacle moves to the first free place of ``(dx, dy)`` then the placement's alternatives,
    or is hidden until the user zooms in.
    """
    group = folium.FeatureGroup(name=name, control=False)
    shifts = [dx] * len(texts) if isinstance(dx, str) else list(dx)
    wrap = placement.max_width_em if placement is not None else None
    extra = f"max-width:{wrap}em;white-space:normal;text-align:center;" if wrap else ""
    for pt, text, x in zip(points, texts, shifts, strict=True):
        style = _LABEL_STYLE.format(
            weight="bold" if bold else "normal", size=size, color=color, dx=x, dy=dy, extra=extra
        )
        if pt is None or pt.is_empty:
            continue
        attrs = "" if placement is None else placement.attributes(x, dy)
        folium.Marker(
            [round(pt.y, _PRECISION), round(pt.x, _PRECISION)],
            icon=folium.DivIcon(
                html=f'<div class="gisplan-map-label"{attrs} style="{style}">'
                f"{html_text(text)}</div>",
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


class FetchedGeoJson(MacroElement):
    """A GeoJSON layer that the browser fetches from ``url`` when it is first shown.

    For city-scale layers: the map's script (sent to the browser on every rerun) carries only
    the URL, and the features — text of :func:`feature_collection_json`, escaped there — are
    fetched from a file the app serves (:class:`LayerStore`), once each and only when the map
    is zoomed into ``min_zoom``–``max_zoom``.  Add it to a :class:`folium.FeatureGroup`: the
    features are added to that group.

    Points are drawn as circle markers of radius ``_radius`` (property) or ``radius``; every
    feature is styled with ``style`` and filled with its ``_color`` property.  ``fields``:
    properties shown in the hover tooltip, under ``aliases`` (escaped here; without aliases
    only the values are shown, e.g. a category name).
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (group, url, opts) {
            var map = null, loaded = false;
            var cell = function (v) { return v === null || v === undefined ? '' : String(v); };
            var tip = function (p) {
                return '<table>' + opts.fields.map(function (f, i) {
                    return '<tr style="text-align: left;">'
                        + (opts.aliases.length ? '<th>' + opts.aliases[i] + '</th>' : '')
                        + '<td>' + cell(p[f]) + '</td></tr>';
                }).join('') + '</table>';
            };
            var draw = function (data) {
                var layer = L.geoJson(data, {
                    pointToLayer: function (f, latlng) {
                        return L.circleMarker(latlng, {radius: f.properties._radius || opts.radius});
                    },
                    style: function (f) {
                        var s = Object.assign({}, opts.style);
                        if (f.properties._color) { s.fillColor = f.properties._color; }
                        if (f.properties._radius) { s.radius = f.properties._radius; }
                        return s;
                    },
                    onEachFeature: function (f, l) {
                        if (opts.fields.length) { l.bindTooltip(tip(f.properties), {sticky: true}); }
                        if (opts.highlight) {
                            l.on('mouseover', function () { l.setStyle(opts.highlight); });
                            l.on('mouseout', function () { layer.resetStyle(l); });
                        }
                    }
                });
                group.addLayer(layer);
            };
            // The group is on the map when its zoom range is shown (LayerZoomRange adds and
            // removes it), but the map's first view is refitted after the layers are added:
            // check a moment after each 'add' and after every zoom while on the map, and fetch
            // once the view is inside the range (not for the provisional first view).
            var hooked = null;
            var load = function () {
                map = group._map;
                if (loaded || !map) { return; }
                if (hooked !== map) { hooked = map; map.on('zoomend', load); }
                var z = Math.floor(map.getZoom());  // zoomSnap 0.25: 9.5 belongs to level 9
                if (z < opts.minZoom || z > opts.maxZoom) { return; }
                loaded = true;
                map.off('zoomend', load);
                fetch(url).then(function (r) { return r.json(); }).then(draw)
                    .catch(function (e) {
                        loaded = false;
                        console.warn('gisplan: layer not loaded', url, e);
                    });
            };
            var later = function () { setTimeout(load, 300); };
            group.on('add', later);
            later();
        })({{ this._parent.get_name() }}, {{ this.url|tojson }}, {{ this.options|tojson }});
        {% endmacro %}"""
    )

    def __init__(
        self,
        url: str,
        *,
        fields: Sequence[str] = (),
        aliases: Sequence[str] = (),
        style: dict | None = None,
        highlight: dict | None = None,
        radius: float = 4.0,
        min_zoom: int = 0,
        max_zoom: int = 30,
    ) -> None:
        super().__init__()
        self._name = "GisplanFetchedGeoJson"
        self.url = url
        self.options = {
            "fields": [html_text(f) for f in fields],  # the keys feature_collection_json wrote
            "aliases": [html_text(a) for a in aliases],
            "style": dict(style or {}),
            "highlight": dict(highlight) if highlight else None,
            "radius": float(radius),
            "minZoom": int(min_zoom),
            "maxZoom": int(max_zoom),
        }


class LayerStore:
    """Where city-scale map layers are published for :class:`FetchedGeoJson` (a protocol).

    ``url(key, build)`` returns the URL of the layer ``key`` names, calling ``build()`` (the
    GeoJSON text) only when that layer has not been published yet.  ``key`` must name
    everything the text depends on besides the dataset (the store belongs to one dataset).
    The app's store writes files it serves (:func:`gisplan.app.state.layer_store`).
    """

    def url(self, key: str, build) -> str:  # pragma: no cover - protocol
        raise NotImplementedError
