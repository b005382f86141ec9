"""The app on a prepared dataset (AppTest and Chromium): picker, figures, circles card.

A small prepared dataset is built in the test: the demo's network and layers, marked real
(not synthetic) and with a circles layer (a grid of squares); the figures the pages show are
checked against values computed here from the raw distances.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from gisplan.analysis import build_access, demo_dataset
from gisplan.app import state as app_state
from gisplan.catalogue import default_standard
from gisplan.crs import WGS84
from gisplan.dataset import write_dataset

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 240
NAME = "测试城市 Test city"


GRID = 6  # circles: a 6 x 6 grid over the communities' extent


def grid_circles(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GRID x GRID square circles covering the communities' extent (slightly widened)."""
    w, s, e, n = communities.total_bounds
    w, s, e, n = w - 1e-4, s - 1e-4, e + 1e-4, n + 1e-4
    xs, ys = np.linspace(w, e, GRID + 1), np.linspace(s, n, GRID + 1)
    cells = [
        (f"C{i}{j}", shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]))
        for i in range(GRID)
        for j in range(GRID)
    ]
    return gpd.GeoDataFrame(
        {
            "id": [c for c, _ in cells],
            "name": [f"社区{c}" for c, _ in cells],
            "level": "社区",
            "source": "user",
        },
        geometry=[g for _, g in cells],
        crs=WGS84,
    )


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    demo = demo_dataset(cached=True)
    ds = replace(
        demo,
        name=NAME,
        synthetic=False,
        circles=grid_circles(demo.communities),
        _content_hash="",
    )
    path = tmp_path_factory.mktemp("datasets") / "city.gpkg"
    write_dataset(ds, path)
    std = default_standard()
    # expected figures, from the raw distances (metres) and the standard's thresholds
    model = build_access(ds, std)
    d = model.distances_m.reindex(ds.communities["id"].to_numpy())
    met = {
        c: np.nan_to_num(d[c].to_numpy(), nan=np.inf) <= std.threshold_metres(c) + 1e-6
        for c in std.ids
    }
    complete = np.all([met[c] for c in std.required_ids], axis=0)
    pop = ds.communities["population"].to_numpy(dtype=float)
    circle = model.circle_of.reindex(ds.communities["id"].to_numpy()).to_numpy(dtype=object)
    n_complete = 0
    for cid in ds.circles["id"]:
        inside = circle == cid
        residents = pop[inside].sum()
        if (
            residents > 0
            and pop[inside & complete].sum() / residents >= std.circle_complete_share - 1e-9
        ):
            n_complete += 1
    expected = {
        "circles": f"{n_complete} / {GRID * GRID}",
        "n_complete": n_complete,
        "recycling": f"{float(np.mean(met['recycling'])):.1%}",
        "store": f"{float(pop[met['convenience_store']].sum() / pop.sum()):.1%}",
    }
    return path, ds, expected


@pytest.fixture
def on_dataset(prepared, monkeypatch, tmp_path):
    path, ds, expected = prepared
    monkeypatch.setenv("GISPLAN_DATASET", str(path))
    monkeypatch.setenv("GISPLAN_CACHE_DIR", str(tmp_path / "cache"))
    app_state._configured.clear()
    app_state._opened.clear()
    yield path, ds, expected
    app_state._configured.clear()
    app_state._opened.clear()


def _metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, (label, [m.label for m in at.metric])
    return found[0]


def test_plan_page_on_a_prepared_dataset_counts_its_complete_circles(on_dataset):
    _path, ds, expected = on_dataset
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # the configured dataset is the default choice; the demo is offered too
    picker = at.sidebar.selectbox(key="dataset_id")
    assert picker.value == ds.content_hash
    assert len(picker.options) == 2
    # real data: the cards are not set apart, the circle card counts complete circles
    assert not any("不是宁波的实际进展" in w.value for w in at.warning)
    assert _metric(at, "达标便民生活圈") == expected["circles"]
    assert _metric(at, "再生资源回收点覆盖率") == expected["recycling"]
    assert 0 < expected["n_complete"] < GRID * GRID  # a meaningful count
    assert any(f"共 {GRID * GRID} 个生活圈" in c.value for c in at.caption)
    # name and sources in the sidebar; no synthetic banner
    captions = [c.value for c in at.sidebar.caption] + [c.value for c in at.caption]
    assert any("测试城市" in c for c in captions)
    # the coverage page works on the same data
    at.switch_page("gisplan/app/pages/coverage.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "便利店 人口覆盖") == expected["store"]
    assert not any("合成" in w.value for w in at.warning)
    # switching to the demo: synthetic again, circles not available
    at.sidebar.selectbox(key="dataset_id").set_value("demo").run()
    at.switch_page("gisplan/app/pages/plan_map.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "达标便民生活圈（合成示例）") == "—"


@pytest.mark.browser
@pytest.mark.slow
def test_chromium_plan_and_coverage_pages_on_a_prepared_dataset(prepared, chromium, tmp_path):
    from tests.conftest import offline_context, run_streamlit
    from tests.helpers.browser import idle as _idle
    from tests.helpers.browser import metric_value as _metric_value

    path, _ds, expected = prepared
    env = {"GISPLAN_DATASET": str(path), "GISPLAN_CACHE_DIR": str(tmp_path / "cache")}
    with run_streamlit(env, "dataset-app") as url, offline_context(chromium, url) as page:
        page.goto(url)
        page.get_by_text("达标便民生活圈").first.wait_for(timeout=180_000)
        _idle(page, 180_000)
        assert _metric_value(page, "达标便民生活圈") == expected["circles"]
        assert page.get_by_text("不是宁波的实际进展").count() == 0
        page.goto(url + "coverage")
        page.get_by_text("便利店 人口覆盖").first.wait_for(timeout=180_000)
        _idle(page, 180_000)
        assert _metric_value(page, "便利店 人口覆盖") == expected["store"]
        assert page.offline.blocked == []
