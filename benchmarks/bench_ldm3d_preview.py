#!/usr/bin/env python3
"""Overhead of the live preview during LDM3D denoising (goal: at most ~10 %).

Usage::

    .venv/bin/python benchmarks/bench_ldm3d_preview.py                    # tiny UNet, 1024x512
    .venv/bin/python benchmarks/bench_ldm3d_preview.py --arch sd15 --width 256 --height 128
    .venv/bin/python benchmarks/bench_ldm3d_preview.py --arch sd15 --device cuda   # on a GPU

No weights are needed: the pipeline is built in memory with random weights, either the tiny
test configuration (``--arch tiny``) or Stable Diffusion 1.x's real UNet / VAE / CLIP-L
architecture (``--arch sd15``, the architecture of the LDM3D models, about 1 B parameters:
several GB of memory, slow on a CPU). Random weights change nothing about the cost.

Printed:

- ``preview``: one preview (latent tensor -> numpy -> 4x3 linear map -> uint8) at the run's
  latent size, median of many calls, milliseconds;
- ``vae decode``: one full VAE decode of the same latent, the expensive alternative;
- ``step``: seconds per denoising step without previews and with a preview every
  ``--preview-every`` steps (and every step), best of ``--repeat`` runs, measured between
  the first and the last step's progress reports (model loading and decoding excluded);
- ``overhead``: the relative increase of the step time; and the overhead predicted from the
  two costs (preview / (every * step)), which is the steadier number on a noisy machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_OVERHEAD = 0.10


def sd15_components(vae_channels: int = 4) -> dict:
    """Random-weight components with Stable Diffusion 1.x's (and LDM3D's) architecture."""
    import tempfile

    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from models.testing.tiny_ldm3d import write_clip_tokenizer

    tok_dir = Path(tempfile.mkdtemp(prefix="bench-tok-"))
    write_clip_tokenizer(tok_dir)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=768, attention_head_dim=8,
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
    )
    vae = AutoencoderKL(
        in_channels=vae_channels, out_channels=vae_channels, latent_channels=4,
        layers_per_block=2, block_out_channels=(128, 256, 512, 512), sample_size=512,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    )
    text = CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072,
                                        num_hidden_layers=12, num_attention_heads=12,
                                        max_position_embeddings=77, bos_token_id=0,
                                        eos_token_id=1, pad_token_id=1))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    return dict(vae=vae, text_encoder=text,
                tokenizer=CLIPTokenizer.from_pretrained(str(tok_dir), model_max_length=77),
                unet=unet, scheduler=scheduler, safety_checker=None, feature_extractor=None,
                image_encoder=None, requires_safety_checker=False)


def build_pipeline(arch: str, device: str):
    import torch
    from diffusers import StableDiffusionLDM3DPipeline

    from models.ldm3d.loading import latent_passthrough
    from models.testing.tiny_ldm3d import tiny_components

    comps = sd15_components() if arch == "sd15" else tiny_components(4)
    pipe = StableDiffusionLDM3DPipeline(**comps)
    pipe.image_processor = latent_passthrough(pipe.vae_scale_factor)
    pipe.set_progress_bar_config(disable=True)
    pipe = pipe.to(device)
    return pipe.to(torch.float16) if device == "cuda" else pipe


def step_time(pipe, settings, latents, repeat: int) -> float:
    """Best seconds per step (between the first and last step's progress reports)."""
    from models.ldm3d.denoise import run_ldm3d

    best = float("inf")
    for _ in range(repeat):
        stamps: list = []

        def stamp(p, stamps=stamps):
            stamps.append((p.message, time.perf_counter()))

        run_ldm3d(pipe, settings, latents, on_progress=stamp)
        steps = [t for m, t in stamps if m == "denoising"]
        best = min(best, (steps[-1] - steps[0]) / (len(steps) - 1))
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", choices=("tiny", "sd15"), default="tiny")
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--height", type=int, default=512)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--preview-every", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = ap.parse_args(argv)

    import torch

    from models.ldm3d.denoise import RunSettings, initial_latents
    from models.ldm3d.latent_preview import latent_to_rgb

    t0 = time.perf_counter()
    pipe = build_pipeline(args.arch, args.device)
    print(f"arch {args.arch} on {args.device}, {args.width}x{args.height}, {args.steps} steps "
          f"(built in {time.perf_counter() - t0:.1f} s)")
    latents = initial_latents(0, args.width, args.height).to(args.device, pipe.unet.dtype)

    times = []
    for _ in range(200):
        t = time.perf_counter()
        latent_to_rgb(latents[0].float().cpu().numpy())
        times.append(time.perf_counter() - t)
    preview_s = statistics.median(times)
    with torch.no_grad():
        t = time.perf_counter()
        pipe.vae.decode(latents / pipe.vae.config.scaling_factor)
        decode_s = time.perf_counter() - t
    print(f"preview     {preview_s * 1e3:8.3f} ms  ({latents.shape[-1]}x{latents.shape[-2]} latent)")
    print(f"vae decode  {decode_s * 1e3:8.1f} ms  (the preview is {decode_s / preview_s:,.0f}x cheaper)")

    def settings(every: int) -> RunSettings:
        return RunSettings(prompt="360 view of a forest", negative_prompt="", width=args.width,
                           height=args.height, steps=args.steps, guidance=7.0, seamless=True,
                           preview_every=every)

    step_time(pipe, settings(0), latents, 1)  # warm-up
    base = step_time(pipe, settings(0), latents, args.repeat)
    every = step_time(pipe, settings(args.preview_every), latents, args.repeat)
    each = step_time(pipe, settings(1), latents, args.repeat)
    print(f"step        {base * 1e3:8.1f} ms without previews")
    print(f"            {every * 1e3:8.1f} ms with a preview every {args.preview_every} steps "
          f"(measured overhead {(every - base) / base:+.1%}, predicted "
          f"{preview_s / (args.preview_every * base):.3%})")
    print(f"            {each * 1e3:8.1f} ms with a preview every step "
          f"(measured overhead {(each - base) / base:+.1%}, predicted {preview_s / base:.3%})")
    predicted = preview_s / (args.preview_every * base)
    verdict = "within" if predicted <= GOAL_OVERHEAD else "OVER"
    print(f"goal: overhead <= {GOAL_OVERHEAD:.0%} at the default interval -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
