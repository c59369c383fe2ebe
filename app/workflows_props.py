"""Props, once for every front-end: make one, stand it on the dome, list and remove them.

``panoforge prop add|list|remove`` and the window's "Add prop…" (click-to-place, the Props
panel) call these. Nothing here imports Qt; the prop models load inside the functions.

Use cases
---------
:func:`default_backend`
    lrm or procedural when the user names none, and why.
:func:`make_prop`
    a :class:`models.props.PropRequest` -> :class:`models.props.GeneratedProp` (progress,
    cancel).
:func:`bake_texture`
    its vertex colours baked into a texture atlas, when asked.
:func:`place_made`
    a made prop stood on a result's dome (:func:`scene.placement.place_prop`, the one
    placement rule) -> :class:`scene.composition.Prop`, not yet added.
:func:`add_prop`
    both, and the prop appended to the result's props.
:func:`remove_prop`, :func:`describe_prop`, :func:`crop_panorama`
"""

from __future__ import annotations

__all__ = ["default_backend", "crop_panorama", "make_prop", "bake_texture", "place_made",
           "add_prop", "remove_prop", "describe_prop"]


def default_backend(image, prompt: str) -> tuple[str, str]:
    """The prop backend when none is named, and why."""
    if image:
        return "lrm", "a picture was given"
    from models.ldm3d import local_weights_available as ldm3d_available
    from models.lrm.weights import local_weights_available as lrm_available

    has_lrm = lrm_available("lrm-base")[0]
    has_ldm3d = any(ldm3d_available(n)[0] for n in ("ldm3d-4c", "ldm3d"))
    if has_lrm and has_ldm3d:
        return "lrm", "LDM3D draws the prompt and LRM lifts it (weights found)"
    return "procedural", "no LRM + LDM3D weights on this computer; the words pick the object"


def crop_panorama(panorama, rect):
    """(h, w, 4) uint8 RGBA of the rectangle ``(x, y, w, h)`` of a panorama's RGB (opaque).

    The rectangle may cross the seam (x + w > width wraps to the left edge).
    """
    import numpy as np

    from scene.errors import InputError

    x, y, w, h = (int(v) for v in rect)
    rgb = np.asarray(panorama.rgb)
    if w < 8 or h < 8 or y < 0 or y + h > rgb.shape[0] or not 0 <= x < rgb.shape[1] \
            or w > rgb.shape[1]:
        raise InputError(f"--crop {x} {y} {w} {h} is not inside the {rgb.shape[1]}x"
                         f"{rgb.shape[0]} panorama (or is under 8 pixels)",
                         hint="give X Y W H in the panorama's pixels, the object inside")
    cols = np.arange(x, x + w) % rgb.shape[1]
    part = rgb[y:y + h][:, cols]
    return np.concatenate([part, np.full((h, w, 1), 255, np.uint8)], axis=2)


def make_prop(request, on_progress=None, cancel=None):
    """Make the prop mesh ``request`` (:class:`models.props.PropRequest`) describes.

    Returns
    -------
    models.props.GeneratedProp
    """
    from models.props import generate_prop

    return generate_prop(request, on_progress=on_progress, cancel=cancel)


def bake_texture(made, texture_size: int | None):
    """``made`` with its vertex colours baked into a ``texture_size`` atlas
    (:func:`scene.texture_atlas.bake_vertex_colours`); unchanged when the size is 0/None."""
    if not texture_size:
        return made
    from dataclasses import replace

    from scene.texture_atlas import bake_vertex_colours

    return replace(made, mesh=bake_vertex_colours(made.mesh, int(texture_size)))


def _check_height(height: float) -> None:
    import numpy as np

    from scene.errors import InputError

    if not (np.isfinite(height) and height > 0):  # refused before any work
        raise InputError(f"a prop's height must be a positive number of metres, got {height}",
                         hint="for example --height 1.8")


def place_made(result, made, at, height: float, *, name: str = "", material: str = "pbr",
               yaw_deg: float | None = None, snap: bool = True):
    """Stand ``made`` (a :class:`models.props.GeneratedProp`) in ``result``'s scene.

    Parameters
    ----------
    result : scene.project.Result
        Its panorama is the surface; its props give the next id. Nothing is added to it.
    made : models.props.GeneratedProp
    at : (3,) float
        World metres: a point in the direction to stand it in (or the exact base point
        with ``snap=False``).
    height : float
        Metres.

    Returns
    -------
    scene.composition.Prop
    """
    from scene.placement import next_prop_id, place_prop

    _check_height(height)
    return place_prop(made.mesh, result.panorama, at, height,
                      prop_id=next_prop_id(result.props), name=name or made.name,
                      source=made.source, material=material, yaw_deg=yaw_deg, snap=snap)


def add_prop(project, request, at, height: float, *, result_id: str | None = None,
             name: str = "", material: str = "pbr", yaw_deg: float | None = None,
             snap: bool = True, on_progress=None, cancel=None, texture_size: int | None = None):
    """Make the prop ``request`` describes and stand it in the picked result's scene.

    ``texture_size`` (texels) bakes its vertex colours into a texture atlas
    (:func:`scene.texture_atlas.bake_vertex_colours`) for engines that ignore vertex colours.

    Returns
    -------
    (scene.project.Result, scene.composition.Prop)
    """
    result = project.pick(result_id)
    _check_height(height)
    made = bake_texture(make_prop(request, on_progress=on_progress, cancel=cancel),
                        texture_size)
    prop = place_made(result, made, at, height, name=name, material=material, yaw_deg=yaw_deg,
                      snap=snap)
    result.props.append(prop)
    return result, prop


def remove_prop(project, prop_id: str, result_id: str | None = None):
    """Remove prop ``prop_id`` from the picked result; returns (result, removed prop)."""
    from scene.errors import InputError

    result = project.pick(result_id)
    for i, p in enumerate(result.props):
        if p.id == prop_id:
            return result, result.props.pop(i)
    raise InputError(f"result {result.id} has no prop {prop_id!r}",
                     hint="its props are: " + (", ".join(p.id for p in result.props) or "none"))


def describe_prop(prop) -> dict:
    """Plain JSON summary of a prop: id, name, material, base centre (world metres),
    transform, height (metres), mesh size, source."""
    import numpy as np

    lo, hi = prop.mesh.bounds()
    base_local = np.array([[(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2]])
    base = prop.transform.apply(base_local)[0]
    return {"id": prop.id, "name": prop.name, "material": prop.material,
            "base": [round(float(v), 4) for v in base],
            "translation": [round(v, 4) for v in prop.transform.translation],
            "rotation": [round(v, 6) for v in prop.transform.rotation],
            "scale": round(prop.transform.scale, 6),
            "height_m": round(float(hi[1] - lo[1]) * prop.transform.scale, 4),
            "vertices": prop.mesh.n_vertices, "faces": prop.mesh.n_faces,
            "source": prop.source}
