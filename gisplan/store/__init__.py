"""Saved scenarios in a database (SQLAlchemy + Alembic), users and roles.

Typical use (a Streamlit page or the CLI stays this thin)::

    from gisplan.store import ScenarioStore, ScenarioRecord, authenticate, load_users

    user = authenticate("zhang", password, load_users())      # None when wrong
    store = ScenarioStore()                                   # $GISPLAN_DB or per-user SQLite
    store.save(user, ScenarioRecord("方案A", "wet_market", params, sites, results))
    store.compare(user, "方案A", "方案B")                      # pandas DataFrame

Every scenario function takes the acting user (None = public visitor) and raises
:class:`PermissionDenied` unless a planner or official is signed in.
"""

from gisplan.store.auth import (
    ACTIONS,
    ROLES,
    Credential,
    PermissionDenied,
    User,
    authenticate,
    can,
    hash_password,
    hash_password_command,
    load_users,
    require,
    verify_password,
)
from gisplan.store.db import engine_from_env, ensure_schema
from gisplan.store.export import export_scenario
from gisplan.store.scenarios import (
    AuditEntry,
    ScenarioExists,
    ScenarioNotFound,
    ScenarioRecord,
    ScenarioStore,
    ScenarioSummary,
    before_after_table,
)

__all__ = [
    "ACTIONS",
    "ROLES",
    "AuditEntry",
    "Credential",
    "PermissionDenied",
    "ScenarioExists",
    "ScenarioNotFound",
    "ScenarioRecord",
    "ScenarioStore",
    "ScenarioSummary",
    "User",
    "authenticate",
    "before_after_table",
    "can",
    "engine_from_env",
    "ensure_schema",
    "export_scenario",
    "hash_password",
    "hash_password_command",
    "load_users",
    "require",
    "verify_password",
]
