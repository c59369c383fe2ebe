"""Pole repair: re-synthesise the zenith and nadir caps of a panorama, colour and depth.

An equirect panorama stretches each pole over a whole row, and LDM3D-pano smears what is
there. For each cap (the latitudes within ``band_deg`` of a pole):

1. **Project** the cap and a ring around it to a 90° perspective view looking straight up
   (or down): the cube face ``py`` (``ny``) of :mod:`scene.cubemap`, sampled with
   ``cv2.remap`` (wrapping across the seam). In that view the pole is an ordinary pixel.
2. **Inpaint** the cap disc (everything within ``band_deg`` of the pole) from the ring with
   OpenCV's inpainting (``cv2.inpaint``): the colour with Telea's fast marching method, the
   depth with the Navier-Stokes method, as the log of *planar depth along the view axis*
   (``z = r · cos(angle to the axis)``) or of radial distance, whichever is flatter on the
   known ring around the hole: a flat ceiling or floor has constant ``z`` and a sky dome
   constant ``r``, so both are filled exactly.
3. **Project back** every panorama pixel within ``band_deg + feather_deg`` of the pole, and
   blend it with the original by a weight that is 1 inside the cap and falls smoothly to 0
   across the ``feather_deg`` ring (a smoothstep in latitude), so the cap boundary has no
   step. Pixels outside the ring are returned bit for bit.

With ``method="ldm3d"`` step 2 is masked denoising with a 4-channel LDM3D model instead
(RePaint-style, the known ring re-imposed at every step: :mod:`.poles_ldm3d`); the result
records which method, model and licence made it.

The result is a new panorama (its metadata the parent's plus ``extra["pole_repair"]``); the
source is never changed.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace

import numpy as np

from scene.conventions import direction_grid, direction_to_lonlat, latitudes, lonlat_to_pixel
from scene.cubemap import FACES, face_directions
from scene.errors import InputError
from scene.panorama import RGBDPanorama

from ..base import GenerationResult, Progress, raise_if_cancelled

__all__ = ["PoleSettings", "repair_poles", "cap_weight", "CAPS", "METHOD", "METHODS"]

METHOD = "classical"
METHODS = ("classical", "ldm3d")
CAPS = ("both", "top", "bottom")
_FACE = {"top": "py", "bottom": "ny"}


@dataclass(frozen=True)
class PoleSettings:
    """Settings of a pole repair (all recorded in the result).

    Parameters
    ----------
    band_deg : float
        The cap: latitudes within this many degrees of the pole are re-synthesised.
    feather_deg : float
        Width of the ring below the cap over which the repair fades into the original.
    caps : {"both", "top", "bottom"}
    face_size : int or None
        Edge of the perspective view in pixels (default: the panorama's width / 4).
    inpaint_radius : float
        Neighbourhood radius of the inpainting, view pixels.
    method : {"classical", "ldm3d"}
        OpenCV inpainting, or masked denoising with a 4-channel LDM3D model
        (:mod:`.poles_ldm3d`; the view is then ``face_size`` = 512 by default).
    model, model_backend, prompt, negative_prompt, seed, steps, guidance, device
        The model path's settings (``model_backend``: ``ldm3d-4c`` or ``ldm3d-pano``, whose
        weight discovery ``model`` goes through).
    """

    band_deg: float = 20.0
    feather_deg: float = 5.0
    caps: str = "both"
    face_size: int | None = None
    inpaint_radius: float = 5.0
    method: str = "classical"
    model: str | None = None
    model_backend: str = "ldm3d-4c"
    prompt: str = "a seamless view straight up and straight down"
    negative_prompt: str = ""
    seed: int = 0
    steps: int = 30
    guidance: float = 7.0
    device: str = "auto"

    def check(self) -> None:
        """Raise :class:`InputError` for out-of-range values."""
        if not 1.0 <= float(self.band_deg) <= 40.0:
            raise InputError(f"--band must be 1 to 40 degrees, got {self.band_deg}",
                             hint="for example --band 20 (the caps above 70° latitude)")
        if not 0.0 <= float(self.feather_deg) <= 10.0 or self.band_deg + self.feather_deg > 44:
            raise InputError(f"--feather must be 0 to 10 degrees with band + feather <= 44, "
                             f"got {self.feather_deg}", hint="for example --feather 5")
        if self.caps not in CAPS:
            raise InputError(f"--caps must be one of {', '.join(CAPS)}, got {self.caps!r}")
        if self.face_size is not None and not 16 <= int(self.face_size) <= 8192:
            raise InputError(f"--face-size must be 16 to 8192 pixels, got {self.face_size}")
        if not 1.0 <= float(self.inpaint_radius) <= 50.0:
            raise InputError(f"inpaint radius must be 1 to 50 pixels, got {self.inpaint_radius}")
        if self.method not in METHODS:
            raise InputError(f"--method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.method == "ldm3d" and not 1 <= int(self.steps) <= 1000:
            raise InputError(f"--steps must be 1 to 1000, got {self.steps}")


def cap_weight(lat_deg: np.ndarray, band_deg: float, feather_deg: float, top: bool) -> np.ndarray:
    """Blend weight of the repair at latitude ``lat_deg`` (1 in the cap, 0 outside the ring)."""
    from_pole = 90.0 - (np.asarray(lat_deg) if top else -np.asarray(lat_deg))
    if feather_deg <= 0:
        return (from_pole <= band_deg).astype(np.float32)
    t = np.clip((band_deg + feather_deg - from_pole) / feather_deg, 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def _remap_wrap(cv2, img: np.ndarray, px: np.ndarray, py: np.ndarray, interpolation) -> np.ndarray:
    """``cv2.remap`` of an equirect image at continuous pixel coordinates, wrapping in x."""
    w = img.shape[1]
    pad = 2
    padded = np.concatenate([img[:, -pad:], img, img[:, :pad]], axis=1)
    mx = (np.mod(px + 0.5, w) - 0.5 + pad).astype(np.float32)
    my = np.asarray(py, dtype=np.float32)
    return cv2.remap(np.ascontiguousarray(padded), mx, my, interpolation,
                     borderMode=cv2.BORDER_REPLICATE)


def _face_coords(face: str, dirs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Continuous pixel (column, row) in face ``face`` of edge ``n`` for directions, and
    cos(angle to the face's axis)."""
    forward, up = (np.asarray(v, dtype=np.float64) for v in FACES[face])
    right = np.cross(forward, up)
    c = dirs @ forward
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (dirs @ right) / c
        b = -(dirs @ up) / c
    return (a + 1.0) * n / 2.0 - 0.5, (b + 1.0) * n / 2.0 - 0.5, c


