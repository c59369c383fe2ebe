"""Engine presets in real importers: three.js (with its Draco and meshopt decoders) draws every
compressed preset from inside like the uncompressed one; Blender imports the blender preset,
and the unreal (Draco) one where its build has Draco.

Tolerance: the mean absolute difference of the rendered views from the uncompressed (godot)
file's must stay under 1 grey level and 99 % of pixels within 8 levels. meshopt is lossless;
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


def test_blender_imports_the_unreal_draco_preset_where_it_has_draco(blender_exe, preset_files,
                                                                   tmp_path):
    """Blender decodes Draco through ``libextern_draco``, which its official builds bundle and
    Debian's package lacks; there the import fails on exactly that library, nothing else."""
    try:
        report = run_blender(blender_exe, preset_files["unreal"], tmp_path / "unreal",
                             render=False)
    except AssertionError as exc:
        if "extern_draco" in str(exc):
            pytest.xfail("this Blender build ships without its Draco library (libextern_draco)")
        raise
    assert "dome" in str(report), report
