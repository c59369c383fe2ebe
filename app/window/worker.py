"""Cancellable generation in a worker thread, reported through Qt signals.

The worker runs one ``backend.generate(request, on_progress, cancel)`` call (the protocol of
:mod:`models.base`) on its own :class:`QThread`. The backend's module, and with it torch and
diffusers, is imported inside that thread the first time it runs, never when the window opens.
Each :class:`models.base.Progress` report becomes a ``progress`` signal, delivered to the UI
thread by Qt's queued connections, so the window stays responsive whatever the backend does.

Signals (napari's ``thread_worker`` vocabulary)
-----------------------------------------------
started()
progress(Progress)
finished(Generated)
    :class:`app.workflows.Generated`: its ``panorama`` is always an equirect
    :class:`~scene.panorama.RGBDPanorama` (a perspective output is placed on the sphere by
    :func:`app.workflows.generate`, in the worker thread, as on the command line).
errored(Exception)
cancelled()
done()
    Always last, after exactly one of finished/errored/cancelled.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from models.base import GenerationRequest, Progress
from scene.errors import CancelledError

__all__ = ["GenerationWorker"]


class GenerationWorker(QObject):
    """Run one generation on a :class:`QThread`; :meth:`cancel` stops it within one step.

    Parameters
    ----------
    backend : str
        Registry name (:func:`models.registry.get_backend`).
    request : GenerationRequest
    backend_factory : callable, optional
        ``name -> backend``; defaults to the registry (tests may pass their own).
    """

    started = Signal()
    progress = Signal(object)
    finished = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    done = Signal()

    def __init__(self, backend: str, request: GenerationRequest, backend_factory=None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend_name = backend
        self.request = request
        self._factory = backend_factory
        self._cancel = threading.Event()
        self._thread: QThread | None = None
        self._t0 = 0.0
        self.last_progress: Progress | None = None
        self.outcome = ""  # "finished" | "errored" | "cancelled" once done

    # -- control (UI thread) --------------------------------------------------------------
    def start(self) -> None:
        """Start the thread; returns at once."""
        if self._thread is not None:
            raise RuntimeError("a GenerationWorker runs once")
        thread = QThread()
        thread.setObjectName(f"generate-{self.backend_name}")
        self._runner = _Runner(self)
        self._runner.moveToThread(thread)
        thread.started.connect(self._runner.run)
        # direct: QThread.quit is thread-safe, so wait() returns without the UI event loop
        self._runner.over.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread = thread
        self._t0 = time.perf_counter()
        thread.start()

    def cancel(self) -> None:
        """Ask the backend to stop; it raises within one step and ``cancelled`` follows."""
        self._cancel.set()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the thread has ended (for shutdown and tests)."""
        if self._thread is None:
            return True
        return self._thread.wait(timeout_ms)

    # -- the work (worker thread) ---------------------------------------------------------
    def _work(self) -> None:
        self.started.emit()
        try:
            if self._factory is not None:
                backend = self._factory(self.backend_name)
            else:
                from models.registry import get_backend

                self.progress.emit(Progress(0, max(1, self.request.steps or 1),
                                            message=f"loading {self.backend_name}"))
                backend = get_backend(self.backend_name)
            from app import workflows

            result = workflows.generate(backend, self.request, on_progress=self._on_progress,
                                        cancel=self._cancel)
        except CancelledError:
            self.outcome = "cancelled"
            self.cancelled.emit()
        except Exception as exc:  # shown to the user in a dialog
            self.outcome = "errored"
            self.errored.emit(exc)
        else:
            self.outcome = "finished"
            self.finished.emit(result)
        finally:
            self.done.emit()

    def _on_progress(self, p: Progress) -> None:
        self.last_progress = p
        self.progress.emit(p)


class _Runner(QObject):
    """Lives in the worker thread and calls back into the worker's ``_work``."""

    over = Signal()

    def __init__(self, worker: GenerationWorker) -> None:
        super().__init__()
        self._worker = worker

    @Slot()
    def run(self) -> None:
        try:
            self._worker._work()
        finally:
            self.over.emit()
