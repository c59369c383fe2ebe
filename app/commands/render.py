"""``panoforge render``: a view from inside a project's scene, rendered offscreen to an image."""

from __future__ import annotations

import argparse
import time

from ._mesh_options import add_mesh_arguments, mesh_settings_from_args

HELP = ("render a view from inside a result's 3D scene to a PNG/JPEG, or a fly-through video "
        "(MP4), without a window")
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

fly-through video (H.264 MP4; -o NAME.mp4 with --path or --orbit):
  panoforge render scene.panoforge --orbit 0.3 --duration 12 -o tour.mp4
  panoforge render scene.panoforge --path tour.json --fps 30 --size 1920x1080 -o tour.mp4
  panoforge render scene.panoforge --orbit 0.3 --equirect -o tour360.mp4   (360° video)

The path file is JSON: keyframes of time (s), eye (m), yaw/pitch/fov (degrees), interpolated
smoothly (passing through every keyframe) or linearly; keys left out keep the previous value:
  {"version": 1, "interpolation": "smooth", "keyframes": [
     {"t": 0, "eye": [0, 0, 0], "yaw": 0, "pitch": 0, "fov": 90},
     {"t": 4, "eye": [0.3, 0, -0.2], "yaw": 90, "pitch": -10},
     {"t": 8, "eye": [0, 0, 0], "yaw": 360}]}
Yaw is not wrapped (0 then 360 is a full turn right). --orbit R circles the capture point at R
metres looking outwards, one turn in --duration seconds. --equirect writes 2:1 equirect frames
(default 2048x1024) seen from the path's eye, centred on its yaw, for YouTube and VR players
(add the 360° metadata with a spatial-media injector before uploading). Ctrl+C stops and
leaves no partial file.
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
    parser.add_argument("-o", "--output", metavar="OUT.png|OUT.mp4", required=True,
                        help="image to write (.png or .jpg), or a video (.mp4) with --path "
                             "or --orbit")
    parser.add_argument("--result", metavar="ID", help="which result (default: the active one)")
    parser.add_argument("--yaw", type=float, default=None, metavar="D",
                        help="degrees to the right of the panorama centre (default: the "
                             "panorama's recorded initial heading (GPano), else 0)")
    parser.add_argument("--pitch", type=float, default=0.0, metavar="D",
                        help="degrees up (negative looks down; default 0)")
    parser.add_argument("--fov", type=float, default=90.0, metavar="D",
                        help="horizontal field of view in degrees (default 90)")
    parser.add_argument("--size", type=_size, default=None, metavar="WxH",
                        help="image size in pixels (default 1280x720; 2048x1024 with "
                             "--equirect)")
    parser.add_argument("--mode", choices=("textured", "depth", "wireframe", "points"),
                        default="textured", help="what to draw (default textured)")
    parser.add_argument("--eye", type=_eye, default=(0.0, 0.0, 0.0), metavar="X,Y,Z",
                        help="eye position in metres from the capture point (default 0,0,0)")
    parser.add_argument("--supersample", type=int, default=2, metavar="N",
                        help="render N times larger and average down for smooth edges "
                             "(1 to 4, default 2)")
    add_mesh_arguments(parser, default="the project's")
    video = parser.add_argument_group("fly-through video")
    route = video.add_mutually_exclusive_group()
    route.add_argument("--path", metavar="PATH.json",
                       help="camera keyframes (see the format above)")
    route.add_argument("--orbit", type=float, metavar="R",
                       help="circle the capture point at R metres, looking outwards")
    video.add_argument("--duration", type=float, default=10.0, metavar="S",
                       help="seconds of one --orbit turn (default 10)")
    video.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    video.add_argument("--equirect", action="store_true",
                       help="360° video: equirect frames for YouTube / VR players")
    video.add_argument("--crf", type=int, default=17, metavar="Q",
                       help="H.264 quality, 0 (lossless) to 51 (default 17)")


def _is_video(args) -> bool:
    from pathlib import Path

    from renderers.video_file import VIDEO_SUFFIXES

    return Path(args.output).suffix.lower() in VIDEO_SUFFIXES


