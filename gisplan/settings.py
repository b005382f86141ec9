"""Every setting of gisplan in one list: environment variables, files, defaults and units.

gisplan reads its configuration from three places, all listed here:

- environment variables (``GISPLAN_*``; :data:`SETTINGS`), each read by the module named in
  its entry, which takes the variable's name from this list;
- ``gisplan/catalogue.toml`` ``[settings]``: the circle standard's defaults (walking speed,
  snapping distance, circle completeness level; :func:`gisplan.catalogue.default_standard`),
  also listed in :data:`SETTINGS` with ``env=None``;
- the Streamlit server options (:data:`STREAMLIT_OPTIONS`), written in
  ``.streamlit/config.toml`` for ``streamlit run app.py`` and passed as command-line flags by
  ``gisplan app`` (an installed package has no ``.streamlit`` folder); a test keeps the two
  equal.

``python -m gisplan.settings`` prints the table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Setting",
    "SETTINGS",
    "MAX_UPLOAD_MB",
    "STREAMLIT_OPTIONS",
    "streamlit_flags",
    "ENV_DB",
    "ENV_DB_CONNECT_TIMEOUT",
    "ENV_SIGNIN_STATE",
    "ENV_USERS",
    "ENV_USERS_FILE",
    "ENV_CACHE_DIR",
    "ENV_DATA_DIR",
    "ENV_DATASET",
    "ENV_DATASETS_DIR",
    "ENV_TIANDITU_KEY",
    "ENV_CLI_USER",
    "ENV_CLI_PASSWORD",
    "ENV_UPLOAD_PREFIX",
    "ENV_DATASET_QUOTA_USER_COUNT",
    "ENV_DATASET_QUOTA_USER_MB",
    "ENV_DATASET_QUOTA_TOTAL_COUNT",
    "ENV_DATASET_QUOTA_TOTAL_MB",
    "ENV_DATASET_QUOTA_IDLE_HOURS",
    "ENV_DATASET_QUOTA_KEEP_DAYS",
]


@dataclass(frozen=True)
class Setting:
    """One setting: where it is read, its default and its unit.

    Attributes
    ----------
    name : str
        Environment variable (``GISPLAN_...``) or ``catalogue.toml`` key.
    default : str
        Default, as text (``""`` = not set).
    unit : str
        Unit or kind of value (``"metres"``, ``"path"``, ``"URL"`` ...).
    read_by : str
        The module that reads it.
    description : str
    env : bool
        True for an environment variable, False for a ``catalogue.toml [settings]`` key.
    """

    name: str
    default: str
    unit: str
    read_by: str
    description: str
    env: bool = True


ENV_DB = "GISPLAN_DB"
ENV_DB_CONNECT_TIMEOUT = "GISPLAN_DB_CONNECT_TIMEOUT"
ENV_SIGNIN_STATE = "GISPLAN_SIGNIN_STATE"
ENV_USERS = "GISPLAN_USERS"
ENV_USERS_FILE = "GISPLAN_USERS_FILE"
ENV_CACHE_DIR = "GISPLAN_CACHE_DIR"
ENV_DATA_DIR = "GISPLAN_DATA_DIR"
ENV_DATASET = "GISPLAN_DATASET"
ENV_DATASETS_DIR = "GISPLAN_DATASETS_DIR"
ENV_TIANDITU_KEY = "GISPLAN_TIANDITU_KEY"
ENV_CLI_USER = "GISPLAN_USER"
ENV_CLI_PASSWORD = "GISPLAN_PASSWORD"
#: ``GISPLAN_UPLOAD_<FIELD>`` overrides a field of :class:`gisplan.io.upload.UploadLimits`.
ENV_UPLOAD_PREFIX = "GISPLAN_UPLOAD_"
#: Quotas of prepared datasets uploaded in the app (:class:`gisplan.dataset.uploads.DatasetQuota`).
ENV_DATASET_QUOTA_USER_COUNT = "GISPLAN_DATASET_QUOTA_USER_COUNT"
ENV_DATASET_QUOTA_USER_MB = "GISPLAN_DATASET_QUOTA_USER_MB"
ENV_DATASET_QUOTA_TOTAL_COUNT = "GISPLAN_DATASET_QUOTA_TOTAL_COUNT"
ENV_DATASET_QUOTA_TOTAL_MB = "GISPLAN_DATASET_QUOTA_TOTAL_MB"
ENV_DATASET_QUOTA_IDLE_HOURS = "GISPLAN_DATASET_QUOTA_IDLE_HOURS"
ENV_DATASET_QUOTA_KEEP_DAYS = "GISPLAN_DATASET_QUOTA_KEEP_DAYS"

#: Largest upload in the app (megabytes); Streamlit's ``server.maxUploadSize`` is the same.
MAX_UPLOAD_MB = 50

SETTINGS: tuple[Setting, ...] = (
    Setting(
        ENV_DB,
        "sqlite:///<user data dir>/gisplan/plans.db",
        "SQLAlchemy URL",
        "gisplan.store.db",
        "database of saved scenarios and the audit log (SQLite file or PostgreSQL)",
    ),
    Setting(
        ENV_DB_CONNECT_TIMEOUT,
        "10",
        "seconds (1-600)",
        "gisplan.store.db",
        "how long a PostgreSQL connection attempt may take before one clear error line",
    ),
    Setting(
        ENV_SIGNIN_STATE,
        "<user state dir>/gisplan/signin-failures.json",
        "path",
        "gisplan.store.throttle",
        "the CLI's counts of failed sign-ins (back-off per user name and account)",
    ),
    Setting(
        ENV_USERS,
        "",
        "JSON or TOML text",
        "gisplan.store.auth",
        "app users (password hashes, roles) when .streamlit/secrets.toml has no [users]",
    ),
    Setting(
        ENV_USERS_FILE,
        "",
        "path",
        "gisplan.store.auth",
        "file holding the users table (JSON or TOML), read when GISPLAN_USERS is not set",
    ),
    Setting(
        ENV_CACHE_DIR,
        "<user cache dir>/gisplan",
        "path",
        "gisplan.cache",
        "disk cache of the synthetic demonstration city and of opened datasets",
    ),
    Setting(
        ENV_DATA_DIR,
        "data/geo (checkout) or gisplan/geodata (installed)",
        "path",
        "gisplan.io.embedded",
        "folder of the embedded Ningbo layers (counties, business districts, streets)",
    ),
    Setting(
        ENV_DATASET,
        "",
        "path (.gpkg)",
        "gisplan.dataset.catalog",
        "prepared dataset the app opens by default",
    ),
    Setting(
        ENV_DATASETS_DIR,
        "",
        "path",
        "gisplan.dataset.catalog",
        "folder of prepared datasets (*.gpkg) offered in the app",
    ),
    Setting(
        ENV_TIANDITU_KEY,
        "",
        "API key",
        "gisplan.maps.basemaps",
        "Tianditu basemap key (or tianditu_key in .streamlit/secrets.toml)",
    ),
    Setting(
        ENV_CLI_USER,
        "",
        "user name",
        "gisplan.commands",
        "user of the scenario commands (gisplan scenario ...) when --user is not given",
    ),
    Setting(
        ENV_CLI_PASSWORD,
        "",
        "password",
        "gisplan.commands",
        "that user's password (otherwise asked for on the terminal)",
    ),
    Setting(
        ENV_UPLOAD_PREFIX + "<FIELD>",
        "see gisplan.io.upload.UploadLimits",
        "MB, seconds, counts",
        "gisplan.io.upload",
        "upload limits, e.g. GISPLAN_UPLOAD_TIME_S=60, GISPLAN_UPLOAD_MEMORY_MB=3072",
    ),
    Setting(
        ENV_DATASET_QUOTA_USER_COUNT,
        "5",
        "datasets",
        "gisplan.dataset.uploads",
        "prepared datasets one planner may keep uploaded (their least recently used make room)",
    ),
    Setting(
        ENV_DATASET_QUOTA_USER_MB,
        "500",
        "MB",
        "gisplan.dataset.uploads",
        "megabytes of uploaded datasets one planner may keep (also the largest single one)",
    ),
    Setting(
        ENV_DATASET_QUOTA_TOTAL_COUNT,
        "50",
        "datasets",
        "gisplan.dataset.uploads",
        "uploaded datasets the server keeps for all planners together",
    ),
    Setting(
        ENV_DATASET_QUOTA_TOTAL_MB,
        "5000",
        "MB",
        "gisplan.dataset.uploads",
        "megabytes of uploaded datasets the server keeps for all planners together",
    ),
    Setting(
        ENV_DATASET_QUOTA_IDLE_HOURS,
        "24",
        "hours",
        "gisplan.dataset.uploads",
        "an uploaded dataset unused this long may be removed to make room for another upload",
    ),
    Setting(
        ENV_DATASET_QUOTA_KEEP_DAYS,
        "30",
        "days",
        "gisplan.dataset.uploads",
        "an uploaded dataset unused this long is removed at the next upload",
    ),
    Setting(
        "walking_speed_kmh",
        "4.0",
        "km/h",
        "gisplan.catalogue",
        "walking speed of the circle standard (catalogue.toml [settings])",
        env=False,
    ),
    Setting(
        "max_snap_distance_m",
        "300.0",
        "metres",
        "gisplan.catalogue",
        "largest off-network leg; farther points are reported as unsnapped",
        env=False,
    ),
    Setting(
        "circle_complete_share",
        "0.8",
        "share 0-1",
        "gisplan.catalogue",
        "share of a service circle's residents that must meet the whole standard",
        env=False,
    ),
)

#: Streamlit server options (``.streamlit/config.toml`` holds the same; a test checks it).
STREAMLIT_OPTIONS: dict[str, object] = {
    # Listen on this machine only; serving to a network is explicit: gisplan app --address.
    "server.address": "127.0.0.1",
    "server.enableStaticServing": True,
    "server.maxUploadSize": MAX_UPLOAD_MB,
    "server.headless": True,
    "browser.gatherUsageStats": False,
    "client.toolbarMode": "minimal",
    "client.disableDataExport": True,
    "theme.base": "light",
    "theme.primaryColor": "#b03a2e",
}


def streamlit_flags() -> list[str]:
    """:data:`STREAMLIT_OPTIONS` as ``streamlit run`` flags (``--server.maxUploadSize=50``)."""
    out = []
    for key, value in STREAMLIT_OPTIONS.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        out.append(f"--{key}={text}")
    return out


def _table() -> str:
    rows = [("setting", "default", "unit", "read by")]
    rows += [(s.name, s.default or "(not set)", s.unit, s.read_by) for s in SETTINGS]
    rows += [(f"streamlit {k}", str(v), "", "gisplan app") for k, v in STREAMLIT_OPTIONS.items()]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


if __name__ == "__main__":
    print(_table())
