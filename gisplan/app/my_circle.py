"""Streamlit glue of the residents' page "我的15分钟生活圈 / my 15-minute circle".

Nothing here analyses anything: the answer is :class:`gisplan.access.place_circle.CircleFinder`
(one bounded search per place). This module

- caches one :class:`CircleFinder` per dataset and standard (:func:`circle_finder`), on the
  access model the other pages already cache, so choosing a place never rebuilds anything;
- builds the type-ahead labels of the communities, with pinyin initials so that "gyhy"
  finds 广园花园 (:func:`community_labels`, :func:`pinyin_initials`);
- reads and writes the chosen place in the page URL (:class:`Place`, :func:`place_from_params`,
  :func:`place_params`): ``?c=<community id>`` or ``?at=<lon>,<lat>`` (WGS-84 degrees,
  5 decimals, about 1 m), so the address can be shared or bookmarked and reopens the place.

URL values are hostile input: they are clamped in length, parsed strictly and checked by the
engine (numbers, inside the dataset's area, near a street) before anything is searched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st

from gisplan.access.place_circle import CircleFinder
from gisplan.analysis import Dataset
from gisplan.catalogue import CircleStandard

__all__ = [
    "MAX_PARAM_CHARS",
    "Place",
    "circle_finder",
    "community_labels",
    "pinyin_initials",
    "place_from_params",
    "place_params",
]

#: Longest URL value read (characters); longer values are ignored as invalid.
MAX_PARAM_CHARS = 64


@dataclass(frozen=True)
class Place:
    """A chosen place: a community (``community_id``) or a tapped point (``lon``, ``lat``)."""

    community_id: str | None = None
    lon: float | None = None
    lat: float | None = None

    @property
    def is_community(self) -> bool:
        return self.community_id is not None


def place_from_params(params) -> tuple[Place | None, str | None]:
    """The place in URL query parameters, and the reason when they hold an invalid one.

    ``params`` is a mapping such as ``st.query_params``. ``c`` (a community id) wins over
    ``at`` (``lon,lat``). Returns ``(None, None)`` when the URL names no place, and
    ``(None, "c")`` or ``(None, "at")`` when the value is not valid.
    """
    cid = params.get("c")
    if cid is not None:
        cid = str(cid)
        ok = 0 < len(cid) <= MAX_PARAM_CHARS
        return (Place(community_id=cid), None) if ok else (None, "c")
    at = params.get("at")
    if at is None:
        return None, None
    lonlat = _lonlat(str(at))
    return (Place(lon=lonlat[0], lat=lonlat[1]), None) if lonlat else (None, "at")


def _lonlat(text: str) -> tuple[float, float] | None:
    """``"lon,lat"`` as two finite floats, or ``None``."""
    if len(text) > MAX_PARAM_CHARS or text.count(",") != 1:
        return None
    try:
        lon, lat = (float(p) for p in text.split(","))
    except ValueError:
        return None
    return (lon, lat) if math.isfinite(lon) and math.isfinite(lat) else None


def place_params(place: Place) -> dict[str, str]:
    """URL query parameters that reopen ``place`` (see :func:`place_from_params`)."""
    if place.is_community:
        return {"c": str(place.community_id)}
    return {"at": f"{place.lon:.5f},{place.lat:.5f}"}


#: Characters common in place names whose reading (and so initial) people type either way.
POLYPHONE_INITIALS: dict[str, str] = {
    "长": "cz",
    "重": "cz",
    "朝": "cz",
    "曾": "cz",
    "行": "hx",
    "厦": "sx",
    "乐": "ly",
    "藏": "cz",
    "会": "hk",
    "单": "ds",
    "都": "d",
    "石": "sd",
    "仇": "cq",
    "解": "jx",
}


def pinyin_initials(text: str, *, alternatives: bool = False) -> str:
    """Lower-case pinyin initials of the Chinese characters in ``text`` ("广园花园" -> "gyhy").

    Other characters (Latin letters, digits) are kept; spaces and punctuation dropped.
    With ``alternatives=True``, a second spelling follows (after a space) when the text holds
    a character people read two ways in place names (长: zhang / chang -> "zwxc cwxc";
    :data:`POLYPHONE_INITIALS`).
    """
    from pypinyin import Style, lazy_pinyin

    text = str(text)
    # the whole text at once: pypinyin reads phrases (重庆 -> chong qing)
    parts = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    spelled = ["".join(c for c in p.lower() if c.isalnum()) for p in parts]
    main = "".join(spelled)
    if not alternatives or len(parts) != len(text):
        return main
    other = [
        next((c for c in POLYPHONE_INITIALS.get(ch, "") if c != sp), sp)
        for ch, sp in zip(text, spelled, strict=True)
    ]
    other_s = "".join(other)
    return main if other_s == main else f"{main} {other_s}"


@st.cache_resource(show_spinner=False, max_entries=8)
def community_labels(key: str, _dataset: Dataset) -> dict[str, str]:
    """Community id -> type-ahead label ``"name · initials"`` (``key`` identifies the dataset).

    Names shared by several communities get their county (or id) added, so that every
    label is distinct. Ordered by name.
    """
    comm = _dataset.communities
    names = comm["name"].astype(str).to_numpy()
    ids = comm["id"].astype(str).to_numpy()
    county = comm["county"] if "county" in comm.columns else None
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    labels = {}
    for k, (cid, name) in enumerate(zip(ids, names, strict=True)):
        label = name
        if seen[name] > 1:
            extra = county.iloc[k] if county is not None and isinstance(county.iloc[k], str) else ""
            label = f"{name}（{extra} {cid}）" if extra else f"{name}（{cid}）"
        initials = pinyin_initials(name, alternatives=True)
        labels[cid] = f"{label} · {initials}" if initials and initials != name.lower() else label
    return dict(sorted(labels.items(), key=lambda kv: kv[1]))


@st.cache_resource(show_spinner=False, max_entries=8)
def _finder(key: str, _model, _standard: CircleStandard) -> CircleFinder:
    return CircleFinder(_model, _standard)


def circle_finder(key: str, dataset: Dataset, standard: CircleStandard) -> CircleFinder:
    """The cached :class:`CircleFinder` of the dataset's cached access model."""
    from gisplan.app.state import access_model

    model = access_model(key, dataset)
    return _finder(f"{key}|{standard!r}", model, standard)
