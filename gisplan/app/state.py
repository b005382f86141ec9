"""App state shared by ``app.py`` and the pages: caching, session layers, language, page setup.

Nothing here analyses anything; it caches what the package computes:

- :func:`demo` and :func:`access_model` are ``st.cache_resource``: the walking network and
  the distances are built once per dataset, and changing a threshold only re-applies the
  standard (:meth:`gisplan.access.coverage.AccessModel.coverage`, milliseconds);
- :func:`dataset_choices` lists the datasets the server offers (``GISPLAN_DATASET``,
  ``GISPLAN_DATASETS_DIR``, the demo; :mod:`gisplan.dataset.catalog`) plus the prepared
  datasets uploaded in this session; :func:`chosen_entry` is the one picked in the sidebar.
  A prepared dataset is opened once per server process, its network and distances read from
  the disk cache keyed by its content hash (:mod:`gisplan.dataset.model_cache`);
- :func:`current_dataset` returns the chosen dataset, or a copy with the layers the user
  uploaded in this session, used only while that user is signed in.  Datasets and models
  built on a session's uploads (layers or a prepared dataset) are kept in
  ``st.session_state`` (one each, freed with the session), never in the server-wide cache,
  so no visitor can fill the server's memory;
- :func:`setup_page` installs Leaflet into ``static/vendor`` (served at
  ``/app/static/vendor``), the language provider and the common sidebar controls.

The widgets the pages share (basemap choice, map display, downloads) are in
:mod:`gisplan.app.widgets`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import geopandas as gpd
import streamlit as st

from gisplan import i18n
from gisplan.access.coverage import AccessModel
from gisplan.analysis import Dataset, build_access, demo_dataset, with_layers
from gisplan.catalogue import default_standard
from gisplan.dataset.catalog import DEMO_ENTRY, DEMO_ID, DatasetEntry, configured_datasets
from gisplan.errors import InputError
from gisplan.maps.assets import install_vendor
from gisplan.maps.base import LayerStore
from gisplan.safetext import md_text
from gisplan.settings import MAX_UPLOAD_MB

__all__ = [
    "MAX_UPLOAD_MB",
    "SessionLayer",
    "setup_page",
    "lang",
    "demo",
    "embedded_layers",
    "access_model",
    "current_dataset",
    "base_dataset",
    "dataset_choices",
    "chosen_entry",
    "add_uploaded_dataset",
    "pick_pending_dataset",
    "keep_uploaded_dataset",
    "uploaded_datasets",
    "open_timings",
    "context_url",
    "layer_store",
]

_LANG_KEY = "lang"
_DEMO_KEY = "demo"
_DATASET_KEY = "dataset_id"
_UPLOADED_KEY = "uploaded_datasets"
_PENDING_KEY = "_gisplan_pending_dataset"


@dataclass(frozen=True)
class SessionLayer:
    """A validated layer uploaded in this session.

    ``digest`` is the SHA-256 of the file's bytes and its options; it keys the cached
    access model, so uploading the same file twice does not rebuild anything.  ``mode`` says
    how uploaded amenities join the dataset's (:data:`gisplan.analysis.AMENITY_MODES`).
    """

    kind: str  # "communities" or "amenities"
    name: str
    digest: str
    gdf: gpd.GeoDataFrame
    mode: str = "all"


def lang() -> str:
    """The session's language (``"zh"`` default, or ``"en"``)."""
    try:
        value = st.session_state.get(_LANG_KEY, "zh")
    except Exception:  # noqa: BLE001 - outside a Streamlit session
        return "zh"
    return value if value in i18n.LANGUAGES else "zh"


@st.cache_resource(show_spinner=False)
def _vendor_installed(static_dir: str) -> str:
    return str(install_vendor(Path(static_dir) / "vendor"))


def setup_page(app_dir: Path) -> None:
    """Once per script run: local Leaflet files, the language provider, the language switch.

    ``app_dir`` is the folder of the script Streamlit runs: Leaflet is installed into its
    ``static/vendor`` (served at ``/app/static/vendor``).
    """
    _vendor_installed(str(Path(app_dir) / "static"))
    _STATIC["dir"] = Path(app_dir) / "static"
    with st.sidebar:
        st.radio(
            i18n.t("app.language"),
            options=list(i18n.LANGUAGES),
            format_func=lambda v: {"zh": "中文", "en": "English"}[v],
            key=_LANG_KEY,
            horizontal=True,
        )


# Page text follows the session's choice wherever i18n.t() is called without a language.
i18n.set_language_provider(lang)


