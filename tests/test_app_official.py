"""新店选址's officials' modes through AppTest: area plan and closures equal the API.

The expected figures come from :func:`gisplan.siting.joint.plan_joint` and
:func:`gisplan.siting.closure.close_amenities` run here on the page's own cached model.
"""

from __future__ import annotations

import json

from gisplan.catalogue import default_standard
from gisplan.i18n import t
from gisplan.siting import grid_candidates
from gisplan.siting.area import county_area
from gisplan.siting.closure import close_amenities
from gisplan.siting.joint import plan_joint
from tests.helpers.app import PAGES, PASSWORD, sign_in
from tests.helpers.app import open_page as helpers_open_page


def open_page(path=PAGES / "siting.py"):
    return helpers_open_page(path)


def _mode(at, label: str):
    radio = next(r for r in at.sidebar.radio if r.key == "siting_mode")
    radio.set_value(label).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _choose_county(at, name: str):
    """Pick the planning area ``name`` (a county) in the sidebar."""
    next(r for r in at.sidebar.radio if r.key == "plan_area_kind").set_value("county").run()
    next(s for s in at.sidebar.selectbox if s.key == "plan_area_county").set_value(name).run()
    return at


def metric(at, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, [m.label for m in at.metric]
    return found[0]


def test_area_plan_equals_api(users, model):
    at = sign_in(open_page(), "zhang", PASSWORD)
    _mode(at, "plan")
    _choose_county(at, "海曙区")
    next(b for b in at.button if b.key == "plan_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    std = default_standard()
    area = county_area("海曙区")
    res = plan_joint(
        model,
        std,
        {"wet_market": 1, "supermarket": 1},
        grid_candidates(model.network, 100.0),
        area=area,
    )
    s = res.summary()["area"]["area"]
    shown = metric(at, "达标社区（之前 → 之后）")
    assert shown == f"{s['complete_circles_before']} → {s['complete_circles_after']}"
    table = next(d.value for d in at.dataframe if "业态" in d.value.columns)
    assert list(table["id"]) == list(res.sites["id"])
    assert any("海曙区" in h.value for h in at.subheader)


def test_a_plan_that_cannot_complete_circles_is_said_in_chinese(users, model):
    """Pharmacies (not a required category) cannot make a circle complete: the page says so
    in Chinese, in its own terms (its objective's label), not the API's English."""
    at = sign_in(open_page(), "zhang", PASSWORD)
    _mode(at, "plan")
    _choose_county(at, "海曙区")
    at.number_input(key="plan_n_pharmacy").set_value(1).run()
    next(b for b in at.button if b.key == "plan_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert errors[0].startswith("药店不是生活圈必备业态"), errors
    assert "各业态新增服务人口（加权）" in errors[0]
    assert "required" not in errors[0] and "--" not in errors[0]


def test_siting_a_format_outside_the_standard_to_complete_circles_is_said_in_chinese(users):
    """The 新店选址 page: pharmacies with the complete-circle objective cannot work; the page
    says why and names its own objective choice (not --objective)."""
    at = sign_in(open_page(), "zhang", PASSWORD)
    next(s for s in at.sidebar.selectbox if s.key == "siting_category").set_value("pharmacy").run()
    next(r for r in at.sidebar.radio if r.key == "siting_objective").set_value("complete").run()
    next(b for b in at.button if b.key == "siting_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert errors[0].startswith("药店不是生活圈必备业态，新址不能让生活圈变完整"), errors
    assert "“新增服务人口”" in errors[0] and "--" not in errors[0]


def test_closure_pick_equals_api(users, model):
    at = sign_in(open_page(), "zhang", PASSWORD)
    _mode(at, "closure")
    amen = model.amenities
    market = str(amen.loc[amen["category"] == "wet_market", "id"].iloc[3])
    pick = next(m for m in at.multiselect if m.key == "closure_pick")
    pick.set_value([market]).run()
    assert not at.exception, [e.value for e in at.exception]
    api = close_amenities(model, default_standard(), [market]).summary()
    assert metric(at, "失去覆盖的人口") == f"{api['people_losing']:,}"
    assert metric(at, "失去覆盖的社区") == f"{api['communities_losing']:,}"


def test_area_plan_report_names_the_area(model):
    """The downloadable report (offline HTML map) names the area and works without internet."""
    from gisplan.analysis import demo_dataset
    from gisplan.app.official_views import plan_map
    from gisplan.maps import standalone_html
    from gisplan.maps.assets import external_urls
    from gisplan.maps.basemaps import get_basemap

    area = county_area("海曙区")
    res = plan_joint(
        model,
        default_standard(),
        {"wet_market": 1},
        grid_candidates(model.network, 150.0),
        area=area,
    )
    m = plan_map(
        res,
        model=model,
        standard=default_standard(),
        basemap=get_basemap("none"),
        dataset=demo_dataset(cached=True),
        lang="zh",
    )
    html = standalone_html(m, title=f"区域方案：{area.name}")
    assert f"区域方案：{area.name}" in html
    a = res.summary()["area"]["area"]
    note = f"达标社区 {a['complete_circles_before']} → {a['complete_circles_after']}"
    assert json.dumps(note)[1:-1] in html  # in the legend (inside the map's script)
    assert json.dumps(f"区域方案：{area.name}")[1:-1] in html
    assert external_urls(html) == []


def test_area_what_if_equals_api(users, model):
    at = sign_in(open_page(), "zhang", PASSWORD)
    _mode(at, "plan")
    _choose_county(at, "海曙区")
    lon = next(n for n in at.number_input if n.key == "plan_wi_lon").value
    lat = next(n for n in at.number_input if n.key == "plan_wi_lat").value
    next(b for b in at.button if b.key == "plan_wi_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    from gisplan.siting import what_if

    wi = what_if(model, default_standard(), "wet_market", lon, lat, area=county_area("海曙区"))
    assert metric(at, "区内新增服务人口") == f"{wi.area['newly_served_population_inside']:,}"
    assert metric(at, "区外新增服务人口") == f"{wi.area['newly_served_population_outside']:,}"


def test_closure_scenario_opens_on_the_scenarios_page(users, model):
    """A saved closure scenario shows on 方案管理 with its closed amenity and before/after."""
    from gisplan.siting.export import closure_scenario_payload
    from gisplan.store import ScenarioRecord, ScenarioStore, User, engine_from_env

    amen = model.amenities
    market = str(amen.loc[amen["category"] == "wet_market", "id"].iloc[3])
    res = close_amenities(model, default_standard(), [market])
    store = ScenarioStore(engine_from_env(users))
    store.save(
        User("zhang", "planner"), ScenarioRecord(**closure_scenario_payload(res, name="拆迁"))
    )
    at = sign_in(open_page(PAGES / "scenarios.py"), "zhang", PASSWORD)
    assert not at.exception, [e.value for e in at.exception]
    table = next(
        d.value for d in at.dataframe if "before" in d.value.columns or "之前" in d.value.columns
    )
    assert len(table)


def test_one_area_for_every_mode_and_one_format_takes_it(users, model):
    """The area chosen in one mode stays when switching modes; the one-format siting then
    equals plan_sites within it (candidates inside, the area's figures shown)."""
    from gisplan.siting import make_candidates, plan_sites

    at = sign_in(open_page(), "zhang", PASSWORD)
    _mode(at, "closure")
    _choose_county(at, "海曙区")
    _mode(at, "single")
    kind = next(r for r in at.sidebar.radio if r.key == "plan_area_kind")
    assert kind.value == "county"
    assert next(s for s in at.sidebar.selectbox if s.key == "plan_area_county").value == "海曙区"
    next(b for b in at.button if b.key == "siting_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    std = default_standard()
    area = county_area("海曙区")
    res = plan_sites(
        model,
        std,
        "supermarket",
        3,
        make_candidates(model, "grid", spacing_m=100.0, area=area),
        area=area,
    )
    s = res.summary()
    assert area.contains(res.sites).all()
    assert metric(at, "新增服务人口") == f"{s['newly_served_population']:,.0f}"
    inside = s["area"]["area"]
    shown = [m.value for m in at.metric if m.label == "达标社区（之前 → 之后）"]
    assert shown == [  # the whole dataset's figure, then the area's
        f"{s['communities_complete_before']} → {s['communities_complete_after']}",
        f"{inside['complete_circles_before']} → {inside['complete_circles_after']}",
    ]
    table = next(d.value for d in at.dataframe if "id" in d.value.columns)
    assert list(table["id"]) == list(res.sites["id"])


def _click(at, lon: float, lat: float):
    """A click on the drawing map, as streamlit-folium hands it to the page (its state)."""
    at.session_state["plan_area_draw_map"] = {"last_clicked": {"lng": lon, "lat": lat}}
    return at.run()


def test_drawing_the_area_undo_clear_finish(users, model):
    """The drawing panel's state: clicks add corners, a crossing is named and refused, undo
    fixes it, finish gives the area (shown in km², used by the siting), clear starts over."""
    from gisplan.siting.area import drawn_area

    at = sign_in(open_page(), "zhang", PASSWORD)
    next(r for r in at.sidebar.radio if r.key == "plan_area_kind").set_value("draw").run()
    assert not at.exception, [e.value for e in at.exception]
    run = next(b for b in at.button if b.key == "siting_run")
    assert run.disabled  # nothing runs on an unfinished drawing
    assert next(b for b in at.button if b.key == "plan_area_draw_finish").disabled
    x0, y0 = model.communities.geometry.union_all().centroid.coords[0]
    d = 0.01
    square = [(x0 - d, y0 - d), (x0 + d, y0 - d), (x0 + d, y0 + d), (x0 - d, y0 + d)]
    for lon, lat in [square[0], square[1], square[3], square[2]]:  # a bow tie
        _click(at, lon, lat)
    assert any("已放置 4 个角点" in m.value for m in at.markdown)
    next(b for b in at.button if b.key == "plan_area_draw_finish").click().run()
    errors = [e.value for e in at.error]
    assert any("角点 2–3 之间的边与角点 4–1 之间的边相交" in e for e in errors), errors
    assert next(b for b in at.button if b.key == "siting_run").disabled
    # undo the last two corners, click the other two in order (a little off the first
    # clicks: streamlit-folium sends the same click only once)
    next(b for b in at.button if b.key == "plan_area_draw_undo").click().run()
    next(b for b in at.button if b.key == "plan_area_draw_undo").click().run()
    square[2:] = [(x0 + d, y0 + d + 1e-4), (x0 - d, y0 + d + 1e-4)]
    _click(at, *square[2])
    _click(at, *square[3])
    next(b for b in at.button if b.key == "plan_area_draw_finish").click().run()
    assert not at.error, [e.value for e in at.error]
    expected = drawn_area([(round(x, 6), round(y, 6)) for x, y in square])
    assert metric(at, "范围面积") == f"{expected.area_km2:,.2f} 平方公里"
    assert not next(b for b in at.button if b.key == "siting_run").disabled
    # a click after finishing changes nothing
    _click(at, x0 + 2 * d, y0)
    assert any("已放置 4 个角点" in m.value for m in at.markdown)
    next(b for b in at.button if b.key == "plan_area_draw_clear").click().run()
    assert any("已放置 0 个角点" in m.value for m in at.markdown)
    assert next(b for b in at.button if b.key == "siting_run").disabled


def test_exact_method_asks_for_its_time_limit_in_both_siting_modes(users):
    """Single-category and area-plan modes share the method control: the time limit (s) is
    asked for only with the exact solver, under each mode's own widget keys."""
    at = sign_in(open_page(), "zhang", PASSWORD)
    for mode, method_key, limit_key in (
        ("single", "siting_method", "siting_tl"),
        ("plan", "plan_method", "plan_tl"),
    ):
        _mode(at, mode)
        assert limit_key not in {n.key for n in at.sidebar.number_input}
        method = next(r for r in at.sidebar.radio if r.key == method_key)
        assert method.options == [t("site.greedy_fast", "zh"), t("site.exact_highs_milp", "zh")]
        method.set_value("exact").run()
        assert not at.exception, [e.value for e in at.exception]
        limit = next(n for n in at.sidebar.number_input if n.key == limit_key)
        assert limit.value == 60
