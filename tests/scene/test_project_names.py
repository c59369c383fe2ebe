"""A result's name and favourite star in the project file: optional manifest members that older
files do without (same bytes after load → save), checked like every other field."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scene.errors import InputError
from scene.panorama import RGBDPanorama
from scene.project import MANIFEST_NAME, Project, load_project, project_to_bytes, save_project
from scene.result_names import MAX_NAME_LENGTH, clean_name, display_name

from .test_project import _load_fails, _manifest, _members, _rezip

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "v1"


def _pano(value: int) -> RGBDPanorama:
    return RGBDPanorama(rgb=np.full((16, 32, 3), value, np.uint8))


@pytest.fixture
def two(tmp_path) -> Path:
    p = Project()
    p.add_result(_pano(10), kind="imported", label="first")
    p.add_result(_pano(200), kind="imported", label="second")
    path = tmp_path / "two.panoforge"
    save_project(path, p)
    return path


def test_names_and_favourites_round_trip_and_are_absent_when_unset(two, tmp_path):
    m = _manifest(two)
    assert all("name" not in r and "favourite" not in r for r in m["results"])
    p = load_project(two)
    assert [(r.name, r.favourite) for r in p.results] == [("", False), ("", False)]
    p.get("r2").name = "Sunset — keep ★"
    p.get("r2").favourite = True
    again = tmp_path / "again.panoforge"
    save_project(again, p)
    m2 = _manifest(again)
    assert m2["results"][1]["name"] == "Sunset — keep ★" and m2["results"][1]["favourite"] is True
    assert "name" not in m2["results"][0] and "favourite" not in m2["results"][0]
    back = load_project(again)
    assert (back.get("r2").name, back.get("r2").favourite) == ("Sunset — keep ★", True)
    assert (back.get("r1").name, back.get("r1").favourite) == ("", False)
    assert back.get("r2").id == "r2"  # the id stays
    assert project_to_bytes(back) == again.read_bytes()
    # the export's root node is called by the name; unnamed results keep their id
    assert back.scene("r2").name == "Sunset — keep ★" and back.scene("r1").name == "r1"


def test_a_v2_file_without_the_fields_saves_to_the_same_bytes(two):
    assert project_to_bytes(load_project(two)) == two.read_bytes()


@pytest.mark.parametrize("name", sorted(p.name for p in V1.glob("*.panoforge")))
def test_v1_files_still_open_without_names(name):
    p = load_project(V1 / name)
    assert p.results and all(r.name == "" and r.favourite is False for r in p.results)
    assert all(display_name(r) == (r.label or r.id) for r in p.results)


@pytest.mark.parametrize("bad, match", [
    ("x" * (MAX_NAME_LENGTH + 1), "at most 80"),
    ("two\nlines", "control character"),
    ("bell\x07", "control character"),
    ("\u202ereversed", "control character"),
    (" padded ", "white space"),
])
def test_a_file_with_an_unusable_name_is_refused(two, bad, match):
    m = _manifest(two)
    m["results"][0]["name"] = bad
    _rezip(two, _members(two), m)
    _load_fails(two, match)


def test_a_favourite_that_is_not_true_or_false_is_refused(two):
    m = _manifest(two)
    m["results"][0]["favourite"] = 1
    _rezip(two, _members(two), m)
    _load_fails(two, "favourite has the wrong type")


def test_saving_never_writes_a_name_loading_would_refuse(two):
    p = load_project(two)
    p.get("r1").name = "tab\there"
    with pytest.raises(ValueError, match="control character"):
        project_to_bytes(p)


def test_clean_name_rules():
    assert clean_name("  Forest, take 2  ") == "Forest, take 2"
    assert clean_name("   ") == ""  # clears the name
    assert clean_name("👩\u200d🎨 studio") == "👩\u200d🎨 studio"  # emoji sequences are fine
    assert clean_name("y" * MAX_NAME_LENGTH) == "y" * MAX_NAME_LENGTH
    for bad, where in (("a\x1bb", "U+001B) at position 2"), ("z" * 81, "81 characters")):
        with pytest.raises(InputError, match=re.escape(where)) as e:
            clean_name(bad)
        assert "at most 80" in e.value.hint


def test_manifest_member_is_plain_json(two, tmp_path):
    p = load_project(two)
    p.get("r1").name = "naïve"
    out = tmp_path / "n.panoforge"
    save_project(out, p)
    with zipfile.ZipFile(out) as zf:
        text = zf.read(MANIFEST_NAME).decode("utf-8")
    assert '"name": "naïve"' in text  # UTF-8, not \\u escapes
    assert json.loads(text)["results"][0]["name"] == "naïve"


def test_the_glb_root_node_is_called_by_the_name(two, tmp_path):
    from scene.export_glb import write_scene_glb
    from scene.mesh_settings import MeshSettings
    from scene.scene_mesh import build_scene_meshes

    from .test_export_scene_glb import read_glb

    p = load_project(two)
    p.get("r2").name = "Forest keeper"
    roots = {}
    for rid in ("r1", "r2"):
        scene = p.scene(rid)
        out = tmp_path / f"{rid}.glb"
        write_scene_glb(out, scene, build_scene_meshes(scene, MeshSettings()), texture="png")
        roots[rid] = read_glb(out)[0]["nodes"][0]["name"]
    assert roots == {"r1": "r1", "r2": "Forest keeper"}


@pytest.mark.parametrize("bad", ["two\nlines", "tab\there", "\u202ereversed", "x" * 121])
def test_a_saved_view_name_follows_the_same_rules(two, bad):
    """A view's name becomes a menu entry: one line of visible text, as a result's name."""
    from scene.saved_views import MAX_NAME_CHARS, SavedView

    assert SavedView("Doorway \u2014 \U0001f468\u200d\U0001f469").name  # a joiner is fine
    with pytest.raises(ValueError, match="control character|at most 120"):
        SavedView(bad)
    assert len("x" * MAX_NAME_CHARS) == 120  # (the limit the match above names)
    m = _manifest(two)
    m["format_version"] = 3
    m["views"] = [{"name": bad, "yaw_deg": 0.0, "pitch_deg": 0.0, "fov_deg": 90.0,
                   "eye": [0.0, 0.0, 0.0]}]
    _rezip(two, _members(two), m)
    _load_fails(two, "control character|at most 120")
