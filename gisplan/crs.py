"""Coordinate reference systems used by gisplan.

- ``WGS84`` (EPSG:4326): GPS and OpenStreetMap; layers are exchanged in it.
- ``CGCS2000`` (EPSG:4490): China's national datum (Tianditu); within about a metre of WGS-84.
- ``METRIC_CRS`` (EPSG:32651, WGS 84 / UTM zone 51N): metres, used for the network and every
  measurement in Ningbo (121.5° E lies inside zone 51, 120–126° E).
"""

from __future__ import annotations

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
METRIC_CRS = "EPSG:32651"

__all__ = ["WGS84", "CGCS2000", "METRIC_CRS"]
