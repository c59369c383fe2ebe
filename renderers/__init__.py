"""Things that draw a DepthFusion mesh: the vispy viewport, offscreen renders, the OpenXR session.

vispy and the XR bindings are imported inside the modules that draw, never at package import.
"""
