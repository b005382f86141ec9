"""方案管理 (planners / officials): list, open, compare, export and delete saved scenarios.

Thin page over :class:`gisplan.store.ScenarioStore` (``$GISPLAN_DB``); every action is checked
against the signed-in user's role on every run (:func:`gisplan.app.auth.require_ui`) and
again by the store itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from gisplan.app.auth import (
    configured_users,
    page_user,
    require_ui,
    scenario_store,
    show_store_error,
)
from gisplan.app.state import access_model, context_url, current_dataset, lang
from gisplan.app.widgets import show_map
from gisplan.errors import GisplanError
from gisplan.i18n import t
from gisplan.labels import synthetic_label
from gisplan.maps.scenario import scenario_map
from gisplan.report.scenario import (
    categories_differ,
    category_text,
    compare_table,
    headline,
    key_figures,
    method_table,
    outcome_table,
    parameter_table,
)
from gisplan.report.scenario_html import local_time, report_writer
from gisplan.report.scenario_map import ScenarioContext, scenario_context
from gisplan.safetext import md_text
from gisplan.store import export_scenario
from gisplan.store.auth import may_change

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
st.title(t("page.scenarios"))
st.caption(t("sc.saved_siting_scenarios_open"))

user = page_user("read")

store = scenario_store()
try:
    summaries = store.list(user)
except GisplanError as exc:  # the store checks the role again; or a database fault
    show_store_error(exc)
    st.stop()

if not summaries:
    st.info(t("sc.no_saved_scenarios_yet"))
    st.stop()

names = [s.name for s in summaries]


def cat_label(cid: str | None) -> str:
    """Category names, the session's language first (the id when the catalogue lacks it)."""
    return category_text(cid, lg)


# Display headers of the figure tables (gisplan.report.scenario: text, rounded, with units).
HEADERS = {
    "group": t("sc.group"),
    "metric": t("sc.metric"),
    "before": t("sc.before"),
    "after": t("sc.after"),
    "change": t("sc.change"),
    "value": t("sc.value"),
    "parameter": t("rhtml.parameter"),
    "item": t("rhtml.item"),
    "difference": t("sc.difference"),
}


def author_name(username: str) -> str:
    """The author's display name (the username when the user is no longer configured)."""
    try:
        cred = configured_users().get(username)
    except GisplanError:
        cred = None
    return cred.user().display_name if cred is not None and cred.user().display_name else username


listing = pd.DataFrame(
    {
        t("field.name"): names,
        t("sc.author"): [author_name(s.author) for s in summaries],
        t("field.category"): [cat_label(s.category) for s in summaries],
        t("sc.chosen"): [s.n_chosen for s in summaries],
        t("sc.hand_placed"): [s.n_manual for s in summaries],
        t("sc.updated_local"): [local_time(s.updated_at) for s in summaries],
    }
)
st.dataframe(listing, hide_index=True, key="scenario_list")

# -- open one ------------------------------------------------------------------------------
st.subheader(t("sc.open_scenario"))
# After a deletion the page opens the neighbouring scenario (set before the selector exists:
# Streamlit refuses to change a widget's value once it is drawn) and says what was deleted.
if st.session_state.get(OPEN_NEXT_KEY) in names:
    st.session_state["scenario_open"] = st.session_state.pop(OPEN_NEXT_KEY)
elif st.session_state.get("scenario_open") not in names:
    st.session_state.pop("scenario_open", None)
deleted = st.session_state.pop(DELETED_KEY, None)
if deleted is not None:
    # At the selector (the record of what happened) and as a toast, which shows wherever the
    # page is scrolled to: the user clicked the delete button further down.
    st.success(t("sc.deleted_scenario_v0", v0=md_text(deleted)))
    st.toast(t("sc.deleted_scenario_v0", v0=md_text(deleted)))
name = st.selectbox(t("sc.scenario"), names, key="scenario_open")
try:
    record = store.load(user, name)
except GisplanError as exc:  # e.g. a damaged row: one line, the rest of the list still works
    show_store_error(exc)
    st.stop()
synthetic = bool(record.params.get("synthetic")) or bool(record.results.get("synthetic"))
_key, open_dataset_now = current_dataset()
same_data = record.made_on(open_dataset_now.content_hash)
if same_data is False:
    st.warning(
        t(
            "sc.scenario_was_made_dataset",
            v0=md_text(record.dataset_name),
            v1=md_text(open_dataset_now.name),
        )
    )
elif same_data is None:
    st.info(t("sc.scenario_does_not_record"))
else:
    st.caption(t("sc.dataset_v0_open_dataset", v0=md_text(record.dataset_name)))
if synthetic:
    st.warning(synthetic_label())
st.caption(
    t(
        "sc.author_v0_category_v1",
        v0=md_text(author_name(record.author or "")),
        v1=md_text(cat_label(record.category)),
    )
)
with st.expander(t("sc.siting_parameters")):
    st.dataframe(
        parameter_table(record.params, record.category, lg),
        hide_index=True,
        key="scenario_params",
        column_config=HEADERS,
    )
    details = method_table(record.results, lg)
    if len(details):
        st.dataframe(details, hide_index=True, key="scenario_method", column_config=HEADERS)


