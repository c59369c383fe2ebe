"""`panoforge gui [PROJECT]`: open the authoring window (also what plain `panoforge` does)."""

from __future__ import annotations

import argparse

HELP = "open the window (the default when no command is given)"
DESCRIPTION = (
    "Open the Panoforge window: type a prompt, generate, shape the depth, export.\n"
    "PROJECT may be a .panoforge file to open or a panorama image to import.\n"
    "Unsaved results of a session that crashed are offered for recovery at start."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", default=None,
                        help="a .panoforge project to open, or an image to import")
    parser.add_argument("--no-recovery", action="store_true",
                        help="do not look for unsaved work of crashed sessions at start")


def check_display(env=None, platform: str | None = None) -> None:
    """Refuse, with what to do, when there is no screen to open a window on.

    Without it Qt prints a misleading plugin message and aborts the process (SIGABRT).
    A Qt platform chosen explicitly (``QT_QPA_PLATFORM``, e.g. ``offscreen``) is respected.
    """
    import os
    import sys

    from scene.errors import PanoforgeError

    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        raise PanoforgeError(
            "there is no screen to open the window on (neither DISPLAY nor WAYLAND_DISPLAY "
            "is set)",
            hint="run it in a desktop session, or on a virtual screen: xvfb-run -a panoforge; "
                 "without a window, use panoforge generate / import / export / render")


def run(args: argparse.Namespace) -> int:
    check_display()
    from app.window.app import run_app

    return run_app(args.project, check_recovery=not args.no_recovery)
