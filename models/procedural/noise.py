"""Seeded, vectorised value noise for the procedural generator.

Value noise on a 256 x 256 lattice of random values (drawn from a seeded
:class:`numpy.random.Generator`), blended with the quintic fade ``6u^5 - 15u^4 + 10u^3`` so the
field is C2 and its gradient is exact and cheap. Fractal sums (:meth:`ValueNoise.fbm`) rotate
and shift every octave so the lattice period never shows. Everything works on arrays of any
shape; there is no Python loop over points, only over octaves.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ValueNoise"]

_SIZE = 256
_MASK = _SIZE - 1


def _fade(u: np.ndarray) -> np.ndarray:
    return u * u * u * (u * (u * 6.0 - 15.0) + 10.0)


def _dfade(u: np.ndarray) -> np.ndarray:
    return 30.0 * u * u * (u * (u - 2.0) + 1.0)


class ValueNoise:
    """2-D value noise and fractal Brownian motion with analytic gradients.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the lattice values and the per-octave rotations (the only randomness).
    octaves_max : int
        How many octave transforms to draw.

    Notes
    -----
    ``sample`` returns values in [0, 1]; ``fbm`` returns values centred on 0 in about
    [-0.5, 0.5] (the sum of centred octaves normalised by the total amplitude).
    """

    def __init__(self, rng: np.random.Generator, octaves_max: int = 8) -> None:
        self._table = rng.random(_SIZE * _SIZE)
        self._table32 = self._table.astype(np.float32)
        angles = rng.uniform(0.0, 2.0 * np.pi, octaves_max)
        self._rot = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        self._shift = rng.uniform(0.0, _SIZE, (octaves_max, 2))

    def sample(self, x: np.ndarray, z: np.ndarray, grad: bool = False):
        """Noise at points ``(x, z)``.

        Parameters
        ----------
        x, z : (...) float ndarray
            Lattice coordinates (one unit = one lattice cell). float32 input is computed in
            float32 (about three times faster: textures); anything else in float64
            (geometry).
        grad : bool
            Also return the partial derivatives.

        Returns
        -------
        value : (...) ndarray in [0, 1], float32 or float64 like the input
        dx, dz : (...) ndarray
            Only when ``grad``: d value / dx and d value / dz.
        """
        fx0 = np.floor(x)
        fz0 = np.floor(z)
        fx = x - fx0
        fz = z - fz0
        ix = fx0.astype(np.int32) & _MASK
        iz = fz0.astype(np.int32) & _MASK
        ix1 = (ix + 1) & _MASK
        r0 = iz << 8
        r1 = ((iz + 1) & _MASK) << 8
        t = self._table32 if fx.dtype == np.float32 else self._table
        a = t[r0 + ix]
        b = t[r0 + ix1]
        c = t[r1 + ix]
        d = t[r1 + ix1]
        ux = _fade(fx)
        uz = _fade(fz)
        ab = a + (b - a) * ux
        cd = c + (d - c) * ux
        value = ab + (cd - ab) * uz
        if not grad:
            return value
        k = a - b - c + d
        dvx = _dfade(fx) * ((b - a) + k * uz)
        dvz = _dfade(fz) * ((c - a) + k * ux)
        return value, dvx, dvz

    def fbm(self, x: np.ndarray, z: np.ndarray, octaves: int = 4, lacunarity: float = 2.03,
            gain: float = 0.5, grad: bool = False):
        """Fractal sum of ``octaves`` rotated, shifted copies of :meth:`sample`.

        Parameters
        ----------
        x, z : (...) float ndarray
            Coordinates of the first (coarsest) octave, in lattice units.
        octaves : int
            Number of octaves (at most ``octaves_max``).
        lacunarity, gain : float
            Frequency and amplitude ratio between octaves.
        grad : bool
            Also return the gradient with respect to ``x`` and ``z``.

        Returns
        -------
        value : (...) ndarray, centred on 0, within [-0.5, 0.5]; float32 when both inputs
            are float32 (textures), else float64 (geometry)
        dx, dz : (...) ndarray
            Only when ``grad``.
        """
        x = np.asarray(x)
        z = np.asarray(z)
        dt = np.float32 if (x.dtype == np.float32 and z.dtype == np.float32) else np.float64
        x = x.astype(dt, copy=False)
        z = z.astype(dt, copy=False)
        total = np.zeros(np.broadcast(x, z).shape, dtype=dt)
        gx = np.zeros_like(total) if grad else None
        gz = np.zeros_like(total) if grad else None
        amp, freq, norm = 1.0, 1.0, 0.0
        for o in range(octaves):
            c, s = (dt(v) for v in self._rot[o])
            sx, sz = (dt(v) for v in self._shift[o])
            fq = dt(freq)
            u = fq * (c * x - s * z) + sx
            v = fq * (s * x + c * z) + sz
            a = dt(amp)
            if grad:
                n, du, dv = self.sample(u, v, grad=True)
                # d/dx = du * c*freq + dv * s*freq ; d/dz = -du * s*freq + dv * c*freq
                gx += (a * fq) * (du * c + dv * s)
                gz += (a * fq) * (dv * c - du * s)
            else:
                n = self.sample(u, v)
            total += a * (n - dt(0.5))
            norm += amp
            amp *= gain
            freq *= lacunarity
        total /= dt(norm)
        if not grad:
            return total
        return total, gx / dt(norm), gz / dt(norm)

    def gradient_bound(self, octaves: int = 4, lacunarity: float = 2.03, gain: float = 0.5) -> float:
        """An upper bound on ``|grad fbm|`` (per lattice unit), for safe ray-march steps."""
        # |d fade| <= 15/8 and lattice values differ by at most 1 -> |d sample/dx| <= 15/8
        # per axis; both axes together at most 15/8 * sqrt(2).
        per = 15.0 / 8.0 * np.sqrt(2.0)
        amp, freq, num, norm = 1.0, 1.0, 0.0, 0.0
        for _ in range(octaves):
            num += amp * freq * per
            norm += amp
            amp *= gain
            freq *= lacunarity
        return num / norm
