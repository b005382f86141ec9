"""Planning areas: the territory a district official plans for.

An :class:`Area` is a named polygon in EPSG:4326. :func:`resolve_area` finds one from what a
user types:

- a **county** (区县市) of the embedded Ningbo boundaries (:func:`gisplan.io.embedded.load_counties`):
  Chinese name (``海曙区``, or ``海曙`` when unambiguous), English name (``Haishu``) or GB/T 2260
  code;
- a **circle / 街道** of the dataset's circles layer (a GeoDataFrame with polygons and a ``name``,
  ``name_zh`` or ``id`` column; pass it as ``circles``);
- a **polygon file** (GeoJSON, GeoPackage, Shapefile .zip) read with
  :func:`gisplan.io.readers.read_layer`: all its polygons together form the area;
- a **polygon drawn on the map** by clicking its corners (:func:`drawn_area`): checked to be a
  simple polygon (at least 3 corners, no crossing edges, non-zero area).

Siting within an area proposes only candidates that lie inside it, and counts the demand
inside it (optionally also the people outside it who are newly served); both parts are
always reported separately (:mod:`gisplan.siting.effect`).

The embedded county boundaries are generalised (vertices 1.5–3 km apart): near a boundary a
point may fall on the wrong side by a few hundred metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.polygon import orient

from gisplan.crs import WGS84
from gisplan.errors import InputError

__all__ = [
    "Area",
    "AREA_KINDS",
    "resolve_area",
    "county_area",
    "circle_area",
    "read_area_file",
    "drawn_area",
    "crossing_edges",
    "OutlineError",
    "edge_name",
    "dataset_circles",
    "MAX_DRAWN_VERTICES",
]

AREA_KINDS = ("county", "circle", "file", "drawn")

#: Most corners of a polygon drawn on the map.
MAX_DRAWN_VERTICES = 200

#: Columns naming a circle / 街道 in a circles layer, in order of preference.
_CIRCLE_NAME_COLUMNS = ("name_zh", "name", "name_en", "id")


@dataclass(frozen=True, eq=False)
class Area:
    """A named planning area.

    Attributes
    ----------
    name : str
        Display name (e.g. ``"海曙区 Haishu"``); text from a file, never markup.
    kind : str
        ``"county"``, ``"circle"`` or ``"file"``.
    geometry : shapely.Polygon or shapely.MultiPolygon
        The area in EPSG:4326 (longitude, latitude).
    source : str
        Where the boundary comes from (layer or file name).
    approximate : bool
        True for generalised boundaries (the embedded counties).
    """

    name: str
    kind: str
    geometry: shapely.Geometry
    source: str
    approximate: bool = False

    def contains(self, layer: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
        """Boolean array: which features lie inside or on the boundary of the area.

        Features in any CRS; points, or the representative points of other geometries.
        """
        geoms = layer.geometry if isinstance(layer, gpd.GeoDataFrame) else layer
        if geoms.crs is None:
            raise InputError("the layer has no CRS", field="crs", hint="set one, e.g. EPSG:4326")
        geoms = geoms.to_crs(WGS84)
        pts = geoms.values
        not_point = np.asarray(geoms.geom_type != "Point")
        if not_point.any():
            pts = pts.copy()
            pts[not_point] = geoms[not_point].representative_point().values
        shapely.prepare(self.geometry)
        return np.asarray(shapely.covers(self.geometry, pts), dtype=bool)

    def to_frame(self) -> gpd.GeoDataFrame:
        """One-row GeoDataFrame (EPSG:4326) with ``name``, ``kind``, ``source``, ``area_km2``."""
        return gpd.GeoDataFrame(
            {
                "name": [self.name],
                "kind": [self.kind],
                "source": [self.source],
                "area_km2": [round(self.area_km2, 6)],
            },
            geometry=[self.geometry],
            crs=WGS84,
        )

    @property
    def area_km2(self) -> float:
        """The area's surface in km².

        In a Lambert azimuthal equal-area projection centred on it (WGS-84 ellipsoid; exact
        to well under 0.1 % for a city).
        """
        c = self.geometry.centroid
        laea = f"+proj=laea +lat_0={c.y:.8f} +lon_0={c.x:.8f} +datum=WGS84 +units=m +no_defs"
        return float(gpd.GeoSeries([self.geometry], crs=WGS84).to_crs(laea).area.iloc[0]) / 1e6

    def to_geojson(self) -> bytes:
        """The area as a GeoJSON FeatureCollection (UTF-8; one feature, EPSG:4326)."""
        return self.to_frame().to_json(drop_id=True, ensure_ascii=False).encode("utf-8")

    def describe(self) -> dict:
        """JSON-ready description (without the geometry)."""
        lon0, lat0, lon1, lat1 = (round(float(v), 6) for v in self.geometry.bounds)
        return {
            "name": self.name,
            "kind": self.kind,
            "source": self.source,
            "approximate": self.approximate,
            "bounds_wgs84": [lon0, lat0, lon1, lat1],
        }


def _polygonal(geoms: gpd.GeoSeries) -> shapely.Geometry | None:
    polys = geoms[geoms.geom_type.isin(["Polygon", "MultiPolygon"]) & ~geoms.is_empty]
    if len(polys) == 0:
        return None
    return shapely.make_valid(shapely.union_all(polys.values))


def county_area(name: str) -> Area | None:
    """The embedded county matching ``name`` (Chinese, English or code), or None."""
    from gisplan.io.embedded import load_counties

    counties = load_counties()
    key = str(name).strip()
    low = key.lower()
    exact = (
        (counties["name_zh"] == key)
        | (counties["name_en"].str.lower() == low)
        | (counties["code"].astype(str) == key)
    )
    hit = counties[exact]
    if len(hit) == 0 and key:
        # 海曙 -> 海曙区; "haishu" -> "Haishu District"
        prefix = counties["name_zh"].str.startswith(key) | counties[
            "name_en"
        ].str.lower().str.startswith(low)
        if prefix.sum() == 1:
            hit = counties[prefix]
    if len(hit) != 1:
        return None
    row = hit.iloc[0]
    return Area(
        name=f"{row['name_zh']} {row['name_en']}",
        kind="county",
        geometry=shapely.make_valid(row.geometry),
        source="embedded county boundaries (generalised)",
        approximate=True,
    )


def circle_area(name: str, circles: gpd.GeoDataFrame | None) -> Area | None:
    """The circle / 街道 of a circles layer whose name (or id) is ``name``, or None."""
    if circles is None or len(circles) == 0:
        return None
    key = str(name).strip()
    for col in _CIRCLE_NAME_COLUMNS:
        if col not in circles.columns:
            continue
        hit = circles[circles[col].astype(str).str.strip() == key]
        if len(hit):
            geom = _polygonal(hit.geometry.to_crs(WGS84))
            if geom is None:
                return None
            return Area(name=key, kind="circle", geometry=geom, source="dataset circles layer")
    return None


def read_area_file(path: str | Path, *, crs: str | None = None) -> Area:
    """All polygons of a vector file as one area (named after the file, or its ``name`` column)."""
    from gisplan.io.readers import read_layer

    layer = read_layer(path, crs=crs)
    geom = _polygonal(layer.geometry)
    if geom is None or geom.is_empty:
        raise InputError(
            "the area file has no polygon",
            file=path,
            field="geometry",
            hint="give a layer of Polygon or MultiPolygon features (the planning area)",
            code="area.no_polygon",
        )
    name = Path(path).stem
    if "name" in layer.columns:
        names = pd.unique(layer["name"].dropna().astype(str).str.strip())
        names = [n for n in names if n]
        if len(names) == 1:
            name = names[0]
    return Area(name=name, kind="file", geometry=geom, source=Path(path).name)


class OutlineError(InputError):
    """A drawn outline that is not a usable area (:func:`drawn_area`).

    ``reason`` says which check failed — ``"corner"`` (not a lon/lat), ``"few"`` (under 3
    corners), ``"many"`` (over :data:`MAX_DRAWN_VERTICES`), ``"crossing"`` (``edges`` holds
    the first crossing pair, 0-based, the last edge closing) or ``"no_area"`` — so an
    interface can say it in its own language.
    """

    def __init__(
        self, message: str, *, reason: str, edges: tuple[int, int] | None = None, **kwargs
    ) -> None:
        self.reason = reason
        self.edges = edges
        super().__init__(message, field="vertices", **kwargs)


def edge_name(edge: int, n: int) -> str:
    """Name edge ``edge`` (0-based) of a closed outline of ``n`` corners by its corners.

    Corners are numbered from 1: ``"2–3"``; the closing edge is ``"n–1"``.
    """
    return f"{edge + 1}–{edge + 2}" if edge < n - 1 else f"{n}–1"


def crossing_edges(
    vertices: Sequence[Sequence[float]], *, closed: bool = True
) -> list[tuple[int, int]]:
    """Pairs of edges of a drawn outline that cross or overlap (0-based edge numbers).

    Edge ``i`` joins vertex ``i`` to vertex ``i + 1``; with ``closed`` the last edge joins
    the last vertex back to the first. Neighbouring edges may only share their common
    corner. Coordinates are lon/lat; the test is planar (fine for edges of a few km).
    """
    pts = [tuple(map(float, v)) for v in vertices]
    n = len(pts)
    if n < 2:
        return []
    segs = [(pts[i], pts[i + 1]) for i in range(n - 1)]
    if closed and n >= 3:
        segs.append((pts[-1], pts[0]))
    lines = shapely.linestrings([list(s) for s in segs])
    m = len(segs)
    out = []
    for i in range(m):
        for j in range(i + 1, m):
            meet = shapely.intersection(lines[i], lines[j])
            if meet.is_empty:
                continue
            neighbours = j == i + 1 or (closed and n >= 3 and i == 0 and j == m - 1)
            if neighbours:
                corner = shapely.Point(segs[j][0] if j == i + 1 else segs[i][0])
                if meet.geom_type == "Point" and meet.equals(corner):
                    continue
            out.append((i, j))
    return out


def drawn_area(vertices: Sequence[Sequence[float]], *, name: str = "drawn area") -> Area:
    """The polygon whose corners a user clicked on the map, in order (lon, lat, WGS-84).

    Repeated consecutive corners count once. Raises :class:`OutlineError` naming the problem
    when the outline has fewer than 3 corners, more than :data:`MAX_DRAWN_VERTICES`, a
    corner off the globe, crossing edges (numbered as the user placed them: edge 1 joins
    corners 1 and 2, the closing edge joins the last corner to corner 1) or no area.
    """
    pts: list[tuple[float, float]] = []
    for i, v in enumerate(vertices, start=1):
        try:
            lon, lat = float(v[0]), float(v[1])
        except (TypeError, ValueError, IndexError):
            raise OutlineError(
                f"corner {i} is not a longitude, latitude pair",
                reason="corner",
                row=i,
                code="outline.corner",
                params={"corner": i},
            ) from None
        if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise OutlineError(
                f"corner {i} ({lon}, {lat}) is not a WGS-84 longitude, latitude",
                reason="corner",
                row=i,
                hint="undo it and click on the map",
                code="outline.corner",
                params={"corner": i},
            )
        if not pts or pts[-1] != (lon, lat):
            pts.append((lon, lat))
    if len(pts) > 1 and pts[-1] == pts[0]:
        pts.pop()
    if len(pts) < 3:
        raise OutlineError(
            f"an area needs at least 3 corners; {len(pts)} placed",
            reason="few",
            hint="click more corners on the map",
        )
    if len(pts) > MAX_DRAWN_VERTICES:
        raise OutlineError(
            f"the outline has {len(pts)} corners (at most {MAX_DRAWN_VERTICES})",
            reason="many",
            hint="draw a simpler outline, or upload a boundary file",
        )
    crossing = crossing_edges(pts)
    if crossing:
        i, j = crossing[0]
        n = len(pts)
        raise OutlineError(
            f"the outline crosses itself: edge {edge_name(i, n)} meets edge {edge_name(j, n)} "
            "(corners numbered in the order placed)",
            reason="crossing",
            edges=(i, j),
            hint="undo the last corners, or clear and click the corners in order around the area",
        )
    poly = shapely.Polygon(pts)
    if poly.area <= 1e-9 * poly.length**2 or not poly.is_valid:  # float-collinear: a sliver
        raise OutlineError(
            "the corners lie on one line: the outline has no area",
            reason="no_area",
            hint="click corners around the area, not along a line",
        )
    poly = orient(poly, 1.0)  # exterior counter-clockwise (RFC 7946)
    return Area(name=name, kind="drawn", geometry=poly, source="drawn on the map")


def _circle_names(circles: gpd.GeoDataFrame | None) -> list[str]:
    if circles is None:
        return []
    for col in _CIRCLE_NAME_COLUMNS:
        if col in circles.columns:
            return [str(v) for v in circles[col].dropna().head(8)]
    return []


def resolve_area(
    spec: str | Path, *, circles: gpd.GeoDataFrame | None = None, crs: str | None = None
) -> Area:
    """The area named by ``spec``: an existing polygon file, a county or a circle (see module doc).

    A path that exists is read as a file; otherwise the county names are tried first, then
    the circles layer. Raises :class:`InputError` listing the known names when nothing matches.
    """
    text = str(spec).strip()
    if not text:
        raise InputError("the area is empty", field="within", hint="give a county name or a file")
    path = Path(text)
    if path.suffix and path.exists():
        return read_area_file(path, crs=crs)
    area = county_area(text)
    if area is None:
        area = circle_area(text, circles)
    if area is not None:
        return area
    if path.suffix.lower() in {".geojson", ".json", ".gpkg", ".shp", ".zip"}:
        raise InputError(
            f"area file {text!r} does not exist", file=text, field="within", hint="check the path"
        )
    from gisplan.io.embedded import load_counties

    known = "、".join(load_counties()["name_zh"])
    circ = _circle_names(circles)
    hint = f"counties: {known}"
    hint += f"; circles: {'、'.join(circ)}…" if circ else "; this dataset has no circles layer"
    hint += "; or give a polygon file (.geojson, .gpkg, .zip)"
    raise InputError(f"no county, circle or file named {text!r}", field="within", hint=hint)


def dataset_circles(dataset) -> gpd.GeoDataFrame | None:
    """The dataset's circles / 街道 layer (polygons, EPSG:4326) when it has one, else None.

    Looks for a ``circles`` attribute (prepared datasets) and then ``extras["circles"]``.
    """
    circles = getattr(dataset, "circles", None)
    if circles is None:
        circles = getattr(dataset, "extras", {}).get("circles")
    if circles is None or len(circles) == 0:
        return None
    return circles
