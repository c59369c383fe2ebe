"""Read and write float OpenEXR images (depth maps, distances, linear colour).

A thin layer over the ``OpenEXR`` package (3.x) that speaks plain numpy:

* :func:`write_exr` writes a ``(H, W)`` array as one channel (``Y`` by default) or an
  ``(H, W, 3|4)`` array as ``R, G, B[, A]``, float32, ZIP-compressed, atomically.
* :func:`read_exr` returns ``(H, W)`` for a one-channel file and ``(H, W, C)`` otherwise,
  always float32 (half and uint channels are converted).

NaN and inf survive a round trip unchanged (float32 is stored as float32).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .atomic import atomic_writer
from .errors import InputError

__all__ = ["read_exr", "write_exr", "EXR_MAGIC"]

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
        When the file is missing, not an EXR, damaged, or has sub-sampled channels.
    """
    import OpenEXR

    p = Path(path)
    if not p.is_file():
        raise InputError(f"no such EXR file: {p}", hint="check the path")
    with open(p, "rb") as fh:
        if fh.read(4) != EXR_MAGIC:
            raise InputError(f"{p.name} is not an OpenEXR file",
                             hint="give an .exr image, or a PNG/.npy depth map")
    try:
        with OpenEXR.File(str(p), separate_channels=True) as exr:
            chans = exr.channels()
            planes = {}
            for name, ch in chans.items():
                if getattr(ch, "xSampling", 1) != 1 or getattr(ch, "ySampling", 1) != 1:
                    raise InputError(f"{p.name}: channel {name!r} is sub-sampled",
                                     hint="save the EXR without chroma sub-sampling")
                planes[name] = np.asarray(ch.pixels)
    except InputError:
        raise
    except Exception as exc:  # the binding raises plain RuntimeError on damaged files
        raise InputError(f"cannot read {p.name}: {exc}",
                         hint="the file may be damaged; re-export it as a float EXR") from exc
    if not planes:
        raise InputError(f"{p.name} has no channels")
    shapes = {pl.shape for pl in planes.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise InputError(f"{p.name}: channels have different or unexpected shapes {shapes}")
    if len(planes) == 1:
        return next(iter(planes.values())).astype(np.float32, copy=False)
    colour = [n for n in _COLOUR_ORDER if n in planes]
    order = colour + sorted(n for n in planes if n not in colour) if colour else sorted(planes)
    out = np.empty(next(iter(shapes)) + (len(order),), dtype=np.float32)
    for i, name in enumerate(order):
        out[..., i] = planes[name]
    return out
