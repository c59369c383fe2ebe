"""The Qt application and the command line: the only package that knows models and renderers."""
