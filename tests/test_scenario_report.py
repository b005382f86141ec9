"""A saved scenario as an official reads it: figures, the map's context and ``report.html``.

Real siting runs on the demo (3 supermarkets plus one hand-placed site); every figure shown is
checked against the stored results, the map's classes against the siting evaluation, and the
report is opened in headless Chromium (standalone: no request leaves the file; no table wider
than the page).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from gisplan.report.scenario import fmt, fmt_change, outcome_table, threshold_minutes
from gisplan.store import User

PLANNER = User("li", "planner", "李工")


@pytest.fixture(scope="module")
def run():
    from gisplan.catalogue import default_standard
    from tests.helpers.scenarios import demo_scenario

    rec, model, demo = demo_scenario(
        "报告<script>x</script>",
        "supermarket",
        3,
        manual=[(121.545, 29.872)],
        manual_name="<b>手动</b>",
    )
    return demo, model, default_standard(), rec


def test_units_and_rounding():
    assert fmt(453587.0, "people") == "453,587 人"
    assert fmt(453587.0, "people", "en") == "453,587 people"
    assert fmt(0.0020000000000000005 * 100, "pct") == "0.2%"
    assert fmt(666.667 / (4000 / 60), "min") == "10 分钟"
    assert fmt(None, "people") == fmt(float("nan"), "people") == "—"
    assert fmt(1, "sites", "en") == "1 site"
    assert fmt_change(55330.0, "people") == "+55,330 人"
    assert fmt_change(-2, "communities", "en") == "−2 communities"
    assert fmt_change(10.44, "pct") == "+10.4 个百分点"
    assert fmt_change(0.0, "people") == "0"
    # a threshold stored in metres is shown in minutes at the stored speed
    assert threshold_minutes({"threshold_m": 666.667, "walking_speed_kmh": 4.0}, None) == (
        pytest.approx(10.0, abs=1e-3)
    )


def test_outcomes_are_the_stored_figures_each_once(run):
    _demo, _model, _std, rec = run
    res = rec.results
    cat = res["categories"]["supermarket"]
    for lang in ("zh", "en"):
        table = outcome_table(res, rec.category, lang)
        assert not table.duplicated(["group", "metric"]).any()
        assert len(table) == 3  # covered people, their share, complete circles
        people = table.iloc[0]
        b, a = cat["covered_population_before"], cat["covered_population_after"]
        unit = "人" if lang == "zh" else "people"
        assert (people["before"], people["after"]) == (f"{b:,.0f} {unit}", f"{a:,.0f} {unit}")
        share = table.iloc[1]
        assert share["after"] == f"{100 * a / cat['population_total']:.1f}%"


def test_map_context_classes_agree_with_the_siting_evaluation(run):
    from gisplan.report.scenario_map import scenario_context

    demo, model, _std, rec = run
    ctx = scenario_context(rec, model, water=demo.extras.get("rivers"))
    counts = ctx.counts()
    # the evaluation of all four sites together (scenario_payload_with_manual)
    assert counts["newly"] == rec.results["newly_served_communities"]
    # served before = met before under the scenario's standard (coverage, computed apart)
    assert counts["served"] == int(np.sum(model.coverage(_std_of(rec)).table["met_supermarket"]))
    pop = ctx.communities.set_index("id")["population"]
    newly = ctx.communities.loc[ctx.communities["state"] == "newly", "id"]
    assert pop.loc[newly].sum() == pytest.approx(rec.results["newly_served_population"])
    # every site has lon/lat; the service area holds every open site
    assert ctx.sites[["lon", "lat"]].notna().all().all()
    area = ctx.service_area.iloc[0]
    assert all(area.contains(p) or area.distance(p) < 5e-4 for p in ctx.sites.geometry)
    assert ctx.boundaries is not None and len(ctx.boundaries) == 10
    assert ctx.network is not None and len(ctx.network) == len(model.network.edge_u)


def _std_of(rec):
    from gisplan.report.scenario_map import scenario_standard

    return scenario_standard(rec.params, rec.category)


def _report(run, lang: str, tmp_path, *, with_context: bool = True):
    from gisplan.report.scenario_html import report_writer
    from gisplan.report.scenario_map import scenario_context
    from gisplan.store import ScenarioStore, engine_from_env, export_scenario

    demo, model, _std, rec = run
    store = ScenarioStore(engine_from_env(f"sqlite:///{tmp_path / 'r.db'}"))
    store.save(PLANNER, rec, overwrite=True)
    context = (
        (lambda r: scenario_context(r, model, water=demo.extras.get("rivers")))
        if with_context
        else None
    )
    paths = export_scenario(
        PLANNER, store, rec.name, tmp_path / lang, report=report_writer(context, lang=lang)
    )
    return paths["report.html"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_is_a_standalone_document_outcomes_first(run, lang, tmp_path):
    html = _report(run, lang, tmp_path).read_text(encoding="utf-8")
    rec = run[3]
    # standalone: no scripts, nothing fetched; the map is an embedded picture
    assert "<script" not in html.lower().replace("&lt;script&gt;", "")
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert html.count('src="data:image/png;base64,') == 1
    # the user's name is text
    assert "报告&lt;script&gt;x&lt;/script&gt;" in html and "<b>手动</b>" not in html
    # key outcomes, then the map, then the tables
    heads = re.findall(r"<h2>(.*?)</h2>", html)
    outcomes, the_map = ("主要结果", "地图") if lang == "zh" else ("Key outcomes", "Map")
    assert heads[:2] == [outcomes, the_map]
    newly = rec.results["newly_served_population"]
    assert f"{newly:,.0f} {'人' if lang == 'zh' else 'people'}" in html.split(f"<h2>{the_map}")[0]
    # minutes, rounded figures with units; no ids, no None, no float noise
    assert ("15 分钟" if lang == "zh" else "15 min") in html
    text = re.sub(r"<[^>]+>|data:image/png;base64,[A-Za-z0-9+/=]+", " ", html)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)
    assert not re.search(r"\bNone\b|\bnan\b", text)
    # coordinates have 6 decimals (about 0.1 m); every other number at most 2
    assert not re.search(r"\d\.\d{3,}", re.sub(r"\b(121|29)\.\d{6}\b", " ", text))
    # the synthetic label
    assert "示例数据（合成）" in html


def test_report_without_the_data_still_has_a_map_of_the_sites(run, tmp_path):
    html = _report(run, "zh", tmp_path, with_context=False).read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 1
    assert "社区与步行范围需要方案所用的数据" in html


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 1440])
def test_report_fits_the_page_and_loads_nothing_in_chromium(chromium, run, tmp_path, width):
    path = _report(run, "en", tmp_path)
    context = chromium.new_context(viewport={"width": width, "height": 900})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    try:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth,"
            " Math.max(...[...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right))]"
        )
        assert widths[0] <= width and widths[1] <= width, widths
        img = page.locator("figure img")
        box = img.bounding_box()
        assert box["width"] > 500 and img.evaluate("i => i.naturalWidth") > 500
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
    finally:
        context.close()
