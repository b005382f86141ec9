"""``gisplan scenario`` and ``gisplan user`` from the command line, with sign-in."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gisplan.cli import main
from gisplan.store import ScenarioRecord, ScenarioStore, User, engine_from_env, hash_password


@pytest.fixture
def env(tmp_path: Path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    users = {
        "alice": {
            "password_hash": hash_password("s3cret!", rounds=4),
            "role": "planner",
            "display_name": "李规划",
        }
    }
    monkeypatch.setenv("GISPLAN_DB", url)
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(users))
    monkeypatch.setenv("GISPLAN_PASSWORD", "s3cret!")
    monkeypatch.delenv("GISPLAN_USER", raising=False)
    store = ScenarioStore(engine_from_env(url))
    sites = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": "chosen", "gain": 1234, "rank": 1},
                "geometry": {"type": "Point", "coordinates": [121.55, 29.87]},
            },
        ],
    }
    results = {
        "categories": {
            "supermarket": {"covered_population_before": 1000, "covered_population_after": 2234}
        },
        "complete_circles_before": 3,
        "complete_circles_after": 5,
    }
    store.save(
        User("alice", "planner"),
        ScenarioRecord(
            name="东门超市", category="supermarket", params={"k": 1}, sites=sites, results=results
        ),
    )
    return tmp_path


def test_list_show_export_delete(env: Path, capsys):
    assert main(["scenario", "list", "--user", "alice"]) == 0
    assert "东门超市" in capsys.readouterr().out
    assert main(["scenario", "show", "东门超市", "--user", "alice"]) == 0
    out = capsys.readouterr().out
    assert "2234" in out and "121.550000" in out
    outdir = env / "export"
    assert main(["scenario", "export", "东门超市", "--out", str(outdir), "--user", "alice"]) == 0
    assert {p.name for p in outdir.iterdir()} >= {
        "sites.gpkg",
        "sites.geojson",
        "results.csv",
        "report.html",
    }
    assert main(["scenario", "delete", "东门超市", "--yes", "--user", "alice"]) == 0
    capsys.readouterr()
    assert main(["scenario", "list", "--user", "alice"]) == 0
    assert "东门超市" not in capsys.readouterr().out


def test_public_and_wrong_password_are_refused(env: Path, capsys, monkeypatch):
    assert main(["scenario", "list"]) == 2
    assert "sign in" in capsys.readouterr().err
    monkeypatch.setenv("GISPLAN_PASSWORD", "wrong")
    assert main(["scenario", "delete", "东门超市", "--yes", "--user", "alice"]) == 2
    assert "wrong user name or password" in capsys.readouterr().err
    monkeypatch.setenv("GISPLAN_PASSWORD", "s3cret!")
    assert main(["scenario", "list", "--user", "alice"]) == 0
    assert "东门超市" in capsys.readouterr().out  # still there


def test_hash_password_command(monkeypatch, capsys):
    from gisplan.store import verify_password

    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2\n"))
    assert main(["user", "hash-password", "--stdin"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed != "hunter2" and verify_password("hunter2", printed)


def test_site_save_then_list_and_show(env: Path, capsys):
    out = env / "site"
    rc = main(
        [
            "site",
            "--category",
            "supermarket",
            "--k",
            "2",
            "--out",
            str(out),
            "--quiet",
            "--save",
            "两家新超市",
            "--user",
            "alice",
        ]
    )
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    capsys.readouterr()
    store = ScenarioStore(engine_from_env())
    rec = store.load(User("alice", "planner"), "两家新超市")
    assert rec.author == "alice"
    cat = rec.results["categories"]["supermarket"]
    assert cat["covered_population_before"] == summary["covered_population_before"]
    assert cat["covered_population_after"] == summary["covered_population_after"]
    assert len(rec.sites_frame()) == 2
    # Saving needs a signed-in user: without --user nothing is computed or saved.
    rc = main(
        [
            "site",
            "--category",
            "supermarket",
            "--k",
            "1",
            "--out",
            str(env / "x"),
            "--quiet",
            "--save",
            "匿名",
        ]
    )
    assert rc == 2 and "sign in" in capsys.readouterr().err
    assert sorted(s.name for s in store.list(User("alice", "planner"))) == sorted(
        ["东门超市", "两家新超市"]
    )
