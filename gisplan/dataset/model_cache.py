"""Disk cache of opened datasets and their access models, keyed by the dataset's content hash.

Opening a whole-city prepared dataset means reading a large GeoPackage, building the walking
network, snapping 100k points and running one shortest-path search per category: minutes.
:func:`cached_access` does that once per dataset and standard parameters and stores the result
under ``<cache dir>/model-<key>/`` (:func:`gisplan.cache.cache_dir`); later opens — by any
server process — read it back in a few seconds without touching the GeoPackage:

- ``meta.json``: the dataset's name, flags, sources, metadata and content hash;
- ``network/``: one ``.npy`` file per array: node ids and coordinates, edge end nodes and
  lengths (metres), the adjacency matrix (CSR arrays) and the edge geometries as flat
  coordinate arrays (:func:`shapely.to_ragged_array`).  They are memory-mapped when read
  (copy-on-write: nothing is ever written back), so opening costs no copying and only the
  pages a computation touches are read.  The geometries (a million lines for a city) are
  rebuilt only when first used (snapping new points, service areas, siting candidates):
  coverage figures and maps need only the distances, so the first page never waits for them,
  and no background thread competes with it for the interpreter;
- ``communities``, ``amenities``, ``circles`` and the extra layers as GeoParquet;
- ``distances.parquet`` (community id x category, metres), ``node_dist/<category>.npy`` (per
  category, metres from every node to the nearest amenity; memory-mapped like the network) and
  the snapping of communities and amenities.

The key is a SHA-256 of the dataset's content hash, the categories, the snapping distance, the
source of the modules that compute the model (network, access) and the library versions: any
change gives a new entry, nothing is read from a stale one.  Entries are written into a
temporary folder and renamed into place, so a reader never sees half an entry; an unreadable
entry is rebuilt.  Only files this module wrote are read back (no pickles).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from importlib import metadata as importlib_metadata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from gisplan.access.circles import assign_circles
from gisplan.access.coverage import AccessModel
from gisplan.analysis import Dataset, DataSource, build_access, dataset_barriers
from gisplan.catalogue import CircleStandard
from gisplan.io.atomic import atomic_folder
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import Snapped

__all__ = [
    "model_key",
    "cached_access",
    "clear_memory",
    "load_entry",
    "entry_path",
    "OpenTimings",
]

log = logging.getLogger(__name__)

_FORMAT = 3
_PACKAGE = Path(__file__).resolve().parents[1]
#: Folders / files whose code determines an access model.
_CODE = ("network", "access", "catalogue.py", "catalogue.toml")
_LIBRARIES = ("numpy", "scipy", "shapely", "pyproj", "geopandas", "pandas")

Progress = Callable[[str], None]


def _code_digest() -> str:
    h = hashlib.sha256()
    for name in _CODE:
        p = _PACKAGE / name
        files = sorted(p.rglob("*.py")) if p.is_dir() else [p]
        for f in files:
            h.update(str(f.relative_to(_PACKAGE)).encode() + b"\0" + f.read_bytes())
    for lib in _LIBRARIES:
        try:
            h.update(f"\0{lib}={importlib_metadata.version(lib)}".encode())
        except importlib_metadata.PackageNotFoundError:  # pragma: no cover
            h.update(f"\0{lib}=-".encode())
    return h.hexdigest()


def model_key(content_hash: str, categories: list[str], max_snap_distance_m: float) -> str:
    """Hex key of a dataset's access model (content hash, categories, snapping, code)."""
    h = hashlib.sha256(f"format={_FORMAT};hash={content_hash}".encode())
    h.update((";cats=" + ",".join(sorted(categories))).encode())
    h.update(f";snap={float(max_snap_distance_m)!r};code={_code_digest()}".encode())
    return h.hexdigest()[:24]


def entry_path(key: str, directory: str | os.PathLike | None = None) -> Path:
    """The cache folder of the entry ``key`` (in ``directory``, default the cache folder)."""
    from gisplan.cache import cache_dir

    folder = Path(directory) if directory is not None else cache_dir()
    return folder / f"model-{key}"


