"""Every source of scenes in one place, named, without importing any of them.

The window lists these; the CLI picks one by ``--backend``. Importing this module is cheap:
a backend's module (and torch) loads only when :func:`get_backend` asks for it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

__all__ = ["BackendInfo", "BACKENDS", "get_backend", "list_backends", "default_backend"]


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
    """

    name: str
    label: str
    target: str
    needs_weights: bool
    kind: str = "text"
    description: str = ""


BACKENDS: dict[str, BackendInfo] = {
    info.name: info
    for info in (
        BackendInfo("procedural", "Procedural (built-in, no weights)",
                    "models.procedural:make_backend", False,
                    description="Ray-cast analytic scenes with exact depth; runs anywhere."),
        BackendInfo("ldm3d-pano", "LDM3D-pano (1024x512 360°)", "models.ldm3d:make_backend", True,
                    description="Intel/ldm3d-pano through diffusers: equirect RGB + depth."),
        BackendInfo("ldm3d-4c", "LDM3D-4c (512x512 perspective)", "models.ldm3d:make_backend",
                    True, description="Intel/ldm3d-4c: perspective RGB + depth, 4-channel VAE."),
        BackendInfo("ldm3d", "LDM3D (512x512 perspective)", "models.ldm3d:make_backend", True,
                    description="Intel/ldm3d: perspective RGB + depth, 6-channel VAE."),
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
