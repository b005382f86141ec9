"""The app listens on this machine only unless told otherwise (gisplan app, tasks.py app and
.streamlit/config.toml agree)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from gisplan.commands import app as app_cmd

ROOT = Path(__file__).resolve().parents[1]


def test_config_and_command_default_to_localhost() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert app_cmd.DEFAULT_ADDRESS == "127.0.0.1"
    cmd = app_cmd.server_command(ROOT / "app.py", "8600", app_cmd.DEFAULT_ADDRESS)
    assert [a for a in cmd if a.startswith("--server.address")] == ["--server.address=127.0.0.1"]
    wide = app_cmd.server_command(ROOT / "app.py", "8600", "0.0.0.0")
    assert [a for a in wide if a.startswith("--server.address")] == ["--server.address=0.0.0.0"]


def test_gisplan_app_passes_the_address(monkeypatch, capsys) -> None:
    from gisplan.cli import main

    seen: list[list[str]] = []
    monkeypatch.setattr(app_cmd.subprocess, "call", lambda cmd, **kw: seen.append(cmd) or 0)
    assert main(["app", "--port", "8611"]) == 0
    assert "--server.address=127.0.0.1" in seen[-1]
    assert "serving to the network" not in capsys.readouterr().err
    assert main(["app", "--port", "8611", "--address", "0.0.0.0"]) == 0
    assert "--server.address=0.0.0.0" in seen[-1]
    assert "SECURITY.md" in capsys.readouterr().err


def test_tasks_app_forwards_the_address(monkeypatch) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        import tasks
    finally:
        sys.path.remove(str(ROOT))
    seen: list[list[str]] = []
    monkeypatch.setattr(tasks, "ensure_venv", lambda extra: None)
    monkeypatch.setattr(tasks.subprocess, "call", lambda cmd, **kw: seen.append(cmd) or 0)
    tasks.cmd_app([])
    assert seen[-1][1:] == ["app", "--port", "8501"]
    tasks.cmd_app(["8600", "--address", "0.0.0.0"])
    assert seen[-1][1:] == ["app", "--port", "8600", "--address", "0.0.0.0"]


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp* writes them) listening on ``port``."""
    out = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            addr, hexport = fields[1].split(":")
            if int(hexport, 16) == port and fields[3] == "0A":  # LISTEN
                out.add(addr)
    return out


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net")
def test_started_app_listens_on_loopback_only(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gisplan.cli", "app", "--port", str(port)],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the app did not start"
                time.sleep(0.5)
        listening = _listening(port)
        assert listening and listening <= {"0100007F", "00000000000000000000000001000000"}
    finally:
        os.killpg(proc.pid, 15)
        out, _ = proc.communicate(timeout=60)
    assert "Network URL" not in out
