"""``gisplan site --within / --plan`` and ``gisplan closure`` end to end on a small city."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from gisplan.cli import main
from tests.helpers.cities import CRS, X0, Y0
from tests.helpers.cli import SHORT


@pytest.fixture
def west_half(tmp_path) -> Path:
    path = tmp_path / "west.geojson"
    poly = shapely.box(X0 - 200, Y0 - 200, X0 + 330, Y0 + 900)
    gpd.GeoDataFrame({"name": ["西半区"]}, geometry=[poly], crs=CRS).to_crs(4326).to_file(path)
    return path


def test_site_within_file(small_demo, west_half, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(
        ["site", "--category", "supermarket", "--k", "2", "--within", str(west_half), "--quiet"]
        + ["--out", str(out), *SHORT]
    )
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    area = summary["area"]
    assert area["name"] == "西半区" and area["objective_counts"] == "area only"
    inside = area["area"]["categories"]["supermarket"]["newly_served_population"]
    outside = area["outside"]["categories"]["supermarket"]["newly_served_population"]
    # the objective counts the area only; people served outside are reported apart
    assert inside == summary["greedy_objective"] > 0
    assert inside + outside == summary["newly_served_population"]
    sites = gpd.read_file(out / "sites.geojson")
    poly = gpd.read_file(west_half).geometry.iloc[0]
    assert sites.within(poly).all()
    text = capsys.readouterr().out
    assert "西半区" in text and "区外 outside" in text


def test_count_outside_needs_within(small_demo, tmp_path, capsys):
    rc = main(["site", "--category", "supermarket", "--k", "1", "--count-outside", "--quiet"])
    assert rc == 2
    assert "--within" in capsys.readouterr().err


def test_unknown_area_is_one_clear_line(small_demo, capsys):
    rc = main(["site", "--category", "supermarket", "--k", "1", "--within", "火星区", "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "火星区" in err and "海曙区" in err and "Traceback" not in err


def test_site_plan_joint(small_demo, west_half, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["site", "--plan", "wet_market=1,supermarket=2", "--exact", "--quiet"]
    rc = main([*args, "--out", str(out), *SHORT])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["plan"] == {"wet_market": 1, "supermarket": 2} and s["objective"] == "complete"
    assert s["exact_objective"] >= s["greedy_objective"] and s["gap"] is not None
    gain = s["complete_population_after"] - s["complete_population_before"]
    assert gain == max(s["exact_objective"], s["greedy_objective"])
    sites = gpd.read_file(out / "sites.geojson")
    counts = sites["category"].value_counts().to_dict()
    assert counts.get("wet_market", 0) <= 1 and counts.get("supermarket", 0) <= 2
    assert "greedy objective" in capsys.readouterr().out
    # with an area: sites inside it, area figures reported
    rc = main([*args, "--within", str(west_half), "--out", str(out), *SHORT])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["area"]["name"] == "西半区"
    sites = gpd.read_file(out / "sites.geojson")
    assert sites.within(gpd.read_file(west_half).geometry.iloc[0]).all()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--plan", "wet_market=1", "--category", "supermarket"], "--plan replaces"),
        (["--plan", "wet_market=x"], "whole number"),
        (["--plan", "wet_market=1", "--weights", "wet_market=2"], "--objective population"),
        (["--category", "supermarket"], "--k"),
    ],
)
def test_plan_errors(small_demo, capsys, extra, message):
    assert main(["site", "--quiet", *extra]) == 2
    assert message in capsys.readouterr().err


@pytest.fixture
def planner(tmp_path, monkeypatch):
    from gisplan.store import hash_password

    users = {"li": {"password_hash": hash_password("pw-123456", rounds=4), "role": "official"}}
    monkeypatch.setenv("GISPLAN_DB", f"sqlite:///{tmp_path / 'plans.db'}")
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(users))
    monkeypatch.setenv("GISPLAN_PASSWORD", "pw-123456")
    return "li"


def test_closure_cli_and_scenario(small_demo, west_half, planner, tmp_path, capsys):
    from gisplan.siting.closure import close_amenities
    from gisplan.store import ScenarioStore, User, engine_from_env

    amen = small_demo.amenities
    market = str(amen.loc[amen["category"] == "wet_market", "id"].iloc[0])
    out = tmp_path / "out"
    args = ["closure", "--amenity", market, "--within", str(west_half), "--quiet", *SHORT]
    rc = main([*args, "--out", str(out), "--save", "拆迁方案", "--user", planner])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in s["closed"]] == [market]
    affected = gpd.read_file(out / "affected.geojson")
    # the CLI's numbers are the API's numbers
    from gisplan.analysis import build_access
    from gisplan.cli import build_parser
    from gisplan.commands import standard_from_args

    std = standard_from_args(build_parser().parse_args(args))
    api = close_amenities(build_access(small_demo, std), std, [market]).summary()
    assert s["people_losing"] == api["people_losing"]
    assert s["categories"] == api["categories"]
    assert int(affected["lost"].sum()) == sum(
        f["communities_losing"] for f in api["categories"].values()
    )
    assert s["area"]["name"] == "西半区"
    text = capsys.readouterr().out
    assert "失去覆盖" in text and "已保存方案" in text
    rec = ScenarioStore(engine_from_env()).load(User(planner, "official"), "拆迁方案")
    assert rec.site_counts()["closed"] == 1
    assert rec.params["closed"] == [market]
    assert rec.results["people_losing"] == api["people_losing"]


def test_closure_relocation_cli(small_demo, tmp_path):
    amen = small_demo.amenities
    market = amen[amen["category"] == "wet_market"].iloc[0]
    out = tmp_path / "out"
    x, y = market.geometry.x + 0.001, market.geometry.y
    rc = main(
        ["closure", "--amenity", str(market["id"]), "--open", f"wet_market@{x},{y}", "--quiet"]
        + ["--out", str(out), *SHORT]
    )
    assert rc == 0
    sites = gpd.read_file(out / "sites.geojson")
    assert sorted(sites["kind"]) == ["closed", "manual"]


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "nothing to close"),
        (["--amenity", "NO-SUCH"], "NO-SUCH"),
        (["--open", "wet_market@abc"], "--open"),
    ],
)
def test_closure_errors(small_demo, capsys, extra, message):
    assert main(["closure", "--quiet", *extra]) == 2
    assert message in capsys.readouterr().err


def test_within_a_circle_of_a_prepared_dataset(small_demo, tmp_path, capsys):
    """A circle of the dataset's circles layer names the area (``--data`` prepared dataset)."""
    from dataclasses import replace

    from gisplan.dataset import write_dataset

    west = shapely.box(X0 - 200, Y0 - 200, X0 + 330, Y0 + 900)
    east = shapely.box(X0 + 330, Y0 - 200, X0 + 900, Y0 + 900)
    circles = gpd.GeoDataFrame(
        {"id": ["Q1", "Q2"], "name": ["西门街道", "东门街道"], "level": "街道", "source": "test"},
        geometry=[west, east],
        crs=CRS,
    ).to_crs(4326)
    path = tmp_path / "city.gpkg"
    write_dataset(replace(small_demo, circles=circles), path)
    out = tmp_path / "out"
    rc = main(
        ["site", "--data", str(path), "--category", "supermarket", "--k", "1", "--quiet"]
        + ["--within", "东门街道", "--out", str(out), *SHORT]
    )
    assert rc == 0, capsys.readouterr().err
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["area"]["name"] == "东门街道" and s["area"]["kind"] == "circle"
    sites = gpd.read_file(out / "sites.geojson")
    assert sites.within(circles.geometry.iloc[1]).all()
    amen = small_demo.amenities
    market = str(amen.loc[amen["category"] == "wet_market", "id"].iloc[0])
    rc = main(
        ["closure", "--data", str(path), "--amenity", market, "--within", "西门街道", "--quiet"]
        + ["--out", str(tmp_path / "c"), *SHORT]
    )
    assert rc == 0, capsys.readouterr().err
    s = json.loads((tmp_path / "c" / "summary.json").read_text(encoding="utf-8"))
    assert s["area"]["name"] == "西门街道"
