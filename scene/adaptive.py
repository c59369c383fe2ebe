"""The adaptive DepthFusion mesh: fewer columns toward the poles, fewer faces where depth is smooth.

The result keeps every guarantee of the full grid (:mod:`scene.mesh`: vertices at pixel
centres, welded seam column, one vertex per pole, faces counter-clockwise seen from the origin,
no NaN vertex, the discontinuity cut) and adds one: every pixel's ray meets the mesh within
``max_error`` (relative) of the pixel's distance.

How it is built
---------------
1. **Latitude bands.** Vertex rows are split into bands (power-of-two heights, the small
   ones next to the poles). A band takes every ``s``-th column, ``s`` the largest power of two
   with ``s * cos(lat) <= 1`` on its equator-side row, so a column step never spans more
   ground than a pixel at the equator does.
2. **A hierarchy of cells per band.** Level 0 is a single pixel quad; levels ``1..log2 s``
   are one row tall and ``2**l`` columns wide; above that, cells are ``2**L`` rows by
   ``2**L * s`` columns. A cell is *acceptable* when all of its children are and the two
   triangles spanning its corners meet every pixel ray in its closed rectangle within
   ``max_error``; the mesh uses the largest acceptable cells (each pixel region has one:
   a single pixel quad always is). All levels are evaluated with broadcasting, one band and
   one level at a time, every cell of the level at once: the cells tile the band, so their
   closed rectangles are strided views of the band's pixels and direction factors.
3. **Crack-free triangulation.** The cell corners are the mesh vertices. Each cell is
   triangulated using *every* vertex that lies on its boundary (whichever cell it came from),
   so two cells sharing an edge split it at the same points and no T-junction can open:

   - one row tall: a zipper between its top and bottom rows (the triangulation that merges
     the two sorted rows of vertices);
   - taller, with no vertex inside its edges: two triangles;
   - taller, with vertices inside its edges: a fan from its centre pixel over the boundary.

   The seam column and column 0 get the union of their vertices; the poles fan over row 0
   and row ``H - 1``.
4. **Check and refine.** Every pixel is located in its final triangle (in panorama space)
   and its ray intersected with that triangle's plane; cells holding a pixel over the bound
   are split and the mesh rebuilt, until none is left. A rebuild only adds vertices, so the
   cells whose rectangle and boundary are unchanged keep their measured errors and only the
   others are checked again. The reached error is reported.
5. **Cut.** The discontinuity cut tests the faces of single-pixel cells (and pole-fan faces
   over one column) exactly as the full grid does: every larger cell met the error bound, so
   it holds no depth jump; a jump always ends up between single-pixel cells. Each cut face is
   backed by :func:`scene.backing.backing_triangles`, the full grid's rule, so a cut opens no
   hole seen from the centre here either.

Speed
-----
Everything is numpy, hand-written because no maintained library builds this mesh (quadric
decimators such as fast-simplification give other meshes and drop the uvs). Every speed-up
keeps the result bit for bit: the same float32/float64 operations in the same order, only
over bigger arrays (whole bands, runs of pixels that share a triangle). At 4096x2048 it takes
about 1.2-1.9 s of CPU (``benchmarks/bench_adaptive.py``; 1.2-1.3 s of it user time). Numba
would be faster, but it compiles on the first call of each process wherever its cache cannot
be written (a read-only install, the frozen bundle), which costs more than it saves for a
command-line export.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .backing import backing_triangles
from .conventions import latitudes, longitudes
from .mesh_grid import compress_rows, cut_enabled, drop_unknown_vertices, pole_heights
from .meshdata import DepthMesh

__all__ = ["adaptive_mesh", "plan_bands", "MAX_REFINE_ROUNDS"]

#: Most rounds of "locate every pixel, split the cells over the bound, rebuild".
MAX_REFINE_ROUNDS = 8
#: Fewest columns a band keeps (so the pole fans stay round).
MIN_COLUMNS = 16
#: Pixels located per chunk in the final error check (bounds float64 temporaries).
_PIXEL_CHUNK = 1 << 19


@dataclass
class _Band:
    """One latitude band: vertex rows ``ya .. ya + hb``, column stride ``s = 2**ks``."""

    ya: int
    hb: int
    ks: int
    lb: int
    #: (h, w) of each level, finest first.
    sizes: list = field(default_factory=list)
    #: per level: (ny, nx) float error of the two-triangle approximation (inf = not tried).
    err: list = field(default_factory=list)
    #: per level: (ny, nx) bool cells that the final check forced to split.
    forced: list = field(default_factory=list)


def plan_bands(height: int, width: int, max_level: int | None = None):
    """Split the vertex rows into latitude bands and choose each band's column stride.

    Parameters
    ----------
    height, width : int
        Panorama size ``H x W``.
    max_level : int, optional
        Largest cell level (cells up to ``2**max_level`` rows); by default grows with ``H``
        up to 6.

    Returns
    -------
    list of (ya, hb, ks, lb)
        Band top vertex row, height in quad rows (a power of two), ``log2`` of the column
        stride, and the band's largest level, from the top pole down.
    """
    if max_level is None:
        max_level = int(np.clip(np.log2(max(height, 2)) - 4, 1, 6))
    block = 1 << max_level
    mid = (height - 1) // 2
    lat = latitudes(height)
    cos_lat = np.cos(lat)
    v2w = (width & -width).bit_length() - 1  # 2-adic valuation of W
    max_ks = max(0, min(v2w, int(np.floor(np.log2(max(width // MIN_COLUMNS, 1))))))

    def split(n_rows: int, pole_first: bool):
        rem = n_rows % block
        small = [1 << b for b in range(rem.bit_length()) if rem >> b & 1]  # ascending
        full = [block] * (n_rows // block)
        return small + full if pole_first else full + small[::-1]

    bands = []
    y = 0
    for hb in split(mid, pole_first=True) + split(height - 1 - mid, pole_first=False):
        c = float(cos_lat[y:y + hb + 1].max())
        ks = int(np.floor(np.log2(1.0 / c))) if c > 0 else max_ks
        ks = int(np.clip(ks, 0, max_ks))
        lb = min(max_level, hb.bit_length() - 1, v2w - ks)
        bands.append((y, hb, ks, max(lb, 0)))
        y += hb
    assert y == height - 1
    return bands


class _Geometry:
    """Per-pixel distance and separable direction factors of one panorama."""

    def __init__(self, dist: np.ndarray):
        self.dist = dist
        self.h, self.w = dist.shape
        lon = longitudes(self.w)
        lat = latitudes(self.h)
        self.sin_lon, self.mcos_lon = np.sin(lon), -np.cos(lon)
        self.cos_lat, self.sin_lat = np.cos(lat), np.sin(lat)
        self.sin_lon32 = self.sin_lon.astype(np.float32)
        self.mcos_lon32 = self.mcos_lon.astype(np.float32)
        self.cos_lat32 = self.cos_lat.astype(np.float32)
        self.sin_lat32 = self.sin_lat.astype(np.float32)

    def point(self, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        """(..., 3) float64 positions of vertex-grid points (column W is column 0)."""
        xm = x % self.w
        r = self.dist[y, xm].astype(np.float64)
        rc = r * self.cos_lat[y]
        return np.stack([rc * self.sin_lon[xm], r * self.sin_lat[y], rc * self.mcos_lon[xm]],
                        axis=-1)

    def row_heights(self, row: int) -> np.ndarray:
        """(W,) float32 heights of one pixel row's vertices (as the full grid computes them)."""
        return self.dist[row] * self.sin_lat32[row]

    def positions32(self, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        """(N, 3) float32 vertex positions, computed exactly as :mod:`scene.mesh` does."""
        xm = x % self.w
        d = self.dist[y, xm]
        rc = d * self.cos_lat32[y]
        out = np.empty((y.shape[0], 3), dtype=np.float32)
        np.multiply(rc, self.sin_lon32[xm], out=out[:, 0])
        np.multiply(d, self.sin_lat32[y], out=out[:, 1])
        np.multiply(rc, self.mcos_lon32[xm], out=out[:, 2])
        return out


def _two_triangle_ratio(geo: _Geometry, rows: np.ndarray, cols: np.ndarray,
                        r: np.ndarray | None = None) -> np.ndarray:
    """``r / t`` at every pixel of each cell's closed rectangle, where ``r`` is the pixel's
    distance and ``t`` where its ray meets the cell's two triangles ``(TL, BL, TR)`` and
    ``(TR, BL, BR)`` (the first holds the pixels with ``dx/w + dy/h <= 1``).

    Parameters
    ----------
    rows : (n, h+1) int64 ndarray
        Vertex rows of each cell, top to bottom.
    cols : (n, w+1) int64 ndarray
        Vertex columns (``W`` = the seam), left to right.
    r : (n, h+1, w+1) float32 ndarray, optional
        The pixel distances of those rectangles, if the caller already has them.

    Returns
    -------
    (n, h+1, w+1) float32 ndarray
        The relative error is ``|1 / ratio - 1|``; NaN at unknown pixels or degenerate
        triangles, and <= 0 where a ray misses a triangle's plane.
    """
    h, w = rows.shape[1] - 1, cols.shape[1] - 1
    colsm = cols % geo.w
    tl = geo.point(rows[:, 0], cols[:, 0])
    tr = geo.point(rows[:, 0], cols[:, -1])
    bl = geo.point(rows[:, -1], cols[:, 0])
    br = geo.point(rows[:, -1], cols[:, -1])
    first = (np.arange(h + 1)[:, None] * w + np.arange(w + 1)[None, :] * h) <= h * w
    cl = geo.cos_lat32[rows][:, :, None]  # (n, h+1, 1)
    sl = geo.sin_lat32[rows][:, :, None]
    slon = geo.sin_lon32[colsm][:, None, :]  # (n, 1, w+1)
    mclon = geo.mcos_lon32[colsm][:, None, :]
    q = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for p0, p1, p2 in ((tl, bl, tr), (tr, bl, br)):
            n = np.cross(p1 - p0, p2 - p0)
            a = (n / _dot3(n.T, p0.T)[:, None]).astype(np.float32)  # plane a.x = 1
            horiz = a[:, None, None, 0] * slon + a[:, None, None, 2] * mclon  # (n, 1, w+1)
            q.append(cl * horiz + a[:, None, None, 1] * sl)  # 1 / t for a unit ray
        ratio = np.where(first, q[0], q[1])
        ratio *= geo.dist[rows[:, :, None], colsm[:, None, :]] if r is None else r
    return ratio


def _dot3(n, p):
    """``n . p`` of stacked 3-vectors given as three component arrays each, summed in one
    fixed order, ``(x + z) + y`` (the order numpy's ``einsum("ij,ij->i")`` used here before;
    written out so that every caller rounds alike on every machine)."""
    return (n[0] * p[0] + n[2] * p[2]) + n[1] * p[1]


def _ratio_to_error(ratio: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.abs(np.float32(1.0) / ratio - np.float32(1.0))
    err[~(ratio > 0)] = np.inf  # a ray that misses the plane (or NaN)
    return err


@dataclass
class _BandPoints:
    """Float64 positions ``xyz`` (three arrays) of every ``sy``-th row and ``sx``-th column
    of a band's vertex grid: the corners of its finest cells, which every coarser level's
    corners are among."""

    xyz: tuple
    sy: int = 1
    sx: int = 1


def _band_points(geo: _Geometry, band_r: np.ndarray, ya: int, sy: int = 1,
                 sx: int = 1) -> _BandPoints:
    """The positions of a band's vertex grid (every ``sy``-th row, ``sx``-th column, from
    the first), exactly as :meth:`_Geometry.point` computes them."""
    w = geo.w
    xm = (np.arange(w + 1) % w)[::sx]
    r = band_r[::sy, ::sx].astype(np.float64)
    rows = slice(ya, ya + band_r.shape[0], sy)
    rc = r * geo.cos_lat[rows, None]
    return _BandPoints((rc * geo.sin_lon[xm], r * geo.sin_lat[rows, None],
                        rc * geo.mcos_lon[xm]), sy, sx)


def _level_planes(pts, h: int, w: int):
    """Planes ``a . x = 1`` (float32, three (ny, nx) arrays each) of the two triangles
    ``(TL, BL, TR)`` and ``(TR, BL, BR)`` of every ``h x w`` cell of a band; the arithmetic
    of :func:`numpy.cross` and the dot product of :func:`_two_triangle_ratio`, so the
    results match it bit for bit."""
    corners = [np.ascontiguousarray(c[::h // pts.sy, ::w // pts.sx])  # (ny + 1, nx + 1)
               for c in pts.xyz]
    ny, nx = corners[0].shape[0] - 1, corners[0].shape[1] - 1
    planes = [[np.empty((ny, nx), dtype=np.float32) for _ in range(3)] for _ in range(2)]
    step = max(1, _CELL_CHUNK // max(nx, 1))  # rows of cells whose temporaries stay in cache
    with np.errstate(divide="ignore", invalid="ignore"):
        for r0 in range(0, ny, step):
            r1 = min(ny, r0 + step)
            c = [cc[r0:r1 + 1] for cc in corners]
            tl = [q[:-1, :-1] for q in c]
            tr = [q[:-1, 1:] for q in c]
            bl = [q[1:, :-1] for q in c]
            br = [q[1:, 1:] for q in c]
            for k, (p0, p1, p2) in enumerate(((tl, bl, tr), (tr, bl, br))):
                e1 = [q - p for q, p in zip(p1, p0, strict=True)]
                e2 = [q - p for q, p in zip(p2, p0, strict=True)]
                n = (e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                     e1[0] * e2[1] - e1[1] * e2[0])
                dot = _dot3(n, p0)
                for j in range(3):
                    planes[k][j][r0:r1] = n[j] / dot  # (rounded to float32 as astype does)
    return planes


def _level_errors(geo: _Geometry, band_r: np.ndarray, ya: int, pts, h: int, w: int):
    """Worst relative error over each ``h x w`` cell's closed rectangle of pixels when the
    cell is two triangles (:func:`_two_triangle_ratio`), for every cell of a band at once.

    The cells tile the band, so their rectangles are strided views of the band's rows and
    columns (neighbours share their edge pixels) and the per-pixel arithmetic is the same
    float32 sequence as :func:`_two_triangle_ratio`'s, broadcast over the whole band.

    Returns
    -------
    (ny, nx) float64 ndarray
        ``max(1 / min(ratio) - 1, 1 - 1 / max(ratio))``; inf where a pixel is unknown, a
        triangle degenerate or a ray misses its plane.
    """
    from numpy.lib.stride_tricks import as_strided

    ny, nx = (band_r.shape[0] - 1) // h, (band_r.shape[1] - 1) // w
    n_px = (h + 1) * (w + 1)
    if n_px <= 40 or (n_px <= _SMALL_CELL_PIXELS and ny * nx >= 2048):
        # (one numpy call per pixel offset only pays off over enough cells)
        return _small_level_errors(geo, band_r, ya, pts, h, w)
    s0, s1 = band_r.strides
    r = as_strided(band_r, shape=(ny, nx, h + 1, w + 1), strides=(h * s0, w * s1, s0, s1),
                   writeable=False)
    ext = np.arange(geo.w + 1) % geo.w
    slon, mclon = geo.sin_lon32[ext], geo.mcos_lon32[ext]
    cl = geo.cos_lat32[ya:ya + band_r.shape[0]]
    sl = geo.sin_lat32[ya:ya + band_r.shape[0]]

    def win(v, step, n, size):  # overlapping windows of a 1-D array
        return as_strided(v, shape=(n, size), strides=(step * v.strides[0], v.strides[0]),
                          writeable=False)

    slon_w, mclon_w = win(slon, w, nx, w + 1), win(mclon, w, nx, w + 1)  # (nx, w+1)
    cl_w, sl_w = win(cl, h, ny, h + 1), win(sl, h, ny, h + 1)  # (ny, h+1)
    cl4 = cl_w[:, None, :, None]
    sl4 = sl_w[:, None, :, None]
    first = (np.arange(h + 1)[:, None] * w + np.arange(w + 1)[None, :] * h) <= h * w
    ratio = np.empty((ny, nx, h + 1, w + 1), dtype=np.float32)
    tmp = np.empty_like(ratio)
    with np.errstate(invalid="ignore"):
        for k, (a0, a1, a2) in enumerate(_level_planes(pts, h, w)):
            horiz = a0[:, :, None] * slon_w[None] + a2[:, :, None] * mclon_w[None]
            dst = ratio if k == 0 else tmp
            np.multiply(cl4, horiz[:, :, None, :], out=dst)
            dst += a1[:, :, None, None] * sl4
        np.copyto(ratio, tmp, where=~first)  # the second triangle's pixels
        ratio *= r
    flat = ratio.reshape(ny, nx, -1)
    lo = flat.min(axis=2).astype(np.float64)
    hi = flat.max(axis=2).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.maximum(1.0 / lo - 1.0, 1.0 - 1.0 / hi)
    err[~(lo > 0)] = np.inf
    return err


#: Cells per block in the small-cell level tests: their float64/float32 temporaries then stay
#: in the CPU cache (whole bands of 100 k cells ran 3-4x slower per cell).
_CELL_CHUNK = 8192
#: Cells whose closed rectangle has at most this many pixels are measured one pixel offset at
#: a time (:func:`_small_level_errors`): numpy's loops over (..., 3, 3) blocks cost far more
#: per element than over whole rows of cells.
_SMALL_CELL_PIXELS = 100


def _small_level_errors(geo: _Geometry, band_r: np.ndarray, ya: int, pts, h: int, w: int):
    """:func:`_level_errors` for small cells: for each pixel offset ``(dy, dx)`` in the
    closed rectangle, the ratio of that pixel of every cell at once ((ny, nx) arrays), folded
    into a running minimum and maximum. The same float32 operations in the same order, so
    the result is bit-identical."""
    ny, nx = (band_r.shape[0] - 1) // h, (band_r.shape[1] - 1) // w
    ext = np.arange(geo.w + 1) % geo.w
    slon, mclon = geo.sin_lon32[ext], geo.mcos_lon32[ext]
    cl = geo.cos_lat32[ya:ya + band_r.shape[0]]
    sl = geo.sin_lat32[ya:ya + band_r.shape[0]]
    planes = _level_planes(pts, h, w)
    lo = np.empty((ny, nx), dtype=np.float32)
    hi = np.empty_like(lo)
    step = max(1, _CELL_CHUNK // max(nx, 1))
    for i0 in range(0, ny, step):  # blocks of cell rows, so the temporaries stay in cache
        i1 = min(ny, i0 + step)
        rows_px = slice(i0 * h, i1 * h + 1)
        _small_block(band_r[rows_px], cl[rows_px], sl[rows_px], slon, mclon,
                     [[a[i0:i1] for a in pl] for pl in planes], h, w, lo[i0:i1], hi[i0:i1])
    lo, hi = lo.astype(np.float64), hi.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.maximum(1.0 / lo - 1.0, 1.0 - 1.0 / hi)
    err[~(lo > 0)] = np.inf
    return err


def _small_block(band_r, cl, sl, slon, mclon, planes, h: int, w: int, lo, hi) -> None:
    """Running minimum and maximum of the ratio over each small cell's closed rectangle, for
    one block of cell rows (``lo``/``hi`` are written); see :func:`_small_level_errors`."""
    ny, nx = lo.shape
    q = np.empty((ny, nx), dtype=np.float32)
    t = np.empty_like(q)
    first = True
    with np.errstate(invalid="ignore"):
        for dx in range(w + 1):
            cols = slice(dx, dx + nx * w, w)
            horiz = [a0 * slon[cols] + a2 * mclon[cols] for a0, _, a2 in planes]
            for dy in range(h + 1):
                rows = slice(dy, dy + ny * h, h)
                k = 0 if dy * w + dx * h <= h * w else 1  # which triangle holds the pixel
                np.multiply(cl[rows, None], horiz[k], out=q)
                np.multiply(planes[k][1], sl[rows, None], out=t)
                q += t
                q *= band_r[rows, cols]
                if first:
                    lo[...] = q
                    hi[...] = q
                    first = False
                else:
                    np.minimum(lo, q, out=lo)
                    np.maximum(hi, q, out=hi)


def _children_ok(ok_child: np.ndarray, two_d: bool) -> np.ndarray:
    """Whether all 2 (one row tall) or 2 x 2 children of each parent cell are acceptable
    (strided ANDs: several times faster than ``all`` over reshaped axes of length 2)."""
    out = ok_child[:, 0::2] & ok_child[:, 1::2]
    if two_d:
        out = out[0::2] & out[1::2]
    return out


def _expand(parent: np.ndarray, two_d: bool) -> np.ndarray:
    out = np.repeat(parent, 2, axis=1)
    return np.repeat(out, 2, axis=0) if two_d else out


def _init_band(geo: _Geometry, band: _Band, max_error: float) -> None:
    """Sizes, and the two-triangle error of every cell whose children are all acceptable."""
    w = geo.w
    band.sizes = [(1, 1 << k) for k in range(band.ks + 1)]
    band.sizes += [(1 << lev, (1 << lev) << band.ks) for lev in range(1, band.lb + 1)]
    band_r = np.empty((band.hb + 1, w + 1), dtype=np.float32)
    band_r[:, :w] = geo.dist[band.ya:band.ya + band.hb + 1]
    band_r[:, w] = band_r[:, 0]
    ok = np.ones((band.hb, w), dtype=bool)
    band.err = [np.zeros((band.hb, w))]
    band.forced = [np.zeros((band.hb, w), dtype=bool)]
    pts = None
    for lev in range(1, len(band.sizes)):
        h, cw = band.sizes[lev]
        two_d = h > 1
        cand = _children_ok(ok, two_d)
        err = np.full(cand.shape, np.inf)
        if cand.any():  # every cell is measured (cheaper than gathering the candidates)
            if pts is None:
                pts = _band_points(geo, band_r, band.ya, *band.sizes[1])  # level 1's corners
            err = np.where(cand, _level_errors(geo, band_r, band.ya, pts, h, cw), np.inf)
        band.err.append(err)
        band.forced.append(np.zeros(cand.shape, dtype=bool))
        ok = cand & (err <= max_error)


@dataclass
class _Leaves:
    """The cells the mesh is made of: corner (y0, x0) in vertex-grid coordinates, size
    (h, w), and where they sit in the hierarchy (band, level, i, j)."""

    y0: np.ndarray
    x0: np.ndarray
    h: np.ndarray
    w: np.ndarray
    band: np.ndarray
    level: np.ndarray
    i: np.ndarray
    j: np.ndarray


def _leaves(bands: list[_Band], max_error: float) -> _Leaves:
    parts = []
    for b, band in enumerate(bands):
        n = len(band.sizes)
        oks = [np.ones_like(band.forced[0])]
        for lev in range(1, n):
            two_d = band.sizes[lev][0] > 1
            oks.append(_children_ok(oks[-1], two_d) & (band.err[lev] <= max_error)
                       & ~band.forced[lev])
        for lev in range(n):
            leaf = oks[lev]
            if lev + 1 < n:
                leaf = leaf & ~_expand(oks[lev + 1], band.sizes[lev + 1][0] > 1)
            ii, jj = np.nonzero(leaf)
            h, w = band.sizes[lev]
            parts.append((band.ya + ii * h, jj * w, np.full(ii.size, h), np.full(ii.size, w),
                          np.full(ii.size, b), np.full(ii.size, lev), ii, jj))
    cols = [np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(8)]
    return _Leaves(*cols)


@dataclass
class _Topology:
    """Marked boundary vertices and the lookups used to walk cell edges."""

    marked: np.ndarray  # (H, W+1) bool
    cr: np.ndarray  # (H, W+2) int32: marked in row y at columns < x
    cc: np.ndarray  # (H+1, W+1) int32: marked in column x at rows < y
    rowstart: np.ndarray  # (H+1,) vertex id of each row's first marked vertex
    row_x: np.ndarray  # (n_marked,) column of each marked vertex (row-major = vertex id)
    colstart: np.ndarray  # (W+2,)
    col_y: np.ndarray  # (n_marked,) row of each marked vertex, column-major order

    def vid(self, y, x):
        """Vertex id of marked vertex-grid point (y, x)."""
        return self.rowstart[y] + self.cr[y, x]


def _topology(leaves: _Leaves, h: int, w: int) -> _Topology:
    marked = np.zeros((h, w + 1), dtype=bool)
    y1 = leaves.y0 + leaves.h
    x1 = leaves.x0 + leaves.w
    for yy in (leaves.y0, y1):
        for xx in (leaves.x0, x1):
            marked[yy, xx] = True
    seam = marked[:, 0] | marked[:, w]
    marked[:, 0] = seam
    marked[:, w] = seam
    # int32 counts (a row holds at most W + 1 marks): half the memory traffic of int64
    # (summed in place over an int32 copy: cumsum casting bool on the fly is ~2x slower)
    cr = np.zeros((h, w + 2), dtype=np.int32)
    cr[:, 1:] = marked
    np.cumsum(cr[:, 1:], axis=1, out=cr[:, 1:])
    cc = np.zeros((h + 1, w + 1), dtype=np.int32)
    cc[1:] = marked
    np.cumsum(cc[1:], axis=0, out=cc[1:])
    rowstart = np.zeros(h + 1, dtype=np.int64)
    np.cumsum(cr[:, -1], out=rowstart[1:])
    flat = np.flatnonzero(marked)
    row_y, row_x = flat // (w + 1), flat % (w + 1)
    colstart = np.zeros(w + 2, dtype=np.int64)
    np.cumsum(cc[-1], out=colstart[1:])
    col_y = row_y[np.lexsort((row_y, row_x))]  # column-major order (sorting the few marks
    # is cheaper than walking the transposed grid)
    return _Topology(marked, cr, cc, rowstart, row_x, colstart, col_y)


def _edge_segments(topo: _Topology, y: np.ndarray, xa: np.ndarray, xb: np.ndarray,
                   horizontal: bool):
    """Consecutive boundary vertices along cell edges.

    For edge ``k`` running along row ``y[k]`` from column ``xa[k]`` to ``xb[k]``
    (``horizontal``), or along column ``y[k]`` from row ``xa[k]`` to ``xb[k]``, returns
    ``(owner, a, b)``: for every segment, the index ``k`` of its edge and the vertex ids of
    its ends, in increasing column (row) order.
    """
    if horizontal:
        first = topo.cr[y, xa]
        n = topo.cr[y, xb] - first
    else:
        first = topo.cc[xa, y]
        n = topo.cc[xb, y] - first
    owner = np.repeat(np.arange(y.size), n)
    k = np.arange(owner.size) - np.repeat(np.cumsum(n) - n, n)
    if horizontal:
        a = topo.rowstart[y[owner]] + first[owner] + k
        return owner, a, a + 1
    pos = topo.colstart[y[owner]] + first[owner] + k
    line = y[owner]
    ya_, yb_ = topo.col_y[pos], topo.col_y[pos + 1]
    return owner, topo.vid(ya_, line), topo.vid(yb_, line)


#: Corner codes of a corner fan: (row side, column side) of the apex; 0 = top/left.
CORNERS = {0: (0, 0), 1: (0, 1), 2: (1, 0), 3: (1, 1)}


def _cell_kinds(leaves: _Leaves, topo: _Topology):
    """Segments per edge (top, bottom, left, right) and the kind of each cell.

    Returns
    -------
    counts : (4, n) int64 ndarray
    zipper, two, fan : (n,) bool ndarray
        One row tall; no vertex inside an edge; taller with vertices inside edges.
    corner : (n,) int64 ndarray
        For fan cells: the corner (0 TL, 1 TR, 2 BL, 3 BR) whose two edges hold no inner
        vertex, the apex of a corner fan; -1 where every corner touches one (a centre fan).
    """
    y0, x0 = leaves.y0, leaves.x0
    y1, x1 = y0 + leaves.h, x0 + leaves.w
    counts = np.stack([
        topo.cr[y0, x1] - topo.cr[y0, x0],
        topo.cr[y1, x1] - topo.cr[y1, x0],
        topo.cc[y1, x0] - topo.cc[y0, x0],
        topo.cc[y1, x1] - topo.cc[y0, x1],
    ])
    zipper = leaves.h == 1
    two = ~zipper & (counts.max(axis=0) == 1)
    fan = ~zipper & ~two
    plain = counts == 1  # top, bottom, left, right without inner vertices
    corner = np.full(zipper.size, -1, dtype=np.int64)
    for code in (3, 2, 1, 0):  # lowest code wins
        rs, cs = CORNERS[code]
        clean = plain[rs] & plain[2 + cs]
        corner[fan & clean] = code
    return counts, zipper, two, fan, corner


def _triangulate(leaves: _Leaves, topo: _Topology, kinds, h: int, w: int):
    """All faces (int64 vertex ids; centres after the marked vertices, then the poles).

    ``kinds`` is :func:`_cell_kinds` of ``leaves`` and ``topo``.

    Returns
    -------
    faces : (F, 3) int64 ndarray
    fine : (F,) bool ndarray
        Faces of single-pixel cells and pole-fan faces over one column: the only ones the
        discontinuity cut applies to (every larger cell met the error bound, so it spans no
        depth jump larger than ``max_error``).
    centres : (n_fan, 2) int64 ndarray of (y, x) fan centres, in id order
    """
    n_marked = topo.row_x.size
    _, zipper, two, fan, corner = kinds
    y0, x0 = leaves.y0, leaves.x0
    y1, x1 = y0 + leaves.h, x0 + leaves.w
    out = []
    # two triangles
    c = np.flatnonzero(two)
    tl, tr = topo.vid(y0[c], x0[c]), topo.vid(y0[c], x1[c])
    bl, br = topo.vid(y1[c], x0[c]), topo.vid(y1[c], x1[c])
    out += [np.stack([tl, bl, tr], axis=1), np.stack([tr, bl, br], axis=1)]
    # centre fans: from the centre pixel over every boundary segment
    c = np.flatnonzero(fan & (corner < 0))
    centres = np.stack([y0[c] + leaves.h[c] // 2, x0[c] + leaves.w[c] // 2], axis=1)
    cid = n_marked + np.arange(c.size)
    for line, lo, hi, horizontal, flip in (
        (y0[c], x0[c], x1[c], True, True),  # top: (C, b, a)
        (y1[c], x0[c], x1[c], True, False),  # bottom: (C, a, b)
        (x0[c], y0[c], y1[c], False, False),  # left: (C, a, b)
        (x1[c], y0[c], y1[c], False, True),  # right: (C, b, a)
    ):
        owner, a, b = _edge_segments(topo, line, lo, hi, horizontal)
        apex = cid[owner]
        out.append(np.stack([apex, b, a] if flip else [apex, a, b], axis=1))
    # corner fans: from a corner over the segments of the two edges opposite it
    for code, (rs, cs) in CORNERS.items():
        c = np.flatnonzero(fan & (corner == code))
        apex_all = topo.vid(np.where(rs, y1[c], y0[c]), np.where(cs, x1[c], x0[c]))
        row_edge = np.where(rs, y0[c], y1[c])  # the horizontal edge opposite the corner
        col_edge = np.where(cs, x0[c], x1[c])  # the vertical edge opposite the corner
        owner, a, b = _edge_segments(topo, row_edge, x0[c], x1[c], True)
        out.append(np.stack([apex_all[owner], b, a] if rs else [apex_all[owner], a, b], axis=1))
        owner, a, b = _edge_segments(topo, col_edge, y0[c], y1[c], False)
        out.append(np.stack([apex_all[owner], a, b] if cs else [apex_all[owner], b, a], axis=1))
    n_before = sum(o.shape[0] for o in out)
    fine = [np.zeros(n_before, dtype=bool)]
    c = np.flatnonzero(zipper)
    single = leaves.w[c] == 1
    owner, a, b = _edge_segments(topo, y0[c], x0[c], x1[c], True)
    xb = topo.row_x[b]
    below = y1[c][owner]
    apex = topo.rowstart[below] + topo.cr[below, xb + 1] - 1  # last bottom vertex <= x_b
    out.append(np.stack([apex, b, a], axis=1))
    fine.append(single[owner])
    owner, a, b = _edge_segments(topo, y1[c], x0[c], x1[c], True)
    xb = topo.row_x[b]
    above = y0[c][owner]
    apex = topo.rowstart[above] + topo.cr[above, xb] - 1  # last top vertex < x_b
    out.append(np.stack([apex, a, b], axis=1))
    fine.append(single[owner])
    # pole fans over the first and the last row
    top, bottom = n_marked + centres.shape[0], n_marked + centres.shape[0] + 1
    for row, pole, flip in ((0, top, False), (h - 1, bottom, True)):
        n = topo.cr[row, w + 1]
        a = topo.rowstart[row] + np.arange(n - 1)
        p = np.full(a.size, pole)
        out.append(np.stack([p, a + 1, a] if flip else [p, a, a + 1], axis=1))
        fine.append(topo.row_x[a + 1] - topo.row_x[a] == 1)
    return np.concatenate(out), np.concatenate(fine), centres


def _cell_pixels(leaves: _Leaves, cells: np.ndarray, h_img: int, w32=None):
    """Pixels of ``cells`` (each cell's half-open rectangle, plus the last image row for
    cells that end on it): ``(cell, dy, dx)`` arrays, cell by cell; ``cell`` is int64, the
    offsets int64, or int32 when ``w32`` (``leaves.w`` as int32) is given (half the memory
    traffic of the per-pixel integer work that follows; fewer than 2**31 pixels)."""
    last = (leaves.y0[cells] + leaves.h[cells] == h_img - 1).astype(np.int64)
    n = (leaves.h[cells] + last) * leaves.w[cells]
    cell = np.repeat(cells, n)
    if w32 is None:
        off = np.arange(cell.size) - np.repeat(np.cumsum(n) - n, n)
        cw = leaves.w[cell]
        return cell, off // cw, off % cw
    off = np.arange(cell.size, dtype=np.int32) - np.repeat((np.cumsum(n) - n).astype(np.int32), n)
    cw = w32[cell]
    dy = off // cw
    return cell, dy, off - dy * cw


def _generic_errors(geo: _Geometry, leaves: _Leaves, topo: _Topology, kinds,
                    cells: np.ndarray):
    """Errors of the pixels of fan and zipper cells, each pixel located in its triangle.

    The cells are taken centre fans first, then corner fans, then zippers (stable), so that
    each kind's pixels are one slice of the per-pixel arrays rather than a gathered subset.

    Returns
    -------
    err : (n,) float32, y : (n,) int32
        Cell by cell, in the order of ``order``.
    order : (n_cells,) int64
        ``cells`` in the order their pixels were measured.
    """
    _, zipper, _, fan, corner = kinds
    errs, ys = [], []
    flat = np.flatnonzero(topo.marked)
    vpos = geo.point(flat // (geo.w + 1), flat % (geo.w + 1))  # (n_marked, 3) by vertex id
    kind = np.where(fan, np.where(corner < 0, 0, 1), 2)  # centre fan, corner fan, zipper
    cells = cells[np.argsort(kind[cells], kind="stable")]
    order = cells
    n_pix = (leaves.h[cells] + 1) * leaves.w[cells]
    bounds = np.searchsorted(np.cumsum(n_pix), np.arange(1, 1 + n_pix.sum() // _PIXEL_CHUNK)
                             * _PIXEL_CHUNK)
    l32 = [a.astype(np.int32) for a in (leaves.y0, leaves.x0, leaves.h, leaves.w)]
    corner32 = corner.astype(np.int32)
    apex = np.zeros(corner.size, dtype=np.int64)  # corner fans' apex vertex, per cell
    cf = np.flatnonzero(fan & (corner >= 0))
    apex[cf] = topo.vid(leaves.y0[cf] + (corner[cf] >> 1) * leaves.h[cf],
                        leaves.x0[cf] + (corner[cf] & 1) * leaves.w[cf])
    for part in np.split(cells, np.unique(bounds)):
        if part.size == 0:
            continue
        cell, dy, dx = _cell_pixels(leaves, part, geo.h, w32=l32[3])
        y0, x0, ch, cw = (a[cell] for a in l32)
        y, x = y0 + dy, x0 + dx
        # the pixel ranges of the three kinds (the part is sorted by kind)
        last = (leaves.y0[part] + leaves.h[part] == geo.h - 1).astype(np.int64)
        ends = np.cumsum((leaves.h[part] + last) * leaves.w[part])
        k1, k2 = np.searchsorted(kind[part], [1, 2])
        a1 = int(ends[k1 - 1]) if k1 else 0
        a2 = int(ends[k2 - 1]) if k2 else 0
        ids = np.empty((3, cell.size), dtype=np.int64)  # apex, a, b vertex ids
        m = slice(0, a1)  # centre fans
        ids[0, m] = -1
        ids[1, m], ids[2, m] = _fan_triangle(topo, y0[m], x0[m], ch[m], cw[m], dy[m], dx[m])
        m = slice(a1, a2)  # corner fans
        ids[0, m] = apex[cell[m]]
        ids[1, m], ids[2, m] = _corner_fan_triangle(
            topo, y0[m], x0[m], ch[m], cw[m], dy[m], dx[m], corner32[cell[m]])
        m = slice(a2, cell.size)  # zippers
        ids[0, m], ids[1, m], ids[2, m] = _zipper_triangle(topo, y0[m], x0[m], cw[m], dy[m],
                                                           dx[m])
        # consecutive pixels of a cell mostly share a triangle: its normal and plane offset
        # are computed once per run of such pixels (the same float64 operations, so the
        # same bits as per pixel), then repeated over the run
        new = np.empty(cell.size, dtype=bool)
        new[:1] = True
        new[1:] = ((ids[:, 1:] != ids[:, :-1]).any(axis=0)) | (cell[1:] != cell[:-1])
        run = np.flatnonzero(new)
        run_len = np.diff(np.append(run, cell.size))
        p0 = vpos[np.maximum(ids[0, run], 0)]
        k0 = int(np.searchsorted(run, a1))  # the runs of centre fans: apex at the centre
        m = run[:k0]
        p0[:k0] = geo.point(y0[m] + ch[m] // 2, x0[m] + cw[m] // 2)
        e1 = vpos[ids[1, run]] - p0
        e2 = vpos[ids[2, run]] - p0
        nx = e1[:, 1] * e2[:, 2] - e1[:, 2] * e2[:, 1]
        ny = e1[:, 2] * e2[:, 0] - e1[:, 0] * e2[:, 2]
        nz = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
        offset = nx * p0[:, 0] + ny * p0[:, 1] + nz * p0[:, 2]
        nx, ny, nz, offset = (np.repeat(v, run_len) for v in (nx, ny, nz, offset))
        cl = geo.cos_lat[y]
        dot_d = cl * (nx * geo.sin_lon[x] + nz * geo.mcos_lon[x]) + ny * geo.sin_lat[y]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = geo.dist[y, x] * dot_d / offset
        e = _ratio_to_error(ratio.astype(np.float32))
        m = slice(0, a1)
        e[m][(2 * dy[m] == ch[m]) & (2 * dx[m] == cw[m])] = 0.0  # the fan centre is a vertex
        errs.append(e)
        ys.append(y)
    if not errs:
        return np.zeros(0, np.float32), np.zeros(0, np.int32), order
    return np.concatenate(errs), np.concatenate(ys), order


def _cell_keys(leaves: _Leaves, h_img: int, w_img: int) -> np.ndarray:
    """(n,) int64 key of each cell's rectangle ``(y0, x0, h, w)`` (unique within a mesh)."""
    return (((leaves.y0 * (w_img + 1) + leaves.x0) * (h_img + 1) + leaves.h) * (w_img + 2)
            + leaves.w)


def _checked_errors(geo: _Geometry, leaves: _Leaves, topo: _Topology, kinds,
                    checked: np.ndarray, prev):
    """:func:`_generic_errors` of ``checked`` cells, reusing the previous round's errors.

    Refining only adds vertices (a split cell keeps its corners), so a cell with the same
    rectangle and the same number of boundary segments on each edge as in the previous round
    has the same boundary vertices, hence the same triangles and the same pixel errors; only
    the other cells are located and measured again. The result is ordered as
    :func:`_generic_errors` of all ``checked`` cells would order it (so the statistics are
    bit-identical).

    Parameters
    ----------
    prev : tuple or None
        The ``memo`` this function returned in the previous round.

    Returns
    -------
    err : (n,) float32, y : (n,) int64, cell : (n,) int64, memo : tuple
    """
    key = _cell_keys(leaves, geo.h, geo.w)[checked]
    counts = kinds[0][:, checked]
    last = (leaves.y0[checked] + leaves.h[checked] == geo.h - 1).astype(np.int64)
    n_pix = (leaves.h[checked] + last) * leaves.w[checked]
    out_start = np.cumsum(n_pix) - n_pix
    cell = np.repeat(checked, n_pix)
    reuse = np.zeros(checked.size, dtype=bool)
    if prev is not None and prev[0].size:
        p_key, p_counts, p_start, p_err, p_y = prev
        order = np.argsort(p_key)
        match = order[np.minimum(np.searchsorted(p_key, key, sorter=order), p_key.size - 1)]
        reuse = (p_key[match] == key) & (p_counts[:, match] == counts).all(axis=0)
    fresh = checked[~reuse]
    f_err, f_y, f_order = _generic_errors(geo, leaves, topo, kinds, fresh)
    # where each fresh cell's pixels start in f_err (measured in f_order)
    last_o = (leaves.y0[f_order] + leaves.h[f_order] == geo.h - 1).astype(np.int64)
    n_o = (leaves.h[f_order] + last_o) * leaves.w[f_order]
    f_start = np.empty(leaves.y0.size, dtype=np.int64)
    f_start[f_order] = np.cumsum(n_o) - n_o
    start = np.empty(checked.size, dtype=np.int64)
    if reuse.any():
        start[reuse] = p_start[match[reuse]]
        start[~reuse] = p_err.size + f_start[fresh]
        pool_err, pool_y = np.concatenate([p_err, f_err]), np.concatenate([p_y, f_y])
    else:
        start[:] = f_start[fresh]
        pool_err, pool_y = f_err, f_y
    idx = np.repeat(start - out_start, n_pix) + np.arange(cell.size)
    err, y = pool_err[idx], pool_y[idx]
    return err, y, cell, (key, counts, out_start, err, y)


def _two_triangle_pixel_errors(geo: _Geometry, leaves: _Leaves, cells: np.ndarray):
    """Errors of the pixels of two-triangle cells (their triangles need no lookup).

    Returns
    -------
    err : (n,) float32, y : (n,) int64
    """
    errs, ys = [], []
    h_img = geo.h
    last = (leaves.y0[cells] + leaves.h[cells] == h_img - 1).astype(np.int64)
    key = (leaves.h[cells] * 2 + last) * (geo.w + 1) + leaves.w[cells]
    for k in np.unique(key):
        group = cells[key == k]
        h, w, extra = int(leaves.h[group[0]]), int(leaves.w[group[0]]), int(k // (geo.w + 1) % 2)
        per = max(1, _PIXEL_CHUNK // ((h + 1) * (w + 1)))
        for i in range(0, group.size, per):
            g = group[i:i + per]
            rows = leaves.y0[g, None] + np.arange(h + 1)
            cols = leaves.x0[g, None] + np.arange(w + 1)
            ratio = _two_triangle_ratio(geo, rows, cols)[:, :h + extra, :w]
            errs.append(_ratio_to_error(ratio).ravel())
            ys.append(np.broadcast_to(rows[:, :h + extra, None].astype(np.int32),
                                      ratio.shape).ravel())
    if not errs:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    return np.concatenate(errs), np.concatenate(ys)


def _exit_segment(topo, horiz, ye, xe, xcol, yx):
    """Vertex ids ``(a, b)`` of the boundary segment a ray leaves a cell through: along row
    ``ye`` at column ``xe`` where ``horiz``, else along column ``xcol`` at row ``yx`` (the
    positions are floored and already clipped inside the edge)."""
    # each pixel's own branch only: the lookups hit large tables at random, and the column
    # branch takes four of them
    a = np.empty(horiz.size, dtype=np.int64)
    b = np.empty_like(a)
    hz = np.flatnonzero(horiz)
    ye, xe = ye[hz], xe[hz]
    a[hz] = topo.rowstart[ye] + topo.cr[ye, xe + 1] - 1  # last vertex <= xe on the row
    b[hz] = a[hz] + 1
    vt = np.flatnonzero(~horiz)
    xcol, yx = xcol[vt], yx[vt]
    pos = topo.colstart[xcol] + topo.cc[yx + 1, xcol] - 1  # last vertex <= yx in the column
    a[vt] = topo.vid(topo.col_y[pos], xcol)
    b[vt] = topo.vid(topo.col_y[pos + 1], xcol)
    return a, b


def _fan_triangle(topo, y0, x0, h, w, dy, dx):
    """Vertex ids ``(a, b)`` ((n,) each) of the boundary segment of the centre-fan triangle
    holding each pixel (its apex is the centre)."""
    h2, w2 = h // 2, w // 2
    vy, vx = dy - h2, dx - w2
    horiz = np.abs(vy) * w2 >= np.abs(vx) * h2  # leaves through the top or bottom edge
    ye = np.where(vy < 0, y0, y0 + h)
    xe = np.clip(x0 + w2 + (vx * h2) // np.maximum(np.abs(vy), 1), x0, x0 + w - 1)
    xcol = np.where(vx < 0, x0, x0 + w)
    yx = np.clip(y0 + h2 + (vy * w2) // np.maximum(np.abs(vx), 1), y0, y0 + h - 1)
    a, b = _exit_segment(topo, horiz, ye, xe, xcol, yx)
    return a, b


def _corner_fan_triangle(topo, y0, x0, h, w, dy, dx, code):
    """Vertex ids ``(a, b)`` ((n,) each) of the far segment of the corner-fan triangle
    holding each pixel (its apex, the corner, is one vertex per cell: the caller's)."""
    rs, cs = code >> 1, code & 1
    kyo, kxo = rs * h, cs * w  # the apex corner, from the cell's top left
    ky, kx = y0 + kyo, x0 + kxo
    ay, ax = np.abs(dy - kyo), np.abs(dx - kxo)
    horiz = ay * w >= ax * h  # leaves through the opposite horizontal edge
    ye = y0 + h - kyo  # the edges opposite the apex
    xcol = x0 + w - kxo
    # where the ray from the apex leaves: floor((k q + s a h) / q) = k + floor(s a h / q), the
    # sign s = +1 away from a top/left apex, -1 away from a bottom/right one
    xe = np.clip(kx + (np.where(cs == 0, ax, -ax) * h) // np.maximum(ay, 1), x0, x0 + w - 1)
    yx = np.clip(ky + (np.where(rs == 0, ay, -ay) * w) // np.maximum(ax, 1), y0, y0 + h - 1)
    a, b = _exit_segment(topo, horiz, ye, xe, xcol, yx)
    return a, b


def _zipper_triangle(topo, y0, x0, w, dy, dx):
    """Vertex ids ``(apex, a, b)`` ((n,) each) of the zipper triangle whose edge holds each
    pixel."""
    row = y0 + dy  # dy is 0, or 1 on the last image row
    other = y0 + 1 - dy
    ida = topo.rowstart[row] + topo.cr[row, x0 + dx + 1] - 1  # last vertex <= x on the row
    xb = topo.row_x[ida + 1]
    # apex: last vertex <= x_b below a top segment, last vertex < x_b above a bottom segment
    apex = topo.rowstart[other] + topo.cr[other, xb + 1 - dy] - 1
    return apex, ida, ida + 1


def _weighted_stats(err: np.ndarray, weight: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean, weighted 99th percentile and maximum of the finite errors."""
    ok = np.isfinite(err)
    e, wt = (err, weight) if ok.all() else (err[ok], weight[ok])
    if e.size == 0:
        return float("nan"), float("nan"), float("nan")
    total = float(wt.sum())
    mean = float(np.dot(e.astype(np.float64), wt) / total)
    # the weighted p99 lies above any v with weight(e > v) > 1 %: find such a v on a
    # logarithmic histogram, then sort only the values above it
    # bin floor(4 log2(max(e, 1e-30))) + 400, clipped to 0..800; most errors are 0 (pixels
    # that are vertices), whose bin is computed once
    tiny = np.float32(1e-30)
    big = np.flatnonzero(e > tiny)
    bins = np.full(e.size, int(np.floor(np.log2(tiny) * np.float32(4))) + 400, dtype=np.int64)
    bins[big] = np.floor(np.log2(e[big]) * 4).astype(np.int64) + 400
    np.clip(bins, 0, 800, out=bins)
    hist = np.bincount(bins, weights=wt, minlength=801)
    from_top = np.cumsum(hist[::-1])[::-1]  # weight in bins >= b
    b = int(np.flatnonzero(from_top > 0.01 * total).max())
    above = bins >= b
    ea, wa = e[above], wt[above]
    order = np.argsort(ea)
    below_weight = total - float(wa.sum())
    cum = below_weight + np.cumsum(wa[order], dtype=np.float64)
    i = min(int(np.searchsorted(cum, 0.99 * total)), order.size - 1)
    return mean, float(ea[order[i]]), float(e.max())


def _add_backing(positions, uvs, faces, cut):
    """Append the backing triangles of the ``cut`` faces (:mod:`scene.backing`)."""
    bp, buv, bf = backing_triangles(positions, uvs, cut, positions.shape[0])
    return (np.concatenate([positions, bp]), np.concatenate([uvs, buv]),
            np.concatenate([faces, bf]), bf.shape[0])


def adaptive_mesh(dist: np.ndarray, max_error: float, cut_threshold: float,
                  max_level: int | None = None) -> DepthMesh:
    """The error-bounded adaptive DepthFusion mesh (see the module docstring).

    Parameters
    ----------
    dist : (H, W) float32 ndarray
        Radial distance in metres, NaN = unknown (validated by
        :func:`scene.mesh.check_distance`).
    max_error : float
        Largest relative radial error allowed at any pixel (0.005 = 0.5 %).
    cut_threshold : float
        Relative depth jump above which a triangle is removed; 0 or inf keeps all.
    max_level : int, optional
        Largest cell level (see :func:`plan_bands`).

    Returns
    -------
    DepthMesh
        ``stats``: ``mode="adaptive"``, ``grid``, ``cut_faces``, ``backing_faces`` (appended
        last, :func:`scene.backing.surface_faces`), ``unknown_faces``,
        ``max_error_requested``, and the error reached against the pixels (before the cut,
        weighted by each pixel's solid angle): ``mean_error``, ``p99_error``,
        ``max_error``; ``cells``, ``refine_rounds``, ``bands``.
    """
    h, w = dist.shape
    geo = _Geometry(dist)
    bands = [_Band(ya, hb, ks, lb) for ya, hb, ks, lb in plan_bands(h, w, max_level)]
    for band in bands:
        _init_band(geo, band, max_error)
    rounds = 0
    memo = None
    while True:
        leaves = _leaves(bands, max_error)
        topo = _topology(leaves, h, w)
        kinds = _cell_kinds(leaves, topo)
        _, zipper, two, fan, _ = kinds
        # two-triangle cells are exactly what their level's error test measured, and
        # single-pixel cells have every pixel as a vertex: only fans and zippers are checked
        checked = np.flatnonzero(fan | (zipper & (leaves.w > 1)))
        g_err, g_y, g_cell, memo = _checked_errors(geo, leaves, topo, kinds, checked, memo)
        over = np.unique(g_cell[g_err > max_error])
        if over.size == 0 or rounds >= MAX_REFINE_ROUNDS:
            break
        groups = leaves.band[over] * 64 + leaves.level[over]
        for g in np.unique(groups):  # one assignment per (band, level)
            sel = over[groups == g]
            bands[g // 64].forced[g % 64][leaves.i[sel], leaves.j[sel]] = True
        rounds += 1
    t_err, t_y = _two_triangle_pixel_errors(geo, leaves, np.flatnonzero(two))
    single = np.flatnonzero(zipper & (leaves.w == 1))
    # (int32 offsets and rows: the per-pixel arrays of the last stage are fresh memory,
    # which the kernel must clear, so their size is CPU time too)
    s_cell, s_dy, s_dx = _cell_pixels(leaves, single, h, w32=leaves.w.astype(np.int32))
    s_y = leaves.y0.astype(np.int32)[s_cell] + s_dy
    s_x = leaves.x0.astype(np.int32)[s_cell] + s_dx
    s_err = np.where(np.isnan(dist[s_y, s_x]), np.float32(np.nan),
                     np.float32(0.0))  # every pixel of a single-pixel cell is a vertex
    err = np.concatenate([g_err, t_err, s_err])
    ey = np.concatenate([g_y, t_y, s_y])
    faces, fine, centres = _triangulate(leaves, topo, kinds, h, w)
    flat = np.flatnonzero(topo.marked)
    vy, vx = flat // (w + 1), flat % (w + 1)
    vy = np.concatenate([vy, centres[:, 0]])
    vx = np.concatenate([vx, centres[:, 1]])
    n = vy.size
    positions = np.empty((n + 2, 3), dtype=np.float32)
    positions[:n] = geo.positions32(vy, vx)
    top_y, bottom_y = pole_heights(geo.row_heights(0), geo.row_heights(h - 1))
    positions[n] = (0.0, top_y, 0.0)
    positions[n + 1] = (0.0, bottom_y, 0.0)
    uvs = np.empty((n + 2, 2), dtype=np.float32)
    uvs[:n, 0] = (vx + 0.5) / w
    uvs[:n, 1] = (vy + 0.5) / h
    uvs[n] = (0.5, 0.0)
    uvs[n + 1] = (0.5, 1.0)
    faces = faces.astype(np.uint32)
    # unknown depth and the discontinuity cut, on the vertex distances
    r = np.empty(n + 2, dtype=np.float32)
    r[:n] = dist[vy, vx % w]
    r[n], r[n + 1] = abs(top_y), abs(bottom_y)
    fr = r[faces]
    lo, hi = fr.min(axis=1), fr.max(axis=1)
    known = np.isfinite(lo) & np.isfinite(hi)
    keep = known.copy()
    if cut_enabled(cut_threshold):
        keep &= ~fine | (hi <= lo * np.float32(1.0 + cut_threshold))
    n_unknown = int(faces.shape[0] - np.count_nonzero(known))
    n_cut = int(np.count_nonzero(known) - np.count_nonzero(keep))
    cut = faces[known & ~keep] if n_cut else None
    if n_unknown or n_cut:
        faces = compress_rows(np.ascontiguousarray(faces), keep)
    n_backing = 0
    if n_cut:  # what the cut removed is put back behind (scene.backing): no holes
        positions, uvs, faces, n_backing = _add_backing(positions, uvs, faces, cut)
    if not np.isfinite(positions).all():
        positions, uvs, faces = drop_unknown_vertices(positions, uvs, faces)
    assert err.size == h * w
    weight = geo.cos_lat[ey]
    mean, p99, worst = _weighted_stats(err, weight)
    stats = {
        "mode": "adaptive", "grid": (w, h), "cut_faces": n_cut, "unknown_faces": n_unknown,
        "backing_faces": int(n_backing),
        "cut_threshold": float(cut_threshold), "max_error_requested": float(max_error),
        "mean_error": mean, "p99_error": p99, "max_error": worst, "error_reference": "pixels",
        "cells": int(leaves.y0.size), "refine_rounds": rounds, "bands": len(bands),
        "pixels_over_bound": int(np.count_nonzero(err > max_error)),
    }
    return DepthMesh(positions=positions, uvs=uvs, faces=faces, stats=stats)
