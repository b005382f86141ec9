"""The synthetic 三江口 demonstration neighbourhood: :class:`SyntheticCity` and :func:`generate_city`."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from gisplan.errors import InputError
from gisplan.synthetic.geometry import (
    SOURCE,
    _bounds_wgs84,
    _gdf_to_wgs84,
    _project,
    _segments,
)
from gisplan.synthetic.population import _amenities, _communities, _community_names, _Gaps
from gisplan.synthetic.streets import (
    _KIND_CODES,
    _ROAD_SETBACK_M,
    _block_size_field,
    _contract_short_edges,
    _network_frames,
    _network_from_lines,
    _split_block,
    _superblocks,
)
from gisplan.synthetic.water import (
    CONFLUENCE_LONLAT,
    _bridge_lines,
    _river_centrelines,
    _water_names,
    _water_polygons,
)

__all__ = [
    "SyntheticCity",
    "generate_city",
]


@dataclass
class SyntheticCity:
    """A synthetic city: walking network, demand, supply, water and bridges.

    Attributes
    ----------
    edges : GeoDataFrame
        ``u``, ``v`` (int node ids), ``length`` (metres, equal to the geometry length),
        ``kind`` (``arterial`` | ``local`` | ``riverside`` | ``bridge``), geometry LineString
        oriented u -> v; EPSG:32651.
    nodes : GeoDataFrame
        Index = node id (int), geometry Point; EPSG:32651.
    communities : GeoDataFrame
        ``id`` ("C0001", ...), ``name``, ``population`` (residents), ``source``
        (``"synthetic"``), geometry Point; EPSG:4326.
    amenities : GeoDataFrame
        ``id`` ("A00001", ...), ``name``, ``category`` (catalogue id), ``source``, geometry
        Point; EPSG:4326.
    rivers : GeoDataFrame
        ``name_zh``, ``name_en``, geometry Polygon (water bodies; may include a lake);
        EPSG:4326.
    bridges : GeoDataFrame
        ``name``, ``river`` (name_zh), geometry LineString; EPSG:4326.
    bounds_wgs84 : tuple
        (min lon, min lat, max lon, max lat) of the generated area, degrees.
    """

    edges: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    amenities: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    bridges: gpd.GeoDataFrame
    bounds_wgs84: tuple[float, float, float, float]


def _off_frame(segs: np.ndarray, box: shapely.Polygon) -> np.ndarray:
    """The segments not lying on the study area's frame (the extract is clipped, as in OSM)."""
    ends = shapely.get_coordinates(segs).reshape(-1, 2, 2)
    bx0, by0, bx1, by1 = box.bounds
    on_frame = np.zeros(len(segs), dtype=bool)
    for dim, val in ((0, bx0), (0, bx1), (1, by0), (1, by1)):
        on_frame |= (np.abs(ends[:, 0, dim] - val) < 0.05) & (np.abs(ends[:, 1, dim] - val) < 0.05)
    return segs[~on_frame]


def _street_kinds(segs: np.ndarray, water, superblock_edges: list) -> np.ndarray:
    """Kind code per segment: arterial (superblock edges), riverside, bridge or local."""
    kinds = np.full(len(segs), _KIND_CODES["local"])
    shoreline = water.buffer(_ROAD_SETBACK_M, quad_segs=8).boundary.buffer(2.5)
    arterials = shapely.union_all(superblock_edges).buffer(0.05)
    shapely.prepare(arterials)
    shapely.prepare(shoreline)
    shapely.prepare(water)
    kinds[shapely.covered_by(segs, arterials)] = _KIND_CODES["arterial"]
    kinds[shapely.covered_by(segs, shoreline)] = _KIND_CODES["riverside"]
    kinds[shapely.intersects(segs, water)] = _KIND_CODES["bridge"]
    return kinds


