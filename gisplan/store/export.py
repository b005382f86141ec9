"""Export a saved scenario: sites as GeoPackage and GeoJSON, results as CSV, a printable report.

:func:`export_scenario` writes four files into ``out_dir``::

    sites.gpkg      layer "sites", EPSG:4326, one feature per chosen / hand-placed site
    sites.geojson   the same sites exactly as stored (lon/lat)
    results.csv     before/after table (UTF-8 with BOM so Excel shows Chinese)
    report.html     printable report, written by the ``report`` argument (the app and CLI pass
                    gisplan.report.scenario_html.report_writer: key outcomes, a map, tables);
                    by default a plain one: parameters, an SVG sketch of the sites, the table

The four files are a set (:func:`gisplan.io.atomic.atomic_paths`): each is written to a
temporary name inside ``out_dir`` and all are renamed into place only when every one is
complete, so a failure never leaves a half-written export.  The export is recorded in the
audit log.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from gisplan.io.atomic import atomic_paths
from gisplan.labels import SYNTHETIC_LABEL
from gisplan.safetext import csv_safe_frame, html_text
from gisplan.store.auth import User, require
from gisplan.store.scenarios import ScenarioRecord, ScenarioStore, before_after_table
from gisplan.store.scenarios.results import _category_label

__all__ = ["EXPORT_FILES", "export_scenario", "export_sites", "report_html", "sites_svg"]

EXPORT_FILES = ("sites.gpkg", "sites.geojson", "results.csv", "report.html")

_KIND_STYLE = {
    "chosen": ("#d62728", "优化选址 Chosen"),
    "manual": ("#1f77b4", "手动添加 Hand-placed"),
}


def export_scenario(
    user: User | None,
    store: ScenarioStore,
    name: str,
    out_dir: str | os.PathLike,
    *,
    report: Callable[[ScenarioRecord, pd.DataFrame], str] | None = None,
) -> dict[str, Path]:
    """Export scenario ``name`` into ``out_dir`` (created if missing); return file -> path.

    Existing files of the same names in ``out_dir`` are replaced.  ``report(record, table)``
    writes ``report.html`` (the app and the CLI pass
    :func:`gisplan.report.scenario_html.report_writer`, which draws the map on the scenario's
    data); by default :func:`report_html`, a plain report without a map.

    Raises
    ------
    PermissionDenied
        Unless the user is a planner or official.
    ScenarioNotFound
        When there is no such scenario.
    """
    require(user, "export")
    record = store.load(user, name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {fname: out / fname for fname in EXPORT_FILES}
    with atomic_paths(paths) as tmp:
        _write_all(record, tmp, report or report_html)
    store.log_export(
        user, record.name, {"out_dir": str(out.resolve()), "files": list(EXPORT_FILES)}
    )
    return paths


def export_sites(record: ScenarioRecord) -> tuple[dict, gpd.GeoDataFrame]:
    """The sites as exported, as a GeoJSON dict and a GeoDataFrame (EPSG:4326).

    Every site (chosen, hand-placed, closed) carries ``lon`` / ``lat`` (WGS-84, as its
    geometry) and, for a scenario on synthetic data, ``source`` and ``label``
    (:data:`gisplan.labels.SYNTHETIC_LABEL`).
    """
    fc = copy.deepcopy(record.sites_geojson())
    synthetic = bool(record.params.get("synthetic")) or bool(record.results.get("synthetic"))
    for f in fc["features"]:
        props = f.setdefault("properties", {})
        geom = f.get("geometry") or {}
        if geom.get("type") == "Point":
            lon, lat = geom["coordinates"][:2]
        else:
            pt = shapely.geometry.shape(geom).representative_point()
            lon, lat = pt.x, pt.y
        props["lon"], props["lat"] = float(lon), float(lat)
        if synthetic:
            props["source"], props["label"] = "synthetic", SYNTHETIC_LABEL
    frame = gpd.GeoDataFrame.from_features(fc["features"], crs="EPSG:4326")
    if not len(frame):
        frame = record.sites_frame()
    return fc, frame


def _write_all(record: ScenarioRecord, paths: dict[str, Path], report: Callable) -> None:
    """Write the four files of :data:`EXPORT_FILES` to ``paths[file name]``."""
    fc, frame = export_sites(record)
    if len(frame):
        frame.to_file(paths["sites.gpkg"], layer="sites", driver="GPKG", engine="pyogrio")
    else:
        # An empty layer still needs a schema; write a point layer with the kind column.
        frame.set_geometry(frame.geometry.astype("geometry")).to_file(
            paths["sites.gpkg"],
            layer="sites",
            driver="GPKG",
            engine="pyogrio",
            geometry_type="Point",
        )
    paths["sites.geojson"].write_text(
        json.dumps(fc, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    table = before_after_table(record.results)
    # Category labels and metric ids may come from users: no spreadsheet formulas in the CSV.
    csv_safe_frame(table).to_csv(paths["results.csv"], index=False, encoding="utf-8-sig")
    paths["report.html"].write_text(report(record, table), encoding="utf-8")


def _rows(table: pd.DataFrame) -> Iterable[Any]:
    """The table's rows as named tuples (columns by name)."""
    return table.itertuples(index=False)


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return html_text(value)


