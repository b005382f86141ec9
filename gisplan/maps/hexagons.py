"""Hexagonal cells that aggregate communities for city-scale maps.

At city zoom thousands of community dots are unreadable and their GeoJSON is heavy; a map
shows instead regular hexagons (pointy-top, ``size_m`` = centre-to-corner distance in metres,
in a metric CRS) coloured by the share of their residents that are covered.  The cell size
follows the zoom (:data:`HEX_LEVELS`: 4 km across the whole city, 2 km, 1 km, then 500 m
within a district, about 15–30 screen pixels each), and single communities replace the
cells from :data:`DETAIL_MIN_ZOOM` on.  Each community
belongs to exactly one cell: the hexagon containing its point (axial coordinates with cube
rounding, the standard construction), so the cells' sums equal the communities' sums.

Only cells that hold at least one community are built.  Everything is vectorised (numpy,
shapely), no extra dependency.
"""

from __future__ import annotations

from collections.abc import Callable

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gisplan.crs import METRIC_CRS, WGS84

__all__ = [
    "hex_axial",
    "hex_polygons",
    "hexagon_cells",
    "hexagon_group",
    "share_class",
    "multipoint_layer",
    "multipoint_frame",
    "LayerZoomRange",
    "DEFAULT_HEX_SIZE_M",
    "CITY_SCALE_COMMUNITIES",
    "DETAIL_MIN_ZOOM",
    "HEX_LEVELS",
    "hex_size_for_zoom",
    "data_key",
]

#: Default cell size (centre to corner, metres): cells of ~2.6 km², about a 15-minute walk
#: across, so a city of 10,000 km² has at most a few thousand occupied cells.
DEFAULT_HEX_SIZE_M = 1000.0
_SQRT3 = np.sqrt(3.0)


def hex_axial(x: np.ndarray, y: np.ndarray, size_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial coordinates ``(q, r)`` (int64) of the pointy-top hexagon holding each point.

    ``x``, ``y`` in metres (metric CRS); hexagon ``(0, 0)`` is centred on the origin.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    qf = (_SQRT3 / 3.0 * x - y / 3.0) / size_m
    rf = (2.0 / 3.0 * y) / size_m
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def hex_polygons(q: np.ndarray, r: np.ndarray, size_m: float) -> np.ndarray:
    """Polygons (metric CRS) of the hexagons with axial coordinates ``q``, ``r``."""
    q = np.asarray(q, dtype=float)
    r = np.asarray(r, dtype=float)
    cx = size_m * _SQRT3 * (q + r / 2.0)
    cy = size_m * 1.5 * r
    angles = np.deg2rad(np.arange(6) * 60.0 + 30.0)  # pointy top: corners at 30°, 90°, ...
    ring_x = cx[:, None] + size_m * np.cos(angles)[None, :]
    ring_y = cy[:, None] + size_m * np.sin(angles)[None, :]
    coords = np.stack([ring_x, ring_y], axis=-1)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)  # close the rings
    return shapely.polygons(coords)


def hexagon_cells(
    communities: gpd.GeoDataFrame,
    covered: np.ndarray | pd.Series,
    *,
    size_m: float = DEFAULT_HEX_SIZE_M,
    metric_crs: str = METRIC_CRS,
) -> gpd.GeoDataFrame:
    """Occupied hexagons with the communities' population and covered population.

    Parameters
    ----------
    communities : GeoDataFrame
        Points (any CRS) with a ``population`` column.
    covered : array of bool
        Per community (same order): whether it is covered (e.g. meets the whole standard).
    size_m : float
        Hexagon size, centre to corner, metres.
    metric_crs : str
        Metric CRS the grid is laid in.

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        One row per occupied cell: ``q``, ``r``, ``communities``, ``population``,
        ``population_covered``, ``share_covered`` (0–1, NaN for cells without residents).
    """
    pts = communities.to_crs(metric_crs).geometry
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    q, r = hex_axial(x, y, size_m)
    pop = communities["population"].to_numpy(dtype=float)
    cov = np.asarray(covered, dtype=bool)
    frame = pd.DataFrame(
        {"q": q, "r": r, "communities": 1, "population": pop, "population_covered": pop * cov}
    )
    cells = frame.groupby(["q", "r"], sort=True, as_index=False).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(
            cells["population"] > 0, cells["population_covered"] / cells["population"], np.nan
        )
    cells["share_covered"] = share
    cells["communities"] = cells["communities"].astype(int)
    geoms = hex_polygons(cells["q"].to_numpy(), cells["r"].to_numpy(), size_m)
    out = gpd.GeoDataFrame(cells, geometry=geoms, crs=metric_crs)
    return out.to_crs(WGS84)