@dataclass
class _View:
    """A cap seen in its up/down view: directions, distance from the pole, samples."""

    face: str
    dirs: np.ndarray  # (n, n, 3)
    from_pole: np.ndarray  # (n, n) degrees
    rgb: np.ndarray  # (n, n, 3) uint8
    hole_rgb: np.ndarray  # (n, n) bool: to synthesise at the colour's resolution
    r_log: np.ndarray | None  # (n, n) float32 log distance
    hole_depth: np.ndarray | None  # (n, n) bool: to synthesise (or unknown) in the depth


def _view(cv2, rgb, z_log, valid, which, settings, n) -> _View:
    """Sample the cap and its ring into the face view.

    The holes are grown by two panorama rows: bilinear samples of the rows just outside the
    cap still see the damaged rows, and an inpainter extrapolates the ring's gradients.
    """
    face = _FACE[which]
    d = face_directions(face, n)
    lon, lat = direction_to_lonlat(d)
    H, W = rgb.shape[:2]
    px, py = lonlat_to_pixel(lon, lat, W, H)
    from_pole = 90.0 - np.degrees(np.abs(lat))
    view = _View(face, d, from_pole, _remap_wrap(cv2, rgb, px, py, cv2.INTER_LINEAR),
                 from_pole <= settings.band_deg + 2.0 * 180.0 / H, None, None)
    if z_log is not None:
        dh, dw = z_log.shape
        dpx, dpy = lonlat_to_pixel(lon, lat, dw, dh)
        view.r_log = _remap_wrap(cv2, z_log, dpx, dpy, cv2.INTER_LINEAR)
        ok = _remap_wrap(cv2, valid.astype(np.uint8), dpx, dpy, cv2.INTER_NEAREST) > 0
        view.hole_depth = (from_pole <= settings.band_deg + 2.0 * 180.0 / dh) | ~ok
    return view


