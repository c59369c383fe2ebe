"""Compare two results with a split slider, like an image-comparison slider.

:class:`SplitImage` draws two panoramas into one and the same 2:1 rectangle, so pixel (u, v)
of the left one sits exactly where (u, v) of the right one is; left of the split line the
widget shows result A, right of it result B. Dragging (or clicking) anywhere on it moves the
split, and so do the arrow keys and the slider under it.

:class:`CompareView` is that image with a row of controls (which result goes left and right,
Swap, Close). Opened from the gallery ("Compare…", a thumbnail's "Compare with …") or View ▸
Compare Results, it becomes the "Compare" tab of the window's centre and takes the focus;
Close (or Esc) removes the tab and goes back to the tab that was shown. It follows the
document: a renamed result is renamed in its lists, a deleted one leaves the comparison (which
closes when fewer than two results are left), and a new document closes it.

Display only: each panorama is shown at most :data:`DISPLAY_WIDTH` pixels wide (every n-th
pixel, no filtering) and scaled smoothly to the rectangle.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from .document import DocumentView
from .images import to_qimage

__all__ = ["SplitImage", "CompareView", "DISPLAY_WIDTH", "SLIDER_STEPS"]

DISPLAY_WIDTH = 2048
SLIDER_STEPS = 1000
_BACKGROUND = QColor(24, 25, 28)


def _display_pixmap(rgb: np.ndarray) -> QPixmap:
    step = max(1, rgb.shape[1] // DISPLAY_WIDTH)
    return QPixmap.fromImage(to_qimage(np.ascontiguousarray(rgb[::step, ::step])))


class SplitImage(QWidget):
    """Two equally sized images, A left of a movable vertical split and B right of it.

    Signals
    -------
    splitChanged(float)
        The split moved: its place as a fraction of the image's width (0 = all B, 1 = all A).
    """

    splitChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareImage")
        self.setMinimumSize(240, 120)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.SplitHCursor)
        self.setToolTip("Drag (or click) to move the split: result A shows left of it, "
                        "B right of it. ← and → move it too.")
        self._pix: list[QPixmap | None] = [None, None]
        self._scaled: dict[tuple[int, int, int], QPixmap] = {}
        self._split = 0.5

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(800, 400)

    # -- state ----------------------------------------------------------------------------
    def set_images(self, a_rgb: np.ndarray | None, b_rgb: np.ndarray | None) -> None:
        """Show ``a_rgb`` left and ``b_rgb`` right ((H, W, 3) uint8 each; ``None``: empty)."""
        self._pix = [_display_pixmap(x) if x is not None else None for x in (a_rgb, b_rgb)]
        self._scaled.clear()
        self.update()

    @property
    def split(self) -> float:
        """The split's place, a fraction of the image's width."""
        return self._split

    def set_split(self, fraction: float) -> None:
        f = float(min(1.0, max(0.0, fraction)))
        if f == self._split:
            return
        self._split = f
        self.update()
        self.splitChanged.emit(f)

    def image_rect(self) -> QRect:
        """Where both images are drawn: the largest 2:1 rectangle, centred."""
        w = min(self.width(), 2 * self.height())
        h = w // 2
        w = 2 * h
        return QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def split_x(self) -> int:
        """The split's widget column: columns left of it show A."""
        r = self.image_rect()
        return r.left() + round(self._split * r.width())

    # -- drawing --------------------------------------------------------------------------
    def _fitted(self, which: int, rect: QRect) -> QPixmap | None:
        pix = self._pix[which]
        if pix is None:
            return None
        key = (which, rect.width(), rect.height())
        if key not in self._scaled:
            self._scaled = {k: v for k, v in self._scaled.items() if k[1:] == key[1:]}
            self._scaled[key] = pix.scaled(rect.size(), Qt.AspectRatioMode.IgnoreAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)
        return self._scaled[key]

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), _BACKGROUND)
        rect = self.image_rect()
        if rect.width() <= 0:
            return
        x = self.split_x()
        for which, clip in ((0, QRect(rect.left(), rect.top(), x - rect.left(), rect.height())),
                            (1, QRect(x, rect.top(), rect.right() + 1 - x, rect.height()))):
            pix = self._fitted(which, rect)
            if pix is None or clip.width() <= 0:
                continue
            p.save()
            p.setClipRect(clip)
            p.drawPixmap(rect.topLeft(), pix)
            p.restore()
        # the handle: a thin line with a grip in the middle
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(QColor(255, 255, 255, 220), 2))
        p.drawLine(x, rect.top(), x, rect.bottom())
        mid = rect.center().y()
        p.setBrush(QColor(40, 42, 48, 230))
        p.drawEllipse(x - 9, mid - 9, 18, 18)
        p.setPen(QColor(235, 235, 240))
        for label, align, x0 in (("A", Qt.AlignmentFlag.AlignLeft, rect.left() + 6),
                                 ("B", Qt.AlignmentFlag.AlignRight, rect.right() - 26)):
            p.drawText(QRect(x0, rect.top() + 4, 20, 16), align, label)

    # -- input ----------------------------------------------------------------------------
    def _move_to(self, x: float) -> None:
        r = self.image_rect()
        if r.width() > 0:
            self.set_split((x - r.left()) / r.width())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._move_to(event.position().x())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._move_to(event.position().x())

    def keyPressEvent(self, event) -> None:  # noqa: N802
        step = {Qt.Key.Key_Left: -0.02, Qt.Key.Key_Right: 0.02}.get(event.key())
        if step is None:
            super().keyPressEvent(event)
            return
        self.set_split(self._split + step)


