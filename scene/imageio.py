"""Reading the user's image files: RGB panoramas and depth maps, exactly as they are stored.

Nothing here interprets depth (that is :mod:`scene.importer`'s job): a reader returns the
pixels, what they are (bit depth, format) and, for colour, the original encoded bytes when
they decode to exactly the returned pixels, so an export can embed them without re-encoding.

Formats
-------
RGB
    PNG, JPEG, WebP (through Pillow) and OpenEXR. 8-bit RGB PNG and baseline RGB JPEG files
    keep their bytes (``LoadedRGB.encoded``). Anything else is converted to 8-bit sRGB and the
    bytes are dropped, with a note: alpha is discarded, greyscale is expanded to three
    channels, 16-bit colour keeps its high byte, palette/CMYK images are converted, an EXIF
    rotation is applied.

    EXR colour is linear light. It is converted by **clipping** to [0, 1] (no tone curve, an
    exposure of 1: what a renderer's "Standard" view transform does) and applying the sRGB
    transfer function, then rounding to 8 bits. The number of clipped (over-bright) pixels is
    reported in a note, so a user who wants a tone-mapped look grades the EXR first.
Depth
    16-bit and 8-bit greyscale PNG (an 8-bit RGB PNG whose three channels are equal is read as
    greyscale), OpenEXR (one channel: ``Z``, ``depth``, ``distance``, ``Y`` or ``R``, or the
    only channel; half floats become float32) and NumPy ``.npy`` (a 2-D real array, loaded
    without pickle). The values are returned untouched, in the file's own dtype.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .depth import DEFAULT_FAR_M, DEFAULT_NEAR_M, DepthInterpretation
from .errors import InputError
from .exr import exr_size, read_exr_channels

__all__ = [
    "LoadedRGB", "LoadedDepth", "read_rgb", "read_depth", "RGB_EXTENSIONS", "DEPTH_EXTENSIONS",
    "linear_to_srgb8", "image_size", "png_header",
]

RGB_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".exr")
DEPTH_EXTENSIONS = (".png", ".exr", ".npy")
#: EXR channel names tried for depth, in order (compared with the last dot-separated part).
EXR_DEPTH_CHANNELS = ("Z", "depth", "Depth", "distance", "Distance", "Y", "R")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True, eq=False)
class LoadedRGB:
    """An RGB image as read from a file.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        sRGB pixels.
    encoded : bytes or None
        The file's bytes when they decode to exactly ``rgb`` (8-bit RGB PNG, RGB JPEG),
        else ``None``.
    mime : str
        ``"image/png"`` or ``"image/jpeg"`` for ``encoded``, else ``""``.
    source_format : str
        What the file was: ``"PNG"``, ``"JPEG"``, ``"WEBP"``, ``"EXR"``.
    notes : list of str
        Conversions made (alpha dropped, 16-bit reduced, EXR clipped ...), for the user.
    """

    rgb: np.ndarray
    encoded: bytes | None = None
    mime: str = ""
    source_format: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class LoadedDepth:
    """A depth map as read from a file, values untouched.

    Parameters
    ----------
    raw : (h, w) ndarray
        ``uint8`` / ``uint16`` for PNG, ``float32`` for EXR, the stored dtype for ``.npy``.
    bit_depth : int
        Bits per value: 8 or 16 for PNG, 16 (half, returned as float32) or 32 for EXR, the
        dtype's size for ``.npy``.
    suggested : DepthInterpretation
        What the values most likely mean when the user says nothing: float data (EXR, float
        ``.npy``) is ``distance`` in metres; integer data of 16 bits or more (16-bit PNG, an
        integer ``.npy``) is ``distance`` in millimetres; 8-bit data is ``disparity`` scaled
        by 1/255 (white = near, the usual convention of 8-bit depth images). For
        ``distance``, 0 means "no data". ``source`` names the file and its bit depth.
    source_format : str
        ``"PNG"``, ``"EXR"`` or ``"NPY"``.
    is_float : bool
        Floating-point values (EXR, float ``.npy``), i.e. metres rather than integer steps.
    encoded : bytes or None
        The file's bytes when it is a greyscale PNG (8- or 16-bit, no alpha), whose pixels
        are exactly ``raw``; else ``None``.
    """

    raw: np.ndarray
    bit_depth: int
    suggested: DepthInterpretation
    source_format: str = ""
    is_float: bool = False
    encoded: bytes | None = field(default=None, repr=False)


# -- helpers ---------------------------------------------------------------------------------
def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} {str(path)!r} does not exist",
                         hint="check the path (relative paths start in the current folder)") from None
    except IsADirectoryError:
        raise InputError(f"{what} {str(path)!r} is a folder, not an image file",
                         hint="give the image file itself") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}",
                         hint="check that the file is readable") from None


def _check_extension(path: Path, allowed: tuple[str, ...], what: str) -> str:
    ext = path.suffix.lower()
    if ext not in allowed:
        names = ", ".join(allowed)
        raise InputError(
            f"{path.name}: unknown {what} file type {ext or '(no extension)'!r}",
            hint=f"Panoforge reads {what} files ending in {names}; convert it to one of them",
        )
    return ext


def png_header(data: bytes) -> tuple[int, int, int, int] | None:
    """(width, height, bit depth, colour type) from a PNG's IHDR chunk, ``None`` if not a PNG."""
    if len(data) < 29 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height, bit_depth, colour_type = struct.unpack(">IIBB", data[16:26])
    return width, height, bit_depth, colour_type


