"""Where a ray from any eye meets the dome's depth surface (what a click in the 3D view hits).

The dome's surface is the radial distance ``r(dir)`` of the panorama in every direction from
the capture point (the origin). A point ``p`` is inside the dome when ``|p| < r(p/|p|)``. A ray
from the eye ``o`` along ``d`` hits the surface the viewer sees where it leaves the dome:
the first ``t > 0`` at which ``f(t) = |o + t d| - r(o + t d)`` turns from negative to positive.
From inside (the inside view, the eye near the capture point) that is the first crossing;
from outside (the dollhouse view, whose near half is culled) the ray enters through the
culled half first and the surface seen is where it leaves again.

The crossing is bracketed by sampling ``t`` on a geometric grid and refined by bisection.
For an eye at the origin the answer is exactly :func:`scene.placement.surface_hit`'s point.
"""

from __future__ import annotations

import numpy as np

from .conventions import direction_to_lonlat, lonlat_to_pixel
from .errors import InputError
from .panorama import RGBDPanorama
from .placement import depth_at, surface_hit

__all__ = ["ray_dome_hit"]

#: Eyes closer than this to the capture point (metres) look straight along the ray.
_AT_ORIGIN_M = 1e-6


def _radius(dist: np.ndarray, p: np.ndarray) -> float:
    h, w = dist.shape
    lon, lat = direction_to_lonlat(p)
    px, py = lonlat_to_pixel(lon, lat, w, h)
    return depth_at(dist, float(px), float(py))


def ray_dome_hit(dome: RGBDPanorama, origin, direction, *, samples: int = 512,
                 iterations: int = 60) -> np.ndarray:
    """The first point where the ray ``origin + t·direction`` (t > 0) leaves the dome.

    Parameters
    ----------
    dome : RGBDPanorama
        With depth.
    origin : (3,) float
        The eye, world metres.
    direction : (3,) float
        Need not be unit length.
    samples, iterations : int
        Bracketing samples along the ray and bisection steps.

    Returns
    -------
    (3,) float64 ndarray
        World metres, on the depth surface.

    Raises
    ------
    InputError
        No depth, or the ray meets no known surface (it points at unknown depth or misses).
    """
    o = np.asarray(origin, np.float64).reshape(3)
    d = np.asarray(direction, np.float64).reshape(3)
    if np.linalg.norm(o) < _AT_ORIGIN_M:
        return surface_hit(dome, d)[0]
    if not dome.has_depth:
        raise InputError("this panorama has no depth, so there is no surface to stand a prop on",
                         hint="estimate its depth first (Estimate depth on its gallery item)")
    d = d / np.linalg.norm(d)
    dist = np.asarray(dome.distance, np.float32)
    finite = dist[np.isfinite(dist)]
    reach = float(finite.max()) if finite.size else 0.0
    t_max = 2.0 * (np.linalg.norm(o) + reach) + 1.0
    ts = np.concatenate([[1e-4], np.geomspace(1e-3, t_max, samples)])

    def f(t: float) -> float:
        p = o + t * d
        n = float(np.linalg.norm(p))
        if n < 1e-9:
            return -1.0
        r = _radius(dist, p)
        return n - r if np.isfinite(r) else np.nan

    prev_t, prev_f = ts[0], f(ts[0])
    for t in ts[1:]:
        ft = f(t)
        if np.isfinite(prev_f) and np.isfinite(ft) and prev_f <= 0.0 < ft:
            lo, hi = prev_t, t
            for _ in range(iterations):
                mid = 0.5 * (lo + hi)
                if f(mid) <= 0.0:
                    lo = mid
                else:
                    hi = mid
            return o + 0.5 * (lo + hi) * d
        prev_t, prev_f = t, ft
    raise InputError("that point of the view shows no surface with known depth",
                     hint="click on the scene itself (the floor or a wall)")
