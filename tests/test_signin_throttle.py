"""Brute-force protection: back-off per username and per client, failed sign-ins logged
without the password (store, CLI)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from gisplan.cli import main
from gisplan.store import hash_password, load_users
from gisplan.store.throttle import (
    FREE_FAILURES,
    MAX_DELAY_S,
    SignInThrottle,
    delay_after,
    throttled_authenticate,
)

PW = "正确的密码-2025"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def users():
    return load_users(
        {
            "zhang": {"password_hash": hash_password(PW, rounds=4), "role": "planner"},
            "li": {"password_hash": hash_password("li-pw", rounds=4), "role": "official"},
        }
    )


def test_delays_double_up_to_the_cap() -> None:
    assert [delay_after(n) for n in range(FREE_FAILURES + 1)] == [0.0] * (FREE_FAILURES + 1)
    assert [delay_after(FREE_FAILURES + i) for i in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert delay_after(100) == MAX_DELAY_S


def test_per_user_backoff_refuses_without_checking(users, caplog) -> None:
    clock = Clock()
    throttle = SignInThrottle(clock=clock)
    caplog.set_level(logging.WARNING, logger="gisplan.auth")
    for i in range(FREE_FAILURES):
        r = throttled_authenticate("zhang", f"guess{i}", users, client=f"ip{i}", throttle=throttle)
        assert r.user is None and r.wait_s == 0
    r = throttled_authenticate("zhang", "guess", users, client="ip9", throttle=throttle)
    assert r.user is None
    # Now even the right password from a fresh client is refused until the wait is over.
    r = throttled_authenticate("zhang", PW, users, client="ip10", throttle=throttle)
    assert r.user is None and r.wait_s == pytest.approx(1.0)
    # Another user is not affected.
    assert throttled_authenticate("li", "li-pw", users, client="ip11", throttle=throttle).user
    clock.now += 1.01
    r = throttled_authenticate("zhang", PW, users, client="ip10", throttle=throttle)
    assert r.user is not None and r.user.username == "zhang"
    # Success cleared zhang's count.
    assert throttle.wait_s("zhang", "ip12") == 0
    text = caplog.text
    assert "failed sign-in for user 'zhang'" in text and "refused" in text
    for i in range(FREE_FAILURES):
        assert f"guess{i}" not in text
    assert PW not in text


def test_per_client_backoff_across_usernames(users) -> None:
    clock = Clock()
    throttle = SignInThrottle(clock=clock)
    for i in range(FREE_FAILURES + 3):
        clock.now += 0.001 if i <= FREE_FAILURES else 100
        throttled_authenticate(f"user{i}", "x", users, client="10.0.0.7", throttle=throttle)
    # Spraying many usernames from one client: that client waits, others do not.
    r = throttled_authenticate("zhang", PW, users, client="10.0.0.7", throttle=throttle)
    assert r.user is None and r.wait_s > 0
    assert throttled_authenticate("zhang", PW, users, client="10.0.0.8", throttle=throttle).user


def test_thirty_guesses_take_minutes_not_seconds(users) -> None:
    """The attack of the issue: 30 wrong passwords.  With the back-off they need
    1+2+4+... seconds of waiting — over 15 minutes for the last alone."""
    clock = Clock()
    throttle = SignInThrottle(clock=clock)
    waited = 0.0
    for i in range(30):
        wait = throttle.wait_s("zhang", "attacker")
        clock.now += wait
        waited += wait
        assert (
            throttled_authenticate(
                "zhang", f"g{i}", users, client="attacker", throttle=throttle
            ).user
            is None
        )
    assert waited > 3600


def test_counts_shared_through_a_file(tmp_path, users) -> None:
    clock = Clock()
    path = tmp_path / "counts.json"
    for _ in range(FREE_FAILURES + 1):
        t = SignInThrottle(path, clock=clock)  # a new process each time, as CLI runs are
        throttled_authenticate("zhang", "bad", users, client="cli:a", throttle=t)
    assert SignInThrottle(path, clock=clock).wait_s("zhang", "cli:b") == pytest.approx(1.0)
    assert "bad" not in path.read_text()


def test_cli_backs_off_and_logs(monkeypatch, capsys, caplog, tmp_path) -> None:
    table = {"alice": {"password_hash": hash_password("pw!", rounds=4), "role": "planner"}}
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(table))
    monkeypatch.setenv("GISPLAN_DB", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("GISPLAN_PASSWORD", "wrong")
    caplog.set_level(logging.WARNING, logger="gisplan.auth")
    for _ in range(FREE_FAILURES + 1):
        assert main(["scenario", "list", "--user", "alice"]) == 2
        assert "wrong user name or password" in capsys.readouterr().err
    monkeypatch.setenv("GISPLAN_PASSWORD", "pw!")
    assert main(["scenario", "list", "--user", "alice"]) == 2
    err = capsys.readouterr().err
    assert "too many failed sign-ins" in err and "try again in 1 s" in err
    assert "failed sign-in for user 'alice'" in caplog.text and "wrong" not in caplog.text
    # The CLI's log file beside its counts holds the same lines, never the password.
    log_file = Path(os.environ["GISPLAN_SIGNIN_STATE"]).with_name("signin.log")
    text = log_file.read_text(encoding="utf-8")
    assert "failed sign-in for user 'alice'" in text and "wrong" not in text and "pw!" not in text
