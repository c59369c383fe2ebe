"""Export a composition (dome, layers, props) as one binary glTF (``.glb``) file.

What the file holds (glTF 2.0, checked by the Khronos validator in the tests):

* one scene with one root node named after the scene (``Scene.name``) and one child node per
  part, each with its own mesh of one triangle primitive:

  - ``dome``, then ``layer <id>`` per layer: ``POSITION`` (float32, metres, +Y up, the
    panorama centre towards -Z, exact ``min``/``max``), ``TEXCOORD_0`` (float32) and indices
    (uint16 when every index fits below 65535, else uint32). Material ``KHR_materials_unlit``
    (a sky dome must not be lit) with the part's own base colour texture,
    ``doubleSided: false``; faces wind counter-clockwise seen from the origin, so the scene is
    seen from inside and culled from outside. A layer's pixels of unknown (NaN) depth have no
    vertex (the mesh builder drops them);
  - each prop under its own name: its object-frame mesh (``POSITION``, ``NORMAL`` for lit
    props, ``COLOR_0`` linear unsigned-short vertex colours converted from sRGB, or
    ``TEXCOORD_0`` and a PNG texture), faces wound outward, material metallic-roughness PBR
    (metallic 0, roughness 1) or ``KHR_materials_unlit`` as ``Prop.material`` says, and the
    prop's :class:`~scene.composition.Transform` as the node's translation/rotation/scale;
    ``extras`` hold its id and where it came from;

* dome and layer textures embedded in the binary chunk: JPEG by default or PNG; when the
  panorama already carries encoded bytes of the wanted format (``RGBDPanorama.rgb_encoded``)
  they are embedded as they are, without decoding or re-encoding. Their samplers repeat
  horizontally (the seam column of the mesh has ``u`` just past 1) and clamp vertically;
* the dome's generation metadata, mesh statistics and depth interpretation in
  ``scenes[0].extras``, with ``licences`` (every model the file depends on, from
  :mod:`scene.licences`) and ``non_commercial`` (true when one forbids commercial use), and
  ``walk_zone`` (the measured walk zone, :mod:`scene.walkzone`, or null when not measured);
  ``asset.generator`` is ``"Panoforge <version>"``.

Speed: the vertex, uv and index arrays are written straight from the mesh's own memory
(one ``write`` per array, no concatenation or ``tobytes`` copy); only the small JSON chunk is
built in Python. ``min``/``max`` are per-column reductions (a strided column reduction is far
faster than ``min(axis=0)`` on an ``(N, 3)`` array).
"""

from __future__ import annotations

import io
import json
import os
import struct
from dataclasses import dataclass, field

import numpy as np

from .atomic import atomic_writer
from .composition import Prop, Scene
from .errors import InputError
from .licences import collect, non_commercial
from .limits import check_glb_size
from .mesh_settings import MeshSettings
from .meshdata import DepthMesh
from .metadata import plain_json, software_version
from .panorama import RGBDPanorama
from .scene_mesh import SceneMeshes

__all__ = [
    "write_scene_glb",
    "build_scene_glb",
    "write_glb",
    "glb_bytes",
    "build_glb",
    "GLBParts",
    "texture_bytes",
    "MAX_TEXTURE_WIDTH",
    "TEXTURE_FORMATS",
]

# -- glTF / GLB constants (glTF 2.0 specification) ------------------------------------------
GLB_MAGIC = 0x46546C67  # "glTF"
GLB_VERSION = 2
CHUNK_JSON = 0x4E4F534A  # "JSON"
CHUNK_BIN = 0x004E4942  # "BIN\0"
ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
COMPONENT_FLOAT = 5126
COMPONENT_UNSIGNED_SHORT = 5123
COMPONENT_UNSIGNED_INT = 5125
FILTER_LINEAR = 9729
FILTER_LINEAR_MIPMAP_LINEAR = 9987
WRAP_REPEAT = 10497
WRAP_CLAMP_TO_EDGE = 33071
#: uint16 index 65535 is the primitive-restart value, which glTF forbids in indices.
UINT16_MAX_INDEX = 65534

#: Textures wider than this are downscaled (many engines and WebGL devices cap at 8192).
MAX_TEXTURE_WIDTH = 8192
#: Texture choices: ``auto`` embeds the panorama's encoded bytes whatever their format
#: (JPEG when it has none).
TEXTURE_FORMATS = ("jpeg", "png", "auto")
_MIME = {"jpeg": "image/jpeg", "png": "image/png"}
_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG"}
#: zlib level for PNG textures (Pillow's default; lower levels barely save time on photos).
PNG_COMPRESS_LEVEL = 6


