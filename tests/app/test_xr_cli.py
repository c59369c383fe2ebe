"""`panoforge xr` and the window's launcher on a machine with no OpenXR runtime.

The runtime itself is exercised against Monado in tests/renderers/xr/test_monado.py; here the
loader is pointed at a runtime manifest that does not exist, which is what a machine without
SteamVR/Quest Link/Monado/WMR looks like to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.xr_launcher import start_headset
from scene.depth import DepthInterpretation
from scene.project import Project, save_project
from scene.testing.analytic import box_room

REPO = Path(__file__).resolve().parents[2]
RUNTIMES = ("SteamVR", "Meta Quest Link", "Monado", "Windows Mixed Reality")
HEAVY = ("torch", "diffusers", "transformers", "PySide6", "vispy", "open3d", "pyqtgraph")


@pytest.fixture()
def no_runtime_env(tmp_path, monkeypatch):
    missing = str(tmp_path / "no-such-runtime.json")
    monkeypatch.setenv("XR_RUNTIME_JSON", missing)
    return dict(os.environ, XR_RUNTIME_JSON=missing)


@pytest.fixture()
def project(tmp_path):
    p = Project()
    p.add_result(box_room(64).panorama, kind="imported", label="room")
    path = tmp_path / "room.panoforge"
    save_project(path, p)
    return path


def _panoforge(args, env, code=None):
    snippet = code or "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", snippet, *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)


def test_help_names_the_controls_and_runtimes(no_runtime_env):
    res = _panoforge(["xr", "--help"], no_runtime_env)
    assert res.returncode == 0
    for word in ("thumbstick", "snap turn", "recentre", "--result", *RUNTIMES[:3]):
        assert word in res.stdout
    assert "--dump-eyes" not in res.stdout  # test-only options stay hidden


def test_no_runtime_is_one_message_exit_2_and_nothing_heavy_is_imported(no_runtime_env, project):
    code = ("import sys\nfrom app.cli import main\nrc = main(sys.argv[1:])\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\nsys.exit(rc)")
    res = _panoforge(["xr", str(project)], no_runtime_env, code)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 2, res.stderr
    assert lines[0].startswith("panoforge: error: no OpenXR runtime is running")
    assert all(name in lines[1] for name in RUNTIMES)
    assert "Traceback" not in res.stderr
    assert res.stdout.strip() == "[]"  # the XR process needs no torch, Qt or vispy


def test_bad_project_or_frames_are_reported_before_the_runtime(no_runtime_env, tmp_path, project):
    res = _panoforge(["xr", str(tmp_path / "nope.panoforge")], no_runtime_env)
    assert res.returncode == 2
    assert "does not exist" in res.stderr and "Traceback" not in res.stderr
    res = _panoforge(["xr", str(project), "--result", "r7"], no_runtime_env)
    assert res.returncode == 2 and "no result 'r7'" in res.stderr
    res = _panoforge(["xr", str(project), "--frames", "0"], no_runtime_env)
    assert res.returncode == 2 and "--frames" in res.stderr


def test_launcher_reports_a_missing_runtime_without_disturbing_the_caller(
        no_runtime_env, project, tmp_path):
    handle = start_headset(project, workdir=tmp_path / "xr")
    handle.process.wait(timeout=120)
    assert not handle.running
    assert handle.returncode == 2
    assert "no OpenXR runtime is running" in handle.output()
    assert handle.stop() == 2  # stopping an ended session is harmless
    assert handle.stop() == 2


def test_launcher_needs_a_saved_project(tmp_path):
    from scene.errors import InputError

    with pytest.raises(InputError):
        start_headset(tmp_path / "unsaved.panoforge", workdir=tmp_path / "xr")
    assert not (tmp_path / "xr").exists()


def test_launcher_control_file_carries_the_edits(no_runtime_env, project, tmp_path):
    handle = start_headset(project, result_id="r1", workdir=tmp_path / "xr")
    try:
        first = json.loads(handle.control_file.read_text())
        assert first == {"seq": 0, "result": "r1", "mirror": "xr-mirror.png"}
        interp = DepthInterpretation("disparity", near=0.5, far=40.0)
        handle.update(interpretation=interp)
        state = json.loads(handle.control_file.read_text())
        assert state == {"seq": 1, "result": "r1", "mirror": "xr-mirror.png",
                         "interpretation": interp.to_dict()}
        # Another result: the first one's interpretation is not carried over to it.
        handle.update(cut_threshold=0.1, result_id="r2")
        state = json.loads(handle.control_file.read_text())
        assert state == {"seq": 2, "result": "r2", "mirror": "xr-mirror.png",
                         "cut_threshold": 0.1}
        assert "--result" in handle.process.args and "r1" in handle.process.args
    finally:
        handle.stop()
    assert not handle.running


class _MirroringHeadset:
    """A launcher handle whose XR process 'draws' by writing the mirror file, as the real one
    does (renderers.xr.mirror), so the window's side is checked without a runtime."""

    def __init__(self, folder: Path) -> None:
        self.mirror_file = folder / "xr-mirror.png"
        self.reported = None
        self.stopped = False

    def status(self):
        return self.reported

    running = property(lambda self: not self.stopped)
    returncode = property(lambda self: None if not self.stopped else 0)

    def output(self):
        return ""

    def update(self, **kw):
        pass

    def stop(self, timeout=10.0):
        self.stopped = True
        return 0


