"""The LRM backend end to end on a tiny random checkpoint the test writes itself.

Checked: OpenLRM's key names (so a published checkpoint loads key for key), the loading path
(config.json → network → model.safetensors), shapes, determinism, a closed mesh inside its
box, the licence on the prop, and the refusals that come before any weight is read.
"""

from __future__ import annotations

import json
import threading
from collections import Counter

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.lrm import loading  # noqa: E402
from models.lrm.weights import check_lrm_folder, resolve_lrm, spec_for  # noqa: E402
from models.props import PropRequest, generate_prop  # noqa: E402
from scene.errors import CancelledError, InputError  # noqa: E402
from tests.models.tiny_lrm import TINY_CONFIG, crossing_threshold, write_tiny_lrm  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder, net = write_tiny_lrm(tmp_path_factory.mktemp("lrm") / "tiny-lrm")
    return folder, net


@pytest.fixture()
def picture(tmp_path):
    """A red disc on a plain grey backdrop (no alpha): border matting must find the disc."""
    from PIL import Image

    yy, xx = np.mgrid[0:96, 0:128]
    img = np.full((96, 128, 3), 200, np.uint8)
    img[(yy - 50) ** 2 + (xx - 60) ** 2 < 30 ** 2] = (200, 40, 30)
    path = tmp_path / "disc.png"
    Image.fromarray(img).save(path)
    return path


def test_checkpoint_uses_openlrm_names(tiny):
    from safetensors import safe_open

    folder, _ = tiny
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        keys = set(f.keys())
    for k in ("pos_embed", "camera_embedder.mlp.0.weight", "camera_embedder.mlp.2.bias",
              "encoder.model.cls_token", "encoder.model.pos_embed",
              "encoder.model.register_tokens", "encoder.model.patch_embed.proj.weight",
              "encoder.model.blocks.1.attn.qkv.weight", "encoder.model.blocks.0.ls1.gamma",
              "encoder.model.norm.weight", "transformer.layers.1.norm1.norm.weight",
              "transformer.layers.0.norm3.mlp.1.weight",
              "transformer.layers.0.cross_attn.in_proj_weight",
              "transformer.layers.0.self_attn.out_proj.weight", "transformer.norm.bias",
              "upsampler.weight", "upsampler.bias", "synthesizer.decoder.net.0.weight",
              "synthesizer.decoder.net.6.bias"):
        assert k in keys, k
    assert not any("mask_token" in k for k in keys)


def test_loads_by_path_and_matches_the_saved_network(tiny):
    folder, net = tiny
    loc = resolve_lrm(spec_for("lrm"), str(folder))
    loaded = loading.load_lrm(loc, "cpu")
    img = torch.rand(1, 3, 56, 56, generator=torch.Generator().manual_seed(1))
    cam = torch.rand(1, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        a = net.forward_planes(img, cam)
        b = loaded.forward_planes(img, cam)
    assert a.shape == (1, 3, 8, 8, 8)
    torch.testing.assert_close(a, b)


def test_picture_to_prop_end_to_end(tiny, picture):
    folder, net = tiny
    thr = crossing_threshold(net, picture)
    steps = []
    req = PropRequest(backend="lrm", image=picture, model=str(folder), resolution=32,
                      device="cpu", threshold=thr)
    prop = generate_prop(req, on_progress=steps.append)
    again = generate_prop(req)
    mesh = prop.mesh
    assert mesh.n_faces > 0 and mesh.colors.shape == (mesh.n_vertices, 4)
    np.testing.assert_array_equal(mesh.positions, again.mesh.positions)  # deterministic
    np.testing.assert_array_equal(mesh.faces, again.mesh.faces)
    # closed: every edge is shared by exactly two faces, in opposite directions
    f = mesh.faces.astype(np.int64)
    directed = Counter(map(tuple, np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])))
    assert all(n == 1 for n in directed.values())
    assert all((b, a) in directed for a, b in directed)
    # standing on y = 0, one metre tall, centred
    lo, hi = mesh.bounds()
    assert lo[1] == pytest.approx(0.0, abs=1e-6) and hi[1] == pytest.approx(1.0, abs=1e-5)
    assert np.allclose((lo[[0, 2]] + hi[[0, 2]]) / 2, 0.0, atol=1e-5)
    src = prop.source
    assert src["backend"] == "lrm" and src["licence"] == "CC-BY-NC-4.0"
    assert src["commercial_use"] is False and src["background"] == "border-matting"
    assert src["model_id"] == str(folder) and src["grid"] == 32 and len(src["image_sha256"]) == 64
    assert steps and steps[-1].step == steps[-1].total
    lifted = [s.step for s in steps if s.message == "lifting the picture to a triplane"]
    assert lifted == [1, 2]  # one report per transformer layer


