"""`panoforge batch --ray` on a real local Ray cluster this module starts (`ray start --head` on
127.0.0.1 with two CPUs, so two actors): the serial run's bytes, and a worker killed with
kill -9 mid-job whose job is retried on the restarted worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.batch.execute import finished
from app.batch.jobs import parse_jobs
from tests.app.batch_helpers import (
    ROOT,
    TWELVE,
    cli,
    done_counts,
    dump,
    env,
    ledger,
    serial_run,
    staging_pids,
    start,
    tree,
    wait_for,
    write_jobs,
)

pytest.importorskip("ray")
pytestmark = pytest.mark.slow



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``HOST:PORT`` of a Ray head with 2 CPUs; the whole process group is stopped after."""
    port = _free_port()
    temp = Path("/tmp") / f"ray-pf-{os.getpid()}"  # (short: Ray's socket paths must fit)
    ray = Path(sys.executable).with_name("ray")
    log = tmp_path_factory.mktemp("ray") / "head.log"
    with open(log, "w") as fh:
        head = subprocess.Popen(
            [str(ray), "start", "--head", "--block", f"--port={port}",
             "--node-ip-address=127.0.0.1", "--num-cpus=2", "--include-dashboard=false",
             "--disable-usage-stats", f"--temp-dir={temp}"],
            env=env(RAY_AUTH_MODE="disabled"), cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
            start_new_session=True)
    address = f"127.0.0.1:{port}"
    # (a throwaway cluster on the loopback interface: no token to share with the drivers)
    before = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    try:
        wait_for(lambda: "--block" in log.read_text() or head.poll() is not None, timeout=120,
                 every=0.2)
        assert head.poll() is None, log.read_text()
        yield address
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(head.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(3)
        head.wait(timeout=30)
        if before is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = before


def test_twelve_jobs_on_two_ray_workers_give_the_serial_bytes(cluster, tmp_path):
    serial = tmp_path / "serial"
    serial_run(parse_jobs(TWELVE, ".csv"), serial)
    out = tmp_path / "out"
    res = cli(write_jobs(tmp_path), "--out", out, "--ray", cluster)
    assert res.returncode == 0, dump(res)
    assert "12 done, 0 failed" in res.stdout and "(ray, 2 workers)" in res.stdout
    assert tree(out) == tree(serial)
    records = ledger(out)
    assert len({r["worker"] for r in records}) == 2
    # each worker keeps running jobs in its one process (its backends and model stay loaded)
    assert max(r["jobs_on_worker"] for r in records) >= 2
    assert done_counts(out) == {j.name: 1 for j in parse_jobs(TWELVE, ".csv")}


def test_a_worker_killed_mid_job_is_restarted_and_the_job_retried(cluster, tmp_path):
    text = ("prompt,seed,size,exports\na misty pine forest,1,2048x1024,glb\n"
            "a cave,2,256x128,ply\na hall,3,256x128,\na desert,4,256x128,glb\n")
    jobs = parse_jobs(text, ".csv")
    out = tmp_path / "out"
    proc = start(write_jobs(tmp_path, text), "--out", out, "--ray", cluster)
    try:
        name, pid = wait_for(lambda: next((s for s in staging_pids(out)
                                           if s[0] == jobs[0].name), None), timeout=180)
        time.sleep(0.3)
        os.kill(pid, signal.SIGKILL)  # the Ray worker process running the big job
        output, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "4 done, 0 failed" in output, output
    record = next(r for r in ledger(out) if r["job"] == name)
    assert record["status"] == "done" and record["worker"] != pid
    assert all(finished(out, j) for j in jobs)
    assert not (out / ".partial").exists(), "the killed attempt's files were left behind"
    assert done_counts(out) == {j.name: 1 for j in jobs}


def test_jobs_that_need_a_gpu_are_refused_by_a_cluster_without_one(cluster, tmp_path):
    res = cli(write_jobs(tmp_path, "prompt,backend\na forest,ldm3d-pano\n"), "--out",
              tmp_path / "out", "--ray", cluster)
    assert res.returncode == 2, dump(res)
    assert "needs a GPU and the Ray cluster has none" in res.stderr
    assert not [p for p in (tmp_path / "out").iterdir() if not p.name.startswith((".", "batch"))]