class CompareView(DocumentView, QWidget):
    """Two results side by side with a split slider, shown as a tab of ``tabs``.

    Parameters
    ----------
    tabs : QTabWidget
        The window's centre; :meth:`open` adds the "Compare" tab, :meth:`close_compare`
        removes it and shows the tab that was current before.
    """

    closed = Signal()

    def __init__(self, tabs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CompareView")
        self._tabs = tabs
        self._back_to = None
        self._ids = ("", "")
        col = QVBoxLayout(self)
        col.setContentsMargins(6, 6, 6, 6)
        row = QHBoxLayout()
        self.combo_a = QComboBox()
        self.combo_a.setToolTip("Result A: shown left of the split")
        self.combo_b = QComboBox()
        self.combo_b.setToolTip("Result B: shown right of the split")
        for combo in (self.combo_a, self.combo_b):
            combo.setMinimumContentsLength(18)
            combo.activated.connect(lambda _i: self._on_combo())
        self.swap_button = QPushButton("Swap")
        self.swap_button.setToolTip("Put B on the left and A on the right")
        self.swap_button.clicked.connect(lambda: self.open(self._ids[1], self._ids[0]))
        self.close_button = QPushButton("Close Compare")
        self.close_button.setToolTip("Leave the comparison and go back to the view you had "
                                     "(Esc)")
        self.close_button.clicked.connect(self.close_compare)
        row.addWidget(QLabel("A (left)"))
        row.addWidget(self.combo_a, 1)
        row.addWidget(self.swap_button)
        row.addWidget(QLabel("B (right)"))
        row.addWidget(self.combo_b, 1)
        row.addWidget(self.close_button)
        col.addLayout(row)
        self.image = SplitImage()
        col.addWidget(self.image, 1)
        bottom = QHBoxLayout()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("compareSplit")
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setValue(SLIDER_STEPS // 2)
        self.slider.setToolTip("Split: how much of the width shows result A (left)")
        self.slider.valueChanged.connect(lambda v: self.image.set_split(v / SLIDER_STEPS))
        self.image.splitChanged.connect(self._on_split)
        self.split_label = QLabel("50 %")
        bottom.addWidget(QLabel("Split"))
        bottom.addWidget(self.slider, 1)
        bottom.addWidget(self.split_label)
        col.addLayout(bottom)
        self.hide()

    # -- what the window calls --------------------------------------------------------------
    @property
    def ids(self) -> tuple[str, str]:
        """The compared results' ids (left, right); ``("", "")`` when closed."""
        return self._ids

    @property
    def is_open(self) -> bool:
        return self._tabs.indexOf(self) >= 0

    def open(self, a_id: str, b_id: str) -> None:
        """Compare result ``a_id`` (left) with ``b_id`` (right) and show the Compare tab."""
        if self.doc is None:
            return
        a, b = self.doc.result(a_id), self.doc.result(b_id)  # KeyError: no such result
        self._ids = (a.id, b.id)
        self.image.set_images(a.panorama.rgb, b.panorama.rgb)
        self._fill_combos()
        if not self.is_open:
            current = self._tabs.currentWidget()
            self._back_to = current if current is not self else None
            self._tabs.addTab(self, "Compare")
            self._tabs.setTabToolTip(self._tabs.indexOf(self), "Two results side by side")
        self._tabs.setCurrentWidget(self)
        self.image.setFocus()

    def close_compare(self) -> None:
        """Leave the comparison; the tab shown before comes back."""
        if not self.is_open:
            return
        self._tabs.removeTab(self._tabs.indexOf(self))
        self.hide()
        if self._back_to is not None and self._tabs.indexOf(self._back_to) >= 0:
            self._tabs.setCurrentWidget(self._back_to)
        self._back_to = None
        self._ids = ("", "")
        self.closed.emit()

    # -- the document ---------------------------------------------------------------------
    def document_events(self) -> dict:
        return {"resultsChanged": self._on_results_changed,
                "resultInfoChanged": lambda _rid: self._fill_combos()}

    def catch_up(self) -> None:
        self.close_compare()  # another document: nothing of the old one to compare

    def _on_results_changed(self) -> None:
        if not self.is_open:
            return
        ids = [r.id for r in self.doc.results]
        a, b = self._ids
        if a in ids and b in ids:
            self._fill_combos()
            return
        rest = [i for i in ids if i not in (a, b)]
        keep = [i for i in (a, b) if i in ids] + rest
        if len(keep) < 2:
            self.close_compare()
        else:
            self.open(keep[0], keep[1])

    # -- controls -------------------------------------------------------------------------
    def _fill_combos(self) -> None:
        if self.doc is None:
            return
        for combo, rid in ((self.combo_a, self._ids[0]), (self.combo_b, self._ids[1])):
            combo.blockSignals(True)
            combo.clear()
            for r in self.doc.results:
                combo.addItem(f"{r.id} · {self.doc.label_of(r)}", r.id)
            combo.setCurrentIndex(max(0, combo.findData(rid)))
            combo.blockSignals(False)

    def _on_combo(self) -> None:
        a, b = str(self.combo_a.currentData() or ""), str(self.combo_b.currentData() or "")
        if a and b:
            self.open(a, b)

    def _on_split(self, fraction: float) -> None:
        value = round(fraction * SLIDER_STEPS)
        if self.slider.value() != value:
            self.slider.blockSignals(True)
            self.slider.setValue(value)
            self.slider.blockSignals(False)
        self.split_label.setText(f"{100 * fraction:.0f} %")

    def event(self, event) -> bool:
        # Esc here closes the tab, even while a generation runs: the window's Esc shortcut
        # (Generate ▸ Cancel Generation) would otherwise take the key and stop the run.
        if (event.type() == QEvent.Type.ShortcutOverride
                and event.key() == Qt.Key.Key_Escape):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            self.close_compare()
            return
        super().keyPressEvent(event)
