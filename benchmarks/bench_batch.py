"""Batch throughput: jobs per minute locally (1 and 2 processes) and on Ray (2 workers).

Run::

    .venv/bin/python benchmarks/bench_batch.py                      # 8 jobs, 1024x512 + GLB
    .venv/bin/python benchmarks/bench_batch.py --jobs 16 --size 2048x1024
    .venv/bin/python benchmarks/bench_batch.py --jobs 4 --size 256x128 --no-ray   # smoke

Each configuration runs the same procedural jobs (a prompt and seed each, a GLB export) into
a fresh folder through :func:`app.batch.runner.run_batch`:

- ``inline``: one job after another in this process (the serial reference);
- ``pool x1`` and ``pool x2``: the local process pool with one and two worker processes;
- ``ray x2``: a Ray instance started here (``--ray local``) with two actors; its start-up
  (about 5-15 s) is printed apart and not counted in its jobs per minute.

Printed per configuration: wall time, jobs per minute, speed-up over ``pool x1`` (the goal is
near-linear: about 2 for two workers on two idle cores), and for Ray the overhead per job:
the time from handing a job to an actor until the driver has its outcome, minus the job's
own run time measured inside the worker (the goal is under 0.3 s). The machine may be
shared: the load average is printed at the top; compare runs made together.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.batch.jobs import parse_jobs  # noqa: E402
from app.batch.runner import run_batch  # noqa: E402

PROMPTS = ("a misty pine forest at dawn", "red desert dunes at sunset", "a crystal cave",
           "a gothic cathedral", "snowy alpine mountains at noon", "a tropical beach")


def make_jobs(n: int, size: str):
    rows = "".join(f'"{PROMPTS[i % len(PROMPTS)]}",{i},{size},glb\n' for i in range(n))
    return parse_jobs("prompt,seed,size,exports\n" + rows, ".csv")


def timed_run(jobs, **kwargs) -> dict:
    handed: dict[str, float] = {}
    latency: list[float] = []
    first = [None]

    def on_job(event, name, info):
        now = time.perf_counter()
        if event == "started":
            handed[name] = now
            first[0] = first[0] or now
        elif event == "finished" and name in handed:
            latency.append(now - handed[name] - info["timings"].get("total", 0.0))

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as out:
        t0 = time.perf_counter()
        summary = run_batch(jobs, out, on_job=on_job, **kwargs)
        wall = time.perf_counter() - t0
    assert summary.status.done == len(jobs), summary.outcomes[:2]
    job_s = [o["timings"]["total"] for o in summary.outcomes]
    steady = wall - ((first[0] - t0) if first[0] else 0.0)
    return {"wall": wall, "startup": wall - steady, "steady": steady, "job_s": job_s,
            "overhead": latency, "workers": summary.status.workers}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--size", default="1024x512")
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray configuration")
    args = ap.parse_args(argv)
    jobs = make_jobs(args.jobs, args.size)
    load = os.getloadavg()
    cores = len(os.sched_getaffinity(0))
    print(f"{args.jobs} procedural jobs at {args.size} + GLB; {cores} cores, load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    configs = [("inline", dict(executor="inline", workers=1)),
               ("pool x1", dict(executor="pool", workers=1)),
               ("pool x2", dict(executor="pool", workers=2))]
    if not args.no_ray:
        try:
            import ray  # noqa: F401

            configs.append(("ray x2", dict(ray_address="local", workers=2)))
        except ImportError:
            print("ray x2: skipped (Ray is not installed: pip install 'panoforge[ray]')")
    base = None
    print(f"{'config':<9} {'wall s':>7} {'start s':>8} {'jobs/min':>9} {'speed-up':>9} "
          f"{'job s (median)':>15} {'overhead/job s':>15}")
    for label, kwargs in configs:
        r = timed_run(jobs, **kwargs)
        per_min = 60.0 * len(jobs) / r["steady"]
        if label == "pool x1":
            base = per_min
        speed = f"{per_min / base:.2f}" if base else "-"
        over = (f"{statistics.median(r['overhead']):.3f}"
                if r["overhead"] and label.startswith("ray") else "-")
        print(f"{label:<9} {r['wall']:7.1f} {r['startup']:8.1f} {per_min:9.1f} {speed:>9} "
              f"{statistics.median(r['job_s']):15.2f} {over:>15}")
    print("goals: near-linear speed-up with workers (pool x2 and ray x2 about 2.0 on idle "
          "cores); Ray overhead per job under 0.3 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
