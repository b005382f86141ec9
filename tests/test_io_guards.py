"""gisplan.io.guards: JSON depth, non-finite coordinates, UTF-16 without BOM."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from gisplan.errors import InputError
from gisplan.io.guards import check_json_depth, nonfinite_positions, utf16_encoding


def _depth_by_parsing(text: str) -> int:
    def depth(v) -> int:
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        return 0

    return depth(json.loads(text))


@pytest.mark.parametrize(
    "doc",
    [
        {"a": "[[[{{{", "b": [[1, [2]], {"c": '\\"]]]'}]},
        {"type": "FeatureCollection", "features": []},
        [[[[[[]]]]], {"x": {"y": {"z": ['"[', "\\"]}}}],
        "plain",
    ],
)
def test_depth_agrees_with_the_json_parser(doc):
    text = json.dumps(doc)
    assert check_json_depth(text.encode()) == _depth_by_parsing(text)


def test_deep_json_is_an_input_error_naming_the_file():
    deep = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(InputError, match=r"file x\.geojson: the JSON is nested more than 64"):
        check_json_depth(deep, name="x.geojson")
    assert check_json_depth(b"[" * 64 + b"]" * 64) == 64


def test_nonfinite_positions():
    geoms = [
        shapely.Point(1, 2),
        shapely.Point(np.nan, 2),
        shapely.LineString([(0, 0), (1, np.inf)]),
        shapely.Point(1, 2, 3),
        shapely.Point(1, 2, np.inf),
    ]
    assert nonfinite_positions(geoms).tolist() == [1, 2, 4]
    assert nonfinite_positions([]).tolist() == []


def test_utf16_without_bom_is_recognised():
    text = "id,名称,人口,lon,lat\n1,鼓楼小区,1200,121.55,29.87\n"
    assert utf16_encoding(text.encode("utf-16-le")) == "utf-16-le"
    assert utf16_encoding(text.encode("utf-16-be")) == "utf-16-be"
    assert utf16_encoding(text.encode("utf-8")) == ""
    assert utf16_encoding(text.encode("gb18030")) == ""
