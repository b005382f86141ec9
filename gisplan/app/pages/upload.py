"""数据上传 (signed-in planners / officials): replace the sample layers for this session only.

Files are read by :func:`gisplan.io.upload.read_upload` in a worker process with time,
memory, feature and vertex limits (``SECURITY.md``) and validated by :mod:`gisplan.io.layers`;
problems are shown in the session's language (:mod:`gisplan.app.messages`: file, rows and
what to do), never as a traceback.  Text from the file is shown as text
(:func:`gisplan.safetext.md_text`).

Nothing is replaced on reading: a checked layer must lie in the dataset's area
(:func:`gisplan.analysis.check_layer_area`), and the page then says what it will replace and
what stays (for amenities: only the categories in the file, added to the others, or all;
:func:`gisplan.analysis.amenity_changes`) and waits for the user to confirm.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import streamlit as st

from gisplan.analysis import AMENITY_MODES, amenity_changes, check_layer_area
from gisplan.app.auth import page_user
from gisplan.app.messages import show_error, show_notice
from gisplan.app.standard import session_standard
from gisplan.app.state import (
    SessionLayer,
    access_model,
    base_dataset,
    current_dataset,
    digest,
    keep_uploaded_dataset,
    lang,
    session_layers,
    set_session_layer,
)
from gisplan.app.widgets import choice_key, synthetic_banner
from gisplan.errors import InputError
from gisplan.i18n import category_name, t
from gisplan.io.upload import read_upload as read_in_worker
from gisplan.safetext import md_text

CRS_CHOICES = ("", "wgs84", "cgcs2000", "gcj02", "bd09")  # "": as declared in the file


def show_failure(exc: Exception, name: str, what: str) -> None:
    """Say why the file ``name`` was not taken, in words (never a traceback).

    A typed :class:`InputError` is shown as it is; any other fault is logged for the
    administrator (``what`` of ``name`` failed, with the traceback) and the user reads that the
    file could not be read.
    """
    if isinstance(exc, InputError):
        show_error(exc, file_name=name)
        return
    logging.getLogger(__name__).error("%s of %r failed", what, name, exc_info=exc)
    st.error(md_text(t("up.failed", name=name)))


lg = lang()
st.title(t("page.upload"))
st.caption(t("up.intro"))
# Uploads need a signed-in planner or official (checked server-side on every run).
user = page_user("upload")

kind = st.radio(
    t("up.kind"),
    ["communities", "amenities", "dataset"],
    format_func=lambda k: t(f"up.kind_{k}", lg),
    key=choice_key("upload_kind"),
    horizontal=True,
)
st.caption(f"{t('up.schema')}: {t(f'up.schema_{kind}')}")
if kind == "dataset":
    # A prepared dataset (gisplan prepare): checked whole in the bounded worker, then offered
    # in this session's dataset picker (sidebar); every page then works on it.
    prepared = st.file_uploader(t("up.file"), type=["gpkg"], key="upload_file_dataset")
    if (
        st.button(
            t("up.open_dataset"), type="primary", disabled=prepared is None, key="upload_dataset"
        )
        and prepared is not None  # the button is disabled without a file
    ):
        st.session_state.pop("upload_removed", None)
        try:
            with st.spinner(t("up.checking_dataset")):
                res = read_in_worker(prepared.getvalue(), prepared.name, "dataset")
                facts = dict(res.layers["communities"].attrs)
                entry, removed = keep_uploaded_dataset(prepared.getvalue(), facts, user.username)
        except Exception as exc:  # noqa: BLE001 - show the problem in words, never a traceback
            show_failure(exc, prepared.name, "dataset upload")
        else:
            st.success(
                t(
                    "up.dataset_ok",
                    name=md_text(entry.name),
                    communities=facts.get("communities", 0),
                    amenities=facts.get("amenities", 0),
                )
            )
            # Shown after the rerun, until the next upload: which old uploads made room.
            st.session_state["upload_removed"] = removed
            st.rerun()
    if st.session_state.get("upload_removed"):
        names = t("sep.list").join(md_text(n) for n in st.session_state["upload_removed"])
        st.warning(t("up.quota_removed", names=names))
    st.stop()
uploaded = st.file_uploader(
    t("up.file"), type=["geojson", "json", "gpkg", "zip", "csv"], key=f"upload_file_{kind}"
)
crs = st.selectbox(
    t("up.crs"),
    list(CRS_CHOICES),
    format_func=lambda c: t(f"up.crs_{c or 'file'}", lg),
    key=choice_key("upload_crs"),
)


def read_upload(name: str, data: bytes, kind: str, crs: str) -> tuple[SessionLayer, list[dict]]:
    """Read and validate the uploaded bytes in the bounded worker; raise InputError on any problem.

    Returns the layer and the reader's warnings (e.g. generated ids), file named as uploaded.
    """
    res = read_in_worker(data, name, kind, crs=crs or None)
    return SessionLayer(kind=kind, name=name, digest=digest(data, kind, crs), gdf=res.gdf), list(
        res.notices
    )


PENDING_KEY = "upload_pending"  # a checked layer waiting for the user's confirmation
DONE_KEY = "upload_done"  # features of the layer just confirmed (said once, after the rerun)
done = st.session_state.pop(DONE_KEY, None)
if done is not None:
    st.success(t("up.ok", n=done))
this_file = None if uploaded is None else (uploaded.file_id, kind, crs)
pending = st.session_state.get(PENDING_KEY)
if pending is not None and pending["file"] != this_file:  # another file, kind or system
    st.session_state.pop(PENDING_KEY, None)
    pending = None

if (
    st.button(t("up.apply"), type="primary", disabled=uploaded is None, key="upload_apply")
    and uploaded is not None  # the button is disabled without a file
):
    st.session_state.pop(PENDING_KEY, None)
    pending = None
    try:
        layer, notes = read_upload(uploaded.name, uploaded.getvalue(), kind, crs)
        outside = check_layer_area(base_dataset(), layer.gdf, file=uploaded.name)
    except Exception as exc:  # noqa: BLE001 - show the problem in words, never a traceback
        show_failure(exc, uploaded.name, "upload")
    else:
        pending = {"file": this_file, "layer": layer, "notes": notes, "outside": int(outside.sum())}
        st.session_state[PENDING_KEY] = pending


def _replacement_plan(layer: SessionLayer) -> str | None:
    """Say what the checked layer will replace and what stays; the amenity mode (or None)."""
    base = base_dataset()
    earlier = session_layers().get(layer.kind)
    if earlier is not None:
        st.caption(t("up.replaces_earlier", name=md_text(earlier.name)))
    if layer.kind == "communities":
        st.info(
            t(
                "up.plan_communities",
                n=len(base.communities),
                people=int(base.communities["population"].sum()),
                m=len(layer.gdf),
                people_new=int(layer.gdf["population"].sum()),
            )
        )
        return None
    std = session_standard()
    names = {c.id: category_name(c) for c in std.categories}
    cats = t("sep.list").join(names.get(c, c) for c in dict.fromkeys(layer.gdf["category"]))
    mode = st.radio(
        t("up.amenity_mode"),
        list(AMENITY_MODES),
        format_func=lambda m: t(f"up.mode_{m}", lg, cats=cats),
        key=choice_key("upload_amenity_mode"),
    )
    changes = amenity_changes(base.amenities, layer.gdf, mode)
    st.dataframe(
        {
            t("field.category"): [names.get(c, c) for c in changes["category"]],
            t("up.col_before"): changes["before"],
            t("up.col_uploaded"): changes["uploaded"],
            t("up.col_after"): changes["after"],
            t("up.col_change"): [t(f"up.change_{c}") for c in changes["change"]],
        },
        hide_index=True,
        height=38 + 35 * len(changes),  # every category in view, no inner scroll
        key="upload_changes",
    )
    empty = [
        names[c]
        for c in std.required_ids
        if c not in set(changes.loc[changes["after"] > 0, "category"])
    ]
    if empty:
        st.warning(t("up.required_empty", cats=t("sep.list").join(empty)))
    return mode


if pending is not None:
    layer = pending["layer"]
    st.subheader(t("up.check_title", name=md_text(layer.name), n=len(layer.gdf)))
    for note in pending["notes"]:
        show_notice(note, file_name=layer.name)
    if pending["outside"]:
        st.warning(t("up.some_outside", n=pending["outside"], total=len(layer.gdf)))
    mode = _replacement_plan(layer)
    c0, c1 = st.columns(2)
    if c0.button(t("up.confirm"), type="primary", key="upload_confirm"):
        set_session_layer(replace(layer, mode=mode or "all"), kind)
        st.session_state.pop(PENDING_KEY, None)
        st.session_state[DONE_KEY] = len(layer.gdf)
        st.rerun()  # draw the page as it now is, without the check
    elif c1.button(t("up.cancel"), key="upload_cancel"):
        st.session_state.pop(PENDING_KEY, None)
        st.rerun()

# -- what this session uses -------------------------------------------------------------------
st.subheader(t("up.current"))
layers = session_layers()
for k, current in layers.items():
    label = t(f"up.kind_{k}")
    st.write(
        f"**{label}**: "
        + (
            t("up.demo")
            if current is None
            else t("up.uploaded", name=md_text(current.name), n=len(current.gdf))
        )
    )

key, dataset = current_dataset()
synthetic_banner(dataset)
if any(v is not None for v in layers.values()):
    try:
        with st.spinner(t("cov.loading")):
            model = access_model(key, dataset)
    except InputError as exc:
        show_error(exc)
    else:
        n_out = len(model.unsnapped_community_ids)
        if n_out:
            st.info(t("cov.unsnapped", n=n_out, m=model.max_snap_distance_m))
    if st.button(t("up.reset"), key="upload_reset"):
        for k in layers:
            set_session_layer(None, k)
        st.rerun()