def _corrupt(path: Path, what: str, exc: BaseException, pickled: bool = False) -> InputError:
    detail = str(exc).strip() or type(exc).__name__
    # Pillow names the in-memory buffer it was given (<_io.BytesIO object at 0x...>): the
    # user's file is what it could not read.
    detail = re.sub(r"\s*<_io\.BytesIO object at 0x[0-9a-fA-F]+>", "", detail)
    if "cannot identify image file" in detail:
        detail = "its contents are not an image Panoforge can read (PNG, JPEG, WebP, EXR)"
    if what.startswith(".npy"):
        detail = ("it holds pickled Python objects, which Panoforge never loads"
                  if "pickle" in detail and pickled
                  else "it is not a NumPy .npy file, or it is truncated")
        hint = ("the file may be damaged or not a NumPy array; save the depth again with "
                "numpy.save(path, depth) (a 2-D float array in metres, no pickled objects)")
    else:
        hint = "the file may be damaged or truncated; open it in an image editor and save it again"
    return InputError(f"{path.name} is not a readable {what}: {detail}", hint=hint)


def _open_pil(data: bytes, path: Path, what: str):
    """Decode ``data`` fully with Pillow; every failure becomes an :class:`InputError`."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            im.load()
    except Image.DecompressionBombError:
        raise InputError(
            f"{path.name} is too large to read safely (over {2 * Image.MAX_IMAGE_PIXELS:,} pixels)",
            hint="reduce it to at most 16384x8192 in an image editor first",
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise _corrupt(path, what, exc) from None
    return im


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) of an image file from its header, without decoding the pixels."""
    path = Path(path)
    if path.suffix.lower() == ".exr":
        return exr_size(path)
    if path.suffix.lower() == ".npy":
        shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
        return int(shape[1]), int(shape[0])
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, SyntaxError, ValueError) as exc:
        raise _corrupt(path, "image", exc) from None


