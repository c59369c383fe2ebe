"""Engine presets in real importers: three.js (with its Draco and meshopt decoders) draws every
compressed preset from inside like the uncompressed one; Blender imports the blender preset,
and the unreal (Draco) one through the Draco library its builds bundle (built here on Debian's
libdraco, since Debian's Blender lacks it).

Tolerance: the mean absolute difference of the rendered views from the uncompressed (godot)
file's must stay under 1 grey level and 99 % of pixels within 8 levels. meshopt's codec is
lossless (positions are rounded to 12 mantissa bits first: 1.2e-4 rad, far below a pixel);
Draco quantizes positions to 14 bits (0.5 mm in this room) and texture coordinates to 12 bits
(a quarter texel of the 512 px texture), which moves edges by at most a pixel.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scene.composition import Scene
from scene.export_presets import get_preset, write_preset
from scene.mesh_settings import MeshSettings
from scene.testing.analytic import box_room

from .conftest import run_blender, run_threejs

COMPRESSED = ["unity", "unreal", "web", "quest"]


@pytest.fixture(scope="module")
def preset_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("preset-glbs")
    scene = Scene(dome=box_room(512).panorama, name="room")
    files = {}
    for name in ["godot", "blender", *COMPRESSED]:
        files[name] = out / f"{name}.glb"
        write_preset(scene, get_preset(name), files[name], MeshSettings())
    # the uncompressed file of the adaptive mesh the unreal preset writes
    files["blender-adaptive"] = out / "blender-adaptive.glb"
    write_preset(scene, get_preset("blender"), files["blender-adaptive"],
                 MeshSettings(mode="adaptive"))
    return files


@pytest.fixture(scope="module")
def three_reports(threejs_tools, preset_files, tmp_path_factory):
    return {name: run_threejs(threejs_tools, preset_files[name],
                              tmp_path_factory.mktemp(f"three-{name}"))
            for name in ["godot", *COMPRESSED]}


def _img(report, view):
    return np.asarray(Image.open(report["images"][view]).convert("RGB"), np.int16)


@pytest.mark.parametrize("name", COMPRESSED)
def test_threejs_draws_each_compressed_preset_like_the_uncompressed_one(three_reports, name):
    ref, got = three_reports["godot"], three_reports[name]
    assert got["pageLog"] == [], got["pageLog"]
    dome = [m for m in got["meshes"] if m["name"] == "dome"]
    assert dome and dome[0]["vertices"] > 0 and dome[0]["material"]["map"] is not None
    for view in ref["images"]:
        a, b = _img(ref, view), _img(got, view)
        assert a.max() > 0  # a real picture, not a black frame
        diff = np.abs(a - b)
        if name == "quest":  # a different (budget) mesh of the same room: same picture
            assert diff.mean() < 3.0, (view, diff.mean())
        else:
            assert diff.mean() < 1.0, (view, diff.mean())
            assert np.mean(diff.max(axis=2) <= 8) > 0.99, view


def test_blender_imports_the_blender_preset(blender_exe, preset_files, tmp_path):
    report = run_blender(blender_exe, preset_files["blender"], tmp_path / "blender",
                         render=False)
    assert "dome" in str(report), report


def test_blender_imports_the_unreal_draco_preset(blender_exe, blender_draco, preset_files,
                                                tmp_path):
    """Blender's own importer reads the Draco file through ``libextern_draco`` (built here on
    Google's reference decoder, as Blender's builds bundle it): the same dome, every vertex
    within Draco's 14-bit quantization of the uncompressed file's, facing the centre."""
    from scipy.spatial import cKDTree

    assert get_preset("unreal").adaptive  # so its reference is the adaptive mesh, uncompressed
    plain = run_blender(blender_exe, preset_files["blender-adaptive"], tmp_path / "blender",
                        render=False)
    draco = run_blender(blender_exe, preset_files["unreal"], tmp_path / "unreal", render=False,
                        draco_library=blender_draco)
    parts = {p["name"]: p for p in draco["parts"]}
    ref = {p["name"]: p for p in plain["parts"]}
    assert "dome" in parts and "collider" in parts, sorted(parts)
    # Draco merges points whose quantized attributes are all equal (the seam's twins where
    # the UVs agree, the cut backing's copies of surface points): fewer vertices (5 % on this
    # adaptive mesh), the same surface
    assert 0 <= ref["dome"]["vertices"] - parts["dome"]["vertices"] <= ref["dome"]["vertices"] // 10
    mesh, ref_mesh = draco["mesh"], plain["mesh"]
    assert mesh["name"] == ref_mesh["name"] == "dome"
    got, want = _positions(mesh), _positions(ref_mesh)
    for a, b in ((got, want), (want, got)):  # each vertex near one of the other file's
        dist, _ = cKDTree(b).query(a)
        assert dist.max() < 2e-3, dist.max()  # 14-bit quantization of a ~6 m room: 0.4 mm
    assert mesh["polygons"] == ref_mesh["polygons"]
    assert ref_mesh["faces_facing_origin"] == ref_mesh["polygons"]
    # the quantization collapses the slivers next to the poles (0.4 mm apart) into zero-area
    # triangles, which have no normal to face anywhere: all the others face the centre
    assert mesh["faces_facing_origin"] >= mesh["polygons"] - mesh["polygons"] // 100


def _positions(mesh_report) -> np.ndarray:
    import base64

    raw = base64.b64decode(mesh_report["positions_gltf"])
    return np.frombuffer(raw, "<f4").reshape(-1, 3)
