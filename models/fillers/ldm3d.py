"""``ldm3d``: 3DiM-style pose-conditioned generation with LDM3D, without training.

3DiM generates a novel view conditioned on earlier views and poses, and at every denoising
step conditions on *one* earlier view drawn at random (stochastic conditioning), which keeps
the views of an autoregressive sequence consistent. LDM3D-pano has no pose input, so here the
pose enters through geometry instead of through the network:

1. **Poses**: :func:`poses` — the six axis offsets, then the eight cube corners, at the walk
   radius (:func:`scene.walkzone.eye_offsets`, the walk zone's own set); the first
   ``options["views"]`` of them (default all 14), visited in that order (autoregressive).
2. **Render and mask**: the scene so far (the dome and every view generated before) is
   rasterised from the new pose (:mod:`scene.raster`) as an equirect panorama; pixels no
   surface covers are the disoccluded ones.
3. **Conditioning views**: each earlier surface (the dome, each earlier view) rendered *alone*
   from the new pose gives a known RGBD image and mask; those that overlap the new view are
   the conditioning set.
4. **Masked denoising with stochastic conditioning** (RePaint's replacement step): after every
   scheduler step, one conditioning view is drawn at random with a generator seeded by the
   request (:func:`draw_conditioning`), its known latent is noised to the next timestep
   (``scheduler.add_noise``) and replaces the latent where that view is known. The UNet and
   the VAE run with circular padding along the width (:mod:`models.ldm3d.seamless`), so the
   panorama stays seamless. After decoding, the known pixels of the render are pasted back,
   so a view never changes what was already known.
5. **Lift to RGBD**: the decoded disparity is fitted to metres by least squares (scale and
   shift in 1/metres) on the known pixels; the new view becomes a surface around its pose.
6. **Fuse as a layer**: every generated pixel is lifted to 3D and reprojected to the origin;
   in the dome's band, the nearest such point behind the foreground is kept. Band pixels no
   view reached are extended from the background side (the classical filler), and the
   metadata counts both (``extra["from_views_px"]``, ``extra["extended_px"]``).

The model is loaded by the LDM3D backend's own path (local folder or Hugging Face id,
safetensors only, refusals before weights are read); the layer records the model and its
licence.
"""

from __future__ import annotations

import time

import numpy as np

from scene.metadata import GenerationMetadata
from scene.raster import Surface, cube_to_equirect, equirect_lookup, render_cube
from scene.walkzone import eye_offsets

from ..base import GenerationRequest, Progress, raise_if_cancelled
from .base import FillRequest, FillResult
from .classical import inpaint_behind

__all__ = ["LDM3DFiller", "poses", "draw_conditioning", "masked_denoise", "fit_disparity",
           "DEFAULT_STEPS"]

#: Denoising steps per view unless ``steps`` is given.
DEFAULT_STEPS = 30


def poses(walk_radius: float, n: int | None = None) -> np.ndarray:
    """(n, 3) float64 eye positions, metres: six axis offsets then eight corners."""
    eyes = eye_offsets(walk_radius)
    return eyes if n is None else eyes[:max(1, min(int(n), len(eyes)))]


def draw_conditioning(n_conditions: int, n_steps: int, seed: int) -> np.ndarray:
    """(n_steps,) int64: which conditioning view each denoising step uses (uniform, seeded)."""
    return np.random.default_rng(int(seed)).integers(0, n_conditions, size=int(n_steps))


