"""The flat equirect view of the active result, with a depth-overlay slider."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from .images import to_qimage

__all__ = ["PanoramaView", "overlay"]

#: Longest side the flat view works at (display only; the data keeps its resolution).
_DISPLAY_WIDTH = 1024


def overlay(rgb: np.ndarray, depth_rgb: np.ndarray, amount: float) -> np.ndarray:
    """Blend a colourised depth map over the image.

    Parameters
    ----------
    rgb, depth_rgb : (H, W, 3) uint8 ndarray
    amount : float
        0 = image only, 1 = depth only.

    Returns
    -------
    (H, W, 3) uint8 ndarray
    """
    a = float(np.clip(amount, 0.0, 1.0))
    if a == 0.0:
        return rgb
    if a == 1.0:
        return depth_rgb
    out = rgb.astype(np.float32) * (1.0 - a) + depth_rgb.astype(np.float32) * a
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


class _Canvas(QWidget):
    """Paints a 2:1 pixmap letterboxed in the widget."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixmap: QPixmap | None = None
        self.setMinimumSize(200, 100)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(640, 320)

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 25, 28))
        if self.pixmap is None:
            p.setPen(QColor(140, 140, 150))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No panorama")
            return
        w = self.width()
        h = min(self.height(), w // 2)
        w = 2 * h
        target = QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawPixmap(target, self.pixmap)


class PanoramaView(QWidget):
    """The active panorama as a flat image; the slider fades in its depth."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PanoramaView")
        self._source = (None, None)
        self._rgb: np.ndarray | None = None
        self._depth_rgb: np.ndarray | None = None
        self._dirty = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.canvas = _Canvas()
        lay.addWidget(self.canvas, 1)
        row = QHBoxLayout()
        row.setContentsMargins(8, 2, 8, 4)
        row.addWidget(QLabel("Depth overlay"))
        self.overlay_slider = QSlider(Qt.Orientation.Horizontal)
        self.overlay_slider.setRange(0, 100)
        self.overlay_slider.setValue(0)
        self.overlay_slider.setToolTip("Blend the depth colours over the image (0–100 %)")
        self.overlay_slider.valueChanged.connect(lambda _v: self._refresh())
        row.addWidget(self.overlay_slider, 1)
        from .depth_legend import DepthLegend

        self.legend = DepthLegend()  # shown while the overlay is on
        self.legend.hide()
        row.addWidget(self.legend)
        lay.addLayout(row)

    def show_panorama(self, pano, distance: np.ndarray | None = None) -> None:
        """Show ``pano`` (``None`` clears); ``distance`` overrides its distances (clip range).

        The image is prepared when the view is visible (and the depth colours only when the
        overlay is on), so edits cost nothing while another tab is in front.
        """
        self._source = (pano, distance)
        self._rgb = self._depth_rgb = None
        self._dirty = True
        if self.isVisible():
            self._refresh()

    def image(self) -> np.ndarray | None:
        """The (h, w, 3) uint8 image shown now (overlay applied)."""
        self._prepare()
        if self._rgb is None:
            return None
        amount = self.overlay_slider.value() / 100.0
        if amount == 0.0:
            self.legend.hide()
            return self._rgb
        if self._depth_rgb is None:
            pano, distance = self._source
            step = max(1, pano.width // _DISPLAY_WIDTH)
            dist = pano.distance if distance is None else distance
            from renderers.depth_colours import colour_depth

            self._depth_rgb, near_far = colour_depth(np.asarray(dist)[::step, ::step])
            self.legend.set_range(near_far)
        self.legend.show()
        return overlay(self._rgb, self._depth_rgb, amount)

    def _prepare(self) -> None:
        pano = self._source[0]
        if pano is not None and self._rgb is None:
            step = max(1, pano.width // _DISPLAY_WIDTH)
            self._rgb = np.ascontiguousarray(pano.rgb[::step, ::step])

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._dirty:
            self._refresh()

    def _refresh(self) -> None:
        self._dirty = False
        img = self.image()
        self.canvas.pixmap = None if img is None else QPixmap.fromImage(to_qimage(img))
        self.canvas.update()
