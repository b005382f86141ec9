"""Text safety: the one place where text from users and files is made inert before display.

Names and attributes that come from an uploaded file, a candidates layer, a form or the
scenario database are *text*: never HTML, never Markdown.  Every display sink calls one of
the functions here, and nothing else escapes on its own:

- :func:`html_text` — HTML-escape one value for a map: tooltips and popups (folium inserts
  feature properties with ``innerHTML``), ``DivIcon`` labels, legends, attribution, the
  standalone HTML map.  :func:`html_properties` applies it to every text value of a
  feature's properties; :func:`gisplan.maps.build.to_feature_collection` (the one function
  that turns a GeoDataFrame into a map layer) calls it, so a new layer cannot skip it.
- :func:`md_text` — show a value literally in Streamlit's Markdown sinks (``st.success``,
  ``st.caption``, ``st.markdown``, widget labels, radio options, metric labels): Markdown
  and the Streamlit extensions (``:red[…]``, ``:material/…:``, ``$…$`` maths) are escaped,
  so ``![t](http://…)`` fetches nothing and ``[text](http://…)`` is not a link.

Issue 8 of the project adds, in this module: CSV formula neutralising, control/bidi
character stripping and name normalisation (see their own section below when present).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["html_text", "html_properties", "md_text"]


# -- HTML (maps, popups, tooltips, labels, legends, HTML exports) ----------------------------


def html_text(value: Any) -> str:
    """``value`` as HTML text: ``& < > " '`` become character references.

    ``None`` becomes ``""``; anything else is ``str(value)`` first.  The result shows the
    original characters literally wherever it is inserted as HTML (element content or a
    quoted attribute value).
    """
    if value is None:
        return ""
    return html.escape(str(value), quote=True)


def html_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a feature's ``props`` with every text value passed through :func:`html_text`.

    Numbers, booleans and ``None`` are kept as they are (folium formats them itself); any
    other object is turned into escaped text.  Non-finite floats become ``None`` (valid JSON).
    """
    out: dict[str, Any] = {}
    for key, v in props.items():
        if v is None or isinstance(v, bool):
            out[key] = v
        elif isinstance(v, (int, float)):
            out[key] = v if not isinstance(v, float) or math.isfinite(v) else None
        else:
            out[key] = html_text(v)
    return out


# -- Markdown (Streamlit) --------------------------------------------------------------------

#: Every ASCII punctuation character may be backslash-escaped in CommonMark; these are the
#: ones with a meaning in Markdown, GitHub-flavoured Markdown or Streamlit's extensions
#: (``:`` emoji/colour/icon directives and autolinks, ``$`` maths, ``|`` tables, ``~``
#: strike-through, ``.`` ordered lists and ``www.`` autolinks).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'/^@%])")
_MD_SPACE = re.compile(r"\s+")


def md_text(value: Any) -> str:
    """``value`` as Markdown that Streamlit shows literally, on one line.

    Every Markdown-significant character is backslash-escaped and any run of white space
    (newlines included) becomes one space, so a name can neither start a heading, list or
    block, nor form a link, image, emphasis, maths, a colour or icon directive, or an
    autolink.  ``None`` becomes ``""``.
    """
    if value is None:
        return ""
    text = _MD_SPACE.sub(" ", str(value)).strip()
    return _MD_SPECIAL.sub(r"\\\1", text)
