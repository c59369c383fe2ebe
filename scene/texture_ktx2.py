"""KTX2 textures (``KHR_texture_basisu``) for a finished GLB, encoded by Basis Universal.

No maintained Python package encodes KTX2 here: ``pyktx`` (PyPI 4.4.2) is a 25 kB binding
whose sdist builds only against an installed native libktx (``LIBKTX_VERSION`` must be set),
which neither PyPI nor Debian bookworm ships. Basis Universal's own encoder is on npm as
WebAssembly (the ``ktx2-encoder`` package, pinned in ``tools/ktx2/package.json``), so the
encoding runs in **Node.js**: ``tools/ktx2/encode.mjs`` takes raw RGBA pixels and writes a
KTX2 file. Panoforge writes no codec itself. Without Node.js or the package the export is
refused (:func:`require_ktx2`) before anything is written.

Mode: ETC1S (the small Basis mode; a GPU transcodes it to its own block format on load),
sRGB transfer function, a full mipmap chain, Basis quality :data:`KTX2_QUALITY`, encoder
effort 0 (measured on the 4096 x 2048 forest: the smallest and 4x the fastest of 0..2).

Each image becomes ``image/ktx2`` and each texture names it through
``extensions.KHR_texture_basisu.source`` only, without a ``source`` fallback, so the
extension is required.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np

from .errors import InputError
from .node_tool import NodeTool

__all__ = ["KTX2_EXTENSION", "KTX2_QUALITY", "encoder_folder", "require_ktx2", "encode_ktx2",
           "ktx2_document"]

KTX2_EXTENSION = "KHR_texture_basisu"
#: Basis ETC1S quality level, 1..255 (the encoder's codebook size; 128 is its middle).
KTX2_QUALITY = 128
#: The KTX2 file signature (the KTX 2.0 specification's identifier).
KTX2_MAGIC = b"\xabKTX 20\xbb\r\n\x1a\n"
_TOOL = NodeTool(
    what="KTX2 textures", folder_name="ktx2", script="encode.mjs", package="ktx2-encoder",
    env="PANOFORGE_KTX2_TOOL",
    hint="install Node.js (apt-get install nodejs npm) and run `npm ci` in tools/ktx2 "
         "(python3 make.py test does both), or set PANOFORGE_KTX2_TOOL to such a folder; "
         "or choose a preset without KTX2 (unreal, godot, blender)")


def encoder_folder() -> Path:
    """The folder holding ``encode.mjs`` and its ``node_modules`` (``$PANOFORGE_KTX2_TOOL``,
    else ``tools/ktx2`` of this checkout)."""
    return _TOOL.folder()


def require_ktx2() -> tuple[str, Path]:
    """``(node, encode.mjs)`` when KTX2 can be written here.

    Raises
    ------
    InputError
        Node.js or the ``ktx2-encoder`` package is missing (the hint says how to install them).
    """
    return _TOOL.require()


def encode_ktx2(rgba: np.ndarray, quality: int = KTX2_QUALITY, timeout: float = 900.0) -> bytes:
    """One image as a KTX2 file (ETC1S, sRGB, mipmaps).

    Parameters
    ----------
    rgba : (H, W, 4) uint8
        Rows top to bottom (the glTF image convention).
    quality : int
        Basis ETC1S quality, 1..255.

    Returns
    -------
    bytes
        The KTX2 file.
    """
    require_ktx2()
    rgba = np.ascontiguousarray(rgba, np.uint8)
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"rgba must be (H, W, 4), got {rgba.shape}")
    h, w = rgba.shape[:2]
    with tempfile.TemporaryDirectory(prefix="panoforge-ktx2-") as tmp:
        src, dst = Path(tmp) / "in.rgba", Path(tmp) / "out.ktx2"
        src.write_bytes(memoryview(rgba).cast("B"))
        failure = f"the KTX2 encoder failed on a {w}x{h} texture"
        _TOOL.run([str(src), str(w), str(h), str(dst), "--quality", str(int(quality))],
                  failure, timeout)
        if not dst.is_file():
            raise InputError(f"{failure}: it wrote no file", hint=_TOOL.hint)
        data = dst.read_bytes()
    if not data.startswith(KTX2_MAGIC):
        raise InputError("the KTX2 encoder wrote something that is not a KTX2 file",
                         hint=_TOOL.hint)
    return data


def _rgba(data) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(bytes(data))) as img:
        return np.asarray(img.convert("RGBA"))


def ktx2_document(doc, quality: int = KTX2_QUALITY) -> int:
    """Re-encode every embedded image of ``doc`` (a :class:`scene.gltf_compress.GLBDocument`)
    as KTX2 and point each texture at it through ``KHR_texture_basisu`` (required).

    Returns
    -------
    int
        Bytes the images had before minus after.
    """
    require_ktx2()
    g = doc.gltf
    images = g.get("images", [])
    if not images:
        return 0
    saved = 0
    for img in images:
        view = img["bufferView"]
        before = len(memoryview(doc.views[view]).cast("B"))
        data = encode_ktx2(_rgba(doc.views[view]), quality)
        doc.views[view] = data
        g["bufferViews"][view]["byteLength"] = len(data)
        img["mimeType"] = "image/ktx2"
        saved += before - len(data)
    for tex in g.get("textures", []):
        source = tex.pop("source", None)
        if source is not None:
            tex.setdefault("extensions", {})[KTX2_EXTENSION] = {"source": source}
    doc.require_extension(KTX2_EXTENSION)
    return saved
