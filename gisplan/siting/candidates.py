"""Candidate sites for new amenities.

Three sources, all returned as :class:`Candidates` (points in EPSG:4326 plus their join to the
walking network):

- ``grid``: a regular square grid of points every ``spacing_m`` metres over the network's
  extent, each moved onto the nearest walkable edge (points farther than half a grid diagonal
  from every edge are dropped) and de-duplicated to one candidate per metre.
- ``commercial``: points every ``spacing_m`` metres along walkable edges that lie within
  ``near_amenity_m`` (default 150 m, straight line) of an existing amenity of *any* category
  — existing shops mark streets with commercial frontage — or within ``near_street_m``
  (default 100 m) of one of the plan's pedestrian streets (步行街, from
  :mod:`gisplan.io.embedded`, when that layer is available). The embedded business-district
  polygons are not used as a filter: they are approximate and several kilometres across, so
  they would not separate shopping streets from housing.
- ``file``: a user layer (GeoJSON, GeoPackage, Shapefile or CSV with lon/lat) read with
  :func:`gisplan.io.readers.read_layer`; sites keep their position and the off-network leg to
  the nearest edge is walked, exactly like an amenity.

Grid and commercial candidates sit *on* the network (off-network leg 0 m).  File candidates
are joined with the access model's snapping context (:meth:`AccessModel.snap
<gisplan.access.coverage.AccessModel.snap>`: its snapping distance and barriers), so they are
treated exactly like the model's amenities.  :func:`make_candidates` picks the source for the
CLI and the app.

**Within a planning area** (:class:`~gisplan.siting.area.Area`), grid and commercial candidates
are generated in the area's window only: the grid points (or along-edge points) within the
area's bounds plus a margin larger than the snapping distance, then the exact polygon test on
the join points. The result — positions, joins and ids — equals generating over the whole
network and keeping the candidates inside the area, because a candidate depends only on its own
grid (or along-edge) point: ids number the *whole* grid (``G`` + row-major grid index) or the
whole network's along-edge points (``B`` + index), and of two points joining the network in the
same metre cell the one with the lower index is kept — both lie in the window when either's
join point lies in the area.  A fine grid over a county of a whole-city network is therefore
cheap, and the grid-size limit applies to the window, not the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.access.coverage import AccessModel
from gisplan.catalogue import DEFAULT_MAX_SNAP_M
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.network.graph import WalkNetwork
from gisplan.network.snapping import Snapped, snap_points
from gisplan.params import SPACING_M
from gisplan.siting.area import Area

__all__ = [
    "Candidates",
    "CANDIDATE_SOURCES",
    "grid_candidates",
    "commercial_candidates",
    "candidates_from_points",
    "read_candidates",
    "make_candidates",
    "candidates_within",
    "DEFAULT_SPACING_M",
]

CANDIDATE_SOURCES = ("grid", "commercial", "file")
#: Default spacing (metres) of generated candidates, per source.
DEFAULT_SPACING_M = {"grid": 100.0, "commercial": 50.0}
#: Most grid points generated at once (over the network, or over an area's window).
MAX_GRID_POINTS = 2_000_000
#: Extra margin (metres) around an area's projected bounds, beyond the snapping distance:
#: covers the bend of the area's edges between vertices in the network CRS and rounding.
_WINDOW_MARGIN_M = 25.0


def _network_of(model: AccessModel | WalkNetwork) -> WalkNetwork:
    return model.network if isinstance(model, AccessModel) else model


@dataclass(eq=False)
class Candidates:
    """Candidate sites joined to the walking network.

    Attributes
    ----------
    points : GeoDataFrame (EPSG:4326)
        One row per candidate: ``id`` (str), ``kind`` (``grid`` / ``commercial`` / ``file``),
        ``name`` (may be empty), geometry Point.
    snap : Snapped
        Join of each candidate to the network (same order; ``edge = -1`` when unsnapped).
    kind : str
        Where the candidates come from.
    """

    points: gpd.GeoDataFrame
    snap: Snapped
    kind: str

    def __len__(self) -> int:
        return int(len(self.points))

    @property
    def unsnapped_ids(self) -> list:
        """Ids of the candidates too far from the network to be joined to it."""
        return self.snap.unsnapped_ids

    def subset(self, positions: np.ndarray) -> Candidates:
        """The candidates at the given positions (index array or boolean mask)."""
        return Candidates(
            points=self.points.iloc[np.asarray(positions)].reset_index(drop=True),
            snap=self.snap.subset(positions),
            kind=self.kind,
        )


def _on_network(network: WalkNetwork, snap: Snapped, kind: str) -> Candidates:
    """Candidates placed at their join points (off-network leg 0), one per metre cell.

    ``snap.ids`` are the candidates' ids, in generation order: of several points joining the
    network in the same metre cell the first is kept.
    """
    ok = snap.ok
    snap = snap.subset(ok)
    key = np.round(snap.snapped_xy).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    snap = snap.subset(first)
    n = len(snap)
    ids = np.asarray(snap.ids, dtype=object)
    snap = Snapped(
        ids=ids,
        edge=snap.edge.copy(),
        along_m=snap.along_m.copy(),
        offset_m=np.zeros(n),
        snapped_xy=snap.snapped_xy.copy(),
    )
    pts = gpd.GeoDataFrame(
        {"id": ids, "kind": kind, "name": ""},
        geometry=shapely.points(snap.snapped_xy),
        crs=network.crs,
    ).to_crs(WGS84)
    return Candidates(points=pts, snap=snap, kind=kind)


def _index_ids(prefix: str, index: np.ndarray, total: int) -> np.ndarray:
    """Ids ``prefix`` + zero-padded index; the width depends only on ``total``."""
    width = max(5, len(str(max(int(total) - 1, 0))))
    return np.asarray([f"{prefix}{i:0{width}d}" for i in index.tolist()], dtype=object)


def _area_window(network: WalkNetwork, area: Area, margin_m: float) -> tuple[float, ...]:
    """The area's bounds in the network CRS (metres), widened by ``margin_m`` + a safety margin.

    The boundary is densified (about every 0.005°, ~500 m) before projecting, so the bounds
    hold the area's edges, not only its vertices.
    """
    dense = shapely.segmentize(area.geometry, 0.005)
    x0, y0, x1, y1 = gpd.GeoSeries([dense], crs=WGS84).to_crs(network.crs).total_bounds
    pad = float(margin_m) + _WINDOW_MARGIN_M
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def _clip(cands: Candidates, area: Area | None) -> Candidates:
    return cands if area is None else candidates_within(cands, area)


def candidates_within(candidates: Candidates, area: Area) -> Candidates:
    """The candidates lying inside ``area`` (and joined to the network).

    Raises :class:`InputError` when there are none.
    """
    inside = area.contains(candidates.points) & candidates.snap.ok
    if not inside.any():
        raise InputError(
            f"no candidate site lies inside {area.name}",
            field="within",
            hint="use another candidate source or a finer grid, or check the area",
            code="candidates.none_in_area",
            params={"area": area.name},
        )
    return candidates.subset(np.flatnonzero(inside))


def grid_candidates(
    model: AccessModel | WalkNetwork,
    spacing_m: float = DEFAULT_SPACING_M["grid"],
    *,
    area: Area | None = None,
) -> Candidates:
    """Grid points every ``spacing_m`` metres over the network, moved onto the nearest edge.

    ``model`` is the access model (or only its network: grid candidates need no snapping
    context).  Grid points farther than ``spacing_m / sqrt(2)`` (half the cell diagonal) from
    every edge are dropped; candidates landing within the same metre are merged.  The grid is
    anchored on the network's bounds (network CRS); ids are ``G`` + the point's row-major index
    in that grid (``G00000``...).

    With ``area`` only the grid points in the area's window are generated and only the
    candidates inside the area are returned: the same candidates, with the same ids, as
    generating over the whole network and keeping those inside (module docstring).
    :class:`InputError` when none lies inside.
    """
    network = _network_of(model)
    spacing_m = _check_spacing(spacing_m)
    reach = spacing_m / np.sqrt(2)
    xmin, ymin = np.nanmin(network.node_xy, axis=0)
    xmax, ymax = np.nanmax(network.node_xy, axis=0)
    xs = np.arange(xmin + spacing_m / 2, xmax + spacing_m / 2, spacing_m)
    ys = np.arange(ymin + spacing_m / 2, ymax + spacing_m / 2, spacing_m)
    ix, iy = np.arange(len(xs)), np.arange(len(ys))
    if area is not None:
        wx0, wy0, wx1, wy1 = _area_window(network, area, reach)
        ix = ix[(xs >= wx0) & (xs <= wx1)]
        iy = iy[(ys >= wy0) & (ys <= wy1)]
    n_points = len(ix) * len(iy)
    if n_points > MAX_GRID_POINTS:
        where = "this area" if area is not None else "this network"
        raise InputError(
            f"a {spacing_m:g} m grid over {where} has {n_points:,} points",
            field="grid_spacing",
            hint="use a larger --grid-spacing" + ("" if area is not None else ", or an area"),
            code="candidates.grid_too_many",
            params={"spacing": spacing_m, "n": len(xs) * len(ys)},
        )
    gx, gy = np.meshgrid(ix, iy)
    flat = (gy * len(xs) + gx).ravel()
    pts = gpd.GeoSeries(shapely.points(xs[gx.ravel()], ys[gy.ravel()]), crs=network.crs)
    ids = _index_ids("G", flat, len(xs) * len(ys))
    snap = snap_points(network, pts, ids=ids, max_distance_m=reach)
    return _clip(_on_network(network, snap, "grid"), area)


def _along_edges(
    network: WalkNetwork, spacing_m: float, window: tuple[float, ...] | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Points every ``spacing_m`` along each edge, centred (network CRS, shapely array).

    Returns ``(points, index, total)``: ``index`` numbers the points over the whole network
    (edge by edge, ``total`` in all). With ``window`` (xmin, ymin, xmax, ymax) only the
    points inside it are made.
    """
    length = network.edge_length
    count = np.maximum(1, np.floor(length / spacing_m)).astype(np.int64)
    start = np.cumsum(count) - count
    total = int(count.sum())
    if window is None:
        edges = np.arange(network.n_edges)
    else:
        edges = np.sort(network.edge_tree.query(shapely.box(*window), predicate="intersects"))
    geom_len = shapely.length(network.edge_geometry[edges])
    edge = np.repeat(edges, count[edges])
    first = np.repeat(np.cumsum(count[edges]) - count[edges], count[edges])
    step = np.arange(len(edge)) - first
    frac = (step + 0.5) / count[edge]
    along = frac * np.repeat(geom_len, count[edges])
    pts = shapely.line_interpolate_point(network.edge_geometry[edge], along)
    index = start[edge] + step
    if window is not None:
        xy = shapely.get_coordinates(pts)
        x0, y0, x1, y1 = window
        inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        pts, index = pts[inside], index[inside]
    return pts, index, total