def sites_svg(record: ScenarioRecord, *, width: int = 640, height: int = 420) -> str:
    """An inline SVG sketch of the site positions (equirectangular, north up, scale bar in metres)."""
    frame = record.sites_frame()
    pad = 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="sites">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fafafa" stroke="#999"/>',
    ]
    if len(frame) == 0:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">无选址点 No sites</text>'
        )
        parts.append("</svg>")
        return "\n".join(parts)
    pts = frame.geometry.representative_point()
    lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    lat0 = float((lat.min() + lat.max()) / 2)
    kx = math.cos(math.radians(lat0))  # degrees of longitude shrink with latitude
    xs, ys = (lon - lon.min()) * kx, lat - lat.min()
    span = max(float(xs.max()), float(ys.max()), 1e-6)
    scale = min(width - 2 * pad, height - 2 * pad) / span  # px per (scaled) degree
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        px, py = pad + x * scale, height - pad - y * scale
        kind = str(frame["kind"].iloc[i])
        colour, label = _KIND_STYLE.get(kind, ("#555", kind))
        title = html_text(
            f"{label} {frame['name'].iloc[i] if 'name' in frame else ''} "
            f"({lon[i]:.6f}, {lat[i]:.6f})".strip()
        )
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="6" fill="{colour}" stroke="#fff">'
            f"<title>{title}</title></circle>"
        )
        parts.append(f'<text x="{px + 8:.1f}" y="{py - 8:.1f}" font-size="11">{i + 1}</text>')
    # Scale bar: a round number of metres about a quarter of the drawing wide.
    metres_per_px = 111_320.0 / scale
    target = metres_per_px * (width - 2 * pad) / 4
    bar_m = 10 ** math.floor(math.log10(target)) if target > 0 else 1
    for mult in (5, 2):
        if bar_m * mult <= target:
            bar_m *= mult
            break
    bar_px = bar_m / metres_per_px
    y0 = height - 12
    parts.append(
        f'<line x1="{pad}" y1="{y0}" x2="{pad + bar_px:.1f}" y2="{y0}" stroke="#000" stroke-width="2"/>'
    )
    bar_text = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    parts.append(f'<text x="{pad + bar_px + 6:.1f}" y="{y0 + 4}" font-size="11">{bar_text}</text>')
    parts.append(f'<text x="{width - 20}" y="24" font-size="14" text-anchor="middle">N ↑</text>')
    ly = 16
    for colour, label in _KIND_STYLE.values():
        parts.append(f'<circle cx="{pad}" cy="{ly}" r="5" fill="{colour}"/>')
        parts.append(f'<text x="{pad + 10}" y="{ly + 4}" font-size="11">{html_text(label)}</text>')
        ly += 16
    parts.append("</svg>")
    return "\n".join(parts)


def report_html(record: ScenarioRecord, table: pd.DataFrame | None = None) -> str:
    """A self-contained printable HTML report of ``record`` (no scripts, no external files)."""
    table = before_after_table(record.results) if table is None else table
    esc = html_text
    when = lambda t: t.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if t else ""  # noqa: E731
    category = _category_label(record.category) if record.category else "全部类别 All categories"
    rows_meta = [
        ("方案名称 Scenario", esc(record.name)),
        ("类别 Category", esc(category)),
        ("作者 Author", esc(record.author or "")),
        ("创建时间 Created", when(record.created_at)),
        ("更新时间 Updated", when(record.updated_at)),
        ("导出时间 Exported", when(datetime.now(UTC))),
    ]
    params_rows = (
        "".join(
            f"<tr><th>{esc(str(k))}</th><td>{esc(json.dumps(v, ensure_ascii=False))}</td></tr>"
            for k, v in record.params.items()
        )
        or '<tr><td colspan="2">—</td></tr>'
    )
    frame = record.sites_frame()
    pts = frame.geometry.representative_point()
    site_rows = []
    extra = [c for c in frame.columns if c not in ("geometry", "kind")]
    for i in range(len(frame)):
        kind = str(frame["kind"].iloc[i])
        cells = "".join(f"<td>{_fmt(frame[c].iloc[i])}</td>" for c in extra)
        site_rows.append(
            f"<tr><td>{i + 1}</td><td>{esc(_KIND_STYLE.get(kind, ('', kind))[1])}</td>"
            f"<td>{pts.iloc[i].x:.6f}</td><td>{pts.iloc[i].y:.6f}</td>{cells}</tr>"
        )
    site_head = "".join(f"<th>{esc(str(c))}</th>" for c in extra)
    ba_rows = (
        "".join(
            "<tr>"
            + f"<td>{esc(r.label)}</td><td>{esc(r.metric)}</td>"
            + "".join(
                f'<td class="n">{_fmt(v)}</td>' for v in (r.before, r.after, r.change, r.value)
            )
            + "</tr>"
            for r in _rows(table)
        )
        or '<tr><td colspan="6">无结果 No results</td></tr>'
    )
    meta = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows_meta)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{esc(record.name)} — gisplan 方案报告 Scenario report</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.15em; margin-top: 1.5em; }}
@media print {{ body {{ margin: 1cm; }} h2 {{ page-break-after: avoid; }} }}
</style>
</head>
<body>
<h1>方案报告 Scenario report: {esc(record.name)}</h1>
<table>{meta}</table>
<h2>参数 Parameters</h2>
<table>{params_rows}</table>
<h2>选址点 Sites</h2>
{sites_svg(record)}
<table><tr><th>#</th><th>类型 Kind</th><th>经度 Lon</th><th>纬度 Lat</th>{site_head}</tr>
{"".join(site_rows) or '<tr><td colspan="4">—</td></tr>'}</table>
<h2>前后对比 Before / after</h2>
<table><tr><th>类别 Category</th><th>指标 Metric</th><th>之前 Before</th><th>之后 After</th>
<th>变化 Change</th><th>数值 Value</th></tr>
{ba_rows}</table>
<p>坐标为 WGS-84 经纬度；示意图为等距圆柱投影草图，非底图。
Coordinates are WGS-84 lon/lat; the sketch is an equirectangular drawing, not a basemap.</p>
</body>
</html>
"""
