"""Faint network context for maps without a basemap (issue 11, "Also")."""

from __future__ import annotations

import shapely

from gisplan.maps.context import network_geojson
from tests.helpers.networks import network_from_segments


def test_network_geojson_keeps_every_street_and_is_small():
    # two streets in UTM 51N near Ningbo (metres)
    net = network_from_segments(
        [(1, 2, (0, 0), (1500, 0)), (2, 3, (1500, 0), (3000, 0)), (2, 4, (1500, 0), (1500, 800))]
    )
    net.crs = "EPSG:32651"
    gj = network_geojson(net)
    geom = shapely.geometry.shape(gj)
    assert geom.geom_type in ("MultiLineString", "LineString")
    # total length in degrees ~ 3800 m / ~100 km per degree; every street is there
    assert 0.03 < geom.length < 0.045
    lon, lat = geom.centroid.x, geom.centroid.y
    assert -180 <= lon <= 180 and -90 <= lat <= 90
    text = str(gj)
    assert len(text) < 2000  # merged and rounded
