"""Seamless 360°: circular padding along the width, checked as a roll-equivariance property.

With every convolution of the UNet and the VAE wrapping horizontally, rolling the initial
latent by ``k`` columns (``k`` a multiple of the UNet's stride) rolls the decoded image by
``8 * k`` pixels, to float tolerance. With seamless off the same comparison fails badly.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.base import GenerationRequest
from models.ldm3d import make_backend, unload
from models.ldm3d.denoise import RunSettings, initial_latents, run_ldm3d
from models.ldm3d.loading import load_pipeline, select_device
from models.ldm3d.seamless import LatentRoller, patch_conv2d, seamless_convs, unet_stride
from models.ldm3d.weights import SPECS, resolve_model
from tests.models.tiny_ldm3d import TINY_UNET_STRIDE, tiny_model

W, H = 64, 32  # latent 8 x 4


@pytest.fixture(scope="module")
def pipe():
    location = resolve_model(SPECS["ldm3d-pano"], str(tiny_model(4)))
    return load_pipeline(location, select_device("cpu"))


def _settings(seamless: bool, **kw) -> RunSettings:
    base = dict(prompt="360 view of a canyon", negative_prompt="", width=W, height=H, steps=3,
                guidance=6.0, seamless=seamless)
    base.update(kw)
    return RunSettings(**base)


def _equivariance_error(pipe, seamless: bool, k: int) -> tuple[float, float]:
    """Max |roll(out(z), 8k) - out(roll(z, k))| and the output's mean magnitude."""
    z = initial_latents(5, W, H)
    a = run_ldm3d(pipe, _settings(seamless), z)
    b = run_ldm3d(pipe, _settings(seamless), torch.roll(z, k, dims=-1))
    return float(np.abs(np.roll(a, 8 * k, axis=-1) - b).max()), float(np.abs(a).mean())


def test_tiny_unet_stride(pipe):
    assert unet_stride(pipe.unet) == TINY_UNET_STRIDE
    assert pipe.vae_scale_factor == 8


@pytest.mark.parametrize("k", [TINY_UNET_STRIDE, 3 * TINY_UNET_STRIDE])
def test_rolling_the_latent_rolls_the_output_when_seamless(pipe, k):
    err, scale = _equivariance_error(pipe, True, k)
    assert scale > 0.05  # a real signal, not an all-zero output
    assert err < 1e-4


def test_without_seamless_the_same_property_fails(pipe):
    err, scale = _equivariance_error(pipe, False, TINY_UNET_STRIDE)
    assert err > 0.2 and err > scale


def test_wrap_difference_is_like_an_interior_difference(pipe):
    out = run_ldm3d(pipe, _settings(True), initial_latents(9, W, H))
    interior = np.abs(np.diff(out, axis=-1)).mean(axis=(0, 1))  # (W-1,) per column pair
    wrap = np.abs(out[..., -1] - out[..., 0]).mean()
    assert interior.min() <= wrap <= interior.max()
    assert wrap < 2.0 * np.median(interior)


def test_latent_roll_between_steps_does_not_shift_the_output(pipe):
    z = initial_latents(3, W, H)
    plain = run_ldm3d(pipe, _settings(True), z)
    rolled = run_ldm3d(pipe, _settings(True, latent_roll=TINY_UNET_STRIDE), z)
    # rolled by a multiple of the stride at every step and rolled back before decoding
    assert np.abs(plain - rolled).max() < 1e-4
    total = 8 * TINY_UNET_STRIDE * 2  # two rolls happen (after steps 1 and 2 of 3)
    assert np.abs(np.roll(plain, total, axis=-1) - rolled).max() > 0.2


def test_latent_roll_with_multistep_scheduler_stays_consistent(pipe):
    from models.ldm3d.loading import set_scheduler

    set_scheduler(pipe, "dpm++2m")
    try:
        z = initial_latents(4, W, H)
        plain = run_ldm3d(pipe, _settings(True), z)
        rolled = run_ldm3d(pipe, _settings(True, latent_roll=TINY_UNET_STRIDE), z)
        assert np.abs(plain - rolled).max() < 1e-4
    finally:
        set_scheduler(pipe, "ddim")


