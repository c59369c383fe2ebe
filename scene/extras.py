"""Optional parts of Panoforge and the one refusal a feature gives when its part is missing.

``pip install panoforge`` brings the window, the procedural generator, import/export and the
headset. Heavy parts come as *extras* (``pip install 'panoforge[ldm3d]'``); a feature that
needs one calls :func:`require` at the point where it would import the library, and a missing
library becomes an :class:`scene.errors.InputError` whose hint is the exact install line (the
command line prints it and exits 2; the window shows it in a dialog).

Only the standard library is used: :func:`require` asks ``importlib.util.find_spec`` whether a
module is there and imports nothing, so checking costs microseconds even when torch is present.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable

from .errors import InputError

__all__ = ["EXTRAS", "install_line", "missing_modules", "require"]

#: extra name -> what it is for (the wording of the refusal). The packages are in pyproject.toml.
EXTRAS: dict[str, str] = {
    "ldm3d": "the neural models (LDM3D, LDM3D-SR, Depth Anything, LRM): torch and the "
             "Hugging Face libraries",
    "ray": "batch runs on a Ray cluster",
    "usd": "USD export",
    "splats": "Gaussian-splat export",
    "compress": "compressed glTF (Draco/meshopt)",
}


def install_line(extra: str) -> str:
    """``pip install 'panoforge[EXTRA]'``: the command that adds ``extra``.

    A frozen desktop bundle cannot install packages into itself, so there the line also says
    to use a bundle built with the part (``packaging/linux/build_bundle.py``).
    """
    line = f"pip install 'panoforge[{extra}]'"
    if getattr(sys, "frozen", False):
        return (f"this desktop bundle was built without it: use a bundle built with it, "
                f"or a Python install: {line}")
    return line


def missing_modules(modules: Iterable[str]) -> list[str]:
    """The top-level modules of ``modules`` that cannot be imported (nothing is imported)."""
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a parent package missing, or a broken __spec__
            found = False
        if not found:
            missing.append(name)
    return missing


def require(extra: str, modules: Iterable[str], feature: str = "") -> None:
    """Refuse ``feature`` with the install line when any of ``modules`` is missing.

    Parameters
    ----------
    extra : str
        The extra that provides the modules (a key of :data:`EXTRAS`).
    modules : iterable of str
        Importable module names, e.g. ``("torch", "diffusers")``.
    feature : str, optional
        What the user asked for, in their terms (``"--backend ldm3d-pano"``).

    Raises
    ------
    InputError
        Some module is missing; the hint is ``pip install 'panoforge[EXTRA]'``.
    """
    missing = missing_modules(modules)
    if not missing:
        return
    what = EXTRAS.get(extra, f"the '{extra}' extra")
    subject = f"{feature} needs" if feature else "this needs"
    raise InputError(
        f"{subject} {what}; they are not installed (missing: {', '.join(missing)})",
        hint=install_line(extra))
