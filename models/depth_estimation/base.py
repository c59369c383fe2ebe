"""The depth-estimator interface: perspective pictures in, per-pixel depth out.

An estimator sees square perspective tiles (:mod:`scene.tiling` makes them from a panorama)
and returns one depth map per tile. What the values mean is part of the interface:

``metric = False``
    Relative *disparity* (inverse depth up to an unknown scale and shift per picture, larger =
    nearer), what Depth Anything V2's relative models and MiDaS give.
``metric = True``
    Depth in metres along the tile's optical axis (planar z-depth), what the metric models
    give.

Another estimator (a different library, a classical method for a special case) implements
:class:`DepthEstimator` and goes through the same tiling, alignment and blending
(:func:`models.depth_estimation.panorama.estimate_panorama_depth`).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

__all__ = ["DepthEstimator"]


class DepthEstimator(Protocol):
    """What every depth estimator provides.

    Attributes
    ----------
    name : str
        Short name recorded with results (``"transformers"``).
    model_id : str
        The model it runs (Hugging Face id or folder).
    revision : str
        Commit hash of the weights when known, else ``""``.
    licence : dict
        The licence record of the model (:func:`models.catalog.licence_record`).
    metric : bool
        See the module docstring.
    input_size : int
        Tile edge, pixels, the model works at (tiles are rendered at this size).
    device : str
        ``"cpu"`` or ``"cuda"``.
    library : str
        What runs the model and its version (``"transformers 5.24.0"``), recorded too.
    """

    name: str
    model_id: str
    revision: str
    licence: dict
    metric: bool
    input_size: int
    device: str
    library: str

    def estimate(self, tiles: np.ndarray, cancel=None) -> np.ndarray:
        """Depth of each tile.

        Parameters
        ----------
        tiles : (N, S, S, 3) uint8 ndarray
            sRGB perspective pictures (``S == input_size``).
        cancel : Event-like, optional
            Checked between batches (raise :class:`scene.errors.CancelledError`).

        Returns
        -------
        (N, S, S) float32 ndarray
            Disparity (relative) or metres (metric); NaN where the model has no answer.
        """
