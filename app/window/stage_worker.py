"""One cancellable piece of work on its own thread, reported through Qt signals.

The one worker pattern of the window's long jobs (generation, upscaling, pole repair, depth
estimation, making a prop, layers, videos): the job is a callable
``work(on_progress, cancel) -> value`` (the :mod:`models.base` protocol), run on a
:class:`QThread`; each :class:`models.base.Progress` becomes a ``progress`` signal that Qt's
queued connections deliver to the UI thread.

Signals: ``started()``, ``progress(Progress)``, ``finished(object)`` (the value),
``errored(Exception)``, ``cancelled()``, and ``done()`` always last.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from models.base import Progress
from scene.errors import CancelledError

__all__ = ["StageWorker"]


class StageWorker(QObject):
    """Run ``work(on_progress, cancel)`` once on a :class:`QThread`.

    Parameters
    ----------
    name : str
        The thread's name (and what the window calls the job).
    work : callable
        ``(on_progress, cancel) -> value``; raises :class:`CancelledError` when cancelled.
    """

    started = Signal()
    progress = Signal(object)
    finished = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    done = Signal()

    def __init__(self, name: str, work: Callable, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._work_fn = work
        self._cancel = threading.Event()
        self._thread: QThread | None = None
        self.last_progress: Progress | None = None
        self.outcome = ""  # "finished" | "errored" | "cancelled" once done

    def start(self) -> None:
        """Start the thread; returns at once."""
        if self._thread is not None:
            raise RuntimeError(f"a {type(self).__name__} runs once")
        thread = QThread()
        thread.setObjectName(self.name)
        self._runner = _Runner(self)
        self._runner.moveToThread(thread)
        thread.started.connect(self._runner.run)
        # direct: QThread.quit is thread-safe, so wait() returns without the UI event loop
        self._runner.over.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread = thread
        thread.start()

    def cancel(self) -> None:
        """Ask the job to stop; it raises within one step and ``cancelled`` follows."""
        self._cancel.set()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the thread has ended (shutdown and tests)."""
        return True if self._thread is None else self._thread.wait(timeout_ms)

    def _run(self) -> None:
        self.started.emit()
        try:
            value = self._work_fn(self._on_progress, self._cancel)
            if self._cancel.is_set():
                raise CancelledError(f"{self.name} cancelled")
        except CancelledError:
            self.outcome = "cancelled"
            self.cancelled.emit()
        except Exception as exc:  # shown to the user
            self.outcome = "errored"
            self.errored.emit(exc)
        else:
            self.outcome = "finished"
            self.finished.emit(value)
        finally:
            self.done.emit()

    def _on_progress(self, p: Progress) -> None:
        self.last_progress = p
        self.progress.emit(p)


class _Runner(QObject):
    over = Signal()

    def __init__(self, worker: StageWorker) -> None:
        super().__init__()
        self._worker = worker

    @Slot()
    def run(self) -> None:
        try:
            self._worker._run()
        finally:
            self.over.emit()
