"""``panoforge generate``: a prompt becomes an RGBD panorama in a project, plus meshes and a preview."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from ._mesh_options import add_mesh_arguments, mesh_options_given, mesh_settings_from_args

HELP = "generate an RGBD panorama from a prompt (built-in procedural, or LDM3D with weights)"
DESCRIPTION = """\
Generate a 360° RGBD panorama from a prompt and save it into a .panoforge project; optionally
also write a GLB or PLY mesh and a preview picture of the view from inside.

Backends (--backend):
  procedural   built in, needs no weights: ray-cast analytic scenes with exact depth. It reads
               the prompt for a scene (forest, desert, snowy mountains, ocean/beach, hall/
               library/cathedral, cave), a time of day (dawn, day, sunset, night), a mood
               (misty, clear, cloudy, snowy, autumn) and colour words (red, golden, ...).
  ldm3d-pano   Intel/ldm3d-pano through diffusers: 1024x512 equirect RGB + depth
  ldm3d-4c     Intel/ldm3d-4c: 512x512 perspective RGB + depth, placed in a panorama
  ldm3d        Intel/ldm3d: 512x512 perspective RGB + depth, placed in a panorama
Without --backend, ldm3d-pano is used when its weights are on disk and a CUDA GPU is present,
otherwise procedural (a one-line notice says which and why).

If OUT already exists, the new result is added to that project and made active; nothing
already in it is changed. Ctrl+C during generation cancels cleanly and writes nothing; during
the exports it stops after the file being written (every file is written whole or not at all,
and the project is already saved).

examples:
  panoforge generate "a misty pine forest at dawn" --seed 7 -o forest.panoforge --glb forest.glb --preview forest.png
  panoforge generate "red desert dunes at sunset" --backend procedural --width 2048 -o desert.panoforge
  panoforge generate "a cozy library" --backend ldm3d-pano --steps 50 --guidance 7 -o lib.panoforge
  panoforge generate "a sunny beach" --upscale -o beach.panoforge    (then x4 as a child result)
  panoforge generate "a castle courtyard" --backend ldm3d-pano --model ./models/ldm3d-pano --device cuda --vae-tiling -o c.panoforge
