"""The authoring window (Qt): panels, viewport, workers, recovery.

Importing this package imports Qt; the command line imports it only for ``panoforge gui``.
"""
