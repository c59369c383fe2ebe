"""Import a Panoforge GLB into Blender the way a user does and report what Blender made of it.

Run by Blender, not by the project's Python::

    blender -b --factory-startup --python tools/interop/blender_check.py -- \\
        IN.glb OUT.json [OUT.png] [--size WxH] [--fov DEG] [--view NAME:YAW:PITCH]...

It imports ``IN.glb`` with Blender's own glTF importer (``bpy.ops.import_scene.gltf``, default
options) into an empty scene and writes ``OUT.json``:

``blender``, ``gltf_importer``
    Versions.
``objects``
    ``[{name, type}]`` of everything the import created.
``parts``
    One entry per imported object: ``name``, ``type``, ``parent`` (its parent's name or
    null) and, for meshes, ``vertices`` and ``world_mean_gltf``: the mean of its world-space
    vertex positions converted back to glTF's Y-up frame (where a part landed).
``mesh``
    The (first) mesh object's ``name``, ``vertices``, ``polygons``, ``loops``,
    ``triangles_only``; ``positions_gltf``: the world-space vertex positions converted back
    from Blender's Z-up to glTF's Y-up, ``(x, y, z)_gltf = (x, z, -y)_blender``, as base64 of
    little-endian float32 ``(N, 3)`` in Blender's vertex order; ``uvs_gltf``: one UV per vertex
    from the loops, converted back to glTF's ``v`` (``1 - v``), base64 float32 ``(N, 2)``, and
    ``uv_loop_spread``, the largest disagreement between loops of one vertex; ``faces_facing_origin``:
    how many polygons have a world-space normal pointing towards the origin
    (``normal . centroid < 0``), next to ``polygons``.
``material``
    ``name``, ``count`` (materials on the object), ``nodes`` (node type names),
    ``unlit``: Blender's rendering of ``KHR_materials_unlit`` is found (an Emission shader fed by
    the image texture, mixed by a Light Path node), ``principled`` (a lit BSDF is present),
    ``image``: ``{width, height, colorspace, packed}``, ``repeat_u``: the importer's wrap node
    (Math ``WRAP``) sits between the UV map and the texture's ``u``, ``backface_culling``.
``scene_properties``
    The Blender scene's custom properties (where the importer puts ``scenes[0].extras``), as JSON.
``renders``
    With ``OUT.png``: one Cycles (CPU) render per view from a camera at the origin, the first
    view written to ``OUT.png`` and the others next to it as ``OUT-NAME.png``;
    ``[{name, yaw_deg, pitch_deg, path}]``. Views use Panoforge's convention (yaw 0 looks at
    glTF -Z, positive yaw turns right towards +X, positive pitch looks up; ``--fov`` is the
    horizontal field of view, default 90; ``--size`` default 256x128; default view
    ``front:0:0``). The colour pipeline is made neutral (view transform ``Standard``, no
    dithering, black world), so the pixels are the texture's sRGB values.

Exit status 0 with the report written; 1 when the import or a render fails (the message on
stderr and, where possible, ``"error"`` in the report); 2 for bad arguments.
"""

from __future__ import annotations

import base64
import json
import math
import sys
import time
import traceback
from pathlib import Path

import numpy as np

# Debian's Blender 3.4.1 glTF importer uses the alias ``numpy.bool``, which numpy 1.24
# (bookworm's python3-numpy) removed: without it every import of a mesh without normals fails
# with AttributeError. Restore the alias (it is the builtin bool) before the importer loads.
if "bool" not in vars(np):
    np.bool = bool

import bpy  # noqa: E402  (only exists inside Blender)
from mathutils import Matrix  # noqa: E402

#: glTF (Y up) -> Blender (Z up): (x, y, z) -> (x, -z, y), a +90 degree turn about X.
GLTF_TO_BLENDER = Matrix(((1.0, 0.0, 0.0), (0.0, 0.0, -1.0), (0.0, 1.0, 0.0)))


def usage(msg: str) -> None:
    sys.stderr.write(f"blender_check.py: {msg}\n")
    sys.stderr.write("usage: blender -b --factory-startup --python blender_check.py -- "
                     "IN.glb OUT.json [OUT.png] [--size WxH] [--fov DEG] [--view NAME:YAW:PITCH]...\n")
    sys.exit(2)


def parse_args(argv: list[str]) -> dict:
    opts = {"size": (256, 128), "fov": 90.0, "views": [], "paths": []}
    it = iter(argv)
    for arg in it:
        if arg == "--size":
            try:
                w, h = (int(v) for v in next(it, "").split("x"))
            except ValueError:
                usage("--size wants WxH, e.g. 256x128")
            opts["size"] = (w, h)
        elif arg == "--fov":
            opts["fov"] = float(next(it, "nan"))
            if not 0.0 < opts["fov"] < 180.0:
                usage("--fov wants degrees in (0, 180)")
        elif arg == "--view":
            parts = next(it, "").split(":")
            if len(parts) != 3:
                usage("--view wants NAME:YAW:PITCH, e.g. right:90:0")
            opts["views"].append({"name": parts[0], "yaw_deg": float(parts[1]),
                                  "pitch_deg": float(parts[2])})
        elif arg.startswith("--"):
            usage(f"unknown option {arg}")
        else:
            opts["paths"].append(Path(arg).resolve())
    if len(opts["paths"]) not in (2, 3):
        usage("need IN.glb OUT.json [OUT.png]")
    if not opts["views"]:
        opts["views"].append({"name": "front", "yaw_deg": 0.0, "pitch_deg": 0.0})
    return opts


