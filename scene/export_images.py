"""Export a panorama as flat image assets: colour, 16-bit depth with its sidecar, EXR distances.

Files written into ``folder`` for ``stem="panorama"``:

``panorama.png``
    The equirect colour, 8-bit RGB (the panorama's own PNG bytes when it has them).
``panorama_depth.png``
    Radial distance in **millimetres** as 16-bit grey: ``value = round(distance_m * 1000)``.
    ``0`` means unknown; distances beyond 65.535 m are clamped to 65535 and distances under
    1 mm are raised to 1 (both counted in the sidecar).
``panorama_depth.json``
    How to read the PNG: ``kind`` ("distance": radial from the viewer), ``unit`` ("mm"),
    ``scale`` (0.001 m per unit), ``near``/``far`` (metres, the range of the data),
    ``zero`` (what 0 means), the clamping counts, and ``source`` (the interpretation that
    produced the distances from the original data).
``panorama_distance.exr``
    float32 radial distance in metres, NaN where unknown (channel ``Y``), no clamping.

A panorama without depth gets only the colour file (there is no depth to write).
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import numpy as np

from .atomic import atomic_write_bytes
from .errors import InputError
from .export_glb import texture_bytes
from .exr import write_exr
from .metadata import software_version
from .output_paths import make_folder
from .panorama import RGBDPanorama

__all__ = ["write_images", "distance_to_mm", "depth_sidecar", "MM_PER_M", "MAX_DEPTH_MM"]

MM_PER_M = 1000.0
#: The largest 16-bit value; distances beyond 65.535 m are clamped to it.
MAX_DEPTH_MM = 65535
#: Smallest stored value for known depth (0 is reserved for unknown).
MIN_DEPTH_MM = 1


def distance_to_mm(distance: np.ndarray) -> tuple[np.ndarray, dict]:
    """Encode metres as 16-bit millimetres (0 = unknown).

    Parameters
    ----------
    distance : (H, W) float ndarray
        Metres, NaN where unknown.

    Returns
    -------
    mm : (H, W) uint16 ndarray
    counts : dict
        ``unknown``, ``clamped_far`` (> 65.535 m), ``clamped_near`` (< 1 mm) pixel counts.
    """
    d = np.asarray(distance, dtype=np.float32)
    known = np.isfinite(d) & (d >= 0)
    mm = np.rint(np.where(known, d, 0.0) * np.float32(MM_PER_M))
    far = known & (mm > MAX_DEPTH_MM)
    near = known & (mm < MIN_DEPTH_MM)
    np.clip(mm, MIN_DEPTH_MM, MAX_DEPTH_MM, out=mm)
    mm[~known] = 0
    counts = {"unknown": int((~known).sum()), "clamped_far": int(far.sum()),
              "clamped_near": int(near.sum())}
    return mm.astype(np.uint16), counts


def depth_sidecar(pano: RGBDPanorama, png_name: str, exr_name: str, counts: dict) -> dict:
    """The JSON description of the 16-bit depth PNG (see the module docstring)."""
    lo, hi = pano.depth_range()
    notes = []
    if counts["clamped_far"]:
        notes.append(f"{counts['clamped_far']} pixels farther than {MAX_DEPTH_MM / MM_PER_M} m "
                     f"were clamped to 65535 (the EXR keeps the true distances)")
    if counts["clamped_near"]:
        notes.append(f"{counts['clamped_near']} pixels nearer than 1 mm were stored as 1")
    interp = pano.interpretation.to_dict() if pano.interpretation is not None else None
    return {
        "file": png_name,
        "projection": "equirectangular",
        "width": pano.width,
        "height": pano.height,
        "kind": "distance",
        "description": "radial distance from the viewer at the centre of the panorama",
        "unit": "mm",
        "scale": 1.0 / MM_PER_M,
        "dtype": "uint16",
        "zero": "unknown (no depth at this pixel)",
        "near": None if not np.isfinite(lo) else round(float(lo), 6),
        "far": None if not np.isfinite(hi) else round(float(hi), 6),
        "max_representable_m": MAX_DEPTH_MM / MM_PER_M,
        "clamped": bool(counts["clamped_far"] or counts["clamped_near"]),
        "clamped_far_pixels": counts["clamped_far"],
        "clamped_near_pixels": counts["clamped_near"],
        "unknown_pixels": counts["unknown"],
        "notes": notes,
        "exr": {"file": exr_name, "unit": "m", "dtype": "float32", "unknown": "NaN",
                "channel": "Y"},
        "source": {"interpretation": interp, "backend": pano.metadata.backend,
                   "model_id": pano.metadata.model_id},
        "axes": "world +Y up, image centre = -Z, right of centre = +X (glTF frame)",
        "generator": f"Panoforge {software_version()}",
    }


def write_images(folder: str | os.PathLike, pano: RGBDPanorama, stem: str = "panorama",
                 notices: list[str] | None = None) -> list[Path]:
    """Write the flat image assets of ``pano`` into ``folder`` (each file atomically).

    Parameters
    ----------
    folder : str or PathLike
        Created if missing.
    pano : RGBDPanorama
    stem : str
        File name prefix (no folder separators).
    notices : list of str, optional
        Gets the sidecar's notes (pixels clamped in the 16-bit PNG) for the terminal/window.

    Returns
    -------
    list of Path
        The files written: colour PNG, then (with depth) depth PNG, its JSON sidecar and
        the EXR.
    """
    from PIL import Image

    if not stem or Path(stem).name != stem:
        raise InputError(f"invalid file stem {stem!r}", hint="give a plain name such as panorama")
    out = Path(folder)
    make_folder(out)
    written = []

    rgb_path = out / f"{stem}.png"
    data, _, _ = texture_bytes(pano, "png", max_width=sys.maxsize)
    atomic_write_bytes(rgb_path, data)
    written.append(rgb_path)
    if not pano.has_depth:
        return written

    mm, counts = distance_to_mm(pano.distance)
    depth_path = out / f"{stem}_depth.png"
    exr_path = out / f"{stem}_distance.exr"
    json_path = out / f"{stem}_depth.json"
    buf = io.BytesIO()
    Image.fromarray(mm).save(buf, format="PNG")
    atomic_write_bytes(depth_path, buf.getvalue())
    sidecar = depth_sidecar(pano, depth_path.name, exr_path.name, counts)
    if notices is not None:  # what the user must hear (clamping), not only the JSON
        notices.extend(f"{depth_path.name}: {note}" for note in sidecar["notes"])
    atomic_write_bytes(json_path, (json.dumps(sidecar, indent=2) + "\n").encode("utf-8"))
    write_exr(exr_path, pano.distance,
              comments="Panoforge: radial distance from the viewer in metres, NaN = unknown; "
                       "equirectangular, image centre = -Z, +Y up")
    written += [depth_path, json_path, exr_path]
    return written
