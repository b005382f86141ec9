"""Checks every reader runs on hostile input before trusting it.

- :func:`check_json_depth`: a JSON document nested deeper than a fixed depth is refused
  before a parser recurses into it (Python's ``json`` raises ``RecursionError`` at about a
  thousand levels; GeoJSON needs fewer than ten).
- :func:`nonfinite_positions`: features whose coordinates include NaN or ±infinity (GDAL
  accepts ``[NaN, 29.87]`` in GeoJSON; GEOS fails on it later, far from the file).
- :func:`utf16_encoding`: UTF-16 text without a byte-order mark, recognised by its NUL
  bytes, so that it is decoded instead of being read as UTF-8 full of NULs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import shapely

from gisplan.errors import InputError

__all__ = [
    "MAX_JSON_DEPTH",
    "check_json_depth",
    "check_osm_xml_coordinates",
    "nonfinite_positions",
    "utf16_encoding",
]

#: Deepest nesting of arrays and objects accepted in a JSON file (a FeatureCollection of
#: MultiPolygons is 7 deep; properties may hold small nested objects).
MAX_JSON_DEPTH = 64


def check_json_depth(
    source: str | os.PathLike | bytes, *, max_depth: int = MAX_JSON_DEPTH, name: str | None = None
) -> int:
    """The nesting depth of a JSON text; InputError when it exceeds ``max_depth``.

    Brackets inside strings are skipped (escapes honoured).  Reads the file in one pass
    without parsing it, so a hostile file costs linear time and no recursion.
    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        file = name
    else:
        file = name or str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read the file ({exc.strerror or exc})", file=file, code="file.unreadable"
            ) from None
    # Strings may hold any bracket: drop them, then depth = running sum of +1 per opening
    # and -1 per closing bracket (numpy; linear in the file size).
    skeleton = _STRING.sub(b"", data).translate(None, _NOT_BRACKET)
    step = np.frombuffer(skeleton, dtype=np.uint8)
    delta = np.where((step == 0x5B) | (step == 0x7B), 1, -1).astype(np.int32)
    deepest = int(np.cumsum(delta).max()) if len(delta) else 0
    if deepest > max_depth:
        raise InputError(
            f"the JSON is nested more than {max_depth} levels deep",
            file=file,
            hint="GeoJSON needs only a few levels; export the layer again "
            "(QGIS: Export > Save Features As > GeoJSON)",
            code="upload.too_deep",
        )
    return deepest


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def nonfinite_positions(geometries) -> np.ndarray:
    """Positions (0-based) of geometries with a NaN or infinite coordinate (x, y or z)."""
    geoms = np.asarray(geometries, dtype=object)
    if not len(geoms):
        return np.zeros(0, dtype=int)
    coords, index = shapely.get_coordinates(geoms, include_z=True, return_index=True)
    bad = ~np.isfinite(coords[:, :2]).all(axis=1)
    if coords.shape[1] > 2:
        # A missing z is NaN in shapely's output for 2D geometries: only x and y count
        # there; a z that is infinite does count.
        bad |= np.isinf(coords[:, 2])
    return np.unique(index[bad])


def utf16_encoding(data: bytes) -> str:
    """``"utf-16-le"`` / ``"utf-16-be"`` when ``data`` looks like UTF-16 without a BOM, else "".

    Text in UTF-16 has a NUL in every other byte for ASCII (and most CSV structure is
    ASCII: separators, digits, newlines); UTF-8 and GB18030 text never contains NUL.
    """
    sample = data[:65536]
    if len(sample) < 4 or b"\x00" not in sample:
        return ""
    sample = sample[: len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    n = len(even)
    zeros_even, zeros_odd = even.count(0), odd.count(0)
    if zeros_odd > 0.3 * n and zeros_even < 0.05 * n:
        candidate = "utf-16-le"
    elif zeros_even > 0.3 * n and zeros_odd < 0.05 * n:
        candidate = "utf-16-be"
    else:
        return ""
    try:
        sample.decode(candidate)
    except UnicodeDecodeError:
        return ""
    return candidate


# A lat/lon attribute whose value is not a plain decimal number ("nan", "inf", "1e999", …).
_OSM_ODD_COORD = re.compile(rb"""\b(lat|lon)=(["'])(?![-+]?\d{1,3}(?:\.\d*)?\2)([^"']{0,40})\2""")
_OSM_NODE_ID = re.compile(rb"""<node\b[^>]*?\bid=["'](-?\d+)["']""")


def check_osm_xml_coordinates(path: str | os.PathLike) -> None:
    """Refuse an OSM XML file holding a node with a non-finite ``lat``/``lon`` (names the node).

    One regular-expression pass over the memory-mapped file (linear, no XML parsing); a value
    that is not a plain decimal (e.g. ``1e-3``) is accepted when it is a finite number.
    """
    import mmap

    path = Path(path)
    with open(path, "rb") as f:
        try:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # empty file: the reader says so
            return
        with mm:
            for m in _OSM_ODD_COORD.finditer(mm):
                value = m.group(3).decode("ascii", "replace")
                try:
                    if np.isfinite(float(value)):
                        continue
                except ValueError:
                    pass
                start = mm.rfind(b"<node", 0, m.start())
                node = _OSM_NODE_ID.match(mm, start) if start >= 0 else None
                which = f"node {node.group(1).decode()}" if node else "a node"
                raise InputError(
                    f"{which} has a coordinate that is not finite "
                    f"({m.group(1).decode()}={value!r})",
                    file=path,
                    field=m.group(1).decode(),
                    hint="the extract is damaged: download or export it again",
                )
