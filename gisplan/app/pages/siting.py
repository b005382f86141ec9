"""新店选址 (planners / officials): maximal covering siting, what-if, save as a scenario.

Thin page: the analysis is :mod:`gisplan.siting` on the cached dataset and access model the
coverage page uses (:func:`gisplan.app.state.current_dataset` / ``access_model``).
The role is checked on every run (:func:`gisplan.app.auth.require_ui`).
"""

from __future__ import annotations

from functools import partial

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from gisplan.app.auth import page_user, scenario_store, show_store_error
from gisplan.app.messages import error_text, show_error
from gisplan.app.official import (
    AREA_COLOR,
    AREA_KEY,
    MODES,
    area_control,
    area_panel,
    area_plan_page,
    closure_page,
    mode_label,
)
from gisplan.app.standard import session_standard, standard_caption
from gisplan.app.state import (
    access_model,
    current_dataset,
    lang,
)
from gisplan.app.widgets import (
    basemap_control,
    choice_key,
    map_base_options,
    show_map,
    solver_controls,
    synthetic_banner,
)
from gisplan.coords import gcj02_to_wgs84
from gisplan.crs import WGS84
from gisplan.errors import GisplanError, InputError
from gisplan.i18n import category_label, category_name, solver_name, t
from gisplan.io.upload import read_upload
from gisplan.labels import synthetic_label
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
    Candidates,
    SitingResult,
    make_candidates,
    plan_sites,
    scenario_payload_with_manual,
    what_if,
)
from gisplan.siting.after import chosen_service_area, coverage_after, newly_served
from gisplan.store import ScenarioRecord

RESULT_KEY = "siting_result"  # {"key", "params", "result"} of the last run in this session
MANUAL_KEY = "siting_manual"  # hand-placed what-if sites: list of dicts

lg = lang()
st.title(t("page.siting"))
st.caption(t("site.maximal_covering_siting_choose"))

user = page_user("siting")

# The session's standard (speed, thresholds, required set), as set on the coverage page.
base = session_standard()

# -- officials' modes: a planning area with several formats, or closures ---------------------
with st.sidebar:
    mode = st.radio(t("site.mode"), MODES, format_func=mode_label, key=choice_key("siting_mode"))
if mode != "single":
    with st.sidebar:
        official_basemap = basemap_control("official_basemap")
    official_key, official_dataset = current_dataset()
    with st.spinner(t("site.building_network_first_time")):
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
    """The category's label in the page's language (both names where they fit)."""
    return category_label(base[cid], lg)


# -- controls (sidebar) ----------------------------------------------------------------------
key, dataset = current_dataset()
with st.sidebar:
    st.subheader(t("site.siting"))
    category = st.selectbox(
        t("site.category"),
        base.ids,
        index=base.ids.index("supermarket") if "supermarket" in base.ids else 0,
        format_func=cat_label,
        key=choice_key("siting_category"),
    )
    k = int(st.number_input(t("site.new_sites_k"), 1, 50, 3, 1, key="siting_k"))
    objective = st.radio(
        t("site.objective"),
        ["population", "complete"],
        format_func=lambda v: {
            "population": t("site.people_newly_served_2", lg),
            "complete": t("site.communities_completing_circle", lg),
        }[v],
        key=choice_key("siting_objective"),
    )
    source = st.radio(
        t("site.candidate_sites"),
        ["grid", "commercial", "file"],
        format_func=lambda v: {
            "grid": t("site.regular_grid", lg),
            "commercial": t("site.commercial_streets", lg),
            "file": t("site.uploaded_layer", lg),
        }[v],
        key=choice_key("siting_source"),
    )
    spacing = 100.0
    uploaded = None
    if source == "grid":
        spacing = float(
            st.number_input(t("site.grid_spacing_m"), 20, 1000, 100, 10, key="siting_spacing")
        )
    elif source == "commercial":
        spacing = float(
            st.number_input(
                t("site.spacing_along_streets_m"),
                10,
                500,
                50,
                10,
                key="siting_cspacing",
            )
        )
    else:
        uploaded = st.file_uploader(
            t("site.candidate_layer_geojson_geopackage"),
            type=["geojson", "json", "gpkg", "zip", "csv"],
            key="siting_file",
        )
    method, time_limit = solver_controls(choice_key("siting_method"), "siting_tl", lg)
    choice = area_control(dataset, key=AREA_KEY)
    area = choice.area
    basemap = basemap_control("siting_basemap")

with st.spinner(t("site.building_network_first_time")):
    model = access_model(key, dataset)
