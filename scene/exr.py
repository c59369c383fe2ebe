"""Read and write float OpenEXR images (depth maps, distances, linear colour).

A thin layer over the ``OpenEXR`` package (3.x) that speaks plain numpy:

* :func:`write_exr` writes a ``(H, W)`` array as one channel (``Y`` by default) or an
  ``(H, W, 3|4)`` array as ``R, G, B[, A]``, float32, ZIP-compressed, atomically.
* :func:`read_exr` returns ``(H, W)`` for a one-channel file and ``(H, W, C)`` otherwise,
  always float32 (half and uint channels are converted).
* :func:`read_exr_channels` returns every channel by name in its stored dtype (what the
  importer needs to pick a depth channel and report its bit depth); :func:`exr_size` reads
  only the header.

Every failure (missing, not an EXR, damaged, sub-sampled) is an :class:`InputError`.

NaN and inf survive a round trip unchanged (float32 is stored as float32).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .atomic import atomic_writer
from .errors import InputError

__all__ = ["read_exr", "read_exr_channels", "exr_size", "write_exr", "EXR_MAGIC"]

#: The first four bytes of every OpenEXR file.
EXR_MAGIC = b"\x76\x2f\x31\x01"

#: Channel order used when a file has colour channels.
_COLOUR_ORDER = ("R", "G", "B", "A")


def write_exr(
    path: str | os.PathLike,
    array: np.ndarray,
    *,
    channels: tuple[str, ...] | None = None,
    comments: str = "",
) -> None:
    """Write a float32 EXR atomically.

    Parameters
    ----------
    path : str or PathLike
        Target file (``.exr``).
    array : (H, W) or (H, W, C) real ndarray
        Values to store; converted to float32. NaN/inf are kept.
    channels : tuple of str, optional
        Channel names, one per ``C`` (default ``("Y",)`` for 2-D arrays, ``R, G, B[, A]`` for
        three or four channels, ``C0..`` otherwise).
    comments : str
        Stored in the standard ``comments`` header attribute (what the values mean).

    Raises
    ------
    InputError
        When the array is not 2-D or 3-D, or the channel names do not match its channels.
    """
    import OpenEXR

    arr = np.asarray(array)
    if arr.ndim == 2:
        planes = [arr]
    elif arr.ndim == 3 and arr.shape[2] >= 1:
        planes = [arr[..., c] for c in range(arr.shape[2])]
    else:
        raise InputError(f"an EXR image must be (H, W) or (H, W, C), got shape {arr.shape}")
    if channels is None:
        if len(planes) == 1:
            channels = ("Y",)
        elif len(planes) in (3, 4):
            channels = _COLOUR_ORDER[: len(planes)]
        else:
            channels = tuple(f"C{i}" for i in range(len(planes)))
    if len(channels) != len(planes):
        raise InputError(f"{len(channels)} channel names given for {len(planes)} channels")
    data = {
        name: np.ascontiguousarray(plane, dtype=np.float32)
        for name, plane in zip(channels, planes, strict=True)
    }
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    if comments:
        header["comments"] = comments
    exr = OpenEXR.File(header, data)
    with atomic_writer(path) as fh:
        exr.write(fh)


def _exr_path(path: str | os.PathLike) -> Path:
    """``path`` as a Path after checking that it is an existing file with the EXR signature."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{str(p)!r} does not exist",
                         hint="check the path (relative paths start in the current folder)")
    if p.is_dir():
        raise InputError(f"{str(p)!r} is a folder, not an EXR file", hint="give the file itself")
    try:
        with open(p, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise InputError(f"cannot open {str(p)!r}: {exc.strerror or exc}",
                         hint="check that the file is readable") from None
    if magic != EXR_MAGIC:
        raise InputError(f"{p.name} is not a readable OpenEXR file: it does not start with the "
                         "OpenEXR signature",
                         hint="the file may be damaged or not an EXR at all; save it again as "
                         "OpenEXR, or give a PNG/.npy")
    return p


def _damaged(p: Path, exc: BaseException) -> InputError:
    detail = str(exc).strip() or type(exc).__name__
    return InputError(f"{p.name} is not a readable OpenEXR file: {detail}",
                      hint="the file may be damaged or truncated; export it again from the program "
                      "that made it")


def exr_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) of an EXR's data window, from its header (no pixels are decoded).

    Raises
    ------
    InputError
        When the file is missing, not an EXR, or damaged.
    """
    import OpenEXR

    p = _exr_path(path)
    try:
        with OpenEXR.File(str(p), header_only=True) as exr:
            lo, hi = exr.header()["dataWindow"]
    except Exception as exc:  # the binding raises plain RuntimeError on damaged files
        raise _damaged(p, exc) from None
    return int(hi[0] - lo[0] + 1), int(hi[1] - lo[1] + 1)


def read_exr_channels(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every channel of an EXR's first part, by name, in its stored dtype.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    dict of str -> (H, W) ndarray
        ``float16`` (half), ``float32`` or ``uint32`` planes, all the same shape, in the
        file's channel order.

    Raises
    ------
    InputError
        When the file is missing, a folder, not an EXR, damaged, has no channels, holds deep
        or multi-view data, or has sub-sampled channels.
    """
    import OpenEXR

    p = _exr_path(path)
    try:
        with OpenEXR.File(str(p), separate_channels=True) as exr:
            planes = {}
            for name, ch in exr.channels().items():
                if getattr(ch, "xSampling", 1) != 1 or getattr(ch, "ySampling", 1) != 1:
                    raise InputError(f"{p.name}: EXR channel {name!r} is sub-sampled",
                                     hint="save the EXR without chroma sub-sampling")
                planes[name] = np.asarray(ch.pixels)
    except InputError:
        raise
    except Exception as exc:  # the binding raises plain RuntimeError on damaged files
        raise _damaged(p, exc) from None
    if not planes:
        raise InputError(f"{p.name} has no image channels", hint="export the EXR again")
    first = next(iter(planes.values()))
    if first.ndim != 2:
        raise InputError(f"{p.name}: unsupported EXR layout (deep or multi-view data)",
                         hint="save a flat scanline or tiled EXR")
    for name, plane in planes.items():
        if plane.shape != first.shape:
            raise InputError(f"{p.name}: EXR channel {name!r} is {plane.shape}, not "
                             f"{first.shape} like the others (sub-sampled)",
                             hint="save the EXR without chroma sub-sampling")
    return planes


def read_exr(path: str | os.PathLike) -> np.ndarray:
    """Read an EXR image as float32.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    (H, W) or (H, W, C) float32 ndarray
        One channel gives a 2-D array. Several give ``(H, W, C)``: ``R, G, B, A`` in that order
        when the file has colour channels (others after them, by name), else by name.

    Raises
    ------
    InputError
        As :func:`read_exr_channels`.
    """
    planes = read_exr_channels(path)
    if len(planes) == 1:
        return next(iter(planes.values())).astype(np.float32, copy=False)
    colour = [n for n in _COLOUR_ORDER if n in planes]
    order = colour + sorted(n for n in planes if n not in colour)
    first = next(iter(planes.values()))
    out = np.empty(first.shape + (len(order),), dtype=np.float32)
    for i, name in enumerate(order):
        out[..., i] = planes[name]
    return out
