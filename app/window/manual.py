"""Help ▸ Manual: the user guide shipped with Panoforge, shown inside the window.

The guide is ``resources/manual/manual.md``, package data like the presets and icons (in the
wheel through ``[tool.setuptools.package-data]``, in the desktop bundle through the spec's
``collect_data_files("resources")``), read with :mod:`importlib.resources`. It is shown in a
:class:`QTextBrowser` (Qt renders Markdown itself), so it works offline and needs no browser.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

__all__ = ["MANUAL_PARTS", "ManualViewer", "manual_markdown", "show_manual"]

#: where the guide lives under ``resources/``
MANUAL_PARTS = ("manual", "manual.md")


def manual_markdown() -> str:
    """The user guide's Markdown text (UTF-8), from the installed package's resources."""
    from resources import resource

    return resource(*MANUAL_PARTS).read_text(encoding="utf-8")


class ManualViewer(QDialog):
    """A non-modal window with the guide (``browser``: its :class:`QTextBrowser`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("manualViewer")
        self.setWindowTitle("Panoforge user guide")
        self.setModal(False)
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)
        lay = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setObjectName("manualText")
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(manual_markdown())
        lay.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay.addWidget(buttons)
        self.resize(760, 820)


def show_manual(window: QWidget) -> ManualViewer:
    """Show the guide next to ``window`` (one viewer per window, brought to the front)."""
    viewer = getattr(window, "manual_viewer", None)
    if viewer is None:
        viewer = ManualViewer(window)
        window.manual_viewer = viewer
    viewer.show()
    viewer.raise_()
    viewer.activateWindow()
    return viewer
