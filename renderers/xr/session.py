"""An OpenXR session with OpenGL: instance, headset, graphics context, spaces, swapchains.

:class:`XRSession` sets everything up in the order OpenXR requires and tears it down in reverse;
:mod:`.frame_loop` runs frames on it. A missing or inactive runtime, a runtime without OpenGL,
or no headset becomes an :class:`XRUnavailableError` (a :class:`~scene.errors.PanoforgeError`,
so the command line prints one message with a hint and exits with code 2).

Imports: numpy, pyopenxr (``xr``), PyOpenGL and :mod:`scene` only, all inside functions.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from scene.errors import PanoforgeError

from .xr_gl_context import EGLContext, GLFWContext, import_xr, prepare_platform

__all__ = ["XRSession", "XRUnavailableError", "RUNTIME_HINT", "choose_gl", "SPACES", "GL_KINDS"]

RUNTIME_HINT = (
    "start an OpenXR runtime and make it the active one: SteamVR, Meta Quest Link "
    "(the Meta Quest Link / Oculus app), Monado (monado-service) or Windows Mixed Reality "
    "(Mixed Reality Portal); then run the command again"
)
GL_KINDS = ("auto", "egl", "glfw")
SPACES = ("auto", "stage", "local")
#: Swapchain formats we render to, best first: sRGB (bytes = panorama bytes), then linear.
_GL_SRGB8_ALPHA8 = 0x8C43
_GL_RGBA8 = 0x8058
APP_NAME = "Panoforge"


class XRUnavailableError(PanoforgeError):
    """No usable OpenXR runtime or headset (the hint names what to start)."""


def choose_gl(kind: str) -> str:
    """The OpenGL context kind for ``--gl``: ``auto`` means EGL on a Linux box without a display
    (Monado, headless), a hidden GLFW window otherwise (SteamVR, Quest Link, WMR, Monado)."""
    if kind not in GL_KINDS:
        raise ValueError(f"unknown GL kind {kind!r}")
    if kind != "auto":
        return kind
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        return "egl"
    return "glfw"


def _no_runtime(exc: BaseException | str) -> XRUnavailableError:
    """The one message for "no runtime", with a short reason from the loader's error."""
    name = type(exc).__name__
    if isinstance(exc, str):
        detail = exc
    elif name == "RuntimeUnavailableError":
        detail = "no active OpenXR runtime is installed or registered"
    elif name == "RuntimeFailureError":
        detail = "the active OpenXR runtime failed to start; is its service running?"
    else:
        detail = f"the active OpenXR runtime could not be initialised: {exc}"
    return XRUnavailableError(f"no OpenXR runtime is running ({detail})", hint=RUNTIME_HINT)


