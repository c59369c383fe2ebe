"""Panoforge's own LDM3D-SR loop on diffusers components, tiled for any output size.

What the model computes (as in Intel's pipeline, read from diffusers' community
``pipeline_stable_diffusion_upscale_ldm3d.py``): the low-resolution RGB and depth are resized
to the output size and scaled to [-1, 1]; the 4-channel VAE encodes that RGBD into a
*condition latent* (times the VAE's ``scaling_factor``); starting from noise, every step the
UNet sees the scaled noisy latent concatenated with the condition latent (8 channels), the
CLIP embedding of the prompt and the noise level as its class label; classifier-free guidance
mixes the unconditional and prompted predictions; the scheduler steps; the VAE decodes the
final latent to RGBD.

What Panoforge adds:

- **Tiles** (:mod:`.tiles`). The condition encode, every denoising step and the decode run
  on overlapping tiles whose results are blended with fixed weights (the UNet's noise
  predictions are blended at every step, MultiDiffusion-style, before the scheduler steps the
  whole latent). Tiles wrap around the left/right edge, so the seam is handled like any other
  column and rolling the input by a tile step rolls the output exactly. Only tiles go to the
  device; the whole latent, the condition and the output stay in CPU memory, so the device
  memory is set by the tile size, not the output size.
- **A whole-width tile** uses circular convolutions instead (:mod:`models.ldm3d.seamless`).
- **Deterministic**: the condition latent is the VAE posterior's mean (the community file
  samples it), the noise is drawn on the CPU from the seed, and the schedulers that add noise
  get a CPU generator seeded from it.
- The low-resolution pair is brought to the output size with OpenCV's bicubic resampler,
  wrapping across the seam (the community file resizes with PIL's bilinear filter; the paper
  describes bicubic degradation). The result records it.
- **Progress** after every tile of every stage (encode, each step, decode) with the stage,
  step and tile in the message, a latent preview every ``preview_every`` steps, and
  ``cancel`` checked after every tile: a cancel stops within one tile-step.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import numpy as np

from ..base import Progress, raise_if_cancelled
from ..ldm3d.latent_preview import latent_to_rgb
from ..ldm3d.seamless import seamless_convs
from .tiles import TileGrid

__all__ = ["SRRunSettings", "Ticker", "encode_prompt", "encode_condition", "denoise",
           "decode", "initial_noise", "LATENT_CHANNELS"]

LATENT_CHANNELS = 4


@dataclass(frozen=True)
class SRRunSettings:
    """One run's settings (latent-pixel units for the tiles).

    Parameters
    ----------
    prompt, negative_prompt : str
    steps : int
    guidance : float
        Classifier-free guidance; <= 1 runs the prompted branch only.
    noise_level : int
        The UNet's class label.
    scheduler : str
    preview_every : int
        A latent preview every this many steps (0 = never).
    """

    prompt: str
    negative_prompt: str
    steps: int
    guidance: float
    noise_level: int
    scheduler: str = "ddim"
    preview_every: int = 0


class Ticker:
    """Counts work units (tile-steps) across the stages and reports them.

    Parameters
    ----------
    total : int
        Units in the whole run.
    on_progress : callable or None
    cancel : Event-like or None
    started : float
        ``time.perf_counter()`` at the start of the run.
    """

    def __init__(self, total: int, on_progress, cancel, started: float) -> None:
        self.total = int(total)
        self.done = 0
        self.on_progress = on_progress
        self.cancel = cancel
        self.started = started
        self._t0 = time.perf_counter()

    def tick(self, message: str, preview=None) -> None:
        """One unit done: report it, then raise ``CancelledError`` if cancel is set."""
        self.done += 1
        if self.on_progress is not None:
            now = time.perf_counter()
            per = (now - self._t0) / self.done
            self.on_progress(Progress(self.done, self.total, now - self.started,
                                      per * (self.total - self.done), preview, message))
        raise_if_cancelled(self.cancel)


def _gather(t, rows: np.ndarray, cols: np.ndarray):
    """``t[..., rows, :][..., cols]`` of a (1, C, H, W) tensor (indices may wrap)."""
    import torch

    r = torch.from_numpy(rows)
    c = torch.from_numpy(cols)
    return t.index_select(-2, r).index_select(-1, c)


def _scatter_add(acc, rows: np.ndarray, cols: np.ndarray, values) -> None:
    """``acc[..., rows, cols] += values`` for (1, C, H, W) tensors (wrapped indices repeat)."""
    import torch

    r = torch.from_numpy(rows)
    c = torch.from_numpy(cols)
    block = torch.zeros((*acc.shape[:-2], len(rows), acc.shape[-1]), dtype=acc.dtype)
    block.index_add_(-1, c, values)
    acc.index_add_(-2, r, block)


def _weight_sum(grid: TileGrid, shape: tuple[int, int]):
    import torch

    w = torch.from_numpy(grid.weights())[None, None]
    total = torch.zeros((1, 1, *shape), dtype=torch.float32)
    for rows, cols in grid.tiles():
        _scatter_add(total, rows, cols, w)
    return w, total


def _circular(grid: TileGrid) -> bool:
    return grid.cols.whole and grid.cols.wrap


@contextlib.contextmanager
def _circular_vae(vae, enabled: bool):
    """Circular convolutions in the VAE, *including* its encoder's down-samplers.

    diffusers' ``Downsample2D`` with ``padding=0`` pads one zero column on the right and one
    zero row at the bottom itself before a stride-2 convolution, which the convolution patch
    of :mod:`models.ldm3d.seamless` cannot see; here that column is wrapped from the left
    edge instead (the row stays zero: the poles do not wrap). Text-to-RGBD generation never
    encodes, so only the upscaler needs this.
    """
    import torch.nn.functional as F
    from diffusers.models.downsampling import Downsample2D

    patched = []
    if enabled:
        for m in vae.modules():
            if isinstance(m, Downsample2D) and m.use_conv and m.padding == 0 \
                    and m.norm is None and "forward" not in m.__dict__:
                def forward(x, *args, _m=m, **kwargs):
                    x = F.pad(x, (0, 1, 0, 0), mode="circular")
                    x = F.pad(x, (0, 0, 0, 1), mode="constant", value=0.0)
                    return _m.conv(x)

                m.forward = forward
                patched.append(m)
    try:
        with seamless_convs(vae, enabled=enabled):
            yield
    finally:
        for m in patched:
            m.__dict__.pop("forward", None)


def initial_noise(seed: int, height: int, width: int):
    """(1, 4, height, width) float32 standard normal noise made on the CPU from ``seed``."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    return torch.randn((1, LATENT_CHANNELS, height, width), generator=gen, dtype=torch.float32)


