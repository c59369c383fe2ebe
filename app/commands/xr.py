"""`panoforge xr`: stand inside a project's scene in a VR headset (OpenXR).

This process imports only numpy, pyopenxr, PyOpenGL and ``scene`` (no torch, no Qt, no vispy),
so it starts fast and a runtime failure cannot touch the editor that launched it.
"""

from __future__ import annotations

import argparse

HELP = "view a project's scene in a VR headset (OpenXR: SteamVR, Quest Link, Monado, WMR)"
DESCRIPTION = """\
Open an OpenXR session and show the project's active result (or --result) as its
DepthFusion mesh, at true scale, both eyes tracked. You start at the capture point at
standing eye height, facing the panorama's centre.

controls (Touch, Index; the simple controller has recentre only):
  left thumbstick          move around the capture point (within 0.75 m)
  right thumbstick         snap turn 30 degrees
  right grip + right       scale the scene up / down (1.41x a push, 1/8x to 8x,
    thumbstick up/down     about the capture point)
  B (right)                next result of the project
  Y (Touch), left B        previous result (both wrap around)
    (Index)
  A / X (Touch), A (Index), recentre: back to the capture point at true scale,
    select (simple)        facing where you look

An OpenXR runtime must be running: SteamVR, Meta Quest Link, Monado or Windows Mixed
Reality. Ctrl+C ends the session cleanly.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="a .panoforge project file")
    parser.add_argument("--result", metavar="ID", help="result to show (default: the active one)")
    parser.add_argument("--space", choices=("auto", "stage", "local"), default="auto",
                        help="reference space: stage (room scale, floor at 0) where the runtime "
                             "has it, else local (default: auto)")
    parser.add_argument("--gl", choices=("auto", "egl", "glfw"), default="auto",
                        help="OpenGL context: egl (headless, Monado) or glfw (a hidden window; "
                             "SteamVR, Quest Link, WMR); default: egl only on Linux without a "
                             "display")
    # Used by the window's "View in headset" (app.xr_launcher) and by the tests.
    parser.add_argument("--control-file", help=argparse.SUPPRESS)
    parser.add_argument("--frames", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dump-eyes", metavar="DIR", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from scene.errors import InputError

    if args.frames is not None and args.frames < 1:
        raise InputError(f"--frames must be at least 1, got {args.frames}")
    from renderers.xr.frame_loop import run_session
    from renderers.xr.scene_source import SceneSource
    from renderers.xr.session import XRSession

    # The project is read and checked first, then the runtime is found (without one the user
    # hears so at once), and only then is the mesh built.
    source = SceneSource(args.project, result_id=args.result, control_file=args.control_file)
    sess = XRSession(gl=args.gl, space=args.space)
    try:
        source.build()
        mirror = None
        if source.mirror_path is not None:
            from renderers.xr.mirror import Mirror

            mirror = Mirror(source.mirror_path)
        summary = run_session(sess, source, frames=args.frames, dump_dir=args.dump_eyes,
                              mirror=mirror)
    finally:
        sess.close()
    return 0 if summary["frames"] > 0 or args.frames is None else 1
