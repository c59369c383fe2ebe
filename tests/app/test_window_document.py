"""Views follow the Document by themselves, and the seed field takes every seed a request takes.

The panels subscribe to the document (model -> view) and catch up once when they do, so a
panel made after the document has results shows them at once, and nothing needs to relay the
document's signals. "Use these settings" copies a result's seed back unchanged, including
seeds beyond 32 bits.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from models.base import SEED_MAX, GenerationRequest
from scene.testing.analytic import box_room
from tests.app.conftest import disparity_box_room, wait_mesh


def test_a_panel_made_after_the_document_has_a_result_catches_up(make_window, qtbot):
    from app.window.depth_panel import DepthPanel
    from app.window.gallery import Gallery

    w = make_window()
    pano, near, far = disparity_box_room(64)
    res = w.doc.add_result(pano, kind="imported")
    # children of the window (not in a layout, never shown), so they go with it at teardown
    # instead of being collected in a later test (a segfault in the collector, seen once)
    gallery, depth = Gallery(w), DepthPanel(w)
    gallery.hide()
    depth.hide()
    assert gallery.ids() == [] and not depth.kind_combo.isEnabled()  # nothing yet
    gallery.bind(w.doc)
    depth.bind(w.doc)
    # caught up once, at subscription
    assert gallery.ids() == [res.id] and gallery.current_id() == res.id
    assert depth.kind_combo.isEnabled() and depth.kind_combo.currentData() == "disparity"
    assert np.allclose(depth.near_far(), (near, far), rtol=1e-4)
    # and from then on they follow the document themselves
    w.doc.set_depth_range(res.id, 2.0, 30.0)
    assert np.allclose(depth.near_far(), (2.0, 30.0), rtol=1e-4)
    second = w.doc.add_result(box_room(64).panorama, kind="imported")
    assert gallery.ids() == [res.id, second.id] and gallery.current_id() == second.id
    assert depth.kind_combo.currentData() == "distance"
    # an edit made in the new panel reaches the document (and every other view)
    depth.set_near_far(3.0, 9.0)
    assert np.allclose(w.doc.active.panorama.near_far(), (3.0, 9.0))
    assert np.allclose(w.depth_panel.near_far(), (3.0, 9.0), rtol=1e-4)
    # bound to another document, they no longer listen to the old one
    old = w.doc
    w.files.new_project()
    gallery.bind(w.doc)
    assert gallery.ids() == []
    assert w.doc is not old


def test_opening_a_project_refreshes_every_view_without_relays(make_window, qtbot, tmp_path):
    w = make_window()
    w.doc.add_result(box_room(64).panorama, kind="imported")
    wait_mesh(qtbot, w)
    w.save_as(tmp_path / "room.panoforge")
    w.files.new_project()
    assert w.gallery.ids() == [] and w.current_mesh is None
    assert w.windowTitle().startswith("Untitled")
    assert w.files.open_project(tmp_path / "room.panoforge")
    assert len(w.gallery.ids()) == 1 and w.windowTitle().startswith("room.panoforge")
    assert w.act_export.isEnabled()
    wait_mesh(qtbot, w)
    assert w.current_mesh.n_faces > 0


def test_a_seed_beyond_32_bits_survives_use_these_settings(make_window, qtbot):
    big = 2**40 + 12345
    w = make_window()
    gp = w.generate_panel
    gp.set_prompt("a canyon at noon")
    gp.set_size(256, 128)
    gp.seed_lock.setChecked(True)
    gp.seed_spin.lineEdit().selectAll()
    qtbot.keyClicks(gp.seed_spin, str(big))  # typed, as a user would
    qtbot.keyClick(gp.seed_spin, Qt.Key.Key_Tab)
    assert gp.seed_spin.value() == big
    with qtbot.waitSignal(w.resultArrived, timeout=60000) as first:
        w.act_generate.trigger()
    assert w.prompter.errors == []
    made = w.doc.result(first.args[0])
    assert made.panorama.metadata.seed == big
    gp.randomise_seed()
    gp.seed_lock.setChecked(False)
    assert gp.seed_spin.value() != big
    w.doc.set_active(made.id)
    w.act_use.trigger()  # Use These Settings
    assert gp.seed_spin.value() == big and gp.seed_lock.isChecked()
    request = gp.build_request()
    assert request.seed == big
    with qtbot.waitSignal(w.resultArrived, timeout=60000) as again:
        assert w.start_generation(gp.backend_name, request) is not None
    redo = w.doc.result(again.args[0]).panorama
    assert redo.metadata.seed == big
    assert np.array_equal(redo.rgb, made.panorama.rgb)
    assert np.array_equal(redo.raw_depth, made.panorama.raw_depth, equal_nan=True)


def test_the_seed_field_takes_the_whole_declared_range_and_nothing_beyond(make_window, qtbot):
    gp = make_window().generate_panel
    box = gp.seed_spin
    assert (box.minimum(), box.maximum()) == (0, SEED_MAX)
    box.setValue(SEED_MAX)
    assert box.value() == SEED_MAX and GenerationRequest(prompt="x", seed=box.value()).seed == SEED_MAX
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, str(SEED_MAX + 1))  # one digit too many is refused while typing
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    assert box.value() == int(str(SEED_MAX + 1)[:-1])  # the last digit did not go in
    box.setValue(5)
    box.stepBy(-10)
    assert box.value() == 0
