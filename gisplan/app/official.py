"""新店选址 for district officials: a planning area, several formats at once, closures.

Streamlit glue for the 新店选址 page (``app_pages/siting.py``), which calls
:func:`area_plan_page` or :func:`closure_page` when the user picks those modes. No analysis
here: areas come from :mod:`gisplan.siting.area`, joint plans from
:func:`gisplan.siting.joint.plan_joint`, closures from
:func:`gisplan.siting.closure.close_amenities`; this module draws widgets, tables and maps.

Every mode takes a planning area (:func:`area_control`): a county, a circle of the dataset,
an uploaded polygon file, or a polygon drawn on the map by clicking its corners
(:mod:`gisplan.app.area_draw`; folium's ``Draw`` plugin is not used: it loads Leaflet.draw
from a CDN).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st

from gisplan.app.auth import scenario_store, show_store_error
from gisplan.app.messages import show_error
from gisplan.catalogue import CircleStandard
from gisplan.coords import gcj02_to_wgs84
from gisplan.crs import WGS84
from gisplan.errors import GisplanError, InputError
from gisplan.i18n import category_label, t
from gisplan.maps.base import _bounds
from gisplan.maps.siting_layers import SingleClickOnly
from gisplan.safetext import md_text
from gisplan.siting import make_candidates
from gisplan.siting.area import Area, county_area, dataset_circles, read_area_file
from gisplan.store import ScenarioExists, ScenarioRecord

__all__ = [
    "MODES",
    "AREA_KEY",
    "AreaChoice",
    "area_control",
    "area_panel",
    "area_plan_page",
    "closure_page",
]

#: Modes of the 新店选址 page: one category (the original page), a joint area plan, closures.
MODES = ("single", "plan", "closure")

PLAN_KEY = "official_plan"  # {"key", "params", "result"} of the last joint plan
#: Key of the planning-area control: one area for every mode (switching modes keeps it).
AREA_KEY = "plan_area"
CLOSED_KEY = "closure_pick"  # ids of the amenities the user closes (the multiselect's state)
AREA_COLOR = "#6a3d9a"
CATEGORY_COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
CLOSED_COLOR = "#000000"
LOST_COLOR = "#d62728"
CHANGED_COLOR = "#ff7f0e"
AMENITY_COLOR = "#2ca02c"


def mode_label(mode: str) -> str:
    return {
        "single": t("official.mode.single"),
        "plan": t("official.mode.plan"),
        "closure": t("official.mode.closure"),
    }[mode]


def _cat_label(standard: CircleStandard, cid: str, lang: str) -> str:
    """Both names of the category (:func:`gisplan.i18n.category_label`), ``lang``'s first."""
    return category_label(standard[cid], lang)


# -- area ------------------------------------------------------------------------------------


def _uploaded_area(uploaded) -> Area:
    """An uploaded polygon file, read in the bounded upload worker."""
    import tempfile
    from pathlib import Path

    from gisplan.io.upload import read_upload, safe_filename

    res = read_upload(uploaded.getvalue(), uploaded.name, "layer")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(safe_filename(uploaded.name)).stem + ".gpkg")
        res.gdf.to_file(path, driver="GPKG", engine="pyogrio")
        area = read_area_file(path)
    name = Path(uploaded.name).stem if area.name == path.stem else area.name
    return Area(name=name, kind="file", geometry=area.geometry, source=uploaded.name)


@dataclass(frozen=True)
class AreaChoice:
    """The planning area chosen in the sidebar (:func:`area_control`).

    Attributes
    ----------
    area : Area or None
        The area; None for the whole dataset, or while an area is being drawn.
    count_outside : bool
        Also count people outside the area who are newly served.
    key : str
        The control's key (the drawing's state is kept under it).
    drawing : bool
        The area is drawn on the map: the page shows the drawing panel (:func:`area_panel`).
    """

    area: Area | None
    count_outside: bool
    key: str
    drawing: bool = False

    @property
    def pending(self) -> bool:
        """An area is being drawn and not finished yet: nothing should run on it."""
        return self.drawing and self.area is None


