"""The model catalogue and the store: status, verify and add on tiny folders the tests build."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from models import catalog
from models.catalog import CATALOG, Revision, entry, licence_records
from models.store import (
    MANIFEST,
    add_model,
    check_folder,
    identify,
    list_status,
    model_status,
    verify_folder,
    verify_installed,
)
from scene.errors import InputError
from tests.models.tiny_ldm3d import make_bin_only, tiny_model

UNET = "unet/diffusion_pytorch_model.safetensors"
DA_SMALL_REV = "5426e4f0f36572d16453bbda7a8389317b1bef99"


@pytest.fixture(autouse=True)
def _isolated_model_places(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-hub"))
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def pano_copy(tmp_path) -> Path:
    """A private copy of the tiny 4-channel LDM3D folder (tests may damage it)."""
    dst = tmp_path / "usb" / "tiny-ldm3d"
    shutil.copytree(tiny_model(4), dst)
    return dst


def write_tiny_depth_anything(folder: Path, hidden: int = 384, **extra) -> Path:
    """A folder in the Depth Anything V2 transformers layout with a tiny random weight file."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    cfg = {"model_type": "depth_anything", "architectures": ["DepthAnythingForDepthEstimation"],
           "backbone_config": {"model_type": "dinov2", "hidden_size": hidden}, **extra}
    (folder / "config.json").write_text(json.dumps(cfg))
    (folder / "preprocessor_config.json").write_text(json.dumps({"size": {"height": 518}}))
    rng = np.random.default_rng(0)
    save_file({"head.weight": rng.standard_normal((8, 4)).astype(np.float32)},
              str(folder / "model.safetensors"))
    return folder


def _flip_byte(path: Path, from_end: int = 1) -> None:
    data = bytearray(path.read_bytes())
    data[-from_end] ^= 0xFF
    path.write_bytes(bytes(data))


def _record_download(folder: Path, rel: str, commit: str, sha: str) -> None:
    """What 'hf download --local-dir' leaves next to each file it fetched."""
    meta = folder / ".cache" / "huggingface" / "download" / f"{rel}.metadata"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(f"{commit}\n{sha}\n1700000000.0\n")


# -- the catalogue ---------------------------------------------------------------------------
def test_every_model_has_a_licence_a_file_set_and_a_download_command(tmp_path):
    for e in CATALOG:
        assert e.licence.spdx and e.licence.url.startswith("https://")
        cmd = catalog.download_command(e, tmp_path / e.backend)
        if e.needs_weights:
            assert cmd == f"hf download {e.id} --local-dir {tmp_path / e.backend}"
            assert any(w.endswith(".safetensors") for w in e.weights)
        else:
            assert cmd == ""
        for rev in e.revisions:
            assert rev.commit == "" or len(rev.commit) in (40, 7)
            assert all(len(sha) == 64 for sha in rev.checksums.values())


@pytest.mark.parametrize("key, spdx, commercial", [
    ("Intel/ldm3d-pano", "creativeml-openrail-m", True),
    ("Intel/ldm3d-4c", "creativeml-openrail-m", True),
    ("Intel/ldm3d", "creativeml-openrail-m", True),
    ("Intel/ldm3d-sr", "creativeml-openrail-m", True),
    ("zxhezexin/openlrm-mix-base-1.1", "CC-BY-NC-4.0", False),
    ("zxhezexin/openlrm-mix-large-1.1", "CC-BY-NC-4.0", False),
    ("depth-anything/Depth-Anything-V2-Small-hf", "Apache-2.0", True),
    ("depth-anything/Depth-Anything-V2-Base-hf", "CC-BY-NC-4.0", False),
    ("depth-anything/Depth-Anything-V2-Large-hf", "CC-BY-NC-4.0", False),
    ("procedural", "Apache-2.0", True),
])
def test_licences_of_the_known_models(key, spdx, commercial):
    e = entry(key)
    assert e.licence.spdx == spdx and e.commercial_use is commercial