def linear_to_srgb8(linear: np.ndarray) -> tuple[np.ndarray, int]:
    """Linear light to 8-bit sRGB by clipping to [0, 1] (no tone curve).

    Parameters
    ----------
    linear : (H, W, 3) float ndarray
        Scene-linear values; NaN is treated as 0.

    Returns
    -------
    rgb : (H, W, 3) uint8 ndarray
        sRGB-encoded (IEC 61966-2-1 transfer function), rounded to nearest.
    n_clipped : int
        Pixels with at least one channel above 1.0.
    """
    x = np.nan_to_num(np.asarray(linear, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    n_clipped = int(np.count_nonzero((x > 1.0).any(axis=-1)))
    np.clip(x, 0.0, 1.0, out=x)
    low = x * np.float32(12.92)
    high = np.float32(1.055) * np.power(x, np.float32(1.0 / 2.4)) - np.float32(0.055)
    srgb = np.where(x <= np.float32(0.0031308), low, high)
    return np.rint(srgb * np.float32(255.0)).astype(np.uint8), n_clipped


def _pick_channel(channels: dict[str, np.ndarray], wanted: str) -> str | None:
    by_last = {}
    for name in channels:
        by_last.setdefault(name.rsplit(".", 1)[-1], name)
    if wanted in by_last:
        return by_last[wanted]
    return None


# -- RGB -------------------------------------------------------------------------------------
def _read_rgb_exr(path: Path) -> LoadedRGB:
    channels = read_exr_channels(path)
    names = [_pick_channel(channels, c) for c in ("R", "G", "B")]
    if all(names):
        linear = np.stack([channels[n].astype(np.float32) for n in names], axis=-1)
        notes = []
    else:
        grey = _pick_channel(channels, "Y") or (next(iter(channels)) if len(channels) == 1 else None)
        if grey is None:
            raise InputError(
                f"{path.name}: no R, G, B (or Y) channels; it has {', '.join(sorted(channels))}",
                hint="export the colour pass as an RGB EXR, or give a PNG/JPEG",
            )
        linear = np.repeat(channels[grey].astype(np.float32)[..., None], 3, axis=-1)
        notes = [f"{path.name}: single channel {grey!r} read as greyscale"]
    rgb, n_clipped = linear_to_srgb8(linear)
    notes.append(f"{path.name}: linear EXR colour converted to 8-bit sRGB by clipping to [0, 1]")
    if n_clipped:
        share = 100.0 * n_clipped / (rgb.shape[0] * rgb.shape[1])
        notes.append(f"{path.name}: {n_clipped} pixels ({share:.2f} %) had a channel above 1.0 "
                     "(clipped); grade or tone-map the EXR first to keep them")
    return LoadedRGB(rgb=rgb, encoded=None, mime="", source_format="EXR", notes=notes)


def read_rgb(path: str | Path) -> LoadedRGB:
    """Read a colour panorama (PNG, JPEG, WebP or EXR).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    LoadedRGB
        8-bit sRGB pixels, plus the original bytes when they decode to exactly those pixels.

    Raises
    ------
    InputError
        Missing, unreadable or damaged file, unknown extension.
    """
    path = Path(path)
    ext = _check_extension(path, RGB_EXTENSIONS, "panorama")
    if ext == ".exr":
        return _read_rgb_exr(path)
    from PIL import ImageOps

    data = _read_bytes(path, "panorama")
    im = _open_pil(data, path, "image")
    fmt = (im.format or "").upper()
    notes: list[str] = []
    keep = False
    if fmt == "PNG":
        hdr = png_header(data)
        keep = (hdr is not None and hdr[2] == 8 and hdr[3] == 2 and im.mode == "RGB"
                and "transparency" not in im.info)
        if hdr is not None and hdr[2] == 16:
            notes.append(f"{path.name}: 16-bit colour reduced to 8 bits per channel")
    elif fmt == "JPEG":
        keep = im.mode == "RGB"
    orientation = im.getexif().get(_EXIF_ORIENTATION, 1) if fmt in ("JPEG", "PNG", "WEBP") else 1
    if orientation not in (1, None):
        im = ImageOps.exif_transpose(im)
        keep = False
        notes.append(f"{path.name}: EXIF orientation {orientation} applied")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        notes.append(f"{path.name}: transparency (alpha) ignored")
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        grey16 = np.asarray(im, dtype=np.float64)
        grey = np.rint(np.clip(grey16, 0, 65535) / 257.0).astype(np.uint8)
        rgb = np.repeat(grey[..., None], 3, axis=-1)
        notes.append(f"{path.name}: 16-bit greyscale reduced to 8-bit RGB")
    elif im.mode == "F":
        rgb, _ = linear_to_srgb8(np.repeat(np.asarray(im, dtype=np.float32)[..., None], 3, -1))
    else:
        if im.mode in ("L", "1"):
            notes.append(f"{path.name}: greyscale image expanded to RGB")
        rgb = np.asarray(im.convert("RGB") if im.mode != "RGB" else im, dtype=np.uint8)
    rgb = np.ascontiguousarray(rgb)
    if keep:
        mime = "image/png" if fmt == "PNG" else "image/jpeg"
        return LoadedRGB(rgb=rgb, encoded=data, mime=mime, source_format=fmt, notes=notes)
    return LoadedRGB(rgb=rgb, encoded=None, mime="", source_format=fmt, notes=notes)


# -- depth -----------------------------------------------------------------------------------
def _suggest(name: str, raw: np.ndarray, bit_depth: int, fmt: str) -> DepthInterpretation:
    if raw.dtype.kind == "f":
        return DepthInterpretation(kind="distance", scale=1.0, invalid_zero=True,
                                   source=f"{name} {bit_depth}-bit float {fmt}, metres")
    if bit_depth == 8:
        return DepthInterpretation(kind="disparity", near=DEFAULT_NEAR_M, far=DEFAULT_FAR_M,
                                   scale=1.0 / 255.0,
                                   source=f"{name} 8-bit {fmt}, disparity (white = near)")
    return DepthInterpretation(kind="distance", scale=0.001, invalid_zero=True,
                               source=f"{name} {bit_depth}-bit {fmt}, millimetres")


def _read_depth_png(path: Path) -> LoadedDepth:
    data = _read_bytes(path, "depth map")
    hdr = png_header(data)
    im = _open_pil(data, path, "PNG depth map")
    if hdr is None or (im.format or "").upper() != "PNG":
        raise InputError(f"{path.name} has a .png extension but is not a PNG file",
                         hint="save the depth map as a greyscale PNG, EXR or .npy")
    bits, colour_type = hdr[2], hdr[3]
    if bits == 16 and colour_type == 0:
        raw = np.asarray(im)
        if raw.dtype != np.uint16:
            raw = raw.astype(np.uint16)
    elif bits == 8 and colour_type in (0, 4):
        raw = np.asarray(im.getchannel(0) if im.mode == "LA" else im, dtype=np.uint8)
    elif bits == 8 and colour_type in (2, 6):
        rgb = np.asarray(im.convert("RGB"))
        if not (np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])):
            raise InputError(
                f"{path.name} is a colour image, not a greyscale depth map",
                hint="save the depth as a single-channel (greyscale) 16-bit PNG, or as EXR/.npy; "
                "colourised depth visualisations cannot be read back as distances",
            )
        raw = np.ascontiguousarray(rgb[..., 0])
    else:
        kind = {0: "greyscale", 2: "RGB", 3: "palette", 4: "greyscale+alpha", 6: "RGBA"}
        raise InputError(
            f"{path.name} is a {bits}-bit {kind.get(colour_type, 'unknown')} PNG; depth must be "
            "8- or 16-bit greyscale",
            hint="save the depth map as a 16-bit greyscale PNG (or EXR/.npy for metres)",
        )
    bit_depth = 16 if raw.dtype == np.uint16 else 8
    return LoadedDepth(raw=raw, bit_depth=bit_depth, source_format="PNG",
                       suggested=_suggest(path.name, raw, bit_depth, "PNG"), is_float=False,
                       encoded=data if colour_type == 0 else None)


