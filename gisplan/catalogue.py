"""The amenity catalogue and the convenience-circle standard.

The catalogue (``gisplan/catalogue.toml``) lists every amenity category of the 15-minute
convenience circle with its Chinese and English name, its OpenStreetMap tag filters, its
walking-time threshold (minutes) and whether it belongs to the plan's required standard
("5分钟便利店 + 10分钟农贸市场 + 15分钟超市").

A :class:`CircleStandard` is the catalogue plus the user's overrides: walking speed (km/h),
per-category thresholds (minutes) and the required set.  Everything downstream takes a
``CircleStandard``; nothing reads the TOML file directly.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

import numpy as np

from gisplan.errors import InputError
from gisplan.params import MAX_SNAP_M, THRESHOLD_MIN, WALKING_SPEED_KMH

__all__ = [
    "Category",
    "CircleStandard",
    "load_catalogue",
    "default_standard",
    "MET_SLACK_MIN",
    "DEFAULT_MAX_SNAP_M",
]

#: Default largest off-network leg (metres) when the catalogue's ``[settings]`` do not say.
DEFAULT_MAX_SNAP_M = 300.0

#: Minutes of slack in the "met" rule (:meth:`CircleStandard.met`): absorbs the floating-point
#: noise of metres / (metres per minute), so a walk of exactly the threshold counts as met.
MET_SLACK_MIN = 1e-9


@dataclass(frozen=True)
class Category:
    """One amenity category.

    Attributes
    ----------
    id : str
        Stable identifier such as ``"convenience_store"``.
    name_zh, name_en : str
        Chinese and English display names.
    minutes : float
        Default walking-time threshold in minutes.
    required : bool
        Whether the category is part of the plan's required circle standard.
    osm : tuple of dict
        OpenStreetMap tag filters; a feature matches when any one dict matches fully
        (``"*"`` matches any value).
    """

    id: str
    name_zh: str
    name_en: str
    minutes: float
    required: bool
    osm: tuple[Mapping[str, str], ...] = ()

    @property
    def label(self) -> str:
        """Bilingual label, e.g. ``"便利店 Convenience store"``."""
        return f"{self.name_zh} {self.name_en}"

    def matches_tags(self, tags: Mapping[str, object]) -> bool:
        """True when an OSM feature's ``tags`` match one of this category's filters."""
        for flt in self.osm:
            ok = True
            for key, want in flt.items():
                have = tags.get(key)
                if have is None or (isinstance(have, float) and have != have):
                    ok = False
                    break
                if want != "*" and str(have) != want:
                    ok = False
                    break
            if ok:
                return True
        return False


@lru_cache(maxsize=1)
def _raw_catalogue() -> dict:
    text = resources.files("gisplan").joinpath("catalogue.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_catalogue() -> tuple[Category, ...]:
    """Return the categories of the packaged catalogue, in catalogue order."""
    raw = _raw_catalogue()
    return tuple(
        Category(
            id=c["id"],
            name_zh=c["name_zh"],
            name_en=c["name_en"],
            minutes=float(c["minutes"]),
            required=bool(c["required"]),
            osm=tuple(dict(f) for f in c.get("osm", [])),
        )
        for c in raw["category"]
    )


@dataclass(frozen=True)
class CircleStandard:
    """Walking speed, thresholds and required set used for a coverage analysis.

    Attributes
    ----------
    categories : tuple of Category
        Categories analysed (catalogue order), thresholds already overridden.
    walking_speed_kmh : float
        Walking speed in km/h, used for on-network and off-network legs alike.
    max_snap_distance_m : float
        Points farther than this (metres) from the nearest walkable edge are reported
        as unsnapped and excluded from the search.
    circle_complete_share : float
        A service circle (街道/社区) counts as complete when at least this share (0–1) of its
        residents meets the whole required standard (:mod:`gisplan.access.circles`).
    """

    categories: tuple[Category, ...]
    walking_speed_kmh: float = 4.0
    max_snap_distance_m: float = DEFAULT_MAX_SNAP_M
    circle_complete_share: float = 0.8
    _by_id: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The bounds of gisplan.params, checked here once for the CLI, the API and the app.
        object.__setattr__(self, "_by_id", {c.id: c for c in self.categories})
        object.__setattr__(
            self, "walking_speed_kmh", WALKING_SPEED_KMH.check(self.walking_speed_kmh)
        )
        object.__setattr__(self, "max_snap_distance_m", MAX_SNAP_M.check(self.max_snap_distance_m))
        for c in self.categories:
            THRESHOLD_MIN.check(c.minutes, field=f"threshold.{c.id}")
        if self.categories and not any(c.required for c in self.categories):
            raise InputError(
                "the required standard is empty: every community would count as complete",
                field="required",
                hint="name at least one category, e.g. convenience_store,wet_market,supermarket",
            )
        if not 0.0 < self.circle_complete_share <= 1.0:
            raise InputError(
                f"circle completeness level must be in (0, 1], got {self.circle_complete_share}",
                field="circle_complete_share",
                hint="use a share such as 0.8 (80 % of a circle's residents)",
            )

    # -- accessors -------------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        """Category ids, catalogue order."""
        return [c.id for c in self.categories]

    @property
    def required_ids(self) -> list[str]:
        """Ids of the categories of the required standard."""
        return [c.id for c in self.categories if c.required]

    @property
    def metres_per_minute(self) -> float:
        """Walking speed in metres per minute."""
        return self.walking_speed_kmh * 1000.0 / 60.0

    def __getitem__(self, category_id: str) -> Category:
        try:
            return self._by_id[category_id]
        except KeyError:
            raise InputError(
                f"unknown category {category_id!r}",
                field="category",
                hint="choose one of: " + ", ".join(self.ids),
            ) from None

    def threshold_minutes(self, category_id: str) -> float:
        """Walking-time threshold of a category (minutes)."""
        return self[category_id].minutes

    def threshold_metres(self, category_id: str) -> float:
        """Walking distance (metres) that takes the category's threshold time."""
        return self[category_id].minutes * self.metres_per_minute

    # -- the "met" rule ----------------------------------------------------------------------
    def met(self, category_id: str, minutes) -> np.ndarray:
        """Whether walking ``minutes`` are within the category's threshold: the one "met" rule.

        ``minutes <= threshold + MET_SLACK_MIN``; ``nan`` (unsnapped) and ``inf``
        (unreachable) are not met.  Coverage, siting and what-if all decide with this rule.
        """
        m = np.asarray(minutes, dtype=float)
        return np.nan_to_num(m, nan=np.inf) <= self.threshold_minutes(category_id) + MET_SLACK_MIN

    def met_limit_m(self, category_id: str) -> float:
        """The largest walking distance (metres) that :meth:`met` counts as met."""
        return (self.threshold_minutes(category_id) + MET_SLACK_MIN) * self.metres_per_minute

    # -- overrides -------------------------------------------------------------------------
    def with_overrides(
        self,
        *,
        walking_speed_kmh: float | None = None,
        thresholds: Mapping[str, float] | None = None,
        required: Iterable[str] | None = None,
        max_snap_distance_m: float | None = None,
        circle_complete_share: float | None = None,
    ) -> CircleStandard:
        """Return a copy with a new speed (km/h), thresholds (minutes) or required set.

        Every value is checked against :mod:`gisplan.params` (finite, within bounds) and the
        required set must name at least one category; the error names the parameter.
        """
        thresholds = dict(thresholds or {})
        for cid, minutes in thresholds.items():
            self[cid]  # validates the id
            thresholds[cid] = THRESHOLD_MIN.check(minutes, field=f"threshold.{cid}")
        if isinstance(required, str):
            required = [required]
        req = None if required is None else set(required)
        if req is not None:
            for cid in req:
                self[cid]
        cats = tuple(
            replace(
                c,
                minutes=float(thresholds.get(c.id, c.minutes)),
                required=(c.required if req is None else c.id in req),
            )
            for c in self.categories
        )
        return CircleStandard(
            categories=cats,
            walking_speed_kmh=(
                self.walking_speed_kmh if walking_speed_kmh is None else walking_speed_kmh
            ),
            max_snap_distance_m=(
                self.max_snap_distance_m if max_snap_distance_m is None else max_snap_distance_m
            ),
            circle_complete_share=(
                self.circle_complete_share
                if circle_complete_share is None
                else float(circle_complete_share)
            ),
        )


def default_standard() -> CircleStandard:
    """The catalogue with its documented defaults (4.0 km/h, 300 m maximum snap)."""
    settings = _raw_catalogue().get("settings", {})
    return CircleStandard(
        categories=load_catalogue(),
        walking_speed_kmh=float(settings.get("walking_speed_kmh", 4.0)),
        max_snap_distance_m=float(settings.get("max_snap_distance_m", DEFAULT_MAX_SNAP_M)),
        circle_complete_share=float(settings.get("circle_complete_share", 0.8)),
    )