# -- map layers ------------------------------------------------------------------------------

#: Above this many communities a coverage map shows hexagons at city zoom and the single
#: communities (and amenities) only from :data:`DETAIL_MIN_ZOOM` on.
CITY_SCALE_COMMUNITIES = 2000
#: Zoom level from which single communities and amenities are drawn at city scale.
DETAIL_MIN_ZOOM = 14
#: Hexagon size (centre to corner, metres) per zoom range ``(size_m, min_zoom, max_zoom)``:
#: at latitude 30° a cell is 15–30 px across at every zoom below :data:`DETAIL_MIN_ZOOM`
#: (zoom 9: a whole city of 100 km on a phone; zoom 13: one district).
HEX_LEVELS: tuple[tuple[float, int, int], ...] = (
    (4000.0, 0, 9),
    (2000.0, 10, 11),
    (1000.0, 12, 12),
    (500.0, 13, DETAIL_MIN_ZOOM - 1),
)


def hex_size_for_zoom(zoom: float) -> float | None:
    """Hexagon size (metres, centre to corner) shown at ``zoom``; ``None`` from the detail zoom."""
    z = int(np.floor(zoom))
    for size, lo, hi in HEX_LEVELS:
        if lo <= z <= hi:
            return size
    return None


def data_key(*parts: object) -> str:
    """A short digest of ``parts`` (text, numbers, arrays, frames) naming a published layer.

    Arrays and frames are hashed by content (:func:`pandas.util.hash_pandas_object`), so a
    key changes whenever anything drawn in the layer does.
    """
    import hashlib

    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, (pd.DataFrame, pd.Series)):
            h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
        elif isinstance(part, np.ndarray):
            h.update(
                np.ascontiguousarray(part).tobytes()
                if part.dtype != object
                else repr(part.tolist()).encode()
            )
        else:
            h.update(repr(part).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:32]


#: Upper bounds of the share-covered classes of the hexagons (0–1).
SHARE_CLASSES = (0.2, 0.4, 0.6, 0.8, 1.0)


class LayerZoomRange(MacroElement):
    """Show its parent layer (a feature group) only between two zoom levels.

    Works for layers that streamlit-folium swaps in and out (``feature_group_to_add``): the
    script waits until the layer is on a map, and stops following the zoom once the layer is
    removed by anything else (a rerun replacing it), so an old layer never comes back.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (layer, minZoom, maxZoom) {
            var map = null, hiding = false;
            var sync = function () {
                var z = Math.floor(map.getZoom()), show = z >= minZoom && z <= maxZoom;
                hiding = true;
                if (show && !map.hasLayer(layer)) { map.addLayer(layer); }
                if (!show && map.hasLayer(layer)) { map.removeLayer(layer); }
                hiding = false;
            };
            var attach = function (tries) {
                map = layer._map;
                if (!map) { if (tries < 200) { setTimeout(function () { attach(tries + 1); }, 25); } return; }
                map.on('zoomend', sync);
                layer.on('remove', function () { if (!hiding) { map.off('zoomend', sync); } });
                sync();
            };
            attach(0);
        })({{ this._parent.get_name() }}, {{ this.min_zoom }}, {{ this.max_zoom }});
        {% endmacro %}"""
    )

    def __init__(self, min_zoom: int = 0, max_zoom: int = 30) -> None:
        super().__init__()
        self._name = "GisplanLayerZoomRange"
        self.min_zoom = int(min_zoom)
        self.max_zoom = int(max_zoom)


def multipoint_frame(points: gpd.GeoDataFrame, *, color: str, tooltip: str) -> gpd.GeoDataFrame:
    """All ``points`` as one MultiPoint row (``_label`` = ``tooltip``, ``_color``).

    Coordinates rounded to 5 decimals (about 1 m).  For tens of thousands of points at city
    scale: about 20 bytes a point.
    """
    xy = np.round(np.column_stack([points.geometry.x, points.geometry.y]), 5)
    return gpd.GeoDataFrame(
        {"_label": [tooltip], "_color": [color]}, geometry=[shapely.MultiPoint(xy)]
    )


