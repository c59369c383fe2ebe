"""``panoforge``: the command line. With no arguments it opens the window.

Only argparse and the standard library are imported here; each subcommand's module imports
what it needs (torch, Qt, vispy, open3d) inside its ``run``, so ``--help`` and ``--version``
answer at once.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

from .commands import COMMANDS

PROG = "panoforge"
DESCRIPTION = (
    "Author immersive 360° scenes: a prompt becomes an RGBD panorama, a DepthFusion mesh you "
    "can walk around in, and GLB/PLY files for game engines. Run without arguments to open "
    "the window."
)
EPILOG = (
    "examples:\n"
    '  panoforge generate "a misty pine forest at dawn" -o forest.panoforge --glb forest.glb\n'
    "  panoforge import pano.jpg --depth depth.png -o mine.panoforge\n"
    "  panoforge export forest.panoforge --glb forest.glb --cubemap faces/\n"
    "  panoforge render forest.panoforge --yaw 90 -o view.png\n"
    "  panoforge gui forest.panoforge\n"
)


def _version() -> str:
    from scene.metadata import software_version

    return software_version()


class _VersionAction(argparse.Action):
    """``--version``: app.build_info's report (cheap probes only), printed when asked for."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from .build_info import version_text

        print(version_text())
        parser.exit()


def _command_module(name: str):
    module = "import_" if name == "import" else name.replace("-", "_")
    return importlib.import_module(f"app.commands.{module}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction,
                        help="show the version, build, torch/CUDA and OpenXR runtime, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        mod = _command_module(name)
        p = sub.add_parser(
            name, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


#: A negative vector like ``-0.18,-0.09,0``: argparse reads it as an option, not a value.
_NEGATIVE_VECTOR = re.compile(r"^-\d*\.?\d+(?:[eE][-+]?\d+)?(?:,\s*-?\d*\.?\d+(?:[eE][-+]?\d+)?)+$")


def _attach_negative_vectors(argv: list[str]) -> list[str]:
    """``--eye -0.18,-0.09,0`` → ``--eye=-0.18,-0.09,0`` (argparse's negative-number rule
    knows single numbers only, so the vector after an option would be "expected one argument").
    """
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if (arg.startswith("--") and "=" not in arg and i + 1 < len(argv)
                and _NEGATIVE_VECTOR.match(argv[i + 1])):
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    argv = _attach_negative_vectors(sys.argv[1:] if argv is None else list(argv))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui"])
    from scene.errors import PanoforgeError

    from .cli_errors import announce_folders, guard_stdout

    try:
        with guard_stdout(), announce_folders():  # (a closed pipe drops output, not work)
            return int(args._run(args) or 0)
    except PanoforgeError as exc:
        print(f"{PROG}: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
