"""OSM features (osmnx / pyrosm tables) -> amenities, residential demand and water areas.

Features are held in WGS-84 (EPSG:4326); floor areas are measured in the metric CRS of the
network (m²).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.catalogue import Category
from gisplan.crs import WGS84
from gisplan.io.osm.tags import (
    _META_COLUMNS,
    _NAME_KEYS,
    DEFAULT_LEVELS,
    FLOOR_AREA_PER_PERSON_M2,
    RESIDENTIAL_BUILDINGS,
    WATER_TAGS,
    _is_missing,
    _text,
)

__all__ = [
    "estimate_population",
]


def _empty_points(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=WGS84)


_AMENITY_COLUMNS = ["id", "name", "category", "osm_id", "source", "source_type"]
_AREA_COLUMNS = ["id", "name", "source"]
_WATER_COLUMNS = ["id", "name", "kind", "source"]
_RESIDENTIAL_COLUMNS = [
    "id",
    "name",
    "population",
    "population_estimated",
    "building",
    "levels",
    "floor_area_m2",
    "source",
]


@dataclass
class _Features:
    """OSM features in WGS-84.

    ``osm_type`` (str) and ``osm_id`` (int) per feature, ``geometry`` (shapely objects, may be
    None) and ``tags``: one object column per tag key read, ``None`` where a feature lacks
    the tag (values as in the file, normally str).
    """

    osm_type: np.ndarray
    osm_id: np.ndarray
    geometry: np.ndarray
    tags: pd.DataFrame

    def __len__(self) -> int:
        return len(self.osm_id)

    @classmethod
    def empty(cls, keys: Iterable[str] = ()) -> _Features:
        return cls(
            np.array([], dtype=object),
            np.array([], dtype="int64"),
            np.array([], dtype=object),
            pd.DataFrame({k: pd.Series(dtype=object) for k in keys}),
        )

    def take(self, mask: np.ndarray) -> _Features:
        mask = np.asarray(mask, dtype=bool)
        return _Features(
            self.osm_type[mask],
            self.osm_id[mask],
            self.geometry[mask],
            self.tags[mask].reset_index(drop=True),
        )

    def present(self, key: str) -> np.ndarray:
        """Boolean mask: the feature has tag ``key``."""
        if key not in self.tags.columns:
            return np.zeros(len(self), dtype=bool)
        return self.tags[key].notna().to_numpy()

    def text(self, key: str) -> np.ndarray:
        """Tag values as str, ``""`` where missing (lists joined with ``;``)."""
        if key not in self.tags.columns:
            return np.full(len(self), "", dtype=object)
        return _text_array(self.tags[key])


def _object_values(values: pd.Series) -> np.ndarray:
    """The values as an object array, missing ones (None, NaN, pd.NA) as None."""
    # pandas-stubs do not list na_value=None for object arrays; pandas accepts it.
    return values.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]


def _text_array(values: pd.Series) -> np.ndarray:
    """Vectorised :func:`_text`: str of each value, ``""`` when missing, lists joined by ``;``."""
    arr = _object_values(values)
    out = np.full(len(arr), "", dtype=object)
    have = pd.notna(values).to_numpy()
    if not have.any():
        return out
    vals = arr[have]
    is_list = np.fromiter((isinstance(v, (list, tuple)) for v in vals), bool, len(vals))
    text = vals.astype(str).astype(object)
    if is_list.any():
        text[is_list] = [_text(v) for v in vals[is_list]]
    out[have] = text
    return out


def _tag_column(values: pd.Series | None, n: int) -> pd.Series:
    """Object column with ``None`` for missing values (None, NaN, pd.NA)."""
    if values is None:
        return pd.Series([None] * n, dtype=object)
    col = pd.Series(_object_values(values), dtype=object)
    return col.where(pd.notna(col), None)


def _features_from_osmnx(gdf: gpd.GeoDataFrame | None, keys: Iterable[str]) -> _Features:
    """osmnx features (MultiIndex element/id, one column per tag) -> :class:`_Features`."""
    keys = list(keys)
    if gdf is None or len(gdf) == 0:
        return _Features.empty(keys)
    gdf = gdf.to_crs(WGS84)
    idx = gdf.index
    n = len(gdf)
    cols = {k: _tag_column(gdf[k] if k in gdf.columns else None, n) for k in keys}
    return _Features(
        np.asarray(idx.get_level_values(0).astype(str), dtype=object),
        np.asarray(idx.get_level_values(1), dtype="int64"),
        np.asarray(gdf.geometry.values, dtype=object),
        pd.DataFrame(cols),
    )


def _features_from_pyrosm(gdf: gpd.GeoDataFrame | None, keys: Iterable[str]) -> _Features:
    """pyrosm table (known tags as columns, the rest JSON in ``tags``) -> :class:`_Features`.

    A tag's value is its column's where that is not missing, else the JSON ``tags`` value.
    Only rows whose JSON text mentions a missing key are parsed.
    """
    keys = list(keys)
    if gdf is None or len(gdf) == 0:
        return _Features.empty(keys)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    gdf = gdf.to_crs(WGS84)
    n = len(gdf)
    have_cols = set(gdf.columns) - _META_COLUMNS - {gdf.geometry.name}
    cols = {k: _tag_column(gdf[k] if k in have_cols else None, n) for k in keys}
    if "tags" in gdf.columns:
        extra = _object_values(gdf["tags"])
        is_str = np.fromiter((isinstance(t, str) and t != "" for t in extra), bool, n)
        is_dict = np.fromiter((isinstance(t, dict) for t in extra), bool, n)
        text = pd.Series(np.where(is_str, extra, ""), dtype=object).astype(str)
        parsed: dict[int, dict[str, Any]] = {}
        for k in keys:
            missing = cols[k].isna().to_numpy()
            cand = missing & (
                is_dict | (is_str & text.str.contains(json.dumps(k), regex=False).to_numpy())
            )
            rows = np.flatnonzero(cand)
            if len(rows) == 0:
                continue
            vals = cols[k].to_numpy(dtype=object).copy()
            for i in rows:
                t = parsed.get(int(i))
                if t is None:
                    t = {}
                    if is_dict[i]:
                        t = extra[i]
                    else:
                        with contextlib.suppress(ValueError):
                            loaded = json.loads(extra[i])
                            if isinstance(loaded, dict):
                                t = loaded
                    parsed[int(i)] = t
                v = t.get(k)
                if not _is_missing(v):
                    vals[i] = v
            cols[k] = pd.Series(vals, dtype=object)
    osm_type = (
        gdf["osm_type"].astype(str).to_numpy(dtype=object)
        if "osm_type" in gdf.columns
        else np.full(n, "way", dtype=object)
    )
    return _Features(
        osm_type,
        gdf["id"].astype("int64").to_numpy(),
        np.asarray(gdf.geometry.values, dtype=object),
        pd.DataFrame(cols),
    )


def _category_matrix(tags: pd.DataFrame, categories: Iterable[Category]) -> np.ndarray:
    """Boolean matrix (features x categories): ``Category.matches_tags``, vectorised.

    ``tags`` has one column per tag key (missing: None or NaN).  A filter matches when
    every key is present and, unless the wanted value is ``"*"``, ``str(value)`` equals it.
    """
    categories = tuple(categories)
    n = len(tags)
    present: dict[str, np.ndarray] = {}
    as_text: dict[str, np.ndarray] = {}
    out = np.zeros((n, len(categories)), dtype=bool)
    for j, cat in enumerate(categories):
        for flt in cat.osm:
            ok = np.ones(n, dtype=bool)
            for key, want in flt.items():
                if key not in present:
                    if key in tags.columns:
                        col = tags[key]
                        present[key] = pd.notna(col).to_numpy()
                        as_text[key] = np.asarray(_object_values(col).astype(str), dtype=object)
                    else:
                        present[key] = np.zeros(n, dtype=bool)
                        as_text[key] = np.full(n, "", dtype=object)
                ok &= present[key]
                if want != "*":
                    ok &= as_text[key] == want
            out[:, j] |= ok
    return out


def _names(feats: _Features) -> np.ndarray:
    """Display name per feature, as :func:`_name` gives it (only present values are visited)."""
    n = len(feats)
    out = np.full(n, "", dtype=object)
    todo = np.ones(n, dtype=bool)

    def values(key: str, rows: np.ndarray) -> list[str]:
        col = _object_values(feats.tags[key])
        return [str(v) for v in col[rows]]

    for key in _NAME_KEYS:
        rows = np.flatnonzero(todo & feats.present(key))
        if len(rows) == 0:
            continue
        text = values(key, rows)
        ok = np.fromiter((bool(t.strip()) for t in text), dtype=bool, count=len(rows))
        out[rows[ok]] = np.array(text, dtype=object)[ok]
        todo[rows[ok]] = False
    rows = np.flatnonzero(todo & feats.present("addr:street"))
    if len(rows):
        street = values("addr:street", rows)
        has_number = feats.present("addr:housenumber")[rows]
        number = (
            values("addr:housenumber", rows)
            if "addr:housenumber" in feats.tags
            else [""] * len(rows)
        )
        out[rows] = [
            f"{s} {x if h else ''}".strip()
            for s, x, h in zip(street, number, has_number, strict=True)
        ]
    return out


def _name(tags: Mapping[str, Any]) -> str:
    """Display name from one feature's tags: name, name:zh, name:en, brand, operator, address."""
    for key in _NAME_KEYS:
        v = tags.get(key)
        if not _is_missing(v) and str(v).strip():
            return str(v)
    street, number = tags.get("addr:street"), tags.get("addr:housenumber")
    if not _is_missing(street):
        return f"{street} {'' if _is_missing(number) else number}".strip()
    return ""


