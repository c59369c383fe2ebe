"""Files the system asks the running window to open (macOS Finder / Dock: QFileOpenEvent)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QFileOpenEvent

from scene.project import Project, Result, save_project
from scene.testing.analytic import box_room

pytestmark = pytest.mark.gl


def _project(path):
    pano = box_room(64).panorama
    save_project(path, Project(results=[Result(id="r1", kind="imported", panorama=pano)]))
    return path


def test_a_file_open_event_opens_the_project_even_before_the_window_exists(
        make_window, qt_app, tmp_path):
    from app.window.file_open_events import FileOpenHandler

    handler = FileOpenHandler()
    qt_app.installEventFilter(handler)
    try:
        first = _project(tmp_path / "first.panoforge")
        # At launch the event comes before the window: it waits for it.
        QCoreApplication.sendEvent(qt_app, QFileOpenEvent(str(first)))
        assert handler.pending == [first]
        w = make_window()
        handler.attach(w)
        assert w.doc.path == first and len(w.doc.results) == 1 and handler.pending == []
        # While running, a second file opens at once (as a file URL, as the Dock sends it).
        second = _project(tmp_path / "second.panoforge")
        QCoreApplication.sendEvent(qt_app, QFileOpenEvent(QUrl.fromLocalFile(str(second))))
        assert w.doc.path == second
    finally:
        qt_app.removeEventFilter(handler)
        handler.deleteLater()


def test_the_application_installs_one_handler(qt_app):
    from app.window.file_open_events import install_file_open_handler

    handler = install_file_open_handler(qt_app)
    try:
        assert install_file_open_handler(qt_app) is handler
    finally:
        qt_app.removeEventFilter(handler)
        handler.setParent(None)
        handler.deleteLater()
