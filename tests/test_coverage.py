"""Coverage, completeness, population weighting and the gap list on a hand-built street."""

from __future__ import annotations

import numpy as np
import pytest

from gisplan.catalogue import default_standard
from gisplan.errors import InputError
from tests.helpers.street import street_model


def test_minutes_and_met_flags_hand_computed():
    std = default_standard()
    model = street_model(std)
    res = model.coverage(std)
    t = res.table.set_index("id")
    mpm = 4000 / 60
    # A: 20 m off-network; convenience store 100 m along -> 120 m.
    assert t.loc["A", "minutes_convenience_store"] == pytest.approx(120 / mpm, abs=0.01)
    assert t.loc["A", "minutes_wet_market"] == pytest.approx(620 / mpm, abs=0.01)  # 9.3 min
    assert t.loc["A", "minutes_supermarket"] == pytest.approx(1220 / mpm, abs=0.01)  # 18.3 min
    assert bool(t.loc["A", "met_convenience_store"]) and bool(t.loc["A", "met_wet_market"])
    assert not t.loc["A", "met_supermarket"]
    # B at x=600: store 400 m = 6 min (> 5), market 100 m, supermarket 700 m = 10.5 min.
    assert not t.loc["B", "met_convenience_store"]
    assert t.loc["B", "completeness"] == pytest.approx(2 / 3)
    # No category without amenities is reachable: breakfast -> inf minutes.
    assert np.isinf(t.loc["A", "minutes_breakfast"])
    # D could not be snapped: reported, counted as not served, minutes NaN.
    assert res.unsnapped_communities == ["D"]
    assert not t.loc["D", "snapped"] and np.isnan(t.loc["D", "minutes_convenience_store"])
    assert res.communities_complete == 0


def test_thresholds_and_speed_change_without_new_search():
    std = default_standard()
    model = street_model(std)
    before = model.distances_m.copy()
    looser = std.with_overrides(thresholds={"supermarket": 20, "convenience_store": 7})
    res = model.coverage(looser)
    pd_equal = (model.distances_m.fillna(-1) == before.fillna(-1)).all().all()
    assert pd_equal  # nothing recomputed
    t = res.table.set_index("id")
    assert bool(t.loc["A", "complete"])  # 18.3 <= 20
    assert bool(t.loc["B", "complete"])  # 6 <= 7, 10.5 <= 20
    assert res.communities_complete == 2
    faster = std.with_overrides(walking_speed_kmh=8.0)
    t8 = model.coverage(faster).table.set_index("id")
    t4 = model.coverage(std).table.set_index("id")
    assert t8.loc["A", "minutes_supermarket"] == pytest.approx(
        t4.loc["A", "minutes_supermarket"] / 2, abs=0.01
    )


def test_population_weighting_groups_and_gaps():
    std = default_standard().with_overrides(required=["convenience_store", "wet_market"])
    res = street_model(std).coverage(std)
    overall = res.population_coverage().iloc[0]
    total = 1000 + 2000 + 3000 + 500
    # convenience store met by A only (C at x=2000 is 1810 m away).
    assert overall["convenience_store"] == pytest.approx(1000 / total)
    assert overall["wet_market"] == pytest.approx((1000 + 2000) / total)
    assert overall["complete"] == pytest.approx(1000 / total)
    by = res.population_coverage(by="county")
    assert by.loc["海曙区", "convenience_store"] == pytest.approx(1000 / 3000)
    assert by.loc["江北区", "wet_market"] == 0
    gaps = res.gaps()
    assert list(gaps["id"]) == ["C", "B", "D"]  # by population, descending
    assert gaps.set_index("id").loc["C", "missing"] == "convenience_store,wet_market"
    assert gaps.set_index("id").loc["B", "missing_zh"] == "便利店"
    s = res.summary()
    assert s["communities_complete"] == 1 and s["circle_target"] == 50
    assert s["by_group"]["county"]["江北区"]["population"] == 3500


def test_unknown_category_and_bad_speed_are_clear_errors():
    std = default_standard()
    with pytest.raises(InputError, match="unknown category 'grocery'"):
        std.with_overrides(thresholds={"grocery": 5})
    with pytest.raises(InputError, match="walking speed"):
        std.with_overrides(walking_speed_kmh=0)
    with pytest.raises(InputError, match="threshold"):
        std.with_overrides(thresholds={"wet_market": -1})
