"""The one smallest and one largest panorama Panoforge takes, and the GLB's 4 GiB limit.

- **Smallest**: :data:`MIN_WIDTH` x :data:`MIN_HEIGHT` (the adaptive mesh's coarsest level
  needs 16 columns); checked at import, so nothing made there fails later at export.
- **Largest**: :data:`MAX_WIDTH` x :data:`MAX_HEIGHT` (8192 x 4096). Its full-grid mesh has
  33.6 M vertices and 67.1 M triangles (1.5 GB), which fits a GLB (a GLB's lengths are 32-bit:
  at most 4 GiB) with room for the texture; 16384 x 8192 would need 5.9 GB. Checked at import
  (the hint names ``--downsample``) and before any full-grid mesh is built, in every path
  (command line, window, headset: :func:`scene.mesh.build_depth_mesh` calls
  :func:`check_mesh_size`); the adaptive mesh, whose size follows the scene rather than the
  pixels, is offered instead.
- **GLB**: :func:`check_glb_size` refuses, before writing, a file whose total length would pass
  :data:`GLB_MAX_BYTES`.
"""

from __future__ import annotations

from .errors import InputError, ResourceError

__all__ = [
    "MIN_WIDTH", "MIN_HEIGHT", "MAX_WIDTH", "MAX_HEIGHT", "GLB_MAX_BYTES", "full_mesh_size",
    "check_import_size", "check_mesh_size", "check_glb_size", "downsample_to_fit",
]

MIN_WIDTH, MIN_HEIGHT = 16, 8
MAX_WIDTH, MAX_HEIGHT = 8192, 4096
#: A GLB's header stores its total length as a uint32.
GLB_MAX_BYTES = 2**32 - 1


def full_mesh_size(width: int, height: int) -> tuple[int, int, int]:
    """``(vertices, triangles, bytes)`` of the full-grid mesh of a ``width x height`` panorama.

    ``(W + 1) * H + 2`` vertices (a seam column and the two poles) of 20 bytes (float32
    position and uv), ``2 * W * H`` triangles of 12 bytes (three uint32 indices).
    """
    w, h = int(width), int(height)
    vertices = (w + 1) * h + 2
    triangles = 2 * w * h
    return vertices, triangles, vertices * 20 + triangles * 12


def downsample_to_fit(width: int, height: int) -> int:
    """The smallest whole ``--downsample`` factor that brings the size within the maximum."""
    factor = 1
    while width // factor > MAX_WIDTH or height // factor > MAX_HEIGHT:
        factor += 1
    return factor


def _what_it_makes(width: int, height: int) -> str:
    v, t, b = full_mesh_size(width, height)
    return (f"its full-grid mesh would have {v:,} vertices and {t:,} triangles "
            f"({b / 1e9:.1f} GB; a GLB holds at most 4 GiB)")


def check_import_size(width: int, height: int, name: str = "the panorama") -> None:
    """Refuse a panorama smaller than the minimum or larger than the maximum, at import.

    Raises
    ------
    InputError
        Too small (the hint says the minimum) or too large (the hint names the
        ``--downsample`` factor that fits).
    """
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise InputError(f"{name} is {width}x{height} pixels, smaller than the "
                         f"{MIN_WIDTH}x{MIN_HEIGHT} Panoforge can mesh",
                         hint=f"use a panorama of at least {MIN_WIDTH}x{MIN_HEIGHT} pixels")
    if width > MAX_WIDTH or height > MAX_HEIGHT:
        f = downsample_to_fit(width, height)
        raise InputError(
            f"{name} is {width}x{height} pixels, larger than the {MAX_WIDTH}x{MAX_HEIGHT} "
            f"Panoforge takes: {_what_it_makes(width, height)}",
            hint=f"import it with --downsample {f} ({width // f}x{height // f}); the adaptive "
            "mesh (--mesh adaptive) keeps the detail in fewer vertices")


def check_mesh_size(width: int, height: int, mode: str) -> None:
    """Refuse, before building, a full-grid mesh of a panorama over the maximum.

    Raises
    ------
    ResourceError
        ``mode == "full"`` and the panorama is larger than :data:`MAX_WIDTH` x
        :data:`MAX_HEIGHT`; the hint offers the adaptive mesh and ``--downsample``.
    """
    if mode != "full" or (width <= MAX_WIDTH and height <= MAX_HEIGHT):
        return
    f = downsample_to_fit(width, height)
    raise ResourceError(
        f"a {width}x{height} panorama is too large for a full-grid mesh: "
        f"{_what_it_makes(width, height)}",
        hint=f"use the adaptive mesh (--mesh adaptive), or import the picture again with "
        f"--downsample {f} ({width // f}x{height // f})")


def check_glb_size(total_bytes: int) -> None:
    """Refuse a GLB whose total length would not fit its 32-bit length field.

    Raises
    ------
    ResourceError
    """
    if total_bytes > GLB_MAX_BYTES:
        raise ResourceError(
            f"the GLB would be {total_bytes / 2**30:.2f} GiB, over the format's 4 GiB limit",
            hint="use the adaptive mesh (--mesh adaptive) or a smaller panorama (--downsample)")
