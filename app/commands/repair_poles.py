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
With --method ldm3d the caps are filled by masked denoising with a 4-channel LDM3D model
instead (RePaint-style: the known ring is re-imposed at every step); the result records the
method, the model and its licence.

examples:
  panoforge repair-poles forest.panoforge
  panoforge repair-poles hall.panoforge --result r2 --band 25 --feather 5 --caps bottom
  panoforge repair-poles hall.panoforge --method ldm3d --model ./models/ldm3d-4c --prompt "a vaulted stone ceiling"
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
    m = parser.add_argument_group("model path (--method ldm3d)")
    m.add_argument("--method", choices=("classical", "ldm3d"), default="classical",
                   help="classical (OpenCV inpainting, default) or ldm3d (masked denoising with "
                   "a 4-channel LDM3D model; needs its weights)")
    m.add_argument("--model", metavar="FOLDER|ID", help="model folder or Hugging Face id")
    m.add_argument("--model-backend", choices=("ldm3d-4c", "ldm3d-pano"), default="ldm3d-4c",
                   help="which model family --model is (default ldm3d-4c)")
    m.add_argument("--prompt", default=None, help="what the caps show (e.g. 'a wooden ceiling')")
    m.add_argument("--steps", type=int, default=30, help="denoising steps (default 30)")
    m.add_argument("--guidance", type=float, default=7.0)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")


def run(args: argparse.Namespace) -> int:
    from app import workflows_stages
    from app.progress import TerminalProgress
    from models.ldm3d_sr.poles import PoleSettings

    from ._child_result import add_child, open_parent

    project, parent = open_parent(args.project, args.result)
    extra = {} if args.prompt is None else {"prompt": args.prompt}
    settings = PoleSettings(band_deg=args.band, feather_deg=args.feather, caps=args.caps,
                            face_size=args.face_size, method=args.method, model=args.model,
                            model_backend=args.model_backend, steps=args.steps,
                            guidance=args.guidance, seed=args.seed, device=args.device, **extra)
    with TerminalProgress("repair poles") as bar:
        staged = workflows_stages.repair_poles(parent.panorama, settings,
                                               parent_label=parent.label, on_progress=bar)
    added, out = add_child(project, staged, parent, args.project, args.output)
    print(f"added result {added.id} ({args.caps} caps of {parent.id} repaired by {args.method}, "
          f"band {args.band:g}°, feather {args.feather:g}°) to {out}; {added.id} is active")
    return 0
