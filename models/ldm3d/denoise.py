"""One LDM3D denoising run on a loaded pipeline: progress, preview, cancel, seam, decode.

The pipeline is called with ``output_type="latent"`` and a ``callback_on_step_end`` that,
after every step,

1. reports :class:`models.base.Progress` (step, total, elapsed, ETA, and every
   ``preview_every`` steps a preview from :func:`models.ldm3d.latent_preview.latent_to_rgb`);
2. raises :class:`scene.errors.CancelledError` when the cancel event is set (the pipeline's
   ``interrupt`` flag is *not* used: it would skip the remaining steps and decode a
   half-denoised latent), so at most one more step runs after a cancel;
3. rolls the latent horizontally when asked (:class:`models.ldm3d.seamless.LatentRoller`).

Then the VAE decodes the latent here (see :mod:`models.ldm3d.rgbd_split` for why), under the same
circular padding as the UNet when the run is seamless.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..base import Progress, ProgressCallback, raise_if_cancelled
from .latent_preview import latent_to_rgb
from .seamless import LatentRoller, patch_conv2d

__all__ = ["RunSettings", "initial_latents", "run_ldm3d", "decode_latents", "LATENT_CHANNELS",
           "TILED_WRAP_COLUMNS"]

LATENT_CHANNELS = 4
#: Latent columns copied from the other edge on each side before a *tiled* seamless decode.
TILED_WRAP_COLUMNS = 16


@dataclass(frozen=True)
class RunSettings:
    """Everything a run needs besides the pipeline and the initial latent.

    Parameters
    ----------
    prompt, negative_prompt : str
        As sent to the model.
    width, height : int
        Pixels (multiples of the VAE's scale factor).
    steps : int
    guidance : float
    seamless : bool
        Circular padding along the width in the UNet and the VAE.
    latent_roll : int
        Latent columns to roll by after every step (0 = never).
    preview_every : int
        A preview every this many steps (0 = never); the last step always has one when > 0.
    vae_tiling : bool
        The VAE decodes in tiles (then the seam is handled by wrapping the latent instead of
        patching the VAE, because each tile would otherwise wrap onto itself).
    """

    prompt: str
    negative_prompt: str
    width: int
    height: int
    steps: int
    guidance: float
    seamless: bool = True
    latent_roll: int = 0
    preview_every: int = 0
    vae_tiling: bool = False


def initial_latents(seed: int, width: int, height: int, scale: int = 8):
    """The starting noise of a run: standard normal, made on the CPU from ``seed``.

    Made on the CPU so that the same seed gives the same noise on every device.

    Returns
    -------
    torch.Tensor
        ``(1, 4, height // scale, width // scale)`` float32 on the CPU.
    """
    import torch

    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    return torch.randn((1, LATENT_CHANNELS, height // scale, width // scale), generator=gen,
                       dtype=torch.float32)


def _roll_scheduler_history(scheduler, shift: int) -> None:
    """Roll the stored model outputs of multistep schedulers (DPM++) along with the latent."""
    import torch

    history = getattr(scheduler, "model_outputs", None)
    if isinstance(history, list):
        for k, m in enumerate(history):
            if m is not None:
                history[k] = torch.roll(m, shifts=shift, dims=-1)


def decode_latents(pipe, latents, settings: RunSettings) -> np.ndarray:
    """Decode one latent with the pipeline's VAE.

    Parameters
    ----------
    pipe : StableDiffusionLDM3DPipeline
    latents : torch.Tensor
        ``(1, 4, h, w)`` as the UNet produced it (scaled by the VAE's ``scaling_factor``).
    settings : RunSettings
        ``seamless`` with ``vae_tiling``: the latent is extended by
        :data:`TILED_WRAP_COLUMNS` columns from the opposite edge on each side and the extra
        pixels are cropped after decoding. (Without tiling the caller has patched the VAE.)

    Returns
    -------
    (C, H, W) float32 ndarray
        The VAE's output in [-1, 1] (nominally), ``C`` = 4 or 6. A half-precision decode
        that overflows (NaN/inf) is redone in float32.
    """
    import torch

    vae = pipe.vae
    z = latents.float() / vae.config.scaling_factor
    pad = 0
    if settings.seamless and settings.vae_tiling:
        pad = min(TILED_WRAP_COLUMNS, z.shape[-1])
        z = torch.cat([z[..., -pad:], z, z[..., :pad]], dim=-1)
    with torch.no_grad():
        image = vae.decode(z.to(vae.dtype), return_dict=False)[0]
        if image.dtype == torch.float16 and not bool(torch.isfinite(image).all()):
            # fp16 overflow inside the VAE (known for some SD-family VAEs): decode in fp32
            vae.to(torch.float32)
            try:
                image = vae.decode(z, return_dict=False)[0]
            finally:
                vae.to(torch.float16)
    if pad:
        s = image.shape[-1] // z.shape[-1]
        image = image[..., pad * s: image.shape[-1] - pad * s]
    return image[0].float().cpu().numpy()


def run_ldm3d(
    pipe,
    settings: RunSettings,
    latents,
    *,
    generator=None,
    on_progress: ProgressCallback | None = None,
    cancel=None,
    started: float | None = None,
) -> np.ndarray:
    """Denoise ``latents`` with ``pipe`` and decode the result.

    Parameters
    ----------
    pipe : StableDiffusionLDM3DPipeline
        Loaded by :func:`models.ldm3d.loading.load_pipeline` (its image processor passes
        latents through).
    settings : RunSettings
    latents : torch.Tensor
        ``(1, 4, height/8, width/8)`` initial noise (unscaled; the scheduler scales it).
    generator : torch.Generator, optional
        For schedulers that add noise (Euler a).
    on_progress : callable, optional
        Called with a :class:`Progress` after every step.
    cancel : Event-like, optional
        Checked before the run and after every step.
    started : float, optional
        ``time.perf_counter()`` of the start of the whole generation (for ``elapsed``).

    Returns
    -------
    (C, H, W) float32 ndarray
        Decoded image, see :func:`decode_latents`.

    Raises
    ------
    CancelledError
        Within one step of ``cancel`` being set.
    """
    raise_if_cancelled(cancel)
    t0 = time.perf_counter()
    started = t0 if started is None else started
    roller = LatentRoller(settings.latent_roll if settings.seamless else 0)

    def on_step_end(p, i, t, kwargs):
        lat = kwargs["latents"]
        total = int(getattr(p, "num_timesteps", None) or settings.steps)
        done = i + 1
        raise_if_cancelled(cancel)
        preview = None
        if on_progress is not None and settings.preview_every > 0 and (
                done % settings.preview_every == 0 or done == total):
            preview = latent_to_rgb(roller.unroll(lat)[0].float().cpu().numpy())
        if done < total and roller.step_columns:
            lat = roller.step(lat)
            _roll_scheduler_history(p.scheduler, roller.step_columns)
        if on_progress is not None:
            now = time.perf_counter()
            per_step = (now - t0) / done
            on_progress(Progress(done, total, now - started, per_step * (total - done), preview,
                                 "denoising"))
        raise_if_cancelled(cancel)
        return {"latents": lat}

    device = pipe._execution_device
    dtype = pipe.unet.dtype
    undo = patch_conv2d(
        [pipe.unet] + ([] if settings.vae_tiling else [pipe.vae])
    ) if settings.seamless else (lambda: None)
    try:
        out = pipe(
            prompt=settings.prompt,
            negative_prompt=settings.negative_prompt or None,
            height=settings.height,
            width=settings.width,
            num_inference_steps=settings.steps,
            guidance_scale=settings.guidance,
            latents=latents.to(device=device, dtype=dtype),
            generator=generator,
            output_type="latent",
            return_dict=False,
            callback_on_step_end=on_step_end,
            callback_on_step_end_tensor_inputs=["latents"],
        )
        final = roller.unroll(out[0][0])
        if on_progress is not None:
            on_progress(Progress(settings.steps, settings.steps, time.perf_counter() - started,
                                 0.0, None, "decoding"))
        raise_if_cancelled(cancel)
        return decode_latents(pipe, final, settings)
    finally:
        undo()
        if hasattr(pipe, "maybe_free_model_hooks"):
            pipe.maybe_free_model_hooks()
