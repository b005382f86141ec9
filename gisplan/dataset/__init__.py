"""Prepared datasets: one GeoPackage with everything an analysis needs.

- :func:`write_dataset` / :func:`open_dataset` (:mod:`gisplan.dataset.store`): write a
  :class:`gisplan.analysis.Dataset` atomically; open and validate one (nothing is written
  into the file).
- :mod:`gisplan.dataset.schema`: layers, columns, metadata keys, schema version.
- :mod:`gisplan.dataset.prepare`: ``gisplan prepare`` — OSM + POI exports + community lists
  (+ circles) into one dataset, with amenity merging (:mod:`~gisplan.dataset.merge`) and
  population estimates (:mod:`~gisplan.dataset.population`).
"""

from gisplan.dataset.schema import SCHEMA_VERSION, DatasetError
from gisplan.dataset.store import dataset_layers, open_dataset, read_metadata, write_dataset

__all__ = [
    "SCHEMA_VERSION",
    "DatasetError",
    "open_dataset",
    "read_metadata",
    "write_dataset",
    "dataset_layers",
]
