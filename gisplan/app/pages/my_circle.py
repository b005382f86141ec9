"""我的15分钟生活圈 / My 15-minute circle (public, read-only): what a resident reaches on foot.

Pick a community by name (type-ahead over the server-side search, pinyin initials) or tap
the map; the place goes into the page URL. The answer is one bounded search (gisplan.access.place_circle); this page only
shows it. No sign-in, no upload, nothing written.
"""

from __future__ import annotations

import folium
import streamlit as st

from gisplan.access.place_circle import OutsideAreaError, PlaceCircle
from gisplan.app.messages import show_error
from gisplan.app.my_circle import (
    Place,
    circle_finder,
    community_search,
    place_from_params,
    place_params,
    warm_network,
)
from gisplan.app.standard import session_standard, standard_caption
from gisplan.app.state import context_url, current_dataset, embedded_layers, lang
from gisplan.app.widgets import basemap_control, basemap_key
from gisplan.coords import gcj02_to_wgs84
from gisplan.errors import InputError
from gisplan.i18n import category_name, t
from gisplan.io.embedded import note_column
from gisplan.maps.circle import (
    MAX_DOTS,
    circle_base_map,
    circle_layers,
    fmt_minutes,
    legend_text,
)
from gisplan.maps.context import MAX_CONTEXT_EDGES
from gisplan.safetext import md_text

QUERY, PLACE, MAP, BAD = "circle_query", "circle_place", "circle_map", "circle_bad_link"
PICKED = "circle_picked"  # set by a choice in the search box: the whole page reruns

# Phone first: thumb-sized widgets (>= 44 px), a compact title, no horizontal scrolling.
st.html(
    """<style>
    [data-testid="stMain"] h1 { font-size: 1.6rem; padding-top: 0.2rem; }
    .st-key-circle_pick input { min-height: 44px; font-size: 1rem; }
    .st-key-circle_pick button { min-height: 44px; justify-content: flex-start; }
    [data-testid="stExpander"] summary { min-height: 44px; }
    [data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1rem; }
    .st-key-circle_card p { margin-bottom: 0.25rem; }
    </style>"""
)

lg = lang()
standard = session_standard()  # the standard in force in this session
key, dataset = current_dataset()
finder = circle_finder(key, dataset, standard)
search = community_search(key, dataset)
basemap = basemap_control("circle_basemap")

# First run of this page in the session: the place named in the URL.
if PLACE not in st.session_state:
    linked, bad = place_from_params(st.query_params)
    cid = linked.community_id if linked is not None else None
    if cid is not None and search.label(cid) is None:
        linked, bad = None, "c"
    st.session_state[PLACE] = linked
    st.session_state[BAD] = bad


def _choose(cid: str) -> None:
    st.session_state[PLACE] = Place(community_id=cid)
    st.session_state[BAD] = None
    st.session_state[QUERY] = ""
    st.session_state[PICKED] = True


def _tapped() -> None:
    click = (st.session_state.get(MAP) or {}).get("last_clicked")
    if not click:
        return
    lon, lat = float(click["lng"]), float(click["lat"])
    if basemap.coord_system == "gcj02":  # the map shows GCJ-02; the analysis needs WGS-84
        lon, lat = (float(v) for v in gcj02_to_wgs84(lon, lat))
    # the URL keeps 5 decimals (about 1 m): compute for exactly the place the URL reopens
    lon, lat = round(lon, 5), round(lat, 5)
    cid = finder.community_at(lon, lat)
    st.session_state[PLACE] = Place(community_id=cid) if cid else Place(lon=lon, lat=lat)
    st.session_state[QUERY] = ""
    st.session_state[BAD] = None