@st.cache_resource(max_entries=16, show_spinner=False)
def _context(data_key: str, name: str, updated: str, _record) -> ScenarioContext:
    """The scenario evaluated on the open dataset (cached per scenario version and dataset)."""
    _k, data = current_dataset()
    return scenario_context(_record, access_model(data_key, data), water=data.extras.get("rivers"))


def record_context(rec) -> ScenarioContext | None:
    """The map context of ``rec`` on the open dataset; None when it was made on other data."""
    if rec.made_on(open_dataset_now.content_hash) is False:
        return None
    return _context(_key, rec.name, str(rec.updated_at), rec)


# Key outcomes first (the same figures as the report's), then the map and the tables.
cards = headline(record.results, record.site_counts(), record.category, lg, compact=True)
# English labels are about twice as wide as Chinese ones: two cards a row, not cut off at 1280.
per_row = 4 if lg == "zh" else 2
for start in range(0, len(cards), per_row):
    row = cards[start : start + per_row]
    for col, (label, before, after, change) in zip(st.columns(per_row), row, strict=False):
        col.metric(
            label,
            after,
            delta=change or None,
            help=None if before is None else t("sc.before_value", v=before),
        )
ctx = record_context(record)
if ctx is not None:
    show_map(
        lambda: scenario_map(
            ctx,
            title=record.name,
            lang=lg,
            synthetic=synthetic,
            attribution=open_dataset_now.attribution,
            context_url=context_url(_key, open_dataset_now),
            water=open_dataset_now.extras.get("rivers"),
            base_url="/app/static/vendor",
        ),
        key="scenario_map",
        height=460,
    )
else:
    st.info(t("sc.map_needs_its_data"))
outcomes = outcome_table(record.results, record.category, lg)
if len(outcomes):
    st.dataframe(outcomes, hide_index=True, key="scenario_results", column_config=HEADERS)
singles = key_figures(record.results, record.site_counts(), record.category, lg)
if len(singles):
    st.dataframe(singles, hide_index=True, key="scenario_figures", column_config=HEADERS)

# -- compare two ---------------------------------------------------------------------------
st.subheader(t("sc.compare_two_scenarios"))
if len(names) < 2:
    st.info(t("sc.needs_at_least_two"))
elif require_ui("compare", sign_in=False) is not None:
    left, right = st.columns(2)
    a = left.selectbox(t("sc.scenario_a"), names, index=0, key="compare_a")
    b = right.selectbox(t("sc.scenario_b"), names, index=1, key="compare_b")
    if a == b:
        st.info(t("sc.pick_two_different_scenarios"))
    else:
        try:
            rec_a, rec_b = store.load(user, a), store.load(user, b)
        except GisplanError as exc:
            show_store_error(exc)
            st.stop()
        if categories_differ(rec_a, rec_b):
            st.warning(
                t(
                    "sc.compare_different_categories",
                    a=md_text(cat_label(rec_a.category)),
                    b=md_text(cat_label(rec_b.category)),
                )
            )
        compared = compare_table(rec_a, rec_b, lg)
        st.dataframe(
            compared,
            hide_index=True,
            key="compare_table",
            height=36 * (len(compared) + 1) + 4,  # every row in view, no inner scrolling
            # Fixed column keys (any scenario name is safe); the names are only headers.
            column_config={
                **HEADERS,
                "scenario_a": t("sc.column_a", a=a),
                "scenario_b": t("sc.column_b", b=b),
            },
        )

# -- export ----------------------------------------------------------------------------------
st.subheader(t("sc.export"))
if require_ui("export", sign_in=False) is not None:
    if st.button(t("sc.export_v0", v0=md_text(name)), key="export_prepare"):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                paths = export_scenario(
                    user,
                    store,
                    name,
                    tmp,
                    report=report_writer(
                        record_context,
                        lang=lg,
                        author=author_name,
                        attribution=open_dataset_now.attribution,
                    ),
                )
            except GisplanError as exc:  # e.g. a read-only database cannot log the export
                show_store_error(exc)
            else:
                st.session_state[EXPORT_KEY] = {
                    "name": name,
                    "files": {f: Path(p).read_bytes() for f, p in paths.items()},
                }
    prepared = st.session_state.get(EXPORT_KEY)
    if prepared is not None and prepared["name"] == name:
        cols = st.columns(len(prepared["files"]))
        labels = {
            "sites.gpkg": t("sc.sites_geopackage"),
            "sites.geojson": t("sc.sites_geojson"),
            "results.csv": t("sc.before_after_csv"),
            "report.html": t("sc.report_html"),
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
st.subheader(t("sc.delete"))
deleter = require_ui("delete", sign_in=False)
if deleter is not None and not may_change(deleter, record.author):
    # The ownership rule (gisplan.store.auth.may_change); the store enforces it again.
    st.info(t("sc.only_author_may_change", author=md_text(record.author)))
elif deleter is not None:
    # One confirm box per scenario: a tick given for one scenario never carries over to
    # another (the box's key names the scenario).
    confirm = st.checkbox(
        t("sc.confirm_deleting_v0_kept", v0=md_text(name)),
        key=f"delete_confirm:{name}",
    )
    clicked = st.button(t("sc.delete_scenario"), disabled=not confirm, key="delete_button")
    if clicked and confirm:  # checked here too: a disabled button is only a hint in the browser
        try:
            store.delete(user, name)
        except GisplanError as exc:  # not the author (NotAuthor), read-only database, ...
            show_store_error(exc)
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