def b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def plain(value):
    """Blender ID properties as plain JSON values."""
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    elif hasattr(value, "to_list"):
        value = value.to_list()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def mesh_report(obj) -> dict:
    """Vertex positions/UVs back in glTF's frame, and which way the faces point."""
    me = obj.data
    n, m, n_loops = len(me.vertices), len(me.polygons), len(me.loops)
    co = np.empty(n * 3, np.float32)
    me.vertices.foreach_get("co", co)
    world = np.array(obj.matrix_world, dtype=np.float64)
    co = co.reshape(n, 3).astype(np.float64) @ world[:3, :3].T + world[:3, 3]
    gltf = np.stack([co[:, 0], co[:, 2], -co[:, 1]], axis=1)

    normal = np.empty(m * 3, np.float32)
    me.polygons.foreach_get("normal", normal)
    normal = normal.reshape(m, 3).astype(np.float64) @ np.linalg.inv(world[:3, :3])  # n' = n M^-1
    centre = np.empty(m * 3, np.float32)
    me.polygons.foreach_get("center", centre)
    centre = centre.reshape(m, 3).astype(np.float64) @ world[:3, :3].T + world[:3, 3]
    loop_total = np.empty(m, np.int32)
    me.polygons.foreach_get("loop_total", loop_total)

    loop_vert = np.empty(n_loops, np.int32)
    me.loops.foreach_get("vertex_index", loop_vert)
    uvs = np.full((n, 2), np.nan, np.float32)
    spread = None
    if me.uv_layers.active is not None:
        loop_uv = np.empty(n_loops * 2, np.float32)
        me.uv_layers.active.data.foreach_get("uv", loop_uv)
        loop_uv = loop_uv.reshape(n_loops, 2)
        loop_uv[:, 1] = 1.0 - loop_uv[:, 1]  # Blender's v runs up, glTF's down
        uvs[loop_vert] = loop_uv
        spread = float(np.abs(loop_uv - uvs[loop_vert]).max()) if n_loops else 0.0
    return {
        "name": obj.name,
        "vertices": n,
        "polygons": m,
        "loops": n_loops,
        "triangles_only": bool(np.all(loop_total == 3)),
        "faces_facing_origin": int(np.count_nonzero(np.einsum("ij,ij->i", normal, centre) < 0)),
        "positions_gltf": b64(gltf),
        "uvs_gltf": b64(uvs),
        "uv_loop_spread": spread,
        "uv_layers": list(me.uv_layers.keys()),
    }


def part_report(obj) -> dict:
    """Name, type, parent and (meshes) where the object's vertices are in glTF's frame."""
    out = {"name": obj.name, "type": obj.type,
           "parent": obj.parent.name if obj.parent is not None else None}
    if obj.type == "MESH":
        me = obj.data
        co = np.empty(len(me.vertices) * 3, np.float32)
        me.vertices.foreach_get("co", co)
        world = np.array(obj.matrix_world, dtype=np.float64)
        co = co.reshape(-1, 3).astype(np.float64) @ world[:3, :3].T + world[:3, 3]
        mean = co.mean(axis=0)
        out["vertices"] = len(me.vertices)
        out["world_mean_gltf"] = [float(mean[0]), float(mean[2]), float(-mean[1])]
    return out


def upstream(socket) -> list:
    """Nodes feeding an input socket, nearest first (depth-first)."""
    found = []
    for link in socket.links:
        node = link.from_node
        found.append(node)
        for sock in node.inputs:
            found.extend(upstream(sock))
    return found


