"""Streamlit widgets shared by the pages: synthetic banner, basemap choice, map display, downloads.

- :func:`show_map` displays a folium map through streamlit-folium with
  ``returned_objects=[]``, so panning or zooming does not rerun the script;
- :func:`basemap_control` / :func:`basemap_key`: the sidebar basemap selector and its key;
- :func:`map_base_options`: the keywords of a page's base map (basemap, context, attribution);
- :func:`solver_controls`: the siting method (greedy or exact) and the exact solver's time limit;
- :func:`coverage_files`: coverage as CSV, GeoJSON and GeoPackage bytes for download buttons.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TypedDict

import geopandas as gpd
import numpy as np
import streamlit as st

from gisplan import i18n
from gisplan.analysis import Dataset, display_dataset_name
from gisplan.catalogue import default_standard
from gisplan.labels import SYNTHETIC_NOTE
from gisplan.maps.basemaps import BASEMAPS, Basemap, MissingKeyError, get_basemap, tianditu_key

__all__ = [
    "dataset_control",
    "basemap_control",
    "basemap_key",
    "coverage_files",
    "map_base_options",
    "solver_controls",
    "MapBaseOptions",
    "show_map",
    "synthetic_banner",
]


def dataset_control() -> None:
    """Sidebar: pick the dataset (when there is a choice); its name, credit and sources.

    The choice is kept in ``st.session_state["dataset_id"]``; every page then works on it
    (:func:`gisplan.app.state.current_dataset`).  Files the server cannot open are logged for
    the administrator (terminal), not shown to visitors.
    """
    import logging

    import pandas as pd

    from gisplan.app.state import (
        chosen_entry,
        current_dataset,
        dataset_choices,
        pick_pending_dataset,
    )
    from gisplan.safetext import md_text

    pick_pending_dataset()  # a dataset uploaded in the previous run of this session
    entries = dataset_choices()
    for e in entries:
        if not e.usable:
            logging.getLogger("gisplan.app").warning("dataset not offered: %s", e.error)
    usable = [e for e in entries if e.usable]
    own = {e.id for e in st.session_state.get("uploaded_datasets", [])}

    def label(entry_id: str) -> str:
        e = next(x for x in usable if x.id == entry_id)
        tag = i18n.t("dataset.synthetic_tag") if e.synthetic else ""
        if e.id in own:
            tag += i18n.t("dataset.uploaded_tag")
        return f"{display_dataset_name(e.name)}{tag}"

    if len(usable) > 1:
        current = chosen_entry().id
        if st.session_state.get("dataset_id") not in {e.id for e in usable}:
            st.session_state["dataset_id"] = current
        st.sidebar.selectbox(
            i18n.t("dataset"), [e.id for e in usable], format_func=label, key="dataset_id"
        )
    with st.spinner(i18n.t("dataset.opening")):
        _key, dataset = current_dataset()
    if len(usable) <= 1:
        st.sidebar.caption(f"{i18n.t('dataset')}: {md_text(dataset.display_label())}")
    if dataset.attribution:
        st.sidebar.caption(f"{i18n.t('data.source')}: {md_text(dataset.display_attribution())}")
    if dataset.sources:
        with st.sidebar.expander(i18n.t("dataset.sources")):
            rows = pd.DataFrame(
                [
                    {
                        i18n.t("dataset.col.kind"): s.kind,
                        i18n.t("dataset.col.name"): s.name,
                        i18n.t("dataset.col.licence"): s.licence,
                        i18n.t("dataset.col.attribution"): s.attribution,
                        i18n.t("dataset.col.date"): s.date,
                    }
                    for s in dataset.sources
                ]
            )
            st.dataframe(rows, hide_index=True)


def synthetic_banner(dataset: Dataset | None = None) -> None:
    """The visible synthetic-data warning (only when the dataset is synthetic)."""
    if dataset is not None and not dataset.synthetic:
        return
    # what the session uploaded, with how uploaded amenities joined the generated ones
    uploaded = {
        s.name.removeprefix("uploaded "): s.note
        for s in (dataset.sources if dataset is not None else ())
        if s.kind == "user" and s.name in ("uploaded communities", "uploaded amenities")
    }
    if uploaded:
        # Name what is still generated and what is the user's (issue 11, items 16 and 27).
        generated, mine = [], []
        for k in ("communities", "amenities"):
            note = uploaded.get(k)
            if note is None:
                generated.append(i18n.t(f"layer.{k}"))
            elif note.startswith("replaces: "):  # amenities of some categories replaced
                std = default_standard()
                cats = [
                    i18n.category_name(std[c]) for c in note.removeprefix("replaces: ").split(",")
                ]
                generated.append(i18n.t("layer.amenities_other_categories"))
                mine.append(
                    i18n.t(
                        "fmt.paren", text=i18n.t(f"layer.{k}"), note=i18n.t("sep.list").join(cats)
                    )
                )
            elif note == "added":
                generated.append(i18n.t("layer.amenities_existing"))
                mine.append(i18n.t("layer.amenities_added"))
            else:
                mine.append(i18n.t(f"layer.{k}"))
        sep = i18n.t("sep.list")
        text = i18n.t(
            "synthetic.banner_partial",
            generated=sep.join([*generated, i18n.t("layer.network")]),
            mine=sep.join(mine),
        )
    else:
        text = i18n.t("synthetic.banner")
    # The banner's own text starts with the synthetic label ("示例数据（合成）：…"), so it is
    # not appended a second time.
    st.warning(text)


def choice_key(key: str) -> str:
    """The widget key of a choice (radio, selectbox, multiselect) whose labels are translated.

    Streamlit (1.67) matches a choice by its displayed label: when the language changes, a
    keyed widget's labels change, its choice falls back to the default and the browser keeps
    showing the old labels (a Chinese-first label cut off in English).  So each language has
    its own widget, ``key`` in Chinese and ``key__en`` in English, and the choice made in the
    other language is carried over when the widget is first drawn in this one.
    """
    lang = i18n.current_language()
    own, other = (key, f"{key}__en") if lang == "zh" else (f"{key}__{lang}", key)
    if own not in st.session_state and other in st.session_state:
        st.session_state[own] = st.session_state[other]
    return own


def basemap_control(key: str) -> Basemap:
    """A basemap selector (sidebar); returns the chosen :class:`Basemap`."""
    lang = i18n.current_language()
    choice = st.sidebar.selectbox(
        i18n.t("basemap"),
        options=list(BASEMAPS),
        # one widget per language (choice_key): the choice survives a language switch
        format_func=lambda b: BASEMAPS[b].name(lang),
        key=choice_key(key),
        help=i18n.t("basemap.offline_note"),
    )
    b = get_basemap(choice)
    if b.coord_system == "gcj02":
        st.sidebar.caption(i18n.t("basemap.gcj_note"))
    if b.needs_key and basemap_key(b) is None:
        # Keep the map (without tiles) and say so in one line; setting up the key is the
        # administrator's business (README), not the visitor's.
        st.sidebar.caption(i18n.t("basemap.no_key", name=b.name(lang)))
        return get_basemap("none")
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


def solver_controls(
    method_key: str, time_limit_key: str, lang: str | None = None
) -> tuple[str, float]:
    """The siting method (``"greedy"`` or ``"exact"``) and the time limit in seconds.

    The limit (1 to 600 s, default 60) is asked for only with the exact solver (HiGHS MILP);
    the greedy method keeps the default.  Labels in ``lang`` (default: the session's).
    """
    method = st.radio(
        i18n.t("site.method"),
        ["greedy", "exact"],
        format_func=lambda v: {
            "greedy": i18n.t("site.greedy_fast", lang),
            "exact": i18n.t("site.exact_highs_milp", lang),
        }[v],
        key=method_key,
    )
    time_limit = 60.0
    if method == "exact":
        time_limit = float(
            st.number_input(i18n.t("site.time_limit_s"), 1, 600, 60, 1, key=time_limit_key)
        )
    return method, time_limit


class MapBaseOptions(TypedDict):
    """Keywords of :func:`gisplan.maps.coverage.coverage_base` that the page's data decides."""

    extras: dict[str, gpd.GeoDataFrame] | None
    basemap: Basemap
    tianditu_key: str | None
    synthetic: bool
    attribution: str
    lang: str
    context_url: str | None


def map_base_options(key: str, dataset: Dataset, basemap: Basemap, lang: str) -> MapBaseOptions:
    """The base map's keywords for ``dataset`` (key ``key``) on ``basemap``, labels in ``lang``.

    Rivers as the context layer, the basemap's key, the synthetic label, the data's credit and
    the served file of faint water and streets (drawn when there are no basemap tiles).
    """
    from gisplan.app.state import context_url

    rivers = dataset.extras.get("rivers")
    return MapBaseOptions(
        extras={"rivers": rivers} if rivers is not None else None,
        basemap=basemap,
        tianditu_key=basemap_key(basemap),
        synthetic=dataset.synthetic,
        attribution=dataset.display_attribution(lang),
        lang=lang,
        context_url=context_url(key, dataset),
    )


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
        from gisplan.app.messages import show_error

        show_error(exc)
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
    from gisplan.report.outputs import write_analysis_outputs

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
