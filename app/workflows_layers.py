"""Walkable scenes, once for the command line and the window (Qt-free).

:func:`make_walkable` splits a result's dome at its depth discontinuities, fills what a moved
eye can see behind the foreground with one filler (:mod:`models.fillers`), peeling deeper
while the new layer has discontinuities of its own (at most :data:`MAX_LAYERS`), adds the
layers to the result, and measures the walk zone with and without them
(:mod:`scene.walkzone`), recorded in the dome's metadata (``extra["walk_zone"]``) so that
``info``, the window and the GLB exporter read it back. :func:`score_result` is the 3D
consistency score (:mod:`scene.consistency`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["MAX_LAYERS", "LayerRequest", "LayerOutcome", "default_fill", "make_walkable",
           "record_walk_zone", "walk_zone_record", "score_result", "cut_threshold_of"]

#: Deepest peeling. A dense forest needs it: each layer peels surfaces within one cut
#: threshold (25 %) of the one before, and trees stand behind trees (the forest's holes from
#: the centre: 1.1 % with 3 layers, 0.13 % with 6, none with 8, at 256 px).
MAX_LAYERS = 8


@dataclass
class LayerRequest:
    """What ``panoforge layer`` / "Make walkable" asks for.

    Attributes
    ----------
    result_id : str or None
        The dome result (None = the active one).
    walk_radius : float
        Metres around the origin the layers must serve (default 0.5).
    fill : str or None
        ``procedural``, ``classical`` or ``ldm3d``; None picks :func:`default_fill`.
    seed : int
    options : dict
        Filler options (ldm3d: ``model``, ``steps``, ``device``).
    """

    result_id: str | None = None
    walk_radius: float = 0.5
    fill: str | None = None
    seed: int = 0
    options: dict = field(default_factory=dict)


@dataclass
class LayerOutcome:
    """What :func:`make_walkable` did: the result, its new layers, the walk zones."""

    result: object
    layers: list
    fill: str
    zones: dict
    seconds: float = 0.0


def default_fill(result) -> str:
    """``procedural`` for results of the procedural generator (exact), else ``classical``."""
    return "procedural" if result.panorama.metadata.backend == "procedural" else "classical"


def cut_threshold_of(project) -> float:
    """The relative jump that splits the dome: the project's mesh cut, or the default cut
    when the project keeps every triangle (rubber sheets hide nothing, but a layer made for
    the default cut is ready when the user turns the cut on)."""
    import math

    from scene.mesh_settings import DEFAULT_CUT_THRESHOLD

    thr = project.mesh_settings.cut_threshold
    return thr if math.isfinite(thr) else DEFAULT_CUT_THRESHOLD


def _next_layer_id(layers) -> str:
    used = {la.id for la in layers}
    k = 1
    while f"l{k}" in used:
        k += 1
    return f"l{k}"


def walk_zone_record(zones: dict, walk_radius: float | None, fill: str | None,
                     cut_threshold: float) -> dict:
    """Plain JSON of measured walk zones (what the result and GLB extras keep)."""
    return {"dome_m": zones["dome"].radius, "layers_m": zones["layers"].radius,
            "dome_capped": zones["dome"].capped, "layers_capped": zones["layers"].capped,
            "walk_radius_m": walk_radius, "fill": fill, "cut_threshold": cut_threshold,
            **{k: v for k, v in zones["layers"].to_dict().items() if k != "radius_m"
               and k != "capped"}}


def record_walk_zone(result, record: dict) -> None:
    """Keep ``record`` on the result (its dome's metadata ``extra["walk_zone"]``)."""
    result.panorama.metadata.extra["walk_zone"] = record


def make_walkable(project, request: LayerRequest, on_progress=None, cancel=None) -> LayerOutcome:
    """Add fill layers to the picked result so an eye inside ``walk_radius`` sees no hole.

    Earlier ``fill`` layers of the result are replaced; the project is not saved (the caller
    saves it atomically once this returns, so an interrupted run changes nothing).
    """
    import math

    from models.base import Progress, raise_if_cancelled
    from models.fillers import FILLERS, FillRequest, make_filler
    from scene.composition import Scene
    from scene.errors import InputError
    from scene.layering import disocclusion, make_layer
    from scene.walkzone import walk_zones

    result = project.pick(request.result_id)
    if not result.panorama.has_depth:
        raise InputError(f"result {result.id} has no depth: nothing to layer",
                         hint="import it with --depth FILE or --estimate-depth")
    r = float(request.walk_radius)
    if not (math.isfinite(r) and 0 < r <= 5):
        raise InputError(f"--walk-radius must be between 0 and 5 metres, got {request.walk_radius}",
                         hint="for example --walk-radius 0.5")
    fill = request.fill or default_fill(result)
    if fill not in FILLERS:
        raise InputError(f"unknown filler {fill!r}", hint="use one of " + ", ".join(FILLERS))
    filler = make_filler(fill, **request.options)
    ok, why = filler.available()
    if not ok:
        raise InputError(f"the {fill} filler cannot run here: {why}",
                         hint="use --fill classical (no weights needed)")
    thr = cut_threshold_of(project)
    start = time.perf_counter()
    total = MAX_LAYERS + 1

    def report(step: int, message: str) -> None:
        if on_progress is not None:
            el = time.perf_counter() - start
            on_progress(Progress(step, total, el, el / max(step, 1) * (total - step), None,
                                 message))

    kept = [la for la in result.layers if la.kind != "fill"]
    current = result.panorama
    new_layers: list = []
    for depth in range(min(MAX_LAYERS, getattr(filler, "max_layers", MAX_LAYERS))):
        raise_if_cancelled(cancel)
        dis = disocclusion(current.distance, thr, r)
        if dis.empty:
            break
        made = filler.fill(FillRequest(current, dis, seed=request.seed + depth,
                                       options=request.options, recipe=result.panorama.metadata),
                           cancel=cancel)
        layer = make_layer(current, dis, made.rgb, made.distance,
                           layer_id=_next_layer_id(kept + new_layers), method=fill,
                           label=f"behind the foreground, depth {depth + 1} ({fill})",
                           metadata=made.metadata)
        new_layers.append(layer)
        report(depth + 1, f"layer {depth + 1} filled ({fill})")
        current = layer.panorama
    raise_if_cancelled(cancel)
    scene = Scene(result.panorama, tuple(kept + new_layers), tuple(result.props), result.id)
    zones = walk_zones(scene, thr)
    report(total, "measured the walk zone")
    result.layers[:] = kept + new_layers
    record_walk_zone(result, walk_zone_record(zones, r, fill, thr))
    return LayerOutcome(result, new_layers, fill, zones, time.perf_counter() - start)


def score_result(project, result_id=None, *, n_views: int = 6, radius: float | None = None,
                 exact: bool = True, on_progress=None, cancel=None):
    """The 3D consistency score of a result's scene (:func:`scene.consistency.score_scene`).

    With ``exact`` and a procedural result, the views are also compared with the
    generator's exact renders from the same poses.
    """
    from scene.consistency import score_scene

    result = project.pick(result_id)
    thr = cut_threshold_of(project)
    if radius is None:
        rec = result.panorama.metadata.extra.get("walk_zone") or {}
        radius = float(rec.get("walk_radius_m") or 0.5)
    exact_render = None
    if exact and result.panorama.metadata.backend == "procedural":
        from models.fillers.procedural import exact_cube_views

        def exact_render(eyes, face):
            return exact_cube_views(result.panorama.metadata, eyes, face)

    return score_scene(project.scene(result.id), thr, n_views=n_views, radius=radius,
                       exact_render=exact_render, on_progress=on_progress, cancel=cancel)
