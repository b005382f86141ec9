"""Names from files and forms reach every map as text, never as HTML (issue 8 item 1).

folium's ``GeoJsonTooltip``/``GeoJsonPopup`` insert feature properties with ``innerHTML``;
``DivIcon`` labels and the legend are HTML too.  Hostile names go into every layer of every
map (plan map, coverage map, siting and what-if sites, the scenario map, the standalone HTML
export); the produced document, read as the browser's JavaScript reads it (JSON ``\\u003c``
escapes decoded), must never hold a hostile name raw — only its escaped text.

A structural test keeps it so: no module but :mod:`gisplan.maps.base` may construct the
folium elements that insert HTML, and every ``folium.GeoJson`` layer takes its data from
:func:`gisplan.maps.base.to_feature_collection` (which escapes every text property) unless it
is background geometry (``interactive=False``, no tooltip or popup: no property is shown).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gisplan.access.coverage import CoverageResult
from gisplan.catalogue import default_standard
from gisplan.crs import WGS84
from gisplan.io.embedded import load_business_districts, load_counties, load_pedestrian_streets
from gisplan.maps import add_site_points, coverage_map, plan_map, standalone_html
from gisplan.maps.base import add_labels, new_map
from gisplan.maps.elements import Legend, LegendItem
from gisplan.safetext import html_text
from tests.hostile_files import HOSTILE_NAMES

ROOT = Path(__file__).resolve().parents[1]


def _as_scripts_see_it(m) -> str:
    """The rendered map document with JSON string escapes decoded (what JS hands to innerHTML)."""
    doc = m.get_root().render()
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), doc)


def _assert_inert(doc: str, names) -> None:
    for name in names:
        assert name not in doc, f"raw {name!r} in the map document"
        assert html_text(name) in doc, f"{name!r} is not shown (escaped) at all"


def _hostile(i: int) -> str:
    return HOSTILE_NAMES[i % len(HOSTILE_NAMES)]


# -- plan map ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plan_map_escapes_every_layer(lang):
    counties, districts, streets = (
        load_counties(),
        load_business_districts(),
        load_pedestrian_streets(),
    )
    counties = counties.assign(name_zh=[_hostile(i) for i in range(len(counties))])
    counties["name_en"] = [_hostile(i + 1) for i in range(len(counties))]
    districts = districts.assign(
        name_zh=[_hostile(i + 2) for i in range(len(districts))],
        name_en=[_hostile(i + 3) for i in range(len(districts))],
        positioning=_hostile(4),
        positioning_en=_hostile(4),
        key_projects=_hostile(0),
        source=_hostile(1),
    )
    streets = streets.assign(
        name_zh=[_hostile(i) for i in range(len(streets))],
        name_en=[_hostile(i + 1) for i in range(len(streets))],
        note=_hostile(2),
        county=_hostile(3),
        source=_hostile(4),
    )
    doc = _as_scripts_see_it(plan_map(counties, districts, streets, lang=lang))
    _assert_inert(doc, HOSTILE_NAMES)


# -- coverage map -------------------------------------------------------------------------------


def _hostile_result():
    n = 10
    pts = [(121.55 + 0.001 * i, 29.87 + 0.0007 * i) for i in range(n)]
    comm = gpd.GeoDataFrame(
        {
            "id": [f"<i>{i}</i>" for i in range(n)],
            "name": [_hostile(i) for i in range(n)],
            "population": [100 * (i + 1) for i in range(n)],
            "county": [_hostile(i + 1) for i in range(n)],
            "source": "user",
        },
        geometry=[shapely.Point(p) for p in pts],
        crs=WGS84,
    )
    std = default_standard()
    d = pd.DataFrame(
        {c: np.linspace(50, 1500, n) for c in std.ids}, index=pd.Index(comm["id"], name="id")
    )
    result = CoverageResult.from_distances(comm, d, std, group_columns=["county"])
    amen = gpd.GeoDataFrame(
        {
            "id": [f"a{i}" for i in range(n)],
            "name": [_hostile(i + 2) for i in range(n)],
            "category": [std.required_ids[i % len(std.required_ids)] for i in range(n)],
        },
        geometry=[shapely.Point(x + 0.0003, y) for x, y in pts],
        crs=WGS84,
    )
    return result, amen


@pytest.mark.parametrize("color_by", ["completeness", "supermarket"])
def test_coverage_map_escapes_communities_amenities_and_attribution(color_by):
    result, amen = _hostile_result()
    m = coverage_map(
        result,
        color_by=color_by,
        amenities=amen,
        attribution=_hostile(3),
        synthetic=True,
        community_popups=True,
    )
    _assert_inert(_as_scripts_see_it(m), HOSTILE_NAMES)


def test_standalone_html_export_is_escaped():
    result, amen = _hostile_result()
    doc = standalone_html(coverage_map(result, amenities=amen), title=_hostile(1))
    doc = re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), doc)
    _assert_inert(doc, HOSTILE_NAMES)


# -- siting, what-if and scenario maps --------------------------------------------------------


def _sites(n: int = 5) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "rank": list(range(1, n + 1)),
            "id": [_hostile(i + 1) for i in range(n)],
            "name": [_hostile(i) for i in range(n)],
            "kind": ["chosen"] * (n - 1) + ["manual"],
            "gain": [10.5 * i for i in range(n)],
        },
        geometry=[shapely.Point(121.55 + 0.001 * i, 29.87) for i in range(n)],
        crs=WGS84,
    )


def test_site_layers_escape_names_ids_and_field_labels():
    m = new_map([[29.86, 121.54], [29.88, 121.57]])
    sites = _sites()
    add_site_points(m, sites, name="sites", fields=["rank", "id", "name", "gain"], color="#d62728")
    # a column whose *name* came from a file is a label too
    odd = sites.rename(columns={"name": _hostile(3) + "名"})
    add_site_points(m, odd, name="odd", fields=["rank", _hostile(3) + "名"], color="#1f77b4")
    Legend(_hostile(0), [LegendItem(_hostile(2), "#d62728", "circle")]).add_to(m)
    doc = _as_scripts_see_it(m)
    _assert_inert(doc, HOSTILE_NAMES)
    _assert_inert(doc, [_hostile(3) + "名"])


def test_labels_escape_their_text():
    m = new_map([[29.86, 121.54], [29.88, 121.57]])
    sites = _sites()
    add_labels(m, sites.geometry, list(sites["name"]), name="labels")
    _assert_inert(_as_scripts_see_it(m), HOSTILE_NAMES)


# -- structure: nothing but gisplan.maps.base builds HTML-inserting folium elements ------------

_SINKS = {"GeoJsonTooltip", "GeoJsonPopup", "DivIcon", "Popup", "Tooltip", "Marker", "GeoJson"}
_ALLOWED = {"gisplan/maps/base.py"}


def _python_files():
    yield from sorted((ROOT / "gisplan").rglob("*.py"))
    yield ROOT / "app.py"


def _folium_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                if f.value.id == "folium" and f.attr in _SINKS:
                    yield f.attr, node
            elif isinstance(f, ast.Name) and f.id in _SINKS:
                yield f.id, node


def test_only_the_base_module_builds_html_sinks():
    offenders = []
    for path in _python_files():
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            a.asname or a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("folium")
            for a in n.names
        }
        bad_imports = imported & (_SINKS - {"GeoJson"})
        if bad_imports and rel not in _ALLOWED:
            offenders.append(f"{rel}: imports {sorted(bad_imports)} from folium")
        for name, node in _folium_calls(tree):
            if rel in _ALLOWED:
                continue
            if name == "GeoJson":
                first = node.args[0] if node.args else None
                kw = {k.arg: k.value for k in node.keywords}
                # Geometry drawn as background (interactive=False, no tooltip or popup)
                # shows no property of the data, so it may skip to_feature_collection.
                background = (
                    "tooltip" not in kw
                    and "popup" not in kw
                    and isinstance(kw.get("interactive"), ast.Constant)
                    and kw["interactive"].value is False
                )
                ok = background or (
                    isinstance(first, ast.Call)
                    and getattr(first.func, "id", getattr(first.func, "attr", None))
                    == "to_feature_collection"
                )
                if not ok:
                    offenders.append(
                        f"{rel}:{node.lineno}: folium.GeoJson without to_feature_collection"
                    )
                for kw in node.keywords:
                    if kw.arg in ("tooltip", "popup") and isinstance(kw.value, ast.Constant):
                        offenders.append(f"{rel}:{node.lineno}: literal {kw.arg}")
            else:
                offenders.append(f"{rel}:{node.lineno}: folium.{name} outside gisplan/maps/base.py")
    assert offenders == []


def test_siting_page_diamonds_and_areas_escape_their_text():
    from gisplan.maps.siting_layers import area_layer, site_diamonds

    m = new_map([[29.86, 121.54], [29.88, 121.57]])
    sites = _sites()
    site_diamonds(
        sites, kind="chosen", name=_hostile(0), fields=[("name", _hostile(1)), ("id", "id")]
    ).add_to(m)
    area = gpd.GeoSeries([shapely.Point(121.55, 29.87).buffer(0.002)], crs=WGS84)
    area_layer(area, name=_hostile(2), color="#556b2f").add_to(m)
    _assert_inert(_as_scripts_see_it(m), [_hostile(i) for i in range(len(HOSTILE_NAMES))])


def test_scenario_report_html_escapes_names():
    """Already right before issue 8 (kept): the exported report escapes every name."""
    from gisplan.store import ScenarioRecord
    from gisplan.store.export import report_html

    sites = _sites().drop(columns=["id"])
    record = ScenarioRecord(
        name=_hostile(1), category="supermarket", params={"note": _hostile(2)}, sites=sites
    )
    page = report_html(record)
    _assert_inert(page, [_hostile(i) for i in (0, 1, 3, 4)])
    assert "<script>alert" not in page and "<img src=x" not in page
