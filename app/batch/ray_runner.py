"""The same batch jobs on a Ray cluster: one long-lived actor per worker slot.

Each actor (:class:`BatchWorker`) is a process that runs whole jobs with
:func:`app.batch.execute.run_job` and keeps its backends, and so the model LDM3D loaded into
:mod:`models.loaded_model`, for every job it is given: a model is loaded once per worker, not
once per job. Actors ask for one GPU each when a job's backend needs weights (the cluster must
have GPUs then), else one CPU. Every worker writes into the output folder the driver names,
which must be a path every node sees (a shared disk); the driver alone writes the ledger.

Faults: an actor whose process dies (``kill -9``, an out-of-memory kill, a lost node) is
restarted by Ray (``max_restarts``) and the job it was running is retried on it
(``max_task_retries``); the killed attempt left only its staging folder, which is removed when
the batch ends. A job that still fails is recorded as failed and retried by the next run.

Ray is an optional extra (``pip install "panoforge[ray]"``) and is imported only inside
:func:`run_on_ray`; the window never imports this module (an import-linter contract).
Per-job progress on a cluster is started / finished (stage reports stay on the workers).
"""

from __future__ import annotations

import os
import socket

__all__ = ["run_on_ray", "BatchWorker", "MAX_RESTARTS", "MAX_TASK_RETRIES"]

#: How often Ray restarts a worker whose process died, and retries the job it ran.
MAX_RESTARTS = 4
MAX_TASK_RETRIES = 3
#: Seconds to let running jobs finish after a cancel before their workers are stopped.
CANCEL_GRACE_S = 10.0


class BatchWorker:
    """A Ray actor that runs batch jobs (made remote by :func:`run_on_ray`)."""

    def __init__(self) -> None:
        self.jobs_run = 0

    def ping(self) -> int:
        """This worker's process id (the driver waits for every worker to be up)."""
        return os.getpid()

    def run(self, job_dict: dict, out_dir: str) -> dict:
        """Run one job (see :func:`app.batch.execute.run_job`) and return its outcome."""
        from .execute import run_job
        from .jobs import Job

        self.jobs_run += 1
        outcome = run_job(Job.from_dict(job_dict), out_dir)
        outcome["host"] = socket.gethostname()
        outcome["jobs_on_worker"] = self.jobs_run
        return outcome


def _connect(ray, address: str, workers: int | None) -> bool:
    """Connect (or start a local Ray); returns whether this call started it."""
    import logging

    from scene.errors import InputError

    if ray.is_initialized():
        return False
    kwargs = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        if address == "local":
            ray.init(num_cpus=workers, **kwargs)
        else:
            ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise InputError(f"cannot reach the Ray cluster at {address!r}: "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                         hint="start one with `ray start --head`, give its HOST:PORT, or "
                         "--ray auto on a node of a running cluster") from None
    return True


def run_on_ray(pending, out_dir, emit, cancel, *, address: str = "auto",
               workers: int | None = None, on_workers=None) -> int:
    """Run ``pending`` on Ray actors; ``emit(event, name, info)`` as jobs start and end.

    Parameters
    ----------
    pending : list of Job
    out_dir : Path
        Seen by every worker.
    emit, cancel
        As for :func:`app.batch.pool.run_on_pool`.
    address : str
        ``auto`` (the cluster this node belongs to), ``local`` (start one here) or
        ``HOST:PORT``.
    workers : int, optional
        Actors to start; default the cluster's GPUs (jobs that need one) or CPUs.
    on_workers : callable, optional
        Called with the number of actors once known.

    Returns
    -------
    int
        The number of actors used.

    Raises
    ------
    scene.errors.InputError
        Ray is not installed, the cluster cannot be reached, or the jobs need GPUs and the
        cluster has none.
    """
    from scene.errors import InputError

    try:
        import ray
    except ImportError:
        raise InputError("--ray needs Ray, which is not installed",
                         hint='pip install "panoforge[ray]"') from None
    from ray.exceptions import RayError

    from .runner import _needs_gpu

    started_here = _connect(ray, address, workers)
    try:
        resources = ray.cluster_resources()
        need_gpu = _needs_gpu(pending)
        if need_gpu:
            slots = int(resources.get("GPU", 0))
            if slots == 0:
                raise InputError("the jobs' backend needs a GPU and the Ray cluster has none",
                                 hint="add GPU nodes, or use --backend procedural / device cpu")
        else:
            slots = max(1, int(resources.get("CPU", 1)))
        n = max(1, min(workers or slots, len(pending)))
        if on_workers is not None:
            on_workers(n)
        actor = ray.remote(BatchWorker).options(
            num_cpus=1, num_gpus=1 if need_gpu else 0, max_restarts=MAX_RESTARTS,
            max_task_retries=MAX_TASK_RETRIES)
        actors = [actor.remote() for _ in range(n)]
        try:
            ray.get([a.ping.remote() for a in actors])
            _dispatch(ray, RayError, actors, pending, str(out_dir), emit, cancel)
        finally:
            for a in actors:
                ray.kill(a)
    finally:
        if started_here:
            ray.shutdown()
    return n


def _dispatch(ray, RayError, actors, pending, out_dir: str, emit, cancel) -> None:
    import time

    todo = iter(pending)
    idle = list(actors)
    in_flight: dict = {}
    cancelled_at = None
    while True:
        while idle and not cancel.is_set():
            job = next(todo, None)
            if job is None:
                break
            a = idle.pop()
            in_flight[a.run.remote(job.to_dict(), out_dir)] = (a, job)
            emit("started", job.name, None)
        if not in_flight:
            return
        if cancel.is_set():
            cancelled_at = cancelled_at or time.monotonic()
            if time.monotonic() - cancelled_at > CANCEL_GRACE_S:
                for _, job in in_flight.values():
                    emit("finished", job.name, _outcome(job, "cancelled", "the batch was "
                                                         "cancelled while it ran"))
                return
        ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=0.2)
        for ref in ready:
            a, job = in_flight.pop(ref)
            try:
                outcome = ray.get(ref)
            except RayError as exc:
                if cancel.is_set():  # (Ctrl+C also reaches a Ray started by this process)
                    outcome = _outcome(job, "cancelled", "the batch was cancelled while it ran")
                    idle.append(a)
                    emit("finished", job.name, outcome)
                    continue
                outcome = _outcome(job, "failed", f"its Ray worker failed "
                                   f"{MAX_TASK_RETRIES + 1} times: {type(exc).__name__}: "
                                   f"{str(exc).splitlines()[0] if str(exc) else ''}")
            idle.append(a)
            emit("finished", job.name, outcome)


def _outcome(job, status: str, why: str) -> dict:
    return {"job": job.name, "line": job.line, "status": status,
            "request_hash": job.request_hash, "outputs": [], "timings": {}, "error": why,
            "worker": None}
