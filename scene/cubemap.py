"""Six cube faces from an equirect panorama, named ``px nx py ny pz nz`` for skyboxes.

Convention
----------
The faces follow the cube-map convention of OpenGL/DirectX/RenderMan that skybox assets,
game engines and three.js's ``CubeTextureLoader`` use: a *left-handed* cube frame in which
``+X`` is to the right when looking along ``+Z``, each face image upright and un-mirrored as
seen from the centre of the cube. Panoforge's world is glTF's right-handed frame (+Y up, the
panorama centre at -Z, right of centre = +X), so the cube frame is the world with Z negated:
the viewer's default view (the panorama centre) is the ``pz`` face and its right is ``px``.

Each face is a 90-degree pinhole view from the origin. In world (glTF) coordinates:

====  ==========================  ===============  ==============  ==============
face  looks towards (face centre)  lon, lat         image right     image up
====  ==========================  ===============  ==============  ==============
px    +X                          +90°, 0°         +Z              +Y
nx    -X                          -90°, 0°         -Z              +Y
py    +Y (up)                     lat +90°         +X              +Z (the back)
ny    -Y (down)                   lat -90°         +X              -Z (the front)
pz    -Z (the panorama centre)    0°, 0°           +X              +Y
nz    +Z (behind, on the seam)    ±180°, 0°        -X              +Y
====  ==========================  ===============  ==============  ==============

Pixel ``(row i, column j)`` of an ``N x N`` face looks along
``forward + a*right - b*up`` with ``a = 2*(j + 0.5)/N - 1`` and ``b = 2*(i + 0.5)/N - 1``.
Equivalently, in the cube frame ``c = (x, y, -z)`` a face pixel is where the OpenGL
major-axis rule puts direction ``c`` (``px``: ``s = -c_z/|c_x|``, ``t = -c_y/|c_x|``, ...).

In three.js, which mirrors X for file cube maps, these faces appear turned 180° about Y
relative to the GLB (the centre lands at +Z): set ``scene.backgroundRotation.y = Math.PI``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from .atomic import atomic_write_bytes
from .conventions import direction_to_lonlat, lonlat_to_pixel
from .errors import InputError
from .output_paths import make_folder
from .panorama import RGBDPanorama

__all__ = ["FACES", "FACE_ORDER", "face_directions", "sample_bilinear_wrap", "cube_faces",
           "write_cubemap"]

#: Face name -> (forward, up) unit vectors in the world frame; right = forward x up.
FACES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "px": ((1, 0, 0), (0, 1, 0)),
    "nx": ((-1, 0, 0), (0, 1, 0)),
    "py": ((0, 1, 0), (0, 0, 1)),
    "ny": ((0, -1, 0), (0, 0, -1)),
    "pz": ((0, 0, -1), (0, 1, 0)),
    "nz": ((0, 0, 1), (0, 1, 0)),
}
#: The order three.js's CubeTextureLoader and most engines take the six images in.
FACE_ORDER = ("px", "nx", "py", "ny", "pz", "nz")
#: Largest face edge accepted (6 faces of 8192^2 RGB are 1.2 GB already).
MAX_FACE_SIZE = 8192


def face_directions(name: str, size: int) -> np.ndarray:
    """Unit view direction of every pixel centre of one cube face.

    Parameters
    ----------
    name : {"px", "nx", "py", "ny", "pz", "nz"}
    size : int
        Face edge ``N`` in pixels.

    Returns
    -------
    (N, N, 3) float64 ndarray
        World-frame unit vectors; row 0 is the image's top.
    """
    forward, up = (np.asarray(v, dtype=np.float64) for v in FACES[name])
    right = np.cross(forward, up)
    t = 2.0 * (np.arange(size, dtype=np.float64) + 0.5) / size - 1.0
    d = forward + t[None, :, None] * right - t[:, None, None] * up
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    return d


def sample_bilinear_wrap(image: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Bilinear samples of an equirect image at continuous pixel coordinates.

    Parameters
    ----------
    image : (H, W, C) uint8 ndarray
    px, py : (...) float ndarray
        Column and row in pixel units, pixel centres at integers (``x`` wraps around the
        seam, ``y`` clamps at the poles).

    Returns
    -------
    (..., C) uint8 ndarray
        Exactly the pixel values at integer coordinates.
    """
    h, w, c = image.shape
    px = np.asarray(px, dtype=np.float64)
    py = np.clip(np.asarray(py, dtype=np.float64), 0.0, h - 1.0)
    x0f = np.floor(px)
    y0f = np.floor(py)
    fx = (px - x0f).astype(np.float32)[..., None]
    fy = (py - y0f).astype(np.float32)[..., None]
    x0 = x0f.astype(np.int64) % w
    x1 = (x0 + 1) % w
    y0 = y0f.astype(np.int64)
    y1 = np.minimum(y0 + 1, h - 1)
    flat = image.reshape(-1, c)
    top = flat[y0 * w + x0] * (1 - fx) + flat[y0 * w + x1] * fx
    bot = flat[y1 * w + x0] * (1 - fx) + flat[y1 * w + x1] * fx
    out = top * (1 - fy) + bot * fy
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _check_face_size(pano: RGBDPanorama, face_size: int | None) -> int:
    if face_size is None:
        return max(1, pano.width // 4)
    if isinstance(face_size, bool) or int(face_size) != face_size or not (
            1 <= int(face_size) <= MAX_FACE_SIZE):
        raise InputError(f"--face-size must be a whole number from 1 to {MAX_FACE_SIZE}, "
                         f"got {face_size}",
                         hint=f"leave it out for W/4 = {max(1, pano.width // 4)} px")
    return int(face_size)


def _render_face(pano: RGBDPanorama, name: str, n: int) -> np.ndarray:
    """(n, n, 3) uint8: one face sampled bilinearly from the panorama."""
    lon, lat = direction_to_lonlat(face_directions(name, n))
    px, py = lonlat_to_pixel(lon, lat, pano.width, pano.height)
    return sample_bilinear_wrap(pano.rgb, px, py)


def cube_faces(pano: RGBDPanorama, face_size: int | None = None) -> dict[str, np.ndarray]:
    """Resample the panorama's colour onto six cube faces.

    Parameters
    ----------
    pano : RGBDPanorama
    face_size : int, optional
        Face edge in pixels (default ``W / 4``, which keeps the equator's resolution).

    Returns
    -------
    dict of str -> (N, N, 3) uint8 ndarray
        In :data:`FACE_ORDER`.
    """
    n = _check_face_size(pano, face_size)
    return {name: _render_face(pano, name, n) for name in FACE_ORDER}


def write_cubemap(
    folder: str | os.PathLike,
    pano: RGBDPanorama,
    face_size: int | None = None,
    stem: str = "",
) -> list[Path]:
    """Write the six faces as PNG files ``<stem>px.png`` ... ``<stem>nz.png``, atomically.

    Parameters
    ----------
    folder : str or PathLike
        Created if missing.
    pano : RGBDPanorama
    face_size : int, optional
        Face edge in pixels (default ``W / 4``).
    stem : str
        Prefix for the file names (e.g. ``"room_"``).

    Returns
    -------
    list of Path
        The six files in :data:`FACE_ORDER`.
    """
    from PIL import Image

    if stem and Path(stem).name != stem:
        raise InputError(f"invalid file prefix {stem!r}", hint="give a plain name such as room_")
    n = _check_face_size(pano, face_size)
    out = Path(folder)
    make_folder(out)
    written = []
    for name in FACE_ORDER:
        buf = io.BytesIO()
        Image.fromarray(_render_face(pano, name, n)).save(buf, format="PNG")
        path = out / f"{stem}{name}.png"
        atomic_write_bytes(path, buf.getvalue())
        written.append(path)
    return written
