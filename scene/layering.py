"""Layered depth panorama: where a moved eye sees behind the dome's foreground.

The dome is split at its depth discontinuities by the mesh's own cut rule
(:mod:`scene.mesh`: two neighbouring pixels whose distances satisfy
``max > min * (1 + cut_threshold)``). The nearer pixel of such a pair is a *foreground edge*,
the farther one a *background edge*.

What a moved eye can see behind the foreground (the disocclusion band) follows from the
geometry alone: an eye at most ``r`` metres from the origin, looking past a foreground edge at
distance ``D_f``, reaches surfaces whose direction from the origin is within
``asin(r / D_f)`` of the edge's direction (the angle between ``P_f`` and ``P_f - e`` is at
most ``asin(|e| / |P_f|)``). So the band is every pixel within that angle of a foreground edge
that is itself in front of that edge's background, plus :data:`MARGIN_PX` pixels for the
discretisation. A layer holds RGB and depth in the band (what a filler found behind the
foreground) and copies the dome on a thin :data:`OVERLAP_PX` rim on the background side, so
its mesh joins the dome's background without a crack; everything else is NaN.

Nearest edges are found with a k-d tree on unit directions (``scipy.spatial.cKDTree``), which
handles the seam and the poles without special cases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .composition import Layer
from .conventions import direction_grid
from .depth import DepthInterpretation
from .errors import InputError
from .metadata import GenerationMetadata
from .panorama import RGBDPanorama

__all__ = ["Disocclusion", "find_edges", "disocclusion", "make_layer", "MARGIN_PX",
           "OVERLAP_PX", "DEFAULT_WALK_RADIUS_M"]

#: Default walk radius, metres (a step and a lean).
DEFAULT_WALK_RADIUS_M = 0.5
#: Extra band width beyond the geometric bound, pixels (pixel-centre discretisation).
MARGIN_PX = 2.0
#: Rim of background pixels a layer copies from the dome, pixels.
OVERLAP_PX = 2


def _pairs(dist: np.ndarray):
    """(a_index, b_index) flat index pairs of 4-neighbours and diagonals (x wraps)."""
    h, w = dist.shape
    idx = np.arange(h * w).reshape(h, w)
    right = np.roll(idx, -1, axis=1)
    pairs = [(idx.ravel(), right.ravel()),
             (idx[:-1].ravel(), idx[1:].ravel()),
             (idx[:-1].ravel(), right[1:].ravel()),
             (right[:-1].ravel(), idx[1:].ravel())]
    return pairs


def find_edges(dist: np.ndarray, cut_threshold: float):
    """Foreground and background edge pixels of the cut rule.

    Parameters
    ----------
    dist : (H, W) float32 ndarray
        Metres, NaN = unknown (never an edge).
    cut_threshold : float
        Relative jump; inf finds none.

    Returns
    -------
    fg_edge, bg_edge : (H, W) bool ndarrays
    behind : (H, W) float32 ndarray
        For foreground edge pixels, the largest distance of a neighbour across the jump
        (metres); NaN elsewhere.
    """
    h, w = dist.shape
    flat = np.asarray(dist, np.float32).ravel()
    fg = np.zeros(h * w, bool)
    bg = np.zeros(h * w, bool)
    behind = np.full(h * w, -np.inf, np.float32)
    if not np.isfinite(cut_threshold):
        return fg.reshape(h, w), bg.reshape(h, w), np.full((h, w), np.nan, np.float32)
    factor = np.float32(1.0 + cut_threshold)
    for a, b in _pairs(dist):
        da, db = flat[a], flat[b]
        with np.errstate(invalid="ignore"):
            jump = np.maximum(da, db) > np.minimum(da, db) * factor
        if not jump.any():
            continue
        a, b, da, db = a[jump], b[jump], da[jump], db[jump]
        near = np.where(da < db, a, b)
        far = np.where(da < db, b, a)
        fg[near] = True
        bg[far] = True
        np.maximum.at(behind, near, np.maximum(da, db))
    behind = np.where(fg, behind, np.nan).astype(np.float32)
    return fg.reshape(h, w), bg.reshape(h, w), behind.reshape(h, w)


@dataclass(eq=False)
class Disocclusion:
    """What a layer must hold for eyes inside ``walk_radius``.

    Attributes
    ----------
    band : (H, W) bool ndarray
        Foreground pixels a moved eye can see behind: the filler fills these.
    overlap : (H, W) bool ndarray
        Background rim copied from the dome (never overlaps ``band``).
    behind : (H, W) float32 ndarray
        In the band, the background distance of the nearest foreground edge (metres): a filler
        must put surfaces beyond ``dist * (1 + cut_threshold)``; NaN elsewhere.
    walk_radius : float
    cut_threshold : float
    """

    band: np.ndarray
    overlap: np.ndarray
    behind: np.ndarray
    walk_radius: float
    cut_threshold: float

    @property
    def empty(self) -> bool:
        return not bool(self.band.any())


def disocclusion(dist: np.ndarray, cut_threshold: float,
                 walk_radius: float = DEFAULT_WALK_RADIUS_M) -> Disocclusion:
    """The disocclusion band of a dome for eyes within ``walk_radius`` of the origin.

    Parameters
    ----------
    dist : (H, W) float32 ndarray
        The dome's distance, metres, NaN = unknown.
    cut_threshold : float
    walk_radius : float
        Metres, >= 0.

    Returns
    -------
    Disocclusion
    """
    from scipy.spatial import cKDTree

    if not (np.isfinite(walk_radius) and walk_radius >= 0):
        raise InputError(f"walk radius must be >= 0 metres, got {walk_radius}",
                         hint="for example --walk-radius 0.5")
    dist = np.asarray(dist, np.float32)
    h, w = dist.shape
    fg, bg, behind_e = find_edges(dist, cut_threshold)
    band = np.zeros((h, w), bool)
    behind = np.full((h, w), np.nan, np.float32)
    if not fg.any() or walk_radius == 0:
        return Disocclusion(band, np.zeros((h, w), bool), behind, float(walk_radius),
                            float(cut_threshold))
    dirs = direction_grid(w, h, dtype=np.float32).reshape(-1, 3)
    e_idx = np.flatnonzero(fg)
    d_f = dist.ravel()[e_idx]
    pix = np.pi / h
    alpha = np.arcsin(np.minimum(1.0, walk_radius / d_f)) + MARGIN_PX * pix
    tree = cKDTree(dirs[e_idx])
    a_max = float(min(alpha.max(), np.pi))
    chord = 2.0 * np.sin(a_max / 2.0)
    cand = np.flatnonzero(np.isfinite(dist.ravel()))
    dd, nearest = tree.query(dirs[cand], k=1, distance_upper_bound=chord * 1.0001)
    found = np.isfinite(dd)
    cand, dd, nearest = cand[found], dd[found], nearest[found]
    ang = 2.0 * np.arcsin(np.clip(dd / 2.0, 0.0, 1.0))
    edge_behind = behind_e.ravel()[e_idx[nearest]]
    factor = 1.0 + float(cut_threshold)
    inside = (ang <= alpha[nearest]) & (dist.ravel()[cand] * factor < edge_behind)
    band.ravel()[cand[inside]] = True
    behind.ravel()[cand[inside]] = edge_behind[inside]
    overlap = _dilate_wrap(bg, OVERLAP_PX) & ~band & np.isfinite(dist)
    return Disocclusion(band, overlap, behind, float(walk_radius), float(cut_threshold))


def _dilate_wrap(mask: np.ndarray, n: int) -> np.ndarray:
    """Square dilation by ``n`` pixels, wrapping in x, clamped in y."""
    out = mask.copy()
    for _ in range(n):
        m = out.copy()
        m |= np.roll(out, 1, axis=1) | np.roll(out, -1, axis=1)
        m[1:] |= out[:-1]
        m[:-1] |= out[1:]
        out = m
    return out


def make_layer(dome: RGBDPanorama, disocc: Disocclusion, fill_rgb: np.ndarray,
               fill_dist: np.ndarray, *, layer_id: str, method: str,
               label: str = "", metadata: GenerationMetadata | None = None) -> Layer:
    """A ``fill`` layer: the filler's RGB and depth in the band, the dome's on the rim.

    Parameters
    ----------
    dome : RGBDPanorama
    disocc : Disocclusion
        From :func:`disocclusion` on ``dome.distance``.
    fill_rgb : (H, W, 3) uint8 ndarray
        What is behind the foreground (read in the band only).
    fill_dist : (H, W) float32 ndarray
        Metres (read in the band only; NaN = the filler found nothing there).
    layer_id, method, label : str
        ``method`` names the filler (``procedural``, ``classical``, ``ldm3d``).
    metadata : GenerationMetadata, optional
        What made the fill (model, licence, seed).

    Returns
    -------
    Layer
    """
    dist = dome.distance
    if fill_rgb.shape[:2] != dist.shape or fill_dist.shape != dist.shape:
        raise InputError(f"a fill must match the dome's {dist.shape[1]}x{dist.shape[0]} pixels")
    out_d = np.full(dist.shape, np.nan, np.float32)
    out_d[disocc.overlap] = dist[disocc.overlap]
    fd = np.asarray(fill_dist, np.float32)
    with np.errstate(invalid="ignore"):
        # a fill in front of the foreground would hide it from the centre: never keep one
        keep = disocc.band & np.isfinite(fd) & (fd > dist)
    out_d[keep] = fd[keep]
    rgb = np.zeros_like(dome.rgb)
    rgb[disocc.overlap] = dome.rgb[disocc.overlap]
    rgb[keep] = np.asarray(fill_rgb)[keep]
    pano = RGBDPanorama(rgb, raw_depth=out_d, interpretation=DepthInterpretation(kind="distance"),
                        metadata=metadata or GenerationMetadata())
    return Layer(id=layer_id, panorama=pano, kind="fill", walk_radius=disocc.walk_radius,
                 method=method, label=label or f"behind the foreground ({method})")
