"""``panoforge layer``: make a result walkable (fill layers behind the foreground)."""

from __future__ import annotations

import argparse
import sys

HELP = "make a scene walkable: fill what a moved eye sees behind the foreground, as layers"
DESCRIPTION = """\
Split the result's dome at its depth discontinuities (the mesh's cut threshold), find what an
eye anywhere within --walk-radius metres of the centre can see behind the foreground, fill it
in colour and depth, and add it to the result as layers (exported, rendered and shown in the
headset with the dome). The walk zone with and without the layers is measured and printed.

  panoforge layer scene.panoforge
  panoforge layer scene.panoforge --walk-radius 0.8 --fill classical

--fill procedural (results of the procedural generator: exact), classical (OpenCV
inpainting, no weights) or ldm3d (LDM3D masked denoising from moved poses with stochastic
conditioning; needs its weights). The default is procedural where it applies, else classical.
The project is saved only when everything is done (Ctrl+C leaves it unchanged).
"""


#: models.fillers.FILLERS (not imported here, so --help stays cheap).
FILL_CHOICES = ("procedural", "ldm3d", "classical")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a .panoforge file")
    parser.add_argument("--result", default=None, metavar="ID",
                        help="the result (dome) to layer (default: the active one)")
    parser.add_argument("--walk-radius", type=float, default=0.5, metavar="M",
                        help="metres the viewer may move from the centre (default 0.5)")
    parser.add_argument("--fill", choices=FILL_CHOICES, default=None,
                        help="how hidden parts are filled (default: procedural for "
                        "procedural results, else classical)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the ldm3d filler")
    parser.add_argument("--model", default=None,
                        help="ldm3d filler: model folder or Hugging Face id (default ldm3d-pano)")
    parser.add_argument("--steps", type=int, default=None, help="ldm3d filler: denoising steps")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="ldm3d filler: where to run")
    parser.add_argument("--views", type=int, default=None, metavar="N",
                        help="ldm3d filler: poses to generate, 1 to 14 (default 14: the six "
                        "axis offsets and the eight corners at the walk radius)")


def run(args: argparse.Namespace) -> int:
    from app import workflows
    from app.progress import TerminalProgress
    from app.workflows_layers import LayerRequest, make_walkable
    from scene.project import load_project

    project = load_project(args.project)
    project.pick(args.result)  # a bad --result is refused before any work
    options = {}
    if args.fill == "ldm3d":
        options = {k: v for k, v in (("model", args.model), ("steps", args.steps),
                                     ("device", args.device), ("views", args.views))
                   if v is not None}
    request = LayerRequest(result_id=args.result, walk_radius=args.walk_radius, fill=args.fill,
                           seed=args.seed, options=options)
    with TerminalProgress("layer") as bar:
        out = make_walkable(project, request, on_progress=bar)
    workflows.save(project, args.project)
    z = out.zones
    print(f"added {len(out.layers)} layer(s) ({out.fill}) to result {out.result.id} of "
          f"{args.project} in {out.seconds:.1f} s")
    print(f"walk zone: {z['layers'].describe()} with layers, {z['dome'].describe()} without "
          f"(largest radius with at most 0.1 % hole pixels)")
    if z["layers"].radius < args.walk_radius:
        print(f"note: the layers do not cover the whole --walk-radius {args.walk_radius:g} m "
              "(thin or grazing surfaces keep cracks at this cut threshold)", file=sys.stderr)
    return 0
