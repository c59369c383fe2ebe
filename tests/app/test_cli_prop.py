"""``panoforge prop add|list|remove`` on a project holding an analytic room.

Saving props needs the project format that stores ``Result.props`` (format 2); the round-trip
tests are skipped on a tree whose :mod:`scene.project` does not have it yet.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli import main
from scene.project import FORMAT_VERSION, Project, load_project, save_project
from scene.testing.analytic import box_room

needs_props_in_projects = pytest.mark.skipif(
    FORMAT_VERSION < 2, reason="the project format stores Result.props from version 2 on")


@pytest.fixture()
def project(tmp_path):
    p = Project()
    p.add_result(box_room(256, pillar=None).panorama, label="room")  # floor at y = -1.6
    path = tmp_path / "room.panoforge"
    save_project(path, p)
    return path


def _add(project, *extra, image=None):
    first = [str(image)] if image else []
    return main(["prop", "add", str(project), *first, "--at", "-1", "-1.6", "-2", "--height",
                 "0.8", "--grid", "32", *extra])


@needs_props_in_projects
def test_add_list_remove_round_trip(project, capsys):
    assert _add(project, "--prompt", "a red crate", "--backend", "procedural") == 0
    out = capsys.readouterr().out
    assert "added prop p1 (crate" in out and "on the ground" in out
    assert _add(project, "--prompt", "pine", "--name", "tree", "--material", "unlit") == 0
    capsys.readouterr()

    loaded = load_project(project)
    props = loaded.active.props
    assert [p.id for p in props] == ["p1", "p2"]
    crate = props[0]
    world = crate.world_positions()
    assert world[:, 1].min() == pytest.approx(-1.6, abs=0.02)
    assert np.ptp(world[:, 1]) == pytest.approx(0.8, rel=1e-4)
    assert crate.source["backend"] == "procedural" and crate.source["shape"] == "crate"
    assert props[1].name == "tree" and props[1].material == "unlit"

    assert main(["prop", "list", str(project), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in listed["props"]] == ["p1", "p2"]
    assert listed["props"][0]["height_m"] == pytest.approx(0.8, rel=1e-4)
    assert listed["props"][0]["base"][1] == pytest.approx(-1.6, abs=0.02)

    assert main(["prop", "remove", str(project), "p1"]) == 0
    assert [p.id for p in load_project(project).active.props] == ["p2"]
    assert main(["prop", "list", str(project)]) == 0
    assert "p2" in capsys.readouterr().out


@needs_props_in_projects
def test_lrm_prop_from_a_picture_records_its_licence(project, tmp_path, capsys):
    from PIL import Image

    from tests.models.tiny_lrm import crossing_threshold, write_tiny_lrm

    folder, net = write_tiny_lrm(tmp_path / "tiny-lrm")
    yy, xx = np.mgrid[0:64, 0:64]
    img = np.zeros((64, 64, 4), np.uint8)
    img[(yy - 32) ** 2 + (xx - 32) ** 2 < 20 ** 2] = (30, 160, 60, 255)  # alpha: the object
    picture = tmp_path / "thing.png"
    Image.fromarray(img).save(picture)
    thr = crossing_threshold(net, picture)  # a random field: the test picks its surface
    assert _add(project, "--model", str(folder), "--threshold", f"{thr!r}", image=picture) == 0
    captured = capsys.readouterr()
    assert "non-commercial use only" in captured.err
    prop = load_project(project).active.props[-1]
    assert prop.source["licence"] == "CC-BY-NC-4.0" and prop.source["commercial_use"] is False
    assert prop.source["background"] == "alpha" and prop.name == "thing"
    assert main(["prop", "list", str(project)]) == 0
    assert "NON-COMMERCIAL" in capsys.readouterr().out


def test_mistakes_exit_2_with_a_message(project, capsys):
    assert _add(project) == 2
    assert "needs a picture of the object or --prompt" in capsys.readouterr().err
    assert _add(project, "--prompt", "a spaceship", "--backend", "procedural") == 2
    assert "knows no object" in capsys.readouterr().err
    assert _add(project, "--prompt", "rock", "--result", "r9") == 2
    assert "no result 'r9'" in capsys.readouterr().err
    assert main(["prop", "remove", str(project), "p7"]) == 2
    assert "has no prop 'p7'" in capsys.readouterr().err
    assert main(["prop", "add", str(project), "--prompt", "rock", "--backend", "procedural",
                 "--at", "0", "1", "-1", "--height", "0"]) == 2
    assert "height" in capsys.readouterr().err


def test_lrm_without_weights_offline_says_how_to_get_them(project, tmp_path, monkeypatch,
                                                          capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    picture = tmp_path / "x.png"
    from PIL import Image

    Image.fromarray(np.zeros((8, 8, 4), np.uint8)).save(picture)
    assert _add(project, image=picture) == 2
    err = capsys.readouterr().err
    assert "HF_HUB_OFFLINE" in err and "hf download zxhezexin/openlrm-mix-base-1.1" in err
    assert load_project(project).active.props == []


def _glb_json(path) -> dict:
    import struct

    data = path.read_bytes()
    length, kind = struct.unpack_from("<II", data, 12)
    assert kind == 0x4E4F534A  # "JSON"
    return json.loads(data[20:20 + length])


@needs_props_in_projects
def test_two_props_export_as_their_own_glb_nodes(project, tmp_path, capsys):
    from tests.gltf_validator import assert_clean

    assert _add(project, "--prompt", "crate", "--backend", "procedural") == 0
    assert main(["prop", "add", str(project), "--prompt", "pine", "--backend", "procedural",
                 "--at", "1.5", "-1.6", "-3", "--height", "2.5", "--grid", "32",
                 "--material", "unlit"]) == 0
    glb = tmp_path / "room.glb"
    assert main(["export", str(project), "--glb", str(glb)]) == 0
    assert_clean(glb)
    doc = _glb_json(glb)
    props = load_project(project).active.props
    nodes = {n.get("name"): n for n in doc["nodes"]}
    for prop in props:
        node = next(n for name, n in nodes.items() if name and prop.name in name)
        np.testing.assert_allclose(node["translation"], prop.transform.translation, atol=1e-5)
        assert node.get("scale", [1, 1, 1])[0] == pytest.approx(prop.transform.scale, rel=1e-6)


@needs_props_in_projects
def test_crop_of_the_panorama_is_lifted(tmp_path, capsys):
    """--crop takes the picture from the dome itself: a dark pillar in front of a blue wall."""
    from PIL import Image

    from tests.models.tiny_lrm import crossing_threshold, write_tiny_lrm

    p = Project()
    pano = box_room(256, pillar=(0.0, -2.5, 0.3)).panorama
    p.add_result(pano, label="room")
    path = tmp_path / "pillar.panoforge"
    save_project(path, p)
    folder, net = write_tiny_lrm(tmp_path / "tiny-lrm")
    crop = np.asarray(pano.rgb)[56:74, 110:146]
    probe = tmp_path / "probe.png"
    Image.fromarray(crop).save(probe)
    thr = crossing_threshold(net, probe)
    assert main(["prop", "add", str(path), "--crop", "110", "56", "36", "18", "--model",
                 str(folder), "--threshold", repr(thr), "--at", "1", "-1.6", "-2",
                 "--height", "1", "--grid", "24"]) == 0
    prop = load_project(path).active.props[0]
    assert prop.source["backend"] == "lrm" and prop.source["background"] == "border-matting"
    assert main(["prop", "add", str(path), "--crop", "250", "56", "36", "300", "--at", "1", "-1",
                 "-2", "--height", "1"]) == 2
    assert "not inside" in capsys.readouterr().err
