"""Fillers: what a moved eye sees behind the dome's foreground, in RGB and depth.

One interface (:mod:`.base`), three fillers, one registry:

* ``procedural`` (:mod:`.procedural`): the generator renders the hidden surfaces exactly;
* ``classical`` (:mod:`.classical`): OpenCV inpainting from the background side;
* ``ldm3d`` (:mod:`.ldm3d`): 3DiM-style pose-conditioned masked denoising with the LDM3D
  model and stochastic conditioning over earlier views.
"""

from __future__ import annotations

from .base import Filler, FillRequest, FillResult

__all__ = ["FILLERS", "make_filler", "Filler", "FillRequest", "FillResult"]

#: Registry names, in the order the command line lists them.
FILLERS = ("procedural", "ldm3d", "classical")


def make_filler(name: str, **options) -> Filler:
    """The filler called ``name`` (options go to the ldm3d filler only)."""
    from scene.errors import InputError

    if name == "procedural":
        from .procedural import ProceduralFiller

        return ProceduralFiller()
    if name == "classical":
        from .classical import ClassicalFiller

        return ClassicalFiller()
    if name == "ldm3d":
        from .ldm3d import LDM3DFiller

        return LDM3DFiller(**options)
    raise InputError(f"unknown filler {name!r}", hint="use one of " + ", ".join(FILLERS))
