"""LDM3D backends end to end on tiny random-weight models loaded through the normal loader.

A tiny model's output is noise-like by construction: these tests check shapes, dtypes,
determinism, progress, cancellation, the conversion to scene objects and the refusals, never
what the picture looks like.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from models.base import GenerationRequest
from models.ldm3d import PERSPECTIVE_FOV_DEG, make_backend, plan_request, unload
from models.ldm3d.weights import SPECS, local_weights_available
from models.registry import get_backend
from scene.errors import CancelledError, InputError, ResourceError
from scene.panorama import PerspectiveRGBD, RGBDPanorama
from scene.perspective import perspective_to_equirect, placement_width
from tests.models.tiny_ldm3d import build_tiny_ldm3d, make_bin_only, tiny_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _isolated_model_places(tmp_path, monkeypatch):
    """No test sees the real Hugging Face cache or model folder; all run offline."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-hub"))
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "panoforge-models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def pano_dir() -> Path:
    return tiny_model(4)


@pytest.fixture(scope="session")
def six_dir() -> Path:
    return tiny_model(6)


def _req(model, **kw) -> GenerationRequest:
    """A small request; ``model=None`` means "no --model" (look in the default places)."""
    base = dict(prompt="a misty pine forest", seed=7, steps=2, width=64, height=32,
                model=None if model is None else str(model), preview_every=0)
    base.update(kw)
    return GenerationRequest(**base)


def _pano(model, **kw):
    return get_backend("ldm3d-pano").generate(_req(model, **kw))


# -- output ------------------------------------------------------------------------------
def test_pano_output_shapes_dtypes_and_depth_interpretation(pano_dir):
    result = _pano(pano_dir)
    pano = result.panorama
    assert isinstance(pano, RGBDPanorama)
    assert pano.rgb.shape == (32, 64, 3) and pano.rgb.dtype == np.uint8
    assert pano.raw_depth.shape == (32, 64) and pano.raw_depth.dtype == np.uint16
    interp = pano.interpretation
    assert interp.kind == "disparity" and interp.scale == pytest.approx(1 / 65535)
    assert interp.source == "ldm3d-pano 16-bit"
    dist = pano.distance
    assert dist.dtype == np.float32 and np.isfinite(dist).all()
    assert (dist >= interp.near - 1e-4).all() and (dist <= interp.far + 1e-3).all()
    # the raw code maps through the documented formula
    d = pano.raw_depth.astype(np.float64) / 65535
    expect = 1 / (d * (1 / interp.near - 1 / interp.far) + 1 / interp.far)
    np.testing.assert_allclose(dist, expect, rtol=1e-5)


def test_metadata_records_what_made_it(pano_dir):
    meta = _pano(pano_dir, negative_prompt="blurry", guidance=5.5).metadata
    assert meta.backend == "ldm3d-pano"
    assert meta.user_prompt == "a misty pine forest"
    assert meta.prompt == "360 view of a misty pine forest"
    assert meta.negative_prompt == "blurry"
    assert (meta.seed, meta.steps, meta.guidance) == (7, 2, 5.5)
    assert (meta.width, meta.height, meta.scheduler) == (64, 32, "ddim")
    assert (meta.device, meta.dtype, meta.seamless) == ("cpu", "float32", True)
    assert meta.model_id == str(pano_dir)
    assert meta.extra["vae_channels"] == 4


def test_prefix_is_not_doubled():
    plan = plan_request(SPECS["ldm3d-pano"], GenerationRequest("360 View of a beach"))
    assert plan.prompt == "360 View of a beach"
    assert (plan.width, plan.height, plan.steps, plan.scheduler) == (1024, 512, 50, "ddim")
    plan = plan_request(SPECS["ldm3d-4c"], GenerationRequest("a beach"))
    assert plan.prompt == "a beach" and (plan.width, plan.height) == (512, 512)
    assert plan.seamless is False


def test_same_seed_same_pixels_other_seed_differs(pano_dir):
    a = _pano(pano_dir, seed=11).panorama
    b = _pano(pano_dir, seed=11).panorama
    c = _pano(pano_dir, seed=12).panorama
    assert np.array_equal(a.rgb, b.rgb) and np.array_equal(a.raw_depth, b.raw_depth)
    assert not np.array_equal(a.rgb, c.rgb)
    assert not np.array_equal(a.raw_depth, c.raw_depth)


