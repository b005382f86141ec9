"""The map of one place's 15-minute circle ("我的15分钟生活圈"), for residents on a phone.

:func:`circle_map` draws, for a :class:`~gisplan.access.place_circle.PlaceCircle`:

- the areas reachable on foot within 15, 10 and 5 minutes (light to dark green), as
  computed from the street network;
- the place itself (a red dot) and the nearest amenity of every category that was
  reached (green within its threshold, orange beyond it), with a tooltip of the name,
  category and walking minutes;
- nearby communities as small grey dots, so that a resident can tap another one.

Without a place it shows the dataset's area and its communities, ready to be tapped.
Every text from data goes into the map as HTML text: the layers are made by
:func:`gisplan.maps.base.to_feature_collection`, which escapes every text property
(:func:`gisplan.safetext.html_properties`); the synthetic-data label is on the map itself (:func:`gisplan.maps.base.new_map`).
Zoom buttons are enlarged to 44 px for thumbs; on a map narrower than 480 px the legend is
hidden (the page gives it in words under the map, :func:`legend_text`). Layers are given in EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gisplan.access.place_circle import PlaceCircle
from gisplan.catalogue import CircleStandard
from gisplan.i18n import category_name, t
from gisplan.maps.assets import DEFAULT_BASE_URL
from gisplan.maps.base import _bounds, _tooltip, new_map, to_feature_collection
from gisplan.maps.basemaps import Basemap, display_layer, get_basemap
from gisplan.maps.context import FetchedContext
from gisplan.maps.coverage import RIVER_COLOR
from gisplan.maps.elements import Legend, LegendItem
from gisplan.maps.sites import add_area

__all__ = [
    "MAX_DOTS",
    "RING_COLORS",
    "circle_base_map",
    "circle_layers",
    "circle_map",
    "fmt_minutes",
    "legend_text",
]

#: Community dots are drawn up to this many (a city's are drawn around the place instead).
MAX_DOTS = 3000

#: Fill colours of the 5-, 10- and 15-minute areas (dark to light green).
RING_COLORS: dict[float, str] = {5.0: "#1b7837", 10.0: "#5aae61", 15.0: "#a6dba0"}
PLACE_COLOR = "#d7191c"
MET_COLOR = "#1a9641"
LATE_COLOR = "#f07f00"
COMMUNITY_COLOR = "#7a7a7a"
STREET_COLOR = "#c4c0b8"

# Thumb-sized zoom buttons (44 px, WCAG 2.5.5) and a tap cursor on the map.
_THUMB_CSS = """<style>
.leaflet-touch .leaflet-bar a, .leaflet-bar a {
  width: 44px !important; height: 44px !important; line-height: 44px !important;
  font-size: 22px !important;
}
.leaflet-container { cursor: pointer; }
.leaflet-control-attribution { font-size: 11px !important; line-height: 1.3 !important; }
/* a phone-width map keeps its width for the streets: the legend is given under the map */
@media (max-width: 480px) {
  .gisplan-legend { display: none !important; }
  .gisplan-label { font-size: 10px !important; max-width: 96px !important; padding: 3px 5px !important; }
  /* the attribution wraps to two lines across the map's foot: keep the scale bar above it */
  .leaflet-bottom.leaflet-left { bottom: 34px; }
}
</style>"""


#: Decimals of the degrees sent to the browser: 5 is about a metre, finer than a thumb.
DISPLAY_DECIMALS = 5


def _rounded(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Coordinates rounded to :data:`DISPLAY_DECIMALS`.

    A drawing needs no more; it is half the bytes of full-precision floats.
    """
    return gpd.GeoSeries(
        shapely.transform(np.asarray(geoms.values, dtype=object), _round),
        index=geoms.index,
        crs=geoms.crs,
    )


def _round(xy: np.ndarray) -> np.ndarray:
    return np.round(xy, DISPLAY_DECIMALS)


def fmt_minutes(minutes: float, lang: str, *, bound_min: float | None = None) -> str:
    """Walking minutes as shown to residents: one decimal, or "beyond N min"."""
    if not np.isfinite(minutes):
        return t("circle.beyond", lang, limit=f"{bound_min:g}" if bound_min else "—")
    return t("circle.minutes", lang, value=f"{minutes:.1f}")


def legend_text(lang: str) -> str:
    """The map's legend in words, for phones where the map is too narrow for the legend box."""
    return t("circle.legend_words", lang)


