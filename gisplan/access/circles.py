"""Service circles (十五分钟生活圈): neighbourhood units with their residents, complete or not.

The plan's target "50+ fifteen-minute convenience circles" counts **circles** — service
units such as a 社区 or 街道 with its residents — not single 小区.  Given a layer of circle
polygons, every community (小区, a demand point) belongs to the circle whose polygon contains
it.  Per circle:

- ``residents``: the population of its communities;
- ``share_complete``: the share of those residents whose community meets the whole required
  standard (unsnapped communities count as not served, as everywhere in gisplan);
- ``share_<category>``: the share within the category's threshold, per required category;
- ``missing``: the required categories whose share is below the completeness level;
- ``complete``: ``share_complete >= level``, where the level is
  :attr:`gisplan.catalogue.CircleStandard.circle_complete_share` (default 0.8, documented in
  ``catalogue.toml``).  A circle without residents is never complete (and lists nothing
  as missing).

Without a circles layer the number of complete circles is *not available* (``None``): it is
never replaced by a count of 小区.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.crs import WGS84

__all__ = ["CircleCoverage", "assign_circles", "circle_coverage"]


def assign_circles(communities: gpd.GeoDataFrame, circles: gpd.GeoDataFrame) -> pd.Series:
    """Circle id of each community (index: community id), ``None`` outside every circle.

    A community on a shared boundary, or inside overlapping circles, goes to the circle
    that comes first in the layer.  Both layers in any CRS (compared in EPSG:4326).
    """
    pts = communities.to_crs(WGS84).geometry.values
    polys = circles.to_crs(WGS84).geometry.values
    out = np.full(len(pts), None, dtype=object)
    if len(pts) and len(polys):
        tree = shapely.STRtree(polys)
        hit_pt, hit_poly = tree.query(pts, predicate="intersects")
        order = np.lexsort((hit_poly, hit_pt))  # per point, the first circle in layer order
        hit_pt, hit_poly = hit_pt[order], hit_poly[order]
        first = np.unique(hit_pt, return_index=True)[1]
        ids = circles["id"].astype(str).to_numpy(dtype=object)
        out[hit_pt[first]] = ids[hit_poly[first]]
    index = pd.Index(communities["id"].to_numpy(), name="id")
    return pd.Series(out, index=index, name="circle", dtype=object)


@dataclass(eq=False)
class CircleCoverage:
    """Coverage of service circles under one standard.

    Attributes
    ----------
    table : DataFrame
        One row per circle, in layer order: ``id``, ``name``, ``level`` (when the layer has
        it), ``communities``, ``residents``, ``share_complete`` (0–1, NaN without
        residents), ``share_<category>`` per required category, ``missing`` (comma-separated
        category ids below the level), ``complete``.
    level : float
        Share of residents a complete circle needs.
    residents_outside : int
        Residents of communities that lie in no circle.
    """

    table: pd.DataFrame
    level: float
    residents_outside: int
    communities_outside: int

    @property
    def complete_count(self) -> int:
        """Number of complete circles."""
        return int(self.table["complete"].sum())

    @property
    def total(self) -> int:
        """Number of service circles."""
        return len(self.table)


def circle_coverage(
    table: pd.DataFrame,
    circle_of: pd.Series,
    circles: gpd.GeoDataFrame,
    required: list[str],
    level: float,
) -> CircleCoverage:
    """Per-circle residents, shares and completeness from a coverage table.

    Parameters
    ----------
    table : DataFrame
        :attr:`gisplan.access.coverage.CoverageResult.table` (``id``, ``population``,
        ``complete``, ``met_<category>``).
    circle_of : Series
        Community id -> circle id, as from :func:`assign_circles`.
    circles : GeoDataFrame
        The circles layer (``id``, optional ``name`` and ``level``).
    required : list of str
        Required category ids (the standard's).
    level : float
        Share (0–1) of residents meeting the whole standard that makes a circle complete.
    """
    circle = circle_of.reindex(table["id"].to_numpy()).to_numpy(dtype=object)
    pop = table["population"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "circle": circle,
            "communities": 1,
            "residents": pop,
            "complete_pop": pop * table["complete"].to_numpy(dtype=float),
            **{f"pop_{c}": pop * table[f"met_{c}"].to_numpy(dtype=float) for c in required},
        }
    )
    inside = pd.notna(frame["circle"]).to_numpy()
    sums = frame[inside].groupby("circle").sum()
    ids = circles["id"].astype(str)
    sums = sums.reindex(ids.to_numpy()).fillna(0.0)
    residents = sums["residents"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(residents > 0, sums["complete_pop"].to_numpy() / residents, np.nan)
        shares = {
            c: np.where(residents > 0, sums[f"pop_{c}"].to_numpy() / residents, np.nan)
            for c in required
        }
    tol = 1e-9
    missing = [
        ",".join(c for c in required if not (shares[c][i] >= level - tol))
        if residents[i] > 0
        else ""
        for i in range(len(ids))
    ]
    out = pd.DataFrame({"id": ids.to_numpy()})
    out["name"] = circles["name"].astype(str).to_numpy() if "name" in circles else out["id"]
    if "level" in circles:
        out["level"] = circles["level"].to_numpy()
    out["communities"] = sums["communities"].to_numpy().astype(int)
    out["residents"] = residents.astype("int64")
    out["share_complete"] = share
    for c in required:
        out[f"share_{c}"] = shares[c]
    out["missing"] = missing
    out["complete"] = (residents > 0) & (np.nan_to_num(share, nan=-1.0) >= level - tol)
    return CircleCoverage(
        table=out,
        level=float(level),
        residents_outside=int(pop[~inside].sum()),
        communities_outside=int((~inside).sum()),
    )
