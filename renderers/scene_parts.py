"""The drawable arrays of a composition's layers and props, shared by every renderer.

The viewport, offscreen renders, stereo 360 and the headset all draw a
:class:`scene.composition.Scene` the same way:

* the **dome**: the panorama's DepthFusion mesh (built by the caller, as before);
* each **layer**: its panorama's DepthFusion mesh, built by
  :func:`scene.scene_mesh.build_layer_meshes` with the same
  :class:`~scene.mesh_settings.MeshSettings` as the dome (pixels with NaN depth have no vertex, so
  an empty part of a layer draws nothing), textured by the layer's own colour;
* each **prop**: its object mesh moved to the world frame by its transform, with per-vertex
  colours (a textured prop's texture is sampled at its vertices; the renderers keep one
  colour path) and per-vertex normals for the simple lighting of ``pbr`` props (``unlit``
  props show their colour as it is).

This module is numpy only (no OpenGL), so the parts can be built on a worker thread and
checked without a context. Building is done once per scene, never per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scene.composition import Prop, Scene
from scene.mesh_settings import MeshSettings
from scene.meshdata import DepthMesh
from scene.panorama import RGBDPanorama

__all__ = ["LayerPart", "PropPart", "SceneParts", "scene_parts", "prop_part", "vertex_normals",
           "shade", "LIGHT_DIRECTION", "AMBIENT", "NO_PARTS"]

#: Unit direction *towards* the light for ``pbr`` props (world frame: above, a little to the
#: right and in front of the viewer), shared by the vispy and the headset shaders.
_LIGHT = np.array([0.3, 1.0, 0.5])
LIGHT_DIRECTION = tuple(float(v) for v in _LIGHT / np.linalg.norm(_LIGHT))
#: Share of a lit prop's colour seen on faces turned away from the light.
AMBIENT = 0.4


@dataclass(frozen=True, eq=False)
class LayerPart:
    """One layer ready to draw.

    Attributes
    ----------
    id : str
    rgb : (H, W, 3) uint8 ndarray
        The layer's colour (its texture).
    mesh : DepthMesh
        Its DepthFusion mesh (no vertex where the layer's depth is NaN).
    panorama : RGBDPanorama or None
        The layer itself (its distance where the mesh has no vertex, for stereo 360).
    """

    id: str
    rgb: np.ndarray
    mesh: DepthMesh
    panorama: RGBDPanorama | None = None


@dataclass(frozen=True, eq=False)
class PropPart:
    """One prop ready to draw, in the world frame.

    Attributes
    ----------
    id, name : str
    positions : (N, 3) float32 ndarray
        World frame, metres.
    normals : (N, 3) float32 ndarray
        Unit outward vertex normals, world frame.
    colors : (N, 4) uint8 ndarray
        sRGB vertex colours with alpha.
    faces : (M, 3) uint32 ndarray
    lit : bool
        ``True`` for ``pbr`` props (lambert lighting), ``False`` for ``unlit``.
    """

    id: str
    name: str
    positions: np.ndarray
    normals: np.ndarray
    colors: np.ndarray
    faces: np.ndarray
    lit: bool

    def distances(self) -> np.ndarray:
        """(N,) float32 distance of each vertex from the origin, metres."""
        p = self.positions
        return np.sqrt(np.einsum("ij,ij->i", p, p)).astype(np.float32)


@dataclass(frozen=True)
class SceneParts:
    """Everything of a scene besides the dome, ready to draw."""

    layers: tuple[LayerPart, ...] = ()
    props: tuple[PropPart, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.layers or self.props)

    @property
    def n_faces(self) -> int:
        return (sum(p.mesh.n_faces for p in self.layers)
                + sum(int(p.faces.shape[0]) for p in self.props))

    @property
    def n_vertices(self) -> int:
        return (sum(p.mesh.n_vertices for p in self.layers)
                + sum(int(p.positions.shape[0]) for p in self.props))

    def extent(self) -> float:
        """Distance of the farthest vertex of any part from the origin, metres (0 if none)."""
        far = [float(p.mesh.distances().max()) for p in self.layers if p.mesh.n_vertices]
        far += [float(p.distances().max()) for p in self.props]
        return max(far, default=0.0)


#: A scene with only a dome.
NO_PARTS = SceneParts()


def vertex_normals(positions: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals of a counter-clockwise (outward) triangle mesh.

    Parameters
    ----------
    positions : (N, 3) float ndarray
    faces : (M, 3) integer ndarray

    Returns
    -------
    (N, 3) float32 ndarray
        Unit length; ``(0, 1, 0)`` for a vertex no face uses (or only degenerate faces).
    """
    p = np.asarray(positions, np.float64)
    f = np.asarray(faces, np.int64)
    face_n = np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]])  # length = 2 * area
    n = np.zeros_like(p)
    for k in range(3):
        np.add.at(n, f[:, k], face_n)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    out = np.where(length > 1e-20, n / np.maximum(length, 1e-30), (0.0, 1.0, 0.0))
    return out.astype(np.float32)


