"""`panoforge import`: not available yet."""

from __future__ import annotations

import argparse

HELP = "(not available yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    print("panoforge import is not available yet in this version.")
    return 2
