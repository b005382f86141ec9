"""Service circles: residents, shares and completeness, hand-computed on a straight street."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gisplan.access.circles import assign_circles
from gisplan.access.coverage import AccessModel
from gisplan.catalogue import default_standard
from gisplan.errors import InputError
from tests.helpers.networks import CRS
from tests.helpers.street import street_layers

# default speed 4 km/h = 66.67 m/min.  With the looser standard below (convenience store
# 7 min = 466.7 m, wet market 10 min = 666.7 m, supermarket 20 min = 1333.3 m), walking
# distances on the street of tests/test_coverage.py are:
#   A (pop 1000): store 120 m, market 620 m, supermarket 1220 m  -> complete
#   B (pop 2000): store 400 m, market 100 m, supermarket 700 m   -> complete
#   C (pop 3000): store 1810 m, market 1310 m, supermarket 710 m -> only the supermarket
#   D (pop  500): 5 km off the street, unsnapped                 -> not served
LOOSER = default_standard().with_overrides(thresholds={"supermarket": 20, "convenience_store": 7})


def _circles(boxes: dict[str, tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": list(boxes), "name": [f"{k}社区" for k in boxes], "level": "社区"},
        geometry=[shapely.box(*b) for b in boxes.values()],
        crs=CRS,
    )


def circles_model(circles):
    net, comm, amen = street_layers()
    return AccessModel.build(
        net, comm, amen, categories=LOOSER.ids, max_snap_distance_m=300, circles=circles
    )


def test_circles_hand_computed():
    circles = _circles(
        {
            "W": (0, -100, 1000, 100),  # A, B
            "E": (1000, -100, 3000, 100),  # C
            "N": (2500, 4000, 3500, 6000),  # D (unsnapped)
            "empty": (8000, 0, 9000, 100),  # nobody
        }
    )
    res = circles_model(circles).coverage(LOOSER)
    cc = res.circle_coverage()
    t = cc.table.set_index("id")
    assert list(cc.table["id"]) == ["W", "E", "N", "empty"]
    assert t["residents"].to_dict() == {"W": 3000, "E": 3000, "N": 500, "empty": 0}
    assert t["communities"].to_dict() == {"W": 2, "E": 1, "N": 1, "empty": 0}
    assert t.loc["W", "share_complete"] == pytest.approx(1.0)
    assert t.loc["E", "share_complete"] == pytest.approx(0.0)
    assert t.loc["E", "share_supermarket"] == pytest.approx(1.0)
    assert t.loc["E", "missing"] == "convenience_store,wet_market"
    assert t.loc["N", "missing"] == "convenience_store,wet_market,supermarket"
    assert np.isnan(t.loc["empty", "share_complete"]) and t.loc["empty", "missing"] == ""
    assert t["complete"].to_dict() == {"W": True, "E": False, "N": False, "empty": False}
    assert res.circles_complete == cc.complete_count == 1
    assert cc.residents_outside == 0 and cc.level == 0.8
    s = res.summary()
    assert s["circles"] == {
        "available": True,
        "total": 4,
        "complete": 1,
        "level": 0.8,
        "residents_outside_circles": 0,
    }
    assert s["circle_target_met"] is False  # 1 < 50


def test_completeness_level():
    # one circle holding A, B and C: 3000 of 6000 residents are served -> share 0.5
    circles = _circles({"X": (0, -100, 2500, 100)})
    res = circles_model(circles).coverage(LOOSER)
    t = res.circle_coverage().table.set_index("id")
    assert t.loc["X", "residents"] == 6000
    assert t.loc["X", "share_complete"] == pytest.approx(0.5)
    assert t.loc["X", "share_convenience_store"] == pytest.approx(0.5)  # A, B
    assert t.loc["X", "share_wet_market"] == pytest.approx(0.5)  # A, B
    assert t.loc["X", "missing"] == "convenience_store,wet_market"
    assert not t.loc["X", "complete"]  # 0.5 < 0.8
    assert res.circle_coverage(level=0.5).complete_count == 1
    assert res.circle_coverage(level=0.51).complete_count == 0
    half = LOOSER.with_overrides(circle_complete_share=0.5)
    assert circles_model(circles).coverage(half).circles_complete == 1
    cc = res.circle_coverage()
    assert cc.residents_outside == 500 and cc.communities_outside == 1  # D lies outside X


def test_no_circles_layer_means_not_available():
    res = circles_model(None).coverage(LOOSER)
    assert res.circle_coverage() is None
    assert res.circles_complete is None  # never the count of complete 小区
    assert res.communities_complete == 2
    s = res.summary()
    assert s["circles"]["available"] is False and s["circles"]["complete"] is None
    assert s["circle_target_met"] is None


def test_level_must_be_a_share():
    with pytest.raises(InputError, match="circle completeness level"):
        default_standard().with_overrides(circle_complete_share=1.5)


def test_assign_circles_first_in_layer_order_wins():
    comm = gpd.GeoDataFrame(
        {"id": ["in_both", "only_b", "outside"]},
        geometry=shapely.points([(5, 5), (15, 5), (50, 50)]),
        crs=CRS,
    )
    a_first = _circles({"a": (0, 0, 10, 10), "b": (0, 0, 20, 10)})
    assert assign_circles(comm, a_first).to_dict() == {
        "in_both": "a",
        "only_b": "b",
        "outside": None,
    }
    b_first = _circles({"b": (0, 0, 20, 10), "a": (0, 0, 10, 10)})
    assert assign_circles(comm, b_first)["in_both"] == "b"
