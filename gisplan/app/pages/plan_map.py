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


def show_target(col, p, *, synthetic: bool = False) -> None:
    """One target: the figure, the plan's target and where the figure comes from.

    A figure computed on synthetic data is never shown as met (no green) and says it is a
    synthetic sample; a figure that is not available says why.
    """
    goal = (
        f"{t('target.goal')} {p.target:.0%}" if p.share else f"{t('target.goal')} {p.target:.0f}+"
    )
    label = t(f"target.{p.key}")
    if synthetic:
        label = t("fmt.paren", text=label, note=t("target.synthetic_tag"))
        goal = f"{goal} · {t('target.not_progress')}"
    with col:
        st.metric(
            label,
            p.value_text(),
            delta=goal,
            delta_color="normal" if (p.met and not synthetic) else "off",
            delta_arrow="off",
            border=True,
        )
        if not p.available:
            st.caption(t("target.circles_na"))
        else:
            # Embedded layers by their source's title; a dataset by its (user-given) name.
            source = t(f"source.{p.layer}") if p.layer.startswith("embedded:") else p.layer
            st.caption(f"{t('target.from_layer')}: {md_text(source)}")


layer_cols = st.columns(3)
for col, p in zip(layer_cols, plan_progress(layers["streets"], layers["districts"]), strict=False):
    show_target(col, p)
st.caption(t("target.note_streets"))

# The circle and recycling figures need the walking network (built once, then cached).
with st.spinner(t("cov.loading")):
    key, dataset = current_dataset()
    standard = default_standard()
    result = access_model(key, dataset).coverage(standard)
data_targets = plan_progress(
    layers["streets"],
    layers["districts"],
    result,
    dataset_label=dataset.display_name(lg),
    synthetic=dataset.synthetic,
)[3:]
circles = result.circle_coverage()
with st.container(border=True):
    if dataset.synthetic:
        # Issue 11 item 2: the public must never read a synthetic figure as Ningbo's progress.
        st.warning(t("target.synthetic_title"))
        st.caption(t("target.synthetic_note"))
    else:
        st.markdown(t("target.real_title", name=md_text(dataset.name)))
    data_cols = st.columns(3)
    for col, p in zip(data_cols, data_targets, strict=False):
        show_target(col, p, synthetic=dataset.synthetic)
    if circles is not None:
        st.caption(
            t(
                "target.circles_of",
                total=circles.total,
                complete=circles.complete_count,
                level=f"{circles.level:.0%}",
            )
        )

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
    st.caption(t("approximate") + " · " + t("data.source") + ": " + t("plan.sources"))
