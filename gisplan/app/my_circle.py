"""Streamlit glue of the residents' page "我的15分钟生活圈 / my 15-minute circle".

Nothing here analyses anything: the answer is :class:`gisplan.access.place_circle.CircleFinder`
(one bounded search per place). This module

- caches one :class:`CircleFinder` per dataset and standard (:func:`circle_finder`), on the
  access model the other pages already cache, so choosing a place never rebuilds anything;
- builds the search over the communities' names and pinyin initials, so that "gyhy" finds
  广园花园 (:class:`CommunitySearch`, :func:`community_search`, :func:`pinyin_initials`): once
  per dataset on the server; a search returns a few matches, so the browser never receives
  the whole list (20,000 names for a city);
- reads and writes the chosen place in the page URL (:class:`Place`, :func:`place_from_params`,
  :func:`place_params`): ``?c=<community id>`` or ``?at=<lon>,<lat>`` (WGS-84 degrees,
  5 decimals, about 1 m), so the address can be shared or bookmarked and reopens the place.

URL values are hostile input: they are clamped in length, parsed strictly and checked by the
engine (numbers, inside the dataset's area, near a street) before anything is searched.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
import streamlit as st

from gisplan.access.place_circle import CircleFinder
from gisplan.analysis import Dataset
from gisplan.catalogue import CircleStandard

__all__ = [
    "MAX_PARAM_CHARS",
    "MAX_QUERY_CHARS",
    "SEARCH_LIMIT",
    "CommunitySearch",
    "Place",
    "circle_finder",
    "community_labels",
    "community_search",
    "pinyin_initials",
    "place_from_params",
    "place_params",
    "warm_network",
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
        """Whether the place is a community of the data (else a tapped point)."""
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


#: Matches listed under the search box (a short list is all a phone shows anyway).
SEARCH_LIMIT = 8

#: Longest search text looked at (characters).
MAX_QUERY_CHARS = 40


@dataclass(frozen=True)
class CommunitySearch:
    """The communities of one dataset, searchable by name or pinyin initials.

    Built once per dataset (:func:`community_search`); a search looks only at these arrays and
    returns a few matches, so the page sends a short list to the browser, never every name.

    Attributes
    ----------
    ids : numpy.ndarray of str
        Community ids, ordered by label.
    labels : numpy.ndarray of str
        What a resident sees: the name, with the county (or the id) added where several
        communities share it, so that every label is distinct.
    names, initials : numpy.ndarray of str
        Lower-case names and pinyin initials (a second spelling after a space, where the
        name holds a character read two ways: :func:`pinyin_initials`).
    """

    ids: np.ndarray
    labels: np.ndarray
    names: np.ndarray
    initials: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def label(self, community_id: str) -> str | None:
        """The label of a community id (``None`` when the dataset has no such community)."""
        hit = np.flatnonzero(self.ids == str(community_id))
        return str(self.labels[hit[0]]) if len(hit) else None

    def find(self, query: str, limit: int = SEARCH_LIMIT) -> tuple[list[tuple[str, str]], int]:
        """Communities matching ``query``: up to ``limit`` ``(id, label)`` pairs, and the total.

        The query (case, spaces and punctuation ignored; at most :data:`MAX_QUERY_CHARS`
        characters) matches a name containing it or pinyin initials containing it
        ("gyhy", "hy"); names that start with it come first, then initials that start with
        it, then the rest, each by label.
        """
        q = _search_key(query)
        if not q:
            return [], 0
        in_name = np.char.find(self.names, q) >= 0
        in_initials = np.char.find(self.initials, q) >= 0
        hit = np.flatnonzero(in_name | in_initials)
        if not len(hit):
            return [], 0
        starts = np.char.startswith(self.names[hit], q)
        starts_initials = np.array(
            [any(w.startswith(q) for w in s.split()) for s in self.initials[hit]]
        )
        rank = np.where(starts, 0, np.where(starts_initials, 1, 2))
        order = hit[np.argsort(rank, kind="stable")][:limit]
        return [(str(self.ids[k]), str(self.labels[k])) for k in order], int(len(hit))


def _search_key(text: str) -> str:
    """Lower case, letters and digits only (Chinese characters are letters)."""
    return "".join(c for c in str(text)[:MAX_QUERY_CHARS].lower() if c.isalnum())


@st.cache_resource(show_spinner=False, max_entries=8)
def community_search(key: str, _dataset: Dataset) -> CommunitySearch:
    """The :class:`CommunitySearch` of a dataset (``key`` identifies it), built once."""
    comm = _dataset.communities
    names = comm["name"].astype(str).to_numpy()
    ids = comm["id"].astype(str).to_numpy()
    county = comm["county"] if "county" in comm.columns else None
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    labels = []
    for k, (cid, name) in enumerate(zip(ids, names, strict=True)):
        label = name
        if seen[name] > 1:
            extra = county.iloc[k] if county is not None and isinstance(county.iloc[k], str) else ""
            label = f"{name}（{extra} {cid}）" if extra else f"{name}（{cid}）"
        labels.append(label)
    order = np.argsort(np.array(labels, dtype=str), kind="stable")
    initials = [pinyin_initials(n, alternatives=True) for n in names]
    return CommunitySearch(
        ids=ids[order].astype(str),
        labels=np.array(labels, dtype=str)[order],
        names=np.array([_search_key(n) for n in names], dtype=str)[order],
        initials=np.array(initials, dtype=str)[order],
    )


def community_labels(key: str, dataset: Dataset) -> dict[str, str]:
    """Community id -> label, ordered by label (:attr:`CommunitySearch.labels`)."""
    index = community_search(key, dataset)
    return dict(zip(index.ids.tolist(), index.labels.tolist(), strict=True))


@st.cache_resource(show_spinner=False, max_entries=8)
def _finder(key: str, _model, _standard: CircleStandard) -> CircleFinder:
    return CircleFinder(_model, _standard)


@st.cache_resource(show_spinner=False, max_entries=8)
def _warming(key: str, _network) -> threading.Thread:
    thread = threading.Thread(
        target=_warm, args=(_network,), name=f"gisplan-warm-{key[:12]}", daemon=True
    )
    thread.start()
    return thread


def _warm(network) -> None:
    # Edge lines (rebuilt from the model cache on first use) and the spatial index over them:
    # ~2-3 s for a million edges, once per server.  Without this, a resident's first choice or
    # tap after a server start waited for them (3.0 s against 0.9 s after).
    network.edge_tree  # noqa: B018 (builds edge_geometry, then the STRtree, once)


def warm_network(key: str, dataset: Dataset) -> None:
    """Build the dataset's edge lines and their spatial index in the background, once per server.

    Called at the end of the page, when everything is drawn: the resident reads the page and
    types a name meanwhile, and the first choice or tap no longer waits for them.
    """
    from gisplan.app.state import access_model

    _warming(key, access_model(key, dataset).network)


def circle_finder(key: str, dataset: Dataset, standard: CircleStandard) -> CircleFinder:
    """The cached :class:`CircleFinder` of the dataset's cached access model."""
    from gisplan.app.state import access_model

    model = access_model(key, dataset)
    return _finder(f"{key}|{standard!r}", model, standard)