def test_reconstruct_mesh_inside_the_box(tiny, picture):
    from models.lrm.preprocess import cut_out, load_rgba, recentre
    from models.lrm.reconstruct import reconstruct

    folder, net = tiny
    rgba, alpha = load_rgba(picture)
    rgb = recentre(cut_out(rgba, alpha)[0], 56)
    mesh = reconstruct(net, rgb, 24, crossing_threshold(net, picture))
    voxel = 2.0 / 23
    assert np.abs(mesh.positions).max() <= 1.0 + voxel + 1e-6


def test_cancel_stops_it(tiny, picture):
    folder, _ = tiny
    ev = threading.Event()
    ev.set()
    with pytest.raises(CancelledError):
        generate_prop(PropRequest(backend="lrm", image=picture, model=str(folder)), cancel=ev)


@pytest.fixture()
def no_weight_reads(monkeypatch):
    """Fail the test if anything tries to read weights."""
    import safetensors.torch

    def boom(*a, **k):
        raise AssertionError("weights were read")

    monkeypatch.setattr(safetensors.torch, "load_file", boom)
    monkeypatch.setattr(torch, "load", boom)


def test_pickle_only_folder_is_refused(tmp_path, picture, no_weight_reads):
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(TINY_CONFIG))
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x02not really a pickle")
    with pytest.raises(InputError, match="pickle") as err:
        generate_prop(PropRequest(backend="lrm", image=picture, model=str(folder)))
    assert "safetensors" in err.value.hint


@pytest.mark.parametrize("content", [
    {"model_index.json": {"_class_name": "StableDiffusionPipeline"}},
    {"config.json": {"model_type": "vit", "hidden_size": 768}},
])
def test_non_lrm_folder_is_refused(tmp_path, picture, content, no_weight_reads):
    folder = tmp_path / "other"
    folder.mkdir()
    for name, data in content.items():
        (folder / name).write_text(json.dumps(data))
    (folder / "model.safetensors").write_bytes(b"\x00" * 16)
    with pytest.raises(InputError, match="not an OpenLRM model folder"):
        generate_prop(PropRequest(backend="lrm", image=picture, model=str(folder)))


def test_weights_that_do_not_match_the_config_are_refused(tmp_path, tiny):
    src, _ = tiny
    folder = tmp_path / "mixed"
    folder.mkdir()
    cfg = dict(TINY_CONFIG, transformer_layers=3)
    (folder / "config.json").write_text(json.dumps(cfg))
    (folder / "model.safetensors").write_bytes((src / "model.safetensors").read_bytes())
    with pytest.raises(InputError, match="does not match its config.json"):
        loading.load_lrm(resolve_lrm(spec_for("lrm"), str(folder)), "cpu")


def test_offline_without_weights_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    with pytest.raises(InputError, match="HF_HUB_OFFLINE") as err:
        resolve_lrm(spec_for("lrm"))
    assert "hf download zxhezexin/openlrm-mix-base-1.1" in err.value.hint
    assert "non-commercial" in err.value.hint


def test_found_in_the_models_folder(tmp_path, monkeypatch, tiny):
    import shutil

    from models.lrm.weights import local_weights_available

    src, _ = tiny
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    assert local_weights_available("lrm-base")[0] is False
    shutil.copytree(src, tmp_path / "models" / "lrm-base")
    ok, where = local_weights_available("lrm-base")
    assert ok and "lrm-base" in where
    assert check_lrm_folder(tmp_path / "models" / "lrm-base").source_size == 56


