"""Data-honesty labels shown with results: the synthetic-data label and OpenStreetMap credit.

Every map, table, export and page that shows synthetic data or OpenStreetMap data takes its
wording from here, so the label reads the same everywhere.
"""

from __future__ import annotations

__all__ = ["SYNTHETIC_LABEL", "SYNTHETIC_NOTE", "OSM_CREDIT", "OSM_ATTRIBUTION"]

#: Shown wherever synthetic (generated) data is displayed.
SYNTHETIC_LABEL = "示例数据（合成） / synthetic sample"
#: The longer note written into exported files of synthetic data.
SYNTHETIC_NOTE = f"{SYNTHETIC_LABEL} — not real Ningbo communities or shops"
#: Credit line for OpenStreetMap data and tiles.
OSM_CREDIT = "© OpenStreetMap contributors"
#: Credit with the licence (ODbL 1.0), for datasets built from OpenStreetMap.
OSM_ATTRIBUTION = f"{OSM_CREDIT} (ODbL)"
