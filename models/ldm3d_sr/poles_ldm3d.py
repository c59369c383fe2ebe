"""The model path of pole repair: RePaint-style masked denoising with a 4-channel LDM3D model.

The up/down view of a cap (:mod:`.poles`) is a 90° perspective RGBD image, which is what
``Intel/ldm3d-4c`` draws (``Intel/ldm3d-pano``'s 4-channel VAE and UNet work the same way).
The view is encoded by the model's own VAE (RGB and normalised disparity in [-1, 1], the
posterior mean); the hole is the cap disc, grown to whole latent pixels. Denoising starts
from noise made from the seed on the CPU, and after every scheduler step the latent *outside*
the hole is replaced by the known latent noised to the next step's level
(``scheduler.add_noise``), so the model fills the hole in agreement with the ring around it
(Lugmayr et al., RePaint, 2022, without its resampling jumps). After the last step the
outside is the known latent exactly; the decoded view keeps the original pixels outside the
hole and takes the model's inside it.

Only 4-channel LDM3D models: the 6-channel ``Intel/ldm3d`` packs depth in three channels
that a VAE encode of a panorama's depth cannot reproduce, and is refused.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np

from scene.errors import InputError
from scene.extras import require

from ..base import Progress, raise_if_cancelled

__all__ = ["inpaint_view", "load_inpainter", "unload"]

_CACHE: dict = {}


def unload() -> None:
    """Forget the loaded model."""
    _CACHE.clear()


def load_inpainter(model: str | None, backend: str = "ldm3d-4c", device: str = "auto"):
    """Load (once per process) the LDM3D pipeline that fills the caps.

    Parameters
    ----------
    model : str or None
        Folder or Hugging Face id; ``None`` looks for ``backend``'s default weights.
    backend : {"ldm3d-4c", "ldm3d-pano"}
        Which 4-channel model family the folder is checked against.
    device : str

    Returns
    -------
    (pipeline, ModelLocation, DeviceChoice)
    """
    require("ldm3d", ("torch", "diffusers", "transformers"), "pole repair with a model")
    from ..ldm3d.loading import download_model, load_pipeline, select_device
    from ..ldm3d.weights import resolve_model, spec_for

    spec = spec_for(backend)
    if spec.vae_channels != 4:
        raise InputError(f"pole repair with a model needs a 4-channel LDM3D model, not "
                         f"{backend}", hint="use --model-backend ldm3d-4c or ldm3d-pano")
    location = resolve_model(spec, model)
    if location.folder is None:
        location = download_model(location.model_id, spec)
    choice = select_device(device)
    key = (str(location.folder.resolve()), location.check.variant, choice)
    if _CACHE.get("key") != key:
        _CACHE.clear()
        _CACHE["pipe"] = load_pipeline(location, choice)
        _CACHE["key"] = key
    return _CACHE["pipe"], location, choice


def inpaint_view(pipe, choice, rgb: np.ndarray, disparity: np.ndarray, hole: np.ndarray, *,
                 prompt: str, negative_prompt: str = "", seed: int = 0, steps: int = 30,
                 guidance: float = 7.0, on_progress=None, cancel=None,
                 message: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Fill ``hole`` of a square perspective RGBD view with the model (module docstring).

    Parameters
    ----------
    pipe : diffusers.StableDiffusionLDM3DPipeline
        A 4-channel model (:func:`load_inpainter`).
    choice : DeviceChoice
    rgb : (n, n, 3) uint8 ndarray
    disparity : (n, n) float ndarray
        Normalised disparity in [0, 1] (1 = near).
    hole : (n, n) bool ndarray
        True where the view is to be synthesised.
    prompt, negative_prompt : str
    seed, steps : int
    guidance : float
    on_progress : callable, optional
        :class:`models.base.Progress` after every step.
    cancel : Event-like, optional
        Checked after every step.
    message : str
        Prefix of the progress messages.

    Returns
    -------
    rgb : (n, n, 3) uint8 ndarray
        The input outside ``hole`` (unchanged), the model's colour inside.
    disparity : (n, n) float32 ndarray
        Likewise, in [0, 1].
    """
    import torch

    from ..ldm3d.seamless import unet_stride
    from .pipeline import encode_prompt

    n = rgb.shape[0]
    f = pipe.vae_scale_factor
    multiple = f * unet_stride(pipe.unet)
    if rgb.shape[:2] != (n, n) or n % multiple:
        raise InputError(f"the view must be square with a side that is a multiple of "
                         f"{multiple}, got {rgb.shape[1]}x{rgb.shape[0]}",
                         hint="use --face-size 512")
    if pipe.vae.config.in_channels != 4:
        raise InputError("pole repair needs a 4-channel LDM3D model (RGB + depth)",
                         hint="use Intel/ldm3d-4c or Intel/ldm3d-pano")
    started = time.perf_counter()
    device, dtype = choice.device, pipe.unet.dtype
    image = np.concatenate([rgb.astype(np.float32) / 255.0,
                            np.clip(disparity, 0.0, 1.0)[..., None].astype(np.float32)], axis=-1)
    x = torch.from_numpy(np.ascontiguousarray(np.moveaxis(image * 2.0 - 1.0, -1, 0)))[None]
    sf = float(pipe.vae.config.scaling_factor)
    h = n // f
    keep = ~hole.reshape(h, f, h, f).any(axis=(1, 3))  # latent pixels wholly outside the hole
    keep_t = torch.from_numpy(keep.astype(np.float32))[None, None]
    comps = SimpleNamespace(tokenizer=pipe.tokenizer, text_encoder=pipe.text_encoder,
                            unet=pipe.unet, choice=choice)
    with torch.no_grad():
        known = pipe.vae.encode(x.to(device, pipe.vae.dtype)).latent_dist.mean.float().cpu() * sf
        emb = encode_prompt(comps, prompt, negative_prompt, guidance)
        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        latents = torch.randn(known.shape, generator=gen, dtype=torch.float32)
        ring_noise = torch.randn(known.shape, generator=gen, dtype=torch.float32)
        scheduler = pipe.scheduler
        scheduler.set_timesteps(steps)
        timesteps = scheduler.timesteps
        latents = latents * float(scheduler.init_noise_sigma)
        cfg = emb.shape[0] == 2
        for i, t in enumerate(timesteps):
            inp = scheduler.scale_model_input(latents, t).to(device, dtype)
            if cfg:
                inp = torch.cat([inp, inp])
            eps = pipe.unet(inp, t.to(device), encoder_hidden_states=emb,
                            return_dict=False)[0].float().cpu()
            if cfg:
                uncond, text = eps.chunk(2)
                eps = uncond + guidance * (text - uncond)
            latents = scheduler.step(eps, t, latents, return_dict=False)[0]
            if i + 1 < len(timesteps):
                ring = scheduler.add_noise(known, ring_noise, timesteps[i + 1:i + 2])
            else:
                ring = known
            latents = keep_t * ring + (1.0 - keep_t) * latents
            if on_progress is not None:
                now = time.perf_counter() - started
                on_progress(Progress(i + 1, len(timesteps), now,
                                     now / (i + 1) * (len(timesteps) - i - 1), None,
                                     f"{message}masked denoising step {i + 1}/{len(timesteps)}"))
            raise_if_cancelled(cancel)
        out = pipe.vae.decode((latents / sf).to(device, pipe.vae.dtype),
                              return_dict=False)[0][0].float().cpu().numpy()
    unit = np.clip(out * 0.5 + 0.5, 0.0, 1.0)
    new_rgb = np.rint(np.moveaxis(unit[:3], 0, -1) * 255.0).astype(np.uint8)
    new_disp = unit[3].astype(np.float32)
    return (np.where(hole[..., None], new_rgb, rgb).astype(np.uint8),
            np.where(hole, new_disp, disparity).astype(np.float32))
