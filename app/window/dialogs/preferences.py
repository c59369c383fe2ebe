"""Preferences: default backend, device, local model folders, the models and their licences."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["PreferencesDialog"]


class PreferencesDialog(QDialog):
    """Default backend, local model folders, device."""

    def __init__(self, settings, parent: QWidget | None = None) -> None:
        from models.registry import list_backends

        from ..preferences_store import DEVICES

        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.backend_combo = QComboBox()
        for info in list_backends():
            if info.kind == "text":
                self.backend_combo.addItem(info.label, info.name)
        idx = self.backend_combo.findData(settings.default_backend() or "procedural")
        self.backend_combo.setCurrentIndex(max(0, idx))
        self.backend_combo.setToolTip("The backend the Generate panel starts with")
        form.addRow("Default backend", self.backend_combo)
        self.device_combo = QComboBox()
        self.device_combo.addItems(list(DEVICES))
        self.device_combo.setCurrentText(settings.device())
        self.device_combo.setToolTip("Where the models run: auto (a GPU if there is one), cpu or cuda")
        form.addRow("Device", self.device_combo)
        lay.addLayout(form)
        box = QGroupBox("Local model folders (diffusers layout)")
        grid = QFormLayout(box)
        self.folder_edits: dict[str, QLineEdit] = {}
        folders = settings.model_folders()
        for info in list_backends():
            if not info.needs_weights:
                continue
            row = QHBoxLayout()
            edit = QLineEdit(folders.get(info.name, ""))
            edit.setPlaceholderText("Hugging Face cache")
            edit.setToolTip(f"Folder with the {info.name} weights (empty: the Hugging Face cache)")
            pick = QToolButton()
            pick.setText("…")
            pick.setToolTip(f"Choose the folder with the {info.name} weights")
            pick.clicked.connect(lambda _=False, e=edit: self._pick(e))
            row.addWidget(edit, 1)
            row.addWidget(pick)
            grid.addRow(info.name, row)
            self.folder_edits[info.name] = edit
        lay.addWidget(box)
        from ..models_page import ModelsPage

        models_box = QGroupBox("Models: installed, missing, damaged; licences")
        self.models_page = ModelsPage(models_box)
        QVBoxLayout(models_box).addWidget(self.models_page)
        lay.addWidget(models_box, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def _pick(self, edit: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder", edit.text())
        if folder:
            edit.setText(folder)

    def apply(self) -> None:
        """Write the choices to the settings."""
        self.settings.set_default_backend(str(self.backend_combo.currentData()))
        self.settings.set_device(self.device_combo.currentText())
        for name, edit in self.folder_edits.items():
            self.settings.set_model_folder(name, edit.text().strip())