synthetic_banner(dataset)
st.caption(f"{t('dataset')}: {md_text(dataset.display_label(lg))}")
standard_caption(base)
if category not in model.distances_m.columns:
    st.error(t("site.data_has_no_distances"))
    st.stop()
area_panel(choice, key=key, dataset=dataset, model=model, standard=base, basemap=basemap, lang=lg)


def page_candidates() -> Candidates:
    """Candidate sites from the chosen source: a regular grid, commercial streets or a file.

    Raises InputError when the file source is chosen with no file uploaded.
    """
    if source != "file":
        return make_candidates(model, source, spacing_m=spacing, area=area)
    if uploaded is None:
        raise InputError(
            "no candidate layer uploaded",
            field="candidates",
            hint="upload a point layer first",
            code="candidates.no_layer",
        )
    # Read in the bounded upload worker (time, memory, feature limits), then snapped with
    # the model's snapping context.
    layer = read_upload(uploaded.getvalue(), uploaded.name, "layer").gdf
    return make_candidates(model, "file", points=layer, file=uploaded.name, area=area)


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
    "within": area.name if area is not None else None,
    "count_outside": bool(choice.count_outside),
}

if st.button(t("site.run_siting"), type="primary", key="siting_run", disabled=choice.pending):
    try:
        with st.spinner(t("site.choosing_sites")):
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
                area=area,
                count_outside=choice.count_outside,
            )
        st.session_state[RESULT_KEY] = {"key": key, "params": params, "result": res}
    except InputError as exc:
        show_error(exc, file_name=uploaded.name if source == "file" and uploaded else None)

run = st.session_state.get(RESULT_KEY)
if run is not None and run["key"] != key:  # the session's data changed since the run
    run = None
    st.session_state.pop(RESULT_KEY, None)
result: SitingResult | None = run["result"] if run is not None else None

# -- results ---------------------------------------------------------------------------------
if result is not None:
    ev = result.evaluation
    cat = result.problem.category
    st.subheader(t("site.result_v0", v0=cat_label(cat)))
    if result.synthetic:
        st.caption(synthetic_label(lg))
    c = st.columns(4)
    c[0].metric(
        t("site.covered_population_before"),
        f"{ev['covered_population_before']:,.0f}",
    )
    c[1].metric(
        t("site.covered_population_after"),
        f"{ev['covered_population_after']:,.0f}",
    )
    c[2].metric(t("site.people_newly_served"), f"{ev['newly_served_population']:,.0f}")
    c[3].metric(
        t("site.complete_circles_before_after"),
        f"{ev['communities_complete_before']} → {ev['communities_complete_after']}",
    )
    s = result.summary()
    info = t(
        "site.method_candidates_time",
        method=solver_name(s["method"]),
        candidates=s["candidates"],
        seconds=sum(s["timings_s"].values()),
    )
    if s.get("gap") is not None:
        info += t("site.greedy_gap_v0_2", v0=s["gap"])
    st.caption(info)
    if s.get("area"):
        from gisplan.app.official_views import area_metrics

        st.markdown(t("official.inside_planning_area") + f" — {md_text(s['area']['name'])}")
        area_metrics(s, base, lg)
    sites = result.sites
    table = pd.DataFrame(
        {
            t("site.rank"): sites["rank"].astype(int),
            "id": sites["id"],
            t("site.gain"): sites["gain"],
            t("site.people_newly_served"): sites["gain_population"],
            t("site.circles_completed"): sites["gain_complete"],
            t("site.cumulative_covered"): sites["cumulative_population"],
            t("site.lon"): sites["lon"],
            t("site.lat"): sites["lat"],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        key="siting_table",
        column_config={
            c: st.column_config.NumberColumn(format="%.6f") for c in (t("site.lon"), t("site.lat"))
        },
    )

# -- maps ------------------------------------------------------------------------------------
# Each map is a base that stays (basemap, rivers, fit: the user's view is kept) and layers that
# change with the run, the clicks and the controls (streamlit-folium swaps only those).
coverage = model.coverage(base)
base_options = map_base_options(key, dataset, basemap, lg)


def manual_frame() -> gpd.GeoDataFrame:
    """The hand-placed sites of this session as points (EPSG:4326)."""
    rows = st.session_state.get(MANUAL_KEY, [])
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["name", "category", "gain", "lon", "lat"]),
        geometry=[shapely.Point(r["lon"], r["lat"]) for r in rows],
        crs=WGS84,
    )


