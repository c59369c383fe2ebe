"""`panoforge import --estimate-depth`: the one import path gives an RGB-only panorama depth.

Runs the real command line in a subprocess with a tiny random Depth Anything folder (built
here) and without any weights; the project it writes is loaded back and meshed.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.import_source import ImportRequest, make_backend
from scene.errors import InputError
from scene.gpano import GPanoInfo, gpano_xmp, insert_xmp
from scene.project import load_project
from scene.testing.analytic import box_room
from tests.models.tiny_depth_anything import build_tiny_depth_anything

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return build_tiny_depth_anything(tmp_path_factory.mktemp("da") / "tiny-da")


def cli(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=300)


def test_cli_import_estimate_depth_writes_a_meshable_result(tmp_path, tiny_folder):
    from scene.mesh import build_depth_mesh

    Image.fromarray(box_room(256).panorama.rgb).save(tmp_path / "room.jpg", quality=92)
    res = cli(tmp_path, "import", "room.jpg", "--estimate-depth", "--depth-model",
              str(tiny_folder), "--device", "cpu", "-o", "s.panoforge")
    assert res.returncode == 0, res.stderr
    assert "estimated by" in res.stdout
    result = load_project(tmp_path / "s.panoforge").results[0]
    pano = result.panorama
    assert pano.has_depth and (pano.width, pano.height) == (256, 128)
    rec = pano.metadata.extra["depth_estimation"]
    assert rec["model_id"] == str(tiny_folder) and rec["alignment"]["mode"] == "scale-shift"
    assert rec["licence"]["spdx"] == "unknown"
    assert pano.metadata.licences == [rec["licence"]]
    assert np.isfinite(pano.distance).all()
    assert build_depth_mesh(pano).positions.shape[0] > 0


def test_cli_without_weights_says_a_depth_model_is_needed(tmp_path):
    Image.fromarray(box_room(64).panorama.rgb).save(tmp_path / "room.png")
    res = cli(tmp_path, "import", "room.png", "--estimate-depth", "-o", "s.panoforge",
              env={"PANOFORGE_MODELS": str(tmp_path / "models"),
                   "HF_HUB_CACHE": str(tmp_path / "hf")})
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert "depth model depth-anything/Depth-Anything-V2-Small-hf is not on this computer" \
        in res.stderr
    assert "hf download depth-anything/Depth-Anything-V2-Small-hf --local-dir" in res.stderr
    assert "no classical fallback" in res.stderr
    assert not (tmp_path / "s.panoforge").exists()


def test_estimate_depth_with_a_depth_map_is_refused(tmp_path):
    with pytest.raises(InputError, match="--estimate-depth and --depth"):
        make_backend().generate(ImportRequest(rgb_path=tmp_path / "a.png",
                                              depth_path=tmp_path / "d.png",
                                              estimate_depth=True))


def test_cropped_gpano_photo_gets_depth_only_where_it_has_picture(tmp_path, tiny_folder):
    rgb = box_room(512).panorama.rgb[64:192, 64:448]  # a 384x128 band: 270° x 90°
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=92)
    info = GPanoInfo(full_width=512, full_height=256, cropped_width=384, cropped_height=128,
                     cropped_left=64, cropped_top=64)
    path = tmp_path / "band.jpg"
    path.write_bytes(insert_xmp(buf.getvalue(), gpano_xmp(info)))
    made = make_backend().generate(ImportRequest(rgb_path=path, estimate_depth=True,
                                                 depth_model=str(tiny_folder), device="cpu"))
    pano = made.panorama
    assert (pano.width, pano.height) == (512, 256)
    d = pano.raw_depth
    h, w = d.shape
    known = np.zeros((h, w), dtype=bool)
    known[h // 4 + 1:3 * h // 4 - 1, w // 8 + 1:7 * w // 8 - 1] = True
    assert np.isfinite(d[known]).all()
    assert np.isnan(d[: h // 4 - 1]).all() and np.isnan(d[:, : w // 8 - 1]).all()
    assert pano.metadata.extra["gpano"]["placed"] is True


def test_known_point_option_reaches_the_estimate(tmp_path, tiny_folder):
    Image.fromarray(box_room(128).panorama.rgb).save(tmp_path / "room.png")
    made = make_backend().generate(ImportRequest(
        rgb_path=tmp_path / "room.png", estimate_depth=True, depth_model=str(tiny_folder),
        device="cpu", known_point=(10.0, -20.0, 2.5)))
    scale = made.panorama.metadata.extra["depth_estimation"]["scale"]
    assert scale["cue"] == "known point" and scale["metres"] == 2.5
    with pytest.raises(InputError, match="latitude"):
        make_backend().generate(ImportRequest(
            rgb_path=tmp_path / "room.png", estimate_depth=True, depth_model=str(tiny_folder),
            device="cpu", known_point=(10.0, -120.0, 2.5)))
