"""About Panoforge: versions of Panoforge and its libraries, and the GPU torch finds."""

from __future__ import annotations

import threading

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["AboutDialog", "environment_report"]


def _dist_version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return "not installed"


def environment_report(probe_gpu: bool = True) -> list[tuple[str, str]]:
    """(name, value) rows: Panoforge and library versions, and the GPU torch finds.

    ``probe_gpu`` imports torch (seconds); the About dialog calls this on a thread.
    """
    from app.build_info import build_report

    # the same rows as `panoforge --version` (OpenGL is filled in below, from the context)
    rows = [(k, v) for k, v in build_report() if k != "OpenGL"]
    for dist in ("diffusers", "transformers", "PySide6-Essentials", "vispy",
                 "pyqtgraph", "numpy"):
        rows.append((dist.replace("-Essentials", ""), _dist_version(dist)))
    if probe_gpu:
        try:
            import torch

            if torch.cuda.is_available():
                gpu = ", ".join(torch.cuda.get_device_name(i)
                                for i in range(torch.cuda.device_count()))
            else:
                gpu = "none (CPU only)"
        except Exception as exc:
            gpu = f"unknown ({exc.__class__.__name__})"
        rows.append(("GPU", gpu))
    try:
        from vispy import gloo

        gl = gloo.gl
        rows.append(("OpenGL", f"{gl.glGetParameter(gl.GL_RENDERER)}, "
                               f"{gl.glGetParameter(gl.GL_VERSION)}"))
    except Exception:
        pass
    return rows


class AboutDialog(QDialog):
    """Versions of Panoforge, torch, diffusers and the GPU found (probed when opened)."""

    _ready = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Panoforge")
        lay = QVBoxLayout(self)
        title = QLabel("<h2>Panoforge</h2><p>Author immersive 360° scenes: prompt → RGBD "
                       "panorama → DepthFusion mesh → viewport, headset, GLB/PLY.</p>")
        title.setWordWrap(True)
        lay.addWidget(title)
        self.table = QTableWidget(0, 2)
        self.table.horizontalHeader().setVisible(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        lay.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(460, 380)
        self._fill(environment_report(probe_gpu=False) + [("GPU", "checking…")])
        self._ready.connect(self._fill)
        threading.Thread(target=self._probe, daemon=True).start()

    def _probe(self) -> None:
        rows = environment_report(True)  # imports torch: seconds, off the UI thread
        try:
            self._ready.emit(rows)
        except RuntimeError:  # the dialog was closed and deleted meanwhile
            pass

    def _fill(self, rows) -> None:
        self.rows = list(rows)
        self.table.setRowCount(len(rows))
        for i, (k, v) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(k))
            self.table.setItem(i, 1, QTableWidgetItem(v))
        self.table.resizeColumnToContents(0)
