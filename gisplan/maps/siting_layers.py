"""Map layers of the siting page.

Site diamonds, newly served rings, areas, an outline being drawn, single clicks.

Each function returns a :class:`folium.FeatureGroup` (EPSG:4326 input, shifted to the
basemap's coordinates), so the page can hand them to streamlit-folium as layers that change
while the base map (and the user's view) stays.  Colours and symbols come from
:mod:`gisplan.maps.palette`: sites are diamonds, a shape no community or amenity has.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gisplan.maps.base import icon_marker, text_tooltip, to_feature_collection
from gisplan.maps.basemaps import Basemap, display_layer, get_basemap
from gisplan.maps.palette import SITE_STYLES

__all__ = [
    "site_diamonds",
    "newly_served_rings",
    "area_layer",
    "drawing_layer",
    "SingleClickOnly",
]

#: Colour of edges of a drawn outline that cross another edge.
CROSSING_COLOR = "#d62728"

_PRECISION = 6


def _diamond_html(fill: str, stroke: str, size: int) -> str:
    return (
        f'<div style="width:{size}px;height:{size}px;background:{fill};'
        f"border:2px solid {stroke};box-sizing:border-box;transform:rotate(45deg);"
        'box-shadow:0 0 0 1px rgba(0,0,0,0.55)"></div>'
    )


def site_diamonds(
    sites: gpd.GeoDataFrame | None,
    *,
    kind: str,
    name: str,
    fields: Sequence[tuple[str, str]] = (),
    basemap: Basemap | str = "none",
    size: int = 14,
) -> folium.FeatureGroup:
    """Sites as diamonds of ``kind`` (``"chosen"``, ``"manual"`` or ``"whatif"``).

    ``fields`` are ``(column, label)`` pairs shown in the tooltip (values are text, escaped).
    """
    fill, stroke = SITE_STYLES[kind]
    group = folium.FeatureGroup(name=name, control=False)
    if sites is None or not len(sites):
        return group
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    shown = display_layer(sites, b)
    for i in range(len(shown)):
        pt = shown.geometry.iloc[i]
        if pt is None or pt.is_empty:
            continue
        rows = [(label, _fmt(shown[col].iloc[i])) for col, label in fields if col in shown.columns]
        icon_marker(
            [pt.y, pt.x],
            _diamond_html(fill, stroke, size),
            size=size,
            class_name=f"gisplan-site gisplan-site-{kind}",
            tooltip=text_tooltip(name, rows),
        ).add_to(group)
    return group


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.6g}"
    return str(v)


def newly_served_rings(
    communities: gpd.GeoDataFrame, *, name: str, basemap: Basemap | str = "none"
) -> folium.FeatureGroup:
    """A thick dark ring around each community the new sites serve (not clickable)."""
    group = folium.FeatureGroup(name=name, control=False)
    if not len(communities):
        return group
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    shown = display_layer(communities, b)
    for pt in shown.geometry:
        if pt is None or pt.is_empty:
            continue
        folium.CircleMarker(
            [round(pt.y, _PRECISION), round(pt.x, _PRECISION)],
            radius=10,
            color="#111111",
            weight=2.5,
            fill=False,
            interactive=False,
        ).add_to(group)
    return group


def area_layer(
    area: gpd.GeoSeries | None,
    *,
    name: str,
    color: str,
    fill_opacity: float = 0.15,
    dashed: bool = True,
    weight: float = 2,
    basemap: Basemap | str = "none",
) -> folium.FeatureGroup:
    """A (service) area polygon (dashed outline by default), not clickable; empty if none."""
    group = folium.FeatureGroup(name=name, control=False)
    if area is None or not len(area) or area.iloc[0] is None or area.iloc[0].is_empty:
        return group
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    shown = display_layer(gpd.GeoDataFrame(geometry=area), b)
    style = {"color": color, "weight": weight, "fillColor": color, "fillOpacity": fill_opacity}
    if dashed:
        style["dashArray"] = "5 4"
    folium.GeoJson(
        to_feature_collection(shown.iloc[:1], []),
        name=name,
        style_function=lambda _f: style,
        interactive=False,
    ).add_to(group)
    return group


def drawing_layer(
    vertices: Sequence[Sequence[float]],
    *,
    name: str,
    color: str,
    finished: bool = False,
    crossing: Sequence[tuple[int, int]] = (),
    basemap: Basemap | str = "none",
) -> folium.FeatureGroup:
    """An outline being drawn by clicking its corners (``vertices``: lon, lat, WGS-84, in order).

    While drawing: the edges placed so far, the closing edge as a dashed preview (from three
    corners on), numbered corners (1 larger, where the outline closes). ``finished``: the
    polygon, filled. Edges listed in ``crossing`` (pairs of 0-based edge numbers, edge ``i``
    from corner ``i`` to ``i + 1``, the last one closing) are drawn in red. Nothing in the
    layer takes clicks: they reach the map, which adds the next corner.
    """
    group = folium.FeatureGroup(name=name, control=False)
    if not len(vertices):
        return group
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    pts = display_layer(
        gpd.GeoDataFrame(geometry=shapely.points([tuple(v) for v in vertices]), crs="EPSG:4326"),
        b,
    )
    latlon = [[round(p.y, _PRECISION), round(p.x, _PRECISION)] for p in pts.geometry]
    n = len(latlon)
    if finished and n >= 3:
        _inert(folium.Polygon(latlon, color=color, weight=3, fill=True, fill_opacity=0.12)).add_to(
            group
        )
    else:
        if n >= 2:
            _inert(folium.PolyLine(latlon, color=color, weight=3)).add_to(group)
        if n >= 3:
            _inert(
                folium.PolyLine([latlon[-1], latlon[0]], color=color, weight=2, dash_array="6 6")
            ).add_to(group)
    bad = sorted({e for pair in crossing for e in pair})
    for e in bad:
        a, c = latlon[e], latlon[(e + 1) % n]
        _inert(folium.PolyLine([a, c], color=CROSSING_COLOR, weight=5)).add_to(group)
    for i, ll in enumerate(latlon):
        _inert(
            folium.CircleMarker(
                ll,
                radius=6 if i == 0 else 4,
                color=color,
                weight=2,
                fill=True,
                fill_color="#ffffff",
                fill_opacity=1.0,
            )
        ).add_to(group)
        icon_marker(
            ll,
            _corner_number_html(i + 1, color),
            size=18,
            class_name="gisplan-corner",
            interactive=False,
        ).add_to(group)
    return group


def _inert(layer):
    """Make ``layer`` take no clicks: a click on it reaches the map at the pointer's position.

    Sets Leaflet's ``interactive: false`` on the options (folium's vector layers do not pass
    that keyword on).
    """
    layer.options["interactive"] = False
    return layer


def _corner_number_html(number: int, color: str) -> str:
    """The corner's number, beside it (up and right)."""
    return (
        f'<div style="transform:translate(11px,-11px);font:bold 11px sans-serif;color:{color};'
        'text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 2px #fff">'
        f"{int(number)}</div>"
    )


class SingleClickOnly(MacroElement):
    """Let a double-click zoom without also sending a click.

    Leaflet fires ``click`` twice before ``dblclick``; anything listening for clicks (the
    what-if map places a site on a click) would place one.  The map's clicks are held for
    ``delay_ms`` and dropped when a second click follows, so a double-click only zooms.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map, delay) {
            var fire = map.fire, pending = null;
            map.fire = function (type, data, propagate) {
                if (type === 'click') {
                    var self = this, args = arguments;
                    if (pending) { clearTimeout(pending); pending = null; return this; }
                    pending = setTimeout(function () { pending = null; fire.apply(self, args); }, delay);
                    return this;
                }
                if (type === 'dblclick' && pending) { clearTimeout(pending); pending = null; }
                return fire.apply(this, arguments);
            };
        })({{ this._parent.get_name() }}, {{ this.delay_ms }});
        {% endmacro %}"""
    )

    def __init__(self, delay_ms: int = 250) -> None:
        super().__init__()
        self._name = "GisplanSingleClick"
        self.delay_ms = int(delay_ms)
