"""Save, list, load, compare and delete named planning scenarios.

A scenario is a :class:`ScenarioRecord`: its name, the focus category, the analysis
parameters, the chosen and hand-placed sites and the results.  :class:`ScenarioStore` keeps
them in a database (:mod:`gisplan.store.db`); every method takes the acting ``user``
(``None`` for a public visitor) and raises :class:`~gisplan.store.auth.PermissionDenied`
unless the role allows the action.

Results layout
--------------
``results`` is any JSON object; the comparison and the export understand this layout::

    {
        "categories": {                          # per catalogue category id
            "convenience_store": {
                "population_total": 12000,
                "covered_population_before": 8000,   # people within the threshold (minutes)
                "covered_population_after": 9500,
                ...                                  # any other numbers
            },
            ...
        },
        "complete_circles_before": 3,            # communities reaching every required category
        "complete_circles_after": 5,
        "area_name": "海曙区",                   # with a planning area (add_area_results):
        "area_population": 250000,               # area_* figures, per category too
        ...                                      # any other numbers
    }

:func:`scenario_results` builds this layout from a run's summary (siting, joint plans,
closures; :mod:`gisplan.siting.export`).  Numbers named ``<metric>_before`` /
``<metric>_after`` pair up in before/after tables.

Each save is one transaction (SQLite: ``BEGIN IMMEDIATE``, WAL journal): a process killed
mid-save leaves no trace of the scenario, and concurrent savers queue on the lock and retry.

Ownership: only a scenario's author, or an ``admin``, may overwrite or delete it
(:func:`gisplan.store.auth.may_change`); an overwrite keeps the original author.

Audit log: every save, overwrite, export and deletion is one entry of bounded size.  An
overwrite or a deletion records the previous version under ``"previous"``: its author, times,
category, site counts and the SHA-256 of its sites, and — each only when its JSON is at most
:data:`AUDIT_FIELD_MAX_BYTES` — its parameters, sites and results in full (larger ones are
replaced by ``{"omitted": true, "bytes": n, "sha256": ...}``), so an entry never exceeds
about :data:`AUDIT_ENTRY_MAX_BYTES`.

Every database fault is a one-line :class:`gisplan.store.db.DatabaseProblem`.
"""

from gisplan.store.scenarios.audit import AUDIT_ENTRY_MAX_BYTES, AUDIT_FIELD_MAX_BYTES
from gisplan.store.scenarios.records import (
    SITE_KINDS,
    AuditEntry,
    ScenarioExists,
    ScenarioNotFound,
    ScenarioRecord,
    ScenarioSummary,
    geojson_to_frame,
    sites_to_geojson,
)
from gisplan.store.scenarios.results import (
    CATEGORY_METRICS,
    METRIC_LABELS,
    add_area_results,
    before_after_table,
    metric_label,
    results_long,
    scenario_results,
)
from gisplan.store.scenarios.store import COMPARE_COLUMNS, ScenarioStore

__all__ = [
    "SITE_KINDS",
    "ScenarioRecord",
    "ScenarioSummary",
    "AuditEntry",
    "ScenarioExists",
    "ScenarioNotFound",
    "ScenarioStore",
    "results_long",
    "before_after_table",
    "sites_to_geojson",
    "geojson_to_frame",
    "AUDIT_FIELD_MAX_BYTES",
    "AUDIT_ENTRY_MAX_BYTES",
    "COMPARE_COLUMNS",
    "METRIC_LABELS",
    "CATEGORY_METRICS",
    "scenario_results",
    "add_area_results",
    "metric_label",
]