def test_prompt_is_drawn_by_ldm3d_then_lifted(tiny, monkeypatch):
    """--prompt with lrm: LDM3D's perspective backend draws the object (here a stand-in that
    records the request and returns a disc on white), LRM lifts the picture."""
    import models.registry
    from models.base import GenerationResult
    from scene.metadata import GenerationMetadata
    from scene.panorama import PerspectiveRGBD

    folder, net = tiny
    asked = {}

    class FakeLDM3D:
        name = "ldm3d-4c"

        def generate(self, request, on_progress=None, cancel=None):
            asked["request"] = request
            yy, xx = np.mgrid[0:64, 0:64]
            rgb = np.full((64, 64, 3), 255, np.uint8)
            rgb[(yy - 32) ** 2 + (xx - 32) ** 2 < 18 ** 2] = (40, 90, 200)
            md = GenerationMetadata(backend="ldm3d-4c", prompt=request.prompt, seed=request.seed,
                                    model_id="Intel/ldm3d-4c")
            return GenerationResult(PerspectiveRGBD(rgb, metadata=md), md)

    monkeypatch.setattr(models.registry, "get_backend", lambda name: FakeLDM3D())
    from PIL import Image

    probe = folder.parent / "probe.png"
    yy, xx = np.mgrid[0:64, 0:64]
    img = np.full((64, 64, 3), 255, np.uint8)
    img[(yy - 32) ** 2 + (xx - 32) ** 2 < 18 ** 2] = (40, 90, 200)
    Image.fromarray(img).save(probe)
    thr = crossing_threshold(net, probe)
    prop = generate_prop(PropRequest(backend="lrm", prompt="a blue vase", model=str(folder),
                                     resolution=24, seed=5, threshold=thr, device="cpu"))
    req = asked["request"]
    assert req.prompt.startswith("a blue vase") and "plain white background" in req.prompt
    assert req.seed == 5 and req.seamless is False
    assert prop.source["image_model"]["model_id"] == "Intel/ldm3d-4c"
    assert prop.source["background"] == "border-matting" and prop.name == "a_blue_vase"
    assert prop.mesh.n_faces > 0


def test_found_in_the_hugging_face_cache_with_its_revision(tmp_path, monkeypatch, tiny):
    import shutil

    src, _ = tiny
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--zxhezexin--openlrm-mix-base-1.1"
    shutil.copytree(src, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    loc = resolve_lrm(spec_for("lrm-base"))
    assert loc.model_id == "zxhezexin/openlrm-mix-base-1.1" and loc.revision == commit
    assert loc.folder == repo / "snapshots" / commit
    by_id = resolve_lrm(spec_for("lrm-base"), "zxhezexin/openlrm-mix-base-1.1")
    assert by_id.folder == loc.folder


@pytest.mark.parametrize(("arch", "published_bytes"), [
    (dict(transformer_dim=512, transformer_layers=12, transformer_heads=8, triplane_dim=32,
          encoder_model_name="dinov2_vits14_reg", encoder_feat_dim=384), 446e6),
    (dict(transformer_dim=768, transformer_layers=12, transformer_heads=12, triplane_dim=48,
          encoder_model_name="dinov2_vitb14_reg", encoder_feat_dim=768), 1.04e9),
    (dict(transformer_dim=1024, transformer_layers=16, transformer_heads=16, triplane_dim=80,
          encoder_model_name="dinov2_vitb14_reg", encoder_feat_dim=768), 1.81e9),
])
def test_published_architectures_have_the_published_size(tmp_path, arch, published_bytes):
    """OpenLRM's model card gives each v1.1 checkpoint's size (small 446M, base 1.04G,
    large 1.81G bytes of float32): the network built from their config.json values has that
    many parameters, to the card's three digits (built on the meta device: no memory)."""
    from models.lrm.network import LRMNetwork
    from models.lrm.weights import read_config

    cfg = dict(camera_embed_dim=1024, rendering_samples_per_ray=96, triplane_low_res=32,
               triplane_high_res=64, encoder_type="dinov2", **arch)
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with torch.device("meta"):
        net = LRMNetwork(read_config(tmp_path))
    size = 4 * sum(v.numel() for k, v in net.state_dict().items() if "mask_token" not in k)
    assert size == pytest.approx(published_bytes, rel=0.005)


def test_dino_v1_encoder_round_trip(tmp_path):
    """encoder_type "dino" (OpenLRM v1.0's ViT): transformers 4.x ViT names in the file,
    translated to the installed release's names on loading."""
    from safetensors import safe_open

    cfg = dict(TINY_CONFIG, encoder_type="dino", encoder_model_name="facebook/dino-vitb16",
               encoder_config=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                   image_size=32, patch_size=16), source_size=64)
    folder, net = write_tiny_lrm(tmp_path / "dino-lrm", config=cfg)
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        keys = set(f.keys())
    assert "encoder.model.encoder.layer.1.attention.attention.query.weight" in keys
    assert "encoder.model.encoder.layer.0.intermediate.dense.weight" in keys
    loaded = loading.load_lrm(resolve_lrm(spec_for("lrm"), str(folder)), "cpu")
    img = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    cam = torch.rand(1, 16, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        torch.testing.assert_close(net.forward_planes(img, cam), loaded.forward_planes(img, cam))
