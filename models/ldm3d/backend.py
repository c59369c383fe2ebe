"""The LDM3D backends: ``ldm3d-pano`` (360°), ``ldm3d-4c`` and ``ldm3d`` (perspective).

All three run diffusers' ``StableDiffusionLDM3DPipeline``; what differs is in
:data:`models.ldm3d.weights.SPECS`: the Hugging Face id, the output layout (equirect or
perspective), the VAE's channel count (4 or 6) and the defaults.

Importing this module is cheap (no torch): the registry calls :func:`local_weights_available`
when it picks the default backend. Torch and diffusers load inside :meth:`LDM3DBackend.generate`.

Results
-------
``ldm3d-pano`` returns an :class:`~scene.panorama.RGBDPanorama`; the perspective models
return a :class:`~scene.panorama.PerspectiveRGBD` with ``fov_deg`` =
:data:`PERSPECTIVE_FOV_DEG` (``scene.perspective.perspective_to_equirect`` places it in a
panorama). The depth is kept raw: ``uint16`` relative inverse depth (disparity, 65535 =
nearest) with ``DepthInterpretation(kind="disparity", scale=1/65535)`` and the default
near/far of :mod:`scene.depth`, which the user can change later without loss.

Seamless
--------
``request.seamless`` applies to ``ldm3d-pano`` only (circular padding along the width in the
UNet and the VAE, :mod:`models.ldm3d.seamless`); a perspective image has no seam, so the flag is
ignored there and recorded as ``False``. ``LDM3DBackend.latent_roll`` (default 0) rolls the
latent by that many columns after every step, undone before decoding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from scene.depth import DEFAULT_FAR_M, DEFAULT_NEAR_M, DepthInterpretation
from scene.errors import InputError
from scene.extras import require
from scene.metadata import GenerationMetadata
from scene.panorama import PerspectiveRGBD, RGBDPanorama

from ..base import GenerationRequest, GenerationResult, Progress, raise_if_cancelled
from ..catalog import licence_records
from ..loaded_model import LoadedModel
from .denoise import RunSettings
from .weights import SPECS, ModelSpec, local_weights_available, resolve_model, spec_for

__all__ = ["LDM3DBackend", "make_backend", "local_weights_available", "PERSPECTIVE_FOV_DEG",
           "unload", "plan_request", "Plan"]

#: Horizontal field of view given to the perspective models' images, degrees.
#: LDM3D was trained on LAION-400M photographs with depth from DPT-Large; the photos carry no
#: intrinsics and DPT's relative depth fixes none, so there is no true value. 60° is what a
#: typical consumer camera or phone main lens covers (about 24-35 mm full-frame equivalent
#: gives 54-74°), the middle of what web photographs show, and scene.panorama's default.
PERSPECTIVE_FOV_DEG = 60.0
#: Largest number of denoising steps accepted.
MAX_STEPS = 1000

# One loaded pipeline per process (they take gigabytes); its lock serialises runs because
# the seamless patch and the memory options change the shared pipeline.
_PIPELINE = LoadedModel()


def unload() -> None:
    """Forget the loaded pipeline (frees its memory once nothing else refers to it)."""
    _PIPELINE.clear()


@dataclass(frozen=True, kw_only=True)
class Plan(RunSettings):
    """A request checked and completed with the backend's defaults (no torch needed): the
    run's :class:`~.denoise.RunSettings` plus what the backend uses around the run.

    Parameters
    ----------
    user_prompt : str
        As typed; ``prompt`` has the model's prefix ("360 view of ") when it needs one.
    scheduler : str
    (the rest)
        See :class:`~.denoise.RunSettings`; ``seamless`` is set only where it means something
        (panoramas), ``latent_roll`` and ``vae_tiling`` are filled in when the run starts.
    """

    user_prompt: str
    scheduler: str


def plan_request(spec: ModelSpec, request: GenerationRequest) -> Plan:
    """Check ``request`` and fill its ``None`` fields from ``spec``.

    Raises
    ------
    InputError
        Empty prompt, bad size (not a multiple of 8, not 2:1 for a panorama), steps or
        guidance out of range, unknown scheduler.
    """
    from .loading import SCHEDULERS

    user_prompt = (request.prompt or "").strip()
    if not user_prompt:
        raise InputError("the prompt is empty", hint='describe the scene, e.g. "a misty pine '
                         'forest at dawn"')
    prompt = user_prompt
    prefix = spec.prompt_prefix
    if prefix and not user_prompt.lower().startswith(prefix.strip().lower()):
        prompt = prefix + user_prompt
    width, height = request.width, request.height
    if spec.layout == "equirect":
        if width is None and height is None:
            width, height = spec.width, spec.height
        elif height is None:
            height = width // 2
        elif width is None:
            width = height * 2
    else:
        width = spec.width if width is None else width
        height = spec.height if height is None else height
    for label, v in (("width", width), ("height", height)):
        if not isinstance(v, int) or v <= 0 or v % 8:
            raise InputError(f"--{label} must be a positive multiple of 8, got {v}",
                             hint=f"for example --width {spec.width} --height {spec.height}")
    if spec.layout == "equirect" and width != 2 * height:
        raise InputError(f"a panorama must be 2:1, got {width}x{height}",
                         hint=f"use --width {2 * height} --height {height}")
    steps = spec.steps if request.steps is None else request.steps
    if not isinstance(steps, int) or not (1 <= steps <= MAX_STEPS):
        raise InputError(f"--steps must be between 1 and {MAX_STEPS}, got {steps}",
                         hint=f"{spec.name} is usually run with {spec.steps} steps")
    guidance = spec.guidance if request.guidance is None else float(request.guidance)
    if not (guidance >= 0 and guidance < 100):
        raise InputError(f"--guidance must be between 0 and 100, got {guidance}",
                         hint=f"{spec.name} works well around {spec.guidance}")
    scheduler = (request.scheduler or spec.scheduler).lower()
    if scheduler not in SCHEDULERS:
        raise InputError(f"unknown scheduler {scheduler!r}",
                         hint="use one of: " + ", ".join(SCHEDULERS))
    preview_every = int(request.preview_every or 0)
    if preview_every < 0:
        raise InputError(f"preview interval must be >= 0, got {preview_every}")
    return Plan(user_prompt=user_prompt, prompt=prompt,
                negative_prompt=request.negative_prompt or "", width=width, height=height,
                steps=steps, guidance=guidance, scheduler=scheduler,
                seamless=bool(request.seamless) and spec.layout == "equirect",
                preview_every=preview_every)


class LDM3DBackend:
    """An LDM3D model as a Panoforge generator (see the module docstring).

    Parameters
    ----------
    name : {"ldm3d-pano", "ldm3d-4c", "ldm3d"}

    Attributes
    ----------
    latent_roll : int
        Latent columns to roll by after every step of a seamless panorama (0 = off).
    """

    def __init__(self, name: str) -> None:
        self.spec = spec_for(name)
        self.name = name
        self.label = {"ldm3d-pano": "LDM3D-pano (1024x512 360°)",
                      "ldm3d-4c": "LDM3D-4c (512x512 perspective)",
                      "ldm3d": "LDM3D (512x512 perspective)"}[name]
        self.latent_roll = 0

    def available(self) -> tuple[bool, str]:
        """Whether the default weights are on disk (cheap, no torch)."""
        return local_weights_available(self.name)

    # -- the pipeline ------------------------------------------------------------------
    def pipeline(self, request: GenerationRequest):
        """The loaded diffusers pipeline for ``request`` through the backend's one loading path.

        The model is resolved (``request.model``: folder, Hugging Face id or the default),
        checked and refused before any weight is read, downloaded when online and missing,
        and kept in the backend's one-pipeline cache (one load per folder, variant, device
        and offload choice). Other stages that draw with an LDM3D model (the layer filler)
        call this instead of loading their own copy.

        Parameters
        ----------
        request : GenerationRequest
            Only ``model``, ``device`` and ``cpu_offload`` are read.

        Returns
        -------
        (pipeline, ModelLocation, DeviceChoice)
            The diffusers pipeline, where its weights came from, and the device it runs on.

        Raises
        ------
        InputError
            The model folder is missing or not an LDM3D model, or offline without weights.
        """
        from .loading import download_model, load_pipeline, select_device

        location = resolve_model(self.spec, request.model)
        if location.folder is None:
            location = download_model(location.model_id, self.spec)
        choice = select_device(request.device)
        key = (str(location.folder.resolve()), location.check.variant, choice, request.cpu_offload)
        pipe = _PIPELINE.get(key, lambda: load_pipeline(location, choice,
                                                          cpu_offload=request.cpu_offload))
        return pipe, location, choice

    # -- generation --------------------------------------------------------------------
    def generate(self, request: GenerationRequest, on_progress=None, cancel=None) -> GenerationResult:
        """Make an RGBD image from ``request`` (see :class:`models.base.Backend`).

        Raises
        ------
        InputError
            Bad request, model folder missing/not LDM3D/``.bin``-only, weights missing offline.
        ResourceError
            The GPU ran out of memory (the hint names the option to turn on).
        CancelledError
            ``cancel`` was set; nothing is returned.
        """
        started = time.perf_counter()
        plan = plan_request(self.spec, request)
        require("ldm3d", ("torch", "diffusers", "transformers"), f"--backend {self.name}")
        raise_if_cancelled(cancel)
        if on_progress is not None:
            on_progress(Progress(0, plan.steps, 0.0, 0.0, None, "loading model"))
        with _PIPELINE.lock:
            import torch

            from .denoise import initial_latents, run_ldm3d
            from .loading import apply_memory_options, oom_error, set_scheduler
            from .rgbd_split import split_rgbd
            from .seamless import unet_stride

            pipe, location, choice = self.pipeline(request)
            raise_if_cancelled(cancel)
            multiple = pipe.vae_scale_factor * unet_stride(pipe.unet)
            if plan.seamless and (plan.width % multiple or plan.height % multiple):
                h = max(multiple, round(plan.height / multiple) * multiple)
                raise InputError(
                    f"a seamless panorama needs a size that is a multiple of {multiple}, got "
                    f"{plan.width}x{plan.height}", hint=f"use --width {2 * h} --height {h}")
            set_scheduler(pipe, plan.scheduler)
            apply_memory_options(pipe, request.attention_slicing, request.vae_tiling)
            settings = replace(plan, latent_roll=self.latent_roll if plan.seamless else 0,
                               vae_tiling=request.vae_tiling)
            latents = initial_latents(request.seed, plan.width, plan.height, pipe.vae_scale_factor)
            generator = torch.Generator(device="cpu").manual_seed(int(request.seed) + 1)
            try:
                decoded = run_ldm3d(pipe, settings, latents, generator=generator,
                                    on_progress=on_progress, cancel=cancel, started=started)
            except torch.OutOfMemoryError:
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                raise oom_error(request) from None
        rgb, depth = split_rgbd(decoded)
        return self._result(plan, request, rgb, depth, location, choice, settings,
                            time.perf_counter() - started, decoded.shape[0])

    def _result(self, plan, request, rgb, depth, location, choice, settings, duration, channels):
        import diffusers
        import torch

        layout = "16-bit" if channels == 4 else "16-bit packed as G*256+B"
        interp = DepthInterpretation(kind="disparity", near=DEFAULT_NEAR_M, far=DEFAULT_FAR_M,
                                     scale=1.0 / 65535.0, source=f"{self.name} {layout}")
        extra = {
            "diffusers_version": diffusers.__version__, "torch_version": torch.__version__,
            "vae_channels": channels, "latent_roll": settings.latent_roll,
            "model_folder": str(location.folder), "weights_variant": location.check.variant or "",
            "depth_encoding": f"disparity uint16 ({layout})", "safety_checker": "not loaded",
        }
        if self.spec.layout == "perspective":
            extra["fov_deg"] = PERSPECTIVE_FOV_DEG
        meta = GenerationMetadata(
            backend=self.name, prompt=plan.prompt, user_prompt=plan.user_prompt,
            negative_prompt=plan.negative_prompt, seed=int(request.seed), steps=plan.steps,
            guidance=plan.guidance, width=plan.width, height=plan.height,
            scheduler=plan.scheduler, model_id=location.model_id,
            model_revision=location.revision, device=choice.device, dtype=choice.dtype_name,
            seamless=plan.seamless, duration_s=round(duration, 3), extra=extra,
            licences=licence_records((location.model_id, self.name)))
        if self.spec.layout == "equirect":
            pano = RGBDPanorama(rgb=rgb, raw_depth=depth, interpretation=interp, metadata=meta)
            return GenerationResult(panorama=pano, metadata=meta)
        from scene.perspective import place_in_panorama

        view = PerspectiveRGBD(rgb=rgb, raw_depth=depth, interpretation=interp,
                               fov_deg=PERSPECTIVE_FOV_DEG, metadata=meta)
        pano = place_in_panorama(view)
        return GenerationResult(panorama=pano, metadata=pano.metadata, perspective=view)


def make_backend(name: str) -> LDM3DBackend:
    """Registry factory: ``"ldm3d-pano"``, ``"ldm3d-4c"`` or ``"ldm3d"``."""
    if name not in SPECS:
        raise InputError(f"unknown LDM3D backend {name!r}", hint="choose one of: " + ", ".join(SPECS))
    return LDM3DBackend(name)