def area_control(dataset, *, key: str) -> AreaChoice:
    """Sidebar widgets choosing the planning area.

    The whole dataset, a county, a circle of the dataset, an uploaded boundary file, or a
    polygon drawn on the map (the page then shows :func:`area_panel`). Errors in an uploaded
    file are shown in words.
    """
    from gisplan.app.area_draw import drawn_area_of
    from gisplan.io.embedded import load_counties

    circles = dataset_circles(dataset)
    kinds = ["all", "county", *(["circle"] if circles is not None else []), "file", "draw"]
    kind = st.radio(
        t("official.area.planning_area"),
        kinds,
        format_func=lambda v: {
            "all": t("official.area.kind_all"),
            "county": t("official.area.kind_county"),
            "circle": t("official.area.kind_circle"),
            "file": t("official.area.kind_file"),
            "draw": t("official.area.kind_draw"),
        }[v],
        key=f"{key}_kind",
        horizontal=True,
    )
    area = None
    if kind == "county":
        counties = load_counties()
        names = list(counties["name_zh"])
        # default: the county holding most of the dataset's communities
        home = dataset.communities.get("county")
        default = 0
        if home is not None and home.notna().any():
            top = home.value_counts().index[0]
            default = names.index(top) if top in names else 0
        choice = st.selectbox(
            t("official.area.county"),
            names,
            index=default,
            format_func=lambda n: f"{n} {counties.set_index('name_zh').loc[n, 'name_en']}",
            key=f"{key}_county",
        )
        area = county_area(choice)
        st.caption(t("official.area.county_generalised"))
    elif kind == "circle" and circles is not None:  # offered only when the dataset has circles
        col = "name" if "name" in circles.columns else "id"
        names = sorted(circles[col].dropna().astype(str).unique())
        choice = st.selectbox(t("official.area.circle"), names, key=f"{key}_circle")
        from gisplan.siting.area import circle_area

        area = circle_area(choice, circles)
    elif kind == "file":
        uploaded = st.file_uploader(
            t("official.area.boundary_file"),
            type=["geojson", "json", "gpkg", "zip"],
            key=f"{key}_file",
        )
        if uploaded is not None:
            try:
                area = _uploaded_area(uploaded)
            except InputError as exc:
                show_error(exc, file_name=uploaded.name)
    elif kind == "draw":
        area = drawn_area_of(key)
        st.caption(md_text(area.name) if area is not None else t("draw.pending"))
    count_outside = False
    if area is not None:
        count_outside = st.checkbox(
            t("official.area.count_outside"),
            value=False,
            key=f"{key}_outside",
        )
    return AreaChoice(area=area, count_outside=count_outside, key=key, drawing=kind == "draw")


def area_panel(
    choice: AreaChoice, *, key: str, dataset, model, standard: CircleStandard, basemap, lang: str
) -> None:
    """The drawing map (main page) when the area is drawn; says so while it is unfinished.

    ``key`` is the dataset's cache key.
    """
    if not choice.drawing:
        return
    from gisplan.app.area_draw import draw_area_panel

    draw_area_panel(
        key=choice.key,
        dataset_key=key,
        dataset=dataset,
        model=model,
        standard=standard,
        basemap=basemap,
        lang=lang,
    )
    slot = st.empty()  # always there, so finishing does not shift (and remount) what follows
    if choice.pending:
        slot.info(t("draw.pending"))


def _area_layer(area: Area | None) -> gpd.GeoSeries | None:
    if area is None:
        return None
    return gpd.GeoSeries([area.geometry.boundary.buffer(0.00015)], crs=WGS84)


def _map_bounds(area: Area | None, data: gpd.GeoDataFrame, *layers) -> list[list[float]]:
    """Map extent: the area where it meets the data, else the data and ``layers``.

    A county is often much larger than the dataset, so only its overlap is fitted.
    """
    frames = [f for f in (data, *layers) if f is not None and len(f)]
    if area is not None:
        hull = shapely.box(*data.to_crs(WGS84).total_bounds)
        part = area.geometry.intersection(hull)
        shown = part if not part.is_empty else area.geometry
        return _bounds([gpd.GeoDataFrame(geometry=[shown], crs=WGS84)])
    return _bounds(frames)


