"""The OpenXR headset session: ``panoforge xr`` draws a scene's DepthFusion mesh to both eyes.

Modules: :mod:`.math` (projection from an ``XrFovf``, pose -> view), :mod:`.controls` (where the
scene sits around the viewer; thumbstick, snap turn, recentre), :mod:`.gl_mesh` (raw OpenGL mesh
drawing), :mod:`.session` (instance, graphics context, swapchains) and :mod:`.frame_loop`.

Importing this package imports nothing heavy: ``xr`` and ``OpenGL`` load inside the functions
that need them, and the XR process never imports torch, Qt or vispy.
"""