def _read_depth_exr(path: Path) -> LoadedDepth:
    channels = read_exr_channels(path)
    if len(channels) == 1:
        name = next(iter(channels))
    else:
        name = next((n for c in EXR_DEPTH_CHANNELS if (n := _pick_channel(channels, c))), None)
        if name is None:
            raise InputError(
                f"{path.name}: cannot tell which channel is depth; it has {', '.join(sorted(channels))}",
                hint="save the depth alone in one channel named Z (or 'depth')",
            )
    arr = channels[name]
    if arr.dtype.kind == "f":
        bit_depth = arr.dtype.itemsize * 8
        raw = arr.astype(np.float32, copy=False)
    else:  # UINT channel
        bit_depth = 32
        raw = arr
    raw = np.ascontiguousarray(raw)
    sug = _suggest(f"{path.name}[{name}]", raw, bit_depth, "EXR")
    return LoadedDepth(raw=raw, bit_depth=bit_depth, suggested=sug, source_format="EXR",
                       is_float=raw.dtype.kind == "f")


def _read_depth_npy(path: Path) -> LoadedDepth:
    data = _read_bytes(path, "depth map")
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        pickled = data.startswith(b"\x93NUMPY")  # (numpy calls anything else "pickled")
        raise _corrupt(path, ".npy array", exc, pickled) from None
    if not isinstance(arr, np.ndarray):
        raise InputError(f"{path.name} holds several arrays (.npz); give one 2-D array in a .npy")
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise InputError(f"{path.name}: depth must be a 2-D array (rows, columns), got shape {arr.shape}",
                         hint="save the depth map alone, e.g. np.save(path, depth[..., 0])")
    if arr.dtype.kind not in "fiu" or arr.dtype.kind == "b":
        raise InputError(f"{path.name}: depth must be numbers, got dtype {arr.dtype}",
                         hint="save a float32 array of metres")
    raw = np.ascontiguousarray(arr)
    if raw.dtype.byteorder == ">":
        raw = raw.astype(raw.dtype.newbyteorder("="))
    bit_depth = raw.dtype.itemsize * 8
    return LoadedDepth(raw=raw, bit_depth=bit_depth, source_format="NPY",
                       suggested=_suggest(path.name, raw, bit_depth, "npy"),
                       is_float=raw.dtype.kind == "f")


def read_depth(path: str | Path) -> LoadedDepth:
    """Read a depth map (8/16-bit greyscale PNG, EXR, ``.npy``) without changing its values.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    LoadedDepth
        The raw values, their bit depth and the interpretation suggested by the format.

    Raises
    ------
    InputError
        Missing, unreadable or damaged file, unknown extension, colour or multi-channel data.
    """
    path = Path(path)
    ext = _check_extension(path, DEPTH_EXTENSIONS, "depth map")
    if ext == ".png":
        return _read_depth_png(path)
    if ext == ".exr":
        return _read_depth_exr(path)
    return _read_depth_npy(path)