class XRSession:
    """Everything a frame loop needs, created in order.

    Parameters
    ----------
    gl : {"auto", "egl", "glfw"}
        OpenGL context kind (see :func:`choose_gl`).
    space : {"auto", "stage", "local"}
        Reference space; ``auto`` takes STAGE where the runtime has it, LOCAL otherwise.

    Attributes
    ----------
    xr : module
        pyopenxr.
    instance, system, session
        OpenXR handles.
    runtime_name : str
    space_kind : {"stage", "local"}
        The reference space rendered in; ``space`` its handle, ``view_space`` the head's.
    sizes : list of (int, int)
        Each eye's swapchain ``(width, height)``: the runtime's recommended size.
    swapchains : list
        One per eye; ``images[i]`` the GL texture names of eye ``i``'s swapchain.
    srgb : bool
        Whether the swapchains are sRGB.
    """

    def __init__(self, gl: str = "auto", space: str = "auto") -> None:
        if space not in SPACES:
            raise ValueError(f"unknown space {space!r}")
        self.gl_kind = choose_gl(gl)
        os.environ.setdefault("XR_LOADER_DEBUG", "none")  # one clear message, not loader noise
        prepare_platform(self.gl_kind)
        try:
            self.xr = import_xr()
        except OSError as exc:  # the bundled loader library itself cannot load
            raise _no_runtime(f"the OpenXR loader library could not be loaded: {exc}") from None
        self.instance = self.session = self.context = None
        self.space = self.view_space = None
        self.swapchains: list = []
        self.images: list[list[int]] = []
        self._binding = None
        try:
            self._create_instance()
            self._find_headset()
            self._create_session(space)
            self._create_swapchains()
        except BaseException:
            self.close()
            raise

    # -- set-up --------------------------------------------------------------------------
    def _create_instance(self) -> None:
        xr = self.xr
        errors = xr.exception
        unavailable = (errors.RuntimeUnavailableError, errors.RuntimeFailureError,
                       errors.InitializationFailedError)
        try:
            available = {e.extension_name.decode() if isinstance(e.extension_name, bytes)
                         else str(e.extension_name)
                         for e in xr.enumerate_instance_extension_properties()}
        except unavailable as exc:
            raise _no_runtime(exc) from None
        wanted = [xr.KHR_OPENGL_ENABLE_EXTENSION_NAME]
        if self.gl_kind == "egl":
            wanted.append(xr.MNDX_EGL_ENABLE_EXTENSION_NAME)
        missing = [e for e in wanted if e not in available]
        if missing:
            other = "glfw" if self.gl_kind == "egl" else "egl"
            raise XRUnavailableError(
                "the active OpenXR runtime does not offer " + ", ".join(missing)
                + " (Panoforge renders with OpenGL)",
                hint=f"try --gl {other}, or switch to a runtime with OpenGL support "
                     "(SteamVR, Monado, Meta Quest Link, Windows Mixed Reality)")
        try:
            self.instance = xr.create_instance(xr.InstanceCreateInfo(
                application_info=xr.ApplicationInfo(
                    application_name=APP_NAME, application_version=1,
                    engine_name=APP_NAME, engine_version=1,
                    api_version=xr.Version(1, 0, 0)),
                enabled_extension_names=wanted))
        except unavailable as exc:
            raise _no_runtime(exc) from None
        props = xr.get_instance_properties(self.instance)
        name = props.runtime_name
        self.runtime_name = name.decode() if isinstance(name, bytes) else str(name)

    def _find_headset(self) -> None:
        xr = self.xr
        try:
            self.system = xr.get_system(self.instance, xr.SystemGetInfo(
                form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY))
        except (xr.exception.FormFactorUnavailableError,
                xr.exception.FormFactorUnsupportedError) as exc:
            raise XRUnavailableError(
                f"{self.runtime_name} is running but sees no headset ({exc})",
                hint="connect and switch on the headset (for a Quest: enable Link or Air "
                     "Link), then run the command again") from None
        views = xr.enumerate_view_configuration_views(
            self.instance, self.system, xr.ViewConfigurationType.PRIMARY_STEREO)
        self.sizes = [(int(v.recommended_image_rect_width), int(v.recommended_image_rect_height))
                      for v in views]
        if len(self.sizes) != 2:
            raise XRUnavailableError(f"{self.runtime_name} offers {len(self.sizes)} views, "
                                     "not a stereo headset's 2")

    def _create_session(self, space: str) -> None:
        xr = self.xr
        # Required before a session may be created, whatever the answer.
        xr.get_opengl_graphics_requirements_khr(self.instance, self.system)
        try:
            self.context = EGLContext() if self.gl_kind == "egl" else GLFWContext()
        except (RuntimeError, ImportError, OSError) as exc:
            other = "glfw" if self.gl_kind == "egl" else "egl"
            raise XRUnavailableError(
                f"no OpenGL context for the headset ({self.gl_kind}: {exc})",
                hint="install Mesa's OpenGL and EGL (Debian/Ubuntu: libegl1 libegl-mesa0 "
                     f"libgl1-mesa-dri) or your GPU driver, or try --gl {other}") from None
        self._binding = self.context.binding(xr)
        self.session = xr.create_session(self.instance, xr.SessionCreateInfo(
            system_id=self.system, next=self._binding))
        kinds = set(xr.enumerate_reference_spaces(self.session))
        stage = xr.ReferenceSpaceType.STAGE
        if space == "stage" and stage not in kinds:
            raise XRUnavailableError(f"{self.runtime_name} has no STAGE space (room-scale "
                                     "boundary not set up)", hint="use --space local")
        use_stage = space != "local" and stage in kinds
        self.space_kind = "stage" if use_stage else "local"
        kind = stage if use_stage else xr.ReferenceSpaceType.LOCAL
        identity = xr.Posef()
        self.space = xr.create_reference_space(self.session, xr.ReferenceSpaceCreateInfo(
            reference_space_type=kind, pose_in_reference_space=identity))
        self.view_space = xr.create_reference_space(self.session, xr.ReferenceSpaceCreateInfo(
            reference_space_type=xr.ReferenceSpaceType.VIEW, pose_in_reference_space=identity))

    def _create_swapchains(self) -> None:
        xr = self.xr
        formats = list(xr.enumerate_swapchain_formats(self.session))
        if _GL_SRGB8_ALPHA8 in formats:
            fmt, self.srgb = _GL_SRGB8_ALPHA8, True
        elif _GL_RGBA8 in formats:
            fmt, self.srgb = _GL_RGBA8, False
        else:
            raise XRUnavailableError(
                f"{self.runtime_name} offers no 8-bit RGBA swapchain format "
                f"(it offers {', '.join(hex(f) for f in formats)})")
        self.format = fmt
        for w, h in self.sizes:
            sc = xr.create_swapchain(self.session, xr.SwapchainCreateInfo(
                usage_flags=(xr.SwapchainUsageFlags.COLOR_ATTACHMENT_BIT
                             | xr.SwapchainUsageFlags.SAMPLED_BIT),
                format=fmt, sample_count=1, width=w, height=h,
                face_count=1, array_size=1, mip_count=1))
            self.swapchains.append(sc)
            imgs = xr.enumerate_swapchain_images(sc, xr.SwapchainImageOpenGLKHR)
            self.images.append([int(i.image) for i in imgs])

    # -- per frame helpers ---------------------------------------------------------------
    def head_pose(self, time):
        """(orientation (4,), position (3,)) of the head in the reference space, or None."""
        xr = self.xr
        loc = xr.locate_space(self.view_space, self.space, time)
        flags = xr.SpaceLocationFlags
        need = flags.ORIENTATION_VALID_BIT | flags.POSITION_VALID_BIT
        if (loc.location_flags & need) != need:
            return None
        p, q = loc.pose.position, loc.pose.orientation
        return np.array([q.x, q.y, q.z, q.w]), np.array([p.x, p.y, p.z])

    # -- tear-down -----------------------------------------------------------------------
    def close(self) -> None:
        """Destroy everything that was created (safe to call twice)."""
        xr = self.xr
        for sc in self.swapchains:
            _quiet(xr.destroy_swapchain, sc)
        self.swapchains, self.images = [], []
        for sp in (self.view_space, self.space):
            if sp is not None:
                _quiet(xr.destroy_space, sp)
        self.space = self.view_space = None
        if self.session is not None:
            _quiet(xr.destroy_session, self.session)
            self.session = None
        if self.context is not None:
            _quiet(self.context.destroy)
            self.context = None
        if self.instance is not None:
            _quiet(xr.destroy_instance, self.instance)
            self.instance = None


def _quiet(fn, *args) -> None:
    """Run a tear-down call; a failure there must not hide the reason we are tearing down."""
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        print(f"panoforge xr: warning: {getattr(fn, '__name__', fn)} failed: {exc}",
              file=sys.stderr)
