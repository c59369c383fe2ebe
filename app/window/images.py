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


#: Colour ramp of the depth overlay (near = warm, far = cool), 256 entries.
_STOPS = np.array([[20, 24, 82], [30, 140, 160], [240, 220, 80], [250, 120, 40]], np.float32)
_LUT = np.stack([np.interp(np.linspace(0, len(_STOPS) - 1, 256), np.arange(len(_STOPS)),
                           _STOPS[:, c]) for c in range(3)], axis=1).round().astype(np.uint8)


def depth_to_rgb(distance: np.ndarray) -> np.ndarray:
    """Colour a distance map (near = warm, far = cool) for overlays.

    Parameters
    ----------
    distance : (H, W) float ndarray
        Metres, NaN unknown.

    Returns
    -------
    (H, W, 3) uint8 ndarray
        Inverse distance normalised to the finite range, through a 256-entry colour ramp;
        unknown pixels are black.
    """
    d = np.asarray(distance, dtype=np.float32)
    finite = np.isfinite(d) & (d > 0)
    if not finite.any():
        return np.zeros(d.shape + (3,), dtype=np.uint8)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(finite, np.float32(1.0) / d, np.float32(0.0))
    lo, hi = float(inv[finite].min()), float(inv[finite].max())
    scale = np.float32(255.0 / (hi - lo)) if hi > lo else np.float32(0.0)
    idx = np.clip((inv - np.float32(lo)) * scale + np.float32(0.5), 0, 255).astype(np.uint8)
    out = _LUT[idx]
    out[~finite] = 0
    return out
