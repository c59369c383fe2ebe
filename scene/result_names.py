"""A result's display name: what a user may call it, checked once for the window and the file.

A result keeps its id (``r1``, ``r2`` ...) for ever; the *name* is what the user chose to call
it (the gallery, ``panoforge info``, the GLB's root node). An empty name means "none": the
result is shown by its label (the prompt, or the imported file's name).

Rules (:func:`clean_name`)
--------------------------
- leading and trailing white space is dropped;
- at most :data:`MAX_NAME_LENGTH` characters;
- no control characters: C0/C1 controls (newline, tab, escape ...), line and paragraph
  separators, surrogates and format characters such as the bidirectional overrides that make
  text read backwards (U+202E). The zero-width joiner (U+200D) is allowed: emoji need it.

Hand-written with :mod:`unicodedata` because no maintained library states this small rule;
the same function checks what the window accepts and what a project file may hold.
"""

from __future__ import annotations

import unicodedata

from .errors import InputError

__all__ = ["MAX_NAME_LENGTH", "clean_name", "name_problem", "display_name"]

#: The longest name accepted, in characters (a gallery caption shows about 25).
MAX_NAME_LENGTH = 80
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_ALLOWED_FORMAT = {"\u200d"}  # zero-width joiner (emoji sequences)


def name_problem(name: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """What is wrong with ``name`` (already stripped), or ``""`` when it is fine.

    ``max_length`` is the longest allowed (a saved view's name, :mod:`scene.saved_views`,
    follows the same rules with its own length).
    """
    if not isinstance(name, str):
        return f"a name must be text, not {type(name).__name__}"
    if len(name) > max_length:
        return f"the name is {len(name)} characters long; at most {max_length} are allowed"
    for i, ch in enumerate(name):
        if ch in _ALLOWED_FORMAT:
            continue
        if unicodedata.category(ch) in _BAD_CATEGORIES:
            return (f"the name has a control character (U+{ord(ch):04X}) at position {i + 1}; "
                    "names are one line of visible text")
    return ""


def clean_name(text: str) -> str:
    """``text`` as a result's name: stripped and checked.

    Parameters
    ----------
    text : str
        What the user typed; ``""`` (or only spaces) clears the name.

    Returns
    -------
    str
        The name to store (``""``: no name).

    Raises
    ------
    InputError
        Too long, or a control character; the message says which and where.
    """
    name = text.strip() if isinstance(text, str) else text
    problem = name_problem(name)
    if problem:
        raise InputError(problem, hint=f"type one line of at most {MAX_NAME_LENGTH} characters")
    return name


def display_name(result) -> str:
    """What a result is called: its name, else its label, else its id.

    Parameters
    ----------
    result : scene.project.Result
    """
    return getattr(result, "name", "") or result.label or result.id
