"""Shared pieces of the batch tests: a 12-job procedural jobs file, a serial reference run,
the CLI in a subprocess, and the output tree as bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: 12 small procedural jobs: every export a batch can write without OpenGL, an upscale and a
#: pole repair, so a parallel run that changed any stage's output would differ from serial.
TWELVE = """\
id,prompt,seed,size,exports,upscale,repair_poles
,a misty pine forest at dawn,1,256x128,glb,,
,red desert dunes at sunset,2,256x128,ply,,
,a cave,3,256x128,glb;ply,,
,a vaulted hall,4,256x128,images,,
,"snowy mountains, clear day",5,256x128,cubemap,,
,a beach at night,6,256x128,glb,,
,a cozy library,7,128x64,,classical,
,a forest,8,256x128,glb,,true
sky-1,an autumn forest,9,256x128,,,
,a desert,10,256x128,glb,,
,a cathedral,11,256x128,ply,,
,a cloudy ocean,12,256x128,,,
"""


def env(**extra) -> dict:
    e = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    e.update(extra)
    return e


def write_jobs(folder: Path, text: str = TWELVE, name: str = "jobs.csv") -> Path:
    path = Path(folder) / name
    path.write_text(text, encoding="utf-8")
    return path


def batch_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "app", "batch", *map(str, args)]


def cli(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    """``python -m app batch ARGS``."""
    return subprocess.run(batch_args(*args), cwd=cwd or ROOT, env=env(), capture_output=True,
                          text=True, timeout=timeout)


def start(*args, cwd=None) -> subprocess.Popen:
    """``python -m app batch ARGS`` in the background (its output in a pipe)."""
    return subprocess.Popen(batch_args(*args), cwd=cwd or ROOT, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def serial_run(jobs, out: Path) -> None:
    """The reference: each job run alone, one after another, in this process."""
    from app.batch.execute import run_job

    for job in jobs:
        assert run_job(job, out)["status"] == "done"


def tree(folder: Path) -> dict[str, bytes]:
    """Every output file under ``folder`` (relative path -> bytes), without the ledger/lock."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in ("batch.jsonl", ".batch.lock")}


def ledger(folder: Path) -> list[dict]:
    from app.batch.ledger import read_ledger

    return [r for r in read_ledger(folder) if "job" in r]


def wait_for(predicate, timeout: float = 120.0, every: float = 0.02):
    """Poll ``predicate`` until it returns something true (returned), else fail."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")


def staging_pids(out: Path) -> list[tuple[str, int]]:
    """``(job name, pid)`` of each job being written now (``OUT/.partial/<name>.<pid>``)."""
    root = Path(out) / ".partial"
    found = []
    try:
        for entry in os.scandir(root):
            name, _, pid = entry.name.rpartition(".")
            if pid.isdigit():
                found.append((name, int(pid)))
    except OSError:
        pass
    return found


def done_counts(folder: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in ledger(folder):
        if r.get("status") == "done":
            counts[r["job"]] = counts.get(r["job"], 0) + 1
    return counts


def dump(res) -> str:
    return json.dumps({"rc": res.returncode, "out": res.stdout[-3000:],
                       "err": res.stderr[-3000:]}, indent=1)
