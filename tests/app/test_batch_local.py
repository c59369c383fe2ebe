"""`panoforge batch` on this machine: the same bytes as a serial run, reruns that skip what is
finished and retry what failed, a killed or interrupted driver that resumes."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from app.batch import execute, runner
from app.batch.execute import finished
from app.batch.jobs import parse_jobs
from app.batch.runner import run_batch
from tests.app.batch_helpers import (
    TWELVE,
    cli,
    done_counts,
    dump,
    ledger,
    serial_run,
    staging_pids,
    start,
    tree,
    wait_for,
    write_jobs,
)

JOBS = parse_jobs(TWELVE, ".csv")


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    serial_run(JOBS, out)
    return tree(out)


def _visible_jobs_finished(out) -> None:
    """Every job folder in place is whole: its job.json matches and lists every file."""
    by_name = {j.name: j for j in JOBS}
    for entry in out.iterdir():
        if entry.name.startswith(".") or entry.is_file():
            continue
        assert finished(out, by_name[entry.name]) is not None, f"{entry} is partial"


def _mtimes(out, names) -> dict:
    return {p: p.stat().st_mtime_ns for n in names for p in (out / n).rglob("*")}


@pytest.mark.slow
def test_a_twelve_job_pool_run_gives_the_serial_bytes_and_a_ledger(serial, tmp_path):
    out = tmp_path / "out"
    res = cli(write_jobs(tmp_path), "--out", out, "--workers", "2")
    assert res.returncode == 0, dump(res)
    assert tree(out) == serial
    assert "12 done, 0 failed" in res.stdout and "pool, 2 workers" in res.stdout
    records = ledger(out)
    assert sorted(r["job"] for r in records) == sorted(j.name for j in JOBS)
    assert len({r["worker"] for r in records}) == 2  # (both processes took jobs)
    for r in records:
        assert r["status"] == "done" and r["error"] == "" and r["timings"]["total"] > 0
        assert r["request_hash"] == next(j for j in JOBS if j.name == r["job"]).request_hash
        assert all((out / p).is_file() for p in r["outputs"])
    assert not (out / ".partial").exists()
    # a rerun does nothing: every job skipped, no file touched
    before = _mtimes(out, [j.name for j in JOBS])
    again = cli(write_jobs(tmp_path), "--out", out, "--workers", "2")
    assert again.returncode == 0 and "12 skipped" in again.stdout, dump(again)
    assert _mtimes(out, [j.name for j in JOBS]) == before
    assert done_counts(out) == {j.name: 1 for j in JOBS}


def test_inline_run_gives_the_serial_bytes(serial, tmp_path):
    seen = []
    summary = run_batch(JOBS, tmp_path, workers=1, on_job=lambda e, n, i: seen.append((e, n)))
    assert summary.executor == "inline" and summary.status.done == 12
    assert tree(tmp_path) == serial
    assert ("progress", JOBS[0].name) in seen and ("finished", JOBS[-1].name) in seen


class _Flaky:
    """A procedural backend that fails for prompts containing "fail" while ``broken``."""

    broken = True

    def __init__(self, name):
        from models.registry import get_backend

        self.inner = get_backend(name)
        self.name = name

    def generate(self, request, on_progress=None, cancel=None):
        if _Flaky.broken and "fail" in request.prompt:
            raise RuntimeError("the model ran out of memory (a test)")
        return self.inner.generate(request, on_progress, cancel)


def test_failed_jobs_are_recorded_and_retried_changed_ones_redone(tmp_path):
    jobs = parse_jobs("prompt,seed,size,exports\na forest,1,64x32,glb\nplease fail,2,64x32,\n"
                      "a cave,3,64x32,ply\n", ".csv")
    first = run_batch(jobs, tmp_path, workers=1, backend_factory=_Flaky)
    assert (first.status.done, first.status.failed) == (2, 1)
    failed = [r for r in ledger(tmp_path) if r["status"] == "failed"]
    assert failed[0]["job"] == jobs[1].name and "out of memory" in failed[0]["error"]
    assert not (tmp_path / jobs[1].name).exists() and not (tmp_path / ".partial").exists()
    _Flaky.broken = False
    try:
        second = run_batch(jobs, tmp_path, workers=1, backend_factory=_Flaky)
    finally:
        _Flaky.broken = True
    assert (second.status.done, second.status.skipped) == (1, 2)
    # an output that went missing, or a changed request, makes the job run again
    (tmp_path / jobs[2].name / f"{jobs[2].name}.ply").unlink()
    changed = parse_jobs("prompt,seed,size,exports\na forest,1,64x32,glb;ply\n", ".csv")
    third = run_batch(changed + jobs[1:], tmp_path, workers=1)
    assert (third.status.done, third.status.skipped) == (2, 1)
    assert finished(tmp_path, changed[0]) and finished(tmp_path, jobs[0]) is None
    assert (tmp_path / jobs[0].name / f"{jobs[0].name}.ply").is_file()


def test_a_second_driver_on_the_same_folder_is_refused(tmp_path):
    from scene.errors import InputError

    jobs = parse_jobs("prompt,size\na,32x16\n", ".csv")
    inside = threading.Event()

    def hold(event, name, info):
        if event == "started":
            inside.set()
            with pytest.raises(InputError, match="another batch"):
                run_batch(jobs, tmp_path, workers=1)

    assert run_batch(jobs, tmp_path, workers=1, on_job=hold).status.done == 1
    assert inside.is_set()


def test_one_worker_per_gpu_when_the_jobs_need_one(monkeypatch):
    monkeypatch.setattr(runner, "gpu_count", lambda: 3)
    gpu_jobs = parse_jobs("prompt,backend\n" + "a,ldm3d-pano\n" * 8, ".csv")
    assert runner.default_workers(gpu_jobs) == (3, 3)
    assert runner.default_workers(gpu_jobs[:2]) == (2, 3)
    cpu_jobs = parse_jobs("prompt\n" + "a\n" * 64, ".csv")
    cores = len(os.sched_getaffinity(0))
    assert runner.default_workers(cpu_jobs) == (min(cores, 64), 0)


def test_a_worker_makes_each_backend_once():
    made = []

    def factory(name):
        made.append(name)
        return object()

    assert execute.backend("procedural", factory) is execute.backend("procedural", factory)
    assert made == ["procedural"]


@pytest.mark.slow
def test_kill_9_of_the_driver_resumes_without_redoing_or_partial_files(serial, tmp_path):
    out = tmp_path / "out"
    jobs_file = write_jobs(tmp_path)
    proc = start(jobs_file, "--out", out, "--workers", "2")
    try:
        wait_for(lambda: sum(r["status"] == "done" for r in ledger(out)) >= 4
                 and staging_pids(out), timeout=240)
    finally:
        proc.kill()  # SIGKILL: no handler, no cleanup
        proc.wait(timeout=30)
    workers = {pid for _, pid in staging_pids(out)}
    wait_for(lambda: not any(os.path.exists(f"/proc/{p}") for p in workers), timeout=30)
    _visible_jobs_finished(out)  # nothing half-written is in place
    before_names = [n for n in done_counts(out)]
    before = _mtimes(out, before_names)
    res = cli(jobs_file, "--out", out, "--workers", "2")
    assert res.returncode == 0, dump(res)
    assert _mtimes(out, before_names) == before, "a finished job was generated again"
    counts = done_counts(out)
    assert all(counts.get(n) == 1 for n in before_names)
    assert max(counts.values()) == 1
    skipped = {r["job"] for r in ledger(out) if r["status"] == "skipped"}
    assert set(before_names) <= skipped
    assert set(counts) | skipped == {j.name for j in JOBS}
    assert tree(out) == serial and not (out / ".partial").exists()


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_a_rerun_finishes(serial, tmp_path):
    out = tmp_path / "out"
    jobs_file = write_jobs(tmp_path)
    proc = start(jobs_file, "--out", out, "--workers", "2")
    wait_for(lambda: sum(r["status"] == "done" for r in ledger(out)) >= 2, timeout=240)
    proc.send_signal(signal.SIGINT)
    text, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, text
    assert "run the same command again" in text and "Traceback" not in text
    _visible_jobs_finished(out)
    assert not (out / ".partial").exists()
    res = cli(jobs_file, "--out", out)
    assert res.returncode == 0, dump(res)
    assert tree(out) == serial and max(done_counts(out).values()) == 1


def test_ray_without_the_extra_says_how_to_install_it(monkeypatch, tmp_path):
    import sys

    from scene.errors import InputError

    monkeypatch.setitem(sys.modules, "ray", None)  # (import ray raises ImportError)
    with pytest.raises(InputError, match="needs Ray") as err:
        run_batch(parse_jobs("prompt\na\n", ".csv"), tmp_path, ray_address="auto")
    assert "panoforge[ray]" in err.value.hint
