"""Tiny random-weight LDM3D-SR folders, built by the tests (no hub, no weights).

The layout is Intel/ldm3d-sr's: ``model_index.json`` naming the community pipeline class,
``vae/`` (``AutoencoderKL``, 4 image channels, 4 latent channels, scale factor 8),
``unet/`` (``UNet2DConditionModel``, 8 input channels, a noise-level class embedding),
``text_encoder/`` + ``tokenizer/`` (CLIP; the tokenizer files are written by the tests),
``scheduler/`` (DDIM) and ``low_res_scheduler/`` (DDPM). Every component is saved with
``save_pretrained(safe_serialization=True)``. Sizes are as small as possible: a 32x16
panorama upscaled to 128x64 takes well under a second per step on a CPU.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path

from .tiny_ldm3d import write_clip_tokenizer

__all__ = ["build_tiny_sr", "tiny_sr_model", "TINY_SR_STRIDE", "MODEL_INDEX"]

#: Down-sampling factor of the tiny UNet (two blocks).
TINY_SR_STRIDE = 2
#: What Intel/ldm3d-sr's model_index.json holds (component -> [library, class]).
MODEL_INDEX = {
    "_class_name": "StableDiffusionUpscaleLDM3DPipeline",
    "_diffusers_version": "0.31.0",
    "feature_extractor": ["transformers", "CLIPImageProcessor"],
    "low_res_scheduler": ["diffusers", "DDPMScheduler"],
    "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
    "scheduler": ["diffusers", "DDIMScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "unet": ["diffusers", "UNet2DConditionModel"],
    "vae": ["diffusers", "AutoencoderKL"],
}


def build_tiny_sr(folder: Path, seed: int = 0, unet_in_channels: int = 8,
                  vae_channels: int = 4, block_out_channels=(8, 16), layers_per_block: int = 1,
                  cross_attention_dim: int = 16, attention_head_dim: int = 2,
                  norm_num_groups: int = 4) -> Path:
    """Save a tiny random LDM3D-SR model to ``folder``.

    ``unet_in_channels=4`` or ``vae_channels=3`` make folders that are *not* SR models (for
    the refusal tests). The other parameters size the UNet (the benchmark builds a real-sized
    one with them).

    Returns
    -------
    Path
        ``folder``.
    """
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n = len(block_out_channels)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=unet_in_channels, out_channels=4,
        layers_per_block=layers_per_block, block_out_channels=tuple(block_out_channels),
        norm_num_groups=norm_num_groups, cross_attention_dim=cross_attention_dim,
        attention_head_dim=attention_head_dim, num_class_embeds=351,
        down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (n - 1),
        up_block_types=("CrossAttnUpBlock2D",) * (n - 1) + ("UpBlock2D",),
    )
    torch.manual_seed(seed + 1)
    vae = AutoencoderKL(
        in_channels=vae_channels, out_channels=vae_channels, latent_channels=4,
        layers_per_block=1, block_out_channels=(8, 8, 8, 8), norm_num_groups=4, sample_size=64,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    )
    tok_dir = folder / "tokenizer"
    vocab = write_clip_tokenizer(tok_dir)
    CLIPTokenizer.from_pretrained(str(tok_dir), model_max_length=77).save_pretrained(str(tok_dir))
    torch.manual_seed(seed + 2)
    text = CLIPTextModel(CLIPTextConfig(
        vocab_size=vocab, hidden_size=cross_attention_dim, intermediate_size=32,
        num_hidden_layers=2, num_attention_heads=2, max_position_embeddings=77,
        projection_dim=16, bos_token_id=0, eos_token_id=1, pad_token_id=1))
    unet.save_pretrained(str(folder / "unet"), safe_serialization=True)
    vae.save_pretrained(str(folder / "vae"), safe_serialization=True)
    text.save_pretrained(str(folder / "text_encoder"), safe_serialization=True)
    DDIMScheduler(beta_start=0.0001, beta_end=0.02, beta_schedule="scaled_linear",
                  clip_sample=False, set_alpha_to_one=False, steps_offset=1,
                  ).save_pretrained(str(folder / "scheduler"))
    DDPMScheduler(beta_schedule="linear").save_pretrained(str(folder / "low_res_scheduler"))
    (folder / "model_index.json").write_text(json.dumps(MODEL_INDEX, indent=2), encoding="utf-8")
    return folder


@functools.cache
def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="panoforge-tiny-sr-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


@functools.cache
def tiny_sr_model() -> Path:
    """A tiny SR folder built once per test process (read-only: copy it to change it)."""
    return build_tiny_sr(_root() / "tiny-sr")
