"""One validation of a DepthMesh, used by every consumer (GLB, PLY, the viewport)."""

from __future__ import annotations

import numpy as np
import pytest

from scene.errors import InputError
from scene.meshdata import DepthMesh


def _quad() -> DepthMesh:
    pos = np.array([[0, 0, -1], [1, 0, -1], [1, 1, -1], [0, 1, -1]], np.float32)
    uvs = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)
    return DepthMesh(pos, uvs, np.array([[0, 1, 2], [0, 2, 3]], np.uint32))


def _bad(kind: str) -> DepthMesh:
    m = _quad()
    if kind == "nan":
        pos = m.positions.copy()
        pos[1, 2] = np.nan
        return DepthMesh(pos, m.uvs, m.faces)
    if kind == "uvs":
        return DepthMesh(m.positions, m.uvs[:3], m.faces)
    if kind == "index":
        return DepthMesh(m.positions, m.uvs, np.array([[0, 1, 4]], np.uint32))
    if kind == "faces-shape":
        return DepthMesh(m.positions, m.uvs, np.array([0, 1, 2, 3], np.uint32))
    if kind == "no-vertices":
        return DepthMesh(np.zeros((0, 3), np.float32), np.zeros((0, 2), np.float32),
                         np.zeros((0, 3), np.uint32))
    raise AssertionError(kind)


BAD = ("nan", "uvs", "index", "faces-shape", "no-vertices")


def test_a_good_mesh_passes_without_copies():
    m = _quad()
    pos, uvs, faces = m.checked()
    assert pos is m.positions and uvs is m.uvs and faces is m.faces
    assert faces.dtype == np.dtype("<u4")


def test_no_faces_is_refused_unless_allowed():
    m = _quad()
    empty = DepthMesh(m.positions, m.uvs, np.zeros((0, 3), np.uint32))
    with pytest.raises(InputError, match="no faces"):
        empty.checked()
    assert empty.checked(allow_no_faces=True)[2].shape == (0, 3)


def _consumers(tmp_path):
    from renderers.mesh_visual import _check_mesh
    from scene.export_glb import glb_bytes
    from scene.export_ply import write_ply
    from scene.panorama import RGBDPanorama

    pano = RGBDPanorama(np.zeros((4, 8, 3), np.uint8))
    return {
        "DepthMesh.checked": lambda m: m.checked(),
        "glb": lambda m: glb_bytes(pano, m, texture="png"),
        "ply": lambda m: write_ply(tmp_path / "x.ply", pano, m),
        "viewport": _check_mesh,
    }


@pytest.mark.parametrize("kind", BAD)
def test_every_consumer_refuses_the_same_meshes_with_the_same_message(kind, tmp_path):
    messages = {}
    for name, consume in _consumers(tmp_path).items():
        with pytest.raises(InputError) as exc:
            consume(_bad(kind))
        messages[name] = exc.value.message
    assert len(set(messages.values())) == 1, messages
    assert not (tmp_path / "x.ply").exists()


def test_no_other_module_writes_its_own_mesh_check():
    """A DepthMesh is checked by DepthMesh.checked only: a new copy of its rules (shape checks
    on positions/uvs/faces with their own messages) fails here."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"(uvs?|faces|positions)\.shape\s*!=|faces\.max\(\)\)?\s*>=")
    copies = []
    for folder in ("app", "renderers", "scene"):
        for path in sorted((root / folder).rglob("*.py")):
            if path.name in ("meshdata.py", "composition.py"):  # ObjectMesh checks itself
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    copies.append(f"{path.relative_to(root)}:{n}")
    assert copies == []
