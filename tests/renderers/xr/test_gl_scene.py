"""The headset's GL drawing (renderers.xr.gl_mesh.GLScene) shows the whole composition.

Drawn headless (surfaceless EGL, Mesa) into an sRGB texture as the swapchain images are, in a
separate process (PyOpenGL's platform is chosen before OpenGL is imported): the unlit prop's
bytes where its transform puts it, the lit prop shaded as on the desktop, the prop behind the
pillar hidden, and the layer filling the holes a moved eye sees.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from renderers import view_math as vm
from renderers.scene_parts import shade
from tests.renderers.composition_fixtures import LIT_COLOUR, UNLIT_COLOUR, composition

pytestmark = pytest.mark.gl

ROOT = Path(__file__).resolve().parents[3]
SIZE = (160, 120)


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    out = tmp_path_factory.mktemp("gl") / "frames.npz"
    run = subprocess.run([sys.executable, "-m", "tests.renderers.xr.gl_scene_probe", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    return dict(np.load(out))


def pixel(point, mvp):
    (x, y), front = vm.project_points(np.asarray(point, float), mvp, np.eye(4), SIZE)
    assert front
    return int(y), int(x)


def test_props_show_at_their_transforms_lit_and_unlit(frames):
    room, scene = composition(256)
    img, mvp = frames["full_centre"], frames["mvp_centre"]
    unlit, lit, hidden = scene.props
    assert np.abs(img[pixel(unlit.transform.translation, mvp)].astype(int)
                  - UNLIT_COLOUR).max() <= 1
    want = shade(np.array([[*LIT_COLOUR, 255]], np.uint8), np.array([[0.0, 0.0, 1.0]]), True)[0]
    assert np.abs(img[pixel(lit.transform.translation, mvp)] - want).max() <= 2
    # The box behind the pillar is hidden by it; the bare dome has no prop colour anywhere.
    assert np.abs(img[pixel(hidden.transform.translation, mvp)].astype(int)
                  - room.colours["pillar"]).max() <= 2
    dome = frames["dome_centre"]
    assert not (np.abs(dome.astype(int) - UNLIT_COLOUR).max(axis=-1) <= 1).any()


def test_the_layer_fills_the_holes_a_moved_eye_sees(frames):
    def holes(img):
        return int(np.count_nonzero(img.sum(axis=-1) == 0))

    assert holes(frames["dome_moved"]) > 20
    assert holes(frames["layer_moved"]) == 0


def test_the_headset_draws_what_the_window_draws_no_cracks(frames):
    """From a moved eye the cut dome has black slits; the headset fills them with the
    backdrop as the window and ``render`` do: its eye image matches the offscreen render
    from the same pose (issue 18: black cracks at every depth edge in the headset)."""
    from renderers.offscreen import render_view
    from scene.mesh import build_depth_mesh

    room, scene = composition(256)
    mesh = build_depth_mesh(scene.dome)
    for view, eye, yaw in (("centre", (0.0, 0.0, 0.0), 0.0), ("moved", (-0.4, 0.0, 0.1), 30.0)):
        xr = frames[f"backdrop_{view}"].astype(int)
        desk = render_view(scene.dome, mesh, yaw_deg=yaw, fov_deg=90.0, size=SIZE, eye=eye,
                           supersample=1).astype(int)
        assert int(np.count_nonzero(xr.sum(axis=-1) == 0)) == 0, view
        diff = np.abs(xr - desk).max(axis=-1)
        assert (diff > 24).mean() < 0.02, (view, float((diff > 24).mean()))
