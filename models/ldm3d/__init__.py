"""The LDM3D family (``ldm3d-pano``, ``ldm3d-4c``, ``ldm3d``) through diffusers.

Importing the package is cheap (no torch): :mod:`.backend` and :mod:`.weights` use the
standard library only until :meth:`LDM3DBackend.generate` runs. The parts:

- :mod:`.weights`: the model specs and where weights live; refusals before a weight is read;
- :mod:`.loading`: loading a pipeline safely (safetensors only) and setting it up;
- :mod:`.denoise`: one denoising run with progress, preview, cancel and the seam roll;
- :mod:`.seamless`: circular padding and latent rolling for 360° output;
- :mod:`.latent_preview`: the cheap latent → RGB preview;
- :mod:`.rgbd_split`: the VAE output split into 8-bit RGB and 16-bit disparity.
"""

__all__ = ["LDM3DBackend", "make_backend", "local_weights_available", "PERSPECTIVE_FOV_DEG",
           "unload", "plan_request", "Plan"]


def __getattr__(name: str):
    # The backend's names load on first use, so ``models.ldm3d.weights`` (which the registry
    # reads for the defaults) can be imported without the backend module.
    if name in __all__:
        from . import backend

        return getattr(backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
