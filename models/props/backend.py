"""Make a prop mesh: from words (``procedural``) or from a picture (``lrm``).

Both backends end in the same field → mesh path (:mod:`models.props.mesher`) and give a
:class:`GeneratedProp`: an :class:`~scene.composition.ObjectMesh` in its own frame (+Y up,
standing on y ≈ 0, front towards +Z, about one metre tall) and a ``source`` record of what made
it, including the licence of any weights used. :func:`scene.placement.place_prop` then stands it
in the scene.

Where the LRM's picture comes from: a file (``image``), pixels (``rgba``, e.g. a crop of the
panorama), or a prompt, which LDM3D's perspective model (``ldm3d-4c``, else ``ldm3d``) draws as
one object on a plain background before LRM lifts it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.base import raise_if_cancelled
from scene.composition import ObjectMesh
from scene.errors import InputError
from scene.extras import require

from .mesher import DEFAULT_RESOLUTION, Field, mesh_field, stand_on_base

__all__ = ["PROP_BACKENDS", "PropRequest", "GeneratedProp", "generate_prop",
           "procedural_field", "OBJECT_PROMPT_SUFFIX"]

#: ``--backend`` values of ``panoforge prop add``.
PROP_BACKENDS = ("procedural", "lrm", "lrm-base", "lrm-large")
#: Added to a prompt when LDM3D draws the object for LRM (LRM expects one object, no scene).
OBJECT_PROMPT_SUFFIX = ", a single object, centred, full view, on a plain white background"


@dataclass
class PropRequest:
    """What the user asked for.

    Parameters
    ----------
    backend : {"procedural", "lrm", "lrm-base", "lrm-large"}
    prompt : str
        Words naming the object (procedural), or what LDM3D should draw (lrm without image).
    image : str or Path, optional
        A picture of the object (lrm).
    rgba : (H, W, 4) uint8 ndarray, optional
        Pixels of the object instead of a file (alpha < 255 where it is not the object).
    resolution : int
        Marching-cubes grid samples along the longest side (default 256).
    seed : int
        Procedural shape variation; LDM3D's seed when it draws the picture.
    model : str, optional
        LRM folder or Hugging Face id.
    image_model : str, optional
        LDM3D folder or id for the picture drawn from a prompt.
    device : {"auto", "cpu", "cuda"}
    threshold : float, optional
        LRM density of the surface (default 3.0, OpenLRM's).
    """

    backend: str = "procedural"
    prompt: str = ""
    image: str | Path | None = None
    rgba: np.ndarray | None = None
    resolution: int = DEFAULT_RESOLUTION
    seed: int = 0
    model: str | None = None
    image_model: str | None = None
    device: str = "auto"
    threshold: float | None = None


@dataclass
class GeneratedProp:
    """A prop mesh and its record.

    Parameters
    ----------
    mesh : ObjectMesh
        Object frame, metres (+Y up, base at y ≈ 0, front +Z).
    name : str
        A short name for the user and the GLB node.
    source : dict
        Plain JSON: ``backend``, ``model_id``, ``licence``, ``commercial_use``, ``grid`` ...
    """

    mesh: ObjectMesh
    name: str
    source: dict = field(default_factory=dict)


def procedural_field(shape) -> Field:
    """The mesher's :class:`Field` of a :class:`models.props.shapes.Shape` (density = −SDF)."""
    return Field(density=lambda p: -shape.sdf(p), lo=shape.lo, hi=shape.hi, level=0.0,
                 color=shape.color)


def _procedural(req: PropRequest, on_progress, cancel) -> GeneratedProp:
    from models.catalog import PROCEDURAL_ID, entry

    from .shapes import make_shape, shape_for_prompt

    if req.image is not None or req.rgba is not None:
        raise InputError("the procedural prop maker makes objects from words, not pictures",
                         hint="give --prompt WORDS (rock, pine, column, crate, lamp ...), or "
                         "use --backend lrm for a picture")
    name, tint = shape_for_prompt(req.prompt)
    shape = make_shape(name, req.seed, tint)
    mesh = mesh_field(procedural_field(shape), req.resolution, on_progress, cancel)
    lic = entry(PROCEDURAL_ID).licence
    source = {"backend": "procedural", "model_id": PROCEDURAL_ID, "licence": lic.spdx,
              "commercial_use": lic.commercial_use, "prompt": req.prompt, "shape": name,
              "seed": int(req.seed), "tint": list(tint), "grid": int(req.resolution)}
    return GeneratedProp(mesh, name, source)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _picture_from_prompt(req: PropRequest, on_progress, cancel) -> tuple[np.ndarray, dict]:
    """LDM3D's perspective model draws the object; returns (RGBA without alpha, record)."""
    from models.base import GenerationRequest
    from models.ldm3d import local_weights_available
    from models.registry import get_backend

    if not req.prompt.strip():
        raise InputError("give a picture of the object or a --prompt describing it")
    if req.image_model is None:
        found = [n for n in ("ldm3d-4c", "ldm3d") if local_weights_available(n)[0]]
        name = found[0] if found else "ldm3d-4c"
    else:  # the 6-channel model is ldm3d; a 4-channel one is drawn as a perspective picture
        from models.model_folder import backend_for_model

        name = "ldm3d" if backend_for_model(req.image_model)[0] == "ldm3d" else "ldm3d-4c"
    backend = get_backend(name)
    result = backend.generate(GenerationRequest(prompt=req.prompt + OBJECT_PROMPT_SUFFIX,
                                                seed=req.seed, model=req.image_model,
                                                device=req.device, seamless=False),
                              on_progress, cancel)
    rgb = np.asarray(result.panorama.rgb, np.uint8)
    md = result.metadata
    record = {"backend": md.backend, "model_id": md.model_id, "model_revision":
              md.model_revision, "prompt": md.prompt, "seed": md.seed}
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
    return rgba, record


def _lrm(req: PropRequest, on_progress, cancel) -> GeneratedProp:
    require("ldm3d", ("torch", "transformers", "safetensors"), "a prop from a picture (LRM)")
    from models.catalog import entry_for_model, licence_record
    from models.lrm.loading import download_lrm, load_lrm, select_device
    from models.lrm.preprocess import cut_out, load_rgba, recentre
    from models.lrm.reconstruct import DEFAULT_CAMERA_DISTANCE, DEFAULT_THRESHOLD, reconstruct
    from models.lrm.weights import resolve_lrm, spec_for

    spec = spec_for(req.backend)
    location = resolve_lrm(spec, req.model)  # refusals happen here, before any weight is read
    source: dict = {}
    if req.image is not None:
        path = Path(req.image)
        rgba, has_alpha = load_rgba(path)
        source.update(image_file=path.name, image_sha256=_sha256(path))
        name = path.stem
    elif req.rgba is not None:
        rgba = np.asarray(req.rgba, np.uint8)
        if rgba.ndim != 3 or rgba.shape[2] != 4:
            raise InputError(f"object pixels must be (H, W, 4) RGBA, got {rgba.shape}")
        has_alpha = bool(rgba[..., 3].min() < 255)
        source.update(image_sha256=hashlib.sha256(rgba.tobytes()).hexdigest())
        name = "object"
    else:
        rgba, record = _picture_from_prompt(req, on_progress, cancel)
        has_alpha = False
        source.update(image_model=record)
        name = "_".join(req.prompt.split()[:3]) or "object"
    raise_if_cancelled(cancel)
    cut, method = cut_out(rgba, has_alpha)
    if location.folder is None:
        location = download_lrm(location.model_id)
    net = load_lrm(location, select_device(req.device))
    picture = recentre(cut, location.config.source_size)
    threshold = DEFAULT_THRESHOLD if req.threshold is None else float(req.threshold)
    mesh = reconstruct(net, picture, req.resolution, threshold, DEFAULT_CAMERA_DISTANCE,
                       on_progress, cancel)
    mesh = stand_on_base(mesh, height=1.0)
    lic = licence_record(entry_for_model(location.model_id, spec.name), location.model_id)
    source = {"backend": "lrm", "model_id": location.model_id,
              "model_revision": location.revision, "licence": lic["spdx"],
              "licence_name": lic["name"], "licence_url": lic["url"],
              "commercial_use": lic["commercial_use"], "conditions": lic["conditions"],
              "prompt": req.prompt, "background": method, "grid": int(req.resolution),
              "threshold": threshold, "camera_distance": DEFAULT_CAMERA_DISTANCE,
              "input_size": location.config.source_size, **source}
    return GeneratedProp(mesh, name, source)


def generate_prop(request: PropRequest, on_progress=None, cancel=None) -> GeneratedProp:
    """Make the prop ``request`` describes.

    Raises
    ------
    InputError
        Unknown backend or words; a picture that cannot be cut out; LRM weights missing,
        pickle-only or not an LRM's (before any weight is read).
    CancelledError
        ``cancel`` was set.
    """
    if request.backend not in PROP_BACKENDS:
        raise InputError(f"unknown prop backend {request.backend!r}",
                         hint="use one of: " + ", ".join(PROP_BACKENDS))
    raise_if_cancelled(cancel)
    if request.backend == "procedural":
        return _procedural(request, on_progress, cancel)
    return _lrm(request, on_progress, cancel)
