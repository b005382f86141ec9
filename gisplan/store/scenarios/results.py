"""Scenario results as tables: every stored number in long form, before/after pairs.

The layout of ``results`` is described in :mod:`gisplan.store.scenarios`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["METRIC_LABELS", "metric_label", "results_long", "before_after_table"]


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
