"""Known-answer scenes and mesh measurements for tests and benchmarks (never used by the app).

:mod:`scene.testing.analytic`
    Analytic scenes (box room, nested spheres, ground plane) with the exact distance along
    every ray and their rendered panoramas.
:mod:`scene.testing.mesh_metrics`
    Error measures of a mesh against such a scene.

Numpy only, like the rest of :mod:`scene`; kept apart so the application's surface holds
only what the application uses.
"""
