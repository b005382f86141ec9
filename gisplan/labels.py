"""Data-honesty labels shown with results: the synthetic-data label and OpenStreetMap credit.

Every map, table, export and page that shows synthetic data or OpenStreetMap data takes its
wording from here, so the label reads the same everywhere.
"""

from __future__ import annotations

__all__ = [
    "SYNTHETIC_LABEL",
    "SYNTHETIC_NOTE",
    "OSM_CREDIT",
    "OSM_ATTRIBUTION",
    "synthetic_label",
    "osm_credit",
]

#: Written wherever synthetic (generated) data is exported (files: both languages).
SYNTHETIC_LABEL = "示例数据（合成） / synthetic sample"
#: The longer note written into exported files of synthetic data.
SYNTHETIC_NOTE = f"{SYNTHETIC_LABEL} — not real Ningbo communities or shops"
#: Credit line for OpenStreetMap data and tiles.
OSM_CREDIT = "© OpenStreetMap contributors"
#: Credit with the licence (ODbL 1.0), for datasets built from OpenStreetMap.
OSM_ATTRIBUTION = f"{OSM_CREDIT} (ODbL)"


def osm_credit(lang: str | None = None) -> str:
    """:data:`OSM_CREDIT` in ``lang`` for maps (OSMF guidelines accept a translated credit)."""
    from gisplan.i18n import t

    return t("credit.osm", lang)


def synthetic_label(lang: str | None = None) -> str:
    """The synthetic-data label in one language, for pages and maps.

    ``lang`` defaults to the current language; files keep :data:`SYNTHETIC_LABEL` with both.
    """
    from gisplan.i18n import t

    return t("synthetic.label", lang)
