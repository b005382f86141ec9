"""Demand and supply of the synthetic city.

Invented names, residential communities and amenities of every catalogue category (with
deliberate service gaps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from gisplan.catalogue import load_catalogue

_FIRST = list(
    "月天鼓江灵孝永白孔甬华新常紫丽南泰柳西望中和潜百东明福樱翠怡宁安春桂兰芝青云锦瑞金嘉康平惠文广海长"
)
_SECOND = list("湖一楼厦桥闻丰沙浦江严河青薇园苑安汀塘京山义龙丈胜明花柏庭光晖港城宁华兴盛泉林")
_COMMUNITY_SUFFIX = (
    "小区",
    "小区",
    "花园",
    "新村",
    "新村",
    "公寓",
    "家园",
    "名苑",
    "嘉园",
    "华庭",
    "雅苑",
    "社区",
)
_AMENITY_NAMES = {
    "convenience_store": ("甬邻便利", "三江口便利", "邻家优选", "好又近便利", "24小时便利"),
    "wet_market": ("菜场", "农贸市场", "菜市场"),
    "supermarket": ("甬佳超市", "惠邻超市", "江鲜生活超市", "百家福超市"),
    "breakfast": ("早餐店", "包子铺", "早点铺", "豆浆油条"),
    "hair_salon": ("理发店", "美发", "发艺"),
    "pharmacy": ("大药房", "药店", "医药连锁"),
    "repair": ("家电维修", "修鞋配钥匙", "便民维修"),
    "laundry": ("洗衣店", "干洗店", "洗衣房"),
    "housekeeping": ("家政服务站", "家政服务"),
    "recycling": ("再生资源回收站", "回收点"),
    "express_delivery": ("快递驿站", "快递服务站", "菜鸟驿站"),
}
_BRANDED = {"convenience_store", "supermarket"}


def _place_name(rng: np.random.Generator) -> str:
    return str(rng.choice(_FIRST)) + str(rng.choice(_SECOND))


def _community_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` unique plausible community names such as "柳汀新村" (later repeats get 二期, ...)."""
    first = rng.integers(len(_FIRST), size=n)
    second = rng.integers(len(_SECOND), size=n)
    suffix = rng.integers(len(_COMMUNITY_SUFFIX), size=n)
    names: list[str] = []
    seen: dict[str, int] = {}
    for i in range(n):
        base = _FIRST[first[i]] + _SECOND[second[i]] + _COMMUNITY_SUFFIX[suffix[i]]
        k = seen.get(base, 0) + 1
        seen[base] = k
        names.append(base if k == 1 else f"{base}{k}期")
    return names


def _amenity_name(category: str, k: int, rng: np.random.Generator) -> str:
    stem = str(rng.choice(_AMENITY_NAMES.get(category, (category,))))
    if category in _BRANDED:
        return f"{stem}（{_place_name(rng)}店）"
    return f"{_place_name(rng)}{stem}"


def _sample_in_polygon(
    poly: shapely.Geometry, k: int, rng: np.random.Generator, min_sep: float
) -> np.ndarray:
    """Up to ``k`` random points inside ``poly`` at least ``min_sep`` metres apart."""
    minx, miny, maxx, maxy = poly.bounds
    cand = np.column_stack([rng.uniform(minx, maxx, 40 * k), rng.uniform(miny, maxy, 40 * k)])
    cand = cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]
    chosen: list[np.ndarray] = []
    for p in cand:
        if all(np.hypot(*(p - q)) >= min_sep for q in chosen):
            chosen.append(p)
            if len(chosen) == k:
                break
    return np.asarray(chosen).reshape(-1, 2)


@dataclass(frozen=True)
class _Gaps:
    """Deliberate service gaps (centres relative to the confluence, metres; radii metres)."""

    no_wet_market: tuple[float, float, float] = (-650.0, 2250.0, 950.0)
    no_supermarket: tuple[float, float, float] = (-2250.0, -1250.0, 1250.0)
    sparse_convenience: tuple[float, float, float] = (2050.0, -1950.0, 1250.0)


