"""Prop makers for the procedural scenes: pines, palms, boulders, buttes, pillars, spikes.

Each maker returns a list of :class:`~.geometry.Prop` built from closed-form
shapes, with bounding spheres filled in, and :func:`scatter` places things on the ground
without overlaps. All randomness comes from the ``rng`` passed in, so the seed moves them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .geometry import Ellipsoid, Prop, VCone, VCylinder

__all__ = ["pine", "palm", "boulder", "butte", "pillar", "spike", "scatter", "cylinder",
           "cone", "shadow_stand_ins"]


def cylinder(material: str, cx: float, cz: float, r: float, y0: float, y1: float,
             tint: float = 0.0) -> VCylinder:
    """A vertical cylinder prop with its bounding sphere."""
    half = 0.5 * (y1 - y0)
    centre = np.array([cx, 0.5 * (y0 + y1), cz])
    return VCylinder(material, centre, float(np.hypot(half, r)), tint, cx, cz, r, y0, y1)


def cone(material: str, cx: float, cz: float, y_apex: float, y_base: float, r_base: float,
         tint: float = 0.0, cap: bool = True) -> VCone:
    """A vertical cone prop with its bounding sphere (``cap=False``: open at the base, so
    from below one sees its dark inside, as under a pine's branches)."""
    half = 0.5 * abs(y_apex - y_base)
    centre = np.array([cx, 0.5 * (y_apex + y_base), cz])
    return VCone(material, centre, float(np.hypot(half, r_base)), tint, cx, cz, y_apex, y_base,
                 r_base, cap)


def pine(x: float, z: float, ground: float, height: float, rng: np.random.Generator,
         trunk: str = "bark", needles: str = "pine") -> list[Prop]:
    """A conifer: a trunk and three to five stacked cones of foliage.

    Parameters
    ----------
    x, z : float
        Position, metres.
    ground : float
        Ground height there, metres (the trunk starts half a metre below it).
    height : float
        Tree height above the ground, metres.
    rng : numpy.random.Generator
    """
    tint = float(rng.uniform(-1.0, 1.0))
    r_trunk = 0.012 * height + 0.08
    props: list[Prop] = [cylinder(trunk, x, z, r_trunk, ground - 0.5, ground + 0.8 * height,
                                  tint)]
    width = height * rng.uniform(0.13, 0.19)
    start = ground + height * rng.uniform(0.06, 0.16)
    span = ground + height - start
    tiers = int(rng.integers(3, 6))
    step = 0.8 / tiers
    for k in range(tiers):
        base = start + k * span * step + span * rng.uniform(-0.02, 0.02)
        if k == tiers - 1:
            apex = ground + height
        else:
            apex = base + span * (1.6 * step + 0.1 - 0.04 * k * step * tiers / 4)
        shrink = 1.0 - 0.8 * k / tiers
        props.append(cone(needles, x, z, apex, base, width * shrink * rng.uniform(0.9, 1.1),
                          tint, cap=False))
    return props


def palm(x: float, z: float, ground: float, height: float, rng: np.random.Generator
         ) -> list[Prop]:
    """A palm: a slim trunk and a crown of flattened, yawed ellipsoid leaves."""
    tint = float(rng.uniform(-1.0, 1.0))
    top = ground + height
    props: list[Prop] = [cylinder("palm_trunk", x, z, 0.17, ground - 0.5, top, tint)]
    n = int(rng.integers(7, 10))
    for k in range(n):
        yaw = 2 * np.pi * k / n + rng.uniform(-0.2, 0.2)
        length = rng.uniform(2.2, 3.0)
        cx = x + np.sin(yaw) * length * 0.8
        cz = z - np.cos(yaw) * length * 0.8
        cy = top - 0.25 - 0.15 * length
        centre = np.array([cx, cy, cz])
        # the ellipsoid's local z axis is its long axis; turned by (pi - yaw) it points
        # along (sin yaw, 0, -cos yaw), away from the trunk
        props.append(Ellipsoid("palm_leaf", centre, length, tint, (0.45, 0.12, length),
                               float(np.pi - yaw)))
    return props


def boulder(x: float, z: float, ground: float, size: float, rng: np.random.Generator,
            material: str = "rock") -> Ellipsoid:
    """A half-buried ellipsoid rock of about ``size`` metres radius."""
    radii = size * np.array([rng.uniform(0.8, 1.3), rng.uniform(0.5, 0.8), rng.uniform(0.7, 1.2)])
    centre = np.array([x, ground + radii[1] * rng.uniform(0.1, 0.45), z])
    return Ellipsoid(material, centre, float(radii.max()), float(rng.uniform(-1, 1)),
                     tuple(radii), float(rng.uniform(0, np.pi)))


def butte(x: float, z: float, ground: float, radius: float, height: float,
          material: str = "butte") -> VCone:
    """A flat-topped desert butte: a steep cone frustum rising from below the ground, its top
    ``radius`` wide, its flanks sloping out towards the base."""
    base = ground - 30.0
    top = ground + height
    r_base = radius + 0.9 * (top - base)  # flanks about 48 degrees
    apex = base + (top - base) * r_base / (r_base - radius)  # where the flanks would meet
    centre = np.array([x, 0.5 * (base + top), z])
    return VCone(material, centre, float(np.hypot(0.5 * (top - base), r_base)), 0.0, x, z,
                 apex, base, r_base, True, top)


def pillar(x: float, z: float, y0: float, y1: float, r: float, material: str = "pillar"
           ) -> list[Prop]:
    """A column with a square plinth and capital (cylinder between two boxes)."""
    from .geometry import Box

    props: list[Prop] = [cylinder(material, x, z, r, y0, y1)]
    w = r * 1.45
    for lo_y, hi_y in ((y0, y0 + 0.45), (y1 - 0.35, y1)):
        lo = (x - w, lo_y, z - w)
        hi = (x + w, hi_y, z + w)
        centre = np.array([x, 0.5 * (lo_y + hi_y), z])
        radius = float(np.linalg.norm([w, 0.5 * (hi_y - lo_y), w]))
        props.append(Box("plinth", centre, radius, 0.0, lo, hi))
    return props


def spike(x: float, z: float, y_root: float, length: float, r: float, material: str,
          hanging: bool, tint: float = 0.0) -> VCone:
    """A stalactite (``hanging``: apex below the root) or a stalagmite (apex above).

    The root end is left open: it is buried in the rock, and where a steep wall lets it
    poke out an open end shows less than a flat disc would."""
    apex = y_root - length if hanging else y_root + length
    return cone(material, x, z, apex, y_root, r, tint, cap=False)


def scatter(rng: np.random.Generator, n: int, r_min: float, r_max: float, spacing: float,
            keep: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
            tries: int = 6) -> np.ndarray:
    """Up to ``n`` ground positions, uniform by area in the ring ``r_min..r_max`` around the
    viewer, at least ``spacing`` metres apart.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
    r_min, r_max : float
        Metres.
    spacing : float
        Minimum distance between two positions, metres.
    keep : callable, optional
        ``keep(x, z) -> bool array``: where placement is allowed.
    tries : int
        Candidates drawn per wanted position.

    Returns
    -------
    (K, 2) float64 ndarray of (x, z), K <= n
    """
    m = n * tries
    r = np.sqrt(rng.uniform(r_min ** 2, r_max ** 2, m))
    a = rng.uniform(-np.pi, np.pi, m)
    x = r * np.sin(a)
    z = -r * np.cos(a)
    ok = np.ones(m, dtype=bool) if keep is None else np.asarray(keep(x, z), dtype=bool)
    chosen: list[int] = []
    pts = np.empty((0, 2))
    for i in np.nonzero(ok)[0]:  # loop over candidate props, not pixels
        if pts.shape[0] and np.min(np.hypot(pts[:, 0] - x[i], pts[:, 1] - z[i])) < spacing:
            continue
        chosen.append(i)
        pts = np.vstack([pts, [x[i], z[i]]])
        if len(chosen) == n:
            break
    return pts


def shadow_stand_ins(props: list[Prop]) -> list[Prop]:
    """Cheaper shadow casters for a list of props: each pine's stacked foliage cones become
    the one cone that encloses them (same trunk); every other prop casts its own shadow.

    Pines are recognised as a run of ``pine`` cones sharing an axis after a trunk.
    """
    out: list[Prop] = []
    i = 0
    while i < len(props):
        p = props[i]
        run = []
        j = i + 1
        while (j < len(props) and isinstance(props[j], VCone) and props[j].material == "pine"
               and isinstance(p, VCylinder) and props[j].cx == p.cx and props[j].cz == p.cz):
            run.append(props[j])
            j += 1
        out.append(p)
        if run:
            top = max(c.y_apex for c in run)
            base = min(c.y_base for c in run)
            out.append(cone("pine", p.cx, p.cz, top, base, max(c.r_base for c in run), p.tint))
        i = j
    return out
