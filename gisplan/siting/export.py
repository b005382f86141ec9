"""Writing siting results: sites (GeoJSON + GeoPackage, EPSG:4326) and summary.json.

All files are first written to temporary files in the output folder and only renamed into
place once every one of them has been written (:func:`gisplan.io.atomic.atomic_paths`), so an
error never leaves a partial set.  :func:`scenario_payload` (and its joint-plan, closure and
hand-placed variants) builds the plain dict a scenario store can save; the layout of its
``results`` belongs to the store (:func:`gisplan.store.scenarios.scenario_results`).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd

from gisplan.crs import WGS84
from gisplan.io.atomic import atomic_paths
from gisplan.siting.plan import SitingResult
from gisplan.store.scenarios.results import scenario_results

__all__ = [
    "write_outputs",
    "write_site_files",
    "scenario_payload",
    "joint_scenario_payload",
    "closure_scenario_payload",
    "closure_sites",
    "write_closure_outputs",
    "scenario_payload_with_manual",
    "sites_geojson",
    "OUTPUT_FILES",
]

OUTPUT_FILES = ("sites.geojson", "sites.gpkg", "summary.json")


def sites_geojson(sites: gpd.GeoDataFrame) -> dict:
    """The sites as a GeoJSON FeatureCollection dict (EPSG:4326)."""
    return json.loads(sites.to_crs(WGS84).to_json(drop_id=True))


def _payload(
    category: str | None, params: dict, sites: dict, results: dict, name: str | None
) -> dict:
    """The fields of a :class:`gisplan.store.scenarios.ScenarioRecord` as a plain dict."""
    out = {"category": category, "params": params, "sites": sites, "results": results}
    return out if name is None else {"name": name, **out}


def scenario_payload(
    result: SitingResult, params: dict | None = None, *, name: str | None = None
) -> dict:
    """A plain, JSON-ready dict describing a siting run, for saving as a scenario.

    The keys match :class:`gisplan.store.scenarios.ScenarioRecord`, so
    ``ScenarioRecord(**scenario_payload(result, name="方案A"))`` can be saved:

    - ``name`` (only when given), ``category``;
    - ``params``: category, objective, k, candidate source, exact, threshold (metres),
      merged with ``params``;
    - ``sites``: GeoJSON FeatureCollection (EPSG:4326), every feature ``kind = "chosen"``;
    - ``results``: :meth:`SitingResult.summary` in the store's layout
      (:func:`gisplan.store.scenarios.scenario_results`:
      ``categories.<id>.covered_population_before`` / ``_after``, ``population_total``,
      ``complete_circles_before`` / ``_after``, the area's figures).
    """
    p = result.problem
    summary = result.summary()
    base = {
        "category": p.category,
        "objective": p.objective,
        "k": result.k,
        "candidate_source": p.candidates.kind,
        "exact": result.exact is not None,
        "threshold_m": round(p.threshold_m, 3),
    }
    base.update(params or {})
    results = scenario_results(
        summary,
        {p.category: _population_figures(summary, summary)},
        complete_circles=(
            summary["communities_complete_before"],
            summary["communities_complete_after"],
        ),
        area=summary.get("area"),
    )
    return _payload(p.category, base, sites_geojson(result.sites), results, name)


def _population_figures(summary: dict, figures: dict) -> dict:
    """Total people (``summary``) and people covered before/after (``figures``) of a category."""
    return {
        "population_total": summary["total_population"],
        "covered_population_before": figures["covered_population_before"],
        "covered_population_after": figures["covered_population_after"],
    }


def joint_scenario_payload(result, params: dict | None = None, *, name: str | None = None) -> dict:
    """Scenario payload (see :func:`scenario_payload`) of a joint plan.

    Of a :class:`gisplan.siting.joint.JointResult`: ``category`` is None (several),
    ``params`` hold the plan, ``results`` the per-category before/after figures, complete
    circles and the area's figures.
    """
    summary = result.summary()
    base = {
        "plan": dict(result.problem.counts),
        "objective": result.problem.objective,
        "candidate_source": result.problem.candidates.kind,
        "exact": result.exact is not None,
    }
    base.update(params or {})
    categories = {
        c: {
            **_population_figures(summary, f),
            "newly_served_population": f["newly_served_population"],
        }
        for c, f in summary["categories"].items()
    }
    results = scenario_results(summary, categories, area=summary.get("area"))
    return _payload(None, base, sites_geojson(result.sites), results, name)


def closure_sites(result) -> gpd.GeoDataFrame:
    """Closed amenities (``kind = "closed"``) and new sites (``"manual"``), EPSG:4326.

    Of a :class:`gisplan.siting.closure.ClosureResult`.
    """
    import pandas as pd

    closed = result.closed.assign(kind="closed")
    opened = result.opened.assign(kind="manual")
    frames = [f for f in (closed, opened) if len(f)]
    if not frames:
        return gpd.GeoDataFrame({"kind": []}, geometry=[], crs=WGS84)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)


def closure_scenario_payload(
    result, params: dict | None = None, *, name: str | None = None
) -> dict:
    """Scenario payload (see :func:`scenario_payload`) of a closure or relocation.

    Sites are the closed amenities (``kind = "closed"``) and new sites (``"manual"``);
    results the per-category before/after figures, people losing coverage and the area's
    figures.
    """
    summary = result.summary()
    cats = list(summary["categories"])
    base = {
        "closed": [r["id"] for r in summary["closed"]],
        "opened": [
            {"category": r["category"], "lon": r["lon"], "lat": r["lat"]} for r in summary["opened"]
        ],
    }
    base.update(params or {})
    results = scenario_results(summary, summary["categories"], area=summary.get("area"))
    category = cats[0] if len(cats) == 1 else None
    return _payload(category, base, sites_geojson(closure_sites(result)), results, name)


def write_closure_outputs(
    result, affected: gpd.GeoDataFrame, out_dir: str | Path, *, extra_summary: dict | None = None
) -> dict[str, Path]:
    """Write a closure's files at once (atomic).

    ``affected.geojson`` / ``affected.csv`` (the communities whose walking time changed,
    with the nearest alternative), ``sites.geojson`` (closed and new sites) and
    ``summary.json``.  The CSV's text cells are neutralised against spreadsheet formulas
    (:func:`gisplan.safetext.csv_safe_frame`).
    """
    from gisplan.safetext import csv_safe_frame

    out_dir = Path(out_dir)
    summary = result.summary()
    if extra_summary:
        summary.update(extra_summary)
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    names = ("affected.geojson", "affected.csv", "sites.geojson", "summary.json")
    targets = {n: out_dir / n for n in names}
    with atomic_paths(targets) as tmp:
        affected.to_crs(WGS84).to_file(tmp["affected.geojson"], driver="GeoJSON", engine="pyogrio")
        csv_safe_frame(affected.drop(columns="geometry")).to_csv(
            tmp["affected.csv"], index=False, encoding="utf-8-sig"
        )
        closure_sites(result).to_file(tmp["sites.geojson"], driver="GeoJSON", engine="pyogrio")
        tmp["summary.json"].write_text(text, encoding="utf-8")
    return targets


def scenario_payload_with_manual(
    model,
    standard,
    category: str,
    manual_sites: list[dict],
    *,
    result: SitingResult | None = None,
    params: dict | None = None,
    name: str,
) -> dict:
    """A scenario payload holding a run's chosen sites plus hand-placed (what-if) sites.

    Parameters
    ----------
    model : gisplan.access.coverage.AccessModel
    standard : gisplan.catalogue.CircleStandard
    category : str
        The category of the run (hand-placed sites of other categories are ignored).
    manual_sites : list of dict
        Hand-placed sites: ``lon``, ``lat`` (EPSG:4326), ``name``, ``gain`` (people newly
        served by that site alone) and ``category``.
    result : SitingResult, optional
        The siting run; without it the scenario holds hand-placed sites only.

    When hand-placed sites are present (or there is no run), every site of the scenario is
    evaluated together, so ``covered_population_after`` counts people served by chosen and
    hand-placed sites at once; the chosen-only figure is kept as
    ``covered_population_after_chosen_only``.
    """
    import numpy as np

    from gisplan.siting.candidates import candidates_from_points
    from gisplan.siting.plan import evaluate_sites

    if result is not None:
        payload = scenario_payload(result, params, name=name)
        category = result.problem.category
    else:
        empty = {"type": "FeatureCollection", "features": []}
        payload = _payload(category, dict(params or {}), empty, {}, name)
    features = list(payload["sites"]["features"])
    manual = [r for r in manual_sites if r["category"] == category]
    for r in manual:
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": "manual",
                    "name": r["name"],
                    "gain": r["gain"],
                    "rank": None,
                    "category": category,
                },
                "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            }
        )
    payload["sites"] = {"type": "FeatureCollection", "features": features}
    if (manual or result is None) and features:
        lonlat = np.array([f["geometry"]["coordinates"] for f in features], dtype=float)
        pts = gpd.GeoDataFrame(
            {"id": [f"S{i}" for i in range(len(lonlat))]},
            geometry=gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]),
            crs=WGS84,
        )
        cands = candidates_from_points(model, pts)
        ev, _ = evaluate_sites(model, standard, category, cands, np.flatnonzero(cands.snap.ok))
        summary = dict(payload["results"])
        if result is not None:
            summary["covered_population_after_chosen_only"] = result.evaluation[
                "covered_population_after"
            ]
        summary.update(ev)
        results = scenario_results(
            summary,
            {category: _population_figures(ev, ev)},
            complete_circles=(ev["communities_complete_before"], ev["communities_complete_after"]),
        )
        results["manual_sites"] = len(manual)
        payload["results"] = results
    return payload


def write_outputs(
    result: SitingResult, out_dir: str | Path, *, extra_summary: dict | None = None
) -> dict[str, Path]:
    """Write ``sites.geojson``, ``sites.gpkg`` (layer ``sites``) and ``summary.json``.

    Returns the written paths by file name. Nothing is renamed into ``out_dir`` unless all
    three files were written.
    """
    summary = result.summary()
    if extra_summary:
        summary.update(extra_summary)
    return write_site_files(result.sites, summary, out_dir)


def write_site_files(
    sites: gpd.GeoDataFrame, summary: dict, out_dir: str | Path
) -> dict[str, Path]:
    """Write ``sites.geojson``, ``sites.gpkg`` and ``summary.json`` all at once (atomic)."""
    out_dir = Path(out_dir)
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    sites = sites.to_crs(WGS84)
    targets = {name: out_dir / name for name in OUTPUT_FILES}
    with atomic_paths(targets) as tmp:
        sites.to_file(tmp["sites.geojson"], driver="GeoJSON", engine="pyogrio")
        sites.to_file(tmp["sites.gpkg"], driver="GPKG", layer="sites", engine="pyogrio")
        tmp["summary.json"].write_text(text, encoding="utf-8")
    return targets
