"""Errors that carry a message a user can act on.

Every error Panoforge raises on bad input is a :class:`PanoforgeError`: its ``str()`` says
what is wrong, and its ``hint`` says what to do. The command line prints both and exits with
code 2; the window shows them in a dialog. Nothing else is caught and reworded.
"""

from __future__ import annotations


class PanoforgeError(Exception):
    """A problem the user can fix, with a hint that says how.

    Parameters
    ----------
    message : str
        What is wrong, in the user's terms (file names, sizes, values).
    hint : str, optional
        What to do about it (an option to pass, a command to run).
    """

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class InputError(PanoforgeError):
    """An input file or value cannot be used as it is (wrong aspect, NaNs, unknown format)."""


class ProjectFileError(PanoforgeError):
    """A ``.panoforge`` file is damaged, unsafe or from an unknown version."""


class ResourceError(PanoforgeError):
    """Not enough memory (or GPU memory) for the requested work."""


class CancelledError(PanoforgeError):
    """Long work was cancelled by the user; no partial result is returned."""

    exit_code = 130
