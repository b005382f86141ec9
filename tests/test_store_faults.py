"""Database faults and connection problems are one clear line each (store and CLI), never a
traceback, never a password — and they leave the database as it was."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event

from gisplan.cli import main
from gisplan.errors import GisplanError, InputError
from gisplan.store import (
    ScenarioRecord,
    ScenarioStore,
    User,
    engine_from_env,
    hash_password,
)
from gisplan.store.db import DatabaseProblem

PLANNER = User("alice", "planner")
PASSWORD = "S3cretPW"


@pytest.fixture
def cli_env(monkeypatch):
    users = {"alice": {"password_hash": hash_password("pw!", rounds=4), "role": "planner"}}
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(users))
    monkeypatch.setenv("GISPLAN_PASSWORD", "pw!")
    monkeypatch.delenv("GISPLAN_USER", raising=False)
    monkeypatch.delenv("GISPLAN_DB", raising=False)


def _record(name: str = "东门方案", n_sites: int = 1) -> ScenarioRecord:
    feats = [
        {
            "type": "Feature",
            "properties": {"kind": "chosen", "name": f"点{i}"},
            "geometry": {"type": "Point", "coordinates": [121.5 + i * 1e-5, 29.8]},
        }
        for i in range(n_sites)
    ]
    return ScenarioRecord(
        name, "supermarket", {"k": n_sites}, {"type": "FeatureCollection", "features": feats}, {}
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line_error(capsys, rc: int) -> str:
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("错误 / error:")
    return err


def _saved_db(tmp_path: Path) -> Path:
    path = tmp_path / "plans.db"
    store = ScenarioStore(engine_from_env(f"sqlite:///{path}"))
    store.save(PLANNER, _record())
    store.engine.dispose()
    return path


# --- passwords never shown ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql//planner:{PASSWORD}@host/db",
        f"postgresql:planner:{PASSWORD}@host/db",
        f"postgresql://planner:{PASSWORD}@host:notaport/db",
        f"postgresql://planner:{PASSWORD}@host:99999/db",
        f"mysql://planner:{PASSWORD}@host/db",
    ],
)
def test_bad_url_never_shows_the_password(url: str, cli_env, capsys, monkeypatch) -> None:
    with pytest.raises(InputError) as err:
        engine_from_env(url)
    assert PASSWORD not in str(err.value) and "***" in str(err.value)
    monkeypatch.setenv("GISPLAN_DB", url)
    err_line = _one_line_error(capsys, main(["scenario", "list", "--user", "alice"]))
    assert PASSWORD not in err_line and "GISPLAN_DB" in err_line


# --- SQLite faults -----------------------------------------------------------------------------


def _text_file(path: Path) -> None:
    path.write_text("这不是数据库 just some notes\n" * 50, encoding="utf-8")


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    # Keep the 100-byte header, scramble the schema page and what follows.
    data[100:4096] = os.urandom(3996)
    path.write_bytes(bytes(data))


def _unknown_revision(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("UPDATE alembic_version SET version_num = 'f00dfacecafe'")
    con.close()


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (_text_file, "not a SQLite database"),
        (_random_bytes, "not a SQLite database"),
        (_corrupt, "damaged"),
        (_unknown_revision, "f00dfacecafe"),
    ],
)
def test_damaged_database_is_one_line_and_left_alone(
    tmp_path: Path, cli_env, capsys, damage, words
) -> None:
    path = _saved_db(tmp_path)
    damage(path)
    before = _digest(path)
    url = f"sqlite:///{path}"
    with pytest.raises(DatabaseProblem) as err:
        ScenarioStore(engine_from_env(url)).list(PLANNER)
    assert words in str(err.value) and str(path) in str(err.value)
    line = _one_line_error(capsys, main(["scenario", "list", "--user", "alice", "--db", url]))
    assert words in line
    assert _digest(path) == before  # gisplan wrote nothing into it


def test_bad_json_in_a_row(tmp_path: Path, cli_env, capsys) -> None:
    path = _saved_db(tmp_path)
    store = ScenarioStore(engine_from_env(f"sqlite:///{path}"))
    store.save(PLANNER, _record("好方案"))
    with sqlite3.connect(path) as con:
        con.execute(
            "UPDATE scenario SET results = '{broken', sites = 'nope' WHERE name = '东门方案'"
        )
    con.close()
    # The list still works (the damaged row is marked), the good scenario still opens.
    listed = {s.name: s for s in store.list(PLANNER)}
    assert listed["东门方案"].damaged and not listed["好方案"].damaged
    assert store.load(PLANNER, "好方案").params == {"k": 1}
    with pytest.raises(DatabaseProblem) as err:
        store.load(PLANNER, "东门方案")
    assert "东门方案" in str(err.value) and "damaged" in str(err.value)
    url = f"sqlite:///{path}"
    assert main(["scenario", "list", "--user", "alice", "--db", url]) == 0
    assert "damaged" in capsys.readouterr().out
    line = _one_line_error(
        capsys, main(["scenario", "show", "东门方案", "--user", "alice", "--db", url])
    )
    assert "东门方案" in line
    store.engine.dispose()


def test_disk_full_is_one_line_and_keeps_integrity(tmp_path: Path) -> None:
    path = _saved_db(tmp_path)
    engine = engine_from_env(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _tiny_disk(dbapi_conn, _record) -> None:
        # Fault injection: SQLite reports SQLITE_FULL ("database or disk is full") as soon as
        # the file would grow past its current size, exactly as on a full disk.
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    store = ScenarioStore(engine)
    with pytest.raises(DatabaseProblem) as err:
        store.save(PLANNER, _record("大方案", n_sites=3000))
    assert "full" in str(err.value) and len(str(err.value).splitlines()) == 1
    assert [s.name for s in store.list(PLANNER)] == ["东门方案"]
    engine.dispose()
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("SELECT count(*) FROM audit_log").fetchone() == (1,)
    con.close()


def test_unopenable_path_is_one_line(tmp_path: Path, cli_env, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    url = f"sqlite:///{blocker / 'sub' / 'plans.db'}"  # a folder inside a file
    line = _one_line_error(capsys, main(["scenario", "list", "--user", "alice", "--db", url]))
    assert "a-file" in line


# --- read-only database ------------------------------------------------------------------------

_READONLY_SCRIPT = """
import sys
from gisplan.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _as_unprivileged() -> dict:
    """Popen arguments that run a child without root's power to write anywhere."""
    if os.geteuid() != 0:
        return {}
    return {"user": 65534, "group": 65534, "extra_groups": []}


