"""Bounds of the analysis parameters: one rule for the CLI, the Python API and the app.

Every number a user can set — walking speed, thresholds, the largest off-network leg,
candidate spacing, the number of new sites, the solver's time limit — is checked by
:meth:`Bound.check` against one :class:`Bound` defined here: it must be a finite number
within sensible limits, or the user gets a clear message naming the parameter, the limits
and an example.  :class:`gisplan.catalogue.CircleStandard` checks its own fields with these
bounds (so ``with_overrides``, the CLI options and the app's standard inherit them), and the
siting code (``plan_sites``, candidate builders) checks spacing, ``k`` and the time limit.  The
app's widgets offer narrower everyday ranges inside these bounds; a value that reaches the
API by any other way is checked here all the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gisplan.errors import InputError

__all__ = [
    "Bound",
    "WALKING_SPEED_KMH",
    "THRESHOLD_MIN",
    "MAX_SNAP_M",
    "SPACING_M",
    "SITES_K",
    "TIME_LIMIT_S",
    "point_lonlat",
]


@dataclass(frozen=True)
class Bound:
    """The allowed range of one parameter.

    Attributes
    ----------
    field : str
        The parameter's name in messages (``"walking_speed_kmh"``).
    lo, hi : float
        Smallest and largest allowed value (inclusive).
    unit : str
        Unit shown in messages (``"km/h"``, ``"minutes"``, ``"m"``).
    example : str
        A typical value, shown in the hint.
    integer : bool
        Whether the value must be a whole number.
    label : str
        How messages call it (``"walking speed"``); default: ``field``.
    """

    field: str
    lo: float
    hi: float
    unit: str
    example: str
    integer: bool = False
    label: str = ""

    def check(self, value: Any, *, field: str | None = None) -> float | int:
        """``value`` as a float (an int when :attr:`integer`) if finite and within bounds.

        Raises
        ------
        InputError
            Naming ``field`` (default :attr:`field`), the limits and an example, for a
            value that is not a number, not finite (NaN, inf), out of range or not whole.
        """
        name = field or self.label or self.field
        field = field or self.field
        limits = f"from {self.lo:g} to {self.hi:g} {self.unit}"
        hint = f"give a value {limits}, e.g. {self.example}"
        # the app's text: err.<code> with the parameter's and the unit's names in its language
        said = {"param": self.field, "lo": self.lo, "hi": self.hi, "unit": self.unit}
        try:
            if isinstance(value, bool):  # True is not 1 km/h
                raise TypeError(value)
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"{name} must be a number, got {value!r}",
                field=field,
                hint=hint,
                code="param.not_number",
                params=said,
            ) from None
        if not math.isfinite(number):
            raise InputError(
                f"{name} must be a finite number, got {value}",
                field=field,
                hint=hint,
                code="param.not_number",
                params=said,
            )
        if not self.lo <= number <= self.hi:
            raise InputError(
                f"{name} must be {limits}, got {number:g}",
                field=field,
                hint=f"e.g. {self.example}",
                code="param.out_of_range",
                params={**said, "value": number},
            )
        if self.integer:
            if number != int(number):
                raise InputError(
                    f"{name} must be a whole number, got {number:g}",
                    field=field,
                    hint=hint,
                    code="param.not_whole",
                    params={**said, "value": number},
                )
            return int(number)
        return number


#: Walking speed (km/h): slow elderly walkers to a brisk walk; beyond 10 km/h is running.
WALKING_SPEED_KMH = Bound("walking_speed_kmh", 0.5, 10.0, "km/h", "4.0", label="walking speed")
#: Walking-time threshold of a category (minutes); the plan uses 5, 10 and 15.
THRESHOLD_MIN = Bound("threshold", 0.5, 120.0, "minutes", "10")
#: Largest off-network leg from a point to the walking network (metres).
MAX_SNAP_M = Bound(
    "max_snap_distance_m", 1.0, 5000.0, "m", "300", label="largest off-network leg (max snap)"
)
#: Spacing of grid or street candidates (metres).
SPACING_M = Bound("grid_spacing", 5.0, 5000.0, "m", "100", label="candidate spacing")
#: Number of new sites to choose.
SITES_K = Bound("k", 1, 1000, "sites", "5", integer=True)
#: Time limit of the exact solver (seconds).
TIME_LIMIT_S = Bound("time_limit", 1.0, 3600.0, "s", "60", label="solver time limit")


def point_lonlat(lon: Any, lat: Any) -> tuple[float, float]:
    """One clicked or typed place as finite WGS-84 degrees ``(lon, lat)`` (EPSG:4326).

    The one rule for a single point given by a user (a what-if click, a resident's tap, a
    shared link): both must be numbers, finite, longitude within ±180° and latitude within ±90°.

    Raises
    ------
    InputError
        Naming the ``lon/lat`` field, for values that are not numbers or not degrees.
    """
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InputError(
            "the coordinates are not numbers",
            field="lon/lat",
            hint="give longitude and latitude in degrees (WGS-84)",
            code="point.not_numbers",
        ) from None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise InputError(
            f"({x}, {y}) is not a longitude/latitude",
            field="lon/lat",
            hint="give degrees in WGS-84, longitude first",
            code="point.not_degrees",
            params={"lon": x, "lat": y},
        )
    return x, y
