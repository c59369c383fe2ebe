"""The generator protocol: ``generate(request, on_progress=None, cancel=None) -> result``.

A backend turns a :class:`GenerationRequest` into a :class:`GenerationResult` holding a
``scene`` object and the metadata that made it. Long work calls ``on_progress`` with a
:class:`Progress` after every step and checks ``cancel`` (anything with ``is_set()``, e.g. a
``threading.Event``) at least once per step, raising :class:`scene.errors.CancelledError`
rather than returning a half-finished result. The same callback drives the terminal bar of
the CLI and the progress bar of the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from scene.errors import CancelledError, InputError
from scene.metadata import GenerationMetadata
from scene.panorama import PerspectiveRGBD, RGBDPanorama

__all__ = [
    "GenerationRequest", "Progress", "GenerationResult", "Backend", "ProgressCallback",
    "raise_if_cancelled", "SEED_MIN", "SEED_MAX", "check_seed", "SCHEDULERS", "check_scheduler",
]

#: The seeds every backend accepts, both ends included. Declared once: the request checks it,
#: the CLI's help and the window's seed field read it. 2**63 - 1 is what every generator in
#: use takes (numpy's ``SeedSequence`` takes any non-negative integer; torch's
#: ``Generator.manual_seed`` takes up to 2**64 - 1, and LDM3D seeds it with ``seed + 1``).
SEED_MIN = 0
SEED_MAX = 2**63 - 1


def check_seed(seed) -> int:
    """``seed`` as an ``int`` when it lies in ``[SEED_MIN, SEED_MAX]``.

    Raises
    ------
    scene.errors.InputError
        Not a whole number (``bool`` included), or outside the range; the hint gives an example.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) \
            or not SEED_MIN <= int(seed) <= SEED_MAX:
        raise InputError(f"the seed must be a whole number from {SEED_MIN} to 2**63-1 "
                         f"({SEED_MAX}), got {seed!r}", hint="for example --seed 7")
    return int(seed)


#: Scheduler names ``--scheduler`` accepts, for every backend (those without a scheduler, such
#: as the procedural generator, ignore a known name but refuse an unknown one like the rest).
SCHEDULERS = ("ddim", "dpm++2m", "euler-a")


def check_scheduler(name) -> str | None:
    """``name`` when it is ``None`` or one of :data:`SCHEDULERS` (any case), lower-cased.

    Raises
    ------
    scene.errors.InputError
        Any other value, with the names that work.
    """
    if name is None:
        return None
    if not isinstance(name, str) or name.lower() not in SCHEDULERS:
        raise InputError(f"unknown scheduler {name!r}", hint="use one of: " + ", ".join(SCHEDULERS))
    return name.lower()


@dataclass
class GenerationRequest:
    """What the user asked for. ``None`` fields take the backend's defaults.

    Parameters
    ----------
    prompt, negative_prompt : str
        As typed by the user (a backend may add a prefix such as "360 view of"; the metadata
        records both).
    seed : int
        Same seed and settings give the same pixels; from :data:`SEED_MIN` to
        :data:`SEED_MAX` (checked here, once, for every backend and front-end).
    steps : int or None
        Denoising steps.
    guidance : float or None
        Classifier-free guidance scale.
    width, height : int or None
        Output size in pixels (panoramas are 2:1).
    scheduler : str or None
        ``"ddim"``, ``"dpm++2m"``, ``"euler-a"``.
    device : str
        ``"auto"`` (CUDA when present, else CPU), ``"cpu"`` or ``"cuda"``.
    seamless : bool
        Circular padding along the width (panoramas).
    model : str or None
        Local folder (diffusers layout) or Hugging Face id.
    attention_slicing, vae_tiling, cpu_offload : bool
        Memory options for small GPUs.
    preview_every : int
        Send a preview image every this many steps (0 = never).
    """

    prompt: str
    negative_prompt: str = ""
    seed: int = 0
    steps: int | None = None
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    scheduler: str | None = None
    device: str = "auto"
    seamless: bool = True
    model: str | None = None
    attention_slicing: bool = False
    vae_tiling: bool = False
    cpu_offload: bool = False
    preview_every: int = 5

    def __post_init__(self) -> None:
        self.seed = check_seed(self.seed)
        check_scheduler(self.scheduler)  # (also for backends that have no scheduler)


@dataclass
class Progress:
    """One progress report.

    Parameters
    ----------
    step, total : int
        Steps done and steps in all.
    elapsed_s, eta_s : float
        Seconds since the start, and the estimated seconds left.
    preview : (h, w, 3) uint8 ndarray or None
        A cheap preview of the current state, when one was made at this step.
    message : str
        What is happening ("loading model", "denoising", "decoding").
    """

    step: int
    total: int
    elapsed_s: float = 0.0
    eta_s: float = 0.0
    preview: np.ndarray | None = None
    message: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass
class GenerationResult:
    """A generated scene and what made it.

    Parameters
    ----------
    panorama : RGBDPanorama
        Always an equirect panorama with its depth (its ``metadata`` equals ``metadata``).
    metadata : GenerationMetadata
    perspective : PerspectiveRGBD or None
        What a perspective model drew, before it was placed on the sphere
        (:func:`scene.perspective.place_in_panorama`, the one placement policy) to make
        ``panorama``; ``None`` for equirect backends.
    """

    panorama: RGBDPanorama
    metadata: GenerationMetadata = field(default_factory=GenerationMetadata)
    perspective: PerspectiveRGBD | None = None


class Backend(Protocol):
    """What every generator provides."""

    name: str
    label: str

    def available(self) -> tuple[bool, str]:
        """Whether it can run here now, and if not, why (cheap: no model loading)."""

    def generate(
        self,
        request: GenerationRequest,
        on_progress: ProgressCallback | None = None,
        cancel=None,
    ) -> GenerationResult:
        """Run the generation; raise ``CancelledError`` when ``cancel`` is set."""


def raise_if_cancelled(cancel) -> None:
    """Raise :class:`CancelledError` if ``cancel`` (an Event-like object) is set."""
    if cancel is not None and cancel.is_set():
        raise CancelledError("generation cancelled", hint="nothing was saved from this run")
