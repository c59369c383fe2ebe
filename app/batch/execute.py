"""One batch job, start to finish, appearing in the output folder whole or not at all.

Layout of a finished job (``OUT/<name>/``)::

    <name>.panoforge          the project (generated result, then upscaled / repaired ones)
    <name>.glb, <name>.ply    the active result's meshes (when asked for)
    images/, cubemap/         flat images and the six faces (when asked for)
    <name>-stereo360.png      top/bottom stereo (when asked for)
    job.json                  the job, its request hash and every output with its size

Everything is written into ``OUT/.partial/<name>.<pid>/`` first (each file through the
atomic writer of :mod:`scene.atomic`), ``job.json`` last, and the folder is then renamed to
``OUT/<name>`` in one step; a job killed at any point leaves only its staging folder, which the
next run removes (:func:`remove_stale_staging`, by the process id in its name). A finished job
is recognised by :func:`finished`: its ``job.json`` names the same request hash and every
output it lists is there with its size.

The work itself is :mod:`app.workflows` (generate, add to a project, save, export) and the
upscale and pole-repair entry points of :mod:`models.ldm3d_sr`; backends are kept per process
(:func:`backend`), and LDM3D keeps its pipeline in :mod:`models.loaded_model`, so a long-lived
worker loads a model once, not once per job.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import traceback
from pathlib import Path

from .jobs import Job

__all__ = ["run_job", "finished", "remove_stale_staging", "STAGING", "JOB_FILE", "backend",
           "job_folder"]

#: The staging folder inside the output folder.
STAGING = ".partial"
#: A finished job's record, inside its folder.
JOB_FILE = "job.json"
_BACKENDS: dict[tuple, object] = {}


def backend(name: str, factory=None):
    """The backend ``name`` of this process, made once per factory (its loaded model stays
    with it); ``factory`` defaults to :func:`models.registry.get_backend`."""
    if factory is None:
        from models.registry import get_backend as factory
    key = (name, factory)
    if key not in _BACKENDS:
        _BACKENDS[key] = factory(name)
    return _BACKENDS[key]


def job_folder(out_dir: str | os.PathLike, job: Job) -> Path:
    """Where ``job``'s outputs end up."""
    return Path(out_dir) / job.name


def remove_stale_staging(out_dir: str | os.PathLike) -> list[Path]:
    """Remove staging folders in ``OUT/.partial`` whose process is gone (or whose process id
    was taken by a later process).

    Returns
    -------
    list of Path
        What was removed. ``OUT/.partial`` itself goes once empty.
    """
    root = Path(out_dir) / STAGING
    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    # (the atomic writer's rule for its own temporary files: the writer is gone, or its process
    # id now belongs to a process started after the folder was last written)
    from scene.atomic import writer_is_gone

    for entry in entries:
        _, _, pid = entry.name.rpartition(".")
        try:
            if not pid.isdigit() or not writer_is_gone(int(pid), entry.stat().st_mtime):
                continue
        except OSError:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    with contextlib.suppress(OSError):
        root.rmdir()
    return removed


def finished(out_dir: str | os.PathLike, job: Job) -> dict | None:
    """The ``job.json`` record of ``job`` when its outputs are complete for its request.

    Returns
    -------
    dict or None
        ``None`` when the folder is missing, was made for another request (hash), or an
        output it lists is missing or of another size.
    """
    folder = job_folder(out_dir, job)
    try:
        record = json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("request_hash") != job.request_hash:
        return None
    for rel, size in (record.get("sizes") or {}).items():
        try:
            if (folder / rel).stat().st_size != size:
                return None
        except OSError:
            return None
    return record


def _export_plan(job: Job, staging: Path, project, result):
    from app.workflows import ExportPlan

    plan = ExportPlan(mesh_settings=project.mesh_settings, scene=project.scene(result.id))
    paths = {"glb": staging / f"{job.name}.glb", "ply": staging / f"{job.name}.ply",
             "images": staging / "images", "cubemap": staging / "cubemap",
             "stereo360": staging / f"{job.name}-stereo360.png"}
    for fmt in job.exports:
        plan.add(fmt, paths[fmt])
    return plan


def _files_under(folder: Path) -> dict[str, int]:
    sizes = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            sizes[path.relative_to(folder).as_posix()] = path.stat().st_size
    return sizes


