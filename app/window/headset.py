"""The window's link to a headset session ("View in Headset").

The session runs as a separate ``panoforge xr`` process (:mod:`app.xr_launcher`), so a runtime
failure cannot take the editor down. This object keeps its handle, forwards the editor's
edits (active result, its depth interpretation, cut threshold) to it, watches it once a
second, shows what it said when it failed (for example "no OpenXR runtime is running: start
SteamVR…"), and stops it when the window closes.

While a session runs, :attr:`HeadsetLink.mirror` (a :class:`HeadsetMirror`, hosted by the
window in its "Headset view" dock) shows what the wearer sees: the XR process rewrites a small
PNG of the left eye a few times a second (:mod:`renderers.xr.mirror`, the handle's
``mirror_file``) and the link reloads it when it changed. What the headset shows comes back
too (the handle's ``status()``): a result picked with the controllers becomes the window's
active result, and :attr:`HeadsetLink.statusChanged` carries a line for the dock's title.

The session never makes the window save: a project with unsaved work (or none on disk) is
handed over as a temporary copy, rewritten when results arrive or leave (the XR process
re-reads its file when it changes), so the user's own file is only written by Save. The
copy is written on a background thread, newest wins (:class:`~app.window.latest_worker.LatestWorker`,
as the recovery copy), the first one too: encoding a few 4096 px results takes seconds, which
must not freeze the window, neither at Ctrl+H nor while a generation lands during a session.
While that first copy is written the link is :attr:`HeadsetLink.starting`; the session is
launched when it is on disk, and Ctrl+H again (or closing the window) cancels it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

from scene.errors import PanoforgeError, ResourceError

from .document import Document
from .latest_worker import LatestWorker
from .recovery import project_snapshot

__all__ = ["HeadsetLink", "HeadsetMirror"]

POLL_MS = 1000
#: How often the mirror file is looked at, milliseconds (the XR process writes it 4 times a second).
MIRROR_POLL_MS = 250
_MIRROR_WAITING = "The headset's view appears here once its first frame is drawn."


class HeadsetMirror(QLabel):
    """The headset's left eye, scaled to fit (aspect kept), or a line saying it is coming."""

    def __init__(self, parent=None) -> None:
        super().__init__(_MIRROR_WAITING, parent)
        self.setObjectName("headsetMirror")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setToolTip("What the headset wearer sees (left eye), a few times a second")
        self.image: QImage | None = None
        #: How many frames have been shown (tests).
        self.frames = 0

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(320, 240)

    def show_image(self, image: QImage) -> None:
        self.image = image
        self.frames += 1
        self._fit()

    def clear_image(self) -> None:
        self.image = None
        self.clear()
        self.setText(_MIRROR_WAITING)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self.image is not None and not self.image.isNull():
            self.setPixmap(QPixmap.fromImage(self.image).scaled(
                self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))


