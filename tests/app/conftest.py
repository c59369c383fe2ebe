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
        self.walkable_answer = None      # a WalkableChoices, or None = Cancel
        self.walkable_asked: list = []   # (defaults, fillers, auto_fill) per question
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

    def walkable_options(self, parent, defaults, fillers, auto_fill):
        self.asked.append("walkable")
        self.walkable_asked.append((defaults, fillers, auto_fill))
        return self.walkable_answer


@pytest.fixture(scope="session")
def qt_app():
    """The QApplication as ``panoforge`` makes it (names, theme, vispy on PySide6)."""
    from app.window.app import make_application

    return make_application([])


@pytest.fixture
def make_window(qt_app, qtbot, tmp_path):
    """``make_window(**kwargs) -> MainWindow`` shown and exposed; closed after the test."""
    from app.window.main_window import MainWindow
    from app.window.preferences_store import WindowSettings, make_settings

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
    # Collect the closed windows' cycles here, with no GL context drawing, instead of letting
    # a later test's paint event trigger the collection of another window's GL objects (a
    # segfault seen once in glCompileShader, "Garbage-collecting").
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    import gc

    gc.collect()
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
    from scene.testing.analytic import box_room

    pano = box_room(width).panorama
    d = pano.distance.astype(np.float64)
    near, far = float(np.nanmin(d)), float(np.nanmax(d))
    disp = ((1.0 / d - 1.0 / far) / (1.0 / near - 1.0 / far)).astype(np.float32)
    interp = DepthInterpretation(kind="disparity", near=near, far=far, source="test disparity")
    return RGBDPanorama(rgb=pano.rgb, raw_depth=disp, interpretation=interp,
                        metadata=pano.metadata), near, far


def generate_in_window(window, qtbot, backend: str, *, prompt: str, seed: int, width: int,
                       height: int, steps: int | None = None, guidance: float | None = None,
                       model=None, reuse: bool = False, timeout: int = 180000):
    """Generate through the real window's Generate panel, as a user would; the new Result.

    The window half of the window-vs-CLI test (``tests/app/test_front_ends_agree.py``): the
    settings are put into the panel's widgets, the Generate action runs the worker thread,
    and with ``reuse`` the seed is scrambled, "Use these settings" copies the first result's
    settings back and the action runs again (the result of that second run is returned).
    """
    gp = window.generate_panel
    gp.set_backend(backend)
    assert gp.backend_name == backend
    if model is not None:
        gp.choose_model_folder(str(model))
    gp.set_prompt(prompt)
    gp.set_size(width, height)
    if steps is not None:
        gp.steps_spin.setValue(steps)
    if guidance is not None:
        gp.guidance_spin.setValue(guidance)
    gp.seed_lock.setChecked(True)
    gp.seed_spin.setValue(seed)
    assert gp.seed_spin.value() == seed

    def run():
        with qtbot.waitSignal(window.generationEnded, timeout=timeout) as ended:
            window.act_generate.trigger()
        assert ended.args == ["finished"], window.prompter.errors
        return window.doc.active

    res = run()
    if reuse:
        gp.seed_lock.setChecked(False)
        gp.randomise_seed()
        gp.set_prompt("something else entirely")
        window.doc.set_active(res.id)
        window.act_use.trigger()  # Use These Settings
        assert gp.seed_spin.value() == seed and gp.seed_lock.isChecked()
        res = run()
    return res


def result_bytes(result) -> bytes:
    """A result as a one-result project file's bytes (id ``r1``): what the front-ends compare."""
    from scene.project import Project, project_to_bytes

    single = Project()
    single.add_result(result.panorama, kind=result.kind, label=result.label)
    return project_to_bytes(single)
