"""Hostile upload files, built on the fly (for tests and ``benchmarks/bench_hostile_upload.py``).

Each builder writes into a folder and returns the path; none needs the network.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gisplan.crs import WGS84

HOSTILE_NAMES = [
    "<img src=x onerror=alert('img')>",
    "<script>alert('script')</script>",
    '"><svg onload=alert("svg")>',
    "javascript:alert('js')",
    "' onmouseover='alert(1)' x='",
]


def communities_frame(n: int = 3, *, names=None, x0: float = 121.55, y0: float = 29.87):
    """``n`` community points near 三江口 (EPSG:4326) with ``id``, ``name``, ``population``."""
    names = list(names) if names is not None else [f"小区{i}" for i in range(n)]
    n = len(names)
    return gpd.GeoDataFrame(
        {
            "id": [f"h{i}" for i in range(n)],
            "name": names,
            "population": [100 + i for i in range(n)],
        },
        geometry=[shapely.Point(x0 + 0.001 * i, y0 + 0.001 * i) for i in range(n)],
        crs=WGS84,
    )


def recursive_view_gpkg(folder: Path) -> Path:
    """A GeoPackage (~100 KB) whose only layer is a ``WITH RECURSIVE`` view that never ends."""
    path = Path(folder) / "recursive_view.gpkg"
    communities_frame(1).to_file(
        path, layer="base", driver="GPKG", engine="pyogrio", SPATIAL_INDEX="NO"
    )
    con = sqlite3.connect(path)
    try:
        geom_col = con.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name='base'"
        ).fetchone()[0]
        blob = con.execute(f"SELECT hex({geom_col}) FROM base").fetchone()[0]
        con.executescript(
            f"""
            CREATE VIEW evil AS
              WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r)
              SELECT i AS fid, X'{blob}' AS geom, 'x' AS name, 1 AS population FROM r
              WHERE i > 0;
            INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
              VALUES ('evil', 'features', 'evil', 4326);
            INSERT INTO gpkg_geometry_columns VALUES ('evil', 'geom', 'POINT', 4326, 0, 0);
            DELETE FROM gpkg_geometry_columns WHERE table_name = 'base';
            DELETE FROM gpkg_contents WHERE table_name = 'base';
            DELETE FROM gpkg_ogr_contents WHERE table_name = 'base';
            DROP TABLE base;
            """
        )
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
    return path


def trigger_gpkg(folder: Path) -> Path:
    """A GeoPackage with triggers that would write a table ``pwned`` if they ever ran."""
    path = Path(folder) / "triggers.gpkg"
    communities_frame(3).to_file(path, layer="communities", driver="GPKG", engine="pyogrio")
    con = sqlite3.connect(path)
    try:
        con.executescript(
            """
            CREATE TABLE pwned (what TEXT);
            CREATE TRIGGER t_ins AFTER INSERT ON communities BEGIN
              INSERT INTO pwned VALUES ('insert'); END;
            CREATE TRIGGER t_upd AFTER UPDATE ON communities BEGIN
              INSERT INTO pwned VALUES ('update'); END;
            CREATE TRIGGER t_del AFTER DELETE ON communities BEGIN
              INSERT INTO pwned VALUES ('delete'); END;
            """
        )
        con.commit()
    finally:
        con.close()
    return path


def zip_bomb_shapefile(folder: Path, *, points: int = 10_000_000) -> Path:
    """A zipped Shapefile of one MultiPoint of ``points`` identical points.

    10 million points make a ~160 MB ``.shp`` that deflates to a few hundred KB (the
    issue's 311 KB bomb).
    """
    folder = Path(folder)
    header = np.zeros(25, dtype=">i4")
    header[0] = 9994
    rec_content = 4 + 32 + 4 + 16 * points  # shape type, box, count, points (bytes)
    file_len = 100 + 8 + rec_content
    header[6] = file_len // 2
    buf = io.BytesIO()
    buf.write(header[:7].tobytes())
    buf.write(np.array([1000, 8], dtype="<i4").tobytes())  # version, MultiPoint
    box = np.array([121.55, 29.87, 121.55, 29.87, 0, 0, 0, 0], dtype="<f8")
    buf.write(box.tobytes())
    head = buf.getvalue()
    assert len(head) == 100
    rec_head = np.array([1, rec_content // 2], dtype=">i4").tobytes()
    rec_meta = np.array([8], dtype="<i4").tobytes() + box[:4].tobytes()
    rec_meta += np.array([points], dtype="<i4").tobytes()
    pt = np.array([121.55, 29.87], dtype="<f8").tobytes()
    shx = bytearray(head)
    shx[24:28] = np.array([(100 + 8) // 2], dtype=">i4").tobytes()
    shx += np.array([50, rec_content // 2], dtype=">i4").tobytes()
    dbf = _dbf_one_record()
    path = folder / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("bomb.shp", "w", force_zip64=True) as f:
            f.write(head + rec_head + rec_meta)
            chunk = pt * 65536
            left = points
            while left > 0:
                k = min(left, 65536)
                f.write(chunk if k == 65536 else pt * k)
                left -= k
        z.writestr("bomb.shx", bytes(shx))
        z.writestr("bomb.dbf", dbf)
        z.writestr("bomb.prj", _WGS84_PRJ)
    return path


_WGS84_PRJ = (
    'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)


def _dbf_one_record() -> bytes:
    """A dBASE III table with fields id (C10), population (N10) and one record."""
    fields = [(b"id", b"C", 10), (b"population", b"N", 10)]
    n_fields = len(fields)
    header_len = 32 + 32 * n_fields + 1
    rec_len = 1 + sum(f[2] for f in fields)
    out = bytearray(32)
    out[0] = 3
    out[4:8] = (1).to_bytes(4, "little")
    out[8:10] = header_len.to_bytes(2, "little")
    out[10:12] = rec_len.to_bytes(2, "little")
    for name, kind, size in fields:
        d = bytearray(32)
        d[: len(name)] = name
        d[11:12] = kind
        d[16] = size
        out += d
    out += b"\r"
    out += b" " + b"b1".ljust(10) + b"100".rjust(10)
    out += b"\x1a"
    return bytes(out)


def big_points_csv(folder: Path, rows: int = 1_190_000) -> Path:
    """A valid CSV of ``rows`` community points (~49 MB for the issue's 1.19 M rows)."""
    rng = np.random.default_rng(8)
    lon = 121.40 + 0.3 * rng.random(rows)
    lat = 29.75 + 0.25 * rng.random(rows)
    lines = [
        f"c{i},{100 + i % 900},{x:.6f},{y:.6f}"
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]
    path = Path(folder) / "big.csv"
    path.write_text("id,population,lon,lat\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def nan_geojson(folder: Path) -> Path:
    """A GeoJSON with one point at ``[NaN, 29.87]`` (feature 1) and one good point."""
    path = Path(folder) / "nan.geojson"
    good = '{"type":"Feature","properties":{"id":"a","name":"甲","population":5},"geometry":{"type":"Point","coordinates":[121.55,29.87]}}'
    bad = '{"type":"Feature","properties":{"id":"b","name":"乙","population":5},"geometry":{"type":"Point","coordinates":[NaN,29.87]}}'
    path.write_text('{"type":"FeatureCollection","features":[' + good + "," + bad + "]}")
    return path


def deep_geojson(folder: Path, depth: int = 100_000) -> Path:
    """A GeoJSON whose one property is an array nested ``depth`` levels deep."""
    path = Path(folder) / "deep.geojson"
    feature = {
        "type": "Feature",
        "properties": {"id": "a", "population": 1, "x": "__DEEP__"},
        "geometry": {"type": "Point", "coordinates": [121.55, 29.87]},
    }
    text = json.dumps({"type": "FeatureCollection", "features": [feature]})
    path.write_text(text.replace('"__DEEP__"', "[" * depth + "]" * depth))
    return path


# -- readers that misbehave (run by the upload worker in tests of its limits) -----------------


def spin_reader(path, **_options):
    """A reader that never returns (stands in for GDAL looping on a hostile file)."""
    while True:
        pass


def hog_reader(path, **_options):
    """A reader that keeps allocating memory until something stops it."""
    hoard = []
    while True:
        hoard.append(bytearray(256 * 1024 * 1024))


def two_tables_reader(path, **_options):
    """A multi-layer reader: the layer of ``path`` and a plain table (for MULTI_LAYER kinds)."""
    import pandas as pd

    from gisplan.io.readers import read_layer

    gdf = read_layer(path, layer="pts")
    return {"points": gdf, "notes": pd.DataFrame({"k": ["a", "b"], "v": [1, 2]})}
