"""Export a DepthFusion mesh and its panorama as one binary glTF (``.glb``) file.

What the file holds (glTF 2.0, checked by the Khronos validator in the tests):

* one scene, one node, one mesh with one triangle primitive: ``POSITION`` (float32, metres,
  +Y up, the panorama centre towards -Z, exact ``min``/``max``), ``TEXCOORD_0`` (float32) and
  indices (uint16 when every index fits below 65535, else uint32);
* one material: ``KHR_materials_unlit`` (a sky dome must not be lit), base colour texture,
  ``doubleSided: false``; faces wind counter-clockwise seen from the origin, so the scene is
  seen from inside and culled from outside;
* the texture embedded in the binary chunk: JPEG by default or PNG; when the panorama already
  carries encoded bytes of the wanted format (``RGBDPanorama.rgb_encoded``) they are embedded
  as they are, without decoding or re-encoding. The sampler repeats horizontally (the seam
  column of the mesh has ``u`` just past 1) and clamps vertically;
* the generation metadata, mesh statistics and depth interpretation in ``scenes[0].extras``;
  ``asset.generator`` is ``"Panoforge <version>"``.

Speed: the vertex, uv and index arrays are written straight from the mesh's own memory
(one ``write`` per array, no concatenation or ``tobytes`` copy); only the small JSON chunk is
built in Python. ``min``/``max`` are per-column reductions (a strided column reduction is far
faster than ``min(axis=0)`` on an ``(N, 3)`` array).
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .atomic import atomic_writer
from .errors import InputError
from .meshdata import DepthMesh
from .metadata import plain_json, software_version
from .panorama import RGBDPanorama

__all__ = [
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


def _check_mesh(mesh: DepthMesh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`DepthMesh.checked` arrays, indices narrowed to uint16 when they fit."""
    pos, uvs, faces = mesh.checked()
    if pos.shape[0] - 1 <= UINT16_MAX_INDEX:
        return pos, uvs, np.ascontiguousarray(faces, dtype="<u2")
    return pos, uvs, faces


def _bounds(pos: np.ndarray) -> tuple[list[float], list[float]]:
    """Exact per-axis min/max of float32 positions (column reductions); NaN is an error."""
    lo = [float(pos[:, k].min()) for k in range(3)]
    hi = [float(pos[:, k].max()) for k in range(3)]
    if not all(math.isfinite(v) for v in lo + hi):
        raise InputError("the mesh has non-finite vertex positions",
                         hint="rebuild the mesh: unknown depth must drop faces, not make NaN vertices")
    return lo, hi


