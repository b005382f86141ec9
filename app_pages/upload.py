"""数据上传: replace the sample community or amenity layer for this session only.

Files are validated by :mod:`gisplan.io.layers`; problems are shown as the InputError text
(file, field, row and a hint), never as a traceback.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path

import streamlit as st

from gisplan.errors import InputError
from gisplan.i18n import t
from gisplan.io.layers import read_amenities, read_communities
from gisplan.maps.app_support import (
    MAX_UPLOAD_MB,
    SessionLayer,
    access_model,
    current_dataset,
    digest,
    session_layers,
    set_session_layer,
    synthetic_banner,
)

CRS_CHOICES = {
    "": "up.crs_file",
    "wgs84": "WGS-84 (GPS / OpenStreetMap, EPSG:4326)",
    "cgcs2000": "CGCS2000 (天地图 Tianditu, EPSG:4490)",
    "gcj02": "GCJ-02 (高德 Amap / 腾讯 Tencent)",
    "bd09": "BD-09 (百度 Baidu)",
}

st.title(t("page.upload"))
st.caption(t("up.intro"))

kind = st.radio(
    t("up.kind"),
    ["communities", "amenities"],
    format_func=lambda k: t(f"up.kind_{k}", "zh") + " " + t(f"up.kind_{k}", "en"),
    key="upload_kind",
    horizontal=True,
)
st.caption(f"{t('up.schema')}: {t(f'up.schema_{kind}')}")
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


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w.\-]+", "_", Path(name).name, flags=re.UNICODE).strip("._") or "upload"
    return stem


def read_upload(name: str, data: bytes, kind: str, crs: str) -> tuple[SessionLayer, list[str]]:
    """Validate the uploaded bytes with gisplan.io.layers; raise InputError on any problem.

    Returns the layer and the reader's warnings (e.g. generated ids), file named as uploaded.
    """
    size_mb = len(data) / 1e6
    if size_mb > MAX_UPLOAD_MB:
        raise InputError(t("up.too_large", size=size_mb, limit=MAX_UPLOAD_MB), file=name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / _safe_name(name)
        path.write_bytes(data)
        reader = read_communities if kind == "communities" else read_amenities

        def as_uploaded(text: str) -> str:
            # Name the file as the user knows it, not by its temporary path.
            return text.replace(str(path), name).replace(tmp + "/", "")

        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                gdf = reader(path, crs=crs or None)
        except InputError as exc:
            raise InputError(as_uploaded(str(exc))) from None
        notes = [as_uploaded(str(w.message)) for w in caught if issubclass(w.category, UserWarning)]
    return SessionLayer(kind=kind, name=name, digest=digest(data, kind, crs), gdf=gdf), notes


if st.button(t("up.apply"), type="primary", disabled=uploaded is None, key="upload_apply"):
    try:
        layer, notes = read_upload(uploaded.name, uploaded.getvalue(), kind, crs)
    except InputError as exc:
        st.error(str(exc))
    except Exception as exc:  # noqa: BLE001 - show the problem, never a traceback
        st.error(f"{uploaded.name}: {type(exc).__name__}: {exc}")
    else:
        set_session_layer(layer, kind)
        st.success(t("up.ok", n=len(layer.gdf)))
        for note in notes:
            st.warning(note)

# -- what this session uses -------------------------------------------------------------------
st.subheader(t("up.current"))
layers = session_layers()
for k, layer in layers.items():
    label = t(f"up.kind_{k}")
    st.write(
        f"**{label}**: "
        + (t("up.demo") if layer is None else t("up.uploaded", name=layer.name, n=len(layer.gdf)))
    )

key, dataset = current_dataset()
synthetic_banner(dataset)
if any(v is not None for v in layers.values()):
    try:
        with st.spinner(t("cov.loading")):
            model = access_model(key, dataset)
    except InputError as exc:
        st.error(str(exc))
    else:
        n_out = len(model.unsnapped_community_ids)
        if n_out:
            st.info(t("cov.unsnapped", n=n_out, m=model.max_snap_distance_m))
    if st.button(t("up.reset"), key="upload_reset"):
        for k in layers:
            set_session_layer(None, k)
        st.rerun()