def circle_base_map(  # noqa: PLR0913 - keyword-only, one per layer or option
    *,
    communities: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoSeries | None = None,
    water: gpd.GeoDataFrame | None = None,
    area_bounds: Sequence[float] | None = None,
    basemap: Basemap | str = "none",
    tianditu_key: str | None = None,
    synthetic: bool = False,
    attribution: str = "",
    lang: str = "zh",
    base_url: str = DEFAULT_BASE_URL,
    context_url: str | None = None,
) -> folium.Map:
    """What the map shows whatever the place: the dataset's area, water, streets, communities.

    It does not depend on the chosen place, so the page can keep it and swap only the place's
    layers (:func:`circle_layers`; streamlit-folium then updates the map in place instead of
    reloading it). ``streets`` and ``communities`` are drawn only when given (the page gives
    them for small datasets; for a city they come with each place, around it).

    Parameters
    ----------
    communities : GeoDataFrame, optional
        Communities (EPSG:4326, ``name``) drawn as tappable grey dots, up to
        :data:`MAX_DOTS` (none above).
    streets : GeoSeries, optional
        Street lines (EPSG:4326) drawn thin and grey for context, not clickable.
    water : GeoDataFrame, optional
        Rivers and lakes (EPSG:4326 polygons), drawn light blue, not clickable.
    area_bounds : (west, south, east, north), optional
        The dataset's area (degrees), framed until a place is chosen.
    synthetic : bool
        Puts the synthetic-data label on the map.
    context_url : str, optional
        A JSON file of water and walking network the app serves once per dataset
        (:class:`gisplan.maps.context.FetchedContext`): the browser loads it once and keeps
        it, instead of receiving ``water`` and ``streets`` again with every choice of place.
        When given, ``water`` and ``streets`` are not drawn inline.
    """
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    if area_bounds is not None:
        box = gpd.GeoDataFrame(geometry=[shapely.box(*area_bounds)], crs="EPSG:4326")
        bounds = _bounds([display_layer(box, b)])
    else:
        bounds = _bounds([])
    m = new_map(
        bounds,
        basemap=b,
        tianditu_key=tianditu_key,
        attribution=[attribution] if attribution else [],
        synthetic=synthetic,
        base_url=base_url,
        lang=lang,
    )
    m.get_root().header.add_child(folium.Element(_THUMB_CSS))  # type: ignore[attr-defined]
    if context_url is not None:
        FetchedContext(context_url).add_to(m)
        water, streets = None, None
    _add_context(
        m,
        water=water,
        streets=streets,
        communities=communities,
        basemap=b,
        lang=lang,
    )
    items = [LegendItem(t("circle.place", lang), PLACE_COLOR, "circle")]
    items += [
        LegendItem(t("circle.ring", lang, minutes=f"{r:g}"), RING_COLORS[r], "fill", 0.45)
        for r in sorted(RING_COLORS)
    ]
    items += [
        LegendItem(t("circle.legend_met", lang), MET_COLOR, "circle"),
        LegendItem(t("circle.legend_late", lang), LATE_COLOR, "circle"),
        LegendItem(t("layer.communities", lang), COMMUNITY_COLOR, "circle"),
    ]
    Legend(t("circle.legend_title", lang), items).add_to(m)
    m.gisplan_basemap = b  # type: ignore[attr-defined]
    return m


def _add_context(
    parent,
    *,
    water: gpd.GeoDataFrame | None,
    streets: gpd.GeoSeries | None,
    communities: gpd.GeoDataFrame | None,
    basemap: Basemap,
    lang: str,
) -> None:
    """Water, streets (one multi-line feature) and community dots on ``parent``."""
    if water is not None and len(water):
        folium.GeoJson(
            to_feature_collection(
                display_layer(gpd.GeoDataFrame(geometry=water.geometry), basemap), []
            ),
            style_function=lambda _f: {
                "color": RIVER_COLOR,
                "weight": 1,
                "fillColor": RIVER_COLOR,
                "fillOpacity": 0.7,
            },
            interactive=False,
        ).add_to(parent)
    if streets is not None and len(streets):
        lines = gpd.GeoDataFrame(
            geometry=[shapely.multilinestrings(np.asarray(_rounded(streets).values, dtype=object))],
            crs=streets.crs,
        )
        folium.GeoJson(
            to_feature_collection(display_layer(lines, basemap), []),
            style_function=lambda _f: {"color": STREET_COLOR, "weight": 1.5, "opacity": 0.9},
            interactive=False,
        ).add_to(parent)
    if communities is not None and 0 < len(communities) <= MAX_DOTS:
        g = gpd.GeoDataFrame(
            {"_name": communities["name"].astype(str).to_numpy()},
            geometry=communities.geometry.values,
            crs=communities.crs,
        )
        _add_dots(
            parent,
            g,
            basemap,
            {"_name": t("field.name", lang)},
            name=t("layer.communities", lang),
            radius=4,
            weight=1,
            fill=COMMUNITY_COLOR,
            fill_opacity=0.8,
        )


