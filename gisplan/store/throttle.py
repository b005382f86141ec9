"""Brute-force protection for sign-in: back-off per username and per client.

Every failed sign-in is also logged (never the password).

After :data:`FREE_FAILURES` failed sign-ins in a row for one username — or from one client —
each further attempt must wait: 1 s after the next failure, then 2, 4, 8 … up to
:data:`MAX_DELAY_S` (15 minutes).  While it waits an attempt is refused *without checking the
password*, so guessing gets no faster by hammering.  A successful sign-in clears the username's
and the client's counts; counts are forgotten :data:`FORGET_AFTER_S` after the last failure.

The app keeps one :class:`SignInThrottle` per server process (clients are told apart by their
IP address, see :mod:`gisplan.app.auth`); the CLI keeps its counts in a small JSON file in the
user's state folder (``$GISPLAN_SIGNIN_STATE`` overrides the path), so separate ``gisplan``
runs share them.

Failed sign-ins are logged on the ``gisplan.auth`` logger at WARNING level with the username
(control characters stripped), the client, the count and the wait imposed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from gisplan.safetext import terminal_text
from gisplan.settings import ENV_SIGNIN_STATE
from gisplan.store.auth import Credential, User, authenticate

__all__ = [
    "FREE_FAILURES",
    "FIRST_DELAY_S",
    "MAX_DELAY_S",
    "FORGET_AFTER_S",
    "STATE_ENV_VAR",
    "SignInResult",
    "SignInThrottle",
    "throttled_authenticate",
    "cli_throttle",
]

log = logging.getLogger("gisplan.auth")

#: Failed sign-ins in a row allowed without any wait.
FREE_FAILURES = 3
#: Wait after the first failure beyond :data:`FREE_FAILURES` (seconds); it doubles each time.
FIRST_DELAY_S = 1.0
#: Longest wait (seconds).
MAX_DELAY_S = 15 * 60.0
#: Counts are forgotten this long (seconds) after the last failure.
FORGET_AFTER_S = 3600.0
#: Environment variable naming the CLI's state file.
STATE_ENV_VAR = ENV_SIGNIN_STATE
_MAX_KEYS = 10_000
_CLI_HANDLER = "gisplan-cli-signin-log"


def delay_after(failures: int) -> float:
    """Seconds to wait after ``failures`` failed sign-ins in a row (0 for the first few)."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(FIRST_DELAY_S * 2.0 ** (failures - FREE_FAILURES - 1), MAX_DELAY_S)


@dataclass(frozen=True)
class SignInResult:
    """Outcome of :func:`throttled_authenticate`.

    ``user`` is the signed-in user or None; ``wait_s`` > 0 means the attempt was refused
    without checking the password, and the next one is allowed in that many seconds.
    """

    user: User | None
    wait_s: float = 0.0


