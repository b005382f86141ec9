"""Scenario-store builders and checks shared by the SQLite and PostgreSQL store tests.

``make_record`` exercises every field of a scenario; the ``check_*`` functions run the same
assertions against any database URL (tests/test_store.py, tests/test_store_postgres.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from gisplan.store import (
    ScenarioNotFound,
    ScenarioRecord,
    ScenarioStore,
    User,
    engine_from_env,
)

PLANNER = User("zhang", "planner", "张工")
OFFICIAL = User("li", "official", "李处长")
PUBLIC = User("visitor", "public")
ADMIN = User("wang", "admin", "王管理员")

# Floats chosen to catch any lossy text round trip (repr needs all 17 digits).
LON, LAT = 121.55123456789012, 29.873456789012345


def make_record(name: str = "三江口 方案甲（2025）", tag: float = 0.1 + 0.2) -> ScenarioRecord:
    """A scenario exercising every field: Chinese text, awkward floats, big ints, nesting."""
    sites = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": "chosen", "gain": 1234.5, "name": "新农贸市场 甲"},
                "geometry": {"type": "Point", "coordinates": [LON, LAT]},
            },
            {
                "type": "Feature",
                "properties": {"kind": "manual", "gain": None, "name": "手动点 “乙”"},
                "geometry": {"type": "Point", "coordinates": [121.5601, 29.8812]},
            },
        ],
    }
    return ScenarioRecord(
        name=name,
        category="wet_market",
        params={
            "walking_speed_kmh": 4.0,
            "thresholds_min": {"convenience_store": 5, "wet_market": 10, "supermarket": 15},
            "budget": 2,
            "tag": tag,
            "tiny": 5e-324,
            "big_int": 2**53 + 1,
            "note": "说明：含中文、emoji 🏪 与引号 \" '",
            "nested": [1, [2.5, None], {"ok": True}],
        },
        sites=sites,
        results={
            "categories": {
                "wet_market": {
                    "population_total": 20000,
                    "covered_population_before": 12000.25,
                    "covered_population_after": 15500.75,
                },
                "supermarket": {
                    "covered_population_before": 9000,
                    "covered_population_after": 9000,
                },
            },
            "complete_circles_before": 3,
            "complete_circles_after": 5,
            "note": "结果",
        },
    )


def check_round_trip(store: ScenarioStore) -> None:
    """Every field survives save + load exactly (shared with the PostgreSQL test)."""
    rec = make_record()
    t0 = datetime.now(UTC)
    saved = store.save(PLANNER, rec)
    t1 = datetime.now(UTC)
    got = store.load(OFFICIAL, rec.name)
    assert got.name == rec.name
    assert got.category == rec.category
    assert got.params == rec.params
    assert got.params["tag"] == 0.30000000000000004 and got.params["big_int"] == 2**53 + 1
    assert got.results == rec.results
    assert got.author == "zhang"
    assert got.created_at.tzinfo is not None and got.created_at.utcoffset().total_seconds() == 0
    assert t0 <= got.created_at <= t1 and got.updated_at == got.created_at
    assert saved.created_at == got.created_at
    # Sites: the stored GeoJSON equals the input exactly, and the frame is EPSG:4326.
    assert got.sites_geojson() == rec.sites
    frame = got.sites
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs.to_epsg() == 4326
    assert list(frame["kind"]) == ["chosen", "manual"]
    assert list(frame["name"]) == ["新农贸市场 甲", "手动点 “乙”"]
    assert frame.geometry.iloc[0].x == LON and frame.geometry.iloc[0].y == LAT
    assert frame["gain"].iloc[0] == 1234.5 and pd.isna(frame["gain"].iloc[1])
    summary = {s.name: s for s in store.list(PLANNER)}[rec.name]
    assert (summary.n_chosen, summary.n_manual, summary.author) == (1, 1, "zhang")


def concurrent_worker(url: str, worker: int, n_each: int, shared_every: int) -> list[str]:
    """Save ``n_each`` scenarios (and overwrite a shared one now and then) from one process."""
    store = ScenarioStore(engine_from_env(url))
    user = User(f"worker{worker}", "planner")
    admin = User(f"worker{worker}", "admin")
    names = []
    for i in range(n_each):
        name = f"并发 w{worker}-{i:02d}"
        rec = make_record(name, tag=worker * 1000 + i)
        rec.results = {"worker": worker, "i": i, "categories": {}}
        store.save(user, rec)
        names.append(name)
        if i % shared_every == 0:
            # Everyone overwrites the shared scenario: only an admin may change another's.
            store.save(admin, ScenarioRecord("共享", None, {"w": worker, "i": i}), overwrite=True)
    store.engine.dispose()
    return names


_WORKER_SCRIPT = (
    "import json, sys; sys.path.insert(0, sys.argv[1]);"
    "from tests.helpers.store import concurrent_worker;"
    "print(json.dumps(concurrent_worker(sys.argv[2], *map(int, sys.argv[3:]))))"
)


def run_concurrent_saves(
    url: str, workers: int = 4, n_each: int = 20, shared_every: int = 4, timeout_s: float = 600
):
    """Run the workers in separate fresh processes at the same time; return their names.

    Fresh interpreters (not a multiprocessing pool): a worker that cannot start fails the test
    with its error output instead of leaving the pool waiting for a task that was lost.
    """
    root = str(Path(__file__).resolve().parents[2])
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER_SCRIPT,
                root,
                url,
                str(w),
                str(n_each),
                str(shared_every),
            ],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    results = []
    for w, proc in enumerate(procs):
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise AssertionError(f"worker {w} did not finish within {timeout_s} s") from None
        assert proc.returncode == 0, f"worker {w} failed:\n{err[-3000:]}"
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def check_concurrent(url: str, workers: int = 4, n_each: int = 20, shared_every: int = 4) -> None:
    """All saves of concurrent processes are present and intact (shared with PostgreSQL)."""
    per_worker = run_concurrent_saves(url, workers, n_each, shared_every)
    store = ScenarioStore(engine_from_env(url))
    expected = {n for names in per_worker for n in names}
    assert len(expected) == workers * n_each
    listed = {s.name for s in store.list(PLANNER)}
    assert expected <= listed and listed - expected == {"共享"}
    for w, names in enumerate(per_worker):
        for i, name in enumerate(names):
            rec = store.load(PLANNER, name)
            assert rec.results == {"worker": w, "i": i, "categories": {}}
            assert rec.params["tag"] == w * 1000 + i and rec.author == f"worker{w}"
            assert rec.sites_geojson()["features"][0]["geometry"]["coordinates"] == [LON, LAT]
    audit = store.audit(PLANNER)
    saves = [a for a in audit if a.action == "save" and a.scenario_name != "共享"]
    assert sorted(a.scenario_name for a in saves) == sorted(expected)
    shared = [a.action for a in audit if a.scenario_name == "共享"]
    n_shared = workers * len(range(0, n_each, shared_every))
    assert len(shared) == n_shared and shared.count("save") == 1
    assert shared.count("overwrite") == n_shared - 1
    store.engine.dispose()


# The child process injects the pause itself: it wraps ScenarioStore._log (called inside the
# save's transaction, after the scenario row is written) so that it creates the marker file and
# sleeps before the commit.  The production save path holds no test hook.
_KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from gisplan.store import ScenarioStore, ScenarioRecord, User
    from gisplan.store import scenarios

    name, overwrite, marker, who = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]
    real_log = scenarios.ScenarioStore._log

    def log_then_pause(*args, **kwargs):
        real_log(*args, **kwargs)
        with open(marker, "w", encoding="utf-8") as fh:
            fh.write("inside the transaction")
        time.sleep(600)

    scenarios.ScenarioStore._log = staticmethod(log_then_pause)
    rec = ScenarioRecord(name, "supermarket", {"half": "written"}, None, {"x": 1})
    ScenarioStore().save(User(who, "planner"), rec, overwrite=overwrite)
    print("COMMITTED")
    """
)


