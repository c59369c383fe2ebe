"""Signed distance functions of simple solids, vectorised over points (numpy only).

Every function takes ``p``, an ``(N, 3)`` float array of points (metres, +Y up), and returns an
``(N,)`` float64 array: negative inside, zero on the surface, positive outside, and equal to the
Euclidean distance to the surface (``exact``) for the primitives. Unions (:func:`union`) and
intersections (:func:`intersect`) keep the surface exact and the value a lower bound of the
distance (1-Lipschitz), which is all marching cubes needs.

Written here rather than taken from a library: the maintained SDF packages (``sdf``,
``pysdf``) either mesh on their own or compute distances to meshes, and the formulas are a few
lines each (the capped cone follows Inigo Quilez's published derivation).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sphere", "box", "cylinder_y", "cone_y", "half_space", "union", "intersect"]


def _p(p) -> np.ndarray:
    return np.asarray(p, np.float64).reshape(-1, 3)


def sphere(p, centre, radius: float) -> np.ndarray:
    """Exact: ``|p - centre| - radius``."""
    return np.linalg.norm(_p(p) - np.asarray(centre, np.float64), axis=1) - float(radius)


def box(p, centre, half) -> np.ndarray:
    """Exact distance to an axis-aligned box of half-extents ``half`` (3,)."""
    q = np.abs(_p(p) - np.asarray(centre, np.float64)) - np.asarray(half, np.float64)
    outside = np.linalg.norm(np.maximum(q, 0.0), axis=1)
    inside = np.minimum(q.max(axis=1), 0.0)
    return outside + inside


def cylinder_y(p, cx: float, cz: float, radius: float, y0: float, y1: float) -> np.ndarray:
    """Exact distance to an upright capped cylinder (axis x = cx, z = cz; from y0 to y1)."""
    p = _p(p)
    r = np.hypot(p[:, 0] - cx, p[:, 2] - cz)
    dx = r - radius
    dy = np.abs(p[:, 1] - (y0 + y1) / 2) - (y1 - y0) / 2
    outside = np.hypot(np.maximum(dx, 0.0), np.maximum(dy, 0.0))
    return outside + np.minimum(np.maximum(dx, dy), 0.0)


def cone_y(p, cx: float, cz: float, y0: float, r0: float, y1: float, r1: float) -> np.ndarray:
    """Exact distance to an upright capped cone: radius ``r0`` at ``y0``, ``r1`` at ``y1`` (> y0).

    In the (radial, height) half-plane the solid is a trapezoid; the distance is the smaller
    of the distance to its caps and to its slanted side, negative when inside both.
    """
    p = _p(p)
    h = (y1 - y0) / 2.0
    qx = np.hypot(p[:, 0] - cx, p[:, 2] - cz)
    qy = p[:, 1] - (y0 + y1) / 2.0
    # caps: horizontal distance beyond the cap's radius, vertical beyond the half height
    cap_r = np.where(qy < 0.0, r0, r1)
    ca_x = qx - np.minimum(qx, cap_r)
    ca_y = np.abs(qy) - h
    # slanted side from (r1, h) to (r0, -h)
    k2x, k2y = r1 - r0, 2.0 * h
    t = np.clip(((r1 - qx) * k2x + (h - qy) * k2y) / (k2x * k2x + k2y * k2y), 0.0, 1.0)
    cb_x = qx - r1 + k2x * t
    cb_y = qy - h + k2y * t
    inside = (cb_x < 0.0) & (ca_y < 0.0)
    d = np.sqrt(np.minimum(ca_x * ca_x + ca_y * ca_y, cb_x * cb_x + cb_y * cb_y))
    return np.where(inside, -d, d)


def half_space(p, point, normal) -> np.ndarray:
    """Exact distance to the plane through ``point`` with outward unit ``normal`` (solid behind)."""
    n = np.asarray(normal, np.float64)
    n = n / np.linalg.norm(n)
    return (_p(p) - np.asarray(point, np.float64)) @ n


def union(*ds: np.ndarray) -> np.ndarray:
    """Union of solids: the smallest distance."""
    return np.minimum.reduce(ds)


def intersect(*ds: np.ndarray) -> np.ndarray:
    """Intersection of solids: the largest distance."""
    return np.maximum.reduce(ds)

