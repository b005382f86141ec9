"""Merging amenities from several sources (OpenStreetMap, Amap, Baidu, user lists).

The same shop often appears in OSM and in an Amap or Baidu export, a few metres apart and
with a slightly different name.  Counting it twice would make coverage look better than it
is, so two records are **the same amenity** when

1. they come from **different sources** (records of one source are never merged with each
   other: two same-named branches 20 m apart can both be real);
2. they have the **same catalogue category**;
3. they lie within :data:`MERGE_DISTANCE_M` (30 m, measured in a metric CRS) — the usual
   offset between an OSM node and a POI export of the same shop (entrance vs. building
   centre) is 5–25 m; 30 m stays well below the 300–1,000 m of the thresholds, so a merge
   never moves a shop across a threshold in practice; and
4. their **names are similar** (:func:`names_similar`): after :func:`normalise_name` (Unicode
   NFKC, lower case, text in brackets such as a branch ``（江东店）`` removed, spaces and
   punctuation removed), the names are equal, or one contains the other (at least 2
   characters), or ``difflib.SequenceMatcher`` ratio >= :data:`NAME_RATIO` (0.6).  A record
   without a name matches any name only within :data:`UNNAMED_DISTANCE_M` (10 m).

Sources are ranked in the order given (OSM first in ``gisplan prepare``, then POI files in
command-line order).  Each kept record absorbs at most one record of every other source —
the nearest matching one; the absorbed ids are listed in the kept row's ``merged_ids``.
The report counts merges per source pair (``"osm+amap": 412``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.crs import WGS84

__all__ = [
    "MERGE_DISTANCE_M",
    "UNNAMED_DISTANCE_M",
    "NAME_RATIO",
    "MergeReport",
    "merge_amenities",
    "names_similar",
    "normalise_name",
]

MERGE_DISTANCE_M = 30.0
UNNAMED_DISTANCE_M = 10.0
NAME_RATIO = 0.6

_BRACKETS = re.compile(r"[(（\[【<《][^)）\]】>》]*[)）\]】>》]")
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def normalise_name(name: object) -> str:
    """Name for comparison: NFKC, lower case, bracketed text and punctuation/spaces removed."""
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    text = unicodedata.normalize("NFKC", str(name)).lower()
    text = _BRACKETS.sub("", text)
    return _NOISE.sub("", text)


def names_similar(a: str, b: str) -> bool:
    """The rule of step 4 on two :func:`normalise_name` results (both non-empty)."""
    if a == b:
        return True
    if min(len(a), len(b)) >= 2 and (a in b or b in a):
        return True
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= NAME_RATIO


@dataclass
class MergeReport:
    """What :func:`merge_amenities` did: rows in and out, merges per source pair."""

    rows_in: dict[str, int] = field(default_factory=dict)
    rows_out: int = 0
    merged: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready report (rows in and out, merges per source pair, the rule)."""
        return {
            "rows_in": dict(self.rows_in),
            "rows_out": self.rows_out,
            "merged_per_source_pair": dict(self.merged),
            "rule": {
                "distance_m": MERGE_DISTANCE_M,
                "unnamed_distance_m": UNNAMED_DISTANCE_M,
                "name_ratio": NAME_RATIO,
            },
        }


def merge_amenities(
    layers: list[gpd.GeoDataFrame], *, metric_crs: str, distance_m: float = MERGE_DISTANCE_M
) -> tuple[gpd.GeoDataFrame, MergeReport]:
    """Merge amenity layers (ranked in list order) into one; see the module docstring.

    Each layer has ``id``, ``name``, ``category``, ``source`` and Point geometry (any CRS).
    Returns the merged layer in EPSG:4326 (ids made unique by prefixing the source where two
    sources share an id) with a ``merged_ids`` column, and the :class:`MergeReport`.
    """
    report = MergeReport()
    parts = []
    for rank, layer in enumerate(layers):
        if layer is None or len(layer) == 0:
            continue
        part = layer.to_crs(WGS84).reset_index(drop=True).copy()
        part["_rank"] = rank
        parts.append(part)
        for src, n in part["source"].astype(str).value_counts().items():
            report.rows_in[src] = report.rows_in.get(src, 0) + int(n)
    if not parts:
        return gpd.GeoDataFrame(
            {"id": [], "name": [], "category": [], "source": [], "merged_ids": []},
            geometry=[],
            crs=WGS84,
        ), report
    allrows = pd.concat(parts, ignore_index=True)
    allrows = gpd.GeoDataFrame(allrows, geometry="geometry", crs=WGS84)
    ids = allrows["id"].astype(str)
    clash = ids.duplicated(keep=False) & (allrows["_rank"] > 0)
    allrows["id"] = np.where(clash, allrows["source"].astype(str) + ":" + ids, ids)

    xy = allrows.to_crs(metric_crs).geometry
    pts = xy.values
    absorbed = np.zeros(len(allrows), dtype=bool)
    merged_ids: list[list[str]] = [[] for _ in range(len(allrows))]
    names = allrows["name"].map(normalise_name).to_numpy(dtype=object)
    ranks = allrows["_rank"].to_numpy()
    sources = allrows["source"].astype(str).to_numpy(dtype=object)
    cats = allrows["category"].astype(str).to_numpy(dtype=object)
    pair_counts: Counter[str] = Counter()

    for cat in pd.unique(cats):
        rows = np.flatnonzero(cats == cat)
        if len(np.unique(ranks[rows])) < 2:
            continue
        tree = shapely.STRtree(pts[rows])
        a, b = tree.query(pts[rows], predicate="dwithin", distance=distance_m)
        keep = ranks[rows[a]] < ranks[rows[b]]  # a ranks before b: a may absorb b
        a, b = rows[a[keep]], rows[b[keep]]
        if len(a) == 0:
            continue
        dist = shapely.distance(pts[a], pts[b])
        order = np.lexsort((dist, ranks[a]))
        taken: dict[tuple[int, int], bool] = {}
        for k in order:
            i, j = int(a[k]), int(b[k])
            if absorbed[i] or absorbed[j] or (i, ranks[j]) in taken:
                continue
            ni, nj = names[i], names[j]
            if ni and nj:
                ok = names_similar(ni, nj)
            else:
                ok = dist[k] <= UNNAMED_DISTANCE_M
            if not ok:
                continue
            absorbed[j] = True
            taken[(i, int(ranks[j]))] = True
            merged_ids[i].append(str(allrows["id"].iat[j]))
            pair_counts[f"{sources[i]}+{sources[j]}"] += 1

    out = allrows.loc[~absorbed].copy()
    out["merged_ids"] = [";".join(merged_ids[i]) for i in np.flatnonzero(~absorbed)]
    out = out.drop(columns="_rank").reset_index(drop=True)
    report.rows_out = len(out)
    report.merged = dict(sorted(pair_counts.items()))
    return out, report