def run_killed_save(
    url: str, name: str, tmp_path: Path, *, overwrite: bool = False, who: str = "killer"
) -> None:
    """Start a save in a subprocess, SIGKILL it inside the open transaction, wait for it."""
    marker = tmp_path / f"inside-{os.getpid()}-{time.monotonic_ns()}"
    env = dict(os.environ, GISPLAN_DB=url)
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, name, "1" if overwrite else "0", str(marker), who],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"save process ended early: {proc.communicate()}")
        assert time.monotonic() < deadline, "save process never reached the pause"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert b"COMMITTED" not in out


def check_killed_save(url: str, tmp_path: Path) -> None:
    """A save or an overwrite killed mid-transaction leaves nothing behind (shared with PG)."""
    store = ScenarioStore(engine_from_env(url))
    keep = make_record("保留")
    store.save(PLANNER, keep)
    run_killed_save(url, "被中断", tmp_path)
    run_killed_save(url, "保留", tmp_path, overwrite=True, who="zhang")
    assert {s.name for s in store.list(PLANNER)} >= {"保留"}
    assert "被中断" not in {s.name for s in store.list(PLANNER)}
    with pytest.raises(ScenarioNotFound):
        store.load(PLANNER, "被中断")
    again = store.load(PLANNER, "保留")
    assert again.params == keep.params and again.results == keep.results
    assert again.author == "zhang"
    assert all(a.username != "killer" for a in store.audit(PLANNER))
    assert [a.action for a in store.audit(PLANNER, "保留")] == ["save"]
    # The lock died with the process: the same saves now go through.
    store.save(OFFICIAL, make_record("被中断"))
    store.save(PLANNER, make_record("保留"), overwrite=True)
    assert store.load(PLANNER, "保留").author == "zhang"
    assert store.load(PLANNER, "被中断").author == "li"
    store.engine.dispose()
