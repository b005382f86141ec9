"""新店选址 (planners / officials): maximal covering siting, what-if, save as a scenario.

Thin page: the analysis is :mod:`gisplan.siting` on the cached dataset and access model the
coverage page uses (:func:`gisplan.app.state.current_dataset` / ``access_model``).
The role is checked on every run (:func:`gisplan.app.auth.require_ui`).
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from gisplan.app.auth import require_ui, scenario_store, tr
from gisplan.app.official import MODES, area_plan_page, closure_page, mode_label
from gisplan.app.standard import session_standard, standard_caption
from gisplan.app.state import (
    access_model,
    current_dataset,
    lang,
    network_context,
)
from gisplan.app.widgets import (
    basemap_control,
    basemap_key,
    show_map,
    synthetic_banner,
)
from gisplan.coords import gcj02_to_wgs84
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.i18n import category_label
from gisplan.io.upload import read_upload
from gisplan.labels import SYNTHETIC_LABEL
from gisplan.maps.coverage import coverage_base, coverage_overlays
from gisplan.maps.elements import Legend, LegendItem
from gisplan.maps.palette import SITE_STYLES, WHATIF_COLOR
from gisplan.maps.siting_layers import (
    SingleClickOnly,
    area_layer,
    newly_served_rings,
    site_diamonds,
)
from gisplan.safetext import md_text
from gisplan.siting import (
    make_candidates,
    plan_sites,
    scenario_payload_with_manual,
    what_if,
)
from gisplan.siting.after import chosen_service_area, coverage_after, newly_served
from gisplan.store import ScenarioExists, ScenarioRecord

RESULT_KEY = "siting_result"  # {"key", "params", "result"} of the last run in this session
MANUAL_KEY = "siting_manual"  # hand-placed what-if sites: list of dicts

lg = lang()
st.title(tr("新店选址", "Site selection"))
st.caption(
    tr(
        "最大覆盖选址：在候选点中选出 k 个新店位置，使新增步行可达人口（或新达标社区）最多。"
        "现有设施视为已开业。",
        "Maximal covering siting: choose k new sites among candidates to serve the most people "
        "newly (or complete the most circles). Existing amenities count as open.",
    )
)

user = require_ui("siting")
if user is None:
    st.stop()

# The session's standard (speed, thresholds, required set), as set on the coverage page.
base = session_standard()

# -- officials' modes: a planning area with several formats, or closures ---------------------
with st.sidebar:
    mode = st.radio(tr("选址方式", "Mode"), MODES, format_func=mode_label, key="siting_mode")
if mode != "single":
    with st.sidebar:
        official_basemap = basemap_control("official_basemap")
    official_key, official_dataset = current_dataset()
    with st.spinner(
        tr("正在构建步行网络与距离（仅首次）……", "Building the network (first time only)…")
    ):
        official_model = access_model(official_key, official_dataset)
    synthetic_banner(official_dataset)
    standard_caption(base)
    (area_plan_page if mode == "plan" else closure_page)(
        user=user,
        key=official_key,
        dataset=official_dataset,
        model=official_model,
        standard=base,
        basemap=official_basemap,
        lang=lg,
    )
    st.stop()


def cat_label(cid: str) -> str:
    return category_label(base[cid], lg)


# -- controls (sidebar) ----------------------------------------------------------------------
with st.sidebar:
    st.subheader(tr("选址设置", "Siting"))
    category = st.selectbox(
        tr("业态类别", "Category"),
        base.ids,
        index=base.ids.index("supermarket") if "supermarket" in base.ids else 0,
        format_func=cat_label,
        key="siting_category",
    )
    k = int(st.number_input(tr("新店数量 k", "New sites k"), 1, 50, 3, 1, key="siting_k"))
    objective = st.radio(
        tr("目标", "Objective"),
        ["population", "complete"],
        format_func=lambda v: {
            "population": tr("新增服务人口", "people newly served"),
            "complete": tr("新达标社区（完整生活圈）", "communities completing the circle"),
        }[v],
        key="siting_objective",
    )
    source = st.radio(
        tr("候选点来源", "Candidate sites"),
        ["grid", "commercial", "file"],
        format_func=lambda v: {
            "grid": tr("规则网格", "regular grid"),
            "commercial": tr("商业街道（现有设施、步行街附近）", "commercial streets"),
            "file": tr("上传图层", "uploaded layer"),
        }[v],
        key="siting_source",
    )
    spacing = 100.0
    uploaded = None
    if source == "grid":
        spacing = float(
            st.number_input(
                tr("网格间距（米）", "Grid spacing (m)"), 20, 1000, 100, 10, key="siting_spacing"
            )
        )
    elif source == "commercial":
        spacing = float(
            st.number_input(
                tr("沿街间距（米）", "Spacing along streets (m)"),
                10,
                500,
                50,
                10,
                key="siting_cspacing",
            )
        )
    else:
        uploaded = st.file_uploader(
            tr(
                "候选点图层（GeoJSON、GeoPackage、Shapefile .zip、含经纬度 CSV）",
                "Candidate layer (GeoJSON, GeoPackage, Shapefile .zip, CSV with lon/lat)",
            ),
            type=["geojson", "json", "gpkg", "zip", "csv"],
            key="siting_file",
        )
    method = st.radio(
        tr("求解方法", "Method"),
        ["greedy", "exact"],
        format_func=lambda v: {
            "greedy": tr("贪心（快速）", "greedy (fast)"),
            "exact": tr("精确（HiGHS 整数规划）", "exact (HiGHS MILP)"),
        }[v],
        key="siting_method",
    )
    time_limit = 60.0
    if method == "exact":
        time_limit = float(
            st.number_input(tr("时间上限（秒）", "Time limit (s)"), 1, 600, 60, 1, key="siting_tl")
        )
    basemap = basemap_control("siting_basemap")

key, dataset = current_dataset()
with st.spinner(
    tr("正在构建步行网络与距离（仅首次）……", "Building the network (first time only)…")
):
    model = access_model(key, dataset)
synthetic_banner(dataset)
st.caption(f"{tr('数据集', 'Dataset')}: {md_text(dataset.label)}")
standard_caption(base)
if category not in model.distances_m.columns:
    st.error(tr("当前数据没有该类别的距离。", "The data has no distances for this category."))
    st.stop()


def page_candidates():
    if source != "file":
        return make_candidates(model, source, spacing_m=spacing)
    if uploaded is None:
        raise InputError(
            "no candidate layer uploaded", field="candidates", hint="upload a point layer first"
        )
    # Read in the bounded upload worker (time, memory, feature limits), then snapped with
    # the model's snapping context.
    layer = read_upload(uploaded.getvalue(), uploaded.name, "layer").gdf
    return make_candidates(model, "file", points=layer, file=uploaded.name)


params = {
    "category": category,
    "k": k,
    "objective": objective,
    "candidate_source": source,
    "spacing_m": spacing if source != "file" else None,
    "candidate_file": uploaded.name if uploaded is not None else None,
    "method": method,
    "time_limit_s": time_limit if method == "exact" else None,
    "walking_speed_kmh": base.walking_speed_kmh,
    "threshold_min": base.threshold_minutes(category),
    "required": list(base.required_ids),
    "dataset": dataset.label,
    "synthetic": bool(dataset.synthetic),
}

if st.button(tr("运行选址", "Run siting"), type="primary", key="siting_run"):
    try:
        with st.spinner(tr("正在选址……", "Choosing sites…")):
            cands = page_candidates()
            res = plan_sites(
                model,
                base,
                category,
                k,
                cands,
                objective=objective,
                exact=method == "exact",
                time_limit_s=time_limit,
                synthetic=dataset.synthetic,
            )
        st.session_state[RESULT_KEY] = {"key": key, "params": params, "result": res}
    except InputError as exc:
        st.error(md_text(str(exc)))

run = st.session_state.get(RESULT_KEY)
if run is not None and run["key"] != key:  # the session's data changed since the run
    run = None
    st.session_state.pop(RESULT_KEY, None)
result = run["result"] if run is not None else None

# -- results ---------------------------------------------------------------------------------
if result is not None:
    ev = result.evaluation
    cat = result.problem.category
    st.subheader(tr(f"选址结果：{cat_label(cat)}", f"Result: {cat_label(cat)}"))
    if result.synthetic:
        st.caption(SYNTHETIC_LABEL)
    c = st.columns(4)
    c[0].metric(
        tr("覆盖人口（之前）", "Covered population (before)"),
        f"{ev['covered_population_before']:,.0f}",
    )
    c[1].metric(
        tr("覆盖人口（之后）", "Covered population (after)"),
        f"{ev['covered_population_after']:,.0f}",
    )
    c[2].metric(tr("新增服务人口", "People newly served"), f"{ev['newly_served_population']:,.0f}")
    c[3].metric(
        tr("达标社区（之前 → 之后）", "Complete circles (before → after)"),
        f"{ev['communities_complete_before']} → {ev['communities_complete_after']}",
    )
    s = result.summary()
    method_zh = {"greedy": "贪心", "exact": "精确（HiGHS）"}.get(s["method"], s["method"])
    info = tr(
        f"方法：{method_zh}；候选点 {s['candidates']} 个；用时 "
        f"{sum(s['timings_s'].values()):.2f} 秒",
        f"Method: {s['method']}; {s['candidates']} candidates; "
        f"{sum(s['timings_s'].values()):.2f} s",
    )
    if s.get("gap") is not None:
        info += tr(f"；贪心与最优之差 {s['gap']:.2%}", f"; greedy gap {s['gap']:.2%}")
    st.caption(info)
    sites = result.sites
    table = pd.DataFrame(
        {
            tr("序号", "Rank"): sites["rank"].astype(int),
            "id": sites["id"],
            tr("增益", "Gain"): sites["gain"],
            tr("新增服务人口", "People newly served"): sites["gain_population"],
            tr("新达标社区", "Circles completed"): sites["gain_complete"],
            tr("累计覆盖人口", "Cumulative covered"): sites["cumulative_population"],
            tr("经度", "Lon"): sites["lon"],
            tr("纬度", "Lat"): sites["lat"],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        key="siting_table",
        column_config={
            c: st.column_config.NumberColumn(format="%.6f")
            for c in (tr("经度", "Lon"), tr("纬度", "Lat"))
        },
    )

# -- maps ------------------------------------------------------------------------------------
# Each map is a base that stays (basemap, rivers, fit: the user's view is kept) and layers that
# change with the run, the clicks and the controls (streamlit-folium swaps only those).
coverage = model.coverage(base)
rivers = dataset.extras.get("rivers")
base_options = dict(
    extras={"rivers": rivers} if rivers is not None else None,
    basemap=basemap,
    tianditu_key=basemap_key(basemap),
    synthetic=dataset.synthetic,
    attribution=dataset.attribution,
    lang=lg,
    network=network_context(key, dataset),  # faint streets under the data (no basemap)
    base_url="/app/static/vendor",
)


def manual_frame() -> gpd.GeoDataFrame:
    rows = st.session_state.get(MANUAL_KEY, [])
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["name", "category", "gain", "lon", "lat"]),
        geometry=[shapely.Point(r["lon"], r["lat"]) for r in rows],
        crs=WGS84,
    )


def legend_layer(items: list[LegendItem]) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="legend", control=False)
    if items:
        Legend(tr("选址", "Siting"), items, position="topright").add_to(group)
    return group


def site_layers(items: list[LegendItem]) -> list[folium.FeatureGroup]:
    """Chosen sites (black diamonds) and hand-placed ones (white diamonds)."""
    groups = []
    if result is not None:
        groups.append(
            site_diamonds(
                result.sites,
                kind="chosen",
                name=tr("优化选址", "Chosen site"),
                fields=[
                    ("rank", tr("序号", "Rank")),
                    ("gain_population", tr("新增服务人口", "People newly served")),
                ],
                basemap=basemap,
            )
        )
        items.append(LegendItem(tr("优化选址", "Chosen site"), SITE_STYLES["chosen"][0], "diamond"))
    manual = manual_frame()
    if len(manual):
        groups.append(
            site_diamonds(
                manual,
                kind="manual",
                name=tr("手动选址", "Hand-placed site"),
                fields=[
                    ("name", tr("名称", "Name")),
                    ("gain", tr("新增服务人口", "People newly served")),
                ],
                basemap=basemap,
            )
        )
        items.append(
            LegendItem(tr("手动选址", "Hand-placed site"), SITE_STYLES["manual"][0], "diamond")
        )
    return groups


def result_layers() -> list[folium.FeatureGroup]:
    """After the run: communities by the after state, newly served ringed, areas, sites."""
    cat = result.problem.category
    after = coverage_after(model, base, result)
    newly = newly_served(coverage, after, cat)
    items: list[LegendItem] = []
    limit = f"{base.threshold_minutes(cat):g}"
    groups = [
        area_layer(
            chosen_service_area(model, base, result),
            name=tr("新店服务范围", "Chosen sites' service area"),
            color=SITE_STYLES["chosen"][0],
            fill_opacity=0.12,
            dashed=False,
            weight=0.6,
            basemap=basemap,
        ),
        *coverage_overlays(
            after,
            color_by=cat,
            amenities=dataset.amenities,
            amenity_categories=[cat],
            basemap=basemap,
            synthetic=dataset.synthetic,
            lang=lg,
        ),
        newly_served_rings(
            after.table[newly], name=tr("新增服务社区", "Newly served"), basemap=basemap
        ),
    ]
    items.append(
        LegendItem(
            tr(f"新店 {limit} 分钟服务范围", f"Chosen sites' {limit}-min area"),
            SITE_STYLES["chosen"][0],
            "fill",
            0.12,
        )
    )
    items.append(
        LegendItem(
            tr(f"新增服务社区（{int(newly.sum())} 个）", f"Newly served ({int(newly.sum())})"),
            "#111111",
            "ring",
        )
    )
    groups += site_layers(items)
    groups.append(legend_layer(items))
    return groups


if result is not None:
    st.caption(
        tr(
            "地图显示新店开业后的状态：社区颜色为开业后的步行时间，黑圈为新增服务的社区。",
            "The map shows the state after the new sites open: communities coloured by the walk "
            "after opening, newly served ones ringed in black.",
        )
    )
    show_map(
        lambda: coverage_base(coverage, **base_options),
        layers=result_layers,
        key="siting_map",
        height=520,
    )

# -- what-if ---------------------------------------------------------------------------------
st.subheader(tr("假设分析：在某处新开一家店", "What-if: open one new site here"))
count_planned = st.checkbox(
    tr(
        "同时计入本方案的新店（优化选址和手动选址）",
        "Also count this plan's new sites (chosen and hand-placed) as open",
    ),
    value=False,
    key="whatif_count_planned",
)


def planned_sites() -> gpd.GeoDataFrame | None:
    """The session's chosen and hand-placed sites of the what-if category (EPSG:4326)."""
    parts = []
    if result is not None and result.problem.category == category and len(result.sites):
        parts.append(result.sites.geometry)
    manual = manual_frame()
    manual = manual[manual["category"] == category]
    if len(manual):
        parts.append(manual.geometry)
    if not parts:
        return None
    return gpd.GeoDataFrame(geometry=pd.concat(parts, ignore_index=True), crs=WGS84)


