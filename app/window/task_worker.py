"""One long task (a use case from :mod:`app.workflows*`) on a worker thread, with Qt signals.

``TaskWorker(fn)`` runs ``fn(on_progress, cancel)`` on its own :class:`QThread`; each
:class:`models.base.Progress` report becomes a ``progress`` signal (delivered to the UI thread
by Qt's queued connections); :meth:`cancel` sets the Event the use case checks between steps.
Signals: ``progress(Progress)``, ``finished(object)`` (the return value), ``errored(Exception)``,
``cancelled()``, then always ``done()``.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from scene.errors import CancelledError

__all__ = ["TaskWorker"]


class TaskWorker(QObject):
    """Run ``fn(on_progress, cancel)`` once on a thread (see the module docstring)."""

    progress = Signal(object)
    finished = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    done = Signal()

    def __init__(self, fn, name: str = "task", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._name = name
        self._cancel = threading.Event()
        self._thread: QThread | None = None
        self.outcome = ""

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a TaskWorker runs once")
        thread = QThread()
        thread.setObjectName(self._name)
        self._runner = _Runner(self)
        self._runner.moveToThread(thread)
        thread.started.connect(self._runner.run)
        self._runner.over.connect(thread.quit)
        self._thread = thread
        thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def wait(self, timeout_ms: int = 30000) -> bool:
        return True if self._thread is None else self._thread.wait(timeout_ms)

    def _work(self) -> None:
        try:
            value = self._fn(self.progress.emit, self._cancel)
        except CancelledError:
            self.outcome = "cancelled"
            self.cancelled.emit()
        except Exception as exc:  # shown to the user in a dialog
            self.outcome = "errored"
            self.errored.emit(exc)
        else:
            self.outcome = "finished"
            self.finished.emit(value)
        finally:
            self.done.emit()


class _Runner(QObject):
    over = Signal()

    def __init__(self, worker: TaskWorker) -> None:
        super().__init__()
        self._worker = worker

    @Slot()
    def run(self) -> None:
        try:
            self._worker._work()
        finally:
            self.over.emit()
