"""Where a saved scenario acts: communities before/after, its sites' service areas, boundaries.

:func:`scenario_context` evaluates a stored scenario on an access model — the sites are joined to
the walking network like any candidate (:func:`gisplan.siting.candidates.candidates_from_points`),
the walking area within the scenario's threshold is drawn from them
(:func:`gisplan.access.service_area.service_area`) and each community is classed *served before*,
*newly served* or *not served* with the one "met" rule (:meth:`CircleStandard.met`).  The 方案管理
map and the report's map (:func:`scenario_map_png`, a static matplotlib drawing, no tiles, no
network) both draw this context.  Everything is in EPSG:4326.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from gisplan.access.coverage import AccessModel
from gisplan.access.service_area import service_area
from gisplan.catalogue import CircleStandard, default_standard
from gisplan.crs import WGS84
from gisplan.i18n import t
from gisplan.maps.palette import (
    CLOSED_SITE_COLOR,
    COUNTY_COLOR,
    NETWORK_COLOR,
    SCENARIO_STATE_COLORS,
    SERVICE_AREA_COLOR,
    SITE_STYLES,
    WATER_COLOR,
)
from gisplan.report.scenario import threshold_minutes

__all__ = [
    "STATE_COLORS",
    "SITE_COLORS",
    "ScenarioContext",
    "scenario_standard",
    "scenario_context",
    "sites_context",
    "scenario_map_png",
]

#: Community classes after the scenario (colours shared by the app's map and the report).
STATE_COLORS = SCENARIO_STATE_COLORS
#: Site kinds: chosen, hand-placed, closed.
SITE_COLORS = {
    "chosen": SITE_STYLES["chosen"][0],
    "manual": SITE_STYLES["manual"][0],
    "closed": CLOSED_SITE_COLOR,
}
AREA_COLOR = SERVICE_AREA_COLOR
BOUNDARY_COLOR = COUNTY_COLOR


@dataclass
class ScenarioContext:
    """Geometry around a scenario, EPSG:4326.

    Attributes
    ----------
    communities : GeoDataFrame
        ``id``, ``name``, ``population``, ``state`` (``served`` / ``newly`` / ``unserved``, or
        ``none`` when the scenario has no single category), point geometry.
    sites : GeoDataFrame
        The scenario's sites (``kind`` and stored properties; ``lon``/``lat`` of every site).
    service_area : GeoSeries or None
        Walking area within the threshold of the open (chosen and hand-placed) sites.
    network : GeoSeries or None
        The walking network's edges (lines), for a faint background.
    water, boundaries : GeoDataFrame or None
        Water polygons; county boundaries (clipped to the drawing by the map).
    category : str or None
        The category evaluated; ``threshold_min`` its walking threshold in minutes.
    """

    communities: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    service_area: gpd.GeoSeries | None
    network: gpd.GeoSeries | None
    water: gpd.GeoDataFrame | None
    boundaries: gpd.GeoDataFrame | None
    category: str | None
    threshold_min: float | None

    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` around the communities and the sites."""
        parts = [g.total_bounds for g in (self.communities, self.sites) if len(g)]
        if not parts:
            return (121.48, 29.80, 121.64, 29.94)
        b = np.vstack(parts)
        return (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())

    def counts(self) -> dict[str, int]:
        """Communities per state."""
        return {k: int(v) for k, v in self.communities["state"].value_counts().items()}


def scenario_standard(params: Mapping, category: str | None, base: CircleStandard | None = None):
    """The standard a scenario was made with: its walking speed and its category's threshold."""
    std = base or default_standard()
    speed = params.get("walking_speed_kmh")
    minutes = threshold_minutes(params, category)
    thresholds = {category: minutes} if category in std.ids and minutes else None
    return std.with_overrides(
        walking_speed_kmh=float(speed) if isinstance(speed, int | float) else None,
        thresholds=thresholds,
    )


