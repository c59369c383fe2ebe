"""Material helpers and the materials shared by several procedural scenes.

A material is a function ``ShadeInput -> Surface`` (see :mod:`.raycast`). The
helpers here build textures from value noise evaluated at the world position of each hit,
so a texture is fixed to the surface (it does not swim with the view) and changes with the
seed. Colours are given in sRGB for readability and converted to linear once.
"""

from __future__ import annotations

import numpy as np

from .raycast import ShadeInput, Surface
from .sky import srgb_to_linear

__all__ = ["lin", "mix", "smooth", "fbm_xz", "fbm_3d", "bump", "rock", "bark", "pine_needles",
           "snow_cover", "tinted", "CoverMap"]


def _f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def lin(*rgb: float) -> np.ndarray:
    """(3,) linear RGB from sRGB components in [0, 1]."""
    return srgb_to_linear(np.array(rgb, dtype=np.float64))


def tinted(colour: np.ndarray, tint) -> np.ndarray:
    """Colour multiplied by the prompt's tint (clipped to a sane albedo)."""
    return np.clip(np.asarray(colour) * np.asarray(tint), 0.0, 0.95)


def mix(a, b, w) -> np.ndarray:
    """Blend colours ``a`` and ``b`` ((3,) or (N, 3)) by weights ``w`` ((N,) in [0, 1])."""
    w = np.asarray(w)[..., None]
    return np.asarray(a) * (1.0 - w) + np.asarray(b) * w


