"""Rewrite a finished GLB: add a collider node, compress its meshes with Draco or meshoptimizer.

The GLB writer (:mod:`scene.export_glb`) makes a plain, validator-clean file; engine presets
(:mod:`scene.export_presets`) need the same file with the mesh data compressed the way the
engine's importer reads it. This module takes the finished GLB's JSON and binary chunk and
writes a new one; it never writes a codec itself:

``draco``
    ``KHR_draco_mesh_compression`` through **DracoPy** (Google's Draco encoder). Every
    triangle primitive becomes one Draco buffer; its accessors keep their type and bounds and
    lose their ``bufferView`` as the extension requires. Vertex counts are read back from the
    encoded buffer (Draco may reorder and split vertices).
``meshopt``
    ``EXT_meshopt_compression`` through the **meshoptimizer** package
    (``encode_vertex_buffer`` in ``ATTRIBUTES`` mode, codec version 0, which is the one the
    EXT extension defines; ``encode_index_buffer`` in ``TRIANGLES`` mode). The uncompressed
    data lives in a fallback buffer without bytes, so the extension is required. Before
    encoding, the triangles are put in meshoptimizer's vertex-cache order
    (``optimize_vertex_cache``, up to :data:`MESHOPT_CACHE_MAX_FACES` triangles: the same
    triangles, each with its corners in the same cyclic order, so winding is kept; the index
    codec then needs ~19 % fewer bytes), and
    the float positions of textured surfaces are rounded to :data:`MESHOPT_POSITION_BITS`
    mantissa bits (they stay float32; the vertex codec packs the zeroed low bits to almost
    nothing).
    Rounding is relative, so from the room's centre every vertex moves by at most
    ``2**-(bits+1)`` radians (1.2e-4 rad at 12 bits, 0.16 px of an 8192 px panorama).
    meshoptimizer's Python package has no encode filters (only their decoders), so
    ``KHR_mesh_quantization`` / the EXT filters are not used: uniform 16-bit positions would
    move the near walls of a room with a 1 km sky by several pixels.

Both are optional packages (``pip install 'panoforge[compress]'``); a missing one is an
:class:`~scene.errors.InputError` saying so, before anything is written.

Textures are copied as they are; KTX2 textures are :mod:`scene.texture_ktx2`'s job.
"""

from __future__ import annotations

import json
import struct

import numpy as np

from .errors import InputError

__all__ = ["GLBDocument", "read_glb", "COMPRESSIONS", "require_encoder", "compress_document",
           "MESHOPT_POSITION_BITS", "round_mantissa"]

#: Mesh compression methods -> the glTF extension each writes.
COMPRESSIONS = {"draco": "KHR_draco_mesh_compression", "meshopt": "EXT_meshopt_compression"}
_MODULES = {"draco": ("DracoPy", "DracoPy"), "meshopt": ("meshoptimizer", "meshoptimizer")}