# -- data ------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def demo() -> Dataset:
    """The embedded synthetic demonstration dataset (built once per server process).

    The generated layers come from the disk cache (:func:`gisplan.cache.cached_city`), so a
    freshly started server reads them in a fraction of a second instead of generating them.
    """
    return demo_dataset(cached=True)


@st.cache_resource(show_spinner=False)
def embedded_layers() -> dict[str, gpd.GeoDataFrame]:
    """Counties, business districts, pedestrian streets, OSM places from ``data/geo`` (EPSG:4326)."""
    from gisplan.io.embedded import (
        load_business_districts,
        load_counties,
        load_osm_places,
        load_pedestrian_streets,
    )

    return {
        "counties": load_counties(),
        "districts": load_business_districts(),
        "streets": load_pedestrian_streets(),
        "places": load_osm_places(),
    }


@st.cache_data(show_spinner=False, ttl=30)
def _configured() -> list[DatasetEntry]:
    # Re-read every 30 s: an administrator can drop a prepared file into the folder.
    return configured_datasets()


def dataset_choices() -> list[DatasetEntry]:
    """Datasets this session can open: the server's (default first), then its own uploads."""
    # An upload removed meanwhile (quota, clean-up) is no longer offered.
    own = [e for e in st.session_state.get(_UPLOADED_KEY, []) if e.path and e.path.exists()]
    ids = {e.id for e in own}
    return [e for e in _configured() if e.id not in ids] + own


def add_uploaded_dataset(entry: DatasetEntry) -> None:
    """Offer a prepared dataset uploaded in this session (only this session sees it) and pick it."""
    own = [e for e in st.session_state.get(_UPLOADED_KEY, []) if e.id != entry.id]
    st.session_state[_UPLOADED_KEY] = [*own, entry]
    # The sidebar picker (key _DATASET_KEY) already exists in this run when there was a choice
    # before: Streamlit refuses to set a widget's key after it is drawn, so the choice is
    # applied by pick_pending_dataset() before the picker is drawn in the next run.
    st.session_state[_PENDING_KEY] = entry.id


def pick_pending_dataset() -> None:
    """Apply a dataset choice made after the picker was drawn (call before drawing it)."""
    pending = st.session_state.pop(_PENDING_KEY, None)
    if pending is not None:
        st.session_state[_DATASET_KEY] = pending


def uploaded_datasets():
    """The server's store of uploaded prepared datasets (``<cache>/uploads``, with quotas)."""
    from gisplan.cache import cache_dir
    from gisplan.dataset.uploads import UploadedDatasets

    return UploadedDatasets(cache_dir() / "uploads")


def keep_uploaded_dataset(data: bytes, facts: dict, user: str) -> tuple[DatasetEntry, list[str]]:
    """Keep a prepared dataset that the upload worker has checked; offer it in this session.

    The file is kept for ``user`` under its content hash (:mod:`gisplan.dataset.uploads`:
    ``<cache>/uploads/<hash>.gpkg``, written atomically, within the per-planner and server
    quotas), so reopening it — by this session or after a restart — finds the built network
    and distances in the disk cache.  Returns the entry and the names of datasets removed to
    make room; raises :class:`gisplan.dataset.uploads.QuotaError` when it does not fit.
    """
    digest = str(facts["content_hash"])
    name = str(facts.get("dataset_name") or digest[:12])
    path, removed = uploaded_datasets().add(data, digest, name, user)
    entry = DatasetEntry(
        id=digest,
        name=name,
        path=path,
        synthetic=bool(facts.get("synthetic")),
        content_hash=digest,
        created=str(facts.get("created", "")),
    )
    add_uploaded_dataset(entry)
    return entry, removed


def chosen_entry() -> DatasetEntry:
    """The dataset picked in the sidebar (default: the first usable one)."""
    choices = [e for e in dataset_choices() if e.usable]
    wanted = st.session_state.get(_DATASET_KEY)
    for e in choices:
        if e.id == wanted:
            return e
    return choices[0] if choices else DEMO_ENTRY


def _open_entry(entry_id: str, path: str) -> tuple[Dataset, AccessModel, dict]:
    """A dataset and its access model (disk-cached across processes)."""
    if entry_id == DEMO_ID:
        ds = demo()
        return ds, build_access(ds, default_standard()), {}
    from gisplan.dataset import open_dataset
    from gisplan.dataset.model_cache import cached_access

    ds, model, timings = cached_access(entry_id, lambda: open_dataset(path), default_standard())
    return ds, model, dict(timings)


