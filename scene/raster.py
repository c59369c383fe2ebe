"""A small numpy rasteriser: the scene's equirect meshes seen from a moved eye, as a cube map.

Why not OpenGL: the walk zone and the consistency score are measured for every scene (the
command line, ``panoforge info``, CI) where no GL context may exist, and :mod:`scene` imports
no renderer. Why not a ray-casting library (trimesh/embree, open3d): the meshes are regular
equirect grids of ~1-pixel triangles, so a vectorised rasteriser that visits a few candidate
pixels per triangle is cheaper than building an acceleration structure per eye, and needs no
new dependency.

What is drawn is what every renderer draws: the DepthFusion mesh of each surface
(:func:`scene.mesh.full_grid_mesh`, the same cut rule), around the surface's centre, with its
vertex colours taken from its pixels. The target is a cube map around the eye: perspective
projection keeps triangles straight, so coverage is exact (no cracks, no pole distortion) and a
pixel that no triangle covers is a real hole. Faces are drawn from both sides.

Conventions: faces of :data:`scene.cubemap.FACES` in :data:`scene.cubemap.FACE_ORDER`, row 0
at the top of each face, pixel centres at ``2 (i + 0.5) / N - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conventions import direction_to_lonlat, lonlat_to_pixel
from .cubemap import FACE_ORDER, FACES
from .mesh import full_grid_mesh

__all__ = ["Surface", "CubeRender", "render_cube", "cube_to_equirect", "cube_pixel_weights",
           "subsample"]

#: Triangles whose candidate box is larger than this (pixels) are split across passes.
_MAX_BOX = 256


def subsample(rgb: np.ndarray, dist: np.ndarray, max_width: int | None):
    """A strided copy of an equirect pair no wider than ``max_width`` (no averaging, so depth
    jumps stay jumps).

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
    dist : (H, W) float32 ndarray
        Metres, NaN = unknown.
    max_width : int or None

    Returns
    -------
    rgb, dist : the same kinds, ``W // k`` wide with ``k`` the smallest integer stride that fits.
    """
    w = dist.shape[1]
    if not max_width or w <= max_width:
        return rgb, dist
    k = int(np.ceil(w / max_width))
    while w % k or dist.shape[0] % k:
        k += 1
    o = k // 2
    return rgb[o::k, o::k], dist[o::k, o::k]


@dataclass(eq=False)
class Surface:
    """One equirect mesh placed in the world.

    Attributes
    ----------
    positions : (N, 3) float64 ndarray
        World positions, metres.
    faces : (M, 3) int64 ndarray
    colors : (N, 3) float32 ndarray
        sRGB in [0, 255].
    """

    positions: np.ndarray
    faces: np.ndarray
    colors: np.ndarray

    @classmethod
    def from_equirect(cls, rgb: np.ndarray, dist: np.ndarray, cut_threshold: float,
                      centre=(0.0, 0.0, 0.0), max_width: int | None = None) -> Surface | None:
        """The DepthFusion mesh of an RGBD equirect pair seen from ``centre``.

        Parameters
        ----------
        rgb : (H, W, 3) uint8 ndarray
        dist : (H, W) float ndarray
            Radial metres from ``centre``; NaN = nothing there.
        cut_threshold : float
            :attr:`scene.mesh_settings.MeshSettings.cut_threshold`.
        centre : (3,) float
            Metres, world frame.
        max_width : int, optional
            Subsample wider panoramas (:func:`subsample`); with a stride ``k`` the threshold
            becomes ``(1 + cut_threshold)**k - 1`` so that smooth surfaces seen at a grazing
            angle are not cut where the full-resolution mesh keeps them.

        Returns
        -------
        Surface, or None when no pixel has depth.
        """
        k = dist.shape[1]
        rgb, dist = subsample(rgb, np.asarray(dist, np.float32), max_width)
        k //= dist.shape[1]
        if k > 1 and np.isfinite(cut_threshold):
            # a smooth surface whose neighbouring pixels differ by at most (1 + t) differs by
            # at most (1 + t)^k across k of them: the coarse mesh cuts where the fine one does
            cut_threshold = (1.0 + cut_threshold) ** k - 1.0
        if not np.isfinite(dist).any():
            return None
        mesh = full_grid_mesh(np.ascontiguousarray(dist), cut_threshold)
        if mesh.n_faces == 0:
            return None
        h, w = dist.shape
        x = np.floor(mesh.uvs[:, 0] * w).astype(np.int64) % w
        y = np.clip(np.floor(mesh.uvs[:, 1] * h).astype(np.int64), 0, h - 1)
        colors = rgb[y, x].astype(np.float32)
        pos = mesh.positions.astype(np.float64) + np.asarray(centre, np.float64)
        return cls(pos, mesh.faces.astype(np.int64), colors)


@dataclass(eq=False)
class CubeRender:
    """What an eye sees: six faces of colour and distance.

    Attributes
    ----------
    rgb : (6, N, N, 3) float32 ndarray
        sRGB in [0, 255]; 0 on holes.
    distance : (6, N, N) float32 ndarray
        Metres from the eye along each pixel's ray; NaN where nothing was hit (a hole).
    eye : (3,) float64 ndarray
    """

    rgb: np.ndarray
    distance: np.ndarray
    eye: np.ndarray

    @property
    def hole(self) -> np.ndarray:
        """(6, N, N) bool: pixels no surface covers."""
        return ~np.isfinite(self.distance)

    def hole_fraction(self) -> float:
        """Solid-angle share of the sphere of view that shows a hole (0..1)."""
        wts = cube_pixel_weights(self.distance.shape[1])
        return float((wts * self.hole).sum() / wts.sum())


def cube_pixel_weights(n: int) -> np.ndarray:
    """(6, N, N) float64 solid angle of each cube pixel (sums to 4 pi)."""
    t = 2.0 * (np.arange(n) + 0.5) / n - 1.0
    a, b = np.meshgrid(t, t)
    w = (2.0 / n) ** 2 / (1.0 + a * a + b * b) ** 1.5
    return np.broadcast_to(w, (6, n, n))


def _vertex_faces(rel: np.ndarray) -> np.ndarray:
    """(N,) index into FACE_ORDER of the cube face each direction falls in."""
    axis = np.argmax(np.abs(rel), axis=1)
    neg = rel[np.arange(rel.shape[0]), axis] < 0
    # FACE_ORDER px nx py ny pz nz: pz looks along -Z, nz along +Z
    table = np.array([[0, 1], [2, 3], [5, 4]])
    return table[axis, neg.astype(np.int64)]


def _face_frame(name: str):
    forward, up = (np.asarray(v, np.float64) for v in FACES[name])
    return forward, np.cross(forward, up), up


def _raster_face(pos_rel, tris, colors, face: str, n: int, out: list) -> None:
    """Append (pixel, depth, rgb) candidates of one face to ``out``."""
    f, r, u = _face_frame(face)
    z = pos_rel @ f
    front = z > 1e-6
    tf = tris[front[tris].all(axis=1)]
    if tf.size == 0:
        return
    zs = np.where(front, z, 1.0)
    sx = (pos_rel @ r / zs + 1.0) * (n / 2.0) - 0.5
    sy = (-(pos_rel @ u) / zs + 1.0) * (n / 2.0) - 0.5
    x3, y3 = sx[tf], sy[tf]
    x0 = np.ceil(x3.min(axis=1) - 1e-9).astype(np.int64)
    x1 = np.floor(x3.max(axis=1) + 1e-9).astype(np.int64)
    y0 = np.ceil(y3.min(axis=1) - 1e-9).astype(np.int64)
    y1 = np.floor(y3.max(axis=1) + 1e-9).astype(np.int64)
    x0c, x1c = np.maximum(x0, 0), np.minimum(x1, n - 1)
    y0c, y1c = np.maximum(y0, 0), np.minimum(y1, n - 1)
    ok = (x1c >= x0c) & (y1c >= y0c)
    if not ok.any():
        return
    tf, x3, y3 = tf[ok], x3[ok], y3[ok]
    x0c, y0c = x0c[ok], y0c[ok]
    bw = (x1c[ok] - x0c + 1)
    bh = (y1c[ok] - y0c + 1)
    area = ((x3[:, 1] - x3[:, 0]) * (y3[:, 2] - y3[:, 0])
            - (x3[:, 2] - x3[:, 0]) * (y3[:, 1] - y3[:, 0]))
    nz = np.abs(area) > 1e-12
    size = np.maximum(bw, bh)
    for s in np.unique(np.minimum(size[nz], _MAX_BOX)):
        sel = np.nonzero(nz & (np.minimum(size, _MAX_BOX) == s))[0]
        for oy in range(0, int(size[sel].max()), int(s)):
            for ox in range(0, int(size[sel].max()), int(s)):
                _candidates(sel, int(s), ox, oy, tf, x3, y3, x0c, y0c, bw, bh, area, z, colors,
                            n, out)


def _candidates(sel, s, ox, oy, tf, x3, y3, x0c, y0c, bw, bh, area, z, colors, n, out):
    gy, gx = np.meshgrid(np.arange(s), np.arange(s), indexing="ij")
    gx = gx.ravel()[None, :] + ox
    gy = gy.ravel()[None, :] + oy
    px = x0c[sel, None] + gx
    py = y0c[sel, None] + gy
    inside_box = (gx < bw[sel, None]) & (gy < bh[sel, None])
    xa, ya = x3[sel], y3[sel]
    inv = 1.0 / area[sel, None]
    # barycentric weights from edge functions (same sign convention as ``area``)
    w0 = ((xa[:, 1:2] - px) * (ya[:, 2:3] - py) - (xa[:, 2:3] - px) * (ya[:, 1:2] - py)) * inv
    w1 = ((xa[:, 2:3] - px) * (ya[:, 0:1] - py) - (xa[:, 0:1] - px) * (ya[:, 2:3] - py)) * inv
    w2 = 1.0 - w0 - w1
    eps = -1e-9
    hit = inside_box & (w0 >= eps) & (w1 >= eps) & (w2 >= eps)
    if not hit.any():
        return
    ti, ci = np.nonzero(hit)
    tri = tf[sel[ti]]
    iz = 1.0 / z[tri]
    w = np.stack([w0[ti, ci], w1[ti, ci], w2[ti, ci]], axis=1) * iz
    invz = w.sum(axis=1)
    w /= invz[:, None]
    col = np.einsum("ij,ijk->ik", w, colors[tri])
    pxi, pyi = px[ti, ci], py[ti, ci]
    a = 2.0 * (pxi + 0.5) / n - 1.0
    b = 2.0 * (pyi + 0.5) / n - 1.0
    depth = np.sqrt(1.0 + a * a + b * b) / invz
    out.append((pyi * n + pxi, depth, col))


def render_cube(surfaces, eye, face_size: int) -> CubeRender:
    """Rasterise ``surfaces`` seen from ``eye`` into a cube map with a depth test.

    Parameters
    ----------
    surfaces : iterable of Surface (None entries are skipped)
    eye : (3,) float
        Metres, world frame.
    face_size : int
        Face edge ``N``, pixels.

    Returns
    -------
    CubeRender
    """
    eye = np.asarray(eye, np.float64)
    n = int(face_size)
    rgb = np.zeros((6, n * n, 3), np.float32)
    dist = np.full((6, n * n), np.nan, np.float32)
    prepared = []
    for srf in surfaces:
        if srf is None:
            continue
        rel = srf.positions - eye
        vface = _vertex_faces(rel)[srf.faces]
        prepared.append((rel, srf.faces, srf.colors, vface))
    for k, face in enumerate(FACE_ORDER):
        cand: list = []
        for rel, faces, colors, vface in prepared:
            # a small triangle can only cover pixels of the faces its corners fall in
            mine = (vface == k).any(axis=1)
            _raster_face(rel, faces[mine], colors, face, n, cand)
        if not cand:
            continue
        pix = np.concatenate([c[0] for c in cand])
        dep = np.concatenate([c[1] for c in cand])
        col = np.concatenate([c[2] for c in cand])
        order = np.lexsort((dep, pix))
        pix_o = pix[order]
        first = np.ones(pix_o.size, bool)
        first[1:] = pix_o[1:] != pix_o[:-1]
        win = order[first]
        dist[k, pix[win]] = dep[win]
        rgb[k, pix[win]] = col[win]
    return CubeRender(rgb.reshape(6, n, n, 3), dist.reshape(6, n, n), eye)


def cube_to_equirect(cube: CubeRender, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-pixel resampling of a cube render into a ``width x width/2`` equirect pair.

    Returns
    -------
    rgb : (H, W, 3) uint8 ndarray
    distance : (H, W) float32 ndarray
        Metres from the cube's eye, NaN on holes.
    """
    from .conventions import direction_grid

    h = width // 2
    n = cube.distance.shape[1]
    d = direction_grid(width, h, dtype=np.float64).reshape(-1, 3)
    best = np.full(d.shape[0], -np.inf)
    face = np.zeros(d.shape[0], np.int64)
    for k, name in enumerate(FACE_ORDER):
        f = np.asarray(FACES[name][0], np.float64)
        zf = d @ f
        better = zf > best
        best[better] = zf[better]
        face[better] = k
    ii = np.zeros(d.shape[0], np.int64)
    jj = np.zeros(d.shape[0], np.int64)
    for k, name in enumerate(FACE_ORDER):
        sel = face == k
        f, r, u = _face_frame(name)
        dz = d[sel] @ f
        a = (d[sel] @ r) / dz
        b = -(d[sel] @ u) / dz
        jj[sel] = np.clip(np.floor((a + 1.0) * n / 2.0), 0, n - 1)
        ii[sel] = np.clip(np.floor((b + 1.0) * n / 2.0), 0, n - 1)
    rgb = cube.rgb[face, ii, jj].reshape(h, width, 3)
    dist = cube.distance[face, ii, jj].reshape(h, width)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8), dist.astype(np.float32)


def equirect_lookup(points: np.ndarray, width: int, height: int):
    """Integer pixel (column, row) of world points seen from the origin (nearest pixel).

    Parameters
    ----------
    points : (..., 3) float ndarray

    Returns
    -------
    x, y : (...) int64 ndarrays
    """
    lon, lat = direction_to_lonlat(points)
    px, py = lonlat_to_pixel(lon, lat, width, height)
    x = np.rint(px).astype(np.int64) % width
    y = np.clip(np.rint(py).astype(np.int64), 0, height - 1)
    return x, y