def _sites_with_lonlat(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.to_crs(WGS84).copy()
    pts = frame.geometry.representative_point()
    frame["lon"], frame["lat"] = pts.x.round(7), pts.y.round(7)
    return frame


def scenario_context(
    record: Any,
    model: AccessModel,
    *,
    standard: CircleStandard | None = None,
    water: gpd.GeoDataFrame | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    network_lines: bool = True,
) -> ScenarioContext:
    """Evaluate ``record`` (:class:`gisplan.store.ScenarioRecord`) on ``model``.

    The category is the record's (a joint plan has none: communities are drawn without a state
    and no service area is computed).  ``standard`` defaults to the catalogue's, with the
    scenario's recorded speed and threshold.  Closed amenities are drawn, but not counted as
    open sites.
    """
    from gisplan.siting.candidates import candidates_from_points
    from gisplan.siting.effect import distances_with_sites

    sites = _sites_with_lonlat(record.sites_frame())
    cat = record.category if record.category in model.distances_m.columns else None
    std = scenario_standard(record.params, cat, standard)
    comm = model.communities.to_crs(WGS84)
    keep = [c for c in ("id", "name", "population") if c in comm.columns]
    communities = gpd.GeoDataFrame(
        comm[keep].copy(), geometry=comm.geometry.representative_point(), crs=WGS84
    )
    communities["state"] = "none"
    area = None
    if cat is not None:
        ids = model.communities["id"].to_numpy()
        before_m = model.distances_m.reindex(ids)[cat].to_numpy(float)
        before = std.met(cat, before_m / std.metres_per_minute)
        after = before.copy()
        open_sites = sites[sites["kind"] != "closed"] if "kind" in sites else sites
        if len(open_sites):
            cands = candidates_from_points(model, open_sites[["geometry"]].reset_index(drop=True))
            ok = np.flatnonzero(cands.snap.ok)
            if len(ok):
                snapped = cands.snap.subset(ok)
                after_m = distances_with_sites(model, std, cat, snapped, base_m=before_m)
                after = std.met(cat, np.asarray(after_m, float) / std.metres_per_minute)
                area = service_area(model.network, snapped, std.threshold_metres(cat))
        communities["state"] = np.where(
            after & ~before, "newly", np.where(after, "served", "unserved")
        )
    net = None
    if network_lines and len(model.network.edge_u) <= 200_000:
        net = gpd.GeoSeries(model.network.edge_geometry, crs=model.network.crs).to_crs(WGS84)
    if boundaries is None:
        from gisplan.io.embedded import load_counties

        boundaries = load_counties()
    return ScenarioContext(
        communities=communities,
        sites=sites,
        service_area=area,
        network=net,
        water=None if water is None else water.to_crs(WGS84),
        boundaries=boundaries,
        category=cat,
        threshold_min=std.threshold_minutes(cat) if cat else None,
    )


def sites_context(record: Any, *, boundaries: gpd.GeoDataFrame | None = None) -> ScenarioContext:
    """A scenario's sites and the county boundaries only (no data to evaluate it on)."""
    if boundaries is None:
        from gisplan.io.embedded import load_counties

        boundaries = load_counties()
    empty = gpd.GeoDataFrame({"state": []}, geometry=[], crs=WGS84)
    return ScenarioContext(
        communities=empty,
        sites=_sites_with_lonlat(record.sites_frame()),
        service_area=None,
        network=None,
        water=None,
        boundaries=boundaries,
        category=None,
        threshold_min=None,
    )


def _scale_bar(ax, west: float, east: float, south: float, lat0: float, lang: str) -> None:
    metres_per_deg = 111_320.0 * math.cos(math.radians(lat0))
    target = (east - west) * metres_per_deg / 5
    bar = 10 ** math.floor(math.log10(target))
    for mult in (5, 2):
        if bar * mult <= target:
            bar *= mult
            break
    x0 = west + (east - west) * 0.04
    y0 = south + (east - west) * 0.03 / math.cos(math.radians(lat0))
    ax.plot([x0, x0 + bar / metres_per_deg], [y0, y0], color="#000", lw=2.5, solid_capstyle="butt")
    label = (
        f"{bar / 1000:g} km" if bar >= 1000 else (f"{bar:g} 米" if lang == "zh" else f"{bar:g} m")
    )
    ax.annotate(
        label,
        (x0 + bar / metres_per_deg / 2, y0),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=8,
    )


def _cjk_fonts() -> list[str]:
    from matplotlib import font_manager

    keys = ("WenQuanYi", "Noto Sans CJK", "Noto Sans SC", "Droid Sans Fallback")
    return [f.name for f in font_manager.fontManager.ttflist if any(k in f.name for k in keys)]


def _draw_background(ax, ctx: ScenarioContext, view, lang: str) -> None:
    """Water, network, county boundaries with their names (inside ``view``, a box)."""
    if ctx.water is not None and len(ctx.water):
        ctx.water.plot(ax=ax, color=WATER_COLOR, linewidth=0, zorder=1)
    if ctx.network is not None and len(ctx.network):
        ctx.network.plot(ax=ax, color=NETWORK_COLOR, linewidth=0.4, zorder=2)
    if ctx.boundaries is None or not len(ctx.boundaries):
        return
    ctx.boundaries.boundary.plot(
        ax=ax, color=BOUNDARY_COLOR, linewidth=1.0, linestyle=(0, (4, 3)), zorder=3
    )
    name_col = "name_en" if lang == "en" else "name_zh"
    if name_col not in ctx.boundaries:
        return
    for geom, name in zip(ctx.boundaries.geometry, ctx.boundaries[name_col], strict=True):
        part = geom.intersection(view)
        if part.is_empty or part.area < 0.08 * view.area:
            continue
        p = part.representative_point()
        ax.text(
            p.x,
            p.y,
            str(name),
            fontsize=9,
            color="#555",
            ha="center",
            va="center",
            alpha=0.8,
            zorder=4,
        )


def _draw_data(ax, ctx: ScenarioContext) -> None:
    """Service area, communities by state, sites (numbered as in the report's table)."""
    if ctx.service_area is not None and not ctx.service_area.is_empty.all():
        ctx.service_area.plot(
            ax=ax, color=AREA_COLOR, alpha=0.15, edgecolor=AREA_COLOR, linewidth=0.6, zorder=5
        )
    for state in ("none", "served", "unserved", "newly"):
        part = ctx.communities[ctx.communities["state"] == state]
        if len(part):
            part.plot(
                ax=ax,
                color=STATE_COLORS[state],
                markersize=9 if state == "newly" else 6,
                edgecolor="white",
                linewidth=0.3,
                zorder=6,
            )
    kinds = ctx.sites["kind"] if "kind" in ctx.sites else None
    for kind, marker in (("closed", "X"), ("chosen", "D"), ("manual", "D")):
        part = ctx.sites[kinds == kind] if kinds is not None else ctx.sites[:0]
        if len(part):
            ax.scatter(
                part["lon"],
                part["lat"],
                s=70,
                marker=marker,
                c=SITE_COLORS[kind],
                edgecolors="#111111",
                linewidths=1.2,
                zorder=8,
            )
    for i, (x, y) in enumerate(zip(ctx.sites["lon"], ctx.sites["lat"], strict=True)):
        ax.annotate(
            str(i + 1), (x, y), xytext=(5, 5), textcoords="offset points", fontsize=8, zorder=9
        )


def _legend(ax, ctx: ScenarioContext, lang: str) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list = []
    counts = ctx.counts()
    if ctx.category is not None:
        for state in ("newly", "served", "unserved"):
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    ls="",
                    color=STATE_COLORS[state],
                    markersize=6,
                    label=t(f"rmap.{state}", lang, n=counts.get(state, 0)),
                )
            )
    elif len(ctx.communities):
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                color=STATE_COLORS["none"],
                markersize=6,
                label=t("rmap.communities", lang),
            )
        )
    if ctx.service_area is not None:
        handles.append(
            Patch(
                facecolor=AREA_COLOR,
                alpha=0.3,
                edgecolor=AREA_COLOR,
                label=t("rmap.service_area", lang, v=f"{ctx.threshold_min:g}"),
            )
        )
    kinds = set(ctx.sites["kind"]) if "kind" in ctx.sites else set()
    for kind, marker, key in (
        ("chosen", "D", "rep.sites_chosen"),
        ("manual", "D", "rep.sites_manual"),
        ("closed", "X", "rep.sites_closed"),
    ):
        if kind in kinds:
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=marker,
                    ls="",
                    markerfacecolor=SITE_COLORS[kind],
                    markeredgecolor="#111111",
                    markersize=7,
                    label=t(key, lang),
                )
            )
    handles.append(
        Line2D([], [], color=BOUNDARY_COLOR, ls=(0, (4, 3)), label=t("rmap.boundary", lang))
    )
    if ctx.network is not None:
        handles.append(Line2D([], [], color=NETWORK_COLOR, lw=1, label=t("rmap.network", lang)))
    ax.legend(handles=handles, loc="upper left", fontsize=7.5, framealpha=0.9)