@st.fragment
def search_box() -> None:
    """Type-ahead search for a community; while typing only this part reruns.

    The browser receives the few matches (:data:`SEARCH_LIMIT`), never the whole list of
    communities.
    """
    if st.session_state.pop(PICKED, False):
        st.rerun()  # a community was chosen: show its circle (the whole page)
    with st.container(key="circle_pick"):
        st.text_input(
            t("circle.pick"),
            key=QUERY,
            placeholder=t("circle.pick_placeholder"),
            live=True,  # commits after a typing pause: the list follows the typing
            autocomplete="off",
        )
        query = st.session_state.get(QUERY) or ""
        if not query.strip():
            return
        hits, total = search.find(query)
        if not hits:
            st.caption(t("circle.no_match"))
        for k, (cid, label) in enumerate(hits):
            st.button(
                md_text(label),
                key=f"circle_hit_{k}",
                on_click=_choose,
                args=(cid,),
                width="stretch",
            )
        if total > len(hits):
            st.caption(t("circle.more_matches", count=f"{total - len(hits)}"))


st.title(t("page.my_circle"))
st.caption(t("circle.intro"))
search_box()

place: Place | None = st.session_state[PLACE]
if st.session_state.get(BAD):
    st.warning(t("circle.bad_link", reason=md_text(st.session_state[BAD])))

circle: PlaceCircle | None = None
if place is not None:
    st.query_params.from_dict(place_params(place))
    try:
        if place.community_id is not None:
            circle = finder.from_community(place.community_id)
        elif place.lon is not None and place.lat is not None:
            circle = finder.from_lonlat(place.lon, place.lat)
    except OutsideAreaError:
        st.warning(t("circle.outside_area"))
    except InputError:
        st.warning(t("circle.off_network", metres=f"{finder.model.max_snap_distance_m:g}"))
else:
    st.query_params.clear()


def data_note() -> str:
    """Where the figures come from, said on every card (a card may be screenshotted alone)."""
    if dataset.synthetic:
        return t("circle.synthetic")
    dates = sorted({s.date for s in dataset.sources if s.date})
    names = [s.name for s in dataset.sources if s.name]
    return t(
        "circle.data_real",
        name=md_text(dataset.name),
        date=md_text(", ".join(dates)) or t("circle.date_unknown"),
        source=md_text("; ".join(names) or dataset.display_attribution(lg) or "—"),
    )


def verdict_card(c: PlaceCircle) -> None:
    """The answer in plain words: does this place meet the standard, and what is missing."""
    with st.container(border=True, key="circle_card"):
        title = (
            md_text(c.community_name)
            if c.community_name
            else f"{t('circle.tapped_place')} ({c.lon:.5f}, {c.lat:.5f})"
        )
        st.markdown(f"#### {title}")
        st.markdown(f"**{t('circle.meets') if c.meets_standard else t('circle.not_meets')}**")
        lines = []
        for a in c.nearest:
            if not a.required:
                continue
            name = category_name(standard[a.category], lg)
            minutes = fmt_minutes(a.minutes, lg, bound_min=c.bound_min)
            if a.met:
                lines.append(t("circle.have_item", name=name, minutes=minutes))
            elif a.reached:
                lines.append(
                    t(
                        "circle.missing_item",
                        name=name,
                        minutes=minutes,
                        limit=f"{a.threshold_min:g}",
                    )
                )
            else:
                lines.append(t("circle.missing_none", name=name, bound=f"{c.bound_min:g}"))
        st.markdown("  \n".join(lines))
        standard_caption(standard)
        st.caption(data_note())


def nearest_card(c: PlaceCircle) -> None:
    """The nearest amenity of every category, names as text."""
    with st.container(border=True, key="circle_nearest"):
        st.markdown(f"**{t('circle.nearest')}**")
        rows = []
        for a in c.nearest:
            mark = "★ " if a.required else ""
            cat = category_name(standard[a.category], lg)
            if a.reached:
                ok = t(
                    "circle.within" if a.met else "circle.not_within", limit=f"{a.threshold_min:g}"
                )
                rows.append(
                    f"{mark}**{cat}** · {md_text(a.name)} · "
                    f"{fmt_minutes(a.minutes, lg, bound_min=c.bound_min)} · {ok}"
                )
            else:
                rows.append(f"{mark}**{cat}** · {t('circle.none_found', bound=f'{c.bound_min:g}')}")
        st.markdown("  \n".join(rows))
        st.caption(
            t("circle.required_mark")
            + " · "
            + t(
                "circle.how",
                speed=f"{standard.walking_speed_kmh:g}",
                offset=f"{c.offset_m:.0f}",
            )
        )
        st.caption(data_note())


