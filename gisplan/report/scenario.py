"""A saved scenario's figures as people read them: labelled, rounded, with units.

One rule for every place a scenario's numbers are shown — the 方案管理 page (results, comparison,
parameters) and the exported ``report.html`` (:mod:`gisplan.report.scenario_html`):

- :func:`outcome_table` — before / after / change per figure (people covered and their share,
  complete circles, the area's figures), one row per figure (the store keeps some figures twice,
  at the top level and per category; each is shown once);
- :func:`key_figures` — single numbers (people newly served, sites, people losing coverage);
- :func:`parameter_table` and :func:`method_table` — what was asked and how it was solved,
  thresholds in minutes;
- :func:`compare_table` — two scenarios side by side on the same figures.

Every value is text made by :func:`fmt` (people as whole numbers with separators, shares in
per cent to one decimal, times in minutes or seconds); missing values are "—", never ``None``
or ``NaN``; no raw result id (``covered_population_after``, ``greedy_swaps``) is shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gisplan.catalogue import default_standard
from gisplan.i18n import category_label, category_name, t

__all__ = [
    "UNITS",
    "fmt",
    "fmt_change",
    "threshold_minutes",
    "category_text",
    "outcome_table",
    "key_figures",
    "parameter_table",
    "method_table",
    "compare_table",
    "categories_differ",
    "headline",
    "OUTCOME_COLUMNS",
    "COMPARE_COLUMNS",
]

#: unit -> i18n key of its suffix (``{v}`` is the formatted number).
UNITS = {
    "people": "unit.people",
    "communities": "unit.communities",
    "sites": "unit.sites",
    "pct": "unit.pct",
    "pp": "unit.pp",
    "min": "unit.min",
    "s": "unit.s",
    "m": "unit.m",
    "kmh": "unit.kmh",
    "count": "unit.count",
}

OUTCOME_COLUMNS = ("group", "metric", "before", "after", "change")
COMPARE_COLUMNS = ("group", "metric", "scenario_a", "scenario_b", "difference")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: float, unit: str) -> str:
    if unit in ("pct", "pp"):
        return f"{value:,.1f}"
    if unit == "s":
        return f"{value:,.2f}"
    if unit in ("min", "kmh"):
        return f"{round(value, 1):g}"
    return f"{round(value):,.0f}"


def fmt(value: Any, unit: str, lang: str = "zh") -> str:
    """``value`` rounded for its ``unit`` (see :data:`UNITS`) with the unit's text; "—" if missing.

    People, communities, sites and metres are whole numbers with thousands separators; shares
    (``pct``, in per cent) to one decimal; minutes and km/h to at most one decimal; seconds to
    two.
    """
    if _missing(value):
        return "—"
    if unit == "sites" and float(value) == 1:
        return t("unit.site", lang)
    return t(UNITS[unit], lang, v=_number(float(value), unit))


def fmt_change(value: Any, unit: str, lang: str = "zh") -> str:
    """A difference with its sign (``+1,234 人``, ``−2 个社区``, ``0``); "—" if missing."""
    if _missing(value):
        return "—"
    v = float(value)
    shown = _number(abs(v), "pp" if unit == "pct" else unit)
    if float(shown.replace(",", "")) == 0:
        return "0"
    sign = "+" if v > 0 else "−"
    return sign + fmt(float(shown.replace(",", "")), "pp" if unit == "pct" else unit, lang)


def threshold_minutes(params: Mapping, category: str | None) -> float | None:
    """The walking threshold of a scenario, in minutes.

    ``threshold_min`` when the scenario recorded it; else ``threshold_m`` at the recorded walking
    speed (km/h, the catalogue's default when not recorded); else the catalogue's threshold of
    ``category``.
    """
    if _number_like(params.get("threshold_min")):
        return float(params["threshold_min"])
    std = default_standard()
    raw = params.get("walking_speed_kmh")
    speed = (
        float(raw) if isinstance(raw, int | float) and _number_like(raw) else std.walking_speed_kmh
    )
    if _number_like(params.get("threshold_m")):
        return float(params["threshold_m"]) / (speed * 1000.0 / 60.0)
    if category and category in std.ids:
        return float(std.threshold_minutes(category))
    return None


def _number_like(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def category_text(category: str | None, lang: str = "zh", *, both: bool = True) -> str:
    """A category's names, ``lang``'s first (only ``lang``'s with ``both=False``, for use inside
    a sentence); the id when the catalogue does not know it."""
    if not category:
        return t("rep.all_categories", lang)
    std = default_standard()
    if category not in std.ids:
        return category
    if both:
        return category_label(std[category], lang)
    name = category_name(std[category], lang)
    return name[:1].lower() + name[1:] if lang == "en" else name


@dataclass(frozen=True)
class _Pair:
    key: str  # results key without _before / _after
    label: str  # i18n key
    unit: str


#: Figures stored as ``<key>_before`` / ``<key>_after``, whole data (top level).
_OVERALL_PAIRS = (
    _Pair("complete_circles", "rep.complete_circles", "communities"),
    _Pair("complete_population", "rep.complete_population", "people"),
)
_AREA_PAIRS = (_Pair("area_complete_circles", "rep.complete_circles", "communities"),)
#: Per-category pairs (under ``results["categories"][id]``).
_CATEGORY_PAIRS = (_Pair("covered_population", "rep.covered_population", "people"),)
_AREA_CATEGORY_PAIRS = (_Pair("area_covered_population", "rep.covered_population", "people"),)


def _num(d: Mapping, key: str) -> float | None:
    v = d.get(key)
    return float(v) if isinstance(v, int | float) and _number_like(v) else None


def _categories(results: Mapping, category: str | None) -> dict[str, Mapping]:
    """Per-category figures; a scenario without the block uses its top-level figures."""
    cats = results.get("categories")
    if isinstance(cats, Mapping) and cats:
        return {str(c): f for c, f in cats.items() if isinstance(f, Mapping)}
    if category and "covered_population_before" in results:
        return {category: results}
    return {}


def _total(results: Mapping, figures: Mapping) -> float | None:
    for d, key in (
        (figures, "population_total"),
        (results, "total_population"),
        (results, "population_total"),
    ):
        if (v := _num(d, key)) is not None:
            return v
    return None


def _rows(results: Mapping, category: str | None, lang: str, *, keys: bool = False) -> list[tuple]:
    """(group, metric label, unit, before, after) of every before/after figure, each once
    (with ``keys``, the figure's key first: ``share.<category>``, ``complete_circles``, ...)."""
    rows: list[tuple] = []
    overall = t("rep.overall", lang)
    many = len(_categories(results, category)) > 1
    for cat, figures in _categories(results, category).items():
        group = category_text(cat, lang) if many else overall
        total = _total(results, figures)
        for p in _CATEGORY_PAIRS:
            b, a = _num(figures, p.key + "_before"), _num(figures, p.key + "_after")
            if b is None and a is None:
                continue
            label = t(p.label, lang, category=category_text(cat, lang, both=False))
            rows.append((f"{p.key}.{cat}", group, label, p.unit, b, a))
            if total:
                share = t("rep.covered_share", lang, category=category_text(cat, lang, both=False))
                rows.append(
                    (
                        f"share.{cat}",
                        group,
                        share,
                        "pct",
                        None if b is None else 100 * b / total,
                        None if a is None else 100 * a / total,
                    )
                )
    for p in _OVERALL_PAIRS:
        b, a = _num(results, p.key + "_before"), _num(results, p.key + "_after")
        if b is not None or a is not None:
            rows.append((p.key, overall, t(p.label, lang), p.unit, b, a))
    area = results.get("area_name")
    if area:
        group = t("rep.in_area", lang, area=str(area))
        for cat, figures in _categories(results, category).items():
            for p in _AREA_CATEGORY_PAIRS:
                b, a = _num(figures, p.key + "_before"), _num(figures, p.key + "_after")
                if b is not None or a is not None:
                    label = t(p.label, lang, category=category_text(cat, lang, both=False))
                    rows.append((f"{p.key}.{cat}", group, label, p.unit, b, a))
        for p in _AREA_PAIRS:
            b, a = _num(results, p.key + "_before"), _num(results, p.key + "_after")
            if b is not None or a is not None:
                rows.append((p.key, group, t(p.label, lang), p.unit, b, a))
    return rows if keys else [r[1:] for r in rows]


def outcome_table(results: Mapping, category: str | None = None, lang: str = "zh") -> pd.DataFrame:
    """Before / after / change of a scenario's figures as display text (:data:`OUTCOME_COLUMNS`).

    People covered per category with their share of the population (%), complete circles (whole
    data, and inside the plan's area when it has one).  Each figure appears once.
    """
    out = [
        (
            group,
            label,
            fmt(b, unit, lang),
            fmt(a, unit, lang),
            fmt_change(None if a is None or b is None else a - b, unit, lang),
        )
        for group, label, unit, b, a in _rows(results, category, lang)
    ]
    return pd.DataFrame(out, columns=list(OUTCOME_COLUMNS))


def _single_values(
    results: Mapping, sites: Mapping[str, int], category: str | None, lang: str
) -> list[tuple[str, str, str, float | None]]:
    """(key, label, unit, value) of the single figures, each once."""
    rows: list[tuple[str, str, str, float | None]] = []
    cats = _categories(results, category)
    for cat, figures in cats.items():
        name = category_text(cat, lang, both=False)
        for key, label in (
            ("newly_served_population", "rep.newly_served"),
            ("people_losing", "rep.people_losing"),
            ("area_newly_served_population", "rep.newly_served_in_area"),
            ("outside_newly_served_population", "rep.newly_served_outside"),
        ):
            v = _num(figures, key)
            if v is None and key == "newly_served_population" and len(cats) == 1:
                v = _num(results, key)  # single-category runs store it at the top level
            if v is not None:
                rows.append((f"{cat}.{key}", t(label, lang, category=name), "people", v))
    for key, label, unit in (
        ("newly_served_communities", "rep.newly_served_communities", "communities"),
        ("communities_losing", "rep.communities_losing", "communities"),
        ("total_population", "rep.population", "people"),
        ("area_population", "rep.area_population", "people"),
    ):
        if (v := _num(results, key)) is not None:
            rows.append((key, t(label, lang), unit, v))
    for kind, label in (
        ("chosen", "rep.sites_chosen"),
        ("manual", "rep.sites_manual"),
        ("closed", "rep.sites_closed"),
    ):
        if kind in sites and (kind != "closed" or sites[kind]):
            rows.append((f"sites.{kind}", t(label, lang), "sites", float(sites[kind])))
    return rows


def key_figures(
    results: Mapping, sites: Mapping[str, int], category: str | None = None, lang: str = "zh"
) -> pd.DataFrame:
    """Single figures (people newly served, sites of each kind, ...) as ``metric, value`` text.

    ``sites`` is :meth:`gisplan.store.ScenarioRecord.site_counts`.
    """
    rows = [
        (label, fmt(v, unit, lang))
        for _k, label, unit, v in _single_values(results, sites, category, lang)
    ]
    return pd.DataFrame(rows, columns=["metric", "value"])


_OBJECTIVES = {"population": "rep.objective_population", "complete": "rep.objective_complete"}
_SOURCES = {
    "grid": "rep.source_grid",
    "commercial": "rep.source_commercial",
    "file": "rep.source_file",
    "points": "rep.source_file",
}
_METHODS = {"greedy": "rep.method_greedy", "exact": "rep.method_exact"}


def parameter_table(params: Mapping, category: str | None = None, lang: str = "zh") -> pd.DataFrame:
    """What the scenario asked for, as ``parameter, value`` text (threshold in minutes)."""
    rows: list[tuple[str, str]] = []
    cat = params.get("category") or category
    if isinstance(params.get("plan"), Mapping):
        plan = "；" if lang == "zh" else "; "
        rows.append(
            (
                t("rep.plan", lang),
                plan.join(
                    f"{category_text(str(c), lang)} × {int(n)}"
                    for c, n in params["plan"].items()
                    if _number_like(n)
                ),
            )
        )
    else:
        rows.append((t("rep.category", lang), category_text(cat, lang)))
    if _number_like(params.get("k")):
        rows.append((t("rep.k", lang), fmt(params["k"], "sites", lang)))
    if params.get("objective") in _OBJECTIVES:
        rows.append((t("rep.objective", lang), t(_OBJECTIVES[params["objective"]], lang)))
    minutes = threshold_minutes(params, cat if isinstance(cat, str) else None)
    if minutes is not None and not isinstance(params.get("plan"), Mapping):
        rows.append((t("rep.threshold", lang), fmt(minutes, "min", lang)))
    if _number_like(params.get("walking_speed_kmh")):
        rows.append((t("rep.speed", lang), fmt(params["walking_speed_kmh"], "kmh", lang)))
    source = params.get("candidate_source")
    if source in _SOURCES:
        text = t(_SOURCES[source], lang)
        if _number_like(params.get("spacing_m")) and source in ("grid", "commercial"):
            text += t("rep.spacing", lang, v=fmt(params["spacing_m"], "m", lang))
        if params.get("candidate_file"):
            text += f" ({params['candidate_file']})"
        rows.append((t("rep.candidates", lang), text))
    method = params.get("method") or ("exact" if params.get("exact") else None)
    if method in _METHODS:
        rows.append((t("rep.method", lang), t(_METHODS[method], lang)))
    required = params.get("required")
    if isinstance(required, list | tuple) and required:
        sep = "、" if lang == "zh" else ", "
        rows.append(
            (t("rep.required", lang), sep.join(category_text(str(c), lang) for c in required))
        )
    if params.get("area") and isinstance(params.get("area"), str):
        rows.append((t("rep.area", lang), str(params["area"])))
    if params.get("dataset"):
        rows.append((t("rep.dataset", lang), str(params["dataset"])))
    return pd.DataFrame(rows, columns=["parameter", "value"])


def method_table(results: Mapping, lang: str = "zh") -> pd.DataFrame:
    """How the sites were found: candidates, objective values, gap (%), time (s)."""
    rows: list[tuple[str, str]] = []
    if _number_like(results.get("candidates")):
        rows.append((t("rep.candidate_count", lang), fmt(results["candidates"], "count", lang)))
    for key, label in (
        ("greedy_objective", "rep.greedy_objective"),
        ("exact_objective", "rep.exact_objective"),
    ):
        if _number_like(results.get(key)):
            rows.append((t(label, lang), fmt(results[key], "people", lang)))
    if _number_like(results.get("gap")):
        rows.append((t("rep.gap", lang), fmt(100 * results["gap"], "pct", lang)))
    timings = results.get("timings_s")
    if isinstance(timings, Mapping):
        total = sum(float(v) for v in timings.values() if _number_like(v))
        rows.append((t("rep.compute_time", lang), fmt(total, "s", lang)))
    return pd.DataFrame(rows, columns=["item", "value"])


def _values(record: Any, lang: str) -> dict[tuple[str, str], tuple[str, str, str, float | None]]:
    """(group, label) -> (group, label, unit, value) of one scenario: its *after* figures and
    single figures, for :func:`compare_table`."""
    out: dict[tuple[str, str], tuple[str, str, str, float | None]] = {}
    counts = record.site_counts()
    sites = t("rep.sites", lang)
    for kind, label in (
        ("chosen", "rep.sites_chosen"),
        ("manual", "rep.sites_manual"),
        ("closed", "rep.sites_closed"),
    ):
        if kind in counts:
            out[(sites, t(label, lang))] = (sites, t(label, lang), "sites", float(counts[kind]))
    for group, label, unit, _b, a in _rows(record.results, record.category, lang):
        label = t("rep.after_label", lang, label=label)
        out[(group, label)] = (group, label, unit, a)
    results = t("rep.results", lang)
    for _k, label, unit, v in _single_values(record.results, {}, record.category, lang):
        out[(results, label)] = (results, label, unit, v)
    return out


def compare_table(record_a: Any, record_b: Any, lang: str = "zh") -> pd.DataFrame:
    """Two scenarios on the same figures (:data:`COMPARE_COLUMNS`, display text).

    Sites of each kind, the figures *after* each scenario and its single figures; the difference
    is B − A.  A figure only one scenario has shows "—" for the other.
    """
    va, vb = _values(record_a, lang), _values(record_b, lang)
    keys = list(va) + [k for k in vb if k not in va]
    rows = []
    for k in keys:
        group, label, unit, _ = va.get(k) or vb[k]
        a = va[k][3] if k in va else None
        b = vb[k][3] if k in vb else None
        diff = None if a is None or b is None else b - a
        rows.append(
            (group, label, fmt(a, unit, lang), fmt(b, unit, lang), fmt_change(diff, unit, lang))
        )
    return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))