# category: (outlets per km² of land, min spacing m, weights by edge kind
# (local, arterial, riverside), demand exponent)
_SUPPLY = {
    "convenience_store": (11.0, 60.0, (1.0, 3.0, 1.2), 0.8),
    "wet_market": (0.85, 650.0, (1.5, 1.0, 0.6), 1.0),
    "supermarket": (1.5, 380.0, (0.6, 3.0, 1.0), 0.7),
    "breakfast": (9.0, 40.0, (1.0, 2.5, 1.0), 1.0),
    "hair_salon": (8.0, 40.0, (1.2, 1.5, 0.8), 1.0),
    "pharmacy": (4.0, 120.0, (0.8, 2.5, 1.0), 0.8),
    "repair": (2.0, 150.0, (1.5, 1.0, 0.5), 1.0),
    "laundry": (2.5, 120.0, (1.2, 1.5, 0.8), 1.0),
    "housekeeping": (1.2, 250.0, (1.0, 1.5, 0.5), 1.0),
    "recycling": (0.6, 600.0, (1.5, 0.5, 0.5), 1.0),
    "express_delivery": (4.0, 150.0, (1.5, 1.0, 0.5), 1.0),
}
_DEFAULT_SUPPLY = (2.0, 150.0, (1.0, 1.5, 1.0), 1.0)


