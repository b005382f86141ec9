"""Writing and opening prepared datasets (GeoPackage; format in :mod:`gisplan.dataset.schema`).

>>> from gisplan.analysis import demo_dataset
>>> from gisplan.dataset import write_dataset, open_dataset
>>> write_dataset(demo_dataset(), "demo.gpkg")            # doctest: +SKIP
>>> ds = open_dataset("demo.gpkg")                        # doctest: +SKIP
>>> ds.name, ds.synthetic, ds.content_hash[:12], [s.kind for s in ds.sources]  # doctest: +SKIP

:func:`write_dataset` writes to a temporary file beside the target and renames it when
complete, so a failure never leaves a half-written dataset.  :func:`open_dataset` reads the
file without writing anything into it and checks it before returning a
:class:`gisplan.analysis.Dataset`: that it is a complete SQLite/GeoPackage file (not
truncated), that it is a gisplan dataset of a schema version this gisplan reads, that every
layer is there with its columns, CRS, geometry type and unique ids, that edges refer to
existing nodes, that categories are catalogue ids, and that the content hash still matches
(the file was not edited or damaged after preparation).  Every problem is a
:class:`~gisplan.dataset.schema.DatasetError` naming the file, the layer and the column.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from gisplan.analysis import Dataset, DataSource, attach_groups
from gisplan.catalogue import load_catalogue
from gisplan.crs import WGS84
from gisplan.dataset.hashing import content_hash, normalise_columns
from gisplan.dataset.schema import (
    CALIBRATED_SUFFIX,
    FORMAT,
    LAYER_COLUMNS,
    METADATA_TABLE,
    OPTIONAL_LAYERS,
    POPULATION_METHODS,
    REQUIRED_LAYERS,
    SCHEMA_VERSION,
    SOURCES_TABLE,
    DatasetError,
    catalogue_version,
)
from gisplan.io.atomic import atomic_path
from gisplan.network.graph import WalkNetwork

__all__ = ["write_dataset", "open_dataset", "read_metadata", "dataset_layers"]

Progress = Callable[[str], None]

_GEOMETRY_TYPES = {
    "nodes": "Point",
    "edges": "LineString",
    "communities": "Point",
    "amenities": "Point",
    "barriers": "MultiPolygon",
    "circles": "MultiPolygon",
    "bridges": "LineString",
}
_SOURCE_COLUMNS = ("kind", "name", "file", "licence", "attribution", "date", "rows", "note")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
_PREPARE_HINT = "prepare it again with: gisplan prepare … --out FILE.gpkg"


# ---------------------------------------------------------------------------------------
# dataset -> layers
# ---------------------------------------------------------------------------------------
def _multipolygons(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    single = shapely.get_type_id(geoms) == 3
    if single.any():
        geoms = geoms.copy()
        geoms[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out


def _text(values, n: int) -> pd.Series:
    s = pd.Series(values if values is not None else [""] * n, dtype=object)
    return s.where(s.notna(), "").astype(str)


def _communities_layer(ds: Dataset) -> gpd.GeoDataFrame:
    c = ds.communities.to_crs(WGS84).reset_index(drop=True)
    n = len(c)
    source = _text(
        c["source"] if "source" in c else ["synthetic" if ds.synthetic else "user"] * n, n
    )
    estimated = (
        c["population_estimated"].fillna(False).astype(bool)
        if "population_estimated" in c
        else pd.Series(np.zeros(n, dtype=bool))
    )
    if "population_method" in c:
        method = _text(c["population_method"], n)
    else:
        method = pd.Series(
            np.where(
                source == "synthetic",
                "synthetic",
                np.where(estimated, "osm_buildings_floor_area", "given"),
            ),
            dtype=object,
        )
    out = c.copy()
    out["id"] = _text(c["id"], n)
    out["name"] = _text(c["name"] if "name" in c else c["id"], n)
    out["population"] = pd.to_numeric(c["population"]).round().astype("int64")
    out["population_method"] = method.to_numpy()
    out["population_estimated"] = (estimated | (method != "given")).to_numpy()
    out["source"] = source.to_numpy()
    return out


def _amenities_layer(ds: Dataset) -> gpd.GeoDataFrame:
    a = ds.amenities.to_crs(WGS84).reset_index(drop=True)
    n = len(a)
    out = a.copy()
    out["id"] = _text(a["id"], n)
    out["name"] = _text(a["name"] if "name" in a else a["id"], n)
    out["category"] = _text(a["category"], n)
    default = "synthetic" if ds.synthetic else "user"
    out["source"] = _text(a["source"] if "source" in a else [default] * n, n)
    out["source_type"] = _text(a["source_type"] if "source_type" in a else None, n)
    return out


def _barriers_layer(ds: Dataset) -> gpd.GeoDataFrame:
    water = ds.extras.get("rivers")
    if water is None or len(water) == 0:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in LAYER_COLUMNS["barriers"]}, geometry=[], crs=WGS84
        )
    w = water.to_crs(WGS84).reset_index(drop=True)
    w = w[np.isin(shapely.get_type_id(w.geometry.values), (3, 6))].reset_index(drop=True)
    n = len(w)
    out = w.copy()
    out["id"] = _text(w["id"] if "id" in w else [f"water{i + 1}" for i in range(n)], n)
    name = w["name"] if "name" in w else (w["name_zh"] if "name_zh" in w else None)
    out["name"] = _text(name, n)
    out["kind"] = _text(w["kind"] if "kind" in w else ["water"] * n, n)
    out["source"] = _text(w["source"] if "source" in w else [ds.network.source] * n, n)
    return _multipolygons(out)


def _circles_layer(circles: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    c = circles.to_crs(WGS84).reset_index(drop=True)
    n = len(c)
    out = c.copy()
    out["id"] = _text(c["id"], n)
    out["name"] = _text(c["name"] if "name" in c else c["id"], n)
    out["level"] = _text(c["level"] if "level" in c else None, n)
    out["source"] = _text(c["source"] if "source" in c else ["user"] * n, n)
    return _multipolygons(out)


def dataset_layers(ds: Dataset) -> dict[str, gpd.GeoDataFrame]:
    """The layers of ``ds`` as the GeoPackage holds them (schema of :mod:`~gisplan.dataset.schema`).

    ``nodes`` and ``edges`` come from the network (metric CRS), the rest in EPSG:4326;
    ``circles`` and ``bridges`` only when the dataset has them.
    """
    net = ds.network
    layers: dict[str, gpd.GeoDataFrame] = {
        "nodes": gpd.GeoDataFrame(
            {"node_id": np.asarray(net.node_ids)},
            geometry=shapely.points(net.node_xy),
            crs=net.crs,
        ),
        "edges": gpd.GeoDataFrame(
            {
                "u": np.asarray(net.node_ids)[net.edge_u],
                "v": np.asarray(net.node_ids)[net.edge_v],
                "length": np.asarray(net.edge_length, dtype=float),
            },
            geometry=np.asarray(net.edge_geometry, dtype=object),
            crs=net.crs,
        ),
        "communities": _communities_layer(ds),
        "amenities": _amenities_layer(ds),
        "barriers": _barriers_layer(ds),
    }
    if ds.circles is not None:
        layers["circles"] = _circles_layer(ds.circles)
    bridges = ds.extras.get("bridges")
    if bridges is not None and len(bridges):
        layers["bridges"] = bridges.to_crs(WGS84).reset_index(drop=True)
    return {k: normalise_columns(v) for k, v in layers.items()}


# ---------------------------------------------------------------------------------------
# write
# ---------------------------------------------------------------------------------------
def write_dataset(
    ds: Dataset,
    path: str | os.PathLike,
    *,
    report: dict | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write ``ds`` as a prepared dataset GeoPackage, atomically; return the path.

    The metadata records the name, the time of writing (UTC), every source with licence,
    credit and date, the network CRS, the catalogue and schema versions, the synthetic flag,
    the content hash and ``report`` (what the preparation did, as JSON).  The dataset's
    :attr:`~gisplan.analysis.Dataset.content_hash` is set to the hash written.
    """
    from gisplan import __version__

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise DatasetError(
            "a prepared dataset is a GeoPackage", file=path, field="--out", hint="name it *.gpkg"
        )
    say = progress or (lambda _m: None)
    layers = dataset_layers(ds)
    say("content hash")
    digest = content_hash(layers)
    meta = {
        "format": FORMAT,
        "schema_version": str(SCHEMA_VERSION),
        "name": ds.name,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "crs": CRS.from_user_input(ds.network.crs).to_string(),
        "catalogue_version": catalogue_version(),
        "synthetic": "true" if ds.synthetic else "false",
        "attribution": ds.attribution or _attribution(ds.sources),
        "content_hash": digest,
        "gisplan_version": __version__,
        "network_source": ds.network.source,
        "report": json.dumps(report or ds.metadata.get("report") or {}, ensure_ascii=False),
    }
    sources = pd.DataFrame(
        [{c: getattr(s, c) for c in _SOURCE_COLUMNS} for s in ds.sources],
        columns=list(_SOURCE_COLUMNS),
    ).astype({"rows": "int64"})
    with atomic_path(path) as tmp:
        for name, gdf in layers.items():
            say(f"writing layer {name} ({len(gdf):,} rows)")
            pyogrio.write_dataframe(
                gdf, tmp, layer=name, driver="GPKG", geometry_type=_GEOMETRY_TYPES[name]
            )
        pyogrio.write_dataframe(sources, tmp, layer=SOURCES_TABLE, driver="GPKG")
        # the metadata table last: a file without it was never finished
        pyogrio.write_dataframe(
            pd.DataFrame({"key": list(meta), "value": list(meta.values())}),
            tmp,
            layer=METADATA_TABLE,
            driver="GPKG",
        )
    ds._content_hash = digest
    return path


