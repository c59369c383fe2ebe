"""The ``ldm3d-sr`` upscaler: a panorama in, the same panorama ×4 (RGB and depth) out.

Input depth goes to the model as normalised disparity (what LDM3D's VAEs were trained on):
an LDM3D result's own disparity as it is; metric depth mapped with its near/far (the
interpretation's, else the data's range). The output keeps that mapping: 16-bit disparity
with ``DepthInterpretation(kind="disparity", near, far, scale=1/65535)``, so its near/far
can be changed later like any LDM3D result's.

Importing this module is cheap; torch and diffusers load when :meth:`LDM3DSRUpscaler.upscale`
runs. One loaded model is kept per process (a lock serialises runs).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from scene.depth import DepthInterpretation
from scene.errors import InputError
from scene.extras import require
from scene.panorama import RGBDPanorama

from ..base import GenerationResult, Progress, check_seed, raise_if_cancelled
from ..loaded_model import LoadedModel
from .weights import SR_DEFAULTS, SR_SPEC, resolve_sr_model, sr_weights_available

__all__ = ["SRRequest", "LDM3DSRUpscaler", "make_upscaler", "unload", "METHOD",
           "DEFAULT_PROMPT", "MAX_STEPS"]

METHOD = "sr"
#: The prompt Intel's example uses for upscaling.
DEFAULT_PROMPT = "high quality high resolution uhd 4k image"
MAX_STEPS = 1000

_MODEL = LoadedModel()


def unload() -> None:
    """Forget the loaded model."""
    _MODEL.clear()


@dataclass(frozen=True)
class SRRequest:
    """What the user asked of an SR upscale (``None`` = the model's default).

    Parameters
    ----------
    prompt, negative_prompt : str
    seed : int
    steps : int or None
        Default 75.
    guidance : float or None
        Default 9.
    noise_level : int or None
        Default 20.
    scheduler : str
        ``ddim`` (default), ``dpm++2m``, ``euler-a``.
    tile, overlap : int
        Tile edge and overlap in *output* pixels (multiples of 8; the tile also of 8 times
        the UNet's stride). Default 512 / 128 (a 64 x 64 latent tile, Stable Diffusion's own).
    wrap : bool
        Tiles wrap around the left/right edge (off only for comparisons).
    device : str
        ``auto``, ``cpu`` or ``cuda``.
    model : str or None
        A folder or Hugging Face id (default ``Intel/ldm3d-sr``).
    preview_every : int
        A latent preview every this many steps (0 = never).
    """

    prompt: str = DEFAULT_PROMPT
    negative_prompt: str = ""
    seed: int = 0
    steps: int | None = None
    guidance: float | None = None
    noise_level: int | None = None
    scheduler: str = "ddim"
    tile: int = 512
    overlap: int = 128
    wrap: bool = True
    device: str = "auto"
    model: str | None = None
    preview_every: int = 5


def _check(request: SRRequest) -> tuple[int, float, int]:
    from ..ldm3d.loading import SCHEDULERS

    steps = SR_DEFAULTS.steps if request.steps is None else request.steps
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise InputError(f"--steps must be between 1 and {MAX_STEPS}, got {steps}",
                         hint=f"LDM3D-SR is usually run with {SR_DEFAULTS.steps} steps")
    guidance = SR_DEFAULTS.guidance if request.guidance is None else float(request.guidance)
    if not 0 <= guidance < 100:
        raise InputError(f"--guidance must be between 0 and 100, got {guidance}",
                         hint=f"LDM3D-SR's default is {SR_DEFAULTS.guidance}")
    noise = SR_DEFAULTS.noise_level if request.noise_level is None else request.noise_level
    if isinstance(noise, bool) or not isinstance(noise, int) or noise < 0:
        raise InputError(f"--noise-level must be a whole number >= 0, got {noise}",
                         hint=f"the default is {SR_DEFAULTS.noise_level}")
    if request.scheduler not in SCHEDULERS:
        raise InputError(f"unknown scheduler {request.scheduler!r}",
                         hint="use one of: " + ", ".join(SCHEDULERS))
    check_seed(request.seed)  # the one declared seed range (models.base)
    for name, v in (("tile", request.tile), ("overlap", request.overlap)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v % 8:
            raise InputError(f"--{name} must be a whole multiple of 8 pixels, got {v}",
                             hint="for example --tile 512 --overlap 128")
    if request.tile <= request.overlap:
        raise InputError(f"--overlap ({request.overlap}) must be smaller than --tile "
                         f"({request.tile})", hint="for example --tile 512 --overlap 128")
    return steps, guidance, noise


def _condition_depth(pano: RGBDPanorama) -> tuple[np.ndarray, float, float]:
    """Normalised disparity in [0, 1] at the depth map's resolution, and its near/far."""
    from .depth_codec import source_distance, to_unit_disparity

    interp = pano.interpretation
    raw = np.asarray(pano.raw_depth)
    if interp.kind == "disparity":
        value = np.nan_to_num(raw.astype(np.float32) * np.float32(interp.scale), nan=0.0)
        return np.clip(value, 0.0, 1.0), float(interp.near), float(interp.far)
    dist = source_distance(pano)
    finite = dist[np.isfinite(dist)]
    if interp.near_far is not None:
        near, far = interp.near_far
    elif finite.size:
        near, far = float(finite.min()), float(finite.max())
    else:
        near, far = 1.0, 40.0
    if not far > near:
        far = near * 2.0
    return to_unit_disparity(dist, near, far), near, far


class LDM3DSRUpscaler:
    """LDM3D-SR as a Panoforge upscaler (see the module docstring)."""

    name = SR_SPEC.name
    label = "LDM3D-SR (x4 RGB + depth)"
    factor = SR_DEFAULTS.factor

    def available(self) -> tuple[bool, str]:
        """Whether the default weights are on disk (cheap, no torch)."""
        return sr_weights_available()

    def _components(self, request: SRRequest):
        from ..ldm3d.loading import download_model, select_device
        from .loading import load_sr
        from .weights import SR_SPEC, check_sr_folder

        location = resolve_sr_model(request.model)
        if location.folder is None:
            location = download_model(location.model_id, SR_SPEC, check=check_sr_folder)
        choice = select_device(request.device)
        key = (str(location.folder.resolve()), location.check.variant, choice)
        return _MODEL.get(key, lambda: load_sr(location, choice)), location

    def upscale(self, pano: RGBDPanorama, request: SRRequest = SRRequest(), on_progress=None,
                cancel=None, latents=None) -> GenerationResult:
        """Upscale ``pano`` ×4 with the model.

        Parameters
        ----------
        pano : RGBDPanorama
            With depth.
        request : SRRequest
        on_progress : callable, optional
            :class:`models.base.Progress` after every tile of every stage.
        cancel : Event-like, optional
            Checked after every tile.
        latents : torch.Tensor, optional
            (1, 4, 4h/8, 4w/8) initial noise instead of the seed's (for equivariance tests).

        Raises
        ------
        InputError
            No depth, bad settings, a folder that is not LDM3D-SR, weights missing offline.
        ResourceError
            The GPU ran out of memory.
        CancelledError
        """
        from ..ldm3d.seamless import unet_stride

        started = time.perf_counter()
        if not pano.has_depth:
            raise InputError("LDM3D-SR upscales colour and depth together; this panorama has "
                             "no depth", hint="use --method classical for colour only")
        steps, guidance, noise = _check(request)
        require("ldm3d", ("torch", "diffusers", "transformers"), "LDM3D-SR upscaling")
        f = self.factor
        H, W = pano.height * f, pano.width * f
        from .classical import MAX_OUTPUT_PIXELS

        if H * W > MAX_OUTPUT_PIXELS:
            raise InputError(f"a x{f} upscale of {pano.width}x{pano.height} would be {W}x{H}, "
                             "larger than Panoforge handles (16384x8192)",
                             hint="upscale a smaller result")
        raise_if_cancelled(cancel)
        if on_progress is not None:
            on_progress(Progress(0, 1, 0.0, 0.0, None, "loading model"))
        with _MODEL.lock:
            import torch

            from ..ldm3d.rgbd_split import split_rgbd
            from .loading import make_scheduler
            from .pipeline import (
                SRRunSettings,
                Ticker,
                decode,
                denoise,
                encode_condition,
                encode_prompt,
                initial_noise,
            )
            from .tiles import make_grid

            comps, location = self._components(request)
            max_noise = comps.unet.config.num_class_embeds
            if max_noise is not None and noise >= max_noise:
                raise InputError(f"--noise-level must be below {max_noise} for this model, "
                                 f"got {noise}", hint=f"the default is {SR_DEFAULTS.noise_level}")
            vf = comps.vae_scale_factor
            multiple = vf * unet_stride(comps.unet)
            if request.tile % multiple:
                raise InputError(f"--tile must be a multiple of {multiple} pixels for this "
                                 f"model, got {request.tile}", hint="for example --tile 512")
            if H % vf or W % vf:
                raise InputError(f"the output {W}x{H} is not a multiple of {vf}",
                                 hint="upscale a panorama whose height is even")
            h, w = H // vf, W // vf
            grid = make_grid(h, w, request.tile // vf, request.overlap // vf, request.wrap)
            if grid.cols.whole and (w % unet_stride(comps.unet) or h % unet_stride(comps.unet)):
                raise InputError(f"a whole-width tile needs a latent size that is a multiple "
                                 f"of {unet_stride(comps.unet)}, got {w}x{h}",
                                 hint="use a smaller --tile")
            image = self._condition_image(pano, f)
            settings = SRRunSettings(request.prompt, request.negative_prompt, steps, guidance,
                                     noise, request.scheduler, int(request.preview_every or 0))
            ticker = Ticker(len(grid) * (steps + 2), on_progress, cancel, started)
            noise_t = initial_noise(request.seed, h, w) if latents is None else latents.float()
            if tuple(noise_t.shape) != (1, 4, h, w):
                raise ValueError(f"latents must be (1, 4, {h}, {w}), got {tuple(noise_t.shape)}")
            generator = torch.Generator(device="cpu").manual_seed(int(request.seed) + 1)
            try:
                emb = encode_prompt(comps, settings.prompt, settings.negative_prompt, guidance)
                cond = encode_condition(comps, image, grid, ticker)
                scheduler = make_scheduler(comps.scheduler_config, settings.scheduler)
                final = denoise(comps, scheduler, emb, cond, noise_t, settings, grid, ticker,
                                generator)
                decoded = decode(comps, final, grid, ticker)
            except torch.OutOfMemoryError:
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                from scene.errors import ResourceError

                raise ResourceError("the GPU ran out of memory during LDM3D-SR",
                                    hint=f"use a smaller --tile (now {request.tile}), or "
                                    "--device cpu") from None
        rgb, disparity = split_rgbd(decoded)
        return self._result(pano, request, rgb, disparity, location, comps, grid, steps,
                            guidance, noise, time.perf_counter() - started)

    @staticmethod
    def _condition_image(pano: RGBDPanorama, f: int):
        """(1, 4, H, W) float32 CPU tensor in [-1, 1]: bicubic RGB and disparity (wrapping)."""
        import torch

        from .classical import resize_wrap, upscale_rgb

        H, W = pano.height * f, pano.width * f
        rgb = upscale_rgb(pano.rgb, f).astype(np.float32) / 255.0
        disp, _, _ = _condition_depth(pano)
        if disp.shape != (pano.height, pano.width):  # depth coarser than the colour
            from scene.panorama import resize_bilinear_wrap

            disp = resize_bilinear_wrap(disp, pano.height, pano.width)
        disp = np.clip(resize_wrap(disp.astype(np.float32), H, W), 0.0, 1.0)
        rgbd = np.concatenate([rgb, disp[..., None]], axis=-1) * 2.0 - 1.0
        return torch.from_numpy(np.ascontiguousarray(np.moveaxis(rgbd, -1, 0)))[None].float()

    def _result(self, pano, request, rgb, disparity, location, comps, grid, steps, guidance,
                noise, duration) -> GenerationResult:
        import diffusers
        import torch

        from ..catalog import entry_for_model, licence_record
        from .classical import upscaled_metadata

        _, near, far = _condition_depth(pano)
        interp = DepthInterpretation(kind="disparity", near=near, far=far, scale=1.0 / 65535.0,
                                     source="ldm3d-sr 16-bit disparity")
        licence = licence_record(entry_for_model(location.model_id, SR_SPEC.name),
                                 location.model_id)
        settings = {
            "factor": self.factor, "model_id": location.model_id,
            "model_revision": location.revision, "model_folder": str(location.folder),
            "weights_variant": location.check.variant or "", "prompt": request.prompt,
            "negative_prompt": request.negative_prompt, "seed": int(request.seed),
            "steps": steps, "guidance": guidance, "noise_level": noise,
            "scheduler": request.scheduler, "tile": request.tile, "overlap": request.overlap,
            "wrap": bool(request.wrap), "tiles": len(grid),
            "condition_latent": "posterior mean", "condition_upsampling": "bicubic (OpenCV)",
            "device": comps.choice.device,
            "dtype": comps.choice.dtype_name, "diffusers_version": diffusers.__version__,
            "torch_version": torch.__version__, "licence": licence,
        }
        meta = upscaled_metadata(pano.metadata, pano, rgb.shape[1], rgb.shape[0], METHOD,
                                 settings, duration).with_licences([licence])
        out = RGBDPanorama(rgb=rgb, raw_depth=disparity, interpretation=interp, metadata=meta,
                           flat_radius=pano.flat_radius)
        return GenerationResult(panorama=out, metadata=meta)


def make_upscaler(name: str = SR_SPEC.name) -> LDM3DSRUpscaler:
    """Factory (``"ldm3d-sr"``)."""
    if name != SR_SPEC.name:
        raise InputError(f"unknown upscaler {name!r}", hint=f"use {SR_SPEC.name}")
    return LDM3DSRUpscaler()
