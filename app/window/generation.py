"""Generation from the window: start, cancel, the result joining the project, "Use these settings".

:class:`GenerationControl` runs one :class:`~app.window.worker.GenerationWorker` at a time,
shows its progress in the Generate panel and adds the finished result to the window's
document.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from scene.errors import PanoforgeError

from .worker import GenerationWorker

__all__ = ["GenerationControl"]


class GenerationControl(QObject):
    """The window's generations.

    Parameters
    ----------
    window : app.window.main_window.MainWindow
        Gives the document, the Generate panel, the prompter, the status bar and the
        Generate/Cancel actions.
    backend_factory : callable, optional
        ``name -> backend`` (default: the registry).

    Signals
    -------
    resultArrived(str)
        A generation finished and its result (this id) is in the project.
    generationEnded(str)
        ``"finished"``, ``"errored"`` or ``"cancelled"``.
    """

    resultArrived = Signal(str)
    generationEnded = Signal(str)

    def __init__(self, window, backend_factory=None) -> None:
        super().__init__(window)
        self.window = window
        self.backend_factory = backend_factory
        self.worker: GenerationWorker | None = None
        self._old_workers: list[GenerationWorker] = []
        self._let_go: set[GenerationWorker] = set()
        self._generating = False

    @property
    def panel(self):
        return self.window.generate_panel

    @property
    def generating(self) -> bool:
        """A generation was started and the window has not yet handled its end."""
        return self._generating

    def _set_running(self, running: bool) -> None:
        self._generating = running
        self.window.act_cancel.setEnabled(running)
        self.window.act_generate.setEnabled(not running)

    def start(self, backend: str, request) -> GenerationWorker | None:
        """Run a generation on a worker thread; the result joins the project when done."""
        w = self.window
        if self.generating:
            return None
        if not request.prompt and backend != "procedural":
            w.prompter.show_error(w, "Generate", PanoforgeError(
                "the prompt is empty", hint="describe the scene you want"))
            return None
        worker = GenerationWorker(backend, request, backend_factory=self.backend_factory,
                                  parent=self)
        # a cancelled worker is let go at once; what it says afterwards is not shown
        worker.progress.connect(lambda p, wk=worker: self._live(wk) and self.panel.show_progress(p))
        worker.finished.connect(lambda made, wk=worker: self._live(wk) and self._on_finished(made))
        worker.errored.connect(lambda exc, wk=worker: self._live(wk) and self._on_errored(exc))
        worker.cancelled.connect(lambda wk=worker: self._live(wk) and self._on_cancelled())
        worker.done.connect(lambda wk=worker: self._on_done(wk))
        self.worker = worker
        self._set_running(True)
        self.panel.set_running(True)
        w.statusBar().showMessage(f"Generating with {backend}…")
        worker.start()
        return worker

    def _live(self, worker: GenerationWorker) -> bool:
        return worker is self.worker and worker not in self._let_go

    def cancel(self) -> None:
        """Stop the running generation: the window is idle again at once.

        The backend stops at its next cancel check (between steps: at most one step later);
        its thread is let go meanwhile and whatever it still reports is dropped, so the
        user never waits for a long step (seconds per stage at 4096) to end.
        """
        if self.generating:
            worker = self.worker
            worker.cancel()
            self._let_go.add(worker)
            self._on_cancelled()
            self.generationEnded.emit("cancelled")

    def _on_finished(self, made) -> None:
        """``made`` (:class:`app.workflows.Generated`) joins the project as the CLI adds it."""
        self._set_running(False)
        doc = self.window.doc
        res = doc.add_made(made)
        self.panel.set_running(False, f"Done in {made.duration_s:.1f} s · seed {made.metadata.seed}")
        message = f"New result: {doc.label_of(res)}"
        if made.notices:
            message += " — " + "; ".join(made.notices)
        self.window.statusBar().showMessage(message, 8000 if made.notices else 5000)
        self.resultArrived.emit(res.id)

    def _on_errored(self, exc) -> None:
        self._set_running(False)
        self.panel.set_running(False, "Failed")
        from .messages import window_error

        self.window.statusBar().showMessage(f"Generation failed: {window_error(exc)[0]}", 10000)
        self.window.prompter.show_error(self.window, "Generation failed", exc)

    def _on_cancelled(self) -> None:
        self._set_running(False)
        self.panel.set_running(False, "Cancelled")
        self.window.statusBar().showMessage("Generation cancelled.", 4000)

    def _on_done(self, worker: GenerationWorker) -> None:
        # keep finished workers alive until their threads have quit
        self._old_workers = [wk for wk in self._old_workers if wk.is_running()] + [worker]
        if worker in self._let_go:  # its end was announced when it was cancelled
            self._let_go.discard(worker)
            return
        self.generationEnded.emit(worker.outcome)

    def use_settings_of(self, result_id: str) -> None:
        """Copy a result's generation settings back to the Generate panel."""
        meta = self.window.doc.result(result_id).panorama.metadata
        self.panel.apply_metadata(meta)
        self.window.generate_dock.raise_()
        self.window.statusBar().showMessage("Settings copied to Generate (seed locked).", 4000)

    def shutdown(self) -> None:
        """Cancel the running generation and wait for every worker thread."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(30000)
        for wk in list(self._let_go):
            wk.wait(30000)
        for wk in self._old_workers:
            wk.wait(5000)
