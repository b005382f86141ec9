"""Save, list, load, compare and delete named planning scenarios.

A scenario is a :class:`ScenarioRecord`: its name, the focus category, the analysis
parameters, the chosen and hand-placed sites and the results.  :class:`ScenarioStore` keeps
them in a database (:mod:`gisplan.store.db`); every method takes the acting ``user``
(``None`` for a public visitor) and raises :class:`~gisplan.store.auth.PermissionDenied`
unless the role allows the action.

Results layout
--------------
``results`` is any JSON object; the comparison and the export understand this layout::

    {
        "categories": {                          # per catalogue category id
            "convenience_store": {
                "population_total": 12000,
                "covered_population_before": 8000,   # people within the threshold (minutes)
                "covered_population_after": 9500,
                ...                                  # any other numbers
            },
            ...
        },
        "complete_circles_before": 3,            # communities reaching every required category
        "complete_circles_after": 5,
        ...                                      # any other numbers
    }

Numbers named ``<metric>_before`` / ``<metric>_after`` pair up in before/after tables.

Each save is one transaction (SQLite: ``BEGIN IMMEDIATE``, WAL journal): a process killed
mid-save leaves no trace of the scenario, and concurrent savers queue on the lock and retry.

Ownership: only a scenario's author, or an ``admin``, may overwrite or delete it
(:func:`gisplan.store.auth.may_change`); an overwrite keeps the original author.

Audit log: every save, overwrite, export and deletion is one entry of bounded size.  An
overwrite or a deletion records the previous version under ``"previous"``: its author, times,
category, site counts and the SHA-256 of its sites, and — each only when its JSON is at most
:data:`AUDIT_FIELD_MAX_BYTES` — its parameters, sites and results in full (larger ones are
replaced by ``{"omitted": true, "bytes": n, "sha256": ...}``), so an entry never exceeds
about :data:`AUDIT_ENTRY_MAX_BYTES`.

Every database fault is a one-line :class:`gisplan.store.db.DatabaseProblem`.
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gisplan.errors import InputError
from gisplan.safetext import clean_name
from gisplan.store.auth import NotAuthor, User, may_change, require
from gisplan.store.db import (
    DatabaseProblem,
    database_errors,
    database_label,
    engine_from_env,
    ensure_schema,
    retry_on_busy,
    write_transaction,
)
from gisplan.store.models import (
    DATASET_NAME_MAX_LEN,
    NAME_MAX_LEN,
    RECORD_FORMAT_VERSION,
    AuditLog,
    Scenario,
)

__all__ = [
    "SITE_KINDS",
    "ScenarioRecord",
    "ScenarioSummary",
    "AuditEntry",
    "ScenarioExists",
    "ScenarioNotFound",
    "ScenarioStore",
    "results_long",
    "before_after_table",
    "sites_to_geojson",
    "geojson_to_frame",
    "AUDIT_FIELD_MAX_BYTES",
    "AUDIT_ENTRY_MAX_BYTES",
    "COMPARE_COLUMNS",
]

#: Allowed values of the ``kind`` property of a site: optimiser picks, hand-placed sites and
#: existing amenities a scenario closes (closure / relocation scenarios).
SITE_KINDS = ("chosen", "manual", "closed")

#: Largest JSON (UTF-8 bytes) of the previous params, sites or results kept in full in an
#: audit entry; a larger one is replaced by its size and SHA-256.
AUDIT_FIELD_MAX_BYTES = 16 * 1024
#: Upper bound of one audit entry's ``detail`` (three full fields plus the summary).
AUDIT_ENTRY_MAX_BYTES = 3 * AUDIT_FIELD_MAX_BYTES + 4 * 1024

#: Column keys of :meth:`ScenarioStore.compare` (fixed, whatever the scenarios are called).
COMPARE_COLUMNS = (
    "category",
    "label",
    "metric",
    "metric_label",
    "scenario_a",
    "scenario_b",
    "difference",
)

_scenario = Scenario.__table__
_audit = AuditLog.__table__


class ScenarioExists(InputError):
    """A scenario of that name exists and ``overwrite`` was not requested."""


class ScenarioNotFound(InputError, LookupError):
    """No scenario of that name."""


@dataclass
class ScenarioRecord:
    """One planning scenario.

    Attributes
    ----------
    name : str
        Unique name (1-200 characters, surrounding spaces removed), e.g. ``"三江口 方案A"``.
    category : str or None
        Focus category id from the catalogue (``"wet_market"``), or None for all.
    params : dict
        Analysis parameters as JSON (walking speed km/h, thresholds minutes, budget, ...).
    sites : GeoDataFrame or dict
        Chosen and hand-placed sites: a GeoDataFrame with a CRS (converted to EPSG:4326) or a
        GeoJSON FeatureCollection in lon/lat.  Every feature needs property ``kind`` =
        ``"chosen"`` or ``"manual"``; other properties (``gain``, ``name``, ...) are kept.
        A loaded record holds a GeoDataFrame in EPSG:4326.
    results : dict
        Results as JSON (see the module documentation for the layout).
    author : str or None
        Username of whoever saved it; filled in by :meth:`ScenarioStore.save`.
    created_at, updated_at : datetime or None
        UTC times of the first save and of the last overwrite; filled in by the store.
    dataset_name, dataset_hash : str or None
        The dataset the scenario was made on (its name and content hash,
        :attr:`gisplan.analysis.Dataset.content_hash`); ``None`` when not recorded (scenarios
        saved before the store recorded it).  :meth:`made_on` compares with another dataset.
    """

    name: str
    category: str | None = None
    params: dict = field(default_factory=dict)
    sites: Any = None
    results: dict = field(default_factory=dict)
    author: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    dataset_name: str | None = None
    dataset_hash: str | None = None

    def made_on(self, content_hash: str) -> bool | None:
        """Whether the scenario was made on the dataset with ``content_hash``.

        ``None`` when the scenario does not record its dataset.
        """
        if not self.dataset_hash:
            return None
        return self.dataset_hash == content_hash

    def sites_geojson(self) -> dict:
        """The sites as a validated GeoJSON FeatureCollection (lon/lat, EPSG:4326)."""
        return sites_to_geojson(self.sites)

    def sites_frame(self) -> gpd.GeoDataFrame:
        """The sites as a GeoDataFrame in EPSG:4326 (columns: properties + geometry)."""
        if isinstance(self.sites, gpd.GeoDataFrame):
            return self.sites.to_crs("EPSG:4326")
        return geojson_to_frame(self.sites_geojson())

    def site_counts(self) -> dict[str, int]:
        """Number of sites per kind plus ``"total"``.

        ``"chosen"`` and ``"manual"`` are always counted; ``"closed"`` only when the scenario
        closes amenities (closure / relocation scenarios).
        """
        kinds = [f["properties"]["kind"] for f in self.sites_geojson()["features"]]
        counts = {k: kinds.count(k) for k in SITE_KINDS if k != "closed" or k in kinds}
        counts["total"] = len(kinds)
        return counts


@dataclass(frozen=True)
class ScenarioSummary:
    """One line of :meth:`ScenarioStore.list`."""

    name: str
    author: str
    category: str | None
    created_at: datetime
    updated_at: datetime
    n_chosen: int
    n_manual: int
    dataset_name: str | None = None
    dataset_hash: str | None = None
    #: True when the stored sites cannot be read (the row is damaged; loading it fails).
    damaged: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, e.g. for ``pandas.DataFrame([s.as_dict() for s in summaries])``."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class AuditEntry:
    """One audit log entry: ``username`` did ``action`` to ``scenario_name`` at ``at`` (UTC).

    ``action`` is ``"save"``, ``"overwrite"``, ``"export"`` or ``"delete"``; ``detail`` holds
    JSON, for ``"overwrite"`` and ``"delete"`` a bounded record of the previous version under
    ``"previous"`` (see the module documentation).
    """

    id: int
    at: datetime
    username: str
    action: str
    scenario_name: str
    detail: dict | None


# --- JSON and GeoJSON validation ------------------------------------------------------------


def _jsonable(obj: Any, field_name: str) -> Any:
    """A JSON-compatible copy of ``obj``: numpy/pandas scalars become Python numbers, NaN
    becomes None (missing), tuples become lists; infinities and other objects are refused."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        value = float(obj)
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise InputError(
                "infinite number", field=field_name, hint="store a finite number or None"
            )
        return value
    if isinstance(obj, datetime | date | pd.Timestamp):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        out = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise InputError(
                    f"key {key!r} is not text",
                    field=field_name,
                    hint="JSON object keys must be strings (e.g. category ids)",
                )
            out[key] = _jsonable(value, f"{field_name}.{key}")
        return out
    if isinstance(obj, list | tuple | np.ndarray | pd.Series):
        return [_jsonable(v, f"{field_name}[{i}]") for i, v in enumerate(list(obj))]
    raise InputError(
        f"cannot store a {type(obj).__name__} value",
        field=field_name,
        hint="use numbers, text, lists and dicts",
    )