@pytest.mark.parametrize("scheduler", ["dpm++2m", "euler-a"])
def test_other_schedulers_run_and_are_deterministic(pano_dir, scheduler):
    a = _pano(pano_dir, scheduler=scheduler, steps=3).panorama
    b = _pano(pano_dir, scheduler=scheduler, steps=3).panorama
    ddim = _pano(pano_dir, steps=3).panorama
    assert np.array_equal(a.rgb, b.rgb)
    assert not np.array_equal(a.rgb, ddim.rgb)


def test_six_channel_model_gives_perspective_rgbd_and_converts_to_panorama(six_dir):
    backend = make_backend("ldm3d")
    result = backend.generate(_req(six_dir, width=64, height=64))
    img = result.perspective
    assert isinstance(img, PerspectiveRGBD)
    assert img.fov_deg == PERSPECTIVE_FOV_DEG
    assert img.rgb.shape == (64, 64, 3) and img.raw_depth.dtype == np.uint16
    assert img.interpretation.source == "ldm3d 16-bit packed as G*256+B"
    assert result.metadata.seamless is False and result.metadata.prompt == "a misty pine forest"
    pano = perspective_to_equirect(img, width=128)
    assert isinstance(pano, RGBDPanorama) and pano.rgb.shape == (64, 128, 3)
    known = np.isfinite(pano.distance)
    assert 0 < known.mean() < 0.2  # a 60° view covers a small part of the sphere
    assert np.isnan(pano.distance[:, 0]).all()  # behind the camera
    # the centre of the panorama looks where the image's centre looks
    centre_raw = pano.raw_depth[32, 64]
    assert centre_raw in img.raw_depth[30:35, 30:35]


def test_four_channel_perspective_backend(pano_dir):
    result = make_backend("ldm3d-4c").generate(_req(pano_dir, width=32, height=48))
    view = result.perspective
    assert isinstance(view, PerspectiveRGBD)
    assert view.rgb.shape == (48, 32, 3)
    assert view.interpretation.source == "ldm3d-4c 16-bit"
    # the result itself is always a panorama: the view placed by the one placement policy
    assert isinstance(result.panorama, RGBDPanorama)
    assert result.panorama.width == placement_width(view) == 512  # 32 px over 60° -> min 512
    assert result.metadata is result.panorama.metadata
    assert result.metadata.extra["perspective"]["width"] == 32


# -- progress and cancel -----------------------------------------------------------------
def test_progress_every_step_with_previews(pano_dir):
    seen = []
    _ = get_backend("ldm3d-pano").generate(_req(pano_dir, steps=5, preview_every=2),
                                           on_progress=seen.append)
    denoise = [p for p in seen if p.message == "denoising"]
    assert [p.step for p in denoise] == [1, 2, 3, 4, 5]
    assert {p.total for p in seen} == {5}
    assert seen[0].message == "loading model" and seen[-1].message == "decoding"
    with_preview = [p.step for p in denoise if p.preview is not None]
    assert with_preview == [2, 4, 5]
    for p in denoise:
        if p.preview is not None:
            assert p.preview.shape == (4, 8, 3) and p.preview.dtype == np.uint8
        assert p.eta_s >= 0
    assert denoise[-1].eta_s == 0
    elapsed = [p.elapsed_s for p in seen]
    assert elapsed == sorted(elapsed)


@pytest.fixture()
def fresh():
    """A test that tampers with the loaded pipeline gets its own, dropped afterwards."""
    unload()
    yield
    unload()


def _count_unet_calls(monkeypatch):
    from models.ldm3d import loading as ldm3d_loading

    calls = []
    real = ldm3d_loading.load_pipeline

    def counting(*a, **kw):
        pipe = real(*a, **kw)
        pipe.unet.register_forward_hook(lambda *_: calls.append(1))
        return pipe

    monkeypatch.setattr(ldm3d_loading, "load_pipeline", counting)
    return calls


