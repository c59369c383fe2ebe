"""``panoforge layer`` and ``panoforge score`` on saved projects: layers are added and saved,
the walk zone is recorded, printed by ``info`` and written into GLB extras."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from models.base import GenerationRequest
from models.procedural.backend import ProceduralBackend
from scene.project import Project, load_project, save_project
from scene.testing.analytic import box_room


def _save(tmp_path, pano, name="s.panoforge"):
    p = Project()
    p.add_result(pano, label="scene")
    path = tmp_path / name
    save_project(path, p)
    return path


@pytest.fixture()
def hall(tmp_path):
    req = GenerationRequest(prompt="a grand hall with pillars", seed=3, width=256, height=128)
    return _save(tmp_path, ProceduralBackend().generate(req).panorama, "hall.panoforge")


def _glb_extras(path):
    data = path.read_bytes()
    n = int.from_bytes(data[12:16], "little")
    return json.loads(data[20:20 + n])["scenes"][0]["extras"]


def test_layer_adds_layers_records_the_walk_zone_and_exports_it(hall, tmp_path, capsys):
    assert main(["layer", str(hall)]) == 0  # procedural result: the exact filler by default
    out = capsys.readouterr().out
    assert "layer(s) (procedural)" in out and "walk zone:" in out
    result = load_project(hall).active
    assert result.layers and all(la.method == "procedural" and la.kind == "fill"
                                 for la in result.layers)
    wz = result.panorama.metadata.extra["walk_zone"]
    assert wz["dome_m"] < wz["layers_m"] and wz["layers_m"] >= 0.5
    assert main(["info", str(hall)]) == 0
    assert f"walk zone: {wz['layers_m']:g} m with layers" in capsys.readouterr().out
    glb = tmp_path / "hall.glb"
    assert main(["export", str(hall), "--glb", str(glb)]) == 0
    extras = _glb_extras(glb)
    assert extras["walk_zone"]["layers_m"] == wz["layers_m"]
    assert extras["parts"]["layers"] == len(result.layers)
    # run again: the fill layers are replaced, not stacked
    n = len(result.layers)
    assert main(["layer", str(hall), "--walk-radius", "0.3"]) == 0
    again = load_project(hall).active
    assert len(again.layers) <= n and again.layers[0].walk_radius == 0.3


def test_score_layered_beats_plain(hall, capsys):
    assert main(["score", str(hall), "--json", "--views", "4", "--no-exact"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["layer", str(hall)]) == 0
    capsys.readouterr()
    assert main(["score", str(hall), "--json", "--views", "4"]) == 0
    layered = json.loads(capsys.readouterr().out)
    assert layered["hole_fraction"] < plain["hole_fraction"]
    assert layered["psnr_db"] > plain["psnr_db"]
    assert layered["exact"]["hole_fraction"] <= 0.001  # at most the walk zone's limit


def test_import_gets_the_classical_filler(tmp_path, capsys):
    path = _save(tmp_path, box_room(128).panorama)
    assert main(["layer", str(path)]) == 0
    assert "(classical)" in capsys.readouterr().out
    assert load_project(path).active.layers[0].method == "classical"


def test_refusals(tmp_path, hall, capsys):
    imp = _save(tmp_path, box_room(64).panorama, "imp.panoforge")
    before = imp.read_bytes()
    assert main(["layer", str(imp), "--fill", "procedural"]) == 2
    assert "--fill classical" in capsys.readouterr().err
    assert imp.read_bytes() == before  # nothing saved
    assert main(["layer", str(hall), "--walk-radius", "-1"]) == 2
    assert main(["layer", str(hall), "--result", "nope"]) == 2


def test_ldm3d_fill_through_the_command_line(tmp_path, capsys, monkeypatch):
    pytest.importorskip("diffusers")
    from tests.models.tiny_ldm3d import tiny_model

    path = _save(tmp_path, box_room(64).panorama)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "no-models"))
    assert main(["layer", str(path), "--fill", "ldm3d"]) == 2  # no weights here
    assert "--fill classical" in capsys.readouterr().err
    assert main(["layer", str(path), "--fill", "ldm3d", "--model", str(tiny_model(4)),
                 "--steps", "2", "--device", "cpu", "--views", "3"]) == 0
    result = load_project(path).active
    assert result.layers and result.layers[0].method == "ldm3d"
    assert result.layers[0].panorama.metadata.backend == "fill-ldm3d"
