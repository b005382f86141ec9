"""Map layers of siting and scenarios: proposed or existing sites and areas (EPSG:4326)."""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd

from gisplan.maps.base import _tooltip, to_feature_collection
from gisplan.maps.basemaps import Basemap, display_layer


# -- coverage --------------------------------------------------------------------------------
def add_area(
    m: folium.Map | folium.FeatureGroup,
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
    b = basemap or m.gisplan_basemap  # type: ignore[union-attr]
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
        tooltip=_tooltip(list(fields), list(fields)),
    ).add_to(m)
