"""Bounded audit-log records of a scenario's previous version (overwrite, delete).

An entry keeps each of params, sites and results in full only up to
:data:`AUDIT_FIELD_MAX_BYTES`; a larger one is replaced by its size and SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gisplan.store.scenarios.records import SITE_KINDS

__all__ = ["AUDIT_FIELD_MAX_BYTES", "AUDIT_ENTRY_MAX_BYTES"]

#: Largest JSON (UTF-8 bytes) of the previous params, sites or results kept in full in an
#: audit entry; a larger one is replaced by its size and SHA-256.
AUDIT_FIELD_MAX_BYTES = 16 * 1024
#: Upper bound of one audit entry's ``detail`` (three full fields plus the summary).
AUDIT_ENTRY_MAX_BYTES = 3 * AUDIT_FIELD_MAX_BYTES + 4 * 1024


def _bounded(value: Any, text: str | None = None) -> Any:
    """``value`` itself when its JSON is small, else a stand-in with its size and SHA-256."""
    if text is None:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
    data = text.encode("utf-8")
    if len(data) <= AUDIT_FIELD_MAX_BYTES:
        return value
    return {"omitted": True, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _snapshot(row: Any) -> dict:
    """A bounded record of a scenario row for the audit log (see the module documentation)."""
    try:
        sites: Any = json.loads(row.sites)
        kinds = [f.get("properties", {}).get("kind") for f in sites.get("features", [])]
        counts = {k: kinds.count(k) for k in SITE_KINDS} | {"total": len(kinds)}
    except (ValueError, AttributeError, TypeError):
        sites, counts = None, None
    return {
        "name": row.name,
        "author": row.author,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "category": row.category,
        "schema_version": row.schema_version,
        "dataset_name": row.dataset_name,
        "dataset_hash": row.dataset_hash,
        "site_counts": counts,
        "sites_sha256": hashlib.sha256(row.sites.encode("utf-8")).hexdigest(),
        "params": _bounded(row.params),
        "sites": _bounded(sites, row.sites) if sites is not None else None,
        "results": _bounded(row.results),
    }
