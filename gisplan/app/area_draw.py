"""Drawing a planning area on the map by clicking its corners (Streamlit glue).

folium's ``Draw`` plugin loads Leaflet.draw from a CDN, which the app may not use (offline
first, no third-party JavaScript copied into the repository). Instead each click on the map
(streamlit-folium's ``last_clicked``) adds a corner; the outline so far is drawn as a layer
(:func:`gisplan.maps.siting_layers.drawing_layer`), with buttons to undo the last corner,
clear, and finish. A double-click only zooms (:class:`~gisplan.maps.siting_layers.SingleClickOnly`).
Finishing checks the outline with :func:`gisplan.siting.area.drawn_area` (at least 3 corners,
no crossing edges, some area); the finished polygon is the area of the mode's siting, what-if
and closures, shown with its surface in km² and offered as a GeoJSON download.

State per area control ``key`` in ``st.session_state``: ``{key}_draw`` holds the corners
(lon, lat, WGS-84, in order), the finished :class:`~gisplan.siting.area.Area` (or None) and
the last message; ``{key}_draw_last`` the last click taken (a rerun repeats the component's
value); ``{key}_draw_map`` is the map's component state.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from gisplan.app.messages import error_text
from gisplan.app.state import context_url
from gisplan.app.widgets import basemap_key, show_map
from gisplan.catalogue import CircleStandard
from gisplan.coords import gcj02_to_wgs84
from gisplan.i18n import t
from gisplan.maps.siting_layers import SingleClickOnly, drawing_layer
from gisplan.safetext import md_text
from gisplan.siting.area import (
    MAX_DRAWN_VERTICES,
    Area,
    OutlineError,
    crossing_edges,
    drawn_area,
    edge_name,
)

__all__ = ["draw_area_panel", "drawn_area_of", "AREA_DRAW_COLOR"]

#: Colour of the outline being drawn (the planning area's purple).
AREA_DRAW_COLOR = "#6a3d9a"


def _state(key: str) -> dict:
    return st.session_state.setdefault(
        f"{key}_draw", {"vertices": [], "area": None, "message": None, "crossing": []}
    )


def drawn_area_of(key: str) -> Area | None:
    """The finished area drawn for the area control ``key``, or None while drawing."""
    return _state(key)["area"]


def _crossing_message(n: int, pair: tuple[int, int]) -> str:
    """The crossing of edges ``pair`` of an outline of ``n`` corners, in the user's language."""
    return t("draw.crossing", a=edge_name(pair[0], n), b=edge_name(pair[1], n))


def _take_click(key: str, state: dict, basemap) -> None:
    """Add the map's new click (if any) as a corner of the drawn area.

    Called before anything is drawn, so one run answers the click.
    """
    click = (st.session_state.get(f"{key}_draw_map") or {}).get("last_clicked")
    if not click or click == st.session_state.get(f"{key}_draw_last"):
        return
    st.session_state[f"{key}_draw_last"] = click
    if state["area"] is not None:
        return  # finished: clicks change nothing until the outline is reopened
    if len(state["vertices"]) >= MAX_DRAWN_VERTICES:
        state["message"] = t("draw.too_many", n=MAX_DRAWN_VERTICES)
        return
    x, y = float(click["lng"]), float(click["lat"])
    if basemap.coord_system == "gcj02":  # the map shows GCJ-02; areas are WGS-84
        x, y = gcj02_to_wgs84(x, y)
    corner = [round(float(x), 6), round(float(y), 6)]
    if not state["vertices"] or state["vertices"][-1] != corner:
        state["vertices"].append(corner)
    state["message"], state["crossing"] = None, []


def _undo(key: str) -> None:
    state = _state(key)
    if state["vertices"]:
        state["vertices"].pop()
    state["area"], state["message"], state["crossing"] = None, None, []


def _clear(key: str) -> None:
    state = _state(key)
    state["vertices"], state["area"], state["message"], state["crossing"] = [], None, None, []


def _reopen(key: str) -> None:
    state = _state(key)
    state["area"], state["message"], state["crossing"] = None, None, []


