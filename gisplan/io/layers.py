"""Reading and validating user layers (communities = demand, amenities = supply).

Formats: GeoJSON, GeoPackage, Shapefile (plain or zipped, ``.zip``) and CSV with longitude and
latitude columns.  Everything comes back as a GeoDataFrame in WGS-84 (EPSG:4326) following the
layer schemas in ``docs/ARCHITECTURE.md``; every problem raises
:class:`gisplan.errors.InputError` naming the file, the field and the row, with a hint.

Row numbers in messages: for CSV files the 1-based data row (the first line after the header is
row 1, i.e. line 2 of the file); for vector layers the 0-based feature index, as GIS software
shows it.

Coordinate systems: vector files carry their CRS (a layer without one is an error unless
``crs=`` is given).  CSV files carry none: WGS-84 is assumed (with a warning) unless you pass
``"cgcs2000"``, ``"gcj02"`` (Amap/Gaode, Tencent) or ``"bd09"`` (Baidu).  GCJ-02 and BD-09
data are converted to WGS-84 with :mod:`gisplan.coords`.

The readers (:func:`~gisplan.io.readers.read_layer`, :func:`~gisplan.io.readers.read_csv_points`)
are in :mod:`gisplan.io.readers`, the row-level helpers in :mod:`gisplan.io.validate`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.catalogue import load_catalogue
from gisplan.crs import WGS84
from gisplan.errors import InputError, InputWarning
from gisplan.io.households import HOUSEHOLD_COLUMNS, PERSONS_PER_HOUSEHOLD, households_to_population
from gisplan.io.readers import CSV_SUFFIXES, check_geometries_present, read_csv_points, read_layer
from gisplan.io.validate import MAX_LISTED, Rows, check_bounds, fail, find_column

__all__ = [
    "map_categories",
    "read_communities",
    "read_amenities",
    "category_lookup",
    "valid_categories_text",
]

_ID_NAMES = ("id", "编号", "序号", "fid_")
_NAME_NAMES = ("name", "名称", "小区名称", "小区", "名字")
_POP_NAMES = ("population", "pop", "人口", "人口数", "居住人口", "常住人口")
_COUNTY_NAMES = ("county", "district", "区县", "区", "县区", "行政区")
_CATEGORY_NAMES = ("category", "类别", "类型", "业态", "分类")
_SOURCE_NAMES = ("source", "来源", "数据来源")


def _read_any(path, *, layer, crs, encoding, lon, lat) -> tuple[gpd.GeoDataFrame, Rows]:
    path = Path(path)
    if path.suffix.lower() in CSV_SUFFIXES:
        if not path.exists():
            raise InputError(
                "file not found", file=path, hint="check the path", code="file.not_found"
            )
        gdf = read_csv_points(path, lon=lon, lat=lat, crs=crs, encoding=encoding)
        return gdf, Rows(path, csv=True)
    gdf = read_layer(path, layer=layer, crs=crs, encoding=encoding)
    return gdf, Rows(path, csv=False)


def _to_points(gdf: gpd.GeoDataFrame, rows: Rows, *, polygons: str, what: str) -> gpd.GeoDataFrame:
    """Points stay; polygons become representative points (or fail); lines fail."""
    g = gdf.geometry
    types = g.geom_type.to_numpy()
    is_point = types == "Point"
    is_multipoint = types == "MultiPoint"
    single_mp = np.zeros(len(g), dtype=bool)
    if is_multipoint.any():
        single_mp[is_multipoint] = shapely.get_num_geometries(g.values[is_multipoint]) == 1
    is_poly = np.isin(types, ("Polygon", "MultiPolygon"))
    bad = np.flatnonzero(~(is_point | single_mp | is_poly))
    if bad.size:
        kinds = sorted(set(types[bad]))
        fail(
            f"{what} must be points (or polygons), found {', '.join(kinds)}",
            rows,
            field="geometry",
            positions=bad,
            hint="convert the features to points (e.g. centroids) before importing",
            code="layer.not_points",
            kinds=", ".join(kinds),
        )
    if is_poly.any():
        if polygons != "point":
            fail(
                f"{what} must be points, found polygons",
                rows,
                field="geometry",
                positions=np.flatnonzero(is_poly),
                hint="convert the polygons to points (e.g. QGIS 'Point on surface') first",
                code="layer.not_points",
                kinds="Polygon",
            )
        invalid = np.flatnonzero(is_poly & ~g.is_valid.to_numpy())
        if invalid.size:
            reason = shapely.is_valid_reason(g.values[invalid[0]])
            fail(
                f"invalid polygon: {reason}",
                rows,
                field="geometry",
                positions=invalid,
                hint="repair it (QGIS 'Fix geometries' or shapely.make_valid) and retry",
                code="layer.invalid_polygon",
                reason=str(reason),
            )
    new = g.values.copy()
    if is_poly.any():
        new[is_poly] = shapely.point_on_surface(g.values[is_poly])
    if single_mp.any():
        new[single_mp] = shapely.get_geometry(g.values[single_mp], 0)
    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs)
    if out.geometry.name != "geometry":
        out = out.rename_geometry("geometry")
    return out


def _ids(
    gdf: gpd.GeoDataFrame, rows: Rows, *, id_column: str | None, prefix: str
) -> tuple[pd.Series, str | None]:
    col = find_column(gdf.columns, id_column, _ID_NAMES)
    if col is None and id_column is not None:
        _missing_columns(gdf, rows, [id_column])
    if col is None:
        ids = pd.Series([f"{prefix}{i + 1:04d}" for i in range(len(gdf))], index=gdf.index)
        warnings.warn(
            InputWarning(
                f"{rows.path}: no 'id' column; generated ids {ids.iloc[0]}..{ids.iloc[-1]}",
                code="layer.generated_ids",
                file=rows.path.name,
                first=str(ids.iloc[0]),
                last=str(ids.iloc[-1]),
            ),
            stacklevel=3,
        )
        return ids, None
    raw = gdf[col]
    missing = np.flatnonzero(raw.isna().to_numpy())
    if missing.size:
        fail(
            "missing id",
            rows,
            field=col,
            positions=missing,
            hint="give every row a unique id",
            code="layer.missing_id",
            column=col,
        )
    ids = raw.map(_id_text)
    empty = np.flatnonzero((ids == "").to_numpy())
    if empty.size:
        fail(
            "empty id",
            rows,
            field=col,
            positions=empty,
            hint="give every row a unique id",
            code="layer.missing_id",
            column=col,
        )
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        dups = sorted(set(ids[dup]))
        fail(
            f"duplicate ids: {', '.join(dups[:MAX_LISTED])}",
            rows,
            field=col,
            positions=np.flatnonzero(dup),
            hint="make the ids unique (or drop the id column to have them generated)",
            code="layer.duplicate_ids",
            column=col,
            ids=", ".join(dups[:MAX_LISTED]),
        )
    return ids, col


def _id_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _missing_columns(
    gdf,
    rows: Rows,
    missing: Sequence[str],
    aliases: Sequence[str] = (),
    households: Sequence[str] = (),
):
    """Refuse the layer for its ``missing`` columns.

    ``aliases`` are other accepted names; ``households`` the names of a households column that
    may stand in for the residents.
    """
    present = [c for c in gdf.columns if c != gdf.geometry.name]
    if households:
        aliases = [*aliases, "or households: " + "/".join(households)]
    alias_text = f" (also accepted: {', '.join(aliases)})" if aliases else ""
    raise InputError(
        f"missing required column(s) {', '.join(missing)}{alias_text}; columns present: "
        f"{', '.join(map(str, present)) or '(none)'}",
        file=rows.path,
        field=", ".join(missing),
        hint="rename the column or pass its name as an argument",
        # the app names the households alternative in its own words (err.layer.missing_population)
        code="layer.missing_population" if households else "layer.missing_column",
        params={
            "column": ", ".join(missing),
            "aliases": ", ".join(a for a in aliases if a not in households) or "—",
            "households": ", ".join(households),
            "columns": ", ".join(map(str, present)) or "—",
        },
    )


def _text_column(gdf, col: str | None, default: pd.Series) -> pd.Series:
    if col is None:
        return default
    vals = gdf[col].map(
        lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
    )
    vals = vals.where(vals.notna() & (vals != ""), default)
    return vals.astype(str)


def _finish(
    gdf: gpd.GeoDataFrame,
    schema: dict[str, pd.Series],
    used: set[str | None],
    rows: Rows,
    bounds,
) -> gpd.GeoDataFrame:
    extras = [
        c for c in gdf.columns if c not in used and c != gdf.geometry.name and c not in schema
    ]
    data = dict(schema)
    for c in extras:
        data[c] = gdf[c]
    out = gpd.GeoDataFrame(data, geometry=gdf.geometry.values, crs=WGS84, index=gdf.index)
    out = out.reset_index(drop=True)
    out.attrs.update(gdf.attrs)
    check_bounds(out, bounds, rows)
    return out


def read_communities(
    path: str | os.PathLike,
    *,
    layer: str | int | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
    bounds: Sequence[float] | None = None,
    polygons: str = "point",
    source: str = "user",
    households_column: str | None = None,
    persons_per_household: float | None = None,
) -> gpd.GeoDataFrame:
    """Read and validate a communities (demand) layer; return it in WGS-84 (EPSG:4326).

    Schema of the result: ``id`` (str, unique), ``name`` (str), ``population`` (int >= 0),
    ``population_method`` (``given`` or ``households``), ``population_estimated`` (bool),
    ``county`` (str, when the input has such a column), ``source`` (str), Point geometry,
    followed by any other input columns unchanged.

    Residents come from the population column (``given``); where there is none, or a row
    leaves it empty, from a households column (``households``/户数/住户数) ×
    ``persons_per_household`` (default 2.21, :mod:`gisplan.io.households`), marked as an
    estimate (``population_estimated = True``).

    Column names are matched case-insensitively, with Chinese alternatives: ``id``/编号,
    ``name``/名称/小区名称, ``population``/人口/居住人口/常住人口, ``county``/区县,
    ``source``/来源.  A missing ``id`` column is generated as ``c0001, c0002, …`` with a
    warning; a missing name defaults to the id; a missing source to ``source``.

    Polygons (residential areas) are replaced by a representative point guaranteed to lie
    inside them (``shapely.point_on_surface``) when ``polygons="point"`` (default); with
    ``polygons="error"`` they are rejected.  Invalid polygons are rejected either way.
    Population must be a number >= 0; fractional values are rounded with a warning.

    Parameters
    ----------
    bounds : (minx, miny, maxx, maxy), optional
        Plausible area in EPSG:4326 degrees; features outside it are an error.
    crs, layer, encoding, lon, lat
        As in :func:`read_layer` / :func:`read_csv_points`.
    """
    gdf, rows = _read_any(path, layer=layer, crs=crs, encoding=encoding, lon=lon, lat=lat)
    check_geometries_present(gdf, rows)
    gdf = _to_points(gdf, rows, polygons=polygons, what="communities")
    pop_col = find_column(gdf.columns, population_column, _POP_NAMES)
    hh_col = find_column(gdf.columns, households_column, HOUSEHOLD_COLUMNS)
    if pop_col is None and hh_col is None:
        _missing_columns(
            gdf,
            rows,
            [population_column or "population"],
            _POP_NAMES[1:],
            HOUSEHOLD_COLUMNS,
        )
    ids, id_col = _ids(gdf, rows, id_column=id_column, prefix="c")
    name_col = find_column(gdf.columns, name_column, _NAME_NAMES)
    if name_col is None and name_column is not None:
        _missing_columns(gdf, rows, [name_column])
    county_col = find_column(gdf.columns, None, _COUNTY_NAMES)
    source_col = find_column(gdf.columns, None, _SOURCE_NAMES)
    pph = PERSONS_PER_HOUSEHOLD if persons_per_household is None else persons_per_household
    from_households = pd.Series(pop_col is None, index=gdf.index)
    if pop_col is not None and hh_col is not None:
        from_households = gdf[pop_col].isna() | (gdf[pop_col].astype(str).str.strip() == "")
    if pop_col is not None:
        population = pd.Series(0, index=gdf.index, dtype="int64")
        given = ~from_households.to_numpy()
        if given.any():
            population[given] = _population(gdf.loc[given, pop_col], rows, pop_col).to_numpy()
    if from_households.any():
        assert hh_col is not None  # for the type checker: no population column means households
        hh = _population(gdf.loc[from_households, hh_col], rows, hh_col, what="households")
        population = population if pop_col is not None else pd.Series(0, index=gdf.index)
        population[from_households] = households_to_population(hh, pph)
        population = population.astype("int64")
    schema: dict[str, pd.Series] = {
        "id": ids,
        "name": _text_column(gdf, name_col, ids),
        "population": population,
        "population_method": from_households.map({True: "households", False: "given"}).astype(
            object
        ),
        "population_estimated": from_households.astype(bool),
    }
    if county_col is not None:
        schema["county"] = gdf[county_col].astype("string").str.strip()
    schema["source"] = _text_column(gdf, source_col, pd.Series(source, index=gdf.index))
    used = {pop_col, id_col, name_col, county_col, source_col}
    out = _finish(gdf, schema, used, rows, bounds)
    out.attrs["persons_per_household"] = pph
    return out


def _population(raw: pd.Series, rows: Rows, field: str, what: str = "population") -> pd.Series:
    at = np.asarray(raw.index)  # row positions in the whole layer (default index)

    missing = at[np.flatnonzero(raw.isna().to_numpy())]
    if missing.size:
        fail(
            f"missing {what}",
            rows,
            field=field,
            positions=missing,
            hint="give a number >= 0",
            code="layer.missing_number",
            column=field,
        )
    text = raw.astype(str).str.strip().str.replace(",", "", regex=False)
    num = pd.to_numeric(text, errors="coerce")
    bad = np.flatnonzero((num.isna() | ~np.isfinite(num.astype(float))).to_numpy())
    if bad.size:
        examples = ", ".join(repr(v) for v in raw.iloc[bad[:3]])
        fail(
            f"{what} is not a number ({examples})",
            rows,
            field=field,
            positions=at[bad],
            hint="give a whole number of residents >= 0",
            code="layer.not_number",
            column=field,
            examples=examples,
        )
    num = num.astype(float)
    neg = np.flatnonzero((num < 0).to_numpy())
    if neg.size:
        fail(
            f"negative {what}",
            rows,
            field=field,
            positions=at[neg],
            hint=f"{what} must be >= 0",
            code="layer.negative",
            column=field,
        )
    rounded = num.round()
    frac = np.flatnonzero((rounded != num).to_numpy())
    if frac.size:
        warnings.warn(
            InputWarning(
                f"{rows.path}: field '{field}': fractional {what} rounded to whole numbers "
                f"({rows.describe(at[frac])})",
                code="layer.rounded",
                file=rows.path.name,
                column=field,
                n=int(frac.size),
            ),
            stacklevel=3,
        )
    return rounded.astype("int64")


def category_lookup() -> dict[str, str]:
    """Map accepted category spellings to catalogue ids.

    Accepted: the id (``convenience_store``), the Chinese name (``便利店``) and the English
    name (``Convenience store``), compared case-insensitively after trimming.
    """
    table: dict[str, str] = {}
    for c in load_catalogue():
        for key in (c.id, c.name_zh, c.name_en):
            table[key.strip().lower()] = c.id
    return table


def map_categories(values: pd.Series) -> pd.Series:
    """Catalogue id for each value (id, Chinese or English name), ``None`` where unknown."""
    table = category_lookup()
    return values.map(
        lambda v: (
            None
            if v is None or (isinstance(v, float) and np.isnan(v))
            else table.get(str(v).strip().lower())
        )
    )


def valid_categories_text() -> str:
    """The catalogue's category ids with their Chinese names, for error hints."""
    return ", ".join(f"{c.id} ({c.name_zh})" for c in load_catalogue())


