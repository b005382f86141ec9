"""Every colour the maps use, in one place, chosen so that classes shown together differ.

The communities carry the only red-yellow-green: completeness (ColorBrewer RdYlGn with one
class per possible count, :func:`completeness_colors`) or minutes to a category
(:data:`MINUTES_COLORS`).  Everything else that can sit beside them keeps out of that ramp:

- amenities: one fixed colour per catalogue category (:data:`AMENITY_COLORS`), blues, purples,
  browns, pinks and greys, the same on every page;
- areas: the coverage page's service area (:data:`SERVICE_AREA_COLOR`) and the what-if area
  (:data:`WHATIF_COLOR`);
- sites: chosen (black), hand-placed (white) and what-if (magenta) sites are diamonds, a shape
  no community or amenity has (:data:`SITE_STYLES`);
- context: water and the walking network are faint (:data:`WATER_COLOR`,
  :data:`NETWORK_COLOR`) and county borders dashed grey.

``tests/test_palette.py`` checks the colours that can appear together with the CIEDE2000
colour difference.
"""

from __future__ import annotations

from branca.utilities import color_brewer

__all__ = [
    "AMENITY_COLORS",
    "AMENITY_FALLBACK",
    "MINUTES_COLORS",
    "SERVICE_AREA_COLOR",
    "WHATIF_COLOR",
    "SITE_STYLES",
    "SCENARIO_STATE_COLORS",
    "CLOSED_SITE_COLOR",
    "WATER_COLOR",
    "NETWORK_COLOR",
    "COUNTY_COLOR",
    "DISTRICT_COLOR",
    "LEVEL_COLORS",
    "amenity_color",
    "completeness_colors",
]

#: One colour per catalogue category, outside the communities' red-yellow-green.
AMENITY_COLORS: dict[str, str] = {
    "convenience_store": "#1f5fbf",  # blue
    "wet_market": "#7b2fa8",  # purple
    "supermarket": "#0b7c86",  # teal
    "breakfast": "#8c510a",  # brown
    "hair_salon": "#ff69c8",  # pink
    "pharmacy": "#00b5d8",  # cyan
    "repair": "#5a5a5a",  # grey
    "laundry": "#9aa7ff",  # lavender
    "housekeeping": "#4a1f00",  # dark brown
    "recycling": "#1b2a6b",  # navy
    "express_delivery": "#c8a2c8",  # lilac
}
#: Categories the catalogue does not know (e.g. an uploaded layer's own names).
AMENITY_FALLBACK = "#333333"

#: Minutes classes: met, up to 1.5x threshold, up to 2x, beyond/unreachable, off the network.
MINUTES_COLORS: tuple[str, ...] = ("#1a9641", "#fee08b", "#fdae61", "#d7191c", "#9e9e9e")

#: The coverage page's service area (outline and light fill): olive, not the water's blue.
SERVICE_AREA_COLOR = "#8a7a00"
#: The what-if site and its service area: magenta, beside no community class.
WHATIF_COLOR = "#d0009a"
#: Site symbols: diamonds (fill, outline); no community or amenity is a diamond.
SITE_STYLES: dict[str, tuple[str, str]] = {
    "chosen": ("#111111", "#ffffff"),
    "manual": ("#ffffff", "#111111"),
    "whatif": (WHATIF_COLOR, "#ffffff"),
}
#: Context under the data, drawn faintly (offline maps have no basemap).
#: Communities on a scenario's map: newly served by its sites, served before, still not served.
SCENARIO_STATE_COLORS: dict[str, str] = {
    "newly": "#1a9641",
    "served": "#b0b0b0",
    "unserved": "#d7191c",
    "none": "#b0b0b0",
}
CLOSED_SITE_COLOR = "#444444"  # closed amenities (a cross, not a diamond)
WATER_COLOR = "#b9d3ea"
NETWORK_COLOR = "#cfc6b4"
COUNTY_COLOR = "#555555"
DISTRICT_COLOR = "#8e44ad"
#: Pedestrian-street colours by plan level (public map; no communities there).
LEVEL_COLORS: dict[str, str] = {
    "national": "#c0392b",
    "provincial": "#e67e22",
    "municipal": "#2471a3",
    "other": "#7f8c8d",
}


def amenity_color(category: str) -> str:
    """The colour of an amenity category (the same on every page)."""
    return AMENITY_COLORS.get(category, AMENITY_FALLBACK)


def completeness_colors(n_required: int) -> list[str]:
    """Colours for 0, 1, ..., ``n_required`` categories met (red to green; one per count)."""
    n = max(int(n_required), 1) + 1
    if n == 2:
        return ["#d7191c", "#1a9641"]
    if n == 3:
        return ["#d7191c", "#fee08b", "#1a9641"]
    return list(color_brewer("RdYlGn", n))[:n]
