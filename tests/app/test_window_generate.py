"""Generating from the window: the procedural backend, a tiny LDM3D model folder, Cancel.

The generation runs on the worker thread exactly as for a user; the tests type the prompt,
press Ctrl+Enter and watch the progress bar, the gallery and the viewport.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from tests.app.conftest import wait_mesh


def _record_progress(window):
    seen = []
    orig = window.generate_panel.show_progress

    def spy(p):
        seen.append((p.step, p.total, p.preview is not None))
        orig(p)

    window.generate_panel.show_progress = spy  # the worker's signal is connected at start
    return seen


def test_type_a_prompt_and_generate_with_procedural(make_window, qtbot):
    w = make_window()
    gp = w.generate_panel
    assert gp.backend_name == "procedural"
    qtbot.mouseClick(gp.prompt_edit.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(gp.prompt_edit, "a misty pine forest at dawn")
    assert gp.prompt() == "a misty pine forest at dawn"
    gp.set_size(256, 128)
    gp.seed_lock.setChecked(True)
    gp.seed_spin.setValue(7)
    seen = _record_progress(w)
    with qtbot.waitSignal(w.resultArrived, timeout=60000) as arrived:
        qtbot.keyClick(gp.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert gp.running and not gp.generate_button.isEnabled()
    assert w.prompter.errors == []
    steps = [s for s, _, _ in seen]
    assert steps == sorted(steps) and steps[-1] == seen[-1][1] and len(set(steps)) >= 3
    assert any(has_preview for _, _, has_preview in seen)
    assert not gp.running and gp.generate_button.isEnabled()
    rid = arrived.args[0]
    assert w.gallery.ids() == [rid] and w.doc.active_id == rid
    res = w.doc.result(rid)
    meta = res.panorama.metadata
    assert (meta.backend, meta.seed, meta.user_prompt) == ("procedural", 7,
                                                          "a misty pine forest at dawn")
    assert res.panorama.rgb.shape == (128, 256, 3) and res.panorama.has_depth
    wait_mesh(qtbot, w)
    img = w.viewport.grab()
    bg = np.array([28, 28, 33])
    assert (np.abs(img.astype(int) - bg).sum(axis=-1) > 30).mean() > 0.5  # the scene is drawn
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50  # textured, not a flat fill
    # Same seed, same settings: the same pixels again (seed locked). A new generation is
    # accepted as soon as the last result arrived (its thread may still be winding down).
    with qtbot.waitSignal(w.resultArrived, timeout=60000) as again:
        assert w.start_generation(gp.backend_name, gp.build_request()) is not None
    assert np.array_equal(w.doc.result(again.args[0]).panorama.rgb, res.panorama.rgb)
    assert w.gallery.ids() == [rid, again.args[0]]


def test_generate_with_a_tiny_ldm3d_model_folder(make_window, qtbot):
    from tests.models.tiny_ldm3d import tiny_model

    folder = tiny_model(4)
    w = make_window()
    gp = w.generate_panel
    gp.set_backend("ldm3d-pano")
    assert gp.model_edit.isEnabled() and gp.steps_spin.isEnabled()
    gp.choose_model_folder(str(folder))  # what the folder picker returns
    assert "Local weights found" in gp.availability.text()
    assert w.settings.model_folders()["ldm3d-pano"] == str(folder)
    gp.set_prompt("a tiny test scene")
    gp.set_size(64, 32)
    gp.steps_spin.setValue(3)
    seen = _record_progress(w)
    with qtbot.waitSignal(w.generationEnded, timeout=120000) as ended:
        w.act_generate.trigger()
    assert ended.args == ["finished"], w.prompter.errors
    steps = [s for s, _, _ in seen]
    assert steps == sorted(steps) and {1, 2, 3} <= set(steps) and seen[-1][:2] == (3, 3)
    res = w.doc.active
    pano = res.panorama
    assert pano.rgb.shape == (32, 64, 3) and pano.interpretation.kind == "disparity"
    assert pano.metadata.backend == "ldm3d-pano" and pano.metadata.steps == 3
    assert w.gallery.ids() == [res.id]
    wait_mesh(qtbot, w)
    assert w.current_mesh.n_faces > 0
    d = np.linalg.norm(w.current_mesh.positions, axis=1)
    near, far = pano.interpretation.near, pano.interpretation.far
    assert d.min() >= near * 0.999 and d.max() <= far * 1.001  # disparity mapped into near..far


def test_cancel_stops_a_running_generation(make_window, qtbot):
    from tests.models.tiny_ldm3d import tiny_model

    w = make_window()
    gp = w.generate_panel
    gp.set_backend("ldm3d-pano")
    gp.choose_model_folder(str(tiny_model(4)))
    gp.set_prompt("a scene that is never finished")
    gp.set_size(64, 32)
    gp.steps_spin.setValue(400)
    worker = w.start_generation(gp.backend_name, gp.build_request())
    assert worker is not None and w.act_cancel.isEnabled()
    qtbot.waitUntil(lambda: worker.last_progress is not None and worker.last_progress.step >= 2,
                    timeout=120000)
    with qtbot.waitSignal(w.generationEnded, timeout=60000) as ended:
        qtbot.keyClick(w, Qt.Key.Key_Escape)  # the Cancel shortcut
    assert ended.args == ["cancelled"]
    assert worker.last_progress.step < 400
    assert w.doc.results == [] and w.gallery.ids() == []
    assert gp.progress_bar.format() == "Cancelled" and gp.generate_button.isEnabled()
    assert worker.wait(10000)


def test_a_perspective_result_is_placed_on_the_sphere_by_the_shared_policy():
    """ldm3d / ldm3d-4c return a perspective image: the window (through app.workflows, as the
    CLI) shows it as a panorama with its depth where the camera looked and none elsewhere,
    at the angular resolution of the image (64 px over 60 degrees -> 384, at least 512)."""
    from app.workflows import place
    from scene.depth import DepthInterpretation
    from scene.panorama import PerspectiveRGBD, RGBDPanorama

    rgb = np.full((64, 64, 3), 200, np.uint8)
    depth = np.full((64, 64), 5.0, np.float32)
    p = PerspectiveRGBD(rgb=rgb, raw_depth=depth, fov_deg=60.0,
                        interpretation=DepthInterpretation(kind="distance"))
    pano, _ = place(p)
    assert isinstance(pano, RGBDPanorama) and pano.width == 512 and pano.height == 256
    d = pano.distance
    assert np.nanmax(np.abs(d - 5.0)) < 1e-4  # the distances where the camera looked...
    assert np.isnan(d[:, 0]).all() and 0 < np.isfinite(d).mean() < 0.2  # ...nothing behind
    assert np.isfinite(d[128, 256])  # straight ahead is the image centre
    assert place(pano)[0] is pano


def test_the_panel_starts_from_each_backends_declared_defaults(make_window):
    """Steps, guidance and size come from the backend's spec (what the CLI uses), not a copy."""
    from models.registry import BACKENDS

    gp = make_window().generate_panel
    seen = 0
    for name, info in BACKENDS.items():
        if info.kind != "text":
            continue
        gp.set_backend(name)
        d = info.defaults
        req = gp.build_request()
        assert (req.steps, req.guidance) == (d.steps, d.guidance), name
        assert gp.size() == (d.width, d.height), name
        assert gp.seamless_check.isEnabled() == (not d.perspective), name
        seen += 1
    assert seen >= 4
    gp.set_backend("ldm3d-pano")
    assert gp.guidance_spin.value() == 7.0  # the model card's value, as in the CLI and README
