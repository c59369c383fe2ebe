"""``panoforge prop add|list|remove``: objects that stand in a project's scene.

``add`` makes a mesh from a picture (LRM) or from words (the procedural prop maker), stands it
on the dome's depth surface in the direction of ``--at`` (upright, ``--height`` metres tall,
facing the viewer) and saves it with the picked result. ``list`` shows a result's props;
``remove`` deletes one. The use cases live in :mod:`app.workflows_props`; the window's
"Add prop…" calls the same functions and places the prop with a click in the 3D view.
"""

from __future__ import annotations

import argparse
import sys

from app.workflows_props import (  # noqa: F401 - the use cases, re-exported for callers
    add_prop,
    crop_panorama,
    default_backend,
    describe_prop,
    remove_prop,
)

HELP = "add, list or remove 3D props (objects made from a picture or from words) in a project"
DESCRIPTION = """\
Props are closed meshes with a place in the scene (metres, +Y up), saved in the project with
the result they belong to and exported as their own nodes in GLB.

  panoforge prop add PROJECT statue.png --at 1 -1.6 -3 --height 1.8
  panoforge prop add PROJECT --prompt "a mossy rock" --backend procedural --at 0 -1 -2 --height 0.6
  panoforge prop add PROJECT --crop 600 200 120 160 --at 2 -1.6 -4 --height 1.2
  panoforge prop list PROJECT
  panoforge prop remove PROJECT p2

--backend lrm lifts a picture (or, with --prompt, a picture LDM3D's perspective model draws) to
3D with OpenLRM (zxhezexin/openlrm-mix-base-1.1, -large-1.1). Its weights are licensed
CC-BY-NC-4.0: props made with it are for NON-COMMERCIAL use only, and record that.
--backend procedural needs no weights: the words pick one of rock, pine, column, crate, lamp,
barrel, ball, tent (colour words tint it).

--at X Y Z names a direction from the viewer (the origin); the prop stands where that
direction meets the panorama's depth (in front of it on a wall). --no-snap puts its base
exactly at X Y Z instead.
"""

BACKEND_CHOICES = ("procedural", "lrm", "lrm-base", "lrm-large")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="prop_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="make a prop and stand it in the scene",
                             description=DESCRIPTION,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("project", metavar="PROJECT", help="a .panoforge file")
    add.add_argument("image", metavar="IMAGE", nargs="?",
                     help="a picture of one object (PNG with transparency, or on a plain "
                     "background)")
    add.add_argument("--prompt", default="", help="words naming the object instead of a picture")
    add.add_argument("--crop", nargs=4, type=int, default=None, metavar=("X", "Y", "W", "H"),
                     help="use this rectangle of the result's own panorama (pixels: left, top, "
                     "width, height) as the picture (lrm)")
    add.add_argument("--backend", choices=BACKEND_CHOICES, default=None,
                     help="lrm (OpenLRM weights, CC-BY-NC-4.0: non-commercial use only) or "
                     "procedural (no weights). Default: lrm for a picture; for --prompt, lrm "
                     "when its weights and LDM3D's are on this computer, else procedural")
    add.add_argument("--at", nargs=3, type=float, required=True, metavar=("X", "Y", "Z"),
                     help="a point (metres) in the direction to stand the prop in")
    add.add_argument("--height", type=float, required=True, metavar="H",
                     help="the prop's height in metres")
    add.add_argument("--yaw", type=float, default=None, metavar="DEG",
                     help="turn about +Y in degrees (default: face the viewer)")
    add.add_argument("--no-snap", dest="snap", action="store_false",
                     help="put the base exactly at --at instead of on the depth surface")
    add.add_argument("--name", default="", help="the prop's name (default: from the object)")
    add.add_argument("--material", choices=("pbr", "unlit"), default="pbr",
                     help="how engines shade it: lit PBR (default) or unlit like the dome")
    add.add_argument("--grid", type=int, default=256, metavar="N",
                     help="marching-cubes grid samples per side (default 256; 128 is faster)")
    add.add_argument("--texture-size", type=int, default=None, metavar="N",
                     help="also bake the colours into an N x N texture atlas (xatlas UVs) for "
                          "engines that ignore vertex colours")
    add.add_argument("--seed", type=int, default=0, help="shape variation / LDM3D seed")
    add.add_argument("--model", default=None, help="LRM folder or Hugging Face id")
    add.add_argument("--image-model", default=None,
                     help="LDM3D perspective model (folder or id) that draws --prompt for lrm")
    add.add_argument("--threshold", type=float, default=None,
                     help="LRM density of the surface (default 3.0, OpenLRM's)")
    add.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    add.add_argument("--result", default=None, metavar="ID",
                     help="the result (dome) to add it to (default: the active one)")

    lst = actions.add_parser("list", help="list a result's props")
    lst.add_argument("project", metavar="PROJECT")
    lst.add_argument("--result", default=None, metavar="ID")
    lst.add_argument("--json", action="store_true", help="machine-readable output")

    rem = actions.add_parser("remove", help="remove a prop")
    rem.add_argument("project", metavar="PROJECT")
    rem.add_argument("prop_id", metavar="PROP", help="the prop's id (p1, p2 ...)")
    rem.add_argument("--result", default=None, metavar="ID")


