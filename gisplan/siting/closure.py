"""Closures: who loses coverage when existing amenities close (and relocations: close + open).

Closing amenity ``a`` of category ``c`` only changes distances inside ``a``'s *catchment*: the
network nodes whose nearest ``c`` amenity was ``a``. Every other node keeps its nearest
amenity and its distance. So a closure is computed incrementally:

1. a catchment index per category — for every node, which amenity is nearest — made once per
   :class:`~gisplan.access.coverage.AccessModel` by one multi-source search
   (:func:`catchment_index`, cached);
2. for the closed amenities' catchment ``R``: seeds at ``R``'s nodes from the neighbouring
   nodes outside it (their cached distance plus the connecting street) and from any other
   amenity of the category whose street ends in ``R``; one search over ``R`` alone gives the
   new distances and the new nearest amenity of every node of ``R``;
3. communities on a street touching ``R`` (or sharing a street with a closed amenity) read
   their new distance and nearest alternative from the street's ends, exactly as
   :func:`gisplan.access.walking.nearest_source_distances` does.

The result equals rebuilding the model without the closed amenities (tested). New sites
(``open_sites``, for a relocation) are then added with one search bounded by the threshold
(and by the farthest affected community, so that the nearest alternative is exact).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from gisplan.access.coverage import AccessModel
from gisplan.access.walking import nearest_source_distances
from gisplan.catalogue import CircleStandard
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.network.costs import edge_end_costs, same_edge_pairs, with_virtual_sources
from gisplan.network.snapping import Snapped, snap_points
from gisplan.siting.area import Area
from gisplan.siting.effect import Effect, effect_of
from gisplan.siting.plan import area_summary, threshold_m

__all__ = ["ClosureResult", "close_amenities", "catchment_index", "closure_geometry"]

_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TIE_M = 1e-6


def catchment_index(model: AccessModel, category: str) -> np.ndarray:
    """For every network node, the position of its nearest amenity of ``category``.

    Positions index ``model.amenity_snap[category]``; ``-1`` where none is reachable.
    Cached per model.
    """
    per_model = _INDEX.setdefault(model, {})
    if category in per_model:
        return per_model[category]
    snap = model.amenity_snap[category]
    net = model.network
    n = net.n_nodes
    owner = np.full(n, -1, dtype=np.int64)
    ends = edge_end_costs(net, snap)
    if len(ends.pos):
        k = len(ends.pos)
        group = np.concatenate([np.arange(k), np.arange(k)])
        graph = with_virtual_sources(net, group, ends.nodes(), ends.costs(), k)
        _, _, src = dijkstra(
            graph, directed=True, indices=n + np.arange(k), min_only=True, return_predecessors=True
        )
        src = src[:n]
        reached = src >= 0
        owner[reached] = ends.pos[src[reached] - n]
    per_model[category] = owner
    return owner


def _amenity_lookup(model: AccessModel) -> dict[str, tuple[str, int]]:
    """Amenity id → (category, position in ``model.amenity_snap[category]``)."""
    out = {}
    for c, snap in model.amenity_snap.items():
        for i, a in enumerate(snap.ids):
            out[str(a)] = (c, i)
    return out


def _reclose(
    model: AccessModel, category: str, closed_pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node distances and nearest amenity of ``category`` after closing ``closed_pos``.

    Returns ``(node_dist, owner, region)``: full arrays (copies) and the node indices of the
    closed amenities' catchment, the only nodes whose values changed.
    """
    net = model.network
    n = net.n_nodes
    snap = model.amenity_snap[category]
    dist = model.node_dist_m[category]
    owner = catchment_index(model, category)
    closed = np.zeros(len(snap), dtype=bool)
    closed[closed_pos] = True
    in_r = np.zeros(n, dtype=bool)
    in_r[owner >= 0] = closed[owner[owner >= 0]]
    region = np.flatnonzero(in_r)
    new_dist, new_owner = dist.copy(), owner.copy()
    if len(region) == 0:
        return new_dist, new_owner, region
    local = np.full(n, -1, dtype=np.int64)
    local[region] = np.arange(len(region))
    adj = net.adjacency
    deg = adj.indptr[region + 1] - adj.indptr[region]
    rows = np.repeat(region, deg)
    starts = np.repeat(adj.indptr[region], deg)
    k = starts + (np.arange(len(rows)) - np.repeat(np.cumsum(deg) - deg, deg))
    cols, w = adj.indices[k], adj.data[k]
    inner = in_r[cols]
    # seeds: (region node, metres, owner) from neighbours outside the region ...
    seed_node = [rows[~inner]]
    seed_d = [dist[cols[~inner]] + w[~inner]]
    seed_own = [owner[cols[~inner]]]
    # ... and from remaining amenities whose street ends in the region
    keep = snap.ok & ~closed
    ends = edge_end_costs(net, snap.subset(keep))
    pos = np.flatnonzero(keep)[ends.pos]
    for end, d in ((ends.u, ends.cost_u), (ends.v, ends.cost_v)):
        hit = in_r[end]
        seed_node.append(end[hit])
        seed_d.append(d[hit])
        seed_own.append(pos[hit])
    s_node = np.concatenate(seed_node)
    s_d = np.concatenate(seed_d)
    s_own = np.concatenate(seed_own)
    fin = np.isfinite(s_d)
    s_node, s_d, s_own = s_node[fin], s_d[fin], s_own[fin]
    m = len(region)
    sub = sp.csr_matrix(
        (w[inner], (local[rows[inner]], local[cols[inner]])), shape=(m + len(s_node),) * 2
    )
    seeds = sp.csr_matrix(
        (np.maximum(s_d, _TIE_M), (m + np.arange(len(s_node)), local[s_node])),
        shape=(m + len(s_node),) * 2,
    )
    graph = (sub + seeds).tocsr()
    new_dist[region] = np.inf
    new_owner[region] = -1
    if len(s_node):
        d, _, src = dijkstra(
            graph,
            directed=True,
            indices=m + np.arange(len(s_node)),
            min_only=True,
            return_predecessors=True,
        )
        d, src = d[:m], src[:m]
        reached = src >= 0
        new_dist[region[reached]] = d[reached]
        new_owner[region[reached]] = s_own[src[reached] - m]
    return new_dist, new_owner, region


