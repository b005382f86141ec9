"""The scenario store on a real PostgreSQL server.

Set ``GISPLAN_TEST_PG_URL`` (e.g. from ``scripts/pg_test_server.sh``) to run these tests.
Without it they are skipped on a developer machine, but with ``GISPLAN_REQUIRE_PG=1`` (as in
CI) a missing or unreachable server is a failure.  Each run works in a fresh schema that is
dropped afterwards, so the database can be shared.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from gisplan.store import ScenarioStore, engine_from_env, ensure_schema
from gisplan.store.db import current_revision, head_revision

# Shared checks (plain helper functions, not tests) from the SQLite test module.
from tests.helpers.store import PLANNER, check_concurrent, check_killed_save, check_round_trip

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url() -> str:
    """URL of a fresh schema on the test server (search_path set through libpq options)."""
    url = os.environ.get("GISPLAN_TEST_PG_URL")
    required = os.environ.get("GISPLAN_REQUIRE_PG") == "1"
    if not url:
        if required:
            pytest.fail("GISPLAN_REQUIRE_PG=1 but GISPLAN_TEST_PG_URL is not set")
        pytest.skip("GISPLAN_TEST_PG_URL not set (start one with scripts/pg_test_server.sh)")
    schema = f"gisplan_test_{uuid.uuid4().hex[:12]}"
    admin = engine_from_env(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection problem means no server
        admin.dispose()
        pytest.fail(f"cannot use the PostgreSQL server at GISPLAN_TEST_PG_URL: {exc}")
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    yield scoped.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def clean_url(pg_url: str) -> str:
    """The schema emptied of scenarios and audit entries before each test."""
    engine = engine_from_env(pg_url)
    ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM scenario"))
        conn.execute(text("DELETE FROM audit_log"))
    engine.dispose()
    return pg_url


def test_migrations_on_postgres(pg_url: str) -> None:
    engine = engine_from_env(pg_url)
    assert engine.dialect.name == "postgresql"
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        assert schema.startswith("gisplan_test_")
        before = conn.execute(
            text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = :s ORDER BY 1, 2"
            ),
            {"s": schema},
        ).all()
    assert {"alembic_version", "scenario", "audit_log"} <= set(inspect(engine).get_table_names())
    assert ensure_schema(engine) == head_revision()
    with engine.connect() as conn:
        after = conn.execute(
            text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = :s ORDER BY 1, 2"
            ),
            {"s": schema},
        ).all()
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    assert after == before
    assert ("scenario", "created_at", "timestamp with time zone") in before
    engine.dispose()


def test_round_trip_on_postgres(clean_url: str) -> None:
    store = ScenarioStore(engine_from_env(clean_url))
    check_round_trip(store)
    store.engine.dispose()


@pytest.mark.slow
def test_concurrent_saves_on_postgres(clean_url: str) -> None:
    check_concurrent(clean_url, workers=4, n_each=20)


@pytest.mark.slow
def test_killed_save_on_postgres(clean_url: str, tmp_path: Path) -> None:
    check_killed_save(clean_url, tmp_path)


def test_same_name_race_on_postgres(clean_url: str) -> None:
    """Two stores saving one new name: one wins, the other gets ScenarioExists."""
    from concurrent.futures import ThreadPoolExecutor

    from gisplan.store import ScenarioExists, ScenarioRecord

    stores = [ScenarioStore(engine_from_env(clean_url)) for _ in range(4)]

    def save(i: int):
        try:
            stores[i].save(PLANNER, ScenarioRecord("抢名", None, {"i": i}))
            return "saved"
        except ScenarioExists:
            return "exists"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(save, range(4)))
    assert outcomes.count("saved") == 1 and outcomes.count("exists") == 3
    assert [s.name for s in stores[0].list(PLANNER)] == ["抢名"]
    for s in stores:
        s.engine.dispose()
