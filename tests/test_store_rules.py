"""Scenario ownership, name rules, the bounded audit log and name-proof comparison."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gisplan.errors import InputError
from gisplan.store import PermissionDenied, ScenarioRecord, ScenarioStore, User, engine_from_env
from gisplan.store.auth import NotAuthor, may_change
from gisplan.store.scenarios import AUDIT_ENTRY_MAX_BYTES, AUDIT_FIELD_MAX_BYTES

ZHANG = User("zhang", "planner", "张工")
LI = User("li", "official", "李处长")
QIAN = User("qian", "planner", "钱工")
ADMIN = User("wang", "admin", "王管理员")


@pytest.fixture
def store(tmp_path: Path):
    s = ScenarioStore(engine_from_env(f"sqlite:///{tmp_path / 'plans.db'}"))
    yield s
    s.engine.dispose()


def _record(name: str, budget: int = 1, n_sites: int = 1) -> ScenarioRecord:
    feats = [
        {
            "type": "Feature",
            "properties": {"kind": "chosen", "name": f"新超市 {i}", "gain": i},
            "geometry": {
                "type": "Point",
                "coordinates": [121.5 + (i % 1000) * 1e-4, 29.8 + i * 1e-6],
            },
        }
        for i in range(n_sites)
    ]
    results = {"categories": {"supermarket": {"covered_population_after": 100 * budget}}}
    return ScenarioRecord(
        name,
        "supermarket",
        {"budget": budget},
        {"type": "FeatureCollection", "features": feats},
        results,
    )


# --- ownership ---------------------------------------------------------------------------------


def test_only_the_author_or_an_admin_may_overwrite(store: ScenarioStore) -> None:
    store.save(ZHANG, _record("张的方案", 1))
    for other in (LI, QIAN):
        with pytest.raises(NotAuthor) as err:
            store.save(other, _record("张的方案", 99), overwrite=True)
        assert isinstance(err.value, PermissionDenied) and err.value.author == "zhang"
        assert "zhang" in str(err.value) and "admin" in str(err.value)
    got = store.load(LI, "张的方案")
    assert got.params == {"budget": 1} and got.author == "zhang"
    assert [e.action for e in store.audit(ZHANG, "张的方案")] == ["save"]
    # The author may overwrite; the author stays zhang.
    saved = store.save(ZHANG, _record("张的方案", 2), overwrite=True)
    assert saved.author == "zhang"
    # An admin may overwrite too, and the author still stays zhang.
    saved = store.save(ADMIN, _record("张的方案", 3), overwrite=True)
    assert saved.author == "zhang" and store.load(LI, "张的方案").author == "zhang"
    assert store.load(LI, "张的方案").params == {"budget": 3}
    entries = store.audit(ZHANG, "张的方案")
    assert [(e.action, e.username) for e in entries] == [
        ("overwrite", "wang"),
        ("overwrite", "zhang"),
        ("save", "zhang"),
    ]
    assert entries[0].detail["previous"]["params"] == {"budget": 2}
    assert entries[0].detail["previous"]["author"] == "zhang"


def test_only_the_author_or_an_admin_may_delete(store: ScenarioStore) -> None:
    store.save(ZHANG, _record("甲"))
    store.save(ZHANG, _record("乙"))
    with pytest.raises(NotAuthor):
        store.delete(LI, "甲")
    with pytest.raises(NotAuthor):
        store.delete(QIAN, "甲")
    assert {s.name for s in store.list(LI)} == {"甲", "乙"}
    store.delete(ZHANG, "甲")
    store.delete(ADMIN, "乙")
    assert store.list(LI) == []
    deletes = [(e.username, e.scenario_name) for e in store.audit(ADMIN) if e.action == "delete"]
    assert sorted(deletes) == [("wang", "乙"), ("zhang", "甲")]


def test_may_change_rule() -> None:
    assert may_change(ZHANG, "zhang") and may_change(ADMIN, "zhang")
    assert not may_change(LI, "zhang") and not may_change(QIAN, "zhang")


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["方案\u202eA", "方\u200b案", "ab\u200dc", "a\x1b[31mb", "line\nbreak", "\u2066x\u2069"],
)
def test_look_alike_and_control_names_are_refused(store: ScenarioStore, name: str) -> None:
    with pytest.raises(InputError) as err:
        store.save(ZHANG, _record(name))
    assert err.value.field == "name" and "invisible" in str(err.value)
    assert store.list(ZHANG) == []


def test_names_are_nfc_so_look_alikes_are_one_scenario(store: ScenarioStore) -> None:
    store.save(ZHANG, _record("Cafe\u0301"))  # e + combining acute
    assert [s.name for s in store.list(ZHANG)] == ["Café"]
    with pytest.raises(InputError):  # the precomposed form names the same scenario
        store.save(ZHANG, _record("Café"))
    assert store.load(ZHANG, "Cafe\u0301").name == "Café"


# --- bounded audit log -------------------------------------------------------------------------


def _detail_bytes(detail) -> int:
    return len(json.dumps(detail, ensure_ascii=False).encode("utf-8"))


def test_audit_entries_stay_bounded_for_big_scenarios(store: ScenarioStore) -> None:
    big = _record("五千个点", n_sites=5_000)
    store.save(ZHANG, big)
    for budget in range(2, 5):
        store.save(ZHANG, _record("五千个点", budget, n_sites=5_000), overwrite=True)
    store.delete(ZHANG, "五千个点")
    entries = store.audit(ZHANG, "五千个点")
    assert [e.action for e in entries] == ["delete", "overwrite", "overwrite", "overwrite", "save"]
    for e in entries:
        assert _detail_bytes(e.detail) <= AUDIT_ENTRY_MAX_BYTES
    prev = entries[0].detail["previous"]
    # Small fields are kept whole, the 30k-site layer as its size and digest.
    assert prev["params"] == {"budget": 4} and prev["author"] == "zhang"
    counts = prev["site_counts"]
    assert (counts["chosen"], counts["manual"], counts["total"]) == (5_000, 0, 5_000)
    assert prev["sites"]["omitted"] is True and prev["sites"]["bytes"] > AUDIT_FIELD_MAX_BYTES
    assert re.fullmatch(r"[0-9a-f]{64}", prev["sites"]["sha256"])
    # The database stays small: far less than one full copy of the sites per entry.
    with store.engine.connect() as conn:
        total = conn.exec_driver_sql("SELECT sum(length(detail)) FROM audit_log").scalar()
    assert total < 5 * AUDIT_ENTRY_MAX_BYTES


def test_small_scenarios_keep_their_full_history(store: ScenarioStore) -> None:
    rec = _record("小方案", n_sites=3)
    store.save(ZHANG, rec)
    store.save(ZHANG, _record("小方案", 2), overwrite=True)
    prev = store.audit(ZHANG, "小方案")[0].detail["previous"]
    assert prev["sites"] == rec.sites and prev["results"] == rec.results


# --- comparison with awkward names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("difference", "metric"),
        ("category", "label"),
        ("metric_label", "scenario_a"),
        ("scenario_b", "difference"),
    ],
)
def test_compare_any_names(store: ScenarioStore, a: str, b: str) -> None:
    store.save(ZHANG, _record(a, 1))
    store.save(ZHANG, _record(b, 3))
    cmp = store.compare(LI, a, b)
    assert (cmp.attrs["scenario_a"], cmp.attrs["scenario_b"]) == (a, b)
    assert len(set(cmp.columns)) == len(cmp.columns)
    row = cmp.set_index(["category", "metric"]).loc[("supermarket", "covered_population_after")]
    assert (row["scenario_a"], row["scenario_b"], row["difference"]) == (100, 300, 200)
