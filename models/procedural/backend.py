"""``procedural``: the built-in generator that needs no weights.

It reads the prompt for a scene, a time of day, a mood and colours
(:mod:`.prompt_words`), builds an analytic scene from a seeded random generator
(:mod:`.outdoor`, :mod:`.indoor`) and ray-casts it
(:mod:`.raycast`) into an equirect RGBD panorama whose depth is the exact ray-hit
distance of every pixel (sky pixels: :data:`~.raycast.SKY_DISTANCE_M`). Same prompt
and seed give the same pixels; another seed moves the props, the terrain and the clouds.

Progress is reported once per render stage (sky, terrain, props, shading), each with a small
preview, and ``cancel`` is checked between stages.
"""

from __future__ import annotations

import time

import numpy as np

from scene.depth import DepthInterpretation
from scene.errors import InputError
from scene.metadata import GenerationMetadata
from scene.panorama import RGBDPanorama

from ..base import GenerationRequest, GenerationResult, Progress, raise_if_cancelled
from ..registry import BACKENDS
from .noise import ValueNoise
from .prompt_words import SCENES, parse_prompt
from .raycast import SKY_DISTANCE_M, STAGES, render

__all__ = ["ProceduralBackend", "make_backend", "build_scene", "DEFAULT_WIDTH", "DEFAULT_HEIGHT",
           "MAX_WIDTH", "SKY_DISTANCE_M"]

#: The size when the request gives none: the registry entry's declared defaults.
DEFAULT_WIDTH = BACKENDS["procedural"].defaults.width
DEFAULT_HEIGHT = BACKENDS["procedural"].defaults.height
#: Largest width accepted: 4096 x 2048 takes about 25 s and 3 GB of memory on a laptop-class
#: CPU (the per-pixel work is vectorised over the whole image at once).
MAX_WIDTH = 4096
MIN_WIDTH = 16


def _builders():
    from . import indoor, outdoor

    return {
        "forest": outdoor.build_forest,
        "desert": outdoor.build_desert,
        "mountains": outdoor.build_mountains,
        "beach": outdoor.build_beach,
        "hall": indoor.build_hall,
        "cave": indoor.build_cave,
    }


def _seed_sequence(seed: int) -> np.random.SeedSequence:
    # (the range is checked once, by GenerationRequest)
    return np.random.SeedSequence(int(seed))


def build_scene(prompt: str, seed: int):
    """The analytic scene a prompt and seed describe (no rendering).

    Parameters
    ----------
    prompt : str
    seed : int
        Non-negative.

    Returns
    -------
    spec : SceneSpec
    words : PromptWords
    render_rng : numpy.random.Generator
        The generator :func:`~.raycast.render` should use (stars).
    """
    words = parse_prompt(prompt)
    scene_ss, layout_ss, render_ss = _seed_sequence(seed).spawn(3)
    if words.scene is None:
        words.scene = SCENES[int(np.random.default_rng(scene_ss).integers(len(SCENES)))]
    layout = np.random.default_rng(layout_ss)
    noise = ValueNoise(layout)
    spec = _builders()[words.scene](words, layout, noise)
    return spec, words, np.random.default_rng(render_ss)


def _check_size(width: int | None, height: int | None) -> tuple[int, int]:
    w = DEFAULT_WIDTH if width is None else int(width)
    h = w // 2 if height is None else int(height)
    if width is None and height is not None:
        w = 2 * h
    if w != 2 * h:
        raise InputError(f"a panorama must be 2:1, got {w}x{h}",
                         hint=f"use --width {2 * h} --height {h} (or give only one of them)")
    if not (MIN_WIDTH <= w <= MAX_WIDTH):
        raise InputError(f"width {w} is out of range",
                         hint=f"use a width between {MIN_WIDTH} and {MAX_WIDTH}, e.g. 1024")
    return w, h


class ProceduralBackend:
    """The built-in procedural generator (see the module docstring)."""

    name = "procedural"
    label = "Procedural (built-in, no weights)"

    def available(self) -> tuple[bool, str]:
        """Always available: it needs nothing but numpy."""
        return True, "built in"

    def generate(self, request: GenerationRequest, on_progress=None, cancel=None
                 ) -> GenerationResult:
        """Render the scene the prompt describes.

        Parameters
        ----------
        request : GenerationRequest
            ``prompt``, ``seed``, ``width``/``height`` (default 1024x512, must be 2:1) are
            used; diffusion settings (steps, guidance, scheduler, device, model) do not apply
            and are ignored.
        on_progress : callable, optional
            Receives a :class:`~models.base.Progress` after each render stage, with a
            quarter-size preview.
        cancel : Event-like, optional
            Checked before and between stages; when set, ``CancelledError`` is raised.

        Returns
        -------
        GenerationResult
            An :class:`~scene.panorama.RGBDPanorama` with float32 exact distances in metres.
        """
        width, height = _check_size(request.width, request.height)
        raise_if_cancelled(cancel)
        start = time.perf_counter()
        total = len(STAGES) + 1
        spec, words, render_rng = build_scene(request.prompt, request.seed)

        def report(step: int, message: str, preview=None) -> None:
            if on_progress is None:
                return
            elapsed = time.perf_counter() - start
            eta = elapsed / step * (total - step) if step else 0.0
            on_progress(Progress(step, total, elapsed, eta, preview, message))

        report(1, f"built the {spec.name} scene")
        raise_if_cancelled(cancel)
        done = {"n": 1}

        def on_stage(stage: str, preview: np.ndarray) -> None:
            done["n"] += 1
            report(done["n"], stage, preview)
            raise_if_cancelled(cancel)

        out = render(spec, width, height, render_rng, on_stage)
        duration = time.perf_counter() - start
        extra = {
            "scene": spec.name,
            "time_of_day": words.time_of_day,
            "words": words.to_dict(),
            "sky_distance_m": SKY_DISTANCE_M,
            "depth": "exact ray-hit distance; sky pixels at sky_distance_m",
            **spec.facts,
        }
        meta = GenerationMetadata(
            backend=self.name, prompt=request.prompt, user_prompt=request.prompt,
            negative_prompt=request.negative_prompt, seed=int(request.seed), width=width,
            height=height, model_id="procedural", device="cpu", dtype="float32",
            seamless=True, duration_s=round(duration, 3), extra=extra,
        )
        pano = RGBDPanorama(
            rgb=out.rgb, raw_depth=out.distance,
            interpretation=DepthInterpretation(kind="distance", source="procedural exact"),
            metadata=meta,
        )
        return GenerationResult(pano, meta)


def make_backend(name: str = "procedural") -> ProceduralBackend:
    """Registry factory (``models.registry``)."""
    if name != "procedural":
        raise InputError(f"the procedural module does not provide backend {name!r}")
    return ProceduralBackend()