def _repair_cap_model(v: _View, settings, model, near_far, on_progress, cancel):
    """The model path: face colour (n, n, 3) uint8 and log distance (n, n) float32 (or None)."""
    from .depth_codec import from_unit_disparity, to_unit_disparity
    from .poles_ldm3d import inpaint_view

    pipe, choice = model
    near, far = near_far
    n = v.rgb.shape[0]
    hole = v.hole_rgb if v.hole_depth is None else v.hole_rgb | v.hole_depth
    disp = np.zeros((n, n), np.float32)
    if v.r_log is not None:
        disp = to_unit_disparity(np.where(v.hole_depth, np.nan, np.exp(v.r_log)), near, far)
    new_rgb, new_disp = inpaint_view(
        pipe, choice, v.rgb, disp, hole, prompt=settings.prompt,
        negative_prompt=settings.negative_prompt, seed=settings.seed, steps=settings.steps,
        guidance=settings.guidance, on_progress=on_progress, cancel=cancel,
        message=f"{'top' if v.face == 'py' else 'bottom'} cap: ")
    if v.r_log is None:
        return new_rgb, None
    filled = np.log(from_unit_disparity(new_disp, near, far)).astype(np.float32)
    return new_rgb, np.where(hole, filled, v.r_log).astype(np.float32)


def _repair_cap(cv2, v: _View, settings):
    """Inpainted face colour (n, n, 3) uint8 and log distance (n, n) float32 (or None)."""
    radius = float(settings.inpaint_radius)
    face_rgb = cv2.inpaint(v.rgb, v.hole_rgb.astype(np.uint8), radius, cv2.INPAINT_TELEA)
    if v.r_log is None:
        return face_rgb, None
    cos = v.dirs @ np.asarray(FACES[v.face][0], dtype=np.float64)
    ring = ~v.hole_depth & (v.from_pole <= settings.band_deg + 10.0)
    # fill whichever the ring makes flatter: planar depth (a ceiling or floor: constant)
    # or radial distance (a sky dome: constant)
    planar = (v.r_log + np.log(cos)).astype(np.float32)
    radial = v.r_log.astype(np.float32)
    use_planar = not ring.any() or float(planar[ring].std()) <= float(radial[ring].std())
    zf = planar if use_planar else radial
    zf[v.hole_depth] = 0.0
    # Navier-Stokes for the float depth: OpenCV's Telea fill of a float32 image does not
    # reproduce even a smooth boundary (measured: values outside the boundary's range)
    face_z = cv2.inpaint(zf, v.hole_depth.astype(np.uint8), radius, cv2.INPAINT_NS)
    if use_planar:
        face_z = face_z - np.log(cos).astype(np.float32)  # back to log radial distance
    return face_rgb, face_z


def _back_project(cv2, face_img, face: str, shape, settings, top: bool):
    """Rows of an equirect grid of ``shape`` that the cap touches, their blend weights, and the
    face image sampled at their pixels."""
    h, w = shape
    weight = cap_weight(np.degrees(latitudes(h)), settings.band_deg, settings.feather_deg, top)
    rows = np.flatnonzero(weight > 0)
    if not rows.size:
        return rows, weight[rows], None
    dirs = direction_grid(w, h, dtype=np.float64)[rows]
    fx, fy, _ = _face_coords(face, dirs, face_img.shape[0])
    back = cv2.remap(face_img, fx.astype(np.float32), fy.astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)
    return rows, weight[rows], back


