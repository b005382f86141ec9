"""Atomic file output: write to a temporary file in the target folder, then rename.

A crash or an error while writing never leaves a half-written output behind.
:func:`atomic_paths` does the same for a set of files that belong together (``coverage.csv``,
``summary.json`` and ``coverage.gpkg``): all are written to temporary names first and renamed
only when every one is complete, with Ctrl-C and SIGTERM held back during the renames, so an
interruption leaves either the old set or the new one.  :func:`atomic_folder` does it for a
whole folder (cache entries): filled under a temporary sibling name, then renamed.

This is the one module that writes output files; every writer of the package goes through it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_paths",
    "atomic_folder",
    "atomic_write_text",
    "atomic_write_bytes",
]


def _temp_beside(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # let writers create it (some drivers refuse an existing empty file)
    return tmp_path


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the block (main thread only); they arrive after it."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def atomic_paths(targets: Mapping[str, str | os.PathLike]) -> Iterator[dict[str, Path]]:
    """Temporary paths beside a set of ``targets``; all renamed into place together, or none.

    Yields ``{key: temporary path}``.  When the block ends normally every temporary file is
    renamed onto its target (with SIGINT/SIGTERM held back, so an interruption cannot split
    the set); on any exception, Ctrl-C or SIGTERM included, every temporary file is removed
    and the targets are left as they were.
    """
    tmps: dict[str, Path] = {}
    try:
        for key, target in targets.items():
            tmps[key] = _temp_beside(Path(target))
        yield dict(tmps)
        with _interrupts_held():
            for key, target in targets.items():
                os.replace(tmps[key], target)
    except BaseException:
        for tmp in tmps.values():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is left untouched.
    The temporary name keeps the target's suffix so format drivers (GeoPackage, CSV) work.
    """
    target = Path(target)
    tmp_path = _temp_beside(target)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike, *, complete_marker: str) -> Iterator[Path]:
    """Yield a new temporary folder beside ``target``; rename it onto ``target`` on success.

    For cache entries that several processes may write at once: when ``target`` already
    holds ``complete_marker`` (a file written last), another writer finished first and its
    folder is kept; the temporary folder is removed in every case.  On any exception
    ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / complete_marker).exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def atomic_write_text(target: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding)


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