def fit_disparity(disp: np.ndarray, dist: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Metres from a model's relative disparity, fitted on known pixels.

    Solves ``1 / dist = a * disp + b`` by least squares over ``known`` (numpy.linalg.lstsq)
    and returns ``1 / (a * disp + b)`` (clamped to positive inverse depths).

    Parameters
    ----------
    disp : (H, W) float ndarray
        Relative disparity in [0, 1].
    dist : (H, W) float ndarray
        Metres where ``known``.
    known : (H, W) bool ndarray
    """
    x = disp[known].astype(np.float64)
    y = 1.0 / dist[known].astype(np.float64)
    if x.size < 2 or np.ptp(x) < 1e-9:
        a, b = 0.0, float(np.median(y)) if y.size else 0.1
    else:
        (a, b), *_ = np.linalg.lstsq(np.stack([x, np.ones_like(x)], 1), y, rcond=None)
    inv = np.maximum(a * disp.astype(np.float64) + b, 1e-4)
    return (1.0 / inv).astype(np.float32)


def _encode_rgbd(vae, rgb: np.ndarray, disp: np.ndarray):
    """VAE latent of an RGB + disparity image (LDM3D's 4- or 6-channel input layout)."""
    import torch

    r = rgb.astype(np.float32) / 127.5 - 1.0
    channels = vae.config.in_channels
    d = np.clip(disp, 0.0, 1.0).astype(np.float32)
    if channels == 4:
        extra = [d * 2.0 - 1.0]
    else:  # 16-bit code packed as G * 256 + B (models.ldm3d.rgbd_split)
        code = np.rint(d * 65535.0)
        hi, lo = np.floor(code / 256.0), np.mod(code, 256.0)
        extra = [np.zeros_like(d), hi / 127.5 - 1.0, lo / 127.5 - 1.0]
    x = np.concatenate([np.moveaxis(r, -1, 0), np.stack(extra)], 0)[None]
    with torch.no_grad():
        t = torch.from_numpy(x).to(device=vae.device, dtype=vae.dtype)
        lat = vae.encode(t).latent_dist.mean
    return lat * vae.config.scaling_factor


def _latent_mask(known: np.ndarray, scale: int):
    """A latent cell is known when every pixel under it is (min-pool by ``scale``)."""
    import torch

    h, w = known.shape
    m = known.reshape(h // scale, scale, w // scale, scale).all(axis=(1, 3))
    return torch.from_numpy(m.astype(np.float32))[None, None]


def masked_denoise(pipe, prompt: str, conditions, width: int, height: int, steps: int,
                   seed: int, guidance: float, cancel=None, on_step=None):
    """RePaint-style masked denoising with stochastic conditioning (module notes, step 4).

    Parameters
    ----------
    pipe : StableDiffusionLDM3DPipeline
    prompt : str
    conditions : list of (rgb (H, W, 3) uint8, disparity (H, W) float, known (H, W) bool)
    width, height : int
    steps : int
    seed : int
        Seeds the initial noise, the re-noising and the draws.
    guidance : float
    cancel : Event-like, optional
    on_step : callable, optional
        ``on_step(i, total)`` after every step.

    Returns
    -------
    decoded : (C, H, W) float32 ndarray
        The VAE output (:func:`models.ldm3d.rgbd_split.split_rgbd` reads it).
    draws : (steps,) int64 ndarray
        The conditioning view each step used.
    """
    import torch

    from ..ldm3d.denoise import RunSettings, decode_latents, initial_latents
    from ..ldm3d.seamless import patch_conv2d

    scale = pipe.vae_scale_factor
    device = pipe._execution_device
    dtype = pipe.unet.dtype
    undo = patch_conv2d([pipe.unet, pipe.vae])
    try:
        known_lat = [_encode_rgbd(pipe.vae, rgb, disp).to(device=device, dtype=dtype)
                     for rgb, disp, _ in conditions]
        masks = [_latent_mask(k, scale).to(device=device, dtype=dtype) for *_, k in conditions]
        draws = draw_conditioning(len(conditions), steps, seed)
        gen = torch.Generator(device="cpu").manual_seed(int(seed) + 7)
        lat0 = initial_latents(seed, width, height, scale)
        used: list[int] = []

        def on_step_end(p, i, t, kwargs):
            raise_if_cancelled(cancel)
            lat = kwargs["latents"]
            ts = p.scheduler.timesteps
            j = int(draws[min(i, len(draws) - 1)])
            used.append(j)
            z0 = known_lat[j]
            if i + 1 < len(ts):
                noise = torch.randn(z0.shape, generator=gen, dtype=torch.float32).to(
                    device=device, dtype=dtype)
                zk = p.scheduler.add_noise(z0, noise, ts[i + 1:i + 2])
            else:
                zk = z0
            m = masks[j]
            lat = m * zk + (1.0 - m) * lat
            if on_step is not None:
                on_step(i + 1, len(ts))
            return {"latents": lat}

        out = pipe(prompt=prompt, height=height, width=width, num_inference_steps=steps,
                   guidance_scale=guidance, latents=lat0.to(device=device, dtype=dtype),
                   output_type="latent", return_dict=False,
                   callback_on_step_end=on_step_end,
                   callback_on_step_end_tensor_inputs=["latents"])
        raise_if_cancelled(cancel)
        settings = RunSettings(prompt, "", width, height, steps, guidance, seamless=True)
        decoded = decode_latents(pipe, out[0][0], settings)  # (latents, None) for "latent"
    finally:
        undo()
    return decoded, np.asarray(used, np.int64)


def _view_of(surfaces, eye, width: int):
    face = max(8, width // 4)
    return cube_to_equirect(render_cube(surfaces, eye, face), width)


class LDM3DFiller:
    """3DiM-style filler on an LDM3D panorama model (module notes).

    Parameters
    ----------
    model : str, optional
        LDM3D-pano folder or Hugging Face id (default: the catalogue's ldm3d-pano).
    steps : int, optional
    device : {"auto", "cpu", "cuda"}
    views : int, optional
        How many poses of :func:`poses` to generate (default 14).
    width : int, optional
        Width of the generated views (default: the dome's, at most 1024).
    guidance : float
    """

    name = "ldm3d"
    backend_name = "ldm3d-pano"
    #: One pass: its views from every pose already see past every depth of the foreground,
    #: so peeling again would only generate the same views again.
    max_layers = 1

    def __init__(self, model: str | None = None, steps: int | None = None,
                 device: str = "auto", views: int | None = None, width: int | None = None,
                 guidance: float = 5.0) -> None:
        self.model = model
        self.steps = int(steps or DEFAULT_STEPS)
        self.device = device
        self.views = views
        self.width = width
        self.guidance = float(guidance)
        #: After a fill: the conditioning draws of every view (for tests and the record).
        self.last_draws: list[list[int]] = []
        #: After a fill: per view (render rgb, render distance, hole mask, view rgb, view dist).
        self.last_views: list[tuple] = []

    def available(self) -> tuple[bool, str]:
        if self.model:
            return True, "model given"
        from ..ldm3d.weights import local_weights_available

        return local_weights_available(self.backend_name)

    def _pipeline(self):
        from ..ldm3d.backend import LDM3DBackend

        backend = LDM3DBackend(self.backend_name)
        # the backend's own loading path and its one-pipeline cache
        pipe, location, choice = backend.pipeline(
            GenerationRequest(prompt="", model=self.model, device=self.device))
        return pipe, location, choice

    def fill(self, request: FillRequest, on_progress=None, cancel=None) -> FillResult:
        from ..catalog import licence_records
        from ..ldm3d.rgbd_split import split_rgbd, to_unit

        start = time.perf_counter()
        raise_if_cancelled(cancel)
        dome = request.dome
        dis = request.disocc
        thr = dis.cut_threshold
        pipe, location, choice = self._pipeline()
        h0, w0 = dome.distance.shape
        mult = 64
        width = int(self.width or min(w0, 1024))
        width = max(mult, width // mult * mult)
        height = width // 2
        eyes = poses(dis.walk_radius, self.views)
        prompt = request.source.prompt or "360 view"
        dome_srf = Surface.from_equirect(dome.rgb, dome.distance, thr)
        surfaces = [dome_srf]
        lifted = []
        self.last_draws = []
        self.last_views = []
        total = len(eyes) * self.steps
        for k, eye in enumerate(eyes):
            raise_if_cancelled(cancel)
            rgb_k, dist_k = _view_of(surfaces, eye, width)
            hole = ~np.isfinite(dist_k)
            if not hole.any():
                continue
            conditions = []
            for srf in surfaces:
                c_rgb, c_dist = _view_of([srf], eye, width)
                known = np.isfinite(c_dist)
                if known.any():
                    near = float(np.nanmin(c_dist))
                    disp = np.where(known, near / np.where(known, c_dist, 1.0), 0.0)
                    conditions.append((c_rgb, disp, known))

            def on_step(i, n, k=k):
                if on_progress is not None:
                    done = k * self.steps + i
                    el = time.perf_counter() - start
                    on_progress(Progress(done, total, el, el / done * (total - done), None,
                                         f"view {k + 1} of {len(eyes)}: denoising"))

            decoded, draws = masked_denoise(pipe, prompt, conditions, width, height, self.steps,
                                            request.seed * 1000 + k, self.guidance, cancel,
                                            on_step)
            self.last_draws.append(draws.tolist())
            g_rgb, _ = split_rgbd(decoded)
            g_disp = to_unit(decoded)[3] if decoded.shape[0] == 4 else \
                split_rgbd(decoded)[1].astype(np.float32) / 65535.0
            known = ~hole
            g_dist = fit_disparity(g_disp, dist_k, known)
            # the render's known pixels are kept exactly
            v_rgb = np.where(known[..., None], rgb_k, g_rgb)
            v_dist = np.where(known, dist_k, g_dist).astype(np.float32)
            surfaces.append(Surface.from_equirect(v_rgb, v_dist, thr, centre=eye))
            lifted.append((eye, hole, v_rgb, v_dist))
            self.last_views.append((rgb_k, dist_k, hole, v_rgb, v_dist))
        rgb_out, dist_out, from_views = self._fuse(dome, dis, lifted, width)
        gap = dis.band & ~np.isfinite(dist_out)
        if gap.any():
            c_rgb, c_dist = inpaint_behind(dome.rgb, dome.distance, dis.band, dis.behind, thr)
            rgb_out[gap] = c_rgb[gap]
            dist_out[gap] = c_dist[gap]
        meta = GenerationMetadata(
            backend="fill-ldm3d", prompt=prompt, seed=int(request.seed), steps=self.steps,
            guidance=self.guidance, width=w0, height=h0, model_id=location.model_id,
            model_revision=location.revision, device=choice.device, dtype=choice.dtype_name,
            seamless=True, duration_s=round(time.perf_counter() - start, 3),
            extra={"filler": "ldm3d", "poses": np.round(eyes, 6).tolist(),
                   "conditioning_draws": self.last_draws, "view_width": width,
                   "from_views_px": int(from_views), "extended_px": int(gap.sum()),
                   "method": "masked denoising (RePaint) with stochastic conditioning (3DiM)"},
            licences=licence_records((location.model_id, self.backend_name)))
        return FillResult(rgb_out, dist_out, meta)

    @staticmethod
    def _fuse(dome, dis, lifted, width: int):
        """Reproject generated pixels to the origin; keep the nearest behind the foreground."""
        from scene.conventions import direction_grid

        h0, w0 = dome.distance.shape
        rgb_out = np.zeros((h0, w0, 3), np.uint8)
        best = np.full(h0 * w0, np.inf)
        dirs = direction_grid(width, width // 2, dtype=np.float64)
        floor = (np.nan_to_num(dome.distance, nan=np.inf) * (1.0 + dis.cut_threshold)).ravel()
        band = dis.band.ravel()
        flat_rgb = rgb_out.reshape(-1, 3)
        for eye, hole, v_rgb, v_dist in lifted:
            sel = hole & np.isfinite(v_dist)
            pts = eye + dirs[sel] * v_dist[sel, None]
            x, y = equirect_lookup(pts, w0, h0)
            idx = y * w0 + x
            r = np.linalg.norm(pts, axis=1)
            ok = band[idx] & (r > floor[idx])
            idx, r, col = idx[ok], r[ok], v_rgb[sel][ok]
            order = np.argsort(-r)  # nearest written last wins
            idx, r, col = idx[order], r[order], col[order]
            closer = r < best[idx]
            best[idx[closer]] = r[closer]
            flat_rgb[idx[closer]] = col[closer]
        dist_out = np.where(np.isfinite(best), best, np.nan).astype(np.float32).reshape(h0, w0)
        return rgb_out, dist_out, int(np.isfinite(best).sum())
