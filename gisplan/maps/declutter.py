"""Names that do not cover each other, and point markers that do not stack, at every zoom.

:class:`Declutter` runs in the browser after each zoom or pan (and once the fonts are in):

1. **Markers.** Point markers of the given layers (e.g. the pedestrian streets' circles) that
   would overlap on screen are spread around their cluster's middle, each joined to its true
   position by a thin leader line; zoomed in far enough to separate them, they sit at their
   true positions again.
2. **Labels.** Labels made with a ``priority`` (:func:`gisplan.maps.base.add_labels`) are
   placed greedily, lowest priority number first: each takes the first of its candidate
   positions whose box (read from the DOM) covers no label already placed, no marker and —
   for labels that ask for it (``data-avoid-areas``) — no area of the given polygon layers;
   a label with no free position is hidden until the user zooms in.

This is the classic greedy label placement of cartography (candidate positions, placed by
rank); everything is measured in screen pixels, so it holds in any language and at any width.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import folium
from branca.element import MacroElement
from jinja2 import Template

__all__ = ["Declutter", "Placement"]


@dataclass(frozen=True)
class Placement:
    """How a group of labels takes part in :class:`Declutter`.

    ``priority``: lower numbers are placed first.  ``alternatives``: other ``(dx, dy)`` CSS
    translations to try, in order, after the label's own.  ``avoid_areas``: keep off the
    declutter's area layers as well.  ``max_width_em``: a long name may wrap onto a second line
    (narrower boxes fit more often).
    """

    priority: int
    alternatives: Sequence[tuple[str, str]] = ()
    avoid_areas: bool = False
    max_width_em: float | None = None

    def attributes(self, dx: str, dy: str) -> str:
        """The label element's ``data-`` attributes (gisplan's own CSS lengths, escaped)."""
        from gisplan.safetext import html_text

        places = json.dumps([[dx, dy], *[list(a) for a in self.alternatives]])
        out = f' data-prio="{int(self.priority)}" data-places="{html_text(places)}"'
        return out + (' data-avoid-areas="1"' if self.avoid_areas else "")


class Declutter(MacroElement):
    """Spread overlapping markers of ``marker_layers`` and place the map's ranked labels.

    Parameters
    ----------
    marker_layers : sequence of folium layers
        GeoJson layers of point markers (circle markers) kept apart on screen; they are also
        obstacles no label may cover.
    area_layers : sequence of folium layers
        Polygon layers whose screen boxes labels marked ``data-avoid-areas`` keep off (county
        names off the business districts).
    gap_px : float
        Least distance between two markers' edges, pixels.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map, markerLayers, areaLayers, gap) {
            var lines = L.layerGroup().addTo(map);
            function markers() {
                var out = [];
                markerLayers.forEach(function (layer) {
                    layer.eachLayer(function (l) {
                        if (!l.getLatLng) { return; }
                        if (!l._gisplanHome) { l._gisplanHome = l.getLatLng(); }
                        out.push(l);
                    });
                });
                return out;
            }
            function spread() {
                lines.clearLayers();
                var ms = markers();
                var pts = ms.map(function (l) { return map.latLngToLayerPoint(l._gisplanHome); });
                var radius = ms.map(function (l) { return (l.options.radius || 6) + 2; });
                var group = ms.map(function (_, i) { return i; });
                function root(i) { while (group[i] !== i) { i = group[i]; } return i; }
                for (var i = 0; i < ms.length; i++) {
                    for (var j = i + 1; j < ms.length; j++) {
                        if (pts[i].distanceTo(pts[j]) < radius[i] + radius[j] + gap) {
                            group[root(i)] = root(j);
                        }
                    }
                }
                var clusters = {};
                ms.forEach(function (_, i) { (clusters[root(i)] = clusters[root(i)] || []).push(i); });
                Object.keys(clusters).forEach(function (k) {
                    var idx = clusters[k];
                    if (idx.length === 1) { ms[idx[0]].setLatLng(ms[idx[0]]._gisplanHome); return; }
                    var cx = 0, cy = 0, r = 0;
                    idx.forEach(function (i) { cx += pts[i].x; cy += pts[i].y; r = Math.max(r, radius[i]); });
                    cx /= idx.length; cy /= idx.length;
                    // on a circle whose chords between neighbours exceed two radii plus the gap
                    var ring = Math.max(2 * r + gap, (2 * r + gap) / (2 * Math.sin(Math.PI / idx.length)));
                    // keep the markers' order around the middle (their bearings from it)
                    idx.sort(function (a, b) {
                        return Math.atan2(pts[a].y - cy, pts[a].x - cx) - Math.atan2(pts[b].y - cy, pts[b].x - cx);
                    });
                    idx.forEach(function (i, n) {
                        var a = -Math.PI / 2 + 2 * Math.PI * n / idx.length;
                        var p = L.point(cx + ring * Math.cos(a), cy + ring * Math.sin(a));
                        var at = map.layerPointToLatLng(p);
                        ms[i].setLatLng(at);
                        L.polyline([ms[i]._gisplanHome, at], {color: '#444', weight: 1, opacity: 0.8,
                                    interactive: false}).addTo(lines);
                        L.circleMarker(ms[i]._gisplanHome, {radius: 2, color: '#444', weight: 1,
                                       fillOpacity: 1, interactive: false}).addTo(lines);
                    });
                });
                return ms;
            }
            function box(r, pad) {
                return {x0: r.left - pad, y0: r.top - pad, x1: r.right + pad, y1: r.bottom + pad};
            }
            function hit(a, b) { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1; }
            function place() {
                var ms = spread();
                var rect = map.getContainer().getBoundingClientRect();
                var obstacles = ms.map(function (l) {
                    var p = map.latLngToContainerPoint(l.getLatLng()), r = (l.options.radius || 6) + 2;
                    return {x0: rect.left + p.x - r, y0: rect.top + p.y - r,
                            x1: rect.left + p.x + r, y1: rect.top + p.y + r};
                });
                var areas = [];
                areaLayers.forEach(function (layer) {
                    layer.eachLayer(function (l) {
                        if (!l.getBounds) { return; }
                        var b = l.getBounds(), nw = map.latLngToContainerPoint(b.getNorthWest()),
                            se = map.latLngToContainerPoint(b.getSouthEast());
                        areas.push({x0: rect.left + nw.x, y0: rect.top + nw.y,
                                    x1: rect.left + se.x, y1: rect.top + se.y});
                    });
                });
                var labels = Array.prototype.slice.call(
                    map.getContainer().querySelectorAll('.gisplan-map-label[data-prio]'));
                labels = labels.filter(function (e) { return e.offsetParent !== null; });
                labels.sort(function (a, b) { return (+a.dataset.prio) - (+b.dataset.prio); });
                var placed = [];
                labels.forEach(function (e) {
                    var places = JSON.parse(e.dataset.places), ok = false;
                    var avoid = obstacles.concat(e.dataset.avoidAreas ? areas : []);
                    for (var k = 0; k < places.length && !ok; k++) {
                        e.style.transform = 'translate(' + places[k][0] + ',' + places[k][1] + ')';
                        var b = box(e.getBoundingClientRect(), 2);
                        ok = !placed.some(function (p) { return hit(b, p); }) &&
                             !avoid.some(function (p) { return hit(b, p); });
                        if (ok) { placed.push(b); }
                    }
                    e.style.visibility = ok ? 'visible' : 'hidden';
                    e.dataset.placed = ok ? '1' : '0';
                });
                map.getContainer().dataset.gisplanDecluttered = String(Date.now());
            }
            var pending = null;
            function later() { if (pending) { cancelAnimationFrame(pending); }
                               pending = requestAnimationFrame(function () { pending = null; place(); }); }
            map.on('zoomend moveend resize', later);
            map.whenReady(later);
            if (document.fonts && document.fonts.ready) { document.fonts.ready.then(later); }
        })({{ this._parent.get_name() }},
           [{% for l in this.marker_layers %}{{ l.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}],
           [{% for l in this.area_layers %}{{ l.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}],
           {{ this.gap_px }});
        {% endmacro %}"""
    )

    def __init__(
        self,
        marker_layers: Sequence[folium.GeoJson | folium.FeatureGroup] = (),
        area_layers: Sequence[folium.GeoJson | folium.FeatureGroup] = (),
        *,
        gap_px: float = 4.0,
    ) -> None:
        super().__init__()
        self._name = "GisplanDeclutter"
        self.marker_layers = list(marker_layers)
        self.area_layers = list(area_layers)
        self.gap_px = float(gap_px)
