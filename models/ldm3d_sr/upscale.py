"""One entry point for ×4 upscaling: picks LDM3D-SR or the classical path and runs it.

The rule (one home for it; the CLI, the window and ``generate --upscale`` ask here):

``method="sr"``
    LDM3D-SR; its weights must be found (``--model``, ``<models_home>/ldm3d-sr``, the
    Hugging Face cache), else the usual "not on this computer" message.
``method="classical"``
    The classical upscaler, no weights.
``method="auto"`` (default)
    ``sr`` when a ``--model`` was given or the weights are on disk and the panorama has
    depth; otherwise ``classical``. The reason is returned so the caller can say it.
"""

from __future__ import annotations

from dataclasses import dataclass

from scene.errors import InputError
from scene.panorama import RGBDPanorama

from ..base import GenerationResult

__all__ = ["UpscaleRequest", "choose_method", "upscale_panorama", "METHODS"]

METHODS = ("auto", "sr", "classical")


@dataclass(frozen=True)
class UpscaleRequest:
    """What to do.

    Parameters
    ----------
    method : {"auto", "sr", "classical"}
    sr : SRRequest
        Settings of the SR path (``sr.model`` also counts for ``auto``).
    classical : ClassicalSettings
        Settings of the classical path.
    """

    method: str = "auto"
    sr: object = None
    classical: object = None


def choose_method(method: str, pano: RGBDPanorama, model: str | None = None) -> tuple[str, str]:
    """The method that will run and why (see the module docstring).

    Raises
    ------
    InputError
        An unknown method.
    """
    from .weights import sr_weights_available

    method = (method or "auto").lower()
    if method not in METHODS:
        raise InputError(f"unknown upscale method {method!r}", hint="use sr or classical")
    if method != "auto":
        return method, f"--method {method}"
    if not pano.has_depth:
        return "classical", "the panorama has no depth (LDM3D-SR needs colour and depth)"
    if model:
        return "sr", f"--model {model}"
    ok, why = sr_weights_available()
    if ok:
        return "sr", f"LDM3D-SR weights {why}"
    return "classical", f"no LDM3D-SR weights ({why}); using the classical upscaler"


def upscale_panorama(pano: RGBDPanorama, request: UpscaleRequest = UpscaleRequest(),
                     on_progress=None, cancel=None) -> tuple[GenerationResult, str]:
    """Upscale ``pano`` ×4 by the chosen method.

    Returns
    -------
    (GenerationResult, str)
        The result (its ``metadata.extra["upscale"]["method"]`` says which path made it)
        and the reason for the method.
    """
    from .backend import LDM3DSRUpscaler, SRRequest
    from .classical import ClassicalSettings, classical_upscale

    sr = request.sr if request.sr is not None else SRRequest()
    method, why = choose_method(request.method, pano, getattr(sr, "model", None))
    if method == "sr":
        return LDM3DSRUpscaler().upscale(pano, sr, on_progress, cancel), why
    settings = request.classical if request.classical is not None else ClassicalSettings()
    return classical_upscale(pano, settings, on_progress, cancel), why