def scenario_map_png(
    ctx: ScenarioContext, *, lang: str = "zh", width_in: float = 7.5, dpi: int = 130
) -> bytes:
    """A static map of ``ctx`` as PNG bytes: boundaries, water, network, service area,
    communities by state, sites, a legend, a scale bar and north arrow.

    Drawn in lon/lat with the aspect of the middle latitude (true shape at city scale).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import pyplot as plt
    from shapely.geometry import box

    w, s, e, n = ctx.bounds()
    pad = max(e - w, n - s) * 0.06 + 0.002
    w, s, e, n = w - pad, s - pad, e + pad, n + pad
    lat0 = (s + n) / 2
    aspect = 1 / math.cos(math.radians(lat0))
    height_in = min(9.0, max(3.5, width_in * (n - s) * aspect / (e - w)))
    fonts: dict[Any, Any] = {
        "font.family": ["sans-serif"],
        "font.sans-serif": [*_cjk_fonts(), "DejaVu Sans"],
    }
    with plt.rc_context(fonts):
        fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=dpi)
        try:
            ax.set_xlim(w, e)
            ax.set_ylim(s, n)
            ax.set_aspect(aspect)
            _draw_background(ax, ctx, box(w, s, e, n), lang)
            _draw_data(ax, ctx)
            _legend(ax, ctx, lang)
            _scale_bar(ax, w, e, s, lat0, lang)
            ax.annotate(
                "N",
                xy=(0.96, 0.96),
                xytext=(0.96, 0.88),
                xycoords="axes fraction",
                ha="center",
                fontsize=10,
                arrowprops={"arrowstyle": "-|>", "color": "#000"},
            )
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel("")
            ax.set_ylabel("")
            ax.set_xlim(w, e)
            ax.set_ylim(s, n)
            fig.tight_layout(pad=0.3)
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
        finally:
            plt.close(fig)
    return buf.getvalue()
