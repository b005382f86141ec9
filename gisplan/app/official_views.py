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

from gisplan.app.auth import tr
from gisplan.app.official import (
    AMENITY_COLOR,
    AREA_COLOR,
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
from gisplan.catalogue import CircleStandard
from gisplan.crs import WGS84
from gisplan.labels import SYNTHETIC_LABEL
from gisplan.maps import add_area, add_site_points, standalone_html
from gisplan.maps.base import new_map
from gisplan.maps.elements import Legend, LegendItem
from gisplan.safetext import md_text

__all__ = [
    "plan_controls",
    "plan_map",
    "show_plan_result",
    "closure_map",
    "show_closure_result",
]


def plan_controls(dataset, standard: CircleStandard, lang: str) -> dict | None:
    """Sidebar: area, sites per category, objective, candidates, method. Returns the params."""
    with st.sidebar:
        st.subheader(tr("区域多业态方案", "Area plan"))
        area, count_outside = area_control(dataset, key="plan_area")
        st.markdown(tr("**各业态新店数量**", "**New sites per format**"))
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
            with st.expander(tr("其他业态", "Other formats")):
                for c in others:
                    count(c)
        objective = st.radio(
            tr("目标", "Objective"),
            ["complete", "population"],
            format_func=lambda v: {
                "complete": tr("生活圈变为完整的居民", "residents whose circle becomes complete"),
                "population": tr(
                    "各业态新增服务人口（加权）", "people newly served per format (weighted)"
                ),
            }[v],
            key="plan_objective",
        )
        weights = {}
        if objective == "population":
            for c in plan:
                weights[c] = float(
                    st.number_input(
                        tr(f"权重：{standard[c].name_zh}", f"Weight: {standard[c].name_en}"),
                        0.0,
                        10.0,
                        1.0,
                        0.5,
                        key=f"plan_w_{c}",
                    )
                )
        source = st.radio(
            tr("候选点来源", "Candidate sites"),
            ["grid", "commercial"],
            format_func=lambda v: {
                "grid": tr("规则网格", "regular grid"),
                "commercial": tr("商业街道", "commercial streets"),
            }[v],
            key="plan_source",
        )
        spacing = float(
            st.number_input(
                tr("候选点间距（米）", "Candidate spacing (m)"),
                20,
                1000,
                100 if source == "grid" else 50,
                10,
                key=f"plan_spacing_{source}",
            )
        )
        method = st.radio(
            tr("求解方法", "Method"),
            ["greedy", "exact"],
            format_func=lambda v: {
                "greedy": tr("贪心（快速）", "greedy (fast)"),
                "exact": tr("精确（HiGHS 整数规划）", "exact (HiGHS MILP)"),
            }[v],
            key="plan_method",
        )
        time_limit = 60.0
        if method == "exact":
            time_limit = float(
                st.number_input(
                    tr("时间上限（秒）", "Time limit (s)"), 1, 600, 60, 1, key="plan_tl"
                )
            )
    if not plan:
        st.info(
            tr(
                "请在左侧填写至少一个业态的新店数量。",
                "Give a number of new sites for at least one format in the sidebar.",
            )
        )
        return None
    return {
        "plan": plan,
        "objective": objective,
        "weights": weights or None,
        "source": source,
        "spacing": spacing,
        "method": method,
        "time_limit": time_limit,
        "area": area,
        "count_outside": count_outside,
    }


def _area_metrics(summary: dict, standard: CircleStandard, lang: str) -> None:
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
    cols = st.columns(2)
    cols[0].metric(
        tr("达标社区（之前 → 之后）", "Complete circles (before → after)"),
        f"{scope['complete_circles_before']} → {scope['complete_circles_after']}",
    )
    gain = scope["complete_population_after"] - scope["complete_population_before"]
    cols[1].metric(
        tr("达标居民", "Residents in complete circles"),
        f"{scope['complete_population_after']:,}",
        delta=f"{gain:+,}",
    )
    cols = st.columns(max(2, len(scope["categories"])))
    for col, (c, f) in zip(cols, scope["categories"].items(), strict=False):
        change = f["covered_population_after"] - f["covered_population_before"]
        col.metric(
            tr(f"{standard[c].name_zh}覆盖人口", f"{standard[c].name_en}: covered"),
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
            tr("区外（不计入目标）：", "Outside the area (not in the objective): ")
            if block.get("objective_counts") == "area only"
            else tr("区外：", "Outside the area: ")
        )
        st.caption(head + ("；".join(parts) if lang == "zh" else "; ".join(parts)))


def area_map(area, model, dataset, basemap, layer) -> tuple[folium.Map, list[LegendItem]]:
    """A map fitted to the area where it meets the data (else the data and ``layer``), with
    the area's outline; returns the map and the legend items drawn so far."""
    m = new_map(
        _map_bounds(area, model.communities, layer),
        basemap=basemap,
        attribution=[dataset.attribution] if dataset.attribution else [],
        synthetic=dataset.synthetic,
        base_url="/app/static/vendor",
    )
    add_area(
        m,
        _area_layer(area),
        name=tr("规划范围", "Planning area"),
        color=AREA_COLOR,
        fill_opacity=0.6,
    )
    items = [LegendItem(tr("规划范围", "Planning area"), AREA_COLOR, "line")] if area else []
    return m, items


def plan_map(res, *, model, standard: CircleStandard, basemap, dataset, lang: str) -> folium.Map:
    """The area plan's map: the area, each new site and its walking service area, a legend
    naming the area with the complete circles before → after."""
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
                tr(
                    f"{standard[c].name_zh}新店及服务范围",
                    f"New {standard[c].name_en} and its area",
                ),
                colors[c],
                "circle",
            )
        )
    where = area.name if area is not None else tr("全部数据", "whole dataset")
    scope = s["area"]["area"] if area is not None else s
    method_zh = {"greedy": "贪心", "exact": "精确"}.get(s["method"], s["method"])
    note = tr(
        f"达标社区 {scope['complete_circles_before']} → {scope['complete_circles_after']}；"
        f"方法 {method_zh}",
        f"Complete circles {scope['complete_circles_before']} → "
        f"{scope['complete_circles_after']}; method {s['method']}",
    )
    Legend(tr(f"区域方案：{where}", f"Area plan: {where}"), items, note=note).add_to(m)
    return m


