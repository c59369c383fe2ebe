"""Known-answer compositions for the renderer tests: the box room, a layer behind its pillar,
and cube props with flat colours at known places."""

from __future__ import annotations

import numpy as np

from scene.composition import Layer, ObjectMesh, Prop, Scene, Transform
from scene.depth import DepthInterpretation
from scene.panorama import RGBDPanorama
from scene.testing.analytic import box_room
from scene.testing.shapes import cube_arrays

#: The box room's pillar: centre (x, z) and half-width, metres.
PILLAR = (1.0, -1.8, 0.3)
#: Colour of the unlit prop (no room surface has it).
UNLIT_COLOUR = (255, 0, 255)
#: Colour of the lit prop.
LIT_COLOUR = (40, 230, 250)


def cube(half: float, colour) -> ObjectMesh:
    """An axis-aligned cube of half-width ``half`` around the object origin: 24 vertices
    (4 per face, so each face has its own normal), 12 outward counter-clockwise faces
    (:func:`scene.testing.shapes.cube_arrays`), one flat colour."""
    p, faces, _ = cube_arrays(half)
    colours = np.tile(np.array([*colour, 255], np.uint8), (len(p), 1))
    return ObjectMesh(p, faces, colors=colours)


def room_layer(room, width: int) -> Layer:
    """The empty room's surfaces behind the pillar (seen from the centre), NaN elsewhere."""
    empty = box_room(width, pillar=None)
    labels = room.label_of_pixels()
    behind = labels == room.labels.index("pillar")
    # Two pixels more on each side, so the layer reaches under the pillar's silhouette.
    for _ in range(2):
        behind = behind | np.roll(behind, 1, 1) | np.roll(behind, -1, 1)
    dist = np.where(behind, empty.panorama.distance, np.nan).astype(np.float32)
    pano = RGBDPanorama(empty.panorama.rgb, raw_depth=dist,
                        interpretation=DepthInterpretation(kind="distance"))
    return Layer("l1", pano, kind="background", walk_radius=0.5, method="procedural")


def props() -> tuple[Prop, Prop, Prop]:
    """An unlit cube turned 30° to the left, a lit cube ahead, and one hidden by the pillar."""
    unlit = Prop("p1", cube(0.5, UNLIT_COLOUR), Transform.yaw((-0.9, 0.1, -2.5), 30.0, 0.3),
                 name="unlit box", material="unlit")
    lit = Prop("p2", cube(0.1, LIT_COLOUR), Transform((0.2, 0.2, -2.5)), name="lit box")
    # On the line from the eye through the pillar's centre, beyond it.
    far = np.array([PILLAR[0], 0.0, PILLAR[1]]) * 1.4
    hidden = Prop("p3", cube(0.05, UNLIT_COLOUR), Transform(tuple(far)), name="hidden box",
                  material="unlit")
    return unlit, lit, hidden


def composition(width: int = 256) -> tuple[object, Scene]:
    """(the analytic room, the Scene: room dome + layer + three props)."""
    room = box_room(width, pillar=PILLAR)
    scene = Scene(dome=room.panorama, layers=(room_layer(room, width),), props=props(),
                  name="room")
    return room, scene
