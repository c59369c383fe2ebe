"""Project format 2: a dome with its layers and props, saved and read back exactly, with
the format's safety checks applied to the new members too."""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest

from scene.project import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    PLAIN_FORMAT_VERSION,
    Project,
    load_project,
    project_to_bytes,
    save_project,
)

from .composition_cases import composition
from .test_project import _load_fails, _manifest, _members, _rezip, refused_unread


@pytest.fixture
def project() -> Project:
    scene = composition(64)
    p = Project()
    dome = p.add_result(scene.dome, kind="generated", label="room")
    dome.layers.extend(scene.layers)
    dome.props.extend(scene.props)
    p.add_result(composition(32).dome, kind="upscaled", parent_id=dome.id)
    p.set_active(dome.id)
    return p


@pytest.fixture
def saved(tmp_path, project):
    path = tmp_path / "v2.panoforge"
    save_project(path, project)
    return path


def test_version_2_with_a_dome_a_layer_and_props_round_trips_byte_identically(saved, tmp_path):
    first = saved.read_bytes()
    again = tmp_path / "again.panoforge"
    save_project(again, load_project(saved))
    assert again.read_bytes() == first
    # ...and once more, from the copy (nothing drifts, e.g. a re-normalised quaternion).
    assert project_to_bytes(load_project(again)) == first
    assert _manifest(saved)["format_version"] == PLAIN_FORMAT_VERSION == 2


def test_every_part_comes_back(saved, project):
    loaded = load_project(saved)
    want, got = project.get("r1"), loaded.get("r1")
    assert [layer.id for layer in got.layers] == ["l1"]
    lw, lg = want.layers[0], got.layers[0]
    assert (lg.kind, lg.walk_radius, lg.method, lg.label) == (lw.kind, lw.walk_radius,
                                                             lw.method, lw.label)
    np.testing.assert_array_equal(lg.panorama.rgb, lw.panorama.rgb)
    np.testing.assert_array_equal(lg.panorama.distance, lw.panorama.distance)  # NaN too
    assert [p.id for p in got.props] == ["p1", "p2"]
    for pw, pg in zip(want.props, got.props, strict=True):
        assert (pg.name, pg.material, pg.source) == (pw.name, pw.material, pw.source)
        assert pg.transform == pw.transform
        for key in ("positions", "faces", "colors", "uvs", "texture"):
            a, b = getattr(pw.mesh, key), getattr(pg.mesh, key)
            assert (a is None) == (b is None), key
            if a is not None:
                np.testing.assert_array_equal(b, a)
                assert b.dtype == a.dtype
    scene = loaded.scene()
    assert scene.parts == 4 and scene.name == "r1"
    assert loaded.get("r2").layers == [] and loaded.get("r2").parent_id == "r1"


def test_manifest_layout_of_the_parts(saved):
    m = _manifest(saved)
    r1 = m["results"][0]
    assert r1["layers"][0]["rgb"]["file"] == "results/r1/layers/l1/rgb.png"
    assert r1["layers"][0]["depth"]["file"] == "results/r1/layers/l1/depth.npy"
    mesh = r1["props"][0]["mesh"]
    assert mesh["positions"]["file"] == "results/r1/props/p1/positions.npy"
    assert mesh["positions"]["dtype"] == "<f4" and mesh["positions"]["shape"] == [24, 3]
    assert mesh["faces"]["dtype"] == "<u4" and mesh["colors"]["dtype"] == "|u1"
    assert mesh["uvs"] is None and mesh["texture"] is None
    tex = r1["props"][1]["mesh"]["texture"]
    assert tex["file"] == "results/r1/props/p2/texture.png" and tex["width"] == 16
    assert r1["props"][0]["transform"]["scale"] == 1.5
    assert m["results"][1]["layers"] == [] and m["results"][1]["props"] == []


def test_a_newer_format_is_refused_with_update_panoforge(tmp_path, saved):
    m = _manifest(saved)
    m["format_version"] = FORMAT_VERSION + 1
    newer = tmp_path / "newer.panoforge"
    _rezip(newer, _members(saved), m)
    err = _load_fails(newer, "newer Panoforge")
    assert "update Panoforge" in err.hint


@pytest.mark.parametrize("path", [["layers", 0, "rgb"], ["layers", 0, "depth"],
                                  ["props", 0, "mesh", "positions"],
                                  ["props", 1, "mesh", "texture"]])
