"""One 3 km street with four communities and one amenity of each required category.

Hand-computable coverage (4 km/h = 66.67 m/min); used by the coverage, circles and gap tests.
"""

from __future__ import annotations

import geopandas as gpd
import shapely

from gisplan.access.coverage import AccessModel
from tests.helpers.networks import CRS, network_from_segments


def street_layers():
    """(network, communities, amenities) of the street."""
    # One 3 km street along y=0; 4 km/h = 66.67 m/min.
    net = network_from_segments([(1, 2, (0, 0), (1500, 0)), (2, 3, (1500, 0), (3000, 0))])
    comm = gpd.GeoDataFrame(
        {
            "id": ["A", "B", "C", "D"],
            "name": ["甲", "乙", "丙", "丁"],
            "population": [1000, 2000, 3000, 500],
            "county": ["海曙区", "海曙区", "江北区", "江北区"],
        },
        geometry=shapely.points(
            [(100, 20), (600, 0), (2000, 10), (2900, 5000)]
        ),  # D is off the network
        crs=CRS,
    )
    amen = gpd.GeoDataFrame(
        {
            "id": ["cs1", "wm1", "sm1"],
            "name": ["便利店", "菜场", "超市"],
            "category": ["convenience_store", "wet_market", "supermarket"],
        },
        geometry=shapely.points([(200, 0), (700, 0), (1300, 0)]),
        crs=CRS,
    )
    return net, comm, amen


def street_model(standard):
    """The :class:`AccessModel` of the street for ``standard``'s categories (300 m snapping)."""
    net, comm, amen = street_layers()
    return AccessModel.build(net, comm, amen, categories=standard.ids, max_snap_distance_m=300)
