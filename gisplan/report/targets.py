"""Progress against the Ningbo commerce plan's 2025 targets, each figure with its source layer.

Targets (宁波市商贸发展“十四五”规划):

- 专栏4: 10 or more national and provincial high-quality pedestrian streets, and 20 or more
  municipal ones;
- 专栏4: the six named business districts;
- 四(四)1: 50 or more completed 15-minute convenience circles (here: communities meeting the
  whole required standard, :data:`gisplan.access.coverage.CIRCLE_TARGET`);
- 四(四)2: recycling points covering 100% of residential communities (here: the share of
  communities within the recycling threshold's walk of a recycling point).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from gisplan.access.coverage import CIRCLE_TARGET, CoverageResult

__all__ = [
    "TargetProgress",
    "plan_progress",
    "STREETS_HIGH_TARGET",
    "STREETS_MUNICIPAL_TARGET",
    "DISTRICTS_TARGET",
]

STREETS_HIGH_TARGET = 10
STREETS_MUNICIPAL_TARGET = 20
DISTRICTS_TARGET = 6
RECYCLING_TARGET = 1.0


@dataclass(frozen=True)
class TargetProgress:
    """One target and the current figure.

    Attributes
    ----------
    key : str
        ``streets_high``, ``streets_municipal``, ``districts``, ``circles`` or ``recycling``.
    value, target : float
        Current figure and the plan's target (counts, or shares 0–1 for ``recycling``).
    share : bool
        True when ``value``/``target`` are shares (shown as percentages).
    layer : str
        Where the figure comes from (file or dataset name).
    synthetic : bool
        True when the figure is computed from synthetic data.
    """

    key: str
    value: float
    target: float
    share: bool
    layer: str
    synthetic: bool = False

    @property
    def met(self) -> bool:
        return self.value >= self.target - 1e-9

    def text(self) -> str:
        """``"4 / 10+"`` or ``"62.5% / 100%"``."""
        if self.share:
            return f"{self.value:.1%} / {self.target:.0%}"
        return f"{self.value:.0f} / {self.target:.0f}+"


def plan_progress(
    streets: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    coverage: CoverageResult | None = None,
    *,
    dataset_label: str = "",
    synthetic: bool = False,
) -> list[TargetProgress]:
    """The five 2025 targets with the current figures.

    Parameters
    ----------
    streets : GeoDataFrame
        Pedestrian streets with a ``level`` column (``national``/``provincial``/``municipal``/...).
    districts : GeoDataFrame
        Business districts (one row each).
    coverage : CoverageResult, optional
        Coverage of a community dataset; without it the circle and recycling figures are left out.
    dataset_label : str
        Name of the community/amenity dataset behind ``coverage``.
    synthetic : bool
        Whether that dataset is synthetic.
    """
    levels = streets["level"].astype(str)
    out = [
        TargetProgress(
            "streets_high",
            float(levels.isin(["national", "provincial"]).sum()),
            STREETS_HIGH_TARGET,
            False,
            "data/geo/pedestrian_streets.geojson",
        ),
        TargetProgress(
            "streets_municipal",
            float((levels == "municipal").sum()),
            STREETS_MUNICIPAL_TARGET,
            False,
            "data/geo/pedestrian_streets.geojson",
        ),
        TargetProgress(
            "districts",
            float(len(districts)),
            DISTRICTS_TARGET,
            False,
            "data/geo/business_districts.geojson",
        ),
    ]
    if coverage is not None:
        out.append(
            TargetProgress(
                "circles",
                float(coverage.communities_complete),
                CIRCLE_TARGET,
                False,
                dataset_label,
                synthetic,
            )
        )
        if "met_recycling" in coverage.table.columns and len(coverage.table):
            share = float(coverage.table["met_recycling"].mean())
            out.append(
                TargetProgress("recycling", share, RECYCLING_TARGET, True, dataset_label, synthetic)
            )
    return out
