"""Users, roles and permissions.

Roles
-----
``"public"`` (or no user at all)
    The public map only: no coverage downloads, no siting, no scenarios.
``"planner"``, ``"official"``
    Everything: coverage downloads, siting, reading / saving / comparing / exporting
    scenarios and reading the audit log.  Saves, overwrites, exports and deletions are
    recorded in the audit log with the username.
``"admin"``
    What planners and officials may do, and also overwrite or delete *anyone's* scenario.

Ownership
---------
A scenario belongs to its author (whoever saved it first).  Only the author, or a user with
the role ``"admin"``, may overwrite or delete it (:func:`may_change`); an overwrite keeps the
original author, and the audit log records who overwrote it.

Credentials
-----------
Users come from Streamlit secrets (pass the ``users`` table to :func:`load_users`) or from
the environment: ``GISPLAN_USERS`` holding JSON or TOML text, or ``GISPLAN_USERS_FILE``
naming a ``.json`` / ``.toml`` file.  Either maps username to
``{password_hash, role, display_name}``::

    [users.zhang]                       # .streamlit/secrets.toml
    password_hash = "$2b$12$..."        # from `gisplan user hash-password`
    role = "planner"
    display_name = "张工"

Only bcrypt hashes are stored (:func:`hash_password`); never commit real credentials.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import bcrypt

from gisplan import settings
from gisplan.errors import GisplanError, InputError

__all__ = [
    "ROLES",
    "ACTIONS",
    "User",
    "Credential",
    "PermissionDenied",
    "hash_password",
    "verify_password",
    "load_users",
    "authenticate",
    "can",
    "require",
    "role_of",
    "may_change",
    "NotAuthor",
    "hash_password_command",
]

#: Known roles.
ROLES: tuple[str, ...] = ("public", "planner", "official", "admin")

#: Roles that may overwrite or delete scenarios other users saved.
CHANGE_ANY_ROLES: frozenset[str] = frozenset({"admin"})

#: Actions that need a signed-in planner or official.  Labels are (Chinese, English).
ACTIONS: dict[str, tuple[str, str]] = {
    "read": ("查看方案", "read scenarios"),
    "save": ("保存方案", "save scenarios"),
    "compare": ("比较方案", "compare scenarios"),
    "export": ("导出方案", "export scenarios"),
    "delete": ("删除方案", "delete scenarios"),
    "audit": ("查看操作记录", "read the audit log"),
    "download": ("下载覆盖分析结果", "download coverage results"),
    "siting": ("选址分析", "run site selection"),
    "upload": ("上传数据", "upload data"),
}

_ALLOWED: dict[str, frozenset[str]] = {
    "public": frozenset(),
    "planner": frozenset(ACTIONS),
    "official": frozenset(ACTIONS),
    "admin": frozenset(ACTIONS),
}

ENV_USERS = settings.ENV_USERS
ENV_USERS_FILE = settings.ENV_USERS_FILE
_BCRYPT_MAX_BYTES = 72
_BCRYPT_RE = re.compile(r"^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
_DEFAULT_ROUNDS = 12
# Checked against when the username is unknown, so a wrong username costs as long as a
# wrong password (no user enumeration by timing): one dummy hash per bcrypt cost in use.
_DUMMY_HASHES: dict[int, bytes] = {}


class PermissionDenied(GisplanError, PermissionError):
    """The user's role does not allow the action.

    Attributes
    ----------
    action : str
        The action that was refused (a key of :data:`ACTIONS`).
    role : str
        The role of the user (``"public"`` when nobody is signed in).
    """

    def __init__(self, action: str, role: str) -> None:
        self.action = action
        self.role = role
        zh, en = ACTIONS.get(action, (action, action))
        who = "未登录用户" if role == "public" else f"角色 {role}"
        super().__init__(
            f"{who}无权{zh}，请以规划人员或官员身份登录 / "
            f"role {role!r} may not {en}: sign in as a planner or official"
        )

    def __reduce__(self):  # picklable (multiprocessing), despite the two-argument constructor
        return (type(self), (self.action, self.role))


class NotAuthor(PermissionDenied):
    """The user may not overwrite or delete a scenario someone else saved.

    Attributes
    ----------
    action : str
        ``"save"`` (an overwrite) or ``"delete"``.
    author : str
        Username of the scenario's author.
    """

    def __init__(self, action: str, role: str, name: str, author: str) -> None:
        self.action = action
        self.role = role
        self.author = author
        zh, en = {"delete": ("删除", "delete"), "save": ("覆盖", "overwrite")}.get(
            action, (action, action)
        )
        Exception.__init__(
            self,
            f"方案“{name}”由 {author} 创建，只有作者或管理员（admin）可以{zh} / "
            f"scenario {name!r} belongs to {author}: only its author or an admin may {en} it "
            "— save your version under another name",
        )
        self.scenario_name = name

    def __reduce__(self):
        return (type(self), (self.action, self.role, self.scenario_name, self.author))


@dataclass(frozen=True)
class User:
    """A signed-in user.

    Attributes
    ----------
    username : str
        Login name, recorded as author and in the audit log.
    role : str
        One of :data:`ROLES`.
    display_name : str
        Name shown in the UI (may be Chinese); defaults to the username.
    """

    username: str
    role: str
    display_name: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InputError(
                f"unknown role {self.role!r}",
                field="role",
                hint=f"use one of {', '.join(ROLES)}",
            )
        if not self.display_name:
            object.__setattr__(self, "display_name", self.username)


@dataclass(frozen=True)
class Credential:
    """A configured user with the bcrypt hash of their password."""

    username: str
    password_hash: str
    role: str
    display_name: str

    def user(self) -> User:
        """The :class:`User` this credential signs in as."""
        return User(self.username, self.role, self.display_name)


def _password_bytes(password: str) -> bytes:
    if not isinstance(password, str) or not password:
        raise InputError("the password is empty", field="password", hint="type a password")
    data = password.encode("utf-8")
    if len(data) > _BCRYPT_MAX_BYTES:
        raise InputError(
            f"the password is {len(data)} bytes long; bcrypt uses at most {_BCRYPT_MAX_BYTES}",
            field="password",
            hint="choose a shorter passphrase (a Chinese character takes 3 bytes)",
        )
    return data


def hash_password(password: str, *, rounds: int = 12) -> str:
    """The bcrypt hash (``$2b$...``, 60 characters) of ``password``, with a fresh salt.

    Raises
    ------
    InputError
        For an empty password or one longer than 72 bytes in UTF-8.
    """
    return bcrypt.hashpw(_password_bytes(password), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """True when ``password`` matches the bcrypt ``password_hash``; False otherwise.

    An empty or over-long password, or a malformed hash, never matches.
    """
    try:
        data = _password_bytes(password)
    except InputError:
        return False
    if not isinstance(password_hash, str) or not _BCRYPT_RE.match(password_hash):
        return False
    try:
        return bcrypt.checkpw(data, password_hash.encode("ascii"))
    except ValueError:
        return False


def _parse_text(text: str, origin: str) -> Mapping:
    stripped = text.strip()
    try:
        if stripped.startswith("{"):
            data = json.loads(stripped)
        else:
            data = tomllib.loads(stripped)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"cannot parse the user table: {exc}",
            file=origin,
            hint="give a JSON object or TOML tables mapping username to "
            "{password_hash, role, display_name}",
        ) from exc
    if not isinstance(data, Mapping):
        raise InputError("the user table is not a mapping", file=origin)
    # Accept a top-level "users" table (as in secrets.toml) as well as the bare mapping.
    users = data.get("users")
    if isinstance(users, Mapping) and all(isinstance(v, Mapping) for v in users.values()):
        if "password_hash" not in users:
            return users
    return data


def load_users(source: Mapping | None = None) -> dict[str, Credential]:
    """Read the configured users.

    Parameters
    ----------
    source : mapping, optional
        Username -> ``{password_hash, role, display_name}``, e.g. ``st.secrets["users"]``.
        When None, read ``$GISPLAN_USERS`` (JSON or TOML text) or ``$GISPLAN_USERS_FILE``
        (path of a ``.json`` / ``.toml`` file); when neither is set there are no users and
        only the public view is available.

    Raises
    ------
    InputError
        Naming the source, the user and the field when an entry is malformed (unknown role,
        missing or non-bcrypt ``password_hash``, bad username).
    """
    origin = "users mapping"
    if source is None:
        if os.environ.get(ENV_USERS):
            origin = ENV_USERS
            source = _parse_text(os.environ[ENV_USERS], origin)
        elif os.environ.get(ENV_USERS_FILE):
            path = Path(os.environ[ENV_USERS_FILE]).expanduser()
            origin = str(path)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise InputError(
                    f"cannot read the user file: {exc.strerror}",
                    file=path,
                    hint=f"fix or unset {ENV_USERS_FILE}",
                ) from exc
            source = _parse_text(text, origin)
        else:
            return {}
    users: dict[str, Credential] = {}
    for row, (username, entry) in enumerate(source.items()):
        if not isinstance(username, str) or not _USERNAME_RE.match(username):
            raise InputError(
                f"bad username {username!r}",
                file=origin,
                row=row,
                hint="use 1-100 letters, digits, '_', '.', '@' or '-'",
            )
        if not isinstance(entry, Mapping):
            raise InputError(
                f"user {username!r} is not a table",
                file=origin,
                field=username,
                hint="give {password_hash, role, display_name}",
            )
        pw_hash = entry.get("password_hash")
        if not isinstance(pw_hash, str) or not _BCRYPT_RE.match(pw_hash):
            raise InputError(
                f"user {username!r} has no valid bcrypt password_hash",
                file=origin,
                field=f"{username}.password_hash",
                hint="create one with `gisplan user hash-password`; never store plain passwords",
            )
        role = entry.get("role")
        if role not in ROLES:
            raise InputError(
                f"user {username!r} has unknown role {role!r}",
                file=origin,
                field=f"{username}.role",
                hint=f"use one of {', '.join(ROLES)}",
            )
        display = entry.get("display_name") or username
        users[username] = Credential(username, pw_hash, role, str(display))
    return users


def _cost(password_hash: str) -> int:
    try:
        return int(password_hash.split("$")[2])
    except (IndexError, ValueError):
        return _DEFAULT_ROUNDS


def _dummy_hash(users: Mapping[str, Credential]) -> bytes:
    """A bcrypt hash with the cost the configured users' hashes have (the highest if mixed)."""
    costs = [_cost(c.password_hash) for c in users.values()]
    cost = max(costs) if costs else _DEFAULT_ROUNDS
    if cost not in _DUMMY_HASHES:
        _DUMMY_HASHES[cost] = bcrypt.hashpw(b"gisplan-no-such-user", bcrypt.gensalt(rounds=cost))
    return _DUMMY_HASHES[cost]


