"""``panoforge repair-poles``: re-synthesise the zenith and nadir caps of a result."""

from __future__ import annotations

import argparse

HELP = "repair the smeared zenith and nadir of a result (a new result; no weights needed)"
DESCRIPTION = """\
Re-synthesise the caps around the zenith and the nadir of one result of a .panoforge project,
colour and depth together, and add the repaired panorama as a new result whose parent is the
source (the source is never changed; every setting is recorded).

Each cap (the latitudes within --band degrees of a pole) is projected to a 90° view looking
straight up or down, filled from the ring around it with OpenCV's inpainting (depth as planar
or radial depth, whichever is flatter on the ring, so a flat ceiling, floor or sky comes back
exact), and projected back with a --feather degrees wide blend into the original.
LDM3D masked denoising for the caps is not implemented yet; the result records the method.

examples:
  panoforge repair-poles forest.panoforge
  panoforge repair-poles hall.panoforge --result r2 --band 25 --feather 5 --caps bottom
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a .panoforge file")
    parser.add_argument("--result", metavar="ID", help="the result to repair (default: active)")
    parser.add_argument("--band", type=float, default=20.0, metavar="DEG",
                        help="cap size: degrees from the pole that are re-synthesised (default 20)")
    parser.add_argument("--feather", type=float, default=5.0, metavar="DEG",
                        help="width of the blend into the original, degrees (default 5)")
    parser.add_argument("--caps", choices=("both", "top", "bottom"), default="both")
    parser.add_argument("--face-size", type=int, metavar="PX",
                        help="size of the up/down view, pixels (default: width / 4)")
    parser.add_argument("-o", "--output", metavar="OUT.panoforge",
                        help="write the project here instead of back to PROJECT")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.progress import TerminalProgress
    from app.workflows import open_for_adding, save
    from models.ldm3d_sr.poles import PoleSettings, repair_poles
    from scene.errors import InputError

    src = Path(args.project)
    if not src.exists():
        raise InputError(f"{src} does not exist", hint="give an existing .panoforge project")
    project, _ = open_for_adding(src)
    parent = project.pick(args.result)
    settings = PoleSettings(band_deg=args.band, feather_deg=args.feather, caps=args.caps,
                            face_size=args.face_size)
    with TerminalProgress("repair poles") as bar:
        result = repair_poles(parent.panorama, settings, on_progress=bar)
    added = project.add_result(result.panorama, kind="repaired", parent_id=parent.id,
                               label=f"{parent.label} (poles repaired)")
    out = save(project, Path(args.output) if args.output else src)
    print(f"added result {added.id} ({args.caps} caps of {parent.id} repaired, band "
          f"{args.band:g}°, feather {args.feather:g}°) to {out}; {added.id} is active")
    return 0