"""

#: Size of the --preview picture (a 90° horizontal view facing the panorama centre).
PREVIEW_SIZE = (1280, 640)
PREVIEW_FOV_DEG = 90.0


def _backend_names() -> list[str]:
    from models.registry import BACKENDS

    return [name for name, info in BACKENDS.items() if info.kind == "text"]


def _defaults(field: str) -> str:
    """A default of the diffusion backends as the help shows it, from their specs
    (``"50"``, or ``"7 (ldm3d-pano), 7.5 (ldm3d)"`` where they differ)."""
    from models.registry import BACKENDS

    values = {name: getattr(info.defaults, field) for name, info in BACKENDS.items()
              if info.defaults is not None and info.needs_weights}
    if len(set(values.values())) == 1:
        return f"{next(iter(values.values())):g}"
    return ", ".join(f"{v:g} ({name})" for name, v in values.items())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", metavar="PROMPT", help="what to make, e.g. \"a misty pine forest at dawn\"")
    parser.add_argument("--backend", choices=_backend_names(), metavar="NAME",
                        help="generator: " + ", ".join(_backend_names())
                        + " (default: ldm3d-pano with weights and a GPU, else procedural)")
    parser.add_argument("--model", metavar="PATH_OR_ID",
                        help="LDM3D weights: a local diffusers folder or a Hugging Face id")
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="random seed; the same seed and settings give the same pixels (default 0)")
    parser.add_argument("--steps", type=int, metavar="N",
                        help="denoising steps (LDM3D; default " + _defaults("steps") + ")")
    parser.add_argument("--guidance", type=float, metavar="G",
                        help="classifier-free guidance scale (LDM3D; default "
                        + _defaults("guidance") + ")")
    parser.add_argument("--negative", default="", metavar="TEXT", help="negative prompt (LDM3D)")
    parser.add_argument("--width", type=int, metavar="W", help="width in pixels (panoramas are 2:1)")
    parser.add_argument("--height", type=int, metavar="H", help="height in pixels")
    parser.add_argument("--scheduler", metavar="NAME", help="ddim, dpm++2m or euler-a (LDM3D)")
    parser.add_argument("--seamless", action=argparse.BooleanOptionalAction, default=True,
                        help="make the panorama join at its left/right edge (default on)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where LDM3D runs (default auto: CUDA when present)")
    parser.add_argument("--attention-slicing", action="store_true",
                        help="less GPU memory, a little slower (LDM3D)")
    parser.add_argument("--vae-tiling", action="store_true",
                        help="decode in tiles: less GPU memory for large images (LDM3D)")
    parser.add_argument("--cpu-offload", action="store_true",
                        help="keep model parts on the CPU until needed: least GPU memory (LDM3D)")
    parser.add_argument("--upscale", action="store_true",
                        help="then upscale the result x4 (colour and depth) as its child result; "
                        "--glb/--ply/--preview are written from the upscaled one")
    parser.add_argument("--upscale-method", choices=("auto", "sr", "classical"), default=None,
                        help="with --upscale: sr (LDM3D-SR weights), classical (no weights) or "
                        "auto (default: sr when its weights are found and the result has depth)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.panoforge",
                        help="project file to create, or to add the result to if it exists")
    parser.add_argument("--glb", metavar="X.glb", help="also write a GLB mesh of the result")
    parser.add_argument("--ply", metavar="X.ply", help="also write a binary PLY mesh")
    parser.add_argument("--preview", metavar="X.png",
                        help="also write a picture of the view from inside (90° facing the centre; "
                             "drawn without cut triangles unless --cut-threshold is given)")
    add_mesh_arguments(parser, default="the project's")


# -- checks before any work -----------------------------------------------------------------
def _check_outputs(args: argparse.Namespace) -> Path:
    from scene.errors import InputError

    out = Path(args.output)
    if out.suffix.lower() != ".panoforge":
        raise InputError(f"-o {args.output!r}: the project file should end in .panoforge",
                         hint=f"for example -o {out.with_suffix('.panoforge').name}")
    wanted = {"--glb": (args.glb, (".glb",)), "--ply": (args.ply, (".ply",)),
              "--preview": (args.preview, (".png", ".jpg", ".jpeg"))}
    named = [("-o", out)]
    for flag, (value, suffixes) in wanted.items():
        if not value:
            continue
        path = Path(value)
        if path.suffix.lower() not in suffixes:  # (so no two outputs can name the same file)
            raise InputError(f"{flag} {value!r}: expected a {' or '.join(suffixes)} file name",
                             hint=f"for example {flag} {path.with_suffix(suffixes[0]).name}")
        named.append((flag, path))
    from scene.output_paths import check_output_file

    for flag, path in named:  # (a folder, device, FIFO, read-only disk: refused before work)
        check_output_file(path, flag)
    if getattr(args, "upscale_method", None) and not getattr(args, "upscale", False):
        raise InputError(f"--upscale-method {args.upscale_method} chooses how --upscale "
                         "upscales, and --upscale was not given",
                         hint="add --upscale, or drop --upscale-method")
    if mesh_options_given(args) and not (args.glb or args.ply or args.preview):
        raise InputError("--mesh, --max-error and --cut-threshold shape the mesh of "
                         "--glb/--ply/--preview, and none was given",
                         hint="add --glb X.glb (or --ply/--preview), or drop the mesh options")
    return out


def _pick_backend(name: str | None, model: str | None = None):
    from models.model_folder import backend_for_model
    from models.registry import BACKENDS, default_backend, get_backend
    from scene.errors import InputError

    if name is None and model:
        name, why = backend_for_model(model)
        print(f"notice: --model given: using {name} ({why})", file=sys.stderr)
    elif name is None:
        name, why = default_backend()
        print(f"notice: {why}", file=sys.stderr)
    elif model and name in BACKENDS and not BACKENDS[name].needs_weights:
        raise InputError(f"--model is for the LDM3D backends; {name} uses no model weights",
                         hint="drop --model, or choose --backend ldm3d-pano (or ldm3d-4c, ldm3d)")
    return get_backend(name)


def _request(args: argparse.Namespace):
    from models.base import GenerationRequest

    return GenerationRequest(
        prompt=args.prompt, negative_prompt=args.negative, seed=args.seed, steps=args.steps,
        guidance=args.guidance, width=args.width, height=args.height, scheduler=args.scheduler,
        device=args.device, seamless=args.seamless, model=args.model,
        attention_slicing=args.attention_slicing, vae_tiling=args.vae_tiling,
        cpu_offload=args.cpu_offload,
    )


# -- running with Ctrl+C as a clean cancel -------------------------------------------------
class _CancelOnInterrupt:
    """While active, the first Ctrl+C sets ``event`` (the backend stops within a step and
    raises ``CancelledError``); a second one interrupts at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous = None

    def _handler(self, signum, frame) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()
        print("\ncancelling... (Ctrl+C again to stop at once)", file=sys.stderr, flush=True)

    def __enter__(self) -> _CancelOnInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def _generate(backend, request, cancel: threading.Event):
    from app import workflows
    from app.progress import TerminalProgress

    with TerminalProgress(f"{backend.name}") as bar:
        made = workflows.generate(backend, request, on_progress=bar, cancel=cancel)
    for notice in made.notices:
        print(f"notice: {notice}", file=sys.stderr)
    return made


