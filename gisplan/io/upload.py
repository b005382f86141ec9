"""Reading uploaded files away from the server: a worker process with time and memory limits.

An uploaded file is hostile until proven otherwise.  :func:`read_upload` writes the bytes
to a private temporary folder and reads them in a separate Python process
(``python -m gisplan.io.upload``) that

- limits its own address space (``RLIMIT_AS``) and CPU time (``RLIMIT_CPU``) before it
  imports any GIS library, and lowers its priority (``nice``), so one upload can neither
  exhaust the server's memory nor starve other sessions;
- is killed (with its process group) when the wall-time limit passes;
- checks the file before any GIS library reads it:

  * **GeoPackage**: inspected with SQLite opened read-only and ``immutable`` (no journal,
    no locks, nothing written); any view is refused (a recursive view never ends), as are
    virtual tables other than the R*Tree spatial index, and feature tables that are not
    plain tables.  GDAL then opens it read-only, so triggers never run;
  * **zipped Shapefile**: the archive's entries are listed without expanding them; the
    total uncompressed size and the compression ratio are checked first, and the members
    are then extracted (base names only, so no path leaves the folder) with a byte budget
    that stops a lying header too;
  * **CSV**: the number of data rows is counted before parsing;
  * **every format**: the number of features (from the driver's metadata, before the
    geometries are read) and, after reading, the number of vertices.

The result comes back as GeoParquet plus a JSON sidecar (never a pickle), so even a worker
that a hostile file managed to subvert could not run code in the server.  Every refusal is
an :class:`~gisplan.errors.InputError` naming the file and the limit.

Limits: :class:`UploadLimits` (defaults documented in ``SECURITY.md``; override with the
``GISPLAN_UPLOAD_*`` environment variables listed there).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from gisplan.errors import InputError
from gisplan.settings import ENV_UPLOAD_PREFIX

__all__ = ["UploadLimits", "UploadResult", "read_upload", "READERS", "MULTI_LAYER"]

_MB = 1024 * 1024

#: What the worker may run on an uploaded file: name -> "module:function".  Each function
#: takes ``(path, **options)`` and returns a GeoDataFrame.
READERS: dict[str, str] = {
    "communities": "gisplan.io.layers:read_communities",
    "amenities": "gisplan.io.layers:read_amenities",
    "layer": "gisplan.io.layers:read_layer",
    # a prepared dataset (gisplan prepare), validated whole; its communities come back
    "dataset": "gisplan.dataset.check:check_prepared",
}
#: Kinds whose reader takes a whole multi-layer file (e.g. a prepared dataset GeoPackage) and
#: returns ``{name: GeoDataFrame or DataFrame}``; single-layer kinds get the one feature
#: table of a GeoPackage as ``layer=`` and a file with several is refused.
MULTI_LAYER: set[str] = {"dataset"}

_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip", ".csv", ".txt", ".tsv"}
_SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qpj"}


@dataclass(frozen=True)
class UploadLimits:
    """Bounds on one uploaded file and on the process that reads it.

    Attributes
    ----------
    max_mb : float
        Size of the uploaded file, megabytes (10^6 bytes); keep equal to Streamlit's
        ``server.maxUploadSize``.
    max_features : int
        Features (rows) in the layer; checked before geometries are read.
    max_vertices : int
        Coordinate pairs over all geometries.
    max_uncompressed_mb : float
        Total uncompressed size of a zip archive's members, megabytes.
    max_zip_ratio : float
        Uncompressed / compressed size of a zip archive (a zip bomb is in the hundreds).
    time_s : float
        Wall time of the reading process, seconds; it is killed after it.
    memory_mb : int
        Address space of the reading process (``RLIMIT_AS``), MiB; the GIS libraries take
        about 1.5 GiB of it (mostly mapped, not resident) before any data is read.
    """

    max_mb: float = 50.0
    max_features: int = 200_000
    max_vertices: int = 5_000_000
    max_uncompressed_mb: float = 300.0
    max_zip_ratio: float = 100.0
    time_s: float = 60.0
    memory_mb: int = 3072

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> UploadLimits:
        """Defaults, overridden by ``GISPLAN_UPLOAD_<FIELD>`` (e.g. ``GISPLAN_UPLOAD_TIME_S``)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"{ENV_UPLOAD_PREFIX}{f.name.upper()}")
            if raw is None or not raw.strip():
                continue
            kind = int if f.type in (int, "int") else float
            try:
                value = kind(raw)
            except ValueError:
                raise InputError(
                    f"GISPLAN_UPLOAD_{f.name.upper()}={raw!r} is not a number",
                    field=f"GISPLAN_UPLOAD_{f.name.upper()}",
                    hint="give a positive number (see SECURITY.md)",
                    code="upload.bad_setting",
                ) from None
            if not value > 0 or value != value or value in (float("inf"),):
                raise InputError(
                    f"GISPLAN_UPLOAD_{f.name.upper()}={raw!r} must be a positive finite number",
                    field=f"GISPLAN_UPLOAD_{f.name.upper()}",
                    code="upload.bad_setting",
                )
            values[f.name] = value
        return cls(**values)


