"""Time the procedural generator per scene and per stage.

Run::

    .venv/bin/python benchmarks/bench_procedural.py                 # 1024x512, every scene
    .venv/bin/python benchmarks/bench_procedural.py --width 2048 --repeat 3
    .venv/bin/python benchmarks/bench_procedural.py --prompt "a misty pine forest at dawn"

For each prompt it prints the best-of-``--repeat`` wall time of a whole
``ProceduralBackend.generate`` call, the process CPU time of that same run (on a shared
machine wall time includes waiting for a core; CPU time does not, and with numpy's threads
it can exceed wall time), and the wall time of each stage (scene build, sky, terrain, props,
shading) taken from the progress reports. The target is under 3 s at 1024x512. The machine
may be shared: rerun and compare, and read the load average printed at the top.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.base import GenerationRequest  # noqa: E402
from models.procedural import ProceduralBackend  # noqa: E402

PROMPTS = (
    "a misty pine forest at dawn",
    "red desert dunes at sunset",
    "snowy alpine mountains at noon",
    "a tropical beach at sunset",
    "a grand library at night",
    "a gothic cathedral",
    "a crystal cave",
)


def run_once(prompt: str, width: int, seed: int) -> tuple[float, float, list[tuple[str, float]]]:
    marks: list[tuple[str, float]] = []
    backend = ProceduralBackend()
    cpu0 = time.process_time()
    t0 = time.perf_counter()

    def on_progress(p) -> None:
        marks.append((p.message, time.perf_counter()))

    backend.generate(GenerationRequest(prompt=prompt, seed=seed, width=width, height=width // 2),
                     on_progress=on_progress)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    stages = []
    prev = t0
    for name, t in marks:
        stages.append((name.split()[0] if name.startswith("built") else name, t - prev))
        prev = t
    return wall, cpu, stages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--prompt", action="append", help="prompt(s) to time (default: one per scene)")
    args = ap.parse_args(argv)
    prompts = args.prompt or PROMPTS
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"procedural generator, {args.width}x{args.width // 2}, best of {args.repeat}; "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    run_once("a forest", 64, 0)  # warm imports
    print(f"{'prompt':34s} {'wall s':>7s} {'cpu s':>7s}   stages (wall s)")
    worst = 0.0
    for prompt in prompts:
        best = None
        for _ in range(max(1, args.repeat)):
            r = run_once(prompt, args.width, args.seed)
            if best is None or r[0] < best[0]:
                best = r
        wall, cpu, stages = best
        worst = max(worst, wall)
        st = "  ".join(f"{n} {t:.2f}" for n, t in stages)
        print(f"{prompt:34s} {wall:7.2f} {cpu:7.2f}   {st}")
    print(f"slowest: {worst:.2f} s (target < 3 s at 1024x512)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
