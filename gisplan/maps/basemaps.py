"""Basemaps: none (offline, default), OpenStreetMap, Amap (GCJ-02) and Tianditu.

Each basemap says which coordinate system its tiles are drawn in.  Amap (高德) tiles are in
GCJ-02, so every layer drawn over them must be shifted from WGS-84 to GCJ-02 first
(:func:`display_layer` does it through :mod:`gisplan.coords`); otherwise features would sit a
few hundred metres off in Ningbo.  Tianditu (天地图) uses CGCS2000, which is WGS-84 to well
within a metre, and OpenStreetMap uses WGS-84.

Web basemaps need the internet; "none" draws the layers on a plain background and is the
offline default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd

from gisplan.coords import from_wgs84_gdf
from gisplan.crs import WGS84
from gisplan.labels import OSM_CREDIT
from gisplan.settings import ENV_TIANDITU_KEY

__all__ = [
    "Basemap",
    "BASEMAPS",
    "TIANDITU_ENV",
    "MissingKeyError",
    "get_basemap",
    "tianditu_key",
    "add_basemap",
    "display_layer",
]

#: Environment variable holding a Tianditu browser key (``st.secrets["tianditu_key"]`` also works).
TIANDITU_ENV = ENV_TIANDITU_KEY


class MissingKeyError(RuntimeError):
    """A basemap needs an API key that was not configured."""


@dataclass(frozen=True)
class Basemap:
    """A basemap choice.

    Attributes
    ----------
    id : str
        ``"none"``, ``"osm"``, ``"amap"`` or ``"tianditu"``.
    name_zh, name_en : str
        Display names.
    coord_system : str
        System of the tiles: ``"wgs84"``, ``"gcj02"`` or ``"cgcs2000"``; layers are shifted to it.
    online : bool
        Whether the tiles come from the internet.
    """

    id: str
    name_zh: str
    name_en: str
    coord_system: str
    online: bool
    url: str = ""
    attribution: str = ""
    subdomains: str = ""
    max_zoom: int = 18
    overlay_url: str = ""
    needs_key: bool = False

    @property
    def label(self) -> str:
        """Bilingual name shown in the basemap choice."""
        return f"{self.name_zh} {self.name_en}"

    def name(self, lang: str) -> str:
        """Display name in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.name_en if lang == "en" else self.name_zh


_TDT = "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"

BASEMAPS: dict[str, Basemap] = {
    b.id: b
    for b in (
        Basemap("none", "无底图（离线）", "No basemap (offline)", "wgs84", online=False),
        Basemap(
            "osm",
            "OpenStreetMap",
            "OpenStreetMap",
            "wgs84",
            online=True,
            url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            attribution=OSM_CREDIT,
            max_zoom=19,
        ),
        Basemap(
            "amap",
            "高德地图（GCJ-02）",
            "Amap (GCJ-02)",
            "gcj02",
            online=True,
            url="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            attribution="© 高德地图 AutoNavi",
            subdomains="1234",
        ),
        Basemap(
            "tianditu",
            "天地图",
            "Tianditu",
            "cgcs2000",
            online=True,
            url=_TDT,
            attribution="© 天地图 Tianditu (国家地理信息公共服务平台)",
            subdomains="01234567",
            overlay_url=_TDT,
            needs_key=True,
        ),
    )
}


def get_basemap(basemap_id: str) -> Basemap:
    """The :class:`Basemap` for ``basemap_id``; raises ``KeyError`` listing the choices."""
    try:
        return BASEMAPS[basemap_id]
    except KeyError:
        raise KeyError(
            f"unknown basemap {basemap_id!r}; choose one of {', '.join(BASEMAPS)}"
        ) from None


def tianditu_key(secrets: Mapping | None = None) -> str | None:
    """The Tianditu key from ``secrets["tianditu_key"]`` or env ``GISPLAN_TIANDITU_KEY``."""
    key = None
    if secrets is not None:
        try:
            key = secrets.get("tianditu_key")
        except Exception:  # noqa: BLE001 - st.secrets raises when no secrets file exists
            key = None
    key = key or os.environ.get(TIANDITU_ENV)
    return key.strip() if key and key.strip() else None


def add_basemap(m: folium.Map, basemap: Basemap | str, *, key: str | None = None) -> folium.Map:
    """Add the basemap's tile layer(s) to ``m`` (nothing for ``"none"``).

    Raises :class:`MissingKeyError` for Tianditu without a key.
    """
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    if not b.online:
        return m
    url = b.url
    overlay = b.overlay_url
    if b.needs_key:
        if not key:
            raise MissingKeyError(
                "天地图需要密钥：在 .streamlit/secrets.toml 设置 tianditu_key 或设置环境变量 "
                f"{TIANDITU_ENV} / Tianditu needs a key: set tianditu_key in .streamlit/secrets.toml "
                f"or the environment variable {TIANDITU_ENV}"
            )
        url = url.format(s="{s}", layer="vec", key=key)
        overlay = overlay.format(s="{s}", layer="cva", key=key)
    kw: dict[str, Any] = {"subdomains": b.subdomains} if b.subdomains else {}
    folium.TileLayer(
        tiles=url,
        attr=b.attribution,
        name=b.label,
        max_zoom=b.max_zoom,
        overlay=False,
        control=False,
        **kw,
    ).add_to(m)
    if overlay:
        folium.TileLayer(
            tiles=overlay,
            attr=b.attribution,
            name=b.label + " 注记",
            max_zoom=b.max_zoom,
            overlay=True,
            control=False,
            **kw,
        ).add_to(m)
    return m


def display_layer(gdf: gpd.GeoDataFrame, basemap: Basemap | str) -> gpd.GeoDataFrame:
    """``gdf`` (any CRS, usually EPSG:4326) in the coordinate system of the basemap's tiles.

    WGS-84 and CGCS2000 basemaps get plain EPSG:4326 longitude/latitude; Amap gets every vertex
    shifted to GCJ-02 (the result has no CRS, see :func:`gisplan.coords.from_wgs84_gdf`).
    """
    b = get_basemap(basemap) if isinstance(basemap, str) else basemap
    if b.coord_system == "gcj02":
        return from_wgs84_gdf(gdf, "gcj02")
    return gdf.to_crs(WGS84) if gdf.crs is not None else gdf
