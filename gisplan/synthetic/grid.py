"""A large perturbed-grid synthetic city for benchmarks (:func:`generate_grid_city`).

Vectorised with numpy.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely import affinity

from gisplan.catalogue import load_catalogue
from gisplan.errors import InputError
from gisplan.synthetic.city import SyntheticCity
from gisplan.synthetic.geometry import SOURCE, _bounds_wgs84, _gdf_to_wgs84, _project
from gisplan.synthetic.population import _community_names
from gisplan.synthetic.streets import _KIND_CODES, _network_frames
from gisplan.synthetic.water import CONFLUENCE_LONLAT

__all__ = [
    "generate_grid_city",
]


def _sine(t: np.ndarray, amp: float, wavelength: float, phase: float) -> np.ndarray:
    return amp * np.sin(2 * np.pi * t / wavelength + phase)


def _sine_slope(t: np.ndarray, amp: float, wavelength: float, phase: float) -> np.ndarray:
    return amp * 2 * np.pi / wavelength * np.cos(2 * np.pi * t / wavelength + phase)


def _grid_layout(
    side: int, spacing: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Jittered node positions (side × side, local metres) and two sinuous rivers."""
    extent = (side - 1) * spacing
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = ii * spacing + rng.uniform(-0.18, 0.18, ii.shape) * spacing
    y = jj * spacing + rng.uniform(-0.18, 0.18, jj.shape) * spacing
    amp = min(0.06 * extent, 1500.0)
    rivers = [
        # an east-west river y = y0 + sine(x) and a north-south one x = x0 + sine(y)
        {
            "axis": 0,
            "offset": extent * rng.uniform(0.35, 0.45),
            "amp": amp,
            "wavelength": max(extent / 2.5, 2000.0),
            "phase": rng.uniform(0, 2 * np.pi),
            "half_width": 90.0,
            "name": ("合成东西河", "Synthetic east-west river"),
        },
        {
            "axis": 1,
            "offset": extent * rng.uniform(0.55, 0.65),
            "amp": amp,
            "wavelength": max(extent / 2.0, 2000.0),
            "phase": rng.uniform(0, 2 * np.pi),
            "half_width": 70.0,
            "name": ("合成南北河", "Synthetic north-south river"),
        },
    ]
    return x, y, rivers