def _attribution(sources) -> str:
    return "; ".join(dict.fromkeys(s.attribution for s in sources if s.attribution))


# ---------------------------------------------------------------------------------------
# open
# ---------------------------------------------------------------------------------------
def _check_file(path: Path) -> None:
    """Exists, is an SQLite database with the GeoPackage application id, and is complete."""
    if not path.exists():
        raise DatasetError(
            "file not found", file=path, hint="check the path", code="file.not_found"
        )
    if not path.is_file():
        raise DatasetError("not a file", file=path, hint="give a prepared dataset .gpkg file")
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(100)
    if size == 0:
        raise DatasetError("the file is empty", file=path, hint=_PREPARE_HINT, code="file.empty")
    if not head.startswith(_SQLITE_MAGIC) or len(head) < 100:
        raise DatasetError(
            "not a GeoPackage (not an SQLite database)",
            file=path,
            hint="give a .gpkg written by gisplan prepare",
            code="dataset.not_gisplan",
        )
    page_size = struct.unpack(">H", head[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, n_pages = struct.unpack(">II", head[24:32])
    valid_for = struct.unpack(">I", head[92:96])[0]
    app_id = struct.unpack(">I", head[68:72])[0]
    if n_pages and valid_for == change_counter and size < n_pages * page_size:
        raise DatasetError(
            f"the file is truncated: {size:,} bytes of {n_pages * page_size:,}",
            file=path,
            hint="the copy or download was interrupted; copy the file again",
            code="dataset.truncated",
        )
    if app_id != _GPKG_APPLICATION_ID:
        raise DatasetError(
            "an SQLite database but not a GeoPackage",
            file=path,
            hint="give a .gpkg written by gisplan prepare",
            code="dataset.not_gisplan",
        )


def _list_layers(path: Path) -> dict[str, str | None]:
    try:
        return {str(n): t for n, t in pyogrio.list_layers(path)}
    except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds
        raise DatasetError(
            f"cannot be read as a GeoPackage ({exc})",
            file=path,
            hint=_PREPARE_HINT,
            code="dataset.damaged",
        ) from None


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The metadata table of a prepared dataset (key -> text), after the file checks.

    Quick: reads no layer.  Raises :class:`DatasetError` for a damaged or foreign file.
    """
    path = Path(path)
    _check_file(path)
    layers = _list_layers(path)
    if METADATA_TABLE not in layers:
        found = ", ".join(sorted(layers)) or "(none)"
        raise DatasetError(
            f"a GeoPackage, but not a gisplan dataset (no {METADATA_TABLE} table; layers: {found})",
            file=path,
            field=METADATA_TABLE,
            hint="prepare a dataset with gisplan prepare; plain layers can be read with "
            "gisplan analyze --communities/--amenities",
            code="dataset.not_gisplan",
        )
    table = _read_table(path, METADATA_TABLE, "metadata")
    try:
        meta = dict(zip(table["key"].astype(str), table["value"].astype(str), strict=True))
    except Exception as exc:  # noqa: BLE001
        raise DatasetError(
            f"the metadata table cannot be read ({exc})",
            file=path,
            field=METADATA_TABLE,
            hint=_PREPARE_HINT,
            code="dataset.damaged",
        ) from None
    if meta.get("format") != FORMAT:
        raise DatasetError(
            f"metadata says format {meta.get('format')!r}, not {FORMAT!r}",
            file=path,
            field=f"{METADATA_TABLE}.format",
            hint="give a .gpkg written by gisplan prepare",
            code="dataset.not_gisplan",
        )
    try:
        version = int(meta.get("schema_version", ""))
    except ValueError:
        version = None
    if version != SCHEMA_VERSION:
        newer = version is not None and version > SCHEMA_VERSION
        raise DatasetError(
            f"schema version {meta.get('schema_version')!r}; this gisplan reads version "
            f"{SCHEMA_VERSION}",
            file=path,
            field=f"{METADATA_TABLE}.schema_version",
            hint="update gisplan to open it" if newer else _PREPARE_HINT,
            code="dataset.newer" if newer else "dataset.older",
            params={"version": str(meta.get("schema_version")), "supported": SCHEMA_VERSION},
        )
    return meta


def _fail(
    path: Path,
    layer: str,
    message: str,
    column: str | None = None,
    row=None,
    *,
    code: str | None = None,
    **params,
) -> None:
    """Raise the DatasetError of a damaged or hand-edited dataset.

    ``code`` names the common cases (``dataset.missing_layer``, ``dataset.missing_column``,
    ``dataset.bad_crs``, ``dataset.modified``) for the app's own text; the rest are
    ``dataset.bad_values`` (a column with invalid values) or ``dataset.invalid``, whose English
    ``message`` the app shows only in English.
    """
    if code is None:
        code = "dataset.bad_values" if column else "dataset.invalid"
    raise DatasetError(
        message,
        file=path,
        field=f"{layer}.{column}" if column else layer,
        row=row,
        hint=_PREPARE_HINT,
        code=code,
        params={"layer": layer, "column": column or "", "detail": message, **params},
    )


@dataclass
class _Layer:
    """A layer as read from the GeoPackage.

    Attribute frame (GeoDataFrame with geometry, except ``nodes``), its CRS, its geometries'
    WKB (concatenated, for the hash) and, for nodes, x/y.
    """

    frame: pd.DataFrame
    crs: CRS | None
    wkb: memoryview
    xy: np.ndarray | None = None


def _read_layer(path: Path, layer: str) -> _Layer:
    """Read a layer through Arrow; parse node points with numpy (no shapely objects)."""
    import pyarrow as pa

    try:
        meta, table = pyogrio.read_arrow(path, layer=layer)
        name = meta.get("geometry_name") or "wkb_geometry"
        geo = table.column(name).combine_chunks()
        frame = table.drop_columns([name]).to_pandas()
    except Exception as exc:  # noqa: BLE001 - GDAL and Arrow raise many kinds
        raise DatasetError(
            f"layer {layer!r} cannot be read; the file is damaged ({exc})",
            file=path,
            field=layer,
            hint="copy the file again or " + _PREPARE_HINT,
            code="dataset.damaged",
        ) from None
    missing = [c for c in LAYER_COLUMNS[layer] if c not in frame.columns]
    if missing:
        _fail(
            path,
            layer,
            f"layer {layer!r} lacks column(s) {', '.join(missing)}",
            missing[0],
            code="dataset.missing_column",
            columns=", ".join(missing),
        )
    n = len(geo)
    nulls = (
        np.flatnonzero(np.asarray(geo.is_null(), dtype=bool))
        if geo.null_count
        else np.zeros(0, dtype=np.int64)
    )
    if len(nulls):
        _fail(path, layer, f"{len(nulls)} feature(s) without geometry", "geometry", int(nulls[0]))
    otype = np.int64 if pa.types.is_large_binary(geo.type) else np.int32
    offsets = np.frombuffer(geo.buffers()[1], dtype=otype)[geo.offset : geo.offset + n + 1]
    data = geo.buffers()[2]
    blob = memoryview(data)[int(offsets[0]) : int(offsets[-1])] if n else memoryview(b"")
    crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
    if layer == "nodes":
        raw = np.frombuffer(blob, dtype=np.uint8)
        if n and (np.any(np.diff(offsets) != 21) or len(raw) != 21 * n):
            _fail(path, layer, "node geometries must be 2-D points", "geometry")
        rec = raw.reshape(n, 21)
        if n and (np.any(rec[:, 0] != 1) or np.any(rec[:, 1:5].copy().view("<u4") != 1)):
            _fail(path, layer, "node geometries must be 2-D points", "geometry")
        xy = rec[:, 5:21].copy().view("<f8").reshape(n, 2)
        return _Layer(frame, crs, blob, xy)
    geoms = shapely.from_wkb(np.asarray(geo.to_numpy(zero_copy_only=False), dtype=object))
    empty = np.flatnonzero(shapely.is_empty(geoms))
    if empty.size:
        _fail(
            path, layer, f"{empty.size} feature(s) with empty geometry", "geometry", int(empty[0])
        )
    gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=crs)
    return _Layer(gdf, crs, blob)


def _check_crs(path: Path, layer: str, have: CRS | None, want: CRS) -> None:
    if have is None or not have.equals(want):
        _fail(
            path,
            layer,
            f"layer {layer!r} is in {have.to_string() if have else 'no CRS'}, expected "
            f"{want.to_string()}",
            "crs",
            code="dataset.bad_crs",
        )


def _check_unique(path: Path, layer: str, values: pd.Series, column: str) -> None:
    text = values.astype(str)
    empty = np.flatnonzero((values.isna() | (text.str.strip() == "")).to_numpy())
    if empty.size:
        _fail(path, layer, f"{empty.size} empty {column}(s)", column, int(empty[0]))
    dup = text.duplicated(keep=False).to_numpy()
    if dup.any():
        examples = ", ".join(sorted(set(text[dup]))[:5])
        _fail(path, layer, f"repeated {column}s: {examples}", column, int(np.flatnonzero(dup)[0]))


def open_dataset(
    path: str | os.PathLike, *, verify_hash: bool = True, progress: Progress | None = None
) -> Dataset:
    """Open and check a prepared dataset; return it as a :class:`gisplan.analysis.Dataset`.

    Nothing is written into the file.  With ``verify_hash`` (default) the content hash is
    recomputed from the layers read and must equal the one recorded when it was prepared
    (a few seconds for a whole city); ``False`` trusts the recorded hash.

    Raises
    ------
    DatasetError
        Missing, empty, truncated or unreadable file; a GeoPackage that is not a gisplan
        dataset; another schema version; a missing layer or column; a wrong CRS; missing
        geometries; empty or repeated ids; edges referring to missing nodes; unknown
        categories or population methods; negative populations; a content-hash mismatch.
    """
    path = Path(path)
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    meta = read_metadata(path)
    have = _list_layers(path)
    missing = [name for name in REQUIRED_LAYERS if name not in have]
    if missing:
        _fail(
            path,
            missing[0],
            f"layer(s) {', '.join(missing)} missing",
            code="dataset.missing_layer",
            layers=missing,
        )
    names = [*REQUIRED_LAYERS, *(n for n in OPTIONAL_LAYERS if n in have)]
    read: dict[str, _Layer] = {}
    for name in names:
        say(f"reading layer {name}")
        read[name] = _read_layer(path, name)
    layers = {name: r.frame for name, r in read.items()}

    metric = _check_crses(path, meta, read)
    node_ids = _check_network(path, layers["nodes"], layers["edges"])
    _check_values(path, layers)

    # -- content hash ---------------------------------------------------------------------
    recorded = meta.get("content_hash", "")
    if verify_hash:
        say("checking the content hash")
        actual = content_hash(layers, wkb={name: r.wkb for name, r in read.items()})
        if actual != recorded:
            _fail(
                path,
                METADATA_TABLE,
                "the layers do not match the content hash recorded when the dataset was "
                "prepared (edited or damaged after preparation)",
                "content_hash",
                code="dataset.modified",
            )

    # -- the Dataset ------------------------------------------------------------------------
    say("building the walking network")
    network = _network(
        read["nodes"], layers["edges"], node_ids, metric, meta.get("network_source", "unknown")
    )
    comm = layers["communities"].astype({"population": "int64"})
    if "county" not in comm.columns or "business_district" not in comm.columns:
        comm = attach_groups(comm)
    sources = tuple(_read_sources(path, have))
    extras = {}
    if len(layers["barriers"]):
        extras["rivers"] = layers["barriers"]
    if "bridges" in layers:
        extras["bridges"] = layers["bridges"]
    try:
        report = json.loads(meta.get("report") or "{}")
    except ValueError:
        report = {}
    metadata: dict[str, Any] = {k: v for k, v in meta.items() if k not in ("report",)}
    metadata.update(report=report, path=str(path), open_seconds=round(time.perf_counter() - t0, 3))
    return Dataset(
        network=network,
        communities=comm,
        amenities=layers["amenities"],
        name=meta.get("name") or path.stem,
        synthetic=meta.get("synthetic") == "true",
        attribution=meta.get("attribution", ""),
        extras=extras,
        sources=sources,
        circles=layers.get("circles"),
        metadata=metadata,
        _content_hash=recorded,
    )


def _check_crses(path: Path, meta: dict[str, str], read: dict[str, _Layer]) -> CRS:
    """The recorded metric CRS; every layer in it (network) or in WGS-84 (the others)."""
    try:
        metric = CRS.from_user_input(meta.get("crs", ""))
    except Exception:  # noqa: BLE001
        _fail(
            path, METADATA_TABLE, f"unknown CRS {meta.get('crs')!r}", "crs", code="dataset.bad_crs"
        )
    if not metric.is_projected:
        _fail(
            path,
            METADATA_TABLE,
            f"network CRS {meta['crs']} is not metric",
            "crs",
            code="dataset.bad_crs",
        )
    wgs84 = CRS.from_user_input(WGS84)
    for name, r in read.items():
        _check_crs(path, name, r.crs, metric if name in ("nodes", "edges") else wgs84)
    return metric


def _check_network(path: Path, nodes: pd.DataFrame, edges: pd.DataFrame) -> np.ndarray:
    """The node ids (unique integers); edges that refer to them, with lengths >= 0 metres."""
    if len(edges) == 0:
        _fail(path, "edges", "the walking network has no edges")
    node_num = pd.to_numeric(nodes["node_id"], errors="coerce")
    if node_num.isna().any() or node_num.duplicated().any():
        _fail(path, "nodes", "node ids must be unique integers", "node_id")
    node_ids = node_num.astype("int64").to_numpy()
    for col in ("u", "v"):
        ends = pd.to_numeric(edges[col], errors="coerce")
        bad = np.flatnonzero((ends.isna() | ~ends.isin(node_ids)).to_numpy())
        if bad.size:
            _fail(path, "edges", f"{bad.size} edge(s) refer to missing nodes", col, int(bad[0]))
    length = pd.to_numeric(edges["length"], errors="coerce")
    bad = np.flatnonzero((length.isna() | (length < 0)).to_numpy())
    if bad.size:
        _fail(path, "edges", "edge lengths must be metres >= 0", "length", int(bad[0]))
    return node_ids


def _check_values(path: Path, layers: dict[str, pd.DataFrame]) -> None:
    """Unique ids; communities with populations >= 0 and known methods; known categories."""
    for name in ("communities", "amenities", "circles"):
        if name in layers:
            _check_unique(path, name, layers[name]["id"], "id")
    comm = layers["communities"]
    if len(comm) == 0:
        _fail(path, "communities", "no communities (demand) in the dataset")
    pop = pd.to_numeric(comm["population"], errors="coerce")
    bad = np.flatnonzero((pop.isna() | (pop < 0)).to_numpy())
    if bad.size:
        _fail(path, "communities", "population must be a number >= 0", "population", int(bad[0]))
    method = comm["population_method"].astype(str).str.removesuffix(CALIBRATED_SUFFIX)
    bad = np.flatnonzero(~method.isin(list(POPULATION_METHODS)).to_numpy())
    if bad.size:
        _fail(
            path,
            "communities",
            f"unknown population method {comm['population_method'].iloc[bad[0]]!r}",
            "population_method",
            int(bad[0]),
        )
    known = {c.id for c in load_catalogue()}
    cats = layers["amenities"]["category"].astype(str)
    bad = np.flatnonzero(~cats.isin(known).to_numpy())
    if bad.size:
        _fail(
            path,
            "amenities",
            f"category {cats.iloc[bad[0]]!r} is not in this gisplan's catalogue",
            "category",
            int(bad[0]),
        )


def _read_table(path: Path, table: str, what: str) -> pd.DataFrame:
    """An attribute table of the GeoPackage; a DatasetError naming it when unreadable."""
    try:
        return pyogrio.read_dataframe(path, layer=table, read_geometry=False)
    except Exception as exc:  # noqa: BLE001
        raise DatasetError(
            f"the {what} table cannot be read ({exc})",
            file=path,
            field=table,
            hint=_PREPARE_HINT,
            code="dataset.damaged",
        ) from None


def _network(
    nodes: _Layer, edges: gpd.GeoDataFrame, node_ids: np.ndarray, crs: CRS, source: str
) -> WalkNetwork:
    """The :class:`WalkNetwork` of a checked file: edges as written (oriented u -> v)."""
    assert nodes.xy is not None  # for the type checker: the nodes layer is read with x/y
    order = np.argsort(node_ids, kind="stable")
    ids = node_ids[order]
    xy = nodes.xy[order]
    used = np.zeros(len(ids), dtype=bool)
    eu = np.searchsorted(ids, edges["u"].to_numpy(dtype="int64"))
    ev = np.searchsorted(ids, edges["v"].to_numpy(dtype="int64"))
    used[eu] = used[ev] = True
    if not used.all():  # nodes on no edge: drop them, as WalkNetwork.from_edges does
        keep = np.flatnonzero(used)
        remap = np.full(len(ids), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        ids, xy, eu, ev = ids[keep], xy[keep], remap[eu], remap[ev]
    return WalkNetwork(
        crs=crs.to_string(),
        node_ids=ids.astype(np.int64),
        node_xy=xy,
        edge_u=eu.astype(np.int64),
        edge_v=ev.astype(np.int64),
        edge_length=edges["length"].to_numpy(dtype=float),
        edge_geometry=np.asarray(edges.geometry.values, dtype=object),
        source=source,
    )


def _read_sources(path: Path, have: dict) -> list[DataSource]:
    if SOURCES_TABLE not in have:
        return []
    table = _read_table(path, SOURCES_TABLE, "sources")
    out = []
    for rec in table.to_dict(orient="records"):
        kw = {c: rec.get(c) for c in _SOURCE_COLUMNS}
        kw = {
            k: ("" if v is None or (isinstance(v, float) and np.isnan(v)) else v)
            for k, v in kw.items()
        }
        text = {k: str(v) for k, v in kw.items() if k != "rows"}
        out.append(DataSource(**text, rows=int(kw["rows"] or 0)))
    return out
