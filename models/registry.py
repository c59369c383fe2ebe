"""Every source of scenes in one place, named, without importing any of them.

The window lists these; the CLI picks one by ``--backend``. Importing this module is cheap:
a backend's module (and torch) loads only when :func:`get_backend` asks for it.

Each text backend's defaults (steps, guidance, size, whether it draws a perspective image)
are :attr:`BackendInfo.defaults`, read by both front-ends: for LDM3D they come from the
model's :class:`models.ldm3d.weights.ModelSpec` (standard library only), for the procedural
generator they are declared here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from .ldm3d.weights import SPECS as _LDM3D_SPECS

__all__ = ["BackendInfo", "BackendDefaults", "BACKENDS", "get_backend", "list_backends",
           "default_backend"]


@dataclass(frozen=True)
class BackendDefaults:
    """What a text backend uses when the request leaves a setting out.

    Parameters
    ----------
    steps : int
        Denoising steps (1 for the procedural generator, which has none).
    guidance : float
        Classifier-free guidance scale (0 where there is none).
    width, height : int
        Output size, pixels.
    perspective : bool
        The backend draws a perspective image (placed on the sphere afterwards) rather than
        an equirect panorama; the size is then the image's, and seamless does not apply.
    """

    steps: int
    guidance: float
    width: int
    height: int
    perspective: bool = False

    @classmethod
    def of_spec(cls, spec) -> BackendDefaults:
        """The defaults a :class:`models.ldm3d.weights.ModelSpec` declares."""
        return cls(spec.steps, spec.guidance, spec.width, spec.height,
                   spec.layout == "perspective")


@dataclass(frozen=True)
class BackendInfo:
    """Registry entry.

    Parameters
    ----------
    name : str
        What ``--backend`` takes.
    label : str
        What the window shows.
    target : str
        ``"module:factory"``; the factory takes ``name`` and returns a backend.
    needs_weights : bool
        Needs model weights on disk.
    kind : str
        ``"text"`` (prompt → scene) or ``"import"`` (a user's own files).
    description : str
    defaults : BackendDefaults or None
        A text backend's defaults; ``None`` for the import source.
    """

    name: str
    label: str
    target: str
    needs_weights: bool
    kind: str = "text"
    description: str = ""
    defaults: BackendDefaults | None = None


BACKENDS: dict[str, BackendInfo] = {
    info.name: info
    for info in (
        BackendInfo("procedural", "Procedural (built-in, no weights)",
                    "models.procedural:make_backend", False,
                    description="Ray-cast analytic scenes with exact depth; runs anywhere.",
                    defaults=BackendDefaults(steps=1, guidance=0.0, width=1024, height=512)),
        BackendInfo("ldm3d-pano", "LDM3D-pano (1024x512 360°)", "models.ldm3d:make_backend", True,
                    description="Intel/ldm3d-pano through diffusers: equirect RGB + depth.",
                    defaults=BackendDefaults.of_spec(_LDM3D_SPECS["ldm3d-pano"])),
        BackendInfo("ldm3d-4c", "LDM3D-4c (512x512 perspective)", "models.ldm3d:make_backend",
                    True, description="Intel/ldm3d-4c: perspective RGB + depth, 4-channel VAE.",
                    defaults=BackendDefaults.of_spec(_LDM3D_SPECS["ldm3d-4c"])),
        BackendInfo("ldm3d", "LDM3D (512x512 perspective)", "models.ldm3d:make_backend", True,
                    description="Intel/ldm3d: perspective RGB + depth, 6-channel VAE.",
                    defaults=BackendDefaults.of_spec(_LDM3D_SPECS["ldm3d"])),
        BackendInfo("import", "Import your own panorama", "models.import_source:make_backend", False,
                    kind="import",
                    description="A 360 photo or another generator's output, with or without depth."),
    )
}


def list_backends() -> list[BackendInfo]:
    """All registered sources, in display order."""
    return list(BACKENDS.values())


def get_backend(name: str):
    """Instantiate a backend by name (imports its module now)."""
    from scene.errors import InputError

    info = BACKENDS.get(name)
    if info is None:
        raise InputError(f"unknown backend {name!r}",
                         hint="choose one of: " + ", ".join(BACKENDS))
    module, factory = info.target.split(":")
    return getattr(importlib.import_module(module), factory)(name)


def default_backend() -> tuple[str, str]:
    """The backend to use when none is named, and a one-line reason.

    ``ldm3d-pano`` when its weights are on disk and a GPU is present, else ``procedural``.
    """
    try:
        from models.ldm3d import local_weights_available  # cheap: no torch import
    except ImportError:
        return "procedural", "LDM3D support is not installed; using the built-in procedural generator"
    ok, why = local_weights_available("ldm3d-pano")
    if ok:
        try:
            import torch

            if torch.cuda.is_available():
                return "ldm3d-pano", "using ldm3d-pano on the GPU"
            why = "no CUDA GPU found"
        except ImportError:
            why = "torch is not installed"
    return "procedural", f"{why}; using the built-in procedural generator (--backend to choose)"
