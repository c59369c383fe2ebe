"""The one definition of Panoforge's axes and of the equirectangular mapping.

World frame: right-handed, +Y up, metres, the viewer at the origin looking along -Z (glTF's).

Equirectangular pixel (column ``x`` of ``W``, row ``y`` of ``H``)::

    lon = 2*pi*(x + 0.5)/W - pi          # longitude, radians, -pi..pi, 0 at the image centre
    lat = pi/2 - pi*(y + 0.5)/H          # latitude, radians, +pi/2 at the top row
    d   = (cos(lat)*sin(lon), sin(lat), -cos(lat)*cos(lon))

So the image centre faces -Z, moving right in the image turns right (towards +X), and the
top row is up. Every other module converts through these functions; none re-derives them.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "longitudes",
    "latitudes",
    "direction_grid",
    "lonlat_to_direction",
    "direction_to_lonlat",
    "lonlat_to_pixel",
]


def longitudes(width: int, dtype=np.float64) -> np.ndarray:
    """Longitude of each pixel column's centre.

    Parameters
    ----------
    width : int
        Panorama width ``W`` in pixels.

    Returns
    -------
    (W,) float ndarray
        Radians in (-pi, pi), increasing to the right.
    """
    return (2.0 * np.pi * (np.arange(width, dtype=np.float64) + 0.5) / width - np.pi).astype(dtype)


def latitudes(height: int, dtype=np.float64) -> np.ndarray:
    """Latitude of each pixel row's centre.

    Parameters
    ----------
    height : int
        Panorama height ``H`` in pixels.

    Returns
    -------
    (H,) float ndarray
        Radians in (-pi/2, pi/2), +pi/2 side first (row 0 is the top).
    """
    return (np.pi / 2.0 - np.pi * (np.arange(height, dtype=np.float64) + 0.5) / height).astype(dtype)


def lonlat_to_direction(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unit view directions for longitude/latitude pairs.

    Parameters
    ----------
    lon, lat : (...) float ndarray
        Radians; broadcastable against each other.

    Returns
    -------
    (..., 3) float ndarray
        Unit vectors ``(x, y, z)`` in the world frame.
    """
    lon, lat = np.broadcast_arrays(np.asarray(lon), np.asarray(lat))
    cl = np.cos(lat)
    return np.stack([cl * np.sin(lon), np.sin(lat), -cl * np.cos(lon)], axis=-1)


def direction_to_lonlat(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`lonlat_to_direction` (directions need not be unit length).

    Parameters
    ----------
    d : (..., 3) float ndarray
        Directions in the world frame.

    Returns
    -------
    lon, lat : (...) float ndarray
        Radians; ``lon`` in [-pi, pi], ``lat`` in [-pi/2, pi/2].
    """
    d = np.asarray(d, dtype=np.float64)
    x, y, z = d[..., 0], d[..., 1], d[..., 2]
    lon = np.arctan2(x, -z)
    lat = np.arctan2(y, np.hypot(x, z))
    return lon, lat


def lonlat_to_pixel(lon: np.ndarray, lat: np.ndarray, width: int, height: int):
    """Continuous pixel coordinates (column, row) of longitude/latitude.

    Pixel centres are at integer + 0.5 in this continuous frame's inverse, i.e. the centre of
    column ``x`` maps back to ``x`` exactly.

    Returns
    -------
    px, py : (...) float ndarray
        Column in [-0.5, W-0.5), row in [-0.5, H-0.5].
    """
    px = (np.asarray(lon) + np.pi) * width / (2.0 * np.pi) - 0.5
    py = (np.pi / 2.0 - np.asarray(lat)) * height / np.pi - 0.5
    return px, py


def direction_grid(width: int, height: int, dtype=np.float32) -> np.ndarray:
    """Unit direction of every pixel centre of a ``W x H`` equirect panorama.

    Built from separable per-row and per-column factors (no per-pixel trigonometry).

    Returns
    -------
    (H, W, 3) ndarray of ``dtype``
        Unit vectors in the world frame.
    """
    lon = longitudes(width)
    lat = latitudes(height)
    out = np.empty((height, width, 3), dtype=dtype)
    cl = np.cos(lat)[:, None]
    np.multiply(cl, np.sin(lon)[None, :], out=out[..., 0], casting="unsafe")
    out[..., 1] = np.sin(lat)[:, None]
    np.multiply(cl, -np.cos(lon)[None, :], out=out[..., 2], casting="unsafe")
    return out