def _pad4(n: int) -> int:
    return (4 - n % 4) % 4


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from an encoded image's header (nothing is decoded), or None."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except Exception:  # unreadable bytes: the caller re-encodes from pixels
        return None


def texture_bytes(
    pano: RGBDPanorama,
    texture: str = "jpeg",
    *,
    jpeg_quality: int = 92,
    max_width: int = MAX_TEXTURE_WIDTH,
) -> tuple[bytes, str, list[str]]:
    """The panorama's colour as an encoded image, reusing existing bytes when possible.

    Parameters
    ----------
    pano : RGBDPanorama
    texture : {"jpeg", "png", "auto"}
        Wanted format; ``auto`` takes ``pano.rgb_encoded`` in whatever format it is.
    jpeg_quality : int
        1..100, used only when JPEG has to be encoded.
    max_width : int
        Wider images are downscaled to ``max_width x max_width/2`` (and re-encoded).

    Returns
    -------
    data : bytes
        The encoded image (``pano.rgb_encoded`` itself when it was reused).
    mime : str
        ``"image/jpeg"`` or ``"image/png"``.
    notices : list of str
        What the caller should tell the user (e.g. a downscale).
    """
    from PIL import Image

    if texture not in TEXTURE_FORMATS:
        raise InputError(f"unknown texture format {texture!r}",
                         hint="use one of: " + ", ".join(TEXTURE_FORMATS))
    if not (1 <= int(jpeg_quality) <= 100):
        raise InputError(f"JPEG quality must be 1..100, got {jpeg_quality}",
                         hint="for example --jpeg-quality 92")
    if max_width < 2:
        raise InputError(f"maximum texture width must be at least 2, got {max_width}")
    notices: list[str] = []
    have = pano.rgb_encoded if pano.rgb_mime in _PIL_FORMAT else None
    if texture == "auto":
        mime = pano.rgb_mime if have is not None else _MIME["jpeg"]
    else:
        mime = _MIME[texture]
    w, h = pano.width, pano.height
    if w > max_width:
        tw = max_width - max_width % 2
        th = tw // 2
        img = Image.fromarray(pano.rgb).resize((tw, th), Image.Resampling.LANCZOS,
                                               reducing_gap=3.0)
        notices.append(f"texture downscaled from {w}x{h} to {tw}x{th}: GLB textures wider "
                       f"than {max_width} px do not load in many engines and browsers")
    else:
        if have is not None and pano.rgb_mime == mime and _image_size(have) == (w, h):
            return bytes(have), mime, notices
        img = Image.fromarray(np.ascontiguousarray(pano.rgb))
    buf = io.BytesIO()
    if mime == "image/jpeg":
        img.save(buf, format="JPEG", quality=int(jpeg_quality))
    else:
        img.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue(), mime, notices


@dataclass
class GLBParts:
    """A GLB file as the sequence of buffers to write one after another.

    Attributes
    ----------
    parts : list of bytes-like
        Headers, JSON, the mesh arrays (views of the mesh's own memory), the image, padding.
    byte_length : int
        Total file size in bytes.
    notices : list of str
        Messages for the user (texture downscaled, ...).
    gltf : dict
        The JSON document (for inspection).
    """

    parts: list
    byte_length: int
    notices: list[str] = field(default_factory=list)
    gltf: dict = field(default_factory=dict)


def _bounds(pos: np.ndarray) -> tuple[list[float], list[float]]:
    """Exact per-axis min/max of (checked, finite) positions: column reductions."""
    return ([float(pos[:, k].min()) for k in range(pos.shape[1])],
            [float(pos[:, k].max()) for k in range(pos.shape[1])])