def _communities(
    blocks: list[shapely.Polygon],
    edge_tree: shapely.STRtree,
    water: shapely.Geometry,
    land_km2: float,
    commercial_centres: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Community points (EPSG:32651) and populations (residents).

    About three blocks in four are residential (fewer near the commercial centres).  A
    block's residents are proportional to its area; they live in communities whose typical
    size grows with the block (about 1,000 residents in the old town's 90 m blocks, 3,000–
    4,000 in 350 m blocks).  Small blocks get a community with a probability that keeps the
    expected population (a compound spanning several blocks).  Totals are scaled to 14,500–
    16,500 residents per km² of land.
    """
    target = rng.uniform(14_500.0, 16_500.0) * land_km2
    res_blocks, res_areas = [], []
    for block in blocks:
        if block.area < 2500.0:
            continue
        c = np.asarray(block.centroid.coords[0])
        near_centre = np.min(np.hypot(*(commercial_centres - c).T)) < 300.0
        if rng.random() < (0.75 if near_centre else 0.25):
            continue  # commercial, school, park, office ...
        res_blocks.append(block)
        res_areas.append(block.area * rng.uniform(0.7, 1.3))
    residents = np.asarray(res_areas) * target / np.sum(res_areas)
    pts, pops = [], []
    for block, r in zip(res_blocks, residents, strict=True):
        size = float(np.clip(11.0 * math.sqrt(block.area), 1000.0, 4200.0))
        expected = r / size
        k = min(int(expected) + int(rng.random() < expected - int(expected)), 4)
        if k == 0:
            continue
        inner = block.buffer(-22.0)
        if inner.is_empty:
            inner = block.buffer(-10.0)
        if inner.is_empty:
            continue
        p = _sample_in_polygon(inner, k, rng, 70.0)
        if len(p) == 0:
            continue
        pts.append(p)
        pops.append(size * rng.lognormal(0.0, 0.3, len(p)))
    xy = np.vstack(pts)
    pop = np.concatenate(pops)
    geoms = shapely.points(xy)
    (_, idx), dist = edge_tree.query_nearest(geoms, return_distance=True, all_matches=False)
    # near a street of the final network, reached without crossing water
    leg = shapely.shortest_line(edge_tree.geometries[idx], geoms)
    ok = (dist <= 280.0) & (shapely.distance(water, geoms) > 25.0) & ~shapely.intersects(leg, water)
    xy, pop = xy[ok], pop[ok]
    for _ in range(3):
        pop = np.clip(pop * target / pop.sum(), 800.0, 6000.0)
    return xy, np.round(pop).astype(np.int64)


def _in_circle(xy: np.ndarray, centre: np.ndarray, spec: tuple[float, float, float]) -> np.ndarray:
    cx, cy, r = centre[0] + spec[0], centre[1] + spec[1], spec[2]
    return np.hypot(xy[:, 0] - cx, xy[:, 1] - cy) < r


def _amenities(
    edges: gpd.GeoDataFrame,
    community_xy: np.ndarray,
    community_pop: np.ndarray,
    water: shapely.Geometry,
    land_km2: float,
    centre: np.ndarray,
    gaps: _Gaps,
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[str], list[str]]:
    """Amenity points (EPSG:32651), categories and names, placed on street frontage."""
    geoms = edges.geometry.values
    lengths = edges["length"].to_numpy()
    kind = edges["kind"].to_numpy()
    mid = shapely.get_coordinates(shapely.line_interpolate_point(geoms, 0.5, normalized=True))
    tree = cKDTree(community_xy)
    # residents within 500 m of each edge midpoint
    neigh = tree.query_ball_point(mid, r=500.0)
    demand = np.array([community_pop[i].sum() for i in neigh], dtype=float)
    demand = (demand + 500.0) / (demand.mean() + 500.0)
    kind_idx = np.select(
        [kind == "local", kind == "arterial", kind == "riverside"], [0, 1, 2], default=-1
    )
    out_xy, out_cat, out_name = [], [], []
    for cat in load_catalogue():
        per_km2, min_sep, kw, beta = _SUPPLY.get(cat.id, _DEFAULT_SUPPLY)
        n = max(1, int(round(per_km2 * land_km2 * rng.uniform(0.92, 1.08))))
        w = np.where(kind_idx >= 0, np.asarray(kw)[np.maximum(kind_idx, 0)], 0.0)
        w = w * lengths * demand**beta
        if cat.id == "wet_market":
            w[_in_circle(mid, centre, gaps.no_wet_market)] = 0.0
        if cat.id == "supermarket":
            w[_in_circle(mid, centre, gaps.no_supermarket)] = 0.0
        if cat.id == "convenience_store":
            w[_in_circle(mid, centre, gaps.sparse_convenience)] *= 0.1
        m = 8 * n + 50
        pick = rng.choice(len(edges), size=m, p=w / w.sum())
        frac = rng.uniform(0.1, 0.9, m)
        on = shapely.get_coordinates(shapely.line_interpolate_point(geoms[pick], frac, True))
        ahead = shapely.get_coordinates(
            shapely.line_interpolate_point(geoms[pick], np.minimum(frac + 0.02, 1.0), True)
        )
        t = ahead - on
        t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
        normal = np.column_stack([-t[:, 1], t[:, 0]])
        side = rng.choice([-1.0, 1.0], m)
        off = rng.uniform(8.0, 14.0, m)
        p1 = on + normal * (side * off)[:, None]
        p2 = on - normal * (side * off)[:, None]
        wet1 = shapely.distance(water, shapely.points(p1)) < 8.0
        cand = np.where(wet1[:, None], p2, p1)
        dry = shapely.distance(water, shapely.points(cand)) >= 8.0
        # gaps must stay gaps after the offset
        if cat.id == "wet_market":
            dry &= ~_in_circle(cand, centre, gaps.no_wet_market)
        if cat.id == "supermarket":
            dry &= ~_in_circle(cand, centre, gaps.no_supermarket)
        chosen: list[np.ndarray] = []
        tree_pts = np.empty((0, 2))
        for p in cand[dry]:
            if len(chosen) and np.min(np.hypot(*(tree_pts - p).T)) < min_sep:
                continue
            chosen.append(p)
            tree_pts = np.vstack([tree_pts, p])
            if len(chosen) == n:
                break
        for k, p in enumerate(chosen, start=1):
            out_xy.append(p)
            out_cat.append(cat.id)
            out_name.append(_amenity_name(cat.id, k, rng))
    return np.asarray(out_xy), out_cat, out_name
