"""``procedural``: the built-in generator that needs no weights (numpy only, no torch).

The backend is :mod:`.backend`; the prompt vocabulary :mod:`.prompt_words`; the scene builders
:mod:`.outdoor` and :mod:`.indoor` (shapes from :mod:`.geometry` and :mod:`.scenery`, ground
from :mod:`.terrain`, light from :mod:`.sky`, textures from :mod:`.materials` and
:mod:`.noise`); the ray caster that turns a scene into exact distances :mod:`.raycast`.
"""

from .backend import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    MAX_WIDTH,
    SKY_DISTANCE_M,
    ProceduralBackend,
    build_scene,
    make_backend,
)

__all__ = ["ProceduralBackend", "make_backend", "build_scene", "DEFAULT_WIDTH", "DEFAULT_HEIGHT",
           "MAX_WIDTH", "SKY_DISTANCE_M"]