if "whatif_lon" not in st.session_state:
    cx, cy = coverage.table.geometry.union_all().centroid.coords[0]
    st.session_state["whatif_lon"] = round(float(cx), 6)
    st.session_state["whatif_lat"] = round(float(cy), 6)
    st.session_state["whatif_active"] = False

# A click on the what-if map reruns the page with the map's value already in the session
# (streamlit-folium's on_change): take it before computing, so one run answers the click.
click = (st.session_state.get("whatif_map") or {}).get("last_clicked")
if click and click != st.session_state.get("whatif_last_click"):
    st.session_state["whatif_last_click"] = click
    x, y = float(click["lng"]), float(click["lat"])
    if basemap.coord_system == "gcj02":  # the map shows GCJ-02; the analysis needs WGS-84
        x, y = gcj02_to_wgs84(x, y)
    st.session_state["whatif_lon"] = round(float(x), 6)
    st.session_state["whatif_lat"] = round(float(y), 6)
    st.session_state["whatif_active"] = True

lon = float(st.session_state["whatif_lon"])
lat = float(st.session_state["whatif_lat"])
wi = None
whatif_error = None  # shown beside the map: nothing may appear above it (it would remount)
if st.session_state.get("whatif_active"):
    try:
        wi = what_if(
            model,
            base,
            category,
            lon,
            lat,
            planned_sites=planned_sites() if count_planned else None,
        )
    except InputError as exc:
        whatif_error = str(exc)


