"""A cheap preview of a diffusion latent: a linear map from 4 latent channels to RGB.

Decoding the latent with the VAE at every preview would cost a large part of a step; a
per-pixel linear map costs almost nothing (a (h*w, 4) @ (4, 3) product at the latent's
resolution, 1/8 of the image size per side), so a preview every few steps stays far below
the 10 % overhead budget (``benchmarks/bench_ldm3d_preview.py`` measures it).

Source of :data:`SD_LATENT_TO_RGB`: the approximate linear relation between Stable Diffusion
1.x's KL-f8 latent channels and the decoded colour that is widely used for live previews,
obtained by least squares between latents and their decoded images (the same fit that
:func:`fit_latent_map` performs), rounded to three decimals. The LDM3D autoencoders are
fine-tuned from that VAE, so the map gives the right broad colours and layout of an LDM3D
latent; it is a preview, not a decode. To refit on a specific model, decode a few latents
with its VAE and call :func:`fit_latent_map`.
"""

from __future__ import annotations

import numpy as np

from scene.errors import InputError

__all__ = ["SD_LATENT_TO_RGB", "SD_LATENT_BIAS", "latent_to_rgb", "fit_latent_map"]

#: (4, 3): row ``c`` is the contribution of latent channel ``c`` to (R, G, B) in [-1, 1].
SD_LATENT_TO_RGB = np.array(
    [
        [0.298, 0.207, 0.208],
        [0.187, 0.286, 0.173],
        [-0.158, 0.189, 0.264],
        [-0.184, -0.271, -0.473],
    ],
    dtype=np.float32,
)
#: (3,) offset added after the product (the fit above has none).
SD_LATENT_BIAS = np.zeros(3, dtype=np.float32)


def latent_to_rgb(
    latent: np.ndarray,
    matrix: np.ndarray = SD_LATENT_TO_RGB,
    bias: np.ndarray = SD_LATENT_BIAS,
) -> np.ndarray:
    """Preview colour of one latent.

    Parameters
    ----------
    latent : (4, h, w) float ndarray
        One (unscaled, as the UNet sees it) latent, channels first.
    matrix : (4, 3) float ndarray
    bias : (3,) float ndarray

    Returns
    -------
    (h, w, 3) uint8 ndarray
        sRGB preview at the latent's resolution.
    """
    lat = np.asarray(latent, dtype=np.float32)
    if lat.ndim != 3 or lat.shape[0] != matrix.shape[0]:
        raise InputError(f"a latent for the preview must be ({matrix.shape[0]}, h, w), "
                         f"got {lat.shape}")
    rgb = np.tensordot(lat, matrix, axes=([0], [0])) + bias
    return np.rint(np.clip(rgb * 0.5 + 0.5, 0.0, 1.0) * 255.0).astype(np.uint8)


def fit_latent_map(latents: np.ndarray, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares linear map (with offset) from latent channels to image colour.

    Parameters
    ----------
    latents : (N, C, h, w) float ndarray
        Latents (unscaled).
    images : (N, 3, h*f, w*f) float ndarray
        Their decoded images in [-1, 1] at any integer multiple ``f`` of the latent size;
        each ``f x f`` block is averaged down to one latent pixel.

    Returns
    -------
    matrix : (C, 3) float32 ndarray
    bias : (3,) float32 ndarray
    """
    lat = np.asarray(latents, dtype=np.float64)
    img = np.asarray(images, dtype=np.float64)
    n, c, h, w = lat.shape
    if img.ndim != 4 or img.shape[0] != n or img.shape[2] % h or img.shape[3] % w:
        raise InputError(f"images {img.shape} do not match latents {lat.shape}")
    f = img.shape[2] // h
    if img.shape[3] // w != f:
        raise InputError("images and latents must have the same aspect ratio")
    small = img[:, :3].reshape(n, 3, h, f, w, f).mean(axis=(3, 5))
    x = np.moveaxis(lat, 1, -1).reshape(-1, c)
    y = np.moveaxis(small, 1, -1).reshape(-1, 3)
    design = np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coef[:c].astype(np.float32), coef[c].astype(np.float32)
