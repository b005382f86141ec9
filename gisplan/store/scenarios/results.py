"""Scenario results: their layout, and tables of every stored number and before/after pairs.

The layout of ``results`` is described in :mod:`gisplan.store.scenarios`;
:func:`scenario_results` builds it from a run's summary (siting, joint plans, closures) and
:func:`add_area_results` flattens a planning area's figures into it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CATEGORY_METRICS",
    "METRIC_LABELS",
    "add_area_results",
    "before_after_table",
    "metric_label",
    "results_long",
    "scenario_results",
]

#: Numbers kept per category under ``results["categories"][id]`` by :func:`scenario_results`.
CATEGORY_METRICS = (
    "population_total",
    "covered_population_before",
    "covered_population_after",
    "lost_population",
    "newly_served_population",
    "people_losing",
)


def scenario_results(
    summary: Mapping[str, Any],
    categories: Mapping[str, Mapping[str, Any]],
    *,
    complete_circles: tuple[Any, Any] | None = None,
    area: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A run's ``results`` in the store's layout.

    Parameters
    ----------
    summary : mapping
        The run's summary; its numbers stay at the top level.
    categories : mapping
        Per category id, its figures; those named in :data:`CATEGORY_METRICS` (people) are
        kept under ``results["categories"][id]``, in their order.
    complete_circles : (before, after), optional
        Communities meeting the whole standard before and after, stored as
        ``complete_circles_before`` / ``complete_circles_after``.
    area : mapping, optional
        A summary's ``area`` block, flattened by :func:`add_area_results`.
    """
    results = dict(summary)
    results["categories"] = {
        c: {k: v for k, v in figures.items() if k in CATEGORY_METRICS}
        for c, figures in categories.items()
    }
    if complete_circles is not None:
        results["complete_circles_before"], results["complete_circles_after"] = complete_circles
    return add_area_results(results, area)


def add_area_results(results: dict, area: Mapping[str, Any] | None) -> dict:
    """Flatten a summary's ``area`` block into the results layout (in place).

    Adds ``area_name`` and the area's numbers as ``area_population``,
    ``area_complete_circles_before`` / ``_after`` (top level) and, per category,
    ``area_covered_population_before`` / ``_after``, ``area_newly_served_population`` and
    ``outside_newly_served_population`` — so the scenario comparison shows the area's
    before/after next to the whole data's.  The full block stays under ``results["area"]``.
    """
    if not area:
        return results
    inside, outside = area["area"], area["outside"]
    results["area_name"] = area["name"]
    results["area_population"] = inside["population"]
    results["area_complete_circles_before"] = inside["complete_circles_before"]
    results["area_complete_circles_after"] = inside["complete_circles_after"]
    cats = results.setdefault("categories", {})
    for c, f in inside["categories"].items():
        entry = cats.setdefault(c, {})
        entry["area_covered_population_before"] = f["covered_population_before"]
        entry["area_covered_population_after"] = f["covered_population_after"]
        entry["area_newly_served_population"] = f["newly_served_population"]
        entry["outside_newly_served_population"] = outside["categories"][c][
            "newly_served_population"
        ]
    return results


def _category_label(category_id: str) -> str:
    try:
        from gisplan.catalogue import load_catalogue

        for cat in load_catalogue():
            if cat.id == category_id:
                return cat.label
    except Exception:  # noqa: BLE001 - a label is cosmetic; fall back to the id
        pass
    return category_id


_OVERALL_LABEL = "全部 Overall"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


