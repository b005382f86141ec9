"""Errors gisplan raises for bad input.

Every problem with user data is an :class:`InputError` that names the file, the field and,
where it applies, the row, and says what to do.  The CLI and the app show ``str(error)``
and never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

__all__ = ["GisplanError", "InputError", "InputWarning", "OfflineError"]


class GisplanError(Exception):
    """Base class of gisplan's own errors."""


class InputError(GisplanError, ValueError):
    """A problem with input data or parameters.

    Parameters
    ----------
    message : str
        What is wrong.
    file : path-like, optional
        The file the problem is in.
    field : str, optional
        The column, property or parameter.
    row : int, optional
        The 1-based data row (CSV) or 0-based feature index (vector layers).
    hint : str, optional
        What the user should do about it.
    code : str, optional
        What kind of problem it is, e.g. ``"csv.no_column"``: the app shows the problem in the
        session's language and in its own terms from the i18n key ``err.<code>`` (and
        ``err.<code>.hint``), filled with ``params`` (:mod:`gisplan.app.messages`); the CLI
        shows ``message`` and ``hint``, which name its options.
    params : mapping, optional
        Values for the key's placeholders (JSON values: they cross the upload worker's pipe).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | PathLike | None = None,
        field: str | None = None,
        row: int | None = None,
        hint: str | None = None,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.field = field
        self.row = row
        self.hint = hint
        self.code = code
        self.params = dict(params or {})
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f" — {self.hint}"
        return text


class InputWarning(UserWarning):
    """A problem with input data that does not stop the reading (e.g. generated ids).

    ``str()`` is the English text (CLI); ``code`` and ``params`` work as for
    :class:`InputError`, so the app can show it in the session's language.
    """

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class OfflineError(GisplanError, RuntimeError):
    """An online feature (OSM download, web tiles) was used without internet access."""
