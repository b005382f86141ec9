"""After-state of a siting run (for the result map): checked against the model's own what-if."""

from __future__ import annotations

import numpy as np

from gisplan.siting import grid_candidates, plan_sites, what_if
from gisplan.siting.after import chosen_service_area, coverage_after, newly_served
from tests.helpers.cities import build_model, small_city


def test_after_state_of_one_site_matches_what_if():
    counts = {"convenience_store": 8, "wet_market": 3, "supermarket": 3}
    net, comm, amen, std = small_city(3, n_comm=70, amen_counts=counts)
    model = build_model(net, comm, amen, std)
    cands = grid_candidates(net, spacing_m=60)
    res = plan_sites(model, std, "convenience_store", 1, cands, synthetic=False)
    before = model.coverage(std)
    after = coverage_after(model, std, res)
    served = newly_served(before, after, "convenience_store")
    site = res.sites.iloc[0]
    wi = what_if(model, std, "convenience_store", site["lon"], site["lat"])
    ids = before.table["id"].to_numpy()
    assert served.sum() > 0
    assert sorted(ids[served]) == sorted(wi.newly_served_ids)
    assert served.sum() == res.evaluation["newly_served_communities"]
    pop = before.table["population"].to_numpy()
    assert pop[served].sum() == res.evaluation["newly_served_population"]
    # nothing gets worse, and the other categories are untouched
    a = after.table.set_index("id")
    b = before.table.set_index("id")
    assert (
        a["minutes_convenience_store"].fillna(-1) <= b["minutes_convenience_store"].fillna(-1)
    ).all()
    assert a["minutes_wet_market"].equals(b["minutes_wet_market"])
    area = chosen_service_area(model, std, res)
    assert len(area) == 1 and not area.iloc[0].is_empty
    assert np.isfinite(area.total_bounds).all()
