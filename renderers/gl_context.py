"""Finding an OpenGL context to render into without a window, and reading pixels back.

Order tried by :func:`offscreen_app` (the first that works is kept for the process):

1. ``egl``: vispy's EGL backend. On Linux ``EGL_PLATFORM=surfaceless`` is set while EGL
   starts (unless the variable is already set), which is what Mesa (llvmpipe, or a GPU
   through ``/dev/dri``) needs with no display; if that fails the default platform is tried
   (NVIDIA's EGL picks its GPU device itself).
2. ``pyside6``: a hidden Qt OpenGL widget, when a display is available (``DISPLAY`` or
   ``WAYLAND_DISPLAY`` is set, e.g. under ``xvfb-run``; always on Windows and macOS).
3. ``glfw``: a hidden GLFW window, under the same condition.

``PANOFORGE_GL=egl|pyside6|glfw`` forces one backend. When none works,
:class:`GLUnavailableError` says what to install; the command line turns it into exit code 2.
"""

from __future__ import annotations

import importlib
import os
import sys
from contextlib import contextmanager

import numpy as np

from scene.errors import PanoforgeError

__all__ = ["GLUnavailableError", "offscreen_app", "gl_info", "render_canvas", "BACKEND_ORDER",
           "ENV_VAR", "GL_DEPTH_COMPONENT24", "new_offscreen_canvas", "close_offscreen_canvas",
           "offscreen_current"]

BACKEND_ORDER = ("egl", "pyside6", "glfw")
#: Environment variable that forces one offscreen backend.
ENV_VAR = "PANOFORGE_GL"
#: OpenGL enum for a 24-bit depth renderbuffer (vispy's default is 16-bit).
GL_DEPTH_COMPONENT24 = 0x81A6

INSTALL_HINT = (
    "install Mesa's OpenGL and EGL (Debian/Ubuntu: sudo apt-get install libegl1 libgl1-mesa-dri "
    "xvfb), or run the command under a virtual display: xvfb-run -a panoforge ..."
)


class GLUnavailableError(PanoforgeError):
    """No OpenGL context could be created for offscreen rendering."""


_APP = None
_APP_NAME = ""
#: Offscreen canvases have no screen: a fixed DPI, so vispy does not run xdpyinfo/xrandr
#: (which print "unable to open display" and "could not determine DPI" once per canvas).
OFFSCREEN_DPI = 96.0


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _try_egl():
    from vispy import app as vapp

    module_name = "vispy.app.backends._egl"
    attempts = []
    if sys.platform.startswith("linux") and "EGL_PLATFORM" not in os.environ:
        attempts.append("surfaceless")
    attempts.append(None)
    reasons = []
    for platform in attempts:
        if platform is not None:
            os.environ["EGL_PLATFORM"] = platform
        try:
            if module_name in sys.modules:
                mod = importlib.reload(sys.modules[module_name])
            else:
                mod = importlib.import_module(module_name)
            if mod.available:
                return vapp.Application("egl")
            reasons.append(f"EGL ({platform or 'default platform'}): {mod.why_not}")
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the user
            reasons.append(f"EGL ({platform or 'default platform'}): {exc}")
        finally:
            if platform is not None:
                os.environ.pop("EGL_PLATFORM", None)
    raise RuntimeError("; ".join(reasons))


def _try_windowed(name: str):
    from vispy import app as vapp

    if not _has_display():
        raise RuntimeError(f"{name}: no display (DISPLAY is not set)")
    if name == "pyside6":
        from PySide6 import QtWidgets

        if QtWidgets.QApplication.instance() is None:
            # keep a reference: Qt needs the application object alive
            _try_windowed.qt_app = QtWidgets.QApplication(sys.argv[:1])
    return vapp.Application(name)


def _probe(app, name: str) -> None:
    """Create and close a tiny canvas so a backend that imports but cannot draw fails here."""
    from vispy import app as vapp
    from vispy import gloo

    with _released(name):
        canvas = vapp.Canvas(size=(8, 8), app=app, show=False, dpi=OFFSCREEN_DPI)
        try:
            canvas.set_current()
            gloo.gl.glGetParameter(gloo.gl.GL_VERSION)
        finally:
            _close(canvas, name)


def _release_qt_context() -> None:
    """Qt may leave its OpenGL context current after painting; EGL cannot become current on
    a thread while another window-system API's context is (libglvnd)."""
    qtgui = sys.modules.get("PySide6.QtGui")
    if qtgui is None:
        return
    ctx = qtgui.QOpenGLContext.currentContext()
    if ctx is not None:
        ctx.doneCurrent()


def _release_egl() -> None:
    from vispy.app.backends import _egl

    _egl.egl.eglMakeCurrent(_egl._EGL_DISPLAY, None, None, None)


@contextmanager
def _released(name: str):
    if name != "egl":
        yield
        return
    _release_qt_context()
    try:
        yield
    finally:
        _release_egl()


@contextmanager
def offscreen_current():
    """Run GL work for offscreen canvases, then release the EGL context again.

    With libglvnd a thread cannot make a GLX (Qt window) context current while an EGL context
    is current, so an offscreen render in the window's process must not leave EGL current.
    """
    with _released(_APP_NAME):
        yield


