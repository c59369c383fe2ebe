"""``panoforge-thumbnailer``: the picture a file manager shows for a ``.panoforge`` file.

Freedesktop file managers (Nautilus, Nemo, Caja, Thunar through tumbler) run the command of
``panoforge.thumbnailer`` as ``panoforge-thumbnailer -s SIZE INPUT OUTPUT`` and show OUTPUT, a
PNG whose longer side is at most SIZE pixels. The picture is the project's own image: the
active result's panorama (equirectangular, so twice as wide as high), resized with Lanczos.

Only numpy, Pillow and :mod:`scene.project` are imported (no Qt, no OpenGL, no torch): file
managers run thumbnailers headless, many at a time, and give each a few seconds.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

__all__ = ["make_thumbnail", "main"]


def make_thumbnail(project_path: str | Path, size: int = 256) -> bytes:
    """PNG bytes of ``project_path``'s active panorama, longer side ``size`` pixels at most.

    Parameters
    ----------
    project_path : str or Path
        A ``.panoforge`` file (read with every check of :func:`scene.project.load_project`).
    size : int
        The longest side in pixels (128 and 256 are the freedesktop "normal" and "large").

    Returns
    -------
    bytes
        An 8-bit RGB PNG, (≤ size) x (≤ size/2) for a 2:1 panorama; never upscaled.

    Raises
    ------
    scene.errors.PanoforgeError
        The file is not a readable project or has no results.
    """
    from PIL import Image

    from scene.errors import ProjectFileError
    from scene.project import load_project

    project = load_project(project_path)
    result = project.active
    if result is None:
        raise ProjectFileError(f"{project_path} has no results to show")
    img = Image.fromarray(result.panorama.rgb, "RGB")
    size = max(1, int(size))
    img.thumbnail((size, size), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``panoforge-thumbnailer [-s SIZE] INPUT OUTPUT``; exit 0, or 2 with a message."""
    parser = argparse.ArgumentParser(
        prog="panoforge-thumbnailer",
        description="Write the thumbnail of a .panoforge project (its active panorama) as PNG.")
    parser.add_argument("-s", "--size", type=int, default=256, help="longest side in pixels")
    parser.add_argument("input", help="the .panoforge file (a path or a file:// URI)")
    parser.add_argument("output", help="the PNG to write")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from scene.atomic import atomic_write_bytes
    from scene.errors import PanoforgeError

    src = args.input
    if src.startswith("file://"):
        from urllib.parse import unquote, urlparse

        src = unquote(urlparse(src).path)
    try:
        atomic_write_bytes(args.output, make_thumbnail(src, args.size))
    except PanoforgeError as exc:
        print(f"panoforge-thumbnailer: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"panoforge-thumbnailer: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