def _nearest_with_owner(
    model: AccessModel,
    sources: Snapped,
    source_pos: np.ndarray,
    node_dist: np.ndarray,
    owner: np.ndarray,
    targets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Metres and nearest source (position) for the communities ``targets``.

    The street ends are read as :func:`nearest_source_distances` does (``sources``: the
    remaining amenities, ``source_pos`` their positions).
    """
    net = model.network
    tgt = model.community_snap.subset(targets)
    ends = edge_end_costs(net, tgt, with_offset=False)  # targets are all snapped
    cand_d = np.stack([node_dist[ends.u] + ends.cost_u, node_dist[ends.v] + ends.cost_v], axis=1)
    cand_o = np.stack([owner[ends.u], owner[ends.v]], axis=1)
    pick = np.argmin(cand_d, axis=1)
    rows = np.arange(len(targets))
    best = cand_d[rows, pick]
    who = cand_o[rows, pick]
    s_pos, t_pos, metres = same_edge_pairs(sources, tgt)
    if len(t_pos):
        top = (
            pd.DataFrame({"t": t_pos, "d": metres, "pos": source_pos[s_pos]})
            .sort_values("d", kind="stable")
            .drop_duplicates("t")
        )
        t = top["t"].to_numpy()
        closer = top["d"].to_numpy() < best[t]
        best[t[closer]] = top["d"].to_numpy()[closer]
        who[t[closer]] = top["pos"].to_numpy()[closer]
    off = tgt.offset_m
    who = np.where(np.isfinite(best), who, -1)
    return best + off, who


@dataclass(eq=False)
class ClosureResult:
    """Effect of closing amenities (and opening new sites).

    Attributes
    ----------
    closed : GeoDataFrame (EPSG:4326)
        The closed amenities: ``id``, ``name``, ``category``, ``lon``, ``lat``.
    opened : GeoDataFrame (EPSG:4326)
        New sites of the scenario (relocation): ``id``, ``name``, ``category``, ``lon``, ``lat``.
    effect : Effect
        Before/after per community for the changed categories (area / outside / all).
    affected : DataFrame
        One row per community and changed category whose walking minutes changed:
        ``id``, ``name``, ``population``, ``in_area``, ``category``, ``minutes_before``,
        ``minutes_after``, ``met_before``, ``met_after``, ``lost`` (within the threshold
        before, not after), ``gained``, ``completeness_before`` / ``_after``,
        ``complete_before`` / ``_after``, ``alternative_id``, ``alternative_name``
        (nearest amenity of the category after the change, a new site included; empty when
        none is reachable) and ``alternative_minutes``. Sorted: losses first, by population.
    area : Area or None
    time_s : float
    """

    closed: gpd.GeoDataFrame
    opened: gpd.GeoDataFrame
    effect: Effect
    affected: pd.DataFrame
    area: Area | None
    standard: CircleStandard
    synthetic: bool
    time_s: float
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def lost(self) -> pd.DataFrame:
        """Rows of :attr:`affected` that lose coverage of their category."""
        return self.affected[self.affected["lost"]]

    def summary(self) -> dict:
        """JSON-ready summary: closed / opened amenities, losses, before/after figures."""
        figs = self.effect.figures("all")
        lost = self.lost
        per_cat = {}
        for c in self.effect.categories:
            lc = lost[lost["category"] == c]
            per_cat[c] = {
                **figs["categories"][c],
                "population_total": figs["population"],
                "communities_losing": int(len(lc)),
                "people_losing": int(round(float(lc["population"].sum()))),
            }
        out = {
            "closed": self.closed.drop(columns="geometry").to_dict(orient="records"),
            "opened": self.opened.drop(columns="geometry").to_dict(orient="records"),
            "synthetic": self.synthetic,
            "total_population": figs["population"],
            "categories": per_cat,
            "communities_losing": int(lost["id"].nunique()),
            "people_losing": int(round(float(lost.drop_duplicates("id")["population"].sum()))),
            "complete_circles_before": figs["complete_circles_before"],
            "complete_circles_after": figs["complete_circles_after"],
            "complete_population_before": figs["complete_population_before"],
            "complete_population_after": figs["complete_population_after"],
            "no_longer_complete": figs["no_longer_complete"],
            "newly_complete": figs["newly_complete"],
            "time_s": round(self.time_s, 4),
            "timings_s": {k: round(v, 4) for k, v in self.timings_s.items()},
        }
        if self.area is not None:
            out["area"] = area_summary(self.area, self.effect, count_outside=True)
            out["area"].pop("objective_counts", None)
        return out


def _open_sites_snapped(model: AccessModel, open_sites: gpd.GeoDataFrame | None, standard):
    if open_sites is None or len(open_sites) == 0:
        empty = gpd.GeoDataFrame(
            {"id": [], "name": [], "category": [], "lon": [], "lat": []}, geometry=[], crs=WGS84
        )
        return empty, None
    if "category" not in open_sites.columns:
        raise InputError("new sites need a category", field="open.category", hint="e.g. wet_market")
    frame = open_sites.to_crs(WGS84).reset_index(drop=True)
    for c in frame["category"]:
        standard[c]
    n = len(frame)
    ids = (
        frame["id"].astype(str).to_numpy()
        if "id" in frame
        else np.array([f"new{i + 1}" for i in range(n)])
    )
    names = frame["name"].astype(str).to_numpy() if "name" in frame else ids.copy()
    snap = snap_points(
        model.network,
        frame.geometry,
        ids=ids.astype(object),
        max_distance_m=model.max_snap_distance_m,
        barriers=model.barriers,
    )
    if not snap.ok.all():
        bad = int(np.flatnonzero(~snap.ok)[0])
        raise InputError(
            f"new site {ids[bad]} is more than {model.max_snap_distance_m:g} m from the walking network",
            field="open",
            row=bad,
            hint="place it on or next to a street",
            code="point.off_network",
            params={"limit": model.max_snap_distance_m, "water": model.barriers is not None},
        )
    out = gpd.GeoDataFrame(
        {
            "id": ids,
            "name": names,
            "category": frame["category"].astype(str).to_numpy(),
            "lon": np.round(frame.geometry.x.to_numpy(), 7),
            "lat": np.round(frame.geometry.y.to_numpy(), 7),
        },
        geometry=frame.geometry.values,
        crs=WGS84,
    )
    return out, snap


def close_amenities(
    model: AccessModel,
    standard: CircleStandard,
    amenity_ids: Sequence[str],
    *,
    open_sites: gpd.GeoDataFrame | None = None,
    area: Area | None = None,
    synthetic: bool | None = None,
) -> ClosureResult:
    """Close ``amenity_ids`` (ids of ``model.amenities``), optionally opening ``open_sites``.

    Parameters
    ----------
    amenity_ids : sequence of str
        Existing amenities to close (any categories).
    open_sites : GeoDataFrame, optional
        New sites (points, any CRS) with a ``category`` column and optional ``id``/``name``:
        together with the closures this is a relocation scenario.
    area : Area, optional
        Report figures for this planning area (and outside it) as well.

    Raises
    ------
    InputError
        Unknown amenity id (the message names it), or a new site off the network.
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    lookup = _amenity_lookup(model)
    ids = [str(a).strip() for a in amenity_ids]
    if not ids and (open_sites is None or len(open_sites) == 0):
        raise InputError("no amenity to close", field="amenity", hint="give --amenity ID")
    unknown = [a for a in ids if a not in lookup]
    if unknown:
        sample = ", ".join(list(lookup)[:5])
        raise InputError(
            f"no amenity with id {unknown[0]!r}",
            field="amenity",
            hint=f"use an id of the amenities layer (e.g. {sample})",
        )
    by_cat: dict[str, list[int]] = {}
    for a in dict.fromkeys(ids):
        c, p = lookup[a]
        by_cat.setdefault(c, []).append(p)
    opened, open_snap = _open_sites_snapped(model, open_sites, standard)
    cats = list(dict.fromkeys([*by_cat, *opened["category"]]))

    comm_ids = model.communities["id"].to_numpy()
    base = model.distances_m.reindex(comm_ids)
    after: dict[str, np.ndarray] = {}
    alt_pos: dict[str, np.ndarray] = {}
    changed: dict[str, np.ndarray] = {}
    for c in cats:
        d_after = base[c].to_numpy(dtype=float).copy()
        who = np.full(len(comm_ids), -2, dtype=np.int64)  # -2: not recomputed
        touched = np.zeros(len(comm_ids), dtype=bool)
        if c in by_cat:
            t1 = time.perf_counter()
            catchment_index(model, c)
            timings[f"catchment_index_{c}"] = time.perf_counter() - t1
            t1 = time.perf_counter()
            touched = _close(model, c, np.asarray(by_cat[c], dtype=np.int64), d_after, who)
            timings[f"reclose_{c}"] = time.perf_counter() - t1
        if open_snap is not None and (opened["category"] == c).any():
            sel = np.flatnonzero(opened["category"].to_numpy() == c)
            fin = d_after[touched & np.isfinite(d_after)]
            limit = max(threshold_m(standard, c), float(fin.max()) if len(fin) else 0.0)
            d_after, better = _open(model, open_snap, sel, limit, d_after, who)
            touched = touched | better
        after[c] = d_after
        alt_pos[c] = who
        changed[c] = touched
    in_area = area.contains(model.communities) if area is not None else None
    effect = effect_of(model, standard, after, in_area=in_area)
    affected = _affected_table(model, standard, effect, after, alt_pos, changed, opened)
    closed = _closed_frame(model, ids)
    if synthetic is None:
        synthetic = model.network.source == "synthetic"
    return ClosureResult(
        closed=closed,
        opened=opened,
        effect=effect,
        affected=affected,
        area=area,
        standard=standard,
        synthetic=bool(synthetic),
        time_s=time.perf_counter() - t0,
        timings_s=timings,
    )


def _close(
    model: AccessModel, category: str, closed_pos: np.ndarray, d_after: np.ndarray, who: np.ndarray
) -> np.ndarray:
    """Close the amenities at ``closed_pos``: the communities whose distance may change.

    Their new distances (metres) and nearest remaining amenity (position) are written into
    ``d_after`` and ``who``; the search is bounded to the closed amenities' catchment.
    """
    net, cs = model.network, model.community_snap
    snap = model.amenity_snap[category]
    node_d, node_o, region = _reclose(model, category, closed_pos)
    in_r = np.zeros(net.n_nodes, dtype=bool)
    in_r[region] = True
    okc = cs.ok
    e = np.where(okc, cs.edge, 0)
    closed_edges = snap.edge[closed_pos]
    touched = okc & (
        in_r[net.edge_u[e]] | in_r[net.edge_v[e]] | np.isin(e, closed_edges[closed_edges >= 0])
    )
    tgt = np.flatnonzero(touched)
    keep = np.ones(len(snap), dtype=bool)
    keep[closed_pos] = False
    dd, oo = _nearest_with_owner(
        model, snap.subset(keep), np.flatnonzero(keep), node_d, node_o, tgt
    )
    d_after[tgt] = dd
    who[tgt] = oo
    return touched


def _open(
    model: AccessModel,
    open_snap: Snapped,
    sel: np.ndarray,
    limit: float,
    d_after: np.ndarray,
    who: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Open the new sites ``sel``: distances after, and which communities they serve better.

    One bounded search (``limit`` metres) per new site, to know which one is nearest; ``who``
    records new site ``s`` as ``-10 - s``.
    """
    net, cs = model.network, model.community_snap
    to_new = np.full(len(d_after), np.inf)
    for s in sel:
        dn = nearest_source_distances(net, open_snap.subset(np.array([s])), cs, limit_m=limit)
        nearer = np.nan_to_num(dn, nan=np.inf) < to_new
        to_new[nearer] = dn[nearer]
        who[nearer & (np.nan_to_num(dn, nan=np.inf) < np.nan_to_num(d_after, nan=np.inf))] = -10 - s
    better = np.nan_to_num(to_new, nan=np.inf) < np.nan_to_num(d_after, nan=np.inf)
    return np.where(np.isnan(d_after), d_after, np.where(better, to_new, d_after)), better


def _closed_frame(model: AccessModel, ids: list[str]) -> gpd.GeoDataFrame:
    am = model.amenities
    all_ids = am["id"].astype(str).to_numpy()
    order = {a: i for i, a in enumerate(dict.fromkeys(ids))}
    pos = np.flatnonzero(np.isin(all_ids, list(order)))
    pos = pos[np.argsort([order[a] for a in all_ids[pos]])]
    rows = am.iloc[pos]
    geom = gpd.GeoSeries(rows.geometry.values, crs=WGS84)
    return gpd.GeoDataFrame(
        {
            "id": all_ids[pos],
            "name": rows["name"].astype(str).to_numpy() if "name" in rows else "",
            "category": rows["category"].astype(str).to_numpy(),
            "lon": np.round(geom.x.to_numpy(), 7),
            "lat": np.round(geom.y.to_numpy(), 7),
        },
        geometry=geom.values,
        crs=WGS84,
    )


def _affected_table(
    model, standard, effect: Effect, after, alt_pos, changed, opened
) -> pd.DataFrame:
    t = effect.table
    parts = []
    mpm = standard.metres_per_minute
    for c, d_after in after.items():
        before = t[f"minutes_{c}_before"].to_numpy()
        aft = d_after / mpm
        diff = ~np.isclose(
            np.nan_to_num(before, nan=-1, posinf=1e300), np.nan_to_num(aft, nan=-1, posinf=1e300)
        )
        rows = np.flatnonzero(changed[c] & diff)
        snap = model.amenity_snap[c]
        who = alt_pos[c][rows]
        alt_id = np.full(len(rows), "", dtype=object)
        alt_name = np.full(len(rows), "", dtype=object)
        names = model.amenities.set_index(model.amenities["id"].astype(str))["name"].astype(str)
        has = who >= 0
        alt_id[has] = snap.ids[who[has]].astype(str)
        alt_name[has] = names.reindex(alt_id[has]).fillna("").to_numpy()
        new = who <= -10
        if new.any():
            k = -10 - who[new]
            alt_id[new] = opened["id"].to_numpy()[k]
            alt_name[new] = opened["name"].to_numpy()[k]
        mb = t[f"met_{c}_before"].to_numpy()[rows]
        ma = t[f"met_{c}_after"].to_numpy()[rows]
        parts.append(
            pd.DataFrame(
                {
                    "id": t["id"].to_numpy()[rows],
                    "name": t["name"].to_numpy()[rows],
                    "population": np.round(t["population"].to_numpy()[rows]).astype(np.int64),
                    "in_area": t["in_area"].to_numpy()[rows],
                    "category": c,
                    "minutes_before": np.round(before[rows], 2),
                    "minutes_after": np.round(aft[rows], 2),
                    "met_before": mb,
                    "met_after": ma,
                    "lost": mb & ~ma,
                    "gained": ma & ~mb,
                    "completeness_before": t["completeness_before"].to_numpy()[rows],
                    "completeness_after": t["completeness_after"].to_numpy()[rows],
                    "complete_before": t["complete_before"].to_numpy()[rows],
                    "complete_after": t["complete_after"].to_numpy()[rows],
                    "alternative_id": alt_id,
                    "alternative_name": alt_name,
                    "alternative_minutes": np.round(aft[rows], 2),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(out):
        out = out.sort_values(
            ["lost", "population", "id"], ascending=[False, False, True], kind="stable"
        ).reset_index(drop=True)
    return out


def closure_geometry(result: ClosureResult, model: AccessModel) -> gpd.GeoDataFrame:
    """The affected communities as points (EPSG:4326), for maps and exports.

    Columns: those of :attr:`ClosureResult.affected`.
    """
    pts = model.communities.set_index(model.communities["id"].astype(str)).geometry
    geom = pts.reindex(result.affected["id"].astype(str)).values
    return gpd.GeoDataFrame(result.affected.copy(), geometry=geom, crs=WGS84)