def whatif_layers() -> list[folium.FeatureGroup]:
    items: list[LegendItem] = []
    groups = [
        *coverage_overlays(
            coverage,
            color_by=category,
            amenities=dataset.amenities,
            amenity_categories=[category],
            basemap=basemap,
            synthetic=dataset.synthetic,
            lang=lg,
            community_popups=False,  # clicks must reach the map
        ),
        *site_layers(items),
    ]
    if wi is not None:
        point = gpd.GeoDataFrame(
            {"name": [tr("假设新店", "What-if site")]},
            geometry=[shapely.Point(wi.lon, wi.lat)],
            crs=WGS84,
        )
        groups.append(
            area_layer(
                wi.service_area,
                name=tr("假设新店服务范围", "What-if site's area"),
                color=WHATIF_COLOR,
                fill_opacity=0.18,
                basemap=basemap,
            )
        )
        groups.append(
            site_diamonds(
                point, kind="whatif", name=tr("假设新店", "What-if site"), basemap=basemap
            )
        )
        items.append(
            LegendItem(tr("假设新店及服务范围", "What-if site & area"), WHATIF_COLOR, "diamond")
        )
    groups.append(legend_layer(items))
    return groups


def whatif_base() -> folium.Map:
    m = coverage_base(coverage, **base_options)
    SingleClickOnly().add_to(m)  # a double-click zooms and places nothing
    return m


