"""`panoforge models` (list, add, verify) and the licence that travels with a result."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.cli import main
from tests.models.test_catalog import UNET, _flip_byte, write_tiny_depth_anything
from tests.models.tiny_ldm3d import make_bin_only, tiny_model


@pytest.fixture(autouse=True)
def _isolated_model_places(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-hub"))
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _listed(capsys) -> dict:
    code, out, _ = run(capsys, "models", "--json")
    assert code == 0
    return {m["backend"]: m for m in json.loads(out)}


@pytest.fixture
def usb(tmp_path) -> Path:
    dst = tmp_path / "usb" / "ldm3d-pano"
    shutil.copytree(tiny_model(4), dst)
    return dst


def test_list_shows_missing_models_with_their_download_command(capsys, tmp_path):
    code, out, _ = run(capsys, "models")
    assert code == 0
    assert f"hf download Intel/ldm3d-pano --local-dir {tmp_path / 'models' / 'ldm3d-pano'}" in out
    assert "commercial use: NO (non-commercial only)" in out  # OpenLRM, DA-V2 Base/Large
    listed = _listed(capsys)
    assert listed["ldm3d-pano"]["status"] == "missing"
    assert listed["lrm-base"]["commercial_use"] is False
    assert listed["depth-anything-v2-small"]["licence"]["spdx"] == "Apache-2.0"
    assert listed["procedural"]["status"] == "built-in"


def test_add_then_list_then_verify(capsys, usb, tmp_path):
    code, out, err = run(capsys, "models", "add", str(usb))
    assert code == 0, err
    dest = tmp_path / "models" / "ldm3d-pano"
    assert f"installed Intel/ldm3d-pano in {dest}" in out
    assert "no published checksums known for revision" in err and "accepted with a warning" in err
    listed = _listed(capsys)
    assert listed["ldm3d-pano"]["status"] == "installed"
    assert listed["ldm3d-pano"]["folder"] == str(dest)
    assert listed["ldm3d-pano"]["size_bytes"] > 0
    code, out, _ = run(capsys, "models", "verify")
    assert code == 0 and f"ok ldm3d-pano: {dest}" in out

    _flip_byte(dest / UNET)
    code, out, _ = run(capsys, "models", "verify")
    assert code == 1
    assert f"DAMAGED ldm3d-pano: {dest}" in out and f"{UNET}: damaged" in out
    code, out, _ = run(capsys, "models", "verify", str(dest))
    assert code == 1 and UNET in out


def test_a_folder_copied_under_another_name_is_pointed_out(capsys, usb, tmp_path):
    shutil.copytree(usb, tmp_path / "models" / "my-ldm3d")
    code, out, _ = run(capsys, "models")
    assert code == 0 and "my-ldm3d" in out
    assert f"panoforge models add {tmp_path / 'models' / 'my-ldm3d'}" in out
    assert _listed(capsys)["ldm3d-pano"]["status"] == "missing"


def test_truncated_file_shows_damaged_in_the_list(capsys, usb, tmp_path):
    dest = tmp_path / "models" / "ldm3d-pano"
    shutil.copytree(usb, dest)
    (dest / UNET).write_bytes((dest / UNET).read_bytes()[:1000])
    code, out, _ = run(capsys, "models")
    assert "ldm3d-pano" in out and "DAMAGED" in out and f"damaged: {UNET}" in out
    assert "get it: hf download Intel/ldm3d-pano" in out


def test_add_refuses_pickle_only_weights_with_a_clear_message(capsys, usb, tmp_path):
    make_bin_only(usb)
    code, _, err = run(capsys, "models", "add", str(usb))
    assert code == 2 and "Traceback" not in err
    assert "only pickle weights" in err and "loads only .safetensors" in err
    assert "hint: download the safetensors files" in err
    assert not (tmp_path / "models" / "ldm3d-pano").exists()


def test_add_refuses_a_wrong_file_set(capsys, tmp_path):
    folder = write_tiny_depth_anything(tmp_path / "usb" / "Depth-Anything-V2-Small-hf")
    (folder / "preprocessor_config.json").unlink()
    code, _, err = run(capsys, "models", "add", str(folder))
    assert code == 2
    assert "not a complete depth-anything/Depth-Anything-V2-Small-hf folder" in err
    assert "preprocessor_config.json: missing" in err


def test_verify_a_folder_that_is_not_a_model(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "models", "verify", str(tmp_path / "empty"))
    assert code == 2 and "does not look like any model" in err


# -- the licence travels: project, GLB extras, the export warning ------------------------------
def _glb_extras(path: Path) -> dict:
    import struct

    data = path.read_bytes()
    (length,) = struct.unpack_from("<I", data, 12)
    return json.loads(data[20:20 + length])["scenes"][0]["extras"]


@pytest.fixture
def two_results(tmp_path) -> Path:
    """A project with a procedural result (r1) and one whose depth came from a non-commercial
    Depth Anything model (r2), saved and loaded back from disk."""
    from models.catalog import licence_records
    from scene.project import Project, save_project
    from scene.testing.analytic import box_room

    pano = box_room(64).panorama
    project = Project()
    project.add_result(pano, kind="generated")
    estimated = pano.metadata.with_licences(licence_records("depth-anything-v2-large"))
    project.add_result(pano.with_metadata(estimated), kind="generated")
    path = tmp_path / "scene.panoforge"
    save_project(path, project)
    return path


def test_non_commercial_result_carries_its_flag_into_project_glb_and_export_warning(
        capsys, two_results, tmp_path):
    from scene import licences
    from scene.project import load_project

    project = load_project(two_results)
    assert licences.non_commercial(project.get("r2")) == [
        "depth-anything/Depth-Anything-V2-Large-hf"]
    assert licences.collect(project.get("r1")) == []

    glb = tmp_path / "nc.glb"
    code, _, err = run(capsys, "export", str(two_results), "--result", "r2", "--glb", str(glb),
                       "--ply", str(tmp_path / "nc.ply"))
    assert code == 0, err
    assert err.count("non-commercial use only") == 1  # once, not once per file
    assert "warning: " in err and "Depth-Anything-V2-Large-hf (CC-BY-NC-4.0)" in err
    extras = _glb_extras(glb)
    assert extras["non_commercial"] is True
    assert [r["spdx"] for r in extras["licences"]] == ["CC-BY-NC-4.0"]
    assert extras["generation"]["licences"] == extras["licences"]
    code, out, _ = run(capsys, "info", str(two_results))
    assert code == 0
    assert out.count("licence: ") == 1
    assert ("licence: depth-anything/Depth-Anything-V2-Large-hf: CC-BY-NC-4.0 "
            "(NON-COMMERCIAL use only)") in out
    code, out, _ = run(capsys, "info", str(two_results), "--json")
    flags = {r["id"]: r["non_commercial"] for r in json.loads(out)["results"]}
    assert flags == {"r1": False, "r2": True}


def test_procedural_result_carries_no_licence_and_no_warning(capsys, two_results, tmp_path):
    glb = tmp_path / "p.glb"
    code, _, err = run(capsys, "export", str(two_results), "--result", "r1", "--glb", str(glb))
    assert code == 0, err
    assert "non-commercial" not in err and "warning" not in err
    extras = _glb_extras(glb)
    assert extras["non_commercial"] is False and extras["licences"] == []


def test_generated_procedural_project_records_no_licence(capsys, tmp_path):
    from scene.project import load_project

    out = tmp_path / "p.panoforge"
    code, _, err = run(capsys, "generate", "a pine forest", "--backend", "procedural",
                       "--width", "128", "--height", "64", "-o", str(out))
    assert code == 0, err
    assert load_project(out).active.panorama.metadata.licences == []


def test_weights_moved_by_models_add_make_a_result_whose_export_warns(capsys, tmp_path):
    """The whole offline story with a non-commercial model: a tiny Depth Anything folder is
    added under its catalogue name, estimates depth for an imported picture, and the export
    of that result warns once and marks the GLB."""
    from PIL import Image

    from scene.project import load_project
    from scene.testing.analytic import box_room
    from tests.models.tiny_depth_anything import build_tiny_depth_anything

    usb = build_tiny_depth_anything(tmp_path / "usb" / "Depth-Anything-V2-Large-hf")
    code, out, err = run(capsys, "models", "add", str(usb), "--model", "depth-anything-v2-large")
    assert code == 0, err
    assert "commercial use: NO" in out and "may not be used commercially" in err
    Image.fromarray(box_room(128).panorama.rgb).save(tmp_path / "room.png")
    project = tmp_path / "s.panoforge"
    code, _, err = run(capsys, "import", str(tmp_path / "room.png"), "--estimate-depth",
                       "--depth-model", "depth-anything-v2-large", "--device", "cpu",
                       "-o", str(project))
    assert code == 0, err
    meta = load_project(project).active.panorama.metadata
    assert [(r["model"], r["commercial_use"]) for r in meta.licences] == [
        ("depth-anything/Depth-Anything-V2-Large-hf", False)]
    glb = tmp_path / "s.glb"
    code, _, err = run(capsys, "export", str(project), "--glb", str(glb))
    assert code == 0, err
    assert err.count("non-commercial use only") == 1
    assert _glb_extras(glb)["non_commercial"] is True