def test_licence_records_name_each_model_once_and_procedural_none():
    recs = licence_records("ldm3d-pano", ("/some/folder", "ldm3d-pano"),
                           "depth-anything/Depth-Anything-V2-Large-hf", "procedural")
    assert [r["model"] for r in recs] == ["Intel/ldm3d-pano",
                                          "depth-anything/Depth-Anything-V2-Large-hf"]
    assert [r["commercial_use"] for r in recs] == [True, False]
    assert licence_records("procedural") == []
    unknown = licence_records(("someone/finetune", "ldm3d-pano"))
    assert unknown[0]["spdx"] == "unknown" and unknown[0]["commercial_use"] is None


# -- status ----------------------------------------------------------------------------------
def test_tiny_folder_in_the_models_directory_shows_as_installed(pano_copy, tmp_path):
    shutil.copytree(pano_copy, tmp_path / "models" / "ldm3d-pano")
    st = model_status(entry("ldm3d-pano"))
    assert st.state == "installed", st.problems
    assert st.folder == tmp_path / "models" / "ldm3d-pano"
    assert st.size_bytes == sum(p.stat().st_size for p in pano_copy.rglob("*") if p.is_file())


def test_tiny_folder_in_the_hf_cache_shows_as_installed_with_its_revision(pano_copy, tmp_path):
    from tests.models.test_ldm3d import _fake_hf_cache

    commit = _fake_hf_cache(pano_copy, tmp_path / "hf-hub", "Intel/ldm3d-4c")
    st = model_status(entry("ldm3d-4c"))
    assert st.state == "installed" and st.revision == commit
    assert "snapshots" in st.folder.parts
    full = verify_folder(st.folder, entry("ldm3d-4c"))
    assert full.state == "installed" and "download record" in full.verified


def test_missing_model_shows_the_download_command(tmp_path):
    by_backend = {s.entry.backend: s for s in list_status()}
    st = by_backend["ldm3d-pano"]
    assert st.state == "missing" and st.folder is None
    assert st.download == f"hf download Intel/ldm3d-pano --local-dir {tmp_path / 'models' / 'ldm3d-pano'}"
    assert by_backend["procedural"].state == "built-in"


def test_truncated_weight_file_is_damaged_and_named(pano_copy, tmp_path):
    dest = tmp_path / "models" / "ldm3d-pano"
    shutil.copytree(pano_copy, dest)
    unet = dest / UNET
    unet.write_bytes(unet.read_bytes()[:-100])
    st = model_status(entry("ldm3d-pano"))
    assert st.state == "damaged"
    assert [p.path for p in st.problems] == [UNET]
    assert "safetensors" in st.problems[0].problem


def test_the_folder_generation_uses_first_decides_the_status(pano_copy, tmp_path):
    from tests.models.test_ldm3d import _fake_hf_cache

    _fake_hf_cache(pano_copy, tmp_path / "hf-hub", "Intel/ldm3d-pano")
    own = tmp_path / "models" / "ldm3d-pano"
    shutil.copytree(pano_copy, own)
    (own / "vae" / "config.json").unlink()
    st = model_status(entry("ldm3d-pano"))
    assert st.state == "damaged" and st.folder == own
    assert [p.path for p in st.problems] == ["vae/config.json"]
    assert "a complete copy is in" in st.warnings[0] and "snapshots" in st.warnings[0]


def test_changed_bytes_against_the_download_record_are_damaged(pano_copy):
    commit = "ab" * 20
    sha = hashlib.sha256((pano_copy / UNET).read_bytes()).hexdigest()
    _record_download(pano_copy, UNET, commit, sha)
    e = entry("ldm3d-pano")
    ok = verify_folder(pano_copy, e)
    assert ok.state == "installed" and ok.revision == commit
    assert any("no published checksums known for revision abababababab" in w for w in ok.warnings)
    _flip_byte(pano_copy / UNET)  # inside the tensor data: the header still reads
    assert check_folder(e, pano_copy) == []
    bad = verify_folder(pano_copy, e)
    assert bad.state == "damaged" and [p.path for p in bad.problems] == [UNET]
    assert "download record" in bad.problems[0].problem


def test_published_checksum_decides_for_a_known_revision(pano_copy):
    sha = hashlib.sha256((pano_copy / UNET).read_bytes()).hexdigest()
    commit = "cd" * 20
    e = dataclasses.replace(entry("ldm3d-pano"), revisions=(Revision(commit, ((UNET, sha),)),))
    _record_download(pano_copy, UNET, commit, "")
    good = verify_folder(pano_copy, e)
    assert good.state == "installed" and good.warnings == []
    assert "published checksum" in good.verified
    _flip_byte(pano_copy / UNET)
    bad = verify_folder(pano_copy, e)
    assert [p.path for p in bad.problems] == [UNET]
    assert "published checksum of revision cdcdcdcdcdcd" in bad.problems[0].problem


