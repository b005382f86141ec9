"""Prepared datasets uploaded by planners: where they are kept, quotas and clean-up.

A prepared dataset uploaded in the app is kept under its content hash in
``<cache dir>/uploads/<hash>.gpkg``, so reopening it (by the same planner, in a later session
or after a restart) finds its network and distances in the disk cache
(:mod:`gisplan.dataset.model_cache`).  Without bounds a few planners could fill the server's
disk, so :class:`UploadedDatasets` keeps an index (``index.json``: per file its size, name,
owners and when each owner last used it) and enforces :class:`DatasetQuota`:

- **per planner**: at most ``user_count`` datasets and ``user_mb`` megabytes.  A new upload
  that would go over removes that planner's own least recently used datasets first (the
  message names them); a single file larger than ``user_mb`` is refused;
- **whole server**: at most ``total_count`` datasets and ``total_mb`` megabytes.  Datasets
  nobody has used for ``idle_hours`` may be removed (least recently used first) to make room;
  when that is not enough the upload is refused with a message that says why and what to do;
- datasets nobody has used for ``keep_days`` are removed at the next upload.

A file shared by several planners (same content hash) is stored once and counts for each of
them; it is deleted when its last owner's claim is removed, together with its model-cache
entry.  Sizes are megabytes (10^6 bytes).  Every change holds a file lock and writes the index
atomically, so concurrent uploads from several server processes do not lose entries.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gisplan.errors import InputError
from gisplan.settings import (
    ENV_DATASET_QUOTA_IDLE_HOURS,
    ENV_DATASET_QUOTA_KEEP_DAYS,
    ENV_DATASET_QUOTA_TOTAL_COUNT,
    ENV_DATASET_QUOTA_TOTAL_MB,
    ENV_DATASET_QUOTA_USER_COUNT,
    ENV_DATASET_QUOTA_USER_MB,
)

__all__ = ["DatasetQuota", "QuotaError", "UploadedDatasets", "StoredUpload"]

_MB = 1_000_000


class QuotaError(InputError):
    """An uploaded dataset does not fit the quota (the message says which and what to do)."""


@dataclass(frozen=True)
class DatasetQuota:
    """Bounds on uploaded prepared datasets (:mod:`gisplan.settings` lists the variables).

    Attributes
    ----------
    user_count : int
        Datasets one planner may keep.
    user_mb : float
        Megabytes one planner may keep (also the largest single dataset).
    total_count : int
        Datasets the server keeps for all planners together.
    total_mb : float
        Megabytes the server keeps for all planners together.
    idle_hours : float
        A dataset unused this long may be removed to make room for another planner's upload.
    keep_days : float
        A dataset unused this long is removed at the next upload.
    """

    user_count: int = 5
    user_mb: float = 500.0
    total_count: int = 50
    total_mb: float = 5000.0
    idle_hours: float = 24.0
    keep_days: float = 30.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DatasetQuota:
        """The quota with the environment variables of :mod:`gisplan.settings` applied (positive numbers)."""
        env = os.environ if environ is None else environ
        values: dict[str, float] = {}
        for name, attr in (
            (ENV_DATASET_QUOTA_USER_COUNT, "user_count"),
            (ENV_DATASET_QUOTA_USER_MB, "user_mb"),
            (ENV_DATASET_QUOTA_TOTAL_COUNT, "total_count"),
            (ENV_DATASET_QUOTA_TOTAL_MB, "total_mb"),
            (ENV_DATASET_QUOTA_IDLE_HOURS, "idle_hours"),
            (ENV_DATASET_QUOTA_KEEP_DAYS, "keep_days"),
        ):
            raw = env.get(name, "").strip()
            if not raw:
                continue
            try:
                value = float(raw)
            except ValueError:
                value = float("nan")
            if not value > 0 or value == float("inf"):
                raise InputError(
                    f"{name}={raw!r} is not a positive number",
                    field=name,
                    hint="e.g. 500",
                    code="upload.bad_setting",
                )
            values[attr] = int(value) if attr.endswith("_count") else value
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class StoredUpload:
    """One uploaded dataset file: its name, size (bytes) and owners' last use (Unix seconds)."""

    content_hash: str
    name: str
    size: int
    created: float
    owners: dict[str, float] = field(default_factory=dict)

    @property
    def last_used(self) -> float:
        """When any owner last used it (Unix seconds; its upload time when it has none)."""
        return max(self.owners.values(), default=self.created)


