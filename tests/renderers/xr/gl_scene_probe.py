"""Draw the test composition with the headset's GL code into an sRGB texture (headless EGL).

Run as ``python -m tests.renderers.xr.gl_scene_probe OUT.npz``: a separate process, because
PyOpenGL's platform (EGL) must be chosen before anything imports OpenGL.
"""

from __future__ import annotations

import sys

import numpy as np


def main(out: str) -> None:
    from renderers.xr.xr_gl_context import prepare_platform

    prepare_platform("egl")
    from renderers.xr.xr_gl_context import EGLContext

    ctx = EGLContext()
    from OpenGL import GL

    from renderers import view_math as vm
    from renderers.scene_parts import scene_parts
    from renderers.xr.gl_mesh import EyeTarget, GLScene, read_pixels
    from renderers.xr.scene_source import SceneState
    from scene.composition import Scene
    from scene.mesh import DEFAULT_SETTINGS, build_depth_mesh
    from tests.renderers.composition_fixtures import composition

    size = (160, 120)
    room, scene = composition(256)
    mesh = build_depth_mesh(scene.dome)
    tex = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
    GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_SRGB8_ALPHA8, size[0], size[1], 0, GL.GL_RGBA,
                    GL.GL_UNSIGNED_BYTE, None)
    GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
    target = EyeTarget(tex, size, srgb=True)
    images = {}
    for name, parts_of, backdrop in (
            ("full", scene, True), ("dome", Scene(dome=scene.dome), False),
            ("layer", Scene(dome=scene.dome, layers=scene.layers), False),
            ("backdrop", Scene(dome=scene.dome), True)):  # as the headset draws the dome
        state = SceneState("r1", scene.dome, mesh, DEFAULT_SETTINGS, None,
                           scene_parts(parts_of))
        gl_scene = GLScene(srgb=True, backdrop=backdrop)
        gl_scene.set_state(state)
        for view_name, eye, yaw in (("centre", (0.0, 0.0, 0.0), 0.0),
                                    ("moved", (-0.4, 0.0, 0.1), 30.0)):
            proj = vm.perspective(90.0, size[0] / size[1], 0.05, gl_scene.far_plane)
            view = vm.view_yaw_pitch(yaw, 0.0, eye)
            target.begin()
            gl_scene.draw(proj @ view)
            images[f"{name}_{view_name}"] = read_pixels(target)
            images[f"mvp_{view_name}"] = proj @ view
            target.end()
        gl_scene.delete()
    target.delete()
    ctx.destroy()
    np.savez(out, **images)


if __name__ == "__main__":
    main(sys.argv[1])
