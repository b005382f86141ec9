"""Faint context under the data when there is no basemap: the walking network and water.

Offline maps have no tiles; without context the communities float on a blank page and a user
cannot find their street.  :func:`network_geojson` turns a walking network into one light
GeoJSON geometry (edges merged, simplified to about a metre, coordinates rounded), small enough
to send with every map; :func:`add_context` draws it with the water under everything else.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gisplan.crs import WGS84
from gisplan.maps.basemaps import Basemap, display_layer
from gisplan.maps.palette import NETWORK_COLOR, WATER_COLOR
from gisplan.network.graph import WalkNetwork

__all__ = ["MAX_CONTEXT_EDGES", "network_geojson", "water_geojson", "add_context", "FetchedContext"]

#: Networks with more edges are not drawn as context (a whole city would be tens of MB).
MAX_CONTEXT_EDGES = 80_000
#: How the context is drawn, written into the map or fetched (:class:`FetchedContext`).
WATER_STYLE = {"color": WATER_COLOR, "weight": 2, "fillColor": WATER_COLOR, "fillOpacity": 0.7}
NETWORK_STYLE = {"color": NETWORK_COLOR, "weight": 1, "opacity": 0.9}


def network_geojson(
    network: WalkNetwork, *, basemap: Basemap | None = None, tolerance_deg: float = 1e-5
) -> dict | None:
    """The network's edges as one GeoJSON MultiLineString (EPSG:4326 or the basemap's system).

    Edges are merged and simplified by ``tolerance_deg`` (about a metre); coordinates are
    rounded to 5 decimals.  ``None`` for a network larger than :data:`MAX_CONTEXT_EDGES`.
    """
    if len(network.edge_u) == 0 or len(network.edge_u) > MAX_CONTEXT_EDGES:
        return None
    lines = gpd.GeoDataFrame(geometry=network.edge_geometry, crs=network.crs).to_crs(WGS84)
    if basemap is not None:
        lines = display_layer(lines, basemap)
    merged = shapely.line_merge(shapely.union_all(lines.geometry.values))
    simple = shapely.simplify(merged, tolerance_deg)
    simple = shapely.transform(simple, lambda c: np.round(c, 5))
    return shapely.geometry.mapping(simple)


def add_context(
    m: folium.Map,
    *,
    network: dict | None = None,
    water: gpd.GeoDataFrame | None = None,
    basemap: Basemap,
    water_name: str = "water",
    network_name: str = "network",
) -> None:
    """Draw water (light blue) and the network (thin, light) under the data; not clickable."""
    if water is not None and len(water):
        shown = display_layer(water, basemap)
        geom = shapely.transform(shapely.union_all(shown.geometry.values), lambda c: np.round(c, 5))
        folium.GeoJson(
            shapely.geometry.mapping(geom),
            name=water_name,
            style_function=lambda _f: WATER_STYLE,
            interactive=False,
        ).add_to(m)
    if network is not None:
        folium.GeoJson(
            network,
            name=network_name,
            style_function=lambda _f: NETWORK_STYLE,
            interactive=False,
        ).add_to(m)


def water_geojson(water: gpd.GeoDataFrame | None) -> dict | None:
    """Water polygons (EPSG:4326) as one GeoJSON geometry, coordinates rounded to 5 decimals."""
    if water is None or not len(water):
        return None
    geom = shapely.union_all(water.to_crs(WGS84).geometry.values)
    return shapely.geometry.mapping(shapely.transform(geom, lambda c: np.round(c, 5)))


class FetchedContext(MacroElement):
    """Water and network context loaded from a JSON file the app serves (``{"water", "network"}``).

    The app writes the file once per dataset (``/app/static/context/…``), so the map's own
    script stays small and is not re-sent with every control change.  Drawn in a pane under
    the data layers, not clickable.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map, url, styles) {
            var pane = map.getPane('gisplanContext') || map.createPane('gisplanContext');
            pane.style.zIndex = 350;
            pane.style.pointerEvents = 'none';
            fetch(url).then(function (r) { return r.json(); }).then(function (d) {
                ['water', 'network'].forEach(function (k) {
                    if (d[k]) {
                        L.geoJson(d[k], {style: styles[k], interactive: false,
                                         pane: 'gisplanContext'}).addTo(map);
                    }
                });
            }).catch(function () {});
        })({{ this._parent.get_name() }}, {{ this.url|tojson }}, {{ this.styles|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, url: str) -> None:
        super().__init__()
        self._name = "GisplanContext"
        self.url = url
        self.styles = {
            "water": WATER_STYLE,
            "network": NETWORK_STYLE,
        }