def _points(geoms: np.ndarray | gpd.GeoSeries) -> np.ndarray:
    """Points unchanged; lines and polygons by their representative point."""
    values = np.asarray(geoms.values if hasattr(geoms, "values") else geoms, dtype=object)
    out = values.copy()
    not_point = ~(shapely.get_type_id(values) == 0)
    if not_point.any():
        out[not_point] = shapely.point_on_surface(values[not_point])
    return out


def _osm_ids(osm_type: np.ndarray, osm_id: np.ndarray) -> np.ndarray:
    """``"way/123"`` per feature."""
    return (
        pd.Series(osm_type, dtype=object).astype(str) + "/" + pd.Series(osm_id).astype(str)
    ).to_numpy(dtype=object)


def _amenities(features: _Features, categories: tuple[Category, ...]) -> gpd.GeoDataFrame:
    """One row per (feature, matching category); see :class:`OsmExtract`."""
    if len(features) == 0:
        return _empty_points(_AMENITY_COLUMNS)
    geom = features.geometry
    has_geom = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    feats = features.take(has_geom)
    matrix = _category_matrix(feats.tags, categories)
    rows, cols = np.nonzero(matrix)  # row-major: per feature, categories in catalogue order
    if len(rows) == 0:
        return _empty_points(_AMENITY_COLUMNS)
    n_match = matrix.sum(axis=1)[rows]
    cat_ids = np.array([c.id for c in categories], dtype=object)[cols]
    matched_tag = _matched_tags(feats.tags, categories, rows, cols)
    osm_id = _osm_ids(feats.osm_type[rows], feats.osm_id[rows])
    base = "osm:" + pd.Series(osm_id, dtype=object)
    ids = base.where(n_match == 1, base + "#" + pd.Series(cat_ids, dtype=object))
    out = gpd.GeoDataFrame(
        {
            "id": ids.to_numpy(dtype=object),
            "name": _names(feats)[rows],
            "category": cat_ids,
            "osm_id": osm_id,
            "source": "osm",
            "source_type": matched_tag,
        },
        geometry=_points(feats.geometry[rows]),
        crs=WGS84,
    )
    return out.drop_duplicates("id").reset_index(drop=True)


