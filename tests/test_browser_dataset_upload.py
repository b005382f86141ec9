"""A planner uploads a prepared dataset in headless Chromium (issue 10).

The dataset is built in the test with the project's own ``gisplan prepare --demo`` (the
embedded synthetic data under a new name).  A signed-in planner uploads it on 数据上传; every
page then shows its name, and the coverage page's figure is the one computed in the test from
the same data.  A damaged copy (truncated) gets a clear error naming the file, and, with a
quota of one dataset per planner, a second upload says which older upload made room.
"""

from __future__ import annotations

import json

import pytest

from gisplan.i18n import t
from tests.conftest import offline_context, run_streamlit
from tests.helpers.browser import idle as _idle
from tests.helpers.browser import metric_value

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PLANNER, PASSWORD = "li", "pw-上传-9"
NAME_A, NAME_B = "上传测试城 A", "上传测试城 B"
# (title key, url path) of every page, visited in the same session through the sidebar
PAGES = [
    ("page.plan_map", "plan-map"),
    ("page.my_circle", "my-circle"),
    ("page.coverage", "coverage"),
    ("page.siting", "siting"),
    ("page.scenarios", "scenarios"),
    ("page.upload", "upload"),
]


def _prepare(tmp_path, name: str):
    """``gisplan prepare --demo --name NAME --out FILE`` (the CLI's own prepare path)."""
    from gisplan.cli import main

    out = tmp_path / f"{name.replace(' ', '_')}.gpkg"
    assert main(["prepare", "--demo", "--name", name, "--out", str(out), "--quiet"]) == 0
    return out


def _sign_in(page) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("用户名").wait_for(timeout=90_000)
    sidebar.get_by_label("用户名").fill(PLANNER)
    sidebar.get_by_label("密码").fill(PASSWORD)
    sidebar.get_by_role("button", name="登录").click()
    sidebar.get_by_text("已登录").wait_for(timeout=60_000)
    _idle(page)


def _upload(page, path) -> None:
    button = page.get_by_role("button", name=t("up.open_dataset", "zh"))
    if not button.is_visible():
        page.get_by_text(t("up.kind_dataset", "zh")).first.click()
        button.wait_for(timeout=60_000)  # the prepared-dataset uploader is shown
        _idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.locator('[data-testid="stFileChip"]').filter(has_text=path.name).wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # the uploader's own rerun starts ...
    _idle(page)  # ... and ends before the click
    button.click()
    page.wait_for_timeout(1500)
    _idle(page, 180_000)


_PICKED_JS = """() => {
    const box = [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stSelectbox"]')]
        .find(e => e.innerText.includes(LABEL));
    const input = box && box.querySelector('input');
    return input ? input.value : '';
}"""


def _picked(page) -> str:
    """The chosen dataset in the sidebar's picker (its name and tags), or "" without a picker."""
    return page.evaluate(_PICKED_JS.replace("LABEL", json.dumps(t("dataset", "zh"))))


def test_a_planner_uploads_a_prepared_dataset_and_every_page_shows_it(
    chromium, app_cache_dir, tmp_path
):
    from gisplan.analysis import build_access, demo_dataset
    from gisplan.catalogue import default_standard
    from gisplan.store import hash_password

    good_a = _prepare(tmp_path, NAME_A)
    # B: other content (a community fewer), so another file (the name is not in the hash)
    from dataclasses import replace

    from gisplan.dataset import write_dataset

    demo = demo_dataset()
    good_b = tmp_path / "b.gpkg"
    write_dataset(replace(demo, name=NAME_B, communities=demo.communities.iloc[1:]), good_b)
    damaged = tmp_path / "damaged_city.gpkg"
    data = good_a.read_bytes()
    damaged.write_bytes(data[: len(data) // 3])
    std = default_standard()
    expected = build_access(demo, std).coverage(std).population_coverage().iloc[0]

    users = {PLANNER: {"password_hash": hash_password(PASSWORD, rounds=4), "role": "planner"}}
    env = {
        "GISPLAN_CACHE_DIR": str(tmp_path / "cache"),  # uploads are kept in the cache folder
        "GISPLAN_USERS": json.dumps(users),
        "GISPLAN_USERS_FILE": "",
        "GISPLAN_DB": f"sqlite:///{tmp_path / 'plans.db'}",
        "GISPLAN_DATASET_QUOTA_USER_COUNT": "1",
    }
    with (
        run_streamlit(env, log_name="dataset-upload") as url,
        offline_context(chromium, url) as page,
    ):
        page.goto(url + "upload")
        _sign_in(page)
        page.locator('[data-testid="stFileUploader"]').wait_for(timeout=60_000)

        # A damaged file: one clear error naming it, no traceback, nothing offered.
        _upload(page, damaged)
        error = page.locator('[data-testid="stAlertContentError"]').first
        error.wait_for(timeout=120_000)
        text = error.inner_text()
        assert damaged.name in text, text
        assert "Traceback" not in page.content()
        assert NAME_A not in page.locator('[data-testid="stSidebar"]').inner_text()

        _upload(page, good_a)
        page.wait_for_function(
            _PICKED_JS.replace("LABEL", json.dumps(t("dataset", "zh")))
            .replace(
                "return input ? input.value : '';", "return input && input.value.includes(NAME);"
            )
            .replace("NAME", json.dumps(NAME_A)),
            timeout=180_000,
        )
        nav = page.locator('[data-testid="stSidebarNav"]')
        for title, slug in PAGES:
            nav.get_by_text(t(title, "zh"), exact=True).click()
            main = page.locator('[data-testid="stMain"]')
            main.locator("h1").filter(has_text=t(title, "zh")).first.wait_for(timeout=120_000)
            page.wait_for_timeout(1000)
            _idle(page, 180_000)
            picked = _picked(page)
            assert NAME_A in picked and t("dataset.uploaded_tag", "zh") in picked, (slug, picked)
            if slug in ("coverage", "siting"):  # the pages' own caption names it too
                main.get_by_text(f"{t('dataset', 'zh')}: {NAME_A}").first.wait_for(timeout=120_000)
            if slug == "coverage":  # and its figure is the one computed from the same data
                label = t("cov.population_covered", "zh")
                page.locator('[data-testid="stMetric"]').filter(has_text=label).first.wait_for(
                    timeout=120_000
                )
                assert metric_value(page, label) == f"{expected['complete']:.1%}"

        # A second upload with a quota of one dataset per planner: the first makes room.
        _upload(page, good_b)  # (the last page visited is 数据上传)
        warning = page.locator('[data-testid="stAlertContentWarning"]').filter(has_text=NAME_A)
        warning.first.wait_for(timeout=120_000)
        assert NAME_B in _picked(page)
        page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
        listed = page.locator('[role="listbox"]').first.inner_text()
        assert NAME_B in listed and NAME_A not in listed, listed
