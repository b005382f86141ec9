"""Sign-in for the Streamlit app: sidebar form, the signed-in user, per-page role checks.

Users come from ``st.secrets["users"]`` when the app has secrets with a ``users`` table,
otherwise from ``$GISPLAN_USERS`` / ``$GISPLAN_USERS_FILE`` (see :func:`gisplan.store.load_users`).

Only the :class:`~gisplan.store.User` (username, role, display name) is kept in
``st.session_state``; the password is read from a form field without a session-state key
(cleared on submit) and is never stored or shown.  :func:`current_user` re-checks the kept user
against the configured users on every run, and :func:`require_ui` checks the role on every run
of the page script — the check runs on the server, so a crafted request cannot skip it.

Typical page::

    from gisplan.app.auth import page_user

    user = page_user("siting")  # visitors get the sign-in prompt and the page stops there
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Mapping

import streamlit as st

from gisplan.errors import GisplanError, InputError
from gisplan.i18n import STRINGS, t
from gisplan.safetext import md_text, redact_credentials
from gisplan.store import (
    ACTIONS,
    Credential,
    PermissionDenied,
    ScenarioStore,
    User,
    can,
    engine_from_env,
    load_users,
)
from gisplan.store.throttle import SignInThrottle, throttled_authenticate

__all__ = [
    "SESSION_KEY",
    "configured_users",
    "current_user",
    "sign_in_widget",
    "sign_out",
    "require_ui",
    "page_user",
    "scenario_store",
    "show_store_error",
    "client_key",
]

#: Session-state key of the signed-in :class:`User` (never the password).
SESSION_KEY = "gisplan_user"
_USERNAME_KEY = "gisplan_auth_username"  # the username field (not secret)
_LAST_USERNAME = "gisplan_auth_last_username"  # put back into the field after a failed sign-in
_FAILED_KEY = "gisplan_auth_failed"  # a failed sign-in on the previous run

log = logging.getLogger("gisplan.app")

#: Failed sign-in counts of this server process, per user name and per client (back-off).
THROTTLE = SignInThrottle()

# For the server log (administrators), not shown in the app (visitors see auth.sign_not_available).
_HOW_TO_CONFIGURE_EN = (
    "No users are configured, so only the public view is available. To configure: make a "
    "password hash with `gisplan user hash-password` and add `[users.<name>]` "
    '(password_hash, role = "planner" or "official", display_name) to '
    "`.streamlit/secrets.toml`, or set `GISPLAN_USERS` (JSON/TOML text) or "
    "`GISPLAN_USERS_FILE` (a file path)."
)


def _secrets_users() -> Mapping | None:
    """``st.secrets["users"]`` when there is a secrets file with a ``users`` table, else None."""
    try:
        secrets = st.secrets
        if "users" not in secrets:
            return None
        users = secrets["users"]
    except Exception:  # noqa: BLE001 - no secrets file, unreadable secrets
        return None
    if not isinstance(users, Mapping):
        return None
    # st.secrets holds AttrDict mappings; give load_users plain dicts.
    return {str(k): dict(v) if isinstance(v, Mapping) else v for k, v in users.items()}


def configured_users() -> dict[str, Credential]:
    """The configured users (secrets first, then the environment).

    Raises
    ------
    InputError
        When the user table is malformed (the message names source, user and field).
    """
    source = _secrets_users()
    return load_users(source)


def _users_or_message() -> dict[str, Credential] | None:
    """Configured users, or None after showing why there are none (never a traceback).

    A malformed users table shows visitors a generic message; the details (file, user name,
    field) go to the server log only.
    """
    try:
        users = configured_users()
    except InputError as exc:
        log.error("the users configuration is invalid: %s", redact_credentials(exc))
        st.error(t("auth.unavailable"))
        return None
    if not users:
        # Visitors get one short line; how to configure users is for the administrator, who
        # reads the README and the server's log (written once per server process).
        _log_how_to_configure()
        st.caption(t("auth.sign_not_available_no"))
        return None
    return users


@st.cache_resource(show_spinner=False)
def _log_how_to_configure() -> bool:
    import logging

    logging.getLogger("gisplan.app").warning(_HOW_TO_CONFIGURE_EN)
    return True


def current_user() -> User | None:
    """The signed-in user, checked against the configured users on this run; None for visitors.

    A user who was removed from the configuration (or whose configuration became unreadable)
    is signed out; a changed role or display name takes effect at once.
    """
    kept = st.session_state.get(SESSION_KEY)
    if not isinstance(kept, User):
        return None
    try:
        cred = configured_users().get(kept.username)
    except InputError as exc:
        log.error("the users configuration is invalid: %s", redact_credentials(exc))
        cred = None
    if cred is None:
        st.session_state.pop(SESSION_KEY, None)
        return None
    user = cred.user()
    if user != kept:
        st.session_state[SESSION_KEY] = user
    return user


def sign_out() -> None:
    """Forget the signed-in user of this session."""
    st.session_state.pop(SESSION_KEY, None)


def client_key() -> str:
    """Who is signing in, for the back-off: the client's IP address.

    Behind a reverse proxy on the same machine (the app listens on localhost by default) the
    peer is the proxy, so the last address the proxy appended to ``X-Forwarded-For`` is used;
    that header is ignored from any other peer (it could be forged).  Without an address,
    the session id.
    """
    peer = None
    try:
        peer = st.context.ip_address
        forwarded = st.context.headers.get("X-Forwarded-For")
    except Exception:  # noqa: BLE001 - outside a browser session (AppTest)
        forwarded = None
    if peer and forwarded:
        try:
            local = ipaddress.ip_address(peer).is_loopback
        except ValueError:
            local = False
        if local:
            last = forwarded.split(",")[-1].strip()
            if last:
                return f"ip:{last}"
    if peer:
        return f"ip:{peer}"
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return f"session:{ctx.session_id}" if ctx else "session:?"
    except Exception:  # noqa: BLE001
        return "session:?"


def _try_sign_in(username: str, password: str, users: Mapping[str, Credential]) -> float | None:
    """Sign in; returns None when signed in, 0 for a wrong password, or the back-off wait (s)."""
    result = throttled_authenticate(
        username or "", password or "", users, client=client_key(), throttle=THROTTLE
    )
    if result.user is None:
        st.session_state.pop(SESSION_KEY, None)
        return result.wait_s
    st.session_state[SESSION_KEY] = result.user
    return None


def sign_in_widget() -> User | None:
    """The sidebar sign-in / sign-out block; returns the signed-in user (None for visitors).

    Call it at most once per script run (its widgets have fixed keys).
    """
    with st.sidebar:
        st.subheader(t("auth.sign_in"))
        user = current_user()
        if user is not None:
            role = t(f"role.{user.role}") if f"role.{user.role}" in STRINGS else user.role
            st.caption(t("auth.signed_in_as", name=user.display_name, role=role))
            if st.button(t("auth.sign_out"), key="auth_sign_out"):
                sign_out()
                st.rerun()
            return user
        users = _users_or_message()
        if users is None:
            return None
        if _LAST_USERNAME in st.session_state:  # after a failed attempt: keep the username
            st.session_state[_USERNAME_KEY] = st.session_state.pop(_LAST_USERNAME)
        with st.form("auth_sign_in", clear_on_submit=True):
            # No session-state key: the password is not kept in st.session_state.  The
            # username (not secret) is given back after a failed attempt, so only the password
            # has to be typed again.
            username = st.text_input(t("auth.username"), key=_USERNAME_KEY)
            password = st.text_input(t("auth.password"), type="password")
            submitted = st.form_submit_button(t("auth.sign_in"))
        if submitted:
            wait = _try_sign_in(username, password, users)
            if wait is None:
                st.rerun()
            # Draw the form again with the username back in its field (the form clears both
            # fields on submit), then say what went wrong.
            st.session_state[_LAST_USERNAME] = username or ""
            st.session_state[_FAILED_KEY] = float(wait)
            st.rerun()
        failed = st.session_state.pop(_FAILED_KEY, None)
        if isinstance(failed, float) and failed > 0:  # back-off: the password was not checked
            st.error(t("auth.too_many_attempts", n=math.ceil(failed)))
        elif failed is not None:
            st.error(t("auth.wrong_username_or_password"))
    return None


def require_ui(action: str, *, sign_in: bool = True) -> User | None:
    """The signed-in user when their role allows ``action``; otherwise a message and None.

    Parameters
    ----------
    action : str
        A key of :data:`gisplan.store.ACTIONS` (``"siting"``, ``"read"``, ``"download"``, ...).
    sign_in : bool
        Also draw the sidebar sign-in block (:func:`sign_in_widget`); pass False when the page
        has already drawn it in this run.

    The role is checked on every call, i.e. on every run of the page script.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    user = sign_in_widget() if sign_in else current_user()
    if can(user, action):
        return user
    what = t(f"action.{action}")
    if user is None:
        st.warning(t("auth.sign_in_to", action=what))
    else:
        st.warning(t("auth.role_may_not", role=user.role, action=what))
    return None


