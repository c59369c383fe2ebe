"""Tiny random-weight LDM3D model folders, built by the tests themselves (no hub, no weights).

The configurations have the real models' *shape* where it matters to Panoforge: a UNet with
4 latent channels in and out, an ``AutoencoderKL`` with a scale factor of 8 (four blocks)
whose image side has 4 channels (ldm3d-pano, ldm3d-4c) or 6 (ldm3d), a CLIP text encoder,
a CLIP BPE tokenizer whose ``vocab.json`` and ``merges.txt`` are written here, and Stable
Diffusion's DDIM scheduler configuration. Everything else is as small as possible so a
64x32 panorama takes a fraction of a second on a CPU.

Folders are written with ``StableDiffusionLDM3DPipeline.save_pretrained(safe_serialization=True)``,
exactly the layout of the published models.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path

__all__ = ["write_clip_tokenizer", "tiny_components", "build_tiny_ldm3d", "make_bin_only",
           "tiny_model", "TINY_UNET_STRIDE"]

#: Down-sampling factor of the tiny UNet (two blocks): latent rolls must be multiples of it.
TINY_UNET_STRIDE = 2
_MERGES = ["v i", "vi e", "vie w</w>", "o f</w>", "t h", "th e</w>", "3 6", "36 0</w>"]


def _byte_symbols() -> list[str]:
    """The 256 printable stand-ins that byte-level BPE (CLIP's) uses for the bytes 0..255."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def write_clip_tokenizer(folder: Path) -> int:
    """Write a minimal CLIP tokenizer (``vocab.json``, ``merges.txt``) into ``folder``.

    The vocabulary holds the two special tokens, every byte symbol alone and with the
    end-of-word marker ``</w>``, and the products of a handful of merges, so any prompt
    tokenizes (mostly letter by letter).

    Returns
    -------
    int
        The vocabulary size (the text encoder's ``vocab_size`` must be at least this).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    symbols = _byte_symbols()
    for s in symbols:
        vocab.setdefault(s, len(vocab))
    for s in symbols:
        vocab.setdefault(s + "</w>", len(vocab))
    for merge in _MERGES:
        vocab.setdefault(merge.replace(" ", ""), len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(_MERGES) + "\n",
                                       encoding="utf-8")
    return len(vocab)


def tiny_components(vae_channels: int = 4, seed: int = 0, tokenizer_dir: Path | None = None,
                    vae_out_channels: int | None = None) -> dict:
    """Tiny random components for ``StableDiffusionLDM3DPipeline(**components)``.

    Parameters
    ----------
    vae_channels : int
        Image channels of the VAE: 4 (RGB + depth), 6 (RGB + packed depth); 3 makes a plain
        Stable Diffusion VAE (for refusal tests).
    seed : int
        Seeds the random initialisation (same seed, same weights).
    tokenizer_dir : Path, optional
        Where to write the tokenizer files (a temporary folder by default).
    vae_out_channels : int, optional
        Overrides the VAE's output channels only.
    """
    import tempfile

    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    if tokenizer_dir is None:
        tokenizer_dir = Path(tempfile.mkdtemp(prefix="tiny-clip-tok-"))
    vocab_size = write_clip_tokenizer(tokenizer_dir)
    tokenizer = CLIPTokenizer.from_pretrained(str(tokenizer_dir), model_max_length=77)

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
        block_out_channels=(8, 16), norm_num_groups=4, cross_attention_dim=16,
        attention_head_dim=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
    )
    torch.manual_seed(seed + 1)
    vae = AutoencoderKL(
        in_channels=vae_channels, out_channels=vae_out_channels or vae_channels,
        latent_channels=4, layers_per_block=1, block_out_channels=(8, 8, 8, 8),
        norm_num_groups=4, sample_size=64,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    )
    torch.manual_seed(seed + 2)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=vocab_size, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, max_position_embeddings=77, projection_dim=16,
        bos_token_id=0, eos_token_id=1, pad_token_id=1,
    ))
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
        set_alpha_to_one=False, steps_offset=1,
    )
    return dict(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                scheduler=scheduler, safety_checker=None, feature_extractor=None,
                image_encoder=None, requires_safety_checker=False)


def build_tiny_ldm3d(folder: Path, vae_channels: int = 4, seed: int = 0,
                     vae_out_channels: int | None = None) -> Path:
    """Save a tiny random LDM3D pipeline to ``folder`` in the diffusers layout (safetensors).

    Returns
    -------
    Path
        ``folder``.
    """
    from diffusers import StableDiffusionLDM3DPipeline

    folder = Path(folder)
    comps = tiny_components(vae_channels, seed, folder.parent / (folder.name + "-tokenizer-src"),
                            vae_out_channels=vae_out_channels)
    StableDiffusionLDM3DPipeline(**comps).save_pretrained(str(folder), safe_serialization=True)
    return folder


def make_bin_only(folder: Path) -> None:
    """Turn a saved folder's safetensors weights into ``.bin`` pickles (for refusal tests)."""
    import torch
    from safetensors.torch import load_file

    for st in list(Path(folder).rglob("*.safetensors")):
        name = "pytorch_model.bin" if st.name == "model.safetensors" else \
            st.name.replace(".safetensors", ".bin")
        torch.save(load_file(str(st)), st.with_name(name))
        st.unlink()


@functools.cache
def _session_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="panoforge-tiny-ldm3d-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


@functools.cache
def tiny_model(vae_channels: int = 4) -> Path:
    """A tiny model folder built once per test process (treat it as read-only: copy it first
    to change it).

    Parameters
    ----------
    vae_channels : int
        4 (ldm3d-pano / ldm3d-4c layout), 6 (ldm3d) or 3 (plain Stable Diffusion).
    """
    return build_tiny_ldm3d(_session_root() / f"tiny-vae{vae_channels}", vae_channels)
