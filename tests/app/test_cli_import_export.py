"""`panoforge import`, `info` and `export` through the real command line, in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scene.project import load_project, save_project
from scene.testing.analytic import box_room
from tests.gltf_validator import assert_clean

ROOT = Path(__file__).resolve().parents[2]
W, H = 128, 64


def cli(cwd: Path, *args: str, code: str | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m app ARGS`` (or ``python -c CODE ARGS``) in ``cwd``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "app", *args] if code is None else [sys.executable, "-c", code, *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def assert_refused(res: subprocess.CompletedProcess, *phrases: str) -> None:
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    assert "panoforge: error:" in res.stderr and "hint:" in res.stderr, res.stderr
    for phrase in phrases:
        assert phrase in res.stderr, f"{phrase!r} not in {res.stderr!r}"


@pytest.fixture(scope="module")
def room():
    return box_room(W)


@pytest.fixture
def inputs(tmp_path, room):
    """A box-room panorama as PNG and its distance as a 16-bit PNG in millimetres."""
    Image.fromarray(room.panorama.rgb).save(tmp_path / "room.png")
    mm = np.rint(np.asarray(room.panorama.raw_depth) * 1000).astype(np.uint16)
    Image.fromarray(mm).save(tmp_path / "room_depth.png")
    Image.fromarray(room.panorama.rgb).save(tmp_path / "sky.jpg", quality=90)
    return tmp_path


def test_import_add_info_export(inputs, room):
    res = cli(inputs, "import", "room.png", "--depth", "room_depth.png", "-o", "s.panoforge")
    assert res.returncode == 0, res.stderr
    assert "wrote s.panoforge (result r1)" in res.stdout and "16-bit PNG" in res.stdout
    first = load_project(inputs / "s.panoforge").results[0].panorama

    res = cli(inputs, "import", "sky.jpg", "-o", "s.panoforge")
    assert res.returncode == 0, res.stderr
    assert "added result r2 to the existing project" in res.stdout
    project = load_project(inputs / "s.panoforge")
    assert [r.id for r in project.results] == ["r1", "r2"] and project.active_id == "r2"
    assert np.array_equal(project.results[0].panorama.raw_depth, first.raw_depth)  # r1 intact
    assert project.results[1].panorama.rgb_encoded == (inputs / "sky.jpg").read_bytes()

    res = cli(inputs, "info", "s.panoforge")
    assert res.returncode == 0, res.stderr
    assert re.search(r"^\* r2 +imported", res.stdout, re.M)
    assert re.search(r"^  r1 +imported", res.stdout, re.M)
    assert "imported from room.png + room_depth.png" in res.stdout
    assert "flat at 10 m" in res.stdout
    res = cli(inputs, "info", "s.panoforge", "--json")
    info = json.loads(res.stdout)
    r1 = info["results"][0]
    exact = np.asarray(room.panorama.raw_depth)
    assert r1["depth"]["min_m"] == pytest.approx(exact.min(), abs=5e-4)
    assert r1["depth"]["max_m"] == pytest.approx(exact.max(), abs=5e-4)
    assert r1["depth"]["interpretation"]["scale"] == 0.001
    assert info["active_id"] == "r2" and info["results"][1]["depth"] is None
    assert info["mesh_settings"]["mode"] == "full"

    args = ["export", "s.panoforge", "--result", "r1", "--glb", "out/s.glb", "--ply", "out/s.ply",
            "--images", "flat", "--cubemap", "faces", "--face-size", "16"]
    res = cli(inputs, *args, "--stereo360", "out/stereo.png")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    for f in ["out/s.glb", "out/s.ply", "flat/panorama.png", "flat/panorama_depth.png",
              *(f"faces/{n}.png" for n in ("px", "nx", "py", "ny", "pz", "nz"))]:
        assert (inputs / f).is_file(), f
        assert f"wrote {f}" in res.stdout or f"wrote {inputs / f}" in res.stdout, f
    assert Image.open(inputs / "faces/px.png").size == (16, 16)
    report = assert_clean(inputs / "out/s.glb")
    triangles = int(re.search(r"mesh: ([\d,]+) triangles", res.stdout)[1].replace(",", ""))
    assert report["info"]["totalTriangleCount"] == triangles
    cut = int(re.search(r"([\d,]+) faces cut", res.stdout)[1].replace(",", ""))
    assert cut > 0  # the pillar's silhouette is a depth jump above the default threshold
    assert b"binary_little_endian" in (inputs / "out/s.ply").read_bytes()[:200]
    assert Image.open(inputs / "out/stereo.png").size[0] > 0


def test_export_uses_the_project_mesh_settings(inputs):
    assert cli(inputs, "import", "room.png", "--depth", "room_depth.png",
               "-o", "m.panoforge").returncode == 0
    project = load_project(inputs / "m.panoforge")
    project.mesh_settings = project.mesh_settings.with_(cut_threshold=0.1)
    save_project(inputs / "m.panoforge", project)
    res = cli(inputs, "export", "m.panoforge", "--ply", "a.ply")
    assert res.returncode == 0, res.stderr
    assert "threshold 0.1" in res.stdout
    res = cli(inputs, "export", "m.panoforge", "--ply", "b.ply", "--cut-threshold", "inf")
    assert res.returncode == 0, res.stderr
    assert " 0 faces cut at threshold inf" in res.stdout
    full = int(re.search(r"mesh: ([\d,]+) triangles", res.stdout)[1].replace(",", ""))
    res = cli(inputs, "export", "m.panoforge", "--glb", "c.glb", "--mesh", "adaptive",
              "--max-error", "0.005", "--cut-threshold", "inf")
    assert res.returncode == 0, res.stderr
    assert "(adaptive, " in res.stdout
    fewer = int(re.search(r"mesh: ([\d,]+) triangles", res.stdout)[1].replace(",", ""))
    assert fewer < full
    assert assert_clean(inputs / "c.glb")["info"]["totalTriangleCount"] == fewer


def test_8bit_depth_imports_with_a_warning(inputs):
    Image.fromarray(np.full((H, W), 128, np.uint8)).save(inputs / "d8.png")
    res = cli(inputs, "import", "room.png", "--depth", "d8.png", "-o", "w.panoforge")
    assert res.returncode == 0, res.stderr
    assert "warning:" in res.stderr and "banding" in res.stderr and "Traceback" not in res.stderr


def _make(folder: Path, name: str) -> None:
    if name == "wide.png":
        Image.fromarray(np.zeros((40, 100, 3), np.uint8)).save(folder / name)
    elif name == "square_depth.png":
        Image.fromarray(np.full((32, 32), 1000, np.uint16)).save(folder / name)
    elif name == "nan.npy":
        np.save(folder / name, np.full((H, W), np.nan, np.float32))
    elif name == "mostly_nan.npy":
        d = np.full((H, W), np.nan, np.float32)
        d[:, :10] = 3.0
        np.save(folder / name, d)
    elif name == "pano.tif":
        (folder / name).write_bytes(b"II*\0")
    elif name == "broken.png":
        (folder / name).write_bytes((folder / "room.png").read_bytes()[:80])
    elif name == "d8.png":
        Image.fromarray(np.full((H, W), 100, np.uint8)).save(folder / name)


@pytest.mark.parametrize("make, args, phrases", [
    ("wide.png", ["wide.png"], ["100x40, not 2:1", "--fit pad"]),
    ("square_depth.png", ["room.png", "--depth", "square_depth.png"], ["aspects differ"]),
    ("nan.npy", ["room.png", "--depth", "nan.npy"], ["none of its 8,192 depth values", "8,192 NaN"]),
    ("mostly_nan.npy", ["room.png", "--depth", "mostly_nan.npy"],
     ["7,552 of 8,192", "--allow-partial-depth"]),
    ("pano.tif", ["pano.tif"], ["unknown panorama file type '.tif'"]),
    ("broken.png", ["broken.png"], ["broken.png is not a readable image", "damaged"]),
    (None, ["missing.png"], ["does not exist"]),
    ("d8.png", ["room.png", "--depth", "d8.png", "--depth-kind", "distance"], ["--depth-unit"]),
])
def test_import_refusals(inputs, make, args, phrases):
    if make:
        _make(inputs, make)
    res = cli(inputs, "import", *args, "-o", "x.panoforge")
    assert_refused(res, *phrases)
    assert not (inputs / "x.panoforge").exists()


def test_import_never_overwrites_a_file_that_is_not_a_project(inputs):
    victim = inputs / "notes.panoforge"
    victim.write_bytes(b"my precious notes")
    res = cli(inputs, "import", "room.png", "-o", "notes.panoforge")
    assert_refused(res, "already exists", "another -o name")
    assert victim.read_bytes() == b"my precious notes"


def test_import_too_large_to_mesh(inputs):
    code = ("import sys, scene.importer as m; m.available_memory_bytes = lambda: 300_000; "
            "from app.cli import main; sys.exit(main(sys.argv[1:]))")
    res = cli(inputs, "import", "room.png", "-o", "big.panoforge", code=code)
    assert_refused(res, "too large to mesh in memory", "--downsample 2")
    res = cli(inputs, "import", "room.png", "--downsample", "2", "-o", "big.panoforge", code=code)
    assert res.returncode == 0, res.stderr
    assert "panorama: 64x32" in res.stdout


def test_export_and_info_refusals(inputs):
    assert cli(inputs, "import", "room.png", "-o", "p.panoforge").returncode == 0
    assert_refused(cli(inputs, "export", "p.panoforge"), "nothing to export")
    assert_refused(cli(inputs, "export", "p.panoforge", "--result", "r9", "--glb", "a.glb"),
                   "no result 'r9'", "r1")
    assert_refused(cli(inputs, "export", "p.panoforge", "--points", "--glb", "a.glb"), "--points applies to --ply")
    assert_refused(cli(inputs, "export", "p.panoforge", "--glb", "p.panoforge"),
                   "overwrite the project file")
    (inputs / "bad.panoforge").write_bytes(b"PK\x03\x04 not really")
    assert_refused(cli(inputs, "info", "bad.panoforge"), "not a Panoforge project")
    assert_refused(cli(inputs, "export", "bad.panoforge", "--glb", "a.glb"), "not a Panoforge project")
    assert not (inputs / "a.glb").exists()


def test_info_shows_generation_settings_and_lineage(tmp_path, room):
    from scene.metadata import GenerationMetadata
    from scene.project import Project

    md = GenerationMetadata(backend="ldm3d-pano", prompt="360 view of a forest",
                            user_prompt="a forest", seed=7, steps=30, guidance=7.5,
                            scheduler="ddim", model_id="Intel/ldm3d-pano", model_revision="abc1")
    project = Project()
    project.add_result(room.panorama.with_metadata(md))
    project.add_result(room.panorama.with_metadata(md), kind="upscaled", parent_id="r1")
    save_project(tmp_path / "g.panoforge", project)
    res = cli(tmp_path, "info", "g.panoforge")
    assert res.returncode == 0, res.stderr
    assert ("backend ldm3d-pano, seed 7, steps 30, guidance 7.5, scheduler ddim, "
            "model Intel/ldm3d-pano@abc1") in res.stdout
    assert "prompt: '360 view of a forest'" in res.stdout
    assert re.search(r"^\* r2 +upscaled, from r1 +'a forest' +128x64", res.stdout, re.M)
    lo, hi = room.panorama.depth_range()
    assert f"range {lo:.3f} m .. {hi:.3f} m" in res.stdout
