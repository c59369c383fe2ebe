"""The walk-radius ring of the viewport: circles on the floor where walk mode stops the eye.

Two rings can be shown, both horizontal circles around the capture point at the floor's height
(:func:`scene.walk_bounds.floor_height`): the **walk radius** (:data:`RING_COLOUR`, where the
eye stops) and, when it was measured and differs, the **measured walk zone**
(:data:`ZONE_COLOUR`, where holes stay under 0.1 %). They are drawn after the scene without the
depth test, so the floor's own bumps never hide them.

vispy is imported when a ring is made, never at module import.
"""

from __future__ import annotations

import numpy as np

__all__ = ["WalkRing", "ring_points", "RING_COLOUR", "ZONE_COLOUR", "RING_SEGMENTS"]

#: Colour of the walk-radius ring (RGB 0..1): a bright cyan no panorama palette relies on.
RING_COLOUR = (0.0, 1.0, 1.0)
#: Colour of the measured walk-zone ring.
ZONE_COLOUR = (1.0, 0.75, 0.0)
RING_SEGMENTS = 128
#: The ring floats this far above the floor, metres.
LIFT_M = 0.01


def ring_points(radius: float, floor_y: float, segments: int = RING_SEGMENTS) -> np.ndarray:
    """(segments + 1, 3) float32 closed circle of ``radius`` metres at height ``floor_y``."""
    a = np.linspace(0.0, 2.0 * np.pi, int(segments) + 1)
    y = np.full_like(a, floor_y + LIFT_M)
    return np.column_stack([radius * np.sin(a), y, -radius * np.cos(a)]).astype(np.float32)


class WalkRing:
    """The rings in a vispy scene.

    Parameters
    ----------
    parent : vispy scene node
        The view's scene.
    """

    def __init__(self, parent) -> None:
        from vispy.scene import visuals

        self._lines = []
        for colour in (RING_COLOUR, ZONE_COLOUR):
            line = visuals.Line(pos=ring_points(1.0, 0.0), color=(*colour, 1.0), width=3.0,
                                connect="strip", method="gl", antialias=False, parent=parent)
            line.set_gl_state(depth_test=False, blend=False)
            line.order = 1000  # after the scene's meshes
            line.visible = False
            self._lines.append(line)
        self.radius = 0.0
        self.measured: float | None = None
        self.floor_y = 0.0

    def set_bounds(self, radius: float, floor_y: float, measured: float | None = None) -> None:
        """Place the rings: the walk radius and, optionally, the measured walk zone (metres)."""
        self.radius, self.floor_y, self.measured = float(radius), float(floor_y), measured
        self._lines[0].set_data(pos=ring_points(self.radius, self.floor_y))
        if measured is not None:
            self._lines[1].set_data(pos=ring_points(float(measured), self.floor_y))

    def set_visible(self, visible: bool) -> None:
        self._lines[0].visible = bool(visible) and self.radius > 0
        self._lines[1].visible = (bool(visible) and self.measured is not None
                                  and self.measured > 0
                                  and abs(self.measured - self.radius) > 1e-3)

    @property
    def visible(self) -> bool:
        return bool(self._lines[0].visible)

    def free(self) -> None:
        for line in self._lines:
            line.parent = None
        self._lines = []