def test_read_only_database_can_be_listed_not_changed(tmp_path: Path) -> None:
    # A folder the unprivileged child can read but not write (root's tmp_path is private).
    base = Path(tempfile.mkdtemp(prefix="gisplan-ro-"))
    try:
        folder = base / "ro"
        folder.mkdir()
        path = _saved_db(folder)
        assert not (folder / "plans.db-wal").exists()
        before = _digest(path)
        os.chmod(path, 0o444)
        os.chmod(folder, 0o555)
        os.chmod(base, 0o755)
        users = {"alice": {"password_hash": hash_password("pw!", rounds=4), "role": "planner"}}
        env = dict(
            os.environ,
            GISPLAN_DB=f"sqlite:///{path}",
            GISPLAN_USERS=json.dumps(users),
            GISPLAN_PASSWORD="pw!",
            HOME=str(base),
            PYTHONPATH=os.pathsep.join(sys.path),
        )

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-c", _READONLY_SCRIPT, *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                cwd=base,
                **_as_unprivileged(),
            )

        listed = run("scenario", "list", "--user", "alice")
        assert listed.returncode == 0, listed.stderr
        assert "东门方案" in listed.stdout
        shown = run("scenario", "show", "东门方案", "--user", "alice")
        assert shown.returncode == 0, shown.stderr
        deleted = run("scenario", "delete", "东门方案", "--yes", "--user", "alice")
        assert deleted.returncode == 2
        lines = deleted.stderr.strip().splitlines()
        assert len(lines) == 1 and "read-only" in lines[0] and "Traceback" not in deleted.stderr
        assert _digest(path) == before
        assert not (folder / "plans.db-wal").exists() and not (folder / "plans.db-shm").exists()
    finally:
        for p in (base, base / "ro"):
            if p.exists():
                os.chmod(p, 0o755)
        shutil.rmtree(base, ignore_errors=True)


# --- PostgreSQL connection problems (no server needed) -----------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_is_one_line(cli_env, capsys) -> None:
    pytest.importorskip("psycopg2")
    url = f"postgresql://planner:{PASSWORD}@127.0.0.1:{_free_port()}/plans"
    with pytest.raises(DatabaseProblem) as err:
        ScenarioStore(engine_from_env(url))
    assert "refused" in str(err.value) and PASSWORD not in str(err.value)
    line = _one_line_error(capsys, main(["scenario", "list", "--user", "alice", "--db", url]))
    assert "refused" in line and "127.0.0.1" in line and PASSWORD not in line


class SilentServer:
    """A TCP server that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.clients: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.clients:
            c.close()


def test_silent_server_times_out_with_one_line(cli_env, capsys, monkeypatch) -> None:
    pytest.importorskip("psycopg2")
    server = SilentServer()
    try:
        monkeypatch.setenv("GISPLAN_DB_CONNECT_TIMEOUT", "2")
        url = f"postgresql://planner:{PASSWORD}@127.0.0.1:{server.port}/plans"
        t0 = time.monotonic()
        with pytest.raises(DatabaseProblem) as err:
            ScenarioStore(engine_from_env(url))
        assert time.monotonic() - t0 < 20
        assert "no answer" in str(err.value) and PASSWORD not in str(err.value)
        assert server.clients, "the client never reached the silent server"
        t0 = time.monotonic()
        line = _one_line_error(capsys, main(["scenario", "list", "--user", "alice", "--db", url]))
        assert time.monotonic() - t0 < 20
        assert "no answer" in line and "2 s" in line
    finally:
        server.close()


def test_connect_timeout_default_and_setting(monkeypatch) -> None:
    pytest.importorskip("psycopg2")
    from gisplan.store.db import DEFAULT_CONNECT_TIMEOUT_S, connect_timeout_s

    monkeypatch.delenv("GISPLAN_DB_CONNECT_TIMEOUT", raising=False)
    assert connect_timeout_s() == DEFAULT_CONNECT_TIMEOUT_S == 10
    monkeypatch.setenv("GISPLAN_DB_CONNECT_TIMEOUT", "0")
    with pytest.raises(InputError, match="GISPLAN_DB_CONNECT_TIMEOUT"):
        connect_timeout_s()
    monkeypatch.setenv("GISPLAN_DB_CONNECT_TIMEOUT", "abc")
    with pytest.raises(InputError, match="GISPLAN_DB_CONNECT_TIMEOUT"):
        connect_timeout_s()


def test_database_problem_is_a_gisplan_error() -> None:
    assert issubclass(DatabaseProblem, GisplanError)
