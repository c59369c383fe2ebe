"""One registry of exporters: a format name -> a pure function that writes a scene to a path.

Every front-end (``panoforge export``, ``generate --glb/--ply``, the window's Export menu)
goes through here, so "build the mesh, then write GLB/PLY/images/cubemap" exists once (the
pattern of trimesh's ``exchange/export.py``)::

    from scene.exporters import ExportOptions, export_scene

    scene = project.scene(result_id)
    options = ExportOptions(mesh_settings=project.mesh_settings, texture="jpeg")
    for outcome in export_scene(scene, {"glb": "a.glb", "cubemap": "faces/"}, options):
        print(outcome.paths, outcome.notices)

:func:`export_scene` builds the composition's meshes (:func:`scene.scene_mesh.build_scene_meshes`)
at most once, only when a format that needs them is asked for, and hands the same meshes to
each exporter; pass ``meshes=`` to reuse meshes built already (the window's current mesh, or
for stereo 360, which is a renderer and lives outside :mod:`scene`).

Each exporter is ``fn(scene, path, options, meshes) -> ExportOutcome`` (``meshes`` is ``None``
for the formats in which :data:`NEEDS_MESH` is false). Every file is written atomically; an
exporter raises :class:`~scene.errors.InputError` (bad options, empty mesh) before writing.

Formats
-------
``glb``
    The whole composition, one node per part (:func:`scene.export_glb.write_scene_glb`).
``ply``
    The dome's mesh with vertex colours, or its point cloud (``options.points``).
``images``
    ``path`` is a folder: the dome's equirect PNG, 16-bit depth PNG + JSON, EXR.
``cubemap``
    ``path`` is a folder: the dome's six faces (``options.face_size``).
``preset``
    An engine preset's file (``options.preset``, :mod:`scene.export_presets`).
``splats``
    3D Gaussian splats, ``.ply`` or ``.glb`` by suffix (:mod:`scene.splats`).
``usdz``
    The composition as USDZ (:mod:`scene.export_usdz`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .composition import Scene
from .errors import InputError
from .mesh_settings import MeshSettings

__all__ = ["ExportOptions", "ExportOutcome", "EXPORTERS", "NEEDS_MESH", "export", "export_scene"]


@dataclass(frozen=True)
class ExportOptions:
    """What the exporters may be told (each reads the fields it needs).

    Parameters
    ----------
    mesh_settings : MeshSettings
        How the dome and its layers become meshes (``glb``, ``ply``).
    texture : {"jpeg", "png", "auto"}
        GLB texture encoding (see :func:`scene.export_glb.texture_bytes`).
    jpeg_quality : int
        1..100 when a JPEG must be encoded.
    points : bool
        ``ply``: write a point cloud instead of a mesh.
    face_size : int or None
        ``cubemap``: face edge in pixels (default W / 4).
    stem : str
        ``images``: file name prefix; ``cubemap``: face file prefix is ``cubemap_stem``.
    cubemap_stem : str
    metadata : dict or None
        ``glb``: generation metadata for the extras (default: the dome's record).
    """

    mesh_settings: MeshSettings = field(default_factory=MeshSettings)
    texture: str = "jpeg"
    jpeg_quality: int = 92
    points: bool = False
    face_size: int | None = None
    stem: str = "panorama"
    cubemap_stem: str = ""
    metadata: dict | None = None
    #: ``preset``: a name of :data:`scene.export_presets.PRESETS`.
    preset: str | None = None
    #: ``preset``: KTX2 textures (True), JPEG/PNG (False), or the preset's default (None).
    ktx2: bool | None = None


@dataclass
class ExportOutcome:
    """What one exporter did: the files written and notices for the user."""

    format: str
    paths: list[Path]
    notices: list[str] = field(default_factory=list)


def _glb(scene: Scene, path, options: ExportOptions, meshes) -> ExportOutcome:
    from .export_glb import write_scene_glb

    notices = write_scene_glb(path, scene, meshes, texture=options.texture,
                              jpeg_quality=options.jpeg_quality, metadata=options.metadata)
    return ExportOutcome("glb", [Path(path)], notices)


def _ply(scene: Scene, path, options: ExportOptions, meshes) -> ExportOutcome:
    from .export_ply import write_ply

    write_ply(path, scene.dome, meshes.dome, points=options.points)
    return ExportOutcome("ply", [Path(path)])


def _images(scene: Scene, path, options: ExportOptions, meshes) -> ExportOutcome:
    from .export_images import write_images

    notices: list[str] = []
    written = write_images(path, scene.dome, stem=options.stem, notices=notices)
    return ExportOutcome("images", written, notices)


def _cubemap(scene: Scene, path, options: ExportOptions, meshes) -> ExportOutcome:
    from .cubemap import write_cubemap

    return ExportOutcome("cubemap", write_cubemap(path, scene.dome, face_size=options.face_size,
                                                  stem=options.cubemap_stem))


def _preset(scene: Scene, path, options: ExportOptions, meshes) -> ExportOutcome:
    from .export_presets import get_preset, write_preset

    preset = get_preset(options.preset or "")
    notices, _ = write_preset(scene, preset, path, options.mesh_settings, meshes,
                              metadata=options.metadata, texture=options.texture,
                              jpeg_quality=options.jpeg_quality, ktx2=options.ktx2)
    return ExportOutcome("preset", [Path(path)], notices)


def _splats(scene: Scene, path, options: ExportOptions, meshes) -> ExportOutcome:
    from .splats import write_splats

    return ExportOutcome("splats", [Path(path)], write_splats(path, scene))


def _usdz(scene: Scene, path, options: ExportOptions, meshes) -> ExportOutcome:
    from .export_usdz import write_usdz

    return ExportOutcome("usdz", [Path(path)], write_usdz(path, scene, meshes))


#: Format name -> exporter ``fn(scene, path, options, meshes) -> ExportOutcome``.
EXPORTERS: dict[str, Callable[..., ExportOutcome]] = {
    "glb": _glb, "ply": _ply, "images": _images, "cubemap": _cubemap,
    "preset": _preset, "splats": _splats, "usdz": _usdz,
}
#: Formats whose exporter needs the built meshes (``preset`` builds its own when not given:
#: a triangle budget makes other meshes).
NEEDS_MESH = {"glb": True, "ply": True, "images": False, "cubemap": False,
              "preset": False, "splats": False, "usdz": True}


def _exporter(fmt: str) -> Callable[..., ExportOutcome]:
    try:
        return EXPORTERS[fmt]
    except KeyError:
        raise InputError(f"unknown export format {fmt!r}",
                         hint="use one of: " + ", ".join(EXPORTERS)) from None


def export(fmt: str, scene: Scene, path: str | os.PathLike,
           options: ExportOptions | None = None, meshes=None) -> ExportOutcome:
    """Write ``scene`` as ``fmt`` to ``path`` (building its meshes when needed and not given).

    Parameters
    ----------
    fmt : str
        A key of :data:`EXPORTERS`.
    scene : Scene
    path : str or PathLike
        A file (``glb``, ``ply``) or a folder (``images``, ``cubemap``).
    options : ExportOptions, optional
    meshes : scene.scene_mesh.SceneMeshes, optional
        Built already with ``options.mesh_settings``.
    """
    return export_scene(scene, {fmt: path}, options, meshes)[0]


def export_scene(scene: Scene, targets: Mapping[str, str | os.PathLike],
                 options: ExportOptions | None = None, meshes=None) -> list[ExportOutcome]:
    """Write ``scene`` in several formats, building its meshes at most once.

    Parameters
    ----------
    scene : Scene
    targets : mapping of format name -> path
        Written in the mapping's order. Unknown names are refused before anything is built.
    options : ExportOptions, optional
    meshes : scene.scene_mesh.SceneMeshes, optional
        Reused instead of building (must match ``options.mesh_settings``).

    Returns
    -------
    list of ExportOutcome
        One per target, in order.
    """
    options = options or ExportOptions()
    exporters = [(fmt, _exporter(fmt), path) for fmt, path in targets.items()]
    if meshes is None and any(NEEDS_MESH[fmt] for fmt, _, _ in exporters):
        from .scene_mesh import build_scene_meshes

        meshes = build_scene_meshes(scene, options.mesh_settings)
    return [fn(scene, path, options, meshes) for fmt, fn, path in exporters]
