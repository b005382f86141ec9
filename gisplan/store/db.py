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

A SQLite file that this process may not write (the file or its folder is read-only) is
opened read-only (``mode=ro``) without touching its journal mode, so it can still be listed
and read.  PostgreSQL connections give up after :func:`connect_timeout_s` seconds
(``$GISPLAN_DB_CONNECT_TIMEOUT``, default 10) instead of waiting for a silent server forever.

Every database fault (cannot connect, no answer, read-only, not a database, damaged file,
unknown schema revision, disk full) becomes a :class:`DatabaseProblem` whose message is one
line naming the database — never its password (:func:`gisplan.safetext.redact_credentials`).
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

from gisplan.errors import GisplanError, InputError
from gisplan.safetext import redact_credentials
from gisplan.settings import ENV_DB, ENV_DB_CONNECT_TIMEOUT

__all__ = [
    "ENV_VAR",
    "TIMEOUT_ENV_VAR",
    "DEFAULT_CONNECT_TIMEOUT_S",
    "DatabaseProblem",
    "connect_timeout_s",
    "database_label",
    "database_errors",
    "is_read_only",
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
_READ_ONLY_OPTION = "gisplan_read_only"
TIMEOUT_ENV_VAR = ENV_DB_CONNECT_TIMEOUT
#: Seconds a PostgreSQL connection attempt may take before gisplan gives up.
DEFAULT_CONNECT_TIMEOUT_S = 10

T = TypeVar("T")


def default_url() -> str:
    """The per-user default database: ``sqlite:///<user data dir>/plans.db``."""
    from platformdirs import user_data_dir

    return "sqlite:///" + str(Path(user_data_dir("gisplan", appauthor=False)) / "plans.db")


def _json_dumps(obj: object) -> str:
    # Readable Chinese in the database; NaN/inf are rejected before they get here.
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


class DatabaseProblem(GisplanError):
    """The scenario database cannot be used: one line saying which database, what and what to do.

    Never contains a password; the original driver error is kept as ``__cause__`` for logs.
    """


def connect_timeout_s() -> int:
    """Seconds a PostgreSQL connection attempt may take: ``$GISPLAN_DB_CONNECT_TIMEOUT`` or 10.

    Raises
    ------
    InputError
        When the variable is not a whole number of seconds from 1 to 600.
    """
    raw = os.environ.get(TIMEOUT_ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_CONNECT_TIMEOUT_S
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= 600:
        raise InputError(
            f"connect timeout {raw!r} is not a whole number of seconds from 1 to 600",
            field=TIMEOUT_ENV_VAR,
            hint=f"unset it for the default ({DEFAULT_CONNECT_TIMEOUT_S} s)",
        )
    return value


def database_label(url: str | URL) -> str:
    """How messages name a database: ``SQLite file /path`` or ``PostgreSQL host:port/db``."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - only used for wording; never shows the password
        return "database " + redact_credentials(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database or ':memory:'}"
    return f"PostgreSQL {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def _bad_url(raw: object, source: str, message: str) -> InputError:
    return InputError(
        f"{message}: {redact_credentials(repr(str(raw)))}",
        field=source,
        hint="use sqlite:///path/plans.db or postgresql://USER@HOST:5432/DBNAME "
        "(with the password: USER:PASSWORD in place of USER)",
    )


def engine_from_env(url: str | URL | None = None, *, echo: bool = False) -> Engine:
    """Create the engine for ``url``, else ``$GISPLAN_DB``, else the per-user SQLite file.

    For SQLite the parent folder is created; every connection gets ``journal_mode=WAL``,
    ``busy_timeout`` (:data:`SQLITE_BUSY_TIMEOUT_S`) and ``foreign_keys=ON`` — except a file
    this process may not write, which is opened read-only (see :func:`is_read_only`).
    PostgreSQL connections time out after :func:`connect_timeout_s` seconds.

    Raises
    ------
    InputError
        When the URL cannot be parsed, has a bad port or names an unsupported database
        (the message never shows the password).
    DatabaseProblem
        When the SQLite file's folder cannot be created.
    """
    source = "argument url" if url is not None else ENV_VAR
    raw = url if url is not None else (os.environ.get(ENV_VAR) or default_url())
    try:
        parsed = make_url(raw)
        port = parsed.port
    except (ArgumentError, ValueError) as exc:
        raise _bad_url(raw, source, "not a database URL") from exc
    if port is not None and not 1 <= port <= 65535:
        raise _bad_url(raw, source, f"port {port} is not from 1 to 65535")
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            # SQLAlchemy 2.1 defaults to psycopg 3; gisplan[postgres] installs psycopg2.
            parsed = parsed.set(drivername=_default_pg_driver())
        connect_args = {}
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = connect_timeout_s()
        return create_engine(
            parsed,
            echo=echo,
            pool_pre_ping=True,
            json_serializer=_json_dumps,
            connect_args=connect_args,
            future=True,
        )
    raise InputError(
        f"unsupported database {backend!r} in {redact_credentials(str(raw))!r}",
        field=source,
        hint="gisplan stores scenarios in SQLite (default) or PostgreSQL",
    )


def is_read_only(path: Path) -> bool:
    """True when ``path`` exists and this process may not write it or its folder.

    SQLite needs to write the folder too (journal, ``-wal`` and ``-shm`` files).
    """
    return path.exists() and not (
        os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)
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
    read_only = False
    kwargs: dict = {}
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseProblem(
                f"SQLite file {path}: cannot create its folder ({exc.strerror or exc}) "
                "— check the path and its permissions"
            ) from exc
        read_only = is_read_only(path)
        if read_only:
            import sqlite3
            from urllib.parse import quote

            uri = f"file:{quote(str(path.resolve()))}?mode=ro"
            if not os.access(path.parent, os.W_OK) and not Path(f"{path}-shm").exists():
                # A WAL database needs its -shm file even to read; when the folder is
                # read-only and there is none, nobody can be writing it: read it as immutable.
                uri += "&immutable=1"
            kwargs["creator"] = lambda: sqlite3.connect(
                uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_S, check_same_thread=False
            )
    engine = create_engine(
        url,
        echo=echo,
        json_serializer=_json_dumps,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
        future=True,
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - exercised via engine
        # Let SQLAlchemy (not the sqlite3 module) decide where transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        if database and database != ":memory:" and not read_only:
            cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        if not read_only:
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

    return engine.execution_options(**{_READ_ONLY_OPTION: read_only})


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

    with database_errors(engine):
        current = current_revision(engine)
        if current == head_revision():
            return current
        if current is not None and current not in _known_revisions():
            raise DatabaseProblem(
                f"{database_label(engine.url)} is at schema revision {current!r}, which this "
                f"version of gisplan does not know (it knows up to {head_revision()}) "
                "— it was made by a newer gisplan: upgrade gisplan or use another database"
            )
        if engine.get_execution_options().get(_READ_ONLY_OPTION):
            raise DatabaseProblem(
                f"{database_label(engine.url)} is read-only and at schema revision "
                f"{current or 'none (empty)'}, not {head_revision()} "
                "— make it writable once so gisplan can upgrade it"
            )
        retry_on_busy(run)
        after = current_revision(engine)
        if after is None:
            raise DatabaseProblem(
                f"{database_label(engine.url)}: the schema upgrade left no revision"
            )
        return after


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    location = resources.files("gisplan.store").joinpath("migrations")
    return {rev.revision for rev in ScriptDirectory(str(location)).walk_revisions()}


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


# --- faults in one line ------------------------------------------------------------------------

#: (words in the driver's message, what the user reads after the database's name).
_SQLITE_FAULTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("readonly database", "read-only database", "readonly"),
        "is read-only: scenarios can be listed and opened, not saved or deleted "
        "— make the file and its folder writable",
    ),
    (
        ("file is not a database", "file is encrypted"),
        "is not a SQLite database (a text file or other data?) "
        "— point GISPLAN_DB or --db at a gisplan database or a new file name",
    ),
    (
        ("malformed", "corrupt"),
        "is damaged (malformed database image); gisplan changed nothing — restore it from a backup",
    ),
    (
        ("database or disk is full", "disk i/o error", "no space"),
        "cannot be written: the disk is full; nothing was saved — free some space and try again",
    ),
    (
        ("unable to open database file",),
        "cannot be opened: the file or its folder is missing or not accessible "
        "— check the path and its permissions",
    ),
)

_PG_FAULTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("connection refused",), "refused the connection — is the server running on that port?"),
    (
        ("timeout expired", "timed out"),
        "gave no answer within {timeout} s — check the host, port and firewall "
        f"(${TIMEOUT_ENV_VAR} sets the limit)",
    ),
    (
        ("could not translate host name", "name or service not known", "nodename nor servname"),
        "is an unknown host name — check the host in the database URL",
    ),
    (
        ("password authentication failed", "no password supplied", "authentication failed"),
        "refused the user name or password — check the credentials in the database URL",
    ),
    (("does not exist",), "has no such database or user — create it or fix the URL"),
    (
        ("invalid integer value", "invalid port"),
        "has a bad port — use a number from 1 to 65535",
    ),
    (
        ("read-only transaction", "permission denied"),
        "does not allow this change for the database user — ask the administrator",
    ),
    (("no space left", "disk full"), "is out of disk space; nothing was saved"),
)


def _describe(exc: BaseException, engine: Engine) -> str:
    label = database_label(engine.url)
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    low = text.lower()
    faults = _SQLITE_FAULTS if engine.dialect.name == "sqlite" else _PG_FAULTS
    for words, message in faults:
        if any(w in low for w in words):
            timeout = engine.url.query.get("connect_timeout") or connect_timeout_s()
            return f"{label} {message.format(timeout=timeout)}"
    first = text.splitlines()[0] if text else type(orig).__name__
    return f"{label}: {redact_credentials(first)}"


@contextlib.contextmanager
def database_errors(engine: Engine) -> Iterator[None]:
    """Turn any database fault raised in the block into a one-line :class:`DatabaseProblem`.

    Driver errors (SQLAlchemy ``DBAPIError`` and the raw ``sqlite3`` errors), Alembic's
    "cannot locate revision" and operating-system errors are translated; gisplan's own errors
    pass through unchanged.
    """
    try:
        yield
    except GisplanError:
        raise
    except DBAPIError as exc:
        raise DatabaseProblem(_describe(exc, engine)) from exc
    except json.JSONDecodeError as exc:
        raise DatabaseProblem(
            f"{database_label(engine.url)} holds damaged data (JSON that does not parse: {exc}) "
            "— restore it from a backup"
        ) from exc
    except Exception as exc:
        module = type(exc).__module__
        if module.startswith("alembic"):
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DatabaseProblem(
                f"{database_label(engine.url)}: cannot upgrade its schema ({first}) "
                "— use a database made by this version of gisplan"
            ) from exc
        if module in {"sqlite3", "_sqlite3"} or module.startswith("psycopg"):
            raise DatabaseProblem(_describe(exc, engine)) from exc
        if isinstance(exc, OSError):
            raise DatabaseProblem(
                f"{database_label(engine.url)}: {exc.strerror or exc} "
                "— check the path, its permissions and free space"
            ) from exc
        raise
