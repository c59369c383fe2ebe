"""The first-run tour: a short bubble pointing at each of the window's four panels in turn.

On the first start (the settings have no record of the tour) :func:`start_first_run_tour`
shows it; **Next** steps through Generate, the 3D view, Depth and the Gallery, **Skip** or
**Done** ends it and the settings remember that (``help/tour_done``), so it never comes back
by itself. **Help ▸ Tour** (:func:`start_tour`) shows it again at any time.

The tour is made of two child widgets of the main window, never a dialog: a frame drawn
around the panel of the step (it lets the mouse through) and the bubble with the text. It
blocks nothing, so a test (or a user) can go on using the window while it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["TOUR_STEPS", "TourStep", "Tour", "start_tour", "start_first_run_tour"]


@dataclass(frozen=True)
class TourStep:
    """One step: the panel's title, what to say, and the window attribute of its widget."""

    title: str
    text: str
    target: str


TOUR_STEPS = (
    TourStep("Generate", "Type what the place looks like, pick a style and a backend, then "
             "press Generate (Ctrl+Enter). Procedural needs no download.", "generate_dock"),
    TourStep("3D view", "Stand inside the result: drag to look around, the wheel zooms "
             "(30–120°), WASD moves you a little. The Panorama tab shows the flat image.",
             "tabs"),
    TourStep("Depth", "The histogram of distances in metres: drag the near/far handles to "
             "set the scale, cut depth jumps, choose full or adaptive mesh. Ctrl+Z undoes.",
             "depth_dock"),
    TourStep("Gallery", "Every result of the project. Click one to show it; \"Use these "
             "settings\" copies its prompt and seed back to Generate.", "gallery_dock"),
)

_MARGIN = 12


class Tour(QObject):
    """The tour over ``window``; :attr:`step` is the index into :data:`TOUR_STEPS`.

    Signals
    -------
    finished(bool)
        The tour ended: ``True`` when every step was seen (Done), ``False`` when skipped.
    """

    finished = Signal(bool)

    def __init__(self, window, steps=TOUR_STEPS) -> None:
        super().__init__(window)
        self.window = window
        self.steps = tuple(steps)
        self.step = 0
        self.highlight = QFrame(window)
        self.highlight.setObjectName("tourHighlight")
        self.highlight.setStyleSheet("#tourHighlight { border: 3px solid #f0a030; "
                                     "border-radius: 6px; background: transparent; }")
        self.highlight.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.bubble = QFrame(window)
        self.bubble.setObjectName("tourBubble")
        self.bubble.setFrameShape(QFrame.Shape.StyledPanel)
        self.bubble.setStyleSheet("#tourBubble { background: #2b2f36; border: 2px solid "
                                  "#f0a030; border-radius: 8px; }")
        self.bubble.setFixedWidth(300)
        col = QVBoxLayout(self.bubble)
        self.title_label = QLabel()
        self.title_label.setStyleSheet("font-weight: bold; font-size: 14px;")
        self.text_label = QLabel()
        self.text_label.setWordWrap(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        row = QHBoxLayout()
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("End the tour now (Help ▸ Tour shows it again)")
        self.skip_button.clicked.connect(self.skip)
        self.next_button = QPushButton("Next")
        self.next_button.setDefault(True)
        self.next_button.setToolTip("Go to the next panel")
        self.next_button.clicked.connect(self.next)
        row.addWidget(self.count_label, 1)
        row.addWidget(self.skip_button)
        row.addWidget(self.next_button)
        col.addWidget(self.title_label)
        col.addWidget(self.text_label)
        col.addLayout(row)
        window.installEventFilter(self)  # follow the window's size

    # -- what the tour shows --------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.bubble.isVisible()

    def target_widget(self) -> QWidget:
        """The panel the current step points at."""
        return getattr(self.window, self.steps[self.step].target)

    def target_rect(self) -> QRect:
        """The panel's rectangle in the window's coordinates (pixels)."""
        target = self.target_widget()
        top_left = target.mapTo(self.window, QPoint(0, 0))
        return QRect(top_left, target.size())

    def start(self, step: int = 0) -> None:
        self.step = step
        self._show_step()

    def next(self) -> None:
        if self.step + 1 >= len(self.steps):
            self._end(True)
            return
        self.step += 1
        self._show_step()

    def skip(self) -> None:
        self._end(False)

    # -- internals ------------------------------------------------------------------------
    def _show_step(self) -> None:
        step = self.steps[self.step]
        target = self.target_widget()
        if hasattr(target, "toggleViewAction") and not target.isVisible():
            target.show()  # a closed panel comes back for its step
        if hasattr(target, "raise_"):
            target.raise_()  # a tabbed dock (Depth shares its place with Props)
        self.title_label.setText(step.title)
        self.text_label.setText(step.text)
        self.count_label.setText(f"{self.step + 1} of {len(self.steps)}")
        last = self.step + 1 == len(self.steps)
        self.next_button.setText("Done" if last else "Next")
        self.next_button.setToolTip("End the tour" if last else "Go to the next panel")
        self._place()
        self.highlight.show()
        self.bubble.show()
        self.highlight.raise_()
        self.bubble.raise_()

    def _place(self) -> None:
        rect = self.target_rect()
        self.highlight.setGeometry(rect)
        self.bubble.adjustSize()
        bw, bh = self.bubble.width(), self.bubble.height()
        win = self.window.rect()
        centre = rect.center()
        if rect.width() < win.width() * 0.5 and centre.x() < win.center().x():
            pos = QPoint(rect.right() + _MARGIN, rect.top() + 3 * _MARGIN)   # left panel
        elif rect.width() < win.width() * 0.5 and centre.x() > win.center().x():
            pos = QPoint(rect.left() - bw - _MARGIN, rect.top() + 3 * _MARGIN)  # right
        elif rect.height() < win.height() * 0.5 and centre.y() > win.center().y():
            pos = QPoint(centre.x() - bw // 2, rect.top() - bh - _MARGIN)  # bottom panel
        else:
            pos = QPoint(centre.x() - bw // 2, centre.y() - bh // 2)  # the centre
        pos.setX(max(0, min(pos.x(), win.width() - bw)))
        pos.setY(max(0, min(pos.y(), win.height() - bh)))
        self.bubble.move(pos)

    def _end(self, done: bool) -> None:
        self.bubble.hide()
        self.highlight.hide()
        self.window.settings.set_tour_done(True)
        self.window.settings.sync()  # kept even if this session does not end cleanly
        self.finished.emit(done)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if obj is self.window and event.type() == QEvent.Type.Resize and self.active:
            self._place()
        return False


def start_tour(window, step: int = 0) -> Tour:
    """Show the tour over ``window`` from ``step`` (Help ▸ Tour); one tour per window."""
    tour = getattr(window, "tour", None)
    if tour is None:
        tour = Tour(window)
        window.tour = tour
    tour.start(step)
    return tour


def start_first_run_tour(window) -> Tour | None:
    """Start the tour when the settings have no record of it (the first start), else ``None``."""
    if window.settings.tour_done():
        return None
    return start_tour(window)
