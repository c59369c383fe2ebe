"""360° depth from perspective tiles: the sphere cut into overlapping views and put back together.

A perspective depth network cannot see an equirect panorama whole, so the sphere is covered by
overlapping pinhole *tiles* (:func:`cube_tiles`: the six cube faces widened by a margin, or
:func:`icosahedron_tiles`: twenty views at the faces of an icosahedron, as 360MonoDepth does),
each tile is estimated on its own, and the results are joined here:

1. :func:`sample_tiles` finds, for every pixel of the output equirect grid, the tiles that see
   it, where (continuous tile pixel coordinates), ``cos`` of the angle to each tile's axis and a
   feathered blend weight that falls to zero at the tile's border.
2. :func:`align_tiles` solves one global least-squares problem on the overlaps for a scale
   ``a_i`` and shift ``b_i`` per tile (see *Alignment* below), with one tile's scale fixed.
3. :func:`blend_tiles` averages the aligned tiles with the feathered weights into one equirect
   inverse distance. Every output pixel is computed from its *direction*, and the tiles cover
   the sphere, so the result is continuous across the 360° seam and at the poles by
   construction (there is no image edge there, only tile interiors).

One robust pass drops the overlap rows far off the first fit (depth edges, where two tiles'
bilinear samples mix near and far) and solves again; if the solved alignment makes the
overlaps agree less than none, or gives a tile a negative scale (tiles that share no
structure, e.g. random weights), the tiles are used as estimated and
:attr:`Alignment.fell_back` says so.

Alignment
---------
A relative depth network gives disparity up to its own affine map per picture:
``d_i = s_i / z_i + t_i`` with ``z_i`` the depth along tile ``i``'s axis. Along a ray with unit
direction ``u`` the radial distance is ``r = z_i / cos_i`` (``cos_i = u . forward_i``), so the
aligned inverse radial distance of tile ``i`` is::

    q_i = cos_i * (a_i * d_i + b_i)        (= 1/r when a_i = 1/s_i, b_i = -t_i/s_i)

which is linear in the unknowns. Every overlap pixel seen by tiles ``i`` and ``j`` gives one
equation ``q_i - q_j = 0``; fixing ``a = 1`` for one tile (the one whose disparity varies most
on the overlaps, so its shift cannot cancel it) removes the trivial solution. The shifts
need no gauge of their own: a shift in one tile's planar disparity is ``t * cos_i`` in inverse
distance, which varies across the overlap differently for each tile axis, so the overlaps
determine all shifts, and exact tiles are recovered exactly up to one global scale. (Metric
networks are aligned with scales only, ``b = 0``, and the scales are normalised to a geometric
mean of 1 so the result stays in metres.)

The least squares is solved with :func:`numpy.linalg.lstsq` on a few thousand rows (a
subsample of the overlap pixels), which takes milliseconds; written here because no maintained
library solves this small, problem-specific system.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .conventions import direction_grid, direction_to_lonlat, lonlat_to_pixel
from .errors import InputError

__all__ = [
    "Tile", "TileSamples", "Alignment", "cube_tiles", "icosahedron_tiles", "make_tiles",
    "TILE_LAYOUTS", "ALIGN_MODES", "render_tiles", "prefilter_width", "sample_tiles",
    "sample_tile_values", "align_tiles", "blend_tiles", "tile_depth_from_distance",
    "floor_scale", "point_scale", "output_width",
]

#: Tile layouts :func:`make_tiles` knows.
TILE_LAYOUTS = ("cube", "icosahedron")
#: Alignment modes: per-tile scale and shift, scale only, or none (each tile as estimated).
ALIGN_MODES = ("scale-shift", "scale", "none")
#: Default widening of each cube face beyond 90°, degrees per side.
DEFAULT_CUBE_MARGIN_DEG = 12.0
#: Default field of view of an icosahedral tile, degrees (the face's corners are 37.4° away).
DEFAULT_ICOSA_FOV_DEG = 90.0
#: Feather width in normalised tile coordinates: the weight rises from 0 at the border to 1.
DEFAULT_FEATHER = 0.3
#: Rows used by the least squares at most (a random, seeded subsample of the overlaps).
MAX_ALIGN_ROWS = 60000


@dataclass(frozen=True)
class Tile:
    """One square pinhole view from the origin.

    Parameters
    ----------
    name : str
    forward, up : (3,) tuple of float
        The view axis and the image's up direction (world frame; orthonormalised here).
    fov_deg : float
        Field of view across the square, degrees, in (0, 180).
    size : int
        Edge in pixels.

    Notes
    -----
    Pixel ``(row i, column j)`` looks along ``forward + k*(x*right + y*up)`` with
    ``k = tan(fov/2)``, ``x = 2*(j + 0.5)/size - 1``, ``y = 1 - 2*(i + 0.5)/size`` and
    ``right = forward x up`` (the convention of :func:`scene.cubemap.face_directions`).
    """

    name: str
    forward: tuple[float, float, float]
    up: tuple[float, float, float]
    fov_deg: float
    size: int

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(right, up, forward)`` orthonormal (3,) float64 vectors."""
        f = np.asarray(self.forward, dtype=np.float64)
        f = f / np.linalg.norm(f)
        u = np.asarray(self.up, dtype=np.float64)
        u = u - f * (u @ f)
        u = u / np.linalg.norm(u)
        return np.cross(f, u), u, f

    @property
    def half_tan(self) -> float:
        """``tan(fov/2)``."""
        return math.tan(math.radians(self.fov_deg) / 2.0)

    def directions(self) -> np.ndarray:
        """(size, size, 3) float64 unit view direction of every pixel centre."""
        right, up, f = self.basis()
        t = (2.0 * (np.arange(self.size) + 0.5) / self.size - 1.0) * self.half_tan
        d = f + t[None, :, None] * right - t[:, None, None] * up
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    def project(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Where directions land in this tile.

        Parameters
        ----------
        d : (..., 3) float ndarray
            Unit directions.

        Returns
        -------
        px, py : (...) float64 ndarray
            Column and row, pixel centres at integers.
        x, y : (...) float64 ndarray
            Normalised coordinates, -1..1 across the tile (NaN behind the camera).
        """
        right, up, f = self.basis()
        fwd = d @ f
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(fwd > 1e-9, (d @ right) / fwd / self.half_tan, np.nan)
            y = np.where(fwd > 1e-9, (d @ up) / fwd / self.half_tan, np.nan)
        px = (x + 1.0) * self.size / 2.0 - 0.5
        py = (1.0 - y) * self.size / 2.0 - 0.5
        return px, py, x, y


def _check_size(size: int) -> int:
    if isinstance(size, bool) or int(size) != size or not 8 <= int(size) <= 4096:
        raise InputError(f"tile size must be a whole number from 8 to 4096, got {size}",
                         hint="use the depth model's input size, e.g. 518")
    return int(size)


def cube_tiles(size: int, margin_deg: float = DEFAULT_CUBE_MARGIN_DEG) -> list[Tile]:
    """The six cube faces (``px nx py ny pz nz``), each widened by ``margin_deg`` per side.

    Parameters
    ----------
    size : int
        Tile edge in pixels.
    margin_deg : float
        Degrees added on each side of the 90° face (0 < margin < 45); the overlaps are what
        the alignment solves on.

    Returns
    -------
    list of Tile
    """
    from .cubemap import FACE_ORDER, FACES

    if not 0.0 < margin_deg < 45.0:
        raise InputError(f"cube tile margin must be between 0 and 45 degrees, got {margin_deg}")
    size = _check_size(size)
    return [Tile(name, tuple(map(float, FACES[name][0])), tuple(map(float, FACES[name][1])),
                 90.0 + 2.0 * margin_deg, size) for name in FACE_ORDER]


def icosahedron_tiles(size: int, fov_deg: float = DEFAULT_ICOSA_FOV_DEG) -> list[Tile]:
    """Twenty tiles looking at the face centres of an icosahedron (360MonoDepth's layout).

    Parameters
    ----------
    size : int
        Tile edge in pixels.
    fov_deg : float
        Field of view of each tile; above 75° the faces (37.4° from centre to corner) are
        covered with overlap to spare.

    Returns
    -------
    list of Tile
        ``up`` is the world's +Y projected onto each tile plane (+Z for a tile looking
        straight up or down).
    """
    if not 75.0 <= fov_deg < 170.0:
        raise InputError(f"icosahedral tiles need a field of view from 75 to 170 degrees, "
                         f"got {fov_deg}")
    size = _check_size(size)
    g = (1.0 + math.sqrt(5.0)) / 2.0
    centres = [(sx, sy, sz) for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]
    for a in (-1, 1):
        for b in (-1, 1):
            centres += [(0.0, a / g, b * g), (a / g, b * g, 0.0), (a * g, 0.0, b / g)]
    tiles = []
    for k, c in enumerate(centres):
        f = np.asarray(c, dtype=np.float64)
        f /= np.linalg.norm(f)
        up = (0.0, 1.0, 0.0) if abs(f[1]) < 0.99 else (0.0, 0.0, 1.0)
        tiles.append(Tile(f"ico{k:02d}", tuple(map(float, f)), up, float(fov_deg), size))
    return tiles


def make_tiles(layout: str, size: int) -> list[Tile]:
    """Tiles of a named layout (:data:`TILE_LAYOUTS`) with their default fields of view."""
    if layout == "cube":
        return cube_tiles(size)
    if layout == "icosahedron":
        return icosahedron_tiles(size)
    raise InputError(f"unknown tile layout {layout!r}", hint="use " + " or ".join(TILE_LAYOUTS))


def prefilter_width(tiles: list[Tile]) -> int:
    """The equirect width whose pixels match the tiles' finest angular resolution (even).

    A tile pixel at the centre spans ``2*tan(fov/2)/size`` radians; sampling a much finer
    equirect bilinearly would alias, so :func:`render_tiles` box-filters the panorama down
    to this width first.
    """
    step = min(2.0 * t.half_tan / t.size for t in tiles)
    w = int(math.ceil(2.0 * math.pi / step))
    return w + (w % 2)


def output_width(tiles: list[Tile], rgb_width: int) -> int:
    """Width of the estimated depth equirect: the tiles' resolution, at most the RGB's (even)."""
    w = min(int(rgb_width), prefilter_width(tiles))
    return max(8, w - (w % 2))


def render_tiles(rgb: np.ndarray, tiles: list[Tile]) -> np.ndarray:
    """Perspective views of an equirect RGB image.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        2:1 equirect colour (any size: a large photo is box-filtered down to
        :func:`prefilter_width` first, so an 8192x4096 image costs no more than the tiles).
    tiles : list of Tile
        All of the same size.

    Returns
    -------
    (N, size, size, 3) uint8 ndarray
    """
    from PIL import Image

    from .cubemap import sample_bilinear_wrap

    h, w = rgb.shape[:2]
    target = prefilter_width(tiles)
    if w > 1.5 * target:
        rgb = np.asarray(Image.fromarray(rgb).resize((target, target // 2),
                                                     Image.Resampling.BOX), dtype=np.uint8)
        h, w = rgb.shape[:2]
    out = np.empty((len(tiles), tiles[0].size, tiles[0].size, 3), dtype=np.uint8)
    for k, tile in enumerate(tiles):
        lon, lat = direction_to_lonlat(tile.directions())
        px, py = lonlat_to_pixel(lon, lat, w, h)
        out[k] = sample_bilinear_wrap(rgb, px, py)
    return out


@dataclass(eq=False)
class TileSamples:
    """Which tiles see each pixel of an equirect grid (from :func:`sample_tiles`).

    Parameters
    ----------
    width, height : int
        The equirect grid.
    index : list of (n_k,) int64 ndarray
        Flat pixel indices (``row * width + col``) tile ``k`` sees.
    px, py : list of (n_k,) float32 ndarray
        Continuous tile pixel coordinates of those pixels.
    cos : list of (n_k,) float32 ndarray
        Cosine of the angle between the pixel's direction and tile ``k``'s axis.
    weight : list of (n_k,) float32 ndarray
        Feathered blend weight, 0 at the tile border, 1 inside the feather.
    """

    width: int
    height: int
    index: list
    px: list
    py: list
    cos: list
    weight: list


def sample_tiles(tiles: list[Tile], width: int, height: int,
                 feather: float = DEFAULT_FEATHER) -> TileSamples:
    """Project every pixel of a ``width x height`` equirect grid into every tile.

    Parameters
    ----------
    tiles : list of Tile
    width, height : int
        The output grid (2:1).
    feather : float
        In normalised tile units (0..1): the weight is ``smoothstep(e / feather)`` with
        ``e = 1 - max(|x|, |y|)`` the distance to the tile's border.

    Returns
    -------
    TileSamples
    """
    dirs = direction_grid(width, height, dtype=np.float64).reshape(-1, 3)
    out = TileSamples(width, height, [], [], [], [], [])
    for tile in tiles:
        px, py, x, y = tile.project(dirs)
        with np.errstate(invalid="ignore"):
            e = 1.0 - np.maximum(np.abs(x), np.abs(y))
            seen = e > 0
        idx = np.nonzero(seen)[0]
        s = np.clip(e[idx] / feather, 0.0, 1.0)
        out.index.append(idx)
        out.px.append(px[idx].astype(np.float32))
        out.py.append(py[idx].astype(np.float32))
        out.cos.append((dirs[idx] @ tile.basis()[2]).astype(np.float32))
        out.weight.append((s * s * (3.0 - 2.0 * s)).astype(np.float32))
    return out


def _bilinear_clamped(img: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Bilinear samples of a (h, w) float image, clamped at the borders; NaN propagates."""
    h, w = img.shape
    x = np.clip(px, 0.0, w - 1.0)
    y = np.clip(py, 0.0, h - 1.0)
    x0 = np.minimum(np.floor(x).astype(np.int64), max(w - 2, 0))
    y0 = np.minimum(np.floor(y).astype(np.int64), max(h - 2, 0))
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = (x - x0).astype(np.float32)
    fy = (y - y0).astype(np.float32)
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bot = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return top * (1 - fy) + bot * fy


def sample_tile_values(values: np.ndarray, samples: TileSamples) -> list[np.ndarray]:
    """Each tile's values at the equirect pixels it sees (bilinear).

    Parameters
    ----------
    values : (N, size, size) float ndarray
        Per-tile maps (disparity), NaN = unknown.
    samples : TileSamples

    Returns
    -------
    list of (n_k,) float32 ndarray
    """
    v = np.asarray(values, dtype=np.float32)
    return [_bilinear_clamped(v[k], samples.px[k], samples.py[k]) for k in range(len(v))]


@dataclass
class Alignment:
    """Per-tile scale and shift and how well they fit (plain JSON via :meth:`to_dict`).

    Parameters
    ----------
    mode : str
        One of :data:`ALIGN_MODES`.
    scale, shift : list of float
        ``a_i`` and ``b_i`` (see the module docstring).
    fixed_tile : int
        The tile whose scale was fixed to 1 (before any metric normalisation).
    rows : int
        Overlap equations used.
    rms_before, rms_after : float
        RMS disagreement of the overlaps in inverse distance relative to its mean, before
        (``a = 1, b = 0``) and after the alignment.
    fell_back : bool
        The solved alignment agreed worse than none, or gave a tile a negative scale, so
        none was used.
    """

    mode: str
    scale: list
    shift: list
    fixed_tile: int = 0
    rows: int = 0
    rms_before: float = float("nan")
    rms_after: float = float("nan")
    fell_back: bool = False

    def to_dict(self) -> dict:
        return {"mode": self.mode, "scale": [round(float(v), 9) for v in self.scale],
                "shift": [round(float(v), 9) for v in self.shift], "fixed_tile": self.fixed_tile,
                "rows": self.rows, "rms_before": round(float(self.rms_before), 9),
                "rms_after": round(float(self.rms_after), 9), "fell_back": self.fell_back}


def _overlap_rows(values: list[np.ndarray], samples: TileSamples, valid: np.ndarray | None,
                  rng: np.random.Generator):
    """Equations ``q_i - q_j = 0``: (tile i, tile j, d_i, d_j, cos_i, cos_j, weight) arrays."""
    n = len(values)
    npx = samples.width * samples.height
    lat_w = np.sqrt(np.cos(np.pi / 2 - np.pi * (np.arange(samples.height) + 0.5)
                           / samples.height)).astype(np.float32)
    dense = []
    for k in range(n):
        pos = np.full(npx, -1, dtype=np.int64)
        ok = np.isfinite(values[k])
        if valid is not None:
            ok &= valid[samples.index[k]]
        pos[samples.index[k][ok]] = np.nonzero(ok)[0]
        dense.append(pos)
    parts = []
    per_pair = max(1, MAX_ALIGN_ROWS // max(1, n * (n - 1) // 2))
    for i in range(n):
        for j in range(i + 1, n):
            both = np.nonzero((dense[i] >= 0) & (dense[j] >= 0))[0]
            if both.size == 0:
                continue
            if both.size > per_pair:
                both = np.sort(rng.choice(both, per_pair, replace=False))
            pi, pj = dense[i][both], dense[j][both]
            parts.append((np.full(both.size, i), np.full(both.size, j), values[i][pi],
                          values[j][pj], samples.cos[i][pi], samples.cos[j][pj],
                          lat_w[both // samples.width]))
    if not parts:
        return None
    return tuple(np.concatenate([p[c] for p in parts]) for c in range(7))


def _gauge_tile(tile: np.ndarray, d: np.ndarray, n: int) -> int:
    """The tile whose scale is fixed: the most relative disparity variation on the overlaps,
    weighted by how many overlap samples it has.

    A tile of almost constant disparity (a blank ceiling, the sky) must not be the gauge: with
    ``a = 1`` fixed its shift could cancel it (``b = -d``) and send every tile towards q = 0.
    """
    count = np.bincount(tile, minlength=n).astype(np.float64)
    s1 = np.bincount(tile, weights=d, minlength=n)
    s2 = np.bincount(tile, weights=d * d, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / count
        std = np.sqrt(np.maximum(s2 / count - mean * mean, 0.0))
        score = np.where(count > 0, std / np.maximum(np.abs(mean), 1e-12) * np.sqrt(count), -1)
    return int(np.argmax(np.nan_to_num(score, nan=-1.0)))


def align_tiles(values: list[np.ndarray], samples: TileSamples, mode: str = "scale-shift",
                metric: bool = False, valid: np.ndarray | None = None, seed: int = 0) -> Alignment:
    """Per-tile scale and shift of disparity that make the tiles agree on their overlaps.

    Parameters
    ----------
    values : list of (n_k,) float ndarray
        Each tile's disparity at its equirect pixels (:func:`sample_tile_values`); for metric
        networks ``1 / z`` of their metric depth.
    samples : TileSamples
    mode : {"scale-shift", "scale", "none"}
    metric : bool
        Normalise the scales to a geometric mean of 1 (keeps metres).
    valid : (H*W,) bool ndarray, optional
        Equirect pixels that may be used (False where a partial panorama has no picture).
    seed : int
        Seeds the subsample of overlap rows (same inputs, same alignment).

    Returns
    -------
    Alignment
    """
    if mode not in ALIGN_MODES:
        raise InputError(f"unknown alignment {mode!r}", hint="use " + ", ".join(ALIGN_MODES))
    n = len(values)
    a = np.ones(n)
    b = np.zeros(n)
    rows = _overlap_rows(values, samples, valid, np.random.default_rng(seed))
    if rows is None:
        return Alignment(mode, a.tolist(), b.tolist())
    ti, tj, di, dj, ci, cj, w = (np.asarray(r, dtype=np.float64) if k >= 2 else r
                                 for k, r in enumerate(rows))

    def rms(a_, b_):
        qi = ci * (a_[ti] * di + b_[ti])
        qj = cj * (a_[tj] * dj + b_[tj])
        scale = np.sqrt(np.average(((qi + qj) / 2) ** 2, weights=w)) or 1.0
        return float(np.sqrt(np.average((qi - qj) ** 2, weights=w)) / scale)

    before = rms(a, b)
    fixed = 0
    if mode != "none":
        counts = np.bincount(np.concatenate([ti, tj]), minlength=n)
        fixed = _gauge_tile(np.concatenate([ti, tj]), np.concatenate([di, dj]), n)
        m = len(ti)
        cols = 2 * n if mode == "scale-shift" else n
        mat = np.zeros((m, cols))
        r = np.arange(m)
        mat[r, ti] += ci * di
        mat[r, tj] -= cj * dj
        if mode == "scale-shift":
            mat[r, n + ti] += ci
            mat[r, n + tj] -= cj
        sw = np.sqrt(w)
        mat *= sw[:, None]
        rhs = -mat[:, fixed].copy()  # a_fixed = 1 moves to the right-hand side
        keep = [c for c in range(cols) if c != fixed]
        sol, *_ = np.linalg.lstsq(mat[:, keep], rhs, rcond=None)
        # One robust pass: rows far off the fit (a depth edge seen by two tiles, where the
        # bilinear samples mix near and far) are dropped and the system solved again.
        res = np.abs(mat[:, keep] @ sol - rhs)
        inlier = res <= max(5.0 * float(np.median(res)), 1e-12)
        if 0.5 * m < np.count_nonzero(inlier) < m:
            sol, *_ = np.linalg.lstsq(mat[inlier][:, keep], rhs[inlier], rcond=None)
        full = np.ones(cols)
        full[keep] = sol
        a = full[:n]
        if mode == "scale-shift":
            b = full[n:]
        seen = counts > 0
        a[~seen], b[~seen] = 1.0, 0.0  # tiles with no usable overlap stay as estimated
        if metric and np.all(a[seen] > 0):
            g = float(np.exp(np.mean(np.log(a[seen]))))
            a, b = a / g, b / g
    after = rms(a, b)
    flipped = mode != "none" and bool(np.any(a[np.bincount(np.concatenate([ti, tj]),
                                                           minlength=n) > 0] <= 0))
    if mode != "none" and (flipped or not after <= before):
        # The fit made the overlaps agree less, or turned a tile's depth inside out (a
        # negative scale): the tiles share too little structure to align (almost constant
        # disparity, random weights). Keep the tiles as estimated and say so.
        return Alignment(mode, [1.0] * n, [0.0] * n, fixed, int(len(ti)), before, before,
                         fell_back=True)
    return Alignment(mode, a.tolist(), b.tolist(), fixed, int(len(ti)), before, after)


def blend_tiles(values: list[np.ndarray], samples: TileSamples, alignment: Alignment,
                valid: np.ndarray | None = None) -> np.ndarray:
    """Feathered average of the aligned tiles: the inverse radial distance on the grid.

    Parameters
    ----------
    values : list of (n_k,) float ndarray
        Per-tile disparity at its pixels (:func:`sample_tile_values`).
    samples : TileSamples
    alignment : Alignment
    valid : (H*W,) bool ndarray, optional
        Pixels outside it are NaN.

    Returns
    -------
    (H, W) float32 ndarray
        ``q = 1 / r`` up to the one global scale of relative depth; NaN where no tile has a
        usable value.
    """
    npx = samples.width * samples.height
    num = np.zeros(npx, dtype=np.float64)
    den = np.zeros(npx, dtype=np.float64)
    for k, v in enumerate(values):
        q = samples.cos[k] * (alignment.scale[k] * v + alignment.shift[k])
        ok = np.isfinite(q)
        wk = np.where(ok, samples.weight[k], 0.0)
        num[samples.index[k]] += np.where(ok, q, 0.0) * wk
        den[samples.index[k]] += wk
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(den > 0, num / den, np.nan)
    if valid is not None:
        q = np.where(valid, q, np.nan)
    return q.reshape(samples.height, samples.width).astype(np.float32)


def tile_depth_from_distance(distance_of, tiles: list[Tile]) -> np.ndarray:
    """Exact planar depth of each tile from a function that gives radial distance.

    Parameters
    ----------
    distance_of : callable
        ``(..., 3) unit directions -> (...) metres`` (e.g.
        :meth:`scene.testing.analytic.AnalyticScene.distance_of`).
    tiles : list of Tile

    Returns
    -------
    (N, size, size) float64 ndarray
        ``z = r * cos`` along each tile's axis (what a perspective depth camera measures).
    """
    out = []
    for tile in tiles:
        d = tile.directions()
        out.append(np.asarray(distance_of(d)) * (d @ tile.basis()[2]))
    return np.stack(out)


def floor_scale(distance: np.ndarray, camera_height: float,
                min_depression_deg: float = 50.0) -> tuple[float, int]:
    """The factor that puts the floor ``camera_height`` metres below the camera.

    The floor is taken to be what the panorama shows more than ``min_depression_deg`` below
    the horizon (a 360 photo taken on a tripod or held up looks down at the ground there).

    Parameters
    ----------
    distance : (H, W) float ndarray
        Relative radial distance (any scale), NaN = unknown.
    camera_height : float
        Metres above the floor.
    min_depression_deg : float

    Returns
    -------
    scale : float
        Multiply ``distance`` by it to get metres.
    pixels : int
        How many floor pixels the median used.

    Raises
    ------
    InputError
        No usable pixel below the horizon (e.g. a cropped panorama without its bottom).
    """
    if not (np.isfinite(camera_height) and camera_height > 0):
        raise InputError(f"camera height must be a positive number of metres, got {camera_height}",
                         hint="for example --camera-height 1.6")
    h, w = distance.shape
    lat = np.pi / 2 - np.pi * (np.arange(h) + 0.5) / h
    rows = lat < -math.radians(min_depression_deg)
    below = -distance[rows] * np.sin(lat[rows])[:, None]
    below = below[np.isfinite(below) & (below > 0)]
    if below.size == 0:
        raise InputError("cannot find the floor: the panorama has no depth more than "
                         f"{min_depression_deg:g}° below the horizon",
                         hint="give a point with a known distance instead "
                         "(--known-point LON LAT METRES)")
    return float(camera_height / np.median(below)), int(below.size)


def point_scale(distance: np.ndarray, lon_deg: float, lat_deg: float, metres: float) -> float:
    """The factor that puts the point at (``lon_deg``, ``lat_deg``) at ``metres``.

    Parameters
    ----------
    distance : (H, W) float ndarray
        Relative radial distance.
    lon_deg, lat_deg : float
        The point's direction (Panoforge's equirect convention); the distance there is
        interpolated bilinearly (wrapping across the seam).
    metres : float
        Its known distance.

    Returns
    -------
    float
    """
    if not (np.isfinite(metres) and metres > 0):
        raise InputError(f"the known distance must be a positive number of metres, got {metres}",
                         hint="for example --known-point 0 -10 2.5")
    if not (np.isfinite(lon_deg) and np.isfinite(lat_deg) and -90.0 <= lat_deg <= 90.0):
        raise InputError(f"the known point's direction must be a longitude and a latitude "
                         f"from -90 to 90 degrees, got {lon_deg:g} {lat_deg:g}",
                         hint="for example --known-point 0 -10 2.5 (0 0 is the image centre)")
    h, w = distance.shape
    px, py = lonlat_to_pixel(math.radians(lon_deg), math.radians(lat_deg), w, h)
    py = float(np.clip(py, 0.0, h - 1.0))
    x0, y0 = int(np.floor(px)), min(int(np.floor(py)), max(h - 2, 0))
    fx, fy = float(px) - x0, py - y0
    y1 = min(y0 + 1, h - 1)
    xs = (x0 % w, (x0 + 1) % w)
    value = float((distance[y0, xs[0]] * (1 - fx) + distance[y0, xs[1]] * fx) * (1 - fy)
                  + (distance[y1, xs[0]] * (1 - fx) + distance[y1, xs[1]] * fx) * fy)
    if not (np.isfinite(value) and value > 0):
        raise InputError(f"there is no depth at longitude {lon_deg:g}°, latitude {lat_deg:g}°",
                         hint="pick a point on a surface of the picture")
    return float(metres / value)
