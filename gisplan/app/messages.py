"""Errors and warnings as the app's users read them: in the session's language, in their terms.

The one place where the app turns gisplan's typed problems into text.  An
:class:`~gisplan.errors.InputError` (or :class:`~gisplan.errors.InputWarning`) with a
``code`` is shown from the i18n keys ``err.<code>`` and ``err.<code>.hint``, filled with its
``params``; where it is, file, rows, comes first.  The CLI keeps the error's own English
message, which names its options (``--crs``, ``overwrite=True``); the app's texts name the
page's controls instead.

The file is named as the user uploaded it (``file_name``), never by a path of the server
(the upload worker's or a temporary folder).  Errors without a code are shown with their
English message, their location in the session's language and no server path.

Nothing here is Markdown-safe: :func:`show_error` and :func:`show_notice` escape the whole
text (:func:`gisplan.safetext.md_text`) before Streamlit renders it.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from gisplan.errors import GisplanError, InputError
from gisplan.i18n import STRINGS, current_language, t

__all__ = ["error_text", "notice_text", "show_error", "show_notice"]

#: Absolute paths under the temporary folders: never shown to a user.
_TEMP_PATH = re.compile(
    r"(?:/vsizip/)?(?:"
    + "|".join(re.escape(p) for p in sorted({tempfile.gettempdir(), "/tmp", "/var/tmp"}))
    + r")/[^\s'\"(),;:\u3000-\u303f\uff00-\uffef]*[^\s'\"(),;:.\u3000-\u303f\uff00-\uffef]"
)
#: Problems of the server's set-up: the user reads that the administrator must act, the log
#: gets the English message naming the setting.
_ADMIN_CODES = frozenset({"upload.bad_setting"})
#: Hints written for the CLI and the Python API: shown only when no app text exists.
_API_SPEAK = re.compile(r"\w+=|--[a-z]|\.to_crs|\.set_crs|GISPLAN_\w+")


def _scrub(text: str, file_name: str | None) -> str:
    """``text`` with every temporary path replaced by the user's file name (or its base name)."""
    return _TEMP_PATH.sub(lambda m: file_name or PurePosixPath(m.group(0)).name, text)


def _category_names(ids: Any, lang: str) -> list[str]:
    """Names of catalogue categories (an unknown id is shown as it is)."""
    from gisplan.catalogue import load_catalogue
    from gisplan.i18n import category_name

    by_id = {c.id: c for c in load_catalogue()}
    return [category_name(by_id[i], lang) if i in by_id else str(i) for i in ids]


