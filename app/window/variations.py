""""Generate variations: N seeds" of a gallery result, through the batch machinery.

The result's request (prompt, backend, size, steps, guidance) becomes N batch jobs with the
next N seeds (:func:`variation_jobs`); :class:`VariationsRun` runs them with
:func:`app.batch.runner.run_batch` in a worker thread (inline: one job after another in that
thread, so the window never spawns processes, and Ray is never imported here), with the
whole-batch progress, each job's stage and a cancel that stops within a step. Each job's
folder lands in the variations folder exactly as ``panoforge batch`` writes it (its
``batch.jsonl`` too, so running the same variations again skips what is done), and the
finished panoramas are added to the open project as new results.

Hooking it into the gallery is one line for the window's owner (the gallery's
``extra_actions``)::

    gallery.extra_actions = lambda rid: [*others(rid), *variations.gallery_actions(window, rid)]
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

__all__ = ["variation_jobs", "VariationsRun", "VariationsDialog", "gallery_actions",
           "default_folder", "MAX_VARIATIONS"]

MAX_VARIATIONS = 64


def variation_jobs(result, count: int, first_seed: int | None = None) -> list:
    """``count`` batch jobs repeating ``result``'s request with the seeds after its own.

    Parameters
    ----------
    result : scene.project.Result
    count : int
        1 to :data:`MAX_VARIATIONS`.
    first_seed : int, optional
        Default: the result's seed + 1.

    Returns
    -------
    list of app.batch.jobs.Job
        Named ``<result id>-v<k>-<prompt>-s<seed>``.
    """
    from app.batch.jobs import job_from_fields
    from models.base import SEED_MAX
    from models.registry import BACKENDS

    md = result.panorama.metadata
    backend = md.backend if md.backend in BACKENDS and BACKENDS[md.backend].kind == "text" \
        else "procedural"
    info = BACKENDS[backend]
    prompt = md.user_prompt or md.prompt or "a scene"
    start = (md.seed + 1) if first_seed is None else int(first_seed)
    fields = {"prompt": prompt, "backend": backend}
    if info.defaults.perspective:
        if md.width and md.height:
            fields.update(width=md.width, height=md.height)
    else:
        fields.update(width=result.panorama.width, height=result.panorama.height)
    if info.needs_weights:
        fields.update(steps=md.steps or None, guidance=md.guidance or None,
                      negative=md.negative_prompt, scheduler=md.scheduler or None)
        if md.device in ("cpu", "cuda"):
            fields["device"] = md.device
    jobs = []
    for k in range(count):
        seed = (start + k) % (SEED_MAX + 1)
        jobs.append(job_from_fields({**fields, "seed": seed, "id": f"{result.id}-v{k + 1}"},
                                    index=k + 1, line=0))
    return jobs


def default_folder(project_path: str | Path | None) -> Path:
    """``<project>-variations`` next to a saved project, else one in the temporary folder."""
    if project_path:
        p = Path(project_path)
        return p.with_name(f"{p.stem}-variations")
    return Path(tempfile.gettempdir()) / "panoforge-variations"


class VariationsRun(QObject):
    """Run variation jobs on a worker thread; signals arrive on the UI thread.

    Signals
    -------
    status(BatchStatus)
    job(str, str)
        ``(job name, what it is doing)``.
    finished(BatchSummary)
    errored(Exception)
    """

    status = Signal(object)
    job = Signal(str, str)
    finished = Signal(object)
    errored = Signal(object)

    def __init__(self, jobs: list, folder: str | Path, backend_factory=None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = list(jobs)
        self.folder = Path(folder)
        self._factory = backend_factory
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self.summary = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a VariationsRun runs once")
        self._thread = threading.Thread(target=self._work, name="variations", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop within a step; finished jobs stay, the rest can be run again later."""
        self._cancel.set()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout_s: float = 60.0) -> bool:
        if self._thread is not None:
            self._thread.join(timeout_s)
        return not self.is_running()

    def _on_job(self, event: str, name: str, info) -> None:
        if event == "progress":
            stage, p = info
            self.job.emit(name, f"{stage}: {p.message or ''} ({p.step}/{p.total})")
        elif event == "finished":
            self.job.emit(name, info["status"] + (f": {info['error']}" if info["error"] else ""))
        else:
            self.job.emit(name, event)

    def _work(self) -> None:
        from app.batch.runner import run_batch

        try:
            self.summary = run_batch(self.jobs, self.folder, executor="inline", workers=1,
                                     cancel=self._cancel, on_status=self.status.emit,
                                     on_job=self._on_job, backend_factory=self._factory)
        except Exception as exc:  # shown to the user
            self.errored.emit(exc)
        else:
            self.finished.emit(self.summary)