def material_report(obj) -> dict:
    mats = [s.material for s in obj.material_slots if s.material is not None]
    if not mats:
        return {"count": 0}
    mat = mats[0]
    nodes = mat.node_tree.nodes if mat.use_nodes else []
    types = sorted(n.bl_idname for n in nodes)
    output = next((n for n in nodes if n.bl_idname == "ShaderNodeOutputMaterial"), None)
    surface = upstream(output.inputs["Surface"]) if output is not None else []
    emission = next((n for n in surface if n.bl_idname == "ShaderNodeEmission"), None)
    emission_tex = None
    if emission is not None:
        emission_tex = next((n for n in upstream(emission.inputs["Color"])
                             if n.bl_idname == "ShaderNodeTexImage"), None)
    mix = next((n for n in surface if n.bl_idname == "ShaderNodeMixShader"), None)
    light_path = mix is not None and any(n.bl_idname == "ShaderNodeLightPath"
                                         for n in upstream(mix.inputs["Fac"]))
    image = None
    repeat_u = False
    if emission_tex is not None and emission_tex.image is not None:
        img = emission_tex.image
        image = {"width": int(img.size[0]), "height": int(img.size[1]),
                 "colorspace": img.colorspace_settings.name, "packed": img.packed_file is not None,
                 "extension": emission_tex.extension, "interpolation": emission_tex.interpolation}
        vector = upstream(emission_tex.inputs["Vector"])
        repeat_u = any(n.bl_idname == "ShaderNodeMath" and n.operation == "WRAP" for n in vector) \
            and any(n.bl_idname == "ShaderNodeUVMap" for n in vector)
    return {
        "count": len(mats),
        "name": mat.name,
        "nodes": types,
        "unlit": emission_tex is not None and light_path,
        "principled": "ShaderNodeBsdfPrincipled" in types,
        "image": image,
        "repeat_u": repeat_u,
        "backface_culling": bool(mat.use_backface_culling),
        "blend_method": mat.blend_method,
    }


def camera_matrix(yaw_deg: float, pitch_deg: float) -> Matrix:
    """World matrix of a camera at the origin looking along Panoforge's (yaw, pitch).

    A Blender camera looks down its local -Z with +Y up, like a glTF camera; in glTF's frame the
    view is a turn of -yaw about +Y (positive yaw turns right, towards +X) after a turn of
    +pitch about +X; then glTF's frame is turned into Blender's.
    """
    rot = (GLTF_TO_BLENDER @ Matrix.Rotation(math.radians(-yaw_deg), 3, "Y")
           @ Matrix.Rotation(math.radians(pitch_deg), 3, "X"))
    return rot.to_4x4()


def render_views(opts: dict, out_png: Path) -> list[dict]:
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 4
    scene.cycles.seed = 0
    scene.cycles.use_denoising = False
    scene.cycles.max_bounces = 0
    scene.render.resolution_x, scene.render.resolution_y = opts["size"]
    scene.render.resolution_percentage = 100
    scene.render.dither_intensity = 0.0
    scene.render.film_transparent = False
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    scene.render.image_settings.color_depth = "8"
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    scene.view_settings.exposure = 0.0
    scene.view_settings.gamma = 1.0
    world = bpy.data.worlds.new("panoforge-black")
    world.color = (0.0, 0.0, 0.0)
    scene.world = world
    cam_data = bpy.data.cameras.new("panoforge-camera")
    cam_data.sensor_fit = "HORIZONTAL"
    cam_data.angle = math.radians(opts["fov"])
    cam_data.clip_start = 0.01
    cam_data.clip_end = 1000.0
    cam = bpy.data.objects.new("panoforge-camera", cam_data)
    scene.collection.objects.link(cam)
    scene.camera = cam
    renders = []
    for i, view in enumerate(opts["views"]):
        path = out_png if i == 0 else out_png.with_name(f"{out_png.stem}-{view['name']}.png")
        cam.matrix_world = camera_matrix(view["yaw_deg"], view["pitch_deg"])
        scene.render.filepath = str(path)
        t0 = time.perf_counter()
        bpy.ops.render.render(write_still=True)
        renders.append(dict(view, path=str(path), seconds=time.perf_counter() - t0))
    return renders


def main(argv: list[str]) -> int:
    opts = parse_args(argv)
    glb, out_json = opts["paths"][:2]
    out_png = opts["paths"][2] if len(opts["paths"]) == 3 else None
    report: dict = {"blender": bpy.app.version_string, "input": str(glb)}
    try:
        import addon_utils

        report["gltf_importer"] = ".".join(
            str(v) for v in next(m.bl_info["version"] for m in addon_utils.modules()
                                 if m.__name__ == "io_scene_gltf2"))
        bpy.ops.wm.read_factory_settings(use_empty=True)
        t0 = time.perf_counter()
        result = bpy.ops.import_scene.gltf(filepath=str(glb))
        report["import"] = {"result": sorted(result), "seconds": time.perf_counter() - t0}
        objects = list(bpy.context.scene.objects)
        report["objects"] = [{"name": o.name, "type": o.type} for o in objects]
        meshes = [o for o in objects if o.type == "MESH"]
        report["parts"] = [part_report(o) for o in objects]
        if meshes:
            report["mesh"] = mesh_report(meshes[0])
            report["material"] = material_report(meshes[0])
        report["scene_properties"] = {k: plain(v) for k, v in bpy.context.scene.items()}
        if out_png is not None:
            report["renders"] = render_views(opts, out_png)
        status = 0
    except Exception as exc:  # report what failed, for the test's message
        report["error"] = "".join(traceback.format_exception(exc))
        sys.stderr.write(report["error"])
        status = 1
    out_json.write_text(json.dumps(report, indent=1))
    return status


if __name__ == "__main__":
    args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    sys.exit(main(args))
