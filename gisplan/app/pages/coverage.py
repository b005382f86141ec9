"""便民生活圈覆盖 (planners): the circle standard, coverage map, gaps, tables and downloads.

The walking network and the distances are cached (``access_model``); changing the speed, a
threshold or the required set only re-applies the standard (``AccessModel.coverage``).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from gisplan.access.coverage import CIRCLE_TARGET
from gisplan.access.service_area import service_area
from gisplan.app.auth import require_ui
from gisplan.app.standard import standard_caption, standard_controls
from gisplan.app.state import (
    access_model,
    current_dataset,
    lang,
    layer_store,
)
from gisplan.app.widgets import (
    basemap_control,
    choice_key,
    coverage_files,
    map_base_options,
    show_map,
    synthetic_banner,
)
from gisplan.catalogue import default_standard
from gisplan.i18n import category_label, category_name, t
from gisplan.maps import coverage_map, standalone_html
from gisplan.maps.coverage import coverage_base, coverage_overlays
from gisplan.report.gaps import GAP_ORDERS, gap_csv, gap_table
from gisplan.safetext import md_text

lg = lang()
base = default_standard()
names = {c.id: category_name(c, lg) for c in base.categories}
# Category names carry both languages, the session's first.  Choice widgets have keys, so
# Streamlit keeps a choice across a language switch although its label changes.
both = {c.id: category_label(c, lg) for c in base.categories}

st.title(t("page.coverage"))
st.caption(t("cov.intro"))

# -- controls (sidebar) ----------------------------------------------------------------------
with st.sidebar:
    # The standard is the session's (kept across pages; the siting page uses it too).
    standard, required = standard_controls()
    color_mode = st.radio(
        t("cov.color_by"),
        ["completeness", "minutes"],
        format_func=lambda m: t(f"cov.color_mode.{m}", lg),
        key=choice_key("color_mode"),
        horizontal=True,
    )
    color_cat = None
    if color_mode == "minutes":
        color_cat = st.selectbox(
            t("cov.minutes_category"),
            base.ids,
            format_func=names.__getitem__,
            key=choice_key("color_cat"),
        )
    area_cat = st.selectbox(
        t("cov.service_area"),
        ["", *base.ids],
        format_func=lambda v: both.get(v, t("cov.no_service_area", lg)),
        key=choice_key("service_cat"),
    )
    basemap = basemap_control("coverage_basemap")

if not required:
    st.error(t("cov.no_required"))
    st.stop()

# -- analysis (cached model; the standard is the cheap step) -------------------------------
with st.spinner(t("cov.loading")):
    key, dataset = current_dataset()
    model = access_model(key, dataset)
result = model.coverage(standard)

synthetic_banner(dataset)
st.caption(f"{t('dataset')}: {md_text(dataset.display_label(lg))}")
standard_caption(standard)

overall = result.population_coverage().iloc[0]
# Cards in rows of at most four, so neither labels nor figures are cut (six required
# categories make eight cards).
cards = [
    (t("cov.population_covered"), f"{overall['complete']:.1%}"),
    (t("cov.communities_complete"), f"{result.communities_complete} / {CIRCLE_TARGET}+"),
    *[
        (t("cov.category_coverage", name=names[cid]), f"{overall[cid]:.1%}")
        for cid in standard.required_ids
    ],
]
per_row = 3 if lg == "en" else 4  # English labels are longer
for start in range(0, len(cards), per_row):
    row = st.columns(per_row)
    for col, (label, value) in zip(row, cards[start : start + 4], strict=False):
        col.metric(label, value, border=True)
if result.unsnapped_communities:
    st.info(t("cov.unsnapped", n=len(result.unsnapped_communities), m=standard.max_snap_distance_m))

# -- map ------------------------------------------------------------------------------------
area = None
if area_cat:
    area = service_area(
        model.network,
        model.amenity_snap[area_cat],
        standard.threshold_metres(area_cat),
        node_dist_m=model.node_dist_m[area_cat],
    )


layer_options = dict(
    color_by=color_cat if color_mode == "minutes" and color_cat else "completeness",
    amenities=dataset.amenities,
    service_area=area,
    service_category=area_cat or None,
    basemap=basemap,
    synthetic=dataset.synthetic,
    lang=lg,
)
base_options = map_base_options(key, dataset, basemap, lg)


def build_map(base_url: str = "/app/static/vendor"):
    """The whole map in one file (the standalone HTML download)."""
    return coverage_map(result, **base_options, **layer_options, base_url=base_url)


# The base map stays while the controls change; only the coloured layers are swapped.
show_map(
    lambda: coverage_base(result, **base_options, base_url="/app/static/vendor"),
    # City scale: the layers are files the browser fetches when shown (built once per state).
    layers=lambda: coverage_overlays(result, **layer_options, store=layer_store()),
    key="coverage_map",
    height=560,
)

# -- gaps, groups, chart ----------------------------------------------------------------------
st.subheader(t("cov.gaps"))
n_gaps = int((~result.table["complete"]).sum())
if n_gaps:
    st.caption(t("cov.gap_count", n=n_gaps, total=len(result.table)))
    gap_order = st.radio(
        t("cov.gap_order"),
        list(GAP_ORDERS),
        format_func=lambda o: t(f"cov.gap_order.{o}", lg),
        key=choice_key("gap_order"),
        horizontal=True,
    )
    # The table toolbar's CSV export is off (client.disableDataExport): downloads are below,
    # for signed-in users only.
    st.dataframe(
        gap_table(result, lang=lg, order=gap_order),
        hide_index=True,
        height=min(36 + 35 * n_gaps, 520),
    )
else:
    gap_order = "population"
    st.success("✓")


OUTSIDE = "（未知 unknown）"  # the group label of communities outside every district/county


def group_table(by: str) -> pd.DataFrame:
    """Coverage per county or business district: shares in %, counts, population."""
    g = result.population_coverage(by=by).copy()
    outside = t("cov.outside_districts") if by == "business_district" else t("cov.no_county")
    g.index = [outside if v == OUTSIDE else v for v in g.index]
    out = pd.DataFrame(
        index=pd.Index(g.index, name=t("field.county") if by == "county" else t("layer.districts"))
    )
    out[t("field.population")] = g["population"].astype(int)
    out[t("layer.communities")] = g["communities"].astype(int)
    out[t("cov.communities_complete")] = g["communities_complete"].astype(int)
    out[t("cov.population_covered")] = (g["complete"] * 100).round(1)
    for cid in standard.required_ids:
        out[names[cid]] = (g[cid] * 100).round(1)
    return out


def show_group_table(by: str) -> None:
    """Coverage per ``by`` group (county, business district) as a table of percentages."""
    table = group_table(by)
    percent = [c for c in table.columns[3:]]
    st.dataframe(
        table,
        use_container_width=True,
        column_config={c: st.column_config.NumberColumn(c, format="%.1f %%") for c in percent},
    )


# Full width, one under the other: every column on screen at 1280 px.
if "county" in result.group_columns:
    st.subheader(t("cov.by_county"))
    show_group_table("county")
if "business_district" in result.group_columns:
    st.subheader(t("cov.by_district"))
    show_group_table("business_district")

st.subheader(t("cov.chart"))
chart = pd.DataFrame(
    {
        t("field.category"): [names[c] for c in standard.ids],
        "%": [round(overall[c] * 100, 1) for c in standard.ids],
    }
)
st.bar_chart(chart, x=t("field.category"), y="%", horizontal=True, sort=False)

# -- downloads (generated when clicked) -------------------------------------------------------
st.subheader(t("cov.downloads"))
# Downloads need a signed-in planner or official (checked server-side on every run).
if require_ui("download") is None:
    st.stop()
stem = "coverage_synthetic" if dataset.synthetic else "coverage"


def files() -> dict[str, bytes]:
    """Coverage as CSV, GeoJSON and GeoPackage bytes for the download buttons, by format."""
    return coverage_files(
        result,
        synthetic=dataset.synthetic,
        dataset_name=dataset.label,
        attribution=dataset.attribution,
    )


map_title = f"{t('page.coverage')} — {dataset.label}"
# (label, bytes when clicked, file name after the stem, MIME type)
downloads: list[tuple[str, Callable[[], str | bytes], str, str]] = [
    (
        t("cov.dl_gaps"),
        lambda: gap_csv(result, lang=lg, order=gap_order, dataset=dataset.label),
        "_gaps.csv",
        "text/csv",
    ),
    (t("cov.dl_csv"), lambda: files()["csv"], ".csv", "text/csv"),
    (t("cov.dl_geojson"), lambda: files()["geojson"], ".geojson", "application/geo+json"),
    (t("cov.dl_gpkg"), lambda: files()["gpkg"], ".gpkg", "application/geopackage+sqlite3"),
    (
        t("cov.dl_html"),
        lambda: standalone_html(build_map(), title=map_title),
        "_map.html",
        "text/html",
    ),
]
# two rows of three: labels are not cut
for col, (label, data, suffix, mime) in zip(
    [*st.columns(3), *st.columns(3)], downloads, strict=False
):
    col.download_button(label, data, file_name=f"{stem}{suffix}", mime=mime, on_click="ignore")