# -- area plan ---------------------------------------------------------------------------------


def area_plan_page(*, user, key, dataset, model, standard: CircleStandard, basemap, lang: str):
    """The joint, area-bounded plan: controls, run, results, map, exports, save."""
    from gisplan.app.official_views import plan_controls, show_plan_result

    params = plan_controls(dataset, standard, lang)
    if params is None:
        return
    choice = params.pop("choice")
    area_panel(
        choice, key=key, dataset=dataset, model=model, standard=standard, basemap=basemap, lang=lang
    )
    if st.button(
        t("official.run_area_plan"), type="primary", key="plan_run", disabled=choice.pending
    ):
        from gisplan.siting.joint import plan_joint

        try:
            with st.spinner(t("site.choosing_sites")):
                cands = make_candidates(
                    model, params["source"], spacing_m=params["spacing"], area=params["area"]
                )
                res = plan_joint(
                    model,
                    standard,
                    params["plan"],
                    cands,
                    objective=params["objective"],
                    weights=params["weights"],
                    exact=params["method"] == "exact",
                    time_limit_s=params["time_limit"],
                    area=params["area"],
                    count_outside=params["count_outside"],
                    synthetic=dataset.synthetic,
                )
            st.session_state[PLAN_KEY] = {"key": key, "params": params, "result": res}
        except InputError as exc:
            show_error(exc)
    run = st.session_state.get(PLAN_KEY)
    if run is not None and run["key"] != key:
        st.session_state.pop(PLAN_KEY, None)
        run = None
    if run is not None:
        show_plan_result(
            run,
            user=user,
            model=model,
            standard=standard,
            basemap=basemap,
            lang=lang,
            dataset=dataset,
        )
    if not choice.pending:
        whatif_in_area(model, standard, params, lang)


def whatif_in_area(model, standard: CircleStandard, params: dict, lang: str) -> None:
    """What-if for one new site at a typed point: people and circles inside / outside the area."""
    from gisplan.siting import what_if

    area = params["area"]
    st.subheader(t("official.what_if_one_new"))
    cats = list(params["plan"])
    c0, c1, c2 = st.columns(3)
    cat = c0.selectbox(
        t("official.col.format"),
        cats,
        format_func=lambda c: _cat_label(standard, c, lang),
        key="plan_wi_cat",
    )
    if "plan_wi_lon" not in st.session_state:  # start at the middle of the area's communities
        pts = model.communities
        if area is not None and area.contains(pts).any():
            pts = pts[area.contains(pts)]
        cx, cy = pts.geometry.union_all().centroid.coords[0]
        st.session_state["plan_wi_lon"] = round(float(cx), 6)
        st.session_state["plan_wi_lat"] = round(float(cy), 6)
    lon = c1.number_input(t("site.longitude"), format="%.6f", step=0.0005, key="plan_wi_lon")
    lat = c2.number_input(t("site.latitude"), format="%.6f", step=0.0005, key="plan_wi_lat")
    if not st.button(t("site.evaluate_point"), key="plan_wi_go"):
        return
    try:
        wi = what_if(model, standard, cat, lon, lat, area=area, with_service_area=False)
    except InputError as exc:
        show_error(exc)
        return
    m = st.columns(3)
    if wi.area is not None:
        m[0].metric(
            t("official.people_newly_served_area"),
            f"{wi.area['newly_served_population_inside']:,}",
        )
        m[1].metric(
            t("official.people_newly_served_outside"),
            f"{wi.area['newly_served_population_outside']:,}",
        )
        m[2].metric(
            t("official.circles_completed_area"),
            f"{wi.area['newly_complete_inside']:,}",
        )
    else:
        m[0].metric(t("site.people_newly_served"), f"{wi.newly_served_population:,}")
        m[1].metric(t("site.circles_completed"), f"{len(wi.newly_complete_ids):,}")


# -- closures ----------------------------------------------------------------------------------


