"""OpenGL contexts for the XR process and the OpenXR graphics binding that goes with each.

Two kinds:

- ``egl``: an EGL context with no surface at all (Mesa's surfaceless platform), bound to the
  runtime through ``XR_MNDX_egl_enable``. Needs no window system: this is how Monado runs on a
  headless machine (and in the tests).
- ``glfw``: a hidden 1x1 GLFW window, bound through ``XR_KHR_opengl_enable`` as an Xlib/GLX
  context on Linux or a WGL context on Windows. This is what SteamVR, Meta Quest Link and
  Windows Mixed Reality expect.

pyopenxr, when imported on Linux, switches PyOpenGL to its GLX platform; :func:`import_xr` puts
PyOpenGL's platform back the way it was chosen (EGL when ``PYOPENGL_PLATFORM=egl``) so GL calls
resolve through the right library. Call :func:`prepare_platform` before anything imports
``OpenGL``.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["prepare_platform", "import_xr", "EGLContext", "GLFWContext"]

#: ``EGL_PLATFORM_SURFACELESS_MESA`` (EGL_MESA_platform_surfaceless).
_EGL_PLATFORM_SURFACELESS_MESA = 0x31DD
_EGL_CONTEXT_MAJOR_VERSION = 0x3098
_EGL_CONTEXT_MINOR_VERSION = 0x30FB
_EGL_CONTEXT_OPENGL_PROFILE_MASK = 0x30FD
_EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT = 0x1


def prepare_platform(kind: str) -> None:
    """Choose PyOpenGL's platform for a context ``kind`` ("egl" or "glfw"); before any GL import.

    EGL contexts need PyOpenGL's EGL platform, GLFW's GLX contexts (Linux) its GLX platform,
    whatever ``PYOPENGL_PLATFORM`` said before (PyOpenGL asks the platform for the current
    context, and asking the wrong one finds none).
    """
    wanted = "egl" if kind == "egl" else ("glx" if sys.platform.startswith("linux") else None)
    if wanted is None:
        return
    if "OpenGL" in sys.modules and os.environ.get("PYOPENGL_PLATFORM") != wanted:
        raise RuntimeError(f"PyOpenGL was imported before its {wanted} platform could be chosen")
    os.environ["PYOPENGL_PLATFORM"] = wanted


def import_xr():
    """Import pyopenxr without letting it change PyOpenGL's platform; returns the ``xr`` module."""
    import OpenGL.platform as plat

    chosen = plat.PLATFORM
    import xr

    plat.PLATFORM = chosen
    return xr


class EGLContext:
    """A surfaceless EGL OpenGL 3.3 core context (Mesa), made current on creation.

    Attributes
    ----------
    display, config, context : EGL handles
        What ``XrGraphicsBindingEGLMNDX`` needs.
    """

    extension = "XR_MNDX_egl_enable"

    def __init__(self) -> None:
        from OpenGL import EGL

        self._egl = EGL
        display = EGL.eglGetPlatformDisplay(_EGL_PLATFORM_SURFACELESS_MESA,
                                            EGL.EGL_DEFAULT_DISPLAY, None)
        if not display:
            display = EGL.eglGetDisplay(EGL.EGL_DEFAULT_DISPLAY)
        if not display:
            raise RuntimeError("no EGL display (is Mesa's libEGL installed?)")
        major, minor = EGL.EGLint(), EGL.EGLint()
        if not EGL.eglInitialize(display, ctypes.pointer(major), ctypes.pointer(minor)):
            raise RuntimeError("eglInitialize failed")
        # Rendering goes to framebuffer objects, so the config needs no depth buffer; the
        # surfaceless platform only offers pbuffer configs.
        attribs = (EGL.EGLint * 13)(
            EGL.EGL_RED_SIZE, 8, EGL.EGL_GREEN_SIZE, 8, EGL.EGL_BLUE_SIZE, 8,
            EGL.EGL_SURFACE_TYPE, EGL.EGL_PBUFFER_BIT,
            EGL.EGL_RENDERABLE_TYPE, EGL.EGL_OPENGL_BIT, EGL.EGL_NONE,
        )
        configs = (EGL.EGLConfig * 1)()
        count = EGL.EGLint()
        if not EGL.eglChooseConfig(display, attribs, configs, 1, ctypes.pointer(count)) \
                or count.value < 1:
            raise RuntimeError("no EGL config for OpenGL with 8-bit RGB")
        EGL.eglBindAPI(EGL.EGL_OPENGL_API)
        ctx_attribs = (EGL.EGLint * 7)(
            _EGL_CONTEXT_MAJOR_VERSION, 3, _EGL_CONTEXT_MINOR_VERSION, 3,
            _EGL_CONTEXT_OPENGL_PROFILE_MASK, _EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL.EGL_NONE,
        )
        context = EGL.eglCreateContext(display, configs[0], EGL.EGL_NO_CONTEXT, ctx_attribs)
        if not context:
            raise RuntimeError("eglCreateContext failed for OpenGL 3.3 core")
        self.display, self.config, self.context = display, configs[0], context
        self.make_current()

    def make_current(self) -> None:
        EGL = self._egl
        if not EGL.eglMakeCurrent(self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE,
                                  self.context):
            raise RuntimeError("eglMakeCurrent failed (surfaceless contexts unsupported?)")

    def binding(self, xr):
        """``XrGraphicsBindingEGLMNDX`` for this context (keep the returned object alive)."""
        EGL = self._egl
        b = xr.GraphicsBindingEGLMNDX()
        b.display = self.display
        b.config = self.config
        b.context = self.context
        b.get_proc_address = ctypes.cast(EGL.eglGetProcAddress.load(),
                                         xr.PFN_xrEglGetProcAddressMNDX)
        return b

    def destroy(self) -> None:
        EGL = self._egl
        if self.context:
            EGL.eglMakeCurrent(self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE,
                               EGL.EGL_NO_CONTEXT)
            EGL.eglDestroyContext(self.display, self.context)
            self.context = None
        if self.display:
            EGL.eglTerminate(self.display)
            self.display = None


class GLFWContext:
    """A hidden 1x1 GLFW window's OpenGL 3.3 context, for runtimes that want GLX or WGL."""

    extension = "XR_KHR_opengl_enable"

    def __init__(self) -> None:
        import glfw

        self._glfw = glfw
        if not glfw.init():
            raise RuntimeError("GLFW could not initialise (no display?)")
        glfw.window_hint(glfw.VISIBLE, False)
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.DOUBLEBUFFER, False)
        self.window = glfw.create_window(1, 1, "Panoforge XR", None, None)
        if not self.window:
            glfw.terminate()
            raise RuntimeError("GLFW could not create an OpenGL 3.3 context")
        self.make_current()

    def make_current(self) -> None:
        self._glfw.make_context_current(self.window)

    def binding(self, xr):
        """``XrGraphicsBindingOpenGLWin32KHR`` or ``...XlibKHR`` for this context."""
        self.make_current()
        if sys.platform == "win32":
            from OpenGL import WGL

            b = xr.GraphicsBindingOpenGLWin32KHR()
            b.h_dc = WGL.wglGetCurrentDC()
            b.h_glrc = WGL.wglGetCurrentContext()
            return b
        from OpenGL import GLX

        return xr.GraphicsBindingOpenGLXlibKHR(
            x_display=GLX.glXGetCurrentDisplay(),
            glx_drawable=GLX.glXGetCurrentDrawable(),
            glx_context=GLX.glXGetCurrentContext(),
        )

    def destroy(self) -> None:
        if self.window:
            self._glfw.destroy_window(self.window)
            self.window = None
            self._glfw.terminate()
