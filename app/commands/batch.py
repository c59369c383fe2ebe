"""``panoforge batch``: a jobs file of requests, run here (a process pool) or on Ray."""

from __future__ import annotations

import argparse
import sys

HELP = "run a file of generation requests (CSV, JSON Lines, TOML) locally or on a Ray cluster"
DESCRIPTION = """\
Run every request of a jobs file: generate, optionally upscale and repair the poles, save one
.panoforge project per job and write the exports it asks for. Each job gets its own folder in
--out, named <id or row>-<prompt>-s<seed>, and every outcome is appended to --out/batch.jsonl
(status, outputs, timings, error).

Every row is checked before any work starts; bad rows are listed with their line numbers.

Columns / keys: prompt (required), id, seed, backend (default procedural), size (WxH) or
width/height, steps, guidance, negative, scheduler, model, device, upscale (auto, sr,
classical; true = auto), repair_poles (true/false), exports (glb, ply, images, cubemap,
stereo360; in CSV one cell like "glb;ply").

Runs again safely: a job whose folder holds outputs made for the same request is skipped,
failed and unfinished ones run again, and nothing half-written is ever left in place (Ctrl+C,
a crash or kill -9 included).

Where it runs:
  (default)        on this machine: one process per GPU when the jobs need a GPU, else one
                   per CPU core (--workers N to choose; 1 runs in this process)
  --ray ADDRESS    on a Ray cluster (HOST:PORT, auto, or local to start one here): one actor
                   per worker that keeps its model loaded between jobs; --out must be a path
                   every node can write. Needs: pip install "panoforge[ray]"

examples:
  panoforge batch skyboxes.csv --out runs/skyboxes
  panoforge batch jobs.jsonl --out /shared/batch1 --ray 10.0.0.5:6379
  panoforge batch jobs.toml --out out --workers 2
  panoforge batch jobs.csv --out out --check
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("jobs", metavar="JOBS", help="a .csv, .jsonl or .toml jobs file")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder (one folder per job, and batch.jsonl)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="processes (or Ray actors) to run at once (default: by machine)")
    parser.add_argument("--ray", metavar="ADDRESS",
                        help="run on a Ray cluster: HOST:PORT, auto, or local")
    parser.add_argument("--check", action="store_true",
                        help="only check the jobs file and say what would run")


class _Printer:
    """Whole-batch lines on stdout (a job ended), stage changes of each job on stderr."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.status = None
        self._stage: dict[str, str] = {}

    def on_status(self, status) -> None:
        self.status = status

    def line(self) -> str:
        from app.batch.runner import fmt_s

        s = self.status
        stopped = f", {s.cancelled} stopped" if s.cancelled else ""
        return (f"{s.done} done, {s.failed} failed, {s.skipped} skipped{stopped}, {s.left} left"
                + (f", ETA {fmt_s(s.eta_s)}" if s.left and s.eta_s == s.eta_s else ""))

    def on_job(self, event: str, name: str, info) -> None:
        if event == "progress":
            stage, p = info
            key = f"{stage}: {p.message}" if p.message else stage
            if self._stage.get(name) != key:
                self._stage[name] = key
                print(f"  {name}: {key} ({p.step}/{p.total})", file=sys.stderr, flush=True)
        elif event == "finished":
            self._stage.pop(name, None)
            took = info.get("timings", {}).get("total")
            what = info["status"] + (f" in {took:.1f} s" if took is not None else "")
            if info["status"] != "done":
                what += f": {info['error']}"
            print(f"[{self.line()}] {name} {what}", flush=True)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.batch.jobs import read_jobs
    from app.batch.runner import fmt_s, run_batch
    from scene.errors import CancelledError, InputError
    from scene.output_paths import check_output_folder

    from .generate import _CancelOnInterrupt

    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}",
                         hint="for example --workers 2")
    jobs = read_jobs(args.jobs)
    out = Path(args.out)
    check_output_folder(out, "--out")
    if args.check:
        from app.batch.execute import finished

        done = sum(1 for j in jobs if out.is_dir() and finished(out, j) is not None)
        print(f"{args.jobs}: {len(jobs)} jobs are fine; {done} already finished in {out}, "
              f"{len(jobs) - done} would run")
        return 0
    printer = _Printer(len(jobs))
    with _CancelOnInterrupt() as interrupt:
        summary = run_batch(jobs, out, workers=args.workers, ray_address=args.ray,
                            cancel=interrupt.event, on_status=printer.on_status,
                            on_job=printer.on_job)
    s = summary.status
    where = f"{summary.executor}, {s.workers} worker{'s' if s.workers != 1 else ''}"
    print(f"batch: {printer.line()} in {fmt_s(s.elapsed_s)} ({where}); ledger {summary.ledger}")
    if summary.cancelled:
        raise CancelledError(f"batch stopped: {s.left + s.cancelled} jobs not finished",
                             hint="run the same command again to go on where it stopped")
    if s.failed:
        print(f"{s.failed} job{'s' if s.failed > 1 else ''} failed (see batch.jsonl); run the "
              "same command again to retry them", file=sys.stderr)
        return 1
    return 0
