"""The classical ×N upscaler: no weights, OpenCV resampling and RGB-guided depth.

Every user can upscale with it (procedural scenes, imports); it is the default when no
LDM3D-SR weights are on disk. Everything runs on horizontally wrap-padded arrays (the
panorama's left and right edges are neighbours), cropped at the end, so the 360° seam is
treated exactly like any other column.

Colour
    OpenCV's bicubic resampler (``cv2.resize``, ``INTER_CUBIC``) on the wrap-padded image.

Depth (guided by the upscaled colour, never blended across a discontinuity)
    1. Work in log distance ``L`` at the depth map's resolution.
    2. Smooth surfaces: bicubic resampling of ``L``.
    3. Discontinuities: low-resolution pixels whose second difference of ``L`` (along x or
       y) exceeds ``edge_threshold`` (a sloped floor has a large first but a tiny second
       difference; a step of relative size ``j`` gives about ``log(1 + j)``), grown by one
       pixel, form the *band*.
    4. In the band every low-resolution pixel is labelled near side or far side (closer to
       its 5×5 neighbourhood's minimum or maximum). Each side is extended on its own to the
       high resolution (normalised bilinear interpolation of that side's samples only).
    5. The side label is upsampled and passed through OpenCV's **guided filter**
       (``cv2.ximgproc.guidedFilter``, He et al. 2013) with the high-resolution colour as the
       guide, then thresholded at 0.5: the boundary between the two sides moves to where the
       colour edge is. Each band pixel takes the value of its one side, so no output depth is a
       mixture of a foreground and a background value.

Why not a joint bilateral or guided filter on the depth itself: both are weighted means, so
across a depth edge they produce depths that exist on neither side (floating "rubber
sheet" points in the mesh). Filtering the *side label* and choosing keeps the guidance and
loses the blending. (``cv2.ximgproc.weightedMedianFilter`` also never mixes values but takes
tens of seconds on a 4096×2048 float image.)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace

import numpy as np

from scene.errors import InputError
from scene.metadata import GenerationMetadata
from scene.panorama import RGBDPanorama

from ..base import GenerationResult, Progress, raise_if_cancelled

__all__ = ["ClassicalSettings", "upscale_rgb", "upscale_depth_guided", "resize_wrap",
           "classical_upscale", "METHOD", "MAX_OUTPUT_PIXELS"]

#: What the result's metadata says made it.
METHOD = "classical"
#: Largest output accepted (16384 x 8192).
MAX_OUTPUT_PIXELS = 16384 * 8192
#: Low-resolution columns copied from the opposite edge on each side before processing.
_PAD_LR = 4


@dataclass(frozen=True)
class ClassicalSettings:
    """Settings of the classical upscaler (all recorded in the result).

    Parameters
    ----------
    factor : int
        Upscaling factor along both axes (2 to 8; 4 by default).
    edge_threshold : float
        Second difference of log distance above which a pixel is a depth discontinuity
        (0.05 is a jump of about 5 %).
    guide_radius : int or None
        Guided-filter window radius in output pixels; ``None`` = ``factor``.
    guide_eps : float
        Guided-filter regularisation, for colours in [0, 1] (smaller follows colour edges
        more closely).
    guided : bool
        ``False`` replaces the guided depth by plain bicubic (for comparisons only).
    """

    factor: int = 4
    edge_threshold: float = 0.05
    guide_radius: int | None = None
    guide_eps: float = 1e-3
    guided: bool = True

    def check(self) -> None:
        """Raise :class:`InputError` for out-of-range values."""
        if isinstance(self.factor, bool) or not isinstance(self.factor, int) \
                or not 2 <= self.factor <= 8:
            raise InputError(f"the upscaling factor must be a whole number from 2 to 8, got "
                             f"{self.factor}", hint="use 4 (1024x512 -> 4096x2048)")
        if not (self.edge_threshold > 0):
            raise InputError(f"edge threshold must be positive, got {self.edge_threshold}")
        if self.guide_radius is not None and not (1 <= int(self.guide_radius) <= 64):
            raise InputError(f"guide radius must be 1..64 pixels, got {self.guide_radius}")
        if not (self.guide_eps > 0):
            raise InputError(f"guide eps must be positive, got {self.guide_eps}")


def _cv2():
    try:
        import cv2
    except ImportError:
        raise InputError("the classical upscaler needs OpenCV",
                         hint="pip install opencv-contrib-python-headless") from None
    return cv2


def _pad(a: np.ndarray, p: int) -> np.ndarray:
    """Copy ``p`` columns from the opposite edge onto each side (wrap-around)."""
    return np.concatenate([a[:, -p:], a, a[:, :p]], axis=1)


def resize_wrap(img: np.ndarray, height: int, width: int, interpolation: int | None = None,
                pad: int = _PAD_LR) -> np.ndarray:
    """``cv2.resize`` of an equirect image, wrapping across the left/right edge.

    Parameters
    ----------
    img : (h, w) or (h, w, C) ndarray
        uint8 or float32.
    height, width : int
        Output size; ``width`` must be a whole multiple of ``w``.
    interpolation : int, optional
        An OpenCV flag (default ``INTER_CUBIC``).
    pad : int
        Source columns wrapped onto each side first.

    Returns
    -------
    (height, width[, C]) ndarray, same dtype as ``img``
    """
    cv2 = _cv2()
    h, w = img.shape[:2]
    if width % w:
        raise ValueError(f"output width {width} is not a multiple of {w}")
    f = width // w
    p = min(pad, w)
    big = cv2.resize(np.ascontiguousarray(_pad(img, p)), (width + 2 * p * f, height),
                     interpolation=cv2.INTER_CUBIC if interpolation is None else interpolation)
    return big[:, p * f: p * f + width]


def upscale_rgb(rgb: np.ndarray, factor: int) -> np.ndarray:
    """Bicubic ×``factor`` of an equirect colour image (wrap-aware).

    Parameters
    ----------
    rgb : (h, w, 3) uint8 ndarray
    factor : int

    Returns
    -------
    (h*factor, w*factor, 3) uint8 ndarray
    """
    h, w = rgb.shape[:2]
    return resize_wrap(np.ascontiguousarray(rgb), h * factor, w * factor)


def _second_difference(L: np.ndarray) -> np.ndarray:
    """max(|L[x-1] - 2L[x] + L[x+1]|, same along y) of a wrap-padded array; 0 at the border rows."""
    d2x = np.zeros_like(L)
    d2x[:, 1:-1] = np.abs(L[:, :-2] - 2.0 * L[:, 1:-1] + L[:, 2:])
    d2y = np.zeros_like(L)
    d2y[1:-1] = np.abs(L[:-2] - 2.0 * L[1:-1] + L[2:])
    return np.maximum(d2x, d2y)


def upscale_depth_guided(distance: np.ndarray, guide_rgb: np.ndarray,
                         settings: ClassicalSettings = ClassicalSettings()) -> np.ndarray:
    """Upscale radial distance to the guide's size, guided by its colour (module docstring).

    Parameters
    ----------
    distance : (h, w) float ndarray
        Metres, NaN where unknown.
    guide_rgb : (H, W, 3) uint8 ndarray
        The upscaled colour; ``W`` a whole multiple of ``w`` and ``H / h == W / w``.
    settings : ClassicalSettings

    Returns
    -------
    (H, W) float32 ndarray
        Metres; NaN where the nearest source pixel is unknown.
    """
    cv2 = _cv2()
    r = np.asarray(distance, dtype=np.float32)
    h, w = r.shape
    H, W = guide_rgb.shape[:2]
    if W % w or H * w != W * h:
        raise ValueError(f"guide {W}x{H} is not a whole multiple of the depth {w}x{h}")
    f = W // w
    valid = np.isfinite(r) & (r > 0)
    if not valid.any():
        return np.full((H, W), np.nan, dtype=np.float32)
    L = np.where(valid, np.log(np.where(valid, r, 1.0)), np.log(r[valid].max()))
    L = L.astype(np.float32)
    p = min(_PAD_LR, w)
    Lp = _pad(L, p)
    size = (W + 2 * p * f, H)  # padded output (cv2 order: width, height)

    def up(a, interpolation):
        return cv2.resize(np.ascontiguousarray(a), size, interpolation=interpolation)

    smooth = up(Lp, cv2.INTER_CUBIC)
    if settings.guided:
        band_lr = _second_difference(Lp) > settings.edge_threshold
        band_lr = cv2.dilate(band_lr.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        if band_lr.any():
            kernel = np.ones((5, 5), np.uint8)
            lo, hi = cv2.erode(Lp, kernel), cv2.dilate(Lp, kernel)
            near = ((Lp - lo) < (hi - Lp)).astype(np.float32)  # 1: near side, 0: far side
            far = 1.0 - near
            near_up = up(near, cv2.INTER_LINEAR)
            far_up = up(far, cv2.INTER_LINEAR)
            with np.errstate(divide="ignore", invalid="ignore"):
                near_val = up(Lp * near, cv2.INTER_LINEAR) / near_up
                far_val = up(Lp * far, cv2.INTER_LINEAR) / far_up
            near_val = np.where(near_up > 1e-3, near_val, up(lo, cv2.INTER_NEAREST))
            far_val = np.where(far_up > 1e-3, far_val, up(hi, cv2.INTER_NEAREST))
            guide = _pad(np.asarray(guide_rgb), p * f).astype(np.float32) * np.float32(1 / 255)
            radius = int(settings.guide_radius or f)
            side = _guided_rows(cv2, guide, near_up, up(band_lr.astype(np.uint8),
                                                        cv2.INTER_NEAREST) > 0,
                                radius, settings.guide_eps)
            band = up(band_lr.astype(np.uint8), cv2.INTER_NEAREST) > 0
            chosen = np.where(side > 0.5, near_val, far_val)
            smooth = np.where(band, chosen, smooth)
    out = np.exp(smooth[:, p * f: p * f + W]).astype(np.float32)
    if not valid.all():
        known = up(_pad(valid.astype(np.uint8), p), cv2.INTER_NEAREST)[:, p * f: p * f + W] > 0
        out[~known] = np.nan
    return out


def _guided_rows(cv2, guide: np.ndarray, src: np.ndarray, band: np.ndarray, radius: int,
                 eps: float, block: int = 128) -> np.ndarray:
    """Guided filter of ``src`` by ``guide``, computed only in row blocks that touch ``band``.

    Rows far from the band are never used (the caller keeps the smooth depth there), so they
    are returned unfiltered; each block carries ``2 * radius`` rows of margin so the filter
    inside it is exactly the full-image filter.
    """
    out = src.copy()
    rows = np.flatnonzero(band.any(axis=1))
    if rows.size == 0:
        return out
    H = src.shape[0]
    margin = 2 * radius
    for start in range(int(rows[0]) // block * block, int(rows[-1]) + 1, block):
        stop = min(start + block, H)
        if not band[start:stop].any():
            continue
        a, b = max(0, start - margin), min(H, stop + margin)
        filt = cv2.ximgproc.guidedFilter(np.ascontiguousarray(guide[a:b]),
                                         np.ascontiguousarray(src[a:b]), radius, eps)
        out[start:stop] = filt[start - a: stop - a]
    return out


def classical_upscale(pano: RGBDPanorama, settings: ClassicalSettings = ClassicalSettings(),
                      on_progress=None, cancel=None) -> GenerationResult:
    """Upscale a panorama's colour and depth ×``settings.factor`` with no model.

    Parameters
    ----------
    pano : RGBDPanorama
    settings : ClassicalSettings
    on_progress : callable, optional
        Receives :class:`models.base.Progress` (3 stages: colour, depth, done).
    cancel : Event-like, optional

    Returns
    -------
    GenerationResult
        The upscaled panorama; its metadata is the source's with ``backend="upscale"``,
        the new size, and ``extra["upscale"]`` = method, factor, every setting and the
        source size.

    Raises
    ------
    InputError
        Bad settings, or an output larger than :data:`MAX_OUTPUT_PIXELS`.
    CancelledError
    """
    from .depth_codec import encode_distance, source_distance

    settings.check()
    started = time.perf_counter()
    f = settings.factor
    H, W = pano.height * f, pano.width * f
    if H * W > MAX_OUTPUT_PIXELS:
        raise InputError(f"a x{f} upscale of {pano.width}x{pano.height} would be {W}x{H}, "
                         "larger than Panoforge handles (16384x8192)",
                         hint="use a smaller factor")

    def report(step, message):
        raise_if_cancelled(cancel)
        if on_progress is not None:
            now = time.perf_counter() - started
            on_progress(Progress(step, 3, now, 0.0, None, message))

    report(0, "upscaling colour")
    rgb = upscale_rgb(pano.rgb, f)
    raw, interp = None, None
    report(1, "upscaling depth")
    if pano.has_depth:
        dist = source_distance(pano)
        dh, dw = dist.shape
        if (dh, dw) != (pano.height, pano.width):
            # depth at a lower resolution than the colour: bring it to the colour's grid first
            from scene.panorama import resize_bilinear_wrap

            dist = resize_bilinear_wrap(dist, pano.height, pano.width)
        hr = upscale_depth_guided(dist, rgb, settings)
        raw, interp = encode_distance(hr, pano.interpretation, np.asarray(pano.raw_depth).dtype,
                                      f"upscaled x{f} ({METHOD})")
    report(2, "done")
    meta = upscaled_metadata(pano.metadata, pano, W, H, METHOD,
                             {"factor": f, **{k: v for k, v in asdict(settings).items()
                                              if k != "factor"}},
                             time.perf_counter() - started)
    out = RGBDPanorama(rgb=rgb, raw_depth=raw, interpretation=interp, metadata=meta,
                       flat_radius=pano.flat_radius)
    if on_progress is not None:
        on_progress(Progress(3, 3, time.perf_counter() - started, 0.0, None, "done"))
    return GenerationResult(panorama=out, metadata=meta)


def upscaled_metadata(source: GenerationMetadata, pano: RGBDPanorama, width: int, height: int,
                      method: str, settings: dict, duration: float,
                      **fields) -> GenerationMetadata:
    """The metadata of an upscaled result: the source's, plus what the upscale did.

    Parameters
    ----------
    source : GenerationMetadata
        The parent's metadata (its prompt, model and seed stay as provenance).
    pano : RGBDPanorama
        The parent (its size is recorded).
    width, height : int
        The new size.
    method : {"classical", "sr"}
    settings : dict
        Every setting of the upscale (plain JSON).
    duration : float
        Seconds.
    **fields
        Further :class:`GenerationMetadata` fields to set (model id, device...).
    """
    extra = dict(source.extra)
    extra["upscale"] = {"method": method, "source_width": pano.width,
                        "source_height": pano.height, "source_backend": source.backend,
                        **settings}
    return replace(source, backend="upscale", width=int(width), height=int(height),
                   duration_s=round(float(duration), 3), extra=extra, **fields)
