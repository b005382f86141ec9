"""The gap list as people read it: communities short of the standard, in the user's language.

:meth:`gisplan.access.coverage.CoverageResult.gaps` gives the analysis columns (ids, raw
minutes); :func:`gap_table` turns them into the table the coverage page shows and the gap CSV
a signed-in planner downloads: completeness as "met / required", missing categories by name,
minutes rounded to 0.1 with "unreachable" in words, and a choice of order.  :func:`gap_csv`
records the standard the list was computed with in every row (a CSV travels without its page).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisplan.access.coverage import CoverageResult
from gisplan.i18n import category_name, t
from gisplan.safetext import csv_safe_frame

__all__ = ["GAP_ORDERS", "gap_table", "gap_csv"]

#: Orders of the gap list: most people first, fewest categories met first, longest walk first.
GAP_ORDERS: tuple[str, ...] = ("population", "completeness", "minutes")


def _minutes_text(v: float, lang: str) -> str | float:
    if np.isnan(v):
        return t("legend.unsnapped", lang)
    if not np.isfinite(v):
        return t("legend.unreachable", lang)
    return round(float(v), 1)


def gap_table(
    result: CoverageResult, *, lang: str = "zh", order: str = "population"
) -> pd.DataFrame:
    """Communities that miss part of the standard, with headers in ``lang``.

    Columns: name, population, county (when known), completeness ("2/3"), missing categories
    (names in ``lang``), then walking minutes to each required category (0.1 min; words for
    unreachable and for communities too far from the network).  ``order`` is one of
    :data:`GAP_ORDERS`; ties keep the most populous first.
    """
    if order not in GAP_ORDERS:
        raise ValueError(f"order must be one of {GAP_ORDERS}, not {order!r}")
    std = result.standard
    req = std.required_ids
    gaps = result.gaps()
    table = result.table.set_index("id")
    met = table.loc[gaps["id"], "required_met"].to_numpy(dtype=int) if len(gaps) else []
    names = {c.id: category_name(c, lang) for c in std.categories}
    sep = t("sep.list", lang)
    out = pd.DataFrame(
        {
            t("field.name", lang): gaps["name"].astype(str),
            t("field.population", lang): gaps["population"].astype(int),
        }
    )
    if "county" in gaps:
        out[t("field.county", lang)] = gaps["county"].fillna("").astype(str)
    out[t("field.completeness", lang)] = [f"{k}/{len(req)}" for k in met]
    out[t("field.missing", lang)] = gaps["missing"].map(
        lambda s: sep.join(names[c] for c in s.split(",") if c)
    )
    minutes = gaps[[f"minutes_{c}" for c in req]].to_numpy(dtype=float)
    for j, cid in enumerate(req):
        head = t("fmt.paren", lang, text=names[cid], note=t("field.minutes", lang))
        out[head] = [_minutes_text(v, lang) for v in minutes[:, j]]
    if order == "completeness":
        keys = np.lexsort((-gaps["population"].to_numpy(), np.asarray(met)))
    elif order == "minutes":
        worst = np.where(np.isnan(minutes), np.inf, minutes).max(axis=1) if len(req) else []
        keys = np.lexsort((-gaps["population"].to_numpy(), -np.asarray(worst, dtype=float)))
    else:
        keys = np.arange(len(out))
    return out.iloc[keys].reset_index(drop=True)


def gap_csv(
    result: CoverageResult, *, lang: str = "zh", order: str = "population", dataset: str = ""
) -> bytes:
    """The gap list as UTF-8 CSV (with BOM, so spreadsheet programs read the Chinese).

    Each row also names the dataset and the standard (speed, required categories and their
    minutes); text cells are neutralised against spreadsheet formulas.
    """
    frame = gap_table(result, lang=lang, order=order)
    std = result.standard
    standard = "; ".join(
        [f"{std.walking_speed_kmh:g} km/h"]
        + [f"{c} <= {std.threshold_minutes(c):g} min" for c in std.required_ids]
    )
    frame[t("gaps.standard", lang)] = standard
    if dataset:
        frame[t("dataset", lang)] = dataset
    return csv_safe_frame(frame).to_csv(index=False).encode("utf-8-sig")
