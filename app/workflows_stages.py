"""The stages that make a child result from a result, once for every front-end.

``panoforge upscale``, ``panoforge repair-poles``, ``panoforge generate --upscale`` and the
window's gallery actions ("Upscale ×4", "Repair poles", "Estimate depth") call these and differ
only in how they ask and how they show the answer. Nothing here imports Qt; the models load
inside the functions.

Use cases
---------
:func:`upscale`
    a panorama ×4 (LDM3D-SR with weights, else classical; :func:`models.ldm3d_sr.upscale.
    choose_method` is the one rule) -> :class:`Staged` ``kind="upscaled"``.
:func:`repair_poles`
    the zenith and nadir caps re-synthesised -> :class:`Staged` ``kind="repaired"``.
:func:`estimate_depth`
    depth for an RGB-only panorama (Depth Anything on 360° tiles) -> :class:`Staged`
    ``kind="depth-estimated"``.
:func:`add_child`
    a :class:`Staged` becomes the new active result of a project with its parent recorded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["Staged", "upscale", "repair_poles", "estimate_depth", "add_child",
           "upscale_label"]


@dataclass
class Staged:
    """What a stage made from a parent panorama, ready to become its child result.

    Parameters
    ----------
    panorama : scene.panorama.RGBDPanorama
    kind : {"upscaled", "repaired", "depth-estimated"}
        The project result kind.
    label : str
        The child's label (from the parent's).
    method : str
        What ran (``sr``/``classical``, ``classical``/``ldm3d``, the depth model's id).
    why : str
        One sentence: why that method (for the upscale's ``auto`` rule), else ``""``.
    warnings : list of str
    duration_s : float
    """

    panorama: object
    kind: str
    label: str
    method: str = ""
    why: str = ""
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0


def upscale_label(parent_label: str, method: str) -> str:
    """The label of an upscaled child: ``"<parent> (x4 classical)"``."""
    return f"{parent_label} (x4 {method})"


def upscale(pano, method: str = "auto", sr=None, classical=None, *, parent_label: str = "",
            on_progress=None, cancel=None) -> Staged:
    """Upscale ``pano`` ×4 in colour and depth.

    Parameters
    ----------
    pano : RGBDPanorama
    method : {"auto", "sr", "classical"}
        ``auto``: LDM3D-SR when a model is named (``sr.model``) or its weights are on disk and
        ``pano`` has depth, else classical.
    sr : models.ldm3d_sr.backend.SRRequest, optional
    classical : models.ldm3d_sr.classical.ClassicalSettings, optional
    parent_label : str
    on_progress, cancel
        :class:`models.base.Progress` reports (tile and step for SR, with latent previews);
        an Event-like that stops within one tile-step.

    Returns
    -------
    Staged
        ``method`` is ``"sr"`` or ``"classical"``; ``why`` the reason.

    Raises
    ------
    scene.errors.PanoforgeError
        Refusals with a hint; ``CancelledError`` when cancelled.
    """
    from models.ldm3d_sr.backend import SRRequest
    from models.ldm3d_sr.classical import ClassicalSettings
    from models.ldm3d_sr.upscale import UpscaleRequest, choose_method, upscale_panorama

    sr = sr if sr is not None else SRRequest()
    classical = classical if classical is not None else ClassicalSettings()
    chosen, why = choose_method(method, pano, sr.model)
    started = time.perf_counter()
    result, _ = upscale_panorama(pano, UpscaleRequest(chosen, sr, classical),
                                 on_progress=on_progress, cancel=cancel)
    return Staged(panorama=result.panorama, kind="upscaled",
                  label=upscale_label(parent_label or "panorama", chosen), method=chosen,
                  why=why, duration_s=time.perf_counter() - started)


def repair_poles(pano, settings=None, *, parent_label: str = "", on_progress=None,
                 cancel=None) -> Staged:
    """Re-synthesise the zenith and/or nadir caps of ``pano`` (colour and depth).

    Parameters
    ----------
    pano : RGBDPanorama
    settings : models.ldm3d_sr.poles.PoleSettings, optional
        Default: both caps, 20° band, 5° feather, OpenCV inpainting (no weights).
    parent_label : str
    on_progress, cancel
        As for :func:`upscale` (a report after each cap).

    Returns
    -------
    Staged
    """
    from models.ldm3d_sr.poles import PoleSettings
    from models.ldm3d_sr.poles import repair_poles as run

    settings = settings if settings is not None else PoleSettings()
    started = time.perf_counter()
    result = run(pano, settings, on_progress=on_progress, cancel=cancel)
    return Staged(panorama=result.panorama, kind="repaired",
                  label=f"{parent_label or 'panorama'} (poles repaired)",
                  method=settings.method, duration_s=time.perf_counter() - started)


def estimate_depth(pano, model: str | None = None, device: str = "auto", options=None, *,
                   parent_label: str = "", on_progress=None, cancel=None) -> Staged:
    """Give an RGB-only panorama depth with a monocular depth model on 360° tiles.

    Parameters
    ----------
    pano : RGBDPanorama
        Without depth (a panorama with depth is refused: it has depth already).
    model : str, optional
        Catalogue name, Hugging Face id or folder (default Depth Anything V2 Small).
    device : {"auto", "cpu", "cuda"}
    options : models.depth_estimation.DepthEstimateOptions, optional
        The scale cue (camera height 1.6 m by default).
    parent_label : str
    on_progress, cancel

    Returns
    -------
    Staged
        ``method`` is the model id the result records.

    Raises
    ------
    scene.errors.InputError
        Depth already present; no weights (the hint names the download).
    """
    from models.depth_estimation import estimate_depth as run
    from scene.errors import InputError

    if pano.has_depth:
        raise InputError("this result already has depth",
                         hint="depth is estimated only for panoramas imported without it")
    started = time.perf_counter()
    est = run(pano, model, device, options, on_progress=on_progress, cancel=cancel)
    record = est.panorama.metadata.extra.get("depth_estimation", {})
    return Staged(panorama=est.panorama, kind="depth-estimated",
                  label=f"{parent_label or 'panorama'} (depth estimated)",
                  method=str(record.get("model_id", model or "")), warnings=list(est.warnings),
                  duration_s=time.perf_counter() - started)


def add_child(project, staged: Staged, parent):
    """Append ``staged`` to ``project`` as its new active result, a child of ``parent``.

    Parameters
    ----------
    project : scene.project.Project
    staged : Staged
    parent : scene.project.Result

    Returns
    -------
    scene.project.Result
    """
    return project.add_result(staged.panorama, kind=staged.kind, parent_id=parent.id,
                              label=staged.label)
