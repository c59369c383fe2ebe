"""Start the application: QApplication, theme, the main window, the event loop."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["after_start", "make_application", "run_app"]


def make_application(argv: list[str] | None = None):
    """The QApplication (created once), named so QSettings and AppDataLocation are ours."""
    from PySide6.QtWidgets import QApplication

    from scene.metadata import software_version

    from .preferences_store import APPLICATION, ORGANIZATION
    from .theme import apply_dark_theme

    app = QApplication.instance()
    if app is None:
        import vispy

        vispy.use("pyside6")
        app = QApplication(argv if argv is not None else sys.argv[:1])
    if app.property("panoforge_configured") is None:  # also an app made by someone else
        app.setProperty("panoforge_configured", True)
        app.setOrganizationName(ORGANIZATION)
        app.setApplicationName(APPLICATION)
        app.setApplicationDisplayName("Panoforge")
        app.setApplicationVersion(software_version())
        # the desktop entry (resources/desktop/panoforge.desktop) and its icon set
        from PySide6.QtGui import QIcon

        from resources import ICON_SIZES, icon_path

        app.setDesktopFileName("panoforge")
        icon = QIcon()
        for size in ICON_SIZES:
            icon.addFile(str(icon_path(size)))
        app.setWindowIcon(icon)
        apply_dark_theme(app)
    return app


def run_app(project: str | None = None, check_recovery: bool = True) -> int:
    """Open the window (and ``project``), run the event loop, return the exit code."""
    from PySide6.QtCore import QTimer

    app = make_application()
    from .file_open_events import install_file_open_handler
    from .main_window import MainWindow

    opener = install_file_open_handler(app)  # macOS: Finder / Dock open requests
    window = MainWindow()
    window.show()
    opener.attach(window)
    if project:
        QTimer.singleShot(0, lambda: window.files.open_paths([Path(project)]))
    QTimer.singleShot(50, lambda: after_start(window, check_recovery))
    return int(app.exec())


def after_start(window, check_recovery: bool = True):
    """What follows the first frame: offer to recover a crashed session, then, on the very
    first start, the tour of the panels (:mod:`app.window.tour`; after recovery, so the two
    never overlap). Returns the tour, or ``None`` when it was done or skipped before."""
    if check_recovery:
        window.files.check_recovery()
    from .tour import start_first_run_tour

    return start_first_run_tour(window)
