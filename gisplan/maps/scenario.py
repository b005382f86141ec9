"""The 方案管理 map of a saved scenario: its sites among the communities, on the network.

Draws a :class:`gisplan.report.scenario_map.ScenarioContext`-like object (communities classed
newly served / served before / not served, the open sites' walking area) with the same colours
as the report's static map, over the faint water and walking network (served by the app, see
:class:`gisplan.maps.context.FetchedContext`) and the county boundaries.  EPSG:4326 in,
shifted for the basemap like every other layer.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd

from gisplan.i18n import t
from gisplan.maps.base import new_map
from gisplan.maps.basemaps import Basemap, get_basemap
from gisplan.maps.context import FetchedContext, add_context
from gisplan.maps.elements import Legend, LegendItem
from gisplan.maps.palette import (
    CLOSED_SITE_COLOR,
    COUNTY_COLOR,
    NETWORK_COLOR,
    SCENARIO_STATE_COLORS,
    SERVICE_AREA_COLOR,
    SITE_STYLES,
)
from gisplan.maps.plan import add_counties
from gisplan.maps.sites import add_site_points
from gisplan.maps.siting_layers import area_layer, site_diamonds

__all__ = ["scenario_map"]


def scenario_map(
    ctx: Any,
    *,
    title: str,
    lang: str = "zh",
    synthetic: bool = False,
    attribution: str = "",
    basemap: Basemap | str = "none",
    context_url: str | None = None,
    water: gpd.GeoDataFrame | None = None,
    base_url: str | None = None,
) -> folium.Map:
    """A folium map of a scenario's context ``ctx`` (see :func:`scenario_context`).

    ``context_url``: the app's water/network file (drawn faintly, not re-sent with the map);
    without it ``water`` is drawn into the map.  ``title`` heads the legend (escaped).
    """
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    w, s, e, n = ctx.bounds()
    pad = 0.003
    kwargs = {} if base_url is None else {"base_url": base_url}
    m = new_map(
        [[s - pad, w - pad], [n + pad, e + pad]],
        basemap=b,
        synthetic=synthetic,
        attribution=[attribution] if attribution else [],
        **kwargs,
    )
    if not b.online:
        if context_url:
            FetchedContext(context_url).add_to(m)
        else:
            add_context(m, water=water, basemap=b)
    if ctx.boundaries is not None and len(ctx.boundaries):
        add_counties(m, ctx.boundaries, lang=lang)
    area_layer(
        ctx.service_area,
        name=t("rmap.service_area", lang, v=f"{ctx.threshold_min or 0:g}"),
        color=SERVICE_AREA_COLOR,
        fill_opacity=0.15,
        dashed=False,
        weight=0.8,
        basemap=b,
    ).add_to(m)
    comm = ctx.communities.assign(_color=ctx.communities["state"].map(SCENARIO_STATE_COLORS))
    comm["_state"] = comm["state"].map(
        {
            "newly": t("rmap.newly_one", lang),
            "served": t("rmap.served_one", lang),
            "unserved": t("rmap.unserved_one", lang),
            "none": "",
        }
    )
    add_site_points(
        m,
        comm,
        name=t("rmap.communities", lang),
        fields=[c for c in ("name", "_state") if c in comm.columns],
        color_column="_color",
        radius=5,
        basemap=b,
    )
    items: list[LegendItem] = []
    counts = ctx.counts()
    if ctx.category is not None:
        for state in ("newly", "served", "unserved"):
            items.append(
                LegendItem(
                    t(f"rmap.{state}", lang, n=counts.get(state, 0)),
                    SCENARIO_STATE_COLORS[state],
                    "circle",
                )
            )
    else:
        items.append(
            LegendItem(t("rmap.communities", lang), SCENARIO_STATE_COLORS["none"], "circle")
        )
    if ctx.service_area is not None and not ctx.service_area.is_empty.all():
        items.append(
            LegendItem(
                t("rmap.service_area", lang, v=f"{ctx.threshold_min:g}"),
                SERVICE_AREA_COLOR,
                "fill",
                0.15,
            )
        )
    sites = ctx.sites
    kinds = set(sites["kind"]) if "kind" in sites else set()
    fields = [("name", t("field.name", lang)), ("gain", t("rhtml.site_gain", lang))]
    for kind, key in (("chosen", "rep.sites_chosen"), ("manual", "rep.sites_manual")):
        if kind in kinds:
            site_diamonds(
                sites[sites["kind"] == kind], kind=kind, name=t(key, lang), fields=fields, basemap=b
            ).add_to(m)
            items.append(LegendItem(t(key, lang), SITE_STYLES[kind][0], "diamond"))
    if "closed" in kinds:
        closed = sites[sites["kind"] == "closed"].assign(_color=CLOSED_SITE_COLOR)
        add_site_points(
            m,
            closed,
            name=t("rep.sites_closed", lang),
            fields=[c for c in ("name",) if c in closed.columns],
            color_column="_color",
            radius=7,
            basemap=b,
        )
        items.append(LegendItem(t("rep.sites_closed", lang), CLOSED_SITE_COLOR, "circle"))
    items.append(LegendItem(t("rmap.boundary", lang), COUNTY_COLOR, "dashed"))
    if not b.online:
        items.append(LegendItem(t("rmap.network", lang), NETWORK_COLOR, "line"))
    Legend(title, items).add_to(m)
    return m
