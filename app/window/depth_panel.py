"""The Depth panel: a histogram of distances with a draggable near/far region, the depth
interpretation, the discontinuity-cut threshold and the mesh resolution.

The panel is a :class:`~app.window.document.DocumentView`: bound to the document it shows the
active result and the mesh settings, and follows them. What the user edits is emitted (with a
*merge key* that is the same for every signal of one drag, so the document makes the drag one
undo step) and applied to the bound document's edit methods.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from scene.depth import DEPTH_KINDS
from scene.errors import PanoforgeError
from scene.mesh_settings import MeshSettings

from .document import DocumentView, new_merge_key

__all__ = ["DepthPanel", "distance_histogram", "log_ticks", "CUT_SLIDER_SCALE", "AXIS_ROOM"]

#: The cut slider runs 1..CUT_SLIDER_MAX; value / CUT_SLIDER_SCALE is the relative jump.
CUT_SLIDER_SCALE = 100
CUT_SLIDER_MAX = 200
#: The distance axis shows this factor beyond the data (and near/far) on each side.
AXIS_ROOM = 3.0
#: Horizontal room one tick label needs on the distance axis, pixels.
TICK_LABEL_PX = 42


def log_ticks(lo_m: float, hi_m: float, max_labels: int = 6) -> list[float]:
    """Tick values for a log distance axis: 1-2-5 steps, thinned to ``max_labels`` at most.

    Parameters
    ----------
    lo_m, hi_m : float
        The axis range, metres (``0 < lo_m < hi_m``).
    max_labels : int

    Returns
    -------
    list of float
        Metres, ascending, inside ``[lo_m, hi_m]``.
    """
    for mantissas, every in (((1, 2, 5), 1), ((1, 3), 1), ((1,), 1), ((1,), 2), ((1,), 3),
                             ((1,), 5), ((1,), 10)):
        vals = []
        for e in range(math.floor(math.log10(lo_m)), math.ceil(math.log10(hi_m)) + 1):
            if e % every == 0:
                vals += [m * 10.0 ** e for m in mantissas]
        vals = [float(f"{v:.6g}") for v in vals if lo_m <= v <= hi_m]
        if len(vals) <= max_labels:
            return vals
    return []
_KIND_LABELS = {"disparity": "Disparity (relative, LDM3D)", "zdepth": "Z-depth (planar)",
                "distance": "Distance (radial metres)"}


def distance_histogram(distance: np.ndarray, bins: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of finite positive distances on log-spaced bins.

    Parameters
    ----------
    distance : (H, W) float ndarray
        Metres, NaN unknown.
    bins : int

    Returns
    -------
    edges : (bins + 1,) float64 ndarray
        Bin edges, metres.
    counts : (bins,) float64 ndarray
        Fraction of the known pixels in each bin.
    """
    d = np.asarray(distance, dtype=np.float32)
    d = d[::max(1, d.shape[0] // 256), ::max(1, d.shape[1] // 512)]  # at most ~512x256 samples
    d = d[np.isfinite(d) & (d > 0)]
    if d.size == 0:
        return np.array([1.0, 10.0]), np.zeros(1)
    lo, hi = float(d.min()), float(d.max())
    if hi <= lo * 1.0001:
        lo, hi = lo * 0.9, hi * 1.1
    edges = np.geomspace(lo, hi, bins + 1)
    counts, _ = np.histogram(d, bins=edges)
    return edges, counts / float(d.size)


class _FirstPaint(QWidget):
    """An empty widget that calls ``on_paint`` the first time it is painted."""

    def __init__(self, on_paint) -> None:
        super().__init__()
        self._on_paint = on_paint

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._on_paint is not None:
            on_paint, self._on_paint = self._on_paint, None
            on_paint()
        super().paintEvent(event)


class DepthPanel(DocumentView, QWidget):
    """Depth controls for the active result.

    Signals
    -------
    depthRangeEdited(float, float, object)
        near and far in metres, and the merge key (``None``: a single step).
    kindChanged(str)
    meshSettingsEdited(MeshSettings, object)
        The new settings and the merge key.
    dragFinished()
        A handle or slider drag ended (the window replaces the preview mesh by the full one).
    editFailed(str, Exception)
        The document refused an edit (a title and the error, for the window to show).
    """

    depthRangeEdited = Signal(float, float, object)
    kindChanged = Signal(str)
    meshSettingsEdited = Signal(object, object)
    dragFinished = Signal()
    editFailed = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DepthPanel")
        self._updating = False
        self._drag_key: int | None = None
        self._cut_key: int | None = None
        self._settings = MeshSettings()
        self._data_span = (1.0, 10.0)
        self._build()
        self.show_result(None, self._settings)
        self.depthRangeEdited.connect(self._apply_range)
        self.kindChanged.connect(self._apply_kind)
        self.meshSettingsEdited.connect(self._apply_mesh_settings)

    # -- the document ---------------------------------------------------------------------
    def document_events(self) -> dict:
        return {"activeChanged": lambda _rid: self.catch_up(),
                "resultChanged": self._on_result_changed,
                "meshSettingsChanged": self._on_mesh_settings_changed}

    def _on_mesh_settings_changed(self) -> None:
        self._show_active(refresh_histogram=False)
        if self.doc.active is not None:  # until the new mesh arrives (show_mesh_stats)
            self.mesh_info.setText("Rebuilding the mesh…")

    def catch_up(self) -> None:
        self._show_active(refresh_histogram=True, refit=True)

    def _show_active(self, refresh_histogram: bool, refit: bool = False) -> None:
        res = self.doc.active
        self.show_result(res.panorama if res is not None else None, self.doc.mesh_settings,
                         refresh_histogram=refresh_histogram, refit=refit)

    def _on_result_changed(self, result_id: str) -> None:
        if result_id == self.doc.active_id:
            self._show_active(refresh_histogram=not self.dragging)

    def _apply_range(self, near: float, far: float, key) -> None:
        res = self.doc.active if self.doc is not None else None
        if res is not None:
            self.doc.set_depth_range(res.id, near, far, merge_key=key)

    def _apply_kind(self, kind: str) -> None:
        res = self.doc.active if self.doc is not None else None
        if res is None:
            return
        try:
            self.doc.set_depth_kind(res.id, kind)
        except PanoforgeError as exc:
            self._show_active(refresh_histogram=False)  # back to what the result says
            self.editFailed.emit("Depth interpretation", exc)

    def _apply_mesh_settings(self, settings: MeshSettings, key) -> None:
        if self.doc is not None:
            self.doc.set_mesh_settings(settings, merge_key=key)

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        # The histogram (pyqtgraph) is made after the window's first paint: importing
        # pyqtgraph takes 0.3-1 s, a third of the start-up (benchmarks/bench_ui_latency.py).
        # ``plot``, ``curve`` and ``region`` make it at once when something asks for them.
        self._plot = self._curve = self._region = None
        self._plot_slot = _FirstPaint(self._ensure_histogram_soon)
        self._plot_slot.setMinimumHeight(150)
        lay.addWidget(self._plot_slot, 1)

        range_row = QHBoxLayout()
        self.near_spin = QDoubleSpinBox()
        self.far_spin = QDoubleSpinBox()
        for spin, label in ((self.near_spin, "Near"), (self.far_spin, "Far")):
            spin.setRange(0.0, 100000.0)  # 0 = no depth range to show: "—"
            spin.setSpecialValueText("—")
            spin.setDecimals(2)
            spin.setSuffix(" m")
            spin.setKeyboardTracking(False)
            spin.setToolTip(f"{label} end of the depth range, in metres (or drag its handle)")
            spin.valueChanged.connect(self._on_spin_changed)
            range_row.addWidget(QLabel(label))
            range_row.addWidget(spin, 1)
        lay.addLayout(range_row)
        self.range_note = QLabel()
        self.range_note.setObjectName("hint")
        self.range_note.setWordWrap(True)
        lay.addWidget(self.range_note)

        box = QGroupBox("Depth and mesh")
        form = QFormLayout(box)
        self.kind_combo = QComboBox()
        for kind in DEPTH_KINDS:
            self.kind_combo.addItem(_KIND_LABELS.get(kind, kind), kind)
        self.kind_combo.setToolTip("What the stored depth values mean: disparity, z-depth or distance")
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        form.addRow("Interpretation", self.kind_combo)

        cut_row = QHBoxLayout()
        self.cut_check = QCheckBox()
        self.cut_check.setToolTip("Cut triangles that span a large depth jump (rubber sheets)")
        self.cut_check.toggled.connect(self._on_cut_changed)
        self.cut_slider = QSlider(Qt.Orientation.Horizontal)
        self.cut_slider.setRange(1, CUT_SLIDER_MAX)
        self.cut_slider.setToolTip("Relative depth jump above which a triangle is cut")
        self.cut_slider.valueChanged.connect(self._on_cut_changed)
        self.cut_slider.sliderPressed.connect(self._on_cut_pressed)
        self.cut_slider.sliderReleased.connect(self._on_cut_released)
        self.cut_value = QLabel()
        self.cut_value.setMinimumWidth(44)
        cut_row.addWidget(self.cut_check)
        cut_row.addWidget(self.cut_slider, 1)
        cut_row.addWidget(self.cut_value)
        form.addRow("Cut jumps", cut_row)

        res_row = QHBoxLayout()
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Full grid", "full")
        self.mode_combo.addItem("Adaptive", "adaptive")
        self.mode_combo.setToolTip("Mesh resolution: one vertex per pixel, or adaptive within the error bound")
        self.mode_combo.currentIndexChanged.connect(self._on_mesh_changed)
        self.error_spin = QDoubleSpinBox()
        self.error_spin.setRange(0.05, 10.0)
        self.error_spin.setSingleStep(0.1)
        self.error_spin.setDecimals(2)
        self.error_spin.setSuffix(" %")
        self.error_spin.setToolTip("Largest relative radial error of the adaptive mesh")
        self.error_spin.setKeyboardTracking(False)
        self.error_spin.valueChanged.connect(self._on_mesh_changed)
        res_row.addWidget(self.mode_combo, 1)
        res_row.addWidget(QLabel("≤"))
        res_row.addWidget(self.error_spin)
        form.addRow("Resolution", res_row)
        lay.addWidget(box)

        self.mesh_info = QLabel("No mesh")
        self.mesh_info.setObjectName("hint")
        self.mesh_info.setWordWrap(True)
        lay.addWidget(self.mesh_info)

    # -- the histogram, made after the first paint ----------------------------------------
    @property
    def plot(self):
        """The histogram's ``pyqtgraph.PlotWidget`` (made on first use)."""
        self._ensure_histogram()
        return self._plot

    @property
    def curve(self):
        """The histogram's step curve (made on first use)."""
        self._ensure_histogram()
        return self._curve

    @property
    def region(self):
        """The draggable near/far ``LinearRegionItem``, log10 metres (made on first use)."""
        self._ensure_histogram()
        return self._region

    def _ensure_histogram_soon(self) -> None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self._ensure_histogram)  # once this paint is on the screen

    def _ensure_histogram(self) -> None:
        if self._plot is not None:
            return
        import pyqtgraph as pg

        plot = pg.PlotWidget(background=None)
        plot.setObjectName("histogram")
        plot.setMinimumHeight(150)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setLogMode(x=True, y=False)
        plot.getAxis("left").setStyle(showValues=False)
        plot.getAxis("left").setWidth(6)
        plot.setLabel("bottom", "distance (m)")
        plot.getAxis("bottom").enableAutoSIPrefix(False)
        curve = plot.plot([1.0, 10.0], [0.0], stepMode="center", fillLevel=0,
                          brush=(90, 160, 230, 120), pen=pg.mkPen((120, 185, 245), width=1))
        region = pg.LinearRegionItem(values=(0.0, 1.0), orientation="vertical",
                                     brush=(255, 190, 80, 28), swapMode="block")
        for line in region.lines:
            line.setPen(pg.mkPen((255, 190, 80), width=2))
            line.setHoverPen(pg.mkPen((255, 220, 140), width=3))
        region.setZValue(10)
        region.sigRegionChanged.connect(self._on_region_moving)
        region.sigRegionChangeFinished.connect(self._on_region_done)
        plot.addItem(region)
        self._plot, self._curve, self._region = plot, curve, region
        self.layout().replaceWidget(self._plot_slot, plot)
        self._plot_slot.deleteLater()
        # what the panel shows now, on the new plot (the mesh figures stay as they are)
        mesh_text = self.mesh_info.text()
        if self.doc is not None:
            self._show_active(refresh_histogram=True, refit=True)
        else:
            self.show_result(None, self._settings)
        self.mesh_info.setText(mesh_text)

    # -- showing --------------------------------------------------------------------------
    def show_result(self, pano, settings: MeshSettings, refresh_histogram: bool = True,
                    refit: bool = True) -> None:
        """Show a panorama's depth (``None``: nothing active) and the mesh settings.

        ``refit``: fit the distance axis (a newly shown result). Edits of the shown result
        keep the axis where it is, so the handles stay where the user put them and there is
        room to drag the range wider (:data:`AXIS_ROOM` beyond the data on each side).
        """
        self._updating = True
        try:
            self._settings = settings
            has_depth = pano is not None and pano.has_depth
            drawn = self._plot is not None  # else the histogram shows it once it is made
            for w in (self.kind_combo, self.near_spin, self.far_spin,
                      *((self._region,) if drawn else ())):
                w.setEnabled(has_depth)
            if drawn:
                self._region.setMovable(has_depth)
            if refit or pano is None:  # the last result's mesh figures are not this one's
                self.mesh_info.setText("No mesh" if pano is None else "Building the mesh…")
            if not has_depth:  # no range to show: "—", not a made-up 0.01 m
                self.near_spin.setValue(0.0)
                self.far_spin.setValue(0.0)
            if pano is None:
                if drawn:
                    self._curve.setData([1.0, 10.0], [0.0])
                self.range_note.setText("No result yet: generate or import one.")
            else:
                if refresh_histogram and drawn:
                    edges, counts = distance_histogram(pano.distance)
                    self._curve.setData(edges, counts)
                    self._data_span = (float(edges[0]), float(edges[-1]))
                near, far = pano.near_far()
                if not has_depth:
                    self.range_note.setText("This panorama has no depth: it is shown as a dome.")
                elif pano.interpretation.kind == "disparity":
                    self.kind_combo.setCurrentIndex(self.kind_combo.findData("disparity"))
                    self.range_note.setText("Relative depth: near/far set the scene's scale.")
                else:
                    self.kind_combo.setCurrentIndex(
                        self.kind_combo.findData(pano.interpretation.kind))
                    self.range_note.setText("Metric depth: near/far clip the distances.")
                if math.isfinite(near) and math.isfinite(far) and 0 < near < far:
                    self._set_range_widgets(near, far)
                    if refit and drawn:
                        lo, hi = self._data_span
                        self._fit_axis(min(near, lo) / AXIS_ROOM, max(far, hi) * AXIS_ROOM)
            cut = settings.cut_threshold
            cutting = settings.cuts
            self.cut_check.setChecked(cutting)
            self.cut_slider.setEnabled(cutting)
            if cutting:
                self.cut_slider.setValue(int(round(min(cut, CUT_SLIDER_MAX / CUT_SLIDER_SCALE)
                                                   * CUT_SLIDER_SCALE)))
            self.cut_value.setText(f"{cut:.2f}" if cutting else "off")
            self.mode_combo.setCurrentIndex(self.mode_combo.findData(settings.mode))
            self.error_spin.setValue(settings.max_error * 100.0)
            self.error_spin.setEnabled(settings.mode == "adaptive")
        finally:
            self._updating = False

    def _fit_axis(self, lo_m: float, hi_m: float) -> None:
        """Show ``lo_m .. hi_m`` metres, with 1-2-5 ticks that do not overlap."""
        self.plot.setXRange(math.log10(lo_m), math.log10(hi_m), padding=0)
        width_px = max(120, self.plot.width() - 20)
        ticks = log_ticks(lo_m, hi_m, max_labels=max(2, int(width_px // TICK_LABEL_PX)))
        self.plot.getAxis("bottom").setTicks([[(math.log10(v), f"{v:g}") for v in ticks], []])

    def show_mesh_stats(self, mesh, build_ms: float | None = None) -> None:
        stats = getattr(mesh, "stats", {}) or {}
        parts = [f"{mesh.n_faces:,} triangles", f"{mesh.n_vertices:,} vertices"]
        if stats.get("cut_faces"):
            parts.append(f"{int(stats['cut_faces']):,} cut")
        err = stats.get("max_error")
        if err is not None:
            parts.append(f"max error {100 * float(err):.2f} %")
        if build_ms is not None:
            parts.append(f"built in {build_ms:.0f} ms")
        self.mesh_info.setText(" · ".join(parts))

    @property
    def dragging(self) -> bool:
        """A near/far or cut drag is in progress (its edits merge into one undo step)."""
        return self._drag_key is not None or self._cut_key is not None

    def near_far(self) -> tuple[float, float]:
        lo, hi = self.region.getRegion()
        return 10 ** lo, 10 ** hi

    def _set_range_widgets(self, near: float, far: float) -> None:
        if self._region is not None:
            self._region.setRegion((math.log10(near), math.log10(far)))
        self.near_spin.setValue(near)
        self.far_spin.setValue(far)

    # -- user edits -----------------------------------------------------------------------
    def set_near_far(self, near: float, far: float, merge_key: int | None = None) -> None:
        """Programmatic edit, as if the user dragged (used by tests and the spin boxes)."""
        self._updating = True
        try:
            self._set_range_widgets(near, far)
        finally:
            self._updating = False
        self.depthRangeEdited.emit(float(near), float(far), merge_key)

    def _on_region_moving(self) -> None:
        if self._updating:
            return
        if self._drag_key is None:
            self._drag_key = new_merge_key()
        near, far = self.near_far()
        self._updating = True
        try:
            self.near_spin.setValue(near)
            self.far_spin.setValue(far)
        finally:
            self._updating = False
        self.depthRangeEdited.emit(near, far, self._drag_key)

    def _on_region_done(self) -> None:
        if self._updating:
            return
        key, self._drag_key = self._drag_key, None
        if key is None:
            return
        near, far = self.near_far()
        self.depthRangeEdited.emit(near, far, key)
        self.dragFinished.emit()

    def _on_spin_changed(self) -> None:
        if self._updating:
            return
        near, far = self.near_spin.value(), self.far_spin.value()
        if near <= 0 or near >= far:
            return
        self.set_near_far(near, far)

    def _on_kind_changed(self) -> None:
        if not self._updating:
            self.kindChanged.emit(str(self.kind_combo.currentData()))

    def _on_cut_pressed(self) -> None:
        self._cut_key = new_merge_key()

    def _on_cut_released(self) -> None:
        self._cut_key = None
        self.dragFinished.emit()

    def _on_cut_changed(self, *_args) -> None:
        if self._updating:
            return
        cutting = self.cut_check.isChecked()
        self.cut_slider.setEnabled(cutting)
        value = self.cut_slider.value() / CUT_SLIDER_SCALE if cutting else math.inf
        self.cut_value.setText(f"{value:.2f}" if cutting else "off")
        key = self._cut_key if self.cut_slider.isSliderDown() else None
        self.meshSettingsEdited.emit(self._settings.with_(cut_threshold=value), key)

    def _on_mesh_changed(self, *_args) -> None:
        if self._updating:
            return
        mode = str(self.mode_combo.currentData())
        self.error_spin.setEnabled(mode == "adaptive")
        new = self._settings.with_(mode=mode, max_error=self.error_spin.value() / 100.0)
        self.meshSettingsEdited.emit(new, None)