def generate_city(seed: int = 2025, *, size_km: float = 6.0) -> SyntheticCity:
    """Generate the synthetic 三江口 neighbourhood.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives identical layers.
    size_km : float
        Side of the square study area in kilometres (2–12), centred on the confluence.

    Returns
    -------
    SyntheticCity
        Network in EPSG:32651 (metres), other layers in EPSG:4326.  Communities and
        amenities carry ``source = "synthetic"``.
    """
    if not 2.0 <= float(size_km) <= 12.0:
        raise InputError(
            f"size_km must be between 2 and 12, got {size_km}",
            field="size_km",
            hint="use the default 6.0 (a 6 km × 6 km area)",
        )
    rng = np.random.default_rng(seed)
    centre = _project([CONFLUENCE_LONLAT])[0]
    half = size_km * 500.0
    box = shapely.box(centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half)

    centrelines = _river_centrelines()
    water_polys = _water_polygons(centrelines)
    water = shapely.union_all(water_polys)
    land = box.difference(water.buffer(_ROAD_SETBACK_M, quad_segs=8)).simplify(1.0)
    water_in_box = water.intersection(box)

    # blocks: arterial superblocks, recursively subdivided
    field = _block_size_field(centre)
    blocks: list[shapely.Polygon] = []
    superblock_edges = []
    for piece in sorted(
        shapely.get_parts(land), key=lambda g: tuple(g.representative_point().coords[0])
    ):
        if piece.area < 20_000.0:
            continue
        supers, ang = _superblocks(piece, centre, rng)
        superblock_edges.extend(shapely.boundary(supers))
        for sb in supers:
            _split_block(sb, ang, field, rng, blocks)

    bridges = _bridge_lines(centrelines, land)
    linework = list(shapely.boundary(blocks)) + [b[2] for b in bridges]
    noded = shapely.get_parts(shapely.union_all(linework, grid_size=0.01))
    noded = noded[shapely.get_type_id(noded) == 1]
    segs = _off_frame(_segments(noded), box)
    kinds = _street_kinds(segs, water, superblock_edges)

    xy, u, v, geoms, kinds = _network_from_lines(segs, kinds)
    xy, u, v, geoms, kinds = _contract_short_edges(xy, u, v, geoms, kinds)
    edges, nodes = _network_frames(xy, u, v, geoms, kinds)

    # demand
    land_km2 = (box.area - water_in_box.area) / 1e6
    edge_tree = shapely.STRtree(edges.geometry.values)
    commercial = _project(
        [(121.54991, 29.87187), (121.55125, 29.87610), (121.54703, 29.86857), (121.5565, 29.8791)]
    )
    cxy, cpop = _communities(blocks, edge_tree, water, land_km2, commercial, rng)
    communities = _gdf_to_wgs84(
        shapely.points(cxy),
        id=[f"C{i:04d}" for i in range(1, len(cxy) + 1)],
        name=_community_names(len(cxy), rng),
        population=cpop,
        source=SOURCE,
    )

    # supply
    axy, acat, aname = _amenities(edges, cxy, cpop, water, land_km2, centre, _Gaps(), rng)
    amenities = _gdf_to_wgs84(
        shapely.points(axy),
        id=[f"A{i:05d}" for i in range(1, len(axy) + 1)],
        name=aname,
        category=acat,
        source=SOURCE,
    )

    names = _water_names()
    rows = []
    for (zh, en), poly in zip(names, water_polys, strict=True):
        for part in shapely.get_parts(poly.intersection(box)):
            if part.geom_type == "Polygon" and part.area > 100.0:
                rows.append((zh, en, part))
    rivers = _gdf_to_wgs84(
        [r[2] for r in rows], name_zh=[r[0] for r in rows], name_en=[r[1] for r in rows]
    )
    # the bridge layer is the bridge edges of the final network, named after the nearest
    # planned bridge
    bridge_edges = edges.geometry.values[(edges["kind"] == "bridge").to_numpy()]
    planned = shapely.centroid(np.array([b[2] for b in bridges], dtype=object))
    which = [int(np.argmin(shapely.distance(planned, g.centroid))) for g in bridge_edges]
    order = np.argsort(which, kind="stable")
    bridge_edges, which = bridge_edges[order], [which[i] for i in order]
    bridge_gdf = _gdf_to_wgs84(
        bridge_edges,
        name=[bridges[i][0] for i in which],
        river=[bridges[i][1] for i in which],
    )
    bounds = _bounds_wgs84(np.array(box.exterior.coords))
    return SyntheticCity(
        edges=edges,
        nodes=nodes,
        communities=communities,
        amenities=amenities,
        rivers=rivers,
        bridges=bridge_gdf,
        bounds_wgs84=bounds,
    )