def finished_panoramas(folder: str | Path, jobs: list) -> list:
    """``(job, panorama)`` for each job whose folder is finished (its project's active one)."""
    from app.batch.execute import finished, job_folder
    from scene.project import load_project

    out = []
    for job in jobs:
        if finished(folder, job) is None:
            continue
        project = load_project(job_folder(folder, job) / f"{job.name}.panoforge")
        out.append((job, project.pick(None).panorama))
    return out


class VariationsDialog(QDialog):
    """Ask how many seeds and where, run them, add each finished one to ``doc``.

    Parameters
    ----------
    doc : app.window.document.Document
    result_id : str
    folder : path, optional
        Default :func:`default_folder` of the document's file.
    backend_factory : callable, optional
        Tests.
    """

    def __init__(self, doc, result_id: str, folder: str | Path | None = None,
                 backend_factory=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VariationsDialog")
        self.setWindowTitle("Generate variations")
        self.doc = doc
        self.result = doc.result(result_id)
        self._factory = backend_factory
        self.run: VariationsRun | None = None
        self.added: list = []
        lay = QVBoxLayout(self)
        md = self.result.panorama.metadata
        lay.addWidget(QLabel(f"“{md.user_prompt or md.prompt}” ({md.backend or 'procedural'}, "
                             f"seed {md.seed}) with the next seeds:"))
        form = QFormLayout()
        self.count = QSpinBox()
        self.count.setRange(1, MAX_VARIATIONS)
        self.count.setValue(4)
        form.addRow("Seeds", self.count)
        self.folder = QLineEdit(str(folder or default_folder(getattr(doc, "path", None))))
        form.addRow("Folder", self.folder)
        lay.addLayout(form)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        lay.addWidget(self.bar)
        self.status_label = QLabel("")
        self.job_label = QLabel("")
        self.job_label.setObjectName("hint")
        lay.addWidget(self.status_label)
        lay.addWidget(self.job_label)
        buttons = QDialogButtonBox()
        self.start_button = QPushButton("Generate")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.reject)
        lay.addWidget(buttons)

    def start(self) -> None:
        """Make the jobs and run them (returns at once)."""
        jobs = variation_jobs(self.result, self.count.value())
        self.bar.setRange(0, len(jobs))
        self.run = VariationsRun(jobs, self.folder.text(), self._factory, parent=self)
        self.run.status.connect(self._on_status)
        self.run.job.connect(self._on_job)  # (a bound slot: queued onto the UI thread)
        self.run.finished.connect(self._on_finished)
        self.run.errored.connect(self._on_error)
        self.start_button.setEnabled(False)
        self.count.setEnabled(False)
        self.folder.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.run.start()

    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()
            self.status_label.setText("cancelling…")

    def _on_job(self, name: str, what: str) -> None:
        self.job_label.setText(f"{name}: {what}")

    def _on_status(self, s) -> None:
        self.bar.setValue(s.done + s.failed + s.skipped + s.cancelled)
        from app.batch.runner import fmt_s

        eta = f", about {fmt_s(s.eta_s)} left" if s.left and s.eta_s == s.eta_s else ""
        self.status_label.setText(f"{s.done + s.skipped} done, {s.failed} failed, "
                                  f"{s.left} left{eta}")

    def _on_finished(self, summary) -> None:
        for _job, pano in finished_panoramas(summary.out_dir, self.run.jobs):
            self.added.append(self.doc.add_result(pano, kind="generated", make_active=False))
        s = summary.status
        what = "stopped" if summary.cancelled else "finished"
        self.status_label.setText(f"{what}: {len(self.added)} added to the project, "
                                  f"{s.failed} failed (see {summary.ledger})")
        self._idle()

    def _on_error(self, exc) -> None:
        self.status_label.setText(f"error: {getattr(exc, 'message', exc)}")
        self._idle()

    def _idle(self) -> None:
        self.cancel_button.setEnabled(False)
        self.close_button.setEnabled(True)

    def reject(self) -> None:
        if self.run is not None and self.run.is_running():
            self.run.cancel()
            self.run.wait(30.0)
        super().reject()


def gallery_actions(window, result_id: str) -> list:
    """The gallery context-menu entry: ``[("Generate variations…", open the dialog)]``.

    ``window`` needs ``doc`` (the open :class:`~app.window.document.Document`).
    """
    def open_dialog() -> None:
        VariationsDialog(window.doc, result_id, parent=window).exec()

    return [("Generate variations…", open_dialog)]
