"""Writing a rendered RGB picture to a PNG or JPEG file, atomically (the format by suffix)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from scene.errors import InputError

__all__ = ["IMAGE_FORMATS", "check_image_path", "write_image"]

#: File suffix -> Pillow format name of the pictures renders are written as.
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
#: JPEG quality of written pictures (0..100).
JPEG_QUALITY = 92


def check_image_path(path: str | os.PathLike, what: str = "a render") -> Path:
    """Check, before any work is done, that a picture can be written to ``path``.

    Parameters
    ----------
    path : path-like
        ``.png``, ``.jpg`` or ``.jpeg`` (its folder is created when the picture is written).
    what : str
        What is written, for the message ("a render", "a stereo 360 image").

    Returns
    -------
    Path

    Raises
    ------
    InputError
        For another suffix, or a path that is a folder.
    """
    path = Path(path)
    if path.suffix.lower() not in IMAGE_FORMATS:
        raise InputError(f"cannot write {what} to {path.name!r}: unknown image type",
                         hint="use a .png or .jpg file name")
    if path.exists() and path.is_dir():
        raise InputError(f"{str(path)!r} is a folder", hint="give a file name")
    # A missing folder is created on writing, as for every other Panoforge output.
    return path


def write_image(path: str | os.PathLike, image: np.ndarray, what: str = "a render") -> None:
    """Write an ``(H, W, 3)`` uint8 sRGB picture as PNG or JPEG (by suffix), atomically.

    Parameters
    ----------
    path : path-like
        As for :func:`check_image_path`.
    image : (H, W, 3) uint8 ndarray
        Row 0 at the top.
    what : str
        What is written, for error messages.
    """
    from PIL import Image

    from scene.atomic import atomic_write_bytes

    path = check_image_path(path, what)
    fmt = IMAGE_FORMATS[path.suffix.lower()]
    buf = io.BytesIO()
    options = {"quality": JPEG_QUALITY} if fmt == "JPEG" else {}
    Image.fromarray(np.ascontiguousarray(image), "RGB").save(buf, format=fmt, **options)
    atomic_write_bytes(path, buf.getvalue())
