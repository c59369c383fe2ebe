"""How long Cancel takes: the window's answer and the backend's stop, at a large size.

The window gives itself back at once on Cancel (app.window.generation lets the worker go);
the backend stops at its next cancel check, at most one step later. This prints, for a
procedural generation at ``--width`` (default 4096, the size issue 18 measured 8 s at):
each step's duration, and for a cancel pressed half-way through each step, the seconds
until the backend raised CancelledError. Goal: the window <= 0.5 s (it is immediate), the
backend within one step. Nothing is asserted.

    .venv/bin/python benchmarks/bench_cancel.py [--width 4096]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=4096)
    parser.add_argument("--prompt", default="a misty pine forest at dawn")
    args = parser.parse_args()
    from app import workflows
    from models.base import GenerationRequest
    from scene.errors import CancelledError

    req = GenerationRequest(prompt=args.prompt, seed=7, width=args.width, height=args.width // 2)
    steps = []
    t0 = time.perf_counter()
    workflows.generate("procedural", req,
                       on_progress=lambda p: steps.append((p.step, time.perf_counter() - t0)))
    total = time.perf_counter() - t0
    print(f"procedural {args.width}x{args.width // 2}: {total:.2f} s in {len(steps)} steps")
    prev = 0.0
    for step, t in steps:
        print(f"  step {step}: done at {t:.2f} s (took {t - prev:.2f} s)")
        prev = t
    for k in range(1, len(steps)):
        # press Cancel half-way through step k + 1 (the longest wait is a whole step)
        at = steps[k - 1][1] + 0.5 * (steps[k][1] - steps[k - 1][1])
        cancel = threading.Event()
        pressed = {}

        def press(cancel=cancel, pressed=pressed):
            pressed["t"] = time.perf_counter()
            cancel.set()

        timer = threading.Timer(at, press)
        timer.start()
        try:
            workflows.generate("procedural", req, cancel=cancel)
        except CancelledError:
            waited = time.perf_counter() - pressed["t"]
            print(f"  cancel half-way through step {k + 1}: the backend stopped {waited:.2f} s "
                  "later; the window was idle at once")
        timer.cancel()
    return 0


if __name__ == "__main__":
    sys.exit(main())
