"""numpy images to Qt images (one copy, no per-pixel Python)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap

__all__ = ["to_qimage", "to_pixmap", "depth_to_rgb"]


def to_qimage(rgb: np.ndarray) -> QImage:
    """An (H, W, 3) uint8 array as an RGB888 :class:`QImage` that owns its pixels."""
    arr = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w = arr.shape[:2]
    img = QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return img.copy()  # detach from the numpy buffer


def to_pixmap(rgb: np.ndarray, max_w: int | None = None, max_h: int | None = None) -> QPixmap:
    """An (H, W, 3) uint8 array as a pixmap, scaled down smoothly to fit ``max_w x max_h``."""
    from PySide6.QtCore import Qt

    pix = QPixmap.fromImage(to_qimage(rgb))
    if max_w is not None and max_h is not None:
        pix = pix.scaled(max_w, max_h, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
    return pix




def depth_to_rgb(distance: np.ndarray) -> np.ndarray:
    """Colour a distance map as the viewport's depth mode does (:mod:`renderers.depth_colours`).

    Parameters
    ----------
    distance : (H, W) float ndarray
        Metres, NaN unknown.

    Returns
    -------
    (H, W, 3) uint8 ndarray
        Log distance from the 1st to the 99th percentile through the one depth colour map;
        unknown pixels are black.
    """
    from renderers.depth_colours import colour_depth

    return colour_depth(distance)[0]
