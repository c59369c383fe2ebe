"""LDM3D-SR on tiny random models built by the tests: loading, shape, determinism, the seam
through the tiling, refusals before weights are read, progress and cancel.

Nothing here looks at what the pictures show (the weights are random); every check is a
property with a known answer.
"""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest
import torch

from models.ldm3d.weights import SPECS, resolve_model
from models.ldm3d_sr.backend import LDM3DSRUpscaler, SRRequest
from models.ldm3d_sr.pipeline import initial_noise
from models.ldm3d_sr.tiles import make_grid
from models.ldm3d_sr.weights import check_sr_folder, resolve_sr_model, sr_weights_available
from scene.depth import DepthInterpretation
from scene.errors import CancelledError, InputError
from scene.panorama import RGBDPanorama
from tests.models.tiny_ldm3d import make_bin_only, tiny_model
from tests.models.tiny_ldm3d_sr import build_tiny_sr, tiny_sr_model

W, H = 32, 16  # low resolution; output 128 x 64, latent 16 x 8


def _pano(seed: int = 0, w: int = W, h: int = H) -> RGBDPanorama:
    """A smooth random RGBD panorama (disparity, as LDM3D makes)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 2 * np.pi, w, endpoint=False)
    y = np.linspace(0, np.pi, h)[:, None]
    base = 0.5 + 0.4 * np.sin(3 * x + rng.uniform(0, 6)) * np.cos(2 * y)
    rgb = np.stack([base, np.roll(base, 7, axis=1), 1 - base], axis=-1)
    rgb = np.clip(rgb * 255 + rng.normal(0, 8, rgb.shape), 0, 255).astype(np.uint8)
    disp = np.clip(base * 65535, 0, 65535).astype(np.uint16)
    return RGBDPanorama(rgb=rgb, raw_depth=disp,
                        interpretation=DepthInterpretation(kind="disparity", scale=1 / 65535))


def _request(**kw) -> SRRequest:
    base = dict(model=str(tiny_sr_model()), steps=2, tile=64, overlap=32, device="cpu",
                prompt="a canyon", preview_every=1)
    base.update(kw)
    return SRRequest(**base)


def _roll(p: RGBDPanorama, k: int) -> RGBDPanorama:
    return RGBDPanorama(rgb=np.roll(p.rgb, k, axis=1), raw_depth=np.roll(p.raw_depth, k, axis=1),
                        interpretation=p.interpretation)


def test_output_is_four_times_larger_with_disparity_depth_and_a_full_record():
    out = LDM3DSRUpscaler().upscale(_pano(), _request()).panorama
    assert out.rgb.shape == (4 * H, 4 * W, 3) and out.rgb.dtype == np.uint8
    assert out.raw_depth.shape == (4 * H, 4 * W) and out.raw_depth.dtype == np.uint16
    assert out.interpretation.kind == "disparity"
    up = out.metadata.extra["upscale"]
    assert up["method"] == "sr" and up["factor"] == 4
    assert (up["steps"], up["guidance"], up["noise_level"]) == (2, 9.0, 20)
    assert up["tile"] == 64 and up["overlap"] == 32 and up["tiles"] == 4
    assert up["source_width"] == W and up["licence"]["spdx"] == "creativeml-openrail-m"
    assert out.metadata.licences[-1] == up["licence"]
    assert (out.metadata.width, out.metadata.height) == (4 * W, 4 * H)


def test_same_seed_same_bytes_other_seed_other_bytes():
    a = LDM3DSRUpscaler().upscale(_pano(), _request(seed=3)).panorama
    b = LDM3DSRUpscaler().upscale(_pano(), _request(seed=3)).panorama
    c = LDM3DSRUpscaler().upscale(_pano(), _request(seed=4)).panorama
    assert a.rgb.tobytes() == b.rgb.tobytes()
    assert a.raw_depth.tobytes() == b.raw_depth.tobytes()
    assert a.rgb.tobytes() != c.rgb.tobytes()


def test_the_grid_wraps_across_the_seam():
    grid = make_grid(8, 16, 8, 4)  # the tests' latent grid
    cols = [grid.cols.indices(k) for k in range(len(grid.cols.starts))]
    assert any(c[0] > c[-1] for c in cols)  # a tile runs over the right edge into column 0
    assert len(grid.cols.starts) == 4 and not grid.cols.whole and grid.rows.whole


def _roll_error(wrap: bool) -> tuple[float, float, float]:
    """Max |roll(up(x, z)) - up(roll(x), roll(z))| for colour and depth, and the colour spread."""
    k_lr = 8  # 32 output pixels = 4 latent columns = one tile step of the wrap grid
    pano = _pano(5)
    z = initial_noise(11, 4 * H // 8, 4 * W // 8)
    up = LDM3DSRUpscaler()
    a = up.upscale(pano, _request(wrap=wrap), latents=z).panorama
    b = up.upscale(_roll(pano, k_lr), _request(wrap=wrap),
                   latents=torch.roll(z, k_lr // 2, dims=-1)).panorama
    s = 4 * k_lr
    rgb_err = np.abs(np.roll(a.rgb.astype(int), s, axis=1) - b.rgb.astype(int)).max()
    d_err = np.abs(np.roll(a.raw_depth.astype(int), s, axis=1) - b.raw_depth.astype(int)).max()
    return float(rgb_err), float(d_err), float(a.rgb.std())


def test_rolling_the_input_rolls_the_output_through_the_wrapping_tiles():
    rgb_err, d_err, spread = _roll_error(wrap=True)
    assert spread > 5  # a real signal, not a constant image
    assert rgb_err <= 1 and d_err <= 64  # rounding of float noise only (depth is 16-bit)


def test_without_wrapping_tiles_the_same_property_fails():
    rgb_err, d_err, _ = _roll_error(wrap=False)
    assert rgb_err > 10 or d_err > 5000


def test_whole_width_tile_uses_circular_convolutions_and_stays_equivariant():
    pano = _pano(2)
    z = initial_noise(1, 8, 16)
    up = LDM3DSRUpscaler()
    req = _request(tile=128, overlap=32)
    a = up.upscale(pano, req, latents=z).panorama
    b = up.upscale(_roll(pano, 4), req, latents=torch.roll(z, 2, dims=-1)).panorama
    assert np.abs(np.roll(a.rgb.astype(int), 16, axis=1) - b.rgb.astype(int)).max() <= 1


def test_progress_reports_stage_step_and_tile_with_previews():
    seen = []
    LDM3DSRUpscaler().upscale(_pano(), _request(), on_progress=seen.append)
    messages = [p.message for p in seen]
    assert any("step 2/2, tile 4/4" in m for m in messages)
    assert any(m.startswith("encoding") for m in messages)
    assert any(m.startswith("decoding") for m in messages)
    assert seen[-1].step == seen[-1].total == 4 * 4
    previews = [p.preview for p in seen if p.preview is not None]
    assert len(previews) == 2 and previews[0].shape == (8, 16, 3)


def test_cancel_stops_within_one_tile_step():
    up = LDM3DSRUpscaler()
    req = _request(steps=5)
    comps, _ = up._components(req)
    calls = []
    handle = comps.unet.register_forward_pre_hook(lambda *a: calls.append(1))
    cancel = threading.Event()
    at = {}

    def on_progress(p):
        if p.message.startswith("denoising") and "tile 3/" in p.message and not cancel.is_set():
            at["calls"] = len(calls)
            cancel.set()

    try:
        with pytest.raises(CancelledError):
            up.upscale(_pano(), req, on_progress=on_progress, cancel=cancel)
    finally:
        handle.remove()
    assert at["calls"] == 3 and len(calls) == 3  # not one more UNet call after the cancel


def _corrupt_weights(folder):
    for st in folder.rglob("*.safetensors"):
        st.write_bytes(b"not a safetensors file: reading it would fail differently")


def test_a_text_to_rgbd_model_is_refused_before_any_weight_is_read(tmp_path):
    folder = tmp_path / "pano"
    shutil.copytree(tiny_model(4), folder)
    _corrupt_weights(folder)
    with pytest.raises(InputError) as exc:
        resolve_sr_model(str(folder))
    assert "not an LDM3D-SR model" in exc.value.message
    assert "text-to-RGBD" in exc.value.message
    assert "8 input channels" in exc.value.hint and "4-channel RGBD VAE" in exc.value.hint
    with pytest.raises(InputError, match="not an LDM3D-SR model"):
        LDM3DSRUpscaler().upscale(_pano(), _request(model=str(folder)))


def test_a_three_channel_vae_is_refused_as_rgb_only(tmp_path):
    folder = build_tiny_sr(tmp_path / "rgb", vae_channels=3)
    _corrupt_weights(folder)
    with pytest.raises(InputError, match="3 channels: RGB only"):
        check_sr_folder(folder)


def test_pickle_weights_are_refused(tmp_path):
    folder = tmp_path / "bin"
    shutil.copytree(tiny_sr_model(), folder)
    make_bin_only(folder)
    with pytest.raises(InputError, match=r"only \.bin \(pickle\) weights"):
        resolve_sr_model(str(folder))


def test_an_sr_folder_given_to_a_text_backend_says_what_it_is():
    with pytest.raises(InputError, match="LDM3D-SR upscaling model"):
        resolve_model(SPECS["ldm3d-pano"], str(tiny_sr_model()))


def test_offline_without_weights_says_how_to_download(tmp_path, monkeypatch):
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError) as exc:
        resolve_sr_model(None)
    assert "Intel/ldm3d-sr" in exc.value.message and "HF_HUB_OFFLINE" in exc.value.message
    assert "hf download Intel/ldm3d-sr" in exc.value.hint
    ok, why = sr_weights_available()
    assert not ok and "Intel/ldm3d-sr" in why
    # the default models folder is found without --model
    shutil.copytree(tiny_sr_model(), tmp_path / "models" / "ldm3d-sr")
    assert sr_weights_available()[0]
    assert resolve_sr_model(None).folder == tmp_path / "models" / "ldm3d-sr"


def test_a_panorama_without_depth_is_refused_with_the_classical_hint():
    p = _pano()
    flat = RGBDPanorama(rgb=p.rgb)
    with pytest.raises(InputError) as exc:
        LDM3DSRUpscaler().upscale(flat, _request())
    assert "--method classical" in exc.value.hint


def test_bad_tile_settings_are_refused():
    with pytest.raises(InputError, match="smaller than --tile"):
        LDM3DSRUpscaler().upscale(_pano(), _request(tile=64, overlap=64))
    with pytest.raises(InputError, match="multiple of 16"):
        LDM3DSRUpscaler().upscale(_pano(), _request(tile=72, overlap=8))


def test_depth_coarser_than_the_colour_is_brought_to_the_colour_grid_first():
    p = _pano()
    coarse = RGBDPanorama(rgb=p.rgb, raw_depth=p.raw_depth[::2, ::2].copy(),
                          interpretation=p.interpretation)
    out = LDM3DSRUpscaler().upscale(coarse, _request(steps=1)).panorama
    assert out.raw_depth.shape == (4 * H, 4 * W)


def test_auto_picks_sr_only_with_weights_and_depth(tmp_path, monkeypatch):
    from models.ldm3d_sr.upscale import choose_method

    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    p = _pano()
    assert choose_method("auto", p)[0] == "classical"
    shutil.copytree(tiny_sr_model(), tmp_path / "models" / "ldm3d-sr")
    assert choose_method("auto", p)[0] == "sr"
    assert choose_method("auto", RGBDPanorama(rgb=p.rgb))[0] == "classical"
    assert choose_method("classical", p)[0] == "classical"
    with pytest.raises(InputError):
        choose_method("magic", p)
