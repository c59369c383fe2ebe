"""The batch driver: skip what is finished, run the rest, record every outcome.

:func:`run_batch` is the one entry point (the ``batch`` command and the window's
"Generate variations" call it). It

1. takes the output folder's lock (``OUT/.batch.lock``; a second driver on the same folder is
   refused) and removes staging folders of killed runs (:func:`.execute.remove_stale_staging`);
2. skips every job whose folder holds a ``job.json`` with the same request hash and all its
   outputs (:func:`.execute.finished`) — a ``skipped`` record in the ledger says so — and runs
   the others, failed ones of earlier runs included;
3. runs them on an executor: ``inline`` (this thread, one after another), ``pool`` (a process
   pool; one worker per GPU when the jobs need a GPU and there are GPUs, else one per CPU core,
   never more than there are jobs) or ``ray`` (:mod:`.ray_runner`);
4. appends each outcome to ``batch.jsonl`` as it arrives and reports progress: the whole batch
   (:class:`BatchStatus`: done, failed, skipped, left, ETA) and each job (started, its stages'
   :class:`models.base.Progress`, finished).

Cancelling (``cancel.set()``; the command line sets it on Ctrl+C) stops handing out jobs and
stops the running ones within a step; nothing half-made is moved into place, and a rerun goes
on where this one stopped.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .execute import finished, remove_stale_staging, run_job
from .jobs import Job

__all__ = ["BatchStatus", "BatchSummary", "run_batch", "default_workers", "EXECUTORS"]

EXECUTORS = ("auto", "inline", "pool", "ray")
#: Where the out-of-process executors live, named rather than imported (like
#: :data:`models.registry.BACKENDS`): importing this module, as the window does, never reaches
#: Ray, and the import-linter contract "the window never imports Ray" holds.
_EXECUTOR_TARGETS = {"pool": "app.batch.pool:run_on_pool",
                     "ray": "app.batch.ray_runner:run_on_ray"}


def _executor(kind: str):
    import importlib

    module, name = _EXECUTOR_TARGETS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def fmt_s(seconds: float) -> str:
    """``"42 s"``, ``"3:05"``, ``"1:02:03"``; ``"?"`` for NaN or infinity (no estimate yet)."""
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@dataclass
class BatchStatus:
    """Where the whole batch stands.

    Parameters
    ----------
    total : int
        Jobs in the file.
    done, failed, skipped, cancelled : int
        ``skipped``: finished by an earlier run.
    running : list of str
        Names of the jobs running now.
    elapsed_s, eta_s : float
        Seconds since this run started; estimated seconds left (``nan`` before the first job
        of this run ends).
    workers : int
    """

    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0
    running: list = field(default_factory=list)
    elapsed_s: float = 0.0
    eta_s: float = float("nan")
    workers: int = 1

    @property
    def left(self) -> int:
        """Jobs not finished, failed or cancelled yet (running ones included)."""
        return self.total - self.done - self.failed - self.skipped - self.cancelled


@dataclass
class BatchSummary:
    """What a run did.

    Parameters
    ----------
    status : BatchStatus
        At the end.
    outcomes : list of dict
        The ledger records this run wrote, in the order the jobs finished.
    out_dir, ledger : Path
    executor : str
        ``inline``, ``pool`` or ``ray``.
    cancelled : bool
    """

    status: BatchStatus
    outcomes: list
    out_dir: Path
    ledger: Path
    executor: str
    cancelled: bool = False


def _needs_gpu(jobs) -> bool:
    from models.registry import BACKENDS

    return any(BACKENDS[j.backend].needs_weights and j.device != "cpu" for j in jobs)


def gpu_count() -> int:
    """CUDA devices visible here (0 without torch or CUDA; imports torch)."""
    try:
        import torch

        return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0
    except ImportError:
        return 0


def default_workers(jobs) -> tuple[int, int]:
    """``(workers, gpus)`` for a local pool running ``jobs``.

    One worker per GPU when a job needs one and there are GPUs (each worker sees one GPU);
    otherwise one per CPU core; never more than there are jobs.
    """
    gpus = gpu_count() if _needs_gpu(jobs) else 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    n = gpus if gpus else (cores or 1)
    return max(1, min(n, len(jobs))), gpus


@contextlib.contextmanager
def _locked(out_dir: Path):
    import fcntl

    from scene.errors import InputError

    fd = os.open(out_dir / ".batch.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"another batch is writing to {out_dir} now",
                             hint="wait for it to finish, or choose another --out") from None
        yield
    finally:
        os.close(fd)


def run_batch(jobs: list[Job], out_dir: str | os.PathLike, *, executor: str = "auto",
              workers: int | None = None, ray_address: str | None = None, cancel=None,
              on_status: Callable[[BatchStatus], None] | None = None,
              on_job: Callable[[str, str, object], None] | None = None,
              backend_factory=None) -> BatchSummary:
    """Run ``jobs`` into ``out_dir`` (see the module docstring).

    Parameters
    ----------
    jobs : list of Job
        Checked jobs (:func:`app.batch.jobs.read_jobs`).
    out_dir : path
        Made when missing; on a cluster, a path every worker can write.
    executor : {"auto", "inline", "pool", "ray"}
        ``auto``: ``ray`` when ``ray_address`` is given, ``inline`` for one worker, else
        ``pool``.
    workers : int, optional
        Processes (pool) or actors (ray); default :func:`default_workers` (ray: the cluster's
        CPUs, or GPUs when the jobs need them).
    ray_address : str, optional
        ``auto``, ``local`` (start a Ray instance in this process) or ``HOST:PORT``.
    cancel : Event-like, optional
    on_status : callable, optional
        :class:`BatchStatus` after every change, from the thread that called this.
    on_job : callable, optional
        ``(event, job name, info)``; events ``started`` (info: worker process id or ``None``),
        ``progress`` (info: ``(stage, models.base.Progress)``), ``finished`` (info: the
        outcome dict), ``skipped`` (info: the ``job.json`` record).
    backend_factory : callable, optional
        ``name -> backend`` for the inline executor (tests).

    Returns
    -------
    BatchSummary
    """
    from scene.output_paths import check_output_folder, make_folder

    from .ledger import Ledger

    out_dir = Path(os.path.abspath(out_dir))  # (workers elsewhere have another cwd)
    check_output_folder(out_dir, "--out")
    make_folder(out_dir, "--out")
    cancel = cancel if cancel is not None else threading.Event()
    status = BatchStatus(total=len(jobs))
    outcomes: list[dict] = []
    t0 = time.perf_counter()
    ran = 0

    def report() -> None:
        status.elapsed_s = time.perf_counter() - t0
        if ran:
            status.eta_s = status.elapsed_s / ran * status.left  # (this run's rate)
        if on_status is not None:
            on_status(status)

    with _locked(out_dir), Ledger(out_dir, f"{uuid.uuid4().hex[:8]}") as ledger:
        remove_stale_staging(out_dir)
        pending = []
        for job in jobs:
            record = finished(out_dir, job)
            if record is None:
                pending.append(job)
                continue
            status.skipped += 1
            ledger.write({"job": job.name, "line": job.line, "status": "skipped",
                          "request_hash": job.request_hash,
                          "outputs": [f"{job.name}/{r}" for r in sorted(record["sizes"])],
                          "error": "", "timings": {}})
            if on_job is not None:
                on_job("skipped", job.name, record)
        kind = executor
        if kind == "auto":
            kind = "ray" if ray_address else None
        n, gpus = (workers, 0) if workers else (None, 0)
        if kind != "ray" and pending:
            if n is None:
                n, gpus = default_workers(pending)
            kind = kind or ("inline" if n == 1 else "pool")
        if not pending:
            kind, n = "none", 0
        status.workers = (n or 1) if pending else 0
        ledger.write({"event": "run", "jobs": len(jobs), "to_run": len(pending),
                      "skipped": status.skipped, "executor": kind or "inline",
                      "workers": status.workers})
        report()

        def emit(event: str, name: str, info) -> None:
            nonlocal ran
            if event == "started":
                status.running.append(name)
            elif event == "finished":
                if name in status.running:
                    status.running.remove(name)
                outcome = dict(info)
                outcome.pop("traceback", None)
                ledger.write(outcome)
                outcomes.append(outcome)
                if outcome["status"] == "done":
                    status.done += 1
                    ran += 1
                elif outcome["status"] == "cancelled":
                    status.cancelled += 1
                else:
                    status.failed += 1
                    ran += 1
            if on_job is not None:
                on_job(event, name, info)
            if event != "progress":
                report()

        if pending:
            if kind == "ray":
                run_on_ray = _executor("ray")
                status.workers = run_on_ray(pending, out_dir, emit, cancel,
                                            address=ray_address or "auto", workers=n,
                                            on_workers=lambda k: setattr(status, "workers", k))
            elif kind == "pool":
                _executor("pool")(pending, out_dir, emit, cancel, workers=n or 1, gpus=gpus)
            else:
                _run_inline(pending, out_dir, emit, cancel, backend_factory)
        remove_stale_staging(out_dir)
        for job in pending:  # (jobs never handed out after a cancel)
            if cancel.is_set() and not any(o["job"] == job.name for o in outcomes):
                status.cancelled += 1
        report()
    return BatchSummary(status=status, outcomes=outcomes, out_dir=out_dir,
                        ledger=ledger.path, executor=kind or "inline",
                        cancelled=cancel.is_set())


def _run_inline(pending, out_dir, emit, cancel, backend_factory) -> None:
    for job in pending:
        if cancel.is_set():
            return
        emit("started", job.name, os.getpid())
        outcome = run_job(job, out_dir, cancel=cancel, backend_factory=backend_factory,
                          on_progress=lambda stage, p, n=job.name: emit("progress", n, (stage, p)))
        emit("finished", job.name, outcome)
