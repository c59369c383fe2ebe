"""A scene is a composition: one dome, the layers that fill what it hides, and props.

This module is the vocabulary every part of Panoforge uses for "what is in the scene": the
project file stores it, the GLB/PLY/USDZ exporters write it, the renderers and the headset draw
it, and the generators (layer fillers, prop makers) add to it.

* The **dome** is an RGBD panorama result (``RGBDPanorama``), exactly as before.
* A **layer** is a further RGBD panorama around the same origin that holds surfaces the dome
  hides (``NaN`` depth where the layer has nothing). It was made from a dome (``parent_id``)
  and is meant to be seen from anywhere inside ``walk_radius`` metres of the origin.
* A **prop** is a closed object mesh in its own frame (metres, +Y up, faces wound outward)
  with a :class:`Transform` that places it in the world frame, and a record of what made it.

Layers and props belong to a dome result (``Result.layers``, ``Result.props`` in
:mod:`scene.project`): switching the active dome switches the whole composition, and every
part keeps where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .errors import InputError
from .meshdata import TriangleCounts
from .panorama import RGBDPanorama

__all__ = ["Transform", "ObjectMesh", "Layer", "Prop", "Scene", "LAYER_KINDS", "PROP_MATERIALS"]

#: What a layer holds: surfaces behind the dome's foreground, or a fill of disoccluded parts.
LAYER_KINDS = ("background", "fill")
#: How a prop is shaded in engines: lit PBR (default) or unlit (like the dome).
PROP_MATERIALS = ("pbr", "unlit")


@dataclass(frozen=True)
class Transform:
    """Where a prop stands: world = translation + rotation · (scale · local).

    Parameters
    ----------
    translation : tuple of 3 float
        Metres, world frame (+Y up, -Z = panorama centre).
    rotation : tuple of 4 float
        Unit quaternion ``(x, y, z, w)`` (glTF's order).
    scale : float
        Uniform scale, > 0 (props keep their proportions).
    """

    translation: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    scale: float = 1.0

    def __post_init__(self) -> None:
        t = tuple(float(v) for v in self.translation)
        q = tuple(float(v) for v in self.rotation)
        if len(t) != 3 or not all(np.isfinite(t)):
            raise InputError(f"a prop's position must be 3 finite numbers (metres), got {t}")
        n = float(np.sqrt(sum(v * v for v in q))) if len(q) == 4 else 0.0
        if not (np.isfinite(n) and n > 0):
            raise InputError(f"a prop's rotation must be a non-zero quaternion (x, y, z, w), got {q}")
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise InputError(f"a prop's scale must be a positive number, got {self.scale}")
        object.__setattr__(self, "translation", t)
        # A quaternion already unit to rounding is kept as given, so that saving and loading
        # (project files, GLB) never changes its last bits.
        object.__setattr__(self, "rotation", q if abs(n - 1.0) <= 1e-12 else tuple(v / n for v in q))
        object.__setattr__(self, "scale", float(self.scale))

    @classmethod
    def yaw(cls, translation, yaw_deg: float = 0.0, scale: float = 1.0) -> Transform:
        """An upright placement turned ``yaw_deg`` degrees about +Y (counter-clockwise seen
        from above)."""
        half = np.radians(yaw_deg) / 2.0
        return cls(tuple(translation), (0.0, float(np.sin(half)), 0.0, float(np.cos(half))), scale)

    def matrix(self) -> np.ndarray:
        """(4, 4) float64 column-vector matrix: ``world = M @ [x, y, z, 1]``."""
        x, y, z, w = self.rotation
        r = np.array([
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ])
        m = np.eye(4)
        m[:3, :3] = r * self.scale
        m[:3, 3] = self.translation
        return m

    def apply(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) float32 world positions of (N, 3) local positions."""
        m = self.matrix()
        return (np.asarray(points, np.float64) @ m[:3, :3].T + m[:3, 3]).astype(np.float32)

    def to_dict(self) -> dict:
        return {"translation": list(self.translation), "rotation": list(self.rotation),
                "scale": self.scale}

    @classmethod
    def from_dict(cls, data: dict) -> Transform:
        return cls(tuple(data["translation"]), tuple(data["rotation"]), float(data["scale"]))


@dataclass(eq=False)
class ObjectMesh(TriangleCounts):
    """A closed triangle mesh in an object's own frame.

    Parameters
    ----------
    positions : (N, 3) float32 ndarray
        Metres, object frame (+Y up; the object's base usually at y = 0).
    faces : (M, 3) uint32 ndarray
        Counter-clockwise seen from outside (normals point out of the object).
    colors : (N, 4) uint8 ndarray, optional
        Linear-free sRGB vertex colours with alpha.
    uvs : (N, 2) float32 ndarray, optional
        Texture coordinates (glTF convention) into ``texture``.
    texture : (H, W, 3) uint8 ndarray, optional
        A baked texture atlas.
    """

    positions: np.ndarray
    faces: np.ndarray
    colors: np.ndarray | None = None
    uvs: np.ndarray | None = None
    texture: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.positions = np.ascontiguousarray(self.positions, np.float32)
        self.faces = np.ascontiguousarray(self.faces, np.uint32)
        n = self.positions.shape[0]
        if self.positions.ndim != 2 or self.positions.shape[1] != 3 or n == 0:
            raise InputError(f"an object mesh needs (N, 3) positions, got {self.positions.shape}")
        if not np.isfinite(self.positions).all():
            raise InputError("an object mesh has NaN or infinite vertex positions")
        if self.faces.ndim != 2 or self.faces.shape[1] != 3 or self.faces.shape[0] == 0:
            raise InputError(f"an object mesh needs (M, 3) faces, got {self.faces.shape}")
        if int(self.faces.max()) >= n:
            raise InputError("an object mesh has faces that name vertices it does not have")
        if self.colors is not None:
            c = np.asarray(self.colors)
            if c.shape[0] != n or c.shape[1] not in (3, 4):
                raise InputError(f"vertex colours must be (N, 3|4), got {c.shape}")
            if c.shape[1] == 3:
                c = np.concatenate([c, np.full((n, 1), 255, np.uint8)], axis=1)
            self.colors = np.ascontiguousarray(c, np.uint8)
        if (self.uvs is None) != (self.texture is None):
            raise InputError("a textured object mesh needs both uvs and a texture")
        if self.uvs is not None:
            self.uvs = np.ascontiguousarray(self.uvs, np.float32)
            self.texture = np.ascontiguousarray(self.texture, np.uint8)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """((3,), (3,)) float32 minimum and maximum corner, metres, object frame."""
        return self.positions.min(axis=0), self.positions.max(axis=0)


@dataclass(eq=False)
class Layer:
    """An RGBD panorama that fills what the dome hides, seen from inside ``walk_radius``.

    Parameters
    ----------
    id : str
        Unique within its dome result (``l1``, ``l2`` ...).
    panorama : RGBDPanorama
        Same origin and conventions as the dome; ``NaN`` depth where the layer is empty.
    kind : {"background", "fill"}
    walk_radius : float
        Metres: the radius around the origin this layer was made for.
    method : str
        What filled it (``procedural``, ``ldm3d``, ``classical``), as shown to the user.
    label : str
    """

    id: str
    panorama: RGBDPanorama
    kind: str = "background"
    walk_radius: float = 0.5
    method: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in LAYER_KINDS:
            raise InputError(f"layer kind must be one of {LAYER_KINDS}, got {self.kind!r}")
        if not (np.isfinite(self.walk_radius) and self.walk_radius >= 0):
            raise InputError(f"walk radius must be >= 0 metres, got {self.walk_radius}")


@dataclass(eq=False)
class Prop:
    """An object placed in the scene.

    Parameters
    ----------
    id : str
        Unique within its dome result (``p1``, ``p2`` ...).
    mesh : ObjectMesh
    transform : Transform
    name : str
        Shown to the user and used as the GLB node name.
    material : {"pbr", "unlit"}
    source : dict
        Plain JSON: what made it (``backend``, ``model_id``, ``licence``, ``prompt``,
        ``image_sha256``, grid resolution ...).
    """

    id: str
    mesh: ObjectMesh
    transform: Transform = field(default_factory=Transform)
    name: str = "prop"
    material: str = "pbr"
    source: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.material not in PROP_MATERIALS:
            raise InputError(f"prop material must be one of {PROP_MATERIALS}, got {self.material!r}")

    def world_positions(self) -> np.ndarray:
        """(N, 3) float32 vertex positions in the world frame, metres."""
        return self.transform.apply(self.mesh.positions)

    def moved(self, transform: Transform) -> Prop:
        """The same prop at another place (a new object; the mesh is shared)."""
        return replace(self, transform=transform)


@dataclass(frozen=True)
class Scene:
    """What is drawn and exported: the dome with its layers and props.

    Parameters
    ----------
    dome : RGBDPanorama
    layers : tuple of Layer
    props : tuple of Prop
    name : str
        The dome result's id or label, used to name the root node of exports.
    """

    dome: RGBDPanorama
    layers: tuple[Layer, ...] = ()
    props: tuple[Prop, ...] = ()
    name: str = "scene"

    @property
    def parts(self) -> int:
        """How many nodes an export writes (dome + layers + props)."""
        return 1 + len(self.layers) + len(self.props)
