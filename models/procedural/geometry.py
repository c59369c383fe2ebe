"""Closed-form ray intersections for the procedural generator's props and rooms.

Every function takes ray origins ``o`` and unit directions ``d`` as ``(N, 3)`` float64 arrays
(``o`` may also be a single ``(3,)`` point, e.g. the viewer at the origin) and returns the
distance ``t`` along each ray to the nearest hit in front of the origin (``inf`` where it
misses) and the unit outward normal there, ``(N, 3)`` (undefined where it misses). The
distances are exact solutions of the quadratic or linear equations of the surfaces, not
marched approximations.

:class:`Prop` wraps one shape with its material so a scene can keep a list of them, and
:func:`angular_window` picks the pixels of an equirect panorama that can see a bounding
sphere, so a prop is only intersected against the rays that might hit it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ray_ellipsoid", "ray_vcylinder", "ray_vcone", "ray_box", "ray_planes_inside",
    "Prop", "Ellipsoid", "VCylinder", "VCone", "Box", "angular_window", "vertical_window",
]

_EPS = 1e-9


def _roots(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real roots ``t0 <= t1`` of ``a t^2 + b t + c = 0`` (NaN where there are none).

    Uses the cancellation-free form ``q = -(b + sign(b) sqrt(disc)) / 2``; where ``a`` is ~0
    the equation is linear and both roots are ``-c / b``.
    """
    disc = b * b - 4.0 * a * c
    ok = disc >= 0.0
    sq = np.sqrt(np.where(ok, disc, 0.0))
    q = -0.5 * (b + np.copysign(sq, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        r0 = q / a
        r1 = c / q
        lin = np.abs(a) < 1e-12
        r_lin = -c / b
    r0 = np.where(lin, r_lin, r0)
    r1 = np.where(lin, r_lin, r1)
    t0 = np.minimum(r0, r1)
    t1 = np.maximum(r0, r1)
    t0 = np.where(ok, t0, np.nan)
    t1 = np.where(ok, t1, np.nan)
    return t0, t1


def _nearest(*candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest positive finite candidate per ray, and which candidate it was."""
    stack = np.stack(candidates)
    stack = np.where(np.isfinite(stack) & (stack > _EPS), stack, np.inf)
    which = np.argmin(stack, axis=0)
    return np.take_along_axis(stack, which[None], axis=0)[0], which


def _unit(v: np.ndarray) -> np.ndarray:
    """Unit vectors (rows of NaN/inf where a ray missed stay meaningless, without warnings)."""
    with np.errstate(invalid="ignore", over="ignore"):
        n = np.linalg.norm(v, axis=-1, keepdims=True)
        return v / np.maximum(n, 1e-30)


def ray_ellipsoid(o, d, centre, radii, yaw: float = 0.0):
    """Ray vs an ellipsoid with axis radii ``radii`` turned by ``yaw`` about +Y.

    Parameters
    ----------
    o : (3,) or (N, 3) float ndarray
    d : (N, 3) float ndarray
        Unit directions.
    centre : (3,) float
    radii : (3,) float
        Semi-axes along the local x, y, z (metres).
    yaw : float
        Rotation about +Y, radians.

    Returns
    -------
    t : (N,) float64, inf on a miss
    normal : (N, 3) float64, outward unit normals
    """
    cy, sy = np.cos(yaw), np.sin(yaw)
    rot = np.array([[cy, 0.0, -sy], [0.0, 1.0, 0.0], [sy, 0.0, cy]])  # world -> local
    radii = np.asarray(radii, dtype=np.float64)
    q = ((np.asarray(o, dtype=np.float64) - centre) @ rot.T) / radii
    e = (d @ rot.T) / radii
    q = np.broadcast_to(q, e.shape)
    a = np.einsum("ij,ij->i", e, e)
    b = 2.0 * np.einsum("ij,ij->i", q, e)
    c = np.einsum("ij,ij->i", q, q) - 1.0
    t0, t1 = _roots(a, b, c)
    t, _ = _nearest(t0, t1)
    with np.errstate(invalid="ignore"):
        local = (q + np.where(np.isfinite(t), t, 0.0)[:, None] * e) / radii  # gradient of |x/r|^2 / 2 in local frame
    with np.errstate(invalid="ignore"):
        normal = _unit(local @ rot)
    return t, normal


def ray_vcylinder(o, d, cx: float, cz: float, radius: float, y0: float, y1: float,
                  caps: bool = True):
    """Ray vs a vertical capped cylinder (axis along +Y through ``(cx, cz)``, ``y0 <= y <= y1``).

    Returns
    -------
    t : (N,) float64, inf on a miss
    normal : (N, 3) float64
    """
    o = np.broadcast_to(np.asarray(o, dtype=np.float64), d.shape)
    px = o[:, 0] - cx
    pz = o[:, 2] - cz
    dx, dy, dz = d[:, 0], d[:, 1], d[:, 2]
    a = dx * dx + dz * dz
    b = 2.0 * (px * dx + pz * dz)
    c = px * px + pz * pz - radius * radius
    t0, t1 = _roots(a, b, c)
    cands = []
    for tr in (t0, t1):
        y = o[:, 1] + tr * dy
        cands.append(np.where((y >= y0) & (y <= y1), tr, np.nan))
    if caps:
        with np.errstate(divide="ignore", invalid="ignore"):
            for yc in (y0, y1):
                tc = (yc - o[:, 1]) / dy
                qx = px + tc * dx
                qz = pz + tc * dz
                cands.append(np.where(qx * qx + qz * qz <= radius * radius, tc, np.nan))
    t, which = _nearest(*cands)
    with np.errstate(invalid="ignore"):
        p = o + t[:, None] * d
    normal = np.zeros_like(d)
    side = which < 2
    normal[:, 0] = np.where(side, p[:, 0] - cx, 0.0)
    normal[:, 2] = np.where(side, p[:, 2] - cz, 0.0)
    normal[:, 1] = np.where(which == 2, -1.0, np.where(which == 3, 1.0, 0.0))
    return t, _unit(normal)


def ray_vcone(o, d, cx: float, cz: float, y_apex: float, y_base: float, r_base: float,
              cap: bool = True, y_cut: float | None = None):
    """Ray vs a vertical cone with its apex at ``(cx, y_apex, cz)`` and a disc base of radius
    ``r_base`` at height ``y_base`` (above the apex for a hanging stalactite, below it for a
    tree or a stalagmite).

    Parameters
    ----------
    cap : bool
        Close the base with a disc (open: the inside shows from below).
    y_cut : float, optional
        Cut the cone flat at this height between base and apex and close it with a disc
        there (a frustum: a mesa's flat top).

    Returns
    -------
    t : (N,) float64, inf on a miss
    normal : (N, 3) float64, outward
    """
    o = np.broadcast_to(np.asarray(o, dtype=np.float64), d.shape)
    k2 = (r_base / abs(y_base - y_apex)) ** 2
    qx = o[:, 0] - cx
    qy = o[:, 1] - y_apex
    qz = o[:, 2] - cz
    dx, dy, dz = d[:, 0], d[:, 1], d[:, 2]
    a = dx * dx + dz * dz - k2 * dy * dy
    b = 2.0 * (qx * dx + qz * dz - k2 * qy * dy)
    c = qx * qx + qz * qz - k2 * qy * qy
    t0, t1 = _roots(a, b, c)
    lo, hi = min(y_apex, y_base), max(y_apex, y_base)
    if y_cut is not None:
        lo, hi = (min(y_base, y_cut), max(y_base, y_cut))
    cands = []
    for tr in (t0, t1):
        y = o[:, 1] + tr * dy
        cands.append(np.where((y >= lo) & (y <= hi), tr, np.nan))
    discs = []
    if cap:
        discs.append((y_base, r_base, 1.0 if y_base > y_apex else -1.0))
    if y_cut is not None:
        r_cut = r_base * abs(y_apex - y_cut) / abs(y_apex - y_base)
        discs.append((y_cut, r_cut, 1.0 if y_cut > y_base else -1.0))
    for y_disc, r_disc, _ in discs:
        with np.errstate(divide="ignore", invalid="ignore"):
            tc = (y_disc - o[:, 1]) / dy
        ux = qx + tc * dx
        uz = qz + tc * dz
        cands.append(np.where(ux * ux + uz * uz <= r_disc * r_disc, tc, np.nan))
    t, which = _nearest(*cands)
    with np.errstate(invalid="ignore"):
        p = o + t[:, None] * d
    normal = np.empty_like(d)
    normal[:, 0] = p[:, 0] - cx
    normal[:, 2] = p[:, 2] - cz
    normal[:, 1] = -k2 * (p[:, 1] - y_apex)
    for k, (_, _, sign) in enumerate(discs):
        normal[which == 2 + k] = (0.0, sign, 0.0)
    return t, _unit(normal)


def ray_box(o, d, lo, hi, yaw: float = 0.0, centre=(0.0, 0.0, 0.0)):
    """Ray vs a solid box ``lo <= x <= hi`` (local frame), seen from outside (slab method).

    The local frame is the world turned by ``yaw`` about +Y around ``centre``.

    Returns
    -------
    t : (N,) float64, inf on a miss
    normal : (N, 3) float64
    """
    cy, sy = np.cos(yaw), np.sin(yaw)
    rot = np.array([[cy, 0.0, -sy], [0.0, 1.0, 0.0], [sy, 0.0, cy]])
    centre = np.asarray(centre, dtype=np.float64)
    q = np.broadcast_to((np.asarray(o, dtype=np.float64) - centre) @ rot.T, d.shape)
    e = d @ rot.T
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / e
        ta = (np.asarray(lo) - q) * inv
        tb = (np.asarray(hi) - q) * inv
    tmin = np.minimum(ta, tb)
    tmax = np.maximum(ta, tb)
    tmin = np.where(np.isnan(tmin), -np.inf, tmin)
    tmax = np.where(np.isnan(tmax), np.inf, tmax)
    axis = np.argmax(tmin, axis=1)
    t_in = np.max(tmin, axis=1)
    t_out = np.min(tmax, axis=1)
    hit = (t_in <= t_out) & (t_in > _EPS)
    t = np.where(hit, t_in, np.inf)
    local = np.zeros_like(d)
    rows = np.arange(d.shape[0])
    local[rows, axis] = -np.sign(e[rows, axis])
    return t, local @ rot


def ray_planes_inside(d, lo, hi):
    """Rays from the origin inside the box ``lo < 0 < hi``: distance to the wall they leave by.

    Parameters
    ----------
    d : (N, 3) float ndarray
        Unit directions from the origin.
    lo, hi : (3,) float
        Box corners, metres; the origin must be strictly inside.

    Returns
    -------
    t : (N,) float64
        Exact distance to the first wall, floor or ceiling plane.
    axis : (N,) int
        0, 1, 2 for the x, y, z plane that was hit.
    normal : (N, 3) float64
        Inward unit normal (facing the viewer).
    """
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_axes = np.where(d > 0, hi / d, np.where(d < 0, lo / d, np.inf))
    axis = np.argmin(t_axes, axis=1)
    rows = np.arange(d.shape[0])
    t = t_axes[rows, axis]
    normal = np.zeros_like(d)
    normal[rows, axis] = -np.sign(d[rows, axis])
    return t, axis, normal


@dataclass
class Prop:
    """One analytic shape with a material.

    Attributes
    ----------
    material : str
        Key into the scene's material table ("bark", "pine", "rock", ...).
    centre : (3,) float ndarray
        Centre of a bounding sphere, metres.
    radius : float
        Radius of that bounding sphere, metres.
    tint : float
        Per-prop colour variation in [-1, 1].
    """

    material: str
    centre: np.ndarray
    radius: float
    tint: float = 0.0

    def intersect(self, o, d):  # pragma: no cover - abstract
        raise NotImplementedError

    def window(self, width: int, height: int) -> np.ndarray:
        """Flat indices of the panorama pixels whose rays might hit this prop."""
        return angular_window(self.centre, self.radius, width, height)

    def halfwidth(self) -> float:
        """Half the prop's width across any horizontal line of sight, metres (for vertical
        solids of revolution this is their radius, much less than the bounding sphere's)."""
        return self.radius


@dataclass
class Ellipsoid(Prop):
    radii: tuple = (1.0, 1.0, 1.0)
    yaw: float = 0.0

    def intersect(self, o, d):
        return ray_ellipsoid(o, d, self.centre, self.radii, self.yaw)


@dataclass
class VCylinder(Prop):
    cx: float = 0.0
    cz: float = 0.0
    r: float = 1.0
    y0: float = 0.0
    y1: float = 1.0

    def intersect(self, o, d):
        return ray_vcylinder(o, d, self.cx, self.cz, self.r, self.y0, self.y1)

    def window(self, width: int, height: int) -> np.ndarray:
        return vertical_window(self.cx, self.cz, self.r, self.y0, self.y1, width, height)

    def halfwidth(self) -> float:
        return self.r


@dataclass
class VCone(Prop):
    cx: float = 0.0
    cz: float = 0.0
    y_apex: float = 1.0
    y_base: float = 0.0
    r_base: float = 1.0
    cap: bool = True
    y_cut: float | None = None

    def intersect(self, o, d):
        return ray_vcone(o, d, self.cx, self.cz, self.y_apex, self.y_base, self.r_base,
                         self.cap, self.y_cut)

    def window(self, width: int, height: int) -> np.ndarray:
        lo, hi = min(self.y_apex, self.y_base), max(self.y_apex, self.y_base)
        return vertical_window(self.cx, self.cz, self.r_base, lo, hi, width, height)

    def halfwidth(self) -> float:
        return self.r_base


@dataclass
class Box(Prop):
    lo: tuple = (-0.5, -0.5, -0.5)
    hi: tuple = (0.5, 0.5, 0.5)
    yaw: float = 0.0
    origin: tuple = field(default=(0.0, 0.0, 0.0))

    def intersect(self, o, d):
        return ray_box(o, d, self.lo, self.hi, self.yaw, self.origin)


def angular_window(centre: np.ndarray, radius: float, width: int, height: int) -> np.ndarray:
    """Flat pixel indices of an equirect panorama whose rays might hit a sphere.

    Parameters
    ----------
    centre : (3,) float
        Sphere centre, metres, seen from the origin.
    radius : float
        Sphere radius, metres.
    width, height : int
        Panorama size.

    Returns
    -------
    (K,) int64 ndarray
        Row-major indices ``y * width + x`` (every pixel when the origin is inside).
    """
    dist = float(np.linalg.norm(centre))
    if dist <= radius * 1.0001:
        return np.arange(width * height)
    half = np.arcsin(radius / dist) + 1.5 * np.pi / height  # one pixel of slack
    lat_c = np.arcsin(np.clip(centre[1] / dist, -1.0, 1.0))
    lon_c = np.arctan2(centre[0], -centre[2])
    lat_hi = lat_c + half
    lat_lo = lat_c - half
    y0 = max(int(np.floor((np.pi / 2 - lat_hi) * height / np.pi - 0.5)), 0)
    y1 = min(int(np.ceil((np.pi / 2 - lat_lo) * height / np.pi - 0.5)), height - 1)
    rows = np.arange(y0, y1 + 1)
    if lat_hi >= np.pi / 2 or lat_lo <= -np.pi / 2:
        cols = np.arange(width)
    else:
        widest = np.cos(max(abs(lat_hi), abs(lat_lo)))
        s = np.sin(half) / max(widest, 1e-9)
        if s >= 1.0:
            cols = np.arange(width)
        else:
            dlon = np.arcsin(s) + 2.0 * np.pi / width
            x0 = int(np.floor((lon_c - dlon + np.pi) * width / (2 * np.pi) - 0.5))
            x1 = int(np.ceil((lon_c + dlon + np.pi) * width / (2 * np.pi) - 0.5))
            cols = np.arange(x0, x1 + 1) % width
            cols = np.unique(cols)
    return (rows[:, None] * width + cols[None, :]).ravel()


def _pixel_block(lat_lo: float, lat_hi: float, lon_c: float, dlon: float, width: int,
                 height: int) -> np.ndarray:
    """Flat indices of the pixels with latitude in [lat_lo, lat_hi] and longitude within
    ``dlon`` of ``lon_c`` (one pixel of slack on every side; ``dlon >= pi`` = all columns)."""
    y0 = max(int(np.floor((np.pi / 2 - lat_hi) * height / np.pi - 1.5)), 0)
    y1 = min(int(np.ceil((np.pi / 2 - lat_lo) * height / np.pi + 0.5)), height - 1)
    rows = np.arange(y0, y1 + 1)
    if dlon >= np.pi:
        cols = np.arange(width)
    else:
        x0 = int(np.floor((lon_c - dlon + np.pi) * width / (2 * np.pi) - 1.5))
        x1 = int(np.ceil((lon_c + dlon + np.pi) * width / (2 * np.pi) + 0.5))
        cols = np.unique(np.arange(x0, x1 + 1) % width)
    return (rows[:, None] * width + cols[None, :]).ravel()


def vertical_window(cx: float, cz: float, r: float, y0: float, y1: float, width: int,
                    height: int) -> np.ndarray:
    """Pixels that might see a vertical solid of revolution (radius at most ``r`` about the
    axis through ``(cx, cz)``, between heights ``y0`` and ``y1``), viewed from the origin.

    Tighter than a bounding sphere for tall thin things (trunks, pillars).

    Returns
    -------
    (K,) int64 ndarray of flat pixel indices
    """
    dist = float(np.hypot(cx, cz))
    near = dist - r
    if near <= 1e-6:
        return np.arange(width * height)
    lon_c = float(np.arctan2(cx, -cz))
    dlon = float(np.arcsin(min(r / dist, 1.0)))
    far = dist + r
    lats = [np.arctan2(y, s) for y in (y0, y1) for s in (near, far)]
    return _pixel_block(min(lats), max(lats), lon_c, dlon, width, height)
