"""A known-answer composition for the export tests: the box room dome, a layer that knows
depth only on its left half, a lit vertex-coloured cube and an unlit textured cube."""

from __future__ import annotations

import numpy as np

from scene.composition import Layer, ObjectMesh, Prop, Scene, Transform
from scene.depth import DepthInterpretation
from scene.panorama import RGBDPanorama
from scene.testing.analytic import box_room
from scene.testing.shapes import cube_arrays

#: Flat colour of the lit cube (sRGB).
LIT_COLOUR = (200, 40, 10)


def lit_cube() -> Prop:
    pos, faces, _ = cube_arrays(0.25)
    colours = np.tile(np.array([*LIT_COLOUR, 255], np.uint8), (len(pos), 1))
    return Prop("p1", ObjectMesh(pos, faces, colors=colours),
                Transform.yaw((0.5, -0.5, -2.0), 30.0, 1.5), name="lit cube",
                source={"backend": "test", "licence": "CC0"})


def textured_cube() -> Prop:
    pos, faces, uvs = cube_arrays(0.1)
    y, x = np.mgrid[0:16, 0:16]
    tex = np.stack([x * 16, y * 16, np.full_like(x, 128)], -1).astype(np.uint8)
    return Prop("p2", ObjectMesh(pos, faces, uvs=uvs, texture=tex),
                Transform((-1.0, 0.2, -1.5), (0.0, 0.0, 0.38268343, 0.92387953), 2.0),
                name="textured cube", material="unlit", source={"backend": "test"})


def half_layer(width: int) -> Layer:
    """The empty room (no pillar) with depth on the left half only (NaN elsewhere)."""
    empty = box_room(width, pillar=None).panorama
    dist = np.array(empty.distance, np.float32)
    dist[:, width // 2:] = np.nan
    pano = RGBDPanorama(empty.rgb, raw_depth=dist,
                        interpretation=DepthInterpretation(kind="distance"))
    return Layer("l1", pano, kind="background", walk_radius=0.5, method="procedural",
                 label="behind the pillar")


def composition(width: int = 128) -> Scene:
    """Dome + one layer + two props, named ``room``."""
    return Scene(dome=box_room(width).panorama, layers=(half_layer(width),),
                 props=(lit_cube(), textured_cube()), name="room")
