#!/usr/bin/env python3
"""×4 upscaling: LDM3D-SR tile cost and memory, and the classical path's time and quality.

Usage::

    .venv/bin/python benchmarks/bench_upscale.py --quick            # smoke run (minutes, CPU)
    .venv/bin/python benchmarks/bench_upscale.py                    # full CPU numbers
    .venv/bin/python benchmarks/bench_upscale.py --device cuda      # on a GPU (fp16)

No weights are needed: the SR components are built in memory with random weights and run
through Panoforge's own tiled loop (:mod:`models.ldm3d_sr.pipeline`, the code ``panoforge
upscale --method sr`` runs after loading). Random weights change nothing about the cost.

Printed, with what each is compared against:

``sr tile-step``
    Seconds per UNet call on one 512x512-pixel tile (64x64 latent, classifier-free guidance:
    batch 2) with a UNet the size of Stable Diffusion's x4 upscaler (``--arch sd-x4``, about
    470 M parameters) or of LDM3D-SR's own SD-1.x-sized UNet (``--arch ldm3d-sr``, about
    860 M), and the projection for a 4096x2048 output at 75 steps (tiles x steps x that).
    Goal on a GPU (fp16): 4096x2048 in under 3 minutes with <= 6 GB.
``sr peak memory``
    On CUDA: ``torch.cuda.max_memory_allocated`` of whole tiled runs (encode, steps,
    decode) for growing output sizes with the same tile: it must not grow with the output.
    On the CPU: the peak resident memory of each run in a fresh process, next to the size of
    the full-resolution arrays that necessarily grow with it (condition image, output,
    weights): the rest (the model's working memory) is set by the tile.
``classical``
    The whole classical x4 of a 1024x512 procedural scene to 4096x2048 (goal: under 3 s on
    this 2-core machine), and RGB PSNR and depth MARE (the LDM3D-VR paper's depth metric; it
    reports 0.0537 for LDM3D-SR) against the scene rendered at 4096x2048, overall and within
    3 px of depth edges, next to plain bicubic (OpenCV) of the same input.
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

GOAL_CLASSICAL_S = 3.0
GOAL_GPU_S = 180.0
GOAL_GPU_GB = 6.0


def sr_components(arch: str, device: str):
    """Random-weight SR components (:class:`models.ldm3d_sr.loading.SRComponents`)."""
    import tempfile

    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from models.ldm3d.loading import select_device
    from models.ldm3d_sr.loading import SRComponents
    from models.testing.tiny_ldm3d import write_clip_tokenizer

    choice = select_device(device)
    torch.manual_seed(0)
    if arch == "sd-x4":  # stabilityai/stable-diffusion-x4-upscaler's UNet, 8 input channels
        cross = 1024
        unet = UNet2DConditionModel(
            sample_size=128, in_channels=8, out_channels=4, layers_per_block=2,
            block_out_channels=(256, 512, 512, 1024), cross_attention_dim=cross,
            attention_head_dim=8, num_class_embeds=1000, use_linear_projection=True,
            only_cross_attention=(True, True, True, False),
            down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * 3,
            up_block_types=("CrossAttnUpBlock2D",) * 3 + ("UpBlock2D",))
    elif arch == "ldm3d-sr":  # Stable Diffusion 1.x's UNet (Intel/ldm3d-sr's unet is 3.4 GB)
        cross = 768
        unet = UNet2DConditionModel(
            sample_size=64, in_channels=8, out_channels=4, layers_per_block=2,
            block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=cross,
            attention_head_dim=8, num_class_embeds=1000,
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3)
    else:  # tiny: the tests' model
        cross = 16
        unet = UNet2DConditionModel(
            sample_size=8, in_channels=8, out_channels=4, layers_per_block=1,
            block_out_channels=(8, 16), norm_num_groups=4, cross_attention_dim=cross,
            attention_head_dim=2, num_class_embeds=351,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"))
    big = arch != "tiny"
    vae = AutoencoderKL(
        in_channels=4, out_channels=4, latent_channels=4, layers_per_block=2 if big else 1,
        block_out_channels=(128, 256, 512, 512) if big else (8, 8, 8, 8),
        norm_num_groups=32 if big else 4,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4)
    tok_dir = Path(tempfile.mkdtemp(prefix="bench-sr-tok-"))
    vocab = write_clip_tokenizer(tok_dir)
    tokenizer = CLIPTokenizer.from_pretrained(str(tok_dir), model_max_length=77)
    text = CLIPTextModel(CLIPTextConfig(
        vocab_size=vocab, hidden_size=cross, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=8 if big else 2, max_position_embeddings=77, bos_token_id=0,
        eos_token_id=1, pad_token_id=1))
    for m in (unet, vae, text):
        m.eval().requires_grad_(False).to(choice.device, choice.dtype)
    config = dict(DDIMScheduler(beta_schedule="scaled_linear", clip_sample=False,
                                set_alpha_to_one=False, steps_offset=1).config)
    return SRComponents(vae, unet, text, tokenizer, config, choice)


def _params(module) -> float:
    return sum(p.numel() for p in module.parameters()) / 1e6


def tile_step(arch: str, device: str, latent: int, repeat: int) -> dict:
    """Seconds per UNet call on one tile (CFG batch 2), median of ``repeat``."""
    import statistics

    import torch

    comps = sr_components(arch, device)
    dev, dt = comps.choice.device, comps.unet.dtype
    x = torch.randn(2, 8, latent, latent, device=dev, dtype=dt)
    emb = torch.randn(2, 77, comps.unet.config.cross_attention_dim, device=dev, dtype=dt)
    labels = torch.full((2,), 20, device=dev, dtype=torch.long)
    t = torch.tensor(500, device=dev)
    times = []
    if dev == "cuda":
        torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        for k in range(repeat + 1):
            if dev == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            comps.unet(x, t, encoder_hidden_states=emb, class_labels=labels, return_dict=False)
            if dev == "cuda":
                torch.cuda.synchronize()
            if k:  # the first call warms up
                times.append(time.perf_counter() - t0)
    out = {"arch": arch, "unet_params_M": round(_params(comps.unet)), "device": dev,
           "dtype": comps.choice.dtype_name, "latent_tile": latent,
           "s_per_tile_step": statistics.median(times)}
    if dev == "cuda":
        out["peak_gb"] = torch.cuda.max_memory_allocated() / 2**30
    return out


def tiled_run(arch: str, device: str, width: int, steps: int, tile: int, overlap: int) -> dict:
    """One whole tiled SR run (encode, steps, decode) of a ``width``-wide output."""
    import resource

    import numpy as np
    import torch

    from models.ldm3d_sr.loading import make_scheduler
    from models.ldm3d_sr.pipeline import (
        SRRunSettings,
        Ticker,
        decode,
        denoise,
        encode_condition,
        encode_prompt,
        initial_noise,
    )
    from models.ldm3d_sr.tiles import make_grid

    comps = sr_components(arch, device)
    H, W = width // 2, width
    h, w = H // 8, W // 8
    grid = make_grid(h, w, tile // 8, overlap // 8)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    if comps.choice.device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    image = torch.rand(1, 4, H, W) * 2 - 1
    settings = SRRunSettings("a", "", steps, 9.0, 20)
    ticker = Ticker(len(grid) * (steps + 2), None, None, time.perf_counter())
    t0 = time.perf_counter()
    emb = encode_prompt(comps, "a", "", 9.0)
    cond = encode_condition(comps, image, grid, ticker)
    lat = denoise(comps, make_scheduler(comps.scheduler_config, "ddim"), emb, cond,
                  initial_noise(0, h, w), settings, grid, ticker)
    out = decode(comps, lat, grid, ticker)
    if comps.choice.device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    arrays_mb = (image.numel() * 4 + out.nbytes + np.prod(out.shape[1:]) * 4) / 2**20
    res = {"width": W, "height": H, "tiles": len(grid), "steps": steps, "seconds": seconds,
           "rss_before_mb": rss0,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10,
           "full_res_arrays_mb": float(arrays_mb)}
    if comps.choice.device == "cuda":
        res["cuda_peak_gb"] = torch.cuda.max_memory_allocated() / 2**30
    return res


def _in_child(func: str, **kw) -> dict:
    """Run ``func(**kw)`` in a fresh interpreter (its own peak memory) and return its dict."""
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
            f"from benchmarks.bench_upscale import {func}; "
            f"print('RESULT ' + json.dumps({func}(**{kw!r})))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=3600)
    for line in res.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(res.stderr[-2000:])


def classical(truth_width: int) -> dict:
    """Classical x4 of a procedural scene vs the scene rendered at ``truth_width``."""
    import cv2
    import numpy as np

    from models.base import GenerationRequest
    from models.ldm3d_sr.classical import upscale_depth_guided, upscale_rgb
    from models.ldm3d_sr.quality import bicubic_baseline, depth_edge_mask, depth_mare, psnr
    from models.procedural import make_backend

    b = make_backend("procedural")
    lw = truth_width // 4
    req = dict(prompt="a stone hall with pillars", seed=3)
    hi = b.generate(GenerationRequest(**req, width=truth_width, height=truth_width // 2))
    lo = b.generate(GenerationRequest(**req, width=lw, height=lw // 2))
    rgb_hi, d_hi = hi.panorama.rgb, np.asarray(hi.panorama.distance)
    rgb_lo = cv2.resize(rgb_hi, (lw, lw // 2), interpolation=cv2.INTER_AREA)
    d_lo = np.asarray(lo.panorama.distance)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        rgb_up = upscale_rgb(rgb_lo, 4)
        d_up = upscale_depth_guided(d_lo, rgb_up)
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    rgb_bic, d_bic = bicubic_baseline(rgb_lo, d_lo, 4)
    bic_s = time.perf_counter() - t0
    edges = depth_edge_mask(d_hi, within=3)
    return {"input": f"{lw}x{lw // 2}", "output": f"{truth_width}x{truth_width // 2}",
            "seconds": best, "bicubic_seconds": bic_s, "edge_fraction": float(edges.mean()),
            "psnr": psnr(rgb_up, rgb_hi), "psnr_bicubic": psnr(rgb_bic, rgb_hi),
            "mare": depth_mare(d_up, d_hi), "mare_bicubic": depth_mare(d_bic, d_hi),
            "mare_edges": depth_mare(d_up, d_hi, edges),
            "mare_edges_bicubic": depth_mare(d_bic, d_hi, edges)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: small sizes, one repeat")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--arch", default="sd-x4", choices=("sd-x4", "ldm3d-sr", "tiny"))
    ap.add_argument("--skip-sr", action="store_true")
    ap.add_argument("--skip-classical", action="store_true")
    args = ap.parse_args()

    if not args.skip_sr:
        latent = 32 if args.quick and args.device == "cpu" else 64
        r = _in_child("tile_step", arch=args.arch, device=args.device, latent=latent,
                      repeat=1 if args.quick else 3)
        ts = r["s_per_tile_step"]
        # a 4096x2048 output: latent 512x256 on the default 512 px tile / 128 px overlap grid
        from models.ldm3d_sr.tiles import make_grid

        n4k = len(make_grid(256, 512, 64, 16))
        scale = (64 / latent) ** 2  # tile area (the UNet's cost is at least linear in it)
        proj = n4k * 75 * ts * scale
        print(f"sr tile-step ({r['arch']}, {r['unet_params_M']} M UNet params, {r['device']} "
              f"{r['dtype']}, {latent}x{latent} latent tile, CFG batch 2): {ts:.3f} s")
        print(f"  projection for 4096x2048 at 75 steps: {n4k} tiles x 75 steps = {proj:.0f} s"
              + (f" (goal on a GPU: < {GOAL_GPU_S:.0f} s)" if args.device == "cuda" else
                 f" on this CPU ({proj / 3600:.1f} h; the GPU goal is {GOAL_GPU_S:.0f} s)"))
        if "peak_gb" in r:
            print(f"  CUDA peak for one tile: {r['peak_gb']:.2f} GB (goal <= {GOAL_GPU_GB} GB)")
        arch = args.arch if args.device == "cuda" else "tiny"
        widths = (256, 512) if args.quick else (512, 1024, 2048)
        if args.device == "cuda":
            widths = (1024, 4096)
        steps = 1 if args.quick or args.device == "cpu" else 2
        tile, overlap = (128, 32) if arch == "tiny" else (512, 128)
        print(f"sr peak memory of whole tiled runs ({arch} model, tile {tile} px, overlap "
              f"{overlap} px, {steps} step(s); each run in a fresh process):")
        for w in widths:
            m = _in_child("tiled_run", arch=arch, device=args.device, width=w, steps=steps,
                          tile=tile, overlap=overlap)
            line = (f"  {m['width']}x{m['height']}: {m['tiles']} tiles, {m['seconds']:.1f} s, "
                    f"peak RSS {m['peak_rss_mb']:.0f} MB (before the run "
                    f"{m['rss_before_mb']:.0f} MB; full-resolution arrays "
                    f"{m['full_res_arrays_mb']:.0f} MB)")
            if "cuda_peak_gb" in m:
                line += f", CUDA peak {m['cuda_peak_gb']:.2f} GB"
            print(line)
        print("  compare: the CUDA peak (the model's working memory) must stay flat; RSS grows "
              "only by the full-resolution arrays")

    if not args.skip_classical:
        tw = 2048 if args.quick else 4096
        c = classical(tw)
        print(f"classical x4 {c['input']} -> {c['output']}: {c['seconds']:.2f} s "
              f"(goal < {GOAL_CLASSICAL_S:.0f} s at 4096x2048; OpenCV bicubic alone "
              f"{c['bicubic_seconds']:.2f} s)")
        print(f"  RGB PSNR {c['psnr']:.2f} dB (bicubic {c['psnr_bicubic']:.2f} dB; same resampler)")
        print(f"  depth MARE overall {c['mare']:.4f} vs bicubic {c['mare_bicubic']:.4f}; "
              f"within 3 px of depth edges ({100 * c['edge_fraction']:.1f} % of pixels) "
              f"{c['mare_edges']:.4f} vs bicubic {c['mare_edges_bicubic']:.4f} "
              f"(LDM3D-SR paper, different data: 0.0537)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
