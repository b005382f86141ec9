"""Errors and warnings as app users read them (issue 11 item 8).

Bad files go through the real upload worker (``read_upload``) and the scenario store; the
app's renderer (:mod:`gisplan.app.messages`) must give the problem in the session's language,
name the file as the user uploaded it, never a server path, and no API-speak
(``overwrite=True``, ``crs=``, ``lon=``).  The last tests do the same through the upload page
(AppTest) in both languages.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gisplan.app.auth import SESSION_KEY
from gisplan.app.messages import error_text, notice_text
from gisplan.errors import InputError
from gisplan.i18n import t
from gisplan.io.upload import read_upload
from gisplan.store import ScenarioRecord, ScenarioStore, User, engine_from_env
from gisplan.store.auth import NotAuthor, PermissionDenied
from tests.helpers.gpkg import sql_edit as _sql

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
API_SPEAK = re.compile(r"overwrite=|crs=|lon=|lat=|encoding=|layer=|--[a-z]|GISPLAN_")
TEMP = re.compile(re.escape(tempfile.gettempdir()) + r"|/tmp/|gisplan-upload-")

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _fc(features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _point(props: dict, lon: float = 121.55, lat: float = 29.87) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


#: (file name the user uploads, bytes, reader kind, the key whose text must be shown)
BAD_FILES = [
    ("photo.geojson", PNG, "amenities", "err.upload.not_format"),
    ("photo.csv", PNG, "amenities", "err.csv.encoding"),
    (
        "broken.geojson",
        b'{"type": "FeatureCollection", "features": [',
        "communities",
        "err.json.malformed",
    ),
    ("empty.geojson", _fc([]), "communities", "err.layer.empty"),
    (
        "shops.csv",
        "名字,类别,X,Y\n甲,supermarket,121.55,29.87\n".encode(),
        "amenities",
        "err.csv.no_lon",
    ),
    ("nopop.geojson", _fc([_point({"name": "a"})]), "communities", "err.layer.missing_population"),
    ("nocat.geojson", _fc([_point({"name": "a"})]), "amenities", "err.layer.missing_column"),
    (
        "cats.geojson",
        _fc([_point({"name": "a", "category": "spaceport"})]),
        "amenities",
        "err.layer.unknown_category",
    ),
    (
        "swapped.geojson",
        _fc([_point({"name": "a", "population": 10}, 29.87, 121.55)]),
        "communities",
        "err.coords.swapped",
    ),
    ("notes.txt.doc", b"hello", "amenities", "err.upload.unsupported_type"),
]


@pytest.fixture(scope="module")
def errors() -> dict[str, InputError]:
    """The worker's error for each bad file (read once)."""
    out = {}
    for name, data, kind, _ in BAD_FILES:
        with pytest.raises(InputError) as info:
            read_upload(data, name, kind)
        out[name] = info.value
    return out


def _clean(text: str) -> None:
    assert not TEMP.search(text), text
    assert not API_SPEAK.search(text), text
    assert "Traceback" not in text


def _english(text: str, exc: InputError) -> None:
    """No Chinese in an English text, except the user's own data (column names, values)."""
    rest = text
    for v in exc.params.values():
        for part in v if isinstance(v, list) else [v]:
            rest = rest.replace(str(part), "")
    assert not CJK.search(rest), text