def test_part_members_pointing_outside_the_archive_are_refused(tmp_path, saved, path):
    m = _manifest(saved)
    entry = m["results"][0]
    for key in path:
        entry = entry[key]
    entry["file"] = "../../outside.bin"
    bad = tmp_path / "ref.panoforge"
    _rezip(bad, _members(saved), m)
    _load_fails(bad, "points outside the archive")


def test_a_changed_prop_array_fails_its_checksum(tmp_path, saved):
    members = _members(saved)
    name = "results/r1/props/p1/positions.npy"
    arr = np.load(io.BytesIO(members[name]))
    arr[0, 0] += 1.0
    buf = io.BytesIO()
    np.save(buf, arr)
    bad = tmp_path / "sha.panoforge"
    _rezip(bad, dict(members, **{name: buf.getvalue()}))
    _load_fails(bad, "checksum does not match")


def test_a_prop_array_larger_than_its_shape_is_refused_unread(tmp_path, saved, monkeypatch):
    import zipfile

    members = _members(saved)
    name = "results/r1/props/p1/faces.npy"
    bomb = bytes(32 * 2**20)
    m = _manifest(saved)
    faces = m["results"][0]["props"][0]["mesh"]["faces"]
    faces["bytes"], faces["sha256"] = len(bomb), hashlib.sha256(bomb).hexdigest()
    members[name] = bomb
    members[MANIFEST_NAME] = json.dumps(m).encode()
    bad = tmp_path / "bomb.panoforge"
    with zipfile.ZipFile(bad, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    refused_unread(bad, name, monkeypatch)


@pytest.mark.parametrize("edit,match", [
    (lambda e: e["mesh"]["positions"].update(dtype="<f8"), "unsupported dtype"),
    (lambda e: e["mesh"]["colors"].update(shape=[23, 4]), "unexpected shape"),
    (lambda e: e["mesh"]["faces"].update(shape=[12, 3, 1]), "unexpected shape"),
    (lambda e: e["transform"].update(scale=-1), "inconsistent"),
    (lambda e: e.update(material="shiny"), "inconsistent"),
    (lambda e: e.update(id="../p1"), "not a simple name"),
])
def test_bad_prop_entries_are_refused(tmp_path, saved, edit, match):
    m = _manifest(saved)
    edit(m["results"][0]["props"][0])
    bad = tmp_path / "schema.panoforge"
    _rezip(bad, _members(saved), m)
    _load_fails(bad, match)


def test_duplicate_part_ids_are_refused(tmp_path, saved):
    m = _manifest(saved)
    m["results"][0]["props"][1]["id"] = "p1"
    bad = tmp_path / "dup.panoforge"
    _rezip(bad, _members(saved), m)
    _load_fails(bad, "two props with the same id")


def test_transforms_survive_any_number_of_saves():
    """A unit quaternion is not re-normalised on load (its last bits would drift)."""
    from scene.composition import Transform

    rng = np.random.default_rng(0)
    for _ in range(500):
        t = Transform(tuple(rng.normal(size=3)), tuple(rng.normal(size=4)), float(rng.random()) + .1)
        assert Transform.from_dict(json.loads(json.dumps(t.to_dict()))) == t


@pytest.mark.parametrize("what", ["name", "favourite", "views"])
def test_what_format_2_would_drop_makes_a_format_3_file_which_format_2_refuses(
        tmp_path, project, monkeypatch, what):
    """A format-2 Panoforge ignores unknown members and would lose them on its next save, so
    a project with a result name, a favourite or saved views is written as format 3."""
    import scene.project as sp
    from scene.saved_views import SavedView

    if what == "name":
        project.get("r1").name = "keeper"
    elif what == "favourite":
        project.get("r2").favourite = True
    else:
        project.views.append(SavedView(name="door", yaw_deg=10.0, pitch_deg=0.0, fov_deg=80.0,
                                       eye=(0.0, 0.0, 0.0)))
    path = tmp_path / "v3.panoforge"
    save_project(path, project)
    assert _manifest(path)["format_version"] == FORMAT_VERSION == 3
    assert project_to_bytes(load_project(path)) == path.read_bytes()
    monkeypatch.setattr(sp, "FORMAT_VERSION", 2)  # the release before format 3
    with pytest.raises(sp.ProjectFileError, match="newer Panoforge"):
        load_project(path)
