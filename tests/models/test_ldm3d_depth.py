"""Decoding LDM3D's RGBD layouts (4 and 6 channels) and the latent preview map."""

from __future__ import annotations

import numpy as np
import pytest

from models.ldm3d.latent_preview import SD_LATENT_TO_RGB, fit_latent_map, latent_to_rgb
from models.ldm3d.rgbd_split import split_rgbd
from scene.errors import InputError


def _from_unit(unit: np.ndarray) -> np.ndarray:
    """[0, 1] values to the VAE's [-1, 1] range."""
    return unit * 2.0 - 1.0


def test_four_channel_known_values():
    unit = np.zeros((4, 1, 5), dtype=np.float32)
    unit[:3] = np.array([0.0, 0.5, 1.0, 0.25, 1.0])[None, None, :]
    unit[3] = np.array([0.0, 1.0, 0.5, 1 / 65535, 2.0])  # 2.0 is clipped
    rgb, depth = split_rgbd(_from_unit(unit))
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 5, 3)
    assert rgb[0, :, 0].tolist() == [0, 128, 255, 64, 255]
    assert depth.dtype == np.uint16 and depth.shape == (1, 5)
    assert depth[0].tolist() == [0, 65535, 32768, 1, 65535]


def test_six_channel_packs_high_and_low_bytes():
    codes = np.array([0, 1, 255, 256, 257, 4660, 65535], dtype=np.int64)
    unit = np.zeros((6, 1, codes.size), dtype=np.float32)
    unit[3] = 0.7  # the first depth channel is not used
    unit[4] = (codes // 256) / 255.0
    unit[5] = (codes % 256) / 255.0
    _, depth = split_rgbd(_from_unit(unit))
    assert depth.dtype == np.uint16
    assert depth[0].tolist() == codes.tolist()


def test_six_channel_agrees_with_diffusers_on_bytes():
    """diffusers' own G*256+B, applied to 8-bit channels as it should be, gives our values."""
    from diffusers.image_processor import VaeImageProcessorLDM3D

    rng = np.random.default_rng(0)
    decoded = rng.uniform(-1.1, 1.1, size=(6, 8, 12)).astype(np.float32)
    _, ours = split_rgbd(decoded)
    unit = np.clip(decoded / 2 + 0.5, 0, 1)
    bytes_hwc = np.rint(np.moveaxis(unit[3:], 0, -1) * 255).astype(np.uint8)
    theirs = VaeImageProcessorLDM3D.rgblike_to_depthmap(bytes_hwc.astype(np.int32))
    assert np.array_equal(ours, theirs.astype(np.uint16))


def test_diffusers_numpy_path_for_six_channels_is_off_scale():
    """Why the pipeline's own post-processing is not used (diffusers issue #14206)."""
    import torch
    from diffusers.image_processor import VaeImageProcessorLDM3D

    rng = np.random.default_rng(1)
    decoded = rng.uniform(-0.9, 0.9, size=(6, 8, 12)).astype(np.float32)
    _, ours = split_rgbd(decoded)
    _, theirs = VaeImageProcessorLDM3D().postprocess(torch.from_numpy(decoded[None]), "np")
    assert float(np.max(theirs)) <= 257.0  # floats in [0, 1] combined as G*256+B
    assert int(ours.max()) > 10_000


def test_bad_layout_is_refused():
    with pytest.raises(InputError, match="4 or 6"):
        split_rgbd(np.zeros((3, 4, 4), dtype=np.float32))


def test_preview_matrix_maps_a_known_latent():
    latent = np.zeros((4, 2, 3), dtype=np.float32)
    latent[0] = 1.0
    rgb = latent_to_rgb(latent)
    expect = np.rint((SD_LATENT_TO_RGB[0] * 0.5 + 0.5) * 255).astype(np.uint8)
    assert rgb.shape == (2, 3, 3) and rgb.dtype == np.uint8
    assert (rgb == expect).all()
    with pytest.raises(InputError):
        latent_to_rgb(np.zeros((3, 2, 2)))


def test_fit_recovers_a_linear_map_exactly():
    rng = np.random.default_rng(2)
    matrix = rng.normal(size=(4, 3)).astype(np.float32)
    bias = np.array([0.1, -0.2, 0.05], dtype=np.float32)
    latents = rng.normal(size=(2, 4, 5, 6))
    small = np.einsum("nchw,cd->ndhw", latents, matrix) + bias[None, :, None, None]
    images = small.repeat(8, axis=2).repeat(8, axis=3)  # each latent pixel -> 8x8 block
    got_m, got_b = fit_latent_map(latents, images)
    np.testing.assert_allclose(got_m, matrix, atol=1e-5)
    np.testing.assert_allclose(got_b, bias, atol=1e-5)
