"""A generation's live progress: a bar with step/total and ETA, what is happening, the preview.

Between reports (a stage can take seconds) a timer keeps the elapsed time running and the
ETA counting down. The ETA is shown from the second finished step on: the first step of
every backend is set-up (building the scene, loading the model), far cheaper or dearer than
the rest, so an ETA extrapolated from it alone ("1/5 — ETA 0 s" on a 9 s job) misleads.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from models.base import Progress

from .images import to_pixmap

__all__ = ["ProgressView", "format_eta", "TICK_MS", "ETA_FROM_STEP"]

#: How often the elapsed time and the ETA are redrawn while a generation runs (ms).
TICK_MS = 250
#: The first finished step from which an ETA is shown (see the module docstring).
ETA_FROM_STEP = 2


def format_eta(seconds: float) -> str:
    """``"42 s"``, ``"3 min 05 s"``."""
    s = max(0, int(round(seconds)))
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60:02d} s"


class ProgressView(QWidget):
    """The progress bar, a status line and the live preview image under the Generate button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("Idle")
        self.progress_bar.setTextVisible(True)
        lay.addWidget(self.progress_bar)
        self.status_label = QLabel("")
        self.status_label.setObjectName("hint")
        lay.addWidget(self.status_label)
        self.preview_label = QLabel()
        self.preview_label.setObjectName("preview")
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_label.setMinimumHeight(100)
        self.preview_label.setText("Live preview")
        lay.addWidget(self.preview_label)
        self._last: Progress | None = None
        self._t0 = self._t_report = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._redraw)

    def set_running(self, running: bool, message: str = "") -> None:
        """Busy until the first report; idle again with ``message`` ("Done in 3 s", "Failed")."""
        self._last = None
        if running:
            self._t0 = time.monotonic()
            self._timer.start()
            self.progress_bar.setRange(0, 0)
            self.progress_bar.setFormat("Starting…")
            self.preview_label.setText("Live preview")
        else:
            self._timer.stop()
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat(message or "Idle")
        self.status_label.setText("")

    def show_progress(self, p: Progress) -> None:
        """Show one report: step/total, ETA, what is happening, the preview image."""
        self._last, self._t_report = p, time.monotonic()
        self._redraw()
        if p.preview is not None:
            w = max(120, self.preview_label.width() - 4)
            self.preview_label.setPixmap(to_pixmap(p.preview, w, w // 2 + 40))

    def _redraw(self) -> None:
        """The bar and the status line for the last report, at the current time."""
        p = self._last
        if p is None:
            return
        now = time.monotonic()
        total = max(1, int(p.total))
        step = min(int(p.step), total)
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(step)
        eta = ""
        if ETA_FROM_STEP <= step < total:
            left = p.eta_s - (now - self._t_report)
            eta = f" — ETA {format_eta(left)}" if left >= 0.5 else " — finishing…"
        self.progress_bar.setFormat(f"{step}/{total}{eta}")
        if p.message:
            # the window's own clock: it runs on between reports
            elapsed = max(p.elapsed_s, now - self._t0)
            self.status_label.setText(f"{p.message} ({format_eta(elapsed)} elapsed)")
