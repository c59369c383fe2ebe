"""`panoforge upscale` and `panoforge repair-poles` through the command line's ``main``.

Each adds a new result with its parent and every setting, and never changes the source.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from app.cli import main
from scene.project import Project, load_project, save_project
from scene.testing.analytic import box_room

pytest.importorskip("cv2")

W = 64


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "room.panoforge"
    p = Project()
    p.add_result(box_room(W).panorama, kind="generated", label="box room")
    save_project(path, p)
    return path


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_classical_upscale_adds_a_child_result_and_keeps_the_source(project, capsys):
    before = load_project(project).results[0].panorama
    assert main(["upscale", str(project), "--method", "classical"]) == 0
    p = load_project(project)
    assert [r.id for r in p.results] == ["r1", "r2"] and p.active_id == "r2"
    src, up = p.results
    assert up.kind == "upscaled" and up.parent_id == "r1"
    assert (up.panorama.width, up.panorama.height) == (4 * W, 2 * W)
    assert np.array_equal(src.panorama.rgb, before.rgb)
    assert np.array_equal(src.panorama.raw_depth, before.raw_depth)
    rec = up.panorama.metadata.extra["upscale"]
    assert rec["method"] == "classical" and rec["factor"] == 4 and rec["source_width"] == W
    assert rec["edge_threshold"] == 0.05
    assert "added result r2" in capsys.readouterr().out


def test_auto_without_weights_says_it_uses_classical(project, no_weights, capsys):
    assert main(["upscale", str(project)]) == 0
    err = capsys.readouterr().err
    assert "classical" in err and "no LDM3D-SR weights" in err
    assert load_project(project).results[1].panorama.metadata.extra["upscale"]["method"] == \
        "classical"


def test_sr_with_a_tiny_model_records_every_setting_and_the_licence(project, tmp_path, capsys):
    from tests.models.tiny_ldm3d_sr import tiny_sr_model

    out = tmp_path / "out.panoforge"
    args = ["upscale", str(project), "--method", "sr", "--model", str(tiny_sr_model()),
            "--steps", "1", "--tile", "64", "--overlap", "32", "--device", "cpu", "--seed", "3",
            "--guidance", "5", "-o", str(out)]
    assert main(args) == 0
    assert len(load_project(project).results) == 1  # -o: the source project is untouched
    r = load_project(out).results[1]
    rec = r.panorama.metadata.extra["upscale"]
    assert rec["method"] == "sr" and rec["seed"] == 3 and rec["steps"] == 1
    assert rec["guidance"] == 5.0 and rec["tile"] == 64 and rec["overlap"] == 32
    assert rec["noise_level"] == 20 and rec["scheduler"] == "ddim"
    assert r.panorama.metadata.licences[-1]["spdx"] == "creativeml-openrail-m"
    assert r.panorama.raw_depth.dtype == np.uint16 and r.parent_id == "r1"


def test_a_model_that_is_not_sr_is_refused_and_nothing_is_written(project, tmp_path, capsys):
    from tests.models.tiny_ldm3d import tiny_model

    folder = tmp_path / "pano"
    shutil.copytree(tiny_model(4), folder)
    before = project.read_bytes()
    assert main(["upscale", str(project), "--method", "sr", "--model", str(folder)]) == 2
    err = capsys.readouterr().err
    err = err[err.index("panoforge: error:"):]  # (library logging before it is not ours)
    assert "not an LDM3D-SR model" in err and "hint:" in err and "Traceback" not in err
    assert project.read_bytes() == before


def test_unknown_result_is_refused(project, capsys):
    assert main(["upscale", str(project), "--result", "r9"]) == 2
    assert "no result 'r9'" in capsys.readouterr().err


def test_repair_poles_adds_a_repaired_child_with_its_settings(project, capsys):
    assert main(["repair-poles", str(project), "--band", "25", "--feather", "4",
                 "--caps", "bottom"]) == 0
    p = load_project(project)
    r = p.results[1]
    assert r.kind == "repaired" and r.parent_id == "r1" and p.active_id == "r2"
    rec = r.panorama.metadata.extra["pole_repair"]
    assert rec["band_deg"] == 25 and rec["feather_deg"] == 4 and rec["caps"] == "bottom"
    assert rec["method"] == "classical"
    assert "added result r2" in capsys.readouterr().out


def test_upscale_a_repaired_result_keeps_the_lineage(project):
    assert main(["repair-poles", str(project)]) == 0
    assert main(["upscale", str(project), "--result", "r2", "--method", "classical"]) == 0
    p = load_project(project)
    assert [(r.id, r.kind, r.parent_id) for r in p.results] == [
        ("r1", "generated", None), ("r2", "repaired", "r1"), ("r3", "upscaled", "r2")]


def test_repair_poles_with_a_tiny_model(project):
    from tests.models.tiny_ldm3d import tiny_model

    assert main(["repair-poles", str(project), "--method", "ldm3d", "--model",
                 str(tiny_model(4)), "--face-size", "64", "--steps", "2", "--seed", "4",
                 "--device", "cpu", "--prompt", "a white ceiling"]) == 0
    rec = load_project(project).results[1].panorama.metadata.extra["pole_repair"]
    assert rec["method"] == "ldm3d" and rec["prompt"] == "a white ceiling" and rec["seed"] == 4


def test_a_missing_project_is_refused(tmp_path, capsys):
    assert main(["upscale", str(tmp_path / "none.panoforge")]) == 2
    assert main(["repair-poles", str(tmp_path / "none.panoforge")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "none.panoforge").exists()
