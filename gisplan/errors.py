"""Errors gisplan raises for bad input.

Every problem with user data is an :class:`InputError` that names the file, the field and,
where it applies, the row, and says what to do.  The CLI and the app show ``str(error)``
and never a traceback.
"""

from __future__ import annotations

from os import PathLike

__all__ = ["GisplanError", "InputError", "OfflineError"]


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
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | PathLike | None = None,
        field: str | None = None,
        row: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.field = field
        self.row = row
        self.hint = hint
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


class OfflineError(GisplanError, RuntimeError):
    """An online feature (OSM download, web tiles) was used without internet access."""
