"""The plan map: counties, business districts (商圈) and pedestrian streets (步行街) by level.

Layers are given in EPSG:4326.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import shapely

from gisplan.i18n import t
from gisplan.io.embedded import note_column
from gisplan.labels import osm_credit
from gisplan.maps.assets import DEFAULT_BASE_URL
from gisplan.maps.base import (
    _bounds,
    _name,
    _popup,
    _short_name,
    _tooltip,
    _translate,
    _ZoomVisibility,
    add_labels,
    new_map,
    to_feature_collection,
)
from gisplan.maps.basemaps import Basemap, display_layer, get_basemap
from gisplan.maps.declutter import Declutter, Placement
from gisplan.maps.elements import Legend, LegendItem
from gisplan.maps.palette import COUNTY_COLOR, DISTRICT_COLOR, LEVEL_COLORS

__all__ = [
    "LEVEL_COLORS",
    "add_counties",
    "add_business_districts",
    "add_pedestrian_streets",
    "add_street_markers",
    "add_osm_places",
    "plan_map",
]

OSM_PLACE_COLOR = "#6d6d6d"


#: Other places for a county's name when its own would cover a district or another name.
_AROUND = (
    ("-50%", "calc(-150% - 4px)"),
    ("-50%", "calc(50% + 4px)"),
    ("-110%", "-50%"),
    ("10%", "-50%"),
    ("-50%", "calc(-250% - 8px)"),
    ("-50%", "calc(150% + 8px)"),
)

#: Other places for a district's name (its point is the top of the outline): higher, right,
#: left, just inside the top.
_DISTRICT_PLACES = (
    ("-50%", "calc(-200% - 6px)"),
    ("12px", "-50%"),
    ("calc(-100% - 12px)", "-50%"),
    ("-50%", "6px"),
    ("12px", "-110%"),
    ("calc(-100% - 12px)", "-110%"),
    ("12px", "6px"),
    ("calc(-100% - 12px)", "6px"),
    ("12px", "calc(100% + 12px)"),
    ("calc(-100% - 12px)", "calc(100% + 12px)"),
)
#: Other places for a street's name: the other side of its marker, above, below.
_STREET_PLACES = (
    ("calc(-100% - 9px)", "-50%"),
    ("-50%", "calc(-100% - 9px)"),
    ("-50%", "9px"),
)

#: Street names crowd each other around 三江口 at city zoom: they appear from this zoom on.
STREET_LABEL_MIN_ZOOM = 13


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


def _street_frame(streets: gpd.GeoDataFrame, b: Basemap, lang: str) -> gpd.GeoDataFrame:
    """Streets with their display fields (:data:`_STREET_FIELDS`) in ``lang``."""
    g = display_layer(streets, b).copy()
    g["_name"] = _name(g, lang)
    g["_level"] = _translate(g["level"], "level", lang)
    g["_status"] = _translate(g["status"], "status", lang)
    g["_quality"] = g["geometry_quality"].map(
        lambda q: t("approximate", lang) if q == "approximate" else str(q)
    )
    # The description in the page's language (a layer without Chinese notes shows its own).
    col = note_column(lang)
    g["_note"] = g[col] if col in g else g["note"]
    g["_color"] = g["level"].map(LEVEL_COLORS).fillna(LEVEL_COLORS["other"])
    return g


_STREET_FIELDS = ("_name", "_level", "_status", "county", "_note", "_quality", "source")
_STREET_KEYS = (
    "field.name",
    "field.level",
    "field.status",
    "field.county",
    "field.note",
    "field.quality",
    "field.source",
)


def add_pedestrian_streets(
    m: folium.Map, streets: gpd.GeoDataFrame, *, lang: str = "zh"
) -> folium.GeoJson:
    """Pedestrian streets coloured by level (national, provincial, municipal, other)."""
    g = _street_frame(streets, m.gisplan_basemap, lang)  # type: ignore[attr-defined]
    fields = list(_STREET_FIELDS)
    aliases = [t(k, lang) for k in _STREET_KEYS]
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
    each one visible at any zoom, with the street's tooltip and, on a click or tap, the same
    description as the street itself.
    """
    g = _street_frame(streets, m.gisplan_basemap, lang)  # type: ignore[attr-defined]
    g = g.set_geometry(_midpoints(g).values)
    fields = list(_STREET_FIELDS)
    aliases = [t(k, lang) for k in _STREET_KEYS]
    layer = folium.GeoJson(
        to_feature_collection(g, [*fields, "_color"]),
        name=t("layer.streets", lang),
        marker=folium.CircleMarker(radius=7, weight=2, fill=True),
        style_function=lambda f: {
            "color": "#ffffff",
            "weight": 2,
            "fillColor": f["properties"]["_color"],
            "fillOpacity": 1.0,
            "radius": 7,
        },
        tooltip=_tooltip(["_name", "_level"], aliases[:2]),
        popup=_popup(fields, aliases),
    )
    layer.add_to(m)
    return layer


#: OSM place names appear from this zoom on (dots from OSM_PLACE_MIN_ZOOM): at city zoom
#: hundreds of names would bury the plan's own layers.
OSM_PLACE_MIN_ZOOM = 14
OSM_PLACE_LABEL_MIN_ZOOM = 15


def add_osm_places(m: folium.Map, places: gpd.GeoDataFrame, *, lang: str = "zh") -> folium.GeoJson:
    """Named OpenStreetMap commercial places: small grey dots with the name (credited to OSM).

    Dots show from :data:`OSM_PLACE_MIN_ZOOM`, names beside them from
    :data:`OSM_PLACE_LABEL_MIN_ZOOM`; the tooltip gives the name and the OSM credit.
    """
    b = m.gisplan_basemap  # type: ignore[attr-defined]
    g = display_layer(places, b).copy()
    g["_name"] = g["name"].astype(str)
    g["_credit"] = osm_credit(lang)
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
    attribution = [osm_credit(lang), t("credit.boundaries", lang)]
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
    district_layer = add_business_districts(m, districts, lang=lang)
    add_pedestrian_streets(m, streets, lang=lang)
    markers = add_street_markers(m, streets, lang=lang)
    # Names that stay on the map: counties (inside the first view), districts above their
    # outline, streets beside their marker.
    (south, west), (north, east) = bounds
    view = shapely.box(west, south, east, north)
    shown_c = display_layer(counties, b)
    inside = shown_c.geometry.intersection(view)
    keep = ~inside.is_empty & (shapely.area(inside.values) > 0.02 * view.area)  # degrees², a share
    # Names are placed in rank (districts, counties, streets) where they cover no other name,
    # no street marker and, for counties, no district (gisplan.maps.declutter).
    add_labels(
        m,
        inside[keep].representative_point(),
        list(_short_name(shown_c, lang)[keep]),
        name=t("layer.counties", lang),
        color=COUNTY_COLOR,
        size=14,
        bold=True,
        placement=Placement(1, _AROUND, avoid_areas=True),
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
        placement=Placement(0, _DISTRICT_PLACES, max_width_em=11 if lang == "en" else None),
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
        placement=Placement(2, _STREET_PLACES),
    )
    Declutter([markers], [district_layer]).add_to(m)
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
        LegendItem(t("layer.counties", lang), COUNTY_COLOR, "dashed"),  # as drawn: dashed
    ]
    if places is not None and len(places):
        items.append(LegendItem(t("layer.osm_places", lang), OSM_PLACE_COLOR, "circle"))
    Legend(t("page.plan_map", lang), items, note=t("approximate", lang)).add_to(m)
    return m