def categories_differ(record_a: Any, record_b: Any) -> bool:
    """Whether two scenarios site different categories (or plans), so their figures differ in kind."""

    def kind(rec: Any) -> tuple:
        plan = rec.params.get("plan") if isinstance(rec.params, Mapping) else None
        if isinstance(plan, Mapping):
            return tuple(sorted(str(c) for c in plan))
        return (rec.category,)

    return kind(record_a) != kind(record_b)


def _compact(label: str, unit: str, lang: str) -> str:
    """``label`` with its unit, for a bare number (``农贸市场新增服务人口（人）``)."""
    if unit in ("pct", "pp"):
        return label
    return t("unit.label", lang, label=label, unit=t(f"unit.name_{unit}", lang))


def headline(
    results: Mapping,
    sites: Mapping[str, int],
    category: str | None = None,
    lang: str = "zh",
    *,
    compact: bool = False,
) -> list[tuple[str, str | None, str, str]]:
    """The key outcomes as ``(label, before, after, change)`` text (``before`` None for single
    figures): people newly served per category, the share served, complete circles and the
    new sites.  ``compact``: numbers without their unit, which moves into the label (for
    narrow metric cards)."""

    def show(v: float | None, unit: str) -> str:
        if compact and unit not in ("pct", "pp") and v is not None:
            return _number(v, unit)
        return fmt(v, unit, lang)

    def name(label: str, unit: str) -> str:
        return _compact(label, unit, lang) if compact else label

    out: list[tuple[str, str | None, str, str]] = []
    for key, label, unit, v in _single_values(results, {}, category, lang):
        if key.endswith(".newly_served_population") or key.endswith(".people_losing"):
            out.append((name(label, unit), None, show(v, unit), ""))
    for key, _group, label, unit, b, a in _rows(results, category, lang, keys=True):
        if key.startswith("share.") or key == "complete_circles":
            change = fmt_change(None if a is None or b is None else a - b, unit, lang)
            out.append((name(label, unit), show(b, unit), show(a, unit), change))
    n_open = float(sites.get("chosen", 0)) + float(sites.get("manual", 0))
    out.append((name(t("rep.sites_open", lang), "sites"), None, show(n_open, "sites"), ""))
    return out
