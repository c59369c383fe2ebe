"""Depth for panoramas that come without it: a perspective depth network on 360° tiles.

Importing the package is cheap (no torch): :mod:`.transformers_estimator` imports torch and
transformers only when a model is loaded. The parts:

- :mod:`.base`: the :class:`DepthEstimator` interface (tiles in, disparity or metres out);
- :mod:`.weights`: model names, places and the refusals made before a weight is read;
- :mod:`.transformers_estimator`: Depth Anything V2 (relative and metric) through
  ``AutoModelForDepthEstimation``;
- :mod:`.panorama`: tile, estimate, align and blend a whole panorama
  (geometry in :mod:`scene.tiling`).

There is no classical path: depth from one picture needs a trained model, and without one
:func:`estimate_depth` says which model to download and how.
"""

from .base import DepthEstimator
from .panorama import (
    DEFAULT_CAMERA_HEIGHT_M,
    DepthEstimate,
    DepthEstimateOptions,
    estimate_panorama_depth,
)
from .weights import DEFAULT_DEPTH_MODEL, depth_model_names, resolve_depth_model

__all__ = ["DepthEstimator", "DepthEstimate", "DepthEstimateOptions", "estimate_panorama_depth",
           "estimate_depth", "DEFAULT_DEPTH_MODEL", "DEFAULT_CAMERA_HEIGHT_M",
           "depth_model_names", "resolve_depth_model"]


def estimate_depth(pano, model: str | None = None, device: str = "auto",
                   options: DepthEstimateOptions | None = None, known=None, on_progress=None,
                   cancel=None) -> DepthEstimate:
    """Load the depth model named ``model`` and estimate ``pano``'s depth with it.

    Parameters
    ----------
    pano : RGBDPanorama
    model : str, optional
        Catalogue name, Hugging Face id or folder (default :data:`DEFAULT_DEPTH_MODEL`).
    device : {"auto", "cpu", "cuda"}
    options, known, on_progress, cancel
        As :func:`estimate_panorama_depth`.

    Returns
    -------
    DepthEstimate

    Raises
    ------
    scene.errors.InputError
        No weights (the hint gives the ``hf download`` command), or unusable ones.
    """
    from .transformers_estimator import load_transformers_estimator

    estimator = load_transformers_estimator(model, device)
    return estimate_panorama_depth(pano, estimator, options, known, on_progress, cancel)
