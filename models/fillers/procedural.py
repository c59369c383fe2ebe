"""``procedural``: the generator draws what is behind the foreground exactly.

The dome's own recipe (prompt and seed in its metadata) rebuilds the analytic scene; the ray
caster is run again with the foreground peeled (:func:`models.procedural.raycast.render`'s
``t_min``: every surface within the cut threshold of the dome's distance is skipped) and with
the dome's exposure, so the band gets the exact colour and distance of the surfaces behind.
Where nothing lies behind (the peeled surface was the room or the terrain itself, e.g. a floor
cut at a grazing angle) the band is extended from the background side as the classical
filler does (counted in the metadata's ``extended_px``).
The same renders from a moved eye (``eye``) are the ground truth of the walk-zone tests.
"""

from __future__ import annotations

import time

import numpy as np

from scene.errors import InputError
from scene.metadata import GenerationMetadata

from ..base import Progress, raise_if_cancelled
from .base import FillRequest, FillResult
from .classical import inpaint_behind

__all__ = ["ProceduralFiller", "render_recipe"]


def _check_recipe(meta: GenerationMetadata) -> GenerationMetadata:
    if meta.backend != "procedural":
        raise InputError(
            f"--fill procedural needs a result made by the procedural generator; this one was "
            f"made by {meta.backend or 'an unknown source'!r}",
            hint="use --fill classical (no weights) or --fill ldm3d")
    return meta


def _curtain(gap: np.ndarray, behind: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """(K,) distances for the ``gap`` pixels: each connected region of gap pixels (a floor or
    the ground cut in every row at a grazing angle) gets one depth, the farthest background
    next to it, so the layer there is a curtain whose triangles are not cut between rows and
    that joins the background at the region's far end."""
    from scipy import ndimage

    labels, n = ndimage.label(gap, structure=np.ones((3, 3)))
    far = ndimage.maximum(np.nan_to_num(behind, nan=0.0), labels, index=np.arange(1, n + 1))
    depth = np.asarray(far, np.float64)[labels[gap] - 1]
    return np.where(depth > 0, depth, fallback[gap]).astype(np.float32)


def render_recipe(meta: GenerationMetadata, width: int, height: int, *, eye=None,
                  t_min=None, exposure: float | None = None):
    """Render a procedural result's scene again (``models.procedural.raycast.RenderOutput``).

    Parameters
    ----------
    meta : GenerationMetadata
        A procedural result's record (``prompt``, ``seed``).
    width, height : int
    eye : (3,) float, optional
        Metres; the origin when omitted.
    t_min : (H, W) float ndarray, optional
        Peel surfaces at or nearer than this (metres from the origin).
    exposure : float, optional
        Reuse another render's exposure.
    """
    from ..procedural.backend import build_scene
    from ..procedural.raycast import render

    spec, _, rng = build_scene(meta.prompt, meta.seed)
    return render(spec, width, height, rng, eye=eye, t_min=t_min, exposure=exposure)


class ProceduralFiller:
    """Exact fill for results of the procedural generator."""

    name = "procedural"

    def __init__(self) -> None:
        self._exposure: dict = {}

    def available(self) -> tuple[bool, str]:
        return True, "needs no weights; only for results of the procedural generator"

    def fill(self, request: FillRequest, on_progress=None, cancel=None) -> FillResult:
        meta = _check_recipe(request.source)
        h, w = request.dome.distance.shape
        start = time.perf_counter()
        raise_if_cancelled(cancel)
        key = (meta.prompt, meta.seed, w, h)
        if key not in self._exposure:  # peeling deeper reuses the scene's exposure
            self._exposure[key] = render_recipe(meta, w, h).exposure
        exposure = self._exposure[key]
        if on_progress:
            on_progress(Progress(1, 2, time.perf_counter() - start, 0.0, None,
                                 "rendered the scene again"))
        raise_if_cancelled(cancel)
        dist = request.dome.distance
        factor = 1.0 + request.disocc.cut_threshold
        t_min = np.where(request.disocc.band, np.nan_to_num(dist, nan=0.0) * factor, 0.0)
        peeled = render_recipe(meta, w, h, t_min=t_min, exposure=exposure)
        rgb, out = peeled.rgb.copy(), peeled.distance.astype(np.float32)
        # where nothing lies behind the peeled surface (a floor seen at a grazing angle is cut
        # by the relative-jump rule although it goes on), extend it from the background side
        gap = request.disocc.band & ~np.isfinite(out)
        if gap.any():
            d = request.disocc
            rgb_c, dist_c = inpaint_behind(request.dome.rgb, dist, d.band, d.behind,
                                           d.cut_threshold)
            rgb[gap] = rgb_c[gap]
            out[gap] = _curtain(gap, d.behind, dist_c)
        if on_progress:
            on_progress(Progress(2, 2, time.perf_counter() - start, 0.0, None,
                                 "rendered what is behind the foreground"))
        out_meta = GenerationMetadata(
            backend="fill-procedural", prompt=meta.prompt, seed=meta.seed, width=w, height=h,
            model_id="procedural", device="cpu", dtype="float32",
            duration_s=round(time.perf_counter() - start, 3),
            extra={"filler": "procedural", "exposure": exposure,
                   "peel": "surfaces within cut_threshold of the dome's distance skipped",
                   "extended_px": int(gap.sum())})
        return FillResult(rgb, out, out_meta)


def exact_cube_views(meta: GenerationMetadata, eyes, face_size: int):
    """The generator's exact views from ``eyes`` as :class:`scene.raster.CubeRender` (each
    cube pixel takes the nearest pixel of an exact equirect render ``4 * face_size`` wide
    cast from that eye, with the dome's exposure)."""
    from scene.cubemap import FACE_ORDER, face_directions
    from scene.raster import CubeRender, equirect_lookup

    w = 4 * int(face_size)
    h = w // 2
    base = render_recipe(meta, w, h)
    dirs = np.stack([face_directions(f, face_size) for f in FACE_ORDER])
    x, y = equirect_lookup(dirs, w, h)
    out = []
    for eye in np.asarray(eyes, np.float64):
        view = render_recipe(meta, w, h, eye=eye, exposure=base.exposure)
        out.append(CubeRender(view.rgb[y, x].astype(np.float32),
                              view.distance[y, x].astype(np.float32), eye))
    return out
