"""Controls, result panels and maps of the officials' modes of 新店选址 (Streamlit glue).

See :mod:`gisplan.app.official`. Figures come from the result objects of
:mod:`gisplan.siting` (``summary()`` and tables), never recomputed here.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from gisplan.app.official import (
    AMENITY_COLOR,
    AREA_COLOR,
    AREA_KEY,
    CATEGORY_COLORS,
    CHANGED_COLOR,
    CLOSED_COLOR,
    LOST_COLOR,
    _area_layer,
    _cat_label,
    _map_bounds,
    area_control,
    download_bytes,
    frame_download,
    save_form,
)
from gisplan.app.widgets import solver_controls
from gisplan.catalogue import CircleStandard
from gisplan.crs import WGS84
from gisplan.i18n import category_name, solver_name, t
from gisplan.labels import synthetic_label
from gisplan.maps import add_area, add_site_points, standalone_html
from gisplan.maps.base import new_map
from gisplan.maps.elements import Legend, LegendItem
from gisplan.safetext import md_text

__all__ = [
    "area_metrics",
    "plan_controls",
    "plan_map",
    "show_plan_result",
    "closure_map",
    "show_closure_result",
]


def plan_controls(dataset, standard: CircleStandard, lang: str) -> dict | None:
    """Sidebar: area, sites per category, objective, candidates, method. Returns the params."""
    with st.sidebar:
        st.subheader(t("official.plan.sidebar"))
        choice = area_control(dataset, key=AREA_KEY)
        st.markdown(t("official.new_sites_per_format"))
        plan = {}

        def count(c: str) -> None:
            default = {"wet_market": 1, "supermarket": 1}.get(c, 0)
            n = st.number_input(_cat_label(standard, c, lang), 0, 20, default, 1, key=f"plan_n_{c}")
            if n:
                plan[c] = int(n)

        for c in standard.ids:
            if c in standard.required_ids:
                count(c)
        others = [c for c in standard.ids if c not in standard.required_ids]
        if others:
            with st.expander(t("official.other_formats")):
                for c in others:
                    count(c)
        objective = st.radio(
            t("site.objective"),
            ["complete", "population"],
            format_func=lambda v: {
                "complete": t("official.plan.objective_complete"),
                "population": t("official.plan.objective_population"),
            }[v],
            key="plan_objective",
        )
        weights = {}
        if objective == "population":
            for c in plan:
                weights[c] = float(
                    st.number_input(
                        t("official.plan.weight", name=category_name(standard[c])),
                        0.0,
                        10.0,
                        1.0,
                        0.5,
                        key=f"plan_w_{c}",
                    )
                )
        source = st.radio(
            t("site.candidate_sites"),
            ["grid", "commercial"],
            format_func=lambda v: {
                "grid": t("site.regular_grid"),
                "commercial": t("official.plan.source_commercial"),
            }[v],
            key="plan_source",
        )
        spacing = float(
            st.number_input(
                t("official.candidate_spacing_m"),
                20,
                1000,
                100 if source == "grid" else 50,
                10,
                key=f"plan_spacing_{source}",
            )
        )
        method, time_limit = solver_controls("plan_method", "plan_tl")
    if not plan:
        st.info(t("official.give_number_new_sites"))
        return None
    return {
        "plan": plan,
        "objective": objective,
        "weights": weights or None,
        "source": source,
        "spacing": spacing,
        "method": method,
        "time_limit": time_limit,
        "area": choice.area,
        "count_outside": choice.count_outside,
        "choice": choice,
    }


def area_metrics(summary: dict, standard: CircleStandard, lang: str) -> None:
    """Before/after for the area (or the whole data): complete circles and coverage."""
    block = summary.get("area")
    scope = (
        block["area"]
        if block
        else {
            "population": summary["total_population"],
            "categories": summary["categories"],
            "complete_circles_before": summary["complete_circles_before"],
            "complete_circles_after": summary["complete_circles_after"],
            "complete_population_before": summary["complete_population_before"],
            "complete_population_after": summary["complete_population_after"],
        }
    )
    pair = st.columns(2)
    pair[0].metric(
        t("site.complete_circles_before_after"),
        f"{scope['complete_circles_before']} → {scope['complete_circles_after']}",
    )
    gain = scope["complete_population_after"] - scope["complete_population_before"]
    pair[1].metric(
        t("official.residents_complete_circles"),
        f"{scope['complete_population_after']:,}",
        delta=f"{gain:+,}",
    )
    cols = st.columns(max(2, len(scope["categories"])))
    for col, (c, f) in zip(cols, scope["categories"].items(), strict=False):
        change = f["covered_population_after"] - f["covered_population_before"]
        col.metric(
            t("official.covered_population", name=category_name(standard[c])),
            f"{f['covered_population_after']:,}",
            delta=f"{change:+,}",
        )
    if block:
        out = block["outside"]
        parts = [
            f"{_cat_label(standard, c, lang)} {f['newly_served_population']:+,}"
            + (f" / -{f['lost_population']:,}" if f["lost_population"] else "")
            for c, f in out["categories"].items()
        ]
        head = (
            t("official.outside_area_not_objective")
            if block.get("objective_counts") == "area only"
            else t("official.outside_area")
        )
        st.caption(head + t("sep.clause", lang).join(parts))


def area_map(area, model, dataset, basemap, layer) -> tuple[folium.Map, list[LegendItem]]:
    """A map fitted to the area with its outline; the map and the legend items drawn so far.

    The map fits the area where it meets the data, else the data and ``layer``.
    """
    m = new_map(
        _map_bounds(area, model.communities, layer),
        basemap=basemap,
        attribution=[dataset.display_attribution()] if dataset.attribution else [],
        synthetic=dataset.synthetic,
        base_url="/app/static/vendor",
    )
    add_area(
        m,
        _area_layer(area),
        name=t("official.area.planning_area"),
        color=AREA_COLOR,
        fill_opacity=0.6,
    )
    items = [LegendItem(t("official.area.planning_area"), AREA_COLOR, "line")] if area else []
    return m, items


def plan_map(res, *, model, standard: CircleStandard, basemap, dataset, lang: str) -> folium.Map:
    """The area plan's map: the area, each new site and its walking service area.

    The legend names the area with the complete circles before → after.
    """
    from gisplan.access.service_area import service_area
    from gisplan.siting.plan import threshold_m

    s = res.summary()
    area, sites = res.area, res.sites
    cats = list(res.problem.categories)
    colors = {c: CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i, c in enumerate(cats)}

    m, items = area_map(area, model, dataset, basemap, sites)
    for c in cats:
        sel = sites[sites["category"] == c]
        pos = np.flatnonzero(res.problem.candidates.points["id"].isin(sel["id"]).to_numpy())
        sa = service_area(
            model.network, res.problem.candidates.snap.subset(pos), threshold_m(standard, c)
        )
        add_area(m, sa, name=standard[c].label, color=colors[c], fill_opacity=0.15)
        shown = sel.assign(format=_cat_label(standard, c, lang))
        add_site_points(
            m,
            shown,
            name=standard[c].label,
            fields=["rank", "format", "gain_population"],
            color=colors[c],
        )
        items.append(
            LegendItem(
                t("official.plan.new_sites_legend", name=category_name(standard[c])),
                colors[c],
                "circle",
            )
        )
    where = area.name if area is not None else t("official.area.kind_all")
    scope = s["area"]["area"] if area is not None else s
    note = t(
        "official.plan.legend_note",
        before=scope["complete_circles_before"],
        after=scope["complete_circles_after"],
        method=solver_name(s["method"], short=True),
    )
    Legend(t("official.plan.title", title=where), items, note=note).add_to(m)
    return m


def show_plan_result(run, *, user, model, standard, basemap, lang, dataset) -> None:
    """Figures, ranked sites, map with service areas, downloads and save form."""
    from gisplan.siting.export import joint_scenario_payload

    res = run["result"]
    s = res.summary()
    area = res.area
    title = md_text(area.name) if area is not None else t("official.area.kind_all")
    st.subheader(t("official.plan.title", title=title))
    if res.synthetic:
        st.caption(synthetic_label(lang))
    area_metrics(s, standard, lang)
    info = t(
        "official.plan.method_objective",
        method=solver_name(s["method"]),
        objective=s["greedy_objective"],
    )
    if s.get("exact_objective") is not None:
        info += t(
            "official.exact_objective_gap",
            exact_objective=s["exact_objective"],
            exact_status=s["exact_status"],
            gap=s["gap"],
        )
    st.caption(info)
    sites = res.sites
    if not len(sites):
        st.info(t("official.no_candidate_adds_anything"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("site.rank"): sites["rank"].astype(int),
                t("official.col.format"): [
                    _cat_label(standard, c, lang) for c in sites["category"]
                ],
                "id": sites["id"],
                t("site.people_newly_served"): sites["gain_population"].astype(int),
                t("site.lon"): sites["lon"],
                t("site.lat"): sites["lat"],
            }
        ),
        hide_index=True,
        key="plan_table",
    )

    def build() -> folium.Map:
        return plan_map(
            res, model=model, standard=standard, basemap=basemap, dataset=dataset, lang=lang
        )

    from gisplan.app.widgets import show_map

    show_map(build, key="plan_map", height=520)
    summary_text = dict(s)
    summary_text["area_name"] = area.name if area is not None else None
    d0, d1, d2 = st.columns(3)
    where = area.name if area is not None else t("official.area.kind_all")
    d2.download_button(
        t("official.download_report_offline_html"),
        lambda: standalone_html(build(), title=t("official.plan.title", title=where)),
        file_name="area_plan.html",
        mime="text/html",
        key="plan_dl_html",
    )
    d0.download_button(
        t("official.download_sites_geojson"),
        sites.to_crs(WGS84).to_json(drop_id=True, ensure_ascii=False).encode("utf-8"),
        file_name="sites.geojson",
        mime="application/geo+json",
        key="plan_dl_sites",
    )
    d1.download_button(
        t("official.download_summary_json"),
        download_bytes(summary_text),
        file_name="summary.json",
        mime="application/json",
        key="plan_dl_summary",
    )
    params = {k: v for k, v in run["params"].items() if k != "area"}
    params["within"] = area.name if area is not None else None
    save_form(
        lambda name: joint_scenario_payload(res, params, name=name), user=user, form_key="plan_save"
    )


def closure_map(
    *, model, shown, closed, result, area, standard, basemap, dataset, lang
) -> folium.Map:
    """Amenities of one category (clickable), the closed ones, and the affected communities."""
    amen = model.amenities
    closed_frame = amen[amen["id"].astype(str).isin(closed)]
    affected = None
    if result is not None and len(result.affected):
        pts = model.communities.set_index(model.communities["id"].astype(str)).geometry
        aff = result.affected.drop_duplicates("id").copy()
        affected = gpd.GeoDataFrame(
            aff, geometry=pts.reindex(aff["id"].astype(str)).values, crs=WGS84
        )
        affected["state"] = np.where(
            aff["lost"], t("official.closure.state_lost"), t("official.closure.state_changed")
        )
        affected["_c"] = np.where(aff["lost"], LOST_COLOR, CHANGED_COLOR)
    m, items = area_map(area, model, dataset, basemap, shown)
    if affected is not None:
        add_site_points(
            m,
            affected,
            name=t("official.affected_communities"),
            fields=["name", "population", "state"],
            color_column="_c",
            radius=6,
        )
        items.append(LegendItem(t("official.community_losing_coverage"), LOST_COLOR, "circle"))
        items.append(LegendItem(t("official.community_with_longer_walk"), CHANGED_COLOR, "circle"))
    open_ = shown[~shown["id"].astype(str).isin(closed)]
    add_site_points(
        m,
        open_,
        name=t("official.existing_amenities"),
        fields=["id", "name"],
        color=AMENITY_COLOR,
        radius=7,
    )
    items.append(LegendItem(t("official.existing_amenity_click_close"), AMENITY_COLOR, "circle"))
    if len(closed_frame):
        add_site_points(
            m,
            closed_frame,
            name=t("official.closure.closed_layer"),
            fields=["id", "name"],
            color=CLOSED_COLOR,
            radius=8,
        )
        items.append(LegendItem(t("official.closure.closed_legend"), CLOSED_COLOR, "circle"))
    if result is not None and len(result.opened):
        add_site_points(
            m,
            result.opened,
            name=t("official.closure.new_site"),
            fields=["name"],
            color="#1f77b4",
            radius=8,
        )
        items.append(LegendItem(t("official.closure.new_site"), "#1f77b4", "circle"))
    Legend(t("official.closure.legend"), items).add_to(m)
    return m


def show_closure_result(result, *, user, model, standard, area, lang, dataset, relocate) -> None:
    """People losing coverage, before/after for the area, the affected communities, exports."""
    from gisplan.siting.closure import closure_geometry
    from gisplan.siting.export import closure_scenario_payload

    s = result.summary()
    title = md_text(area.name) if area is not None else t("official.area.kind_all")
    st.subheader(t("official.effect_closure", title=title))
    if result.synthetic:
        st.caption(synthetic_label(lang))
    c = st.columns(3)
    c[0].metric(t("official.people_losing_coverage"), f"{s['people_losing']:,}")
    c[1].metric(t("official.communities_losing_coverage"), f"{s['communities_losing']:,}")
    c[2].metric(
        t("site.complete_circles_before_after"),
        f"{s['complete_circles_before']} → {s['complete_circles_after']}",
    )
    if area is not None:
        st.markdown(t("official.inside_planning_area"))
        area_metrics(s, standard, lang)
    a = result.affected
    if len(a):
        st.dataframe(
            pd.DataFrame(
                {
                    t("official.col.community"): a["name"],
                    "id": a["id"],
                    t("field.population"): a["population"],
                    t("official.col.format"): [
                        _cat_label(standard, x, lang) for x in a["category"]
                    ],
                    t("official.col.loses_coverage"): a["lost"],
                    t("official.col.before_min"): a["minutes_before"],
                    t("official.col.after_min"): a["minutes_after"],
                    t("official.col.nearest_alternative"): a["alternative_name"],
                    t("official.col.completeness_before"): a["completeness_before"].round(2),
                    t("official.col.completeness_after"): a["completeness_after"].round(2),
                }
            ),
            hide_index=True,
            key="closure_table",
        )
    else:
        st.info(t("official.no_community_walking_time"))
    d0, d1, d2 = st.columns(3)
    d0.download_button(
        t("official.download_affected_communities_csv"),
        frame_download(a) if len(a) else b"",
        file_name="affected.csv",
        mime="text/csv",
        key="closure_dl_csv",
    )
    d1.download_button(
        t("official.download_affected_communities_geojson"),
        closure_geometry(result, model).to_json(drop_id=True, ensure_ascii=False).encode("utf-8"),
        file_name="affected.geojson",
        mime="application/geo+json",
        key="closure_dl_geojson",
    )
    summary = dict(s)
    summary["area_name"] = area.name if area is not None else None
    d2.download_button(
        t("official.download_summary_json"),
        download_bytes(summary),
        file_name="summary.json",
        mime="application/json",
        key="closure_dl_summary",
    )
    params = {"within": area.name if area is not None else None, "relocation": bool(relocate)}
    save_form(
        lambda name: closure_scenario_payload(result, params, name=name),
        user=user,
        form_key="closure_save",
    )