#: Bilingual names of the numbers a siting scenario stores (others show their id).
METRIC_LABELS: dict[str, str] = {
    "covered_population": "覆盖人口 Covered population",
    "complete_circles": "达标社区 Complete circles",
    "communities_complete": "达标社区 Complete circles",
    "newly_served_population": "新增服务人口 People newly served",
    "newly_served_communities": "新增服务社区 Communities newly served",
    "newly_complete": "新达标社区 Newly complete",
    "population_total": "总人口 Total population",
    "total_population": "总人口 Total population",
    "k": "新店数量 k New sites",
    "sites_chosen": "优化选址数 Chosen sites",
    "sites_manual": "手动选址数 Hand-placed sites",
    "sites_closed": "关闭网点数 Closed amenities",
    "people_losing": "失去覆盖的人口 People losing coverage",
    "communities_losing": "失去覆盖的社区 Communities losing coverage",
    "lost_population": "失去覆盖的人口 People losing coverage",
    "area_population": "区内人口 Population in the area",
    "area_complete_circles": "区内达标社区 Complete circles in the area",
    "area_covered_population": "区内覆盖人口 Covered population in the area",
    "area_newly_served_population": "区内新增服务人口 People newly served in the area",
    "outside_newly_served_population": "区外新增服务人口 People newly served outside",
    "sites_total": "选址总数 Sites in all",
    "manual_sites": "手动选址数 Hand-placed sites",
    "threshold_m": "步行阈值（米）Threshold (m)",
    "candidates": "候选点数 Candidates",
    "demand_in_play": "可服务的未覆盖社区 Unserved communities in reach",
    "demand_weight_in_play": "可服务的未覆盖人口 Unserved people in reach",
    "greedy_objective": "贪心目标值 Greedy objective",
    "greedy_plain_objective": "贪心目标值（未改进）Plain greedy objective",
    "exact_objective": "精确目标值 Exact objective",
    "gap": "贪心与精确差距 Gap",
    "greedy_time_s": "贪心用时（秒）Greedy time (s)",
    "exact_time_s": "精确求解用时（秒）Exact time (s)",
}


def metric_label(metric: str) -> str:
    """Bilingual name of a stored metric id (the id itself when unknown)."""
    return METRIC_LABELS.get(metric, metric)


def results_long(results: Mapping) -> pd.DataFrame:
    """Every number in ``results`` as rows ``category, label, metric, value``.

    Top-level numbers get ``category = ""`` and the label ``"全部 Overall"``; numbers under
    ``results["categories"][id]`` get that category id and its bilingual catalogue label.
    """
    rows = []
    for key, value in results.items():
        if key != "categories" and _is_number(value):
            rows.append(("", _OVERALL_LABEL, key, float(value)))
    cats = results.get("categories") or {}
    for cat_id, metrics in cats.items():
        if isinstance(metrics, Mapping):
            label = _category_label(cat_id)
            for key, value in metrics.items():
                if _is_number(value) or value is None:
                    rows.append((cat_id, label, key, np.nan if value is None else float(value)))
    out = pd.DataFrame(rows, columns=["category", "label", "metric", "value"])
    out.insert(3, "metric_label", out["metric"].map(metric_label))
    return out


def before_after_table(results: Mapping) -> pd.DataFrame:
    """Before/after table: rows ``category, label, metric, metric_label, before, after, change, value``.

    Pairs ``<metric>_before`` with ``<metric>_after`` (``change = after - before``) and lists
    them first; other numbers follow with ``value`` only.
    """
    long = results_long(results)
    out = []
    for (cat, label), grp in long.groupby(["category", "label"], sort=False):
        values = dict(zip(grp["metric"], grp["value"], strict=True))
        done = set()
        for metric in grp["metric"]:
            if metric in done:
                continue
            for suffix, other in (("_before", "_after"), ("_after", "_before")):
                if metric.endswith(suffix) and metric[: -len(suffix)] + other in values:
                    base = metric[: -len(suffix)]
                    before, after = values[base + "_before"], values[base + "_after"]
                    out.append((cat, label, base, before, after, after - before, np.nan))
                    done |= {base + "_before", base + "_after"}
                    break
            else:
                out.append((cat, label, metric, np.nan, np.nan, np.nan, values[metric]))
                done.add(metric)
    table = pd.DataFrame(
        out, columns=["category", "label", "metric", "before", "after", "change", "value"]
    )
    table.insert(3, "metric_label", table["metric"].map(metric_label))
    paired = table["before"].notna() | table["after"].notna()
    return pd.concat([table[paired], table[~paired]], ignore_index=True)
