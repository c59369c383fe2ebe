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
discretisation. Small islands the band encloses that would stay empty (a tree's own surface
just too far for the test, off the background rim) join the band (:func:`_fill_islands`):
otherwise each is a hole through every layer, which an eye looking just past the outline sees
(the mesh joins pixel centres; the true outline lies between them). A layer holds RGB and
depth in the band (what a filler found behind the foreground) and copies the dome on a thin
:data:`OVERLAP_PX` rim on the background side, so its mesh joins the dome's background
without a crack; everything else is NaN. Margin and rim are counted in pixels of the mesh the
walk zone is measured on (:func:`measure_stride`: 4 full-resolution pixels per pixel at
1024 wide), since that mesh joins only every ``k``-th pixel.

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
           "OVERLAP_PX", "DEFAULT_WALK_RADIUS_M", "measure_stride"]

#: Default walk radius, metres (a step and a lean).
DEFAULT_WALK_RADIUS_M = 0.5
#: Extra band width beyond the geometric bound, pixels of the measured mesh (pixel-centre
#: discretisation; see :func:`measure_stride`).
MARGIN_PX = 2.0
#: Largest island of non-band pixels inside the band that is peeled too, pixels at 256 wide.
ISLAND_PX = 64
#: Switch for :func:`_fill_islands` (tests turn it off to show the holes it closes).
FILL_ISLANDS = True
#: Rim of background pixels a layer copies from the dome, pixels of the measured mesh.
OVERLAP_PX = 2
#: Switch for scaling :data:`MARGIN_PX` and :data:`OVERLAP_PX` by :func:`measure_stride`
#: (tests turn it off to show the holes a wide dome's coarse mesh sees without it).
SCALE_WITH_STRIDE = True


def measure_stride(height: int, width: int) -> int:
    """Pixels of a ``width``-wide panorama per pixel of the mesh the walk zone is measured on.

    Why: :func:`scene.walkzone.measure_walk_zone` rasterises every panorama wider than
    :data:`scene.walkzone.MEASURE_WIDTH` as a strided copy (:func:`scene.raster.subsample`,
    stride ``k``). Its triangles join sample centres ``k`` pixels apart, so a band margin or a
    background rim of 2 full-resolution pixels is half a coarse pixel at ``k = 4`` (a 1024
    dome): the coarse layer then misses some outlines (the 1024 forest's 182 hole pixels,
    0.15 % from one eye) or is not joined to the dome's background. Margin and rim are
    therefore counted in pixels of that mesh. The stride is the one ``subsample`` picks
    (asked of it, not recomputed, so the two stay the same rule).

    Returns
    -------
    int
        ``k >= 1`` (1 at :data:`scene.walkzone.MEASURE_WIDTH` wide or less, or when
        :data:`SCALE_WITH_STRIDE` is off).
    """
    from .raster import subsample
    from .walkzone import MEASURE_WIDTH

    if not SCALE_WITH_STRIDE:
        return 1
    shape = np.broadcast_to(np.float32(0.0), (int(height), int(width)))
    _, sub = subsample(shape, shape, MEASURE_WIDTH)
    return max(1, int(width) // sub.shape[1])


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
    stride = measure_stride(h, w)
    alpha = np.arcsin(np.minimum(1.0, walk_radius / d_f)) + MARGIN_PX * stride * pix
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
    rim = _dilate_wrap(bg, OVERLAP_PX * stride)
    if FILL_ISLANDS:
        _fill_islands(band, behind, np.isfinite(dist) & ~rim)
    overlap = rim & ~band & np.isfinite(dist)
    return Disocclusion(band, overlap, behind, float(walk_radius), float(cut_threshold))


def _labels_wrap(mask: np.ndarray):
    """8-connected components of ``mask`` with x wrapping round the seam.

    Returns
    -------
    labels : (H, W) int ndarray
        0 outside ``mask``, else ``1..n``.
    n : int
    """
    from scipy import ndimage
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    lab, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if n == 0:
        return lab, 0
    a, b = lab[:, -1], lab[:, 0]
    pairs = [(a, b), (a[:-1], b[1:]), (a[1:], b[:-1])]
    i = np.concatenate([p[0] for p in pairs])
    j = np.concatenate([p[1] for p in pairs])
    keep = (i > 0) & (j > 0)
    graph = coo_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n + 1, n + 1))
    m, root = connected_components(graph, directed=False)
    # renumber so that label 0 (outside the mask) stays 0
    _, root = np.unique(root, return_inverse=True)
    root = root - root[0]
    root[root < 0] += m
    return root[lab], m - 1


def _fill_islands(band: np.ndarray, behind: np.ndarray, free: np.ndarray) -> None:
    """Put the small islands the layer would leave empty inside the band into it (in place).

    Why: a foreground pixel just nearer than the cut threshold of its edge's background (a
    tree's own surface beside its outline) fails the band's "in front of the background" test
    and, unless it is on the background rim, leaves a one-to-few pixel island with no depth
    in the middle of the layer. The layer's mesh has a hole there; an eye that looks past the
    outline (the mesh joins pixel centres, the true outline lies between them) sees through
    the dome's cut, through that hole in every layer behind, and into nothing (the forest's
    last 0.018 % of holes). Peeling an island is always safe: a fill is only kept behind the
    dome. Islands larger than :data:`ISLAND_PX` pixels at 256 wide (scaled with the pixel
    count) are left empty: they are whole surfaces, not gaps in a band.

    Parameters
    ----------
    band : (H, W) bool ndarray
        Grown in place.
    behind : (H, W) float32 ndarray
        Islands take the largest background distance of the band pixels round them.
    free : (H, W) bool ndarray
        Pixels with a distance that are not on the background rim (candidates; an island is
        a connected set of them, seam included, that borders the band).
    """
    from scipy import ndimage

    w = band.shape[1]
    lab, n = _labels_wrap(free & ~band)
    if n == 0:
        return
    size = np.bincount(lab.ravel(), minlength=n + 1)
    touches = np.bincount(lab[_dilate_wrap(band, 1)], minlength=n + 1) > 0
    small = (size <= ISLAND_PX * (w / 256.0) ** 2) & touches
    small[0] = False
    island = small[lab]
    if not island.any():
        return
    ring = _dilate_wrap(island, 1) & band
    around, m = _labels_wrap(island | ring)
    far = ndimage.maximum(np.nan_to_num(behind, nan=0.0), around, index=np.arange(m + 1))
    band |= island
    behind[island] = np.asarray(far, np.float32)[around[island]]


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
