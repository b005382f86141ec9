"""The coverage map: how much of the 15-minute standard each community meets.

Communities coloured by completeness or by walking minutes, amenities and service areas.
What the overlays draw is one :class:`CoverageLayers` (for :func:`coverage_overlays` and
:func:`coverage_map` alike).  Layers are given in EPSG:4326; minutes are walking minutes on
the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.access.coverage import CoverageResult
from gisplan.catalogue import MET_SLACK_MIN
from gisplan.i18n import category_name, t
from gisplan.labels import synthetic_label
from gisplan.maps.assets import DEFAULT_BASE_URL
from gisplan.maps.base import (
    FetchedGeoJson,
    LayerStore,
    _bounds,
    _popup,
    _tooltip,
    feature_collection_json,
    new_map,
    to_feature_collection,
)
from gisplan.maps.basemaps import Basemap, display_layer, get_basemap
from gisplan.maps.context import FetchedContext, add_context
from gisplan.maps.elements import Legend, LegendItem
from gisplan.maps.palette import (
    MINUTES_COLORS,
    SERVICE_AREA_COLOR,
    WATER_COLOR,
    amenity_color,
    completeness_colors,
)
from gisplan.maps.sites import add_area

__all__ = [
    "CoverageLayers",
    "COMPLETENESS_COLORS",
    "MINUTES_COLORS",
    "coverage_base",
    "coverage_overlays",
    "coverage_map",
    "completeness_color",
    "minutes_class",
]

#: Red (nothing met) to green (everything met), for a share; the map itself uses one class per
#: count of required categories met (:func:`gisplan.maps.palette.completeness_colors`).
COMPLETENESS_COLORS = tuple(completeness_colors(4))
RIVER_COLOR = WATER_COLOR


@dataclass(frozen=True)
class CoverageLayers:
    """What the overlays of a coverage map draw (the options that follow the standard).

    Parameters
    ----------
    color_by : str
        ``"completeness"`` or a category id (colour by walking minutes to it).
    amenities : GeoDataFrame, optional
        Amenities (EPSG:4326); those of ``amenity_categories`` are drawn as small circles
        (default: the required categories and the ``color_by`` category).
    amenity_categories : sequence of str, optional
        Categories of amenities to draw.
    service_area : GeoSeries, optional
        Service-area polygon (EPSG:4326) of ``service_category`` to overlay.
    service_category : str, optional
        The category whose service area is drawn (its name and minutes in the legend).
    community_popups : bool
        ``False`` keeps the communities' hover tooltips but binds no click popup, so that
        clicks reach the map (the siting page's what-if map).
    aggregate : bool, optional
        Hexagons below the detail zoom (default: more than
        :data:`~gisplan.maps.hexagons.CITY_SCALE_COMMUNITIES` communities).
    """

    color_by: str = "completeness"
    amenities: gpd.GeoDataFrame | None = None
    amenity_categories: Sequence[str] | None = None
    service_area: gpd.GeoSeries | None = None
    service_category: str | None = None
    community_popups: bool = True
    aggregate: bool | None = None

    @classmethod
    def of(cls, layers: CoverageLayers | None, options: dict[str, Any]) -> CoverageLayers:
        """``layers``, or the same options given as keywords (the names of the fields)."""
        if layers is not None and options:
            raise TypeError(f"give CoverageLayers or keywords, not both: {sorted(options)}")
        if layers is not None:
            return layers
        unknown = sorted(set(options) - {f.name for f in fields(cls)})
        if unknown:
            raise TypeError(f"unknown coverage layer option(s): {', '.join(unknown)}")
        return cls(**options)


def completeness_color(completeness: float) -> str:
    """Colour for a completeness share (0–1): red at 0 through to green at 1."""
    if not np.isfinite(completeness):
        return MINUTES_COLORS[-1]
    k = int(round(float(np.clip(completeness, 0.0, 1.0)) * (len(COMPLETENESS_COLORS) - 1)))
    return COMPLETENESS_COLORS[k]


def minutes_class(minutes: np.ndarray, threshold: float) -> np.ndarray:
    """Class 0–4 per value: met (<= threshold), <= 1.5x, <= 2x, beyond or unreachable, unsnapped (nan)."""
    m = np.asarray(minutes, dtype=float)
    out = np.full(m.shape, 3, dtype=int)
    out[m <= 2.0 * threshold + MET_SLACK_MIN] = 2
    out[m <= 1.5 * threshold + MET_SLACK_MIN] = 1
    out[m <= threshold + MET_SLACK_MIN] = 0
    out[np.isnan(m)] = 4
    return out


def _fmt_minutes(v: float, lang: str) -> str:
    if np.isnan(v):
        return t("legend.unsnapped", lang)
    if not np.isfinite(v):
        return t("legend.unreachable", lang)
    return f"{v:.1f}"


def _radius(population: pd.Series) -> np.ndarray:
    p = population.astype(float).clip(lower=0).to_numpy()
    ref = max(float(np.nanmax(p)) if len(p) else 1.0, 1.0)
    return np.round(3.0 + 4.0 * np.sqrt(p / ref), 1)


def coverage_base(
    result: CoverageResult,
    *,
    extras: dict[str, gpd.GeoDataFrame] | None = None,
    basemap: Basemap | str = "none",
    tianditu_key: str | None = None,
    synthetic: bool = False,
    attribution: str = "",
    lang: str = "zh",
    base_url: str = DEFAULT_BASE_URL,
    network: dict | None = None,
    context_url: str | None = None,
) -> folium.Map:
    """The part of a coverage map that does not depend on the standard or the colouring.

    Basemap, context layers (``extras``, e.g. rivers), attribution and synthetic label, fitted
    to the communities.  It is the same map for every threshold, speed or colouring, so the app
    keeps it (and the user's view of it) and swaps only :func:`coverage_overlays`.
    ``network`` (:func:`gisplan.maps.context.network_geojson`) is drawn faintly over the
    water when there are no basemap tiles, so users can find their street.  With
    ``context_url`` (a JSON file of water and network the app serves, see
    :class:`gisplan.maps.context.FetchedContext`) and no basemap tiles, both are loaded from
    that file instead of being written into the map.
    """
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    shown = display_layer(result.table, b)
    m = new_map(
        _bounds([shown]),
        basemap=b,
        tianditu_key=tianditu_key,
        attribution=[attribution] if attribution else [],
        synthetic=synthetic,
        base_url=base_url,
        lang=lang,
    )
    if context_url and not b.online:
        FetchedContext(context_url).add_to(m)
        return m
    for key, layer in (extras or {}).items():
        if layer is None or not len(layer):
            continue
        g = display_layer(layer, b)
        folium.GeoJson(
            to_feature_collection(g, []),
            name=t(f"layer.{key}", lang),
            style_function=lambda _f: {
                "color": RIVER_COLOR,
                "weight": 3,
                "fillColor": RIVER_COLOR,
                "fillOpacity": 0.6,
            },
            interactive=False,
        ).add_to(m)
    if network is not None and not b.online:
        add_context(m, network=network, basemap=b, network_name=t("layer.network", lang))
    return m


def coverage_overlays(
    result: CoverageResult,
    layers: CoverageLayers | None = None,
    *,
    basemap: Basemap | str = "none",
    synthetic: bool = False,
    lang: str = "zh",
    store: LayerStore | None = None,
    **options: Any,
) -> list[folium.FeatureGroup]:
    """The layers of a coverage map that follow the standard: one feature group each.

    Service area, amenities, and the communities with the legend (in this drawing order).
    Add them to :func:`coverage_base` (``fg.add_to(m)``), or give them to streamlit-folium's
    ``feature_group_to_add`` so that a control change redraws only these.  What they show is
    ``layers`` (:class:`CoverageLayers`), or its fields given as keywords.

    ``aggregate`` (default: more than
    :data:`~gisplan.maps.hexagons.CITY_SCALE_COMMUNITIES` communities): below
    :data:`~gisplan.maps.hexagons.DETAIL_MIN_ZOOM` the communities are shown as hexagons
    coloured by the share of their residents meeting the whole standard
    (:func:`~gisplan.maps.hexagons.hexagon_cells`), one layer per cell size of
    :data:`~gisplan.maps.hexagons.HEX_LEVELS` (larger cells when zoomed out); single
    communities and amenities appear from the detail zoom on, and amenities carry only their
    category (names in tooltips would multiply the bytes sent).

    ``store`` (:class:`~gisplan.maps.base.LayerStore`, used when aggregating): the hexagons,
    communities and amenities are published there, once per content, and the browser fetches
    each layer when it is first shown; the groups then carry only URLs, styles and legends, so
    a rerun sends a few kilobytes instead of megabytes.
    """
    from gisplan.maps import hexagons

    opts = CoverageLayers.of(layers, options)
    color_by, amenities, service_area = opts.color_by, opts.amenities, opts.service_area
    service_category = opts.service_category
    aggregate = opts.aggregate
    if aggregate is None:
        aggregate = len(result.table) > hexagons.CITY_SCALE_COMMUNITIES
    if not aggregate:
        store = None
    std = result.standard
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    table = result.table
    groups: list[folium.FeatureGroup] = []

    if service_area is not None and len(service_area) and not service_area.iloc[0].is_empty:
        cat = std[service_category] if service_category else None
        label = (
            t("legend.service_area", lang, name=category_name(cat, lang), limit=cat.minutes)
            if cat
            else t("layer.service_area", lang)
        )
        fg = folium.FeatureGroup(name=label, control=False)
        add_area(
            fg, service_area, name=label, color=SERVICE_AREA_COLOR, fill_opacity=0.15, basemap=b
        )
        groups.append(fg)

    req = std.required_ids
    zh = {c.id: category_name(c, lang) for c in std.categories}
    minute_cats = list(dict.fromkeys([*req, *([color_by] if color_by != "completeness" else [])]))
    minute_fields = [
        (
            f"_min_{cid}",
            t("fmt.paren", lang, text=zh[cid], note=t("field.minutes_short", lang)),
        )
        for cid in minute_cats
    ]

    colors, items, legend_title = _community_colors(result, color_by, lang)

    def community_frame() -> gpd.GeoDataFrame:
        """The communities with their display properties (display coordinates)."""
        g = display_layer(table, b).copy()
        g["_name"] = g["name"].astype(str)
        g["_population"] = g["population"].astype(int)
        g["_completeness"] = [f"{int(k)}/{len(req)}" for k in g["required_met"]]
        sep = t("sep.list", lang)
        g["_missing"] = g["missing"].map(
            lambda s: sep.join(zh[c] for c in s.split(",") if c) or "—"
        )
        for cid in minute_cats:
            g[f"_min_{cid}"] = [
                _fmt_minutes(v, lang) for v in table[f"minutes_{cid}"].to_numpy(dtype=float)
            ]
        g["_radius"] = _radius(g["population"])
        g["_color"] = colors
        return g

    fields = ["_name", "_population", "_completeness", "_missing", *[f for f, _ in minute_fields]]
    aliases = [
        t("field.name", lang),
        t("field.population", lang),
        t("field.completeness", lang),
        t("field.missing", lang),
        *[a for _, a in minute_fields],
    ]

    cats = (
        list(opts.amenity_categories)
        if opts.amenity_categories is not None
        else list(dict.fromkeys([*req, *([color_by] if color_by != "completeness" else [])]))
    )
    amenity_group, amenity_items = _amenity_layer(
        amenities, cats, b, zh=zh, lang=lang, aggregate=aggregate, store=store
    )
    if amenity_group is not None:
        groups.append(amenity_group)

    if aggregate:
        groups[0:0] = _hexagon_groups(table, b, lang=lang, synthetic=synthetic, store=store)
    fg = folium.FeatureGroup(name=t("layer.communities", lang), control=False)
    if aggregate:
        hexagons.LayerZoomRange(hexagons.DETAIL_MIN_ZOOM).add_to(fg)
    # City scale: the tooltip's fields only (name, population, completeness), no popup: the
    # per-community minutes would multiply what every rerun sends (the gap list has them).
    sent = fields[:3] if aggregate else fields
    if store is not None:
        key = hexagons.data_key(
            "communities",
            b.coord_system,
            lang,
            sent,
            table[["name", "population", "required_met"]],
            colors,
            shapely.get_coordinates(table.geometry.values),
        )
        url = store.url(
            key, lambda: feature_collection_json(community_frame(), [*sent, "_color", "_radius"])
        )
        FetchedGeoJson(
            url,
            fields=fields[:3],
            aliases=aliases[:3],
            style=_COMMUNITY_STYLE,
            highlight={"weight": 3},
            radius=5,
            min_zoom=hexagons.DETAIL_MIN_ZOOM,
        ).add_to(fg)
    else:
        folium.GeoJson(
            to_feature_collection(community_frame(), [*sent, "_color", "_radius"]),
            name=t("layer.communities", lang),
            marker=folium.CircleMarker(radius=5, weight=1, fill=True),
            style_function=lambda f: {
                **_COMMUNITY_STYLE,
                "fillColor": f["properties"]["_color"],
                "radius": f["properties"]["_radius"],
            },
            highlight_function=lambda _f: {"weight": 3},
            tooltip=_tooltip(fields[:3], aliases[:3]),
            popup=_popup(fields, aliases) if opts.community_popups and not aggregate else None,
        ).add_to(fg)

    if service_area is not None and service_category:
        cat = std[service_category]
        amenity_items.append(
            LegendItem(
                t("legend.service_area", lang, name=category_name(cat, lang), limit=cat.minutes),
                SERVICE_AREA_COLOR,
                "fill",
                0.15,
            )
        )
    note = synthetic_label(lang) if synthetic else ""
    Legend(legend_title, [*items, *amenity_items], note=note).add_to(fg)
    groups.append(fg)
    return groups


def _community_colors(
    result: CoverageResult, color_by: str, lang: str
) -> tuple[np.ndarray, list[LegendItem], str]:
    """Colour per community, the legend items of the colours used and the legend title.

    By completeness (one colour per count of required categories met, 0 … n, none shared)
    or by the walking minutes to the category ``color_by`` (:func:`minutes_class`).
    """
    std, table = result.standard, result.table
    if color_by == "completeness":
        req = std.required_ids
        ramp = completeness_colors(len(req))
        met = table["required_met"].to_numpy(dtype=int)
        levels = sorted(set(met.tolist()), reverse=True)
        items = [LegendItem(f"{k}/{len(req)}", ramp[k], "circle") for k in levels]
        return np.asarray(ramp, dtype=object)[met], items, t("legend.completeness", lang)
    cat = std[color_by]
    cls = minutes_class(table[f"minutes_{color_by}"].to_numpy(dtype=float), cat.minutes)
    a = cat.minutes
    labels = [
        t("legend.within", lang, a=a),
        t("legend.between", lang, a=a, b=1.5 * a),
        t("legend.between", lang, a=1.5 * a, b=2 * a),
        t("legend.over", lang, a=2 * a) + " / " + t("legend.unreachable", lang),
        t("legend.unsnapped", lang),
    ]
    items = [LegendItem(labels[k], MINUTES_COLORS[k], "circle") for k in sorted(set(cls.tolist()))]
    title = t("legend.minutes", lang, name=category_name(cat, lang), limit=a)
    return np.asarray(MINUTES_COLORS, dtype=object)[cls], items, title


def _amenity_layer(
    amenities: gpd.GeoDataFrame | None,
    cats: list[str],
    b: Basemap,
    *,
    zh: dict[str, str],
    lang: str,
    aggregate: bool,
    store: LayerStore | None,
) -> tuple[folium.FeatureGroup | None, list[LegendItem]]:
    """The amenities of ``cats`` as one feature group (``None`` when there are none) and legend items."""
    from gisplan.maps import hexagons

    if amenities is None or not len(amenities) or not cats:
        return None, []
    amenity_colors = {c: amenity_color(c) for c in cats}  # the same colour on every page
    am = amenities.loc[amenities["category"].isin(cats)]
    if not len(am):
        return None, []
    fg = folium.FeatureGroup(name=t("layer.amenities", lang), control=False)
    present = set(am["category"].unique().tolist())
    if aggregate:
        # City scale: one MultiPoint per category (coordinates only, ~1 m), so tens of
        # thousands of amenities cost about 20 bytes each, not a feature with names.
        hexagons.LayerZoomRange(hexagons.DETAIL_MIN_ZOOM).add_to(fg)
        for c in cats:
            one = am.loc[am["category"] == c]
            if store is not None and len(one):
                _fetched_points(fg, store, one, b, color=amenity_colors[c], label=zh[c])
            elif store is None:
                hexagons.multipoint_layer(
                    display_layer(one, b), color=amenity_colors[c], tooltip=zh[c]
                ).add_to(fg)
    else:
        am = display_layer(am, b).copy()
        am["_name"] = am["name"].astype(str)
        am["_category"] = am["category"].map(zh)
        am["_color"] = am["category"].map(amenity_colors)
        folium.GeoJson(
            to_feature_collection(am, ["_name", "_category", "_color"]),
            name=t("layer.amenities", lang),
            marker=folium.CircleMarker(radius=3.5, weight=1.5, fill=True),
            style_function=lambda f: {
                "color": "#ffffff",
                "fillColor": f["properties"]["_color"],
                "fillOpacity": 1.0,
                "radius": 4,
            },
            tooltip=_tooltip(
                ["_name", "_category"], [t("field.name", lang), t("field.category", lang)]
            ),
        ).add_to(fg)
    items = [
        LegendItem(f"{t('layer.amenities', lang)} · {zh[c]}", amenity_colors[c], "circle")
        for c in cats
        if c in present
    ]
    return fg, items


_COMMUNITY_STYLE = {"color": "#333333", "weight": 1, "fillOpacity": 0.85}


def _fetched_points(
    fg: folium.FeatureGroup,
    store: LayerStore,
    points: gpd.GeoDataFrame,
    basemap: Basemap,
    *,
    color: str,
    label: str,
) -> None:
    """``points`` published as one MultiPoint (coordinates only) and fetched into ``fg``."""
    from gisplan.maps import hexagons

    key = hexagons.data_key(
        "points",
        basemap.coord_system,
        color,
        label,
        shapely.get_coordinates(points.geometry.values),
    )
    url = store.url(
        key,
        lambda: feature_collection_json(
            hexagons.multipoint_frame(display_layer(points, basemap), color=color, tooltip=label),
            ["_label", "_color"],
        ),
    )
    FetchedGeoJson(
        url,
        fields=["_label"],
        style={"color": "#ffffff", "weight": 1, "fillOpacity": 1.0},
        radius=3.5,
        min_zoom=hexagons.DETAIL_MIN_ZOOM,
    ).add_to(fg)


def _hexagon_groups(
    table: gpd.GeoDataFrame,
    basemap: Basemap,
    *,
    lang: str,
    synthetic: bool,
    store: LayerStore | None,
) -> list[folium.FeatureGroup]:
    """One hexagon layer per cell size of :data:`~gisplan.maps.hexagons.HEX_LEVELS`, and the legend.

    Cells are coloured by the share of their residents meeting the whole standard.
    """
    from gisplan.maps import hexagons

    ramp = completeness_colors(4)  # five classes of share covered, red to green
    covered = table["complete"].to_numpy(dtype=bool)
    hex_name = t("layer.hexagons", lang)
    aliases = (
        t("layer.communities", lang),
        t("field.population", lang),
        t("field.share_complete", lang),
    )
    xy = shapely.get_coordinates(table.geometry.values)
    groups = []
    for size, lo, hi in hexagons.HEX_LEVELS:
        key = hexagons.data_key(
            "hexagons", size, basemap.coord_system, table["population"], covered, xy, ramp
        )

        def cells(size: float = size) -> gpd.GeoDataFrame:
            return display_layer(hexagons.hexagon_cells(table, covered, size_m=size), basemap)

        groups.append(
            hexagons.hexagon_group(
                cells,
                colors=ramp,
                name=f"{hex_name} {size / 1000:g} km",
                aliases=aliases,
                min_zoom=lo,
                max_zoom=hi,
                store=store,
                key=key,
            )
        )
    legend = folium.FeatureGroup(name=hex_name, control=False)
    bounds = [0, *hexagons.SHARE_CLASSES]
    hex_items = [
        LegendItem(f"{bounds[k]:.0%}–{bounds[k + 1]:.0%}", ramp[k], "fill", 0.75) for k in range(5)
    ]
    note = t("legend.hexagons_zoom", lang)
    if synthetic:
        note = f"{note} · {synthetic_label(lang)}"
    Legend(hex_name, hex_items, note=note).add_to(legend)
    hexagons.LayerZoomRange(0, hexagons.DETAIL_MIN_ZOOM - 1).add_to(legend)
    return [*groups, legend]


def coverage_map(
    result: CoverageResult,
    layers: CoverageLayers | None = None,
    *,
    extras: dict[str, gpd.GeoDataFrame] | None = None,
    basemap: Basemap | str = "none",
    tianditu_key: str | None = None,
    synthetic: bool = False,
    attribution: str = "",
    lang: str = "zh",
    base_url: str = DEFAULT_BASE_URL,
    **options: Any,
) -> folium.Map:
    """Communities coloured by completeness or by minutes to one category, with amenities.

    The whole map in one piece (:func:`coverage_base` with :func:`coverage_overlays` added),
    e.g. for the standalone HTML download.

    Parameters
    ----------
    result : CoverageResult
        Coverage under the current standard (table in EPSG:4326).
    layers : CoverageLayers, optional
        What the overlays draw; or give its fields as keywords (``color_by=…``).
    extras : dict, optional
        Context layers (e.g. ``rivers``) in EPSG:4326.
    synthetic : bool
        Adds the synthetic-data label to the map.
    """
    opts = CoverageLayers.of(layers, options)
    m = coverage_base(
        result,
        extras=extras,
        basemap=basemap,
        tianditu_key=tianditu_key,
        synthetic=synthetic,
        attribution=attribution,
        lang=lang,
        base_url=base_url,
    )
    for fg in coverage_overlays(
        result,
        opts,
        basemap=m.gisplan_basemap,  # type: ignore[attr-defined]
        synthetic=synthetic,
        lang=lang,
    ):
        fg.add_to(m)
    return m
