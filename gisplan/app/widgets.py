"""Streamlit widgets shared by the pages: synthetic banner, basemap choice, map display, downloads.

- :func:`show_map` displays a folium map through streamlit-folium with
  ``returned_objects=[]``, so panning or zooming does not rerun the script;
- :func:`basemap_control` / :func:`basemap_key`: the sidebar basemap selector and its key;
- :func:`coverage_files`: coverage as CSV, GeoJSON and GeoPackage bytes for download buttons.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import streamlit as st

from gisplan import i18n
from gisplan.analysis import Dataset
from gisplan.maps.basemaps import BASEMAPS, Basemap, MissingKeyError, get_basemap, tianditu_key

__all__ = [
    "basemap_control",
    "basemap_key",
    "coverage_files",
    "show_map",
    "synthetic_banner",
]


def synthetic_banner(dataset: Dataset | None = None) -> None:
    """The visible synthetic-data warning (only when the dataset is synthetic)."""
    if dataset is None or dataset.synthetic:
        st.warning(i18n.t("synthetic.banner") + "  \n" + "示例数据（合成） / synthetic sample")


def basemap_control(key: str) -> Basemap:
    """A basemap selector (sidebar); returns the chosen :class:`Basemap`."""
    choice = st.sidebar.selectbox(
        i18n.t("basemap"),
        options=list(BASEMAPS),
        # bilingual option labels: Streamlit keeps a choice by its label across reruns
        format_func=lambda b: BASEMAPS[b].label,
        key=key,
        help=i18n.t("basemap.offline_note"),
    )
    b = get_basemap(choice)
    if b.coord_system == "gcj02":
        st.sidebar.caption(i18n.t("basemap.gcj_note"))
    return b


def basemap_key(basemap: Basemap) -> str | None:
    """The API key the basemap needs (Tianditu), from st.secrets or the environment."""
    if not basemap.needs_key:
        return None
    try:
        secrets = st.secrets
    except Exception:  # noqa: BLE001
        secrets = None
    return tianditu_key(secrets)


def show_map(
    build, *, key: str, height: int = 560, layers=None, returned_objects=()
) -> dict | None:
    """Show the map ``build()`` returns, with ``layers`` (feature groups) drawn on it.

    The map from ``build()`` must be the part that does not change with the page's controls
    (basemap, context layers, fit); ``layers`` (a list of :class:`folium.FeatureGroup`, or a
    function returning one) are what the controls change.  streamlit-folium keys the browser's
    map by the base map's script, so while the base stays the same a rerun only swaps the
    layers: the map is not reloaded and the user's pan and zoom are kept.

    ``returned_objects=()``: interacting with the map never reruns the script; the siting page
    asks for ``["last_clicked"]``.  A missing basemap key is shown as an error.  Returns what
    streamlit-folium returns (None when the map could not be built).
    """
    from streamlit_folium import st_folium

    try:
        m = build()
        groups = layers() if callable(layers) else layers
    except MissingKeyError as exc:
        st.error(str(exc))
        return None
    return st_folium(
        m,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=list(returned_objects),
        feature_group_to_add=list(groups) if groups else None,
    )


def coverage_files(
    result, *, synthetic: bool, dataset_name: str, attribution: str
) -> dict[str, bytes]:
    """Coverage as CSV, GeoJSON and GeoPackage bytes (same content as ``gisplan analyze``)."""
    from gisplan.report.outputs import SYNTHETIC_NOTE, write_analysis_outputs

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_analysis_outputs(
            result, tmp, dataset_name=dataset_name, synthetic=synthetic, attribution=attribution
        )
        csv = Path(paths["csv"]).read_bytes()
        gpkg = Path(paths["gpkg"]).read_bytes()
    gdf = result.table.copy()
    for c in gdf.columns:
        if c.startswith("minutes_"):
            gdf[c] = gdf[c].replace([np.inf, -np.inf], np.nan)
    if synthetic:
        gdf["data_note"] = SYNTHETIC_NOTE
    geojson = gdf.to_json(drop_id=True, ensure_ascii=False).encode("utf-8")
    return {"csv": csv, "geojson": geojson, "gpkg": gpkg}