@pytest.mark.parametrize(("name", "data", "kind", "key"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_upload_errors_in_the_users_language_and_terms(errors, name, data, kind, key):
    exc = errors[name]
    assert exc.code == key.removeprefix("err.")
    zh = error_text(exc, lang="zh")
    en = error_text(exc, lang="en")
    assert zh.startswith(f"文件 {name}") and en.startswith(f"File {name}")
    # the key's own words (before its first placeholder) are in the text, in each language
    assert t(key, "zh").split("{")[0] in zh
    assert t(key, "en").split("{")[0] in en
    assert CJK.search(zh.replace(name, ""))
    _english(en, exc)
    for text in (zh, en):
        _clean(text)


def test_a_picture_renamed_geojson_says_so_in_both_languages(errors):
    exc = errors["photo.geojson"]
    assert error_text(exc, lang="zh").startswith(
        "文件 photo.geojson：文件内容不是 GeoJSON 格式，但文件名以 .geojson 结尾。"
    )
    assert "The content is not a GeoJSON file" in error_text(exc, lang="en")


def test_a_row_is_named_as_the_user_counts_it(errors):
    # vector layers: feature index as GIS software shows it; the message names the column
    zh = error_text(errors["cats.geojson"], lang="zh")
    assert zh.startswith("文件 cats.geojson，要素 0：“category”列有无法识别的类别")
    csv = b"name,population,lon,lat\nA,10,121.55,29.87\nB,lots,121.56,29.88\nC,x,121.5,29.8\n"
    with pytest.raises(InputError) as info:
        read_upload(csv, "小区.csv", "communities")
    assert error_text(info.value, lang="zh").startswith("文件 小区.csv，第 2、3 行：")
    assert error_text(info.value, lang="en").startswith("File 小区.csv, rows 2, 3: ")


def test_a_csv_without_coordinate_system_points_at_the_dropdown_not_crs():
    csv = "name,category,lon,lat\n甲,supermarket,121.5521,29.8741\n".encode()
    res = read_upload(csv, "门店.csv", "amenities")
    codes = [n["code"] for n in res.notices]
    assert codes == ["csv.assumed_wgs84", "layer.generated_ids"]
    assert "crs=" in res.warnings[0]  # the CLI's words …
    zh = notice_text(res.notices[0], file_name="门店.csv", lang="zh")
    en = notice_text(res.notices[0], file_name="门店.csv", lang="en")
    assert zh.startswith("门店.csv：") and "“坐标系”中选择 GCJ-02" in zh  # … the page's control
    assert "under 'Coordinate system'" in en
    for text in (zh, en):
        _clean(text)


def test_a_server_path_is_replaced_by_the_uploaded_name():
    """The planning-area upload re-reads a temporary copy: the error names the user's file."""
    from gisplan.app.official import _uploaded_area

    class Uploaded:
        name = "范围.geojson"

        def getvalue(self) -> bytes:
            return _fc([_point({"name": "a"})])  # a point is no planning area

    with pytest.raises(InputError) as info:
        _uploaded_area(Uploaded())
    assert TEMP.search(str(info.value))  # what the engine says names the temporary copy
    zh = error_text(info.value, file_name="范围.geojson", lang="zh")
    assert (
        zh
        == "文件 范围.geojson：边界文件中没有面要素。请上传面（Polygon / MultiPolygon）图层作为规划范围。"
    )
    _clean(zh)
    # an error without an app text still loses the path
    raw = InputError(
        f"cannot read {tempfile.gettempdir()}/tmpab12/upload.gpkg", file="/tmp/x/y.gpkg"
    )
    assert error_text(raw, file_name="边界.gpkg", lang="en") == (
        "File 边界.gpkg: cannot read 边界.gpkg."
    )
    # in Chinese it is marked as the program's English original
    assert error_text(raw, file_name="边界.gpkg", lang="zh") == (
        "文件 边界.gpkg：cannot read 边界.gpkg（程序的英文原文）。"
    )


@pytest.fixture()
def store(tmp_path) -> ScenarioStore:
    return ScenarioStore(engine_from_env(f"sqlite:///{tmp_path / 'plans.db'}"))


def test_scenario_name_and_overwrite_errors_in_the_users_terms(store):
    alice, bob = User("alice", "planner"), User("bob", "planner")
    with pytest.raises(InputError) as info:
        store.save(alice, ScenarioRecord(name="  ", category="supermarket"))
    assert str(info.value).startswith("field 'name': the name is empty")  # the CLI's words
    assert error_text(info.value, lang="zh") == "方案名称为空。请填写名称。"
    assert error_text(info.value, lang="en") == "The scenario name is empty. Type a name."

    store.save(alice, ScenarioRecord(name="东门菜场", category="wet_market"))
    with pytest.raises(InputError) as info:
        store.save(alice, ScenarioRecord(name="东门菜场", category="wet_market"))
    assert "overwrite=True" in str(info.value)
    zh = error_text(info.value, lang="zh")
    assert zh == "已有名为“东门菜场”的方案。请换一个名称，或勾选“同名时覆盖”。"
    assert t("site.overwrite_scenario_same_name", "zh") in zh  # the checkbox's own label
    en = error_text(info.value, lang="en")
    assert t("site.overwrite_scenario_same_name", "en") in en
    _clean(zh), _clean(en)

    with pytest.raises(NotAuthor) as denied:
        store.save(bob, ScenarioRecord(name="东门菜场", category="wet_market"), overwrite=True)
    assert error_text(denied.value, lang="zh") == t(
        "sc.only_author_may_change", "zh", author="alice"
    )
    assert error_text(PermissionDenied("upload", "public"), lang="en") == (
        "🔒 Sign in as a planner or official (sidebar) to upload data."
    )


# -- through the page ---------------------------------------------------------------------------


@pytest.fixture()
def planner(monkeypatch):
    from gisplan.store import hash_password

    table = {"tester": {"password_hash": hash_password("pw", rounds=4), "role": "planner"}}
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(table))
    monkeypatch.delenv("GISPLAN_USERS_FILE", raising=False)
    return User("tester", "planner")


def _upload_page(user: User, lang: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[SESSION_KEY] = user
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("gisplan/app/pages/upload.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _radio(at: AppTest, key: str):
    """The radio ``key`` in either language (English widgets have the key ``key__en``)."""
    found = [r for r in at.radio if r.key in (key, f"{key}__en")]
    assert len(found) == 1, [r.key for r in at.radio]
    return found[0]


def _shown(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_upload_page_shows_a_renamed_picture_in_the_session_language(planner, lang):
    at = _upload_page(planner, lang)
    _radio(at, "upload_kind").set_value("amenities").run()
    at.file_uploader(key="upload_file_amenities").set_value(
        ("门店照片.geojson", PNG, "image/png")
    ).run()
    at.button(key="upload_apply").click().run()
    assert not at.exception
    assert len(at.error) == 1
    text = _shown(at.error[0].value)
    if lang == "zh":
        assert text.startswith("文件 门店照片.geojson：文件内容不是 GeoJSON 格式")
    else:
        assert text.startswith("File 门店照片.geojson: The content is not a GeoJSON file")
        assert not CJK.search(text.replace("门店照片", ""))
    _clean(text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_upload_page_warns_about_the_coordinate_system_in_its_own_terms(planner, lang):
    at = _upload_page(planner, lang)
    _radio(at, "upload_kind").set_value("amenities").run()
    csv = "name,category,lon,lat\n甲,supermarket,121.5521,29.8741\n乙,supermarket,121.553,29.875\n"
    at.file_uploader(key="upload_file_amenities").set_value(
        ("门店.csv", csv.encode(), "text/csv")
    ).run()
    at.button(key="upload_apply").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    warnings = [_shown(w.value) for w in at.warning]
    label = t("up.crs", lang)
    assert any(w.startswith("门店.csv") and label in w for w in warnings), warnings
    for w in warnings:
        _clean(w)


# -- damaged prepared datasets (gisplan.dataset.store.open_dataset) -----------------------------
def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _foreign(path: Path) -> None:
    import geopandas as gpd
    import shapely

    path.unlink()
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(121.5, 29.8)], crs=4326).to_file(
        path, layer="shops"
    )


#: (case, how the good file is damaged, the code the app must render)
DAMAGED_DATASETS = [
    ("truncated", _truncate, "dataset.truncated"),
    ("text", lambda p: p.write_text("id,name\n1,a\n", encoding="utf-8"), "dataset.not_gisplan"),
    ("foreign", _foreign, "dataset.not_gisplan"),
    (
        "no_layer",
        lambda p: _sql(
            p,
            "DROP TABLE amenities",
            "DELETE FROM gpkg_contents WHERE table_name = 'amenities'",
            "DELETE FROM gpkg_geometry_columns WHERE table_name = 'amenities'",
        ),
        "dataset.missing_layer",
    ),
    (
        "no_column",
        lambda p: _sql(p, "ALTER TABLE communities DROP COLUMN population"),
        "dataset.missing_column",
    ),
    (
        "version",
        lambda p: _sql(p, "UPDATE gisplan_metadata SET value = '99' WHERE key = 'schema_version'"),
        "dataset.newer",
    ),
    (
        "crs",
        lambda p: _sql(
            p, "UPDATE gpkg_geometry_columns SET srs_id = 4326 WHERE table_name = 'edges'"
        ),
        "dataset.bad_crs",
    ),
    (
        "edited",
        lambda p: _sql(p, "UPDATE communities SET population = population + 1 WHERE fid = 1"),
        "dataset.modified",
    ),
    ("bad_edge", lambda p: _sql(p, "UPDATE edges SET u = -5 WHERE fid = 3"), "dataset.bad_values"),
]


@pytest.fixture(scope="module")
def good_dataset(tmp_path_factory) -> Path:
    from gisplan.analysis import demo_dataset
    from gisplan.dataset import write_dataset

    path = tmp_path_factory.mktemp("good") / "good.gpkg"
    write_dataset(demo_dataset(cached=True), path)
    return path


@pytest.fixture(scope="module")
def dataset_errors(good_dataset, tmp_path_factory) -> dict[str, InputError]:
    """The error of ``open_dataset`` for each damaged copy (each in a temporary folder)."""
    import shutil

    from gisplan.dataset import open_dataset

    out = {}
    for case, damage, _code in DAMAGED_DATASETS:
        path = tmp_path_factory.mktemp("damaged") / "upload.gpkg"
        shutil.copyfile(good_dataset, path)
        damage(path)
        with pytest.raises(InputError) as info:
            open_dataset(path)
        out[case] = info.value
    return out


@pytest.mark.parametrize(
    ("case", "code"), [(c, k) for c, _, k in DAMAGED_DATASETS], ids=[d[0] for d in DAMAGED_DATASETS]
)
def test_a_damaged_dataset_is_said_in_the_users_language(dataset_errors, case, code):
    exc = dataset_errors[case]
    assert exc.code == code
    name = "宁波城区.gpkg"
    zh = error_text(exc, file_name=name, lang="zh")
    en = error_text(exc, file_name=name, lang="en")
    assert zh.startswith(f"文件 {name}") and en.startswith(f"File {name}")
    assert t(f"err.{code}", "zh").split("{")[0] in zh
    assert t(f"err.{code}", "en").split("{")[0] in en
    # Chinese mode shows none of the English message (only layer and column names)
    assert exc.message not in zh
    rest = zh.replace(name, "").replace("gisplan prepare", "")  # the command's own name
    assert not re.search(r"[a-z]{4,} [a-z]{3,}", rest), zh
    _english(en.replace(name, ""), exc)
    for text in (zh, en):
        _clean(text)


def test_every_dataset_code_has_both_languages():
    """Each code open_dataset can raise has an app text (no English fallback in Chinese)."""
    source = (ROOT / "gisplan" / "dataset" / "store.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'code="([a-z_.]+)"', source))
    codes |= {"dataset.newer", "dataset.older", "dataset.bad_values", "dataset.invalid"}
    for code in codes:
        for lang in ("zh", "en"):
            assert t(f"err.{code}", lang) != f"err.{code}", code


# -- the map and the drawing tool ---------------------------------------------------------------
def test_a_missing_basemap_key_is_said_without_set_up_details():
    from gisplan.maps.basemaps import MissingKeyError

    exc = MissingKeyError("天地图需要密钥 / Tianditu needs a key: set GISPLAN_TIANDITU_KEY")
    zh = error_text(exc, lang="zh")
    en = error_text(exc, lang="en")
    assert zh == t("err.basemap.no_key", "zh") and "天地图" in zh
    assert en == t("err.basemap.no_key", "en") and not CJK.search(en)
    for text in (zh, en):
        _clean(text)
        assert "secrets.toml" not in text


def test_a_corner_off_the_globe_is_said_in_both_languages():
    from gisplan.siting.area import OutlineError, drawn_area

    with pytest.raises(OutlineError) as info:
        drawn_area([(121.5, 29.8), (121.6, 29.8), (500.0, 29.9)])
    zh = error_text(info.value, lang="zh")
    en = error_text(info.value, lang="en")
    assert "第 3 个角点不在地图上" in zh and "Corner 3 is not on the map" in en
    assert "WGS-84" not in zh and not CJK.search(en)


# -- siting: a joint plan and the candidates of an area ----------------------------------------
def test_a_plan_with_a_category_outside_the_standard_names_it_in_each_language():
    from gisplan.analysis import build_access, demo_dataset
    from gisplan.catalogue import default_standard
    from gisplan.siting import grid_candidates
    from gisplan.siting.joint import plan_joint

    std = default_standard()
    model = build_access(demo_dataset(cached=True), std)
    with pytest.raises(InputError) as info:
        plan_joint(
            model, std, {"pharmacy": 1, "supermarket": 1}, grid_candidates(model.network, 200.0)
        )
    exc = info.value
    assert exc.code == "plan.not_required"
    zh = error_text(exc, lang="zh")
    en = error_text(exc, lang="en")
    assert zh.startswith("药店不是生活圈必备业态") and "pharmacy" not in zh
    assert en.startswith("Pharmacy is not a required category") and not CJK.search(en)
    for text in (zh, en):
        _clean(text)


def test_no_candidate_in_the_area_names_the_area():
    import shapely

    from gisplan.analysis import build_access, demo_dataset
    from gisplan.catalogue import default_standard
    from gisplan.siting import make_candidates
    from gisplan.siting.area import Area

    model = build_access(demo_dataset(cached=True), default_standard())
    box = shapely.box(121.90, 29.60, 121.91, 29.61)
    far = Area(name="远处 Far", kind="drawn", geometry=box, source="test")
    with pytest.raises(InputError) as info:
        make_candidates(model, "grid", spacing_m=200.0, area=far)
    exc = info.value
    assert exc.code == "candidates.none_in_area"
    assert error_text(exc, lang="zh").startswith("“远处 Far”内没有候选点")
    assert error_text(exc, lang="en").startswith("No candidate site lies inside '远处 Far'")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_upload_page_says_a_dataset_without_a_layer_in_the_session_language(
    planner, lang, good_dataset, tmp_path
):
    """A prepared dataset missing a layer, through the page and its upload worker."""
    import shutil

    path = tmp_path / "bad.gpkg"
    shutil.copyfile(good_dataset, path)
    _sql(
        path,
        "DROP TABLE amenities",
        "DELETE FROM gpkg_contents WHERE table_name = 'amenities'",
        "DELETE FROM gpkg_geometry_columns WHERE table_name = 'amenities'",
    )
    at = _upload_page(planner, lang)
    _radio(at, "upload_kind").set_value("dataset").run()
    at.file_uploader(key="upload_file_dataset").set_value(
        ("宁波城区.gpkg", path.read_bytes(), "application/geopackage+sqlite3")
    ).run()
    at.button(key="upload_dataset").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1, [e.value for e in at.error]
    text = _shown(at.error[0].value)
    if lang == "zh":
        assert text.startswith("文件 宁波城区.gpkg：数据集缺少图层：设施（amenities）"), text
    else:
        assert text.startswith("File 宁波城区.gpkg: The dataset lacks the layer(s) amenities"), text
        assert not CJK.search(text.replace("宁波城区", ""))
    _clean(text)


# -- parameters and typed points (gisplan.params) -----------------------------------------------
@pytest.mark.parametrize(
    ("bound", "value", "code", "zh_start", "en_start"),
    [
        (
            "WALKING_SPEED_KMH",
            25,
            "param.out_of_range",
            "步行速度应在 0.5–10 公里/小时 之间，现为 25",
            "The walking speed must be from 0.5 to 10 km/h; it is 25",
        ),
        (
            "SITES_K",
            2.5,
            "param.not_whole",
            "新增站点数必须是整数，现为 2.5",
            "The number of new sites must be a whole number; it is 2.5",
        ),
        (
            "THRESHOLD_MIN",
            "abc",
            "param.not_number",
            "步行时间阈值必须是数字（0.5–120 分钟）",
            "The walking-time threshold must be a number (0.5–120 minutes)",
        ),
        (
            "SPACING_M",
            float("nan"),
            "param.not_number",
            "候选点间距必须是数字（5–5000 米）",
            "The candidate spacing must be a number (5–5000 m)",
        ),
    ],
)
def test_a_parameter_out_of_bounds_is_said_in_the_users_terms(
    bound, value, code, zh_start, en_start
):
    import gisplan.params as params

    with pytest.raises(InputError) as info:
        getattr(params, bound).check(value)
    exc = info.value
    assert exc.code == code
    zh = error_text(exc, lang="zh")
    en = error_text(exc, lang="en")
    assert zh.startswith(zh_start), zh
    assert en.startswith(en_start), en
    assert not CJK.search(en)
    for text in (zh, en):
        _clean(text)
        assert "_kmh" not in text and "grid_spacing" not in text


def test_a_typed_point_off_the_globe_is_said_in_each_language():
    from gisplan.params import point_lonlat

    with pytest.raises(InputError) as info:
        point_lonlat(29.87, 221.55)
    zh = error_text(info.value, lang="zh")
    en = error_text(info.value, lang="en")
    assert zh.startswith("（29.87，221.55）不是有效的经纬度") and "纬度在 −90 到 90" in zh
    assert en.startswith("(29.87, 221.55) is not a valid longitude and latitude")
    assert not CJK.search(en) and "WGS-84" not in zh
    with pytest.raises(InputError) as info:
        point_lonlat("东", None)
    assert error_text(info.value, lang="zh").startswith("经纬度不是数字")


def test_a_bad_upload_limit_setting_is_said_without_the_variable(caplog):
    """An administrator's bad GISPLAN_UPLOAD_* value: the user reads whom to tell, the log
    names the variable."""
    from gisplan.app.messages import show_error
    from gisplan.io.upload import UploadLimits

    for raw in ("lots", "-5"):
        with pytest.raises(InputError) as info:
            UploadLimits.from_env({"GISPLAN_UPLOAD_MAX_MB": raw})
        exc = info.value
        assert exc.code == "upload.bad_setting"
        zh = error_text(exc, file_name="门店.csv", lang="zh")
        en = error_text(exc, file_name="门店.csv", lang="en")
        assert zh.startswith("文件 门店.csv：服务器的上传限制设置有误") and "管理员" in zh
        assert en.startswith("File 门店.csv: The server's upload limits are set up wrongly")
        assert not CJK.search(en.replace("门店", ""))
        for text in (zh, en):
            _clean(text)
    with caplog.at_level("ERROR", logger="gisplan.app.messages"):
        show_error(exc)
    assert "GISPLAN_UPLOAD_MAX_MB" in caplog.text


def test_a_bad_dataset_quota_setting_is_said_the_same_way():
    from gisplan.dataset.uploads import DatasetQuota
    from gisplan.settings import ENV_DATASET_QUOTA_USER_MB

    with pytest.raises(InputError) as info:
        DatasetQuota.from_env({ENV_DATASET_QUOTA_USER_MB: "much"})
    assert info.value.code == "upload.bad_setting"
    zh = error_text(info.value, lang="zh")
    assert zh.startswith("服务器的上传限制设置有误") and ENV_DATASET_QUOTA_USER_MB not in zh
    _clean(zh)


def test_every_error_code_raised_has_an_app_text_in_both_languages():
    """A code without ``err.<code>`` would fall back to the English message in Chinese mode."""
    from gisplan.i18n import STRINGS

    codes = set()
    for path in (ROOT / "gisplan").rglob("*.py"):
        codes |= set(re.findall(r'code="([a-z_][a-z0-9_.]+)"', path.read_text(encoding="utf-8")))
    assert len(codes) > 50  # the scan finds the raising sites
    missing = sorted(c for c in codes if f"err.{c}" not in STRINGS)
    assert not missing, missing
    for code in codes:
        zh, en = t(f"err.{code}", "zh"), t(f"err.{code}", "en")
        assert CJK.search(zh), code
        assert not CJK.search(en), code


def test_a_library_warning_without_code_is_said_to_be_the_readers_note():
    """GDAL's or pyogrio's own warning (no code) keeps its words, framed in the session's
    language, with the server's path replaced by the uploaded name."""
    note = {
        "text": f"{tempfile.gettempdir()}/gisplan-upload-ab12/in.geojson: Measured (M) geometry "
        "types are not supported",
        "code": None,
        "params": {},
    }
    zh = notice_text(note, file_name="门店.geojson", lang="zh")
    en = notice_text(note, file_name="门店.geojson", lang="en")
    assert zh.startswith("读取程序的提示（英文原文）：门店.geojson: Measured (M)"), zh
    assert en.startswith("Note from the file reader: 门店.geojson: Measured (M)"), en
    for text in (zh, en):
        _clean(text)
    assert notice_text({"text": " ", "code": None}, lang="zh") == ""


def test_an_unexpected_reader_fault_is_said_in_words_and_logged(planner, monkeypatch, caplog):
    """A fault that is not a typed InputError (here the reader crashing) shows the page's
    "could not read" text naming the file, and logs the traceback for the administrator."""
    import logging

    import gisplan.io.upload

    def broken(*args, **kwargs):
        raise RuntimeError("reader crashed")

    monkeypatch.setattr(gisplan.io.upload, "read_upload", broken)
    at = _upload_page(planner, "zh")
    _radio(at, "upload_kind").set_value("amenities").run()
    at.file_uploader(key="upload_file_amenities").set_value(
        ("门店.geojson", b"{}", "application/geo+json")
    ).run()
    with caplog.at_level(logging.ERROR):
        at.button(key="upload_apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [_shown(e.value) for e in at.error] == [t("up.failed", "zh", name="门店.geojson")]
    logged = [r for r in caplog.records if "upload of '门店.geojson' failed" in r.getMessage()]
    assert logged and logged[0].exc_info and "reader crashed" in str(logged[0].exc_info[1])
