"""A generation's live progress: a bar with step/total and ETA, what is happening, the preview."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from models.base import Progress

from .images import to_pixmap

__all__ = ["ProgressView", "format_eta"]


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

    def set_running(self, running: bool, message: str = "") -> None:
        """Busy until the first report; idle again with ``message`` ("Done in 3 s", "Failed")."""
        if running:
            self.progress_bar.setRange(0, 0)
            self.progress_bar.setFormat("Starting…")
            self.preview_label.setText("Live preview")
        else:
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat(message or "Idle")
        self.status_label.setText("")

    def show_progress(self, p: Progress) -> None:
        """Show one report: step/total, ETA, what is happening, the preview image."""
        total = max(1, int(p.total))
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(min(int(p.step), total))
        eta = f" — ETA {format_eta(p.eta_s)}" if p.step > 0 and p.step < total else ""
        self.progress_bar.setFormat(f"{p.step}/{total}{eta}")
        if p.message:
            self.status_label.setText(f"{p.message} ({format_eta(p.elapsed_s)} elapsed)")
        if p.preview is not None:
            w = max(120, self.preview_label.width() - 4)
            self.preview_label.setPixmap(to_pixmap(p.preview, w, w // 2 + 40))
