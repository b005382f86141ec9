"""``report.html`` of a saved scenario: a document an official can hand to a colleague.

Key outcomes first (people newly served, coverage before → after, complete circles, sites),
then a map (:func:`gisplan.report.scenario_map.scenario_map_png`: communities by state, the
sites' walking area, network, water and county boundaries, embedded as a PNG — one standalone
file, no scripts, no tiles, works offline and prints), the before/after table, the sites with
their coordinates, what was asked and how it was solved.  Every figure comes from
:mod:`gisplan.report.scenario` (rounded, with units, thresholds in minutes).

:func:`report_writer` gives :func:`gisplan.store.export_scenario` the writer for its
``report`` argument.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from gisplan.i18n import t
from gisplan.labels import OSM_CREDIT, SYNTHETIC_LABEL
from gisplan.report.scenario import (
    category_text,
    fmt,
    headline,
    key_figures,
    method_table,
    outcome_table,
    parameter_table,
)
from gisplan.report.scenario_map import ScenarioContext, scenario_map_png, sites_context
from gisplan.safetext import html_text

__all__ = ["scenario_report_html", "report_writer", "local_time"]

_TZ = ZoneInfo("Asia/Shanghai")


def local_time(when: datetime | None) -> str:
    """A stored time (UTC) as Ningbo local time (Asia/Shanghai, UTC+8), ``YYYY-MM-DD HH:MM``."""
    if when is None:
        return "—"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(_TZ).strftime("%Y-%m-%d %H:%M")


def _table(frame: pd.DataFrame, headers: list[str], numeric: tuple[int, ...] = ()) -> str:
    esc = html_text
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    rows = []
    for r in frame.itertuples(index=False):
        cells = "".join(
            f'<td class="n">{esc(str(v))}</td>' if i in numeric else f"<td>{esc(str(v))}</td>"
            for i, v in enumerate(r)
        )
        rows.append(f"<tr>{cells}</tr>")
    body = "".join(rows) or f'<tr><td colspan="{len(headers)}">—</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sites_frame(record: Any, lang: str) -> pd.DataFrame:
    frame = record.sites_frame()
    pts = frame.geometry.representative_point()
    kinds = {
        "chosen": t("rep.sites_chosen", lang),
        "manual": t("rep.sites_manual", lang),
        "closed": t("rep.sites_closed", lang),
    }
    rows = []
    for i in range(len(frame)):
        p = frame.iloc[i]
        gain = p.get("gain_population")
        if gain is None or (isinstance(gain, float) and gain != gain):
            gain = p.get("gain")
        name = p.get("name")
        rows.append(
            (
                str(i + 1),
                kinds.get(str(p.get("kind")), str(p.get("kind"))),
                "" if name is None or (isinstance(name, float) and name != name) else str(name),
                fmt(gain, "people", lang) if p.get("kind") != "closed" else "—",
                f"{pts.iloc[i].x:.6f}",
                f"{pts.iloc[i].y:.6f}",
            )
        )
    return pd.DataFrame(rows)


def scenario_report_html(
    record: Any,
    context: ScenarioContext | None = None,
    *,
    lang: str = "zh",
    author: str | None = None,
    attribution: str = "",
) -> str:
    """A self-contained HTML report of ``record`` (:class:`gisplan.store.ScenarioRecord`).

    ``context`` (:func:`gisplan.report.scenario_map.scenario_context`) draws the map; without
    it the map shows the sites and county boundaries only, and says the communities and service
    areas need the scenario's data.  ``author`` is the author's display
    name (the stored username when not given).  Names from users are escaped.
    """
    esc = html_text
    synthetic = bool(record.params.get("synthetic")) or bool(record.results.get("synthetic"))
    title = t("rhtml.title", lang, name=record.name)
    cat = category_text(record.category, lang)
    meta = t(
        "rhtml.meta",
        lang,
        author=author or record.author or "—",
        updated=local_time(record.updated_at),
        exported=local_time(datetime.now(UTC)),
    )
    cards = "".join(
        f'<div class="card"><div class="v">{esc(after if before is None else f"{before} → {after}")}'
        f'</div><div class="l">{esc(label)}</div>'
        + (f'<div class="c">{esc(c)}</div>' if c else "")
        + "</div>"
        for label, before, after, c in headline(
            record.results, record.site_counts(), record.category, lang
        )
    )
    caption = t("rhtml.map_caption" if context is not None else "rhtml.no_map", lang)
    drawn = context if context is not None else sites_context(record)
    png = base64.b64encode(scenario_map_png(drawn, lang=lang)).decode("ascii")
    figure = (
        f'<figure><img src="data:image/png;base64,{png}" alt="{esc(t("rhtml.map", lang))}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )
    outcomes = _table(
        outcome_table(record.results, record.category, lang),
        [
            t("sc.group", lang),
            t("sc.metric", lang),
            t("sc.before", lang),
            t("sc.after", lang),
            t("sc.change", lang),
        ],
        numeric=(2, 3, 4),
    )
    figures = _table(
        key_figures(record.results, record.site_counts(), record.category, lang),
        [t("sc.metric", lang), t("sc.value", lang)],
        numeric=(1,),
    )
    sites = _table(
        _sites_frame(record, lang),
        [
            "#",
            t("rhtml.kind", lang),
            t("field.name", lang),
            t("rhtml.site_gain", lang),
            t("rhtml.lon", lang),
            t("rhtml.lat", lang),
        ],
        numeric=(3, 4, 5),
    )
    params = _table(
        parameter_table(record.params, record.category, lang),
        [t("rhtml.parameter", lang), t("sc.value", lang)],
    )
    method = method_table(record.results, lang)
    method_html = (
        f"<h2>{esc(t('rhtml.method', lang))}</h2>"
        + _table(method, [t("rhtml.item", lang), t("sc.value", lang)], numeric=(1,))
        if len(method)
        else ""
    )
    notes = [t("rhtml.coordinates", lang)]
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL)
    if attribution:
        notes.append(attribution)
    notes.append(t("rhtml.boundaries", lang))
    if "OpenStreetMap" in attribution:
        notes.append(OSM_CREDIT)
    banner = f'<p class="synthetic">⚠️ {esc(SYNTHETIC_LABEL)}</p>' if synthetic else ""
    return f"""<!DOCTYPE html>
