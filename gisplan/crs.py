"""Coordinate reference systems used by gisplan.

- ``WGS84`` (EPSG:4326): GPS and OpenStreetMap; layers are exchanged in it.
- ``CGCS2000`` (EPSG:4490): China's national datum (Tianditu); within about a metre of WGS-84.
- ``METRIC_CRS`` (EPSG:32651, WGS 84 / UTM zone 51N): metres, used for the network and every
  measurement in Ningbo (121.5° E lies inside zone 51, 120–126° E).
"""

from __future__ import annotations

import geopandas as gpd

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
METRIC_CRS = "EPSG:32651"

__all__ = ["WGS84", "CGCS2000", "METRIC_CRS", "to_metric", "to_wgs84", "utm_crs_for"]


def utm_crs_for(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    """Return the UTM CRS (as ``"EPSG:xxxxx"``) that suits the layer's extent.

    Used for data outside Ningbo (for example an OpenStreetMap extract of another city).
    """
    crs = gdf.estimate_utm_crs()
    return crs.to_string()


def to_metric(gdf, crs: str = METRIC_CRS):
    """Project a GeoDataFrame / GeoSeries to the metric CRS (metres)."""
    if gdf.crs is None:
        raise ValueError("layer has no CRS; set one before projecting")
    return gdf.to_crs(crs)


def to_wgs84(gdf):
    """Project a GeoDataFrame / GeoSeries to WGS-84 longitude/latitude (degrees)."""
    if gdf.crs is None:
        raise ValueError("layer has no CRS; set one before projecting")
    return gdf.to_crs(WGS84)
