#!/usr/bin/env python3
"""Image → mesh time and peak memory of the LRM prop backend, with random weights.

Usage::

    .venv/bin/python benchmarks/bench_lrm.py                          # base size, grids 128 256
    .venv/bin/python benchmarks/bench_lrm.py --size large --grids 256 --device cuda
    .venv/bin/python benchmarks/bench_lrm.py --size tiny --grids 64   # seconds: a smoke run

No weights are needed: the network is built in memory with the architecture of
``zxhezexin/openlrm-mix-base-1.1`` (``--size base``: DINOv2 ViT-B/14 with registers at 336
pixels, a 12-layer 768-wide triplane transformer, 3 × 48 × 64 × 64 planes; about 1 GB of
weights), ``-large-1.1``, or the tests' tiny one. Random weights change nothing about the cost
of the network. They do change the meshing, whose work grows with the surface area (and the
coarse-to-fine sampling, which only refines near the surface): so by default
(``--field ball``) the encoder and transformer run on the picture as they would, and the field
is then sampled from planes and an MLP of the real shapes set by hand to hold one ball, like
one object; ``--field random`` meshes the random network's own field at its median density,
a sponge of blobs with far more surface than any object: an upper bound.

Each grid runs in a fresh process so the peak memory is that run's alone. Printed per grid:
``encode`` (picture → triplane: DINOv2 + transformer + up-sampler), ``field`` (density on the
grid through the triplane MLP), ``mesh`` (marching cubes and vertex colours), ``total``
(cut-out of the picture → mesh, what ``panoforge prop add`` waits for after loading), and the
peak memory (process RSS on the CPU; ``torch.cuda.max_memory_allocated`` on CUDA).

Compared against: the LRM paper's "5 seconds per object" on one A100 GPU (Hong et al. 2023,
arXiv:2311.04400), and issue 12's goals: on a GPU under 5 s per object at grid 256; on this
CPU under 2 minutes with memory under 6 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAPER_GPU_S = 5.0
GOAL_GPU_S = 5.0
GOAL_CPU_S = 120.0
GOAL_CPU_GB = 6.0

CONFIGS = {
    "base": dict(camera_embed_dim=1024, rendering_samples_per_ray=96, transformer_dim=768,
                 transformer_layers=12, transformer_heads=12, triplane_low_res=32,
                 triplane_high_res=64, triplane_dim=48, encoder_type="dinov2",
                 encoder_model_name="dinov2_vitb14_reg", encoder_feat_dim=768),
    "large": dict(camera_embed_dim=1024, rendering_samples_per_ray=128, transformer_dim=1024,
                  transformer_layers=16, transformer_heads=16, triplane_low_res=32,
                  triplane_high_res=64, triplane_dim=80, encoder_type="dinov2",
                  encoder_model_name="dinov2_vitb14_reg", encoder_feat_dim=768),
}


def _config(size: str):
    import tempfile

    from models.lrm.weights import read_config

    if size == "tiny":
        from models.testing.tiny_lrm import TINY_CONFIG

        data = TINY_CONFIG
    else:
        data = CONFIGS[size]
    folder = Path(tempfile.mkdtemp(prefix="bench-lrm-"))
    (folder / "config.json").write_text(json.dumps(data), encoding="utf-8")
    return read_config(folder)


def _picture(size: int):
    """A red ball on a white backdrop, already cut out and centred (RGBA, uint8)."""
    import numpy as np

    yy, xx = np.mgrid[0:size, 0:size]
    img = np.full((size, size, 4), 255, np.uint8)
    disc = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (0.35 * size) ** 2
    img[disc, :3] = (190, 50, 40)
    img[..., 3] = np.where(disc, 255, 0)
    return img


def _ball(net, cfg, device: str, radius: float = 0.6):
    """Planes and MLP set by hand so the density is a ball (threshold 3.0, like a real
    object); same shapes as the network's own planes and MLP, so the same cost."""
    import math

    from models.testing.tiny_lrm import analytic_planes, set_analytic_decoder

    c = cfg.triplane_dim

    def fn(i, u, v):
        out = [0 * u] * c
        out[0] = u * u + v * v if i == 0 else (v * v if i == 1 else 0 * u)
        return out

    planes = analytic_planes(fn, c, res=cfg.triplane_high_res).to(device)
    base, k = 1.0 + math.log(math.expm1(3.0)), 8.0
    set_analytic_decoder(net.synthesizer.decoder, [
        ({0: {0: -1.0, c: -1.0}}, {0: 10.0}), ({0: {0: 1.0}}, {}), ({0: {0: 1.0}}, {}),
        ({0: {0: k}}, {0: base + k * (radius * radius - 10.0), 1: 1.0, 2: -1.0, 3: -1.0})])
    net.to(device)
    return planes, 3.0


