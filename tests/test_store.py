"""Tests of gisplan.store: scenarios in SQLite, transactions, migrations, roles, export.

The ``check_*`` helpers (tests/helpers/store.py) are shared with tests/test_store_postgres.py,
which runs the same checks against a PostgreSQL server.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point
from sqlalchemy import inspect, text

from gisplan.errors import InputError
from gisplan.store import (
    PermissionDenied,
    ScenarioExists,
    ScenarioNotFound,
    ScenarioRecord,
    ScenarioStore,
    before_after_table,
    engine_from_env,
    ensure_schema,
    export_scenario,
)
from gisplan.store import export as export_mod
from gisplan.store.db import current_revision, default_url, head_revision
from tests.helpers.store import (
    ADMIN,
    LAT,
    LON,
    OFFICIAL,
    PLANNER,
    PUBLIC,
    check_concurrent,
    check_killed_save,
    check_round_trip,
    make_record,
)

# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'plans.db'}"


@pytest.fixture
def store(db_url: str) -> ScenarioStore:
    s = ScenarioStore(engine_from_env(db_url))
    yield s
    s.engine.dispose()


def _integrity_ok(path: Path) -> None:
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# --- round trip and validation -----------------------------------------------------------------


def test_round_trip_every_field(store: ScenarioStore) -> None:
    check_round_trip(store)


def test_projected_geodataframe_is_stored_in_wgs84(store: ScenarioStore) -> None:
    utm = [(353_000.0, 3_305_000.0), (353_250.5, 3_305_120.25)]
    gdf = gpd.GeoDataFrame(
        {"kind": ["chosen", "manual"], "gain": [10, 0]},
        geometry=[Point(xy) for xy in utm],
        crs="EPSG:32651",
    )
    store.save(PLANNER, ScenarioRecord("投影", "supermarket", {}, gdf, {}))
    got = store.load(PLANNER, "投影").sites
    to_ll = Transformer.from_crs("EPSG:32651", "EPSG:4326", always_xy=True)
    for (x, y), geom in zip(utm, got.geometry, strict=True):
        lon, lat = to_ll.transform(x, y)
        assert abs(geom.x - lon) < 1e-9 and abs(geom.y - lat) < 1e-9
    assert 121 < got.geometry.iloc[0].x < 122 and 29 < got.geometry.iloc[0].y < 30
    assert list(got["gain"]) == [10, 0]


def test_numpy_values_and_nan(store: ScenarioStore) -> None:
    results = {
        "categories": {"wet_market": {"covered_population_before": np.int64(7)}},
        "share": np.float64(0.25),
        "missing": float("nan"),
        "flags": np.array([True, False]),
    }
    store.save(PLANNER, ScenarioRecord("numpy", None, {"k": (1, 2)}, None, results))
    got = store.load(PLANNER, "numpy")
    assert got.results == {
        "categories": {"wet_market": {"covered_population_before": 7}},
        "share": 0.25,
        "missing": None,
        "flags": [True, False],
    }
    assert got.params == {"k": [1, 2]} and len(got.sites) == 0


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (ScenarioRecord("", None), "name"),
        (ScenarioRecord("   ", None), "name"),
        (ScenarioRecord("x" * 201, None), "name"),
        (ScenarioRecord("a\x00b", None), "name"),
        (ScenarioRecord("inf", None, {"speed": float("inf")}), "params.speed"),
        (ScenarioRecord("keys", None, {}, None, {1: 2}), "results"),
        (ScenarioRecord("obj", None, {"o": object()}), "params.o"),
        (ScenarioRecord("notdict", None, [1, 2]), "params"),
        (
            ScenarioRecord(
                "nokind",
                None,
                {},
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {"type": "Point", "coordinates": [121, 29]},
                        }
                    ],
                },
            ),
            "sites.kind",
        ),
        (
            ScenarioRecord(
                "metres",
                None,
                {},
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"kind": "chosen"},
                            "geometry": {"type": "Point", "coordinates": [121, 29]},
                        },
                        {
                            "type": "Feature",
                            "properties": {"kind": "chosen"},
                            "geometry": {"type": "Point", "coordinates": [353000.0, 3305000.0]},
                        },
                    ],
                },
            ),
            "sites.geometry",
        ),
        (
            ScenarioRecord(
                "nocrs", None, {}, gpd.GeoDataFrame({"kind": ["chosen"]}, geometry=[Point(1, 2)])
            ),
            "sites",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_written(store, record, field) -> None:
    with pytest.raises(InputError) as err:
        store.save(PLANNER, record)
    assert err.value.field == field
    assert store.list(PLANNER) == [] and store.audit(PLANNER) == []


def test_bad_site_names_row() -> None:
    rec = make_record()
    rec.sites["features"][1]["properties"]["kind"] = "existing"
    with pytest.raises(InputError) as err:
        rec.sites_geojson()
    assert err.value.row == 1 and "existing" in str(err.value)


# --- names, overwrite, delete, audit -----------------------------------------------------------


def test_duplicate_name_needs_overwrite_and_history_is_kept(store: ScenarioStore) -> None:
    first = store.save(PLANNER, make_record("方案"))
    with pytest.raises(ScenarioExists) as err:
        store.save(OFFICIAL, make_record("方案"))
    assert err.value.field == "name" and "overwrite" in str(err.value)
    # Names are stripped: " 方案 " is the same scenario.
    with pytest.raises(ScenarioExists):
        store.save(OFFICIAL, make_record(" 方案 "))
    assert store.load(PLANNER, "方案").author == "zhang"

    new = ScenarioRecord("方案", "supermarket", {"budget": 9}, None, {"complete_circles_after": 7})
    time.sleep(0.01)
    store.save(ADMIN, new, overwrite=True)
    got = store.load(PLANNER, "方案")
    # The overwrite keeps the original author; the audit log says who overwrote it.
    assert (got.category, got.params, got.results, got.author) == (
        "supermarket",
        {"budget": 9},
        {"complete_circles_after": 7},
        "zhang",
    )
    assert got.created_at == first.created_at and got.updated_at > first.created_at
    assert len(got.sites) == 0
    assert [s.name for s in store.list(PLANNER)] == ["方案"]

    entries = store.audit(PLANNER, "方案")
    assert [(e.action, e.username) for e in entries] == [("overwrite", "wang"), ("save", "zhang")]
    previous = entries[0].detail["previous"]
    original = make_record("方案")
    assert previous["params"] == original.params and previous["results"] == original.results
    assert previous["sites"] == original.sites and previous["author"] == "zhang"


def test_delete_is_recorded(store: ScenarioStore) -> None:
    store.save(PLANNER, make_record("甲"))
    store.save(PLANNER, make_record("乙"))
    store.delete(ADMIN, "甲")
    assert [s.name for s in store.list(PLANNER)] == ["乙"]
    with pytest.raises(ScenarioNotFound) as err:
        store.load(PLANNER, "甲")
    assert "乙" in str(err.value)  # the hint lists what is saved
    with pytest.raises(ScenarioNotFound):
        store.delete(PLANNER, "甲")
    last = store.audit(PLANNER, limit=1)[0]
    assert (last.action, last.username, last.scenario_name) == ("delete", "wang", "甲")
    assert last.detail["previous"]["params"] == make_record().params
    assert last.at.tzinfo is not None
    # The name is free again.
    store.save(PLANNER, make_record("甲"))
    assert store.load(PLANNER, "甲").author == "zhang"


# --- compare -----------------------------------------------------------------------------------


def test_compare_side_by_side(store: ScenarioStore) -> None:
    a = make_record("A")
    b = make_record("B")
    b.sites["features"].append(
        {
            "type": "Feature",
            "properties": {"kind": "manual"},
            "geometry": {"type": "Point", "coordinates": [121.6, 29.9]},
        }
    )
    b.results = {
        "categories": {
            "wet_market": {
                "covered_population_before": 12000.25,
                "covered_population_after": 17000,
            },
            "pharmacy": {"covered_population_after": 300},
        },
        "complete_circles_before": 3,
        "complete_circles_after": 6,
    }
    store.save(PLANNER, a)
    store.save(PLANNER, b)
    cmp = store.compare(OFFICIAL, "A", "B")
    assert list(cmp.columns) == [
        "category",
        "label",
        "metric",
        "metric_label",
        "scenario_a",
        "scenario_b",
        "difference",
    ]
    assert (cmp.attrs["scenario_a"], cmp.attrs["scenario_b"]) == ("A", "B")
    assert cmp.set_index("metric").loc["sites_chosen", "metric_label"] == "优化选址数 Chosen sites"
    idx = cmp.set_index(["category", "metric"])

    def row(cat, metric):
        r = idx.loc[(cat, metric)]
        return r["scenario_a"], r["scenario_b"], r["difference"]

    assert row("", "sites_chosen") == (1, 1, 0)
    assert row("", "sites_manual") == (1, 2, 1)
    assert row("", "sites_total") == (2, 3, 1)
    assert row("", "complete_circles_after") == (5, 6, 1)
    assert row("wet_market", "covered_population_after") == (15500.75, 17000, 17000 - 15500.75)
    assert row("wet_market", "covered_population_before")[2] == 0
    a_only = row("wet_market", "population_total")
    assert a_only[0] == 20000 and np.isnan(a_only[1]) and np.isnan(a_only[2])
    b_only = row("pharmacy", "covered_population_after")
    assert np.isnan(b_only[0]) and b_only[1] == 300
    assert idx.loc[("wet_market", "covered_population_after"), "label"] == "农贸市场 Wet market"
    # Every number of either scenario appears exactly once.
    assert len(cmp) == len(cmp.drop_duplicates(["category", "metric"]))
    assert set(idx.index) >= {("supermarket", "covered_population_before")}
    with pytest.raises(InputError):
        store.compare(PLANNER, "A", " A")
    with pytest.raises(ScenarioNotFound):
        store.compare(PLANNER, "A", "C")


def test_before_after_table_pairs_metrics() -> None:
    table = before_after_table(make_record().results)
    t = table.set_index(["category", "metric"])
    assert t.loc[("wet_market", "covered_population"), ["before", "after", "change"]].tolist() == [
        12000.25,
        15500.75,
        3500.5,
    ]
    assert t.loc[("", "complete_circles"), "change"] == 2
    assert t.loc[("wet_market", "population_total"), "value"] == 20000
    assert np.isnan(t.loc[("wet_market", "population_total"), "before"])
    assert ("", "note") not in t.index  # text is not a number
    # Before/after pairs come first, with bilingual names.
    paired = table["before"].notna().to_numpy()
    assert paired[: paired.sum()].all()
    assert (
        t.loc[("wet_market", "covered_population"), "metric_label"] == "覆盖人口 Covered population"
    )


# --- transactions and concurrency --------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_saves_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"  # not created yet: the workers also race to migrate it
    url = f"sqlite:///{db}"
    check_concurrent(url, workers=4, n_each=20)
    _integrity_ok(db)


@pytest.mark.slow
def test_save_killed_mid_transaction(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    url = f"sqlite:///{db}"
    check_killed_save(url, tmp_path)
    _integrity_ok(db)


def test_sqlite_connection_settings(store: ScenarioStore) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_failed_save_rolls_back(store: ScenarioStore, monkeypatch) -> None:
    """An error after the row is written (here: in the audit insert) leaves no scenario."""
    from gisplan.store import scenarios

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(scenarios.ScenarioStore, "_log", staticmethod(boom))
    with pytest.raises(RuntimeError):
        store.save(PLANNER, make_record("半"))
    monkeypatch.undo()
    assert store.list(PLANNER) == [] and store.audit(PLANNER) == []


# --- engine and migrations ---------------------------------------------------------------------


def test_engine_location(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "deep" / "dir" / "env.db"
    monkeypatch.setenv("GISPLAN_DB", f"sqlite:///{target}")
    engine = engine_from_env()
    ScenarioStore(engine).save(PLANNER, make_record())
    assert target.exists()
    engine.dispose()
    monkeypatch.delenv("GISPLAN_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_url() == f"sqlite:///{tmp_path / 'xdg' / 'gisplan' / 'plans.db'}"
    assert str(engine_from_env().url) == default_url()
    with pytest.raises(InputError) as err:
        engine_from_env("not a url")
    assert err.value.field == "argument url"
    with pytest.raises(InputError):
        engine_from_env("mysql://u:p@localhost/x")
    # A bare postgresql:// URL uses the psycopg2 driver of gisplan[postgres] (no connection yet).
    assert engine_from_env("postgresql://u:p@localhost/x").dialect.driver == "psycopg2"


def test_migrations_reach_head_and_rerun_is_noop(db_url: str) -> None:
    engine = engine_from_env(db_url)
    assert current_revision(engine) is None
    assert ensure_schema(engine) == head_revision() == "0002"
    names = set(inspect(engine).get_table_names())
    assert names == {"alembic_version", "scenario", "audit_log"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            "0002"
        ]
    ScenarioStore(engine, migrate=False).save(PLANNER, make_record())

    def schema_sql():
        with engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master ORDER BY name"
            ).all()

    before = schema_sql()
    assert ensure_schema(engine) == "0002"
    store = ScenarioStore(engine)  # opening again also upgrades: still a no-op
    assert schema_sql() == before
    assert store.load(PLANNER, make_record().name).params == make_record().params
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_models_match_migrations(db_url: str) -> None:
    """The shipped migrations create exactly the tables the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from gisplan.store.models import Base

    engine = engine_from_env(db_url)
    ensure_schema(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    engine.dispose()


# --- roles -------------------------------------------------------------------------------------


def _protected_calls(store: ScenarioStore, out: Path):
    return {
        "list": lambda u: store.list(u),
        "load": lambda u: store.load(u, "甲"),
        "save": lambda u: store.save(u, make_record("新")),
        "compare": lambda u: store.compare(u, "甲", "乙"),
        "delete": lambda u: store.delete(u, "乙"),
        "audit": lambda u: store.audit(u),
        "export": lambda u: export_scenario(u, store, "甲", out),
    }


@pytest.mark.parametrize("who", [None, PUBLIC], ids=["anonymous", "role-public"])
def test_public_gets_nothing(store: ScenarioStore, tmp_path: Path, who) -> None:
    store.save(PLANNER, make_record("甲"))
    store.save(PLANNER, make_record("乙"))
    audit_before = len(store.audit(PLANNER))
    for action, call in _protected_calls(store, tmp_path / "out").items():
        with pytest.raises(PermissionDenied) as err:
            call(who)
        assert err.value.role == "public", action
        assert "sign in" in str(err.value) and "登录" in str(err.value)
    assert sorted(s.name for s in store.list(PLANNER)) == ["乙", "甲"]
    assert len(store.audit(PLANNER)) == audit_before
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("who", [PLANNER, OFFICIAL, ADMIN], ids=["planner", "official", "admin"])
def test_planner_and_official_may_do_everything(store: ScenarioStore, tmp_path: Path, who) -> None:
    store.save(who, make_record("甲"))
    store.save(who, make_record("乙"))
    calls = _protected_calls(store, tmp_path / "out")
    for action in ["list", "load", "save", "compare", "export", "delete", "audit"]:
        calls[action](who)
    assert sorted(s.name for s in store.list(who)) == ["新", "甲"]
    actions = {(e.action, e.scenario_name, e.username) for e in store.audit(who)}
    assert {("save", "新", who.username), ("delete", "乙", who.username)} <= actions
    assert ("export", "甲", who.username) in actions


# --- export ------------------------------------------------------------------------------------


def test_export_writes_four_consistent_files(store: ScenarioStore, tmp_path: Path) -> None:
    rec = make_record("导出 <测试> & 方案")
    store.save(PLANNER, rec)
    out = tmp_path / "export"
    paths = export_scenario(OFFICIAL, store, rec.name, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(export_mod.EXPORT_FILES)
    assert set(paths) == set(export_mod.EXPORT_FILES)

    gpkg = gpd.read_file(paths["sites.gpkg"], layer="sites")
    assert gpkg.crs.to_epsg() == 4326 and list(gpkg["kind"]) == ["chosen", "manual"]
    assert abs(gpkg.geometry.iloc[0].x - LON) < 1e-12 and abs(gpkg.geometry.iloc[0].y - LAT) < 1e-12
    # the stored sites, each with its lon/lat (hand-placed ones too; issue 11 item 14)
    written = json.loads(paths["sites.geojson"].read_text(encoding="utf-8"))
    for got, stored in zip(written["features"], rec.sites["features"], strict=True):
        assert got["geometry"] == stored["geometry"]
        lon, lat = stored["geometry"]["coordinates"]
        assert got["properties"] == {**stored["properties"], "lon": lon, "lat": lat}
    assert gpkg["lon"].tolist() == [f["geometry"]["coordinates"][0] for f in rec.sites["features"]]

    csv = pd.read_csv(paths["results.csv"], encoding="utf-8-sig", keep_default_na=False)
    wm = csv[(csv["category"] == "wet_market") & (csv["metric"] == "covered_population")]
    assert wm[["before", "after", "change"]].astype(float).values.tolist() == [
        [12000.25, 15500.75, 3500.5]
    ]
    assert raw_startswith_bom(paths["results.csv"])

    page = paths["report.html"].read_text(encoding="utf-8")
    assert "导出 &lt;测试&gt; &amp; 方案" in page and "<测试>" not in page
    assert page.count("<circle cx=") == 2 + 2  # two sites + two legend dots
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "15,500.75" in page and "3,500.5" in page
    last = store.audit(PLANNER, limit=1)[0]
    assert (last.action, last.username, last.scenario_name) == ("export", "li", rec.name)


def raw_startswith_bom(path: Path) -> bool:
    return path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_without_sites(store: ScenarioStore, tmp_path: Path) -> None:
    store.save(PLANNER, ScenarioRecord("空", None, {}, None, {}))
    paths = export_scenario(PLANNER, store, "空", tmp_path)
    assert len(gpd.read_file(paths["sites.gpkg"])) == 0
    assert "无选址点 No sites" in paths["report.html"].read_text(encoding="utf-8")


def test_failed_export_leaves_nothing(store: ScenarioStore, tmp_path: Path, monkeypatch) -> None:
    store.save(PLANNER, make_record("甲"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "sites.geojson").write_text("old", encoding="utf-8")

    def boom(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(export_mod, "report_html", boom)
    with pytest.raises(RuntimeError):
        export_scenario(PLANNER, store, "甲", out)
    assert [p.name for p in out.iterdir()] == ["sites.geojson"]  # no staging folder left
    assert (out / "sites.geojson").read_text(encoding="utf-8") == "old"
    assert all(e.action != "export" for e in store.audit(PLANNER))
