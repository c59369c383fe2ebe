"""Moved to :mod:`models.testing.tiny_ldm3d_sr` (tests and benchmarks share it); kept for imports."""

from models.testing.tiny_ldm3d_sr import (  # noqa: F401
    MODEL_INDEX,
    TINY_SR_STRIDE,
    build_tiny_sr,
    tiny_sr_model,
)