def places_card(c: PlaceCircle) -> None:
    """Nearest business districts and pedestrian streets, walking or straight-line distance."""
    layers = embedded_layers()
    with st.container(border=True, key="circle_places"):
        st.markdown(f"**{t('circle.places')}**")
        for kind, layer in (("districts", layers["districts"]), ("streets", layers["streets"])):
            st.caption(t(f"circle.{kind}"))
            near = finder.nearest_features(c, layer, limit=3)
            for _, row in near.iterrows():
                name = row["name_en"] if lg == "en" else row["name_zh"]
                if row["inside"]:
                    how = t("circle.inside")
                elif row["walking_m"] == row["walking_m"]:  # not NaN: reached on foot
                    how = t(
                        "circle.dist_walk",
                        minutes=f"{row['walking_m'] / standard.metres_per_minute:.1f}",
                        metres=f"{row['walking_m']:.0f}",
                    )
                else:
                    how = t("circle.dist_straight", km=f"{row['straight_m'] / 1000:.1f}")
                with st.expander(f"{md_text(name)} · {how}"):
                    if kind == "districts":
                        text = row["positioning_en"] if lg == "en" else row["positioning"]
                        st.markdown(md_text(text))
                        st.caption(f"{t('field.counties')}: {md_text(row['counties'])}")
                    else:
                        st.markdown(
                            f"{t('field.level')}: {t('level.' + str(row['level']))} · "
                            f"{t('field.status')}: {t('status.' + str(row['status']))}"
                        )
                        st.caption(md_text(row[note_column(lg)]))
                    st.caption(
                        f"{t('circle.approximate')} · {t('field.source')}: {md_text(row['source'])}"
                    )
        st.caption(data_note())


if circle is not None:
    verdict_card(circle)
else:
    st.info(t("circle.choose_first") + " " + t("circle.tap_hint"))
    if dataset.synthetic:
        st.caption(t("circle.synthetic"))

left, right = st.columns([3, 2], gap="medium")
with left:
    from streamlit_folium import st_folium  # only the map pages need it

    # The base map does not depend on the place: streamlit-folium keeps it and swaps only the
    # place's layers (no reload of the map frame when another place is chosen). Water and, on
    # a network of up to MAX_CONTEXT_EDGES, every street come from a file the app serves once
    # per dataset (the browser loads it once); on a city, the streets come with the place,
    # around it. Without that file (AppTest), a small network's streets are drawn inline.
    context = context_url(key, dataset)
    all_streets = dataset.network.n_edges <= MAX_CONTEXT_EDGES and context is not None
    city_streets = finder.street_lines(None) if circle is None and context is None else None
    few_communities = len(dataset.communities) <= MAX_DOTS
    try:
        m: folium.Map = circle_base_map(
            communities=dataset.communities if few_communities else None,
            streets=city_streets,
            context_url=context,
            water=dataset.extras.get("rivers"),
            area_bounds=finder.area_bounds,
            basemap=basemap,
            tianditu_key=basemap_key(basemap),
            synthetic=dataset.synthetic,
            attribution=dataset.display_attribution(lg),
            lang=lg,
        )
    except Exception as exc:  # noqa: BLE001 - e.g. a basemap key missing
        show_error(exc)
    else:
        layers = None
        if circle is not None:
            layers = circle_layers(
                circle,
                m,
                standard=standard,
                streets=None if all_streets else finder.street_lines(circle),
                communities=None if few_communities else dataset.communities,
                lang=lg,
            )
        st_folium(
            m,
            key=MAP,
            height=380,
            use_container_width=True,
            returned_objects=["last_clicked"],
            on_change=_tapped,
            feature_group_to_add=layers,
        )
    if circle is not None:
        st.caption(legend_text(lg))
        st.caption(t("circle.tap_hint") + " " + t("circle.share"))
with right:
    if circle is not None:
        nearest_card(circle)
if circle is not None:
    places_card(circle)

# Last, when the page is drawn: the edge lines and their index for the first choice or tap.
warm_network(key, dataset)
