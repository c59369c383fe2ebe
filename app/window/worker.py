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

from PySide6.QtCore import QObject

from models.base import GenerationRequest, Progress

from .stage_worker import StageWorker

__all__ = ["GenerationWorker"]


class GenerationWorker(StageWorker):
    """Run one generation on a :class:`QThread`; :meth:`cancel` stops it within one step.

    The thread, signals, cancel and outcome are :class:`~app.window.stage_worker.StageWorker`'s;
    this class only says what the work is (load the backend in the thread, then
    :func:`app.workflows.generate`).

    Parameters
    ----------
    backend : str
        Registry name (:func:`models.registry.get_backend`).
    request : GenerationRequest
    backend_factory : callable, optional
        ``name -> backend``; defaults to the registry (tests may pass their own).
    """

    def __init__(self, backend: str, request: GenerationRequest, backend_factory=None,
                 parent: QObject | None = None) -> None:
        super().__init__(f"generate-{backend}", self._generate, parent)
        self.backend_name = backend
        self.request = request
        self._factory = backend_factory

    def _generate(self, on_progress, cancel):
        """The work, in the worker thread: the backend's heavy imports happen here."""
        if self._factory is not None:
            backend = self._factory(self.backend_name)
        else:
            from models.registry import get_backend

            on_progress(Progress(0, max(1, self.request.steps or 1),
                                 message=f"loading {self.backend_name}"))
            backend = get_backend(self.backend_name)
        from app import workflows

        return workflows.generate(backend, self.request, on_progress=on_progress, cancel=cancel)
