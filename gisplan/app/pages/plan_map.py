"""商圈与步行街地图 (public, read-only): the plan's layers and progress towards the 2025 targets."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gisplan.app.state import (
    access_model,
    current_dataset,
    embedded_layers,
    lang,
)
from gisplan.app.widgets import (
    basemap_control,
    basemap_key,
    show_map,
)
from gisplan.catalogue import default_standard
from gisplan.i18n import t
from gisplan.maps import plan_map
from gisplan.report.targets import plan_progress
from gisplan.safetext import md_text

lg = lang()
st.title(t("page.plan_map"))
st.caption(t("plan.intro"))

basemap = basemap_control("plan_basemap")
layers = embedded_layers()
show_map(
    lambda: plan_map(
        layers["counties"],
        layers["districts"],
        layers["streets"],
        places=layers["places"],
        basemap=basemap,
        tianditu_key=basemap_key(basemap),
        lang=lg,
    ),
    key="plan_map",
    height=520,
)

st.subheader(t("plan.progress"))
cols = st.columns(5)


def show_target(col, p) -> None:
    """One target: the current figure, the plan's target and where the figure comes from."""
    with col:
        st.metric(
            t(f"target.{p.key}"),
            f"{p.value:.1%}" if p.share else f"{p.value:.0f}",
            delta=f"{t('target.goal')} {p.target:.0%}"
            if p.share
            else f"{t('target.goal')} {p.target:.0f}+",
            delta_color="normal" if p.met else "off",
            delta_arrow="off",
            border=True,
        )
        st.caption(f"{t('target.from_layer')}: {md_text(p.layer)}")


for col, p in zip(cols, plan_progress(layers["streets"], layers["districts"]), strict=False):
    show_target(col, p)
st.caption(t("target.note_streets"))

# The circle and recycling figures need the walking network (built once, then cached).
with st.spinner(t("cov.loading")):
    key, dataset = current_dataset()
    standard = default_standard()
    result = access_model(key, dataset).coverage(standard)
full = plan_progress(
    layers["streets"],
    layers["districts"],
    result,
    dataset_label=dataset.label,
    synthetic=dataset.synthetic,
)
for col, p in zip(cols[3:], full[3:], strict=False):
    show_target(col, p)

with st.expander(f"{t('layer.streets')} · {t('layer.districts')}"):
    s = layers["streets"]
    st.dataframe(
        pd.DataFrame(
            {
                t("field.name"): s["name_zh"] + " " + s["name_en"],
                t("field.level"): s["level"].map(lambda v: t(f"level.{v}")),
                t("field.status"): s["status"].map(lambda v: t(f"status.{v}")),
                t("field.county"): s["county"],
            }
        ),
        hide_index=True,
    )
    d = layers["districts"]
    st.dataframe(
        pd.DataFrame(
            {
                t("field.name"): d["name_zh"] + " " + d["name_en"],
                t("field.counties"): d["counties"],
                t("field.status"): d["status"].map(lambda v: t(f"status.{v}")),
                t("field.positioning"): d["positioning_en"] if lg == "en" else d["positioning"],
            }
        ),
        hide_index=True,
    )
    st.caption(t("approximate") + " · " + t("data.source") + ": data/geo/SOURCES.md")
