"""Data files shipped with Panoforge: style presets, icons, desktop integration files.

They are package data (inside the wheel, and collected into the desktop bundle), found through
:mod:`importlib.resources` rather than paths relative to a source checkout, so an installed
Panoforge, an editable checkout and a PyInstaller bundle all find the same files.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

__all__ = ["RESOURCES_DIR", "icon_path", "resource", "ICON_SIZES"]

#: the hicolor sizes of ``icons/panoforge-N.png`` (drawn by packaging/linux/make_icons.py)
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resource(*parts: str):
    """A :class:`importlib.resources.abc.Traversable` for ``resources/<parts...>``."""
    node = files(__name__)
    for part in parts:
        node = node.joinpath(part)
    return node


def icon_path(size: int = 256) -> Path:
    """A file path of the application icon nearest ``size`` pixels (PNG, RGBA)."""
    best = min(ICON_SIZES, key=lambda s: (abs(s - size), -s))
    with as_file(resource("icons", f"panoforge-{best}.png")) as p:  # a real file: no-op
        return Path(p)


#: the folder itself (installed wheels and bundles unpack package data as plain files)
with as_file(files(__name__)) as _p:
    RESOURCES_DIR = Path(_p)
