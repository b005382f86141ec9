"""Scenario records and the validation of what they hold (names, JSON, GeoJSON sites).

:class:`ScenarioRecord` is one scenario; :class:`ScenarioSummary` a line of the list and
:class:`AuditEntry` one audit-log entry.  :func:`sites_to_geojson` checks sites (lon/lat,
EPSG:4326, ``kind`` in :data:`SITE_KINDS`) before anything is stored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplan.errors import InputError
from gisplan.safetext import clean_name
from gisplan.store.models import NAME_MAX_LEN

__all__ = [
    "SITE_KINDS",
    "ScenarioExists",
    "ScenarioNotFound",
    "ScenarioRecord",
    "ScenarioSummary",
    "AuditEntry",
    "sites_to_geojson",
    "geojson_to_frame",
]

#: Allowed values of the ``kind`` property of a site: optimiser picks, hand-placed sites and
#: existing amenities a scenario closes (closure / relocation scenarios).
SITE_KINDS = ("chosen", "manual", "closed")


class ScenarioExists(InputError):
    """A scenario of that name exists and ``overwrite`` was not requested."""


class ScenarioNotFound(InputError, LookupError):
    """No scenario of that name."""


@dataclass
class ScenarioRecord:
    """One planning scenario.

    Attributes
    ----------
    name : str
        Unique name (1-200 characters, surrounding spaces removed), e.g. ``"三江口 方案A"``.
    category : str or None
        Focus category id from the catalogue (``"wet_market"``), or None for all.
    params : dict
        Analysis parameters as JSON (walking speed km/h, thresholds minutes, budget, ...).
    sites : GeoDataFrame or dict
        Chosen and hand-placed sites: a GeoDataFrame with a CRS (converted to EPSG:4326) or a
        GeoJSON FeatureCollection in lon/lat.  Every feature needs property ``kind`` =
        ``"chosen"`` or ``"manual"``; other properties (``gain``, ``name``, ...) are kept.
        A loaded record holds a GeoDataFrame in EPSG:4326.
    results : dict
        Results as JSON (see the module documentation for the layout).
    author : str or None
        Username of whoever saved it; filled in by :meth:`ScenarioStore.save`.
    created_at, updated_at : datetime or None
        UTC times of the first save and of the last overwrite; filled in by the store.
    dataset_name, dataset_hash : str or None
        The dataset the scenario was made on (its name and content hash,
        :attr:`gisplan.analysis.Dataset.content_hash`); ``None`` when not recorded (scenarios
        saved before the store recorded it).  :meth:`made_on` compares with another dataset.
    """

    name: str
    category: str | None = None
    params: dict = field(default_factory=dict)
    sites: Any = None
    results: dict = field(default_factory=dict)
    author: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    dataset_name: str | None = None
    dataset_hash: str | None = None

    def made_on(self, content_hash: str) -> bool | None:
        """Whether the scenario was made on the dataset with ``content_hash``.

        ``None`` when the scenario does not record its dataset.
        """
        if not self.dataset_hash:
            return None
        return self.dataset_hash == content_hash

    def sites_geojson(self) -> dict:
        """The sites as a validated GeoJSON FeatureCollection (lon/lat, EPSG:4326)."""
        return sites_to_geojson(self.sites)

    def sites_frame(self) -> gpd.GeoDataFrame:
        """The sites as a GeoDataFrame in EPSG:4326 (columns: properties + geometry)."""
        if isinstance(self.sites, gpd.GeoDataFrame):
            return self.sites.to_crs("EPSG:4326")
        return geojson_to_frame(self.sites_geojson())

    def site_counts(self) -> dict[str, int]:
        """Number of sites per kind plus ``"total"``.

        ``"chosen"`` and ``"manual"`` are always counted; ``"closed"`` only when the scenario
        closes amenities (closure / relocation scenarios).
        """
        kinds = [f["properties"]["kind"] for f in self.sites_geojson()["features"]]
        counts = {k: kinds.count(k) for k in SITE_KINDS if k != "closed" or k in kinds}
        counts["total"] = len(kinds)
        return counts


@dataclass(frozen=True)
class ScenarioSummary:
    """One line of :meth:`ScenarioStore.list`."""

    name: str
    author: str
    category: str | None
    created_at: datetime
    updated_at: datetime
    n_chosen: int
    n_manual: int
    dataset_name: str | None = None
    dataset_hash: str | None = None
    #: True when the stored sites cannot be read (the row is damaged; loading it fails).
    damaged: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, e.g. for ``pandas.DataFrame([s.as_dict() for s in summaries])``."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class AuditEntry:
    """One audit log entry: ``username`` did ``action`` to ``scenario_name`` at ``at`` (UTC).

    ``action`` is ``"save"``, ``"overwrite"``, ``"export"`` or ``"delete"``; ``detail`` holds
    JSON, for ``"overwrite"`` and ``"delete"`` a bounded record of the previous version under
    ``"previous"`` (see the module documentation).
    """

    id: int
    at: datetime
    username: str
    action: str
    scenario_name: str
    detail: dict | None


# --- JSON and GeoJSON validation ------------------------------------------------------------


def _jsonable(obj: Any, field_name: str) -> Any:
    """A JSON-compatible copy of ``obj``.

    Numpy/pandas scalars become Python numbers, NaN becomes None (missing), tuples become
    lists; infinities and other objects are refused (InputError naming the field).
    """
    if isinstance(obj, Mapping):
        out = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise InputError(
                    f"key {key!r} is not text",
                    field=field_name,
                    hint="JSON object keys must be strings (e.g. category ids)",
                )
            out[key] = _jsonable(value, f"{field_name}.{key}")
        return out
    if isinstance(obj, list | tuple | np.ndarray | pd.Series):
        return [_jsonable(v, f"{field_name}[{i}]") for i, v in enumerate(list(obj))]
    return _json_scalar(obj, field_name)


def _json_scalar(obj: Any, field_name: str) -> Any:
    """One JSON value of :func:`_jsonable` (NaN -> None; infinities and objects refused)."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        value = float(obj)
        if math.isinf(value):
            raise InputError(
                "infinite number", field=field_name, hint="store a finite number or None"
            )
        return None if math.isnan(value) else value
    if isinstance(obj, datetime | date | pd.Timestamp):
        return obj.isoformat()
    raise InputError(
        f"cannot store a {type(obj).__name__} value",
        field=field_name,
        hint="use numbers, text, lists and dicts",
    )


