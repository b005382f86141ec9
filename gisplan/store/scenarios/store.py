"""The scenario store: save, list, load, compare, audit and delete in a database.

See :mod:`gisplan.store.scenarios` for the rules (transactions, ownership, audit log).
"""

from __future__ import annotations

import builtins
import functools
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gisplan.errors import InputError
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
    RECORD_FORMAT_VERSION,
    AuditLog,
    Scenario,
)
from gisplan.store.scenarios.audit import _snapshot
from gisplan.store.scenarios.records import (
    AuditEntry,
    ScenarioExists,
    ScenarioNotFound,
    ScenarioRecord,
    ScenarioSummary,
    _check_name,
    _jsonable,
    geojson_to_frame,
    sites_to_geojson,
)
from gisplan.store.scenarios.results import metric_label, results_long

__all__ = ["COMPARE_COLUMNS", "ScenarioStore"]

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

# Declarative models type their ``__table__`` as a FromClause; these are Tables.
_scenario = cast(Table, Scenario.__table__)
_audit = cast(Table, AuditLog.__table__)


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
                        code="scenario.exists",
                        params={"name": name},
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
                        code="scenario.exists",
                        params={"name": name},
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
            f"no scenario named {name!r}",
            field="name",
            hint=f"saved scenarios: {known}",
            code="scenario.not_found",
            params={"name": name},
        )