class SignInThrottle:
    """Failed sign-in counts per username and per client, with exponential back-off.

    Parameters
    ----------
    path : path, optional
        JSON file holding the counts (shared by processes, e.g. CLI runs); in memory when None.
    clock : callable
        Seconds since the epoch (``time.time``); replaceable in tests.
    """

    def __init__(
        self, path: str | os.PathLike | None = None, *, clock: Callable[[], float] = time.time
    ):
        self.path = None if path is None else Path(path)
        self.clock = clock
        self._lock = threading.Lock()
        self._memory: dict[str, list[float]] = {}  # key -> [failures, last failure time]

    @staticmethod
    def _keys(username: str, client: str) -> list[str]:
        name = terminal_text(str(username)).strip().lower()[:100]
        return [f"user:{name}", f"client:{str(client)[:200]}"]

    @contextlib.contextmanager
    def _state(self) -> Iterator[dict[str, list[float]]]:
        with self._lock:
            if self.path is None:
                yield self._memory
                return
            import fcntl

            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - closed below
            except OSError as exc:  # e.g. a read-only home: keep counts for this process only
                log.warning("cannot keep sign-in counts in %s (%s)", self.path, exc.strerror)
                yield self._memory
                return
            with fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                fh.seek(0)
                try:
                    state = json.loads(fh.read() or "{}")
                    if not isinstance(state, dict):
                        state = {}
                except ValueError:
                    state = {}
                yield state
                fh.seek(0)
                fh.truncate()
                fh.write(json.dumps(state))
                fh.flush()
                os.fsync(fh.fileno())

    def _prune(self, state: dict[str, list[float]], now: float) -> None:
        stale = [k for k, (_, last) in state.items() if now - last > FORGET_AFTER_S]
        for k in stale:
            del state[k]
        if len(state) > _MAX_KEYS:  # bounded memory under a flood of made-up names
            for k in sorted(state, key=lambda k: state[k][1])[: len(state) - _MAX_KEYS]:
                del state[k]

    def wait_s(self, username: str, client: str) -> float:
        """Seconds before the next sign-in attempt of ``username`` from ``client`` is allowed."""
        now = self.clock()
        with self._state() as state:
            self._prune(state, now)
            waits = [
                state[k][1] + delay_after(int(state[k][0])) - now
                for k in self._keys(username, client)
                if k in state
            ]
        return max([0.0, *waits])

    def failed(self, username: str, client: str) -> float:
        """Record a failed sign-in; returns the wait now imposed (seconds) and logs it."""
        now = self.clock()
        with self._state() as state:
            counts = []
            for key in self._keys(username, client):
                n = int(state.get(key, [0, now])[0]) + 1
                state[key] = [n, now]
                counts.append(n)
        wait = delay_after(max(counts))
        log.warning(
            "failed sign-in for user %r from %s (%d in a row for the user, %d from the client); "
            "next attempt allowed in %.0f s",
            terminal_text(str(username))[:100],
            terminal_text(str(client))[:200],
            counts[0],
            counts[1],
            wait,
        )
        return wait

    def succeeded(self, username: str, client: str) -> None:
        """Clear the counts of ``username`` and ``client`` after a successful sign-in."""
        with self._state() as state:
            for key in self._keys(username, client):
                state.pop(key, None)


def throttled_authenticate(
    username: str,
    password: str,
    users: Mapping[str, Credential],
    *,
    client: str,
    throttle: SignInThrottle,
) -> SignInResult:
    """:func:`~gisplan.store.auth.authenticate` behind the back-off of ``throttle``.

    While a wait is due the password is not checked and ``SignInResult.wait_s`` says how long;
    a failure is recorded (and logged), a success clears the counts.
    """
    wait = throttle.wait_s(username, client)
    if wait > 0:
        log.warning(
            "sign-in for user %r from %s refused: %.0f s back-off after failed attempts",
            terminal_text(str(username))[:100],
            terminal_text(str(client))[:200],
            wait,
        )
        return SignInResult(None, wait)
    user = authenticate(username, password, users)
    if user is None:
        throttle.failed(username, client)
        return SignInResult(None, 0.0)
    throttle.succeeded(username, client)
    return SignInResult(user)


def _cli_state_path() -> Path:
    path = os.environ.get(STATE_ENV_VAR)
    if not path:
        from platformdirs import user_state_dir

        path = str(Path(user_state_dir("gisplan", appauthor=False)) / "signin-failures.json")
    return Path(path)


def cli_throttle() -> SignInThrottle:
    """The CLI's throttle: counts in ``$GISPLAN_SIGNIN_STATE`` or the user's state folder.

    The CLI's sign-in log lines go to ``signin.log`` beside that file (not to the terminal,
    where the command already prints its one error line).
    """
    path = _cli_state_path()
    for old in [h for h in log.handlers if h.get_name() == _CLI_HANDLER]:
        log.removeHandler(old)
        old.close()
    handler: logging.Handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path.with_name("signin.log"), encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    except OSError:
        handler = logging.NullHandler()  # nowhere to write: still no noise on the terminal
    handler.set_name(_CLI_HANDLER)  # the handler this function owns (replaced next time)
    log.addHandler(handler)
    return SignInThrottle(path)
