"""One minimum and one maximum panorama size, and the GLB's 4 GiB limit (scene.limits)."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

import scene.limits as limits
from scene.errors import InputError, ResourceError
from scene.export_glb import write_glb
from scene.importer import import_panorama
from scene.mesh import build_depth_mesh
from scene.mesh_settings import MeshSettings
from scene.testing.analytic import box_room

ROOT = Path(__file__).resolve().parents[2]


def _huge_png(path: Path, width: int, height: int) -> None:
    """A valid greyscale PNG header of ``width x height`` (the pixels are never decoded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def test_full_mesh_size_of_the_largest_fits_a_glb_and_twice_it_does_not():
    v, t, b = limits.full_mesh_size(limits.MAX_WIDTH, limits.MAX_HEIGHT)
    assert v == 8193 * 4096 + 2 and t == 2 * 8192 * 4096
    assert b + 3 * limits.MAX_WIDTH * limits.MAX_HEIGHT < limits.GLB_MAX_BYTES  # with a texture
    assert limits.full_mesh_size(16384, 8192)[2] > limits.GLB_MAX_BYTES


def test_a_16k_import_is_refused_from_its_header_with_the_downsample_that_fits(tmp_path):
    _huge_png(tmp_path / "huge.png", 16384, 8192)
    with pytest.raises(InputError) as info:
        import_panorama(tmp_path / "huge.png")
    err = info.value
    assert "16384x8192" in err.message and "134,225,922 vertices" in err.message
    assert "GB" in err.message and "--downsample 2 (8192x4096)" in err.hint
    assert "--mesh adaptive" in err.hint


def test_the_command_line_refuses_it_without_a_traceback(tmp_path):
    _huge_png(tmp_path / "huge.png", 16384, 8192)
    res = subprocess.run([sys.executable, "-m", "app", "import", "huge.png", "-o", "h.panoforge"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "--downsample 2" in res.stderr and not (tmp_path / "h.panoforge").exists()


@pytest.mark.parametrize("size", [(2, 1), (8, 4)])
def test_too_small_is_refused_at_import(tmp_path, size):
    Image.fromarray(np.zeros((size[1], size[0], 3), np.uint8)).save(tmp_path / "tiny.png")
    with pytest.raises(InputError, match="smaller than the 16x8") as info:
        import_panorama(tmp_path / "tiny.png")
    assert "at least 16x8" in info.value.hint


def test_the_smallest_imports_and_meshes(tmp_path):
    Image.fromarray(np.zeros((8, 16, 3), np.uint8)).save(tmp_path / "small.png")
    pano = import_panorama(tmp_path / "small.png").panorama
    for mode in ("full", "adaptive"):
        assert build_depth_mesh(pano, MeshSettings(mode=mode)).n_faces > 0


def test_a_full_mesh_over_the_maximum_is_refused_before_any_array_is_made():
    class Huge(SimpleNamespace):
        @property
        def distance(self):
            raise AssertionError("the distance map was computed before the size check")

    with pytest.raises(ResourceError) as info:
        build_depth_mesh(Huge(width=16384, height=8192), MeshSettings(mode="full"))
    assert "--mesh adaptive" in info.value.hint and "--downsample 2" in info.value.hint


def test_a_glb_over_4_gib_is_refused_before_writing(tmp_path, monkeypatch):
    room = box_room(64)
    mesh = build_depth_mesh(room.panorama)
    target = tmp_path / "a.glb"
    target.write_bytes(b"previous")
    monkeypatch.setattr(limits, "GLB_MAX_BYTES", 10_000)
    with pytest.raises(ResourceError, match="over the format's 4 GiB limit"):
        write_glb(target, room.panorama, mesh)
    assert target.read_bytes() == b"previous"
