"""Draw Panoforge's application icon at every hicolor size into ``resources/icons/``.

The icon is drawn, not traced from artwork: a rounded tile holding a 360° panorama band (dawn
sky, three ridges of hills) wrapped into a disc, so it reads as "a scene you stand inside" at
16 px as at 512 px. Run it again after changing the drawing; the PNGs are committed so that a
build needs no drawing step. Each size is drawn at 4x and downsampled (Lanczos) for clean edges.

Usage: ``python packaging/linux/make_icons.py``
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
OUT = Path(__file__).resolve().parents[2] / "resources" / "icons"


def _scene(n: int) -> Image.Image:
    """An n x n RGBA disc: sky gradient, sun, hills, seen as a little planet."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    c = (n - 1) / 2
    r = np.hypot(x - c, y - c) / (n * 0.44)          # 0 at centre, 1 at the disc's rim
    ang = np.arctan2(y - c, x - c)
    sky_top = np.array([28, 44, 92], np.float32)
    sky_low = np.array([246, 170, 110], np.float32)
    t = np.clip((r - 0.35) / 0.65, 0, 1)[..., None]
    rgb = sky_low * (1 - t) + sky_top * t
    # three ridge lines around the planet (the panorama's horizon wrapped into a circle)
    for k, (col, base, amp, freq) in enumerate((
            ((70, 98, 84), 0.52, 0.05, 5), ((44, 72, 62), 0.45, 0.06, 7),
            ((26, 46, 42), 0.38, 0.04, 11))):
        ridge = base + amp * np.sin(freq * ang + k * 1.7)
        rgb = np.where((r < ridge)[..., None], np.array(col, np.float32), rgb)
    alpha = np.clip((1.0 - r) * n * 0.5, 0, 1) * 255
    img = np.dstack([rgb, alpha]).astype(np.uint8)
    out = Image.fromarray(img, "RGBA")
    d = ImageDraw.Draw(out)
    sx, sy, sr = c + n * 0.17, c - n * 0.2, n * 0.06   # the sun
    d.ellipse([sx - sr, sy - sr, sx + sr, sy + sr], fill=(255, 236, 180, 255))
    return out


def draw(size: int) -> Image.Image:
    """The icon at ``size`` x ``size`` pixels, RGBA uint8."""
    n = size * 4
    tile = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    d = ImageDraw.Draw(tile)
    d.rounded_rectangle([n * 0.03, n * 0.03, n * 0.97, n * 0.97], radius=n * 0.2,
                        fill=(22, 26, 38, 255))
    disc = _scene(int(n * 0.86))
    off = (n - disc.width) // 2
    tile.alpha_composite(disc, (off, off))
    # a thin ring: the sphere the scene is mapped onto
    w = max(4, int(math.ceil(n * 0.02)))
    d = ImageDraw.Draw(tile)
    m = n * 0.5 - disc.width * 0.44
    d.ellipse([m, m, n - m, n - m], outline=(236, 240, 255, 255), width=w)
    return tile.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for s in SIZES:
        draw(s).save(OUT / f"panoforge-{s}.png", optimize=True)
        print(OUT / f"panoforge-{s}.png")


if __name__ == "__main__":
    main()
