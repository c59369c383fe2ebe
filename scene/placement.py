"""Standing a prop on the dome: where a direction meets the depth surface, upright, to scale.

The rule (one home for the command line and, later, the viewport's click-to-place):

1. **Where.** The point the user gives (``at``, world metres) names a direction from the
   viewer; the prop stands where that direction meets the dome's depth surface (radial
   distance, bilinear between pixels, the seam wrapped). ``snap=False`` uses ``at`` as it is.
2. **Ground or wall.** The surface normal there is estimated from the neighbouring pixels.
   Where the surface is ground-like (normal within :data:`GROUND_SLOPE_DEG` of +Y) the prop's
   base centre is the hit point. On a steep surface (a wall, a cliff) the prop is moved towards
   the viewer, horizontally, by its footprint radius, so it stands in front of the surface
   rather than in it.
3. **Upright and to scale.** The prop keeps +Y up; a uniform scale makes it ``height`` metres
   tall; by default it is turned about +Y so its front (+Z of its own frame) faces the viewer.
"""

from __future__ import annotations

import numpy as np

from .composition import ObjectMesh, Prop, Transform
from .conventions import direction_to_lonlat, lonlat_to_direction, lonlat_to_pixel
from .errors import InputError
from .panorama import RGBDPanorama

__all__ = ["GROUND_SLOPE_DEG", "surface_hit", "placement_transform", "place_prop",
           "next_prop_id", "depth_at"]

#: Surfaces steeper than this (degrees from horizontal) count as walls.
GROUND_SLOPE_DEG = 35.0


def depth_at(dist: np.ndarray, px: float, py: float) -> float:
    """Bilinear radial distance (metres) at the continuous pixel ``(px, py)`` of ``dist``.

    ``dist`` is ``(H, W)`` float radial distance with NaN where unknown; ``px`` wraps across
    the seam, ``py`` is clamped to the rows. Uses the nearest pixel where a neighbour is
    unknown, and gives NaN when that is unknown too.
    """
    h, w = dist.shape
    py = min(max(py, 0.0), h - 1.0)
    x0, y0 = int(np.floor(px)), int(np.floor(py))
    fx, fy = px - x0, py - y0
    xs = [x0 % w, (x0 + 1) % w]
    ys = [y0, min(y0 + 1, h - 1)]
    quad = dist[np.ix_(ys, xs)].astype(np.float64)
    if np.isnan(quad).any():
        return float(dist[min(int(round(py)), h - 1), int(round(px)) % w])
    top = quad[0, 0] * (1 - fx) + quad[0, 1] * fx
    bottom = quad[1, 0] * (1 - fx) + quad[1, 1] * fx
    return float(top * (1 - fy) + bottom * fy)


def surface_hit(dome: RGBDPanorama, direction) -> tuple[np.ndarray, np.ndarray]:
    """Where a view direction meets the dome's depth surface, and the surface normal there.

    Parameters
    ----------
    dome : RGBDPanorama
        With depth.
    direction : (3,) float
        World frame; need not be unit length.

    Returns
    -------
    point : (3,) float64 ndarray
        Metres, world frame.
    normal : (3,) float64 ndarray
        Unit, facing the viewer.

    Raises
    ------
    InputError
        No depth, a zero direction, or unknown depth in that direction.
    """
    d = np.asarray(direction, np.float64)
    if d.shape != (3,) or not np.all(np.isfinite(d)) or np.linalg.norm(d) < 1e-9:
        raise InputError(f"cannot place a prop in direction {d.tolist()}",
                         hint="give --at X Y Z away from the viewer (the origin)")
    if not dome.has_depth:
        raise InputError("this panorama has no depth, so there is no surface to stand a prop on",
                         hint="estimate or import depth first, or place it with --no-snap")
    dist = np.asarray(dome.distance, np.float32)
    h, w = dist.shape
    lon, lat = direction_to_lonlat(d)
    px, py = lonlat_to_pixel(lon, lat, w, h)
    r = depth_at(dist, float(px), float(py))
    if not np.isfinite(r) or r <= 0:
        raise InputError("the panorama's depth is unknown in that direction",
                         hint="pick another point, or place the prop exactly with --no-snap")
    unit = d / np.linalg.norm(d)
    point = unit * r
    # normal from the surface one pixel to each side (in angle), falling back to facing the viewer
    dlon, dlat = 2 * np.pi / w, np.pi / h

    def at(lo: float, la: float) -> np.ndarray | None:
        la = float(np.clip(la, -np.pi / 2 + 1e-6, np.pi / 2 - 1e-6))
        qx, qy = lonlat_to_pixel(lo, la, w, h)
        rr = depth_at(dist, float(qx), float(qy))
        return None if not np.isfinite(rr) else lonlat_to_direction(lo, la) * rr

    pts = [at(lon + dlon, lat), at(lon - dlon, lat), at(lon, lat + dlat), at(lon, lat - dlat)]
    normal = -unit
    if all(p is not None for p in pts):
        n = np.cross(pts[0] - pts[1], pts[2] - pts[3])
        if np.linalg.norm(n) > 1e-12:
            n = n / np.linalg.norm(n)
            normal = n if n @ unit < 0 else -n
    return point, normal


