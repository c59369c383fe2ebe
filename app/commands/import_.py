"""``panoforge import``: bring your own panorama (with or without depth) into a project."""

from __future__ import annotations

import argparse
import sys

HELP = "import your own equirect panorama (and depth map) into a project"
DESCRIPTION = """\
Import an equirectangular panorama (PNG, JPEG, WebP or EXR), optionally with its depth map
(16- or 8-bit greyscale PNG, EXR or .npy), into a .panoforge project.

Depth: --depth-kind says what the values measure:
  distance   radial distance from the camera (default; 16-bit PNG in millimetres unless
             --depth-unit says otherwise, EXR/.npy in metres)
  zdepth     planar depth along the cube-face axis (a six-face depth capture), made radial
  disparity  normalised inverse depth, 1 = near, 0 = far; --near and --far set the scale
Without --depth the panorama is shown flat, on a sphere of --flat-radius metres, unless
--estimate-depth gives it depth with a monocular depth model (Depth Anything V2 on overlapping
360° tiles, aligned and blended; relative models are scaled by --camera-height). That needs
the model's weights (there is no classical way to get depth from one picture): without them
the command says which to download and how.

A JPEG whose GPano (Photo Sphere) tags say it covers only part of the sphere is placed at its
longitude/latitude range; the rest is black with unknown depth.

If OUT already exists, the import is added to that project as a new result (and made
active); nothing already in it is changed or lost.

examples:
  panoforge import pano.jpg -o mine.panoforge
  panoforge import pano.png --depth depth16.png -o mine.panoforge
  panoforge import pano.png --depth disp.png --depth-kind disparity --near 0.5 --far 30 -o mine.panoforge
  panoforge import wide.jpg --fit pad -o mine.panoforge
  panoforge import theta.jpg --estimate-depth -o mine.panoforge
  panoforge import room.jpg --estimate-depth --depth-model depth-anything-v2-indoor-small -o mine.panoforge
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rgb", metavar="RGB", help="the panorama image (2:1 equirect)")
    parser.add_argument("--depth", metavar="FILE", help="its depth map (same aspect, any resolution up to the RGB's)")
    parser.add_argument("--depth-kind", choices=("disparity", "zdepth", "distance"),
                        help="what the depth values measure (default: distance; 8-bit: disparity)")
    parser.add_argument("--near", type=float, metavar="M", help="disparity 1 maps to this distance, metres (default 1)")
    parser.add_argument("--far", type=float, metavar="M", help="disparity 0 maps to this distance, metres (default 40)")
    parser.add_argument("--depth-unit", type=float, metavar="M",
                        help="metres per stored depth unit (default 0.001 for 16-bit PNG, 1 for EXR/.npy)")
    parser.add_argument("--fit", choices=("error", "pad", "crop"), default="error",
                        help="an image that is not 2:1: refuse (default), pad around it, or crop to the centre")
    parser.add_argument("--downsample", type=int, default=1, metavar="N",
                        help="divide the width and height by N (for images too large to mesh)")
    parser.add_argument("--flat-radius", type=float, default=10.0, metavar="M",
                        help="radius where there is no depth, metres (default 10)")
    parser.add_argument("--allow-partial-depth", action="store_true",
                        help="accept a depth map whose values are mostly unusable (NaN, inf, 0)")
    parser.add_argument("--estimate-depth", action="store_true",
                        help="estimate depth with a monocular depth model (needs its weights)")
    parser.add_argument("--depth-model", metavar="NAME|FOLDER",
                        help="depth model for --estimate-depth: a name such as "
                        "depth-anything-v2-small (default), a Hugging Face id or a folder")
    parser.add_argument("--camera-height", type=float, default=1.6, metavar="M",
                        help="camera height above the floor, metres: the scale of relative "
                        "estimated depth (default 1.6)")
    parser.add_argument("--known-point", type=float, nargs=3, metavar=("LON", "LAT", "M"),
                        help="instead of --camera-height: the direction (degrees; 0 0 = the "
                        "image centre) of a point whose distance is M metres")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where the depth model runs (default: CUDA when present)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.panoforge",
                        help="project file to create, or to add the result to if it exists")


def _fmt_range(pano) -> str:
    lo, hi = pano.depth_range()
    if lo != lo:  # NaN
        return "unknown"
    return f"{lo:.3f} m .. {hi:.3f} m"


def run(args: argparse.Namespace) -> int:
    from app import workflows
    from models.import_source import ImportRequest

    out = args.output
    # Read first: an unreadable OUT is refused here, before any work, and never replaced.
    project, existed = workflows.open_for_adding(out)
    request = ImportRequest(
        rgb_path=args.rgb, depth_path=args.depth, kind=args.depth_kind, near=args.near,
        far=args.far, unit=args.depth_unit, fit=args.fit, downsample=args.downsample,
        flat_radius=args.flat_radius, allow_partial_depth=args.allow_partial_depth,
        estimate_depth=args.estimate_depth, depth_model=args.depth_model,
        camera_height=args.camera_height, device=args.device,
        known_point=tuple(args.known_point) if args.known_point else None,
    )
    if args.estimate_depth:
        from app.progress import TerminalProgress

        with TerminalProgress("estimating depth") as bar:
            made = workflows.import_panorama(request, on_progress=bar)
    else:
        made = workflows.import_panorama(request)
    for message in made.warnings:
        print(f"warning: {message}", file=sys.stderr)
    added = workflows.add_to_project(project, made)
    workflows.save(project, out)
    pano = made.panorama
    if existed:
        print(f"added result {added.id} to the existing project {out} "
              f"(now {len(project.results)} results; {added.id} is active)")
    else:
        print(f"wrote {out} (result {added.id})")
    print(f"  panorama: {pano.width}x{pano.height}")
    if pano.has_depth:
        interp = pano.interpretation
        extra = f", near {interp.near:g} m, far {interp.far:g} m" if interp.kind == "disparity" else ""
        print(f"  depth: {interp.kind} from {interp.source}{extra}; range {_fmt_range(pano)}")
    else:
        print(f"  depth: none (flat at {pano.flat_radius:g} m)")
    return 0
