"""The ``ldm3d-sr`` model: its spec, and the folder check that runs before any weight is read.

Standard library only. Weight discovery (``--model`` folder, ``<models_home>/ldm3d-sr``, the
Hugging Face cache, the offline message with the download command) is the LDM3D family's
(:func:`models.ldm3d.weights.resolve_model`) with :func:`check_sr_folder` as the check.

The layout is the one Intel publishes as ``Intel/ldm3d-sr`` (read from diffusers' community
``pipeline_stable_diffusion_upscale_ldm3d.py`` and the model's file list; neither is ever run):

``vae/``
    ``AutoencoderKL`` with 4 image channels (RGB + depth) and 4 latent channels.
``unet/``
    ``UNet2DConditionModel`` with ``2 * latent_channels`` = 8 input channels (the noisy latent
    and the VAE latent of the bicubic-upsampled low-resolution RGBD) and a class embedding
    that takes the noise level.
``text_encoder/``, ``tokenizer/``
    CLIP.
``scheduler/``, ``low_res_scheduler/``
    The denoising scheduler, and the DDPM scheduler that the community pipeline names but
    never uses (its low-resolution noising is commented out; so it is here).
``safety_checker/``, ``feature_extractor/``
    Never loaded.

Defaults from that pipeline: 75 steps, guidance 9, noise level 20.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scene.errors import InputError

from ..ldm3d.weights import (
    FolderCheck,
    ModelLocation,
    ModelSpec,
    _read_json,
    check_weight_files,
    local_weights_available,
    read_model_index,
    resolve_model,
)

__all__ = ["SR_SPEC", "SR_DEFAULTS", "SRDefaults", "check_sr_folder", "resolve_sr_model",
           "sr_weights_available", "SR_LICENCE", "EXPECTED_CLASSES"]

#: The spec the LDM3D weight discovery works with (``width``/``height``: 4096x2048 output).
SR_SPEC = ModelSpec("ldm3d-sr", "Intel/ldm3d-sr", "equirect", 4, 4096, 2048, 75, 9.0, "ddim")
#: Licence tag on the model card (also in :mod:`models.catalog`).
SR_LICENCE = "creativeml-openrail-m"
#: The only classes instantiated, whatever ``model_index.json`` names.
EXPECTED_CLASSES = {"vae": "AutoencoderKL", "unet": "UNet2DConditionModel",
                    "text_encoder": "CLIPTextModel", "tokenizer": "CLIPTokenizer"}


@dataclass(frozen=True)
class SRDefaults:
    """The community pipeline's defaults.

    Parameters
    ----------
    steps : int
    guidance : float
    noise_level : int
        The class label given to the UNet (the low-resolution condition's noise level).
    factor : int
        Output size over input size, per axis.
    """

    steps: int = 75
    guidance: float = 9.0
    noise_level: int = 20
    factor: int = 4


SR_DEFAULTS = SRDefaults()


def _what_it_is(unet_in: object, latent: int, vae_out: object) -> str:
    if vae_out == 3 and unet_in == 7:
        return "a Stable Diffusion x4 upscaler (RGB only, conditioned on pixels, no depth)"
    if vae_out == 3:
        return "a plain Stable Diffusion model (its VAE decodes 3 channels: RGB only, no depth)"
    if unet_in == latent:
        return "an LDM3D text-to-RGBD model (its UNet takes only the latent)"
    return f"a model whose UNet takes {unet_in} channels and whose VAE decodes {vae_out}"


def check_sr_folder(folder: Path, spec: ModelSpec | None = None) -> FolderCheck:
    """Check that ``folder`` holds an LDM3D-SR model, reading only its small JSON files.

    Parameters
    ----------
    folder : Path
    spec : ModelSpec, optional
        Ignored (the signature :func:`models.ldm3d.weights.resolve_model` calls).

    Returns
    -------
    FolderCheck
        ``vae_channels`` is 4.

    Raises
    ------
    InputError
        Not a diffusers folder, classes from another library, a UNet without 8 input
        channels or a class embedding, a VAE that is not 4-channel RGBD, ``.bin``-only
        weights. The message says what the folder holds and what an SR model has.
    """
    folder = Path(folder)
    index = read_model_index(folder)
    vae = _read_json(folder / "vae" / "config.json", folder)
    unet = _read_json(folder / "unet" / "config.json", folder)
    latent = vae.get("latent_channels", 4)
    vae_in, vae_out = vae.get("in_channels"), vae.get("out_channels")
    unet_in = unet.get("in_channels")
    expected = (f"an LDM3D-SR model has a 4-channel RGBD VAE (in and out) and a UNet with "
                f"{2 * latent} input channels (latent + low-resolution condition) and a "
                "noise-level class embedding, like Intel/ldm3d-sr")
    if vae_in != 4 or vae_out != 4 or unet_in != 2 * latent \
            or unet.get("out_channels", latent) != latent:
        raise InputError(f"{folder} is not an LDM3D-SR model: it is "
                         f"{_what_it_is(unet_in, latent, vae_out)}",
                         hint=expected + "; or use --method classical (no weights)")
    if unet.get("num_class_embeds") is None and unet.get("class_embed_type") is None:
        raise InputError(f"{folder}: the UNet has no class embedding for the noise level",
                         hint=expected)
    for comp, cls in EXPECTED_CLASSES.items():
        named = index[comp][1] if isinstance(index.get(comp), list) else None
        if named != cls:
            raise InputError(f"{folder}: model_index.json names {named!r} for {comp}, "
                             f"not {cls}", hint=expected)
    variant = check_weight_files(folder)
    return FolderCheck(vae_channels=4, variant=variant,
                       class_name=str(index.get("_class_name", "")))


def resolve_sr_model(model: str | None = None) -> ModelLocation:
    """``--model`` (a folder, a Hugging Face id, or nothing: ``Intel/ldm3d-sr``) to a checked
    location; see :func:`models.ldm3d.weights.resolve_model`."""
    return resolve_model(SR_SPEC, model, check=check_sr_folder)


def sr_weights_available() -> tuple[bool, str]:
    """Whether LDM3D-SR weights are on disk (JSON reads only; no torch, no network)."""
    return local_weights_available(SR_SPEC.name, SR_SPEC, check_sr_folder)