def _describe(pano, duration: float) -> str:
    md = pano.metadata
    bits = [f"{pano.width}x{pano.height}", f"seed {md.seed}"]
    extra = md.extra or {}
    if md.backend == "procedural" and "scene" in extra:
        bits.insert(0, f"{extra['scene']} at {extra.get('time_of_day', 'day')}")
    if md.steps:
        bits.append(f"{md.steps} steps")
    lo, hi = pano.depth_range()
    if lo == lo:
        bits.append(f"depth {lo:.2f}..{hi:.1f} m")
    bits.append(f"{duration:.1f} s")
    return ", ".join(bits)


# -- outputs -------------------------------------------------------------------------------
def _export_plan(args: argparse.Namespace, project):
    """The --glb/--ply/--preview files as a :class:`app.workflows.ExportPlan`.

    The preview is drawn from the same mesh as the GLB: what a cut removes is backed
    (:mod:`scene.backing`), so the view from the capture point has no cracks to hide.
    """
    from app.workflows import ExportPlan

    plan = ExportPlan(mesh_settings=mesh_settings_from_args(project.mesh_settings, args))
    if args.glb:
        plan.add("glb", args.glb)
    if args.ply:
        plan.add("ply", args.ply)
    if args.preview:
        plan.add("preview", args.preview, fov_deg=PREVIEW_FOV_DEG, size=PREVIEW_SIZE)
    return plan


def _write_outputs(args: argparse.Namespace, project, pano, cancel: threading.Event) -> None:
    from app import workflows
    from scene.errors import CancelledError

    plan = _export_plan(args, project)
    settings = plan.mesh_settings

    def mesh_line(mesh, seconds: float) -> None:
        print(f"mesh: {mesh.n_faces:,} triangles, {mesh.n_vertices:,} vertices ({settings.mode}, "
              f"{mesh.stats.get('cut_faces', 0):,} faces cut at threshold "
              f"{settings.cut_threshold:g}; {seconds:.2f} s)")

    def written(target, paths, done) -> None:
        if target.path in done.flat_previews:
            return  # said by the notice below
        extra = (f" (view from inside, {PREVIEW_FOV_DEG:g}° facing the centre)"
                 if target.format == "preview" else "")
        print(f"wrote {target.path}{extra}")

    try:
        done = workflows.export(plan, pano, cancel=cancel, on_written=written, on_mesh=mesh_line)
    except CancelledError as exc:
        raise CancelledError(exc.message, hint=f"the project {args.output} was saved; run "
                                               f"panoforge export {args.output} for the rest") from None
    for notice in done.notices:
        print(f"notice: {notice}", file=sys.stderr)


def _upscale(args: argparse.Namespace, project, parent, cancel: threading.Event):
    """``--upscale``: the new result x4 as its child (:func:`app.workflows_stages.upscale`)."""
    from app import workflows_stages
    from app.progress import TerminalProgress
    from models.ldm3d_sr.backend import SRRequest
    from models.ldm3d_sr.upscale import choose_method

    sr = SRRequest(seed=args.seed, device=args.device)
    method, why = choose_method(args.upscale_method or "auto", parent.panorama)
    print(f"notice: upscaling {parent.id} with {method}: {why}", file=sys.stderr)
    with TerminalProgress(f"upscale ({method})") as bar:
        staged = workflows_stages.upscale(parent.panorama, method, sr,
                                          parent_label=parent.label, on_progress=bar,
                                          cancel=cancel)
    return workflows_stages.add_child(project, staged, parent), staged


def run(args: argparse.Namespace) -> int:
    from app import workflows

    out = _check_outputs(args)
    project, existed = workflows.open_for_adding(out)
    request = _request(args)
    backend = _pick_backend(args.backend, args.model)
    with _CancelOnInterrupt() as interrupt:
        made = _generate(backend, request, interrupt.event)
        added = workflows.add_to_project(project, made)
        workflows.save(project, out)
        summary = _describe(made.panorama, made.duration_s)
        if existed:
            print(f"added result {added.id} to the existing project {out} "
                  f"(now {len(project.results)} results; {added.id} is active): {summary}")
        else:
            print(f"wrote {out} (result {added.id}: {summary})")
        final = made.panorama
        if getattr(args, "upscale", False):
            child, staged = _upscale(args, project, added, interrupt.event)
            workflows.save(project, out)
            final = staged.panorama
            print(f"added result {child.id} (x4 {staged.method} of {added.id}, "
                  f"{final.width}x{final.height}, {staged.duration_s:.1f} s) to {out}; "
                  f"{child.id} is active")
        if args.glb or args.ply or args.preview:
            _write_outputs(args, project, final, interrupt.event)
    return 0
