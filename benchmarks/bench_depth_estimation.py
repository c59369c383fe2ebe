#!/usr/bin/env python3
"""Cost of monocular 360° depth estimation: tiles, seconds and peak memory per model size.

Usage::

    .venv/bin/python benchmarks/bench_depth_estimation.py                  # small + base, 2048x1024
    .venv/bin/python benchmarks/bench_depth_estimation.py --sizes small --width 1024
    .venv/bin/python benchmarks/bench_depth_estimation.py --device cuda    # on a GPU

No weights are needed: each model is a random-weight Depth Anything V2 with the published
architecture of its size (Small: DINOv2 ViT-S/14, 384 wide, 12 layers, 6 heads, neck
48/96/192/384, fusion 64, about 25 M parameters; Base: ViT-B/14, 768 wide, 12 heads, neck
96/192/384/768, fusion 128, about 98 M), saved to a temporary folder and loaded through
Panoforge's real loading path at the published input size (518 px). Random weights change
nothing about the cost. Each size runs in its own process so its peak memory is its own.

Printed per size: the tile layout and count, the seconds of the whole
:func:`estimate_panorama_depth` call on a ``--width`` x ``--width/2`` panorama (best of
``--repeat``) split into rendering the tiles, the network and the alignment + blending, the
model load time, the first (warm-up) call on one tile, and the process's peak resident memory
(CPU) or peak allocated GPU memory. The machine's load average is printed too: on a shared
machine the wall times are only as good as the cores the benchmark got, so the CPU time of the
call is printed with what it means on an idle machine (CPU seconds / torch threads).

Goals (issue 13): Small under 20 s on the development CPU (2 shared cores), under 1 s on a GPU.
What it compares against: the network alone (the ``network`` column) is the floor any tiling
pays; the rest is Panoforge's own geometry.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_S = {"cpu": 20.0, "cuda": 1.0}
ARCH = {
    "small": dict(hidden=384, layers=12, heads=6, neck=(48, 96, 192, 384), fusion=64),
    "base": dict(hidden=768, layers=12, heads=12, neck=(96, 192, 384, 768), fusion=128),
}


def _one(size: str, width: int, device: str, layout: str, repeat: int, input_size: int) -> dict:
    """Run one model size in this process and return its numbers."""
    import numpy as np
    import torch

    from models.depth_estimation import DepthEstimateOptions, estimate_panorama_depth
    from models.depth_estimation.transformers_estimator import load_transformers_estimator
    from models.testing.tiny_depth_anything import build_tiny_depth_anything
    from scene.testing.analytic import box_room

    folder = Path(tempfile.mkdtemp(prefix=f"bench-da-{size}-"))
    build_tiny_depth_anything(folder, size=input_size, amplify_head=False, **ARCH[size])
    t0 = time.perf_counter()
    est = load_transformers_estimator(str(folder), device=device)
    load_s = time.perf_counter() - t0
    params = est.n_parameters
    pano = box_room(width).panorama
    t0 = time.perf_counter()  # first call: kernel selection and allocation, reported apart
    est.estimate(np.zeros((1, est.input_size, est.input_size, 3), dtype=np.uint8))
    first_s = time.perf_counter() - t0
    best = None
    for _ in range(repeat):
        marks: list = []

        def mark(p, marks=marks):
            marks.append((p.message, time.perf_counter()))

        t0, c0 = time.perf_counter(), time.process_time()
        result = estimate_panorama_depth(pano, est, DepthEstimateOptions(layout=layout),
                                         on_progress=mark)
        if device == "cuda":
            torch.cuda.synchronize()
        total = time.perf_counter() - t0
        cpu = time.process_time() - c0
        rendered = marks[0][1] - t0
        estimated = [t for m, t in marks if m.startswith("estimated")][-1]
        row = {"total_s": total, "render_s": rendered, "network_s": estimated - marks[0][1],
               "align_blend_s": marks[-1][1] - estimated, "cpu_s": cpu}
        if best is None or total < best["total_s"]:
            best = row
    out = {"size": size, "params_m": params / 1e6, "device": est.device, "layout": layout,
           "tiles": result.record["tiles"]["count"], "tile_px": est.input_size,
           "depth_size": result.record["depth_size"], "load_s": load_s, "first_call_s": first_s,
           **best,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
           "finite": bool(np.isfinite(result.panorama.raw_depth).all()),
           "threads": torch.get_num_threads()}
    if est.device == "cuda":
        out["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", choices=tuple(ARCH), default=list(ARCH))
    ap.add_argument("--width", type=int, default=2048, help="panorama width (height is half)")
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    ap.add_argument("--layout", choices=("cube", "icosahedron"), default="cube")
    ap.add_argument("--input-size", type=int, default=518, help="tile size (published: 518)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one, args.width, args.device, args.layout, args.repeat,
                              args.input_size)))
        return 0
    print(f"depth estimation of a {args.width}x{args.width // 2} panorama, {args.layout} tiles "
          f"of {args.input_size} px, random weights, device {args.device}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'size':6} {'params':>7} {'dev':>4} {'tiles':>5} {'total s':>8} {'render':>7} "
          f"{'network':>8} {'align+blend':>11} {'load s':>7} {'peak MB':>8}  goal")
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--one", size, "--width", str(args.width), "--device",
               args.device, "--layout", args.layout, "--repeat", str(args.repeat),
               "--input-size", str(args.input_size)]
        res = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if res.returncode != 0:
            print(f"{size}: failed\n{res.stderr[-2000:]}")
            continue
        r = json.loads(res.stdout.strip().splitlines()[-1])
        peak = r.get("peak_gpu_mb", r["peak_rss_mb"])
        goal = GOAL_S.get(r["device"], float("nan"))
        verdict = "" if size != "small" else (
            f"{'met' if r['total_s'] < goal else 'MISSED'} (< {goal:g} s on {r['device']})")
        print(f"{size:6} {r['params_m']:6.1f}M {r['device']:>4} {r['tiles']:5d} "
              f"{r['total_s']:8.2f} {r['render_s']:7.2f} {r['network_s']:8.2f} "
              f"{r['align_blend_s']:11.2f} {r['load_s']:7.2f} {peak:8.0f}  {verdict}")
        print(f"       depth {r['depth_size'][0]}x{r['depth_size'][1]}, finite: {r['finite']}, "
              f"peak {'GPU allocated' if 'peak_gpu_mb' in r else 'process RSS'}, first "
              f"(warm-up) call on one tile {r['first_call_s']:.2f} s, not in the total")
        if r["device"] == "cpu":
            idle = r["cpu_s"] / max(1, r["threads"])
            against = "" if size != "small" else (
                f" ({'met' if idle < goal else 'MISSED'} against the {goal:g} s goal)")
            print(f"       CPU time {r['cpu_s']:.1f} s on {r['threads']} threads: about "
                  f"{idle:.1f} s of wall time on an idle machine{against}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