@dataclass
class UploadResult:
    """A layer read by the worker, with what the reading cost.

    ``gdf`` is the layer (``None`` for a :data:`MULTI_LAYER` kind, whose tables are in
    ``layers`` by name); ``warnings`` are the reader's ``UserWarning`` texts with the file
    named as uploaded, and ``notices`` the same warnings as ``{"text", "code", "params"}``
    (:class:`~gisplan.errors.InputWarning`'s code, for the app's language); ``seconds`` is the wall time including the worker's start; ``peak_mb``
    the worker's peak resident memory (MiB).
    """

    gdf: Any
    warnings: list[str] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    peak_mb: float = 0.0
    layers: dict[str, Any] = field(default_factory=dict)


# -- parent side -------------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """A file name for ``name`` that keeps its suffix and cannot leave a folder."""
    base = Path(str(name).replace("\\", "/")).name
    stem = re.sub(r"[^\w.\-]+", "_", base, flags=re.UNICODE).strip("._") or "upload"
    return stem[-120:]


def read_upload(
    data: bytes,
    filename: str,
    kind: str,
    *,
    limits: UploadLimits | None = None,
    **options: Any,
) -> UploadResult:
    """Read an uploaded file in a bounded worker process; raise InputError on any problem.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        The name the user gave the file (shown in messages; its suffix picks the format).
    kind : str
        A key of :data:`READERS` (``"communities"``, ``"amenities"``, ``"layer"``).
    limits : UploadLimits, optional
        Default :meth:`UploadLimits.from_env`.
    **options
        Passed to the reader (``crs=``, ``layer=``, ``encoding=`` ...): JSON values only.
    """
    if kind not in READERS:
        raise ValueError(f"unknown upload kind {kind!r}; known: {', '.join(READERS)}")
    limits = limits or UploadLimits.from_env()
    shown = Path(str(filename).replace("\\", "/")).name or "upload"
    size_mb = len(data) / 1e6
    if size_mb > limits.max_mb:
        raise InputError(
            f"the file is {size_mb:.1f} MB; the upload limit is {limits.max_mb:g} MB",
            file=shown,
            hint="split the layer or keep only the columns and features you need",
            code="upload.too_large",
            params={"size_mb": round(size_mb, 1), "limit_mb": limits.max_mb},
        )
    suffix = Path(shown).suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix or '(none)'}",
            file=shown,
            hint="use GeoJSON, GeoPackage, zipped Shapefile (.zip) or CSV with lon/lat",
            code="upload.unsupported_type",
            params={"suffix": suffix or "—"},
        )
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gisplan-upload-") as tmp:
        work = Path(tmp)
        path = work / ("upload" + suffix)
        path.write_bytes(data)
        request = {
            "path": str(path),
            "shown": shown,
            "reader": READERS[kind],
            "multi_layer": kind in MULTI_LAYER,
            "options": options,
            "limits": asdict(limits),
            "out": str(work / "out"),
        }
        (work / "request.json").write_text(json.dumps(request), encoding="utf-8")
        status = _run_worker(work, limits)
        return _collect(work, status, shown, limits, time.perf_counter() - t0)


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    # One thread per library: the worker must not take every core of a shared server.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GDAL_NUM_THREADS"):
        env[var] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def _run_worker(work: Path, limits: UploadLimits) -> dict:
    """Run the worker on ``work/request.json``; ``{"returncode", "timed_out", "stderr"}``."""
    log = open(work / "worker.log", "wb")  # noqa: SIM115 - closed below
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gisplan.io.upload", str(work / "request.json")],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_worker_env(),
            cwd=work,
            start_new_session=True,  # its own process group: killed as a whole
        )
        timed_out = False
        try:
            proc.wait(timeout=limits.time_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
    finally:
        log.close()
    stderr = (work / "worker.log").read_bytes()[-4000:].decode("utf-8", "replace")
    return {"returncode": proc.returncode, "timed_out": timed_out, "stderr": stderr}


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _collect(work: Path, status: dict, shown: str, limits: UploadLimits, seconds: float):
    out = work / "out"
    if status["timed_out"]:
        raise InputError(
            f"reading the file took longer than the {limits.time_s:g} s limit and was stopped",
            file=shown,
            hint="upload a smaller or simpler layer (plain tables, points), e.g. as GeoJSON",
            code="upload.timeout",
            params={"seconds": limits.time_s},
        )
    meta_path = out / "result.json"
    if not meta_path.exists():
        rc = status["returncode"]
        if rc is not None and rc < 0 and -rc in (signal.SIGXCPU, signal.SIGKILL):
            reason = f"the reader used more than its CPU-time limit ({limits.time_s:g} s)"
        elif "MemoryError" in status["stderr"] or "std::bad_alloc" in status["stderr"]:
            reason = f"the reader needed more than its {limits.memory_mb} MiB memory limit"
        elif rc is not None and rc < 0:
            name = signal.Signals(-rc).name if -rc in signal.valid_signals() else str(-rc)
            reason = (
                f"the reader crashed ({name}), most likely at its {limits.memory_mb} MiB "
                "memory limit"
            )
        else:
            reason = f"the reader stopped unexpectedly (exit status {rc})"
        raise InputError(
            reason,
            file=shown,
            hint="upload a smaller or simpler layer, e.g. points as GeoJSON",
            code="upload.reader_limit",
            params={"memory_mb": limits.memory_mb, "seconds": limits.time_s},
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta["status"] == "error":
        e = meta["error"]
        err = InputError(
            e["message"],
            file=shown,
            field=e["field"],
            row=e["row"],
            hint=e["hint"],
            code=e.get("code"),
            params=e.get("params"),
        )
        err.worker_peak_mb = float(meta.get("peak_mb", 0.0))  # type: ignore[attr-defined]
        raise err
    import geopandas as gpd
    import pandas as pd

    layers = {}
    for item in meta["layers"]:
        read = gpd.read_parquet if item["geo"] else pd.read_parquet
        frame = read(out / item["file"])
        frame.attrs.update(item.get("attrs", {}))
        layers[item["name"]] = frame
    notices = list(meta.get("notices", []))
    return UploadResult(
        gdf=layers.get(""),
        warnings=[n["text"] for n in notices] or list(meta.get("warnings", [])),
        notices=notices,
        seconds=seconds,
        peak_mb=float(meta.get("peak_mb", 0.0)),
        layers={k: v for k, v in layers.items() if k},
    )


# -- worker side ---------------------------------------------------------------------------------


def _limit_self(limits: dict) -> None:
    """Address space, CPU time and priority of this process (before any GIS import)."""
    import resource

    mem = int(limits["memory_mb"]) * _MB
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(limits["time_s"]) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        os.nice(10)
    except OSError:
        pass


def _refuse(
    message: str,
    *,
    field: str | None = None,
    hint: str | None = None,
    code: str | None = None,
    **params: Any,
):
    raise InputError(message, field=field, hint=hint, code=code, params=params)


def check_geopackage(path: Path) -> list[str]:
    """Names of the feature tables of a GeoPackage, refusing anything but plain tables.

    SQLite opens the file read-only and ``immutable`` (nothing is written, no journal is
    replayed).  ``sqlite_master`` is read first, without running any view; any view in the
    file is refused (GDAL would run it), as is any virtual table other than ``rtree`` (the
    spatial index).  Triggers are allowed: they only fire on writes, and the file is only
    ever opened for reading.
    """
    import sqlite3
    from urllib.parse import quote

    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        _refuse(
            f"not a readable GeoPackage ({exc})",
            hint="export it again as GeoPackage",
            code="upload.not_gpkg",
        )
    try:
        con.execute("PRAGMA query_only = ON")
        con.execute("PRAGMA trusted_schema = OFF")
        try:
            master = con.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        except sqlite3.Error as exc:
            _refuse(
                f"not a GeoPackage ({exc})",
                hint="export it again as GeoPackage",
                code="upload.not_gpkg",
            )
        views = sorted(name for kind, name, _ in master if kind == "view")
        if views:
            _refuse(
                f"the GeoPackage contains views ({', '.join(views[:5])}); only tables are accepted",
                field="layer",
                hint="export the layer as a plain table (QGIS: Export > Save Features As)",
                code="upload.gpkg_not_plain",
            )
        tables = {name: sql or "" for kind, name, sql in master if kind == "table"}
        virtual = sorted(
            name
            for name, sql in tables.items()
            if sql.lstrip().upper().startswith("CREATE VIRTUAL")
            and not re.search(r"USING\s+rtree\s*\(", sql, flags=re.IGNORECASE)
        )
        if virtual:
            _refuse(
                f"the GeoPackage contains virtual tables ({', '.join(virtual[:5])})",
                field="layer",
                hint="export the layer as a plain table",
                code="upload.gpkg_not_plain",
            )
        if "gpkg_contents" not in tables:
            _refuse(
                "not a GeoPackage (no gpkg_contents table)",
                hint="export it as GeoPackage",
                code="upload.not_gpkg",
            )
        rows = con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()
    finally:
        con.close()
    features = [str(name) for name, kind in rows if str(kind).lower() == "features"]
    missing = [n for n in features if n not in tables or n.lower().startswith("rtree_")]
    if missing:
        _refuse(
            f"the GeoPackage lists layers that are not plain tables: {', '.join(missing[:5])}",
            field="layer",
            hint="export the layer as a plain table",
            code="upload.gpkg_not_plain",
        )
    return features


def extract_zip(path: Path, dest: Path, limits: dict) -> Path:
    """Extract a zipped Shapefile's parts into ``dest`` within the size limits; the ``.shp``.

    The central directory is checked first (total uncompressed size, compression ratio,
    member count); members are then copied in chunks against a byte budget (a header that
    understates a member's size fails its check in :mod:`zipfile`).  Only Shapefile parts
    are extracted, under their base names.
    """
    import zipfile
    import zlib

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        _refuse(
            f"not a readable zip archive ({exc})",
            hint="zip the .shp, .shx, .dbf, .prj",
            code="upload.not_zip",
        )
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > 1000:
            _refuse(
                f"the archive has {len(infos)} entries (limit 1000)",
                code="upload.zip_entries",
                n=len(infos),
                limit=1000,
            )
        total = sum(i.file_size for i in infos)
        packed = max(path.stat().st_size, 1)
        cap = limits["max_uncompressed_mb"] * 1e6
        if total > cap:
            _refuse(
                f"the archive expands to {total / 1e6:,.0f} MB; the limit is "
                f"{limits['max_uncompressed_mb']:g} MB uncompressed",
                hint="upload a smaller layer",
                code="upload.zip_too_big",
                limit_mb=limits["max_uncompressed_mb"],
            )
        if total / packed > limits["max_zip_ratio"]:
            _refuse(
                f"the archive expands {total / packed:,.0f}-fold; the limit is "
                f"{limits['max_zip_ratio']:g}-fold (a zip bomb?)",
                hint="upload the layer uncompressed as GeoPackage or GeoJSON",
                code="upload.zip_ratio",
                limit=limits["max_zip_ratio"],
            )
        parts = [i for i in infos if Path(i.filename).suffix.lower() in _SHAPEFILE_PARTS]
        shps = [i for i in parts if i.filename.lower().endswith(".shp")]
        if not shps:
            _refuse(
                "the archive holds no Shapefile (.shp)",
                hint="zip the .shp, .shx, .dbf, .prj",
                code="upload.zip_no_shp",
            )
        if len(shps) > 1:
            names = ", ".join(Path(i.filename).stem for i in shps[:10])
            _refuse(
                f"the archive has {len(shps)} layers: {names}",
                field="layer",
                hint="zip one Shapefile per upload",
                code="upload.several_layers",
                n=len(shps),
                names=names,
            )
        dest.mkdir(parents=True, exist_ok=True)
        budget = cap
        stem = Path(shps[0].filename).stem
        for info in parts:
            if Path(info.filename).stem != stem:
                continue
            target = dest / ("layer" + Path(info.filename).suffix.lower())
            try:
                with zf.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        budget -= len(chunk)
                        if budget < 0:
                            _refuse(
                                "the archive expands beyond the "
                                f"{limits['max_uncompressed_mb']:g} MB limit",
                                hint="upload a smaller layer",
                                code="upload.zip_too_big",
                                limit_mb=limits["max_uncompressed_mb"],
                            )
                        dst.write(chunk)
            except (
                zipfile.BadZipFile,
                zlib.error,
                EOFError,
                NotImplementedError,
                RuntimeError,
            ) as exc:
                _refuse(
                    f"the archive is damaged or uses an unsupported method ({exc})",
                    hint="zip the .shp, .shx, .dbf and .prj again (deflate)",
                    code="upload.zip_damaged",
                )
    return dest / "layer.shp"


def count_csv_rows(path: Path, limit: int) -> int:
    """Data rows of a CSV (lines after the header), counted before parsing; InputError over ``limit``.

    Quoted line breaks count as rows too, so the figure is an upper bound.
    """
    import codecs

    from gisplan.io.guards import utf16_encoding

    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or utf16_encoding(data):
        enc = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else None
        text = data.decode(enc or utf16_encoding(data), errors="replace")
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    else:
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    rows = max(lines - 1, 0)
    if rows > limit:
        _refuse(
            f"the file has {rows:,} data rows; the limit is {limit:,} features per upload",
            hint="split the layer, or ask the administrator to raise GISPLAN_UPLOAD_MAX_FEATURES",
            code="upload.too_many_features",
            n=rows,
            limit=limit,
        )
    return rows


def _check_counts(gdf, limits: dict) -> None:
    import shapely

    if len(gdf) > limits["max_features"]:
        _refuse(
            f"the layer has {len(gdf):,} features; the limit is {limits['max_features']:,}",
            hint="split the layer, or ask the administrator to raise GISPLAN_UPLOAD_MAX_FEATURES",
            code="upload.too_many_features",
            n=len(gdf),
            limit=limits["max_features"],
        )
    n = int(shapely.get_num_coordinates(gdf.geometry.values).sum())
    if n > limits["max_vertices"]:
        _refuse(
            f"the layer has {n:,} vertices; the limit is {limits['max_vertices']:,}",
            field="geometry",
            hint="simplify the geometries or use points, or ask the administrator to raise "
            "GISPLAN_UPLOAD_MAX_VERTICES",
            code="upload.too_many_vertices",
            n=n,
            limit=limits["max_vertices"],
        )


_SQLITE_MAGIC = b"SQLite format 3\x00"
_SHP_MAGIC = b"\x00\x00\x27\x0a"


def check_signature(path: Path) -> None:
    """The file's first bytes must fit its suffix.

    GDAL picks a driver by content, not by name: a GeoPackage (with views) renamed
    ``.geojson``, or hidden in a zip as ``.shp``, would otherwise be opened as one, past the
    GeoPackage checks.
    """
    suffix = path.suffix.lower()
    with open(path, "rb") as f:
        head = f.read(64)
    kind = {".gpkg": "GeoPackage", ".zip": "zip", ".shp": "Shapefile"}.get(suffix, "text")
    if suffix == ".gpkg":
        ok = head.startswith(_SQLITE_MAGIC)
    elif suffix == ".zip":
        ok = head.startswith(b"PK")
    elif suffix == ".shp":
        ok = head.startswith(_SHP_MAGIC)
    elif suffix in (".geojson", ".json"):
        kind = "GeoJSON"
        ok = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    else:  # CSV: text, never a binary container
        ok = not head.startswith((_SQLITE_MAGIC, b"PK"))
    if not ok:
        _refuse(
            f"the content is not a {kind} file although the name ends in {suffix}",
            hint="upload the file in the format its name says",
            code="upload.not_format",
            kind=kind,
            suffix=suffix,
        )


def _precheck(path: Path, work: Path, options: dict, limits: dict, multi: bool = False) -> Path:
    """Format checks before any GIS library reads ``path``; the path to read."""
    check_signature(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        count_csv_rows(path, int(limits["max_features"]))
        return path
    if suffix == ".zip":
        path = extract_zip(path, work / "unzipped", limits)
        check_signature(path)
    elif suffix == ".gpkg":
        layers = check_geopackage(path)
        layer = options.get("layer")
        if multi:
            pass
        elif layer is None and len(layers) == 1:
            # The one feature layer (other tables, e.g. attribute tables, are not layers here).
            options["layer"] = layers[0]
        elif layer is None and len(layers) > 1:
            _refuse(
                f"the file has {len(layers)} layers: {', '.join(layers[:10])}",
                field="layer",
                hint="keep one layer per upload",
                code="upload.several_layers",
                n=len(layers),
                names=", ".join(layers[:10]),
            )
        elif isinstance(layer, str) and layer not in layers:
            _refuse(
                f"no layer {layer!r}; layers: {', '.join(layers)}",
                field="layer",
                code="upload.no_layer",
                layer=layer,
                names=", ".join(layers),
            )
    elif suffix in (".geojson", ".json"):
        from gisplan.io.guards import check_json_depth

        check_json_depth(path)
    import pyogrio

    try:
        info = pyogrio.read_info(str(path), layer=options.get("layer"))
    except Exception:  # noqa: BLE001 - the reader reports unreadable files in its words
        return path
    n = int(info.get("features", -1))
    if n > int(limits["max_features"]):
        _refuse(
            f"the layer has {n:,} features; the limit is {int(limits['max_features']):,}",
            hint="split the layer, or ask the administrator to raise GISPLAN_UPLOAD_MAX_FEATURES",
            code="upload.too_many_features",
            n=n,
            limit=int(limits["max_features"]),
        )
    return path


def _jsonable_frame(gdf):
    """Object columns of mixed types become text, so that the frame can be GeoParquet."""
    import pandas as pd

    out = gdf.copy()
    for c in out.columns:
        if c == out.geometry.name or out[c].dtype != object:
            continue
        out[c] = out[c].map(lambda v: None if v is None or v is pd.NA else str(v))
    return out


def _peak_rss_mb() -> float:
    """Peak resident memory of this process since it started (MiB).

    ``VmHWM`` (Linux) rather than ``ru_maxrss``, which keeps the parent's figure from
    before ``exec``: the server's size would be reported as the worker's.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _json_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with values JSON can carry (others as text); no path of the worker's folder."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[str(k)] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(x, (str, int, float)) for x in v):
            out[str(k)] = list(v)
        else:
            out[str(k)] = str(v)
    return out


def _worker(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    limits = request["limits"]
    _limit_self(limits)
    out = Path(request["out"])
    out.mkdir(parents=True, exist_ok=True)
    path = Path(request["path"])
    shown = request["shown"]
    work = path.parent

    def as_uploaded(text: str) -> str:
        text = text.replace(str(work / "unzipped" / "layer.shp"), shown)
        text = text.replace(str(path), shown).replace(str(work) + "/", "")
        return text.replace(f"/vsizip/{path}", shown)

    def write_meta(meta: dict) -> None:
        meta["peak_mb"] = _peak_rss_mb()
        tmp = out / "result.json.tmp"
        tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        tmp.replace(out / "result.json")

    import importlib
    import warnings

    try:
        multi = bool(request.get("multi_layer"))
        read_path = _precheck(path, work, request["options"], limits, multi)
        module, func = request["reader"].split(":")
        reader = getattr(importlib.import_module(module), func)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = reader(read_path, **request["options"])
        import geopandas as gpd

        tables = dict(result) if multi else {"": result}
        items = []
        for i, (name, frame) in enumerate(tables.items()):
            geo = isinstance(frame, gpd.GeoDataFrame)
            if geo:
                _check_counts(frame, limits)
            elif len(frame) > limits["max_features"]:
                _refuse(
                    f"table {name!r} has {len(frame):,} rows; the limit is "
                    f"{limits['max_features']:,}",
                    code="upload.too_many_features",
                    n=len(frame),
                    limit=limits["max_features"],
                )
            attrs = {
                k: (shown if k == "source_file" else v)
                for k, v in frame.attrs.items()
                if isinstance(v, (str, int, float, bool))
            }
            safe = _jsonable_frame(frame) if geo else frame.copy()
            safe.attrs = {}
            safe.to_parquet(out / f"layer-{i}.parquet")
            items.append(
                {"name": str(name), "file": f"layer-{i}.parquet", "geo": geo, "attrs": attrs}
            )
        notices = [
            {
                "text": as_uploaded(str(w.message)),
                "code": getattr(w.message, "code", None),
                "params": _json_params(getattr(w.message, "params", {})),
            }
            for w in caught
            if issubclass(w.category, UserWarning)
        ]
        write_meta({"status": "ok", "notices": notices, "layers": items})
    except InputError as exc:
        message = as_uploaded(exc.message)
        code, params = exc.code, exc.params
        if any(k in message for k in ("bad_alloc", "MemoryError", "Cannot allocate memory")):
            message = (
                f"reading the file needed more than the {limits['memory_mb']} MiB memory limit"
            )
            code = "upload.reader_limit"
            params = {"memory_mb": limits["memory_mb"], "seconds": limits["time_s"]}
        write_meta(
            {
                "status": "error",
                "error": {
                    "message": message,
                    "field": exc.field,
                    "row": exc.row,
                    "hint": as_uploaded(exc.hint) if exc.hint else None,
                    "code": code,
                    "params": _json_params(params),
                },
            }
        )
    except RecursionError:
        write_meta(
            {
                "status": "error",
                "error": {
                    "message": "the file is nested too deeply to read",
                    "field": None,
                    "row": None,
                    "hint": "export it again as plain GeoJSON or GeoPackage",
                    "code": "upload.too_deep",
                    "params": {},
                },
            }
        )
    except MemoryError:
        write_meta(
            {
                "status": "error",
                "error": {
                    "message": f"reading the file needed more than the {limits['memory_mb']} "
                    "MiB memory limit",
                    "field": None,
                    "row": None,
                    "hint": "upload a smaller or simpler layer",
                    "code": "upload.reader_limit",
                    "params": {"memory_mb": limits["memory_mb"], "seconds": limits["time_s"]},
                },
            }
        )
    return 0


if __name__ == "__main__":  # pragma: no cover - run as the worker process
    sys.exit(_worker(sys.argv[1]))
