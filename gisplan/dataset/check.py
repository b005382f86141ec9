"""Check an uploaded prepared dataset in the bounded upload worker (:mod:`gisplan.io.upload`).

The worker (time, memory and CPU limits; GeoPackage opened read-only, views and virtual tables
refused beforehand) runs :func:`check_prepared`: the whole :func:`gisplan.dataset.open_dataset`
validation including the content hash.  Only what the server needs to offer the dataset
comes back (its communities and, in ``attrs``, its name, hash, flags and layer sizes); the
server then keeps the file, checked, under its content hash and opens it like a configured
dataset.
"""

from __future__ import annotations

import os

import geopandas as gpd

__all__ = ["check_prepared"]


def check_prepared(path: str | os.PathLike, **_options) -> dict[str, gpd.GeoDataFrame]:
    """Validate a prepared dataset; ``{"communities": ...}`` with the dataset's facts in ``attrs``.

    Raises :class:`gisplan.dataset.DatasetError` (an ``InputError``) naming what is wrong.
    """
    from gisplan.dataset.store import open_dataset

    ds = open_dataset(path)
    out = ds.communities[["id", "name", "population", "geometry"]].copy()
    out.attrs = {
        "dataset_name": ds.name,
        "content_hash": ds.content_hash,
        "synthetic": bool(ds.synthetic),
        "created": str(ds.metadata.get("created", "")),
        "communities": len(ds.communities),
        "amenities": len(ds.amenities),
        "nodes": int(ds.network.n_nodes),
        "circles": 0 if ds.circles is None else len(ds.circles),
    }
    return {"communities": out}
