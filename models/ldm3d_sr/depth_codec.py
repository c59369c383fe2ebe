"""Depth in and out of the upscalers: metres at the raw resolution, and back to raw codes.

An upscaler works on radial distance (metres) at the depth map's own resolution, and hands
back raw depth *in the source's interpretation* wherever that is possible, so an upscaled
LDM3D result is still 16-bit disparity whose near/far the user can change afterwards:

``disparity``
    ``raw = (1/r - 1/far) / (1/near - 1/far) / scale``, rounded and clipped to the source
    dtype when it is an integer type (uint16 stays uint16).
``distance``
    ``raw = r / scale`` (float32; an integer source becomes float32 so nothing is rounded).
``zdepth``
    The ray-dependent planar depth is not kept: the result is ``distance`` in metres.

NaN (unknown) stays NaN in float output and becomes 0 with ``invalid_zero`` in integer output.
"""

from __future__ import annotations

import numpy as np

from scene.conventions import direction_grid
from scene.depth import DepthInterpretation, to_distance
from scene.panorama import RGBDPanorama

__all__ = ["source_distance", "encode_distance", "to_unit_disparity", "from_unit_disparity"]


def source_distance(pano: RGBDPanorama) -> np.ndarray:
    """Radial distance of ``pano``'s depth at the depth map's own resolution.

    Returns
    -------
    (h, w) float32 ndarray
        Metres, NaN where unknown (``pano.distance`` is the same resampled to the RGB size).
    """
    raw = np.asarray(pano.raw_depth)
    dh, dw = raw.shape
    dirs = direction_grid(dw, dh) if pano.interpretation.kind == "zdepth" else None
    return to_distance(raw, pano.interpretation, dirs, perspective=False)


def encode_distance(distance: np.ndarray, interp: DepthInterpretation,
                    raw_dtype: np.dtype, note: str) -> tuple[np.ndarray, DepthInterpretation]:
    """Raw depth for ``distance`` in the source's interpretation (see the module docstring).

    Parameters
    ----------
    distance : (H, W) float ndarray
        Metres, NaN where unknown.
    interp : DepthInterpretation
        The source's interpretation.
    raw_dtype : numpy dtype
        The source's raw dtype.
    note : str
        Appended to the interpretation's ``source`` ("upscaled x4 (classical)").

    Returns
    -------
    raw : (H, W) ndarray
    interpretation : DepthInterpretation
    """
    r = np.asarray(distance, dtype=np.float64)
    source = f"{interp.source}, {note}".strip(", ")
    if interp.kind == "disparity":
        inv_near, inv_far = 1.0 / interp.near, 1.0 / interp.far
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (1.0 / r - inv_far) / (inv_near - inv_far) / interp.scale
        dtype = np.dtype(raw_dtype)
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            code = np.clip(np.rint(np.nan_to_num(d, nan=0.0)), info.min, info.max).astype(dtype)
            return code, interp.with_(source=source)
        return d.astype(np.float32), interp.with_(source=source)
    if interp.kind == "distance":
        return (r / interp.scale).astype(np.float32), interp.with_(source=source)
    return r.astype(np.float32), DepthInterpretation(kind="distance", scale=1.0,
                                                      source=f"{source} (z-depth made radial)")


def to_unit_disparity(distance: np.ndarray, near: float, far: float) -> np.ndarray:
    """Distance (metres) to normalised disparity in [0, 1] (1 = ``near``, 0 = ``far``).

    Unknown (NaN) distances become 0 (far), which is what LDM3D's depth maps hold for
    "nothing there".
    """
    r = np.asarray(distance, dtype=np.float64)
    inv_near, inv_far = 1.0 / near, 1.0 / far
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (1.0 / r - inv_far) / (inv_near - inv_far)
    return np.clip(np.nan_to_num(d, nan=0.0), 0.0, 1.0).astype(np.float32)


def from_unit_disparity(disparity: np.ndarray, near: float, far: float) -> np.ndarray:
    """Inverse of :func:`to_unit_disparity` (float32 metres)."""
    d = np.clip(np.asarray(disparity, dtype=np.float64), 0.0, 1.0)
    return (1.0 / (d * (1.0 / near - 1.0 / far) + 1.0 / far)).astype(np.float32)