# The result sits beside the map, where the eye is after a click (also at 1280×720).
map_col, result_col = st.columns([3, 2], gap="medium")
with map_col:
    show_map(
        whatif_base,
        layers=whatif_layers,
        key="whatif_map",
        height=480,
        returned_objects=["last_clicked"],
    )
with result_col:
    st.caption(
        tr(
            f"在地图上单击放置一家{md_text(cat_label(category))}（双击只缩放），或输入经纬度"
            "（WGS-84）。默认相对于现有设施计算。",
            f"Click the map to place a {md_text(cat_label(category))} (double-click only "
            "zooms), or type lon/lat (WGS-84). By default relative to the existing amenities.",
        )
    )
    if whatif_error is not None:
        st.error(md_text(whatif_error))
    if wi is not None:
        st.metric(tr("新增服务人口", "People newly served"), f"{wi.newly_served_population:,}")
        w = st.columns(2)
        w[0].metric(tr("新增服务社区", "Communities newly served"), len(wi.newly_served_ids))
        w[1].metric(tr("新达标社区", "Circles completed"), len(wi.newly_complete_ids))
        if st.button(
            tr("将此点加入方案（手动选址）", "Add this point to the scenario (hand-placed)"),
            key="whatif_add",
        ):
            rows = list(st.session_state.get(MANUAL_KEY, []))
            rows.append(
                {
                    "name": tr(f"手动 {len(rows) + 1}", f"manual {len(rows) + 1}"),
                    "category": category,
                    "gain": float(wi.newly_served_population),
                    "lon": wi.lon,
                    "lat": wi.lat,
                }
            )
            st.session_state[MANUAL_KEY] = rows
            st.rerun()
    with st.form("whatif_form"):
        a, b = st.columns(2)
        a.number_input(tr("经度", "Longitude"), format="%.6f", step=0.0005, key="whatif_lon")
        b.number_input(tr("纬度", "Latitude"), format="%.6f", step=0.0005, key="whatif_lat")
        if st.form_submit_button(tr("计算该点", "Evaluate this point")):
            st.session_state["whatif_active"] = True
            st.rerun()

