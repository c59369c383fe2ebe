"""Files the operating system asks the running application to open (``QFileOpenEvent``).

On macOS, double-clicking a ``.panoforge`` file in the Finder, dropping one on the Dock icon
or choosing "Open With ▸ Panoforge" does not start a process with the path as an argument:
the system sends the running application a file-open event (the bundle declares the document
type, ``CFBundleDocumentTypes`` in ``packaging/panoforge.spec``). :class:`FileOpenHandler`
turns each such event into what dropping the file on the window does
(:meth:`app.window.files.FileControl.open_paths`: a project opens, an image is imported).
Events that arrive before the window exists (at launch) wait until it is attached.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject

__all__ = ["FileOpenHandler", "install_file_open_handler"]


class FileOpenHandler(QObject):
    """An event filter on the QApplication that opens the files the system hands over."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = None
        self.pending: list[Path] = []

    def attach(self, window) -> None:
        """Open in ``window`` from now on, starting with the files that already arrived."""
        self.window = window
        pending, self.pending = self.pending, []
        if pending:
            window.files.open_paths(pending)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.FileOpen:
            return False
        path = event.file() or event.url().toLocalFile()
        if not path:
            return False
        if self.window is None:
            self.pending.append(Path(path))
        else:
            self.window.files.open_paths([Path(path)])
        return True


def install_file_open_handler(app) -> FileOpenHandler:
    """The handler, installed on ``app`` (once; a second call returns the same one)."""
    handler = app.findChild(FileOpenHandler)
    if handler is None:
        handler = FileOpenHandler(app)
        app.installEventFilter(handler)
    return handler