def run(args: argparse.Namespace) -> int:
    from scene.errors import InputError

    if args.path is not None or args.orbit is not None or args.equirect or _is_video(args):
        if not _is_video(args):
            raise InputError("--path/--orbit/--equirect make a video: -o must be a .mp4 file",
                             hint="for example -o tour.mp4")
        if args.path is None and args.orbit is None:
            raise InputError("a video needs a camera path",
                             hint="add --orbit 0.3 or --path tour.json")
        return _run_video(args)
    if args.size is None:
        args.size = (1280, 720)
    return _run_image(args)


def _run_video(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.progress import TerminalProgress
    from app.workflows_video import FlythroughRequest, record_flythrough
    from scene.errors import InputError
    from scene.project import load_project

    if Path(args.output).resolve() == Path(args.project).resolve():
        raise InputError("-o would overwrite the project file itself",
                         hint="choose another output path")
    project = load_project(args.project)
    project.mesh_settings = mesh_settings_from_args(project.mesh_settings, args)
    request = FlythroughRequest(
        output=args.output, result_id=args.result, path_file=args.path, orbit_m=args.orbit,
        duration_s=args.duration, fov_deg=args.fov, fps=args.fps, size=args.size,
        equirect=args.equirect, supersample=args.supersample, crf=args.crf)
    t0 = time.perf_counter()
    with TerminalProgress("rendering fly-through") as bar:
        info = record_flythrough(project, request, on_progress=bar)
    w, h = info.size
    kind = "360° equirect" if info.equirect else "perspective"
    print(f"wrote {args.output} ({w}x{h} {kind}, {info.frames} frames at {info.fps:g} fps, "
          f"{info.duration_s:.2f} s; eye up to {info.max_eye_m:.2f} m from the capture point) "
          f"in {time.perf_counter() - t0:.1f} s")
    from scene.walk_bounds import walk_bounds

    bounds = walk_bounds(project.scene(project.pick(args.result).id))
    if info.max_eye_m > bounds.radius + 1e-6:
        print(f"note: the path leaves the walk radius ({bounds.radius:.2f} m, {bounds.source}); "
              "holes may show beyond it (panoforge layer makes the scene walkable)")
    return 0


def _run_image(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.workflows_render import ViewRender, render_view_image
    from renderers.image_file import check_image_path
    from scene.errors import InputError
    from scene.gpano import initial_view_yaw_deg
    from scene.project import load_project

    out = check_image_path(args.output)
    if out.resolve() == Path(args.project).resolve():
        raise InputError("-o would overwrite the project file itself",
                         hint="choose another output path")
    project = load_project(args.project)
    result = project.pick(args.result)
    pano = result.panorama
    settings = mesh_settings_from_args(project.mesh_settings, args)
    if args.yaw is None:  # the default view faces the heading the panorama asks for
        args.yaw = initial_view_yaw_deg(pano) or 0.0
    view = ViewRender(yaw_deg=args.yaw, pitch_deg=args.pitch, fov_deg=args.fov, eye=args.eye,
                      size=args.size, mode=args.mode, supersample=args.supersample)

    def built(mesh, parts, seconds: float) -> None:
        print(f"result {result.id} ({pano.width}x{pano.height}): {mesh.n_faces:,} triangles "
              f"({settings.mode}) in {seconds:.2f} s")
        if not parts.empty:
            print(f"with {len(parts.layers)} layer(s) and {len(parts.props)} prop(s): "
                  f"{parts.n_faces:,} more triangles")
        built.at = time.perf_counter()

    # The same steps as the window's Render This View (the whole composition: the result's
    # layers, meshed with the same settings, and props).
    render_view_image(project.scene(result.id), settings, view, out, on_built=built)
    w, h = args.size
    print(f"wrote {out} ({w}x{h}, {args.mode}, yaw {args.yaw:g}°, pitch {args.pitch:g}°, "
          f"fov {args.fov:g}° horizontal) in {time.perf_counter() - built.at:.2f} s")
    return 0
