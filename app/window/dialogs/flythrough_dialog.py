"""Record Fly-Through: a video of the active result's scene, rendered on a worker thread.

The same use case as ``panoforge render --orbit/--path -o tour.mp4``
(:func:`app.workflows_video.record_flythrough`): an orbit at a radius (default 80 % of the
scene's walk radius) or a keyframe path file, perspective or 360° equirect frames. A progress
bar shows frame i of n with the time left; Cancel stops before the next frame and no file is
written (the video appears only when complete).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["FlythroughDialog", "SIZES"]

#: Frame sizes offered: perspective, and 2:1 for 360° video.
SIZES = {"perspective": ((1280, 720), (1920, 1080), (640, 360)),
         "equirect": ((2048, 1024), (3840, 1920), (1024, 512))}


class FlythroughDialog(QDialog):
    """The dialog; :meth:`start` records with the current fields (tests call it directly).

    Parameters
    ----------
    project : scene.project.Project
    result_id : str
    bounds : scene.walk_bounds.WalkBounds or None
    """

    def __init__(self, project, result_id: str, bounds=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Record Fly-Through")
        self.project, self.result_id = project, result_id
        self.worker = None
        self.info = None
        self.error = None
        radius = 0.8 * (bounds.radius if bounds is not None else 0.5)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.route = QComboBox()
        self.route.addItems(["Orbit", "Path file"])
        self.route.setToolTip("Orbit the centre, or follow the keyframes of a path file")
        form.addRow("Camera", self.route)
        self.orbit = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=5.0, singleStep=0.05,
                                    suffix=" m", value=radius)
        self.orbit.setToolTip("Radius of the orbit around the centre, in metres")
        form.addRow("Orbit radius", self.orbit)
        self.duration = QDoubleSpinBox(decimals=1, minimum=0.5, maximum=600.0, value=10.0,
                                       suffix=" s")
        self.duration.setToolTip("Length of one orbit, in seconds")
        form.addRow("Orbit duration", self.duration)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("tour.json (keyframes; see panoforge render --help)")
        browse = QPushButton("…")
        browse.setToolTip("Choose the path file (JSON keyframes)")
        self.path_edit.setToolTip("Path file: JSON keyframes of the camera")
        browse.clicked.connect(self._browse_path)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("Path file", row)
        self.equirect = QCheckBox("360° video (equirect frames for YouTube / VR players)")
        self.equirect.toggled.connect(self._fill_sizes)
        self.equirect.setToolTip("Record 360° equirect frames instead of a perspective view")
        form.addRow("", self.equirect)
        self.size = QComboBox()
        self.size.setToolTip("Video frame size, width × height in pixels")
        form.addRow("Size", self.size)
        self.fps = QDoubleSpinBox(decimals=0, minimum=1, maximum=120, value=30, suffix=" fps")
        self.fps.setToolTip("Frames per second of the video")
        form.addRow("Frame rate", self.fps)
        self.output = QLineEdit("tour.mp4")
        out_browse = QPushButton("…")
        out_browse.setToolTip("Choose where the video is written")
        self.output.setToolTip("The MP4 file the video is written to (H.264)")
        out_browse.clicked.connect(self._browse_output)
        row = QHBoxLayout()
        row.addWidget(self.output, 1)
        row.addWidget(out_browse)
        form.addRow("Video", row)
        lay.addLayout(form)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.status = QLabel("")
        lay.addWidget(self.bar)
        lay.addWidget(self.status)
        self.buttons = QDialogButtonBox()
        self.record_button = self.buttons.addButton("Record", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.record_button.setToolTip("Render the frames and write the video (Cancel stops it)")
        self.record_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        lay.addWidget(self.buttons)
        self.route.currentIndexChanged.connect(self._route_changed)
        self._fill_sizes()
        self._route_changed()

    def _fill_sizes(self, *_args) -> None:
        self.size.clear()
        for w, h in SIZES["equirect" if self.equirect.isChecked() else "perspective"]:
            self.size.addItem(f"{w} × {h}", (w, h))

    def _route_changed(self, *_args) -> None:
        orbit = self.route.currentIndex() == 0
        self.orbit.setEnabled(orbit)
        self.duration.setEnabled(orbit)
        self.path_edit.setEnabled(not orbit)

    def _browse_path(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Camera path", "", "Path (*.json)")
        if path:
            self.path_edit.setText(path)

    def _browse_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Video", self.output.text(), "MP4 (*.mp4)")
        if path:
            self.output.setText(path)

    def request(self):
        """The :class:`~app.workflows_video.FlythroughRequest` of the fields."""
        from app.workflows_video import FlythroughRequest

        orbit = self.route.currentIndex() == 0
        return FlythroughRequest(
            output=self.output.text().strip(), result_id=self.result_id,
            path_file=None if orbit else self.path_edit.text().strip(),
            orbit_m=float(self.orbit.value()) if orbit else None,
            duration_s=float(self.duration.value()), fps=float(self.fps.value()),
            size=tuple(self.size.currentData()), equirect=self.equirect.isChecked())

    def start(self):
        """Record with the current fields on a worker thread; returns the worker."""
        if self.worker is not None:
            return self.worker
        from app.workflows_video import record_flythrough

        from ..stage_worker import StageWorker

        request = self.request()
        project = self.project

        def run(on_progress, cancel):
            return record_flythrough(project, request, on_progress=on_progress, cancel=cancel)

        self.info = self.error = None
        self.worker = worker = StageWorker("fly-through", run, self)
        worker.progress.connect(self._progress)
        worker.finished.connect(self._finished)
        worker.errored.connect(self._errored)
        worker.cancelled.connect(lambda: self.status.setText("Cancelled: no video was written."))
        worker.done.connect(self._over)
        self.record_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.status.setText("Rendering…")
        worker.start()
        return worker

    def _progress(self, p) -> None:
        self.bar.setRange(0, max(1, p.total))
        self.bar.setValue(p.step)
        self.status.setText(f"Frame {p.step} of {p.total}, about {p.eta_s:.0f} s left")

    def _finished(self, info) -> None:
        self.info = info
        w, h = info.size
        self.status.setText(f"Wrote {self.output.text()}: {info.frames} frames, {w}×{h}, "
                            f"{info.duration_s:.1f} s.")

    def _errored(self, exc) -> None:
        self.error = exc
        hint = getattr(exc, "hint", "")
        self.status.setText(f"{getattr(exc, 'message', exc)}" + (f" — {hint}" if hint else ""))

    def _over(self) -> None:
        self.worker = None
        self.record_button.setEnabled(True)
        self.cancel_button.setText("Close")

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def _cancel_or_close(self) -> None:
        if self.worker is not None:
            self.cancel()
        else:
            self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(30000)
        super().closeEvent(event)
