"""Measures for upscaled panoramas against a known truth (tests and benchmarks).

``depth_mare`` is the LDM3D-VR paper's depth metric (mean absolute relative error, the paper
reports 0.0537 for LDM3D-SR); ``depth_edge_mask`` selects the pixels near depth
discontinuities, where an upscaler that blends foreground and background loses most.
"""

from __future__ import annotations

import numpy as np

__all__ = ["psnr", "depth_mare", "depth_edge_mask", "bicubic_baseline"]


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Peak signal-to-noise ratio of two uint8 images in dB (optionally over ``mask`` only)."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    err = (x - y) ** 2
    if mask is not None:
        err = err[np.asarray(mask, dtype=bool)]
    mse = float(err.mean())
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0 ** 2 / mse)


def depth_mare(estimate: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean of ``|estimate - truth| / truth`` over pixels where both are finite (and in ``mask``)."""
    e = np.asarray(estimate, dtype=np.float64)
    t = np.asarray(truth, dtype=np.float64)
    ok = np.isfinite(e) & np.isfinite(t) & (t > 0)
    if mask is not None:
        ok &= np.asarray(mask, dtype=bool)
    if not ok.any():
        return float("nan")
    return float(np.mean(np.abs(e[ok] - t[ok]) / t[ok]))


def depth_edge_mask(truth: np.ndarray, within: int = 3, jump: float = 0.1) -> np.ndarray:
    """Pixels within ``within`` pixels of a depth discontinuity of the truth.

    A discontinuity is a pair of 4-neighbours (the left/right pair across the seam included)
    whose distances differ by more than ``jump`` relative to the nearer one.

    Returns
    -------
    (H, W) bool ndarray
    """
    import cv2

    t = np.asarray(truth, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        right = np.roll(t, -1, axis=1)
        ex = np.abs(right - t) / np.minimum(right, t) > jump
        ey = np.zeros_like(ex)
        ey[:-1] = np.abs(t[1:] - t[:-1]) / np.minimum(t[1:], t[:-1]) > jump
    edge = ex | np.roll(ex, 1, axis=1) | ey
    edge[1:] |= ey[:-1]
    p = within + 1
    padded = np.concatenate([edge[:, -p:], edge, edge[:, :p]], axis=1).astype(np.uint8)
    k = 2 * within + 1
    grown = cv2.dilate(padded, np.ones((k, k), np.uint8))
    return grown[:, p:-p] > 0


def bicubic_baseline(rgb: np.ndarray, distance: np.ndarray, factor: int):
    """Plain bicubic ×``factor`` of colour and distance (wrap-aware): what the guided path beats.

    Returns
    -------
    rgb : (H, W, 3) uint8 ndarray
    distance : (H, W) float32 ndarray
    """
    from .classical import resize_wrap, upscale_rgb

    h, w = np.asarray(distance).shape
    d = np.asarray(distance, dtype=np.float32)
    return upscale_rgb(rgb, factor), resize_wrap(d, h * factor, w * factor)
