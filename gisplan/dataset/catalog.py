"""Which datasets the app can open: the configured file, a folder of prepared datasets, the demo.

Configured by environment variables (set them in the server's environment, or start with
``gisplan app --data FILE.gpkg`` / ``--datasets-dir DIR``):

- ``GISPLAN_DATASET``: one prepared dataset (``.gpkg`` written by ``gisplan prepare``); the
  app opens it first;
- ``GISPLAN_DATASETS_DIR``: a folder whose ``*.gpkg`` prepared datasets are offered in the
  sidebar (only their metadata is read to list them).

The embedded synthetic demonstration dataset is always offered too (last when a dataset is
configured, first otherwise).  A file that cannot be read is listed with its error, so the
administrator sees why it is missing, and cannot be chosen.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gisplan import settings
from gisplan.errors import InputError

__all__ = [
    "ENV_DATASET",
    "ENV_DATASETS_DIR",
    "DEMO_ID",
    "DatasetEntry",
    "configured_datasets",
    "describe_file",
]

ENV_DATASET = settings.ENV_DATASET
ENV_DATASETS_DIR = settings.ENV_DATASETS_DIR
#: Id of the embedded synthetic demonstration dataset.
DEMO_ID = "demo"


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset the app can offer.

    Attributes
    ----------
    id : str
        ``"demo"`` or the dataset's content hash (stable across renames and copies).
    name : str
        The dataset's name (from its metadata), or the file name when unreadable.
    path : Path or None
        The prepared file; ``None`` for the demo.
    synthetic : bool
    content_hash : str
        Recorded content hash (``""`` for the demo and unreadable files).
    created : str
        When the file was prepared (ISO 8601), ``""`` when unknown.
    error : str
        Why the file cannot be opened (``""`` when it can).
    """

    id: str
    name: str
    path: Path | None = None
    synthetic: bool = False
    content_hash: str = ""
    created: str = ""
    error: str = ""

    @property
    def is_demo(self) -> bool:
        """Whether this is the embedded demonstration dataset."""
        return self.id == DEMO_ID

    @property
    def usable(self) -> bool:
        """Whether the dataset can be opened (no error was found in its metadata)."""
        return not self.error


DEMO_ENTRY = DatasetEntry(
    id=DEMO_ID,
    name="宁波三江口示例街区 Ningbo Sanjiangkou demonstration neighbourhood",
    synthetic=True,
)


def describe_file(path: str | os.PathLike) -> DatasetEntry:
    """A :class:`DatasetEntry` from a prepared file's metadata (no layer is read)."""
    from gisplan.dataset.store import read_metadata

    p = Path(path)
    try:
        meta = read_metadata(p)
    except InputError as exc:
        return DatasetEntry(id=f"error:{p}", name=p.name, path=p, error=str(exc))
    digest = meta.get("content_hash", "")
    return DatasetEntry(
        id=digest or f"file:{p}",
        name=meta.get("name") or p.stem,
        path=p,
        synthetic=meta.get("synthetic", "").lower() == "true",
        content_hash=digest,
        created=meta.get("created", ""),
    )


def configured_datasets(environ: Mapping[str, str] | None = None) -> list[DatasetEntry]:
    """The datasets configured for the app, the default (first usable one) first.

    Order: ``GISPLAN_DATASET``, then the folder's files by name, then the demo (first when
    nothing usable is configured).  A file listed twice (same content hash) appears once.
    """
    env = os.environ if environ is None else environ
    entries: list[DatasetEntry] = []
    single = env.get(ENV_DATASET, "").strip()
    if single:
        entries.append(describe_file(Path(single).expanduser()))
    folder = env.get(ENV_DATASETS_DIR, "").strip()
    if folder:
        d = Path(folder).expanduser()
        if d.is_dir():
            entries += [describe_file(p) for p in sorted(d.glob("*.gpkg"))]
        else:
            entries.append(
                DatasetEntry(
                    id=f"error:{d}",
                    name=d.name or str(d),
                    path=d,
                    error=f"{ENV_DATASETS_DIR}={d}: not a folder",
                )
            )
    seen: set[str] = set()
    unique = []
    for e in entries:
        if e.id in seen:
            continue
        seen.add(e.id)
        unique.append(e)
    if any(e.usable for e in unique):
        return [*unique, DEMO_ENTRY]
    return [DEMO_ENTRY, *unique]
