"""Fixtures for the window tests: a real MainWindow on Xvfb + Mesa, never a modal dialog.

Every window gets its own QSettings ``.ini`` and sessions folder under ``tmp_path`` and a
:class:`AutoPrompter` that answers the window's questions at once and records them.
"""

from __future__ import annotations

import numpy as np
import pytest

from scene.depth import DepthInterpretation
from scene.panorama import RGBDPanorama


class AutoPrompter:
    """Answers like a user would, without dialogs; remembers what it was asked."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, BaseException]] = []
        self.asked: list[str] = []
        self.unsaved_answer = "discard"
        self.recovery_answer = "recover"   # or "discard" / "later"
        self.save_answer = ""
        self.open_answer = ""
        self.export_folder = None
        self.export_overrides: dict = {}
        self.import_answer = None
        self.offered: list = []

    def offer_recovery(self, parent, orphans):
        self.asked.append("recovery")
        self.offered = list(orphans)
        if self.recovery_answer == "recover":
            return list(orphans), []
        if self.recovery_answer == "discard":
            return [], list(orphans)
        return [], []

    def ask_unsaved(self, parent, title):
        self.asked.append("unsaved")
        return self.unsaved_answer

    def show_error(self, parent, title, exc):
        self.errors.append((title, exc))

    def open_path(self, parent, caption, folder, filters):
        self.asked.append("open")
        return self.open_answer

    def save_path(self, parent, caption, start, filters):
        self.asked.append("save")
        return self.save_answer

    def export_options(self, parent, defaults):
        self.asked.append("export")
        if self.export_folder is None:
            return None
        defaults.folder = self.export_folder
        for k, v in self.export_overrides.items():
            setattr(defaults, k, v)
        return defaults

    def import_options(self, parent, folder):
        self.asked.append("import")
        return self.import_answer


@pytest.fixture(scope="session")
def qt_app():
    """The QApplication as ``panoforge`` makes it (names, theme, vispy on PySide6)."""
    from app.window.app import make_application

    return make_application([])


@pytest.fixture
def make_window(qt_app, qtbot, tmp_path):
    """``make_window(**kwargs) -> MainWindow`` shown and exposed; closed after the test."""
    from app.window.main_window import MainWindow
    from app.window.settings import WindowSettings, make_settings

    windows = []

    def make(**kwargs):
        kwargs.setdefault("settings", WindowSettings(make_settings(tmp_path / "settings.ini")))
        kwargs.setdefault("prompter", AutoPrompter())
        kwargs.setdefault("recovery_root", tmp_path / "sessions")
        w = MainWindow(**kwargs)
        w.resize(1280, 800)
        w.show()
        qtbot.waitExposed(w)
        w.activateWindow()
        qtbot.waitUntil(lambda: w.isActiveWindow(), timeout=5000)  # shortcuts need focus
        windows.append(w)
        return w

    yield make
    for w in windows:
        if not w.closed:
            w.prompter.unsaved_answer = "discard"
            w.close()
        w.deleteLater()
    qt_app.processEvents()


def wait_mesh(qtbot, window, timeout=20000):
    """Wait until the viewport shows the mesh of the newest request."""
    qtbot.waitUntil(lambda: window.mesh_service.is_idle()
                    and window.scene_view.applied_seq == window.mesh_service.latest_seq
                    and window.current_mesh is not None, timeout=timeout)


def disparity_box_room(width: int = 256) -> tuple[RGBDPanorama, float, float]:
    """The analytic box room stored as normalised disparity (what LDM3D produces).

    Returns the panorama and the near/far (metres) that give back the exact distances.
    """
    from scene.analytic import box_room

    pano = box_room(width).panorama
    d = pano.distance.astype(np.float64)
    near, far = float(np.nanmin(d)), float(np.nanmax(d))
    disp = ((1.0 / d - 1.0 / far) / (1.0 / near - 1.0 / far)).astype(np.float32)
    interp = DepthInterpretation(kind="disparity", near=near, far=far, source="test disparity")
    return RGBDPanorama(rgb=pano.rgb, raw_depth=disp, interpretation=interp,
                        metadata=pano.metadata), near, far
