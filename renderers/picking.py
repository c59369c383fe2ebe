"""From a pixel of a rendered view back to the world: the ray a click names.

The inverse of :func:`renderers.view_math.project_points`: for the view and projection
matrices a view was drawn with, the pixel ``(x, y)`` (continuous, row 0 at the top, pixel
centres at integer + 0.5) is the image of every point on one ray from the eye.
"""

from __future__ import annotations

import numpy as np

from scene.errors import InputError

__all__ = ["pixel_ray"]


def pixel_ray(x: float, y: float, view: np.ndarray, proj: np.ndarray,
              size) -> tuple[np.ndarray, np.ndarray]:
    """The world ray through pixel ``(x, y)`` of an image drawn with ``proj @ view``.

    Parameters
    ----------
    x, y : float
        Pixel coordinates (column, row), row 0 at the top; the centre of the top-left
        pixel is (0.5, 0.5).
    view, proj : (4, 4) ndarray
        Column-vector matrices (:mod:`renderers.view_math`).
    size : (int, int)
        Image ``(width, height)`` in pixels.

    Returns
    -------
    origin : (3,) float64 ndarray
        The eye, metres.
    direction : (3,) float64 ndarray
        Unit, world frame.
    """
    width, height = (float(v) for v in size)
    if not (width > 0 and height > 0):
        raise InputError(f"cannot pick in a {width:g}x{height:g} image")
    ndc_x = 2.0 * x / width - 1.0
    ndc_y = 1.0 - 2.0 * y / height
    inv = np.linalg.inv(np.asarray(proj, np.float64) @ np.asarray(view, np.float64))
    near = inv @ np.array([ndc_x, ndc_y, -1.0, 1.0])
    far = inv @ np.array([ndc_x, ndc_y, 1.0, 1.0])
    near, far = near[:3] / near[3], far[:3] / far[3]
    eye = np.linalg.inv(np.asarray(view, np.float64))[:3, 3]
    d = far - near
    return eye, d / np.linalg.norm(d)