# -- command line ----------------------------------------------------------------------------
def _licence_notice(source: dict) -> str | None:
    if source.get("commercial_use") is False:
        return (f"{source.get('model_id')} is licensed {source.get('licence')}: this prop is for "
                "non-commercial use only")
    return None


def _add(args) -> int:
    from app import workflows
    from app.progress import TerminalProgress
    from models.props import PropRequest
    from scene.errors import InputError
    from scene.project import load_project

    if not args.image and not args.prompt.strip() and not args.crop:
        raise InputError("prop add needs a picture of the object or --prompt WORDS",
                         hint='for example: panoforge prop add scene.panoforge --prompt "pine" '
                         "--at 0 -1.6 -3 --height 4")
    project = load_project(args.project)
    picked = project.pick(args.result)  # refuse a bad --result before any work
    if args.image and args.crop:
        raise InputError("give a picture or --crop, not both")
    rgba = crop_panorama(picked.panorama, args.crop) if args.crop else None
    backend = args.backend
    if backend is None:
        backend, why = default_backend(args.image or args.crop, args.prompt)
        print(f"backend {backend}: {why}", file=sys.stderr)
    request = PropRequest(backend=backend, prompt=args.prompt, image=args.image, rgba=rgba,
                          resolution=args.grid, seed=args.seed, model=args.model,
                          image_model=args.image_model, device=args.device,
                          threshold=args.threshold)
    with TerminalProgress(f"prop ({backend})") as bar:
        result, prop = add_prop(project, request, args.at, args.height, result_id=args.result,
                                name=args.name, material=args.material, yaw_deg=args.yaw,
                                snap=args.snap, on_progress=bar,
                                texture_size=args.texture_size)
    workflows.save(project, args.project)
    d = describe_prop(prop)
    placement = prop.source["placement"]
    where = f"on the {placement['surface']}" if placement["surface"] else "exactly at --at"
    print(f"added prop {prop.id} ({prop.name}, {d['faces']:,} triangles) to result {result.id} "
          f"of {args.project}: base at ({', '.join(f'{v:.2f}' for v in d['base'])}) m, "
          f"{d['height_m']:.2f} m tall, {where}")
    notice = _licence_notice(prop.source)
    if notice:
        print(f"notice: {notice}", file=sys.stderr)
    return 0


def _list(args) -> int:
    import json

    from scene.project import load_project

    project = load_project(args.project)
    result = project.pick(args.result)
    props = [describe_prop(p) for p in result.props]
    if args.json:
        print(json.dumps({"result": result.id, "props": props}, indent=2, sort_keys=True))
        return 0
    if not props:
        print(f"result {result.id} has no props")
        return 0
    print(f"result {result.id}: {len(props)} prop(s)")
    for d in props:
        src = d["source"]
        nc = "  NON-COMMERCIAL" if src.get("commercial_use") is False else ""
        t = ", ".join(f"{v:.2f}" for v in d["base"])
        print(f"  {d['id']:<4} {d['name']:<16} {src.get('backend', '?'):<10} at ({t}) m, "
              f"{d['height_m']:.2f} m tall, {d['material']}{nc}")
    return 0


def _remove(args) -> int:
    from app import workflows
    from scene.project import load_project

    project = load_project(args.project)
    result, prop = remove_prop(project, args.prop_id, args.result)
    workflows.save(project, args.project)
    print(f"removed prop {prop.id} ({prop.name}) from result {result.id} of {args.project}")
    return 0


def run(args: argparse.Namespace) -> int:
    return {"add": _add, "list": _list, "remove": _remove}[args.prop_command](args)
