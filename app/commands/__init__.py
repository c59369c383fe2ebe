"""One module per ``panoforge`` subcommand: ``add_arguments(parser)`` and ``run(args) -> int``.

Each module imports its heavy dependencies inside ``run`` so ``panoforge --help`` stays fast.
"""

COMMANDS = ("gui", "generate", "import", "export", "render", "info", "xr", "models", "prop",
            "upscale", "repair-poles", "layer", "score", "batch")