def test_short_commits_and_checksums_published_without_a_commit(pano_copy):
    sha = hashlib.sha256((pano_copy / UNET).read_bytes()).hexdigest()
    base = entry("ldm3d-pano")
    short = dataclasses.replace(base, revisions=(Revision("abcdef1", ((UNET, sha),)),))
    _record_download(pano_copy, UNET, "abcdef1" + "0" * 33, "")
    st = verify_folder(pano_copy, short)
    assert st.warnings == [] and "published checksum of revision abcdef1" in st.verified
    (pano_copy / ".cache").rename(pano_copy.parent / "records")  # a copy without its records
    loose = dataclasses.replace(base, revisions=(Revision("", ((UNET, sha),)),))
    st = verify_folder(pano_copy, loose)
    assert st.state == "installed" and st.warnings == []
    assert "published checksums of its weight files" in st.verified
    st = verify_folder(pano_copy, base)  # the real catalogue: this tiny file is none of them
    assert st.state == "installed" and st.revision == ""
    assert st.warnings == ["no published checksums known for revision (not recorded) of "
                           "Intel/ldm3d-pano: accepted with a warning (the file set and "
                           "safetensors headers were checked; the content could not be "
                           "compared with anything)"]


def test_real_published_checksum_rejects_a_file_that_is_not_the_published_one(tmp_path):
    folder = write_tiny_depth_anything(tmp_path / "Depth-Anything-V2-Small-hf")
    _record_download(folder, "model.safetensors", DA_SMALL_REV, "")
    e = identify(folder)
    assert e.backend == "depth-anything-v2-small"
    st = verify_folder(folder, e)
    assert st.state == "damaged" and [p.path for p in st.problems] == ["model.safetensors"]
    with pytest.raises(InputError, match="model.safetensors is damaged"):
        add_model(folder)
    assert not (tmp_path / "models" / "depth-anything-v2-small").exists()


# -- which model a folder holds ---------------------------------------------------------------
@pytest.mark.parametrize("hidden, extra, backend", [
    (384, {}, "depth-anything-v2-small"),
    (1024, {}, "depth-anything-v2-large"),
    (768, {"depth_estimation_type": "metric", "max_depth": 20}, "depth-anything-v2-indoor-base"),
    (384, {"depth_estimation_type": "metric", "max_depth": 80}, "depth-anything-v2-outdoor-small"),
])
def test_depth_anything_folders_are_identified_by_their_config(tmp_path, hidden, extra, backend):
    assert identify(write_tiny_depth_anything(tmp_path / "x", hidden, **extra)).backend == backend


def test_four_channel_ldm3d_folder_needs_a_name(pano_copy):
    with pytest.raises(InputError) as err:
        identify(pano_copy)
    assert "--model ldm3d-pano" in err.value.hint and "--model ldm3d-4c" in err.value.hint
    assert identify(pano_copy, "ldm3d-pano").backend == "ldm3d-pano"
    named = pano_copy.parent / "ldm3d-pano"
    pano_copy.rename(named)
    assert identify(named).backend == "ldm3d-pano"
    with pytest.raises(InputError, match="does not hold Intel/ldm3d:"):
        identify(named, "ldm3d")  # a 6-channel model: the folder has 4


