"""The desktop mirror: the left eye's image, downscaled, written to a PNG file a few times a second.

The window that launched the session (:mod:`app.window.headset`) shows that file, so the
person at the desk sees what the headset wearer sees. The eye image is shrunk on the GPU
(``glBlitFramebuffer`` with linear filtering into a small framebuffer, so only a few hundred
kilobytes come back per capture), read back, and handed to a writer thread that encodes the
PNG and replaces the file atomically (a reader never sees half a file). When the writer is
still busy with the previous image the new one waits in its place (only the latest is kept),
so a slow disk never slows the frame loop.

The bytes are the swapchain's as stored: for an sRGB swapchain the blit copies them without
conversion (``GL_FRAMEBUFFER_SRGB`` off), so they are the panorama's colours as the eye shows
them.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np

__all__ = ["Mirror", "MIRROR_WIDTH", "MIRROR_INTERVAL_S", "mirror_size"]

#: Width of the mirror image, pixels (the height keeps the eye's aspect ratio).
MIRROR_WIDTH = 480
#: Seconds between captures (four a second).
MIRROR_INTERVAL_S = 0.25


def mirror_size(eye_size: tuple[int, int], width: int = MIRROR_WIDTH) -> tuple[int, int]:
    """``(width, height)`` of the mirror image of an eye image of ``eye_size`` pixels (never
    larger than the eye image)."""
    w, h = int(eye_size[0]), int(eye_size[1])
    mw = max(1, min(int(width), w))
    return mw, max(1, round(h * mw / w))


class Mirror:
    """Captures one eye target now and then and writes it to ``path`` (see the module doc).

    Parameters
    ----------
    path : str or Path
        The PNG file to (re)write.
    width : int
        Mirror image width, pixels.
    interval : float
        Seconds between captures.
    """

    def __init__(self, path, width: int = MIRROR_WIDTH, interval: float = MIRROR_INTERVAL_S):
        self.path = Path(path)
        self.width = int(width)
        self.interval = float(interval)
        self.written = 0
        self._next = 0.0
        self._fbo = self._rbo = None
        self._size = None
        self._pending: np.ndarray | None = None
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._writer, name="xr-mirror", daemon=True)
        self._thread.start()

    def due(self, now: float | None = None) -> bool:
        """Whether a capture is due (and, if so, schedule the next one)."""
        now = time.monotonic() if now is None else now
        if now < self._next:
            return False
        self._next = now + self.interval
        return True

    def capture(self, target) -> None:
        """Shrink ``target`` (an :class:`~renderers.xr.gl_mesh.EyeTarget`) and queue it for
        writing. Call with the target's GL context current, after drawing into it."""
        from OpenGL import GL

        size = mirror_size(target.size, self.width)
        if size != self._size:
            self._delete_fbo()
            self._rbo = GL.glGenRenderbuffers(1)
            GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self._rbo)
            GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_RGBA8, *size)
            self._fbo = GL.glGenFramebuffers(1)
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fbo)
            GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0,
                                         GL.GL_RENDERBUFFER, self._rbo)
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
            self._size = size
        w, h = size
        GL.glDisable(GL.GL_FRAMEBUFFER_SRGB)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, target.fbo)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, self._fbo)
        GL.glBlitFramebuffer(0, 0, target.size[0], target.size[1], 0, 0, w, h,
                             GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._fbo)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        data = GL.glReadPixels(0, 0, w, h, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        img = np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)[::-1].copy()
        with self._cond:
            self._pending = img
            self._cond.notify()

    def _writer(self) -> None:
        from PIL import Image

        while True:
            with self._cond:
                while self._pending is None and not self._closing:
                    self._cond.wait()
                img, self._pending = self._pending, None
                if img is None:
                    return
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            try:
                Image.fromarray(img).save(tmp, format="PNG", compress_level=1)
                os.replace(tmp, self.path)
                self.written += 1
            except OSError:
                # The window's folder went away (it closed): nothing to show it to.
                tmp.unlink(missing_ok=True)

    def _delete_fbo(self) -> None:
        from OpenGL import GL

        if self._fbo is not None:
            GL.glDeleteFramebuffers(1, [self._fbo])
            GL.glDeleteRenderbuffers(1, [self._rbo])
        self._fbo = self._rbo = self._size = None

    def close(self) -> None:
        """Write what is queued, stop the writer and free the GL objects (context current)."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(5.0)
        self._delete_fbo()
