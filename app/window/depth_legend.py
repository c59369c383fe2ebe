"""The depth colour map's legend: the ramp with its near and far ends in metres."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from .images import to_pixmap

__all__ = ["DepthLegend"]


class DepthLegend(QWidget):
    """``near m [ramp] far m`` for :mod:`renderers.depth_colours`' map (log scale)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("depthLegend")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 0, 6, 0)
        self.near_label, self.far_label = QLabel("—"), QLabel("—")
        self.ramp = QLabel()
        from renderers.depth_colours import depth_lut

        lut = np.rint(depth_lut(128)[:, :3] * 255).astype(np.uint8)
        self.ramp.setPixmap(to_pixmap(np.repeat(lut[None], 10, axis=0), 128, 10))
        self.ramp.setToolTip("Distance on a log scale (1st to 99th percentile)")
        for w in (self.near_label, self.ramp, self.far_label):
            lay.addWidget(w)
        self.near_far: tuple[float, float] | None = None

    def set_range(self, near_far: tuple[float, float] | None) -> None:
        """The metres at the ramp's ends (``None``: nothing to show)."""
        self.near_far = near_far
        if near_far is None:
            self.near_label.setText("—")
            self.far_label.setText("—")
            return
        self.near_label.setText(f"{near_far[0]:.3g} m")
        self.far_label.setText(f"{near_far[1]:.3g} m")