def authenticate(username: str, password: str, users: Mapping[str, Credential]) -> User | None:
    """The :class:`User` when ``password`` is right for ``username``, else None.

    Takes about as long for an unknown username as for a wrong password: the password is
    checked against a dummy hash of the same bcrypt cost as the configured users' hashes.
    """
    cred = users.get(username.strip()) if isinstance(username, str) else None
    if cred is None:
        dummy = _dummy_hash(users)
        try:
            bcrypt.checkpw(_password_bytes(password), dummy)
        except (InputError, ValueError):
            pass
        return None
    if not verify_password(password, cred.password_hash):
        return None
    return cred.user()


def role_of(user: User | None) -> str:
    """The user's role, ``"public"`` for None."""
    return "public" if user is None else user.role


def can(user: User | None, action: str) -> bool:
    """True when ``user`` (None = public visitor) may perform ``action``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    return action in _ALLOWED.get(role_of(user), frozenset())


def require(user: User | None, action: str) -> User:
    """Return ``user`` when it may perform ``action``; raise :class:`PermissionDenied` otherwise."""
    if not can(user, action):
        raise PermissionDenied(action, role_of(user))
    assert user is not None
    return user


def may_change(user: User, author: str) -> bool:
    """True when ``user`` may overwrite or delete a scenario whose author is ``author``.

    The rule: the author themself, or a role in :data:`CHANGE_ANY_ROLES` (``"admin"``).
    """
    return user.username == author or user.role in CHANGE_ANY_ROLES


def hash_password_command(
    password: str | None = None,
    *,
    from_stdin: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """``gisplan user hash-password``: print the bcrypt hash of a password; return an exit code.

    The password is ``password`` if given, else one line from ``stdin`` when ``from_stdin``
    (for scripts), else asked for twice without echo.  Paste the printed hash into
    ``password_hash`` of the user's entry in the secrets or ``GISPLAN_USERS``.
    """
    stdout = stdout or sys.stdout
    if password is None:
        if from_stdin:
            password = (stdin or sys.stdin).readline().rstrip("\r\n")
        else:
            password = getpass.getpass("密码 Password: ")
            if getpass.getpass("再次输入 Repeat: ") != password:
                print("两次输入不一致 / the passwords differ", file=sys.stderr)
                return 1
    try:
        print(hash_password(password), file=stdout)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # python -m gisplan.store.auth [--stdin]
    raise SystemExit(hash_password_command(from_stdin="--stdin" in sys.argv[1:]))
