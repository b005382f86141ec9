"""The outline being drawn on the map (maps.siting_layers.drawing_layer): what the user sees.

Corners numbered in the order placed, the closing edge dashed while drawing, the polygon filled
once finished, crossing edges in red, and nothing in the layer taking a click (the click must
reach the map, which adds the next corner).
"""

from __future__ import annotations

import folium

from gisplan.maps.siting_layers import CROSSING_COLOR, drawing_layer

CORNERS = [(121.54, 29.86), (121.56, 29.86), (121.55, 29.88), (121.57, 29.88)]


def _parts(group: folium.FeatureGroup) -> dict[str, list]:
    out: dict[str, list] = {}
    for child in group._children.values():
        out.setdefault(type(child).__name__, []).append(child)
    return out


def test_while_drawing():
    parts = _parts(drawing_layer(CORNERS, name="绘制", color="#6a3d9a"))
    lines = parts["PolyLine"]
    # the edges placed so far, then the closing edge dashed
    assert [len(p.locations) for p in lines] == [4, 2]
    assert lines[1].options.get("dashArray") == "6 6"
    assert lines[1].locations == [[29.88, 121.57], [29.86, 121.54]]
    assert "Polygon" not in parts
    assert len(parts["CircleMarker"]) == 4 and len(parts["Marker"]) == 4
    html = [m.icon.options["html"] for m in parts["Marker"]]
    assert [h.split(">")[1].split("<")[0] for h in html] == ["1", "2", "3", "4"]
    for layer in lines + parts["CircleMarker"] + parts["Marker"]:
        assert layer.options.get("interactive") is False


def test_finished_and_crossing():
    parts = _parts(drawing_layer(CORNERS, name="绘制", color="#6a3d9a", finished=True))
    assert len(parts["Polygon"]) == 1 and parts["Polygon"][0].options["fill"] is True
    assert "PolyLine" not in parts
    bad = _parts(drawing_layer(CORNERS, name="绘制", color="#6a3d9a", crossing=[(1, 3)]))
    red = [p for p in bad["PolyLine"] if p.options.get("color") == CROSSING_COLOR]
    # edge 2 (corners 2–3) and the closing edge 4 (corners 4–1)
    assert [p.locations for p in red] == [
        [[29.86, 121.56], [29.88, 121.55]],
        [[29.88, 121.57], [29.86, 121.54]],
    ]
    assert drawing_layer([], name="绘制", color="#000")._children == {}
