"""The ``import`` source: a user's own panorama (a 360 photo, another generator's output).

A thin adapter that lets the window and the registry treat importing like any other source.
The work (reading, checking, interpreting depth) is :func:`scene.importer.import_panorama`.

Unlike text backends, :meth:`ImportBackend.generate` takes an :class:`ImportRequest` (file
paths and depth options) rather than a prompt; the registry marks this backend
``kind="import"`` so the window shows file pickers for it. It needs no weights, no torch,
unless ``estimate_depth`` asks for a monocular depth model (:mod:`models.depth_estimation`)
to give an RGB-only panorama its depth.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from scene.errors import InputError
from scene.importer import import_panorama
from scene.panorama import DEFAULT_FLAT_RADIUS_M

from .base import GenerationResult, Progress, ProgressCallback, raise_if_cancelled

__all__ = ["ImportRequest", "ImportResult", "ImportBackend", "make_backend"]


@dataclass
class ImportRequest:
    """What to import.

    Parameters
    ----------
    rgb_path : str or Path
        Equirect panorama: PNG, JPEG, WebP or EXR.
    depth_path : str or Path, optional
        Depth map: 16/8-bit greyscale PNG, EXR (metres) or ``.npy`` (metres).
    kind : {"disparity", "zdepth", "distance"} or None
        What the depth values measure (``None``: from the file type).
    near, far : float or None
        Metres, for disparity.
    unit : float or None
        Metres per stored unit for distance/zdepth (default mm for 16-bit, m for float).
    fit : {"error", "pad", "crop"}
        How to handle an image that is not 2:1.
    downsample : int
        Integer size reduction factor.
    flat_radius : float
        Metres, the radius used where there is no depth.
    allow_partial_depth : bool
        Accept a depth map whose values are mostly unusable.
    estimate_depth : bool
        Estimate depth with a monocular depth model (:mod:`models.depth_estimation`) when the
        panorama comes without a depth map.
    depth_model : str or None
        Catalogue name, Hugging Face id or folder of the depth model (default
        ``depth-anything-v2-small``).
    camera_height : float
        Metres above the floor; sets the scale of relative estimated depth.
    known_point : (lon_deg, lat_deg, metres) or None
        A direction with a known distance; sets the scale instead of ``camera_height``.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"`` for the depth model.
    """

    rgb_path: str | Path
    depth_path: str | Path | None = None
    kind: str | None = None
    near: float | None = None
    far: float | None = None
    unit: float | None = None
    fit: str = "error"
    downsample: int = 1
    flat_radius: float = DEFAULT_FLAT_RADIUS_M
    allow_partial_depth: bool = False
    estimate_depth: bool = False
    depth_model: str | None = None
    camera_height: float = 1.6
    device: str = "auto"
    known_point: tuple[float, float, float] | None = None


@dataclass
class ImportResult(GenerationResult):
    """A :class:`~models.base.GenerationResult` with the import's warnings (one sentence each)."""

    warnings: list[str] = field(default_factory=list)


class ImportBackend:
    """The registry's ``import`` entry.

    Attributes
    ----------
    name : str
        ``"import"``.
    label : str
        What the window shows.
    """

    def __init__(self, name: str = "import") -> None:
        self.name = name
        self.label = "Import your own panorama"

    def available(self) -> tuple[bool, str]:
        """Always available: importing needs no weights and no GPU."""
        return True, ""

    def generate(
        self,
        request: ImportRequest,
        on_progress: ProgressCallback | None = None,
        cancel=None,
    ) -> ImportResult:
        """Import the files named in ``request``.

        Parameters
        ----------
        request : ImportRequest
        on_progress : callable, optional
            Called with ``Progress(step, 1)`` before and after the import.
        cancel : Event-like, optional
            Checked before the work starts and before returning.

        Returns
        -------
        ImportResult
            ``panorama`` (an RGBDPanorama), its ``metadata`` and ``warnings``.

        Raises
        ------
        scene.errors.InputError, scene.errors.ResourceError
            Unusable files or options, with a hint.
        scene.errors.CancelledError
        """
        if not isinstance(request, ImportRequest):
            raise TypeError("the import backend takes an ImportRequest (file paths), "
                            f"not {type(request).__name__}")
        if request.estimate_depth and request.depth_path is not None:
            raise InputError("--estimate-depth and --depth both give the panorama depth",
                             hint="drop one of them")
        start = time.perf_counter()
        raise_if_cancelled(cancel)
        if on_progress is not None:
            on_progress(Progress(step=0, total=1, message="reading files"))
        outcome = import_panorama(
            request.rgb_path, request.depth_path, kind=request.kind, near=request.near,
            far=request.far, unit=request.unit, fit=request.fit,
            flat_radius=request.flat_radius, downsample=request.downsample,
            allow_partial_depth=request.allow_partial_depth,
        )
        raise_if_cancelled(cancel)
        pano = outcome.panorama
        if request.estimate_depth:
            from .depth_estimation import DepthEstimateOptions, estimate_depth

            estimate = estimate_depth(
                pano, request.depth_model, request.device,
                DepthEstimateOptions(camera_height=request.camera_height,
                                     known_point=request.known_point), known=outcome.known,
                on_progress=on_progress, cancel=cancel)
            pano = estimate.panorama
            outcome.warnings.extend(estimate.warnings)
        elif request.depth_model or request.known_point:
            outcome.warnings.append("--depth-model and --known-point are ignored without "
                                    "--estimate-depth")
        pano.metadata.duration_s = round(time.perf_counter() - start, 3)
        if on_progress is not None:
            on_progress(Progress(step=1, total=1, elapsed_s=time.perf_counter() - start,
                                 message="imported"))
        return ImportResult(panorama=pano, metadata=pano.metadata, warnings=outcome.warnings)


def make_backend(name: str = "import") -> ImportBackend:
    """Registry factory (``models.registry.BACKENDS["import"]``)."""
    return ImportBackend(name)