def offscreen_app():
    """A vispy ``Application`` that can create offscreen canvases (cached per process).

    It is passed explicitly to each canvas and never made vispy's default application, so a
    window that uses the Qt backend in the same process is not disturbed.

    Returns
    -------
    vispy.app.Application

    Raises
    ------
    GLUnavailableError
        When no backend in :data:`BACKEND_ORDER` (or the one forced by ``PANOFORGE_GL``)
        can create an OpenGL context.
    """
    global _APP, _APP_NAME
    if _APP is not None:
        return _APP
    forced = os.environ.get(ENV_VAR, "").strip().lower()
    if forced and forced not in BACKEND_ORDER:
        raise GLUnavailableError(f"{ENV_VAR}={forced!r} is not an offscreen backend",
                                 hint="use one of " + ", ".join(BACKEND_ORDER) + " or unset it")
    order = (forced,) if forced else BACKEND_ORDER
    reasons = []
    for name in order:
        try:
            app = _try_egl() if name == "egl" else _try_windowed(name)
            _probe(app, name)
        except Exception as exc:  # noqa: BLE001 - collected for the error message
            reasons.append(f"{name}: {exc}".replace("\n", " "))
            continue
        _APP, _APP_NAME = app, name
        return app
    raise GLUnavailableError(
        "no OpenGL context could be created for offscreen rendering (" + "; ".join(reasons) + ")",
        hint=INSTALL_HINT,
    )


def gl_info() -> dict:
    """Backend, GL version and renderer of the offscreen context (creates it if needed).

    Returns
    -------
    dict
        ``backend``, ``version``, ``renderer``, ``vendor``, ``max_texture_size`` (int).
    """
    from vispy import gloo

    canvas = new_offscreen_canvas((8, 8))
    try:
        with offscreen_current():
            canvas.set_current()
            gl = gloo.gl
            return {
                "backend": _APP_NAME,
                "version": gl.glGetParameter(gl.GL_VERSION),
                "renderer": gl.glGetParameter(gl.GL_RENDERER),
                "vendor": gl.glGetParameter(gl.GL_VENDOR),
                "max_texture_size": int(gl.glGetParameter(gl.GL_MAX_TEXTURE_SIZE)),
            }
    finally:
        close_offscreen_canvas(canvas)


def new_offscreen_canvas(size: tuple[int, int], bgcolor=(0.0, 0.0, 0.0)):
    """A hidden ``SceneCanvas`` on the offscreen backend, with its own OpenGL context.

    Parameters
    ----------
    size : (int, int)
        Logical size ``(width, height)``, pixels.
    bgcolor : colour

    Returns
    -------
    vispy.scene.SceneCanvas
        Close it with :func:`close_offscreen_canvas`.
    """
    from vispy import scene

    app = offscreen_app()
    with offscreen_current():
        return scene.SceneCanvas(size=tuple(int(v) for v in size), app=app, show=False,
                                 keys=None, bgcolor=bgcolor, dpi=OFFSCREEN_DPI)


def close_offscreen_canvas(canvas) -> None:
    """Close a canvas from :func:`new_offscreen_canvas`, freeing its GPU objects and context."""
    try:
        with offscreen_current():
            canvas.set_current()
            canvas.context.flush_commands()  # pending deletes of buffers and textures
    finally:
        _close(canvas, _APP_NAME)


def _close(canvas, name: str) -> None:
    backend = getattr(canvas, "_backend", None)
    canvas.close()
    if name != "egl" or backend is None:
        return
    # vispy's EGL backend neither destroys a closed canvas's context nor forgets the window.
    import ctypes

    from vispy.app.backends import _egl

    if backend in _egl._VP_EGL_ALL_WINDOWS:
        _egl._VP_EGL_ALL_WINDOWS.remove(backend)
    context = getattr(backend, "_native_context", None)
    if context:
        destroy = _egl.egl._lib.eglDestroyContext
        destroy.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        destroy(_egl._EGL_DISPLAY, context)
        backend._native_context = None


def render_canvas(canvas, size: tuple[int, int] | None = None, bgcolor=None) -> np.ndarray:
    """Draw a vispy ``SceneCanvas`` into a framebuffer object and read it back.

    Like ``SceneCanvas.render`` but with a 24-bit depth buffer (vispy's default is 16-bit,
    too coarse for rooms seen from 2 cm to 100 m).

    Parameters
    ----------
    canvas : vispy.scene.SceneCanvas
    size : (width, height) or None
        Output pixels; default the canvas size times its pixel scale.
    bgcolor : colour or None
        Default the canvas background.

    Returns
    -------
    (H, W, 3) uint8 ndarray
        Row 0 is the top of the image.
    """
    with offscreen_current() if canvas.app is _APP else _nothing():
        return _render_canvas(canvas, size, bgcolor)


@contextmanager
def _nothing():
    yield


def _render_canvas(canvas, size, bgcolor) -> np.ndarray:
    from vispy import gloo

    canvas.set_current()
    if size is None:
        s = canvas.pixel_scale
        size = tuple(int(x * s) for x in canvas.size)
    w, h = int(size[0]), int(size[1])
    fbo = gloo.FrameBuffer(color=gloo.RenderBuffer((h, w)),
                           depth=gloo.RenderBuffer((h, w), format=GL_DEPTH_COMPONENT24))
    canvas.push_fbo(fbo, (0, 0), canvas.size)
    try:
        canvas.context.clear(color=canvas.bgcolor if bgcolor is None else bgcolor, depth=True)
        canvas.draw_visual(canvas.scene)
        image = fbo.read()
    finally:
        canvas.pop_fbo()
    return np.ascontiguousarray(image[..., :3])