# -- add ---------------------------------------------------------------------------------------
def test_add_installs_a_checked_copy_that_generation_finds(pano_copy, tmp_path):
    from models.ldm3d import local_weights_available

    (pano_copy / "unet" / "old.bin").write_bytes(b"pickle")  # never copied
    report = add_model(pano_copy, "ldm3d-pano")
    dest = tmp_path / "models" / "ldm3d-pano"
    assert report.folder == dest and not report.replaced
    assert any("no published checksums known" in w for w in report.warnings)
    assert not (dest / "unet" / "old.bin").exists()
    manifest = json.loads((dest / MANIFEST).read_text())
    assert manifest["id"] == "Intel/ldm3d-pano"
    assert manifest["sha256"][UNET] == hashlib.sha256((pano_copy / UNET).read_bytes()).hexdigest()
    assert local_weights_available("ldm3d-pano") == (True, f"found in {dest}")
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["ldm3d-pano"]  # no leftovers
    assert model_status(entry("ldm3d-pano")).state == "installed"
    # re-adding replaces it; a byte changed after install is found by verify
    assert add_model(pano_copy, "ldm3d-pano").replaced
    _flip_byte(dest / "vae" / "diffusion_pytorch_model.safetensors")
    [st] = [s for s in verify_installed() if s.entry.backend == "ldm3d-pano"]
    assert st.state == "damaged"
    assert [p.path for p in st.problems] == ["vae/diffusion_pytorch_model.safetensors"]
    assert "recorded when it was installed" in st.problems[0].problem


def test_add_refuses_pickle_only_weights(pano_copy, tmp_path):
    make_bin_only(pano_copy)
    with pytest.raises(InputError, match="only pickle weights") as err:
        add_model(pano_copy, "ldm3d-pano")
    assert "unet/diffusion_pytorch_model.bin" in err.value.message
    assert "hf download Intel/ldm3d-pano" in err.value.hint
    assert not (tmp_path / "models" / "ldm3d-pano").exists()
    assert not any((tmp_path / "models").iterdir())


def test_add_refuses_a_wrong_file_set(pano_copy, tmp_path):
    (pano_copy / "vae" / "config.json").unlink()
    (pano_copy / "text_encoder" / "model.safetensors").unlink()
    with pytest.raises(InputError, match="not a complete Intel/ldm3d-pano folder") as err:
        add_model(pano_copy, "ldm3d-pano")
    assert "vae/config.json: missing" in err.value.message
    assert "text_encoder/*.safetensors: missing" in err.value.message
    assert not any((tmp_path / "models").iterdir())


def test_add_refuses_single_files_and_unknown_folders(tmp_path):
    pickle = tmp_path / "depth_anything_v2_vits.pth"
    pickle.write_bytes(b"\x80\x04")
    with pytest.raises(InputError, match="is a pickle file"):
        add_model(pickle)
    lone = tmp_path / "model.safetensors"
    write_tiny_depth_anything(tmp_path / "da")
    shutil.copy(tmp_path / "da" / "model.safetensors", lone)
    with pytest.raises(InputError, match="single file, not a model folder"):
        add_model(lone)
    (tmp_path / "junk").mkdir()
    with pytest.raises(InputError, match="does not look like any model"):
        add_model(tmp_path / "junk")


def test_add_from_an_archive(tmp_path):
    folder = write_tiny_depth_anything(tmp_path / "src" / "Depth-Anything-V2-Base-hf", 768)
    archive = shutil.make_archive(str(tmp_path / "da-base"), "zip", folder.parent)
    report = add_model(archive)
    assert report.entry.backend == "depth-anything-v2-base"
    assert (report.folder / "model.safetensors").read_bytes() == \
        (folder / "model.safetensors").read_bytes()
    assert model_status(entry("depth-anything-v2-base")).state == "installed"
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["depth-anything-v2-base"]


def test_add_never_leaves_a_half_copy_when_a_file_is_damaged(tmp_path):
    folder = write_tiny_depth_anything(tmp_path / "Depth-Anything-V2-Large-hf", 1024)
    good = add_model(folder)
    before = (good.folder / "model.safetensors").read_bytes()
    _record_download(folder, "model.safetensors", "ef" * 20, "0" * 64)
    with pytest.raises(InputError, match="does not match its download record"):
        add_model(folder)
    assert (good.folder / "model.safetensors").read_bytes() == before
    assert sorted(os.listdir(tmp_path / "models")) == ["depth-anything-v2-large"]


# -- licences travel with the work ------------------------------------------------------------
def test_metadata_records_licences_and_old_records_load_with_none():
    from scene.metadata import GenerationMetadata

    old = GenerationMetadata(backend="ldm3d-pano", model_id="Intel/ldm3d-pano").record()
    old.pop("licences")
    assert GenerationMetadata.from_dict(old).licences == []
    base = GenerationMetadata(backend="ldm3d-pano", licences=licence_records("ldm3d-pano"))
    more = base.with_licences(licence_records("depth-anything-v2-large", "ldm3d-pano"))
    assert [r["model"] for r in base.licences] == ["Intel/ldm3d-pano"]  # unchanged
    assert [r["model"] for r in more.licences] == [
        "Intel/ldm3d-pano", "depth-anything/Depth-Anything-V2-Large-hf"]
    again = GenerationMetadata.from_dict(json.loads(json.dumps(more.record())))
    assert again.licences == more.licences