def page_user(action: str) -> User:
    """The signed-in user allowed ``action``; otherwise the page stops after the message.

    For pages that show nothing to others: :func:`require_ui` (with the sidebar sign-in
    block), then ``st.stop()`` when it returns None.
    """
    user = require_ui(action)
    if user is None:
        st.stop()
    return user


@st.cache_resource(show_spinner=False, max_entries=8)
def _store(url: str) -> ScenarioStore:
    # ``url`` (the value of $GISPLAN_DB) is the cache key; the engine reads the variable.
    return ScenarioStore(engine_from_env())


def scenario_store() -> ScenarioStore:
    """The :class:`ScenarioStore` of ``$GISPLAN_DB`` (default: the per-user SQLite file).

    One store (engine and schema check) per database URL and server process.  When the
    database cannot be used (bad URL, no answer, damaged file, ...) the page shows one line
    (never a password) and stops; see :func:`show_store_error`.
    """
    import os

    from gisplan.store.db import ENV_VAR

    try:
        return _store(os.environ.get(ENV_VAR, ""))
    except GisplanError as exc:
        show_store_error(exc)
        st.stop()
        raise  # pragma: no cover - st.stop() raises


def show_store_error(exc: BaseException) -> None:
    """Show a scenario-store error as one line of text (password redacted) and log it.

    Problems of the user's own making (a bad name, not the author) are shown in the session's
    language (:func:`gisplan.app.messages.error_text`); a database fault is said in the
    session's language, followed by its one technical line for the administrator.
    """
    from gisplan.app.messages import error_text

    text = " ".join(redact_credentials(exc).split())
    log.warning("scenario store: %s", text)
    if isinstance(exc, InputError | PermissionDenied):
        text = error_text(exc)
    else:
        text = t("sc.database_problem", detail=text)
    st.error(md_text(text))
