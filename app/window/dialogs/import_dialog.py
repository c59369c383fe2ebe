"""The Import dialog: it answers a :class:`models.import_source.ImportRequest`.

The request is the one the command line's ``panoforge import`` builds, so both front-ends
import through :func:`app.workflows.import_panorama`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .file_filters import IMAGE_FILTER

__all__ = ["ImportDialog"]


class ImportDialog(QDialog):
    """An RGB panorama, optionally its depth map and how to read it."""

    def __init__(self, folder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import panorama")
        self._folder = folder
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.rgb_edit, rgb_row = self._file_row("Panorama image")
        self.depth_edit, depth_row = self._file_row("Depth map (optional)")
        form.addRow("Panorama", rgb_row)
        form.addRow("Depth", depth_row)
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("Suggest from the file", None)
        for k, label in (("disparity", "Disparity (1 = near)"), ("zdepth", "Z-depth (planar)"),
                         ("distance", "Distance (radial)")):
            self.kind_combo.addItem(label, k)
        self.kind_combo.setToolTip("What the depth map's values mean (disparity, z-depth or distance)")
        form.addRow("Depth is", self.kind_combo)
        self.near_spin = QDoubleSpinBox()
        self.far_spin = QDoubleSpinBox()
        for s, v in ((self.near_spin, 1.0), (self.far_spin, 40.0)):
            s.setRange(0.01, 100000.0)
            s.setSuffix(" m")
            s.setValue(v)
            s.setToolTip("Distance of the nearest / farthest disparity value, in metres")
        nf = QHBoxLayout()
        nf.addWidget(self.near_spin)
        nf.addWidget(QLabel("to"))
        nf.addWidget(self.far_spin)
        form.addRow("Near / far", nf)
        self.fit_combo = QComboBox()
        self.fit_combo.addItem("Refuse if not 2:1", "error")
        self.fit_combo.addItem("Pad to 2:1", "pad")
        self.fit_combo.addItem("Crop to 2:1", "crop")
        self.fit_combo.setToolTip("What to do with an image that is not twice as wide as high")
        form.addRow("Not 2:1?", self.fit_combo)
        lay.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(520, 0)

    def _file_row(self, caption: str):
        row = QHBoxLayout()
        edit = QLineEdit()
        pick = QPushButton("Browse…")
        edit.setToolTip(f"{caption}: path of the file")
        pick.setToolTip(f"Choose the {caption[0].lower()}{caption[1:]} file")

        def choose():
            path, _ = QFileDialog.getOpenFileName(self, caption, self._folder, IMAGE_FILTER)
            if path:
                edit.setText(path)

        pick.clicked.connect(choose)
        row.addWidget(edit, 1)
        row.addWidget(pick)
        return edit, row

    def _accept_if_valid(self) -> None:
        if not Path(self.rgb_edit.text()).is_file():
            QMessageBox.warning(self, "Import", "Choose the panorama image file.")
            return
        self.accept()

    def options(self):
        """The :class:`models.import_source.ImportRequest` for the dialog's choices."""
        from models.import_source import ImportRequest

        depth = self.depth_edit.text().strip()
        kind = self.kind_combo.currentData()
        return ImportRequest(
            rgb_path=Path(self.rgb_edit.text()), depth_path=Path(depth) if depth else None,
            kind=kind, near=self.near_spin.value() if kind == "disparity" else None,
            far=self.far_spin.value() if kind == "disparity" else None,
            fit=str(self.fit_combo.currentData()),
        )
