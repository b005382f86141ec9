"""Progress against the Ningbo commerce plan's 2025 targets, each figure with its source layer.

Targets (宁波市商贸发展“十四五”规划):

- 专栏4: 10 or more national and provincial high-quality pedestrian streets, and 20 or more
  municipal ones;
- 专栏4: the six named business districts;
- 四(四)1: 50 or more completed 15-minute convenience circles: **complete circles** of the
  dataset's circles layer (街道/社区 service units, :mod:`gisplan.access.circles`), never a
  count of 小区; without a circles layer the figure is *not available*
  (:data:`gisplan.access.coverage.CIRCLE_TARGET`);
- 四(四)2: recycling points covering 100% of residential communities (here: the share of
  communities within the recycling threshold's walk of a recycling point).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from gisplan.access.coverage import CIRCLE_TARGET, CoverageResult

#: Source keys of the embedded plan layers behind the street and district cards; the app shows
#: each as its source's title (i18n ``source.<key>``), never as a repository path.
STREETS_LAYER = "embedded:pedestrian_streets"
DISTRICTS_LAYER = "embedded:business_districts"

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
    value : float or None
        Current figure (a count, or a share 0–1 for ``recycling``); ``None`` when it is not
        available (no circles layer).
    target : float
        The plan's target (count or share).
    share : bool
        True when ``value``/``target`` are shares (shown as percentages).
    layer : str
        Where the figure comes from (file or dataset name).
    synthetic : bool
        True when the figure is computed from synthetic data: never Ningbo's progress.
    of_total : int or None
        For ``circles``: the number of circles in the layer (``value`` of them complete).
    """

    key: str
    value: float | None
    target: float
    share: bool
    layer: str
    synthetic: bool = False
    of_total: int | None = None

    @property
    def available(self) -> bool:
        """Whether the figure could be computed (a layer it needs may be missing)."""
        return self.value is not None

    @property
    def met(self) -> bool:
        """Whether the figure reaches the target."""
        return self.value is not None and self.value >= self.target - 1e-9

    def value_text(self) -> str:
        """``"4"``, ``"62.5%"``, ``"3 / 40"`` (complete of all circles) or ``"—"``."""
        if self.value is None:
            return "—"
        if self.share:
            return f"{self.value:.1%}"
        if self.of_total is not None:
            return f"{self.value:.0f} / {self.of_total}"
        return f"{self.value:.0f}"

    def text(self) -> str:
        """``"4 / 10+"``, ``"62.5% / 100%"``, or ``"— / 50+"`` when not available."""
        if self.share:
            return f"{self.value_text()} / {self.target:.0%}"
        shown = "—" if self.value is None else f"{self.value:.0f}"
        return f"{shown} / {self.target:.0f}+"


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
            STREETS_LAYER,
        ),
        TargetProgress(
            "streets_municipal",
            float((levels == "municipal").sum()),
            STREETS_MUNICIPAL_TARGET,
            False,
            STREETS_LAYER,
        ),
        TargetProgress(
            "districts",
            float(len(districts)),
            DISTRICTS_TARGET,
            False,
            DISTRICTS_LAYER,
        ),
    ]
    if coverage is not None:
        circles = coverage.circle_coverage()
        out.append(
            TargetProgress(
                "circles",
                None if circles is None else float(circles.complete_count),
                CIRCLE_TARGET,
                False,
                dataset_label,
                synthetic,
                None if circles is None else circles.total,
            )
        )
        if "met_recycling" in coverage.table.columns and len(coverage.table):
            share = float(coverage.table["met_recycling"].mean())
            out.append(
                TargetProgress("recycling", share, RECYCLING_TARGET, True, dataset_label, synthetic)
            )
    return out