def placement_transform(mesh: ObjectMesh, base_point, height: float,
                        yaw_deg: float | None = None) -> Transform:
    """The transform that stands ``mesh``'s base centre on ``base_point``, ``height`` m tall.

    Parameters
    ----------
    mesh : ObjectMesh
    base_point : (3,) float
        World metres.
    height : float
        Metres, > 0.
    yaw_deg : float, optional
        Turn about +Y; by default the prop's front (+Z) faces the viewer at the origin.
    """
    height = float(height)
    if not (np.isfinite(height) and height > 0):
        raise InputError(f"a prop's height must be a positive number of metres, got {height}",
                         hint="for example --height 1.8")
    lo, hi = mesh.bounds()
    tall = float(hi[1] - lo[1])
    if not tall > 0:
        raise InputError("the prop's mesh is flat (no height) and cannot be scaled to a height")
    scale = height / tall
    p = np.asarray(base_point, np.float64)
    if yaw_deg is None:
        yaw_deg = float(np.degrees(np.arctan2(-p[0], -p[2]))) if np.hypot(p[0], p[2]) > 1e-9 \
            else 0.0
    probe = Transform.yaw((0.0, 0.0, 0.0), yaw_deg, scale)
    base_local = np.array([[(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2]])
    offset = probe.apply(base_local)[0].astype(np.float64)
    return Transform.yaw(tuple(p - offset), yaw_deg, scale)


def place_prop(mesh: ObjectMesh, dome: RGBDPanorama | None, at, height: float, *,
               prop_id: str, name: str = "prop", source: dict | None = None,
               material: str = "pbr", yaw_deg: float | None = None, snap: bool = True) -> Prop:
    """A :class:`Prop` standing on the dome's depth surface in the direction of ``at``.

    Parameters
    ----------
    mesh : ObjectMesh
        Object frame (+Y up, front +Z).
    dome : RGBDPanorama or None
        The surface to stand on (``None`` only with ``snap=False``).
    at : (3,) float
        World metres: a point in the wanted direction (or the exact base point without snap).
    height : float
        Metres.
    prop_id, name, source, material
        As in :class:`scene.composition.Prop`.
    yaw_deg : float, optional
        See :func:`placement_transform`.
    snap : bool
        Stand it on the surface (default) or exactly at ``at``.

    Returns
    -------
    Prop
        Its ``source`` gains ``placement``: ``{"at", "snap", "surface": "ground"|"wall"|None}``.
    """
    at = np.asarray(at, np.float64)
    if at.shape != (3,) or not np.all(np.isfinite(at)):
        raise InputError(f"--at needs three numbers (metres), got {at.tolist()}")
    surface = None
    base = at
    if snap:
        if dome is None:
            raise InputError("no dome to stand the prop on", hint="use --no-snap")
        base, normal = surface_hit(dome, at)
        surface = "ground" if normal[1] >= np.cos(np.radians(GROUND_SLOPE_DEG)) else "wall"
        if surface == "wall":
            lo, hi = mesh.bounds()
            radius = 0.5 * float(max(hi[0] - lo[0], hi[2] - lo[2])) * height / float(hi[1] - lo[1])
            horiz = np.array([base[0], 0.0, base[2]])
            if np.linalg.norm(horiz) > 1e-9:
                base = base - horiz / np.linalg.norm(horiz) * radius
    transform = placement_transform(mesh, base, height, yaw_deg)
    record = dict(source or {})
    record["placement"] = {"at": [float(v) for v in at], "snap": bool(snap), "surface": surface}
    return Prop(id=prop_id, mesh=mesh, transform=transform, name=name, material=material,
                source=record)


def next_prop_id(props) -> str:
    """``p`` + one more than the largest ``p<n>`` among ``props``."""
    n = 0
    for p in props:
        if p.id.startswith("p") and p.id[1:].isdigit():
            n = max(n, int(p.id[1:]))
    return f"p{n + 1}"
