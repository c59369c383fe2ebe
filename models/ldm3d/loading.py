"""Load an LDM3D pipeline (diffusers' ``StableDiffusionLDM3DPipeline``) safely, and set it up.

Loading always goes through :func:`models.ldm3d.weights.resolve_model` first, which checks
the folder's JSON files before a single weight is read. Then:

- only safetensors are loaded (``use_safetensors=True``), only diffusers/transformers classes
  are instantiated (no ``custom_pipeline``, no ``trust_remote_code``);
- a Hugging Face id not yet in the cache is downloaded (online only) with the weight files
  restricted to the safetensors of ``unet``, ``vae`` and ``text_encoder``;
- the safety checker and its feature extractor are not loaded: the results are decoded by
  Panoforge itself (``models.ldm3d.rgbd_split``), where the pipeline's own checker would never
  run, and it would cost about 1.2 GB of memory;
- the device is CUDA in fp16 when present, else the CPU in fp32.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from scene.errors import InputError

from .weights import ModelLocation, ModelSpec, check_model_folder

__all__ = ["SCHEDULERS", "DeviceChoice", "select_device", "load_pipeline", "set_scheduler",
           "apply_memory_options", "download_model", "latent_passthrough"]

#: Scheduler names accepted by ``--scheduler`` (declared once, in models.base).
from models.base import SCHEDULERS  # noqa: E402


@dataclass(frozen=True)
class DeviceChoice:
    """Where and in which precision to run.

    Parameters
    ----------
    device : str
        ``"cuda"`` or ``"cpu"``.
    dtype_name : str
        ``"float16"`` on CUDA, ``"float32"`` on the CPU.
    """

    device: str
    dtype_name: str

    @property
    def dtype(self):
        import torch

        return getattr(torch, self.dtype_name)


def select_device(requested: str = "auto") -> DeviceChoice:
    """Pick the device for ``--device auto|cpu|cuda``.

    Raises
    ------
    InputError
        For an unknown name, or ``cuda`` without a usable CUDA GPU.
    """
    import torch

    requested = (requested or "auto").lower()
    if requested not in ("auto", "cpu", "cuda"):
        raise InputError(f"unknown device {requested!r}", hint="use --device auto, cpu or cuda")
    has_cuda = torch.cuda.is_available()
    if requested == "cuda" and not has_cuda:
        raise InputError("--device cuda was asked for but no CUDA GPU is available",
                         hint="use --device cpu (slow) or install a CUDA build of torch")
    if requested == "cuda" or (requested == "auto" and has_cuda):
        return DeviceChoice("cuda", "float16")
    return DeviceChoice("cpu", "float32")


@contextlib.contextmanager
def _quiet_loading():
    """Silence the libraries' loading bars and notices (the app shows its own progress).

    diffusers would print that the LDM3D pipeline class is deprecated (it is still shipped
    and tested: tests/models/test_diffusers_contract.py) and that ``accelerate`` would load
    faster; neither is something the user can act on.
    """
    from diffusers.utils import logging as dlog
    from transformers.utils import logging as tlog

    d_on = dlog.is_progress_bar_enabled()
    t_on = tlog.is_progress_bar_enabled()
    d_level, t_level = dlog.get_verbosity(), tlog.get_verbosity()
    dlog.disable_progress_bar()
    tlog.disable_progress_bar()
    dlog.set_verbosity(dlog.ERROR)
    tlog.set_verbosity(tlog.ERROR)
    try:
        yield
    finally:
        dlog.set_verbosity(d_level)
        tlog.set_verbosity(t_level)
        if d_on:
            dlog.enable_progress_bar()
        if t_on:
            tlog.enable_progress_bar()


def download_model(repo_id: str, spec: ModelSpec, check=None) -> ModelLocation:
    """Download ``repo_id`` into the Hugging Face cache (configs and safetensors only).

    Only called when ``HF_HUB_OFFLINE`` is not set and the model is not cached yet.
    ``check(folder, spec) -> FolderCheck`` (default
    :func:`~models.ldm3d.weights.check_model_folder`) checks the download: another diffusers
    family (``models.ldm3d_sr``) passes its own, as it does to ``resolve_model``.
    """
    from huggingface_hub import snapshot_download

    patterns = ["model_index.json", "*/config.json", "scheduler/*.json", "tokenizer/*"]
    patterns += [f"{c}/*.safetensors" for c in ("unet", "vae", "text_encoder")]
    patterns += [f"{c}/*.safetensors.index.json" for c in ("unet", "vae", "text_encoder")]
    try:
        folder = Path(snapshot_download(repo_id, allow_patterns=patterns))
    except Exception as exc:  # network, authentication, unknown repository
        raise InputError(f"could not download {repo_id}: {exc}",
                         hint=f"check the id and the network, or download it yourself: hf "
                         f"download {repo_id} --local-dir FOLDER and use --model FOLDER") from None
    return ModelLocation(folder, repo_id, folder.name, (check or check_model_folder)(folder, spec))


def load_pipeline(location: ModelLocation, choice: DeviceChoice, cpu_offload: bool = False):
    """Load the pipeline from a checked local folder.

    Parameters
    ----------
    location : ModelLocation
        From :func:`models.ldm3d.weights.resolve_model` (with a folder).
    choice : DeviceChoice
    cpu_offload : bool
        Keep the models in CPU memory and move each to the GPU only while it runs (needs
        ``accelerate`` and CUDA).

    Returns
    -------
    diffusers.StableDiffusionLDM3DPipeline
        On ``choice.device`` (or offloaded), its progress bar disabled, its image processor
        replaced by one that passes latents through.
    """
    import warnings

    import torch

    if location.folder is None or location.check is None:
        raise ValueError("load_pipeline needs a checked local folder")
    if cpu_offload:
        if choice.device != "cuda":
            raise InputError("--cpu-offload only helps on a CUDA GPU",
                             hint="drop --cpu-offload when running on the CPU")
        try:
            import accelerate  # noqa: F401
        except ImportError:
            raise InputError("--cpu-offload needs the accelerate package",
                             hint="pip install accelerate, or drop --cpu-offload") from None
    kwargs = dict(use_safetensors=True, local_files_only=True, torch_dtype=choice.dtype,
                  safety_checker=None, feature_extractor=None, image_encoder=None,
                  requires_safety_checker=False)
    if location.check.variant:
        kwargs["variant"] = location.check.variant
    with _quiet_loading(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from diffusers import StableDiffusionLDM3DPipeline

        try:
            pipe = StableDiffusionLDM3DPipeline.from_pretrained(str(location.folder), **kwargs)
        except (OSError, ValueError) as exc:
            raise InputError(f"could not load the model in {location.folder}: {exc}",
                             hint="the folder is incomplete or damaged; download the model "
                             "again") from None
    pipe.image_processor = latent_passthrough(pipe.vae_scale_factor)
    pipe.set_progress_bar_config(disable=True)
    if cpu_offload:
        pipe.enable_model_cpu_offload()
    else:
        try:
            pipe.to(choice.device)
        except torch.OutOfMemoryError:
            raise _oom_error(already=()) from None
    return pipe


def latent_passthrough(vae_scale_factor: int):
    """An LDM3D image processor whose ``postprocess(..., "latent")`` returns the latents.

    diffusers' own one raises for ``output_type="latent"``; Panoforge decodes the latents
    itself (see :mod:`models.ldm3d.rgbd_split`).
    """
    from diffusers.image_processor import VaeImageProcessorLDM3D

    class LatentPassthrough(VaeImageProcessorLDM3D):
        def postprocess(self, image, output_type="pil", do_denormalize=None):
            if output_type == "latent":
                return image, None
            return super().postprocess(image, output_type, do_denormalize)

    return LatentPassthrough(vae_scale_factor=vae_scale_factor)


def set_scheduler(pipe, name: str) -> None:
    """Replace the pipeline's scheduler, keeping the model's noise schedule.

    Parameters
    ----------
    name : {"ddim", "dpm++2m", "euler-a"}
    """
    from diffusers import (
        DDIMScheduler,
        DPMSolverMultistepScheduler,
        EulerAncestralDiscreteScheduler,
    )

    config = pipe.scheduler.config
    if name == "ddim":
        pipe.scheduler = DDIMScheduler.from_config(config)
    elif name == "dpm++2m":
        pipe.scheduler = DPMSolverMultistepScheduler.from_config(
            config, algorithm_type="dpmsolver++", solver_order=2)
    elif name == "euler-a":
        pipe.scheduler = EulerAncestralDiscreteScheduler.from_config(config)
    else:
        raise InputError(f"unknown scheduler {name!r}", hint="use one of: " + ", ".join(SCHEDULERS))


def apply_memory_options(pipe, attention_slicing: bool, vae_tiling: bool) -> None:
    """Turn attention slicing and VAE tiling on or off for the next run."""
    if attention_slicing:
        pipe.enable_attention_slicing()
    else:
        pipe.disable_attention_slicing()
    if vae_tiling:
        pipe.vae.enable_tiling()
    else:
        pipe.vae.disable_tiling()


#: Memory options, most effective first: (request attribute, command-line flag).
MEMORY_OPTIONS = (("attention_slicing", "--attention-slicing"), ("vae_tiling", "--vae-tiling"),
                  ("cpu_offload", "--cpu-offload"))


def _oom_error(already: tuple[str, ...]):
    from scene.errors import ResourceError

    left = [flag for attr, flag in MEMORY_OPTIONS if attr not in already]
    if left:
        hint = "turn on " + left[0] + (f" (then {', '.join(left[1:])})" if left[1:] else "") + \
            ", or use a smaller --width/--height"
    else:
        hint = "all memory options are on: use a smaller --width/--height or --device cpu"
    return ResourceError("the GPU ran out of memory", hint=hint)


def oom_error(request) -> Exception:
    """The ``ResourceError`` for a CUDA out-of-memory during ``request``."""
    on = tuple(attr for attr, _ in MEMORY_OPTIONS if getattr(request, attr, False))
    return _oom_error(on)
