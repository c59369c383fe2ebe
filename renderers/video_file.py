"""Writing rendered frames to an H.264 MP4 file, atomically (PyAV; its wheels bundle FFmpeg
with libx264, so nothing else is installed).

The file appears whole or not at all: frames go to a hidden temporary file next to the target
(:func:`scene.atomic.atomic_writer`), which replaces the target only when the last frame is
encoded and the container closed. An exception (a cancel, Ctrl+C's ``KeyboardInterrupt``, a
full disk) removes the temporary file and leaves any earlier file at the path untouched.

Encoding: ``libx264``, ``yuv420p`` (what every player and YouTube accept), constant quality
``crf`` (default 17: visually lossless), x264 preset ``faster`` (the encoder keeps up with the
renderer), a key frame every two seconds. H.264 in 4:2:0 needs
even width and height; odd sizes are refused before anything is rendered.

360° video (``spherical=True``): the Spherical Video V2 boxes that YouTube and VR players read
(:mod:`renderers.spherical_metadata`) are added to the finished file before it replaces the
target, so a 360° file is never seen without them. They live in the MP4/MOV sample entry;
Matroska is refused for 360° video.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from scene.errors import InputError

__all__ = ["VIDEO_SUFFIXES", "SPHERICAL_SUFFIXES", "check_video_path", "check_video_size", "VideoWriter",
           "DEFAULT_CRF", "MAX_FPS"]

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv")
#: Containers that carry the 360° (Spherical Video V2) boxes.
SPHERICAL_SUFFIXES = (".mp4", ".mov")
#: x264 constant rate factor (0 lossless .. 51; 17 is visually lossless).
DEFAULT_CRF = 17
MAX_FPS = 240.0


def check_video_path(path: str | os.PathLike) -> Path:
    """Check, before any rendering, that a video can be written to ``path`` (suffix, folder).

    Raises
    ------
    InputError
        For a suffix other than .mp4/.mov/.mkv, or a folder at the path.
    """
    p = Path(path)
    if p.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"cannot write a video to {p.name!r}: unknown video type",
                         hint="use a .mp4 file name (or .mov / .mkv)")
    if p.is_dir():
        raise InputError(f"{str(p)!r} is a folder", hint="give a file name such as tour.mp4")
    return p


def check_video_size(size, fps: float) -> tuple[tuple[int, int], float]:
    """((width, height), fps) checked for H.264 4:2:0: even sizes, 2..8192 pixels, fps in
    (0, 240]."""
    w, h = (int(v) for v in size)
    if w % 2 or h % 2 or not (2 <= w <= 8192 and 2 <= h <= 8192):
        raise InputError(f"video size {w}x{h} is not possible",
                         hint="H.264 needs even width and height between 2 and 8192, "
                              "for example --size 1280x720")
    f = float(fps)
    if not (0 < f <= MAX_FPS):
        raise InputError(f"--fps must be in (0, {MAX_FPS:g}], got {fps}", hint="for example --fps 30")
    return (w, h), f


def _rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


class VideoWriter:
    """Context manager: ``with VideoWriter(path, (w, h), 30) as v: v.write(frame)``.

    Parameters
    ----------
    path : path-like
        The video to make (see :func:`check_video_path`); replaced atomically on success.
    size : (int, int)
        Frame ``(width, height)``, even.
    fps : float
        Frames per second.
    crf : int
        x264 quality (lower is better, 0 lossless).
    metadata : dict of str, optional
        Container tags (title, comment).
    spherical : bool
        Mark the file as a monoscopic equirectangular 360° video (frames must be 2:1
        equirect); .mp4 and .mov only.

    Attributes
    ----------
    frames : int
        Frames written so far.
    """

    def __init__(self, path, size, fps: float, *, crf: int = DEFAULT_CRF,
                 metadata: dict | None = None, spherical: bool = False) -> None:
        self.path = check_video_path(path)
        self.spherical = bool(spherical)
        if self.spherical and self.path.suffix.lower() not in SPHERICAL_SUFFIXES:
            raise InputError(f"cannot mark {self.path.name!r} as a 360° video: the 360° "
                             "metadata players read is written to .mp4 and .mov files only",
                             hint="use a .mp4 file name, for example -o tour360.mp4")
        self.size, self.fps = check_video_size(size, fps)
        self.crf = int(crf)
        self.metadata = dict(metadata or {})
        self.frames = 0
        self._writer = None
        self._container = None
        self._stream = None
        self._writer_file = None

    def __enter__(self) -> VideoWriter:
        import av

        from scene.atomic import atomic_writer

        self._writer = atomic_writer(self.path)
        fh = self._writer.__enter__()
        self._writer_file = fh
        try:
            fmt = {".mov": "mov", ".mkv": "matroska"}.get(self.path.suffix.lower(), "mp4")
            self._container = av.open(fh, mode="w", format=fmt)
            for k, v in self.metadata.items():
                self._container.metadata[str(k)] = str(v)
            rate = _rate(self.fps)
            s = self._container.add_stream("libx264", rate=rate)
            s.width, s.height = self.size
            s.pix_fmt = "yuv420p"
            s.time_base = 1 / rate
            s.options = {"crf": str(self.crf), "preset": "faster",
                         "g": str(max(1, int(round(2 * self.fps))))}
            self._stream = s
        except BaseException as exc:
            self._abort(exc)
            raise
        return self

    def write(self, frame: np.ndarray) -> None:
        """Encode one ``(H, W, 3)`` uint8 sRGB frame, row 0 at the top."""
        import av

        img = np.ascontiguousarray(frame, dtype=np.uint8)
        w, h = self.size
        if img.shape != (h, w, 3):
            raise InputError(f"video frame is {img.shape}, expected ({h}, {w}, 3)")
        vf = av.VideoFrame.from_ndarray(img, format="rgb24")
        vf.pts = self.frames
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.frames += 1

    def _abort(self, exc: BaseException) -> None:
        container, self._container = self._container, None
        if container is not None:
            try:
                container.close()
            except Exception:  # noqa: BLE001 - the file is being thrown away
                pass
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.__exit__(type(exc), exc, exc.__traceback__)
            except BaseException:  # noqa: BLE001 - it re-raises exc; the caller raises it
                pass

    def __exit__(self, etype, exc, tb) -> None:
        if exc is not None:
            self._abort(exc)
            return
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
            self._container = None
            if self.spherical:
                from .spherical_metadata import inject_equirect

                inject_equirect(self._writer_file)
        except BaseException as err:
            self._abort(err)
            raise
        writer, self._writer = self._writer, None
        writer.__exit__(None, None, None)