def one(size: str, grid: int, device: str, field_kind: str) -> dict:
    """Run one image → mesh and return its numbers (called in a child process)."""
    import resource

    import torch

    from models.lrm.network import LRMNetwork
    from models.lrm.preprocess import cut_out, recentre
    from models.lrm.reconstruct import image_tensor, source_camera, triplane_field
    from models.props.mesher import mesh_field

    torch.manual_seed(0)
    cfg = _config(size)
    net = LRMNetwork(cfg).eval().requires_grad_(False).to(device)
    picture = _picture(512)
    cam = torch.from_numpy(source_camera())[None].to(device)

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    if field_kind == "ball":
        ball_planes, threshold = _ball(net, cfg, device)
    else:  # the threshold where the random field has a surface (not timed)
        with torch.no_grad():
            rgb = recentre(cut_out(picture, True)[0], cfg.source_size)
            planes = net.forward_planes(image_tensor(rgb, device), cam)
            pts = torch.rand(1, 8192, 3, device=device) * 1.6 - 0.8
            threshold = float(net.query(planes, pts)[0].median())
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    sync()
    t0 = time.perf_counter()
    with torch.no_grad():
        rgb = recentre(cut_out(picture, True)[0], cfg.source_size)
        planes = net.forward_planes(image_tensor(rgb, device), cam)
    sync()
    t1 = time.perf_counter()
    if field_kind == "ball":
        planes = ball_planes
    field = triplane_field(net, planes, threshold)
    marks = {}

    def progress(p):
        if p.message != "meshed":
            sync()
            marks["field"] = time.perf_counter()

    mesh = mesh_field(field, grid, progress)
    sync()
    t2 = time.perf_counter()
    field_end = marks.get("field", t2)
    peak_gb = (torch.cuda.max_memory_allocated() / 2**30 if device == "cuda"
               else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
    return {"size": size, "grid": grid, "device": device, "encode_s": t1 - t0,
            "field_s": field_end - t1, "mesh_s": t2 - field_end, "total_s": t2 - t0,
            "peak_gb": peak_gb, "faces": mesh.n_faces,
            "params_m": sum(p.numel() for p in net.parameters()) / 1e6}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", choices=("tiny", "base", "large"), default="base")
    ap.add_argument("--grids", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    ap.add_argument("--field", choices=("ball", "random"), default="ball",
                    help="what the MLP's field is: a ball set by hand (one object's surface; "
                    "default) or the random network's own (a sponge: an upper bound)")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.size, args.grids[0], args.device, args.field)))
        return 0
    device = args.device
    if device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"LRM image -> mesh, {args.size} architecture, random weights, {device}, "
          f"{args.field} field")
    print(f"compared against: the paper's ~{PAPER_GPU_S:g} s per object on one A100; goals: GPU "
          f"< {GOAL_GPU_S:g} s at grid 256, CPU < {GOAL_CPU_S:g} s and < {GOAL_CPU_GB:g} GB")
    for grid in args.grids:
        out = subprocess.run([sys.executable, __file__, "--one", "--size", args.size,
                              "--grids", str(grid), "--device", device, "--field", args.field],
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"grid {grid}: failed\n{out.stderr[-2000:]}")
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        goal_s = GOAL_GPU_S if device == "cuda" else GOAL_CPU_S
        verdict = "" if args.size == "tiny" else (
            "  [meets the time goal]" if r["total_s"] < goal_s else "  [over the time goal]")
        mem = "GPU peak allocated" if device == "cuda" else "process peak RSS"
        print(f"grid {grid:>4}: encode {r['encode_s']:6.2f} s  field {r['field_s']:6.2f} s  "
              f"mesh {r['mesh_s']:6.2f} s  total {r['total_s']:6.2f} s  "
              f"{mem} {r['peak_gb']:.2f} GB  ({r['params_m']:.0f} M parameters, "
              f"{r['faces']:,} faces){verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
