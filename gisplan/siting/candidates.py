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

__all__ = [
    "Candidates",
    "CANDIDATE_SOURCES",
    "grid_candidates",
    "commercial_candidates",
    "candidates_from_points",
    "read_candidates",
    "make_candidates",
    "DEFAULT_SPACING_M",
]

CANDIDATE_SOURCES = ("grid", "commercial", "file")
#: Default spacing (metres) of generated candidates, per source.
DEFAULT_SPACING_M = {"grid": 100.0, "commercial": 50.0}


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
        return self.snap.unsnapped_ids

    def subset(self, positions: np.ndarray) -> Candidates:
        """The candidates at the given positions (index array or boolean mask)."""
        return Candidates(
            points=self.points.iloc[np.asarray(positions)].reset_index(drop=True),
            snap=self.snap.subset(positions),
            kind=self.kind,
        )


def _on_network(network: WalkNetwork, snap: Snapped, kind: str, prefix: str) -> Candidates:
    """Candidates placed at their join points (off-network leg 0), one per metre cell."""
    ok = snap.ok
    snap = snap.subset(ok)
    key = np.round(snap.snapped_xy).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    snap = snap.subset(first)
    n = len(snap)
    ids = np.asarray([f"{prefix}{i:05d}" for i in range(n)], dtype=object)
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


def grid_candidates(
    model: AccessModel | WalkNetwork, spacing_m: float = DEFAULT_SPACING_M["grid"]
) -> Candidates:
    """Grid points every ``spacing_m`` metres over the network, moved onto the nearest edge.

    ``model`` is the access model (or only its network: grid candidates need no snapping
    context).  Grid points farther than ``spacing_m / sqrt(2)`` (half the cell diagonal) from every edge
    are dropped; candidates landing within the same metre are merged. Ids are ``G00000``...
    """
    network = _network_of(model)
    spacing_m = _check_spacing(spacing_m)
    xmin, ymin = np.nanmin(network.node_xy, axis=0)
    xmax, ymax = np.nanmax(network.node_xy, axis=0)
    xs = np.arange(xmin + spacing_m / 2, xmax + spacing_m / 2, spacing_m)
    ys = np.arange(ymin + spacing_m / 2, ymax + spacing_m / 2, spacing_m)
    if len(xs) * len(ys) > 2_000_000:
        raise InputError(
            f"a {spacing_m:g} m grid over this network has {len(xs) * len(ys):,} points",
            field="grid_spacing",
            hint="use a larger --grid-spacing",
        )
    gx, gy = np.meshgrid(xs, ys)
    pts = gpd.GeoSeries(shapely.points(gx.ravel(), gy.ravel()), crs=network.crs)
    snap = snap_points(network, pts, ids=np.arange(len(pts)), max_distance_m=spacing_m / np.sqrt(2))
    return _on_network(network, snap, "grid", "G")


def _along_edges(network: WalkNetwork, spacing_m: float) -> np.ndarray:
    """Points (network CRS, shapely array) every ``spacing_m`` along each edge, centred."""
    length = network.edge_length
    geom_len = shapely.length(network.edge_geometry)
    count = np.maximum(1, np.floor(length / spacing_m)).astype(np.int64)
    edge = np.repeat(np.arange(network.n_edges), count)
    first = np.repeat(np.cumsum(count) - count, count)
    step = np.arange(len(edge)) - first
    frac = (step + 0.5) / count[edge]
    return shapely.line_interpolate_point(network.edge_geometry[edge], frac * geom_len[edge])


def commercial_candidates(
    model: AccessModel | WalkNetwork,
    amenities: gpd.GeoDataFrame | None = None,
    *,
    spacing_m: float = DEFAULT_SPACING_M["commercial"],
    near_amenity_m: float = 150.0,
    streets: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    near_street_m: float = 100.0,
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

    Ids are ``B00000``... Raises :class:`InputError` when no point qualifies.
    """
    network = _network_of(model)
    if amenities is None and isinstance(model, AccessModel):
        amenities = model.amenities
    spacing_m = _check_spacing(spacing_m)
    pts = _along_edges(network, spacing_m)
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
        raise InputError(
            "no point of the walking network lies near an existing amenity or pedestrian street",
            field="candidate-source",
            hint="use --candidate-source grid, or give a candidate layer with --candidates",
        )
    sel = gpd.GeoSeries(pts[keep], crs=network.crs)
    snap = snap_points(network, sel, ids=np.arange(len(sel)), max_distance_m=1.0)
    return _on_network(network, snap, "commercial", "B")


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
        )
    if len(points) == 0:
        raise InputError(
            "the candidate layer has no features", file=file, hint="add candidate points"
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
    """
    if source not in CANDIDATE_SOURCES:
        raise InputError(
            f"unknown candidate source {source!r}",
            field="candidate-source",
            hint="choose one of: " + ", ".join(CANDIDATE_SOURCES),
        )
    if source == "file":
        if points is not None:
            return candidates_from_points(model, points, file=file or path)
        if path is None:
            raise InputError(
                "no candidate layer given",
                field="candidates",
                hint="give a point layer of candidate sites (upload it, or --candidates FILE)",
            )
        return read_candidates(model, path, crs=crs)
    spacing = DEFAULT_SPACING_M[source] if spacing_m is None else spacing_m
    if source == "commercial":
        return commercial_candidates(model, spacing_m=spacing)
    return grid_candidates(model, spacing_m=spacing)


def _check_spacing(spacing_m: float) -> float:
    return SPACING_M.check(spacing_m)
