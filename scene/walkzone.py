"""The measured walk zone: how far the eye may leave the centre before holes show.

Definition (the one Panoforge prints, stores and exports): the largest radius ``r`` on the
ladder :data:`RADII_M` such that, for every eye of :func:`eye_offsets` at that radius (and
every smaller radius on the ladder), the scene's meshes rasterised from the eye
(:mod:`scene.raster`: the DepthFusion meshes of the dome and its layers, with the scene's cut
rule) leave at most :data:`HOLE_LIMIT` of the sphere of view (by solid angle) uncovered.

The eyes (:func:`eye_offsets`) are the six axis offsets ``(+-r, 0, 0), (0, +-r, 0),
(0, 0, +-r)`` and the eight cube corners ``(+-1, +-1, +-1) r / sqrt(3)``: all on the sphere of
radius ``r``, covering a step, a crouch and a lean in every direction.

Props are closed meshes standing in front of a complete dome, so they hide but never uncover
anything: they are left out of the measurement. A dome without cuts (``cut_threshold`` inf) is
watertight from everywhere (rubber sheets instead of holes): its zone is the top of the ladder.
The measurement runs on a mesh no wider than :data:`MEASURE_WIDTH` pixels (cheap enough for
``panoforge info``); the zone it reports is then a property of that resolution.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .composition import Scene
from .raster import Surface, render_cube

__all__ = ["RADII_M", "HOLE_LIMIT", "MEASURE_WIDTH", "WalkZone", "eye_offsets",
           "scene_surfaces", "hole_fraction_at", "measure_walk_zone", "walk_zones"]

#: Radii tried, metres (the answer is one of them, or 0).
RADII_M = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0, 1.5, 2.0)
#: Largest uncovered share of the view an eye may see (0.1 %).
HOLE_LIMIT = 0.001
#: Width of the mesh the measurement rasterises (pixels).
MEASURE_WIDTH = 256
#: Cube face edge of the measurement's renders (pixels): about the mesh's angular pitch.
MEASURE_FACE = 64


def eye_offsets(radius: float) -> np.ndarray:
    """(14, 3) float64 eye positions on the sphere of ``radius`` metres (see module notes)."""
    axes = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]],
                    np.float64)
    corners = np.array([[x, y, z] for x in (1, -1) for y in (1, -1) for z in (1, -1)],
                       np.float64) / np.sqrt(3.0)
    return np.concatenate([axes, corners]) * float(radius)


def scene_surfaces(scene: Scene, cut_threshold: float, *, with_layers: bool = True,
                   max_width: int | None = MEASURE_WIDTH) -> list[Surface]:
    """The dome's (and optionally the layers') meshes as :class:`~scene.raster.Surface`."""
    parts = [scene.dome] + ([la.panorama for la in scene.layers] if with_layers else [])
    out = []
    for pano in parts:
        s = Surface.from_equirect(pano.rgb, pano.distance, cut_threshold, max_width=max_width)
        if s is not None:
            out.append(s)
    return out


def hole_fraction_at(surfaces, radius: float, face_size: int = MEASURE_FACE) -> float:
    """The largest hole fraction over the eyes of :func:`eye_offsets` at ``radius``."""
    worst = 0.0
    for eye in eye_offsets(radius):
        worst = max(worst, render_cube(surfaces, eye, face_size).hole_fraction())
        if worst > HOLE_LIMIT:
            break
    return worst


@dataclass
class WalkZone:
    """A measured walk zone.

    Attributes
    ----------
    radius : float
        Metres (0 when even the centre shows holes).
    capped : bool
        True when the top of :data:`RADII_M` passed (the zone is at least that).
    tried : dict of float -> float
        Radius -> worst hole fraction measured there.
    """

    radius: float
    capped: bool = False
    tried: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"radius_m": self.radius, "capped": self.capped, "hole_limit": HOLE_LIMIT,
                "eyes": "6 axes + 8 corners", "measure_width": MEASURE_WIDTH}

    def describe(self) -> str:
        if self.capped:
            return f">= {self.radius:g} m"
        return f"{self.radius:g} m"


def measure_walk_zone(scene: Scene, cut_threshold: float, *, with_layers: bool = True,
                      max_width: int | None = MEASURE_WIDTH,
                      face_size: int = MEASURE_FACE) -> WalkZone:
    """The walk zone of ``scene`` (see the module's definition).

    A binary search over :data:`RADII_M` (holes grow with the radius), starting with the
    centre itself.

    Returns
    -------
    WalkZone
    """
    surfaces = scene_surfaces(scene, cut_threshold, with_layers=with_layers, max_width=max_width)
    tried: dict = {}
    centre = render_cube(surfaces, (0.0, 0.0, 0.0), face_size).hole_fraction()
    tried[0.0] = centre
    if centre > HOLE_LIMIT:
        return WalkZone(0.0, False, tried)
    lo, hi = -1, len(RADII_M)  # RADII_M[lo] passes (or the centre), RADII_M[hi] fails
    while hi - lo > 1:
        mid = (lo + hi) // 2
        frac = hole_fraction_at(surfaces, RADII_M[mid], face_size)
        tried[RADII_M[mid]] = frac
        if frac <= HOLE_LIMIT:
            lo = mid
        else:
            hi = mid
    radius = 0.0 if lo < 0 else RADII_M[lo]
    return WalkZone(radius, lo == len(RADII_M) - 1, tried)


def walk_zones(scene: Scene, cut_threshold: float, **kw) -> dict:
    """``{"dome": WalkZone, "layers": WalkZone}``: without and with the scene's layers."""
    dome = measure_walk_zone(scene, cut_threshold, with_layers=False, **kw)
    if not scene.layers:
        return {"dome": dome, "layers": dome}
    return {"dome": dome, "layers": measure_walk_zone(scene, cut_threshold, **kw)}