class HeadsetLink(QObject):
    """Start, follow and stop one headset session for a :class:`Document`.

    Parameters
    ----------
    launcher : module-like
        Has ``start_headset(project_path, result_id=None)`` (default: :mod:`app.xr_launcher`).
    """

    #: Emitted with ``True`` when a session starts and ``False`` when it ends.
    runningChanged = Signal(bool)
    #: Emitted with the XR process's output when it ended with an error.
    failed = Signal(str)
    #: Emitted with a short line on what the headset shows ("r2 at 2x"), "" when it ends.
    statusChanged = Signal(str)
    #: Emitted with the :class:`~scene.errors.PanoforgeError` when a session could not be
    #: launched after its copy was written (a launch on the saved file raises instead).
    startFailed = Signal(object)
    #: (start token, copy path, error or None), from the copier thread when a start's first
    #: copy is written.
    _firstCopyWritten = Signal(object, object, object)

    def __init__(self, launcher=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self._launcher = launcher
        self.handle = None
        #: The temporary copy the session reads (``None``: it reads the saved file).
        self.copy_path: Path | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        #: The desktop mirror of the headset's view (the window puts it in a dock).
        self.mirror = HeadsetMirror()
        self._mirror_stamp = None
        self._status = None
        self._mirror_timer = QTimer(self)
        self._mirror_timer.setInterval(MIRROR_POLL_MS)
        self._mirror_timer.timeout.connect(self.refresh_mirror)
        self._copier = LatestWorker("headset-copy", self._write_snapshot)
        #: The error of the last background rewrite of the copy, if it failed.
        self.copy_error: Exception | None = None
        #: Bumped by every start and stop: a first copy that lands after a stop is dropped.
        self._start_token = 0
        #: (token, result id) of the start waiting for its first copy, else None.
        self._pending_start: tuple[int, str | None] | None = None
        #: Results changed while the first copy was being written (it is rewritten on launch).
        self._copy_stale = False
        self._firstCopyWritten.connect(self._launch_on_copy)

    def set_document(self, doc: Document) -> None:
        """Follow ``doc``; a session of the previous document is stopped."""
        self.stop()
        self.doc = doc
        for signal in (doc.activeChanged, doc.resultChanged, doc.meshSettingsChanged):
            signal.connect(self._push)
        doc.resultsChanged.connect(self._refresh_copy)

    @property
    def running(self) -> bool:
        return self.handle is not None and self.handle.running

    @property
    def starting(self) -> bool:
        """A start is waiting for its temporary copy to be written."""
        return self._pending_start is not None

    def start(self) -> None:
        """Start a session: on the saved file when it is up to date (now), else on a
        temporary copy written in the background (launched when it is on disk)."""
        if self.running or self.starting:
            return
        active = self.doc.active
        result_id = active.id if active else None
        path = self.doc.path
        if path is None or self.doc.is_modified:
            self._start_token += 1
            self._pending_start = (self._start_token, result_id)
            self._copy_stale = False
            self._copier.submit((self._new_copy_path(), project_snapshot(self.doc.project),
                                 self._start_token))
            self.runningChanged.emit(True)  # (the action shows it is on its way)
            return
        self._launch(path, result_id)

    def _launch(self, path: Path, result_id: str | None) -> None:
        launcher = self._launcher
        if launcher is None:
            from app import xr_launcher as launcher
        self.handle = launcher.start_headset(path, result_id=result_id)
        self._timer.start()
        self._mirror_stamp = self._status = None
        self.mirror.clear_image()
        self._mirror_timer.start()
        self.runningChanged.emit(True)

    def _launch_on_copy(self, token: int, path: Path, error) -> None:
        """On the GUI thread: the first copy of start ``token`` is written (or failed)."""
        if self._pending_start is None or self._pending_start[0] != token:
            # cancelled while it was written (a session's copy always has a fresh folder)
            shutil.rmtree(path.parent, ignore_errors=True)
            return
        _, result_id = self._pending_start
        self._pending_start = None
        try:
            if error is not None:
                raise ResourceError(f"could not write the project copy for the headset ({error})",
                                    hint="free some space in the temporary folder, or save the "
                                    "project and try again")
            self._launch(self.copy_path, result_id)
        except PanoforgeError as exc:
            self._drop_copy()
            self.runningChanged.emit(False)
            self.startFailed.emit(exc)
            return
        if self._copy_stale:  # results arrived while it was written
            self._copy_stale = False
            self._copier.submit((self.copy_path, project_snapshot(self.doc.project), None))

    def stop(self, wait: bool = True) -> None:
        """End the session cleanly (waits up to a few seconds); cancel one that is starting.

        Parameters
        ----------
        wait : bool
            For a start still writing its copy: wait for the write, then remove the copy
            (closing the window); False leaves the write to finish on its thread and removes
            the copy when it lands (Ctrl+H again: the window does not wait).
        """
        self._start_token += 1
        if self._pending_start is not None:
            self._pending_start = None
            if wait:
                self.flush_copy()
                self._drop_copy()
            else:  # the copy is removed when it lands (_launch_on_copy)
                self.copy_path = None
            self.runningChanged.emit(False)
            return
        if self.handle is None:
            return
        self._timer.stop()
        self._mirror_timer.stop()
        self.handle.stop()
        self.handle = None
        self.flush_copy()
        self._drop_copy()
        self.statusChanged.emit("")
        self.runningChanged.emit(False)

    def _new_copy_path(self) -> Path:
        """Where the session's temporary ``.panoforge`` goes (a fresh temporary folder)."""
        if self.copy_path is None:
            name = self.doc.path.name if self.doc.path is not None else "untitled.panoforge"
            self.copy_path = Path(tempfile.mkdtemp(prefix="panoforge-headset-")) / name
        return self.copy_path

    def _refresh_copy(self) -> None:
        if self.sender() is not self.doc or self.copy_path is None:
            return
        if self.starting:
            self._copy_stale = True
        elif self.running:
            self._copier.submit((self.copy_path, project_snapshot(self.doc.project), None))

    def _write_snapshot(self, item) -> None:
        """On the copier thread: write the session's copy from a snapshot (atomically); for
        a start's first copy (``token`` set), tell the GUI thread when it is on disk."""
        from scene.project import save_project

        path, snap, token = item
        error = None
        try:
            save_project(path, snap)
            self.copy_error = None
        except Exception as exc:  # a full temp disk: the session keeps the previous copy
            self.copy_error = error = exc
        if token is not None:
            self._firstCopyWritten.emit(token, path, error)

    def flush_copy(self, timeout_s: float = 60.0) -> bool:
        """Wait until the copy has every result that arrived (tests; before it is removed)."""
        return self._copier.wait_idle(timeout_s)

    def _drop_copy(self) -> None:
        if self.copy_path is not None:
            shutil.rmtree(self.copy_path.parent, ignore_errors=True)
            self.copy_path = None

    def poll(self) -> None:
        """Notice a session that ended by itself; report it if it failed."""
        if self.handle is None or self.handle.running:
            return
        self._timer.stop()
        self._mirror_timer.stop()
        code, output = self.handle.returncode, self.handle.output()
        self.handle.stop()  # closes its log
        self.handle = None
        self._drop_copy()
        self.statusChanged.emit("")
        self.runningChanged.emit(False)
        if code not in (0, None):
            lines = [ln for ln in output.splitlines() if ln.strip()]
            self.failed.emit("\n".join(lines[-12:]) or f"the headset process exited with {code}")

    def refresh_mirror(self) -> bool:
        """Follow the headset's status, and show the mirror file when it changed since last
        time; whether a new frame came."""
        self._follow_status()
        path = getattr(self.handle, "mirror_file", None)
        if path is None:
            return False
        try:
            st = Path(path).stat()
        except OSError:
            return False  # not written yet
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._mirror_stamp:
            return False
        image = QImage(str(path))
        if image.isNull():
            return False  # being replaced right now: next time
        self._mirror_stamp = stamp
        self.mirror.show_image(image)
        return True

    def _follow_status(self) -> None:
        """When the headset reports another result or scale: say so, and when the result
        was picked there (it changed in the headset, not in the window), make it active."""
        read = getattr(self.handle, "status", None)
        status = read() if read is not None else None
        if not status or status == self._status:
            return
        before, self._status = self._status, status
        result = str(status.get("result") or "")
        scale = float(status.get("scale") or 1.0)
        self.statusChanged.emit(f"{result} at {scale:.3g}\u00d7" if result else "")
        ids = {r.id for r in self.doc.project.results} if self.doc is not None else set()
        moved = before is None or before.get("result") != result
        if moved and before is not None and result in ids and (
                self.doc.active is None or self.doc.active.id != result):
            self.doc.set_active(result)

    def _push(self, *_args) -> None:
        if not self.running or self.sender() is not self.doc:
            return
        active = self.doc.active
        if active is None:
            return
        # The result's own interpretation (its near/far by the scene's rule), not loose floats.
        self.handle.update(result_id=active.id, interpretation=active.panorama.interpretation,
                           cut_threshold=self.doc.mesh_settings.cut_threshold)