def area_outline(items: list[LegendItem]) -> list[folium.FeatureGroup]:
    """The planning area's outline (not clickable), when there is one."""
    if area is None:
        return []
    items.append(LegendItem(t("official.area.planning_area"), AREA_COLOR, "line"))
    return [
        area_layer(
            gpd.GeoSeries([area.geometry], crs=WGS84),
            name=t("official.area.planning_area"),
            color=AREA_COLOR,
            fill_opacity=0.0,
            weight=2.5,
            basemap=basemap,
        )
    ]


def legend_layer(items: list[LegendItem]) -> folium.FeatureGroup:
    """The map's legend of ``items`` (none when empty), top right."""
    group = folium.FeatureGroup(name="legend", control=False)
    if items:
        Legend(t("site.siting_layer"), items, position="topright").add_to(group)
    return group


def site_layers(items: list[LegendItem]) -> list[folium.FeatureGroup]:
    """Chosen sites (black diamonds) and hand-placed ones (white diamonds)."""
    groups = []
    if result is not None:
        groups.append(
            site_diamonds(
                result.sites,
                kind="chosen",
                name=t("site.chosen_site"),
                fields=[
                    ("rank", t("site.rank")),
                    ("gain_population", t("site.people_newly_served")),
                ],
                basemap=basemap,
            )
        )
        items.append(LegendItem(t("site.chosen_site"), SITE_STYLES["chosen"][0], "diamond"))
    manual = manual_frame()
    if len(manual):
        groups.append(
            site_diamonds(
                manual,
                kind="manual",
                name=t("site.hand_placed_site"),
                fields=[
                    ("name", t("field.name")),
                    ("gain", t("site.people_newly_served")),
                ],
                basemap=basemap,
            )
        )
        items.append(LegendItem(t("site.hand_placed_site"), SITE_STYLES["manual"][0], "diamond"))
    return groups


