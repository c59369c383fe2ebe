"""Place a perspective RGBD image in an equirectangular panorama.

The perspective camera sits at the origin looking along -Z with +Y up (the panorama's centre
direction), with square pixels and the horizontal field of view the image carries. Every
panorama pixel whose direction falls inside the view takes its colour and depth from the
image; the rest of the sphere is unknown: NaN depth and :data:`NEUTRAL_RGB`.

Depth is carried over *raw* wherever the interpretation allows it:

``disparity`` and ``distance``
    The raw values of the nearest source pixel are copied as float32 (exact for 16-bit codes)
    with NaN outside the view, and the interpretation is kept, so near/far can still be
    changed later. (Both kinds map a value to a radial distance independent of the ray, so
    the same value means the same distance in both images.)
``zdepth``
    Planar depth along the optical axis depends on the ray; it is converted to radial
    distance (:attr:`PerspectiveRGBD.distance`) and stored as ``distance`` in metres.

Colour is averaged over ``s x s`` bilinear samples per panorama pixel, with ``s`` chosen from
the ratio of the two images' angular resolutions (at most 4), so a 512-pixel view squeezed
into a few hundred panorama columns does not alias.

How large the panorama is (:func:`placement_width`) is one policy for every front-end: the
panorama keeps the image's angular resolution at its centre, so placing it loses no detail.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .conventions import direction_grid, latitudes, longitudes, lonlat_to_direction
from .depth import DepthInterpretation
from .errors import InputError
from .panorama import PerspectiveRGBD, RGBDPanorama

__all__ = ["perspective_to_equirect", "project_to_perspective", "placement_width",
           "place_in_panorama", "NEUTRAL_RGB", "PLACEMENT_MIN_WIDTH", "PLACEMENT_MAX_WIDTH"]

#: Colour of the panorama outside the perspective view (mid grey).
NEUTRAL_RGB = (128, 128, 128)
_MAX_SUPERSAMPLE = 4
#: Bounds of :func:`placement_width`, pixels (a 4096x2048 panorama is the largest the mesh
#: stage is sized for; below 512 columns a 360° view is too coarse to look at).
PLACEMENT_MIN_WIDTH = 512
PLACEMENT_MAX_WIDTH = 4096
_PLACEMENT_STEP = 64


def project_to_perspective(directions: np.ndarray, width: int, height: int,
                           fov_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Continuous pixel coordinates of view directions in a perspective image.

    Parameters
    ----------
    directions : (..., 3) float ndarray
        Directions in the world frame (need not be unit length).
    width, height : int
        Image size in pixels.
    fov_deg : float
        Horizontal field of view, degrees.

    Returns
    -------
    px, py : (...) float64 ndarray
        Column and row; pixel ``(i, j)``'s centre is at ``(i, j)`` exactly (the inverse of
        :meth:`PerspectiveRGBD.directions`).
    inside : (...) bool ndarray
        In front of the camera and within the image (``-0.5 <= px < width - 0.5``, same for
        rows).
    """
    d = np.asarray(directions, dtype=np.float64)
    f = (width / 2.0) / math.tan(math.radians(fov_deg) / 2.0)
    forward = -d[..., 2]
    front = forward > 1e-9
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(front, d[..., 0] / forward, np.nan)
        y = np.where(front, d[..., 1] / forward, np.nan)
    px = x * f + width / 2.0 - 0.5
    py = height / 2.0 - 0.5 - y * f
    with np.errstate(invalid="ignore"):
        inside = front & (px >= -0.5) & (px < width - 0.5) & (py >= -0.5) & (py < height - 0.5)
    return px, py, inside


