"""Importing a user's own panorama: files → a checked :class:`~scene.panorama.RGBDPanorama`.

The steps, each of which either succeeds, warns, or stops with an :class:`InputError` that
says what to do (never a silently wrong mesh):

1. Read the RGB and the depth (:mod:`scene.imageio`), values untouched.
2. Check that the depth map has the RGB's aspect (it may have a lower resolution).
3. Decide the depth interpretation from the user's options and the file's type
   (:func:`interpretation_for`) and count unusable values: NaN, inf, negative, and 0 where 0
   means "no data" (:func:`count_invalid`). A minority becomes "unknown" with a warning; a
   majority is refused unless ``allow_partial_depth``; all-invalid is always refused.
4. A JPEG whose GPano XMP tags say it covers only part of the sphere (a phone panorama)
   is placed at its longitude/latitude range on a full 2:1 canvas (:mod:`scene.gpano`),
   black with unknown depth elsewhere; the tags (initial heading too) are recorded.
5. Otherwise fit to 2:1 when asked (``fit="pad"`` adds black rows/columns around the image,
   and unknown depth around the depth map; ``fit="crop"`` keeps the centre). Without ``fit``
   a non-2:1 image is refused.
6. Downsample by an integer factor when asked (RGB box-filtered, depth by nearest sample so
   raw values stay exact).
7. Refuse an image whose full-grid mesh would not fit in memory (:func:`check_mesh_memory`).

The raw depth is kept as read (padding turns integer data into float with NaN in the padded
border, which is exact); the interpretation records the source file and bit depth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .depth import DEFAULT_FAR_M, DEFAULT_NEAR_M, DEPTH_KINDS, DepthInterpretation
from .errors import InputError, ResourceError
from .gpano import GPanoInfo, place_on_sphere, read_gpano_file
from .imageio import LoadedDepth, LoadedRGB, image_size, read_depth, read_rgb
from .limits import MAX_HEIGHT, MAX_WIDTH, check_import_size
from .metadata import GenerationMetadata
from .panorama import DEFAULT_FLAT_RADIUS_M, RGBDPanorama, resize_nearest_wrap

__all__ = [
    "ImportOutcome", "import_panorama", "interpretation_for", "count_invalid",
    "estimate_mesh_bytes", "available_memory_bytes", "check_mesh_memory", "fit_box",
    "FIT_MODES", "MESH_MEMORY_FRACTION",
]

FIT_MODES = ("error", "pad", "crop")
#: Share of the available memory the full-grid mesh may take; the rest is left for the
#: builder's temporaries, the images and the rest of the application.
MESH_MEMORY_FRACTION = 0.5
#: Above this share of unusable depth values an import needs ``allow_partial_depth``.
MAX_INVALID_SHARE = 0.5


@dataclass(eq=False)
class ImportOutcome:
    """The imported panorama and what the user should know about it.

    Parameters
    ----------
    panorama : RGBDPanorama
    warnings : list of str
        Things that were accepted but may surprise (8-bit banding, unknown depth values,
        conversions, ignored options), one sentence each.
    known : (H, W) bool ndarray or None
        Where the panorama has picture, when it covers only part of the sphere (a cropped
        panorama placed by its GPano tags); ``None`` when it covers all of it.
    """

    panorama: RGBDPanorama
    warnings: list[str] = field(default_factory=list)
    known: np.ndarray | None = None


# -- memory ----------------------------------------------------------------------------------
def estimate_mesh_bytes(width: int, height: int) -> int:
    """Bytes of the full-grid DepthFusion mesh of a ``width x height`` panorama.

    ``(W + 1) * H`` vertices (a seam column) of 20 bytes (float32 position and uv) plus
    ``2 * W * H`` triangles of 12 bytes (three uint32 indices).
    """
    w, h = int(width), int(height)
    return (w + 1) * h * 20 + 2 * w * h * 12


def available_memory_bytes() -> int | None:
    """``MemAvailable`` from ``/proc/meminfo`` in bytes, or ``None`` where it is unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_mesh_memory(width: int, height: int, available: int | None = None) -> None:
    """Refuse a panorama whose full-grid mesh would not fit in memory.

    Parameters
    ----------
    width, height : int
        Panorama size in pixels.
    available : int, optional
        Bytes available; read from the system when not given (no check where unknown).

    Raises
    ------
    ResourceError
        The mesh needs more than :data:`MESH_MEMORY_FRACTION` of the available memory; the
        hint names the smallest ``--downsample`` factor that fits.
    """
    available = available_memory_bytes() if available is None else available
    if available is None:
        return
    budget = MESH_MEMORY_FRACTION * available
    need = estimate_mesh_bytes(width, height)
    if need <= budget:
        return
    factor = 2
    while estimate_mesh_bytes(width // factor, height // factor) > budget and factor < height:
        factor += 1
    raise ResourceError(
        f"a {width}x{height} panorama is too large to mesh in memory here: its full-grid mesh "
        f"needs about {_gib(need)} and {_gib(available)} is available",
        hint=f"import it smaller with --downsample {factor} "
        f"({2 * (height // factor)}x{height // factor}), or close other programs",
    )


# -- interpretation ----------------------------------------------------------------------------
def _positive(value: float | None, option: str) -> None:
    if value is not None and not (np.isfinite(value) and value > 0):
        raise InputError(f"{option} must be a positive number of metres, got {value}",
                         hint=f"for example {option} 0.001 for millimetres" if option == "--depth-unit"
                         else f"for example {option} 1")


def interpretation_for(
    depth: LoadedDepth,
    name: str,
    kind: str | None = None,
    near: float | None = None,
    far: float | None = None,
    unit: float | None = None,
) -> tuple[DepthInterpretation, list[str]]:
    """The interpretation of a depth file given the user's options.

    Parameters
    ----------
    depth : LoadedDepth
    name : str
        The file name, recorded in ``source``.
    kind : {"disparity", "zdepth", "distance"} or None
        ``None`` takes the file type's suggestion (``distance``; ``disparity`` for 8-bit).
    near, far : float or None
        Metres, for ``disparity`` (defaults 1 and 40 with a warning).
    unit : float or None
        Metres per stored unit for ``distance``/``zdepth``. Default: 0.001 (millimetres) for
        integer data, 1 for float data; 8-bit distance needs it.

    Returns
    -------
    interpretation : DepthInterpretation
    warnings : list of str
    """
    warnings: list[str] = []
    kind = kind or depth.suggested.kind
    if kind not in DEPTH_KINDS:
        raise InputError(f"unknown depth kind {kind!r}", hint="use --depth-kind " + "|".join(DEPTH_KINDS))
    _positive(near, "--near")
    _positive(far, "--far")
    _positive(unit, "--depth-unit")
    raw = depth.raw
    bits = depth.bit_depth
    what = f"{bits}-bit float {depth.source_format}" if depth.is_float else f"{bits}-bit {depth.source_format}"
    if kind == "disparity":
        if unit is not None:
            warnings.append("--depth-unit is ignored for disparity (values are scaled to 0..1)")
        if depth.is_float:
            scale, unit_text = 1.0, "disparity 0..1"
        else:
            top = 255 if raw.dtype == np.uint8 else 65535 if raw.dtype == np.uint16 else float(2 ** bits - 1)
            scale, unit_text = 1.0 / top, f"disparity 0..{top:g}"
        if near is None or far is None:
            warnings.append(
                f"disparity has no absolute scale: using near {near or DEFAULT_NEAR_M:g} m and far "
                f"{far or DEFAULT_FAR_M:g} m; pass --near and --far for the true scale"
            )
        interp = DepthInterpretation(
            kind="disparity", near=float(near or DEFAULT_NEAR_M), far=float(far or DEFAULT_FAR_M),
            scale=scale, invalid_zero=False, source=f"{name}, {what}, {unit_text} (1 = near)",
        )
        return interp, warnings
    if near is not None or far is not None:
        warnings.append(f"--near/--far are ignored for {kind} depth (they apply to disparity)")
    if unit is not None:
        scale, unit_text = float(unit), f"{unit:g} m per unit"
    elif depth.is_float:
        scale, unit_text = 1.0, "metres"
    elif bits <= 8:
        raise InputError(
            f"{name} is 8-bit depth: as {kind} it needs to know what one grey level measures",
            hint="pass --depth-unit (metres per level, e.g. --depth-unit 0.1), or read it as "
            "--depth-kind disparity --near M --far M",
        )
    else:
        scale, unit_text = 0.001, "millimetres"
    interp = DepthInterpretation(kind=kind, scale=scale, invalid_zero=True,
                                 source=f"{name}, {what}, {unit_text}")
    return interp, warnings


def count_invalid(raw: np.ndarray, interp: DepthInterpretation) -> dict[str, int]:
    """How many raw depth values cannot become a distance, by reason.

    Parameters
    ----------
    raw : (h, w) ndarray
    interp : DepthInterpretation

    Returns
    -------
    dict
        ``nan``, ``inf``, ``negative``, ``zero`` (only counted when ``interp.invalid_zero``),
        ``total`` (all unusable values) and ``size``.
    """
    raw = np.asarray(raw)
    counts = {"nan": 0, "inf": 0, "negative": 0, "zero": 0}
    if raw.dtype.kind == "f":
        nan = np.isnan(raw)
        inf = np.isinf(raw)
        counts["nan"] = int(np.count_nonzero(nan))
        counts["inf"] = int(np.count_nonzero(inf))
        bad = nan | inf
    else:
        bad = np.zeros(raw.shape, dtype=bool)
    if raw.dtype.kind in "fi":
        neg = raw < 0
        counts["negative"] = int(np.count_nonzero(neg))
        bad |= neg
    if interp.invalid_zero:
        zero = raw == 0
        counts["zero"] = int(np.count_nonzero(zero))
        bad |= zero
    counts["total"] = int(np.count_nonzero(bad))
    counts["size"] = int(raw.size)
    return counts


def _percent(share: float) -> str:
    return f"{100 * share:.2g} %" if share < 0.01 else f"{100 * share:.1f} %"


def _describe_invalid(counts: dict[str, int]) -> str:
    parts = []
    for key, text in (("nan", "NaN"), ("inf", "infinite"), ("negative", "negative"),
                      ("zero", "zero (0 means no data)")):
        if counts[key]:
            parts.append(f"{counts[key]:,} {text}")
    return ", ".join(parts)


def _check_depth_values(name: str, depth: LoadedDepth, interp: DepthInterpretation,
                        allow_partial: bool) -> list[str]:
    counts = count_invalid(depth.raw, interp)
    total, size = counts["total"], counts["size"]
    warnings = []
    if total:
        share = total / size
        what = _describe_invalid(counts)
        if total == size:
            raise InputError(
                f"{name}: none of its {size:,} depth values is usable ({what})",
                hint="check the file and --depth-kind/--depth-unit, or import without --depth "
                "to get a flat panorama",
            )
        sentence = (f"{name}: {total:,} of {size:,} depth values ({_percent(share)}) are "
                    f"unusable ({what})")
        if share > MAX_INVALID_SHARE and not allow_partial:
            raise InputError(sentence + ", more than half of the map",
                             hint="check --depth-kind/--depth-unit; if the depth map really "
                             "covers only part of the sphere, pass --allow-partial-depth (those "
                             "values become unknown: no surface there)")
        warnings.append(sentence + "; they become unknown (no surface is built there)")
    if interp.kind == "disparity" and depth.is_float:
        v = depth.raw[np.isfinite(depth.raw)] * interp.scale
        outside = int(np.count_nonzero((v < 0) | (v > 1)))
        if outside:
            warnings.append(f"{name}: {outside:,} disparity values lie outside 0..1 and are "
                            "clamped (to near/far); check --depth-kind")
    return warnings


# -- geometry: aspect, fit, downsample ---------------------------------------------------------
def fit_box(width: int, height: int, fit: str) -> tuple[int, int, int, int]:
    """The 2:1 frame that ``fit`` makes of a ``width x height`` image.

    Returns
    -------
    new_width, new_height, left, top : int
        The output size and where the input's top-left corner goes in it (negative when the
        input is cropped).
    """
    if fit == "pad":
        new_w = max(width, 2 * height)
        new_w += new_w % 2
        new_h = new_w // 2
        return new_w, new_h, (new_w - width) // 2, (new_h - height) // 2
    if fit == "crop":
        new_h = min(height, width // 2)
        if new_h < 1:
            raise InputError(f"a {width}x{height} image is too small to crop to 2:1")
        new_w = 2 * new_h
        return new_w, new_h, -((width - new_w) // 2), -((height - new_h) // 2)
    raise ValueError(f"unknown fit {fit!r}")


def _place(img: np.ndarray, new_w: int, new_h: int, left: int, top: int, fill) -> np.ndarray:
    """Copy ``img`` into a ``new_h x new_w`` canvas filled with ``fill`` at (left, top)."""
    h, w = img.shape[:2]
    out = np.full((new_h, new_w) + img.shape[2:], fill, dtype=img.dtype)
    sy0, sx0 = max(0, -top), max(0, -left)
    dy0, dx0 = max(0, top), max(0, left)
    ch = min(h - sy0, new_h - dy0)
    cw = min(w - sx0, new_w - dx0)
    out[dy0:dy0 + ch, dx0:dx0 + cw] = img[sy0:sy0 + ch, sx0:sx0 + cw]
    return out


def _fit_depth(raw: np.ndarray, fit: str) -> np.ndarray:
    dh, dw = raw.shape
    new_w, new_h, left, top = fit_box(dw, dh, fit)
    if (new_w, new_h) == (dw, dh):
        return raw
    if fit == "pad" and raw.dtype.kind != "f":
        # Integer data has no "unknown" value: go to float (exact), NaN in the border.
        raw = raw.astype(np.float32 if raw.dtype.itemsize <= 2 else np.float64)
    return _place(raw, new_w, new_h, left, top, np.nan if raw.dtype.kind == "f" else 0)


def _check_aspects(rgb_name: str, w: int, h: int, depth_name: str, dw: int, dh: int) -> None:
    if abs(dw - dh * w / h) > 1.0:
        raise InputError(
            f"the depth map {depth_name} is {dw}x{dh} but the panorama {rgb_name} is {w}x{h}: "
            "their aspects differ, so they do not show the same view",
            hint="give the depth map that was made for this panorama (a lower resolution is fine)",
        )
    if dh > h:
        raise InputError(
            f"the depth map {depth_name} ({dw}x{dh}) is larger than the panorama {rgb_name} ({w}x{h})",
            hint="downsample the depth map to the panorama's size first",
        )


def _downsample_rgb(rgb: np.ndarray, new_w: int, new_h: int) -> np.ndarray:
    from PIL import Image

    im = Image.fromarray(rgb).resize((new_w, new_h), Image.Resampling.BOX)
    return np.asarray(im, dtype=np.uint8)


# -- the whole import ------------------------------------------------------------------------
def import_panorama(
    rgb_path: str | Path,
    depth_path: str | Path | None = None,
    *,
    kind: str | None = None,
    near: float | None = None,
    far: float | None = None,
    unit: float | None = None,
    fit: str = "error",
    flat_radius: float = DEFAULT_FLAT_RADIUS_M,
    downsample: int = 1,
    allow_partial_depth: bool = False,
    check_memory: bool = True,
) -> ImportOutcome:
    """Import a panorama (and optionally its depth) from files.

    Parameters
    ----------
    rgb_path : str or Path
        PNG, JPEG, WebP or EXR equirect panorama.
    depth_path : str or Path, optional
        16/8-bit greyscale PNG, EXR or ``.npy`` depth map with the same aspect (any
        resolution up to the RGB's). Without it the panorama is flat at ``flat_radius``.
    kind, near, far, unit
        The depth interpretation (see :func:`interpretation_for`).
    fit : {"error", "pad", "crop"}
        What to do with an image that is not 2:1.
    flat_radius : float
        Metres, where there is no depth.
    downsample : int
        Divide the size by this integer factor (>= 1).
    allow_partial_depth : bool
        Accept a depth map where most values are unusable.
    check_memory : bool
        Refuse a panorama whose full-grid mesh does not fit in memory.

    Returns
    -------
    ImportOutcome

    Raises
    ------
    InputError, ResourceError
        With a hint naming the option that fixes it.
    """
    if fit not in FIT_MODES:
        raise InputError(f"unknown --fit {fit!r}", hint="use --fit " + "|".join(FIT_MODES))
    if int(downsample) != downsample or downsample < 1:
        raise InputError(f"--downsample must be a whole number >= 1, got {downsample}",
                         hint="for example --downsample 2 halves the width and height")
    downsample = int(downsample)
    rgb_path = Path(rgb_path)
    warnings: list[str] = []
    _check_size_from_header(rgb_path, downsample, fit)
    loaded: LoadedRGB = read_rgb(rgb_path)
    warnings.extend(loaded.notes)
    rgb, encoded, mime = loaded.rgb, loaded.encoded, loaded.mime
    h, w = rgb.shape[:2]
    source_size = [w, h]

    depth: LoadedDepth | None = None
    interp: DepthInterpretation | None = None
    raw = None
    depth_name = None
    if depth_path is None:
        if kind or near is not None or far is not None or unit is not None:
            warnings.append("depth options are ignored without --depth (the panorama is flat)")
    else:
        depth_path = Path(depth_path)
        depth_name = depth_path.name
        depth = read_depth(depth_path)
        raw = depth.raw
        dh, dw = raw.shape
        _check_aspects(rgb_path.name, w, h, depth_name, dw, dh)
        interp, notes = interpretation_for(depth, depth_name, kind, near, far, unit)
        warnings.extend(notes)
        if depth.bit_depth == 8 and not depth.is_float:
            warnings.append(
                f"{depth_name} is 8-bit depth: only 256 levels, so the mesh will show steps "
                "(banding); use a 16-bit PNG, EXR or .npy if you have one"
            )
        warnings.extend(_check_depth_values(depth_name, depth, interp, allow_partial_depth))

    gpano, known = None, None
    if loaded.source_format == "JPEG":
        gpano = read_gpano_file(rgb_path)
    if gpano is not None and gpano.has_crop:
        rgb, known, raw = _place_by_gpano(rgb_path.name, rgb, raw, gpano, warnings)
        encoded, mime = None, ""
        h, w = rgb.shape[:2]

    not_equirect = w != 2 * h or (raw is not None and raw.shape[1] != 2 * raw.shape[0])
    if not_equirect:
        if fit == "error":
            what = (f"the panorama {rgb_path.name} is {w}x{h}" if w != 2 * h
                    else f"the depth map {depth_name} is {raw.shape[1]}x{raw.shape[0]}")
            raise InputError(
                f"{what}, not 2:1 (an equirectangular panorama is twice as wide as it is high)",
                hint="pass --fit pad (add black bands, unknown depth, around it) or --fit crop "
                "(keep the centre)",
            )
        new_w, new_h, left, top = fit_box(w, h, fit)
        if (new_w, new_h) != (w, h):
            rgb = _place(rgb, new_w, new_h, left, top, 0)
            encoded, mime = None, ""
            if new_w != w:
                warnings.append(
                    f"--fit {fit} changed the width ({w} -> {new_w} pixels): the image no "
                    "longer spans exactly 360 degrees, so its left and right edges will not meet"
                )
            warnings.append(f"--fit {fit}: {w}x{h} -> {new_w}x{new_h}")
            w, h = new_w, new_h
        if raw is not None:
            raw = _fit_depth(raw, fit)

    if downsample > 1:
        new_h = h // downsample
        if new_h < 2:
            raise InputError(f"--downsample {downsample} leaves nothing of a {w}x{h} panorama",
                             hint="use a smaller factor")
        rgb = _downsample_rgb(rgb, 2 * new_h, new_h)
        encoded, mime = None, ""
        w, h = 2 * new_h, new_h
        if raw is not None and raw.shape[0] > h:
            raw = resize_nearest_wrap(raw, h, w)
        if known is not None:
            known = resize_nearest_wrap(known, h, w)
        warnings.append(f"downsampled by {downsample} to {w}x{h}")

    check_import_size(w, h, rgb_path.name)  # (the one minimum and maximum, scene.limits)
    if check_memory:
        check_mesh_memory(w, h)

    metadata = GenerationMetadata(
        backend="import", width=w, height=h,
        extra={
            "rgb_file": rgb_path.name,
            "rgb_format": loaded.source_format,
            "depth_file": depth_name,
            "depth_bit_depth": depth.bit_depth if depth is not None else None,
            "source_size": source_size,
            "fit": fit,
            "downsample": downsample,
            **({"gpano": {**gpano.to_dict(), "placed": known is not None}} if gpano else {}),
        },
    )
    # the user's depth PNG, while nothing above changed its pixels, is what a save stores
    depth_encoded = ((raw, depth.encoded) if depth is not None and depth.encoded is not None
                     and raw is depth.raw else None)
    pano = RGBDPanorama(
        rgb=rgb, raw_depth=raw, interpretation=interp, metadata=metadata,
        flat_radius=float(flat_radius), rgb_encoded=encoded, rgb_mime=mime,
        depth_encoded=depth_encoded,
    )
    return ImportOutcome(panorama=pano, warnings=warnings, known=known)


def _check_size_from_header(rgb_path: Path, downsample: int, fit: str) -> None:
    """The maximum size, from the file's header: refused before the pixels are decoded.

    (With ``--fit pad/crop`` the final size is only known after fitting; the check after
    fitting and downsampling in :func:`import_panorama` is the one that always runs.)
    """
    if fit != "error":
        return
    try:
        w, h = image_size(rgb_path)
    except (InputError, OSError, ValueError):
        return  # (read_rgb says what is wrong with the file)
    if w > MAX_WIDTH * downsample or h > MAX_HEIGHT * downsample:
        check_import_size(w // downsample, h // downsample, rgb_path.name)


def _place_by_gpano(name: str, rgb: np.ndarray, raw: np.ndarray | None, info: GPanoInfo,
                    warnings: list[str]):
    """A cropped panorama (and its depth) on the full sphere where its GPano tags put it."""
    canvas, known = place_on_sphere(rgb, info)
    if raw is not None:
        if raw.dtype.kind != "f":
            raw = raw.astype(np.float32 if raw.dtype.itemsize <= 2 else np.float64)
        raw = place_on_sphere(raw, info, fill=np.nan)[0]
    west, east, south, north = info.lonlat_range_deg()
    warnings.append(
        f"{name} covers only part of the sphere: placed by its GPano tags at longitude "
        f"{west:.1f}..{east:.1f}°, latitude {south:.1f}..{north:.1f}° "
        f"({canvas.shape[1]}x{canvas.shape[0]}); the rest is black with unknown depth")
    return canvas, known, raw
