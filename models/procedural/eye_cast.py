"""Exact first hits of the procedural scenes from an eye away from the origin.

:func:`~.raycast.render` casts from the origin with closed forms written for it (the hall's
planes, the cave's star-shaped wall, the terrain's column profiles). A moved eye (the walk
zone's ground truth, a fly-through) needs the same hits from elsewhere:

* props: their closed-form ``intersect(o, d)`` takes any origin; each prop only tests the
  pixels inside its bounding sphere's window seen from the eye;
* the room or cave shell is star-shaped around the origin (``interior(u)`` gives the exact
  distance ``R(u)`` of the shell in every direction ``u``), and the eye is inside it, so the
  hit solves ``|e + t d| = R((e + t d) / |e + t d|)``: a few Newton steps from ``R(d)``
  converge to rounding (checked, and flat-wall hits are exact on the first step);
* the terrain: the ray height minus the height field, sampled at the generator's own profile
  distances, bracketed at the first sign change and refined by bisection to :data:`TOL_M`
  (a ray stops marching once it is above every hill: :func:`_height_bound`).
"""

from __future__ import annotations

import numpy as np

from .geometry import angular_window
from .raycast import SceneSpec, merge_props
from .terrain import profile_radii

__all__ = ["cast_from_eye", "TOL_M"]

#: Convergence of the shell and terrain hits, metres.
TOL_M = 1e-6
_SHELL_STEPS = 40
_BISECT_STEPS = 48
_BLOCK = 24


def _shell(spec: SceneSpec, eye: np.ndarray, d: np.ndarray):
    t = spec.interior(d)[0].astype(np.float64)
    ok = np.isfinite(t)
    t = np.where(ok, t, 1.0)
    for _ in range(_SHELL_STEPS):
        p = eye + d * t[:, None]
        r = np.linalg.norm(p, axis=1)
        u = p / r[:, None]
        big_r = spec.interior(u)[0]
        err = big_r - r
        fin = np.isfinite(big_r)
        ok &= fin
        step = np.where(fin, err / np.maximum(np.einsum("ij,ij->i", d, u), 0.2), 0.0)
        t = np.maximum(t + step, 1e-6)
        if np.all(np.abs(np.where(fin, err, 0.0)) < TOL_M):
            break
    p = eye + d * t[:, None]
    u = p / np.linalg.norm(p, axis=1, keepdims=True)
    _, n, m = spec.interior(u)
    return np.where(ok, t, np.inf), n.astype(np.float64), m


def _height_bound(spec: SceneSpec) -> float:
    """A height no terrain point exceeds (metres): a coarse polar sample plus a margin."""
    r = np.geomspace(0.5, spec.r_max, 96)
    a = np.linspace(-np.pi, np.pi, 193)
    x = r[:, None] * np.sin(a)[None, :]
    z = -r[:, None] * np.cos(a)[None, :]
    return float(np.max(spec.terrain.height(x, z))) + 10.0


def _terrain(spec: SceneSpec, eye: np.ndarray, d: np.ndarray, t_limit: np.ndarray):
    """Terrain hits from ``eye``; rays leave the march once they are above every hill or
    beyond ``t_limit`` (something nearer is already known)."""
    terrain = spec.terrain
    samples = profile_radii(spec.r_max)[1:]
    n = d.shape[0]
    horiz = np.maximum(np.hypot(d[:, 0], d[:, 2]), 1e-9)
    top = _height_bound(spec)
    with np.errstate(divide="ignore"):
        t_exit = np.where(d[:, 1] > 0, (top - eye[1]) / d[:, 1], np.inf)
    t_stop = np.minimum(np.minimum(t_exit, t_limit), 2.0 * spec.r_max)
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    active = np.nonzero(t_stop > 0)[0]
    for b0 in range(0, samples.size, _BLOCK):
        if active.size == 0:
            break
        ts = samples[None, b0:b0 + _BLOCK] / horiz[active, None]
        da = d[active]
        g = (eye[1] + ts * da[:, 1:2]
             - terrain.height(eye[0] + ts * da[:, 0:1], eye[2] + ts * da[:, 2:3]))
        below = g <= 0
        found = below.any(axis=1)
        k = np.argmax(below, axis=1)
        rows = np.nonzero(found)[0]
        hi[active[rows]] = ts[rows, k[rows]]
        prev = np.where(k[rows] > 0, ts[rows, np.maximum(k[rows] - 1, 0)], lo[active[rows]])
        lo[active[rows]] = prev
        last = ts[:, -1]
        lo[active[~found]] = last[~found]
        active = active[~found & (last < t_stop[active])]
    rows = np.nonzero(np.isfinite(hi))[0]
    lo_r, hi_r, dr = lo[rows], hi[rows], d[rows]
    for _ in range(_BISECT_STEPS):
        mid = 0.5 * (lo_r + hi_r)
        gm = eye[1] + mid * dr[:, 1] - terrain.height(eye[0] + mid * dr[:, 0],
                                                     eye[2] + mid * dr[:, 2])
        lo_r = np.where(gm > 0, mid, lo_r)
        hi_r = np.where(gm > 0, hi_r, mid)
        if np.all(hi_r - lo_r < TOL_M):
            break
    _, gx, gz = terrain.height(eye[0] + hi_r * dr[:, 0], eye[2] + hi_r * dr[:, 2], grad=True)
    nrm = np.stack([-gx, np.ones_like(gx), -gz], axis=1)
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    t_out = np.full(n, np.inf)
    n_out = np.zeros((n, 3))
    t_out[rows] = hi_r
    n_out[rows] = nrm
    closer = t_out < t_limit
    return np.where(closer, t_out, np.inf), n_out


def cast_from_eye(spec: SceneSpec, eye: np.ndarray, d: np.ndarray, width: int, height: int,
                  index: dict):
    """First hits along the panorama's directions from ``eye``.

    Parameters
    ----------
    spec : SceneSpec
    eye : (3,) float64
        Metres.
    d : (N, 3) float64
        Unit directions of the ``width x height`` equirect grid (row-major).
    width, height : int
    index : dict of str -> int
        Material name -> index (as :func:`~.raycast.render` numbers them).

    Returns
    -------
    t : (N,) float64
        Metres from the eye; inf = sky.
    normal : (N, 3) float64
    mat : (N,) int16
        Material index, -1 = sky.
    obj : (N,) int64
        Prop index, -1 = none.
    """
    npx = d.shape[0]
    t = np.full(npx, np.inf)
    normal = np.zeros((npx, 3))
    mat = np.full(npx, -1, dtype=np.int16)
    obj = np.full(npx, -1, dtype=np.int64)
    if spec.interior is not None:
        ti, ni, mi = _shell(spec, eye, d)
        lut = np.array([index[m] for m in spec.interior_materials], dtype=np.int16)
        t = ti
        normal = ni
        mat = np.where(np.isfinite(t), lut[mi], -1).astype(np.int16)
    if spec.terrain is not None:
        tt, nt = _terrain(spec, eye, d, t)
        closer = np.isfinite(tt)
        t = np.where(closer, tt, t)
        normal[closer] = nt[closer]
        mat[closer] = index[spec.terrain_material]
    windows = [angular_window(np.asarray(p.centre, np.float64) - eye, p.radius, width, height)
               for p in spec.props]
    merge_props(spec.props, windows, eye, d, index, (t, normal, mat, obj))
    return t, normal, mat, obj