def _bilinear(img: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``img`` (h, w, C) at pixel coordinates, clamped at the borders."""
    h, w = img.shape[:2]
    x = np.clip(px, 0.0, w - 1.0)
    y = np.clip(py, 0.0, h - 1.0)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 2 if w > 1 else 0)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 2 if h > 1 else 0)
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = (x - x0)[..., None]
    fy = (y - y0)[..., None]
    src = np.asarray(img, dtype=np.float32)
    top = src[y0, x0] * (1 - fx) + src[y0, x1] * fx
    bot = src[y1, x0] * (1 - fx) + src[y1, x1] * fx
    return top * (1 - fy) + bot * fy


def _supersample(p: PerspectiveRGBD, width: int) -> int:
    f = (p.width / 2.0) / math.tan(math.radians(p.fov_deg) / 2.0)
    ratio = (2.0 * math.pi / width) * f  # source pixels per panorama pixel at the centre
    return int(min(_MAX_SUPERSAMPLE, max(1, math.ceil(ratio - 1e-9))))


def perspective_to_equirect(p: PerspectiveRGBD, width: int = 1024) -> RGBDPanorama:
    """Place a perspective RGBD image in an equirect panorama (centred on -Z).

    Parameters
    ----------
    p : PerspectiveRGBD
        The image, its raw depth and interpretation, its horizontal field of view.
    width : int
        Panorama width in pixels (even, >= 8); the height is ``width // 2``.

    Returns
    -------
    RGBDPanorama
        ``rgb`` (width/2, width, 3) uint8 with :data:`NEUTRAL_RGB` outside the view;
        ``raw_depth`` (width/2, width) float32 with NaN outside the view (see the module
        docstring for what the values are); the metadata of ``p`` with
        ``extra["perspective"]`` recording the source size and field of view.
    """
    if not isinstance(width, int | np.integer) or width < 8 or width % 2:
        raise InputError(f"panorama width must be an even number >= 8, got {width}",
                         hint="for example width=1024")
    width = int(width)
    height = width // 2
    dirs = direction_grid(width, height, dtype=np.float64)
    px, py, inside = project_to_perspective(dirs, p.width, p.height, p.fov_deg)

    # colour: average of the s x s bilinear samples of each panorama pixel that fall inside
    rows, cols = np.nonzero(inside)
    s = _supersample(p, width)
    offsets = (np.arange(s) + 0.5) / s - 0.5
    lon = longitudes(width)[cols][:, None, None] + offsets[None, None, :] * (2 * np.pi / width)
    lat = latitudes(height)[rows][:, None, None] - offsets[None, :, None] * (np.pi / height)
    sub_px, sub_py, sub_in = project_to_perspective(lonlat_to_direction(lon, lat),
                                                    p.width, p.height, p.fov_deg)
    src = p.rgb.astype(np.float32)  # converted once for both samplings below
    samples = _bilinear(src, np.nan_to_num(sub_px), np.nan_to_num(sub_py))  # (n, s, s, 3)
    weight = sub_in[..., None].astype(np.float32)
    total = weight.sum(axis=(1, 2))
    centre = _bilinear(src, px[rows, cols], py[rows, cols])
    with np.errstate(invalid="ignore", divide="ignore"):
        colour = np.where(total > 0, (samples * weight).sum(axis=(1, 2)) / total, centre)
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rgb[...] = np.asarray(NEUTRAL_RGB, dtype=np.uint8)
    rgb[rows, cols] = np.clip(np.rint(colour), 0, 255).astype(np.uint8)

    meta = replace(p.metadata, extra={**p.metadata.extra, "perspective": {
        "width": p.width, "height": p.height, "fov_deg": float(p.fov_deg),
        "centre_direction": [0.0, 0.0, -1.0]}})
    if p.raw_depth is None:
        return RGBDPanorama(rgb=rgb, metadata=meta)

    # depth: the nearest source pixel's raw value, NaN outside
    ix = np.floor(px[rows, cols] + 0.5).astype(np.int64)
    iy = np.floor(py[rows, cols] + 0.5).astype(np.int64)
    interp = p.interpretation
    if interp.kind == "zdepth":
        source = np.asarray(p.distance, dtype=np.float32)
        interp = DepthInterpretation(kind="distance", scale=1.0,
                                     source=f"{interp.source} (z-depth made radial)".strip())
    else:
        source = np.asarray(p.raw_depth)
    raw = np.full((height, width), np.nan, dtype=np.float32)
    raw[rows, cols] = source[iy, ix].astype(np.float32)
    return RGBDPanorama(rgb=rgb, raw_depth=raw, interpretation=interp, metadata=meta)


def placement_width(p: PerspectiveRGBD) -> int:
    """The panorama width a perspective image is placed in: its angular resolution kept.

    As many panorama columns per degree as the image has (``360 / fov * width``), rounded up
    to a multiple of 64 and clipped to [:data:`PLACEMENT_MIN_WIDTH`,
    :data:`PLACEMENT_MAX_WIDTH`]. A 512-pixel, 60° image gives 3072 (a 3072x1536 panorama).

    Parameters
    ----------
    p : PerspectiveRGBD

    Returns
    -------
    int
        Even width in pixels; the panorama's height is half of it.
    """
    width = math.ceil(360.0 / float(p.fov_deg) * p.width / _PLACEMENT_STEP) * _PLACEMENT_STEP
    return int(min(PLACEMENT_MAX_WIDTH, max(PLACEMENT_MIN_WIDTH, width)))


def place_in_panorama(p: PerspectiveRGBD) -> RGBDPanorama:
    """:func:`perspective_to_equirect` at :func:`placement_width`: how every front-end places a
    perspective result on the sphere."""
    return perspective_to_equirect(p, width=placement_width(p))
