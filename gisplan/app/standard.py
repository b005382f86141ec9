"""The circle standard in force in one app session: one standard for every page.

Planners change the walking speed, the thresholds and the required set on the coverage page;
the siting page, the what-if analysis and the public page use the same standard, and every
page shows it (:func:`standard_caption`).

Streamlit forgets a widget's value when a page that does not draw the widget runs, so the
standard is kept under its own session-state keys (``gisplan_std.*``), and the widgets are
seeded from them each time they are drawn (:func:`standard_controls`).
"""

from __future__ import annotations

import streamlit as st

from gisplan.catalogue import CircleStandard, default_standard
from gisplan.i18n import category_name, t

__all__ = ["session_standard", "standard_controls", "standard_caption", "format_standard"]

_PREFIX = "gisplan_std."
_SPEED = _PREFIX + "speed_kmh"
_REQUIRED = _PREFIX + "required"


def _thr_key(cid: str) -> str:
    return f"{_PREFIX}thr.{cid}"


def _kept() -> dict:
    """The session's standard settings, initialised from the catalogue's standard."""
    base = default_standard()
    state = st.session_state
    if _SPEED not in state:
        state[_SPEED] = float(base.walking_speed_kmh)
    if _REQUIRED not in state:
        state[_REQUIRED] = list(base.required_ids)
    for c in base.categories:
        if _thr_key(c.id) not in state:
            state[_thr_key(c.id)] = int(round(c.minutes))
    return {
        "speed": float(state[_SPEED]),
        "required": [c for c in state[_REQUIRED] if c in base.ids],
        "thresholds": {c.id: float(state[_thr_key(c.id)]) for c in base.categories},
    }


def session_standard() -> CircleStandard:
    """The standard in force in this session (the catalogue's until a planner changes it).

    An empty required set (the user cleared the box) falls back to the catalogue's required
    categories; the coverage page says so instead of computing nothing.
    """
    base = default_standard()
    kept = _kept()
    return base.with_overrides(
        walking_speed_kmh=kept["speed"],
        thresholds=kept["thresholds"],
        required=kept["required"] or base.required_ids,
    )


def _seed(widget_key: str, value) -> None:
    """Give a widget the session's value when Streamlit has forgotten it (another page ran)."""
    if widget_key not in st.session_state:
        st.session_state[widget_key] = value


def standard_controls() -> tuple[CircleStandard, list[str]]:
    """The sidebar controls of the standard; returns ``(standard, required ids as chosen)``.

    The chosen required list may be empty (then the standard keeps the catalogue's set and the
    caller tells the user to choose at least one).
    """
    base = default_standard()
    kept = _kept()
    # one language: two names do not fit the sidebar's chips (choices are kept by key)
    lang_names = {c.id: category_name(c) for c in base.categories}
    st.subheader(t("cov.controls"))
    _seed("speed_kmh", kept["speed"])
    speed = st.slider(t("cov.speed"), 2.0, 6.0, step=0.1, key="speed_kmh")
    from gisplan.app.widgets import choice_key

    required_key = choice_key("required")
    _seed(required_key, kept["required"])
    required = st.multiselect(
        t("cov.required"), base.ids, format_func=lang_names.__getitem__, key=required_key
    )
    st.session_state[_SPEED] = float(speed)
    st.session_state[_REQUIRED] = list(required)
    st.markdown(f"**{t('cov.thresholds')}**")

    def threshold_input(c) -> None:
        key = f"thr_{c.id}"
        _seed(key, int(round(kept["thresholds"][c.id])))
        value = st.number_input(lang_names[c.id], min_value=1, max_value=60, step=1, key=key)
        st.session_state[_thr_key(c.id)] = int(value)

    for c in base.categories:
        if c.id in required:
            threshold_input(c)
    with st.expander(t("cov.other_thresholds")):
        for c in base.categories:
            if c.id not in required:
                threshold_input(c)
    return session_standard(), list(required)


def format_standard(standard: CircleStandard, lang: str | None = None) -> str:
    """One line naming the standard: speed, required categories with their minutes."""
    parts = [
        f"{category_name(standard[c], lang)} {standard.threshold_minutes(c):g}"
        for c in standard.required_ids
    ]
    sep = t("sep.list", lang)
    return t(
        "std.line",
        lang,
        speed=f"{standard.walking_speed_kmh:g}",
        required=sep.join(parts),
    )


def standard_caption(standard: CircleStandard | None = None) -> None:
    """Show the standard in force (a caption; changed on the coverage page)."""
    std = standard or session_standard()
    changed = std != default_standard()
    st.caption(
        t("std.caption", line=format_standard(std)) + (" " + t("std.changed") if changed else "")
    )