if wi is not None and len(wi.newly_complete_ids):
    complete = model.communities.set_index("id").loc[wi.newly_complete_ids]
    st.markdown(tr("**生活圈变为完整的社区**", "**Communities whose circle becomes complete**"))
    st.dataframe(
        pd.DataFrame(
            {
                "id": complete.index,
                tr("名称", "Name"): complete["name"].to_numpy(),
                tr("人口", "Population"): complete["population"].to_numpy(),
            }
        ),
        hide_index=True,
        key="whatif_complete",
    )

manual = manual_frame()
if len(manual):
    st.markdown(
        tr(f"**手动添加的选址（{len(manual)} 个）**", f"**Hand-placed sites ({len(manual)})**")
    )
    st.dataframe(pd.DataFrame(manual.drop(columns="geometry")), hide_index=True, key="manual_table")
    if st.button(tr("清除手动选址", "Clear hand-placed sites"), key="manual_clear"):
        st.session_state[MANUAL_KEY] = []
        st.rerun()

# -- save as a scenario ----------------------------------------------------------------------


def scenario_record(name: str) -> ScenarioRecord:
    """The run's chosen sites plus this session's hand-placed ones, evaluated together."""
    return ScenarioRecord(
        **scenario_payload_with_manual(
            model,
            base,
            result.problem.category if result is not None else category,
            st.session_state.get(MANUAL_KEY, []),
            result=result,
            params=run["params"] if result is not None else params,
            name=name,
        ),
        # which data the sites were chosen on (opening it on other data says so)
        dataset_name=dataset.name,
        dataset_hash=dataset.content_hash,
    )


