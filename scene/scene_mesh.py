"""The meshes of a whole composition, built once: the dome's and each layer's DepthFusion mesh.

Every consumer that needs geometry for a :class:`~scene.composition.Scene` (the exporters in
:mod:`scene.exporters`, stereo 360, the headset) builds it here, with one
:class:`~scene.mesh_settings.MeshSettings` for the dome and all its layers. Props need no building:
they already are meshes (:class:`~scene.composition.ObjectMesh`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .composition import Layer, Scene
from .mesh import DEFAULT_SETTINGS, build_depth_mesh
from .mesh_settings import MeshSettings
from .meshdata import DepthMesh

__all__ = ["SceneMeshes", "build_scene_meshes", "build_layer_meshes"]


@dataclass(frozen=True, eq=False)
class SceneMeshes:
    """The built geometry of a scene.

    Attributes
    ----------
    dome : DepthMesh
    layers : tuple of (Layer, DepthMesh)
        In the scene's order; a layer without known depth (nothing to show) is left out.
        Pixels with NaN depth have no vertex.
    settings : MeshSettings
        What they were built with.
    """

    dome: DepthMesh
    layers: tuple[tuple[Layer, DepthMesh], ...]
    settings: MeshSettings


def build_scene_meshes(scene: Scene, settings: MeshSettings = DEFAULT_SETTINGS) -> SceneMeshes:
    """Build the dome's and every layer's mesh with the same ``settings``.

    Parameters
    ----------
    scene : Scene
    settings : MeshSettings

    Returns
    -------
    SceneMeshes

    Raises
    ------
    InputError, ResourceError
        From :func:`scene.mesh.build_depth_mesh` (bad distances, too large).
    """
    dome = build_depth_mesh(scene.dome, settings)
    return SceneMeshes(dome=dome, layers=build_layer_meshes(scene, settings), settings=settings)


def build_layer_meshes(scene: Scene, settings: MeshSettings = DEFAULT_SETTINGS
                       ) -> tuple[tuple[Layer, DepthMesh], ...]:
    """Every layer's mesh, built with the dome's ``settings`` (the one rule for layers).

    Parameters
    ----------
    scene : Scene
    settings : MeshSettings

    Returns
    -------
    tuple of (Layer, DepthMesh)
        In the scene's order; a layer without known depth, or whose mesh has no face (nothing
        to show), is left out. Pixels with NaN depth have no vertex.
    """
    layers = []
    for layer in scene.layers:
        if not layer.panorama.has_depth:
            continue
        mesh = build_depth_mesh(layer.panorama, settings)
        if mesh.n_faces:
            layers.append((layer, mesh))
    return tuple(layers)
