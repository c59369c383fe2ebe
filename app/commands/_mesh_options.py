"""The mesh options that several subcommands share (``--mesh``, ``--max-error``,
``--cut-threshold``), and how they override a project's saved mesh settings."""

from __future__ import annotations

import argparse


def add_mesh_arguments(parser: argparse.ArgumentParser, default: str = "the project's") -> None:
    """Add ``--mesh``, ``--max-error`` and ``--cut-threshold`` to ``parser``."""
    parser.add_argument("--mesh", choices=("full", "adaptive"),
                        help=f"full pixel grid or error-bounded adaptive (default: {default})")
    parser.add_argument("--max-error", type=float, metavar="E",
                        help="adaptive mesh: maximum relative radial error (0.005 = 0.5 %%)")
    parser.add_argument("--cut-threshold", type=float, metavar="T",
                        help="cut triangles spanning a relative depth jump above T (inf keeps all)")


def mesh_options_given(args: argparse.Namespace) -> bool:
    """Whether the user set any of the mesh options."""
    return bool(args.mesh or args.max_error is not None or args.cut_threshold is not None)


def mesh_settings_from_args(base, args: argparse.Namespace):
    """``base`` (a :class:`scene.mesh_settings.MeshSettings`) with the options the user gave."""
    changes = {k: v for k, v in (("mode", args.mesh), ("max_error", args.max_error),
                                 ("cut_threshold", args.cut_threshold)) if v is not None}
    return base.with_(**changes)