def read_amenities(
    path: str | os.PathLike,
    *,
    layer: str | int | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    category_column: str | None = None,
    category: str | None = None,
    bounds: Sequence[float] | None = None,
    polygons: str = "error",
    source: str = "user",
) -> gpd.GeoDataFrame:
    """Read and validate an amenities (supply) layer; return it in WGS-84 (EPSG:4326).

    Schema of the result: ``id`` (str, unique), ``name`` (str), ``category`` (catalogue id),
    ``source`` (str), Point geometry, followed by any other input columns unchanged.

    Category values may be catalogue ids (``wet_market``), Chinese names (``农贸市场``) or
    English names; anything else is an error listing the valid ids.  Pass ``category=`` to
    give every feature the same category (then no category column is needed).  Column
    aliases: ``category``/类别/类型/业态, ``name``/名称, ``id``/编号, ``source``/来源.
    Missing ids are generated as ``a0001, …`` with a warning.  Geometry must be points;
    ``polygons="point"`` accepts polygons and uses a point on their surface.
    """
    gdf, rows = _read_any(path, layer=layer, crs=crs, encoding=encoding, lon=lon, lat=lat)
    check_geometries_present(gdf, rows)
    gdf = _to_points(gdf, rows, polygons=polygons, what="amenities")
    if category is not None:
        cid = category_lookup().get(str(category).strip().lower())
        if cid is None:
            raise InputError(
                f"unknown category {category!r}",
                file=rows.path,
                field="category",
                hint="use one of: " + valid_categories_text(),
                code="layer.unknown_category",
                params={"values": repr(category), "column": "category"},
            )
        cats = pd.Series(cid, index=gdf.index)
        cat_col = None
    else:
        cat_col = find_column(gdf.columns, category_column, _CATEGORY_NAMES)
        if cat_col is None:
            _missing_columns(gdf, rows, [category_column or "category"], _CATEGORY_NAMES[1:])
        cats = map_categories(gdf[cat_col])
        unknown = np.flatnonzero(cats.isna().to_numpy())
        if unknown.size:
            vals = gdf[cat_col].iloc[unknown]
            counts = vals.fillna("(empty)").astype(str).value_counts()
            listed = ", ".join(f"{v!r} ×{n}" for v, n in counts.head(MAX_LISTED).items())
            fail(
                f"unknown category {listed}",
                rows,
                field=cat_col,
                positions=unknown,
                hint="use a catalogue id or Chinese name: " + valid_categories_text(),
                code="layer.unknown_category",
                values=listed,
                column=cat_col,
            )
    ids, id_col = _ids(gdf, rows, id_column=id_column, prefix="a")
    name_col = find_column(gdf.columns, name_column, _NAME_NAMES)
    if name_col is None and name_column is not None:
        _missing_columns(gdf, rows, [name_column])
    source_col = find_column(gdf.columns, None, _SOURCE_NAMES)
    schema = {
        "id": ids,
        "name": _text_column(gdf, name_col, ids),
        "category": cats.astype(str),
        "source": _text_column(gdf, source_col, pd.Series(source, index=gdf.index)),
    }
    used = {cat_col, id_col, name_col, source_col}
    return _finish(gdf, schema, used, rows, bounds)