def _matched_tags(
    tags: pd.DataFrame, categories: tuple[Category, ...], rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """The tags that put each (feature, category) match in its category, e.g. ``shop=convenience``.

    The first of the category's filters that matches, written ``key=value`` (``;``-joined
    when a filter has several tags; ``key=*`` filters give the feature's own value).
    """
    out = np.full(len(rows), "", dtype=object)
    for j, cat in enumerate(categories):
        sel = np.flatnonzero(cols == j)
        if len(sel) == 0:
            continue
        sub = tags.iloc[rows[sel]]
        todo = np.ones(len(sel), dtype=bool)
        for flt in cat.osm:
            ok = todo.copy()
            parts = []
            for key, want in flt.items():
                col = sub[key] if key in sub.columns else pd.Series([None] * len(sub))
                val = _object_values(col)
                have = pd.notna(col).to_numpy()
                text = np.asarray(val.astype(str), dtype=object)
                ok &= have & ((text == want) if want != "*" else True)
                parts.append((key, text))
            idx = np.flatnonzero(ok)
            if len(idx):
                out[sel[idx]] = [";".join(f"{k}={t[i]}" for k, t in parts) for i in idx]
                todo[idx] = False
    return out


def _residential_areas(landuse: _Features) -> gpd.GeoDataFrame:
    """``landuse=residential`` polygons (EPSG:4326): ``id``, ``name``, ``source``.

    Chinese 小区 are usually mapped this way, often without buildings; gisplan prepare
    turns those without residential buildings into demand units.
    """
    if len(landuse) == 0:
        return _empty_points(_AREA_COLUMNS)
    a = landuse.take(np.isin(shapely.get_type_id(landuse.geometry), _POLYGON_TYPES))
    if len(a) == 0:
        return _empty_points(_AREA_COLUMNS)
    out = gpd.GeoDataFrame(
        {
            "id": ("osm:" + pd.Series(_osm_ids(a.osm_type, a.osm_id), dtype=object)).to_numpy(
                dtype=object
            ),
            "name": _names(a),
            "source": "osm",
        },
        geometry=a.geometry,
        crs=WGS84,
    )
    return out.drop_duplicates("id").reset_index(drop=True)


def _levels(values: pd.Series) -> pd.Series:
    """Parse ``building:levels`` ("5", "2.5", "3;4" -> first number); DEFAULT_LEVELS if unusable."""
    text = values.astype("string").str.extract(r"(\d+(?:\.\d+)?)", expand=False)
    num = pd.to_numeric(text, errors="coerce")
    num = num.where(num > 0)
    return num.fillna(DEFAULT_LEVELS).astype(float)


def estimate_population(floor_area_m2: np.ndarray | pd.Series, levels: np.ndarray | pd.Series):
    """Estimated residents of a building.

    ``population = max(1, round(footprint_area_m2 * levels / FLOOR_AREA_PER_PERSON_M2))``
    with ``FLOOR_AREA_PER_PERSON_M2 = 35`` m² of floor area per resident.  Footprint areas
    are measured in the UTM CRS (m²).  This is a coarse planning estimate, not a census
    figure; results carry ``population_estimated = True``.
    """
    area = np.asarray(floor_area_m2, dtype=float)
    lv = np.asarray(levels, dtype=float)
    pop = np.rint(area * lv / FLOOR_AREA_PER_PERSON_M2)
    return np.maximum(pop, 1).astype("int64")


_POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def _residential(buildings: _Features, landuse: _Features, metric_crs: str) -> gpd.GeoDataFrame:
    """Residential demand points from building footprints (see :func:`estimate_population`).

    Kept: polygons with ``building`` in :data:`RESIDENTIAL_BUILDINGS`, plus ``building=yes``
    whose representative point lies in a ``landuse=residential`` polygon.  Buildings mapped
    as points or lines have no footprint and are skipped.
    """
    if len(buildings) == 0:
        return _empty_points(_RESIDENTIAL_COLUMNS)
    b = buildings.take(np.isin(shapely.get_type_id(buildings.geometry), _POLYGON_TYPES))
    if len(b) == 0:
        return _empty_points(_RESIDENTIAL_COLUMNS)
    building = b.text("building")
    keep = np.isin(building, list(RESIDENTIAL_BUILDINGS))
    yes = building == "yes"
    if yes.any() and len(landuse):
        zones = landuse.geometry[np.isin(shapely.get_type_id(landuse.geometry), _POLYGON_TYPES)]
        if len(zones):
            tree = shapely.STRtree(zones)
            rep_yes = _points(b.geometry[yes])
            hit = tree.query(rep_yes, predicate="within")
            inside = np.zeros(len(rep_yes), dtype=bool)
            inside[np.unique(hit[0])] = True
            keep[np.flatnonzero(yes)[inside]] = True
    if not keep.any():
        return _empty_points(_RESIDENTIAL_COLUMNS)
    b = b.take(keep)
    building = building[keep]
    area = gpd.GeoSeries(b.geometry, crs=WGS84).to_crs(metric_crs).area.to_numpy()
    levels = _levels(
        b.tags["building:levels"]
        if "building:levels" in b.tags
        else pd.Series([None] * len(b), dtype=object)
    ).to_numpy()
    out = gpd.GeoDataFrame(
        {
            "id": ("osm:" + pd.Series(_osm_ids(b.osm_type, b.osm_id), dtype=object)).to_numpy(
                dtype=object
            ),
            "name": _names(b),
            "population": estimate_population(area, levels),
            "population_estimated": True,
            "building": building,
            "levels": levels,
            "floor_area_m2": np.round(area * levels, 1),
            "source": "osm",
        },
        geometry=_points(b.geometry),
        crs=WGS84,
    )
    return out.drop_duplicates("id").reset_index(drop=True)


def _water(features: _Features) -> gpd.GeoDataFrame:
    """Water areas (EPSG:4326) among ``features``: polygons with a tag of :data:`WATER_TAGS`.

    ``kind`` is the first matching ``key=value`` in :data:`WATER_TAGS` order.  Points and
    lines (e.g. an unclosed ``natural=water`` way) are skipped.
    """
    if len(features) == 0:
        return _empty_points(_WATER_COLUMNS)
    kind = np.full(len(features), "", dtype=object)
    for key, values in WATER_TAGS.items():
        text = features.text(key)
        for value in values:
            kind[(kind == "") & (text == value)] = f"{key}={value}"
    keep = (kind != "") & np.isin(shapely.get_type_id(features.geometry), _POLYGON_TYPES)
    if not keep.any():
        return _empty_points(_WATER_COLUMNS)
    w = features.take(keep)
    out = gpd.GeoDataFrame(
        {
            "id": ("osm:" + pd.Series(_osm_ids(w.osm_type, w.osm_id), dtype=object)).to_numpy(
                dtype=object
            ),
            "name": _names(w),
            "kind": kind[keep],
            "source": "osm",
        },
        geometry=w.geometry,
        crs=WGS84,
    )
    return out.drop_duplicates("id").reset_index(drop=True)