def multipoint_layer(points: gpd.GeoDataFrame, *, color: str, tooltip: str) -> folium.GeoJson:
    """All ``points`` (display coordinates) as one MultiPoint feature of small circles.

    Every circle has the same colour and the same tooltip (e.g. the category name); see
    :func:`multipoint_frame`.
    """
    from gisplan.maps.base import _tooltip, to_feature_collection

    one = multipoint_frame(points, color=color, tooltip=tooltip)
    return folium.GeoJson(
        to_feature_collection(one, ["_label"]),
        marker=folium.CircleMarker(radius=3.5, weight=1, fill=True),
        style_function=lambda _f, c=color: {
            "color": "#ffffff",
            "weight": 1,
            "fillColor": c,
            "fillOpacity": 1.0,
            "radius": 3.5,
        },
        tooltip=_tooltip(["_label"], ["_label"], labels=False),
    )


def share_class(share: np.ndarray) -> np.ndarray:
    """Class index (0–4) of each share covered (NaN -> 0)."""
    s = np.nan_to_num(np.asarray(share, dtype=float), nan=0.0)
    return np.minimum(np.searchsorted(np.asarray(SHARE_CLASSES), s, side="left"), 4)


_HEX_FIELDS = ["_communities", "_population", "_share"]
_HEX_STYLE = {"color": "#ffffff", "weight": 0.6, "fillOpacity": 0.75}
_HEX_HIGHLIGHT = {"weight": 2, "color": "#333333"}


def _hex_frame(cells: gpd.GeoDataFrame, colors: list[str]) -> gpd.GeoDataFrame:
    g = cells.copy()
    g["_color"] = np.asarray(colors, dtype=object)[share_class(g["share_covered"].to_numpy())]
    g["_communities"] = g["communities"].astype(int)
    g["_population"] = g["population"].round().astype(int)
    g["_share"] = [
        "—" if not np.isfinite(v) else f"{v:.0%}" for v in g["share_covered"].to_numpy(float)
    ]
    return g


def hexagon_group(
    cells: gpd.GeoDataFrame | Callable[[], gpd.GeoDataFrame],
    *,
    colors: list[str],
    name: str,
    aliases: tuple[str, str, str],
    min_zoom: int = 0,
    max_zoom: int = DETAIL_MIN_ZOOM - 1,
    store=None,
    key: str = "",
) -> folium.FeatureGroup:
    """A feature group of hexagons (display coordinates) coloured by ``share_covered``.

    ``cells``: :func:`hexagon_cells` in display coordinates, or a function returning them
    (called only when they are drawn into the map or published).
    ``colors``: five colours, lowest to highest share class; ``aliases``: tooltip labels of
    communities, population and share covered.  Shown from ``min_zoom`` to ``max_zoom``.
    With a ``store`` (:class:`gisplan.maps.base.LayerStore`) the cells are published under
    ``key`` and fetched by the browser when first shown, instead of being sent in the map.
    """
    from gisplan.maps.base import (
        FetchedGeoJson,
        _tooltip,
        feature_collection_json,
        to_feature_collection,
    )

    def frame() -> gpd.GeoDataFrame:
        return _hex_frame(cells() if callable(cells) else cells, colors)

    fg = folium.FeatureGroup(name=name, control=False)
    if store is not None:
        url = store.url(key, lambda: feature_collection_json(frame(), [*_HEX_FIELDS, "_color"]))
        FetchedGeoJson(
            url,
            fields=_HEX_FIELDS,
            aliases=aliases,
            style=_HEX_STYLE,
            highlight=_HEX_HIGHLIGHT,
            min_zoom=min_zoom,
            max_zoom=max_zoom,
        ).add_to(fg)
    else:
        folium.GeoJson(
            to_feature_collection(frame(), [*_HEX_FIELDS, "_color"]),
            name=name,
            style_function=lambda f: {**_HEX_STYLE, "fillColor": f["properties"]["_color"]},
            highlight_function=lambda _f: _HEX_HIGHLIGHT,
            tooltip=_tooltip(_HEX_FIELDS, list(aliases)),
        ).add_to(fg)
    LayerZoomRange(min_zoom, max_zoom).add_to(fg)
    return fg
