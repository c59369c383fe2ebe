"""How far a visitor may walk in a scene, and where its floor is (walk mode, headset, tours).

The walk radius is read from what made the layers, in this order:

1. the dome's recorded walk zone (``metadata.extra["walk_zone"]``, written by
   ``panoforge layer`` / "Make walkable"): its ``walk_radius_m``, the radius the layers were
   made for;
2. the largest ``walk_radius`` of the scene's layers;
3. :data:`DEFAULT_WALK_RADIUS_M`.

The *measured* walk zone (the radius where holes stay under 0.1 %, :mod:`scene.walkzone`) is
given next to it when it was recorded, so a viewer can show both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .conventions import latitudes

__all__ = ["DEFAULT_WALK_RADIUS_M", "DEFAULT_FLOOR_Y_M", "WalkBounds", "walk_bounds",
           "floor_height"]

#: Walk radius when nothing in the scene records one, metres.
DEFAULT_WALK_RADIUS_M = 0.5
#: Floor height below the capture point when the depth does not show one, metres.
DEFAULT_FLOOR_Y_M = -1.6
#: Latitudes below which the panorama is taken to look at the floor, degrees.
_FLOOR_BELOW_DEG = -60.0


@dataclass(frozen=True)
class WalkBounds:
    """Where a visitor may move.

    Attributes
    ----------
    radius : float
        Metres around the capture point the eye is kept within.
    source : {"recorded", "layers", "default"}
        Where ``radius`` came from (see the module docstring).
    measured : float or None
        The measured walk zone of the scene as drawn (with its layers when it has any),
        metres, when it was recorded.
    floor_y : float
        Height of the floor relative to the capture point, metres (negative: below).
    """

    radius: float
    source: str
    measured: float | None
    floor_y: float


def floor_height(pano) -> float:
    """Height of the floor below the capture point, metres.

    The median of ``distance * sin(latitude)`` over the known pixels looking more than 60°
    down; :data:`DEFAULT_FLOOR_Y_M` when there is no depth there.

    Parameters
    ----------
    pano : RGBDPanorama

    Returns
    -------
    float
        Negative for a floor below the eye.
    """
    dist = getattr(pano, "distance", None)
    if dist is None:
        return DEFAULT_FLOOR_Y_M
    lat = latitudes(dist.shape[0])
    rows = lat < np.radians(_FLOOR_BELOW_DEG)
    y = dist[rows].astype(np.float64) * np.sin(lat[rows])[:, None]
    y = y[np.isfinite(y)]
    return float(np.median(y)) if y.size else DEFAULT_FLOOR_Y_M


def _positive(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v >= 0 else None


def walk_bounds(scene) -> WalkBounds:
    """The walk radius, measured zone and floor of a composition.

    Parameters
    ----------
    scene : scene.composition.Scene

    Returns
    -------
    WalkBounds
    """
    record = scene.dome.metadata.extra.get("walk_zone") or {}
    measured = _positive(record.get("layers_m" if scene.layers else "dome_m"))
    radius = _positive(record.get("walk_radius_m"))
    source = "recorded"
    if not radius:
        radii = [la.walk_radius for la in scene.layers if la.walk_radius > 0]
        radius, source = (max(radii), "layers") if radii else (DEFAULT_WALK_RADIUS_M, "default")
    return WalkBounds(float(radius), source, measured, floor_height(scene.dome))
