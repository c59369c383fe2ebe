"""The local process pool: N worker processes, each running whole jobs.

Workers are started with ``spawn`` (a forked copy of a driver that has loaded torch or CUDA is
not safe), ignore Ctrl+C (the driver turns it into a cancel, which every worker sees through a
shared event and stops within a step), and die with the driver (Linux ``PR_SET_PDEATHSIG``), so
a driver killed with ``kill -9`` leaves no worker behind to finish a job after a rerun began.
With GPUs, each worker takes one device id before anything imports torch and sees only that
GPU (``CUDA_VISIBLE_DEVICES``).

Jobs are handed out a few at a time (at most two per worker queued), so a 100 000-job batch
does not sit in the pool's queue, and a cancel has little to withdraw.
"""

from __future__ import annotations

import os
import queue as _queue
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

__all__ = ["run_on_pool"]

_PROGRESS = None
_CANCEL = None


def _die_with_parent(parent: int) -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # (the parent died before the call)
        os._exit(1)


def _init(progress_q, cancel_ev, gpu_q, parent: int) -> None:
    global _PROGRESS, _CANCEL
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    _PROGRESS, _CANCEL = progress_q, cancel_ev
    if gpu_q is not None:
        try:
            os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu_q.get(timeout=5))
        except _queue.Empty:
            pass


def _run(job_dict: dict, out_dir: str) -> dict:
    from .execute import run_job
    from .jobs import Job

    job = Job.from_dict(job_dict)
    _PROGRESS.put(("started", job.name, os.getpid()))

    def progress(stage, p):
        _PROGRESS.put(("progress", job.name, (stage, p.step, p.total, p.message)))

    return run_job(job, out_dir, on_progress=progress, cancel=_CANCEL)


class _Report:
    """A :class:`models.base.Progress`-like record rebuilt from a worker's message."""

    __slots__ = ("step", "total", "message", "elapsed_s", "eta_s", "preview")

    def __init__(self, step, total, message) -> None:
        self.step, self.total, self.message = step, total, message
        self.elapsed_s = self.eta_s = 0.0
        self.preview = None


def run_on_pool(pending, out_dir, emit, cancel, *, workers: int, gpus: int = 0) -> None:
    """Run ``pending`` jobs on ``workers`` processes; ``emit(event, name, info)`` as they go.

    Parameters
    ----------
    pending : list of Job
    out_dir : Path
    emit : callable
        Called from this thread only: ``started``, ``progress`` (info ``(stage, Progress)``),
        ``finished`` (info: the outcome).
    cancel : Event-like
        Checked every 0.2 s; once set, no more jobs are handed out and the workers' own
        cancel event is set.
    workers : int
    gpus : int
        GPUs to hand out, one per worker (0: none).
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    progress_q = ctx.Queue()
    cancel_ev = ctx.Event()
    gpu_q = None
    if gpus:
        gpu_q = ctx.Queue()
        for i in range(workers):
            gpu_q.put(i % gpus)
    todo = iter(pending)
    in_flight: dict = {}
    started: set = set()
    ended: set = set()

    def drain() -> None:
        while True:
            try:
                event, name, info = progress_q.get_nowait()
            except (_queue.Empty, OSError, ValueError):
                return
            if name in ended:
                continue  # (a late report of a job already finished)
            if event == "started":
                started.add(name)
                emit("started", name, info)
            else:
                stage, step, total, message = info
                emit("progress", name, (stage, _Report(step, total, message)))

    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init,
                             initargs=(progress_q, cancel_ev, gpu_q, os.getpid())) as pool:
        try:
            while True:
                while not cancel.is_set() and len(in_flight) < 2 * workers:
                    job = next(todo, None)
                    if job is None:
                        break
                    in_flight[pool.submit(_run, job.to_dict(), str(out_dir))] = job
                if not in_flight:
                    break
                done, _ = wait(list(in_flight), timeout=0.2, return_when=FIRST_COMPLETED)
                drain()
                if cancel.is_set():
                    cancel_ev.set()
                    for fut in list(in_flight):
                        if fut.cancel():
                            in_flight.pop(fut)
                for fut in done:
                    job = in_flight.pop(fut)
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        outcome = _lost(job, "its worker process died")
                    except Exception as exc:  # (a pickling problem, a worker import error)
                        outcome = _lost(job, f"{type(exc).__name__}: {exc}")
                    if job.name not in started:
                        emit("started", job.name, outcome.get("worker"))
                    ended.add(job.name)
                    emit("finished", job.name, outcome)
        finally:
            if cancel.is_set():
                cancel_ev.set()
            drain()


def _lost(job, why: str) -> dict:
    return {"job": job.name, "line": job.line, "status": "failed",
            "request_hash": job.request_hash, "outputs": [], "timings": {},
            "error": why, "worker": None}