def commercial_candidates(
    model: AccessModel | WalkNetwork,
    amenities: gpd.GeoDataFrame | None = None,
    *,
    spacing_m: float = DEFAULT_SPACING_M["commercial"],
    near_amenity_m: float = 150.0,
    streets: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    near_street_m: float = 100.0,
    area: Area | None = None,
) -> Candidates:
    """On-network points in commercial places (see the module docstring for the definition).

    Parameters
    ----------
    model : AccessModel or WalkNetwork
        The access model (or only its network).
    amenities : GeoDataFrame, optional
        Existing amenities of any category (any CRS); default the model's amenities.
    spacing_m : float
        Distance between candidate points along each edge (metres).
    near_amenity_m : float
        Straight-line distance (metres) to an existing amenity that marks a commercial street.
    streets : GeoDataFrame or GeoSeries, optional
        Pedestrian / shopping streets; ``None`` tries the embedded pedestrian streets.
    near_street_m : float
        Straight-line distance (metres) to such a street.
    area : Area, optional
        Generate only in the area's window and return the candidates inside the area: the
        same candidates, with the same ids, as over the whole network then clipped.

    Ids are ``B`` + the point's index among all the network's along-edge points
    (``B00000``...). Raises :class:`InputError` when no point qualifies.
    """
    network = _network_of(model)
    if amenities is None and isinstance(model, AccessModel):
        amenities = model.amenities
    spacing_m = _check_spacing(spacing_m)
    window = None if area is None else _area_window(network, area, 1.0)
    pts, index, total = _along_edges(network, spacing_m, window)
    markers = []
    if amenities is not None and len(amenities):
        markers.append((amenities.geometry.to_crs(network.crs).values, near_amenity_m))
    if streets is None:
        streets = _embedded_streets()
    if streets is not None and len(streets):
        geoms = streets.geometry if isinstance(streets, gpd.GeoDataFrame) else streets
        markers.append((geoms.to_crs(network.crs).values, near_street_m))
    keep = np.zeros(len(pts), dtype=bool)
    for geoms, radius in markers:
        tree = shapely.STRtree(np.asarray(geoms, dtype=object))
        hit, _ = tree.query(pts, predicate="dwithin", distance=float(radius))
        keep[hit] = True
    if not keep.any():
        where = "the walking network" if area is None else f"the walking network in {area.name}"
        raise InputError(
            f"no point of {where} lies near an existing amenity or pedestrian street",
            field="candidate-source",
            hint="use --candidate-source grid, or give a candidate layer with --candidates",
            code="candidates.none_commercial",
        )
    sel = gpd.GeoSeries(pts[keep], crs=network.crs)
    ids = _index_ids("B", index[keep], total)
    snap = snap_points(network, sel, ids=ids, max_distance_m=1.0)
    return _clip(_on_network(network, snap, "commercial"), area)


