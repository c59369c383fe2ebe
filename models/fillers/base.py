"""One interface for every filler: what a moved eye sees behind the dome's foreground.

A filler gets the dome (or the previous layer, when peeling deeper) and its disocclusion band (:func:`scene.layering.disocclusion`) and
returns colour and distance there; :func:`scene.layering.make_layer` turns that into a
``fill`` layer of the scene composition. Which filler made a layer is recorded on the layer
(``Layer.method``) and in the fill's metadata (``backend = "fill-<name>"``, model, licence).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from scene.layering import Disocclusion
from scene.metadata import GenerationMetadata
from scene.panorama import RGBDPanorama

from ..base import ProgressCallback

__all__ = ["FillRequest", "FillResult", "Filler"]


@dataclass(eq=False)
class FillRequest:
    """What to fill.

    Attributes
    ----------
    dome : RGBDPanorama
        The dome, with depth.
    disocc : Disocclusion
        Its band for the chosen walk radius and cut threshold.
    seed : int
        For stochastic fillers (ldm3d); the others ignore it.
    options : dict
        Filler-specific settings (ldm3d: ``model``, ``steps``, ``device`` ...).
    recipe : GenerationMetadata or None
        What made the scene's dome, when ``dome`` is a layer being peeled further (the
        procedural filler rebuilds the scene from it); ``None`` = ``dome.metadata``.
    """

    dome: RGBDPanorama
    disocc: Disocclusion
    seed: int = 0
    options: dict = field(default_factory=dict)
    recipe: GenerationMetadata | None = None

    @property
    def source(self) -> GenerationMetadata:
        """The metadata of the result the scene came from."""
        return self.recipe if self.recipe is not None else self.dome.metadata


@dataclass(eq=False)
class FillResult:
    """What a filler found behind the foreground.

    Attributes
    ----------
    rgb : (H, W, 3) uint8 ndarray
        Read in the band only.
    distance : (H, W) float32 ndarray
        Metres from the origin; NaN where the filler found nothing.
    metadata : GenerationMetadata
        ``backend = "fill-<name>"``; model id and licences where a model was used.
    """

    rgb: np.ndarray
    distance: np.ndarray
    metadata: GenerationMetadata


class Filler(Protocol):
    """What every filler provides."""

    name: str

    def available(self) -> tuple[bool, str]:
        """Whether it can run here now, and if not, why (cheap)."""

    def fill(self, request: FillRequest, on_progress: ProgressCallback | None = None,
             cancel=None) -> FillResult:
        """Fill the band; raise ``CancelledError`` when ``cancel`` is set."""