def test_scene_licences_gather_dome_layers_and_props_and_warn_once():
    from scene import licences
    from scene.composition import Layer, ObjectMesh, Prop, Scene
    from scene.metadata import GenerationMetadata
    from scene.panorama import RGBDPanorama

    rgb = np.zeros((8, 16, 3), np.uint8)
    dome = RGBDPanorama(rgb=rgb, metadata=GenerationMetadata(
        backend="ldm3d-pano", licences=licence_records("ldm3d-pano")))
    assert licences.non_commercial(dome) == [] and licences.export_warning(dome) == ""
    layer = Layer("l1", RGBDPanorama(rgb=rgb, metadata=GenerationMetadata(
        licences=licence_records("depth-anything-v2-base"))))
    cube = ObjectMesh(positions=np.eye(3, dtype=np.float32), faces=np.array([[0, 1, 2]]))
    prop = Prop("p1", cube, source={"licence": licence_records("lrm-base")[0]})
    scene = Scene(dome=dome, layers=(layer,), props=(prop, prop))
    assert licences.non_commercial(scene) == ["depth-anything/Depth-Anything-V2-Base-hf",
                                              "zxhezexin/openlrm-mix-base-1.1"]
    warning = licences.export_warning(scene)
    assert warning.count("non-commercial use only") == 1
    assert "zxhezexin/openlrm-mix-base-1.1 (CC-BY-NC-4.0)" in warning
    procedural = RGBDPanorama(rgb=rgb, metadata=GenerationMetadata(
        backend="procedural", licences=licence_records("procedural")))
    assert licences.collect(procedural) == [] and licences.export_warning(procedural) == ""


def test_ldm3d_and_procedural_results_record_their_licences(pano_copy):
    from models.base import GenerationRequest
    from models.registry import get_backend

    made = get_backend("ldm3d-pano").generate(GenerationRequest(
        "a room", seed=1, width=64, height=32, steps=1, model=str(pano_copy)))
    [rec] = made.metadata.licences
    assert rec["model"] == "Intel/ldm3d-pano" and rec["spdx"] == "creativeml-openrail-m"
    assert rec["commercial_use"] is True
    proc = get_backend("procedural").generate(GenerationRequest("a room", seed=1, width=64,
                                                                height=32))
    assert proc.metadata.licences == []


def test_licences_that_stages_keep_in_extra_and_prop_sources_are_found():
    from dataclasses import replace

    from scene import licences
    from scene.composition import ObjectMesh, Prop, Scene
    from scene.metadata import GenerationMetadata
    from scene.panorama import RGBDPanorama

    [da] = licence_records("depth-anything-v2-base")
    [sr] = licence_records("ldm3d-sr")
    meta = GenerationMetadata(extra={"depth_estimation": {"licence": da, "tiles": 20},
                                     "licences": [sr]})
    assert licences.collect(meta) == [sr, da]
    assert licences.non_commercial(meta.record()) == [da["model"]]
    rgb = np.zeros((8, 16, 3), np.uint8)
    cube = ObjectMesh(positions=np.eye(3, dtype=np.float32), faces=np.array([[0, 1, 2]]))
    lrm = Prop("p1", cube, source={"backend": "lrm", "model_id": "zxhezexin/openlrm-mix-base-1.1",
                                   "licence": "CC-BY-NC-4.0", "commercial_use": False})
    rock = Prop("p2", cube, source={"backend": "procedural", "model_id": "panoforge/procedural",
                                    "licence": "Apache-2.0", "commercial_use": True})
    scene = Scene(dome=RGBDPanorama(rgb=rgb), props=(rock,))
    assert licences.collect(scene) == []
    scene = replace(scene, props=(rock, lrm))
    assert licences.non_commercial(scene) == ["zxhezexin/openlrm-mix-base-1.1"]
