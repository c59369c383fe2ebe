"""What the window loads before its first frame (issue 18 defect 13: cold start <= 2 s).

No timing here (``benchmarks/bench_ui_latency.py --startup-only`` prints the seconds): these
tests check the modules a fresh process has loaded when the window is built, and that the
depth histogram's plotting library follows once the window has been painted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: never at window start: the neural-model stack, Ray, the reference meshers
NEVER_AT_START = ("torch", "diffusers", "transformers", "accelerate", "ray", "open3d",
                  "trimesh")

pytestmark = pytest.mark.gl

SCRIPT = r"""
import json, sys, tempfile
from pathlib import Path
from app.window.app import make_application
app = make_application([])
from app.window.main_window import MainWindow
from app.window.preferences_store import WindowSettings, make_settings
tmp = Path(tempfile.mkdtemp())
w = MainWindow(settings=WindowSettings(make_settings(tmp / "s.ini")),
               recovery_root=tmp / "sessions")
out = {"built": sorted({m.split(".")[0] for m in sys.modules})}
out["plot_when_built"] = w.depth_panel._plot is not None
w.show()
from PySide6.QtCore import QDeadlineTimer, QEventLoop
deadline = QDeadlineTimer(20000)
while w.depth_panel._plot is None and not deadline.hasExpired():
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
out["plot_after_paint"] = w.depth_panel._plot is not None
out["shown"] = sorted({m.split(".")[0] for m in sys.modules})
lo, hi = w.depth_panel.region.getRegion()
out["region"] = [lo, hi]
w.shutdown()
print("RESULT " + json.dumps(out))
"""


def _run() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=180)
    line = next((x for x in res.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, res.stdout[-2000:] + res.stderr[-3000:]
    return json.loads(line[7:])


def test_window_start_loads_no_model_stack_and_the_histogram_after_the_first_paint():
    out = _run()
    built = set(out["built"])
    assert not built & set(NEVER_AT_START), sorted(built & set(NEVER_AT_START))
    # pyqtgraph (0.3-1 s of imports) is not needed to build the window...
    assert "pyqtgraph" not in built and not out["plot_when_built"]
    # ...and the histogram is there once the window has been painted
    assert out["plot_after_paint"] and "pyqtgraph" in set(out["shown"])
    assert not set(out["shown"]) & set(NEVER_AT_START)


def test_histogram_made_late_shows_what_the_panel_already_shows(qt_app):
    """Made after a result became active (or on first use), it shows that result."""
    from app.window.depth_panel import DepthPanel
    from app.window.document import Document
    from scene.testing.analytic import box_room

    panel = DepthPanel()
    doc = Document()
    panel.bind(doc)
    pano = box_room(128).panorama
    doc.add_result(pano, kind="imported")
    near, far = pano.near_far()
    assert panel._plot is None  # never painted: not made yet
    assert panel.near_spin.value() == pytest.approx(near, abs=0.01)
    lo, hi = panel.near_far()  # the region is asked for: made now, from the active result
    assert panel._plot is not None
    assert lo == pytest.approx(near, rel=1e-6) and hi == pytest.approx(far, rel=1e-6)
    _, counts = panel.curve.getData()
    assert counts is not None and float(counts.sum()) == pytest.approx(1.0, abs=1e-6)
    panel.deleteLater()
