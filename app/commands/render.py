"""``panoforge render``: a view from inside a project's scene, rendered offscreen to an image."""

from __future__ import annotations

import argparse
import time

from ._mesh_options import add_mesh_arguments, mesh_settings_from_args

HELP = "render a view from inside a result's 3D scene to a PNG/JPEG, without a window"
DESCRIPTION = """\
Render what a visitor standing in the scene sees, offscreen with OpenGL (EGL, or a hidden
window on a display such as xvfb-run), from the DepthFusion mesh of one result of a
.panoforge project (the active one unless --result says otherwise).

Angles follow the panorama: --yaw 0 looks at the panorama's centre, positive yaw turns right,
positive --pitch looks up (-90 is straight down). --fov is the HORIZONTAL field of view.

Modes: textured (the panorama on the mesh), depth (distance through a colour map, near dark,
far yellow), wireframe (the mesh's edges), points (its vertices).

examples:
  panoforge render scene.panoforge -o view.png
  panoforge render scene.panoforge --yaw 90 --pitch -10 --fov 100 --size 1920x1080 -o right.png
  panoforge render scene.panoforge --mode depth --mesh adaptive -o depth.png
  panoforge render scene.panoforge --eye 0.3,0,0 -o parallax.png
"""


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT like 1280x720, got {text!r}") from None
    return w, h


def _eye(text: str) -> tuple[float, float, float]:
    try:
        x, y, z = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y,Z in metres like 0.2,0,0, got {text!r}") from None
    return x, y, z


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a .panoforge file")
    parser.add_argument("-o", "--output", metavar="OUT.png", required=True,
                        help="image to write (.png or .jpg)")
    parser.add_argument("--result", metavar="ID", help="which result (default: the active one)")
    parser.add_argument("--yaw", type=float, default=0.0, metavar="D",
                        help="degrees to the right of the panorama centre (default 0)")
    parser.add_argument("--pitch", type=float, default=0.0, metavar="D",
                        help="degrees up (negative looks down; default 0)")
    parser.add_argument("--fov", type=float, default=90.0, metavar="D",
                        help="horizontal field of view in degrees (default 90)")
    parser.add_argument("--size", type=_size, default=(1280, 720), metavar="WxH",
                        help="image size in pixels (default 1280x720)")
    parser.add_argument("--mode", choices=("textured", "depth", "wireframe", "points"),
                        default="textured", help="what to draw (default textured)")
    parser.add_argument("--eye", type=_eye, default=(0.0, 0.0, 0.0), metavar="X,Y,Z",
                        help="eye position in metres from the capture point (default 0,0,0)")
    parser.add_argument("--supersample", type=int, default=2, metavar="N",
                        help="render N times larger and average down for smooth edges "
                             "(1 to 4, default 2)")
    add_mesh_arguments(parser, default="the project's")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from renderers.image_file import check_image_path
    from scene.errors import InputError
    from scene.mesh import build_depth_mesh
    from scene.project import load_project

    out = check_image_path(args.output)
    if out.resolve() == Path(args.project).resolve():
        raise InputError("-o would overwrite the project file itself",
                         hint="choose another output path")
    project = load_project(args.project)
    result = project.pick(args.result)
    pano = result.panorama
    settings = mesh_settings_from_args(project.mesh_settings, args)

    t0 = time.perf_counter()
    mesh = build_depth_mesh(pano, settings)
    t1 = time.perf_counter()
    print(f"result {result.id} ({pano.width}x{pano.height}): {mesh.n_faces:,} triangles "
          f"({settings.mode}) in {t1 - t0:.2f} s")

    from renderers.offscreen import write_render
    from renderers.scene_parts import scene_parts

    # The whole composition: the result's layers (meshed with the same settings) and props.
    parts = scene_parts(project.scene(result.id), settings)
    if not parts.empty:
        print(f"with {len(parts.layers)} layer(s) and {len(parts.props)} prop(s): "
              f"{parts.n_faces:,} more triangles")
    write_render(out, pano, mesh, yaw_deg=args.yaw, pitch_deg=args.pitch, fov_deg=args.fov,
                 size=args.size, mode=args.mode, eye=args.eye, supersample=args.supersample,
                 parts=parts)
    w, h = args.size
    print(f"wrote {out} ({w}x{h}, {args.mode}, yaw {args.yaw:g}°, pitch {args.pitch:g}°, "
          f"fov {args.fov:g}° horizontal) in {time.perf_counter() - t1:.2f} s")
    return 0
