""""Generate variations: N seeds" from a gallery result: the batch machinery in a worker
thread, the next seeds of the same request, added to the open project; cancel stops it."""

from __future__ import annotations

import numpy as np
import pytest

from app import workflows
from app.batch.ledger import read_ledger
from app.window.document import Document
from app.window.variations import VariationsDialog, gallery_actions, variation_jobs
from models.base import GenerationRequest


@pytest.fixture
def doc():
    made = workflows.generate("procedural", GenerationRequest(
        prompt="a misty forest", seed=7, width=64, height=32))
    d = Document()
    d.add_made(made)
    return d


def test_jobs_repeat_the_request_with_the_next_seeds(doc):
    result = doc.active
    jobs = variation_jobs(result, 3)
    assert [j.seed for j in jobs] == [8, 9, 10]
    assert {(j.prompt, j.backend, j.width, j.height) for j in jobs} == {
        ("a misty forest", "procedural", 64, 32)}
    assert jobs[0].name == f"{result.id}-v1-a-misty-forest-s8"


def test_variations_run_in_a_thread_and_join_the_project(qtbot, doc, tmp_path):
    source = doc.active
    dialog = VariationsDialog(doc, source.id, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.count.setValue(3)
    dialog.start_button.click()
    assert dialog.run.is_running() or dialog.run.summary is not None  # (returned at once)
    qtbot.waitUntil(lambda: "finished" in dialog.status_label.text(), timeout=120_000)
    assert len(doc.results) == 4 and doc.active_id == source.id
    seeds = [r.panorama.metadata.seed for r in dialog.added]
    assert seeds == [8, 9, 10]
    for r in dialog.added:  # another seed, another scene, same size
        assert r.panorama.rgb.shape == source.panorama.rgb.shape
        assert not np.array_equal(r.panorama.rgb, source.panorama.rgb)
    assert [x["status"] for x in read_ledger(tmp_path) if "job" in x] == ["done"] * 3
    assert "3 added" in dialog.status_label.text()
    assert dialog.bar.value() == 3


def test_cancel_stops_within_a_job_and_keeps_what_finished(qtbot, doc, tmp_path):
    dialog = VariationsDialog(doc, doc.active.id, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.count.setValue(30)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.bar.value() >= 1, timeout=120_000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.run.summary is not None and not dialog.run.is_running(),
                    timeout=60_000)
    qtbot.waitUntil(lambda: "stopped" in dialog.status_label.text(), timeout=10_000)
    summary = dialog.run.summary
    assert summary.cancelled and 1 <= summary.status.done < 30
    assert len(dialog.added) == summary.status.done
    assert not (tmp_path / ".partial").exists()


def test_the_gallery_entry_names_the_action(doc):
    class Window:
        pass

    w = Window()
    w.doc = doc
    (text, slot), = gallery_actions(w, doc.active.id)
    assert text.startswith("Generate variations") and callable(slot)


def test_the_real_gallery_menu_offers_variations(make_window):
    w = make_window()
    made = workflows.generate("procedural", GenerationRequest(
        prompt="a misty forest", seed=7, width=64, height=32))
    result = w.doc.add_made(made)
    labels = [text for text, _ in w.gallery.extra_actions(result.id)]
    assert any(text.startswith("Generate variations") for text in labels), labels


def test_the_gallery_entry_opens_the_grid_without_blocking_the_window(make_window):
    w = make_window()
    made = workflows.generate("procedural", GenerationRequest(
        prompt="a misty forest", seed=7, width=64, height=32))
    result = w.doc.add_made(made)
    slot = next(s for text, s in w.gallery.extra_actions(result.id)
                if text.startswith("Generate variations"))
    slot()  # returns at once: the dialog is not modal
    dialog = w.variations_dialog
    assert dialog.isVisible() and not dialog.isModal()
    assert [t.seed for t in dialog.grid.filled()] == [7]  # the original, before any run
    dialog.close()
