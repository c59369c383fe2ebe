"""``panoforge score``: the 3D consistency score of a result's scene."""

from __future__ import annotations

import argparse
import json

HELP = "measure how 3D-consistent a scene is from poses inside its walk radius"
DESCRIPTION = """\
Render views of the result's scene (dome and layers) from poses on the walk radius (the six
axis offsets by default), hold each one out in turn, rebuild it from the others' colour and
depth, and compare: PSNR (dB), SSIM and the share of hole pixels. Higher PSNR/SSIM and fewer
holes mean the views agree on one 3D scene. Results of the procedural generator are also
compared with the generator's exact renders from the same poses.

  panoforge score scene.panoforge
  panoforge score scene.panoforge --views 14 --radius 0.3 --json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a .panoforge file")
    parser.add_argument("--result", default=None, metavar="ID",
                        help="the result to score (default: the active one)")
    parser.add_argument("--views", type=int, default=6, metavar="N",
                        help="number of poses, 2 to 14 (default 6: the six axis offsets)")
    parser.add_argument("--radius", type=float, default=None, metavar="M",
                        help="metres from the centre (default: the layers' walk radius, 0.5)")
    parser.add_argument("--no-exact", dest="exact", action="store_false",
                        help="skip the comparison with exact renders (procedural results)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from app.progress import TerminalProgress
    from app.workflows_layers import score_result
    from models.base import Progress
    from scene.project import load_project

    project = load_project(args.project)
    result = project.pick(args.result)
    with TerminalProgress("score") as bar:
        score = score_result(project, result.id, n_views=args.views, radius=args.radius,
                             exact=args.exact,
                             on_progress=lambda k, n, msg: bar(Progress(k, n, message=msg)))
    d = score.to_dict()
    if args.json:
        print(json.dumps({"result": result.id, "layers": len(result.layers), **d}, indent=2,
                         sort_keys=True))
        return 0
    print(f"result {result.id} ({len(result.layers)} layer(s)), {len(score.views)} views at "
          f"{score.radius:g} m: PSNR {score.psnr:.2f} dB, SSIM {score.ssim:.4f}, "
          f"holes {100 * score.hole_fraction:.3f} %")
    if score.exact is not None:
        e = d["exact"]
        print(f"against exact renders: PSNR {e['psnr_db']:.2f} dB, SSIM {e['ssim']:.4f}, "
              f"holes {100 * e['hole_fraction']:.3f} %")
    return 0