def sites_to_geojson(sites: Any) -> dict:
    """Validate ``sites`` and return a GeoJSON FeatureCollection in lon/lat (EPSG:4326).

    Accepts None (no sites), a GeoDataFrame with a CRS, or a GeoJSON FeatureCollection
    dict.  Every feature needs a geometry within lon -180..180, lat -90..90 and property
    ``kind`` in :data:`SITE_KINDS`.

    Raises
    ------
    InputError
        Naming field ``sites`` and the feature row.
    """
    if sites is None:
        return {"type": "FeatureCollection", "features": []}
    if isinstance(sites, gpd.GeoDataFrame):
        if sites.crs is None:
            raise InputError(
                "the sites GeoDataFrame has no CRS",
                field="sites",
                hint="set it, e.g. sites.set_crs('EPSG:4326')",
            )
        fc = json.loads(sites.to_crs("EPSG:4326").to_json(drop_id=True, na="null"))
    elif isinstance(sites, Mapping):
        fc = sites
    else:
        raise InputError(
            f"sites must be a GeoDataFrame or a GeoJSON dict, not {type(sites).__name__}",
            field="sites",
        )
    if fc.get("type") != "FeatureCollection" or not isinstance(fc.get("features"), list):
        raise InputError(
            "sites is not a GeoJSON FeatureCollection", field="sites", hint="give type and features"
        )
    features = []
    for row, feat in enumerate(fc["features"]):
        geom = feat.get("geometry") if isinstance(feat, Mapping) else None
        if not isinstance(geom, Mapping) or "type" not in geom:
            raise InputError("feature has no geometry", field="sites.geometry", row=row)
        props = dict(feat.get("properties") or {})
        if props.get("kind") not in SITE_KINDS:
            raise InputError(
                f"site kind {props.get('kind')!r} is not one of {', '.join(SITE_KINDS)}",
                field="sites.kind",
                row=row,
                hint="mark optimiser picks 'chosen', hand-placed sites 'manual' and closed "
                "amenities 'closed'",
            )
        for lon, lat in _coords(geom.get("coordinates")):
            if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                raise InputError(
                    f"coordinate ({lon}, {lat}) is not lon/lat",
                    field="sites.geometry",
                    row=row,
                    hint="GeoJSON sites must be in WGS-84 degrees; pass a GeoDataFrame with its CRS",
                )
        features.append(
            {
                "type": "Feature",
                "properties": _jsonable(props, f"sites[{row}].properties"),
                "geometry": _jsonable(dict(geom), f"sites[{row}].geometry"),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _coords(c: Any):
    if isinstance(c, list | tuple) and len(c) >= 2 and all(isinstance(v, int | float) for v in c):
        yield float(c[0]), float(c[1])
    elif isinstance(c, list | tuple):
        for part in c:
            yield from _coords(part)


def geojson_to_frame(fc: Mapping) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:4326 from a sites FeatureCollection (empty one for no sites)."""
    if not fc.get("features"):
        return gpd.GeoDataFrame({"kind": pd.Series([], dtype=object)}, geometry=[], crs="EPSG:4326")
    return gpd.GeoDataFrame.from_features(fc["features"], crs="EPSG:4326")


def _check_name(name: Any) -> str:
    """The scenario-name rule of :func:`gisplan.safetext.clean_name` (NFC, visible, bounded)."""
    return clean_name(name, field="name", max_len=NAME_MAX_LEN)


# --- results tables ----------------------------------------------------------------------------


def _category_label(category_id: str) -> str:
    try:
        from gisplan.catalogue import load_catalogue

        for cat in load_catalogue():
            if cat.id == category_id:
                return cat.label
    except Exception:  # noqa: BLE001 - a label is cosmetic; fall back to the id
        pass
    return category_id


_OVERALL_LABEL = "全部 Overall"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


#: Bilingual names of the numbers a siting scenario stores (others show their id).
METRIC_LABELS: dict[str, str] = {
    "covered_population": "覆盖人口 Covered population",
    "complete_circles": "达标社区 Complete circles",
    "communities_complete": "达标社区 Complete circles",
    "newly_served_population": "新增服务人口 People newly served",
    "newly_served_communities": "新增服务社区 Communities newly served",
    "newly_complete": "新达标社区 Newly complete",
    "population_total": "总人口 Total population",
    "total_population": "总人口 Total population",
    "k": "新店数量 k New sites",
    "sites_chosen": "优化选址数 Chosen sites",
    "sites_manual": "手动选址数 Hand-placed sites",
    "sites_closed": "关闭网点数 Closed amenities",
    "people_losing": "失去覆盖的人口 People losing coverage",
    "communities_losing": "失去覆盖的社区 Communities losing coverage",
    "lost_population": "失去覆盖的人口 People losing coverage",
    "area_population": "区内人口 Population in the area",
    "area_complete_circles": "区内达标社区 Complete circles in the area",
    "area_covered_population": "区内覆盖人口 Covered population in the area",
    "area_newly_served_population": "区内新增服务人口 People newly served in the area",
    "outside_newly_served_population": "区外新增服务人口 People newly served outside",
    "sites_total": "选址总数 Sites in all",
    "manual_sites": "手动选址数 Hand-placed sites",
    "threshold_m": "步行阈值（米）Threshold (m)",
    "candidates": "候选点数 Candidates",
    "demand_in_play": "可服务的未覆盖社区 Unserved communities in reach",
    "demand_weight_in_play": "可服务的未覆盖人口 Unserved people in reach",
    "greedy_objective": "贪心目标值 Greedy objective",
    "greedy_plain_objective": "贪心目标值（未改进）Plain greedy objective",
    "exact_objective": "精确目标值 Exact objective",
    "gap": "贪心与精确差距 Gap",
    "greedy_time_s": "贪心用时（秒）Greedy time (s)",
    "exact_time_s": "精确求解用时（秒）Exact time (s)",
}


def metric_label(metric: str) -> str:
    """Bilingual name of a stored metric id (the id itself when unknown)."""
    return METRIC_LABELS.get(metric, metric)


def results_long(results: Mapping) -> pd.DataFrame:
    """Every number in ``results`` as rows ``category, label, metric, value``.

    Top-level numbers get ``category = ""`` and the label ``"全部 Overall"``; numbers under
    ``results["categories"][id]`` get that category id and its bilingual catalogue label.
    """
    rows = []
    for key, value in results.items():
        if key != "categories" and _is_number(value):
            rows.append(("", _OVERALL_LABEL, key, float(value)))
    cats = results.get("categories") or {}
    for cat_id, metrics in cats.items():
        if isinstance(metrics, Mapping):
            label = _category_label(cat_id)
            for key, value in metrics.items():
                if _is_number(value) or value is None:
                    rows.append((cat_id, label, key, np.nan if value is None else float(value)))
    out = pd.DataFrame(rows, columns=["category", "label", "metric", "value"])
    out.insert(3, "metric_label", out["metric"].map(metric_label))
    return out


def before_after_table(results: Mapping) -> pd.DataFrame:
    """Before/after table: rows ``category, label, metric, metric_label, before, after, change, value``.

    Pairs ``<metric>_before`` with ``<metric>_after`` (``change = after - before``) and lists
    them first; other numbers follow with ``value`` only.
    """
    long = results_long(results)
    out = []
    for (cat, label), grp in long.groupby(["category", "label"], sort=False):
        values = dict(zip(grp["metric"], grp["value"], strict=True))
        done = set()
        for metric in grp["metric"]:
            if metric in done:
                continue
            for suffix, other in (("_before", "_after"), ("_after", "_before")):
                if metric.endswith(suffix) and metric[: -len(suffix)] + other in values:
                    base = metric[: -len(suffix)]
                    before, after = values[base + "_before"], values[base + "_after"]
                    out.append((cat, label, base, before, after, after - before, np.nan))
                    done |= {base + "_before", base + "_after"}
                    break
            else:
                out.append((cat, label, metric, np.nan, np.nan, np.nan, values[metric]))
                done.add(metric)
    table = pd.DataFrame(
        out, columns=["category", "label", "metric", "before", "after", "change", "value"]
    )
    table.insert(3, "metric_label", table["metric"].map(metric_label))
    paired = table["before"].notna() | table["after"].notna()
    return pd.concat([table[paired], table[~paired]], ignore_index=True)


# --- the store ---------------------------------------------------------------------------------


_HEX = frozenset("0123456789abcdef")


def _check_dataset(name: Any, digest: Any) -> tuple[str | None, str | None]:
    """The dataset name (text, at most DATASET_NAME_MAX_LEN) and hash (64 hex digits) or None."""
    if name is not None:
        if not isinstance(name, str) or len(name) > DATASET_NAME_MAX_LEN:
            raise InputError(
                f"the dataset name must be text of at most {DATASET_NAME_MAX_LEN} characters",
                field="dataset_name",
            )
    if digest is not None:
        if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= _HEX:
            raise InputError(
                "the dataset hash must be 64 lowercase hexadecimal digits (sha256)",
                field="dataset_hash",
            )
    return name, digest


def _now() -> datetime:
    return datetime.now(UTC)


def _bounded(value: Any, text: str | None = None) -> Any:
    """``value`` itself when its JSON is small, else a stand-in with its size and SHA-256."""
    if text is None:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
    data = text.encode("utf-8")
    if len(data) <= AUDIT_FIELD_MAX_BYTES:
        return value
    return {"omitted": True, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _snapshot(row: Any) -> dict:
    """A bounded record of a scenario row for the audit log (see the module documentation)."""
    try:
        sites: Any = json.loads(row.sites)
        kinds = [f.get("properties", {}).get("kind") for f in sites.get("features", [])]
        counts = {k: kinds.count(k) for k in SITE_KINDS} | {"total": len(kinds)}
    except (ValueError, AttributeError, TypeError):
        sites, counts = None, None
    return {
        "name": row.name,
        "author": row.author,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "category": row.category,
        "schema_version": row.schema_version,
        "dataset_name": row.dataset_name,
        "dataset_hash": row.dataset_hash,
        "site_counts": counts,
        "sites_sha256": hashlib.sha256(row.sites.encode("utf-8")).hexdigest(),
        "params": _bounded(row.params),
        "sites": _bounded(sites, row.sites) if sites is not None else None,
        "results": _bounded(row.results),
    }


def _damaged(engine: Engine, name: str, fields: str, exc: Exception) -> DatabaseProblem:
    return DatabaseProblem(
        f"{database_label(engine.url)}: scenario {name!r} is damaged (unreadable {fields}: "
        f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}) "
        "— delete it or restore the database from a backup"
    )


def _guarded(method: Callable) -> Callable:
    """Run a :class:`ScenarioStore` method with database faults turned into one line."""

    @functools.wraps(method)
    def wrapper(self: ScenarioStore, *args: Any, **kwargs: Any) -> Any:
        with database_errors(self.engine):
            return method(self, *args, **kwargs)

    return wrapper


class _NameTaken(Exception):
    pass


class ScenarioStore:
    """Named scenarios in a database.

    Parameters
    ----------
    engine : Engine, optional
        From :func:`gisplan.store.db.engine_from_env`; default: ``$GISPLAN_DB`` or the
        per-user SQLite file.
    migrate : bool
        Upgrade the schema to the newest revision on open (default True).
    """

    def __init__(self, engine: Engine | None = None, *, migrate: bool = True) -> None:
        self.engine = engine if engine is not None else engine_from_env()
        if migrate:
            ensure_schema(self.engine)

    @property
    def label(self) -> str:
        """The database as messages name it (never with its password)."""
        return database_label(self.engine.url)

    # -- writing --

    @_guarded
    def save(
        self, user: User | None, record: ScenarioRecord, *, overwrite: bool = False
    ) -> ScenarioRecord:
        """Save ``record`` under its name in one transaction and return it as stored.

        ``author`` is the user's username and the times are set by the store.  With
        ``overwrite=True`` an existing scenario of that name is replaced atomically (its
        ``author`` and ``created_at`` kept) and a bounded record of its previous content goes
        to the audit log.

        Raises
        ------
        PermissionDenied
            Unless the user is a planner, official or admin.
        NotAuthor
            When overwriting a scenario another user saved (only its author or an admin may).
        ScenarioExists
            When the name is taken and ``overwrite`` is False.
        InputError
            For a bad name, parameters, sites or results (naming the field).
        """
        user = require(user, "save")
        name = _check_name(record.name)
        category = record.category
        if category is not None and (not isinstance(category, str) or len(category) > 64):
            raise InputError("category must be a catalogue id (text)", field="category")
        if not isinstance(record.params, Mapping):
            raise InputError("params must be a dict", field="params")
        if not isinstance(record.results, Mapping):
            raise InputError("results must be a dict", field="results")
        params = _jsonable(record.params, "params")
        results = _jsonable(record.results, "results")
        sites = sites_to_geojson(record.sites)
        sites_text = json.dumps(sites, ensure_ascii=False, allow_nan=False)
        dataset_name, dataset_hash = _check_dataset(record.dataset_name, record.dataset_hash)

        def attempt() -> tuple[datetime, datetime, str]:
            now = _now()
            with write_transaction(self.engine) as conn:
                old = conn.execute(
                    select(_scenario).where(_scenario.c.name == name).with_for_update()
                ).first()
                values = dict(
                    updated_at=now,
                    category=category,
                    params=params,
                    sites=sites_text,
                    results=results,
                    schema_version=RECORD_FORMAT_VERSION,
                    dataset_name=dataset_name,
                    dataset_hash=dataset_hash,
                )
                if old is None:
                    try:
                        conn.execute(
                            insert(_scenario).values(
                                name=name, author=user.username, created_at=now, **values
                            )
                        )
                    except IntegrityError as exc:  # a concurrent saver took the name first
                        raise _NameTaken from exc
                    self._log(conn, user, "save", name, {"sites": len(sites["features"])}, now)
                    created = now
                elif not overwrite:
                    raise ScenarioExists(
                        f"a scenario named {name!r} already exists",
                        field="name",
                        hint="choose another name or save with overwrite=True",
                    )
                elif not may_change(user, old.author):
                    raise NotAuthor("save", user.role, name, old.author)
                else:
                    conn.execute(update(_scenario).where(_scenario.c.id == old.id).values(**values))
                    self._log(conn, user, "overwrite", name, {"previous": _snapshot(old)}, now)
                    created = old.created_at
                author = user.username if old is None else old.author
            return created, now, author

        for tries in range(3):
            try:
                created, updated, author = retry_on_busy(attempt)
                break
            except _NameTaken:
                if not overwrite or tries == 2:
                    raise ScenarioExists(
                        f"a scenario named {name!r} was just saved by someone else",
                        field="name",
                        hint="choose another name or save with overwrite=True",
                    ) from None
        return ScenarioRecord(
            name=name,
            category=category,
            params=params,
            sites=geojson_to_frame(sites),
            results=results,
            author=author,
            created_at=created,
            updated_at=updated,
            dataset_name=dataset_name,
            dataset_hash=dataset_hash,
        )

    @_guarded
    def delete(self, user: User | None, name: str) -> None:
        """Delete the scenario ``name``; the audit log keeps who, when and a record of it.

        Raises PermissionDenied unless planner/official/admin, :class:`NotAuthor` unless the
        user is its author or an admin, ScenarioNotFound if absent.
        """
        user = require(user, "delete")
        name = _check_name(name)

        def attempt() -> None:
            now = _now()
            with write_transaction(self.engine) as conn:
                old = conn.execute(
                    select(_scenario).where(_scenario.c.name == name).with_for_update()
                ).first()
                if old is None:
                    raise self._not_found(conn, name)
                if not may_change(user, old.author):
                    raise NotAuthor("delete", user.role, name, old.author)
                conn.execute(delete(_scenario).where(_scenario.c.id == old.id))
                self._log(conn, user, "delete", name, {"previous": _snapshot(old)}, now)

        retry_on_busy(attempt)

    @_guarded
    def log_export(self, user: User | None, name: str, detail: Mapping | None = None) -> None:
        """Record in the audit log that ``user`` exported scenario ``name``."""
        user = require(user, "export")
        name = _check_name(name)
        payload = _jsonable(dict(detail or {}), "detail")

        def attempt() -> None:
            with write_transaction(self.engine) as conn:
                self._log(conn, user, "export", name, payload, _now())

        retry_on_busy(attempt)

    @staticmethod
    def _log(
        conn: Connection, user: User, action: str, name: str, detail: Any, at: datetime
    ) -> None:
        conn.execute(
            insert(_audit).values(
                at=at, username=user.username, action=action, scenario_name=name, detail=detail
            )
        )

    # -- reading --

    @_guarded
    def list(self, user: User | None) -> builtins.list[ScenarioSummary]:
        """Summaries of all saved scenarios, sorted by name.

        A row whose sites cannot be read is listed with ``damaged=True`` (and no sites) so
        the others stay usable.
        """
        require(user, "read")
        c = _scenario.c
        cols = [c.name, c.author, c.category, c.created_at, c.updated_at, c.sites]
        cols += [c.dataset_name, c.dataset_hash]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).order_by(c.name)).all()
        out = []
        for row in rows:
            try:
                feats = json.loads(row.sites)["features"]
                kinds = [f["properties"].get("kind") for f in feats]
                damaged = False
            except (ValueError, TypeError, KeyError, AttributeError):
                kinds, damaged = [], True
            out.append(
                ScenarioSummary(
                    name=row.name,
                    author=row.author,
                    category=row.category,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                    n_chosen=kinds.count("chosen"),
                    n_manual=kinds.count("manual"),
                    dataset_name=row.dataset_name,
                    dataset_hash=row.dataset_hash,
                    damaged=damaged,
                )
            )
        return out

    @_guarded
    def load(self, user: User | None, name: str) -> ScenarioRecord:
        """The scenario ``name``, sites as a GeoDataFrame in EPSG:4326.

        Raises PermissionDenied unless planner/official, ScenarioNotFound if absent,
        :class:`~gisplan.store.db.DatabaseProblem` when its stored data is damaged.
        """
        require(user, "read")
        name = _check_name(name)
        c = _scenario.c
        with self.engine.connect() as conn:
            head = conn.execute(
                select(
                    c.id,
                    c.name,
                    c.author,
                    c.created_at,
                    c.updated_at,
                    c.category,
                    c.sites,
                    c.dataset_name,
                    c.dataset_hash,
                ).where(c.name == name)
            ).first()
            if head is None:
                raise self._not_found(conn, name)
            try:
                params, results = conn.execute(
                    select(c.params, c.results).where(c.id == head.id)
                ).one()
            except ValueError as exc:  # JSON that does not parse
                raise _damaged(self.engine, name, "parameters or results", exc) from exc
        try:
            sites = geojson_to_frame(json.loads(head.sites))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise _damaged(self.engine, name, "sites", exc) from exc
        if not isinstance(params, Mapping) or not isinstance(results, Mapping):
            raise _damaged(self.engine, name, "parameters or results", ValueError("not objects"))
        return ScenarioRecord(
            name=head.name,
            category=head.category,
            params=dict(params),
            sites=sites,
            results=dict(results),
            author=head.author,
            created_at=head.created_at,
            updated_at=head.updated_at,
            dataset_name=head.dataset_name,
            dataset_hash=head.dataset_hash,
        )

    @_guarded
    def compare(self, user: User | None, name_a: str, name_b: str) -> pd.DataFrame:
        """Two scenarios side by side.

        Returns a DataFrame with the fixed columns :data:`COMPARE_COLUMNS`: ``category,
        label, metric, metric_label, scenario_a, scenario_b, difference`` (``b - a``) — first
        the number of sites (``chosen``, ``manual``, ``total``), then every number of the
        results (covered population before/after per category, complete circles, ...).  A
        number missing from one scenario is NaN.  The scenarios' names are in
        ``frame.attrs["scenario_a"]`` / ``["scenario_b"]`` (column headers to show), never
        column keys, so any name (``difference``, ``metric``, ...) is safe.
        """
        require(user, "compare")
        a, b = _check_name(name_a), _check_name(name_b)
        if a == b:
            raise InputError(
                "cannot compare a scenario with itself", field="name_b", hint="pick another"
            )
        rec_a, rec_b = self.load(user, a), self.load(user, b)
        frames = []
        for rec in (rec_a, rec_b):
            counts = rec.site_counts()
            sites = pd.DataFrame(
                [
                    ("", "选址点 Sites", f"sites_{k}", metric_label(f"sites_{k}"), float(v))
                    for k, v in counts.items()
                ],
                columns=["category", "label", "metric", "metric_label", "value"],
            )
            frames.append(pd.concat([sites, results_long(rec.results)], ignore_index=True))
        key = ["category", "label", "metric", "metric_label"]
        merged = frames[0].merge(frames[1], on=key, how="outer", suffixes=("_a", "_b"), sort=False)
        # Keep scenario A's order, then rows only B has.
        order = {tuple(r): i for i, r in enumerate(frames[0][key].itertuples(index=False))}
        n = len(order)
        for i, r in enumerate(frames[1][key].itertuples(index=False)):
            order.setdefault(tuple(r), n + i)
        merged["_order"] = [order[tuple(r)] for r in merged[key].itertuples(index=False)]
        merged = merged.sort_values("_order", kind="stable").drop(columns="_order")
        merged = merged.rename(columns={"value_a": "scenario_a", "value_b": "scenario_b"})
        merged["difference"] = merged["scenario_b"] - merged["scenario_a"]
        out = merged[list(COMPARE_COLUMNS)].reset_index(drop=True)
        out.attrs["scenario_a"], out.attrs["scenario_b"] = rec_a.name, rec_b.name
        return out

    @_guarded
    def audit(
        self, user: User | None, name: str | None = None, *, limit: int | None = None
    ) -> builtins.list[AuditEntry]:
        """Audit log entries, newest first; only those about ``name`` when given."""
        require(user, "audit")
        stmt = select(_audit).order_by(_audit.c.id.desc())
        if name is not None:
            stmt = stmt.where(_audit.c.scenario_name == _check_name(name))
        if limit is not None:
            stmt = stmt.limit(int(limit))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [
            AuditEntry(r.id, r.at, r.username, r.action, r.scenario_name, r.detail) for r in rows
        ]

    @staticmethod
    def _not_found(conn: Connection, name: str) -> ScenarioNotFound:
        names = conn.execute(
            select(_scenario.c.name).order_by(_scenario.c.name).limit(10)
        ).scalars()
        known = ", ".join(names) or "none saved yet"
        return ScenarioNotFound(
            f"no scenario named {name!r}", field="name", hint=f"saved scenarios: {known}"
        )
