"""Every page in one language, and the upload that says what it replaces, in headless Chromium
(issue 11 items 20 and 16).

A planner signs in, switches the language as a user does (the sidebar switch) and opens every
page; the text the page shows (main area, sidebar and the maps' own text: legend, labels,
attribution) is read back.  In English no Chinese may appear except names that come from data
(communities, amenities, districts, counties, the user's display name), the Chinese half of a
category's name (category names carry both languages, the session's first) and the language
switch itself.  In Chinese no English UI phrase may appear except Streamlit's own widget texts,
file-format and library names and the English half of category names.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import offline_context, run_streamlit
from tests.helpers.browser import idle, planner_account, server_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USER, PASSWORD, DISPLAY = "wang", "lang-pw-20", "王工"
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
PAGES = [
    ("商圈与步行街地图", "Business districts & pedestrian streets"),
    ("我的15分钟生活圈", "My 15-minute circle"),
    ("便民生活圈覆盖", "Convenience-circle coverage"),
    ("新店选址", "Site selection"),
    ("方案管理", "Scenarios"),
    ("数据上传", "Data upload"),
]
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]+")
#: Two or more English words in a row: a phrase of UI text, not a format or library name.
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z][a-z]+(?:[ -][A-Za-z][a-z]+)+\b")
#: Streamlit's own widget texts (the brief lets them stay) and names that are not UI text.
STREAMLIT_OWN = {
    "Drag and drop file here",
    "Browse files",
    "per file",
    "Limit",
    "Press Enter to apply",
}


@pytest.fixture(scope="module")
def server(app_cache_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("lang-db") / "plans.db"
    env = server_env(app_cache_dir, db, {USER: planner_account(PASSWORD, DISPLAY)})
    with run_streamlit(env, log_name="language") as url:
        yield url


@pytest.fixture()
def page(chromium, server):
    with offline_context(chromium, server) as p:
        p.set_viewport_size({"width": 1440, "height": 900})
        yield p


@pytest.fixture(scope="module")
def data_names() -> set[str]:
    """Chinese text that comes from data: names of communities, amenities, places, categories."""
    from gisplan.app.state import demo
    from gisplan.catalogue import default_standard
    from gisplan.io.embedded import load_business_districts, load_counties, load_pedestrian_streets

    ds = demo()
    names = {DISPLAY, "中文", "语言"}
    names |= set(ds.communities["name"].astype(str)) | set(ds.amenities["name"].astype(str))
    for layer in (load_counties(), load_business_districts(), load_pedestrian_streets()):
        for col in ("name_zh", "name"):
            if col in layer:
                names |= set(layer[col].astype(str))
    names |= {c.name_zh for c in default_standard().categories}
    return names


def _idle(page, timeout_ms: int = 120_000) -> None:
    idle(page, timeout_ms)


def _sign_in(page) -> None:
    page.goto(page.base_url + "coverage")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("用户名").wait_for(timeout=180_000)
    sidebar.get_by_label("用户名").fill(USER)
    sidebar.get_by_label("密码").fill(PASSWORD)
    sidebar.get_by_role("button", name="登录").click()
    sidebar.get_by_text(f"已登录：{DISPLAY}").wait_for(timeout=60_000)
    _idle(page)


def _to_english(page) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    page.locator('[data-testid="stSidebar"]').get_by_text("Signed in:").wait_for(timeout=60_000)
    _idle(page)


def _go(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    _idle(page)
    page.wait_for_timeout(1500)  # maps are drawn after the script run
    _idle(page)


def _shown_text(page, tries: int = 3) -> str:
    """What the user can read: main area, sidebar and the text inside each map.

    A map redrawn while it is read (its frame detached) is read again once the page is idle.
    """
    from playwright.sync_api import Error

    for attempt in range(tries):
        try:
            return _read_text(page)
        except Error:
            if attempt == tries - 1:
                raise
            page.wait_for_timeout(1500)
            _idle(page)
    raise AssertionError("unreachable")


def _read_text(page) -> str:
    parts = [
        page.locator('[data-testid="stMain"]').inner_text(),
        page.locator('[data-testid="stSidebar"]').inner_text(),
    ]
    for i in range(page.locator(MAP_IFRAME).count()):
        frame = page.locator(MAP_IFRAME).nth(i).element_handle().content_frame()
        frame.wait_for_selector(".leaflet-container", timeout=60_000)
        parts.append(frame.evaluate("() => document.body.innerText"))
    return "\n".join(parts)


def _chinese_outside_data(text: str, names: set[str]) -> list[str]:
    found = []
    for line in text.splitlines():
        for run in CJK.findall(line):
            if run.strip("（）、，。：；·") and not any(run in n for n in names):
                found.append(f"{run!r} in {line.strip()[:120]!r}")
    return found


def test_english_pages_show_no_chinese_outside_data(page, data_names):
    _sign_in(page)
    _to_english(page)
    leaks = {}
    for _zh, en in PAGES:
        _go(page, en)
        found = _chinese_outside_data(_shown_text(page), data_names)
        if found:
            leaks[en] = found
    # and a siting result: its table, figures and map
    _go(page, "Site selection")
    page.get_by_role("button", name="Run siting").click()
    page.get_by_text("Result: Supermarket").wait_for(timeout=180_000)
    _idle(page)
    found = _chinese_outside_data(_shown_text(page), data_names)
    if found:
        leaks["Site selection, after a run"] = found
    assert not leaks, leaks


def _english_phrases(text: str, allowed: set[str]) -> list[str]:
    found = []
    for line in text.splitlines():
        for phrase in ENGLISH_PHRASE.findall(line):
            if not any(phrase in a for a in allowed):
                found.append(f"{phrase!r} in {line.strip()[:120]!r}")
    return found


def test_chinese_pages_show_no_english_ui_phrases(page):
    from gisplan.catalogue import default_standard

    allowed = STREAMLIT_OWN | {c.name_en for c in default_standard().categories}
    allowed |= {"Language", "English"}
    _sign_in(page)
    leaks = {}
    for zh, _en in PAGES:
        _go(page, zh)
        found = _english_phrases(_shown_text(page), allowed)
        if found:
            leaks[zh] = found
    assert not leaks, leaks


def test_a_choice_is_kept_when_the_language_changes(page):
    """Option labels are in one language; keyed widgets keep the choice across the switch."""
    _sign_in(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("到某类设施的步行分钟", exact=True).click()
    _idle(page)
    _to_english(page)
    checked = sidebar.locator("label:has(input[type=radio]:checked)")
    texts = [checked.nth(i).inner_text() for i in range(checked.count())]
    assert "Minutes to a category" in texts, texts
    assert "Completeness" not in texts


def test_uploading_three_supermarkets_says_what_it_replaces_before_it_does(page, tmp_path):
    from gisplan.app.state import demo

    shops = demo().amenities
    shops = shops[shops["category"] == "supermarket"].head(3)
    path = Path(tmp_path) / "三家超市.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": f"新超市{i}", "category": "超市"},
                        "geometry": {"type": "Point", "coordinates": [p.x + 2e-4, p.y]},
                    }
                    for i, p in enumerate(shops.geometry)
                ],
            }
        ),
        encoding="utf-8",
    )
    _sign_in(page)
    _go(page, "数据上传")
    page.get_by_role("radiogroup", name="图层类型").get_by_text("设施（供给）").click()
    _idle(page)
    page.get_by_text("id（可选）、name、category").wait_for(timeout=60_000)  # the amenities schema
    page.locator("[data-testid=stMain] input[type=file]").set_input_files(str(path))
    page.get_by_text("三家超市.geojson").first.wait_for(timeout=60_000)  # the uploader lists it
    _idle(page)
    check = page.get_by_role("button", name="校验文件")
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some("
        "b => b.innerText.includes('校验文件') && !b.disabled)",
        timeout=60_000,
    )
    check.click()
    page.get_by_text("已校验：三家超市.geojson（3 个要素）").wait_for(timeout=120_000)
    _idle(page)
    main = page.locator('[data-testid="stMain"]')
    # what stays and what goes, before anything is replaced
    assert main.get_by_text("只替换文件中的类别（超市），其他类别保留").is_visible()
    assert "示例图层" in main.inner_text()  # the session still uses the sample layers
    table = main.locator('[data-testid="stDataFrame"]').last
    table.wait_for(timeout=30_000)
    page.get_by_role("button", name="确认使用").click()
    page.get_by_text("已读取 3 个要素，本会话将使用此图层。").wait_for(timeout=120_000)
    _idle(page)
    assert not page.get_by_role("button", name="确认使用").count()  # the check is done
    banner = main.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "设施（超市）为您上传的数据" in banner and "其他类别的设施" in banner, banner
    _go(page, "便民生活圈覆盖")
    cards = main.locator('[data-testid="stMetric"]')
    cards.first.wait_for(timeout=120_000)
    text = main.inner_text()
    assert "便利店 人口覆盖\n0.0%" not in text and "Infinity" not in text
