"""The procedural prop library: simple objects as exact implicit solids, picked by words.

Each :class:`Shape` is a signed distance function in its own frame (metres, +Y up, standing on
y = 0, centred on x = z = 0, front towards +Z) with a colour function, about one metre tall;
placement scales it to the height the user asks for. They go through the same field → mesh
path as LRM (:func:`models.props.mesher.mesh_field`), so the mesher's output can be checked
against the exact surface.

Words (any case; the first object word in the prompt wins; colour words tint it, as in the
scene generator's vocabulary, :data:`models.procedural.prompt_words.COLOUR_WORDS`):

- ``rock``: rock, stone, boulder, pebble — a faceted boulder (a sphere cut by planes);
- ``pine``: pine, tree, fir, spruce, conifer — a trunk under three stacked cones;
- ``column``: column, pillar, pedestal — a cylinder on a square plinth under a capital;
- ``crate``: crate, box, chest, cube — a cube with darker plank bands;
- ``lamp``: lamp, lantern, streetlight, light, lamppost — a post with a glowing globe;
- ``barrel``: barrel, drum, keg, cask — an upright cylinder with hoops;
- ``ball``: ball, sphere, orb, globe — a sphere;
- ``tent``: tent, shelter — a triangular prism.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scene.errors import InputError

from . import sdf

__all__ = ["Shape", "SHAPES", "SHAPE_WORDS", "shape_for_prompt", "make_shape"]


@dataclass(frozen=True)
class Shape:
    """One analytic object.

    Parameters
    ----------
    name : str
        Library name (``rock``, ``pine`` ...).
    sdf : callable
        ``(N, 3) -> (N,)`` float64 signed distance, metres (negative inside).
    color : callable
        ``(N, 3) -> (N, 3)`` float sRGB in [0, 1].
    lo, hi : (3,) tuple of float
        A box that holds the solid with a margin, metres.
    exact : bool
        ``True`` when ``sdf`` is the Euclidean distance everywhere (a single primitive).
    volume : float or None
        The exact volume in cubic metres, when it has a closed form.
    """

    name: str
    sdf: Callable[[np.ndarray], np.ndarray]
    color: Callable[[np.ndarray], np.ndarray]
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    exact: bool = False
    volume: float | None = None


def _solid(rgb) -> Callable[[np.ndarray], np.ndarray]:
    c = np.asarray(rgb, np.float64)
    return lambda p: np.broadcast_to(c, (len(p), 3)).copy()


def _margin(lo, hi, m: float = 0.05):
    return (tuple(float(v - m) for v in lo), tuple(float(v + m) for v in hi))


def _rock(seed: int) -> Shape:
    rng = np.random.default_rng(seed)
    centre = (0.0, 0.45, 0.0)
    normals = rng.normal(size=(9, 3))
    normals[:, 1] = np.abs(normals[:, 1]) * 0.6  # facets face sideways and up, not down
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    offsets = rng.uniform(0.36, 0.44, size=9)

    def f(p):
        d = [sdf.sphere(p, centre, 0.5), sdf.half_space(p, (0, 0, 0), (0, -1, 0))]
        d += [sdf.half_space(p, np.asarray(centre) + o * n, n) for n, o in zip(normals, offsets,
                                                                               strict=True)]
        return sdf.intersect(*d)

    def colour(p):
        p = np.asarray(p, np.float64)
        shade = 0.85 + 0.15 * np.sin(p[:, 0] * 23.0 + p[:, 1] * 17.0) * np.cos(p[:, 2] * 19.0)
        return np.clip(np.array([0.50, 0.48, 0.45]) * shade[:, None], 0, 1)

    lo, hi = _margin((-0.5, 0.0, -0.5), (0.5, 0.95, 0.5))
    return Shape("rock", f, colour, lo, hi)


def _pine(seed: int) -> Shape:
    tiers = ((0.22, 0.42, 0.62), (0.45, 0.34, 0.82), (0.66, 0.24, 1.0))  # (base y, radius, top)

    def f(p):
        d = [sdf.cylinder_y(p, 0, 0, 0.06, 0.0, 0.3)]
        d += [sdf.cone_y(p, 0, 0, y0, r, y1, 0.0) for y0, r, y1 in tiers]
        return sdf.union(*d)

    def colour(p):
        p = np.asarray(p, np.float64)
        trunk = (np.hypot(p[:, 0], p[:, 2]) < 0.075) & (p[:, 1] < 0.3)
        return np.where(trunk[:, None], [0.36, 0.24, 0.14], [0.13, 0.33, 0.16])

    lo, hi = _margin((-0.42, 0.0, -0.42), (0.42, 1.0, 0.42))
    return Shape("pine", f, colour, lo, hi)


def _column(seed: int) -> Shape:
    def f(p):
        return sdf.union(sdf.box(p, (0, 0.05, 0), (0.22, 0.05, 0.22)),
                         sdf.cylinder_y(p, 0, 0, 0.15, 0.1, 0.9),
                         sdf.box(p, (0, 0.95, 0), (0.2, 0.05, 0.2)))

    lo, hi = _margin((-0.22, 0.0, -0.22), (0.22, 1.0, 0.22))
    return Shape("column", f, _solid((0.82, 0.80, 0.74)), lo, hi)


def _crate(seed: int) -> Shape:
    def f(p):
        return sdf.box(p, (0, 0.5, 0), (0.5, 0.5, 0.5))

    def colour(p):
        p = np.asarray(p, np.float64)
        edge = np.sort(0.5 - np.abs(p - [0, 0.5, 0]), axis=1)[:, 1] < 0.08  # near an edge
        return np.where(edge[:, None], [0.45, 0.30, 0.16], [0.66, 0.49, 0.29])

    lo, hi = _margin((-0.5, 0.0, -0.5), (0.5, 1.0, 0.5))
    return Shape("crate", f, colour, lo, hi, exact=True, volume=1.0)


def _lamp(seed: int) -> Shape:
    def f(p):
        return sdf.union(sdf.cylinder_y(p, 0, 0, 0.1, 0.0, 0.06),
                         sdf.cylinder_y(p, 0, 0, 0.035, 0.06, 0.86),
                         sdf.sphere(p, (0, 0.9, 0), 0.1))

    def colour(p):
        p = np.asarray(p, np.float64)
        globe = p[:, 1] > 0.86
        return np.where(globe[:, None], [1.0, 0.88, 0.55], [0.18, 0.18, 0.2])

    lo, hi = _margin((-0.1, 0.0, -0.1), (0.1, 1.0, 0.1))
    return Shape("lamp", f, colour, lo, hi)


def _barrel(seed: int) -> Shape:
    def f(p):
        return sdf.cylinder_y(p, 0, 0, 0.33, 0.0, 1.0)

    def colour(p):
        p = np.asarray(p, np.float64)
        hoop = np.abs(((p[:, 1] + 0.1) % 0.4) - 0.2) < 0.03
        return np.where(hoop[:, None], [0.25, 0.25, 0.27], [0.55, 0.36, 0.2])

    lo, hi = _margin((-0.33, 0.0, -0.33), (0.33, 1.0, 0.33))
    return Shape("barrel", f, colour, lo, hi, exact=True, volume=float(np.pi * 0.33**2 * 1.0))


def _ball(seed: int) -> Shape:
    def f(p):
        return sdf.sphere(p, (0, 0.5, 0), 0.5)

    lo, hi = _margin((-0.5, 0.0, -0.5), (0.5, 1.0, 0.5))
    return Shape("ball", f, _solid((0.75, 0.2, 0.2)), lo, hi, exact=True,
                 volume=float(4.0 / 3.0 * np.pi * 0.5**3))


def _tent(seed: int) -> Shape:
    s = np.hypot(1.0, 0.6)

    def f(p):
        return sdf.intersect(sdf.half_space(p, (0, 0, 0), (0, -1, 0)),
                             sdf.half_space(p, (0.6, 0, 0), (1.0 / s, 0.6 / s, 0)),
                             sdf.half_space(p, (-0.6, 0, 0), (-1.0 / s, 0.6 / s, 0)),
                             sdf.half_space(p, (0, 0, 0.7), (0, 0, 1)),
                             sdf.half_space(p, (0, 0, -0.7), (0, 0, -1)))

    lo, hi = _margin((-0.6, 0.0, -0.7), (0.6, 1.0, 0.7))
    return Shape("tent", f, _solid((0.85, 0.55, 0.2)), lo, hi, volume=0.5 * 1.2 * 1.0 * 1.4)


_MAKERS: dict[str, Callable[[int], Shape]] = {
    "rock": _rock, "pine": _pine, "column": _column, "crate": _crate, "lamp": _lamp,
    "barrel": _barrel, "ball": _ball, "tent": _tent,
}
#: Library names, in display order.
SHAPES = tuple(_MAKERS)
#: Prompt word -> library name.
SHAPE_WORDS: dict[str, str] = {
    **{w: "rock" for w in ("rock", "rocks", "stone", "stones", "boulder", "boulders", "pebble")},
    **{w: "pine" for w in ("pine", "pines", "tree", "trees", "fir", "spruce", "conifer")},
    **{w: "column" for w in ("column", "columns", "pillar", "pillars", "pedestal")},
    **{w: "crate" for w in ("crate", "crates", "box", "boxes", "chest", "cube")},
    **{w: "lamp" for w in ("lamp", "lamps", "lantern", "streetlight", "light", "lamppost")},
    **{w: "barrel" for w in ("barrel", "barrels", "drum", "keg", "cask")},
    **{w: "ball" for w in ("ball", "sphere", "orb", "globe")},
    **{w: "tent" for w in ("tent", "tents", "shelter")},
}
_WORD = re.compile(r"[a-z]+")


def shape_for_prompt(prompt: str) -> tuple[str, tuple[float, float, float]]:
    """The library object a prompt names, and the tint of its colour words.

    Returns
    -------
    name : str
        One of :data:`SHAPES`.
    tint : (3,) tuple of float
        Product of the colour words' multipliers ((1, 1, 1) when none).

    Raises
    ------
    InputError
        When no object word is in the prompt; the hint lists them.
    """
    from models.procedural.prompt_words import COLOUR_WORDS

    words = _WORD.findall((prompt or "").lower())
    name = next((SHAPE_WORDS[w] for w in words if w in SHAPE_WORDS), None)
    if name is None:
        raise InputError(
            f"the procedural prop maker knows no object in {prompt!r}",
            hint="name one of: " + ", ".join(SHAPES) + " (or give an image and --backend lrm)")
    tint = np.ones(3)
    for w in words:
        if w in COLOUR_WORDS:
            tint = tint * np.asarray(COLOUR_WORDS[w])
    return name, tuple(float(v) for v in tint)


def make_shape(name: str, seed: int = 0, tint=(1.0, 1.0, 1.0)) -> Shape:
    """The library object ``name`` (deterministic per ``seed``), its colours times ``tint``."""
    if name not in _MAKERS:
        raise InputError(f"unknown procedural prop {name!r}", hint="use one of: " + ", ".join(SHAPES))
    shape = _MAKERS[name](int(seed))
    t = np.asarray(tint, np.float64)
    if np.allclose(t, 1.0):
        return shape
    base = shape.color
    return Shape(shape.name, shape.sdf, lambda p: np.clip(base(p) * t, 0.0, 1.0), shape.lo,
                 shape.hi, shape.exact, shape.volume)
