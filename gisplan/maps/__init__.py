"""Interactive maps (folium / Leaflet) with locally served Leaflet: no CDN, works offline.

- :mod:`gisplan.maps.assets`: Leaflet from the installed XStatic-Leaflet package, served
  locally or inlined into a standalone HTML file.
- :mod:`gisplan.maps.basemaps`: none (offline default), OpenStreetMap, Amap (GCJ-02), Tianditu.
- :mod:`gisplan.maps.base`: :func:`new_map` (local Leaflet, canvas, scale), GeoJSON, labels.
- :mod:`gisplan.maps.plan`: the plan map (counties, business districts, pedestrian streets).
- :mod:`gisplan.maps.coverage`: the coverage map (communities, amenities, service areas).
- :mod:`gisplan.maps.sites`: site and area layers of siting and scenarios.
- :mod:`gisplan.maps.elements`: legend, labels, attribution as plain Leaflet controls.
"""

from gisplan.maps.assets import install_vendor, localize, standalone_html
from gisplan.maps.basemaps import BASEMAPS, MissingKeyError, display_layer, tianditu_key
from gisplan.maps.coverage import coverage_map
from gisplan.maps.plan import plan_map
from gisplan.maps.sites import add_area, add_site_points

__all__ = [
    "BASEMAPS",
    "MissingKeyError",
    "add_area",
    "add_site_points",
    "coverage_map",
    "display_layer",
    "install_vendor",
    "localize",
    "plan_map",
    "standalone_html",
    "tianditu_key",
]
