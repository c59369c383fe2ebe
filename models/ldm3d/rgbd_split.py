"""Split an LDM3D VAE output into 8-bit RGB and 16-bit disparity, for both channel layouts.

diffusers' ``VaeImageProcessorLDM3D.postprocess`` is not used: for the 6-channel layout its
``"pil"`` path raises and its ``"np"`` path applies ``G * 256 + B`` to floats in [0, 1]
(diffusers issue #14206), so the depth comes out off-scale. The pipeline is asked for latents
instead, the VAE is called directly, and the decoded tensor is converted here.

Layouts (the VAE's output, values in [-1, 1], mapped to [0, 1] by ``x / 2 + 0.5``):

4 channels (ldm3d-pano, ldm3d-4c)
    ``[R, G, B, D]``; ``D`` is disparity in [0, 1], stored as ``round(D * 65535)`` (uint16).
6 channels (ldm3d)
    ``[R, G, B, Dr, Dg, Db]``; the depth is a 16-bit value packed into 8-bit channels:
    ``high = round(Dg * 255)``, ``low = round(Db * 255)``, ``depth16 = high * 256 + low``
    (``Dr`` is not used, as in diffusers' ``rgblike_to_depthmap``).

In both cases the result is relative inverse depth (disparity: 65535 = nearest), read with
``DepthInterpretation(kind="disparity", scale=1/65535)``.
"""

from __future__ import annotations

import numpy as np

from scene.errors import InputError

__all__ = ["split_rgbd", "to_unit", "RAW_DEPTH_SCALE"]

#: ``scale`` of the DepthInterpretation for the uint16 depth produced here.
RAW_DEPTH_SCALE = 1.0 / 65535.0


def to_unit(decoded: np.ndarray) -> np.ndarray:
    """VAE output in [-1, 1] to [0, 1] (clipped), float32, same shape."""
    return np.clip(np.asarray(decoded, dtype=np.float32) * 0.5 + 0.5, 0.0, 1.0)


def split_rgbd(decoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert one decoded LDM3D image to colour and 16-bit disparity.

    Parameters
    ----------
    decoded : (C, H, W) float ndarray
        The VAE's output for one image, channels first, values nominally in [-1, 1];
        ``C`` is 4 or 6 (see the module docstring).

    Returns
    -------
    rgb : (H, W, 3) uint8 ndarray
        sRGB colour.
    depth : (H, W) uint16 ndarray
        Disparity code, 0 = far, 65535 = near.

    Raises
    ------
    InputError
        If ``C`` is neither 4 nor 6.
    """
    arr = np.asarray(decoded)
    if arr.ndim != 3 or arr.shape[0] not in (4, 6):
        raise InputError(f"an LDM3D VAE output must be (4 or 6, H, W), got {arr.shape}",
                         hint="this is not an LDM3D model's VAE")
    unit = to_unit(arr)
    rgb = np.rint(np.moveaxis(unit[:3], 0, -1) * 255.0).astype(np.uint8)
    if arr.shape[0] == 4:
        depth = np.rint(unit[3].astype(np.float64) * 65535.0).astype(np.uint16)
    else:
        high = np.rint(unit[4] * 255.0).astype(np.uint16)
        low = np.rint(unit[5] * 255.0).astype(np.uint16)
        depth = high * np.uint16(256) + low
    return rgb, depth
