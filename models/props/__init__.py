"""Props: objects that stand in a scene, made from words or from one picture.

Importing the package is cheap (numpy only; torch loads when LRM runs). The parts:

- :mod:`.mesher`: implicit field → closed, outward-wound, vertex-coloured mesh (marching
  cubes), shared by both backends;
- :mod:`.sdf` and :mod:`.shapes`: the ``procedural`` backend's exact analytic objects (rock,
  pine, column, crate, lamp, barrel, ball, tent) picked by words;
- :mod:`.backend`: :func:`generate_prop` for ``procedural`` and ``lrm`` (:mod:`models.lrm`).

Placing a prop on the dome's depth surface is :mod:`scene.placement`.
"""

from .backend import PROP_BACKENDS, GeneratedProp, PropRequest, generate_prop

__all__ = ["PROP_BACKENDS", "PropRequest", "GeneratedProp", "generate_prop"]
