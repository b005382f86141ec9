"""Database engine and schema for saved scenarios.

The database is any SQLAlchemy URL: by default a SQLite file in the user's data folder
(``platformdirs.user_data_dir("gisplan")/plans.db``, e.g. ``~/.local/share/gisplan/plans.db``
on Linux); set the environment variable ``GISPLAN_DB`` to use another file
(``sqlite:////srv/gisplan/plans.db``) or a PostgreSQL server
(``postgresql://user:password@host:5432/gisplan``, driver psycopg2, extra ``gisplan[postgres]``).

SQLite connections run in WAL mode with a busy timeout and foreign keys on; write transactions
start with ``BEGIN IMMEDIATE`` so that concurrent writers queue on the database lock instead of
failing half-way (see :func:`write_transaction`).  The schema is versioned with Alembic; the
migrations ship inside the package and :func:`ensure_schema` upgrades a database to the newest
revision programmatically (no ``alembic.ini`` needed).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from gisplan.errors import InputError
from gisplan.settings import ENV_DB

__all__ = [
    "ENV_VAR",
    "SQLITE_BUSY_TIMEOUT_S",
    "default_url",
    "engine_from_env",
    "ensure_schema",
    "current_revision",
    "head_revision",
    "write_transaction",
    "retry_on_busy",
]

ENV_VAR = ENV_DB
#: Seconds a SQLite connection waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30.0
_WRITE_OPTION = "gisplan_write"

T = TypeVar("T")


def default_url() -> str:
    """The per-user default database: ``sqlite:///<user data dir>/plans.db``."""
    from platformdirs import user_data_dir

    return "sqlite:///" + str(Path(user_data_dir("gisplan", appauthor=False)) / "plans.db")


def _json_dumps(obj: object) -> str:
    # Readable Chinese in the database; NaN/inf are rejected before they get here.
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


def engine_from_env(url: str | URL | None = None, *, echo: bool = False) -> Engine:
    """Create the engine for ``url``, else ``$GISPLAN_DB``, else the per-user SQLite file.

    For SQLite the parent folder is created; every connection gets ``journal_mode=WAL``,
    ``busy_timeout`` (:data:`SQLITE_BUSY_TIMEOUT_S`) and ``foreign_keys=ON``.

    Raises
    ------
    InputError
        When the URL cannot be parsed or names an unsupported database.
    """
    source = "argument url" if url is not None else ENV_VAR
    raw = url if url is not None else (os.environ.get(ENV_VAR) or default_url())
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise InputError(
            f"not a database URL: {raw!r}",
            field=source,
            hint="use sqlite:///path/plans.db or postgresql://user:password@host/dbname",
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            # SQLAlchemy 2.1 defaults to psycopg 3; gisplan[postgres] installs psycopg2.
            parsed = parsed.set(drivername=_default_pg_driver())
        return create_engine(
            parsed, echo=echo, pool_pre_ping=True, json_serializer=_json_dumps, future=True
        )
    raise InputError(
        f"unsupported database {backend!r}",
        field=source,
        hint="gisplan stores scenarios in SQLite (default) or PostgreSQL",
    )


def _default_pg_driver() -> str:
    import importlib.util

    if importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2"
    if importlib.util.find_spec("psycopg") is not None:
        return "postgresql+psycopg"
    raise InputError(
        "no PostgreSQL driver installed",
        field=ENV_VAR,
        hint="pip install 'gisplan[postgres]' (psycopg2-binary)",
    )


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        json_serializer=_json_dumps,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
        future=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - exercised via engine
        # Let SQLAlchemy (not the sqlite3 module) decide where transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        if database and database != ":memory:":
            cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the database lock up front, so it waits (busy_timeout) rather than
        # failing when it later upgrades a read lock; readers start a plain deferred transaction.
        if conn.get_execution_options().get(_WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed when the block ends, rolled back on any exception.

    On SQLite it begins with ``BEGIN IMMEDIATE``; on PostgreSQL it is an ordinary transaction.
    """
    with engine.connect() as conn:
        conn = conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            yield conn


def _is_busy(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        if "locked" in text or "busy" in text:
            return True
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        # PostgreSQL serialization failure / deadlock: safe to retry the whole transaction.
        return getattr(exc.orig, "pgcode", None) in {"40001", "40P01"}
    return False


def retry_on_busy(fn: Callable[[], T], *, attempts: int = 8, first_delay_s: float = 0.05) -> T:
    """Call ``fn`` and retry it (jittered exponential back-off) while the database is busy.

    ``fn`` must run a whole transaction, so a retry repeats it from the start.
    """
    delay = first_delay_s
    for attempt in range(attempts):
        try:
            return fn()
        except DBAPIError as exc:
            if attempt == attempts - 1 or not _is_busy(exc):
                raise
        time.sleep(delay * (1.0 + random.random()))
        delay = min(delay * 2.0, 2.0)
    raise AssertionError("unreachable")  # pragma: no cover


def _alembic_config(connection: Connection):
    from alembic.config import Config

    cfg = Config()
    location = resources.files("gisplan.store").joinpath("migrations")
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["connection"] = connection
    return cfg


def ensure_schema(engine: Engine) -> str:
    """Upgrade the database to the newest schema revision (a no-op when it is current).

    Safe to call from several processes at once: on SQLite the migration runs inside a
    ``BEGIN IMMEDIATE`` transaction, on PostgreSQL under a transaction-level advisory lock.
    Returns the revision the database is at afterwards.
    """
    from alembic import command

    def run() -> None:
        with engine.connect() as conn:
            conn = conn.execution_options(**{_WRITE_OPTION: True})
            command.upgrade(_alembic_config(conn), "head")
            if conn.in_transaction():
                conn.commit()

    if current_revision(engine) != head_revision():
        retry_on_busy(run)
    return current_revision(engine)


def head_revision() -> str:
    """The newest revision shipped with this version of gisplan."""
    from alembic.script import ScriptDirectory

    location = resources.files("gisplan.store").joinpath("migrations")
    head = ScriptDirectory(str(location)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
