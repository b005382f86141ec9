"""Files written by ``gisplan analyze``: coverage.csv, summary.json and coverage.gpkg.

The three files are a set: each is written to a temporary name in the output folder and all
are renamed only when every one is complete (:func:`gisplan.io.atomic.atomic_paths`), so an
error, Ctrl-C or SIGTERM leaves the previous set untouched and no temporary files.  Text cells
of the CSV are neutralised against spreadsheet formulas (:func:`gisplan.safetext.csv_safe_frame`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from gisplan.access.coverage import CoverageResult
from gisplan.io.atomic import atomic_paths
from gisplan.jsonsafe import json_value
from gisplan.labels import SYNTHETIC_NOTE
from gisplan.safetext import csv_safe_frame

__all__ = ["coverage_csv_frame", "write_analysis_outputs", "summary_table", "SYNTHETIC_NOTE"]


def coverage_csv_frame(result: CoverageResult) -> pd.DataFrame:
    """One row per community: id, name, population, county, minutes_<category>…, complete.

    Also ``business_district``, ``snapped``, ``completeness`` and ``missing``, and, when the
    communities say how their population was obtained, ``population_estimated`` (true for
    estimates) and ``population_method``. Minutes are
    walking minutes; empty when the community could not be joined to the network, ``inf``
    when no amenity of the category is reachable.
    """
    t = result.table
    cols = ["id", "name", "population"]
    cols += [c for c in ("population_estimated", "population_method") if c in t.columns]
    cols += [c for c in ("county", "business_district") if c in t.columns]
    cols += [f"minutes_{c}" for c in result.standard.ids]
    cols += ["complete", "completeness", "missing", "snapped"]
    cols += [c for c in ("source",) if c in t.columns]
    return pd.DataFrame(t[cols])


def write_analysis_outputs(
    result: CoverageResult,
    out_dir: str | Path,
    *,
    dataset_name: str,
    synthetic: bool,
    attribution: str = "",
    extra_summary: dict | None = None,
) -> dict[str, Path]:
    """Write ``coverage.csv``, ``summary.json`` and ``coverage.gpkg`` into ``out_dir``.

    Synthetic data is labelled in every file: ``source = synthetic`` on every row, a
    ``data_note`` column (CSV, GeoPackage) and a ``data_note`` key (summary). The CSV is
    UTF-8 with a byte-order mark so that Excel shows the Chinese names.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": out / "coverage.csv",
        "summary": out / "summary.json",
        "gpkg": out / "coverage.gpkg",
    }

    frame = coverage_csv_frame(result)
    if synthetic:
        frame["data_note"] = SYNTHETIC_NOTE
    frame = csv_safe_frame(frame)

    summary = result.summary()
    summary["dataset"] = dataset_name
    summary["attribution"] = attribution
    summary["data_note"] = SYNTHETIC_NOTE if synthetic else ""
    if extra_summary:
        summary.update(extra_summary)
    summary_text = json.dumps(json_value(summary), ensure_ascii=False, indent=2, allow_nan=False)

    gdf = result.table.copy()
    for c in gdf.columns:
        if c.startswith("minutes_"):
            gdf[c] = gdf[c].replace([np.inf, -np.inf], np.nan)
    if synthetic:
        if "source" not in gdf.columns:
            gdf["source"] = "synthetic"
        gdf["data_note"] = SYNTHETIC_NOTE
    with atomic_paths(paths) as tmp:
        frame.to_csv(tmp["csv"], index=False, encoding="utf-8-sig")
        tmp["summary"].write_text(summary_text, encoding="utf-8")
        gdf.to_file(tmp["gpkg"], layer="coverage", driver="GPKG")
    return paths


def summary_table(result: CoverageResult) -> str:
    """A readable plain-text summary: coverage per category and the circle count."""
    std = result.standard
    overall = result.population_coverage().iloc[0]
    lines = [
        f"{'类别 category':<34}{'阈值 min':>9}{'人口覆盖 pop. covered':>24}",
        "-" * 67,
    ]
    for c in std.categories:
        mark = "*" if c.required else " "
        label = f"{mark}{c.name_zh} {c.name_en}"
        lines.append(f"{label:<34}{c.minutes:>9g}{overall[c.id] * 100:>23.1f}%")
    lines.append("-" * 67)
    lines.append(f"{'完整生活圈 full standard (*)':<34}{'':>9}{overall['complete'] * 100:>23.1f}%")
    lines.append(
        f"达标小区 communities meeting the standard: {result.communities_complete} / {len(result.table)}"
    )
    cc = result.circle_coverage()
    if cc is None:
        lines.append(
            "完整生活圈 complete circles: 不可用 not available (no circles layer; 规划目标 plan "
            "target 50+ circles)"
        )
    else:
        lines.append(
            f"完整生活圈 complete circles: {cc.complete_count} / {cc.total} "
            f"(≥ {cc.level:.0%} of residents served; 规划目标 plan target: 50+)"
        )
    lines.append(f"居民 residents: {result.total_population:,}")
    if "population_estimated" in result.table.columns:
        est = result.table.loc[result.table["population_estimated"].astype(bool), "population"]
        if len(est):
            lines.append(
                f"  其中估算 of which estimated: {int(est.sum()):,} in {len(est):,} communities "
                "(see population_method)"
            )
    if result.unsnapped_communities:
        ids = ", ".join(map(str, result.unsnapped_communities[:10]))
        more = (
            ""
            if len(result.unsnapped_communities) <= 10
            else f" (+{len(result.unsnapped_communities) - 10} more)"
        )
        lines.append(f"未接入路网的小区 communities farther than the snapping limit: {ids}{more}")
    for cat, amenity_ids in result.unsnapped_amenities.items():
        lines.append(f"未接入路网的设施 {cat}: {', '.join(map(str, amenity_ids[:10]))}")
    return "\n".join(lines)
