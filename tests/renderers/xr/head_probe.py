"""Draw the layered box room with the headset's GL code from a tracked head moved off the
capture point, through the rig and its walk-radius clamp (headless EGL, sRGB target).

Run as ``python -m tests.renderers.xr.head_probe OUT.npz``: a separate process, because
PyOpenGL's platform (EGL) must be chosen before anything imports OpenGL.
"""

from __future__ import annotations

import json
import sys

import numpy as np

SIZE = (160, 120)
HALF_X = np.radians(45.0)
HALF_Y = float(np.arctan(np.tan(HALF_X) * SIZE[1] / SIZE[0]))
FOV = (-HALF_X, HALF_X, HALF_Y, -HALF_Y)  # XrFovf: left, right, up, down
#: Head positions relative to the capture point (reference space, metres), and head yaw.
HEADS = {"step": ((0.3, 0.0, 0.0), 20.0), "beyond": ((0.9, 0.0, 0.0), 15.0)}
WALK_RADIUS = 0.5


def main(out: str) -> None:
    from renderers.xr.xr_gl_context import prepare_platform

    prepare_platform("egl")
    from renderers.xr.xr_gl_context import EGLContext

    ctx = EGLContext()
    from OpenGL import GL

    from renderers import view_math as vm
    from renderers.scene_parts import scene_parts
    from renderers.xr.controls import Rig, start_origin
    from renderers.xr.frame_loop import NEAR_M
    from renderers.xr.gl_mesh import EyeTarget, GLScene, read_pixels
    from renderers.xr.scene_source import SceneState
    from scene.composition import Scene
    from scene.mesh import DEFAULT_SETTINGS, build_depth_mesh
    from tests.renderers.composition_fixtures import composition

    room, full = composition(1024)
    mesh = build_depth_mesh(full.dome)
    tex = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
    GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_SRGB8_ALPHA8, SIZE[0], SIZE[1], 0, GL.GL_RGBA,
                    GL.GL_UNSIGNED_BYTE, None)
    GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
    target = EyeTarget(tex, SIZE, srgb=True)
    rig = Rig(start_origin("stage"))
    images, meta = {}, {}
    for name, scene in (("dome", Scene(full.dome)), ("layered", Scene(full.dome, full.layers))):
        state = SceneState("r1", full.dome, mesh, DEFAULT_SETTINGS, None, scene_parts(scene),
                           WALK_RADIUS)
        gl_scene = GLScene(srgb=True)
        gl_scene.set_state(state)
        for head_name, (offset, yaw) in HEADS.items():
            head = rig.origin + np.asarray(offset)
            q = vm.quaternion_yaw_pitch(yaw, 0.0)
            clamp = rig.head_clamp(head, state.walk_radius)
            view = rig.view(vm.view_from_pose(q, head), clamp)
            proj = vm.projection_from_fov(*FOV, NEAR_M, gl_scene.far_plane)
            target.begin()
            gl_scene.draw(proj @ view)
            images[f"{name}_{head_name}"] = read_pixels(target)
            target.end()
            meta[f"{name}_{head_name}"] = {"size": list(SIZE), "fov": list(FOV),
                                           "view": view.tolist()}
        gl_scene.delete()
    target.delete()
    ctx.destroy()
    np.savez(out, meta=json.dumps(meta), **images)


if __name__ == "__main__":
    main(sys.argv[1])
