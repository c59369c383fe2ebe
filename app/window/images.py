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
    """Colour a distance map (near = warm, far = cool) for overlays.

    Parameters
    ----------
    distance : (H, W) float ndarray
        Metres, NaN unknown.

    Returns
    -------
    (H, W, 3) uint8 ndarray
        Inverse-distance normalised to the finite range; unknown pixels are black.
    """
    d = np.asarray(distance, dtype=np.float32)
    finite = np.isfinite(d) & (d > 0)
    out = np.zeros(d.shape + (3,), dtype=np.uint8)
    if not finite.any():
        return out
    inv = np.zeros_like(d)
    inv[finite] = 1.0 / d[finite]
    lo, hi = float(inv[finite].min()), float(inv[finite].max())
    t = (inv - lo) / (hi - lo) if hi > lo else np.full_like(inv, 0.5)
    t = np.clip(t, 0.0, 1.0)
    # a short perceptual ramp: deep blue -> teal -> yellow -> orange
    stops = np.array([[20, 24, 82], [30, 140, 160], [240, 220, 80], [250, 120, 40]], np.float32)
    pos = t * (len(stops) - 1)
    i0 = np.clip(np.floor(pos).astype(np.int64), 0, len(stops) - 2)
    f = (pos - i0)[..., None]
    rgb = stops[i0] * (1 - f) + stops[i0 + 1] * f
    out[finite] = rgb[finite].astype(np.uint8)
    return out
