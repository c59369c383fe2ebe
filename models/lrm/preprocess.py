"""The input picture as LRM expects it: one object, cut out, centred, on white.

Background removal, in order of preference:

1. **the user's alpha channel** (an RGBA PNG with transparency) — used as it is;
2. **border-colour matting** (scikit-image): the background colour is the median of the
   picture's outer ring; pixels close to it *and connected to the border* are background, the
   rest (holes filled, specks dropped) is the object. It is meant for renders and product
   shots on a plain backdrop, which is what LRM was trained on; a cluttered background is
   refused with a hint to supply transparency.

``rembg`` (the library OpenLRM's preprocessing uses) was not chosen: it downloads its U²-Net
weights at run time, which Panoforge cannot do offline and does not do silently.

Recentring follows OpenLRM's preprocessing: the object's bounding box is scaled so its longer
side is ``1 − border_ratio`` (0.8) of a square image and centred; the square is then
composited on white and resized to the model's input side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scene.errors import InputError

__all__ = ["load_rgba", "border_matte", "cut_out", "recentre", "BORDER_RATIO"]

BORDER_RATIO = 0.2
_MIN_OBJECT_FRACTION = 0.002
_MAX_OBJECT_FRACTION = 0.97


def load_rgba(path: str | Path) -> tuple[np.ndarray, bool]:
    """Read a picture file.

    Returns
    -------
    rgba : (H, W, 4) uint8 ndarray
    has_alpha : bool
        Whether the file carried transparency (an alpha channel not entirely opaque).
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"image {path} does not exist", hint="give the path of a PNG or JPEG")
    try:
        with Image.open(path) as im:
            im.load()
            has_alpha = "A" in im.getbands() or "transparency" in im.info
            rgba = np.asarray(im.convert("RGBA"), np.uint8).copy()
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"cannot read image {path}: {exc}",
                         hint="give a PNG or JPEG picture of one object") from None
    return rgba, bool(has_alpha and rgba[..., 3].min() < 255)


def border_matte(rgb: np.ndarray, tolerance: float | None = None) -> np.ndarray:
    """Separate one object from a plain background by the colour of the picture's border.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
    tolerance : float, optional
        Colour distance (0..√3, RGB in [0, 1]) still counted as background; by default
        three times the border's median distance from its median colour (at least 0.08).

    Returns
    -------
    (H, W) uint8 ndarray
        Alpha: 255 on the object, 0 on the background, a one-pixel soft edge.

    Raises
    ------
    InputError
        The border is not a plain colour, or nothing (or everything) is left as object.
    """
    from skimage import filters, measure, morphology

    img = np.asarray(rgb, np.float64)[..., :3] / 255.0
    h, w = img.shape[:2]
    ring = max(1, round(0.02 * min(h, w)))
    border = np.zeros((h, w), bool)
    border[:ring], border[-ring:], border[:, :ring], border[:, -ring:] = True, True, True, True
    bg = np.median(img[border], axis=0)
    dist = np.linalg.norm(img - bg, axis=2)
    border_dist = dist[border]
    # the spread of the backdrop itself (noise, shading), robust to an object touching the edge
    tol = tolerance if tolerance is not None else max(0.08, 3.0 * float(
        np.median(border_dist)))
    if np.mean(border_dist < tol) < 0.6 or tol > 0.5:
        raise InputError(
            "the picture's background is not a plain colour, so the object cannot be cut out",
            hint="give a PNG with transparency (alpha) around the object, or a picture of the "
            "object on a plain backdrop")
    near = dist < tol
    labels = measure.label(near, connectivity=1)
    touching = np.unique(labels[border & near])
    background = np.isin(labels, touching[touching > 0])
    obj = ~background
    min_size = max(16, int(_MIN_OBJECT_FRACTION * h * w))
    obj = morphology.remove_small_objects(obj, max_size=min_size)
    obj = morphology.remove_small_holes(obj, max_size=int(0.05 * h * w))
    frac = float(obj.mean())
    if frac < _MIN_OBJECT_FRACTION or frac > _MAX_OBJECT_FRACTION:
        raise InputError(
            f"no single object found against the background ({100 * frac:.1f}% of the picture "
            "differs from its border colour)",
            hint="give a PNG with transparency (alpha) around the object, or crop the picture "
            "closer to it")
    soft = filters.gaussian(obj.astype(np.float64), sigma=0.6)
    return np.clip(np.rint(soft * 255.0), 0, 255).astype(np.uint8)


def cut_out(rgba: np.ndarray, has_alpha: bool) -> tuple[np.ndarray, str]:
    """The picture with an alpha that isolates the object, and how it was found.

    Returns
    -------
    rgba : (H, W, 4) uint8 ndarray
    method : {"alpha", "border-matting"}
    """
    rgba = np.asarray(rgba, np.uint8)
    if has_alpha:
        if not (rgba[..., 3] > 0).any():
            raise InputError("the picture is fully transparent", hint="give a picture of an object")
        return rgba, "alpha"
    out = rgba.copy()
    out[..., 3] = border_matte(rgba[..., :3])
    return out, "border-matting"


def recentre(rgba: np.ndarray, size: int, border_ratio: float = BORDER_RATIO) -> np.ndarray:
    """Centre the object in a square and composite it on white.

    Parameters
    ----------
    rgba : (H, W, 4) uint8 ndarray
        With the object's alpha.
    size : int
        Output side, pixels (the model's input side).
    border_ratio : float
        Fraction of the side left free around the object's longer side.

    Returns
    -------
    (size, size, 3) float32 ndarray
        sRGB in [0, 1], white where the alpha is 0.
    """
    from PIL import Image

    a = rgba[..., 3]
    ys, xs = np.nonzero(a > 0)
    if len(ys) == 0:
        raise InputError("nothing of the object is left after cutting it out",
                         hint="give a picture with the object clearly visible")
    crop = rgba[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    ch, cw = crop.shape[:2]
    big = 2 * size  # place at twice the size, then one smooth resize down
    inner = max(1, int(big * (1.0 - border_ratio)))
    scale = inner / max(ch, cw)
    nh, nw = max(1, round(ch * scale)), max(1, round(cw * scale))
    premul = crop.astype(np.float32)
    premul[..., :3] *= premul[..., 3:4] / 255.0
    resized = np.stack([np.asarray(Image.fromarray(premul[..., c]).resize(
        (nw, nh), Image.Resampling.LANCZOS)) for c in range(4)], axis=-1)
    canvas = np.zeros((big, big, 4), np.float32)
    y0, x0 = (big - nh) // 2, (big - nw) // 2
    canvas[y0:y0 + nh, x0:x0 + nw] = resized
    canvas = np.stack([np.asarray(Image.fromarray(canvas[..., c]).resize(
        (size, size), Image.Resampling.BOX)) for c in range(4)], axis=-1)
    alpha = np.clip(canvas[..., 3:4] / 255.0, 0.0, 1.0)
    rgb = np.clip(canvas[..., :3] / 255.0, 0.0, 1.0) + (1.0 - alpha)  # premultiplied over white
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)