def _add_dots(
    parent,
    points: gpd.GeoDataFrame,
    basemap: Basemap,
    tooltip: dict[str, str],
    *,
    name: str,
    radius: float,
    weight: float,
    fill: str | None = None,
    fill_opacity: float = 1.0,
) -> None:
    """Round markers with a white outline on ``parent`` and a tooltip of ``{column: label}``.

    The fill is ``fill``, or each point's own ``_color`` column when ``fill`` is None.
    """
    fields = list(tooltip)
    properties = fields if fill is not None else [*fields, "_color"]
    folium.GeoJson(
        to_feature_collection(display_layer(points, basemap), properties),
        name=name,
        marker=folium.CircleMarker(radius=radius, weight=weight, fill=True),
        style_function=lambda f: {
            "color": "#ffffff",
            "fillColor": fill if fill is not None else f["properties"]["_color"],
            "fillOpacity": fill_opacity,
        },
        tooltip=_tooltip(fields, list(tooltip.values())),
    ).add_to(parent)


class _FitPlace(MacroElement):
    """Frame the place's areas through the base map's refit (:func:`new_map`).

    The refit keeps them clear of the controls and in view on resizes until the user moves
    the map.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, bounds) {
            if (map.gisplanFit) { map.gisplanFit(bounds); }
            else { map.fitBounds(bounds, {padding: [24, 24], animate: false}); }
        })({{ this.map.get_name() }}, {{ this.bounds|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]], m: folium.Map) -> None:
        super().__init__()
        self._name = "GisplanFitPlace"
        self.bounds = bounds
        self.map = m  # named at render time (streamlit-folium renames the map "map_div")


def circle_layers(
    circle: PlaceCircle,
    m: folium.Map,
    *,
    standard: CircleStandard,
    streets: gpd.GeoSeries | None = None,
    communities: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
) -> folium.FeatureGroup:
    """The place's layers, as one feature group for the base map ``m``.

    The 5/10/15-minute areas, the nearest amenities (green within their threshold, orange
    beyond), the place, and optionally streets and communities around it; then the view
    frames the areas.

    The group is not added to ``m`` (streamlit-folium adds it, or :func:`circle_map` does).
    """
    b = m.gisplan_basemap  # type: ignore[attr-defined]
    fg = folium.FeatureGroup(name=t("circle.place", lang))
    if communities is not None and len(communities) and len(circle.areas):
        box = circle.areas.total_bounds
        if np.isfinite(box).all():
            communities = communities.cx[box[0] : box[2], box[1] : box[3]]
    _add_context(
        fg,
        water=None,
        streets=streets,
        communities=communities,
        basemap=b,
        lang=lang,
    )
    for minutes, geom in zip(circle.areas["minutes"], circle.areas.geometry, strict=True):
        add_area(
            fg,
            _rounded(gpd.GeoSeries([geom], crs=circle.areas.crs)),
            name=t("circle.ring", lang, minutes=f"{minutes:g}"),
            color=RING_COLORS.get(float(minutes), "#74c476"),
            fill_opacity=0.3,
            basemap=b,
        )
    reached = [a for a in circle.nearest if a.reached]
    if reached:
        pts = gpd.GeoDataFrame(
            {
                "_name": [a.name for a in reached],
                "_category": [category_name(standard[a.category], lang) for a in reached],
                "_minutes": [
                    fmt_minutes(a.minutes, lang, bound_min=circle.bound_min) for a in reached
                ],
                "_color": [MET_COLOR if a.met else LATE_COLOR for a in reached],
            },
            geometry=[shapely.Point(a.lon, a.lat) for a in reached],
            crs="EPSG:4326",
        )
        labels = {
            "_name": t("field.name", lang),
            "_category": t("field.category", lang),
            "_minutes": t("circle.walk", lang),
        }
        _add_dots(fg, pts, b, labels, name=t("circle.nearest", lang), radius=7, weight=2)
    here = gpd.GeoDataFrame(
        {"_name": [circle.community_name or t("circle.tapped_place", lang)]},
        geometry=[shapely.Point(circle.lon, circle.lat)],
        crs="EPSG:4326",
    )
    _add_dots(
        fg,
        here,
        b,
        {"_name": t("field.name", lang)},
        name=t("circle.place", lang),
        radius=9,
        weight=3,
        fill=PLACE_COLOR,
    )
    areas = display_layer(circle.areas, b)
    frame = [areas] if not areas.geometry.is_empty.all() else []
    bounds = _bounds([*frame, display_layer(here, b)])
    _FitPlace(bounds, m).add_to(fg)
    return fg


def circle_map(circle: PlaceCircle | None, *, standard: CircleStandard, **kwargs) -> folium.Map:
    """The whole map in one piece (:func:`circle_base_map` plus :func:`circle_layers`).

    E.g. for a standalone HTML file.  Keyword arguments are those of :func:`circle_base_map`;
    with a place, ``streets`` and ``communities`` are drawn around it only.
    """
    if circle is None:
        return circle_base_map(**kwargs)
    streets = kwargs.pop("streets", None)
    communities = kwargs.pop("communities", None)
    m = circle_base_map(**kwargs)
    circle_layers(
        circle,
        m,
        standard=standard,
        streets=streets,
        communities=communities,
        lang=kwargs.get("lang", "zh"),
    ).add_to(m)
    return m
