"""``panoforge export``: a project's result as GLB, PLY, flat images, a cubemap, a stereo 360."""

from __future__ import annotations

import argparse
import sys

from ._mesh_options import add_mesh_arguments, mesh_settings_from_args

HELP = "export a result as GLB/PLY meshes, equirect images, cubemap faces or a stereo 360"
DESCRIPTION = """\
Export one result of a .panoforge project (the active one unless --result says otherwise).

  --glb X          one textured mesh (unlit sky-dome material, metres, Y up, faces toward the
                   centre) for Unity, Unreal, Godot, Blender, three.js
  --ply X          binary PLY with vertex colours; --points writes a point cloud instead
  --images DIR     equirect RGB PNG, 16-bit depth PNG in millimetres (+ JSON sidecar), float
                   EXR distances in metres
  --cubemap DIR    six faces px nx py ny pz nz (skybox order), --face-size N pixels
  --stereo360 OUT  a top/bottom stereo equirect image, --ipd metres apart
  --preset NAME    the file an engine wants (unity, unreal, godot, blender, web, quest,
                   visionos): compression, collider, budget; written to --glb X (or --usdz X
                   for visionos; default PROJECT.NAME.glb|usdz); --dry-run prints the
                   estimated size and triangle count of each preset and writes nothing
  --usdz X         USDZ for Apple Vision Pro / Reality Composer (metres, Y up)
  --ktx2           with --preset unity, web or quest: KTX2 (Basis Universal) textures,
                   encoded by Node.js with the ktx2-encoder package; the Khronos validator
                   warns on them (it predates KHR_texture_basisu)
  --splats X       3D Gaussian splats: X.ply (standard 3DGS layout), X.glb
                   (KHR_gaussian_splatting) or X.spz (Niantic's format, written with
                   Node.js and the @adobe/spz package)

Mesh options (--mesh, --max-error, --cut-threshold) default to the project's saved settings.

examples:
  panoforge export scene.panoforge --glb scene.glb
  panoforge export scene.panoforge --result r2 --ply scene.ply --points
  panoforge export scene.panoforge --images flat/ --cubemap faces/ --face-size 1024
  panoforge export scene.panoforge --glb small.glb --mesh adaptive --max-error 0.005
  panoforge export scene.panoforge --preset unity --glb unity.glb
  panoforge export scene.panoforge --preset quest --dry-run
  panoforge export scene.panoforge --splats scene.ply --usdz scene.usdz
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a .panoforge file")
    parser.add_argument("--result", metavar="ID", help="which result (default: the active one)")
    parser.add_argument("--glb", metavar="X.glb", help="write a GLB mesh")
    parser.add_argument("--texture", choices=("jpeg", "png", "auto"), default="jpeg",
                        help="GLB texture format (default jpeg; auto keeps the image's own encoding)")
    parser.add_argument("--ply", metavar="X.ply", help="write a binary PLY")
    parser.add_argument("--points", action="store_true", help="PLY as a point cloud (no faces)")
    parser.add_argument("--images", metavar="DIR", help="write the equirect RGB, depth PNG/JSON and EXR")
    parser.add_argument("--cubemap", metavar="DIR", help="write six cubemap faces")
    parser.add_argument("--face-size", type=int, metavar="N", help="cubemap face size in pixels (default W/4)")
    add_mesh_arguments(parser, default="the project's")
    parser.add_argument("--stereo360", metavar="OUT.png", help="write a stereo 360 image (top/bottom)")
    parser.add_argument("--ipd", type=float, default=0.064, metavar="M",
                        help="stereo eye separation, metres (default 0.064)")
    parser.add_argument("--preset", metavar="NAME",
                        help="engine preset: unity, unreal, godot, blender, web, quest, visionos")
    parser.add_argument("--dry-run", action="store_true",
                        help="print each preset's estimated size and triangles; write nothing")
    parser.add_argument("--usdz", metavar="X.usdz", help="write a USDZ package")
    parser.add_argument("--ktx2", action="store_true",
                        help="KTX2 textures in the unity, web or quest preset (needs Node.js)")
    parser.add_argument("--splats", metavar="X.ply|X.glb|X.spz",
                        help="write 3D Gaussian splats")


def _check_options(args: argparse.Namespace) -> None:
    from pathlib import Path

    from scene.errors import InputError

    if args.preset is not None:
        from scene.export_presets import get_preset

        preset = get_preset(args.preset)
        if args.ktx2:
            from scene.export_presets import ktx2_for
            from scene.texture_ktx2 import require_ktx2

            ktx2_for(preset, True)  # refused for engines that read no KTX2
            require_ktx2()          # Node.js and the encoder, before any work
    elif args.ktx2:
        raise InputError("--ktx2 applies to --preset, which was not given",
                         hint="add --preset unity, web or quest")
    if args.splats:
        suffix = Path(args.splats).suffix.lower()
        if suffix not in (".ply", ".glb", ".spz"):
            raise InputError(f"--splats writes .ply, .glb or .spz, not {Path(args.splats).name}",
                             hint="for example --splats scene_splats.ply")
        if suffix == ".spz":
            from scene.splats_spz import require_spz

            require_spz()  # Node.js and the SPZ library, before any work
    if not any((args.glb, args.ply, args.images, args.cubemap, args.stereo360, args.usdz,
                args.splats, args.preset, args.dry_run)):
        raise InputError("nothing to export",
                         hint="give at least one of --glb, --ply, --images, --cubemap, --stereo360, "
                              "--usdz, --splats, --preset")
    for flag, needs, value in (("--points", "--ply", args.points and not args.ply),
                               ("--face-size", "--cubemap", args.face_size is not None and not args.cubemap),
                               ("--texture", "--glb", args.texture != "jpeg" and not args.glb)):
        if value:
            raise InputError(f"{flag} applies to {needs}, which was not given",
                             hint=f"add {needs} PATH, or drop {flag}")
    if not (args.ipd > 0 and args.ipd == args.ipd):
        raise InputError(f"--ipd must be a positive distance in metres, got {args.ipd}",
                         hint="for example --ipd 0.064")
    if args.stereo360:  # before any file is written, not after the GLB and PLY
        from renderers.image_file import check_image_path

        check_image_path(args.stereo360, "a stereo 360 image")
    project = Path(args.project).resolve()
    for flag in ("glb", "ply", "stereo360", "images", "cubemap", "usdz", "splats"):
        value = getattr(args, flag)
        if value and Path(value).resolve() == project:
            raise InputError(f"--{flag} would overwrite the project file itself",
                             hint="choose another output path")


def _plan(args: argparse.Namespace, settings):
    from app.workflows import ExportPlan

    plan = ExportPlan(mesh_settings=settings)
    preset = None
    if args.preset:
        from pathlib import Path

        from scene.export_presets import get_preset

        preset = get_preset(args.preset)
        given = args.usdz if preset.container == "usdz" else args.glb
        out = given or Path(args.project).with_suffix(f".{preset.name}{preset.suffix}")
        if preset.container == "usdz":
            plan.add("usdz", out)
        else:
            plan.add("preset", out, preset=preset.name, texture=args.texture,
                     ktx2=True if args.ktx2 else None)
    if args.glb and not (preset and preset.container == "glb"):
        plan.add("glb", args.glb, texture=args.texture)
    if args.usdz and not (preset and preset.container == "usdz"):
        plan.add("usdz", args.usdz)
    if args.splats:
        plan.add("splats", args.splats)
    if args.ply:
        plan.add("ply", args.ply, points=args.points)
    if args.images:
        plan.add("images", args.images)
    if args.cubemap:
        plan.add("cubemap", args.cubemap, face_size=args.face_size)
    if args.stereo360:
        plan.add("stereo360", args.stereo360, ipd=args.ipd)
    return plan


def run(args: argparse.Namespace) -> int:
    from app import workflows
    from scene.project import load_project

    _check_options(args)
    project = load_project(args.project)
    result = project.pick(args.result)
    pano = result.panorama
    settings = mesh_settings_from_args(project.mesh_settings, args)
    print(f"exporting result {result.id} ({result.label!r}, {pano.width}x{pano.height})")

    def mesh_line(mesh, seconds: float) -> None:
        st = mesh.stats
        line = (f"mesh: {mesh.n_faces:,} triangles, {mesh.n_vertices:,} vertices "
                f"({settings.mode}, {st.get('cut_faces', 0):,} faces cut at threshold "
                f"{settings.cut_threshold:g}")
        if settings.mode == "adaptive" and "max_error" in st:
            line += f", error mean {100 * st.get('mean_error', 0):.3g} % max {100 * st['max_error']:.3g} %"
        print(line + f"; {seconds:.2f} s)")

    def written(target, paths, done) -> None:
        if target.format in ("images", "cubemap"):
            for path in paths:
                print(f"wrote {path}")
        else:
            point_cloud = target.format == "ply" and target.options.get("points")
            print(f"wrote {target.path}" + (" (point cloud)" if point_cloud else ""))

    if args.dry_run:
        return _dry_run(args, project.scene(result.id), settings)
    plan = _plan(args, settings)
    plan.scene = project.scene(result.id)  # the layers and props go with the dome
    done = workflows.export(plan, pano, on_written=written, on_mesh=mesh_line)
    for n in done.notices:
        print(f"notice: {n}", file=sys.stderr)
    if done.licence_warning:
        print(f"warning: {done.licence_warning}", file=sys.stderr)
    return 0


def _dry_run(args: argparse.Namespace, scene, settings) -> int:
    """Print the estimated size and triangle count of the preset (or of every preset)."""
    from scene.export_presets import KTX2_NOTE, PRESETS, estimate, get_preset

    names = [args.preset] if args.preset else list(PRESETS)
    meshes = None
    for name in names:
        preset = get_preset(name)
        if preset.triangle_budget is None and meshes is None:
            from scene.scene_mesh import build_scene_meshes

            meshes = build_scene_meshes(scene, settings)
        print(estimate(scene, preset, settings, meshes,
                       ktx2=True if args.ktx2 else None).line())
    print(f"note: {KTX2_NOTE}")
    print("dry run: nothing written")
    return 0
