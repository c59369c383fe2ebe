"""Error messages in the window's words: the controls to use instead of command-line options.

The domain's errors (:mod:`scene.errors`) carry hints written for the command line
("use --model FOLDER", "pass --fit pad", "run the command again"), because the command line is
where most of them are first met. The window shows the same errors, so it rewrites those
phrases into the names of its own controls before a dialog shows them (one table, here,
instead of a second copy of every hint). Options the window has no control for, and shell
commands to type in a terminal (``hf download … --local-dir …``), are left as they are.
"""

from __future__ import annotations

import re

__all__ = ["WINDOW_WORDS", "in_window_words", "window_error"]

#: Command-line phrase (regular expression) -> the window's control for it.
WINDOW_WORDS: tuple[tuple[str, str], ...] = (
    (r"run with --model (\S+)", r"choose \1 with Generate ▸ Weights ▸ …"),
    (r"without --model\b", "without choosing it"),
    (r"--backend ([a-z][\w-]*)", r"Generate ▸ Backend ▸ \1"),
    (r"(?:use |pass |give )?--model(?:-backend)? (?:FOLDER|DIR|PATH|ID)\b",
     "choose the model folder with Generate ▸ Weights ▸ …"),
    (r"(?:use |pass |give )?--model\b", "Generate ▸ Weights"),
    (r"(?:use |pass )?--fit (pad|crop|stretch)\b", r"Import ▸ Not 2:1? ▸ \1"),
    (r"(?:use |pass )?--fit\b", "Import ▸ Not 2:1?"),
    (r"--depth-kind\b|--depth-unit\b", "Import ▸ Depth is"),
    (r"--depth (?:FILE|PATH)\b|--depth\b", "Import ▸ Depth"),
    (r"(?:use |pass )?--fill (procedural|classical|ldm3d)\b",
     r"choose Scene ▸ Make Walkable… ▸ Filler ▸ \1"),
    (r"--walk-radius\b", "Scene ▸ Make Walkable… ▸ Walk radius"),
    (r"--near\b", "Depth ▸ Near"),
    (r"--far\b", "Depth ▸ Far"),
    (r"--cut-threshold\b", "Depth ▸ Cut jumps"),
    (r"--mesh\b|--max-error\b", "Depth ▸ Resolution"),
    (r"--width\b|--height\b", "Generate ▸ Size"),
    (r"--seed\b", "Generate ▸ Seed"),
    (r"--steps\b", "Generate ▸ Steps"),
    (r"--guidance\b", "Generate ▸ Guidance"),
    (r"--backend\b", "Generate ▸ Backend"),
    (r"--prompt(?: WORDS)?\b", "the prompt"),
    (r"--device\b", "Edit ▸ Preferences ▸ Device"),
    (r"--face-size\b", "Export ▸ Cube face size"),
    (r"--jpeg-quality\b", "Export ▸ JPEG quality"),
    (r"(?:then )?run the command again", "then try again"),
    (r"panoforge models\b", "Edit ▸ Preferences ▸ Models"),
)

_COMPILED = tuple((re.compile(p), r) for p, r in WINDOW_WORDS)


def in_window_words(text: str) -> str:
    """``text`` with each command-line phrase of :data:`WINDOW_WORDS` replaced by its control.

    Parameters
    ----------
    text : str
        A message or hint.

    Returns
    -------
    str
    """
    for pattern, repl in _COMPILED:
        text = pattern.sub(repl, text)
    return text


def window_error(exc: BaseException) -> tuple[str, str]:
    """``(message, hint)`` of ``exc`` as the window shows them."""
    message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    hint = getattr(exc, "hint", "") or ""
    return in_window_words(message), in_window_words(hint)