#: Server datasets, once per server process (a session's own upload is kept in the session).
_opened = st.cache_resource(show_spinner=False, max_entries=4)(_open_entry)


#: Session-state keys of what is built on this session's uploads: (key, value) pairs.
_SESSION_OPENED = "_gisplan_session_opened"
_SESSION_DATASET = "_gisplan_session_dataset"
_SESSION_MODEL = "_gisplan_session_model"


def _kept(slot: str, key: str, build):
    """``build()`` kept in this session under ``slot`` for ``key`` (the previous one is freed)."""
    kept = st.session_state.get(slot)
    if kept is not None and kept[0] == key:
        return kept[1]
    st.session_state.pop(slot, None)
    value = build()
    st.session_state[slot] = (key, value)
    return value


def _open_upload(entry: DatasetEntry) -> tuple[Dataset, AccessModel, dict]:
    """Open this session's uploaded dataset, recording its use (the quota keeps used ones)."""
    from gisplan.app.auth import current_user

    user = current_user()
    if user is not None:
        uploaded_datasets().touch(entry.id, user.username)
    return _open_entry(entry.id, str(entry.path))


def _own_upload(entry: DatasetEntry) -> bool:
    return any(e.id == entry.id for e in st.session_state.get(_UPLOADED_KEY, []))


def _cannot(key: str, exc: Exception) -> NoReturn:
    """Stop the page with the problem in words.

    ``key``'s text (:mod:`gisplan.i18n`) is followed by an InputError's text, or by a note
    that the fault was logged.
    """
    if isinstance(exc, InputError):
        from gisplan.app.messages import error_text

        detail = md_text(error_text(exc))
    else:
        logging.getLogger(__name__).error("analysis failed", exc_info=exc)
        detail = i18n.t("app.unexpected_error_logged")
    st.error(i18n.t(key) + detail)
    st.stop()


def _base(entry: DatasetEntry) -> tuple[Dataset, AccessModel, dict]:
    try:
        if _own_upload(entry):  # a prepared dataset this session uploaded: kept in the session
            return _kept(_SESSION_OPENED, entry.id, lambda: _open_upload(entry))
        return _opened(entry.id, str(entry.path or ""))
    except Exception as exc:  # noqa: BLE001 - words, never a traceback
        _cannot("app.dataset_cannot_open", exc)


def base_dataset() -> Dataset:
    """The chosen dataset as the server has it, without this session's uploaded layers."""
    return _base(chosen_entry())[0]


def open_timings() -> dict:
    """How the chosen dataset was opened (``hit``: from the disk cache; seconds per stage)."""
    return _base(chosen_entry())[2]


