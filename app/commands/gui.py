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


def run(args: argparse.Namespace) -> int:
    from app.window.app import run_app

    return run_app(args.project, check_recovery=not args.no_recovery)
