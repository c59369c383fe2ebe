"""The Render This View dialog: the image's width and height (with common sizes) and its file.

:class:`RenderViewChoices` is what it answers; :func:`ask_render_options` shows it modally
(the window asks through its prompter, so tests never get here).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

__all__ = ["RenderViewChoices", "RenderViewDialog", "ask_render_options", "DEFAULT_SIZE",
           "SIZE_PRESETS", "MAX_SIDE"]

#: The size offered first, pixels.
DEFAULT_SIZE = (1920, 1080)
#: Sizes in the dialog's list.
SIZE_PRESETS = ((1280, 720), (1920, 1080), (2560, 1440), (3840, 2160), (1080, 1080),
                (1080, 1920))
#: Largest width or height the dialog accepts (the offscreen limit at 2x supersampling).
MAX_SIDE = 8192


@dataclass
class RenderViewChoices:
    """What the Render This View dialog asks.

    Attributes
    ----------
    path : str
        The image to write (``.png``; ``.jpg`` also works).
    width, height : int
        Pixels.
    """

    path: str
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]


class RenderViewDialog(QDialog):
    """Width, height (with a list of common sizes) and the file to write."""

    def __init__(self, defaults: RenderViewChoices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Render This View")
        form = QFormLayout(self)
        self.preset = QComboBox()
        self.preset.setToolTip("Common image sizes; or type the width and height below")
        self.preset.addItem("Custom", "")
        for w, h in SIZE_PRESETS:
            self.preset.addItem(f"{w} × {h}", f"{w}x{h}")  # text: Qt keeps it as given
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        form.addRow("Size", self.preset)
        self.width = QSpinBox(minimum=16, maximum=MAX_SIDE, value=defaults.width, suffix=" px")
        self.width.setToolTip("Width of the image in pixels; the field of view (the readout's "
                              "FOV) spans it")
        self.height = QSpinBox(minimum=16, maximum=MAX_SIDE, value=defaults.height,
                               suffix=" px")
        self.height.setToolTip("Height of the image in pixels (the vertical view follows from "
                               "the width, the height and the horizontal FOV)")
        form.addRow("Width", self.width)
        form.addRow("Height", self.height)
        row = QHBoxLayout()
        self.path_edit = QLineEdit(defaults.path)
        self.path_edit.setToolTip("The PNG (or JPEG) to write; it appears only when complete")
        browse = QPushButton("…")
        browse.setToolTip("Choose the file")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Render")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._sync_preset()
        self.width.valueChanged.connect(self._sync_preset)
        self.height.valueChanged.connect(self._sync_preset)

    def _sync_preset(self, *_args) -> None:
        """Show the typed size in the list (or Custom)."""
        i = self.preset.findData(f"{self.width.value()}x{self.height.value()}")
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(max(i, 0))
        self.preset.blockSignals(False)

    def _preset_chosen(self, _i: int) -> None:
        size = self.preset.currentData()
        if size:
            w, h = (int(v) for v in size.split("x"))
            self.width.setValue(w)
            self.height.setValue(h)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Render this view to", self.path_edit.text(),
                                              "PNG image (*.png);;JPEG image (*.jpg *.jpeg)")
        if path:
            self.path_edit.setText(path)

    def choices(self) -> RenderViewChoices:
        return RenderViewChoices(path=self.path_edit.text().strip(), width=self.width.value(),
                                 height=self.height.value())


def ask_render_options(parent, defaults: RenderViewChoices) -> RenderViewChoices | None:
    """The dialog, modal; ``None`` when cancelled."""
    dlg = RenderViewDialog(defaults, parent)
    return dlg.choices() if dlg.exec() == QDialog.DialogCode.Accepted else None
