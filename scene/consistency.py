"""The 3D consistency score (3DiM's metric, adapted to a layered RGBD scene).

3DiM trains a neural field on generated views and measures how well it renders held-out
views: views that agree on one 3D scene reconstruct each other. Here the views carry depth,
so the reconstruction needs no training: each view is meshed around its own eye (the
DepthFusion mesh with the scene's cut rule) and the others' meshes are rasterised from the
held-out pose (:mod:`scene.raster`).

Procedure (:func:`score_scene`):

1. ``n_views`` poses: the first ``n_views`` eyes of :func:`scene.walkzone.eye_offsets` at
   ``radius`` (the six axis offsets by default).
2. Each pose's view: the scene (dome and layers) rasterised from it as a cube map.
3. Hold each view out in turn; rebuild it from the other views; compare.

Comparison (:func:`compare_views`): a hole (a pixel no surface covers) in either image is an
error of the full range, 255 per channel: a scene that shows nothing somewhere is not
consistent there. ``psnr`` is ``10 log10(255^2 / MSE)`` with the squared error averaged over
the three channels and weighted by each cube pixel's solid angle (capped at
:data:`PSNR_CAP_DB` when the images are equal); ``ssim`` is scikit-image's
``structural_similarity`` per face (colour, data range 255, holes black) averaged over the
faces; ``hole_fraction`` is the solid-angle share where either image has a hole. The score of
the scene is the mean over held-out views.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .raster import CubeRender, Surface, cube_pixel_weights, cube_to_equirect, render_cube
from .walkzone import eye_offsets, scene_surfaces

__all__ = ["PSNR_CAP_DB", "ViewComparison", "ConsistencyScore", "compare_views", "score_scene",
           "view_surface"]

#: PSNR reported for identical images, dB.
PSNR_CAP_DB = 100.0
#: Default cube face of the views, pixels.
SCORE_FACE = 64


@dataclass
class ViewComparison:
    """One held-out view against its reconstruction (or an exact render)."""

    psnr: float
    ssim: float
    hole_fraction: float

    def to_dict(self) -> dict:
        return {"psnr_db": round(self.psnr, 4), "ssim": round(self.ssim, 6),
                "hole_fraction": round(self.hole_fraction, 6)}


@dataclass
class ConsistencyScore:
    """The score of a scene.

    Attributes
    ----------
    psnr, ssim, hole_fraction : float
        Means over the held-out views.
    views : list of ViewComparison
    eyes : (N, 3) ndarray
        The poses, metres.
    exact : list of ViewComparison or None
        Each view against the generator's exact render from its pose (procedural scenes).
    seconds : float
    """

    psnr: float
    ssim: float
    hole_fraction: float
    views: list
    eyes: np.ndarray
    exact: list | None = None
    seconds: float = 0.0
    radius: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = {"psnr_db": round(self.psnr, 4), "ssim": round(self.ssim, 6),
             "hole_fraction": round(self.hole_fraction, 6), "radius_m": self.radius,
             "views": [v.to_dict() for v in self.views],
             "eyes": np.round(self.eyes, 6).tolist()}
        if self.exact is not None:
            d["exact"] = {
                "psnr_db": round(float(np.mean([v.psnr for v in self.exact])), 4),
                "ssim": round(float(np.mean([v.ssim for v in self.exact])), 6),
                "hole_fraction": round(float(np.mean([v.hole_fraction for v in self.exact])), 6),
                "views": [v.to_dict() for v in self.exact]}
        return d


def compare_views(a: CubeRender, b: CubeRender) -> ViewComparison:
    """Compare two cube renders of the same pose (see the module notes)."""
    from skimage.metrics import structural_similarity

    ha, hb = a.hole, b.hole
    ia = np.where(ha[..., None], 0.0, a.rgb.astype(np.float64))
    ib = np.where(hb[..., None], 0.0, b.rgb.astype(np.float64))
    wts = cube_pixel_weights(a.rgb.shape[1])
    err = np.where(ha | hb, 255.0 ** 2, ((ia - ib) ** 2).mean(axis=-1))
    mse = float((wts * err).sum() / wts.sum())
    psnr = PSNR_CAP_DB if mse <= 0 else min(PSNR_CAP_DB, 10.0 * np.log10(255.0 ** 2 / mse))
    ssim = float(np.mean([structural_similarity(ia[k], ib[k], channel_axis=-1,
                                                data_range=255.0) for k in range(6)]))
    holes = float((wts * (ha | hb)).sum() / wts.sum())
    return ViewComparison(float(psnr), ssim, holes)


def view_surface(view: CubeRender, cut_threshold: float) -> Surface | None:
    """The DepthFusion mesh of a view around its own eye (resampled to equirect)."""
    n = view.distance.shape[1]
    rgb, dist = cube_to_equirect(view, 4 * n)
    return Surface.from_equirect(rgb, dist, cut_threshold, centre=view.eye)


def score_scene(scene, cut_threshold: float, *, n_views: int = 6, radius: float = 0.5,
                face_size: int = SCORE_FACE, exact_render=None, on_progress=None,
                cancel=None) -> ConsistencyScore:
    """The 3D consistency score of ``scene`` for poses at ``radius`` metres.

    Parameters
    ----------
    scene : scene.composition.Scene
    cut_threshold : float
    n_views : int
        2 to 14.
    radius : float
        Metres.
    face_size : int
        Cube face of every view, pixels (>= 16).
    exact_render : callable, optional
        ``exact_render(eyes, face_size) -> list of CubeRender``: ground-truth views (the
        procedural generator's exact renders); each view is also compared with its own.
    on_progress : callable, optional
        ``models.base.Progress``-like reports are not built here (scene imports no models):
        it is called as ``on_progress(step, total, message)``.
    cancel : Event-like, optional
        Checked between views; raises :class:`scene.errors.CancelledError`.

    Returns
    -------
    ConsistencyScore
    """
    from .errors import CancelledError, InputError

    if not (2 <= int(n_views) <= 14):
        raise InputError(f"--views must be from 2 to 14, got {n_views}")
    if int(face_size) < 16:
        raise InputError(f"the views' face size must be at least 16 pixels, got {face_size}")
    start = time.perf_counter()
    eyes = eye_offsets(radius)[:int(n_views)]
    surfaces = scene_surfaces(scene, cut_threshold)
    total = 2 * len(eyes)

    def step(k: int, message: str) -> None:
        if cancel is not None and cancel.is_set():
            raise CancelledError("scoring cancelled", hint="nothing was changed")
        if on_progress is not None:
            on_progress(k, total, message)

    views = []
    for i, e in enumerate(eyes):
        views.append(render_cube(surfaces, e, face_size))
        step(i + 1, f"rendered view {i + 1} of {len(eyes)}")
    meshes = [view_surface(v, cut_threshold) for v in views]
    comps = []
    for i, e in enumerate(eyes):
        others = [m for j, m in enumerate(meshes) if j != i]
        rebuilt = render_cube(others, e, face_size)
        comps.append(compare_views(views[i], rebuilt))
        step(len(eyes) + i + 1, f"rebuilt view {i + 1} from the others")
    exact = None
    if exact_render is not None:
        truth = exact_render(eyes, face_size)
        exact = [compare_views(v, t) for v, t in zip(views, truth, strict=True)]
    return ConsistencyScore(
        psnr=float(np.mean([c.psnr for c in comps])),
        ssim=float(np.mean([c.ssim for c in comps])),
        hole_fraction=float(np.mean([c.hole_fraction for c in comps])),
        views=comps, eyes=eyes, exact=exact, seconds=time.perf_counter() - start,
        radius=float(radius))
