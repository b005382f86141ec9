"""数据上传 (signed-in planners / officials): replace the sample layers for this session only.

Files are read by :func:`gisplan.io.upload.read_upload` in a worker process with time,
memory, feature and vertex limits (``SECURITY.md``) and validated by :mod:`gisplan.io.layers`;
problems are shown as the InputError text (file, field, row and a hint), never as a traceback.
Text from the file is shown as text (:func:`gisplan.safetext.md_text`).
"""

from __future__ import annotations

import logging

import streamlit as st

from gisplan.app.auth import require_ui
from gisplan.app.state import (
    SessionLayer,
    access_model,
    current_dataset,
    digest,
    keep_uploaded_dataset,
    session_layers,
    set_session_layer,
)
from gisplan.app.widgets import (
    synthetic_banner,
)
from gisplan.errors import InputError
from gisplan.i18n import t
from gisplan.io.upload import read_upload as read_in_worker
from gisplan.safetext import md_text

CRS_CHOICES = {
    "": "up.crs_file",
    "wgs84": "WGS-84 (GPS / OpenStreetMap, EPSG:4326)",
    "cgcs2000": "CGCS2000 (天地图 Tianditu, EPSG:4490)",
    "gcj02": "GCJ-02 (高德 Amap / 腾讯 Tencent)",
    "bd09": "BD-09 (百度 Baidu)",
}

st.title(t("page.upload"))
st.caption(t("up.intro"))
# Uploads need a signed-in planner or official (checked server-side on every run).
if require_ui("upload") is None:
    st.stop()

kind = st.radio(
    t("up.kind"),
    ["communities", "amenities", "dataset"],
    format_func=lambda k: t(f"up.kind_{k}", "zh") + " " + t(f"up.kind_{k}", "en"),
    key="upload_kind",
    horizontal=True,
)
st.caption(f"{t('up.schema')}: {t(f'up.schema_{kind}')}")
if kind == "dataset":
    # A prepared dataset (gisplan prepare): checked whole in the bounded worker, then offered
    # in this session's dataset picker (sidebar); every page then works on it.
    prepared = st.file_uploader(t("up.file"), type=["gpkg"], key="upload_file_dataset")
    if st.button(
        t("up.open_dataset"), type="primary", disabled=prepared is None, key="upload_dataset"
    ):
        try:
            with st.spinner(t("up.checking_dataset")):
                res = read_in_worker(prepared.getvalue(), prepared.name, "dataset")
                facts = dict(res.layers["communities"].attrs)
                entry = keep_uploaded_dataset(prepared.getvalue(), facts)
        except InputError as exc:
            st.error(md_text(str(exc)))
        except Exception:  # noqa: BLE001 - show the problem in words, never a traceback
            logging.getLogger(__name__).exception("dataset upload of %r failed", prepared.name)
            st.error(md_text(t("up.failed", name=prepared.name)))
        else:
            st.success(
                t(
                    "up.dataset_ok",
                    name=md_text(entry.name),
                    communities=facts.get("communities", 0),
                    amenities=facts.get("amenities", 0),
                )
            )
            st.rerun()
    st.stop()
uploaded = st.file_uploader(
    t("up.file"), type=["geojson", "json", "gpkg", "zip", "csv"], key=f"upload_file_{kind}"
)
crs = st.selectbox(
    t("up.crs"),
    list(CRS_CHOICES),
    format_func=lambda c: (
        (t(CRS_CHOICES[c], "zh") + " / " + t(CRS_CHOICES[c], "en")) if c == "" else CRS_CHOICES[c]
    ),
    key="upload_crs",
)


def read_upload(name: str, data: bytes, kind: str, crs: str) -> tuple[SessionLayer, list[str]]:
    """Read and validate the uploaded bytes in the bounded worker; raise InputError on any problem.

    Returns the layer and the reader's warnings (e.g. generated ids), file named as uploaded.
    """
    res = read_in_worker(data, name, kind, crs=crs or None)
    return SessionLayer(kind=kind, name=name, digest=digest(data, kind, crs), gdf=res.gdf), list(
        res.warnings
    )


if st.button(t("up.apply"), type="primary", disabled=uploaded is None, key="upload_apply"):
    try:
        layer, notes = read_upload(uploaded.name, uploaded.getvalue(), kind, crs)
    except InputError as exc:
        st.error(md_text(str(exc)))
    except Exception:  # noqa: BLE001 - show the problem in words, never a traceback
        logging.getLogger(__name__).exception("upload of %r failed", uploaded.name)
        st.error(md_text(t("up.failed", name=uploaded.name)))
    else:
        set_session_layer(layer, kind)
        st.success(t("up.ok", n=len(layer.gdf)))
        for note in notes:
            st.warning(md_text(note))

# -- what this session uses -------------------------------------------------------------------
st.subheader(t("up.current"))
layers = session_layers()
for k, layer in layers.items():
    label = t(f"up.kind_{k}")
    st.write(
        f"**{label}**: "
        + (
            t("up.demo")
            if layer is None
            else t("up.uploaded", name=md_text(layer.name), n=len(layer.gdf))
        )
    )

key, dataset = current_dataset()
synthetic_banner(dataset)
if any(v is not None for v in layers.values()):
    try:
        with st.spinner(t("cov.loading")):
            model = access_model(key, dataset)
    except InputError as exc:
        st.error(md_text(str(exc)))
    else:
        n_out = len(model.unsnapped_community_ids)
        if n_out:
            st.info(t("cov.unsnapped", n=n_out, m=model.max_snap_distance_m))
    if st.button(t("up.reset"), key="upload_reset"):
        for k in layers:
            set_session_layer(None, k)
        st.rerun()
