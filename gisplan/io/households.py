"""Households (户数) -> residents: the one persons-per-household rule.

Ningbo's 小区 lists often give households, not residents.  ``residents = round(households ×
persons per household)``, with :data:`PERSONS_PER_HOUSEHOLD` = 2.21: the average size of a
family household (平均每个家庭户的人口) in Ningbo in the 7th national census, 2020
(宁波市第七次全国人口普查主要数据公报, Ningbo Municipal Bureau of Statistics, 2021-05-17;
see ``data/geo/SOURCES.md``).  Figures obtained this way are estimates and are marked so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisplan.errors import InputError

__all__ = ["PERSONS_PER_HOUSEHOLD", "HOUSEHOLD_COLUMNS", "households_to_population"]

PERSONS_PER_HOUSEHOLD = 2.21
#: Column names recognised as households (case-insensitive).
HOUSEHOLD_COLUMNS = ("households", "household", "hh", "户数", "住户数", "总户数", "居民户数")


def households_to_population(
    households: pd.Series | np.ndarray, persons_per_household: float = PERSONS_PER_HOUSEHOLD
) -> np.ndarray:
    """Residents = round(households × persons per household), as int64."""
    if not persons_per_household > 0:
        raise InputError(
            f"persons per household must be positive, got {persons_per_household}",
            field="--persons-per-household",
            hint=f"use e.g. {PERSONS_PER_HOUSEHOLD} (Ningbo, 2020 census)",
        )
    hh = np.asarray(households, dtype=float)
    return np.rint(hh * persons_per_household).astype("int64")