def repair_poles(pano: RGBDPanorama, settings: PoleSettings = PoleSettings(), on_progress=None,
                 cancel=None) -> GenerationResult:
    """Re-synthesise the zenith and/or nadir caps of ``pano`` (see the module docstring).

    Parameters
    ----------
    pano : RGBDPanorama
    settings : PoleSettings
    on_progress : callable, optional
        :class:`models.base.Progress` after each cap.
    cancel : Event-like, optional
        Checked before each cap.

    Returns
    -------
    GenerationResult
        A new panorama; colour and raw depth outside the caps and their feather rings are
        the source's, bit for bit; the depth keeps the source's interpretation (``zdepth``
        becomes ``distance``).

    Raises
    ------
    InputError
        Bad settings.
    CancelledError
    """
    import cv2

    from .depth_codec import encode_distance, source_distance

    settings.check()
    started = time.perf_counter()
    caps = ("top", "bottom") if settings.caps == "both" else (settings.caps,)
    H, W = pano.height, pano.width
    model = location = None
    if settings.method == "ldm3d":
        from .backend import _condition_depth
        from .poles_ldm3d import load_inpainter

        n = int(settings.face_size or 512)
        pipe, location, choice = load_inpainter(settings.model, settings.model_backend,
                                                settings.device)
        model = (pipe, choice)
        near_far = _condition_depth(pano)[1:] if pano.has_depth else (1.0, 40.0)
    else:
        n = int(settings.face_size or max(16, W // 4))
    rgb = pano.rgb.astype(np.float32)
    out_rgb = rgb.copy()
    dist = z_log = valid = None
    if pano.has_depth:
        dist = source_distance(pano)
        valid = np.isfinite(dist) & (dist > 0)
        z_log = np.where(valid, np.log(np.where(valid, dist, 1.0)), 0.0).astype(np.float32)
        new_dist = dist.astype(np.float64).copy()
        touched = np.zeros(dist.shape, dtype=bool)
    for k, which in enumerate(caps):
        raise_if_cancelled(cancel)
        view = _view(cv2, pano.rgb, z_log, valid, which, settings, n)
        if model is None:
            face_rgb, face_z = _repair_cap(cv2, view, settings)
        else:
            face_rgb, face_z = _repair_cap_model(view, settings, model, near_far, on_progress,
                                                 cancel)
        top = which == "top"
        rows, w, back = _back_project(cv2, face_rgb, view.face, (H, W), settings, top)
        if rows.size:
            w = w[:, None, None]
            out_rgb[rows] = w * back.astype(np.float32) + (1.0 - w) * rgb[rows]
        if face_z is not None:
            drows, w, zb = _back_project(cv2, face_z, view.face, dist.shape, settings, top)
            if drows.size:
                r_rep = np.exp(zb.astype(np.float64))
                w = w[:, None].astype(np.float64)
                orig = new_dist[drows]
                blended = np.where(np.isfinite(orig), w * r_rep + (1.0 - w) * orig, r_rep)
                new_dist[drows] = np.where(w >= 1.0, r_rep, blended)
                touched[drows] = True
        if on_progress is not None:
            on_progress(Progress(k + 1, len(caps), time.perf_counter() - started, 0.0, None,
                                 f"repaired the {which} cap"))
    raw, interp = pano.raw_depth, pano.interpretation
    if dist is not None:
        enc, interp = encode_distance(new_dist, pano.interpretation,
                                      np.asarray(pano.raw_depth).dtype, "poles repaired")
        source = np.asarray(pano.raw_depth)
        if interp.kind == pano.interpretation.kind and enc.dtype == source.dtype:
            raw = np.where(touched, enc, source)  # untouched rows stay bit for bit
        else:
            raw = np.where(touched, enc, encode_distance(dist, pano.interpretation,
                                                         source.dtype, "")[0])
    record = {**asdict(settings), "face_size": n}
    meta = pano.metadata
    if model is None:
        record.update(inpainter="OpenCV cv2.inpaint (colour Telea, depth NS)",
                      depth_inpainted_as="log planar depth or log distance (flatter on the ring)")
        for k in ("model", "model_backend", "prompt", "negative_prompt", "seed", "steps",
                  "guidance", "device"):
            record.pop(k)
    else:
        from ..catalog import entry_for_model, licence_record

        licence = licence_record(entry_for_model(location.model_id, settings.model_backend),
                                 location.model_id)
        record.update(inpainter="RePaint-style masked denoising (known ring re-imposed every "
                      "step)", model_id=location.model_id, model_revision=location.revision,
                      device=model[1].device, dtype=model[1].dtype_name, licence=licence)
        meta = meta.with_licences([licence])
    extra = {**meta.extra, "pole_repair": record}
    meta = replace(meta, backend="repair-poles", extra=extra,
                   duration_s=round(time.perf_counter() - started, 3))
    out = RGBDPanorama(rgb=np.clip(np.rint(out_rgb), 0, 255).astype(np.uint8), raw_depth=raw,
                       interpretation=interp, metadata=meta, flat_radius=pano.flat_radius)
    return GenerationResult(panorama=out, metadata=meta)