def encode_prompt(comps, prompt: str, negative_prompt: str, guidance: float):
    """CLIP embeddings ``(2 or 1, 77, d)`` on the device: [negative, prompt] with guidance."""
    import torch

    tok = comps.tokenizer
    texts = [negative_prompt or "", prompt] if guidance > 1.0 else [prompt]
    ids = tok(texts, padding="max_length", max_length=tok.model_max_length, truncation=True,
              return_tensors="pt").input_ids
    with torch.no_grad():
        emb = comps.text_encoder(ids.to(comps.choice.device))[0]
    return emb.to(comps.unet.dtype)


def encode_condition(comps, image, grid: TileGrid, ticker: Ticker):
    """The condition latent of a full-size RGBD image, encoded tile by tile.

    Parameters
    ----------
    comps : SRComponents
    image : torch.Tensor
        (1, 4, H, W) float32 on the CPU, values in [-1, 1].
    grid : TileGrid
        In latent pixels (``H / 8 x W / 8``).
    ticker : Ticker

    Returns
    -------
    torch.Tensor
        (1, 4, H/8, W/8) float32 on the CPU, scaled by the VAE's ``scaling_factor``.
    """
    import torch

    vae = comps.vae
    f = comps.vae_scale_factor
    shape = (grid.rows.size, grid.cols.size)
    w, wsum = _weight_sum(grid, shape)
    acc = torch.zeros((1, LATENT_CHANNELS, *shape), dtype=torch.float32)
    pix = grid.scaled(f)
    n = len(grid)
    with torch.no_grad(), _circular_vae(vae, _circular(grid)):
        for k, ((rows, cols), (prow, pcol)) in enumerate(zip(grid.tiles(), pix.tiles(),
                                                             strict=True)):
            tile = _gather(image, prow, pcol).to(comps.choice.device, vae.dtype)
            z = vae.encode(tile).latent_dist.mean.float().cpu()
            _scatter_add(acc, rows, cols, z * w)
            ticker.tick(f"encoding the condition: tile {k + 1}/{n}")
    return acc / wsum * float(vae.config.scaling_factor)


