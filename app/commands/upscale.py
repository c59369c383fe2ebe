"""``panoforge upscale``: a result of a project, ×4 in colour and depth, as a new result."""

from __future__ import annotations

import argparse
import sys

HELP = "upscale a result x4 (colour and depth): LDM3D-SR with weights, else classical"
DESCRIPTION = """\
Upscale one result of a .panoforge project four times along both axes (1024x512 becomes
4096x2048), colour and depth together, and add it to the project as a new result whose parent
is the source (the source is never changed). Every setting is recorded in the new result.

Methods (--method):
  sr          LDM3D-SR (Intel/ldm3d-sr) through diffusers; needs its weights (--model FOLDER or
              ID, <models>/ldm3d-sr, or the Hugging Face cache). Runs in overlapping tiles that
              wrap around the 360° seam, so 4096x2048 fits in the memory one tile needs.
  classical   no weights: OpenCV bicubic colour; depth upsampled guided by the colour (a
              guided filter decides, pixel by pixel, which side of a depth edge it is on, so
              foreground and background are never blended).
  auto        (default) sr when its weights are found (or --model is given) and the result
              has depth, else classical; a one-line notice says which and why.

examples:
  panoforge upscale forest.panoforge
  panoforge upscale forest.panoforge --result r2 --method classical
  panoforge upscale forest.panoforge --method sr --model ./models/ldm3d-sr --steps 75 --seed 1
  panoforge upscale forest.panoforge --method sr --tile 512 --overlap 128 --device cuda
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a .panoforge file")
    parser.add_argument("--result", metavar="ID", help="the result to upscale (default: active)")
    parser.add_argument("--method", choices=("auto", "sr", "classical"), default="auto",
                        help="sr (LDM3D-SR weights), classical (no weights), or auto (default)")
    parser.add_argument("-o", "--output", metavar="OUT.panoforge",
                        help="write the project here instead of back to PROJECT")
    sr = parser.add_argument_group("LDM3D-SR (--method sr)")
    sr.add_argument("--model", metavar="FOLDER|ID", help="model folder or Hugging Face id "
                    "(default Intel/ldm3d-sr)")
    sr.add_argument("--prompt", default=None, help="text prompt (default: the upscaling prompt "
                    "Intel's example uses)")
    sr.add_argument("--negative-prompt", default="", metavar="TEXT")
    sr.add_argument("--steps", type=int, help="denoising steps (default 75)")
    sr.add_argument("--guidance", type=float, help="classifier-free guidance (default 9)")
    sr.add_argument("--noise-level", type=int, help="the model's noise-level label (default 20)")
    sr.add_argument("--seed", type=int, default=0, help="same seed, same pixels (default 0)")
    sr.add_argument("--scheduler", choices=("ddim", "dpm++2m", "euler-a"), default="ddim")
    sr.add_argument("--tile", type=int, default=512, metavar="PX",
                    help="tile edge in output pixels (default 512; smaller needs less memory)")
    sr.add_argument("--overlap", type=int, default=128, metavar="PX",
                    help="tile overlap in output pixels (default 128)")
    sr.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    cl = parser.add_argument_group("classical (--method classical)")
    cl.add_argument("--edge-threshold", type=float, default=0.05, metavar="X",
                    help="log-depth second difference that counts as a depth edge (default 0.05)")


def run(args: argparse.Namespace) -> int:
    from app import workflows_stages
    from app.progress import TerminalProgress
    from models.ldm3d_sr.backend import DEFAULT_PROMPT, SRRequest
    from models.ldm3d_sr.classical import ClassicalSettings
    from models.ldm3d_sr.upscale import choose_method

    from ._child_result import add_child, open_parent

    project, parent = open_parent(args.project, args.result)
    sr = SRRequest(prompt=args.prompt if args.prompt is not None else DEFAULT_PROMPT,
                   negative_prompt=args.negative_prompt, seed=args.seed, steps=args.steps,
                   guidance=args.guidance, noise_level=args.noise_level,
                   scheduler=args.scheduler, tile=args.tile, overlap=args.overlap,
                   device=args.device, model=args.model)
    classical = ClassicalSettings(edge_threshold=args.edge_threshold)
    method, why = choose_method(args.method, parent.panorama, args.model)
    print(f"upscaling {parent.id} ({parent.panorama.width}x{parent.panorama.height}) with "
          f"{method}: {why}", file=sys.stderr)
    with TerminalProgress(f"upscale ({method})") as bar:
        staged = workflows_stages.upscale(parent.panorama, method, sr, classical,
                                          parent_label=parent.label, on_progress=bar)
    added, out = add_child(project, staged, parent, args.project, args.output)
    pano = staged.panorama
    print(f"added result {added.id} (x4 {method} of {parent.id}, {pano.width}x{pano.height}) "
          f"to {out}; {added.id} is active")
    return 0
