"""The use cases, once, for every front-end: generate, import, add to a project, export.

The command line (``app/commands/*``), the window (``app/window/*``) and batch runs call these
functions and differ only in how they ask and how they show the answer. Nothing here imports
Qt; heavy libraries (torch through a backend, OpenGL through a renderer) load inside the
functions that need them, so ``import app.workflows`` stays cheap.

Use cases
---------
:func:`generate`
    backend name + :class:`models.base.GenerationRequest` -> :class:`Generated`: the backend
    runs (progress, cancel); a perspective model's image comes placed on the sphere by the
    one placement policy (:func:`scene.perspective.place_in_panorama`).
:func:`import_panorama`
    :class:`models.import_source.ImportRequest` -> :class:`Generated` (with warnings), through the
    registry's ``import`` source.
:func:`add_to_project`
    a :class:`Generated` becomes a new active result of a project (the project's own rule
    for ids and labels).
:func:`open_for_adding`, :func:`save`
    the project a front-end adds to (an unreadable file is refused before any work).
:class:`ExportPlan`, :func:`export`
    what to write (GLB, PLY, flat images, cubemap, stereo 360, preview) and writing it: the
    composition's meshes are built once for every target that needs them; GLB, PLY, images
    and cubemap go through the one exporter registry (:mod:`scene.exporters`), stereo 360 and
    the preview through the renderers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Generated", "generate", "place", "import_panorama", "add_to_project", "open_for_adding",
    "save", "ExportTarget", "ExportPlan", "Exported", "export", "MESH_FORMATS", "EXPORT_FORMATS",
]


@dataclass
class Generated:
    """What a generation or an import made, ready to become a project result.

    Parameters
    ----------
    panorama : scene.panorama.RGBDPanorama
        Always equirect: what goes into the project.
    source : RGBDPanorama or PerspectiveRGBD
        What the backend drew: the perspective view before placement, else ``panorama``.
    kind : {"generated", "imported"}
        The project result kind.
    notices : list of str
        One sentence each, for the user (e.g. how a perspective image was placed).
    warnings : list of str
        One sentence each: something the user should check (e.g. unusable depth values).
    duration_s : float
        Wall-clock seconds of the run (never written into the project).
    """

    panorama: object
    source: object
    kind: str = "generated"
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def metadata(self):
        """The :class:`scene.metadata.GenerationMetadata` of :attr:`panorama`."""
        return self.panorama.metadata

    @property
    def placed(self) -> bool:
        """Whether a perspective image was placed on the sphere."""
        return self.source is not self.panorama


def place(image) -> tuple[object, str | None]:
    """``image`` as an equirect panorama, and a notice when a perspective image was placed.

    Parameters
    ----------
    image : RGBDPanorama or PerspectiveRGBD

    Returns
    -------
    (RGBDPanorama, str or None)
    """
    from scene.panorama import PerspectiveRGBD

    if not isinstance(image, PerspectiveRGBD):
        return image, None
    from scene.perspective import place_in_panorama

    pano = place_in_panorama(image)
    return pano, _placement_notice(image, pano)


def _placement_notice(view, pano) -> str:
    return (f"{view.width}x{view.height} perspective image ({view.fov_deg:g}° wide) "
            f"placed in a {pano.width}x{pano.height} panorama; outside its view is unknown")


def generate(backend, request, *, on_progress=None, cancel=None,
             backend_factory: Callable | None = None) -> Generated:
    """Run one text-to-scene generation.

    Parameters
    ----------
    backend : str or backend object
        A registry name (:data:`models.registry.BACKENDS`) or an object with ``generate``.
    request : models.base.GenerationRequest
        Checked by the request itself (seed range) and by the backend (sizes, steps).
    on_progress : callable, optional
        ``Progress -> None``, called from the thread that runs this function.
    cancel : Event-like, optional
        Set it to stop within one step; :class:`scene.errors.CancelledError` follows.
    backend_factory : callable, optional
        ``name -> backend`` instead of :func:`models.registry.get_backend` (tests).

    Returns
    -------
    Generated

    Raises
    ------
    scene.errors.PanoforgeError
        Refusals with a hint; ``CancelledError`` when cancelled (nothing is returned).
    """
    from models.base import raise_if_cancelled

    if isinstance(backend, str):
        if backend_factory is None:
            from models.registry import get_backend as backend_factory
        backend = backend_factory(backend)
    started = time.perf_counter()
    result = backend.generate(request, on_progress=on_progress, cancel=cancel)
    raise_if_cancelled(cancel)
    pano, notice = place(result.panorama)  # (a backend that returns a view: placed here)
    source = result.perspective if result.perspective is not None else result.panorama
    if result.perspective is not None:
        notice = _placement_notice(result.perspective, pano)
    return Generated(panorama=pano, source=source, kind="generated",
                     notices=[notice] if notice else [],
                     duration_s=time.perf_counter() - started)


def import_panorama(request, *, on_progress=None, cancel=None) -> Generated:
    """Import a user's own panorama (and depth map): the one import path.

    Parameters
    ----------
    request : models.import_source.ImportRequest
    on_progress, cancel
        As for :func:`generate`.

    Returns
    -------
    Generated
        ``kind="imported"``, with the importer's ``warnings``.
    """
    from models.registry import get_backend

    started = time.perf_counter()
    result = get_backend("import").generate(request, on_progress=on_progress, cancel=cancel)
    return Generated(panorama=result.panorama, source=result.panorama, kind="imported",
                     warnings=list(result.warnings), duration_s=time.perf_counter() - started)


def add_to_project(project, made: Generated, parent_id: str | None = None):
    """Append ``made`` to ``project`` as its new active result.

    Parameters
    ----------
    project : scene.project.Project
    made : Generated
    parent_id : str, optional
        The result it was made from.

    Returns
    -------
    scene.project.Result
    """
    return project.add_result(made.panorama, kind=made.kind, parent_id=parent_id)


def open_for_adding(path: str | Path):
    """The project at ``path`` to add a result to, or a new one when there is no file.

    An existing file that cannot be read is refused now, before any work, and never replaced.

    Returns
    -------
    (scene.project.Project, bool)
        The project, and whether it was read from ``path``.

    Raises
    ------
    scene.errors.ProjectFileError
    """
    from scene.errors import ProjectFileError
    from scene.output_paths import check_output_file
    from scene.project import Project, load_project

    path = Path(path)
    check_output_file(path, "the project")  # (a device or folder is refused, not "read")
    if not path.exists():
        return Project(), False
    try:
        return load_project(path), True
    except ProjectFileError as exc:
        raise ProjectFileError(f"{path} already exists and cannot be added to: {exc.message}",
                               hint="it was left unchanged; choose another -o name") from None


def save(project, path: str | Path) -> Path:
    """Write ``project`` to ``path`` atomically (the folder is made if missing)."""
    from scene.output_paths import make_folder
    from scene.project import save_project

    path = Path(path)
    make_folder(path.parent, "the project")
    save_project(path, project)
    return path


# -- export ----------------------------------------------------------------------------------
#: Export formats that need the depth mesh.
MESH_FORMATS = ("glb", "ply", "usdz", "stereo360", "preview")
#: Every export format, in the order a plan writes them (``preset`` makes its own meshes when
#: its triangle budget asks, else reuses the plan's).
EXPORT_FORMATS = ("glb", "ply", "preset", "usdz", "splats", "images", "cubemap", "stereo360",
                  "preview")


@dataclass(frozen=True)
class ExportTarget:
    """One output of an export plan.

    Parameters
    ----------
    format : str
        One of :data:`EXPORT_FORMATS`.
    path : Path
        A file (glb, ply, stereo360, preview) or a folder (images, cubemap).
    options : dict
        Format options: ``texture``, ``jpeg_quality`` (glb), ``points`` (ply), ``stem``
        (images: file names, default ``panorama``; cubemap: face-name prefix, default none),
        ``face_size`` (cubemap), ``ipd`` (stereo360, metres), ``fov_deg``/``size`` (preview).
    """

    format: str
    path: Path
    options: dict = field(default_factory=dict)


@dataclass
class ExportPlan:
    """What to write for one panorama, and with which mesh settings.

    Parameters
    ----------
    targets : list of ExportTarget
    mesh_settings : scene.mesh_settings.MeshSettings or None
        For the mesh-based formats; ``None``: the defaults.
    preview_keeps_all_faces : bool
        Draw the preview from the mesh with every triangle kept instead of the exported one.
        Off by default: the preview shows exactly what the GLB holds (cuts are backed by
        :mod:`scene.backing`, so the view from the centre has no cracks).
    scene : scene.composition.Scene or None
        The composition the panorama is the dome of (``Project.scene``); its layers and props
        are drawn by the renderers' formats (stereo360). ``None``: the dome alone.
    """

    targets: list[ExportTarget] = field(default_factory=list)
    mesh_settings: object = None
    preview_keeps_all_faces: bool = False
    scene: object = None

    def add(self, format: str, path: str | Path, **options) -> ExportPlan:
        """Append a target (returns the plan, so calls chain)."""
        if format not in EXPORT_FORMATS:
            from scene.errors import InputError

            raise InputError(f"unknown export format {format!r}",
                             hint="one of: " + ", ".join(EXPORT_FORMATS))
        self.targets.append(ExportTarget(format, Path(path), dict(options)))
        return self

    @property
    def needs_mesh(self) -> bool:
        """Whether any target needs the depth mesh."""
        return any(t.format in MESH_FORMATS for t in self.targets)


@dataclass
class Exported:
    """What :func:`export` did.

    Parameters
    ----------
    written : list of (ExportTarget, list of Path)
        Each target with the files it wrote.
    mesh : scene.meshdata.DepthMesh or None
    mesh_seconds : float
    notices : list of str
    flat_previews : list of Path
        Previews written as the flat equirect because OpenGL was unavailable (a notice says so).
    licence_warning : str
        Once per export: the files depend on a model whose licence forbids commercial use (or
        is not known), from :func:`scene.licences.export_warning`; ``""`` otherwise.
    """

    written: list = field(default_factory=list)
    mesh: object = None
    mesh_seconds: float = 0.0
    notices: list[str] = field(default_factory=list)
    flat_previews: list[Path] = field(default_factory=list)
    licence_warning: str = ""


def export(plan: ExportPlan, pano, *, cancel=None,
           on_written: Callable[[ExportTarget, list[Path], Exported], None] | None = None,
           on_mesh: Callable[[object, float], None] | None = None) -> Exported:
    """Write every target of ``plan`` for ``pano``; each file whole or not at all.

    Parameters
    ----------
    plan : ExportPlan
    pano : scene.panorama.RGBDPanorama
    cancel : Event-like, optional
        Checked before each target; :class:`scene.errors.CancelledError` stops the rest.
    on_written : callable, optional
        Called after each target with the paths it wrote and the :class:`Exported` so far.
    on_mesh : callable, optional
        Called once the mesh is built, with the mesh and the seconds it took.

    Returns
    -------
    Exported
    """
    from scene.composition import Scene
    from scene.errors import CancelledError
    from scene.exporters import EXPORTERS

    check_targets(plan)
    out = Exported()
    settings = plan.mesh_settings
    if settings is None:
        from scene.mesh_settings import MeshSettings

        settings = MeshSettings()
    composition = plan.scene if plan.scene is not None else Scene(dome=pano)
    meshes = None
    if plan.needs_mesh:
        from scene.scene_mesh import build_scene_meshes

        t0 = time.perf_counter()
        meshes = build_scene_meshes(composition, settings)
        out.mesh = meshes.dome
        out.mesh_seconds = time.perf_counter() - t0
        if on_mesh is not None:
            on_mesh(out.mesh, out.mesh_seconds)
    order = {name: i for i, name in enumerate(EXPORT_FORMATS)}
    for target in sorted(plan.targets, key=lambda t: order[t.format]):
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"cancelled before writing {target.path}")
        if target.format in EXPORTERS:
            paths = _write_scene_format(target, composition, meshes, settings, out)
        else:
            paths = _WRITERS[target.format](target, pano, out, settings, plan)
        out.written.append((target, paths))
        if on_written is not None:
            on_written(target, paths, out)
    if out.written:
        from scene.licences import export_warning

        out.licence_warning = export_warning(plan.scene if plan.scene is not None else pano)
    return out


#: Export formats whose path is a folder.
FOLDER_FORMATS = ("images", "cubemap")


def check_targets(plan: ExportPlan) -> None:
    """Refuse a target path no file can be written to, before any work is done.

    The rules of :mod:`scene.output_paths`: a file target only ever replaces a regular file
    (never a device, FIFO, socket or folder), a folder target must be a folder or missing,
    and the disk must be writable.

    Raises
    ------
    scene.output_paths.OutputError
    """
    from scene.output_paths import check_output

    for t in plan.targets:
        check_output(t.path, folder=t.format in FOLDER_FORMATS, what=f"the {t.format} output")


def _write_scene_format(t: ExportTarget, composition, meshes, settings, out: Exported):
    """glb, ply, images, cubemap: through the one exporter registry (:mod:`scene.exporters`)."""
    from scene.exporters import ExportOptions
    from scene.exporters import export as export_format

    o = t.options
    options = ExportOptions(
        mesh_settings=settings, texture=o.get("texture", "jpeg"),
        jpeg_quality=int(o.get("jpeg_quality", 92)), points=bool(o.get("points", False)),
        face_size=o.get("face_size"),
        stem=o.get("stem", "panorama") if t.format == "images" else "panorama",
        cubemap_stem=o.get("stem", "") if t.format == "cubemap" else "",
        preset=o.get("preset"), ktx2=o.get("ktx2"))
    outcome = export_format(t.format, composition, t.path, options, meshes)
    out.notices += outcome.notices
    return [Path(p) for p in outcome.paths]


def _write_stereo360(t: ExportTarget, pano, out: Exported, settings, plan) -> list[Path]:
    from renderers.stereo360 import write_stereo360

    parts = None
    if plan.scene is not None:
        from renderers.scene_parts import scene_parts

        parts = scene_parts(plan.scene, settings)
    write_stereo360(t.path, pano, out.mesh, ipd=float(t.options.get("ipd", 0.064)),
                    parts=parts)
    return [t.path]


def _write_preview(t: ExportTarget, pano, out: Exported, settings, plan) -> list[Path]:
    """A view from inside facing the centre; the flat equirect when OpenGL is unavailable."""
    from renderers.gl_context import GLUnavailableError

    mesh = out.mesh
    if plan.preview_keeps_all_faces and not math.isinf(settings.cut_threshold):
        from scene.mesh import build_depth_mesh

        mesh = build_depth_mesh(pano, settings.with_(cut_threshold=math.inf))
    fov = float(t.options.get("fov_deg", 90.0))
    try:
        from renderers.offscreen import write_render

        write_render(t.path, pano, mesh, yaw_deg=0.0, pitch_deg=0.0, fov_deg=fov,
                     size=tuple(t.options.get("size", (1280, 640))), supersample=2)
        return [t.path]
    except GLUnavailableError as exc:
        reason = exc.message
    except (ImportError, RuntimeError, OSError) as exc:  # a broken GL stack
        reason = f"{type(exc).__name__}: {exc}"
    from renderers.image_file import write_image

    write_image(t.path, pano.rgb, "a preview")
    out.flat_previews.append(t.path)
    out.notices.append(f"the offscreen renderer is unavailable ({reason.splitlines()[0]}); "
                       f"wrote the flat equirect panorama to {t.path} instead")
    return [t.path]


#: The formats drawn by the renderers (the others are :data:`scene.exporters.EXPORTERS`).
_WRITERS = {"stereo360": _write_stereo360, "preview": _write_preview}