def test_seamless_through_the_backend_and_no_seamless_differ():
    unload()
    backend = make_backend("ldm3d-pano")
    req = dict(prompt="a canyon", seed=2, steps=2, width=W, height=H, model=str(tiny_model(4)))
    on = backend.generate(GenerationRequest(**req, seamless=True))
    off = backend.generate(GenerationRequest(**req, seamless=False))
    assert on.metadata.seamless and not off.metadata.seamless
    assert not np.array_equal(on.panorama.rgb, off.panorama.rgb)
    backend.latent_roll = TINY_UNET_STRIDE
    rolled = backend.generate(GenerationRequest(**req, seamless=True))
    assert rolled.metadata.extra["latent_roll"] == TINY_UNET_STRIDE
    assert np.abs(rolled.panorama.rgb.astype(int) - on.panorama.rgb).max() <= 1


def test_seamless_with_vae_tiling_wraps_the_latent(pipe):
    """Tiled decoding cannot patch the VAE (each tile would wrap onto itself), so the latent
    is extended from the opposite edge instead: the edge columns then come out close to the
    patched, untiled decode, much closer than a tiled decode without the wrap."""
    from models.ldm3d.denoise import decode_latents

    z = torch.randn(1, 4, H // 8, W // 8, generator=torch.Generator().manual_seed(0))
    with seamless_convs(pipe.vae):
        reference = decode_latents(pipe, z, _settings(True))
    pipe.vae.enable_tiling()  # tiles of 64 px (the tiny VAE's sample_size): 4 across
    try:
        wrapped = decode_latents(pipe, z, _settings(True, vae_tiling=True))
        unwrapped = decode_latents(pipe, z, _settings(False, vae_tiling=True))
    finally:
        pipe.vae.disable_tiling()
    assert wrapped.shape == reference.shape == (4, H, W)

    def edge_error(x):
        e = np.abs(x - reference)
        return np.concatenate([e[..., :8], e[..., -8:]], axis=-1).mean()

    assert edge_error(wrapped) < 0.5 * edge_error(unwrapped)


# -- the patch itself ----------------------------------------------------------------------
def test_patched_conv_equals_explicit_circular_width_zero_height_padding():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 5, kernel_size=3, padding=1, stride=1)
    x = torch.randn(1, 3, 6, 10)
    before = conv(x)
    with seamless_convs(torch.nn.Sequential(conv)):
        patched = conv(x)
    after = conv(x)
    padded = torch.nn.functional.pad(x, (1, 1, 0, 0), mode="circular")
    padded = torch.nn.functional.pad(padded, (0, 0, 1, 1))
    expect = torch.nn.functional.conv2d(padded, conv.weight, conv.bias)
    assert torch.allclose(patched, expect, atol=1e-6)
    assert torch.equal(before, after)  # undone on exit
    assert not torch.allclose(patched, before, atol=1e-3)  # the patch did change something
    # interior columns are unaffected, only the edge columns change
    assert torch.allclose(patched[..., 1:-1], before[..., 1:-1], atol=1e-6)


def test_patch_handles_strided_and_same_padding_and_undo_is_idempotent():
    torch.manual_seed(1)
    strided = torch.nn.Conv2d(2, 2, kernel_size=3, stride=2, padding=1)
    same = torch.nn.Conv2d(2, 2, kernel_size=3, padding="same")
    valid = torch.nn.Conv2d(2, 2, kernel_size=1, padding=0)
    model = torch.nn.Sequential(strided, same, valid)
    x = torch.randn(1, 2, 8, 16)
    ref = model(x)
    undo = patch_conv2d([model, None])
    assert "forward" in strided.__dict__ and "forward" in same.__dict__
    assert "forward" not in valid.__dict__  # nothing to pad
    y = model(x)
    assert y.shape == ref.shape
    # a roll by 2 input columns (the stride) rolls the output by 1 column exactly
    y_rolled = model(torch.roll(x, 2, dims=-1))
    assert torch.allclose(torch.roll(y, 1, dims=-1), y_rolled, atol=1e-6)
    undo()
    undo()
    assert torch.equal(model(x), ref)


def test_latent_roller_bookkeeping():
    roller = LatentRoller(3)
    z = torch.arange(10.0).reshape(1, 1, 1, 10)
    r = roller.step(roller.step(z))
    assert roller.total == 6
    assert torch.equal(r, torch.roll(z, 6, dims=-1))
    assert torch.equal(roller.unroll(r), z)
    assert LatentRoller(0).step(z) is z
