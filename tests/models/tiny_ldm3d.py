"""Moved to :mod:`models.testing.tiny_ldm3d` (tests and benchmarks share it); kept for imports."""

from models.testing.tiny_ldm3d import (  # noqa: F401
    TINY_UNET_STRIDE,
    build_tiny_ldm3d,
    make_bin_only,
    tiny_components,
    tiny_model,
    write_clip_tokenizer,
)
