"""A calm dark theme: Fusion style, a dark palette and a few stylesheet touches."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["apply_dark_theme", "ACCENT"]

ACCENT = QColor(255, 176, 64)

_STYLE = """
QMainWindow::separator { background: #26282c; width: 4px; height: 4px; }
QDockWidget { titlebar-close-icon: none; font-weight: 600; }
QDockWidget::title { background: #2b2d31; padding: 5px 8px; }
QGroupBox { border: 1px solid #3a3d42; border-radius: 5px; margin-top: 14px; padding-top: 6px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; color: #b9bcc2; }
QLabel#hint { color: #9a9ea6; font-size: 11px; }
QLabel#sectionLabel { color: #b9bcc2; }
QLabel#preview { background: #1b1c1f; border: 1px solid #33363b; border-radius: 4px;
                 color: #6b6f76; }
QPushButton { padding: 5px 12px; border-radius: 4px; background: #3a3d43;
              border: 1px solid #4a4e55; }
QPushButton:hover { background: #44484f; }
QPushButton:disabled { color: #70747b; background: #303236; }
QPushButton#primary { background: #c9821e; border-color: #e09a34; color: #15120c;
                      font-weight: 700; }
QPushButton#primary:hover { background: #dd9330; }
QPushButton#primary:disabled { background: #5a4a33; color: #8d8472; }
QToolButton { padding: 3px 6px; border-radius: 3px; }
QToolButton#seedLock:checked { background: #c9821e; border: 1px solid #e09a34; color: #15120c;
                               font-weight: 700; }
QProgressBar { border: 1px solid #3a3d42; border-radius: 4px; text-align: center;
               background: #1e1f22; min-height: 18px; }
QProgressBar::chunk { background: #c9821e; border-radius: 3px; }
QListWidget { background: #1e1f22; border: none; }
QListWidget::item { color: #c9ccd2; border-radius: 4px; padding: 3px; }
QListWidget::item:selected { background: #4a3a22; border: 1px solid #e09a34; }
QStatusBar { background: #222327; color: #a9adb4; }
QStatusBar QLabel { padding: 0 8px; }
QTabWidget::pane { border: none; }
QTabBar::tab { padding: 5px 14px; background: #2b2d31; color: #a9adb4; }
QTabBar::tab:selected { background: #37393e; color: #e8e9eb; }
"""


def apply_dark_theme(app: QApplication) -> None:
    """Fusion with a dark palette and the stylesheet above."""
    app.setStyle("Fusion")
    pal = QPalette()
    base = QColor(30, 31, 34)
    window = QColor(43, 45, 49)
    text = QColor(225, 227, 230)
    pal.setColor(QPalette.ColorRole.Window, window)
    pal.setColor(QPalette.ColorRole.WindowText, text)
    pal.setColor(QPalette.ColorRole.Base, base)
    pal.setColor(QPalette.ColorRole.AlternateBase, window)
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor(50, 52, 57))
    pal.setColor(QPalette.ColorRole.ToolTipText, text)
    pal.setColor(QPalette.ColorRole.Text, text)
    pal.setColor(QPalette.ColorRole.Button, QColor(55, 58, 63))
    pal.setColor(QPalette.ColorRole.ButtonText, text)
    pal.setColor(QPalette.ColorRole.BrightText, QColor(255, 90, 90))
    pal.setColor(QPalette.ColorRole.Highlight, QColor(201, 130, 30))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor(20, 18, 12))
    pal.setColor(QPalette.ColorRole.Link, ACCENT)
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(120, 124, 131))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(115, 118, 125))
    app.setPalette(pal)
    app.setStyleSheet(_STYLE)