<html lang="{"en" if lang == "en" else "zh-CN"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif;
  margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; line-height: 1.45; }}
h1 {{ font-size: 1.5em; margin-bottom: 0.2em; }} h2 {{ font-size: 1.15em; margin-top: 1.6em; }}
.meta {{ color: #555; margin-top: 0; }}
.synthetic {{ background: #fff4e5; border: 1px solid #f0b429; padding: 0.4em 0.8em; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 0.8em; margin: 1em 0; }}
.card {{ border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 0.9em; min-width: 11em; flex: 1; }}
.card .v {{ font-size: 1.35em; font-weight: 600; }} .card .l {{ color: #444; }}
.card .c {{ color: #1a7f37; }}
table {{ border-collapse: collapse; margin: 0.4em 0 1.2em; max-width: 100%; }}
th, td {{ border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
figure {{ margin: 0.5em 0; }} figure img {{ max-width: 100%; height: auto; border: 1px solid #ccc; }}
figcaption, .note {{ color: #555; font-size: 0.9em; }}
@media print {{ body {{ margin: 1cm; max-width: none; }} h2 {{ page-break-after: avoid; }}
  figure {{ page-break-inside: avoid; }} }}
</style>
</head>
<body>
<h1>{esc(title)}</h1>
<p class="meta">{esc(cat)} · {esc(meta)}</p>
{banner}
<h2>{esc(t("rhtml.outcomes", lang))}</h2>
<div class="cards">{cards}</div>
<h2>{esc(t("rhtml.map", lang))}</h2>
{figure}
<h2>{esc(t("rhtml.before_after", lang))}</h2>
{outcomes}
{figures}
<h2>{esc(t("rhtml.sites", lang))}</h2>
{sites}
<h2>{esc(t("rhtml.parameters", lang))}</h2>
{params}
{method_html}
<p class="note">{"<br>".join(esc(n) for n in notes)}</p>
</body>
</html>
"""


def report_writer(
    context: Callable[[Any], ScenarioContext | None] | None = None,
    *,
    lang: str = "zh",
    author: Callable[[str], str] | None = None,
    attribution: str = "",
) -> Callable[[Any, pd.DataFrame], str]:
    """A ``report`` writer for :func:`gisplan.store.export_scenario`.

    ``context(record)`` gives the map's context (or None); ``author(username)`` the display name.
    """

    def write(record: Any, _table: pd.DataFrame) -> str:
        ctx = context(record) if context is not None else None
        name = author(record.author) if author is not None and record.author else None
        return scenario_report_html(record, ctx, lang=lang, author=name, attribution=attribution)

    return write
