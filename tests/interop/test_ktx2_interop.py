"""KTX2 textures (KHR_texture_basisu) in three.js: GLTFLoader with KTX2Loader and the Basis
transcoder of the pinned ``three`` package draws the web preset with KTX2 textures from inside
like the plain (godot) file.

Tolerance: ETC1S stores each 4 x 4 texel block as two colours of one line, so where walls of
different colours meet (inside one block) it blurs the edge; elsewhere it keeps the colour.
The views are compared off the edges (pixels further than one texture block, 8 screen pixels
here, from a colour step of the plain render): 95 % of them within 8 grey levels (measured:
97-99.9 %; the rest lie along faint steps under the edge threshold), and the
whole view within a mean of 8 levels. A wrong texture (missing, black, flipped or shifted by a
face) differs by tens of levels everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scene.composition import Scene
from scene.export_presets import get_preset, write_preset
from scene.mesh_settings import MeshSettings
from scene.testing.analytic import box_room

from .conftest import run_threejs

MEAN_LEVELS = 8.0
NEAR_LEVELS, NEAR_SHARE = 8, 0.95
#: A texture block (4 texels of the 512 px texture) on screen: 256 px for 90 degrees.
BLOCK_PX = 8


@pytest.fixture(scope="module")
def renders(threejs_tools, tmp_path_factory):
    out = tmp_path_factory.mktemp("ktx2")
    scene = Scene(dome=box_room(512).panorama, name="room")
    plain, ktx2 = out / "godot.glb", out / "web-ktx2.glb"
    write_preset(scene, get_preset("godot"), plain, MeshSettings())
    write_preset(scene, get_preset("web"), ktx2, MeshSettings(), ktx2=True)
    return {name: run_threejs(threejs_tools, path, tmp_path_factory.mktemp(f"three-{name}"))
            for name, path in (("plain", plain), ("ktx2", ktx2))}


def _img(report, view):
    return np.asarray(Image.open(report["images"][view]).convert("RGB"), np.int16)


def test_threejs_draws_the_ktx2_web_preset_like_the_plain_file(renders):
    ref, got = renders["plain"], renders["ktx2"]
    assert got["pageLog"] == [], got["pageLog"]
    dome = [m for m in got["meshes"] if m["name"] == "dome"]
    assert dome and dome[0]["material"]["map"]["compressed"] is True  # three.js read the KTX2
    assert [m for m in ref["meshes"] if m["name"] == "dome"][0]["material"]["map"][
        "compressed"] is False
    assert dome[0]["material"]["map"]["width"] == 512
    for view in ref["images"]:
        a, b = _img(ref, view), _img(got, view)
        assert a.max() > 0 and b.max() > 0  # real pictures, not black frames
        diff = np.abs(a - b).max(axis=2)
        assert diff.mean() < MEAN_LEVELS, (view, diff.mean())
        flat = ~_near_edges(a)
        assert flat.mean() > 0.5, view  # most of the view is wall, not edge
        assert np.mean(diff[flat] <= NEAR_LEVELS) > NEAR_SHARE, (view, np.mean(
            diff[flat] <= NEAR_LEVELS))


def _near_edges(img: np.ndarray) -> np.ndarray:
    """Pixels within :data:`BLOCK_PX` of a colour step (> 24 levels) of ``img``."""
    from scipy.ndimage import binary_dilation

    step = np.zeros(img.shape[:2], bool)
    step[:, 1:] |= np.abs(np.diff(img, axis=1)).max(axis=2) > 24
    step[1:, :] |= np.abs(np.diff(img, axis=0)).max(axis=2) > 24
    return binary_dilation(step, iterations=BLOCK_PX)