#: Models already read in this process (key -> (dataset, model)); the server's start
#: (:func:`gisplan.app.serve.warm_configured_dataset`) fills it so the first visitor does not
#: wait for the read.  At most :data:`_MEMORY_ENTRIES` whole-city models are kept.
_MEMORY: dict[str, tuple[Dataset, AccessModel]] = {}
_MEMORY_ENTRIES = 2
_MEMORY_LOCK = threading.Lock()


def _remember(key: str, dataset: Dataset, model: AccessModel) -> None:
    with _MEMORY_LOCK:
        _MEMORY.pop(key, None)
        _MEMORY[key] = (dataset, model)
        while len(_MEMORY) > _MEMORY_ENTRIES:
            _MEMORY.pop(next(iter(_MEMORY)))


def clear_memory() -> None:
    """Forget the models held in this process (the disk cache is kept)."""
    with _MEMORY_LOCK:
        _MEMORY.clear()


class OpenTimings(dict):
    """Seconds per stage of :func:`cached_access` (``read``/``build``/``write``), and ``hit``."""


# -- writing ---------------------------------------------------------------------------------


def _snap_frame(snap: Snapped, extra: dict | None = None) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "id": snap.ids,
            "edge": snap.edge,
            "along_m": snap.along_m,
            "offset_m": snap.offset_m,
            "x": snap.snapped_xy[:, 0] if len(snap.snapped_xy) else np.array([], float),
            "y": snap.snapped_xy[:, 1] if len(snap.snapped_xy) else np.array([], float),
        }
    )
    for k, v in (extra or {}).items():
        out[k] = v
    return out


def _frame_snap(df: pd.DataFrame) -> Snapped:
    return Snapped(
        ids=df["id"].to_numpy(dtype=object) if df["id"].dtype == object else df["id"].to_numpy(),
        edge=df["edge"].to_numpy(dtype=np.int64),
        along_m=df["along_m"].to_numpy(dtype=float),
        offset_m=df["offset_m"].to_numpy(dtype=float),
        snapped_xy=np.column_stack([df["x"].to_numpy(float), df["y"].to_numpy(float)]),
    )


