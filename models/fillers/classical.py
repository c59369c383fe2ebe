"""``classical``: OpenCV's image inpainting from the background side, for users with no weights.

The band (what a moved eye sees behind the foreground) is unknown, and so are the foreground
pixels next to it: the inpainter (``cv2.inpaint``, Telea's fast marching method) only ever
copies from the background side of each edge. Colour is inpainted in sRGB; depth is
inpainted as disparity (1 / metres, so far surfaces do not swamp near ones) and then kept at
least a cut threshold behind the foreground (so the layer never hides the foreground from
the centre) and within a cut threshold of the background beside it (so the layer's mesh
joins the dome's background). The panorama's seam is handled by wrapping :data:`PAD_PX` columns round before
inpainting.
"""

from __future__ import annotations

import time

import numpy as np

from scene.metadata import GenerationMetadata

from ..base import Progress, raise_if_cancelled
from .base import FillRequest, FillResult

__all__ = ["ClassicalFiller", "inpaint_behind", "PAD_PX", "RADIUS_PX", "NEAR_PX"]

#: Columns wrapped round each side before inpainting.
PAD_PX = 32
#: Telea's neighbourhood radius, pixels.
RADIUS_PX = 5
#: Foreground pixels this close to the band are hidden from the inpainter too.
NEAR_PX = 8


def _wrap(a: np.ndarray, pad: int) -> np.ndarray:
    return np.concatenate([a[:, -pad:], a, a[:, :pad]], axis=1)


def inpaint_behind(rgb: np.ndarray, dist: np.ndarray, band: np.ndarray, behind: np.ndarray,
                   cut_threshold: float):
    """Colour and distance behind the foreground in ``band``, from the background side.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
    dist : (H, W) float32 ndarray
        The dome's distance, metres (NaN = unknown).
    band : (H, W) bool ndarray
    behind : (H, W) float32 ndarray
        Background distance of each band pixel's edge (:class:`scene.layering.Disocclusion`).
    cut_threshold : float

    Returns
    -------
    rgb : (H, W, 3) uint8 ndarray
    distance : (H, W) float32 ndarray
        Metres; filled in ``band`` (NaN elsewhere).
    """
    import cv2
    from scipy.ndimage import distance_transform_edt

    h, w = dist.shape
    factor = 1.0 + float(cut_threshold)
    pad = min(PAD_PX, w)
    band_p = _wrap(band, pad)
    # foreground next to the band: nearer than the band's background
    far, (iy, ix) = distance_transform_edt(~band_p, return_indices=True)
    near_b = _wrap(np.nan_to_num(behind, nan=0.0), pad)[iy, ix]
    dist_p = _wrap(dist, pad)
    with np.errstate(invalid="ignore"):
        fg_near = (far <= NEAR_PX) & (dist_p * factor < near_b)
    unknown = band_p | fg_near | ~np.isfinite(dist_p)
    mask = unknown.astype(np.uint8)
    rgb_f = cv2.inpaint(np.ascontiguousarray(_wrap(rgb, pad)), mask, RADIUS_PX,
                        cv2.INPAINT_TELEA)
    disp = np.where(unknown, 0.0, 1.0 / np.where(np.isfinite(dist_p), dist_p, 1.0))
    disp_f = cv2.inpaint(disp.astype(np.float32), mask, RADIUS_PX, cv2.INPAINT_TELEA)
    rgb_out = rgb_f[:, pad:pad + w]
    with np.errstate(divide="ignore"):
        d = 1.0 / disp_f[:, pad:pad + w].astype(np.float64)
    floor = np.nan_to_num(dist, nan=0.0) * factor * 1.001
    d = np.where(np.isfinite(d) & (d > 0), d, np.nan_to_num(behind, nan=0.0))
    d = np.maximum(d, floor)
    # ... and no farther than the background next to it allows without a cut, so the layer's
    # mesh stays joined to the dome's background (a grazing floor cut in every row is bridged)
    with np.errstate(invalid="ignore"):
        d = np.where(np.isfinite(behind), np.minimum(d, behind * factor / 1.001), d)
    d = np.maximum(d, floor)
    out = np.where(band, d, np.nan).astype(np.float32)
    return rgb_out, out


class ClassicalFiller:
    """Inpaint from the background side (OpenCV), no weights needed."""

    name = "classical"

    def available(self) -> tuple[bool, str]:
        return True, "needs no weights (OpenCV inpainting)"

    def fill(self, request: FillRequest, on_progress=None, cancel=None) -> FillResult:
        start = time.perf_counter()
        raise_if_cancelled(cancel)
        d = request.disocc
        rgb, dist = inpaint_behind(request.dome.rgb, request.dome.distance, d.band, d.behind,
                                   d.cut_threshold)
        if on_progress:
            on_progress(Progress(1, 1, time.perf_counter() - start, 0.0, None, "inpainted"))
        import cv2

        meta = GenerationMetadata(
            backend="fill-classical", width=rgb.shape[1], height=rgb.shape[0],
            model_id="opencv-inpaint-telea", device="cpu", dtype="float32",
            duration_s=round(time.perf_counter() - start, 3),
            extra={"filler": "classical", "opencv": cv2.__version__, "radius_px": RADIUS_PX,
                   "depth": "disparity inpainted from the background side"})
        return FillResult(rgb, dist, meta)
