"""方案管理 (planners / officials): list, open, compare, export and delete saved scenarios.

Thin page over :class:`gisplan.store.ScenarioStore` (``$GISPLAN_DB``); every action is checked
against the signed-in user's role on every run (:func:`gisplan.app.auth.require_ui`) and
again by the store itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import folium
import pandas as pd
import streamlit as st

from gisplan.app.auth import require_ui, scenario_store, tr
from gisplan.app.state import current_dataset, lang
from gisplan.app.widgets import show_map
from gisplan.catalogue import default_standard
from gisplan.errors import InputError
from gisplan.i18n import category_label
from gisplan.labels import SYNTHETIC_LABEL
from gisplan.maps.base import new_map
from gisplan.maps.elements import Legend, LegendItem
from gisplan.maps.sites import add_site_points
from gisplan.safetext import md_text
from gisplan.store import PermissionDenied, before_after_table, export_scenario

KIND_COLORS = {"chosen": "#d62728", "manual": "#1f77b4", "closed": "#000000"}
EXPORT_KEY = "scenario_export"  # {"name": str, "files": {file name: bytes}}
OPEN_NEXT_KEY = "scenario_open_next"  # the scenario to open on the next run (after a deletion)
DELETED_KEY = "scenario_deleted"  # name of the scenario deleted on the previous run
MIME = {
    "sites.gpkg": "application/geopackage+sqlite3",
    "sites.geojson": "application/geo+json",
    "results.csv": "text/csv",
    "report.html": "text/html",
}

lg = lang()
st.title(tr("方案管理", "Scenarios"))
st.caption(
    tr(
        "已保存的选址方案：查看、对比、导出与删除。",
        "Saved siting scenarios: open, compare, export and delete.",
    )
)

user = require_ui("read")
if user is None:
    st.stop()

store = scenario_store()
try:
    summaries = store.list(user)
except PermissionDenied as exc:  # the store checks the role again
    st.error(md_text(str(exc)))
    st.stop()

if not summaries:
    st.info(
        tr(
            "还没有保存的方案：请在“新店选址”页保存。",
            "No saved scenarios yet: save one on the siting page.",
        )
    )
    st.stop()

names = [s.name for s in summaries]
_standard = default_standard()


def cat_label(cid: str | None) -> str:
    """Bilingual category name (the id itself when the catalogue does not know it)."""
    if not cid:
        return "—"
    if cid not in _standard.ids:
        return cid
    return category_label(_standard[cid], lg)


# Display headers of the store's tables (the frames keep their column names).
HEADERS = {
    "category": tr("类别", "Category"),
    "label": tr("分组", "Group"),
    "metric": None,  # the id; the bilingual name is shown instead
    "metric_label": tr("指标", "Metric"),
    "before": tr("之前", "Before"),
    "after": tr("之后", "After"),
    "change": tr("变化", "Change"),
    "value": tr("数值", "Value"),
    "difference": tr("差值（B − A）", "Difference (B − A)"),
}

listing = pd.DataFrame(
    {
        tr("名称", "Name"): names,
        tr("作者", "Author"): [s.author for s in summaries],
        tr("类别", "Category"): [cat_label(s.category) for s in summaries],
        tr("优化选址", "Chosen"): [s.n_chosen for s in summaries],
        tr("手动选址", "Hand-placed"): [s.n_manual for s in summaries],
        tr("更新时间（UTC）", "Updated (UTC)"): [
            s.updated_at.strftime("%Y-%m-%d %H:%M") for s in summaries
        ],
    }
)
st.dataframe(listing, hide_index=True, key="scenario_list")

# -- open one ------------------------------------------------------------------------------
st.subheader(tr("查看方案", "Open a scenario"))
# After a deletion the page opens the neighbouring scenario (set before the selector exists:
# Streamlit refuses to change a widget's value once it is drawn) and says what was deleted.
if st.session_state.get(OPEN_NEXT_KEY) in names:
    st.session_state["scenario_open"] = st.session_state.pop(OPEN_NEXT_KEY)
elif st.session_state.get("scenario_open") not in names:
    st.session_state.pop("scenario_open", None)
deleted = st.session_state.pop(DELETED_KEY, None)
if deleted is not None:
    st.success(tr(f"已删除方案“{md_text(deleted)}”。", f"Deleted scenario '{md_text(deleted)}'."))
name = st.selectbox(tr("方案", "Scenario"), names, key="scenario_open")
record = store.load(user, name)
synthetic = bool(record.params.get("synthetic")) or bool(record.results.get("synthetic"))
_key, open_dataset_now = current_dataset()
same_data = record.made_on(open_dataset_now.content_hash)
if same_data is False:
    st.warning(
        tr(
            f"此方案基于数据集“{md_text(record.dataset_name)}”制作，当前打开的是"
            f"“{md_text(open_dataset_now.name)}”：其结果与选址不对应当前数据。"
            "可在侧栏切换数据集。",
            f"This scenario was made on the dataset '{md_text(record.dataset_name)}'; the open "
            f"dataset is '{md_text(open_dataset_now.name)}': its results and sites do not refer "
            "to the current data. Switch datasets in the sidebar.",
        )
    )
elif same_data is None:
    st.info(
        tr(
            "此方案未记录所用数据集（较早版本保存）。",
            "This scenario does not record the dataset it was made on (saved by an older version).",
        )
    )
else:
    st.caption(
        tr(
            f"数据集：{md_text(record.dataset_name)}（与当前数据一致）",
            f"Dataset: {md_text(record.dataset_name)} (the open dataset)",
        )
    )
if synthetic:
    st.warning(SYNTHETIC_LABEL)
st.caption(
    tr(
        f"作者 {md_text(record.author)}；类别 {md_text(cat_label(record.category))}",
        f"Author {md_text(record.author)}; category {md_text(cat_label(record.category))}",
    )
)
with st.expander(tr("选址参数", "Siting parameters")):
    st.json(record.params)
frame = record.sites_frame()


def site_bounds() -> list[list[float]]:
    """``[[south, west], [north, east]]`` around the sites (about 500 m margin)."""
    if not len(frame):
        return [[29.80, 121.48], [29.94, 121.64]]
    w, s, e, n = frame.total_bounds
    return [[s - 0.005, w - 0.005], [n + 0.005, e + 0.005]]


def scenario_map() -> folium.Map:
    m = new_map(site_bounds(), synthetic=synthetic, base_url="/app/static/vendor")
    if len(frame):
        sites = frame.assign(_kind_color=frame["kind"].map(KIND_COLORS).fillna("#555555"))
        add_site_points(
            m,
            sites,
            name=tr("选址", "Sites"),
            fields=[c for c in ("kind", "rank", "name", "gain") if c in sites.columns],
            color_column="_kind_color",
            radius=8,
        )
    items = [
        LegendItem(tr("优化选址", "Chosen"), KIND_COLORS["chosen"], "circle"),
        LegendItem(tr("手动选址", "Hand-placed"), KIND_COLORS["manual"], "circle"),
    ]
    if len(frame) and (frame["kind"] == "closed").any():  # closure / relocation scenarios
        items.append(
            LegendItem(tr("关闭的网点", "Closed amenity"), KIND_COLORS["closed"], "circle")
        )
    Legend(record.name, items).add_to(m)
    return m


show_map(scenario_map, key="scenario_map", height=420)
table = before_after_table(record.results)
if len(table):
    st.dataframe(table, hide_index=True, key="scenario_results", column_config=HEADERS)

# -- compare two ---------------------------------------------------------------------------
st.subheader(tr("方案对比", "Compare two scenarios"))
if len(names) < 2:
    st.info(tr("至少需要两个方案。", "Needs at least two scenarios."))
elif require_ui("compare", sign_in=False) is not None:
    left, right = st.columns(2)
    a = left.selectbox(tr("方案 A", "Scenario A"), names, index=0, key="compare_a")
    b = right.selectbox(tr("方案 B", "Scenario B"), names, index=1, key="compare_b")
    if a == b:
        st.info(tr("请选择两个不同的方案。", "Pick two different scenarios."))
    else:
        st.dataframe(
            store.compare(user, a, b),
            hide_index=True,
            key="compare_table",
            column_config={**HEADERS, a: tr(f"A：{a}", f"A: {a}"), b: tr(f"B：{b}", f"B: {b}")},
        )

# -- export ----------------------------------------------------------------------------------
st.subheader(tr("导出", "Export"))
if require_ui("export", sign_in=False) is not None:
    if st.button(tr(f"导出“{md_text(name)}”", f"Export '{md_text(name)}'"), key="export_prepare"):
        with tempfile.TemporaryDirectory() as tmp:
            paths = export_scenario(user, store, name, tmp)
            st.session_state[EXPORT_KEY] = {
                "name": name,
                "files": {f: Path(p).read_bytes() for f, p in paths.items()},
            }
    prepared = st.session_state.get(EXPORT_KEY)
    if prepared is not None and prepared["name"] == name:
        cols = st.columns(len(prepared["files"]))
        labels = {
            "sites.gpkg": tr("选址 GeoPackage", "Sites GeoPackage"),
            "sites.geojson": tr("选址 GeoJSON", "Sites GeoJSON"),
            "results.csv": tr("前后对比 CSV", "Before/after CSV"),
            "report.html": tr("方案报告 HTML", "Report HTML"),
        }
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
        for col, (fname, data) in zip(cols, prepared["files"].items(), strict=True):
            col.download_button(
                labels.get(fname, fname),
                data,
                file_name=f"{stem}_{fname}",
                mime=MIME.get(fname, "application/octet-stream"),
                key=f"dl_{fname}",
                on_click="ignore",
            )

# -- delete ----------------------------------------------------------------------------------
st.subheader(tr("删除", "Delete"))
if require_ui("delete", sign_in=False) is not None:
    # One confirm box per scenario: a tick given for one scenario never carries over to
    # another (the box's key names the scenario).
    confirm = st.checkbox(
        tr(
            f"确认删除“{md_text(name)}”（操作记录中保留副本）",
            f"Confirm deleting '{md_text(name)}' (kept in the audit log)",
        ),
        key=f"delete_confirm:{name}",
    )
    clicked = st.button(
        tr("删除方案", "Delete scenario"), disabled=not confirm, key="delete_button"
    )
    if clicked and confirm:  # checked here too: a disabled button is only a hint in the browser
        try:
            store.delete(user, name)
        except InputError as exc:
            st.error(md_text(str(exc)))
        else:
            i = names.index(name)
            rest = names[:i] + names[i + 1 :]
            st.session_state.pop(EXPORT_KEY, None)
            for k in [k for k in st.session_state if str(k).startswith("delete_confirm:")]:
                st.session_state.pop(k, None)
            if rest:
                st.session_state[OPEN_NEXT_KEY] = rest[min(i, len(rest) - 1)]
            st.session_state[DELETED_KEY] = name
            st.rerun()