def show_plan_result(run, *, user, model, standard, basemap, lang, dataset) -> None:
    """Figures, ranked sites, map with service areas, downloads and save form."""
    from gisplan.siting.export import joint_scenario_payload

    res = run["result"]
    s = res.summary()
    area = res.area
    title = md_text(area.name) if area is not None else tr("全部数据", "whole dataset")
    st.subheader(tr(f"区域方案：{title}", f"Area plan: {title}"))
    if res.synthetic:
        st.caption(SYNTHETIC_LABEL)
    _area_metrics(s, standard, lang)
    method_zh = {"greedy": "贪心", "exact": "精确（HiGHS）"}.get(s["method"], s["method"])
    info = tr(
        f"方法：{method_zh}；贪心目标 {s['greedy_objective']:,}",
        f"Method: {s['method']}; greedy objective {s['greedy_objective']:,}",
    )
    if s.get("exact_objective") is not None:
        info += tr(
            f"；精确目标 {s['exact_objective']:,}（{s['exact_status']}）；差距 {s['gap']:.2%}",
            f"; exact objective {s['exact_objective']:,} ({s['exact_status']}); gap {s['gap']:.2%}",
        )
    st.caption(info)
    sites = res.sites
    if not len(sites):
        st.info(tr("没有能增加覆盖的候选点。", "No candidate adds anything."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                tr("序号", "Rank"): sites["rank"].astype(int),
                tr("业态", "Format"): [_cat_label(standard, c, lang) for c in sites["category"]],
                "id": sites["id"],
                tr("新增服务人口", "People newly served"): sites["gain_population"].astype(int),
                tr("经度", "Lon"): sites["lon"],
                tr("纬度", "Lat"): sites["lat"],
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
    where = area.name if area is not None else tr("全部数据", "whole dataset")
    d2.download_button(
        tr("下载报告（离线 HTML 地图）", "Download report (offline HTML map)"),
        lambda: standalone_html(build(), title=tr(f"区域方案：{where}", f"Area plan: {where}")),
        file_name="area_plan.html",
        mime="text/html",
        key="plan_dl_html",
    )
    d0.download_button(
        tr("下载选址 GeoJSON", "Download sites (GeoJSON)"),
        sites.to_crs(WGS84).to_json(drop_id=True, ensure_ascii=False).encode("utf-8"),
        file_name="sites.geojson",
        mime="application/geo+json",
        key="plan_dl_sites",
    )
    d1.download_button(
        tr("下载摘要 JSON", "Download summary (JSON)"),
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
            aff["lost"], tr("失去覆盖", "loses coverage"), tr("步行时间变化", "walk time changed")
        )
        affected["_c"] = np.where(aff["lost"], LOST_COLOR, CHANGED_COLOR)
    m, items = area_map(area, model, dataset, basemap, shown)
    if affected is not None:
        add_site_points(
            m,
            affected,
            name=tr("受影响社区", "Affected communities"),
            fields=["name", "population", "state"],
            color_column="_c",
            radius=6,
        )
        items.append(
            LegendItem(tr("失去覆盖的社区", "Community losing coverage"), LOST_COLOR, "circle")
        )
        items.append(
            LegendItem(
                tr("步行时间变长的社区", "Community with a longer walk"), CHANGED_COLOR, "circle"
            )
        )
    open_ = shown[~shown["id"].astype(str).isin(closed)]
    add_site_points(
        m,
        open_,
        name=tr("现有网点", "Existing amenities"),
        fields=["id", "name"],
        color=AMENITY_COLOR,
        radius=7,
    )
    items.append(
        LegendItem(
            tr("现有网点（点击关闭）", "Existing amenity (click to close)"), AMENITY_COLOR, "circle"
        )
    )
    if len(closed_frame):
        add_site_points(
            m,
            closed_frame,
            name=tr("关闭的网点", "Closed"),
            fields=["id", "name"],
            color=CLOSED_COLOR,
            radius=8,
        )
        items.append(
            LegendItem(
                tr("关闭的网点（点击恢复）", "Closed (click to reopen)"), CLOSED_COLOR, "circle"
            )
        )
    if result is not None and len(result.opened):
        add_site_points(
            m,
            result.opened,
            name=tr("新址", "New site"),
            fields=["name"],
            color="#1f77b4",
            radius=8,
        )
        items.append(LegendItem(tr("新址", "New site"), "#1f77b4", "circle"))
    Legend(tr("网点关闭", "Closures"), items).add_to(m)
    return m


def show_closure_result(result, *, user, model, standard, area, lang, dataset, relocate) -> None:
    """People losing coverage, before/after for the area, the affected communities, exports."""
    from gisplan.siting.closure import closure_geometry
    from gisplan.siting.export import closure_scenario_payload

    s = result.summary()
    title = md_text(area.name) if area is not None else tr("全部数据", "whole dataset")
    st.subheader(tr(f"关闭影响：{title}", f"Effect of the closure: {title}"))
    if result.synthetic:
        st.caption(SYNTHETIC_LABEL)
    c = st.columns(3)
    c[0].metric(tr("失去覆盖的人口", "People losing coverage"), f"{s['people_losing']:,}")
    c[1].metric(tr("失去覆盖的社区", "Communities losing coverage"), f"{s['communities_losing']:,}")
    c[2].metric(
        tr("达标社区（之前 → 之后）", "Complete circles (before → after)"),
        f"{s['complete_circles_before']} → {s['complete_circles_after']}",
    )
    if area is not None:
        st.markdown(tr("**规划范围内**", "**Inside the planning area**"))
        _area_metrics(s, standard, lang)
    a = result.affected
    if len(a):
        st.dataframe(
            pd.DataFrame(
                {
                    tr("社区", "Community"): a["name"],
                    "id": a["id"],
                    tr("人口", "Population"): a["population"],
                    tr("业态", "Format"): [_cat_label(standard, x, lang) for x in a["category"]],
                    tr("失去覆盖", "Loses coverage"): a["lost"],
                    tr("之前（分钟）", "Before (min)"): a["minutes_before"],
                    tr("之后（分钟）", "After (min)"): a["minutes_after"],
                    tr("最近替代网点", "Nearest alternative"): a["alternative_name"],
                    tr("完整度之前", "Completeness before"): a["completeness_before"].round(2),
                    tr("完整度之后", "Completeness after"): a["completeness_after"].round(2),
                }
            ),
            hide_index=True,
            key="closure_table",
        )
    else:
        st.info(tr("没有社区的步行时间因此改变。", "No community's walking time changes."))
    d0, d1, d2 = st.columns(3)
    d0.download_button(
        tr("下载受影响社区 CSV", "Download affected communities (CSV)"),
        frame_download(a) if len(a) else b"",
        file_name="affected.csv",
        mime="text/csv",
        key="closure_dl_csv",
    )
    d1.download_button(
        tr("下载受影响社区 GeoJSON", "Download affected communities (GeoJSON)"),
        closure_geometry(result, model).to_json(drop_id=True, ensure_ascii=False).encode("utf-8"),
        file_name="affected.geojson",
        mime="application/geo+json",
        key="closure_dl_geojson",
    )
    summary = dict(s)
    summary["area_name"] = area.name if area is not None else None
    d2.download_button(
        tr("下载摘要 JSON", "Download summary (JSON)"),
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
