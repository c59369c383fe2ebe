"""The file-type filters of the window's pickers."""

from __future__ import annotations

from scene.imageio import DEPTH_EXTENSIONS, RGB_EXTENSIONS

__all__ = ["PROJECT_FILTER", "IMAGE_FILTER"]

PROJECT_FILTER = "Panoforge projects (*.panoforge)"
#: What the importer reads (scene.imageio), so the picker never offers a file it would refuse.
IMAGE_FILTER = ("Images (" + " ".join(f"*{e}" for e in dict.fromkeys(RGB_EXTENSIONS + DEPTH_EXTENSIONS))
                + ");;All files (*)")