def _river_offset(r: dict, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Signed offset across the river, scaled to approximate perpendicular distance (m)."""
    along, across = (x, y) if r["axis"] == 0 else (y, x)
    centre = r["offset"] + _sine(along, r["amp"], r["wavelength"], r["phase"])
    slope = _sine_slope(along, r["amp"], r["wavelength"], r["phase"])
    return (across - centre) / np.sqrt(1.0 + slope**2)


def _river_polygon(r: dict, extent: float) -> shapely.Polygon:
    t = np.arange(-500.0, extent + 520.0, 20.0)
    c = r["offset"] + _sine(t, r["amp"], r["wavelength"], r["phase"])
    xy = np.column_stack([t, c]) if r["axis"] == 0 else np.column_stack([c, t])
    return shapely.LineString(xy).buffer(r["half_width"], quad_segs=4)


def generate_grid_city(
    n_nodes_target: int,
    seed: int = 0,
    *,
    n_communities: int,
    n_amenities_per_category: int,
    spacing_m: float = 100.0,
) -> SyntheticCity:
    """Generate a large perturbed-grid city for benchmarks (vectorised; seconds for 250k nodes).

    A square grid of about ``n_nodes_target`` nodes ``spacing_m`` metres apart (jittered,
    with about 8 % of streets removed) centred on Ningbo, cut by two sinuous rivers (about
    180 m and 140 m wide) crossed by bridges every 800 m.  Only the largest connected
    component is kept; the node count is at least ``n_nodes_target`` (a little more).

    Parameters
    ----------
    n_nodes_target : int
        Minimum number of network nodes.
    seed : int
        Random seed; the same arguments give identical output.
    n_communities : int
        Number of communities (population 800–6,000 each).
    n_amenities_per_category : int
        Number of amenities of every catalogue category.
    spacing_m : float
        Grid spacing in metres.

    Returns
    -------
    SyntheticCity
        Network in EPSG:32651 (metres), other layers in EPSG:4326, ``source = "synthetic"``.
    """
    if n_nodes_target < 100 or n_communities < 1 or n_amenities_per_category < 1:
        raise InputError(
            "generate_grid_city needs n_nodes_target >= 100 and at least one community and "
            "one amenity per category",
            field="n_nodes_target",
            hint="for example generate_grid_city(250_000, n_communities=20_000, "
            "n_amenities_per_category=2_000)",
        )
    side = int(math.ceil(math.sqrt(n_nodes_target * 1.06))) + 2
    while True:
        rng = np.random.default_rng(seed)
        city = _grid_city_network(side, spacing_m, rng)
        if len(city[1]) >= n_nodes_target:
            break
        side = int(side * 1.02) + 1
    edges, nodes, rivers_local, bridges_local, origin, extent = city
    river_polys = [p for p, _ in rivers_local]
    water = shapely.union_all(river_polys)
    shapely.prepare(water)
    margin = 35.0

    # communities: jittered cell centres away from the rivers
    n_cells = (side - 1) ** 2
    cells = rng.permutation(n_cells)[: min(n_cells, 3 * n_communities + 100)]
    ci, cj = np.divmod(cells, side - 1)
    cx = (ci + 0.5 + rng.uniform(-0.2, 0.2, len(ci))) * spacing_m
    cy = (cj + 0.5 + rng.uniform(-0.2, 0.2, len(cj))) * spacing_m
    ok = np.ones(len(cx), dtype=bool)
    for _poly, r in rivers_local:
        ok &= np.abs(_river_offset(r, cx, cy)) > r["half_width"] + margin
    cxy = np.column_stack([cx, cy])[ok][:n_communities] + origin
    pop = rng.integers(800, 6001, len(cxy))
    communities = _gdf_to_wgs84(
        shapely.points(cxy),
        id=[f"C{i:06d}" for i in range(1, len(cxy) + 1)],
        name=_community_names(len(cxy), rng),
        population=pop,
        source=SOURCE,
    )

    # amenities: on street frontage, 10 m off non-bridge edges
    street = np.flatnonzero(edges["kind"].to_numpy() != "bridge")
    ends = shapely.get_coordinates(edges.geometry.values).reshape(-1, 2, 2)
    cats = [c.id for c in load_catalogue()]
    n_total = len(cats) * n_amenities_per_category
    m = int(n_total * 1.15) + 100
    pick = street[rng.integers(len(street), size=m)]
    f = rng.uniform(0.1, 0.9, m)[:, None]
    a, b = ends[pick, 0], ends[pick, 1]
    d = b - a
    nrm = np.column_stack([-d[:, 1], d[:, 0]]) / np.hypot(d[:, 0], d[:, 1])[:, None]
    axy = a + f * d + nrm * (rng.choice([-10.0, 10.0], m))[:, None]
    dry = ~shapely.intersects_xy(water.buffer(5.0), axy[:, 0], axy[:, 1])
    axy = axy[dry][:n_total]
    if len(axy) < n_total:  # pragma: no cover - only with absurdly river-filled grids
        raise InputError("grid too small for the requested amenities", field="n_amenities")
    acat = np.repeat(cats, n_amenities_per_category)
    per = np.tile(np.arange(1, n_amenities_per_category + 1), len(cats))
    zh = {c.id: c.name_zh for c in load_catalogue()}
    amenities = _gdf_to_wgs84(
        shapely.points(axy),
        id=[f"A{i:07d}" for i in range(1, n_total + 1)],
        name=[f"{zh[c]} #{k}" for c, k in zip(acat, per, strict=True)],
        category=acat,
        source=SOURCE,
    )

    rivers = _gdf_to_wgs84(
        [affinity.translate(p, *origin) for p in river_polys],
        name_zh=[r["name"][0] for _, r in rivers_local],
        name_en=[r["name"][1] for _, r in rivers_local],
    )
    bridge_gdf = _gdf_to_wgs84(
        [g for g, _ in bridges_local],
        name=[n for _, n in bridges_local],
        river=[n.split(" ")[0] for _, n in bridges_local],
    )
    corners = np.array([[0.0, 0.0], [extent, 0.0], [extent, extent], [0.0, extent]]) + origin
    return SyntheticCity(
        edges=edges,
        nodes=nodes,
        communities=communities,
        amenities=amenities,
        rivers=rivers,
        bridges=bridge_gdf,
        bounds_wgs84=_bounds_wgs84(corners),
    )


def _grid_city_network(side: int, spacing: float, rng: np.random.Generator):
    """Edges, nodes, rivers (local polygons), bridges, origin and extent of the grid city.

    Nodes are ``side`` × ``side`` jittered grid points (local metres, shifted by ``origin``
    into EPSG:32651); nodes near a river are removed, streets across a river are dropped
    except the bridges, and only the largest connected component is kept.
    """
    x, y, rivers = _grid_layout(side, spacing, rng)
    extent = (side - 1) * spacing
    origin = _project([CONFLUENCE_LONLAT])[0] - extent / 2
    margin = 35.0
    idx = np.arange(side * side).reshape(side, side)
    kept = np.ones((side, side), dtype=bool)
    sides = []
    for r in rivers:
        off = _river_offset(r, x, y)
        kept &= np.abs(off) > r["half_width"] + margin
        sides.append(off > 0)
    # streets: east-west (i -> i+1) and north-south (j -> j+1) neighbours
    u = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    v = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    kf, xf, yf = kept.ravel(), x.ravel(), y.ravel()
    ok = kf[u] & kf[v] & (rng.random(len(u)) > 0.08)
    for s in sides:
        sf = s.ravel()
        ok &= sf[u] == sf[v]
    u, v = u[ok], v[ok]
    kinds = np.zeros(len(u), dtype=np.int64)

    # bridges every 800 m: join the last kept node before a river to the first after it
    step = max(1, int(round(800.0 / spacing)))
    river_polys = [(_river_polygon(r, extent), r) for r in rivers]
    bu, bv, bnames = [], [], []
    for k, r in enumerate(rivers):
        s = sides[k]
        other = [p for j, (p, _) in enumerate(river_polys) if j != k]
        lines = range(step // 2, side, step)
        for n_b, line in enumerate(lines, start=1):
            if r["axis"] == 0:  # east-west river: bridge along column `line`
                col_kept, col_side, col_idx = kept[line, :], s[line, :], idx[line, :]
            else:
                col_kept, col_side, col_idx = kept[:, line], s[:, line], idx[:, line]
            below = np.flatnonzero(col_kept & ~col_side)
            above = np.flatnonzero(col_kept & col_side)
            if len(below) == 0 or len(above) == 0:
                continue
            a, b = col_idx[below.max()], col_idx[above.min()]
            seg = shapely.LineString([(xf[a], yf[a]), (xf[b], yf[b])])
            if seg.length > 4 * r["half_width"] + 4 * spacing or any(
                seg.intersects(p) for p in other
            ):
                continue
            bu.append(a)
            bv.append(b)
            bnames.append(f"{r['name'][0]} {n_b}号桥")
    u = np.concatenate([u, np.asarray(bu, dtype=np.int64)])
    v = np.concatenate([v, np.asarray(bv, dtype=np.int64)])
    kinds = np.concatenate([kinds, np.full(len(bu), _KIND_CODES["bridge"])])
    xy = np.column_stack([xf, yf]) + origin
    geoms = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    # exact check: no street may touch a river (the offset test is approximate)
    water = shapely.union_all([affinity.translate(p, *origin) for p, _ in river_polys])
    tree = shapely.STRtree(geoms)
    hit = tree.query(water, predicate="intersects")
    bad = np.zeros(len(u), dtype=bool)
    bad[hit] = True
    bad &= kinds != _KIND_CODES["bridge"]
    u, v, geoms, kinds = u[~bad], v[~bad], geoms[~bad], kinds[~bad]
    edges, nodes = _network_frames(xy, u, v, geoms, kinds)
    bridges = [(g, n) for g, n in zip(geoms[kinds == _KIND_CODES["bridge"]], bnames, strict=True)]
    return edges, nodes, river_polys, bridges, origin, extent
