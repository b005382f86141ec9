"""Damaging a GeoPackage as a careless tool would (plain SQLite edits), for tests of what
opening it says."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def sql_edit(path: Path, *statements: str) -> None:
    """Run ``statements`` on the GeoPackage ``path`` with plain SQLite (its R-tree triggers'
    spatial functions stubbed), and commit."""
    con = sqlite3.connect(path)
    for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(fn, 1, lambda g: 0)
    for s in statements:
        con.execute(s)
    con.commit()
    con.close()
