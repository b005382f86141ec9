"""Text safety: the one place where text from users and files is made inert before display.

Names and attributes that come from an uploaded file, a candidates layer, a form or the
scenario database are *text*: never HTML, never Markdown.  Every display sink calls one of
the functions here, and nothing else escapes on its own:

- :func:`html_text` — HTML-escape one value for a map: tooltips and popups (folium inserts
  feature properties with ``innerHTML``), ``DivIcon`` labels, legends, attribution, the
  standalone HTML map.  :func:`html_properties` applies it to every text value of a
  feature's properties; :func:`gisplan.maps.base.to_feature_collection` (the one function
  that turns a GeoDataFrame into a map layer) calls it, so a new layer cannot skip it.
- :func:`md_text` — show a value literally in Streamlit's Markdown sinks (``st.success``,
  ``st.caption``, ``st.markdown``, widget labels, radio options, metric labels): Markdown
  and the Streamlit extensions (``:red[…]``, ``:material/…:``, ``$…$`` maths) are escaped,
  so ``![t](http://…)`` fetches nothing and ``[text](http://…)`` is not a link.

- :func:`csv_cell` / :func:`csv_safe_frame` — neutralise spreadsheet formulas in CSV cells
  (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``) before any CSV is written;
- :func:`terminal_text` — strip terminal escape sequences and control characters before the
  CLI prints a name;
- :func:`clean_name` — the rule for names people choose (scenario names): Unicode NFC, no
  control, bidirectional-override or zero-width characters;
- :func:`redact_credentials` — hide passwords in database URLs (and ``password=`` settings)
  in any text shown to a user or written to a log.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from gisplan.errors import InputError

__all__ = [
    "html_text",
    "html_properties",
    "md_text",
    "FORMULA_PREFIXES",
    "csv_cell",
    "csv_safe_frame",
    "terminal_text",
    "clean_name",
    "redact_credentials",
]


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
    """A copy of a feature's ``props`` with every key and text value passed through :func:`html_text`.

    Numbers, booleans and ``None`` are kept as they are (folium formats them itself); any
    other object is turned into escaped text.  Non-finite floats become ``None`` (valid JSON).
    """
    out: dict[str, Any] = {}
    for name, v in props.items():
        key = html_text(name)  # column names from files are labels too
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
#: GitHub's autolink literals (``http://…``, ``www.…``, ``a@b.c``) are found in the text after
#: escapes are resolved, so escaping cannot stop them: a WORD JOINER (U+2060, invisible, no
#: width) after the scheme, ``www`` or ``@`` breaks the pattern without changing what is seen.
_MD_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|xmpp|www)(?=[:.])|(@)")
WORD_JOINER = "\u2060"


def md_text(value: Any) -> str:
    """``value`` as Markdown that Streamlit shows literally, on one line.

    Every Markdown-significant character is backslash-escaped and any run of white space
    (newlines included) becomes one space, so a name can neither start a heading, list or
    block, nor form a link, image, emphasis, maths, a colour or icon directive; an invisible
    :data:`WORD_JOINER` after ``http``, ``www`` or ``@`` stops GitHub's autolinks (which
    escapes do not).  ``None`` becomes ``""``.
    """
    if value is None:
        return ""
    text = _MD_SPACE.sub(" ", str(value)).strip()
    text = _MD_AUTOLINK.sub(lambda m: (m.group(1) or m.group(2)) + WORD_JOINER, text)
    return _MD_SPECIAL.sub(r"\\\1", text)


# --- CSV formula injection ---------------------------------------------------------------------

#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
#: (OWASP "CSV injection"), plus their full-width forms, which some spreadsheet locales accept.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def csv_cell(value: Any) -> Any:
    """``value`` safe for a CSV cell: text starting like a formula gets a leading ``'``.

    Only text is changed (numbers stay numbers, so ``-3.5`` written from a float column is
    untouched); the apostrophe makes spreadsheets show the text literally.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are passed through :func:`csv_cell`."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(csv_cell)
    out.columns = [csv_cell(c) for c in out.columns]
    return out


# --- terminal output ---------------------------------------------------------------------------

# ESC [ ... final byte (CSI), ESC ] ... BEL or ESC \ (OSC), other two-byte ESC sequences,
# and the 8-bit CSI / OSC introducers.
_ESCAPE_RE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[@-Z\\-_]?"
)

#: Invisible characters that reorder or hide text (bidi overrides and isolates, zero-width).
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u061c"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u180e\u00ad"
)


def _is_unsafe(ch: str) -> bool:
    return ch in INVISIBLE or unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}


def terminal_text(text: Any) -> str:
    """``text`` without terminal escape sequences, control or invisible characters.

    For printing names from files or the database on a terminal: a name can then neither
    recolour, move the cursor, rename the window nor hide or reorder what follows it.
    """
    text = _ESCAPE_RE.sub("", str(text))
    return "".join(ch for ch in text if not _is_unsafe(ch))


# --- names -------------------------------------------------------------------------------------


def clean_name(name: Any, *, field: str = "name", max_len: int | None = None) -> str:
    """A name people choose, checked: NFC-normalised, surrounding spaces removed.

    Raises
    ------
    InputError
        When ``name`` is not text, is empty, is longer than ``max_len`` characters, or holds
        control characters, bidirectional overrides, zero-width or other invisible
        characters (which make look-alike names).
    """
    if not isinstance(name, str):
        raise InputError("the name must be text", field=field, code="name.empty")
    cleaned = unicodedata.normalize("NFC", name.strip())
    if not cleaned:
        raise InputError("the name is empty", field=field, hint="give it a name", code="name.empty")
    if max_len is not None and len(cleaned) > max_len:
        raise InputError(
            f"the name has {len(cleaned)} characters",
            field=field,
            hint=f"use at most {max_len}",
            code="name.too_long",
            params={"n": len(cleaned), "limit": max_len},
        )
    bad = sorted({f"U+{ord(ch):04X}" for ch in cleaned if _is_unsafe(ch)})
    if bad:
        raise InputError(
            "名称含有控制字符或不可见字符 / the name contains control or invisible characters "
            f"({', '.join(bad)})",
            field=field,
            hint="type the name again without copying it from elsewhere",
            code="name.invisible",
            params={"chars": ", ".join(bad)},
        )
    return cleaned


# --- credentials -------------------------------------------------------------------------------

# user:password@ in a URL (also a mistyped one such as postgresql//user:pw@host), and
# password=... in a query string or a libpq keyword/value connection string.
_USERINFO_RE = re.compile(r"(?P<user>[^\s:/@'\"]+):(?P<pw>(?!//)[^\s'\"]*)@")
_PW_PARAM_RE = re.compile(r"(?P<key>\bpassword\s*=\s*)(?P<pw>'[^']*'|[^\s&;'\"]+)", re.IGNORECASE)


def redact_credentials(text: Any) -> str:
    """``text`` with every password in a URL or ``password=`` setting replaced by ``***``.

    >>> redact_credentials("postgresql//planner:S3cretPW@host/db")
    'postgresql//planner:***@host/db'
    """
    text = str(text)
    text = _USERINFO_RE.sub(lambda m: f"{m['user']}:***@", text)
    return _PW_PARAM_RE.sub(lambda m: f"{m['key']}***", text)