def result_layers(result: SitingResult) -> list[folium.FeatureGroup]:
    """After the run: communities by the after state, newly served ringed, areas, sites."""
    cat = result.problem.category
    after = coverage_after(model, base, result)
    newly = newly_served(coverage, after, cat)
    items: list[LegendItem] = []
    limit = f"{base.threshold_minutes(cat):g}"
    groups = [
        area_layer(
            chosen_service_area(model, base, result),
            name=t("site.chosen_sites_service_area"),
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
        newly_served_rings(after.table[newly], name=t("site.newly_served"), basemap=basemap),
    ]
    items.append(
        LegendItem(
            t("site.chosen_sites_limit_min", limit=limit),
            SITE_STYLES["chosen"][0],
            "fill",
            0.12,
        )
    )
    items.append(
        LegendItem(
            t("site.newly_served_v0", v0=int(newly.sum())),
            "#111111",
            "ring",
        )
    )
    groups += area_outline(items)
    groups += site_layers(items)
    groups.append(legend_layer(items))
    return groups


if result is not None:
    st.caption(t("site.map_shows_state_after"))
    show_map(
        lambda: coverage_base(coverage, **base_options, base_url="/app/static/vendor"),
        layers=partial(result_layers, result),
        key="siting_map",
        height=520,
    )

# -- what-if ---------------------------------------------------------------------------------
st.subheader(t("site.what_if_open_one"))
count_planned = st.checkbox(
    t("site.also_count_plan_s"),
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
            area=area,
        )
    except InputError as exc:
        whatif_error = error_text(exc)


def whatif_layers() -> list[folium.FeatureGroup]:
    """What a click changes: the what-if site and its area, the plan's sites, the legend."""
    items: list[LegendItem] = []
    groups = [
        *area_outline(items),
        *site_layers(items),
    ]
    if wi is not None:
        point = gpd.GeoDataFrame(
            {"name": [t("site.what_if_site")]},
            geometry=[shapely.Point(wi.lon, wi.lat)],
            crs=WGS84,
        )
        groups.append(
            area_layer(
                wi.service_area,
                name=t("site.what_if_site_s"),
                color=WHATIF_COLOR,
                fill_opacity=0.18,
                basemap=basemap,
            )
        )
        groups.append(
            site_diamonds(point, kind="whatif", name=t("site.what_if_site"), basemap=basemap)
        )
        items.append(LegendItem(t("site.what_if_site_area"), WHATIF_COLOR, "diamond"))
    groups.append(legend_layer(items))
    return groups


def whatif_base() -> folium.Map:
    """The what-if map's base: the category's communities and amenities are part of it.

    They change only with the category or the standard, so streamlit-folium keeps them in the
    browser across what-if clicks; a click re-sends and redraws only :func:`whatif_layers`
    (about 150 KB of script and 340 markers less per click on the demo).
    """
    m = coverage_base(coverage, **base_options, base_url="/app/static/vendor")
    for group in coverage_overlays(
        coverage,
        color_by=category,
        amenities=dataset.amenities,
        amenity_categories=[category],
        basemap=basemap,
        synthetic=dataset.synthetic,
        lang=lg,
        community_popups=False,  # clicks must reach the map
    ):
        group.add_to(m)
    SingleClickOnly().add_to(m)  # a double-click zooms and places nothing
    return m


# The result sits beside the map, where the eye is after a click (also at 1280×720).
map_col, result_col = st.columns([2, 1], gap="medium")
with map_col:
    show_map(
        whatif_base,
        layers=whatif_layers,
        key="whatif_map",
        height=480,
        returned_objects=["last_clicked"],
    )
with result_col:
    st.caption(t("site.click_map_place_v0", v0=md_text(category_name(base[category], lg))))
    if whatif_error is not None:
        st.error(md_text(whatif_error))
    if wi is not None:
        st.metric(t("site.people_newly_served"), f"{wi.newly_served_population:,}")
        if wi.area is not None:
            w = st.columns(2)
            w[0].metric(
                t("official.people_newly_served_area"),
                f"{wi.area['newly_served_population_inside']:,}",
            )
            w[1].metric(
                t("official.people_newly_served_outside"),
                f"{wi.area['newly_served_population_outside']:,}",
            )
        w = st.columns(2)
        w[0].metric(t("site.communities_newly_served"), len(wi.newly_served_ids))
        w[1].metric(t("site.circles_completed"), len(wi.newly_complete_ids))
        if st.button(
            t("site.add_point_scenario_hand"),
            key="whatif_add",
        ):
            rows = list(st.session_state.get(MANUAL_KEY, []))
            rows.append(
                {
                    "name": t("site.manual_v0", v0=len(rows) + 1),
                    "category": category,
                    "gain": float(wi.newly_served_population),
                    "lon": wi.lon,
                    "lat": wi.lat,
                }
            )
            st.session_state[MANUAL_KEY] = rows
            st.rerun()
    with st.form("whatif_form"):
        # one above the other: six decimals fit the narrow column
        st.number_input(t("site.longitude"), format="%.6f", step=0.0005, key="whatif_lon")
        st.number_input(t("site.latitude"), format="%.6f", step=0.0005, key="whatif_lat")
        if st.form_submit_button(t("site.evaluate_point")):
            st.session_state["whatif_active"] = True
            st.rerun()

if wi is not None and len(wi.newly_complete_ids):
    complete = model.communities.set_index("id").loc[wi.newly_complete_ids]
    st.markdown(t("site.communities_whose_circle_becomes"))
    st.dataframe(
        pd.DataFrame(
            {
                "id": complete.index,
                t("field.name"): complete["name"].to_numpy(),
                t("field.population"): complete["population"].to_numpy(),
            }
        ),
        hide_index=True,
        key="whatif_complete",
    )

manual = manual_frame()
if len(manual):
    st.markdown(t("site.hand_placed_sites_v0", v0=len(manual)))
    st.dataframe(
        pd.DataFrame(
            {
                t("field.name"): manual["name"],
                t("field.category"): [category_name(base[c], lg) for c in manual["category"]],
                t("site.people_newly_served"): manual["gain"].round().astype(int),
                t("site.lon"): manual["lon"].round(6),
                t("site.lat"): manual["lat"].round(6),
            }
        ),
        hide_index=True,
        key="manual_table",
    )
    if st.button(t("site.clear_hand_placed_sites"), key="manual_clear"):
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
            params=run["params"] if run is not None else params,  # run holds the result
            name=name,
        ),
        # which data the sites were chosen on (opening it on other data says so)
        dataset_name=dataset.name,
        dataset_hash=dataset.content_hash,
    )


st.subheader(t("site.save_as_scenario"))
has_sites = result is not None or bool(st.session_state.get(MANUAL_KEY))
if not has_sites:
    st.info(t("site.run_siting_or_add"))
else:
    with st.form("save_form"):
        name = st.text_input(t("site.scenario_name"), key="save_name")
        overwrite = st.checkbox(t("site.overwrite_scenario_same_name"), key="save_overwrite")
        save = st.form_submit_button(t("site.save_scenario"))
    if save:
        try:
            rec = scenario_record(name)
            stored = scenario_store().save(user, rec, overwrite=overwrite)
            st.success(
                t(
                    "site.saved_scenario_v0_author",
                    v0=md_text(stored.name),
                    v1=md_text(stored.author),
                    v2=len(rec.sites["features"]),
                )
            )
        except GisplanError as exc:  # name taken, bad name, not the author, database fault
            show_store_error(exc)