def _embedded_streets() -> gpd.GeoDataFrame | None:
    """The embedded pedestrian streets, or ``None`` when the layer is unavailable."""
    try:
        from gisplan.io.embedded import load_pedestrian_streets

        return load_pedestrian_streets()
    except (ImportError, InputError, OSError):
        return None


def candidates_from_points(
    model: AccessModel | WalkNetwork,
    points: gpd.GeoDataFrame,
    *,
    file: str | Path | None = None,
    max_snap_distance_m: float | None = None,
    barriers: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> Candidates:
    """Candidates from a point layer (any CRS); ``id`` and ``name`` columns are optional.

    With an :class:`AccessModel` the sites are joined with the model's snapping context
    (:meth:`AccessModel.snap`: its snapping distance and barriers), like its amenities;
    passing ``max_snap_distance_m`` or ``barriers`` as well is an error.  With a bare
    :class:`WalkNetwork` (tests, benchmarks) they default to
    :data:`~gisplan.catalogue.DEFAULT_MAX_SNAP_M` and no barriers.

    Polygons are replaced by a representative point. Sites farther than the snapping
    distance (metres) from every edge are kept but unsnapped (never chosen).  Ids must be
    unique; missing ids become ``F00000``...
    """
    if isinstance(model, AccessModel):
        if max_snap_distance_m is not None or barriers is not None:
            raise TypeError("the access model's snapping context applies; do not pass another")
        limit = model.max_snap_distance_m
    else:
        limit = DEFAULT_MAX_SNAP_M if max_snap_distance_m is None else float(max_snap_distance_m)
    if points.crs is None:
        raise InputError(
            "the candidate layer has no CRS",
            file=file,
            field="crs",
            hint="set its CRS, e.g. EPSG:4326",
            code="crs.missing",
        )
    if len(points) == 0:
        raise InputError(
            "the candidate layer has no features",
            file=file,
            hint="add candidate points",
            code="layer.empty",
        )
    geoms = points.geometry
    empty = geoms.isna() | geoms.is_empty
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError(
            "a candidate has no geometry",
            file=file,
            field="geometry",
            row=row,
            hint="remove the row or give it a location",
            code="layer.empty_geometry",
            params={"rows": [row], "more": 0, "csv": False},
        )
    n = len(points)
    if "id" in points.columns:
        ids = points["id"]
        missing = ids.isna() | (ids.astype(str).str.strip() == "")
        ids = ids.astype(str).where(
            ~missing, pd.Series([f"F{i:05d}" for i in range(n)], index=ids.index)
        )
        dup = ids.duplicated(keep="first").to_numpy()
        if dup.any():
            row = int(np.flatnonzero(dup)[0])
            raise InputError(
                f"candidate id {ids.iloc[row]!r} is used twice",
                file=file,
                field="id",
                row=row,
                hint="give every candidate a unique id",
                code="layer.duplicate_ids",
                params={"column": "id", "ids": str(ids.iloc[row])},
            )
        ids = ids.to_numpy(dtype=object)
    else:
        ids = np.asarray([f"F{i:05d}" for i in range(n)], dtype=object)
    names = (
        points["name"].fillna("").astype(str).to_numpy() if "name" in points.columns else [""] * n
    )
    pts4326 = geoms.to_crs(WGS84)
    not_point = pts4326.geom_type != "Point"
    if not_point.any():
        pts4326 = pts4326.copy()
        pts4326[not_point] = pts4326[not_point].representative_point()
    out = gpd.GeoDataFrame(
        {"id": ids, "kind": "file", "name": names}, geometry=pts4326.values, crs=WGS84
    )
    if isinstance(model, AccessModel):
        snap = model.snap(out, ids=ids)
    else:
        snap = snap_points(model, out, ids=ids, max_distance_m=limit, barriers=barriers)
    if not snap.ok.any():
        raise InputError(
            f"none of the {n} candidates is within {limit:g} m of the walking network",
            file=file,
            field="geometry",
            hint="check the layer's coordinate system (wgs84 / gcj02 / bd09) and its location",
            code="candidates.off_network",
            params={"n": n, "limit": limit},
        )
    return Candidates(points=out, snap=snap, kind="file")


def read_candidates(
    model: AccessModel | WalkNetwork,
    path: str | Path,
    *,
    crs: str | None = None,
    max_snap_distance_m: float | None = None,
    barriers: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> Candidates:
    """Read a candidate layer with :func:`gisplan.io.readers.read_layer` and join it to the network.

    Snapping as in :func:`candidates_from_points`.
    """
    from gisplan.io.readers import read_layer

    layer = read_layer(path, crs=crs)
    return candidates_from_points(
        model, layer, file=path, max_snap_distance_m=max_snap_distance_m, barriers=barriers
    )


def make_candidates(
    model: AccessModel,
    source: str,
    *,
    spacing_m: float | None = None,
    path: str | Path | None = None,
    points: gpd.GeoDataFrame | None = None,
    file: str | Path | None = None,
    crs: str | None = None,
    area: Area | None = None,
) -> Candidates:
    """Candidate sites from one of :data:`CANDIDATE_SOURCES`; what the CLI and the app call.

    Parameters
    ----------
    model : AccessModel
        The access model the siting runs on: its network, amenities and snapping context.
    source : str
        ``"grid"``, ``"commercial"`` or ``"file"``.
    spacing_m : float, optional
        Spacing of generated candidates (metres); default :data:`DEFAULT_SPACING_M`.
    path : path-like, optional
        For ``"file"``: the layer to read (:func:`read_candidates`; ``crs`` for CSV files) ...
    points : GeoDataFrame, optional
        ... or the layer already read (e.g. by the app's bounded upload reader); ``file``
        names it in messages.
    area : Area, optional
        Planning area: only candidates inside it are returned (:func:`candidates_within`);
        grid and commercial candidates are generated in the area's window only (same result
        as generating everywhere and clipping, much faster for a district of a city).
    """
    if source not in CANDIDATE_SOURCES:
        raise InputError(
            f"unknown candidate source {source!r}",
            field="candidate-source",
            hint="choose one of: " + ", ".join(CANDIDATE_SOURCES),
        )
    if source == "file":
        if points is not None:
            return _clip(candidates_from_points(model, points, file=file or path), area)
        if path is None:
            raise InputError(
                "no candidate layer given",
                field="candidates",
                hint="give a point layer of candidate sites (upload it, or --candidates FILE)",
                code="candidates.no_layer",
            )
        return _clip(read_candidates(model, path, crs=crs), area)
    spacing = DEFAULT_SPACING_M[source] if spacing_m is None else spacing_m
    if source == "commercial":
        return commercial_candidates(model, spacing_m=spacing, area=area)
    return grid_candidates(model, spacing_m=spacing, area=area)


def _check_spacing(spacing_m: float) -> float:
    return SPACING_M.check(spacing_m)