def smooth(x, lo: float, hi: float) -> np.ndarray:
    """Smoothstep of ``x`` from ``lo`` to ``hi``."""
    u = np.clip((np.asarray(x) - lo) / (hi - lo), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def fbm_xz(inp: ShadeInput, scale: float, octaves: int = 3, offset: float = 0.0) -> np.ndarray:
    """Noise over the ground plane at the hits, in [-0.5, 0.5]; ``scale`` metres per cell.

    Computed in float32 (texture precision, three times faster than float64)."""
    return inp.noise.fbm(_f32(inp.p[:, 0] / scale + offset), _f32(inp.p[:, 2] / scale - offset),
                         octaves)


def fbm_3d(inp: ShadeInput, scale: float, octaves: int = 3, offset: float = 0.0) -> np.ndarray:
    """Cheap solid-looking noise: value noise of two skewed projections of the position."""
    p = inp.p / scale
    a = inp.noise.fbm(_f32(p[:, 0] + 0.6 * p[:, 1] + offset), _f32(p[:, 2] - 0.4 * p[:, 1]),
                      octaves)
    b = inp.noise.fbm(_f32(p[:, 2] + 0.5 * p[:, 1] + 31.0),
                      _f32(p[:, 0] + 0.7 * p[:, 1] + offset), octaves)
    return 0.5 * (a + b)


def bump(inp: ShadeInput, scale: float, strength: float, octaves: int = 3) -> np.ndarray:
    """Shading normals tilted by the gradient of ground-plane noise (geometry unchanged).

    Returns
    -------
    (N, 3) float64 unit normals
    """
    _, gx, gz = inp.noise.fbm(_f32(inp.p[:, 0] / scale + 17.0), _f32(inp.p[:, 2] / scale + 3.0),
                              octaves, grad=True)
    n = inp.n.copy()
    n[:, 0] -= strength * gx
    n[:, 2] -= strength * gz
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def rock(base=(0.42, 0.40, 0.38), moss=None, scale: float = 1.2):
    """Stone: mottled ``base`` colour, optionally with moss on the upward faces."""
    base_l = lin(*base)
    moss_l = None if moss is None else lin(*moss)

    def material(inp: ShadeInput) -> Surface:
        n1 = fbm_3d(inp, scale, 4)
        n2 = fbm_3d(inp, scale * 0.15, 2, 7.0)
        albedo = base_l * (0.8 + 0.9 * n1 + 0.35 * n2)[:, None] * (1.0 + 0.12 * inp.tint)[:, None]
        if moss_l is not None:
            w = smooth(inp.n[:, 1] + 0.8 * n1, 0.35, 0.8)
            albedo = mix(albedo, moss_l * (0.8 + 0.8 * n2)[:, None], w)
        return Surface(np.clip(albedo, 0.0, 0.95))

    return material


def bark(base=(0.30, 0.21, 0.15)):
    """Tree bark: vertical streaks."""
    base_l = lin(*base)

    def material(inp: ShadeInput) -> Surface:
        ang = np.arctan2(inp.n[:, 0], inp.n[:, 2])
        streak = inp.noise.fbm(_f32(ang * 6.0 + inp.obj * 13.0), _f32(inp.p[:, 1] * 0.4), 3)
        albedo = base_l * (0.75 + 1.2 * streak + 0.15 * inp.tint)[:, None]
        return Surface(np.clip(albedo, 0.0, 0.95))

    return material


def pine_needles(base=(0.14, 0.24, 0.13), snow: bool = False, autumn: bool = False,
                 tint=(1.0, 1.0, 1.0)):
    """Conifer foliage: clumpy dark green, darker underneath, optional snow on top."""
    base_l = tinted(lin(*base), tint)
    if autumn:
        base_l = lin(0.45, 0.25, 0.08)
    alt_l = base_l * np.array([0.75, 1.15, 0.9])
    white = lin(0.9, 0.92, 0.95)

    def material(inp: ShadeInput) -> Surface:
        clump = fbm_3d(inp, 0.9, 3, inp.obj[0] * 0.0)
        fine = fbm_3d(inp, 0.22, 2, 5.0)
        albedo = mix(base_l, alt_l, 0.5 + 0.5 * inp.tint) * (0.75 + 1.1 * clump + 0.5 * fine)[:, None]
        ao = 0.55 + 0.45 * smooth(inp.n[:, 1], -0.2, 0.6)
        if snow:
            w = smooth(inp.n[:, 1] + 0.9 * clump + 0.4 * fine, 0.45, 0.7)
            albedo = mix(albedo, white, w)
        return Surface(np.clip(albedo, 0.0, 0.95), ao=ao)

    return material


def snow_cover(albedo: np.ndarray, inp: ShadeInput, amount: np.ndarray) -> np.ndarray:
    """Blend snow (slightly blue in its hollows) over ``albedo`` by ``amount`` (N,)."""
    fine = fbm_xz(inp, 0.7, 2, 3.0)
    snow = lin(0.86, 0.89, 0.95) * (0.9 + 0.25 * fine)[:, None]
    return mix(albedo, snow, np.clip(amount, 0.0, 1.0))


class CoverMap:
    """How much canopy covers each spot of the ground: a blurred map of prop positions.

    The ground under and between trees gets less sky light (an ambient-occlusion term) and
    collects needles. Built by splatting positions on a grid and box-blurring it twice
    (separable, with cumulative sums), then looked up per pixel.

    Parameters
    ----------
    xz : (K, 2) float ndarray
        Positions, metres.
    extent : float
        The map covers ``[-extent, extent]`` in x and z, metres.
    cell : float
        Grid cell size, metres.
    blur : float
        Box-blur radius, metres (applied twice: a soft tent of about twice this).
    """

    def __init__(self, xz: np.ndarray, extent: float = 130.0, cell: float = 0.5,
                 blur: float = 2.5) -> None:
        n = int(np.ceil(2 * extent / cell))
        grid = np.zeros((n, n))
        if len(xz):
            ij = np.floor((np.asarray(xz) + extent) / cell).astype(np.int64)
            ok = np.all((ij >= 0) & (ij < n), axis=1)
            np.add.at(grid, (ij[ok, 1], ij[ok, 0]), 1.0)
        k = max(1, int(round(blur / cell)))
        for _ in range(2):
            for axis in (0, 1):
                grid = _box(grid, k, axis)
        peak = grid.max()
        self.grid = grid / peak if peak > 0 else grid
        self.extent = extent
        self.cell = cell

    def __call__(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Cover in [0, 1] at ground points (0 outside the map)."""
        n = self.grid.shape[0]
        i = np.floor((np.asarray(z) + self.extent) / self.cell).astype(np.int64)
        j = np.floor((np.asarray(x) + self.extent) / self.cell).astype(np.int64)
        ok = (i >= 0) & (i < n) & (j >= 0) & (j < n)
        out = np.zeros(np.shape(x))
        out[ok] = self.grid[i[ok], j[ok]]
        return out


def _box(a: np.ndarray, k: int, axis: int) -> np.ndarray:
    """Moving average of width ``2k + 1`` along ``axis`` (edges padded with zeros)."""
    pad = [(0, 0), (0, 0)]
    pad[axis] = (k + 1, k)
    c = np.cumsum(np.pad(a, pad), axis=axis)
    hi = np.take(c, np.arange(2 * k + 1, c.shape[axis]), axis=axis)
    lo = np.take(c, np.arange(0, c.shape[axis] - 2 * k - 1), axis=axis)
    return (hi - lo) / (2 * k + 1)