def _commit(staging: Path, final: Path) -> None:
    """Put the staging folder at ``final`` (an older copy, of another request, goes)."""
    old = None
    if final.exists():
        old = staging.with_name(staging.name + ".old")
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    with contextlib.suppress(OSError):
        fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def run_job(job: Job, out_dir: str | os.PathLike, *, on_progress=None, cancel=None,
            backend_factory=None) -> dict:
    """Run ``job`` and move its folder into ``out_dir``; never raises for a job's own failure.

    Parameters
    ----------
    job : Job
    out_dir : path
        The batch's output folder (shared by every worker).
    on_progress : callable, optional
        ``(stage: str, models.base.Progress) -> None``; stage is ``generate``, ``upscale``,
        ``repair-poles``, ``save`` or ``export``.
    cancel : Event-like, optional
        Stops the job within a step (status ``cancelled``, nothing is moved into place).
    backend_factory : callable, optional
        ``name -> backend`` (tests).

    Returns
    -------
    dict
        ``job``, ``status`` (``done``, ``failed``, ``cancelled``), ``request_hash``,
        ``outputs`` (paths relative to ``out_dir``), ``timings`` (seconds per stage and
        ``total``), ``error`` (``""`` when done), ``worker`` (the process id).
    """
    from scene.errors import CancelledError, PanoforgeError

    out_dir = Path(out_dir)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    outcome = {"job": job.name, "line": job.line, "status": "failed",
               "request_hash": job.request_hash, "outputs": [], "timings": timings,
               "error": "", "worker": os.getpid()}
    staging = out_dir / STAGING / f"{job.name}.{os.getpid()}"

    def stage(name):
        if on_progress is None:
            return None
        return lambda p: on_progress(name, p)

    try:
        shutil.rmtree(staging, ignore_errors=True)
        from scene.output_paths import make_folder

        make_folder(staging)
        _work(job, staging, timings, stage, cancel, backend_factory)
        from models.base import raise_if_cancelled

        raise_if_cancelled(cancel)
        final = job_folder(out_dir, job)
        _commit(staging, final)
        outcome["outputs"] = [f"{job.name}/{rel}" for rel in _files_under(final)]
        outcome["status"] = "done"
    except CancelledError as exc:
        outcome.update(status="cancelled", error=exc.message)
    except PanoforgeError as exc:
        outcome["error"] = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
    except Exception as exc:  # a job's own failure is recorded, the batch goes on
        outcome["error"] = f"{type(exc).__name__}: {exc}"
        outcome["traceback"] = traceback.format_exc(limit=8)
    finally:
        if outcome["status"] != "done":
            shutil.rmtree(staging, ignore_errors=True)
        timings["total"] = round(time.perf_counter() - started, 4)
    return outcome


def _timed(timings, key, fn, *args, **kwargs):
    t0 = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    finally:
        timings[key] = round(time.perf_counter() - t0, 4)


def _work(job: Job, staging: Path, timings, stage, cancel, backend_factory) -> None:
    from app import workflows
    from scene.atomic import atomic_write_bytes
    from scene.project import Project

    gen = backend(job.backend, backend_factory)
    made = _timed(timings, "generate", workflows.generate, gen, job.generation_request(),
                  on_progress=stage("generate"), cancel=cancel)
    project = Project()
    result = workflows.add_to_project(project, made)
    if job.upscale:
        from models.ldm3d_sr.upscale import UpscaleRequest, upscale_panorama

        up, _why = _timed(timings, "upscale", upscale_panorama, result.panorama,
                          UpscaleRequest(job.upscale), on_progress=stage("upscale"),
                          cancel=cancel)
        result = project.add_result(up.panorama, kind="upscaled", parent_id=result.id,
                                    label=f"{result.label} (x4)")
    if job.repair_poles:
        from models.ldm3d_sr.poles import PoleSettings, repair_poles

        fixed = _timed(timings, "repair_poles", repair_poles, result.panorama, PoleSettings(),
                       on_progress=stage("repair-poles"), cancel=cancel)
        result = project.add_result(fixed.panorama, kind="repaired", parent_id=result.id,
                                    label=f"{result.label} (poles repaired)")
    _timed(timings, "save", workflows.save, project, staging / f"{job.name}.panoforge")
    if job.exports:
        plan = _export_plan(job, staging, project, result)
        _timed(timings, "export", workflows.export, plan, result.panorama, cancel=cancel)
    record = {"job": job.to_dict(), "request_hash": job.request_hash,
              "sizes": _files_under(staging)}
    atomic_write_bytes(staging / JOB_FILE,
                       (json.dumps(record, indent=1, sort_keys=True) + "\n").encode("utf-8"))