def _text_ids(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column: object id columns of mixed types become text."""
    if "id" in df and df["id"].dtype == object:
        kinds = {type(v) for v in df["id"]}
        if len(kinds) > 1:
            df = df.assign(id=df["id"].astype(str))
    return df


def _write_entry(dataset: Dataset, model: AccessModel, folder: Path) -> None:
    # Atomic; when another process wrote the same entry first (meta.json), theirs is kept.
    with atomic_folder(folder, complete_marker="meta.json") as tmp:
        net = model.network
        kind, coords, offsets = shapely.to_ragged_array(net.edge_geometry)
        _save_arrays(
            tmp / "network",
            {
                "node_ids": net.node_ids,
                "node_xy": net.node_xy,
                "edge_u": net.edge_u,
                "edge_v": net.edge_v,
                "edge_length": net.edge_length,
                "adj_data": net.adjacency.data,
                "adj_indices": net.adjacency.indices,
                "adj_indptr": net.adjacency.indptr,
                "coords": coords,
                **{f"offsets{i}": o for i, o in enumerate(offsets)},
            },
        )
        model.communities.to_parquet(tmp / "communities.parquet")
        model.amenities.to_parquet(tmp / "amenities.parquet")
        if model.circles is not None:
            model.circles.to_parquet(tmp / "circles.parquet")
        for name, layer in dataset.extras.items():
            layer.to_parquet(tmp / f"extra_{name}.parquet")
        dist = model.distances_m.copy()
        dist.index = dist.index.astype(str) if dist.index.dtype == object else dist.index
        dist.reset_index().to_parquet(tmp / "distances.parquet")
        _save_arrays(
            tmp / "node_dist", {f"{i}": d for i, d in enumerate(model.node_dist_m.values())}
        )
        _text_ids(_snap_frame(model.community_snap)).to_parquet(tmp / "snap_communities.parquet")
        parts = [
            _snap_frame(s, {"category": c}) for c, s in model.amenity_snap.items() if len(s) > 0
        ]
        amen = (
            pd.concat(parts, ignore_index=True)
            if parts
            else _snap_frame(
                Snapped(
                    np.array([]), np.array([], int), np.array([]), np.array([]), np.zeros((0, 2))
                ),
                {"category": pd.Series([], dtype=str)},
            )
        )
        _text_ids(amen).to_parquet(tmp / "snap_amenities.parquet")
        meta = {
            "format": _FORMAT,
            "name": dataset.name,
            "synthetic": bool(dataset.synthetic),
            "attribution": dataset.attribution,
            "sources": [asdict(s) for s in dataset.sources],
            "metadata": {k: v for k, v in dataset.metadata.items() if _jsonable(v)},
            "content_hash": dataset.content_hash,
            "network": {"crs": str(net.crs), "source": net.source, "geometry_type": int(kind)},
            "categories": list(model.distances_m.columns),
            "all_categories": list(model.amenity_snap),
            "node_dist_categories": list(model.node_dist_m),
            "max_snap_distance_m": model.max_snap_distance_m,
            "id_types": {
                "communities": str(model.communities["id"].dtype),
                "distances": str(model.distances_m.index.dtype),
            },
            "extras": list(dataset.extras),
            "timings_s": model.timings_s,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _save_arrays(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    """One ``.npy`` file per array (plain numeric arrays; no pickles)."""
    folder.mkdir()
    for name, arr in arrays.items():
        np.save(folder / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)


def _load_arrays(folder: Path) -> dict[str, np.ndarray]:
    """The arrays of :func:`_save_arrays`, memory-mapped copy-on-write (the files stay as written)."""
    return {
        p.stem: np.load(p, mmap_mode="c", allow_pickle=False) for p in sorted(folder.glob("*.npy"))
    }


def _jsonable(v) -> bool:
    try:
        json.dumps(v)
    except (TypeError, ValueError):
        return False
    return True


# -- reading ---------------------------------------------------------------------------------


class _CachedNetwork(WalkNetwork):
    """A :class:`WalkNetwork` read from the cache, whose edge geometries are built on first use.

    Same arrays and behaviour as the network that was cached; the first access to
    ``edge_geometry`` rebuilds the lines from the stored coordinates (about 2 s for a million
    edges on a quiet machine), once, under a lock.
    """

    _geometry: np.ndarray | None
    _lock: threading.Lock
    _build_geometry: Callable[[], np.ndarray]

    @property  # type: ignore[override]
    def edge_geometry(self) -> np.ndarray:
        if self._geometry is None:
            with self._lock:
                if self._geometry is None:
                    self._geometry = self._build_geometry()
        return self._geometry

    @edge_geometry.setter
    def edge_geometry(self, value: np.ndarray) -> None:
        self._geometry = value


def _restore_network(meta: dict, z: dict[str, np.ndarray]) -> WalkNetwork:
    """The cached network: arrays and adjacency as stored, geometries built when first used."""
    net = object.__new__(_CachedNetwork)
    net.crs = meta["network"]["crs"]
    net.node_ids = z["node_ids"]
    net.node_xy = z["node_xy"]
    net.edge_u = z["edge_u"]
    net.edge_v = z["edge_v"]
    net.edge_length = z["edge_length"]
    net.source = meta["network"]["source"]
    n = len(net.node_ids)
    net.adjacency = sp.csr_matrix((z["adj_data"], z["adj_indices"], z["adj_indptr"]), shape=(n, n))
    net._tree = None
    net._geometry = None
    net._lock = threading.Lock()
    kind = shapely.GeometryType(meta["network"]["geometry_type"])
    coords = z["coords"]
    offsets = tuple(z[f"offsets{i}"] for i in range(sum(k.startswith("offsets") for k in z)))

    def build() -> np.ndarray:
        return np.asarray(
            shapely.from_ragged_array(kind, np.asarray(coords), offsets), dtype=object
        )

    net._build_geometry = build
    return net


def load_entry(folder: Path) -> tuple[Dataset, AccessModel]:
    """Read a cache entry back into a :class:`Dataset` and its :class:`AccessModel`."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta.get("format") != _FORMAT:
        raise ValueError(f"cache entry format {meta.get('format')} != {_FORMAT}")
    network = _restore_network(meta, _load_arrays(folder / "network"))
    communities = gpd.read_parquet(folder / "communities.parquet")
    amenities = gpd.read_parquet(folder / "amenities.parquet")
    circles = (
        gpd.read_parquet(folder / "circles.parquet")
        if (folder / "circles.parquet").exists()
        else None
    )
    extras = {name: gpd.read_parquet(folder / f"extra_{name}.parquet") for name in meta["extras"]}
    dist = pd.read_parquet(folder / "distances.parquet").set_index("id")
    ids = communities["id"].to_numpy()
    dist.index = pd.Index(ids, name="id")  # written in the communities' order
    stored = _load_arrays(folder / "node_dist")
    node_dist = {c: stored[str(i)] for i, c in enumerate(meta["node_dist_categories"])}
    csnap = _frame_snap(pd.read_parquet(folder / "snap_communities.parquet"))
    csnap.ids = ids
    amen_df = pd.read_parquet(folder / "snap_amenities.parquet")
    amenity_snap = {}
    for c in meta["all_categories"]:
        part = amen_df[amen_df["category"] == c]
        snap = _frame_snap(part)
        ids_c = amenities.loc[amenities["category"] == c, "id"].to_numpy()
        if len(ids_c) == len(snap):
            snap.ids = ids_c
        amenity_snap[c] = snap
    dataset = Dataset(
        network=network,
        communities=communities,
        amenities=amenities,
        name=meta["name"],
        synthetic=meta["synthetic"],
        attribution=meta["attribution"],
        extras=extras,
        sources=tuple(DataSource(**s) for s in meta["sources"]),
        circles=circles,
        metadata=meta["metadata"],
        _content_hash=meta["content_hash"],
    )
    model = AccessModel(
        network=network,
        communities=communities,
        amenities=amenities,
        community_snap=csnap,
        amenity_snap=amenity_snap,
        distances_m=dist,
        node_dist_m=node_dist,
        max_snap_distance_m=float(meta["max_snap_distance_m"]),
        timings_s=dict(meta.get("timings_s", {})),
        barriers=dataset_barriers(dataset),
        circles=circles,
        circle_of=None if circles is None else assign_circles(communities, circles),
    )
    return dataset, model


def cached_access(
    content_hash: str,
    open_dataset: Callable[[], Dataset],
    standard: CircleStandard,
    *,
    directory: str | os.PathLike | None = None,
    progress: Progress | None = None,
) -> tuple[Dataset, AccessModel, OpenTimings]:
    """The dataset and its access model, from the disk cache or built (and then cached).

    Parameters
    ----------
    content_hash : str
        The dataset's content hash (for a prepared file: :func:`gisplan.dataset.read_metadata`
        ``["content_hash"]``, read without opening the layers).
    open_dataset : callable
        Returns the :class:`Dataset`; called only on a cache miss.
    standard : CircleStandard
        Every category of the standard gets distances; its snapping distance is part of the key.
    directory : path, optional
        Cache directory (default :func:`gisplan.cache.cache_dir`). When it cannot be written
        the model is still returned and a warning is logged.
    """
    say = progress or (lambda _m: None)
    key = model_key(content_hash, list(standard.ids), standard.max_snap_distance_m)
    entry = entry_path(key, directory)
    timings = OpenTimings(hit=False)
    with _MEMORY_LOCK:
        held = _MEMORY.get(key)
    if held is not None:
        timings.update(hit=True, memory=True, read=0.0)
        return held[0], held[1], timings
    if (entry / "meta.json").exists():
        t0 = time.perf_counter()
        try:
            say("reading the cached network and distances")
            dataset, model = load_entry(entry)
            timings.update(hit=True, read=time.perf_counter() - t0)
            _remember(key, dataset, model)
            return dataset, model, timings
        except Exception as exc:  # noqa: BLE001 - a damaged entry is rebuilt
            log.warning("ignoring unreadable model cache entry %s: %s", entry, exc)
            shutil.rmtree(entry, ignore_errors=True)
    t0 = time.perf_counter()
    say("opening the dataset")
    dataset = open_dataset()
    timings["open"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = build_access(dataset, standard, progress=say)
    timings["build"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        _write_entry(dataset, model, entry)
    except OSError as exc:
        log.warning("could not write the model cache in %s: %s", entry.parent, exc)
    timings["write"] = time.perf_counter() - t0
    _remember(key, dataset, model)
    return dataset, model, timings