class UploadedDatasets:
    """The folder of uploaded prepared datasets and its index (see the module docstring).

    Parameters
    ----------
    folder : path
        Where the files and ``index.json`` live (the app uses ``<cache dir>/uploads``).
    quota : DatasetQuota, optional
        Default :meth:`DatasetQuota.from_env`.
    clock : callable, optional
        Current time in Unix seconds (tests pass their own).
    """

    def __init__(self, folder: str | os.PathLike, quota: DatasetQuota | None = None, clock=None):
        self.folder = Path(folder)
        self.quota = quota or DatasetQuota.from_env()
        self.clock = clock or time.time

    # -- files and index -------------------------------------------------------------------
    def path(self, content_hash: str) -> Path:
        """Where the dataset with ``content_hash`` is kept (64 hex characters)."""
        if len(content_hash) != 64 or not all(c in "0123456789abcdef" for c in content_hash):
            raise InputError("the uploaded dataset has no valid content hash", field="content_hash")
        return self.folder / f"{content_hash}.gpkg"

    @contextmanager
    def _locked(self) -> Iterator[dict[str, StoredUpload]]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                index = self._read_index()
                yield index
                self._write_index(index)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_index(self) -> dict[str, StoredUpload]:
        try:
            raw = json.loads((self.folder / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        index = {}
        for h, e in raw.items() if isinstance(raw, dict) else ():
            try:
                index[h] = StoredUpload(
                    content_hash=h,
                    name=str(e["name"]),
                    size=int(e["size"]),
                    created=float(e["created"]),
                    owners={str(u): float(t) for u, t in dict(e["owners"]).items()},
                )
            except (KeyError, TypeError, ValueError):
                continue  # a damaged entry: its file is left for _sweep to remove
        return index

    def _write_index(self, index: dict[str, StoredUpload]) -> None:
        from gisplan.io.atomic import atomic_write_text

        data = {
            h: {"name": e.name, "size": e.size, "created": e.created, "owners": e.owners}
            for h, e in index.items()
        }
        atomic_write_text(self.folder / "index.json", json.dumps(data, ensure_ascii=False))

    def _delete(self, index: dict[str, StoredUpload], content_hash: str) -> None:
        index.pop(content_hash, None)
        self.path(content_hash).unlink(missing_ok=True)
        _forget_model(content_hash)

    def _sweep(self, index: dict[str, StoredUpload], now: float) -> list[str]:
        """Remove datasets unused for ``keep_days`` and files the index does not know."""
        removed = []
        for h, e in list(index.items()):
            if now - e.last_used > self.quota.keep_days * 86400 or not e.owners:
                removed.append(e.name)
                self._delete(index, h)
        for p in self.folder.glob("*.gpkg"):
            if p.stem not in index and now - p.stat().st_mtime > 3600:
                p.unlink(missing_ok=True)  # left by an interrupted upload, or not indexed
        return removed

    # -- what the app calls ----------------------------------------------------------------
    def add(self, data: bytes, content_hash: str, name: str, user: str) -> tuple[Path, list[str]]:
        """Keep ``data`` (a checked prepared dataset) for ``user``.

        Returns its path and the names of the datasets removed to make room.  Raises :class:`QuotaError` when it cannot fit (nothing is changed then).
        """
        from gisplan.io.atomic import atomic_write_bytes

        q = self.quota
        size = len(data)
        target = self.path(content_hash)
        if size > q.user_mb * _MB or size > q.total_mb * _MB:
            limit = min(q.user_mb, q.total_mb)
            var = (
                ENV_DATASET_QUOTA_USER_MB if q.user_mb <= q.total_mb else ENV_DATASET_QUOTA_TOTAL_MB
            )
            raise QuotaError(
                f"the dataset {name!r} is {size / _MB:.1f} MB; uploaded datasets may be at most "
                f"{limit:g} MB each on this server",
                field=var,
                hint="clip it to a smaller area (gisplan prepare --clip or --bbox), or ask the "
                f"administrator to raise {var}",
            )
        now = self.clock()
        with self._locked() as index:
            removed = self._sweep(index, now)
            entry = index.get(content_hash)
            if entry is not None and user in entry.owners:
                entry.owners[user] = now
                if not target.exists():
                    atomic_write_bytes(target, data)
                return target, removed
            # this planner's own least recently used datasets make room first
            mine = sorted(
                (e for e in index.values() if user in e.owners), key=lambda e: e.owners[user]
            )
            while mine and (
                len(mine) + 1 > q.user_count or sum(e.size for e in mine) + size > q.user_mb * _MB
            ):
                old = mine.pop(0)
                del old.owners[user]
                removed.append(old.name)
                if not old.owners:
                    self._delete(index, old.content_hash)
            # then datasets nobody has used for idle_hours, least recently used first
            new_file = content_hash not in index
            extra = size if new_file else 0

            def over() -> bool:
                count = len(index) + (1 if new_file else 0)
                return count > q.total_count or sum(e.size for e in index.values()) + extra > (
                    q.total_mb * _MB
                )

            idle = sorted(
                (
                    e
                    for e in index.values()
                    if e.content_hash != content_hash and now - e.last_used >= q.idle_hours * 3600
                ),
                key=lambda e: e.last_used,
            )
            while over() and idle:
                old = idle.pop(0)
                removed.append(old.name)
                self._delete(index, old.content_hash)
            if over():
                used = sum(e.size for e in index.values()) / _MB
                raise QuotaError(
                    f"the server's space for uploaded datasets is full ({len(index)} datasets, "
                    f"{used:.0f} of {q.total_mb:g} MB, at most {q.total_count}); the others were "
                    f"used within the last {q.idle_hours:g} hours and are kept",
                    field=ENV_DATASET_QUOTA_TOTAL_MB,
                    hint="try again later, or ask the administrator to raise "
                    f"{ENV_DATASET_QUOTA_TOTAL_MB} / {ENV_DATASET_QUOTA_TOTAL_COUNT}",
                )
            if new_file:
                atomic_write_bytes(target, data)
                index[content_hash] = StoredUpload(content_hash, name, size, now, {})
            elif not target.exists():
                atomic_write_bytes(target, data)
            index[content_hash].owners[user] = now
        return target, removed

    def touch(self, content_hash: str, user: str) -> bool:
        """Record that ``user`` opened the dataset now; False when it is no longer kept."""
        with self._locked() as index:
            entry = index.get(content_hash)
            if entry is None or user not in entry.owners:
                return False
            entry.owners[user] = self.clock()
            return True

    def owned(self, user: str) -> list[StoredUpload]:
        """The datasets kept for ``user``, most recently used first."""
        with self._locked() as index:
            mine = [e for e in index.values() if user in e.owners]
        return sorted(mine, key=lambda e: -e.owners[user])

    def usage(self) -> tuple[int, int]:
        """Datasets kept and their total size in bytes."""
        with self._locked() as index:
            return len(index), sum(e.size for e in index.values())


def _forget_model(content_hash: str) -> None:
    """Remove the model-cache entry built for a removed upload (default standard)."""
    try:
        from gisplan.catalogue import default_standard
        from gisplan.dataset.model_cache import entry_path, model_key

        std = default_standard()
        entry = entry_path(model_key(content_hash, list(std.ids), std.max_snap_distance_m))
        shutil.rmtree(entry, ignore_errors=True)
    except Exception:  # noqa: BLE001 - clean-up is best effort; the cache has its own checks
        pass
