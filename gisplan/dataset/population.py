"""Residents of communities: given, from households, or estimated from OpenStreetMap.

Every community row says how its population was obtained (``population_method``, one of
:data:`gisplan.dataset.schema.POPULATION_METHODS`) and whether it is an estimate
(``population_estimated``):

- ``given`` — the residents column of a communities file (not an estimate);
- ``households`` — households (户数) × :data:`PERSONS_PER_HOUSEHOLD` (2.21, Ningbo's average
  family-household size in the 2020 census; overridable) — an estimate;
- ``osm_buildings_floor_area`` — OSM residential buildings: footprint × levels / 35 m² per
  resident (:func:`gisplan.io.osm.estimate_population`) — an estimate;
- ``osm_landuse_area_density`` — an OSM ``landuse=residential`` polygon **with no residential
  building mapped inside** (common in Chinese cities: 小区 are mapped as named polygons,
  buildings often not at all) becomes a demand unit with area × :data:`RESIDENTIAL_DENSITY_PER_KM2`;
  polygons larger than :data:`DEMAND_CELL_M` squared are cut into cells of that size so
  that demand stays where people live — an estimate.

:func:`calibrate` optionally scales the estimates so that each county's total matches a
census table (``data/geo/census_2020_counties.csv``); given figures are never changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.crs import WGS84
from gisplan.dataset.schema import CALIBRATED_SUFFIX
from gisplan.errors import InputError
from gisplan.io.households import PERSONS_PER_HOUSEHOLD, households_to_population

__all__ = [
    "PERSONS_PER_HOUSEHOLD",
    "RESIDENT_AREA_M2",
    "RESIDENTIAL_DENSITY_PER_KM2",
    "DEMAND_CELL_M",
    "CENSUS_TABLE",
    "households_to_population",
    "landuse_demand",
    "load_census",
    "calibrate",
    "Calibration",
]

#: Residential land per resident (m²) for polygons without mapped buildings: 30 m², inside
#: the 23–36 m²/person range that GB 50137-2011 (城市用地分类与规划建设用地标准) §4.3.1 sets
#: for 人均居住用地面积 in climate zones III–V (Ningbo lies in zone III).
RESIDENT_AREA_M2 = 30.0
#: The same as a density: residents per km² of residential land (≈ 33,333).
RESIDENTIAL_DENSITY_PER_KM2 = 1e6 / RESIDENT_AREA_M2
#: Residential polygons larger than this square (metres) are cut into cells of this size.
DEMAND_CELL_M = 250.0

#: The census table shipped in ``data/geo`` (county, residents; see SOURCES.md).
CENSUS_TABLE = "census_2020_counties.csv"


def landuse_demand(
    areas: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    metric_crs: str,
    resident_area_m2: float = RESIDENT_AREA_M2,
    cell_m: float = DEMAND_CELL_M,
) -> gpd.GeoDataFrame:
    """Demand units for ``landuse=residential`` polygons that hold no residential building.

    Parameters
    ----------
    areas : GeoDataFrame
        Residential polygons (``id``, ``name``; any CRS).
    buildings : GeoDataFrame
        Residential building demand points already counted (any CRS); a polygon containing
        one of them is left to its buildings.
    metric_crs : str
        CRS in which areas are measured (metres).
    resident_area_m2 : float
        Residential land per resident (m²).
    cell_m : float
        Polygons larger than ``cell_m``² are cut by a grid of that spacing (metres).

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        ``id`` (polygon id, ``#k`` per cell), ``name``, ``population`` (>= 1),
        ``population_method`` = ``osm_landuse_area_density``, ``population_estimated``,
        ``area_m2``, ``source`` = ``osm``; Point geometry (a point on the cell's surface).
    """
    cols = ["id", "name", "population", "population_method", "population_estimated", "area_m2"]
    empty = gpd.GeoDataFrame({c: [] for c in [*cols, "source"]}, geometry=[], crs=WGS84)
    if areas is None or len(areas) == 0:
        return empty
    poly = areas.to_crs(metric_crs).reset_index(drop=True)
    poly = poly[np.isin(shapely.get_type_id(poly.geometry.values), (3, 6))].reset_index(drop=True)
    geoms = shapely.make_valid(poly.geometry.values)
    if len(buildings):
        pts = buildings.to_crs(metric_crs).geometry.values
        hit = shapely.STRtree(geoms).query(pts, predicate="intersects")[1]
        bare = np.ones(len(geoms), dtype=bool)
        bare[np.unique(hit)] = False
    else:
        bare = np.ones(len(geoms), dtype=bool)
    poly, geoms = poly[bare].reset_index(drop=True), geoms[bare]
    if len(poly) == 0:
        return empty

    ids, names, pieces = [], [], []
    small = shapely.area(geoms) <= cell_m * cell_m
    pid = poly["id"].astype(str).to_numpy()
    pname = poly["name"].fillna("").astype(str).to_numpy() if "name" in poly else pid
    for i in np.flatnonzero(small):
        ids.append(pid[i])
        names.append(pname[i])
        pieces.append(geoms[i])
    for i in np.flatnonzero(~small):
        minx, miny, maxx, maxy = shapely.bounds(geoms[i])
        xs = np.arange(np.floor(minx / cell_m) * cell_m, maxx, cell_m)
        ys = np.arange(np.floor(miny / cell_m) * cell_m, maxy, cell_m)
        gx, gy = np.meshgrid(xs, ys)
        cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell_m, gy.ravel() + cell_m)
        parts = shapely.intersection(cells, geoms[i])
        parts = parts[~shapely.is_empty(parts) & (shapely.area(parts) > 1.0)]
        for k, part in enumerate(parts, start=1):
            ids.append(f"{pid[i]}#{k}")
            names.append(pname[i])
            pieces.append(part)
    piece_arr = np.asarray(pieces, dtype=object)
    area = shapely.area(piece_arr)
    out = gpd.GeoDataFrame(
        {
            "id": ids,
            "name": names,
            "population": np.maximum(1, np.rint(area / resident_area_m2)).astype("int64"),
            "population_method": "osm_landuse_area_density",
            "population_estimated": True,
            "area_m2": np.round(area, 1),
            "source": "osm",
        },
        geometry=shapely.point_on_surface(piece_arr),
        crs=metric_crs,
    )
    return out.to_crs(WGS84)


def load_census(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The county census table: ``county`` (Chinese name as in counties.geojson), ``population``.

    Default: ``data/geo/census_2020_counties.csv`` (Ningbo, 7th national census, 2020).
    """
    if path is None:
        from gisplan.io.embedded import data_dir

        path = data_dir() / CENSUS_TABLE
    path = Path(path)
    if not path.exists():
        raise InputError("census table not found", file=path, hint="check the path")
    table = pd.read_csv(path, comment="#", dtype={"county": str})
    for col in ("county", "population"):
        if col not in table.columns:
            raise InputError(
                f"the census table lacks column {col!r}",
                file=path,
                field=col,
                hint="columns: county (name as in counties.geojson), population",
            )
    pop = pd.to_numeric(table["population"], errors="coerce")
    bad = np.flatnonzero((pop.isna() | (pop <= 0)).to_numpy())
    if bad.size:
        raise InputError(
            "population must be a positive number",
            file=path,
            field="population",
            row=int(bad[0]) + 1,
            hint="fix the row",
        )
    return pd.DataFrame({"county": table["county"].str.strip(), "population": pop.astype(float)})


@dataclass
class Calibration:
    """Scale factors per county (estimated rows × factor) and counties left as they were."""

    factors: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    census_file: str = ""

    def as_dict(self) -> dict:
        """JSON-ready report (census file, factor per county, skipped counties)."""
        return {
            "census_file": self.census_file,
            "factors": {k: round(v, 4) for k, v in self.factors.items()},
            "skipped": dict(self.skipped),
        }


def calibrate(
    communities: gpd.GeoDataFrame,
    census: pd.DataFrame,
    *,
    coverage_of_county: dict[str, float],
    min_coverage: float = 0.95,
    census_file: str = "",
) -> tuple[gpd.GeoDataFrame, Calibration]:
    """Scale estimated populations so that each county's total matches the census.

    For a county with census total ``C``, given (not estimated) residents ``G`` and
    estimated residents ``E``: every estimated row is multiplied by ``(C - G) / E`` and
    rounded; its ``population_method`` gains the suffix ``+calibrated``.  A county is left
    unchanged (and listed in ``skipped`` with the reason) when the dataset covers less than
    ``min_coverage`` of its area (``coverage_of_county``: county -> share 0–1) — scaling a
    partial county to the whole county's total would be wrong — when it has no estimated
    rows, or when the given figures alone reach the census total.

    ``communities`` needs ``county``, ``population``, ``population_estimated`` and
    ``population_method``.
    """
    out = communities.copy()
    cal = Calibration(census_file=census_file)
    totals = dict(zip(census["county"], census["population"], strict=True))
    county = out["county"].astype(object).to_numpy()
    est = out["population_estimated"].astype(bool).to_numpy()
    pop = out["population"].to_numpy(dtype=float)
    method = out["population_method"].astype(str).to_numpy(dtype=object)
    for name, total in totals.items():
        rows = county == name
        if not rows.any():
            continue
        share = coverage_of_county.get(name, 0.0)
        if share < min_coverage:
            cal.skipped[name] = f"the dataset covers {share:.0%} of the county"
            continue
        e = rows & est
        estimated, given = pop[e].sum(), pop[rows & ~est].sum()
        if estimated <= 0:
            cal.skipped[name] = "no estimated populations"
            continue
        if given >= total:
            cal.skipped[name] = "given figures alone reach the census total"
            continue
        factor = (total - given) / estimated
        pop[e] = np.rint(pop[e] * factor)
        method[e] = [
            m if m.endswith(CALIBRATED_SUFFIX) else m + CALIBRATED_SUFFIX for m in method[e]
        ]
        cal.factors[name] = float(factor)
    out["population"] = pop.astype("int64")
    out["population_method"] = method
    return out, cal
