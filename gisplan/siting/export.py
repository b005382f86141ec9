"""Writing siting results: sites (GeoJSON + GeoPackage, EPSG:4326) and summary.json.

All files are first written to temporary files in the output folder and only renamed into
place once every one of them has been written, so an error never leaves a partial set.
:func:`scenario_payload` builds the plain dict a scenario store can save.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import geopandas as gpd

from gisplan.crs import WGS84
from gisplan.io.atomic import atomic_path
from gisplan.siting.plan import SitingResult

__all__ = [
    "write_outputs",
    "scenario_payload",
    "scenario_payload_with_manual",
    "sites_geojson",
    "OUTPUT_FILES",
]

OUTPUT_FILES = ("sites.geojson", "sites.gpkg", "summary.json")


def sites_geojson(sites: gpd.GeoDataFrame) -> dict:
    """The sites as a GeoJSON FeatureCollection dict (EPSG:4326)."""
    return json.loads(sites.to_crs(WGS84).to_json(drop_id=True))


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
    - ``results``: :meth:`SitingResult.summary` plus the store's before/after layout
      (``categories.<id>.covered_population_before`` / ``_after``, ``population_total``,
      ``complete_circles_before`` / ``_after``).
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
    results = dict(summary)
    results["categories"] = {
        p.category: {
            "population_total": summary["total_population"],
            "covered_population_before": summary["covered_population_before"],
            "covered_population_after": summary["covered_population_after"],
        }
    }
    results["complete_circles_before"] = summary["communities_complete_before"]
    results["complete_circles_after"] = summary["communities_complete_after"]
    out = {
        "category": p.category,
        "params": base,
        "sites": sites_geojson(result.sites),
        "results": results,
    }
    if name is not None:
        out = {"name": name, **out}
    return out


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
        payload = {
            "name": name,
            "category": category,
            "params": dict(params or {}),
            "results": {},
            "sites": {"type": "FeatureCollection", "features": []},
        }
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
        cands = candidates_from_points(
            model.network,
            pts,
            max_snap_distance_m=model.max_snap_distance_m,
            barriers=model.barriers,
        )
        ev, _ = evaluate_sites(model, standard, category, cands, np.flatnonzero(cands.snap.ok))
        results = dict(payload["results"])
        if result is not None:
            results["covered_population_after_chosen_only"] = result.evaluation[
                "covered_population_after"
            ]
        results.update(ev)
        results["categories"] = {
            category: {
                "population_total": ev["total_population"],
                "covered_population_before": ev["covered_population_before"],
                "covered_population_after": ev["covered_population_after"],
            }
        }
        results["complete_circles_before"] = ev["communities_complete_before"]
        results["complete_circles_after"] = ev["communities_complete_after"]
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
    out_dir = Path(out_dir)
    summary = result.summary()
    if extra_summary:
        summary.update(extra_summary)
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    sites = result.sites.to_crs(WGS84)
    targets = {name: out_dir / name for name in OUTPUT_FILES}
    with contextlib.ExitStack() as stack:
        tmp = {name: stack.enter_context(atomic_path(path)) for name, path in targets.items()}
        sites.to_file(tmp["sites.geojson"], driver="GeoJSON", engine="pyogrio")
        sites.to_file(tmp["sites.gpkg"], driver="GPKG", layer="sites", engine="pyogrio")
        tmp["summary.json"].write_text(text, encoding="utf-8")
    return targets