def _texture_colours(prop: Prop) -> np.ndarray:
    """(N, 4) uint8 colour of a textured prop's texture at each vertex (nearest texel)."""
    tex = prop.mesh.texture
    h, w = tex.shape[:2]
    uv = prop.mesh.uvs.astype(np.float64)
    x = np.clip(np.floor(np.mod(uv[:, 0], 1.0) * w), 0, w - 1).astype(np.int64)
    y = np.clip(np.floor(uv[:, 1] * h), 0, h - 1).astype(np.int64)
    rgb = tex[y, x, :3]
    return np.concatenate([rgb, np.full((rgb.shape[0], 1), 255, np.uint8)], axis=1)


#: Colour of a prop that has neither vertex colours nor a texture (light grey).
_PLAIN = (200, 200, 200, 255)


def prop_part(prop: Prop) -> PropPart:
    """A prop's drawable arrays: world positions and normals, vertex colours, faces."""
    mesh = prop.mesh
    m = prop.transform.matrix()
    world = prop.world_positions()
    # A uniform scale and a rotation: normals turn with the rotation only.
    normals = vertex_normals(mesh.positions, mesh.faces).astype(np.float64) @ m[:3, :3].T
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-30)
    if mesh.colors is not None:
        colors = mesh.colors
    elif mesh.texture is not None:
        colors = _texture_colours(prop)
    else:
        colors = np.tile(np.array(_PLAIN, np.uint8), (mesh.n_vertices, 1))
    return PropPart(id=prop.id, name=prop.name, positions=world,
                    normals=np.ascontiguousarray(normals, np.float32),
                    colors=np.ascontiguousarray(colors, np.uint8),
                    faces=np.ascontiguousarray(mesh.faces, np.uint32),
                    lit=prop.material == "pbr")


def scene_parts(scene: Scene, settings: MeshSettings | None = None) -> SceneParts:
    """The layers' meshes and the props' world arrays of a scene (the dome is not included).

    Parameters
    ----------
    scene : Scene
    settings : MeshSettings, optional
        The dome's mesh settings (default :data:`scene.mesh.DEFAULT_SETTINGS`); every layer is
        meshed with them.

    Returns
    -------
    SceneParts
        A layer without any known depth is left out (it has nothing to draw).
    """
    from scene.mesh import DEFAULT_SETTINGS
    from scene.scene_mesh import build_layer_meshes

    settings = DEFAULT_SETTINGS if settings is None else settings
    layers = [LayerPart(id=layer.id, rgb=layer.panorama.rgb, mesh=mesh, panorama=layer.panorama)
              for layer, mesh in build_layer_meshes(scene, settings)]
    return SceneParts(layers=tuple(layers), props=tuple(prop_part(p) for p in scene.props))


def shade(colors: np.ndarray, normals: np.ndarray, lit: bool) -> np.ndarray:
    """The colour the renderers' shaders give a prop's vertices, 0..255 float (for tests and
    the stereo 360 ray-caster): ``c * (AMBIENT + (1 - AMBIENT) * max(n . L, 0))`` when lit.

    Parameters
    ----------
    colors : (N, 3|4) uint8 ndarray
    normals : (N, 3) float ndarray
    lit : bool

    Returns
    -------
    (N, 3) float64 ndarray
    """
    c = np.asarray(colors, np.float64)[:, :3]
    if not lit:
        return c
    ndl = np.maximum(np.asarray(normals, np.float64) @ np.asarray(LIGHT_DIRECTION), 0.0)
    return c * (AMBIENT + (1.0 - AMBIENT) * ndl)[:, None]
