"""Load the LDM3D-SR components from a checked folder: safetensors only, known classes only.

There is no LDM3D-SR pipeline class in diffusers (only a community file, which Panoforge
never runs), so the four components are loaded one by one, each with the class Panoforge
expects (never a class the folder names), from ``use_safetensors=True`` files, with
``local_files_only=True``. The scheduler is built from the folder's JSON configuration.
The safety checker, the feature extractor and the unused ``low_res_scheduler`` are not
loaded. CUDA runs in float16, the CPU in float32 (:func:`models.ldm3d.loading.select_device`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from scene.errors import InputError

from ..ldm3d.loading import DeviceChoice, _quiet_loading
from ..ldm3d.weights import ModelLocation

__all__ = ["SRComponents", "load_sr", "make_scheduler"]


@dataclass
class SRComponents:
    """The loaded model.

    Parameters
    ----------
    vae : diffusers.AutoencoderKL
    unet : diffusers.UNet2DConditionModel
    text_encoder : transformers.CLIPTextModel
    tokenizer : transformers.CLIPTokenizer
    scheduler_config : dict
        The folder's scheduler configuration (a fresh scheduler is made per run).
    choice : DeviceChoice
    """

    vae: object
    unet: object
    text_encoder: object
    tokenizer: object
    scheduler_config: dict
    choice: DeviceChoice

    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)


def load_sr(location: ModelLocation, choice: DeviceChoice) -> SRComponents:
    """Load the components of a checked LDM3D-SR folder onto ``choice.device``.

    Raises
    ------
    InputError
        The folder's files cannot be loaded (incomplete or damaged download).
    ResourceError
        The GPU ran out of memory.
    """
    import torch

    if location.folder is None or location.check is None:
        raise ValueError("load_sr needs a checked local folder")
    folder = str(location.folder)
    common = dict(use_safetensors=True, local_files_only=True, torch_dtype=choice.dtype)
    if location.check.variant:
        common["variant"] = location.check.variant
    with _quiet_loading(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from diffusers import AutoencoderKL, UNet2DConditionModel
        from transformers import CLIPTextModel, CLIPTokenizer

        try:
            vae = AutoencoderKL.from_pretrained(folder, subfolder="vae", **common)
            unet = UNet2DConditionModel.from_pretrained(folder, subfolder="unet", **common)
            text_encoder = CLIPTextModel.from_pretrained(folder, subfolder="text_encoder",
                                                         **common)
            tokenizer = CLIPTokenizer.from_pretrained(folder, subfolder="tokenizer",
                                                      local_files_only=True)
            config = _scheduler_config(location.folder)
        except (OSError, ValueError) as exc:
            raise InputError(f"could not load the model in {folder}: {exc}",
                             hint="the folder is incomplete or damaged; download the model "
                             "again") from None
    for module in (vae, unet, text_encoder):
        module.eval()
        module.requires_grad_(False)
    try:
        vae.to(choice.device)
        unet.to(choice.device)
        text_encoder.to(choice.device)
    except torch.OutOfMemoryError:
        from scene.errors import ResourceError

        raise ResourceError("the GPU ran out of memory loading LDM3D-SR",
                            hint="use --device cpu, or close other GPU programs") from None
    return SRComponents(vae, unet, text_encoder, tokenizer, config, choice)


def _scheduler_config(folder: Path) -> dict:
    import json

    path = folder / "scheduler" / "scheduler_config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return data


def make_scheduler(config: dict, name: str):
    """A fresh scheduler ``name`` (``ddim``, ``dpm++2m``, ``euler-a``) on the model's noise
    schedule (:func:`models.ldm3d.loading.set_scheduler` does the choosing)."""
    from types import SimpleNamespace

    from diffusers import DDIMScheduler

    from ..ldm3d.loading import set_scheduler

    holder = SimpleNamespace(scheduler=DDIMScheduler.from_config(config))
    set_scheduler(holder, name)
    return holder.scheduler