def denoise(comps, scheduler, embeddings, condition, latents, settings: SRRunSettings,
            grid: TileGrid, ticker: Ticker, generator=None):
    """The tiled denoising loop (module docstring).

    Parameters
    ----------
    comps : SRComponents
    scheduler : diffusers scheduler
        Fresh (``set_timesteps`` is called here).
    embeddings : torch.Tensor
        From :func:`encode_prompt`.
    condition : torch.Tensor
        (1, 4, h, w) CPU condition latent.
    latents : torch.Tensor
        (1, 4, h, w) CPU initial noise (unscaled).
    settings : SRRunSettings
    grid : TileGrid
        In latent pixels.
    ticker : Ticker
    generator : torch.Generator, optional
        CPU generator for schedulers that add noise.

    Returns
    -------
    torch.Tensor
        (1, 4, h, w) float32 CPU latent.
    """
    import inspect

    import torch

    unet = comps.unet
    device, dtype = comps.choice.device, unet.dtype
    cfg = embeddings.shape[0] == 2
    shape = (grid.rows.size, grid.cols.size)
    w, wsum = _weight_sum(grid, shape)
    scheduler.set_timesteps(settings.steps)
    timesteps = scheduler.timesteps
    step_kwargs = {}
    if "generator" in inspect.signature(scheduler.step).parameters:
        step_kwargs["generator"] = generator
    if "eta" in inspect.signature(scheduler.step).parameters:
        step_kwargs["eta"] = 0.0
    labels = torch.full((embeddings.shape[0],), int(settings.noise_level), dtype=torch.long,
                        device=device)
    x = latents.float() * float(scheduler.init_noise_sigma)
    n, total = len(grid), len(timesteps)
    with torch.no_grad(), seamless_convs(unet, enabled=_circular(grid)):
        for i, t in enumerate(timesteps):
            scaled = scheduler.scale_model_input(x, t).float()
            acc = torch.zeros_like(x)
            for k, (rows, cols) in enumerate(grid.tiles()):
                inp = torch.cat([_gather(scaled, rows, cols), _gather(condition, rows, cols)],
                                dim=1).to(device, dtype)
                if cfg:
                    inp = torch.cat([inp, inp])
                eps = unet(inp, t.to(device), encoder_hidden_states=embeddings,
                           class_labels=labels, return_dict=False)[0].float()
                if cfg:
                    uncond, text = eps.chunk(2)
                    eps = uncond + settings.guidance * (text - uncond)
                _scatter_add(acc, rows, cols, eps.cpu() * w)
                preview = None
                last_tile = k == n - 1
                if last_tile:
                    x = scheduler.step(acc / wsum, t, x, **step_kwargs, return_dict=False)[0]
                    if settings.preview_every > 0 and (
                            (i + 1) % settings.preview_every == 0 or i + 1 == total):
                        preview = latent_to_rgb(x[0].float().numpy())
                ticker.tick(f"denoising: step {i + 1}/{total}, tile {k + 1}/{n}", preview)
    return x


def decode(comps, latents, grid: TileGrid, ticker: Ticker) -> np.ndarray:
    """Decode a latent tile by tile and blend the pixel tiles.

    Parameters
    ----------
    comps : SRComponents
    latents : torch.Tensor
        (1, 4, h, w) CPU latent as the UNet produced it (scaled).
    grid : TileGrid
        In latent pixels.
    ticker : Ticker

    Returns
    -------
    (4, 8h, 8w) float32 ndarray
        The VAE's output, nominally in [-1, 1]. A float16 tile that overflows is decoded
        again in float32.
    """
    import torch

    vae = comps.vae
    f = comps.vae_scale_factor
    pix = grid.scaled(f)
    shape = (pix.rows.size, pix.cols.size)
    w, wsum = _weight_sum(pix, shape)
    acc = torch.zeros((1, 4, *shape), dtype=torch.float32)
    z_all = latents.float() / float(vae.config.scaling_factor)
    n = len(grid)
    with torch.no_grad(), seamless_convs(vae, enabled=_circular(grid)):
        for k, ((rows, cols), (prow, pcol)) in enumerate(zip(grid.tiles(), pix.tiles(),
                                                             strict=True)):
            z = _gather(z_all, rows, cols)
            img = vae.decode(z.to(comps.choice.device, vae.dtype), return_dict=False)[0]
            if img.dtype == torch.float16 and not bool(torch.isfinite(img).all()):
                vae.to(torch.float32)
                try:
                    img = vae.decode(z.to(comps.choice.device), return_dict=False)[0]
                finally:
                    vae.to(torch.float16)
            _scatter_add(acc, prow, pcol, img.float().cpu() * w)
            ticker.tick(f"decoding: tile {k + 1}/{n}")
    return (acc / wsum)[0].numpy()
