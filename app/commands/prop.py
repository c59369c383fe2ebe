"""``panoforge prop add|list|remove``: objects that stand in a project's scene.

``add`` makes a mesh from a picture (LRM) or from words (the procedural prop maker), stands it
on the dome's depth surface in the direction of ``--at`` (upright, ``--height`` metres tall,
facing the viewer) and saves it with the picked result. ``list`` shows a result's props;
``remove`` deletes one. Click-to-place and handles in the window are not part of this yet.
"""

from __future__ import annotations

import argparse
import sys

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


# -- use cases (Qt-free; the window can call these too) -----------------------------------
def default_backend(image, prompt: str) -> tuple[str, str]:
    """The prop backend when none is named, and why."""
    if image:
        return "lrm", "a picture was given"
    from models.ldm3d import local_weights_available as ldm3d_available
    from models.lrm.weights import local_weights_available as lrm_available

    has_lrm = lrm_available("lrm-base")[0]
    has_ldm3d = any(ldm3d_available(n)[0] for n in ("ldm3d-4c", "ldm3d"))
    if has_lrm and has_ldm3d:
        return "lrm", "LDM3D draws the prompt and LRM lifts it (weights found)"
    return "procedural", "no LRM + LDM3D weights on this computer; the words pick the object"


def crop_panorama(panorama, rect):
    """(h, w, 4) uint8 RGBA of the rectangle ``(x, y, w, h)`` of a panorama's RGB (opaque).

    The rectangle may cross the seam (x + w > width wraps to the left edge).
    """
    import numpy as np

    from scene.errors import InputError

    x, y, w, h = (int(v) for v in rect)
    rgb = np.asarray(panorama.rgb)
    if w < 8 or h < 8 or y < 0 or y + h > rgb.shape[0] or not 0 <= x < rgb.shape[1] \
            or w > rgb.shape[1]:
        raise InputError(f"--crop {x} {y} {w} {h} is not inside the {rgb.shape[1]}x"
                         f"{rgb.shape[0]} panorama (or is under 8 pixels)",
                         hint="give X Y W H in the panorama's pixels, the object inside")
    cols = np.arange(x, x + w) % rgb.shape[1]
    part = rgb[y:y + h][:, cols]
    return np.concatenate([part, np.full((h, w, 1), 255, np.uint8)], axis=2)


def add_prop(project, request, at, height: float, *, result_id: str | None = None,
             name: str = "", material: str = "pbr", yaw_deg: float | None = None,
             snap: bool = True, on_progress=None, cancel=None):
    """Make the prop ``request`` describes and stand it in the picked result's scene.

    Returns
    -------
    (scene.project.Result, scene.composition.Prop)
    """
    import numpy as np

    from models.props import generate_prop
    from scene.errors import InputError
    from scene.placement import next_prop_id, place_prop

    result = project.pick(result_id)
    if not (np.isfinite(height) and height > 0):  # refused before any work
        raise InputError(f"a prop's height must be a positive number of metres, got {height}",
                         hint="for example --height 1.8")
    made = generate_prop(request, on_progress=on_progress, cancel=cancel)
    prop = place_prop(made.mesh, result.panorama, at, height, prop_id=next_prop_id(result.props),
                      name=name or made.name, source=made.source, material=material,
                      yaw_deg=yaw_deg, snap=snap)
    result.props.append(prop)
    return result, prop


def remove_prop(project, prop_id: str, result_id: str | None = None):
    """Remove prop ``prop_id`` from the picked result; returns (result, removed prop)."""
    from scene.errors import InputError

    result = project.pick(result_id)
    for i, p in enumerate(result.props):
        if p.id == prop_id:
            return result, result.props.pop(i)
    raise InputError(f"result {result.id} has no prop {prop_id!r}",
                     hint="its props are: " + (", ".join(p.id for p in result.props) or "none"))


def describe_prop(prop) -> dict:
    """Plain JSON summary of a prop: id, name, material, base centre (world metres),
    transform, height (metres), mesh size, source."""
    import numpy as np

    lo, hi = prop.mesh.bounds()
    base_local = np.array([[(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2]])
    base = prop.transform.apply(base_local)[0]
    return {"id": prop.id, "name": prop.name, "material": prop.material,
            "base": [round(float(v), 4) for v in base],
            "translation": [round(v, 4) for v in prop.transform.translation],
            "rotation": [round(v, 6) for v in prop.transform.rotation],
            "scale": round(prop.transform.scale, 6),
            "height_m": round(float(hi[1] - lo[1]) * prop.transform.scale, 4),
            "vertices": prop.mesh.n_vertices, "faces": prop.mesh.n_faces,
            "source": prop.source}


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
                                snap=args.snap, on_progress=bar)
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