def test_cancel_from_progress_stops_after_that_step(pano_dir, monkeypatch, fresh):
    calls = _count_unet_calls(monkeypatch)
    cancel = threading.Event()
    seen = []

    def on_progress(p):
        seen.append(p.step)
        if p.step == 1:
            cancel.set()

    with pytest.raises(CancelledError):
        get_backend("ldm3d-pano").generate(_req(pano_dir, steps=6), on_progress, cancel)
    assert len(calls) == 1  # one UNet evaluation (CFG is batched): no further step ran
    assert seen == [0, 1]


def test_cancel_during_a_step_stops_within_one_step(pano_dir, monkeypatch, fresh):
    calls = _count_unet_calls(monkeypatch)
    cancel = threading.Event()
    backend = get_backend("ldm3d-pano")
    backend.pipeline(_req(pano_dir))  # load now, so the hook sees only this run
    pipe = __import__("models.ldm3d.backend", fromlist=["_PIPELINE"])._PIPELINE.value
    pipe.unet.register_forward_hook(lambda *_: cancel.set() if len(calls) == 3 else None)
    with pytest.raises(CancelledError):
        backend.generate(_req(pano_dir, steps=8), cancel=cancel)
    assert len(calls) == 3  # set during step 3: step 3 finishes, step 4 never starts


def test_cancel_before_start_loads_nothing(pano_dir, monkeypatch, fresh):
    calls = _count_unet_calls(monkeypatch)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        get_backend("ldm3d-pano").generate(_req(pano_dir), cancel=cancel)
    assert calls == []