def closure_page(*, user, key, dataset, model, standard: CircleStandard, basemap, lang: str):
    """Closures: close existing amenities, optionally open a new site (relocation).

    Amenities are clicked on the map or picked from the list; results are shown for the area
    and in all.
    """
    from gisplan.app.official_views import show_closure_result

    with st.sidebar:
        st.subheader(t("official.closure.sidebar"))
        choice = area_control(dataset, key=AREA_KEY)
        cats = [c for c in standard.ids if c in model.amenity_snap]
        default = cats.index("wet_market") if "wet_market" in cats else 0
        category = st.selectbox(
            t("official.category_shown_on_map"),
            cats,
            index=default,
            format_func=lambda c: _cat_label(standard, c, lang),
            key="closure_category",
        )
    area = choice.area
    area_panel(
        choice, key=key, dataset=dataset, model=model, standard=standard, basemap=basemap, lang=lang
    )
    amen = model.amenities
    shown = amen[amen["category"] == category]
    if area is not None:
        shown = shown[area.contains(shown)]
    st.caption(t("official.closure.how"))
    known = set(amen["id"].astype(str))
    closed = [a for a in st.session_state.get(CLOSED_KEY, []) if a in known]
    st.session_state[CLOSED_KEY] = closed

    from streamlit_folium import st_folium

    from gisplan.app.official_views import closure_map

    result = None
    relocate, placing = False, False
    if closed:
        relocate, placing, open_sites = _relocation_controls(amen, closed, basemap)
        from gisplan.siting.closure import close_amenities

        try:
            result = close_amenities(
                model,
                standard,
                closed,
                open_sites=open_sites if relocate else None,
                area=area,
                synthetic=dataset.synthetic,
            )
        except InputError as exc:
            show_error(exc)
    try:
        m = closure_map(
            model=model,
            shown=shown,
            closed=closed,
            result=result,
            area=area,
            standard=standard,
            basemap=basemap,
            dataset=dataset,
            lang=lang,
        )
        if placing:  # a double-click zooms: it places no site (object clicks are not used)
            SingleClickOnly().add_to(m)
    except Exception as exc:  # noqa: BLE001 - e.g. a missing basemap key
        show_error(exc)
        m = None
    if m is not None:
        out = st_folium(
            m,
            key="closure_map",
            height=520,
            use_container_width=True,
            returned_objects=["last_object_clicked", "last_object_clicked_tooltip", "last_clicked"],
        )
        click = (out or {}).get("last_object_clicked")
        tip = (out or {}).get("last_object_clicked_tooltip")
        # a click places the new site or closes an amenity, never both: the other mode's
        # last click is marked as seen so that switching modes does not replay it
        st.session_state[PLACE_CLICK_KEY] = (out or {}).get("last_clicked")
        if placing:
            st.session_state["closure_last_click"] = [click, tip]
        elif click and [click, tip] != st.session_state.get("closure_last_click"):
            st.session_state["closure_last_click"] = [click, tip]
            hit = _amenity_at(shown, click, tip, basemap)
            if hit is not None:
                ids = list(st.session_state.get(CLOSED_KEY, []))
                ids.remove(hit) if hit in ids else ids.append(hit)
                st.session_state[CLOSED_KEY] = ids
                st.rerun()
    options = list(amen["id"].astype(str))
    names = dict(zip(options, amen["name"].astype(str), strict=True))
    # one source of truth: the multiselect's state, also set by clicks on the map
    picked = st.multiselect(
        t("official.amenities_closed"),
        options,
        format_func=lambda i: f"{i} {names.get(i, '')}",
        key=CLOSED_KEY,
    )
    if list(picked) != closed:
        st.rerun()
    if result is not None:
        show_closure_result(
            result,
            user=user,
            model=model,
            standard=standard,
            area=area,
            lang=lang,
            dataset=dataset,
            relocate=relocate,
        )