class _Writer:
    """Collects the BIN chunk's blobs with their bufferViews/accessors and the JSON lists."""

    def __init__(self) -> None:
        self.blobs: list = []
        self.sizes: list[int] = []
        self.cursor = 0
        self.gltf: dict = {"bufferViews": [], "accessors": [], "images": [], "textures": [],
                           "samplers": [], "materials": [], "meshes": [], "nodes": []}

    def _view(self, blob, size: int, target: int | None) -> int:
        view = {"buffer": 0, "byteOffset": self.cursor, "byteLength": size}
        if target is not None:
            view["target"] = target
        self.blobs.append(blob)
        self.sizes.append(size)
        self.cursor += size + _pad4(size)
        self.gltf["bufferViews"].append(view)
        return len(self.gltf["bufferViews"]) - 1

    def accessor(self, arr: np.ndarray, kind: str, component: int, *, target: int = ARRAY_BUFFER,
                 bounds: bool = False, normalized: bool = False) -> int:
        """An accessor over ``arr`` (C-contiguous little-endian), written without a copy."""
        view = self._view(arr, arr.nbytes, target)
        acc = {"bufferView": view, "componentType": component,
               "count": int(arr.shape[0]) if kind != "SCALAR" else int(arr.size), "type": kind}
        if normalized:
            acc["normalized"] = True
        if bounds:
            acc["min"], acc["max"] = _bounds(arr)
        self.gltf["accessors"].append(acc)
        return len(self.gltf["accessors"]) - 1

    def indices(self, faces: np.ndarray, n_vertices: int) -> int:
        idx = faces if n_vertices - 1 > UINT16_MAX_INDEX else np.ascontiguousarray(faces, "<u2")
        comp = COMPONENT_UNSIGNED_SHORT if idx.dtype.itemsize == 2 else COMPONENT_UNSIGNED_INT
        return self.accessor(idx, "SCALAR", comp, target=ELEMENT_ARRAY_BUFFER)

    def texture(self, data: bytes, mime: str, name: str, wrap_s: int) -> int:
        view = self._view(data, len(data), None)
        g = self.gltf
        g["images"].append({"name": name, "bufferView": view, "mimeType": mime})
        g["samplers"].append({"magFilter": FILTER_LINEAR, "minFilter": FILTER_LINEAR_MIPMAP_LINEAR,
                              "wrapS": wrap_s, "wrapT": WRAP_CLAMP_TO_EDGE})
        g["textures"].append({"sampler": len(g["samplers"]) - 1, "source": len(g["images"]) - 1})
        return len(g["textures"]) - 1

    def add(self, key: str, item: dict) -> int:
        self.gltf[key].append(item)
        return len(self.gltf[key]) - 1

    def finish(self, head: dict, notices: list[str]) -> GLBParts:
        gltf = dict(head)
        gltf.update({k: v for k, v in self.gltf.items() if v})
        gltf["buffers"] = [{"byteLength": self.cursor}]
        js = json.dumps(gltf, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        js_bytes = js.encode("utf-8")
        js_bytes += b" " * _pad4(len(js_bytes))
        total = 12 + 8 + len(js_bytes) + 8 + self.cursor
        check_glb_size(total)  # (before packing: the header's length field is 32-bit)
        parts: list = [
            struct.pack("<III", GLB_MAGIC, GLB_VERSION, total),
            struct.pack("<II", len(js_bytes), CHUNK_JSON),
            js_bytes,
            struct.pack("<II", self.cursor, CHUNK_BIN),
        ]
        for blob, size in zip(self.blobs, self.sizes, strict=True):
            parts.append(memoryview(blob).cast("B") if isinstance(blob, np.ndarray) else blob)
            if _pad4(size):
                parts.append(b"\0" * _pad4(size))
        return GLBParts(parts=parts, byte_length=total, notices=notices, gltf=gltf)


def _unlit_material(w: _Writer, name: str, texture: int) -> int:
    return w.add("materials", {
        "name": name,
        "pbrMetallicRoughness": {"baseColorTexture": {"index": texture},
                                 "metallicFactor": 0.0, "roughnessFactor": 1.0},
        "extensions": {"KHR_materials_unlit": {}},
        "doubleSided": False,
    })


def _panorama_node(w: _Writer, name: str, pano: RGBDPanorama, mesh: DepthMesh, options: dict,
                   notices: list[str], extras: dict | None = None) -> int:
    """A node with an unlit, inward DepthFusion mesh textured by ``pano`` (dome or layer)."""
    pos, uvs, faces = mesh.checked()
    image, mime, more = texture_bytes(pano, options["texture"],
                                      jpeg_quality=options["jpeg_quality"],
                                      max_width=options["max_texture_width"])
    notices += more
    attrs = {"POSITION": w.accessor(pos, "VEC3", COMPONENT_FLOAT, bounds=True),
             "TEXCOORD_0": w.accessor(uvs, "VEC2", COMPONENT_FLOAT)}
    index = w.indices(faces, pos.shape[0])
    material = _unlit_material(w, f"{name} (unlit)", w.texture(image, mime, name, WRAP_REPEAT))
    mesh_i = w.add("meshes", {"name": name, "primitives": [
        {"attributes": attrs, "indices": index, "material": material}]})
    node = {"name": name, "mesh": mesh_i}
    if extras:
        node["extras"] = plain_json(extras)
    return w.add("nodes", node)


def vertex_normals(positions: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(N, 3) float32 unit area-weighted vertex normals; ``+Y`` for vertices no face uses.

    Parameters
    ----------
    positions : (N, 3) float32 ndarray
    faces : (M, 3) integer ndarray, counter-clockwise seen from outside
    """
    p = positions.astype(np.float64)
    f = faces.astype(np.int64)
    fn = np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]])
    n = np.zeros_like(p)
    for k in range(3):
        np.add.at(n, f[:, k], fn)
    length = np.linalg.norm(n, axis=1)
    ok = length > 0
    n[ok] /= length[ok, None]
    n[~ok] = (0.0, 1.0, 0.0)
    return np.ascontiguousarray(n, "<f4")


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    c = c.astype(np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _prop_node(w: _Writer, prop: Prop) -> int:
    """A node with the prop's own mesh (object frame) and its transform as TRS."""
    m = prop.mesh
    pos = np.ascontiguousarray(m.positions, "<f4")
    attrs = {"POSITION": w.accessor(pos, "VEC3", COMPONENT_FLOAT, bounds=True)}
    if prop.material == "pbr":
        attrs["NORMAL"] = w.accessor(vertex_normals(pos, m.faces), "VEC3", COMPONENT_FLOAT)
    pbr: dict = {"metallicFactor": 0.0, "roughnessFactor": 1.0}
    if m.texture is not None:
        attrs["TEXCOORD_0"] = w.accessor(np.ascontiguousarray(m.uvs, "<f4"), "VEC2",
                                         COMPONENT_FLOAT)
        buf = io.BytesIO()
        from PIL import Image

        Image.fromarray(m.texture).save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
        pbr["baseColorTexture"] = {"index": w.texture(buf.getvalue(), "image/png", prop.name,
                                                      WRAP_CLAMP_TO_EDGE)}
    if m.colors is not None:
        # glTF vertex colours are linear; ours are sRGB like every image.
        rgb = _srgb_to_linear(m.colors[:, :3])
        lin = np.concatenate([rgb, m.colors[:, 3:4] / 255.0], axis=1)
        attrs["COLOR_0"] = w.accessor(np.ascontiguousarray(np.round(lin * 65535), "<u2"),
                                      "VEC4", COMPONENT_UNSIGNED_SHORT, normalized=True)
    material = {"name": f"{prop.name} ({prop.material})", "pbrMetallicRoughness": pbr,
                "doubleSided": False}
    if prop.material == "unlit":
        material["extensions"] = {"KHR_materials_unlit": {}}
    prim = {"attributes": attrs, "material": w.add("materials", material),
            "indices": w.indices(np.ascontiguousarray(m.faces, "<u4"), pos.shape[0])}
    mesh_i = w.add("meshes", {"name": prop.name, "primitives": [prim]})
    t = prop.transform
    return w.add("nodes", {
        "name": prop.name, "mesh": mesh_i, "translation": list(t.translation),
        "rotation": list(t.rotation), "scale": [t.scale] * 3,
        "extras": plain_json({"id": prop.id, "material": prop.material, "source": prop.source}),
    })


def build_scene_glb(
    scene: Scene,
    meshes: SceneMeshes,
    *,
    texture: str = "jpeg",
    jpeg_quality: int = 92,
    metadata: dict | None = None,
    max_texture_width: int = MAX_TEXTURE_WIDTH,
) -> GLBParts:
    """Assemble the GLB of a whole composition without copying the mesh arrays.

    The file has one scene whose one root node (named ``scene.name``) has a child per part:
    ``dome``, then ``layer <id>`` for each layer in ``meshes.layers``, then each prop under
    its own name, with its :class:`~scene.composition.Transform` as the node's TRS.

    Parameters
    ----------
    scene : Scene
        The dome supplies the generation metadata and depth interpretation of the extras.
    meshes : SceneMeshes
        The dome's and layers' meshes (:func:`scene.scene_mesh.build_scene_meshes`).
    texture, jpeg_quality, max_texture_width
        See :func:`texture_bytes` (dome and layers; prop textures are PNG).
    metadata : dict, optional
        Generation metadata for ``extras`` (default: ``scene.dome.metadata.record()``).

    Returns
    -------
    GLBParts
    """
    pano, mesh = scene.dome, meshes.dome
    options = {"texture": texture, "jpeg_quality": jpeg_quality,
               "max_texture_width": max_texture_width}
    notices: list[str] = []
    w = _Writer()
    w.add("nodes", {"name": scene.name or "scene"})
    children = [_panorama_node(w, "dome", pano, mesh, options, notices)]
    for layer, layer_mesh in meshes.layers:
        children.append(_panorama_node(
            w, f"layer {layer.id}", layer.panorama, layer_mesh, options, notices,
            {"id": layer.id, "kind": layer.kind, "walk_radius_m": layer.walk_radius,
             "method": layer.method, "label": layer.label,
             "depth_interpretation": (layer.panorama.interpretation.to_dict()
                                      if layer.panorama.interpretation else None)}))
    children += [_prop_node(w, prop) for prop in scene.props]
    w.gltf["nodes"][0]["children"] = children

    generation = metadata if metadata is not None else pano.metadata.record()
    # the licence of every model the file depends on (dome, layers, props), and whether one
    # of them forbids commercial use
    licences = collect([*collect(generation), *collect(scene)])
    extras = {
        "generation": generation,
        "licences": licences,
        "non_commercial": bool(non_commercial(licences)),
        "mesh": dict(mesh.stats, vertices=mesh.n_vertices, faces=mesh.n_faces),
        "depth_interpretation": (pano.interpretation.to_dict()
                                 if pano.interpretation is not None else None),
        "panorama": {"width": pano.width, "height": pano.height,
                     "flat_radius_m": float(pano.flat_radius) if not pano.has_depth else None},
        "units": "metres",
        "parts": {"layers": len(meshes.layers), "props": len(scene.props)},
        # measured by ``panoforge layer`` (scene.walkzone): how far a player may move
        "walk_zone": pano.metadata.extra.get("walk_zone"),
    }
    used = sorted({e for m in w.gltf["materials"] for e in m.get("extensions", {})})
    head = {"asset": {"version": "2.0", "generator": f"Panoforge {software_version()}"}}
    if used:
        head["extensionsUsed"] = used
    head.update({"scene": 0,
                 "scenes": [{"name": "Panoforge scene", "nodes": [0], "extras": plain_json(extras)}]})
    return w.finish(head, notices)


def build_glb(pano: RGBDPanorama, mesh: DepthMesh, **options) -> GLBParts:
    """The GLB of a scene that is only ``pano``'s dome (see :func:`build_scene_glb`)."""
    return build_scene_glb(Scene(dome=pano), _dome_only(mesh), **options)


def _dome_only(mesh: DepthMesh) -> SceneMeshes:
    return SceneMeshes(dome=mesh, layers=(), settings=MeshSettings())


def glb_bytes(pano: RGBDPanorama, mesh: DepthMesh, **options) -> tuple[bytes, list[str]]:
    """The whole GLB file in memory (see :func:`build_glb` for ``options``).

    Returns
    -------
    data : bytes
    notices : list of str
    """
    glb = build_glb(pano, mesh, **options)
    return b"".join(glb.parts), glb.notices


def write_glb(
    path: str | os.PathLike,
    pano: RGBDPanorama,
    mesh: DepthMesh,
    *,
    texture: str = "jpeg",
    jpeg_quality: int = 92,
    metadata: dict | None = None,
    max_texture_width: int = MAX_TEXTURE_WIDTH,
) -> list[str]:
    """Write ``mesh`` textured by ``pano`` to a ``.glb`` file, atomically.

    Parameters
    ----------
    path : str or PathLike
        Target file; replaced whole or left untouched.
    pano : RGBDPanorama
    mesh : DepthMesh
    texture : {"jpeg", "png", "auto"}
        Embedded image format. Encoded bytes already held by the panorama in that format
        are embedded unchanged.
    jpeg_quality : int
        1..100, when JPEG must be encoded.
    metadata : dict, optional
        Generation metadata for ``scenes[0].extras["generation"]``
        (default ``pano.metadata.record()``).
    max_texture_width : int
        Wider textures are downscaled (default 8192).

    Returns
    -------
    list of str
        Notices for the user, e.g. that the texture was downscaled.
    """
    return write_scene_glb(path, Scene(dome=pano), _dome_only(mesh), texture=texture,
                           jpeg_quality=jpeg_quality, metadata=metadata,
                           max_texture_width=max_texture_width)


def write_scene_glb(
    path: str | os.PathLike,
    scene: Scene,
    meshes: SceneMeshes,
    **options,
) -> list[str]:
    """Write the whole composition to a ``.glb`` file, atomically (see :func:`build_scene_glb`
    for ``options``).

    Returns
    -------
    list of str
        Notices for the user, e.g. that a texture was downscaled.
    """
    glb = build_scene_glb(scene, meshes, **options)
    with atomic_writer(path) as fh:
        for part in glb.parts:
            fh.write(part)
    return glb.notices
