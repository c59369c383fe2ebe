"""The one depth colour map: what the viewport's depth mode and the panorama overlay show.

Distance is coloured on a log scale from the 1st to the 99th percentile of the known
distances through :data:`DEPTH_COLORMAP` (near = dark purple, far = yellow). The viewport's
shader samples :func:`depth_lut` the same way (``log(d)`` between ``log(near)`` and
``log(far)``); :func:`colour_depth` does it on the CPU for flat images, and the window's
legends label :func:`depth_range`'s ends in metres.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEPTH_COLORMAP", "depth_lut", "depth_range_of", "colour_depth"]

#: vispy colour map name used for depth everywhere.
DEPTH_COLORMAP = "viridis"


def depth_lut(n: int = 256) -> np.ndarray:
    """``(n, 4)`` float32 RGBA in 0..1: :data:`DEPTH_COLORMAP` sampled from near to far."""
    from vispy.color import get_colormap

    return np.asarray(get_colormap(DEPTH_COLORMAP).map(np.linspace(0.0, 1.0, n)), np.float32)


def depth_range_of(d: np.ndarray) -> tuple[float, float]:
    """1st and 99th percentile of the finite positive distances ``d`` (metres)."""
    d = np.asarray(d, dtype=np.float64).ravel()
    d = d[np.isfinite(d) & (d > 0)]
    if d.size == 0:
        return (1.0, 2.0)
    near, far = np.percentile(d, [1.0, 99.0])
    near = max(float(near), 1e-3)
    return near, max(float(far), near * 1.01)


def colour_depth(distance: np.ndarray, near_far: tuple[float, float] | None = None
                 ) -> tuple[np.ndarray, tuple[float, float]]:
    """Colour a distance map as the viewport's depth mode does.

    Parameters
    ----------
    distance : (H, W) float ndarray
        Metres, NaN unknown.
    near_far : (float, float), optional
        The range (default :func:`depth_range_of` of ``distance``).

    Returns
    -------
    rgb : (H, W, 3) uint8 ndarray
        Unknown pixels black.
    near_far : (float, float)
        The metres at the ends of the map (for a legend).
    """
    d = np.asarray(distance, dtype=np.float32)
    near, far = near_far if near_far is not None else depth_range_of(d)
    known = np.isfinite(d) & (d > 0)
    lut = np.rint(depth_lut(256)[:, :3] * 255.0).astype(np.uint8)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (np.log(np.where(known, d, 1.0)) - np.log(near)) / max(np.log(far / near), 1e-6)
    idx = np.clip(np.rint(t * 255.0), 0, 255).astype(np.intp)
    out = lut[idx]
    out[~known] = 0
    return out, (float(near), float(far))
