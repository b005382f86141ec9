""" "My 15-minute circle" engine: hand-computed walks, the AccessModel's own distances, an
independent networkx shortest path, and ring areas that agree with the reported minutes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.access.coverage import AccessModel
from gisplan.access.place_circle import CircleFinder, OutsideAreaError
from gisplan.catalogue import default_standard
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import snap_points
from tests.helpers.networks import CRS, random_network, split_graph_distances

STD = default_standard()  # 4 km/h: 66.67 m per minute; 5/10/15 min; search bound 20 min
MPM = STD.metres_per_minute
# Local metres -> EPSG:32651 near Ningbo (so that longitude/latitude are realistic).
X0, Y0 = 360_000.0, 3_305_000.0


def _network(segments) -> WalkNetwork:
    edges = gpd.GeoDataFrame(
        {"u": [s[0] for s in segments], "v": [s[1] for s in segments]},
        geometry=[
            shapely.LineString([(X0 + a[0], Y0 + a[1]), (X0 + b[0], Y0 + b[1])])
            for _, _, a, b in segments
        ],
        crs=CRS,
    )
    edges["length"] = edges.length
    return WalkNetwork.from_edges(edges)


def _layer(rows, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        cols, geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in rows], crs=CRS
    ).to_crs(WGS84)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    p = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y)], crs=CRS).to_crs(WGS84).iloc[0]
    return p.x, p.y


# A main street along y = 0 (nodes every 500 m from x = 0 to 2000) and a side street north
# from x = 1000.  Home at (100, 20): 20 m off the street, 100 m from the west end.
STREETS = [
    (1, 2, (0, 0), (500, 0)),
    (2, 3, (500, 0), (1000, 0)),
    (3, 4, (1000, 0), (1500, 0)),
    (4, 5, (1500, 0), (2000, 0)),
    (3, 6, (1000, 0), (1000, 1000)),
]
AMENITIES = {
    # id: (x, y, category, hand-computed walk in metres from home)
    "cs": (300, -10, "convenience_store", 20 + 200 + 10),  # 3.45 min
    "sm": (700, 15, "supermarket", 20 + 600 + 15),  # 9.53 min
    "wm_side": (1010, 500, "wet_market", 20 + 900 + 500 + 10),  # 21.45 min: beyond 20
    "wm_far": (1900, 10, "wet_market", 20 + 1800 + 10),
    "ph": (120, -5, "pharmacy", 20 + 20 + 5),  # same edge as home: straight along it
}


@pytest.fixture(scope="module")
def street():
    net = _network(STREETS)
    communities = _layer(
        [(100, 20), (1000, 900)], id=["home", "north"], name=["家", "北"], population=[100, 50]
    )
    ids = list(AMENITIES)
    amenities = _layer(
        [AMENITIES[i][:2] for i in ids],
        id=ids,
        name=[f"店 {i}" for i in ids],
        category=[AMENITIES[i][2] for i in ids],
    )
    model = AccessModel.build(net, communities, amenities, categories=STD.ids)
    return model, CircleFinder(model, STD)


def test_hand_computed_minutes_names_and_verdict(street):
    model, finder = street
    c = finder.from_community("home")
    assert finder.bound_min == pytest.approx(20.0)
    for aid in ("cs", "sm", "ph"):
        x, y, cat, metres = AMENITIES[aid]
        a = c.amenity(cat)
        assert (a.id, a.name) == (aid, f"店 {aid}")
        assert a.minutes == pytest.approx(metres / MPM)
        assert a.distance_m == pytest.approx(metres)
        assert (a.lon, a.lat) == pytest.approx(_lonlat(x, y))
    # The nearest wet market is 1,430 m (21.5 min) away: beyond the 20-minute search.
    wm = c.amenity("wet_market")
    assert not wm.reached and wm.id is None and wm.minutes == np.inf and not wm.met
    assert not c.amenity("laundry").reached  # no amenity of the category at all
    assert c.missing == ["wet_market"] and not c.meets_standard
    assert c.amenity("convenience_store").met and c.amenity("supermarket").met
    assert c.offset_m == pytest.approx(20.0)
    assert c.community_name == "家"


def test_minutes_equal_the_access_model_distances(street):
    model, finder = street
    for cid in ("home", "north"):
        c = finder.from_community(cid)
        for a in c.nearest:
            d = model.distances_m.loc[cid, a.category]
            if d <= finder.bound_m:
                assert a.distance_m == pytest.approx(d)
            else:
                assert a.distance_m == np.inf


def test_a_tapped_place_equals_the_community_there(street):
    _, finder = street
    by_id = finder.from_community("home")
    tapped = finder.from_lonlat(*_lonlat(100, 20))
    assert tapped.community_id is None
    assert tapped.table()["distance_m"].to_numpy() == pytest.approx(
        by_id.table()["distance_m"].to_numpy()
    )
    assert tapped.missing == by_id.missing


def test_ring_areas_follow_the_street_and_hold_what_is_reached(street):
    _, finder = street
    c = finder.from_community("home")
    assert list(c.areas["minutes"]) == [15.0, 10.0, 5.0]
    rings = {m: g for m, g in zip(c.areas["minutes"], c.areas.to_crs(CRS).geometry, strict=True)}

    def inside(ring, x, y):
        return rings[ring].contains(shapely.Point(X0 + x, Y0 + y))

    for aid, (x, y, _cat, metres) in AMENITIES.items():
        for ring in (5.0, 10.0, 15.0):
            # every amenity here is within the 40 m frontage of its street
            assert inside(ring, x, y) == (metres <= ring * MPM), (aid, ring)
    # 15 min = 1,000 m, 980 m after the 20 m leg: east to x = 1,080, 80 m up the side street,
    # plus the 40 m frontage; a circle of 1 km would reach (100, 900) - the network does not.
    assert inside(15.0, 1110, 0) and not inside(15.0, 1130, 0)
    assert inside(15.0, 1000, 110) and not inside(15.0, 1000, 130)
    assert not inside(15.0, 100, 900)


def test_a_tap_on_a_community_dot_means_the_community(street):
    _, finder = street
    assert finder.community_at(*_lonlat(110, 25)) == "home"  # 11 m away
    assert finder.community_at(*_lonlat(100, 80)) is None  # 60 m away
    assert finder.community_at(float("nan"), 29.8) is None


def test_errors_are_clear(street):
    _, finder = street
    with pytest.raises(OutsideAreaError, match="outside the area"):
        finder.from_lonlat(121.0, 31.0)
    with pytest.raises(InputError, match="not a longitude"):
        finder.from_lonlat(float("nan"), 29.8)
    with pytest.raises(InputError, match="not numbers"):
        finder.from_lonlat("east", 29.8)
    with pytest.raises(InputError, match="from the walking network"):
        finder.from_lonlat(*_lonlat(600, 600))  # 400 m from any street
    with pytest.raises(InputError, match="no community"):
        finder.from_community("nope")


def test_nearest_features_walking_when_reached_else_straight(street):
    _, finder = street
    c = finder.from_community("home")
    layer = gpd.GeoDataFrame(
        {"id": ["around", "street", "far"]},
        geometry=[
            shapely.box(X0 - 50, Y0 - 50, X0 + 200, Y0 + 100),  # holds home
            shapely.LineString([(X0 + 1000, Y0 + 300), (X0 + 1000, Y0 + 600)]),
            shapely.box(X0 + 5000, Y0, X0 + 6000, Y0 + 1000),
        ],
        crs=CRS,
    ).to_crs(WGS84)
    out = finder.nearest_features(c, layer, limit=3).set_index("id")
    assert out.loc["around", "inside"] and out.loc["around", "walking_m"] == 0.0
    # the side street's node at (1000, 0) is 300 m from the line: nothing within 60 m is
    # reached within 1,333 m except along the side street itself - no node there, so the
    # line counts as not reached on foot (straight line only)
    assert np.isnan(out.loc["street", "walking_m"])
    assert out.loc["street", "straight_m"] == pytest.approx(np.hypot(900, 280), rel=1e-3)
    assert out.loc["far", "straight_m"] == pytest.approx(4900, rel=1e-3)
    assert list(out.index) == ["around", "street", "far"]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 30), extra=st.integers(0, 40))
def test_agrees_with_networkx_on_random_networks(seed, n, extra):
    rng = np.random.default_rng(seed)
    net = random_network(rng, n, extra)
    cats = ["convenience_store", "wet_market", "supermarket"]
    xy = rng.uniform(0, 2000, size=(12, 2))
    pts = gpd.GeoSeries(shapely.points(xy), crs=CRS).to_crs(WGS84)
    amenities = gpd.GeoDataFrame(
        {
            "id": [f"a{i}" for i in range(12)],
            "name": [f"n{i}" for i in range(12)],
            "category": [cats[i % 3] for i in range(12)],
        },
        geometry=pts.values,
        crs=WGS84,
    )
    home_xy = rng.uniform(0, 2000, size=2)
    home = gpd.GeoSeries([shapely.Point(home_xy)], crs=CRS).to_crs(WGS84)
    communities = gpd.GeoDataFrame(
        {"id": ["h"], "name": ["h"], "population": [1]}, geometry=home.values, crs=WGS84
    )
    model = AccessModel.build(
        net, communities, amenities, categories=STD.ids, max_snap_distance_m=5000
    )
    finder = CircleFinder(model, STD)
    c = finder.from_lonlat(home.iloc[0].x, home.iloc[0].y)
    origin = snap_points(net, home, ids=["h"], max_distance_m=5000)
    for cat in cats:
        snap = snap_points(
            net, pts[amenities["category"] == cat], ids=["x"] * 4, max_distance_m=5000
        )
        expected = float(np.min(split_graph_distances(net, origin, snap)))
        got = c.amenity(cat).distance_m
        if expected <= finder.bound_m - 1e-6:
            assert got == pytest.approx(expected, rel=1e-7, abs=1e-6)
        elif expected > finder.bound_m + 1e-6:
            assert got == np.inf


def test_demo_minutes_equal_the_access_model_for_every_community():
    from gisplan.analysis import build_access, demo_dataset

    ds = demo_dataset()
    model = build_access(ds, STD)
    finder = CircleFinder(model, STD)
    snapped = model.communities["id"][model.community_snap.ok]
    for cid in snapped.iloc[::7]:  # every 7th community: ~50 searches
        c = finder.from_community(cid)
        expected = model.distances_m.loc[cid]
        for a in c.nearest:
            if expected[a.category] <= finder.bound_m:
                assert a.distance_m == pytest.approx(expected[a.category], rel=1e-9)
            else:
                assert a.distance_m == np.inf
        assert c.missing == [
            k for k in STD.required_ids if not expected[k] <= STD.threshold_metres(k) + 1e-6
        ]