def _finish(key: str) -> None:
    """Check the outline (:func:`drawn_area`, the one rule) and keep it, or say what is wrong."""
    state = _state(key)
    vertices = state["vertices"]
    try:
        area = drawn_area(vertices)
    except OutlineError as exc:
        state["area"] = None
        state["crossing"] = [exc.edges] if exc.edges else []
        if exc.reason == "few":
            state["message"] = t("draw.need_three", n=len(vertices))
        elif exc.reason == "many":
            state["message"] = t("draw.too_many", n=MAX_DRAWN_VERTICES)
        elif exc.reason == "crossing" and exc.edges:
            state["message"] = _crossing_message(len(vertices), exc.edges)
        elif exc.reason == "no_area":
            state["message"] = t("draw.no_area")
        else:  # a corner off the globe: said by the one place for errors
            state["message"] = md_text(error_text(exc))
        return
    km2 = f"{area.area_km2:,.2f}"
    state["area"] = dataclasses.replace(area, name=t("draw.name", km2=km2))
    state["message"], state["crossing"] = None, []


def draw_area_panel(
    *, key: str, dataset_key: str, dataset, model, standard: CircleStandard, basemap, lang: str
) -> Area | None:
    """The drawing map with its buttons (main page); returns the finished area or None.

    ``key`` is the area control's key; ``dataset_key`` the dataset's cache key (for the map's
    context layer). The map shows the communities coloured by completeness under the
    session's ``standard``, so the official sees where the gaps are while drawing.
    """
    from gisplan.maps.coverage import coverage_base, coverage_overlays

    state = _state(key)
    _take_click(key, state, basemap)
    vertices = state["vertices"]
    finished = state["area"] is not None
    crossing = [] if finished else crossing_edges(vertices, closed=False) + state["crossing"]
    coverage = model.coverage(standard)
    rivers = dataset.extras.get("rivers")

    def base():
        m = coverage_base(
            coverage,
            extras={"rivers": rivers} if rivers is not None else None,
            basemap=basemap,
            tianditu_key=basemap_key(basemap),
            synthetic=dataset.synthetic,
            attribution=dataset.attribution,
            lang=lang,
            context_url=context_url(dataset_key, dataset),
            base_url="/app/static/vendor",
        )
        SingleClickOnly().add_to(m)  # a double-click zooms and places no corner
        return m

    def layers():
        return [
            *coverage_overlays(
                coverage,
                basemap=basemap,
                synthetic=dataset.synthetic,
                lang=lang,
                community_popups=False,  # clicks must reach the map
            ),
            drawing_layer(
                vertices,
                name=t("draw.layer"),
                color=AREA_DRAW_COLOR,
                finished=finished,
                crossing=crossing,
                basemap=basemap,
            ),
        ]

    st.subheader(t("draw.title"))
    map_col, side = st.columns([2, 1], gap="medium")
    with map_col:
        show_map(
            base,
            layers=layers,
            key=f"{key}_draw_map",
            height=460,
            returned_objects=["last_clicked"],
        )
    with side:
        st.caption(t("draw.how"))
        st.markdown(t("draw.corners", n=len(vertices)))
        if finished:
            area = state["area"]
            st.success(t("draw.finished"))
            st.metric(t("draw.area"), t("draw.km2", km2=f"{area.area_km2:,.2f}"))
            st.download_button(
                t("draw.download"),
                area.to_geojson(),
                file_name="drawn_area.geojson",
                mime="application/geo+json",
                key=f"{key}_draw_download",
            )
            b0, b1 = st.columns(2)
            b0.button(t("draw.edit"), key=f"{key}_draw_edit", on_click=_reopen, args=(key,))
            b1.button(t("draw.clear"), key=f"{key}_draw_clear", on_click=_clear, args=(key,))
        else:
            st.button(
                t("draw.finish"),
                key=f"{key}_draw_finish",
                type="primary",
                disabled=len(vertices) < 3,
                on_click=_finish,
                args=(key,),
            )
            b0, b1 = st.columns(2)
            b0.button(
                t("draw.undo"),
                key=f"{key}_draw_undo",
                disabled=not vertices,
                on_click=_undo,
                args=(key,),
            )
            b1.button(
                t("draw.clear"),
                key=f"{key}_draw_clear",
                disabled=not vertices,
                on_click=_clear,
                args=(key,),
            )
            live = crossing_edges(vertices, closed=False)
            if live and not state["message"]:
                st.warning(_crossing_message(len(vertices), live[0]))
        if state["message"]:
            st.error(state["message"])
    return state["area"]