def _write_png(path: Path, rgb) -> None:
    import numpy as np
    from PIL import Image

    img = np.zeros((120, 160, 3), np.uint8)
    img[:, :80] = rgb  # left half the colour, right half black: the aspect and side show
    tmp = path.with_name(".tmp.png")
    Image.fromarray(img).save(tmp)
    os.replace(tmp, path)


def test_the_window_mirrors_the_headset_view_while_a_session_runs(make_window, qtbot, tmp_path):
    w = make_window()
    handles = []

    class Launcher:
        def start_headset(self, path, result_id=None):
            handles.append(_MirroringHeadset(tmp_path))
            return handles[-1]

    w.headset._launcher = Launcher()
    first = w.doc.add_result(box_room(64).panorama, kind="imported")
    second = w.doc.add_result(box_room(48).panorama, kind="imported")
    w.doc.set_active(first.id)
    assert not w.headset_dock.isVisible()
    w.act_headset.trigger()  # unsaved: launched once its copy is written (off the GUI thread)
    qtbot.waitUntil(lambda: w.headset.running, timeout=20000)
    assert w.headset_dock.isVisible()
    mirror = w.headset.mirror
    assert mirror.image is None and "first frame" in mirror.text()
    _write_png(handles[0].mirror_file, (250, 20, 30))
    qtbot.waitUntil(lambda: mirror.frames == 1, timeout=5000)
    shown = mirror.pixmap().toImage()
    # Scaled to the dock with its aspect kept: the left quarter of the widget's picture is red.
    assert abs(shown.width() / shown.height() - 160 / 120) < 0.05
    left = shown.pixelColor(shown.width() // 4, shown.height() // 2)
    right = shown.pixelColor(3 * shown.width() // 4, shown.height() // 2)
    # (within the display's colour depth: Xvfb here is 16-bit)
    assert (left.red(), left.green(), left.blue()) == pytest.approx((250, 20, 30), abs=8)
    assert (right.red(), right.green(), right.blue()) == (0, 0, 0)
    # A new frame replaces it.
    _write_png(handles[0].mirror_file, (20, 200, 40))
    qtbot.waitUntil(lambda: mirror.frames == 2, timeout=5000)
    left = mirror.pixmap().toImage().pixelColor(shown.width() // 4, shown.height() // 2)
    assert (left.red(), left.green(), left.blue()) == pytest.approx((20, 200, 40), abs=8)
    # The headset says what it shows; a result picked there becomes the window's active one.
    handles[0].reported = {"result": first.id, "scale": 1.0}
    qtbot.waitUntil(lambda: w.headset_dock.windowTitle().endswith(f"{first.id} at 1\u00d7"),
                    timeout=5000)
    handles[0].reported = {"result": second.id, "scale": 2.0}
    qtbot.waitUntil(lambda: w.doc.active.id == second.id, timeout=5000)
    assert w.headset_dock.windowTitle().endswith(f"{second.id} at 2\u00d7")
    w.act_headset.trigger()  # stop: the dock goes
    assert handles[0].stopped and not w.headset_dock.isVisible()
    assert w.headset_dock.windowTitle() == "Headset view"
