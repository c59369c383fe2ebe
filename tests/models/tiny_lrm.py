"""Moved to :mod:`models.testing.tiny_lrm` (tests and benchmarks share it); kept for imports."""

from models.testing.tiny_lrm import (  # noqa: F401
    TINY_CONFIG,
    analytic_planes,
    crossing_threshold,
    set_analytic_decoder,
    write_tiny_lrm,
)