# -- loading -----------------------------------------------------------------------------
def test_independently_written_folder_loads(tmp_path):
    """A folder made with diffusers' classes directly (not with tiny_ldm3d's builder)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        PNDMScheduler,
        StableDiffusionLDM3DPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    tok = tmp_path / "tok"
    tok.mkdir()
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in "abcdefghijklmnopqrstuvwxyz0123456789":
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    vocab["ro"] = len(vocab)
    vocab["om</w>"] = len(vocab)
    (tok / "vocab.json").write_text(json.dumps(vocab))
    (tok / "merges.txt").write_text("#version: 0.2\nr o\no m</w>\n")
    (tok / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 77}))
    torch.manual_seed(123)
    pipe = StableDiffusionLDM3DPipeline(
        vae=AutoencoderKL(in_channels=4, out_channels=4, latent_channels=4,
                          block_out_channels=(16, 16, 16, 16), norm_num_groups=8,
                          layers_per_block=1, down_block_types=("DownEncoderBlock2D",) * 4,
                          up_block_types=("UpDecoderBlock2D",) * 4),
        text_encoder=CLIPTextModel(CLIPTextConfig(
            vocab_size=len(vocab), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
            num_attention_heads=4, bos_token_id=0, eos_token_id=1, pad_token_id=1)),
        tokenizer=CLIPTokenizer.from_pretrained(str(tok)),
        unet=UNet2DConditionModel(
            sample_size=16, block_out_channels=(16, 32, 32), layers_per_block=1,
            norm_num_groups=8, cross_attention_dim=32, attention_head_dim=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D")),
        scheduler=PNDMScheduler(beta_schedule="scaled_linear", beta_start=0.00085,
                                beta_end=0.012, skip_prk_steps=True),
        safety_checker=None, feature_extractor=None, image_encoder=None,
        requires_safety_checker=False,
    )
    folder = tmp_path / "independent"
    pipe.save_pretrained(str(folder), safe_serialization=True)
    del pipe

    backend = make_backend("ldm3d-pano")
    a = backend.generate(_req(folder, width=64, height=32, steps=2))
    b = backend.generate(_req(folder, width=64, height=32, steps=2))
    assert a.panorama.rgb.shape == (32, 64, 3)
    assert np.array_equal(a.panorama.rgb, b.panorama.rgb)
    assert np.array_equal(a.panorama.raw_depth, b.panorama.raw_depth)
    assert a.metadata.scheduler == "ddim"
    # the UNet has 3 blocks (stride 4): a 64x32 panorama (latent 8x4) is fine, 48x24 is not
    with pytest.raises(InputError, match="multiple of 32"):
        backend.generate(_req(folder, width=48, height=24, steps=1))


def test_published_model_index_with_safety_checker_entry_loads(pano_dir, tmp_path):
    folder = tmp_path / "like-intel"
    shutil.copytree(pano_dir, folder)
    index = json.loads((folder / "model_index.json").read_text())
    index["safety_checker"] = ["stable_diffusion", "StableDiffusionSafetyChecker"]
    index["feature_extractor"] = ["transformers", "CLIPImageProcessor"]
    (folder / "model_index.json").write_text(json.dumps(index))
    result = _pano(folder)
    assert result.panorama.rgb.shape == (32, 64, 3)


def _fake_hf_cache(src: Path, hub: Path, repo_id: str) -> str:
    """Lay ``src`` out like huggingface_hub does: blobs by hash, snapshot symlinks, refs/main."""
    repo = hub / ("models--" + repo_id.replace("/", "--"))
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    for f in src.rglob("*"):
        if f.is_file():
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
            blob = repo / "blobs" / digest
            blob.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, blob)
            link = repo / "snapshots" / commit / f.relative_to(src)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.path.relpath(blob, link.parent), link)
    return commit


def test_hf_id_resolves_from_the_cache_offline(pano_dir, tmp_path):
    assert local_weights_available("ldm3d-pano")[0] is False
    commit = _fake_hf_cache(pano_dir, tmp_path / "hf-hub", "Intel/ldm3d-pano")
    ok, why = local_weights_available("ldm3d-pano")
    assert ok, why
    result = get_backend("ldm3d-pano").generate(_req(None))
    assert result.metadata.model_id == "Intel/ldm3d-pano"
    assert result.metadata.model_revision == commit


def test_own_models_folder_is_found_without_model(pano_dir, tmp_path):
    shutil.copytree(pano_dir, tmp_path / "panoforge-models" / "ldm3d-pano")
    ok, why = local_weights_available("ldm3d-pano")
    assert ok and "panoforge-models" in why
    assert _pano(None).metadata.model_id.endswith("ldm3d-pano")


def test_local_weights_available_does_not_import_torch(pano_dir, tmp_path):
    shutil.copytree(pano_dir, tmp_path / "models" / "ldm3d-pano")
    code = ("import sys, models.ldm3d as m; ok, why = m.local_weights_available('ldm3d-pano');"
            "print(ok, 'torch' in sys.modules, 'diffusers' in sys.modules)")
    env = dict(os.environ, PANOFORGE_MODELS=str(tmp_path / "models"), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env=env, check=True).stdout.split()
    assert out == ["True", "False", "False"]


# -- refusals ----------------------------------------------------------------------------
def _no_loading(monkeypatch):
    from models.ldm3d import loading as ldm3d_loading

    def refuse(*a, **kw):
        raise AssertionError("weights were loaded")

    monkeypatch.setattr(ldm3d_loading, "load_pipeline", refuse)


def test_plain_stable_diffusion_folder_is_refused_before_loading(monkeypatch, fresh):
    _no_loading(monkeypatch)
    with pytest.raises(InputError, match="not an LDM3D model: its VAE decodes 3 channels") as e:
        _pano(tiny_model(3))
    assert "Intel/ldm3d-pano" in e.value.hint


def test_channel_count_must_match_backend(six_dir, monkeypatch, fresh):
    _no_loading(monkeypatch)
    with pytest.raises(InputError, match="6-channel") as e:
        _pano(six_dir)
    assert "--backend ldm3d" in e.value.hint


def test_missing_weights_offline_say_how_to_get_them(tmp_path, monkeypatch, fresh):
    _no_loading(monkeypatch)
    with pytest.raises(InputError, match="not on this computer") as e:
        get_backend("ldm3d-pano").generate(_req(None))
    hint = e.value.hint
    target = tmp_path / "panoforge-models" / "ldm3d-pano"
    assert f"hf download Intel/ldm3d-pano --local-dir {target}" in hint
    assert f"--model {target}" in hint
    with pytest.raises(InputError, match="Intel/ldm3d-4c"):
        get_backend("ldm3d-4c").generate(_req(None))


def test_missing_folder_is_refused(tmp_path, monkeypatch, fresh):
    _no_loading(monkeypatch)
    with pytest.raises(InputError, match="does not exist"):
        _pano(tmp_path / "nowhere")
    with pytest.raises(InputError, match="no model_index.json"):
        _pano(tmp_path)


def test_bin_only_weights_are_refused(pano_dir, tmp_path, monkeypatch, fresh):
    folder = tmp_path / "bin-only"
    shutil.copytree(pano_dir, folder)
    make_bin_only(folder)
    assert not list(folder.rglob("*.safetensors")) and list(folder.rglob("*.bin"))
    _no_loading(monkeypatch)
    with pytest.raises(InputError, match="only .bin \\(pickle\\) weights") as e:
        _pano(folder)
    assert "safetensors" in e.value.hint


def test_foreign_library_in_model_index_is_refused(pano_dir, tmp_path, monkeypatch, fresh):
    folder = tmp_path / "foreign"
    shutil.copytree(pano_dir, folder)
    index = json.loads((folder / "model_index.json").read_text())
    index["unet"] = ["my_remote_code", "EvilUNet"]
    (folder / "model_index.json").write_text(json.dumps(index))
    _no_loading(monkeypatch)
    with pytest.raises(InputError, match="my_remote_code"):
        _pano(folder)


def test_out_of_memory_names_the_option_to_turn_on(pano_dir, monkeypatch, fresh):
    import torch

    backend = get_backend("ldm3d-pano")
    backend.pipeline(_req(pano_dir))
    pipe = __import__("models.ldm3d.backend", fromlist=["_PIPELINE"])._PIPELINE.value

    def oom(*a, **kw):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(pipe.unet, "forward", oom)
    with pytest.raises(ResourceError) as e:
        backend.generate(_req(pano_dir))
    assert e.value.hint.startswith("turn on --attention-slicing")
    with pytest.raises(ResourceError) as e:
        backend.generate(_req(pano_dir, attention_slicing=True))
    assert e.value.hint.startswith("turn on --vae-tiling")


@pytest.mark.parametrize("kw, message", [
    (dict(width=64, height=64), "must be 2:1"),
    (dict(width=60, height=30), "multiple of 8"),
    (dict(steps=0), "--steps"),
    (dict(scheduler="heun"), "unknown scheduler"),
    (dict(prompt="  "), "prompt is empty"),
    (dict(guidance=-1.0), "--guidance"),
    (dict(seed=-3), "seed must be"),
    (dict(width=80, height=40), "multiple of 16"),
])
def test_bad_requests_are_refused(pano_dir, kw, message):
    with pytest.raises(InputError, match=message):
        _pano(pano_dir, **kw)


def test_cuda_and_offload_on_a_cpu_only_machine(pano_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(InputError, match="no CUDA GPU"):
        _pano(pano_dir, device="cuda")
    with pytest.raises(InputError, match="--cpu-offload"):
        _pano(pano_dir, cpu_offload=True)


def test_rebuilding_the_same_folder_gives_the_same_model(tmp_path):
    """The tiny builder itself is deterministic, so test folders are reproducible."""
    a = build_tiny_ldm3d(tmp_path / "a", 4)
    b = build_tiny_ldm3d(tmp_path / "b", 4)
    for name in ("unet/diffusion_pytorch_model.safetensors",
                 "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_half_precision_decode_that_overflows_is_redone_in_float32(pano_dir):
    """On CUDA the VAE runs in fp16; an overflowing decode must not give NaN pixels."""
    import torch

    from models.ldm3d.denoise import RunSettings, decode_latents
    from models.ldm3d.loading import load_pipeline, select_device
    from models.ldm3d.weights import resolve_model

    pipe = load_pipeline(resolve_model(SPECS["ldm3d-pano"], str(pano_dir)), select_device("cpu"))
    pipe.vae.to(torch.float16)
    z = torch.randn(1, 4, 4, 8, generator=torch.Generator().manual_seed(0)) * 30000
    with torch.no_grad():
        direct = pipe.vae.decode((z / pipe.vae.config.scaling_factor).half()).sample
    assert not torch.isfinite(direct).all()  # the situation really arises
    out = decode_latents(pipe, z, RunSettings("", "", 64, 32, 1, 1.0, seamless=False))
    assert np.isfinite(out).all() and out.shape == (4, 32, 64)
    assert pipe.vae.dtype == torch.float16  # put back as it was
