"""`panoforge export --preset/--dry-run/--splats/--usdz` through the real command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from scene.gltf_compress import read_glb
from scene.testing.analytic import box_room
from tests.app.test_cli_import_export import assert_refused, cli


def _project(tmp_path: Path) -> Path:
    room = box_room(128)
    Image.fromarray(room.panorama.rgb).save(tmp_path / "room.png")
    mm = np.rint(np.asarray(room.panorama.raw_depth) * 1000).astype(np.uint16)
    Image.fromarray(mm).save(tmp_path / "room_depth.png")
    res = cli(tmp_path, "import", "room.png", "--depth", "room_depth.png", "-o", "s.panoforge")
    assert res.returncode == 0, res.stderr
    return tmp_path / "s.panoforge"


def test_dry_run_prints_every_preset_and_writes_nothing(tmp_path):
    _project(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    res = cli(tmp_path, "export", "s.panoforge", "--dry-run")
    assert res.returncode == 0, res.stderr
    for name in ("unity", "unreal", "godot", "blender", "web", "quest", "visionos"):
        assert f"{name}: " in res.stdout and "triangles, about" in res.stdout
    assert "KTX2" in res.stdout and "nothing written" in res.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_preset_splats_and_usdz_are_written(tmp_path):
    _project(tmp_path)
    res = cli(tmp_path, "export", "s.panoforge", "--preset", "web", "--glb", "web.glb",
              "--splats", "s.ply", "--usdz", "s.usdz")
    assert res.returncode == 0, res.stderr
    g = read_glb((tmp_path / "web.glb").read_bytes()).gltf
    assert g["extensionsRequired"] == ["EXT_meshopt_compression"]
    assert (tmp_path / "s.ply").read_bytes().startswith(b"ply\n")
    assert (tmp_path / "s.usdz").read_bytes()[:2] == b"PK"
    res = cli(tmp_path, "export", "s.panoforge", "--preset", "godot")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "s.godot.glb").is_file()


def test_unknown_preset_and_misplaced_ktx2_are_refused_before_writing(tmp_path):
    _project(tmp_path)
    assert_refused(cli(tmp_path, "export", "s.panoforge", "--preset", "ps5"), "unknown export preset")
    assert_refused(cli(tmp_path, "export", "s.panoforge", "--ktx2", "--glb", "x.glb"),
                   "--ktx2 applies to --preset")
    assert_refused(cli(tmp_path, "export", "s.panoforge", "--preset", "godot", "--ktx2"),
                   "godot preset's engine reads no KTX2")
    assert_refused(cli(tmp_path, "export", "s.panoforge", "--splats", "s.splat"), ".spz")
    assert not (tmp_path / "x.glb").exists() and not (tmp_path / "s.godot.glb").exists()


def test_spz_splats_round_trip_through_the_reference_reader(tmp_path):
    from scene.splats_spz import read_splat_spz

    _project(tmp_path)
    res = cli(tmp_path, "export", "s.panoforge", "--splats", "s.spz")
    assert res.returncode == 0, res.stderr
    got = read_splat_spz(tmp_path / "s.spz")
    assert got["numPoints"] == 128 * 64  # one Gaussian per pixel of the dome
    r = np.linalg.norm(got["positions"], axis=1)
    assert r.min() > 0.5 and r.max() < 10  # the room's walls, in metres


def test_web_preset_with_ktx2_requires_basisu_textures(tmp_path):
    _project(tmp_path)
    res = cli(tmp_path, "export", "s.panoforge", "--preset", "web", "--ktx2", "--glb", "k.glb")
    assert res.returncode == 0, res.stderr
    g = read_glb((tmp_path / "k.glb").read_bytes()).gltf
    assert "KHR_texture_basisu" in g["extensionsRequired"]
    assert {im["mimeType"] for im in g["images"]} == {"image/ktx2"}
    dry = cli(tmp_path, "export", "s.panoforge", "--preset", "web", "--ktx2", "--dry-run")
    assert dry.returncode == 0 and "web: " in dry.stdout