def build_glb(
    pano: RGBDPanorama,
    mesh: DepthMesh,
    *,
    texture: str = "jpeg",
    jpeg_quality: int = 92,
    metadata: dict | None = None,
    max_texture_width: int = MAX_TEXTURE_WIDTH,
) -> GLBParts:
    """Assemble a GLB as a list of buffers without copying the mesh arrays.

    Parameters
    ----------
    pano : RGBDPanorama
        Supplies the texture, the generation metadata and the depth interpretation.
    mesh : DepthMesh
        ``positions`` (N, 3) float32 metres, ``uvs`` (N, 2) float32, ``faces`` (M, 3) uint32
        wound counter-clockwise seen from the origin.
    texture, jpeg_quality, max_texture_width
        See :func:`texture_bytes`.
    metadata : dict, optional
        Generation metadata for ``extras`` (default: ``pano.metadata.record()``).

    Returns
    -------
    GLBParts
    """
    pos, uvs, idx = _check_mesh(mesh)
    lo, hi = _bounds(pos)
    image, mime, notices = texture_bytes(pano, texture, jpeg_quality=jpeg_quality,
                                         max_width=max_texture_width)
    n_vert = int(pos.shape[0])
    n_index = int(idx.size)
    index_type = COMPONENT_UNSIGNED_SHORT if idx.dtype.itemsize == 2 else COMPONENT_UNSIGNED_INT

    # BIN chunk layout: positions | uvs | indices | image, each 4-byte aligned.
    blobs: Sequence = (pos, uvs, idx, image)
    sizes = [pos.nbytes, uvs.nbytes, idx.nbytes, len(image)]
    offsets = []
    cursor = 0
    for size in sizes:
        offsets.append(cursor)
        cursor += size + _pad4(size)
    bin_length = cursor

    extras = {
        "generation": metadata if metadata is not None else pano.metadata.record(),
        "mesh": dict(mesh.stats, vertices=n_vert, faces=n_index // 3),
        "depth_interpretation": (pano.interpretation.to_dict()
                                 if pano.interpretation is not None else None),
        "panorama": {"width": pano.width, "height": pano.height,
                     "flat_radius_m": float(pano.flat_radius) if not pano.has_depth else None},
        "units": "metres",
    }
    gltf = {
        "asset": {"version": "2.0", "generator": f"Panoforge {software_version()}"},
        "extensionsUsed": ["KHR_materials_unlit"],
        "scene": 0,
        "scenes": [{"name": "Panoforge scene", "nodes": [0], "extras": plain_json(extras)}],
        "nodes": [{"name": "panorama", "mesh": 0}],
        "meshes": [{
            "name": "depthfusion",
            "primitives": [{"attributes": {"POSITION": 0, "TEXCOORD_0": 1},
                            "indices": 2, "material": 0}],
        }],
        "materials": [{
            "name": "panorama (unlit)",
            "pbrMetallicRoughness": {"baseColorTexture": {"index": 0},
                                     "metallicFactor": 0.0, "roughnessFactor": 1.0},
            "extensions": {"KHR_materials_unlit": {}},
            "doubleSided": False,
        }],
        "textures": [{"sampler": 0, "source": 0}],
        "samplers": [{"magFilter": FILTER_LINEAR, "minFilter": FILTER_LINEAR_MIPMAP_LINEAR,
                      "wrapS": WRAP_REPEAT, "wrapT": WRAP_CLAMP_TO_EDGE}],
        "images": [{"name": "panorama", "bufferView": 3, "mimeType": mime}],
        "accessors": [
            {"bufferView": 0, "componentType": COMPONENT_FLOAT, "count": n_vert,
             "type": "VEC3", "min": lo, "max": hi},
            {"bufferView": 1, "componentType": COMPONENT_FLOAT, "count": n_vert,
             "type": "VEC2"},
            {"bufferView": 2, "componentType": index_type, "count": n_index,
             "type": "SCALAR"},
        ],
        "bufferViews": [
            {"buffer": 0, "byteOffset": offsets[0], "byteLength": sizes[0],
             "target": ARRAY_BUFFER},
            {"buffer": 0, "byteOffset": offsets[1], "byteLength": sizes[1],
             "target": ARRAY_BUFFER},
            {"buffer": 0, "byteOffset": offsets[2], "byteLength": sizes[2],
             "target": ELEMENT_ARRAY_BUFFER},
            {"buffer": 0, "byteOffset": offsets[3], "byteLength": sizes[3]},
        ],
        "buffers": [{"byteLength": bin_length}],
    }
    js = json.dumps(gltf, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    js_bytes = js.encode("utf-8")
    js_bytes += b" " * _pad4(len(js_bytes))
    total = 12 + 8 + len(js_bytes) + 8 + bin_length

    parts: list = [
        struct.pack("<III", GLB_MAGIC, GLB_VERSION, total),
        struct.pack("<II", len(js_bytes), CHUNK_JSON),
        js_bytes,
        struct.pack("<II", bin_length, CHUNK_BIN),
    ]
    for blob, size in zip(blobs, sizes, strict=True):
        parts.append(memoryview(blob).cast("B") if isinstance(blob, np.ndarray) else blob)
        if _pad4(size):
            parts.append(b"\0" * _pad4(size))
    return GLBParts(parts=parts, byte_length=total, notices=notices, gltf=gltf)


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
    glb = build_glb(pano, mesh, texture=texture, jpeg_quality=jpeg_quality, metadata=metadata,
                    max_texture_width=max_texture_width)
    with atomic_writer(path) as fh:
        for part in glb.parts:
            fh.write(part)
    return glb.notices
