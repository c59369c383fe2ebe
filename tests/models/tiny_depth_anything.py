"""Moved to :mod:`models.testing.tiny_depth_anything` (tests and benchmarks share it); kept for imports."""

from models.testing.tiny_depth_anything import (  # noqa: F401
    TINY_SIZE,
    build_tiny_depth_anything,
)
