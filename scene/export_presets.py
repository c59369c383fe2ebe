"""Engine presets: one name per place a scene is going, and what its file must be like there.

A preset is pure data (:class:`Preset`) plus planning: which meshes to write
(:func:`preset_meshes`, the project's own settings or a triangle budget), how big the file
will be before anything is written (:func:`estimate`), and writing it (:func:`write_preset`:
the GLB of :mod:`scene.export_glb`, a collider node, then mesh compression by
:mod:`scene.gltf_compress`; or USDZ by :mod:`scene.export_usdz`).

=========  ===========  ==================  ==============================================
preset     container    mesh compression    why
=========  ===========  ==================  ==============================================
unity      GLB          meshopt             glTFast decodes EXT_meshopt_compression
unreal     GLB          Draco               Interchange reads Draco, not meshopt or KTX2
godot      GLB          none                Godot's importer rejects Draco and meshopt
blender    GLB          none                Draco needs a library many builds lack
web        GLB          meshopt             three.js' GLTFLoader with MeshoptDecoder
quest      GLB          meshopt             triangle budget, 4096 px texture
visionos   USDZ         (USD has none)      Reality Composer / Quick Look read USDZ
=========  ===========  ==================  ==============================================

KTX2 textures (``KHR_texture_basisu``, Basis Universal ETC1S) can be written by the unity,
web and quest presets (``Preset.reads_ktx2``; ``write_preset(..., ktx2=True)``), whose engines
transcode them (glTFast, three.js' KTX2Loader, Meta's runtimes). The encoder is Basis
Universal's own, as WebAssembly run by Node.js (:mod:`scene.texture_ktx2`); without Node.js
and the ``ktx2-encoder`` package such an export is refused before any work. It is **off by
default** (:data:`KTX2_BY_DEFAULT`): the Khronos validator (npm 2.0.0-dev.3.10, the newest,
and its source) has no KHR_texture_basisu support and warns on every ``image/ktx2``, and
presets ship validator-clean. unreal, godot and blender have no KTX2 reader.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from .composition import Scene
from .errors import InputError
from .mesh_settings import MeshSettings
from .scene_mesh import SceneMeshes, build_scene_meshes

__all__ = ["Preset", "PRESETS", "get_preset", "Estimate", "estimate", "preset_meshes",
           "write_preset", "QUEST_TRIANGLES", "QUEST_TEXTURE", "KTX2_NOTE", "KTX2_ON",
           "KTX2_BY_DEFAULT", "ktx2_for"]

#: Which presets write KTX2 and why the others do not (``--dry-run`` prints it).
KTX2_NOTE = ("Textures are JPEG. unity, web and quest can take KTX2 (needs Node.js and the "
             "ktx2-encoder package); unreal, godot and blender read no KTX2.")
#: KTX2 is off unless asked for: the Khronos validator cannot check KHR_texture_basisu and
#: warns on every image/ktx2 (VALUE_NOT_IN_LIST, IMAGE_UNRECOGNIZED_FORMAT).
KTX2_BY_DEFAULT = False
#: What the other GLB presets say about their texture.
JPEG_NOTE = "The texture is JPEG: this engine's importer reads no KTX2."
#: What the KTX2 presets say about their texture.
KTX2_ON = ("Textures are KTX2 (KHR_texture_basisu, Basis Universal ETC1S with mipmaps), "
           "written with Node.js and the ktx2-encoder package.")
#: The quest preset's whole-scene triangle budget and its largest texture width.
QUEST_TRIANGLES = 250_000
QUEST_TEXTURE = 4096
#: Width the quest preset meshes the depth at before meeting its budget.
QUEST_WORK_WIDTH = 1024


@dataclass(frozen=True)
class Preset:
    """What one engine needs.

    Parameters
    ----------
    name : str
    title : str
        A few words for menus.
    container : {"glb", "usdz"}
    compression : {None, "draco", "meshopt"}
        GLB mesh compression (:mod:`scene.gltf_compress`).
    collider : bool
        Add the low-poly ``collider`` node (:mod:`scene.collider`).
    max_texture_width : int
    triangle_budget : int or None
        Whole-scene triangles; None keeps the project's mesh settings.
    adaptive : bool
        Mesh the dome and the layers adaptively (within the project's max error and with
        its cut) even when the project asks for the full grid: for engines where a full
        grid's millions of triangles cost minutes to compress or import, or too much to draw.
    reads_ktx2 : bool
        The engine reads KTX2 textures (``KHR_texture_basisu``, :mod:`scene.texture_ktx2`).
    about : str
        One paragraph: what the preset does and why (the export dialog shows it).
    """

    name: str
    title: str
    container: str
    compression: str | None
    collider: bool
    about: str
    max_texture_width: int = 8192
    triangle_budget: int | None = None
    reads_ktx2: bool = False
    adaptive: bool = False

    @property
    def suffix(self) -> str:
        return "." + self.container


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("unity", "Unity (glTFast)", "glb", "meshopt", True,
           "For Unity with glTFast: the mesh is compressed with meshoptimizer "
           "(EXT_meshopt_compression, which glTFast decodes natively), the dome stays unlit "
           "and faces inward, and a low-poly 'collider' node without material can be given a "
           "MeshCollider so a player walks inside the room. " + KTX2_NOTE, reads_ktx2=True),
    Preset("unreal", "Unreal Engine", "glb", "draco", True,
           "For Unreal's glTF/Interchange importer: Draco mesh compression "
           "(KHR_draco_mesh_compression), which it reads; no meshopt and no KTX2, which it "
           "lacks. The dome and layers are meshed adaptively, every pixel within the "
           "project's max error (0.5 % by default): Draco takes about 2 s per million "
           "triangles to write, so a full 4096 px grid would take over half a minute. A "
           "'collider' node without material is included for a custom collision mesh. The "
           "texture is JPEG.", adaptive=True),
    Preset("godot", "Godot", "glb", None, True,
           "For Godot 4: an uncompressed GLB, because Godot's importer rejects Draco and "
           "meshopt files. A 'collider' node without material is included (add a "
           "-col suffix or a StaticBody3D to use it). The texture is JPEG."),
    Preset("blender", "Blender", "glb", None, False,
           "For Blender's glTF importer: an uncompressed GLB. Blender reads Draco only "
           "through a library its official builds bundle and distribution builds (Debian's) "
           "lack, and it reads neither meshopt nor KTX2, so the file that opens in every "
           "Blender is the plain one. Nothing but the scene's own parts (no collider). The "
           "texture is JPEG."),
    Preset("web", "Web (three.js)", "glb", "meshopt", False,
           "For three.js, Babylon.js or model-viewer: meshopt compression "
           "(EXT_meshopt_compression; three.js needs GLTFLoader.setMeshoptDecoder), which "
           "decodes fastest in the browser, and no collider. " + KTX2_NOTE, reads_ktx2=True),
    Preset("quest", "Meta Quest (standalone)", "glb", "meshopt", True,
           f"For a standalone headset: the whole scene is kept under {QUEST_TRIANGLES:,} "
           f"triangles (an adaptive mesh of the depth at {QUEST_WORK_WIDTH} px, simplified by "
           f"meshoptimizer to the budget), textures at most {QUEST_TEXTURE} px wide, meshopt "
           "compression and a 'collider' node. " + KTX2_NOTE,
           max_texture_width=QUEST_TEXTURE, triangle_budget=QUEST_TRIANGLES, reads_ktx2=True),
    Preset("visionos", "Apple Vision Pro (USDZ)", "usdz", None, False,
           "For Apple Vision Pro, Reality Composer Pro and AR Quick Look: a USDZ written by "
           "Pixar's usd-core, the dome as an inward-facing unlit sphere, layers and props as "
           "their own prims, metres (metersPerUnit 1) and +Y up, checked by USD's "
           "compliance checker. The dome and layers are meshed adaptively (every pixel "
           "within the project's max error), since USDZ stores meshes uncompressed: a full "
           "4096 px grid is 17 M triangles and 170 MB.", adaptive=True),
)}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; an :class:`InputError` listing the names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError(f"unknown export preset {name!r}",
                         hint="use one of: " + ", ".join(PRESETS)) from None


# -- meshes ------------------------------------------------------------------------------------
def _compact(positions, uvs, faces):
    used, inverse = np.unique(faces.reshape(-1), return_inverse=True)
    return (np.ascontiguousarray(positions[used]), np.ascontiguousarray(uvs[used]),
            np.ascontiguousarray(inverse.reshape(-1, 3), np.uint32))


def _budget_mesh(pano, settings: MeshSettings, budget: int):
    """An adaptive mesh of ``pano``'s depth at :data:`QUEST_WORK_WIDTH`, simplified to budget."""
    from .adaptive import adaptive_mesh
    from .meshdata import DepthMesh
    from .panorama import resize_bilinear_wrap

    dist = pano.distance
    w = min(pano.width, QUEST_WORK_WIDTH)
    if w < pano.width:
        dist = resize_bilinear_wrap(dist, w // 2, w)
    mesh = adaptive_mesh(np.ascontiguousarray(dist, np.float32), max_error=settings.max_error,
                         cut_threshold=settings.cut_threshold)
    stats = dict(mesh.stats, triangle_budget=int(budget), work_width=int(w))
    if mesh.n_faces <= budget:
        mesh.stats = stats
        return mesh
    from .gltf_compress import require_encoder

    meshopt = require_encoder("meshopt")
    faces = np.ascontiguousarray(mesh.faces.reshape(-1), np.uint32)
    dest = np.empty_like(faces)
    n = meshopt.simplify(dest, faces, np.ascontiguousarray(mesh.positions, np.float32),
                         target_index_count=3 * budget, target_error=0.05,
                         options=meshopt.SIMPLIFY_LOCK_BORDER)
    pos, uvs, f = _compact(mesh.positions, mesh.uvs, dest[:n].reshape(-1, 3))
    stats.update(mode="adaptive+simplified", simplified_from=mesh.n_faces)
    for k in ("mean_error", "p99_error", "max_error"):
        stats.pop(k, None)  # measured on the adaptive mesh, no longer this one
    return DepthMesh(positions=pos, uvs=uvs, faces=f, stats=stats)


def preset_meshes(scene: Scene, preset: Preset, settings: MeshSettings,
                  meshes: SceneMeshes | None = None) -> SceneMeshes:
    """The dome's and layers' meshes the preset writes.

    Without a budget: ``meshes`` when given (built with ``settings``), else built; an
    :attr:`Preset.adaptive` preset meshes adaptively when ``settings`` ask for the full grid.
    With a budget: the props' triangles are taken off it and the rest is shared equally by
    the dome and the layers, each meshed by :func:`_budget_mesh`.
    """
    if preset.triangle_budget is None:
        if preset.adaptive and settings.mode != "adaptive":
            return build_scene_meshes(scene, settings.with_(mode="adaptive"))
        return meshes if meshes is not None else build_scene_meshes(scene, settings)
    prop_faces = sum(p.mesh.n_faces for p in scene.props)
    layers = [layer for layer in scene.layers if layer.panorama.has_depth]
    share = (preset.triangle_budget - prop_faces) // (1 + len(layers))
    if share < 1000:
        raise InputError(f"the props alone have {prop_faces:,} triangles, over the "
                         f"{preset.name} budget of {preset.triangle_budget:,}",
                         hint="remove a prop or use another preset")
    dome = _budget_mesh(scene.dome, settings, share)
    return SceneMeshes(dome=dome,
                       layers=tuple((la, _budget_mesh(la.panorama, settings, share))
                                    for la in layers),
                       settings=settings)


# -- sizes up front ----------------------------------------------------------------------------
#: Measured mesh-bytes ratios (compressed / uncompressed) on the 1024 forest and the 4096 box
#: room (benchmarks/bench_export_presets.py prints the real ones); an estimate, not a promise.
MESH_RATIO = {None: 1.0, "draco": 0.03, "meshopt": 0.22}
#: USD's crate format stores float positions + uvs as they are and compresses the integer
#: face arrays to about a byte per face (measured); USDZ itself is an uncompressed zip.
_USD_BYTES_PER_VERTEX = 20
_USD_BYTES_PER_FACE = 1


@dataclass
class Estimate:
    """What a preset will write, before it is written.

    Attributes
    ----------
    preset : str
    triangles : int
        Every triangle of the file (dome, layers, props, collider).
    vertices : int
    mesh_bytes, texture_bytes, total_bytes : int
        Estimated sizes (mesh compression from :data:`MESH_RATIO`).
    notes : list of str
    """

    preset: str
    triangles: int
    vertices: int
    mesh_bytes: int
    texture_bytes: int
    total_bytes: int
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for the dry run and the dialog."""
        return (f"{self.preset}: {self.triangles:,} triangles, about "
                f"{_human(self.total_bytes)} ({_human(self.mesh_bytes)} mesh + "
                f"{_human(self.texture_bytes)} textures)")


def _human(n: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _texture_estimate(pano, max_width: int, ktx2: bool = False) -> int:
    w, h = pano.width, pano.height
    if ktx2:  # ETC1S with mipmaps, measured: 0.105 B/px at 1024 px, 0.043 at 4096 px
        w = min(w, max_width)
        return int(w * (w // 2) * 0.08)
    if w > max_width:
        w, h = max_width, max_width // 2
    elif pano.rgb_mime == "image/jpeg" and pano.rgb_encoded is not None:
        return len(pano.rgb_encoded)
    return int(w * h * 3 * 0.12)  # JPEG quality 92 of a photo: about 2.9 bits per pixel


def estimate(scene: Scene, preset: Preset, settings: MeshSettings,
             meshes: SceneMeshes | None = None, *, ktx2: bool | None = None) -> Estimate:
    """The triangle count (exact) and file size (estimated) of ``preset`` for ``scene``.

    Parameters
    ----------
    meshes : SceneMeshes, optional
        Built already with ``settings`` (reused by presets without a triangle budget).
    ktx2 : bool, optional
        As :func:`write_preset`'s.
    """
    ktx2 = ktx2_for(preset, ktx2)
    built = preset_meshes(scene, preset, settings, meshes)
    parts = [built.dome, *(m for _, m in built.layers)]
    tri = sum(m.n_faces for m in parts) + sum(p.mesh.n_faces for p in scene.props)
    verts = sum(m.n_vertices for m in parts) + sum(p.mesh.n_vertices for p in scene.props)
    if preset.collider:
        from .collider import COLLIDER_COLUMNS, COLLIDER_ROWS

        tri += 2 * COLLIDER_COLUMNS * (COLLIDER_ROWS - 1)
        verts += 2 + (COLLIDER_ROWS - 1) * COLLIDER_COLUMNS
    if preset.container == "usdz":
        mesh = verts * _USD_BYTES_PER_VERTEX + tri * _USD_BYTES_PER_FACE
    else:
        raw = sum(m.n_vertices * 20 + m.n_faces * 3 * (2 if m.n_vertices <= 65535 else 4)
                  for m in parts)
        raw += sum(p.mesh.n_vertices * 24 + p.mesh.n_faces * 12 for p in scene.props)
        mesh = int(raw * MESH_RATIO[preset.compression])
    tex = _texture_estimate(scene.dome, preset.max_texture_width, ktx2)
    tex += sum(_texture_estimate(la.panorama, preset.max_texture_width, ktx2)
               for la, _ in built.layers)
    notes = [] if preset.container == "usdz" else [KTX2_ON if ktx2 else JPEG_NOTE]
    return Estimate(preset.name, int(tri), int(verts), int(mesh), int(tex),
                    int(mesh + tex + 4096), notes)


# -- writing -----------------------------------------------------------------------------------
def ktx2_for(preset: Preset, ktx2: bool | None) -> bool:
    """Whether ``preset`` writes KTX2 textures when asked ``ktx2`` (None: the default).

    Raises
    ------
    InputError
        KTX2 asked for a preset whose engine reads none.
    """
    if ktx2 is None:
        return KTX2_BY_DEFAULT and preset.reads_ktx2
    if ktx2 and not preset.reads_ktx2:
        raise InputError(f"the {preset.name} preset's engine reads no KTX2 textures",
                         hint="use KTX2 with unity, web or quest")
    return bool(ktx2)


def write_preset(scene: Scene, preset: Preset, path: str | os.PathLike,
                 settings: MeshSettings, meshes: SceneMeshes | None = None, *,
                 metadata: dict | None = None, texture: str = "jpeg",
                 jpeg_quality: int = 92,
                 ktx2: bool | None = None) -> tuple[list[str], SceneMeshes]:
    """Write ``scene`` as ``preset`` to ``path``, atomically.

    ``ktx2``: textures as KTX2 (only for presets that read it); None: :data:`KTX2_BY_DEFAULT`.

    Returns
    -------
    notices : list of str
    meshes : SceneMeshes
        What was written (for the caller's triangle report).
    """
    if preset.compression is not None:
        from .gltf_compress import require_encoder

        require_encoder(preset.compression)  # before any work
    ktx2 = ktx2_for(preset, ktx2)
    if ktx2:
        from .texture_ktx2 import require_ktx2

        require_ktx2()
    built = preset_meshes(scene, preset, settings, meshes)
    if preset.container == "usdz":
        from .export_usdz import write_usdz

        return write_usdz(path, scene, built), built
    from .atomic import atomic_writer
    from .export_glb import build_scene_glb
    from .gltf_compress import compress_document, read_glb

    glb = build_scene_glb(scene, built, texture=texture, jpeg_quality=jpeg_quality,
                          metadata=metadata, max_texture_width=preset.max_texture_width)
    doc = read_glb(glb.parts)
    if preset.collider:
        from .collider import COLLIDER_NODE, collider_mesh

        pos, faces = collider_mesh(scene)
        doc.add_mesh_node(COLLIDER_NODE, pos, faces,
                          extras={"collider": True, "closed": True})
    compress_document(doc, preset.compression)
    if ktx2:
        from .texture_ktx2 import ktx2_document

        ktx2_document(doc)
    doc.gltf["scenes"][0].setdefault("extras", {})["preset"] = preset.name
    parts, _ = doc.parts()
    with atomic_writer(path) as fh:
        for part in parts:
            fh.write(part)
    notices = list(glb.notices)
    if math.isfinite(preset.max_texture_width) and preset.triangle_budget:
        notices.append(f"{preset.name}: {sum(m.n_faces for m in [built.dome]):,} dome "
                       f"triangles within the {preset.triangle_budget:,} budget")
    return notices, built