def _with_uploads(
    base: Dataset, _communities: SessionLayer | None, _amenities: SessionLayer | None
) -> Dataset:
    names = [x.name for x in (_communities, _amenities) if x is not None]
    return with_layers(
        base,
        communities=None if _communities is None else _communities.gdf,
        amenities=None if _amenities is None else _amenities.gdf,
        amenity_mode="all" if _amenities is None else _amenities.mode,
        name=f"{base.name} + {', '.join(names)}",
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def _model(key: str, _dataset: Dataset) -> AccessModel:
    """Server-wide model of a server dataset (never of a session's uploads)."""
    # Every catalogue category, so any threshold or required set is a cheap re-application.
    return build_access(_dataset, default_standard())


def _signed_in() -> bool:
    from gisplan.app.auth import current_user

    return current_user() is not None


def session_layers() -> dict[str, SessionLayer | None]:
    """The layers uploaded in this session (``None`` where the demo layer is used).

    Uploads count only while the session's user is signed in (uploading needs a planner or
    official); signed out, the session is back on the server's data.
    """
    signed_in = _signed_in()
    return {
        k: st.session_state.get(f"upload_{k}") if signed_in else None
        for k in ("communities", "amenities")
    }


def set_session_layer(layer: SessionLayer | None, kind: str) -> None:
    """Use ``layer`` for ``kind`` in this session (``None``: back to the demo layer)."""
    st.session_state[f"upload_{kind}"] = layer


def dataset_key() -> str:
    layers = session_layers()
    entry = chosen_entry()
    head = _DEMO_KEY if entry.is_demo else f"ds:{entry.id}"
    parts = [head] + [f"{k}:{v.digest}:{v.mode}" for k, v in layers.items() if v is not None]
    return "+".join(parts)


def current_dataset() -> tuple[str, Dataset]:
    """``(key, dataset)`` for this session: the chosen dataset with any uploaded layers."""
    layers = session_layers()
    key = dataset_key()
    base, _model_of_base, _t = _base(chosen_entry())
    if "+" not in key:
        return key, base
    dataset = _kept(
        _SESSION_DATASET,
        key,
        lambda: _with_uploads(base, layers["communities"], layers["amenities"]),
    )
    return key, dataset


def access_model(key: str, dataset: Dataset) -> AccessModel:
    """The :class:`AccessModel` of a dataset, built once per ``key``.

    Server data: cached server-wide.  A session's uploads: kept in that session only.
    A dataset that cannot be analysed (e.g. uploaded communities that lie nowhere near the
    network) stops the page with the error in words, never a traceback; so does any other
    fault (logged for the administrator, e.g. a GEOS error).
    """
    try:
        if "+" not in key:  # the chosen dataset itself: its model is opened with it
            base, model, _t = _base(chosen_entry())
            if base is dataset:
                return model
            return _model(key, dataset)
        return _kept(_SESSION_MODEL, key, lambda: build_access(dataset, default_standard()))
    except Exception as exc:  # noqa: BLE001 - words, never a traceback
        _cannot("app.data_cannot_analyse", exc)


def digest(data: bytes, *options: str) -> str:
    h = hashlib.sha256(data)
    for o in options:
        h.update(b"\0" + o.encode("utf-8"))
    return h.hexdigest()[:20]


_STATIC: dict[str, Path] = {}  # "dir": the app's static folder (set by setup_page)


@st.cache_resource(show_spinner=False, max_entries=8)
def _context_file(key: str, _dataset: Dataset, static_dir: str) -> str | None:
    import json

    from gisplan.io.atomic import atomic_write_bytes
    from gisplan.maps.context import network_geojson, water_geojson

    data = {
        "water": water_geojson(_dataset.extras.get("rivers")),
        "network": network_geojson(_dataset.network),
    }
    name = digest(key.encode("utf-8"), "context") + ".json"
    path = Path(static_dir) / "context" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(data, separators=(",", ":")).encode("utf-8"))
    return f"/app/static/context/{name}"


class _StaticLayers(LayerStore):
    """Map layers published as files in the app's static folder (``static/layers``).

    Files are named by the SHA-256 of their text (the same layer is one file, whoever asks),
    written atomically, and served at ``/app/static/layers/<name>.json``.  ``url(key, build)``
    remembers the URL of the last :data:`MAX_LAYER_KEYS` keys, so a layer is built once per
    dataset and state; the folder keeps the :data:`MAX_LAYER_FILES` newest files.
    """

    def __init__(self, folder: Path) -> None:
        import collections
        import threading

        self.folder = folder
        self._urls: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._lock = threading.Lock()

    def url(self, key: str, build) -> str:
        with self._lock:
            hit = self._urls.get(key)
            if hit is not None and (self.folder / hit.rsplit("/", 1)[-1]).exists():
                self._urls.move_to_end(key)
                return hit
        from gisplan.io.atomic import atomic_write_bytes

        data = build().encode("utf-8")
        name = hashlib.sha256(data).hexdigest()[:32] + ".json"
        path = self.folder / name
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, data)
            self._prune()
        url = f"/app/static/layers/{name}"
        with self._lock:
            self._urls[key] = url
            while len(self._urls) > MAX_LAYER_KEYS:
                self._urls.popitem(last=False)
        return url

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - MAX_LAYER_FILES)]:
            old.unlink(missing_ok=True)


#: Layer keys remembered per server process, and layer files kept in ``static/layers``.
MAX_LAYER_KEYS = 512
MAX_LAYER_FILES = 400


@st.cache_resource(show_spinner=False)
def _layer_store(static_dir: str) -> _StaticLayers:
    return _StaticLayers(Path(static_dir) / "layers")


def layer_store() -> LayerStore | None:
    """Where city-scale map layers are published (``None`` outside ``streamlit run app.py``).

    The layers are served as static files and fetched by the browser when shown
    (:class:`gisplan.maps.base.FetchedGeoJson`), so a rerun does not resend them.
    """
    static = _STATIC.get("dir")
    if static is None:
        return None
    return _layer_store(str(static))


def context_url(key: str, dataset: Dataset) -> str | None:
    """URL of the dataset's water and walking network as map context (written once per ``key``).

    ``None`` outside ``streamlit run app.py`` (no static folder is served): maps then carry
    the water themselves.
    """
    static = _STATIC.get("dir")
    if static is None:
        return None
    return _context_file(key, dataset, str(static))