def _params(code: str, params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The key's placeholders: the error's values and the page's control labels.

    Values that are themselves texts (``kind="text"``) are given in words.
    """
    out: dict[str, Any] = {"crs_label": t("up.crs", lang)}
    for k, v in params.items():
        if k == "categories":  # catalogue ids: the categories' names in the session's language
            out[k] = t("sep.list", lang).join(_category_names(v, lang))
            continue
        if k in ("param", "unit"):  # a parameter's or a unit's name in the session's language
            key = f"err.{k}.{v}"
            out[k] = t(key, lang) if key in STRINGS else v
            continue
        if k in ("layer", "layers"):  # a dataset's layers: what they hold, then their name
            names = v if isinstance(v, list) else [v]
            out[k] = t("sep.list", lang).join(
                t(f"err.layer_name.{n}", lang) if f"err.layer_name.{n}" in STRINGS else str(n)
                for n in names
            )
            continue
        word = f"err.word.{v}" if isinstance(v, str) else ""
        out[k] = t(word, lang) if word in STRINGS else v
    return out


def _where(exc: InputError, params: Mapping[str, Any], lang: str, file_name: str | None) -> str:
    """``File a.csv, rows 3, 5`` / ``文件 a.csv，第 3、5 行``; empty when nothing is known."""
    parts = []
    name = file_name or (PurePosixPath(exc.file).name if exc.file else None)
    if name:
        parts.append(t("err.where.file", lang, name=name))
    rows = params.get("rows")
    if not rows and exc.row is not None:
        rows = [exc.row]
    if rows:
        csv = params.get("csv")
        if csv is None:
            csv = (name or "").lower().endswith((".csv", ".txt", ".tsv"))
        listed = t("sep.list", lang).join(str(r) for r in rows)
        key = "err.where.rows" if csv else "err.where.features"
        text = t(key + ("_one" if len(rows) == 1 else ""), lang, rows=listed)
        if params.get("more"):
            text += t("err.where.more", lang, n=params["more"])
        parts.append(text)
    if not parts:
        return ""
    return t("sep.where", lang).join(parts) + t("err.where.end", lang)


def error_text(exc: BaseException, *, file_name: str | None = None, lang: str | None = None) -> str:
    """The text a user reads for ``exc`` (plain text, not yet Markdown-escaped).

    Parameters
    ----------
    exc : BaseException
        An :class:`InputError` (with or without a code), a permission error of the scenario
        store, or any other :class:`GisplanError`.
    file_name : str, optional
        The name of the file the user uploaded: it replaces the file the error names.
    lang : str, optional
        ``"zh"`` or ``"en"``; default the session's language.
    """
    lang = lang or current_language()
    from gisplan.maps.basemaps import MissingKeyError
    from gisplan.store.auth import NotAuthor, PermissionDenied

    if isinstance(exc, MissingKeyError):  # the administrator's set-up, said in the user's terms
        return t("err.basemap.no_key", lang)
    if isinstance(exc, NotAuthor):
        return t("sc.only_author_may_change", lang, author=exc.author)
    if isinstance(exc, PermissionDenied):
        key = f"action.{exc.action}"
        what = t(key, lang) if key in STRINGS else exc.action
        if exc.role == "public":
            return t("auth.sign_in_to", lang, action=what)
        return t("auth.role_may_not", lang, role=exc.role, action=what)
    if not isinstance(exc, InputError):
        text = str(exc) if isinstance(exc, GisplanError) else t("app.unexpected_error_logged", lang)
        return _scrub(text, file_name)
    code = exc.code
    params = exc.params
    where = _where(exc, params, lang, file_name)
    if code and f"err.{code}" in STRINGS:
        values = _params(code, params, lang)
        message = t(f"err.{code}", lang, **values)
        hint_key = f"err.{code}.hint"
        hint = t(hint_key, lang, **values) if hint_key in STRINGS else None
    else:  # no app text for it yet: the English message, without API-speak in the hint
        message = exc.message
        if exc.field:
            message = t("err.where.field", lang, field=exc.field) + t("sep.field", lang) + message
        message = t("err.untranslated", lang, message=message)  # zh: marked as the original
        hint = exc.hint if exc.hint and not _API_SPEAK.search(exc.hint) else None
    text = where + message
    if hint:
        text = t("err.with_hint", lang, message=text, hint=hint)
    else:
        text = t("err.alone", lang, message=text)
    return _scrub(text, file_name)


def notice_text(
    notice: Mapping[str, Any], *, file_name: str | None = None, lang: str | None = None
) -> str:
    """A reader's warning (``{"text", "code", "params"}`` of the upload worker) as text."""
    lang = lang or current_language()
    code = notice.get("code")
    if code and f"err.{code}" in STRINGS:
        values = _params(code, notice.get("params") or {}, lang)
        if file_name:
            values["file"] = file_name
        return _scrub(t(f"err.{code}", lang, **values), file_name)
    # a library's own warning (GDAL, pyogrio): said to be the reader's note, in its words
    text = str(notice.get("text", "")).strip()
    if not text:
        return ""
    return _scrub(t("err.notice.reader", lang, text=text), file_name)


def show_error(exc: BaseException, *, file_name: str | None = None) -> None:
    """``st.error`` with :func:`error_text` (escaped).

    A fault that is not gisplan's typed problem is logged with its traceback (the user reads
    that it was logged).
    """
    import streamlit as st

    from gisplan.maps.basemaps import MissingKeyError
    from gisplan.safetext import md_text

    if not isinstance(exc, GisplanError | MissingKeyError):
        logging.getLogger(__name__).error("shown as an error", exc_info=exc)
    elif isinstance(exc, InputError) and exc.code in _ADMIN_CODES:  # the details, for the admin
        logging.getLogger(__name__).error("server set-up: %s", exc)

    st.error(md_text(error_text(exc, file_name=file_name)))


def show_notice(notice: Mapping[str, Any], *, file_name: str | None = None) -> None:
    """``st.warning`` with :func:`notice_text` (escaped)."""
    import streamlit as st

    from gisplan.safetext import md_text

    text = notice_text(notice, file_name=file_name)
    if text:
        st.warning(md_text(text))
