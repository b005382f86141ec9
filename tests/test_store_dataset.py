"""Scenarios record the dataset they were made on (name + content hash; revision 0002)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import text

from gisplan.errors import InputError
from gisplan.store import ScenarioStore, engine_from_env, ensure_schema
from gisplan.store.db import current_revision
from tests.helpers.store import PLANNER, make_record

HASH_A = hashlib.sha256(b"dataset A").hexdigest()
HASH_B = hashlib.sha256(b"dataset B").hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> ScenarioStore:
    return ScenarioStore(engine_from_env(f"sqlite:///{tmp_path / 'plans.db'}"))


def test_dataset_is_saved_listed_and_loaded(store):
    rec = make_record("甲")
    rec.dataset_name = "宁波全市 Ningbo city 2026-11"
    rec.dataset_hash = HASH_A
    saved = store.save(PLANNER, rec)
    assert (saved.dataset_name, saved.dataset_hash) == (rec.dataset_name, HASH_A)
    got = store.load(PLANNER, "甲")
    assert (got.dataset_name, got.dataset_hash) == (rec.dataset_name, HASH_A)
    assert got.made_on(HASH_A) is True and got.made_on(HASH_B) is False
    (summary,) = store.list(PLANNER)
    assert summary.dataset_name == rec.dataset_name and summary.dataset_hash == HASH_A
    # an overwrite on another dataset records the new one; the audit keeps the old
    rec.dataset_hash = HASH_B
    store.save(PLANNER, rec, overwrite=True)
    assert store.load(PLANNER, "甲").made_on(HASH_B) is True
    previous = [a for a in store.audit(PLANNER) if a.action == "overwrite"][0].detail["previous"]
    assert previous["dataset_hash"] == HASH_A


def test_scenario_without_dataset_says_unknown(store):
    store.save(PLANNER, make_record("乙"))
    got = store.load(PLANNER, "乙")
    assert got.dataset_hash is None and got.made_on(HASH_A) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("dataset_hash", "abc"), ("dataset_hash", HASH_A.upper()), ("dataset_name", "x" * 301)],
)
def test_bad_dataset_fields_are_refused(store, field, value):
    rec = make_record("丙")
    setattr(rec, field, value)
    with pytest.raises(InputError) as err:
        store.save(PLANNER, rec)
    assert err.value.field == field


def test_upgrade_from_0001_keeps_scenarios(tmp_path):
    """A database made by revision 0001 (before datasets were recorded) upgrades in place."""
    from alembic import command

    from gisplan.store.db import _alembic_config

    engine = engine_from_env(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0001")
    assert current_revision(engine) == "0001"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO scenario (name, author, created_at, updated_at, category, params, "
                "sites, results, schema_version) VALUES ('旧', 'zhang', '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00', NULL, '{}', "
                '\'{"type": "FeatureCollection", "features": []}\', \'{}\', 1)'
            )
        )
    assert ensure_schema(engine) == "0002"
    store = ScenarioStore(engine)
    old = store.load(PLANNER, "旧")
    assert old.dataset_name is None and old.dataset_hash is None
    rec = make_record("新")
    rec.dataset_hash = HASH_A
    store.save(PLANNER, rec)
    assert store.load(PLANNER, "新").made_on(HASH_A)
    engine.dispose()