st.subheader(tr("保存为方案", "Save as a scenario"))
has_sites = result is not None or bool(st.session_state.get(MANUAL_KEY))
if not has_sites:
    st.info(
        tr("先运行选址或添加手动选址，再保存。", "Run the siting or add a hand-placed site first.")
    )
else:
    with st.form("save_form"):
        name = st.text_input(tr("方案名称", "Scenario name"), key="save_name")
        overwrite = st.checkbox(
            tr("同名时覆盖", "Overwrite a scenario of the same name"), key="save_overwrite"
        )
        save = st.form_submit_button(tr("保存方案", "Save scenario"))
    if save:
        try:
            rec = scenario_record(name)
            stored = scenario_store().save(user, rec, overwrite=overwrite)
            st.success(
                tr(
                    f"已保存方案“{md_text(stored.name)}”（作者 {md_text(stored.author)}，"
                    f"{len(rec.sites['features'])} 个选址）。",
                    f"Saved scenario '{md_text(stored.name)}' (author {md_text(stored.author)}, "
                    f"{len(rec.sites['features'])} sites).",
                )
            )
        except ScenarioExists as exc:
            st.error(
                tr(
                    "已有同名方案；请换名或勾选覆盖。",
                    "A scenario of that name exists; rename or tick overwrite.",
                )
                + f" ({md_text(str(exc))})"
            )
        except InputError as exc:
            st.error(md_text(str(exc)))
