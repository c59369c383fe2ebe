"""The tile grid of a tiled 360° run: wrap-around along the width, clamped along the height.

Along the width the tiles form a *periodic* grid: ``n`` tiles start every ``s = size / n``
columns (``n`` the smallest count with enough overlap that divides the size), and the last
tiles run across the right edge and continue at column 0. Every tile has the same blending
weight, so rolling the input by ``s`` columns moves every tile onto its neighbour's place and
the blended output rolls with it exactly: the seam is computed like any other column, and the
roll-equivariance of the untiled model survives the tiling.

When one tile spans the whole width, there is a single full-width column of tiles and the
convolutions wrap around instead (:mod:`models.ldm3d.seamless`).

Along the height the tiles are clamped inside the image (the poles do not wrap).

Weights are separable ramps over the overlap (``min(1, (i + 0.5) / overlap, ...)``); the
blended value at a pixel is the weighted mean over the tiles covering it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Axis", "TileGrid", "wrap_axis", "clamp_axis", "make_grid"]


@dataclass(frozen=True)
class Axis:
    """Tiles along one axis.

    Parameters
    ----------
    size : int
        Length of the axis.
    tile : int
        Length of every tile (``<= size``).
    starts : tuple of int
        First index of each tile (indices wrap modulo ``size`` when ``wrap``).
    wrap : bool
    overlap : int
    """

    size: int
    tile: int
    starts: tuple[int, ...]
    wrap: bool
    overlap: int

    @property
    def whole(self) -> bool:
        """One tile covers the axis."""
        return len(self.starts) == 1 and self.tile == self.size

    def indices(self, k: int) -> np.ndarray:
        """(tile,) int64 indices of tile ``k``."""
        idx = self.starts[k] + np.arange(self.tile)
        return idx % self.size if self.wrap else idx

    def weights(self) -> np.ndarray:
        """(tile,) float32 blending ramp (all ones for a whole-axis tile)."""
        if self.whole or self.overlap <= 0:
            return np.ones(self.tile, dtype=np.float32)
        i = np.arange(self.tile, dtype=np.float64) + 0.5
        ramp = np.minimum(1.0, np.minimum(i, self.tile - i) / self.overlap)
        return ramp.astype(np.float32)

    def scaled(self, f: int) -> Axis:
        """The same grid in units ``f`` times smaller (latent -> pixels)."""
        return Axis(self.size * f, self.tile * f, tuple(s * f for s in self.starts), self.wrap,
                    self.overlap * f)


def wrap_axis(size: int, tile: int, overlap: int) -> Axis:
    """A periodic grid of tiles around a circular axis of ``size`` (see the module docstring)."""
    if tile >= size:
        return Axis(size, size, (0,), True, 0)
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap {overlap} must be smaller than the tile {tile}")
    n = math.ceil(size / (tile - overlap))
    while size % n:
        n += 1
    step = size // n
    return Axis(size, tile, tuple(k * step for k in range(n)), True, tile - step)


def clamp_axis(size: int, tile: int, overlap: int) -> Axis:
    """Tiles inside ``[0, size)``, evenly spaced, the first at 0 and the last at the end."""
    if tile >= size:
        return Axis(size, size, (0,), False, 0)
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap {overlap} must be smaller than the tile {tile}")
    n = max(2, math.ceil((size - overlap) / (tile - overlap)))
    starts = np.rint(np.linspace(0, size - tile, n)).astype(int)
    real_overlap = tile - int(np.max(np.diff(starts)))
    return Axis(size, tile, tuple(int(s) for s in starts), False, max(1, real_overlap))


@dataclass(frozen=True)
class TileGrid:
    """A 2-D grid: rows (clamped) x columns (wrapping).

    Parameters
    ----------
    rows, cols : Axis
    """

    rows: Axis
    cols: Axis

    def __len__(self) -> int:
        return len(self.rows.starts) * len(self.cols.starts)

    def tiles(self):
        """Yield ``(row_indices, col_indices)`` for every tile, row by row."""
        for i in range(len(self.rows.starts)):
            for j in range(len(self.cols.starts)):
                yield self.rows.indices(i), self.cols.indices(j)

    def weights(self) -> np.ndarray:
        """(tile_h, tile_w) float32 blending weight of one tile (the same for all)."""
        return np.outer(self.rows.weights(), self.cols.weights()).astype(np.float32)

    def scaled(self, f: int) -> TileGrid:
        return TileGrid(self.rows.scaled(f), self.cols.scaled(f))


def make_grid(height: int, width: int, tile: int, overlap: int, wrap: bool = True) -> TileGrid:
    """The grid for a ``height x width`` array (latent pixels) with square ``tile`` tiles.

    ``wrap=False`` clamps the columns too (a comparison that breaks the seam).
    """
    cols = wrap_axis(width, tile, overlap) if wrap else clamp_axis(width, tile, overlap)
    return TileGrid(clamp_axis(height, tile, overlap), cols)