def _relocation_controls(amen: gpd.GeoDataFrame, closed: list[str], basemap):
    """The relocation's controls: returns ``(relocate, placing, open_sites)``.

    ``placing``: a click on the map places the new site (else it closes / reopens an
    amenity). The new site starts at the first closed amenity; a click or the typed
    longitude / latitude move it.
    """
    # two compact rows, so that the map stays in view at 1280×720
    left, right = st.columns([2, 3])
    relocate = left.checkbox(t("official.also_open_new_site"), key="closure_relocate")
    if not relocate:
        return False, False, None
    first = amen.set_index(amen["id"].astype(str)).loc[closed[0]]
    placing = (
        right.radio(
            t("official.closure.click_mode"),
            ["close", "place"],
            index=1,
            format_func=lambda v: t(f"official.closure.click_{v}"),
            key="closure_click_mode",
            horizontal=True,
        )
        == "place"
    )
    st.session_state.setdefault("closure_new_lon", round(float(first.geometry.x), 6))
    st.session_state.setdefault("closure_new_lat", round(float(first.geometry.y), 6))
    if placing:
        _take_new_site_click(basemap)
    a, b = st.columns(2)
    lon = a.number_input(
        t("official.new_site_longitude"), format="%.6f", step=0.0005, key="closure_new_lon"
    )
    lat = b.number_input(
        t("official.new_site_latitude"), format="%.6f", step=0.0005, key="closure_new_lat"
    )
    if placing:
        st.caption(t("official.closure.place_how"))
    open_sites = gpd.GeoDataFrame(
        {
            "id": ["new1"],
            "name": [t("official.closure.new_site_name")],
            "category": [str(first["category"])],
        },
        geometry=gpd.points_from_xy([lon], [lat]),
        crs=WGS84,
    )
    return True, placing, open_sites


PLACE_CLICK_KEY = "closure_place_seen"  # the closure map's last click already taken


def _take_new_site_click(basemap) -> None:
    """A new click on the closure map becomes the relocation's new site (WGS-84, 6 decimals).

    The click is the component's state, read before the inputs are drawn.
    """
    click = (st.session_state.get("closure_map") or {}).get("last_clicked")
    if not click or click == st.session_state.get(PLACE_CLICK_KEY):
        return
    st.session_state[PLACE_CLICK_KEY] = click
    x, y = float(click["lng"]), float(click["lat"])
    if basemap.coord_system == "gcj02":  # the map shows GCJ-02; the analysis needs WGS-84
        x, y = gcj02_to_wgs84(x, y)
    st.session_state["closure_new_lon"] = round(float(x), 6)
    st.session_state["closure_new_lat"] = round(float(y), 6)


def _amenity_at(shown: gpd.GeoDataFrame, click: dict, tooltip, basemap) -> str | None:
    """The amenity whose marker the user clicked, or None.

    The nearest amenity (within 300 m) to the click whose id is in the clicked object's
    tooltip; a community marker is never taken for it.
    """
    try:
        x, y = float(click["lng"]), float(click["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    if basemap.coord_system == "gcj02":
        x, y = gcj02_to_wgs84(x, y)
    if not len(shown) or not tooltip:
        return None
    text = str(tooltip)
    ids = shown["id"].astype(str).to_numpy()
    metres = np.hypot(
        (shown.geometry.x.to_numpy() - x) * 111_320 * np.cos(np.radians(y)),
        (shown.geometry.y.to_numpy() - y) * 110_540,
    )
    for i in np.argsort(metres):
        if metres[i] > 300:
            break
        if ids[i] in text.split():
            return str(ids[i])
    return None


def download_bytes(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, indent=2).encode("utf-8")


def save_form(payload_fn, *, user, form_key: str) -> None:
    """A save-as-scenario form calling ``payload_fn(name)`` for the record's fields."""
    with st.form(form_key):
        name = st.text_input(t("site.scenario_name"), key=f"{form_key}_name")
        overwrite = st.checkbox(t("site.overwrite_scenario_same_name"), key=f"{form_key}_ow")
        save = st.form_submit_button(t("site.save_scenario"))
    if save:
        try:
            stored = scenario_store().save(
                user, ScenarioRecord(**payload_fn(name)), overwrite=overwrite
            )
            name = md_text(stored.name)
            st.success(t("official.save.saved", name=name))
        except ScenarioExists:
            st.error(t("site.scenario_name_exists_rename"))
        except GisplanError as exc:  # bad name, not the author, database fault: one line
            show_store_error(exc)


def frame_download(frame: pd.DataFrame) -> bytes:
    from gisplan.safetext import csv_safe_frame

    return csv_safe_frame(frame).to_csv(index=False).encode("utf-8-sig")