_GLB_MAGIC = 0x46546C67
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942
_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963
_COMPONENTS = {5120: "i1", 5121: "u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_UNSIGNED_BYTE, _UNSIGNED_SHORT, _UNSIGNED_INT, _FLOAT = 5121, 5123, 5125, 5126


def require_encoder(method: str):
    """The encoder module for ``method`` (``draco`` or ``meshopt``), imported.

    Raises
    ------
    InputError
        Unknown method, or its package is not installed (the hint says how to install it).
    """
    if method not in COMPRESSIONS:
        raise InputError(f"unknown mesh compression {method!r}",
                         hint="use one of: " + ", ".join(COMPRESSIONS))
    module, package = _MODULES[method]
    try:
        return __import__(module)
    except ImportError:
        raise InputError(f"{COMPRESSIONS[method]} needs the {package} package, which is not "
                         "installed", hint="pip install 'panoforge[compress]'") from None


def _pad4(n: int) -> int:
    return (4 - n % 4) % 4


class GLBDocument:
    """A GLB file as its JSON document and one bytes object per bufferView.

    Parameters
    ----------
    gltf : dict
        The JSON chunk (a copy is kept and edited).
    views : list of bytes-like
        The data of ``gltf["bufferViews"][i]``, in order (all in buffer 0, the BIN chunk).
    """

    def __init__(self, gltf: dict, views: list) -> None:
        self.gltf = json.loads(json.dumps(gltf))
        self.views = list(views)

    # -- reading ---------------------------------------------------------------------------
    def accessor_array(self, index: int) -> np.ndarray:
        """Accessor ``index`` as an ``(count, width)`` array (tightly packed views only)."""
        acc = self.gltf["accessors"][index]
        view = self.views[acc["bufferView"]]
        dtype = np.dtype(_COMPONENTS[acc["componentType"]])
        width = _WIDTH[acc["type"]]
        start = acc.get("byteOffset", 0)
        arr = np.frombuffer(view, dtype=dtype, count=acc["count"] * width, offset=start)
        return arr.reshape(acc["count"], width)

    # -- editing ---------------------------------------------------------------------------
    def add_view(self, data, target: int | None = None) -> int:
        view = {"buffer": 0, "byteLength": len(memoryview(data).cast("B"))}
        if target is not None:
            view["target"] = target
        self.gltf.setdefault("bufferViews", []).append(view)
        self.views.append(data)
        return len(self.gltf["bufferViews"]) - 1

    def add_accessor(self, arr: np.ndarray, kind: str, component: int, *, target: int,
                     bounds: bool = False) -> int:
        arr = np.ascontiguousarray(arr, _COMPONENTS[component])
        acc = {"bufferView": self.add_view(arr, target), "componentType": component,
               "count": int(arr.shape[0]) if kind != "SCALAR" else int(arr.size), "type": kind}
        if bounds:
            acc["min"] = [float(v) for v in arr.min(axis=0)]
            acc["max"] = [float(v) for v in arr.max(axis=0)]
        self.gltf.setdefault("accessors", []).append(acc)
        return len(self.gltf["accessors"]) - 1

    def add_mesh_node(self, name: str, positions: np.ndarray, faces: np.ndarray,
                      parent: int = 0, extras: dict | None = None) -> int:
        """A node with a material-less triangle mesh under node ``parent``; its index."""
        pos = self.add_accessor(positions, "VEC3", _FLOAT, target=_ARRAY_BUFFER, bounds=True)
        big = int(positions.shape[0]) - 1 > 65534
        idx = self.add_accessor(faces.reshape(-1), "SCALAR",
                                _UNSIGNED_INT if big else _UNSIGNED_SHORT,
                                target=_ELEMENT_ARRAY_BUFFER)
        g = self.gltf
        g.setdefault("meshes", []).append(
            {"name": name, "primitives": [{"attributes": {"POSITION": pos}, "indices": idx}]})
        node = {"name": name, "mesh": len(g["meshes"]) - 1}
        if extras:
            node["extras"] = extras
        g["nodes"].append(node)
        g["nodes"][parent].setdefault("children", []).append(len(g["nodes"]) - 1)
        return len(g["nodes"]) - 1

    def require_extension(self, name: str) -> None:
        for key in ("extensionsUsed", "extensionsRequired"):
            have = self.gltf.setdefault(key, [])
            if name not in have:
                have.append(name)
                have.sort()

    def drop_unused_views(self) -> None:
        """Remove bufferViews no accessor, image or extension points at (renumbering)."""
        g = self.gltf
        used = set()
        for acc in g.get("accessors", []):
            if "bufferView" in acc:
                used.add(acc["bufferView"])
        for img in g.get("images", []):
            if "bufferView" in img:
                used.add(img["bufferView"])
        for mesh in g.get("meshes", []):
            for prim in mesh["primitives"]:
                ext = prim.get("extensions", {}).get(COMPRESSIONS["draco"])
                if ext:
                    used.add(ext["bufferView"])
        new_index = {}
        views, items = [], []
        for i, (item, data) in enumerate(zip(g["bufferViews"], self.views, strict=True)):
            if i in used:
                new_index[i] = len(items)
                items.append(item)
                views.append(data)
        g["bufferViews"], self.views = items, views
        for acc in g.get("accessors", []):
            if "bufferView" in acc:
                acc["bufferView"] = new_index[acc["bufferView"]]
        for img in g.get("images", []):
            if "bufferView" in img:
                img["bufferView"] = new_index[img["bufferView"]]
        for mesh in g.get("meshes", []):
            for prim in mesh["primitives"]:
                ext = prim.get("extensions", {}).get(COMPRESSIONS["draco"])
                if ext:
                    ext["bufferView"] = new_index[ext["bufferView"]]

    # -- writing ---------------------------------------------------------------------------
    def parts(self) -> tuple[list, int]:
        """The file as buffers to write in order, and its total size in bytes.

        Views in buffer 0 are laid out one after another (4-byte aligned); a view that
        belongs to the meshopt fallback buffer (buffer 1) keeps its own offsets and writes
        its compressed bytes into buffer 0 (the extension's ``byteOffset``).
        """
        g = self.gltf
        cursor = 0
        blobs: list = []
        for item, data in zip(g.get("bufferViews", []), self.views, strict=True):
            size = len(memoryview(data).cast("B"))
            ext = item.get("extensions", {}).get(COMPRESSIONS["meshopt"])
            if ext is not None:
                ext["byteOffset"] = cursor
                ext["byteLength"] = size
            else:
                item["byteOffset"] = cursor
                item["byteLength"] = size
            blobs.append((data, size))
            cursor += size + _pad4(size)
        g["buffers"][0] = {"byteLength": cursor}
        js = json.dumps(g, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        js_bytes = js.encode("utf-8")
        js_bytes += b" " * _pad4(len(js_bytes))
        total = 12 + 8 + len(js_bytes) + 8 + cursor
        out: list = [struct.pack("<III", _GLB_MAGIC, 2, total),
                     struct.pack("<II", len(js_bytes), _CHUNK_JSON), js_bytes,
                     struct.pack("<II", cursor, _CHUNK_BIN)]
        for data, size in blobs:
            out.append(memoryview(data).cast("B") if isinstance(data, np.ndarray) else data)
            if _pad4(size):
                out.append(b"\0" * _pad4(size))
        return out, total

    def to_bytes(self) -> bytes:
        return b"".join(self.parts()[0])


def read_glb(parts_or_bytes) -> GLBDocument:
    """Parse a GLB (bytes, or the list of buffers :class:`scene.export_glb.GLBParts` holds)."""
    data = parts_or_bytes if isinstance(parts_or_bytes, bytes | bytearray) else \
        b"".join(bytes(memoryview(p).cast("B")) if not isinstance(p, bytes) else p
                 for p in parts_or_bytes)
    magic, _version, _total = struct.unpack_from("<III", data, 0)
    if magic != _GLB_MAGIC:
        raise InputError("not a GLB file")
    js_len, js_type = struct.unpack_from("<II", data, 12)
    gltf = json.loads(bytes(data[20:20 + js_len]))
    bin_start = 20 + js_len + 8
    mv = memoryview(data)
    views = [mv[bin_start + v.get("byteOffset", 0):bin_start + v.get("byteOffset", 0)
                + v["byteLength"]] for v in gltf.get("bufferViews", [])]
    return GLBDocument(gltf, views)


# -- Draco -------------------------------------------------------------------------------------
#: Draco quantization: 14 bits for positions (0.1 mm on a 1.6 m room... 0.6 mm at 10 m),
#: 12 for texture coordinates (1/4096, a quarter texel at 1024 px), 10 for normals.
DRACO_POSITION_BITS = 14
DRACO_TEXCOORD_BITS = 12
DRACO_NORMAL_BITS = 10
DRACO_LEVEL = 7
# DracoPy's attribute_type values (draco::GeometryAttribute::Type).
_DRACO_TYPES = {0: "POSITION", 1: "NORMAL", 2: "COLOR_0", 3: "TEXCOORD_0"}


#: Triangles per Draco buffer: Draco's encoder time grows faster than linearly with a
#: buffer's size (1 M triangles: ~2 s, 16 M: ~18 min on this machine), so a larger primitive
#: is split into several primitives of at most this many triangles, all quantized on one grid
#: (same origin and range) so the pieces meet exactly.
DRACO_CHUNK_FACES = 1 << 20


def _split_primitive(doc: GLBDocument, mesh: dict, prim: dict) -> list[dict]:
    """``prim`` as primitives of at most :data:`DRACO_CHUNK_FACES` triangles each."""
    faces = doc.accessor_array(prim["indices"]).reshape(-1, 3)
    if faces.shape[0] <= DRACO_CHUNK_FACES:
        return [prim]
    g = doc.gltf
    arrays = {k: doc.accessor_array(i) for k, i in prim["attributes"].items()}
    out = []
    for start in range(0, faces.shape[0], DRACO_CHUNK_FACES):
        part = faces[start:start + DRACO_CHUNK_FACES]
        used, inverse = np.unique(part.reshape(-1), return_inverse=True)
        attrs = {}
        for k, arr in arrays.items():
            acc = g["accessors"][prim["attributes"][k]]
            attrs[k] = doc.add_accessor(arr[used], acc["type"], acc["componentType"],
                                        target=_ARRAY_BUFFER, bounds=k == "POSITION")
            if acc.get("normalized"):
                g["accessors"][attrs[k]]["normalized"] = True
        idx = doc.add_accessor(inverse.astype(np.uint32), "SCALAR", _UNSIGNED_INT,
                               target=_ELEMENT_ARRAY_BUFFER)
        piece = {k: v for k, v in prim.items() if k not in ("attributes", "indices")}
        piece.update(attributes=attrs, indices=idx)
        out.append(piece)
    return out


def _draco_primitive(doc: GLBDocument, prim: dict, dracopy, grid=None) -> None:
    attrs = prim["attributes"]
    pos = doc.accessor_array(attrs["POSITION"]).astype(np.float64)
    faces = doc.accessor_array(prim["indices"]).reshape(-1, 3).astype(np.uint32)
    kw = {}
    if "TEXCOORD_0" in attrs:
        kw["tex_coord"] = doc.accessor_array(attrs["TEXCOORD_0"]).astype(np.float64)
        kw["tex_coord_quantization_bits"] = DRACO_TEXCOORD_BITS
    if "NORMAL" in attrs:
        kw["normals"] = doc.accessor_array(attrs["NORMAL"]).astype(np.float64)
        kw["normal_quantization_bits"] = DRACO_NORMAL_BITS
    if "COLOR_0" in attrs:
        c = doc.accessor_array(attrs["COLOR_0"])
        kw["colors"] = (np.round(c.astype(np.float64) / 257.0).astype(np.uint8)
                        if c.dtype.itemsize == 2 else c.astype(np.uint8))
    if grid is not None:
        kw["quantization_origin"], kw["quantization_range"] = grid
    data = dracopy.encode(pos, faces, quantization_bits=DRACO_POSITION_BITS,
                          compression_level=DRACO_LEVEL, **kw)
    decoded = dracopy.decode(data)
    ids = {_DRACO_TYPES[a["attribute_type"]]: int(a["unique_id"]) for a in decoded.attributes
           if a["attribute_type"] in _DRACO_TYPES}
    n_points = int(decoded.points.shape[0])
    n_faces = int(np.asarray(decoded.faces).reshape(-1, 3).shape[0])
    accs = doc.gltf["accessors"]
    for name, index in attrs.items():
        acc = accs[index]
        acc.pop("bufferView", None)
        acc.pop("byteOffset", None)
        acc["count"] = n_points
        if name == "COLOR_0":
            acc["componentType"] = _UNSIGNED_BYTE
    if "POSITION" in attrs:  # bounds of the quantized positions the decoder gives back
        p = np.asarray(decoded.points, np.float32)
        accs[attrs["POSITION"]]["min"] = [float(v) for v in p.min(axis=0)]
        accs[attrs["POSITION"]]["max"] = [float(v) for v in p.max(axis=0)]
    ind = accs[prim["indices"]]
    ind.pop("bufferView", None)
    ind.pop("byteOffset", None)
    ind["count"] = 3 * n_faces
    ind["componentType"] = _UNSIGNED_INT if n_points - 1 > 65534 else _UNSIGNED_SHORT
    view = doc.add_view(data)
    prim.setdefault("extensions", {})[COMPRESSIONS["draco"]] = {
        "bufferView": view, "attributes": {k: ids[k] for k in attrs}}


def _draco(doc: GLBDocument) -> None:
    dracopy = require_encoder("draco")
    for mesh in doc.gltf.get("meshes", []):
        prims = []
        for prim in mesh["primitives"]:
            if prim.get("mode", 4) == 4 and "indices" in prim:
                pieces = _split_primitive(doc, mesh, prim)
                grid = None
                if len(pieces) > 1:  # one quantization grid for all pieces: no cracks
                    acc = doc.gltf["accessors"][prim["attributes"]["POSITION"]]
                    lo, hi = np.array(acc["min"]), np.array(acc["max"])
                    grid = ([float(v) for v in lo], float((hi - lo).max()))
                for piece in pieces:
                    _draco_primitive(doc, piece, dracopy, grid)
                prims += pieces
            else:
                prims.append(prim)
        mesh["primitives"] = prims
    _drop_unused_accessors(doc)
    doc.drop_unused_views()
    doc.require_extension(COMPRESSIONS["draco"])


def _drop_unused_accessors(doc: GLBDocument) -> None:
    """Remove accessors no primitive names (the ones of split primitives), renumbering."""
    g = doc.gltf
    used = sorted({i for m in g.get("meshes", []) for p in m["primitives"]
                   for i in [*p["attributes"].values(), p.get("indices")] if i is not None})
    new = {old: k for k, old in enumerate(used)}
    g["accessors"] = [g["accessors"][i] for i in used]
    for m in g.get("meshes", []):
        for p in m["primitives"]:
            p["attributes"] = {k: new[v] for k, v in p["attributes"].items()}
            if "indices" in p:
                p["indices"] = new[p["indices"]]


# -- meshoptimizer -----------------------------------------------------------------------------
#: Mantissa bits float32 positions keep under meshopt (of 23); None keeps them exact.
MESHOPT_POSITION_BITS: int | None = 12
#: Primitives up to this many triangles are put in vertex-cache order (1 M triangles of the
#: 1024 forest: 0.22 s, index bytes -19 %); larger ones keep the writer's row order, which
#: is already local: the optimizer's time grows to 3-10 s at 16 M triangles (4096 px) on
#: this machine, over the presets' 5 s goal (its FIFO variant: still 1-4 s for -11 %).
MESHOPT_CACHE_MAX_FACES = 1 << 22


def round_mantissa(values: np.ndarray, bits: int) -> np.ndarray:
    """float32 ``values`` rounded to nearest with ``bits`` explicit mantissa bits (float32).

    Each value moves by at most ``2**-(bits+1)`` of itself; zeros, signs and exponents are
    kept (a value may round up to the next power of two).
    """
    u = np.ascontiguousarray(values, np.float32).view(np.uint32)
    drop = 23 - int(bits)
    if drop <= 0:
        return u.view(np.float32).copy()
    half = np.uint32(1 << (drop - 1))
    mask = np.uint32((0xFFFFFFFF << drop) & 0xFFFFFFFF)
    return ((u + half) & mask).view(np.float32)


def _prepare_for_meshopt(doc: GLBDocument) -> None:
    """Vertex-cache order for triangle indices; rounded positions for textured surfaces.

    Writes new views (an accessor may share a view with no other accessor here: the GLB
    writer gives each its own).
    """
    meshopt = require_encoder("meshopt")
    g = doc.gltf
    done: set[int] = set()
    for mesh in g.get("meshes", []):
        for prim in mesh["primitives"]:
            if prim.get("mode", 4) == 4 and "indices" in prim and prim["indices"] not in done:
                acc = g["accessors"][prim["indices"]]
                idx = np.ascontiguousarray(doc.accessor_array(prim["indices"]).reshape(-1),
                                           np.uint32)
                if idx.size and idx.size // 3 <= MESHOPT_CACHE_MAX_FACES:
                    n_vertices = g["accessors"][prim["attributes"]["POSITION"]]["count"]
                    out = np.empty_like(idx)
                    meshopt.optimize_vertex_cache(out, idx, idx.size, n_vertices)
                    data = out.astype(_COMPONENTS[acc["componentType"]])
                    doc.views[acc["bufferView"]] = data.tobytes()
                    acc.pop("byteOffset", None)
                done.add(prim["indices"])
            pos = prim["attributes"].get("POSITION")
            if (MESHOPT_POSITION_BITS is not None and pos is not None and pos not in done
                    and "TEXCOORD_0" in prim["attributes"]
                    and g["accessors"][pos]["componentType"] == _FLOAT):
                acc = g["accessors"][pos]
                p = round_mantissa(doc.accessor_array(pos), MESHOPT_POSITION_BITS)
                doc.views[acc["bufferView"]] = p.tobytes()
                acc.pop("byteOffset", None)
                acc["min"] = [float(v) for v in p.min(axis=0)]
                acc["max"] = [float(v) for v in p.max(axis=0)]
                done.add(pos)


def _meshopt(doc: GLBDocument) -> None:
    meshopt = require_encoder("meshopt")
    meshopt.encode_vertex_version(0)  # EXT_meshopt_compression defines vertex codec 0 only
    meshopt.encode_index_version(1)
    g = doc.gltf
    doc.drop_unused_views()
    _prepare_for_meshopt(doc)
    kinds: dict[int, tuple[str, int, int]] = {}  # view -> (mode, stride, count)
    for mesh in g.get("meshes", []):
        for prim in mesh["primitives"]:
            for index in prim["attributes"].values():
                acc = g["accessors"][index]
                stride = np.dtype(_COMPONENTS[acc["componentType"]]).itemsize * _WIDTH[acc["type"]]
                if stride % 4 == 0 and acc.get("byteOffset", 0) == 0:
                    kinds[acc["bufferView"]] = ("ATTRIBUTES", stride, acc["count"])
            if "indices" in prim and prim.get("mode", 4) == 4:
                acc = g["accessors"][prim["indices"]]
                stride = np.dtype(_COMPONENTS[acc["componentType"]]).itemsize
                kinds[acc["bufferView"]] = ("TRIANGLES", stride, acc["count"])
    fallback = 0
    for i, item in enumerate(g["bufferViews"]):
        if i not in kinds:
            continue
        mode, stride, count = kinds[i]
        raw = doc.views[i]
        size = item["byteLength"]
        if mode == "ATTRIBUTES":
            arr = np.frombuffer(raw, np.uint8, count=size).reshape(count, stride)
            data = meshopt.encode_vertex_buffer(arr, count, stride)
        else:
            idx = np.frombuffer(raw, "<u2" if stride == 2 else "<u4", count=count)
            data = meshopt.encode_index_buffer(np.ascontiguousarray(idx, np.uint32), count,
                                               int(idx.max()) + 1 if count else 0)
        item.clear()
        item.update({"buffer": 1, "byteOffset": fallback, "byteLength": size})
        if mode == "ATTRIBUTES":
            item["byteStride"] = stride
            item["target"] = _ARRAY_BUFFER
        else:
            item["target"] = _ELEMENT_ARRAY_BUFFER
        item["extensions"] = {COMPRESSIONS["meshopt"]: {
            "buffer": 0, "byteOffset": 0, "byteLength": len(data), "byteStride": stride,
            "count": count, "mode": mode}}
        doc.views[i] = data
        fallback += size + _pad4(size)
    g["buffers"].append({"byteLength": max(fallback, 4),
                         "extensions": {COMPRESSIONS["meshopt"]: {"fallback": True}}})
    doc.require_extension(COMPRESSIONS["meshopt"])


def compress_document(doc: GLBDocument, method: str | None) -> GLBDocument:
    """Compress every triangle mesh of ``doc`` in place with ``method`` (None: nothing)."""
    if method is None:
        return doc
    require_encoder(method)
    {"draco": _draco, "meshopt": _meshopt}[method](doc)
    return doc