def sites_to_geojson(sites: Any) -> dict:
    """Validate ``sites`` and return a GeoJSON FeatureCollection in lon/lat (EPSG:4326).

    Accepts None (no sites), a GeoDataFrame with a CRS, or a GeoJSON FeatureCollection
    dict.  Every feature needs a geometry within lon -180..180, lat -90..90 and property
    ``kind`` in :data:`SITE_KINDS`.

    Raises
    ------
    InputError
        Naming field ``sites`` and the feature row.
    """
    if sites is None:
        return {"type": "FeatureCollection", "features": []}
    if isinstance(sites, gpd.GeoDataFrame):
        if sites.crs is None:
            raise InputError(
                "the sites GeoDataFrame has no CRS",
                field="sites",
                hint="set it, e.g. sites.set_crs('EPSG:4326')",
            )
        fc = json.loads(sites.to_crs("EPSG:4326").to_json(drop_id=True, na="null"))
    elif isinstance(sites, Mapping):
        fc = sites
    else:
        raise InputError(
            f"sites must be a GeoDataFrame or a GeoJSON dict, not {type(sites).__name__}",
            field="sites",
        )
    if fc.get("type") != "FeatureCollection" or not isinstance(fc.get("features"), list):
        raise InputError(
            "sites is not a GeoJSON FeatureCollection", field="sites", hint="give type and features"
        )
    features = []
    for row, feat in enumerate(fc["features"]):
        geom = feat.get("geometry") if isinstance(feat, Mapping) else None
        if not isinstance(geom, Mapping) or "type" not in geom:
            raise InputError("feature has no geometry", field="sites.geometry", row=row)
        props = dict(feat.get("properties") or {})
        if props.get("kind") not in SITE_KINDS:
            raise InputError(
                f"site kind {props.get('kind')!r} is not one of {', '.join(SITE_KINDS)}",
                field="sites.kind",
                row=row,
                hint="mark optimiser picks 'chosen', hand-placed sites 'manual' and closed "
                "amenities 'closed'",
            )
        for lon, lat in _coords(geom.get("coordinates")):
            if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                raise InputError(
                    f"coordinate ({lon}, {lat}) is not lon/lat",
                    field="sites.geometry",
                    row=row,
                    hint="GeoJSON sites must be in WGS-84 degrees; pass a GeoDataFrame with its CRS",
                )
        features.append(
            {
                "type": "Feature",
                "properties": _jsonable(props, f"sites[{row}].properties"),
                "geometry": _jsonable(dict(geom), f"sites[{row}].geometry"),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _coords(c: Any):
    if isinstance(c, list | tuple) and len(c) >= 2 and all(isinstance(v, int | float) for v in c):
        yield float(c[0]), float(c[1])
    elif isinstance(c, list | tuple):
        for part in c:
            yield from _coords(part)


def geojson_to_frame(fc: Mapping) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:4326 from a sites FeatureCollection (empty one for no sites)."""
    if not fc.get("features"):
        return gpd.GeoDataFrame({"kind": pd.Series([], dtype=object)}, geometry=[], crs="EPSG:4326")
    return gpd.GeoDataFrame.from_features(fc["features"], crs="EPSG:4326")


def _check_name(name: Any) -> str:
    """The scenario-name rule of :func:`gisplan.safetext.clean_name` (NFC, visible, bounded)."""
    return clean_name(name, field="name", max_len=NAME_MAX_LEN)
