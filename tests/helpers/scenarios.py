"""Real siting runs on the demo data, saved as scenarios the way the 新店选址 page saves them."""

from __future__ import annotations

from collections.abc import Sequence


def demo_scenario(
    name: str,
    category: str,
    k: int,
    *,
    manual: Sequence[tuple[float, float]] = (),
    manual_name: str = "手动点",
    spacing_m: float = 150.0,
):
    """``(record, model, demo)``: a greedy run of ``k`` ``category`` sites on a grid of
    ``spacing_m`` metres plus hand-placed sites at ``manual`` (lon, lat), evaluated together
    (:func:`gisplan.siting.export.scenario_payload_with_manual`), recording the demo dataset."""
    from gisplan.analysis import build_access, demo_dataset
    from gisplan.catalogue import default_standard
    from gisplan.siting.candidates import make_candidates
    from gisplan.siting.export import scenario_payload_with_manual
    from gisplan.siting.plan import plan_sites
    from gisplan.store import ScenarioRecord

    demo = demo_dataset(cached=True)
    std = default_standard()
    model = build_access(demo, std)
    cands = make_candidates(model, "grid", spacing_m=spacing_m)
    res = plan_sites(model, std, category, k, cands, synthetic=True)
    params = {
        "category": category,
        "k": k,
        "objective": "population",
        "candidate_source": "grid",
        "spacing_m": spacing_m,
        "method": "greedy",
        "walking_speed_kmh": std.walking_speed_kmh,
        "threshold_min": std.threshold_minutes(category),
        "required": list(std.required_ids),
        "synthetic": True,
    }
    hand = [
        {"lon": x, "lat": y, "name": manual_name, "gain": 0.0, "category": category}
        for x, y in manual
    ]
    payload = scenario_payload_with_manual(
        model, std, category, hand, result=res, params=params, name=name
    )
    record = ScenarioRecord(**payload, dataset_name=demo.name, dataset_hash=demo.content_hash)
    return record, model, demo
