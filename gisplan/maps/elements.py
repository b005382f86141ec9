"""Map furniture drawn with Leaflet alone: legend, text label, attribution.

All three are Leaflet controls written by a ``script`` macro with inline styles, so they work
in a standalone folium HTML file and inside streamlit-folium (which keeps only each element's
script) without any extra script, style sheet or web font.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from branca.element import MacroElement
from jinja2 import Template

from gisplan.safetext import html_text

__all__ = ["LegendItem", "Legend", "MapLabel", "Attribution"]

_BOX = (
    "background:rgba(255,255,255,0.92);padding:6px 9px;border-radius:4px;"
    "box-shadow:0 1px 4px rgba(0,0,0,0.35);font:12px/1.45 'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',"
    "'PingFang SC',sans-serif;color:#222;max-width:280px;"
)


@dataclass(frozen=True)
class LegendItem:
    """One legend row: a swatch and its label.

    ``kind`` is ``"fill"`` (square), ``"line"`` (stroke), ``"circle"`` (circle marker),
    ``"diamond"`` (a site), ``"ring"`` (a marked community) or ``"dashed"`` (an area with a
    dashed outline).
    """

    label: str
    color: str
    kind: str = "fill"
    fill_opacity: float = 0.6


def _swatch(item: LegendItem) -> str:
    c = html_text(item.color)
    if item.kind == "line":
        inner = f"display:inline-block;width:18px;height:0;border-top:4px solid {c};vertical-align:middle;"
    elif item.kind == "diamond":
        inner = (
            f"display:inline-block;width:9px;height:9px;background:{c};border:2px solid "
            f"{'#111111' if item.color.lower() in ('#ffffff', '#fff') else '#ffffff'};"
            "box-shadow:0 0 0 1px rgba(0,0,0,0.55);transform:rotate(45deg);"
            "vertical-align:middle;margin:0 4px;"
        )
    elif item.kind == "ring":
        inner = (
            f"display:inline-block;width:10px;height:10px;border-radius:50%;"
            f"border:2.5px solid {c};vertical-align:middle;margin:0 2px;"
        )
    elif item.kind == "dashed":
        inner = (
            f"display:inline-block;width:16px;height:11px;border:2px dashed {c};"
            "background:rgba(255,255,255,0.4);vertical-align:middle;"
        )
    elif item.kind == "circle":
        inner = (
            f"display:inline-block;width:11px;height:11px;border-radius:50%;background:{c};"
            f"border:1px solid #333;vertical-align:middle;margin:0 3px;"
        )
    else:
        inner = (
            f"display:inline-block;width:16px;height:12px;background:{c};opacity:{item.fill_opacity + 0.2:.2f};"
            f"border:1px solid #555;vertical-align:middle;"
        )
    return f'<span style="{inner}"></span>'


class _Control(MacroElement):
    """A Leaflet control holding static HTML, added to a map or to a layer (feature group).

    In a layer the control follows it: it appears when the layer is added to a map and goes
    when the layer is removed, so a legend swapped with its layers never lingers.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
            div.setAttribute('style', {{ this.style|tojson }});
            div.innerHTML = {{ this.inner_html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        (function (owner, ctl) {
            // On a map: shown at once.  In a layer (a feature group the app swaps on a control
            // change): shown while the layer is on a map, removed with it.
            if (owner instanceof L.Map) { ctl.addTo(owner); return; }
            owner.on('add', function () { ctl.addTo(owner._map); });
            owner.on('remove', function () { ctl.remove(); });
            if (owner._map) { ctl.addTo(owner._map); }
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, inner_html: str, *, position: str, css_class: str, style: str) -> None:
        super().__init__()
        self._name = "GisplanControl"
        self.inner_html = inner_html
        self.position = position
        self.css_class = css_class
        self.style = style


class Legend(_Control):
    """A legend box (Leaflet control, bottom right by default).

    Parameters
    ----------
    title : str
    items : sequence of LegendItem
    note : str, optional
        Small text under the items (e.g. the data source).
    """

    def __init__(
        self,
        title: str,
        items: Sequence[LegendItem],
        *,
        note: str = "",
        position: str = "bottomright",
    ) -> None:
        rows = "".join(
            f'<div style="white-space:nowrap">{_swatch(i)} {html_text(i.label)}</div>'
            for i in items
        )
        foot = (
            f'<div style="margin-top:4px;color:#555;font-size:11px">{html_text(note)}</div>'
            if note
            else ""
        )
        inner = (
            f'<div style="font-weight:bold;margin-bottom:3px">{html_text(title)}</div>{rows}{foot}'
        )
        super().__init__(inner, position=position, css_class="gisplan-legend", style=_BOX)
        self.title = title
        self.items = list(items)


class MapLabel(_Control):
    """A text label on the map, e.g. the synthetic-data warning (top left of the map)."""

    def __init__(self, text: str, *, position: str = "topright", warning: bool = True) -> None:
        style = _BOX + (
            "background:#fff3cd;border:1px solid #d39e00;font-weight:bold;color:#7a4b00;"
            if warning
            else ""
        )
        super().__init__(html_text(text), position=position, css_class="gisplan-label", style=style)
        self.text = text


class Attribution(MacroElement):
    """Add text to the map's attribution control (data credits such as OpenStreetMap's)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {% for t in this.texts %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ t|tojson }});
        {% endfor %}
        {% endmacro %}
        """
    )

    def __init__(self, texts: Sequence[str]) -> None:
        super().__init__()
        self._name = "GisplanAttribution"
        self.texts = [html_text(t) for t in dict.fromkeys(texts) if t]
