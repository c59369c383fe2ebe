"""Analytic test scenes: panoramas whose exact distance is known along every ray.

Each scene is a small set of planes and spheres around the viewer at the origin. It can be
ray-cast exactly in any direction (:meth:`AnalyticScene.distance_of`), which is what the mesh
tests measure against, and it renders itself as an :class:`~scene.panorama.RGBDPanorama` whose
raw depth is the float32 distance at every pixel centre (kind ``"distance"``) and whose colour
is one flat colour per surface (:attr:`AnalyticScene.colours`), so a test can tell the
surfaces apart from the pixels alone.

Scenes
------
:func:`box_room`
    An axis-aligned room, the viewer off-centre, with a square floor-to-ceiling pillar: planes
    only (a mesh on the pixel grid is exact on them except at creases) and a depth
    discontinuity along the pillar's silhouette.
:func:`nested_spheres`
    A large sphere around the viewer with a ball inside it: curved surfaces and a silhouette.
:func:`ground_plane`
    A flat ground below the viewer; the sky is unknown (NaN) or a dome at a given distance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..conventions import latitudes, longitudes, lonlat_to_direction
from ..depth import DepthInterpretation
from ..errors import InputError
from ..metadata import GenerationMetadata
from ..panorama import RGBDPanorama

__all__ = ["AnalyticScene", "box_room", "nested_spheres", "ground_plane", "SKY_LABEL"]

#: Label of a ray that hits nothing (an unknown sky).
SKY_LABEL = -1
#: Colour of pixels whose ray hits nothing.
SKY_COLOUR = (135, 190, 235)
#: Rows ray-cast at once when rendering a panorama (bounds the float64 temporaries).
_ROWS_PER_CHUNK = 128

Caster = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, eq=False)
class AnalyticScene:
    """A scene with exact distance in every direction, and its rendered panorama.

    Parameters
    ----------
    name : str
        Short name ("box_room", ...).
    panorama : RGBDPanorama
        The scene rendered at pixel centres: raw float32 distance in metres (NaN where a ray
        hits nothing), flat colour per surface.
    labels : tuple of str
        Surface names; label ``i`` is ``labels[i]``, ``SKY_LABEL`` (-1) is "nothing".
    colours : dict of str to (3,) tuple of int
        The flat sRGB colour of each surface (and ``"sky"``).
    caster : callable
        ``caster(unit_dirs (N, 3) float64) -> (t (N,) float64, label (N,) int16)``.
    """

    name: str
    panorama: RGBDPanorama
    labels: tuple[str, ...]
    colours: dict
    caster: Caster

    def _cast(self, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = np.asarray(directions, dtype=np.float64)
        if d.shape[-1:] != (3,):
            raise ValueError(f"directions must have shape (..., 3), got {d.shape}")
        shape = d.shape[:-1]
        d = d.reshape(-1, 3)
        norm = np.sqrt(np.einsum("ij,ij->i", d, d))
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = d / norm[:, None]
        t, label = self.caster(unit)
        return t.reshape(shape), label.reshape(shape)

    def distance_of(self, directions: np.ndarray) -> np.ndarray:
        """Exact distance from the origin along rays.

        Parameters
        ----------
        directions : (..., 3) float ndarray
            Ray directions in the world frame (any non-zero length).

        Returns
        -------
        (...) float64 ndarray
            Metres to the first surface hit; NaN where the ray hits nothing.
        """
        return self._cast(directions)[0]

    def label_of(self, directions: np.ndarray) -> np.ndarray:
        """Which surface each ray hits first.

        Parameters
        ----------
        directions : (..., 3) float ndarray

        Returns
        -------
        (...) int16 ndarray
            Index into :attr:`labels`, or ``SKY_LABEL`` (-1) where the ray hits nothing.
        """
        return self._cast(directions)[1]

    def label_of_pixels(self) -> np.ndarray:
        """(H, W) int16 label of every pixel centre of :attr:`panorama`."""
        return _render(self.caster, self.panorama.width, self.panorama.height, None)[1]


# -- rendering -------------------------------------------------------------------------------
def _render(caster: Caster, width: int, height: int, palette: np.ndarray | None):
    """Ray-cast every pixel centre: (distance float32, label int16[, rgb uint8])."""
    lon = longitudes(width)
    lat = latitudes(height)
    dist = np.empty((height, width), dtype=np.float32)
    label = np.empty((height, width), dtype=np.int16)
    rgb = None if palette is None else np.empty((height, width, 3), dtype=np.uint8)
    for y0 in range(0, height, _ROWS_PER_CHUNK):
        y1 = min(height, y0 + _ROWS_PER_CHUNK)
        dirs = lonlat_to_direction(lon[None, :], lat[y0:y1, None]).reshape(-1, 3)
        t, lab = caster(dirs)
        dist[y0:y1] = t.reshape(y1 - y0, width)
        label[y0:y1] = lab.reshape(y1 - y0, width)
        if rgb is not None:
            rgb[y0:y1] = palette[lab.reshape(y1 - y0, width)]  # label -1 -> last entry (sky)
    return dist, label, rgb


def _make(name: str, caster: Caster, labels: tuple[str, ...], colours: dict, width: int,
          flat_radius: float = 10.0) -> AnalyticScene:
    width = int(width)
    if width < 8 or width % 2:
        raise InputError(f"an analytic scene needs an even width of at least 8, got {width}")
    height = width // 2
    palette = np.array([colours[n] for n in labels] + [colours["sky"]], dtype=np.uint8)
    dist, _, rgb = _render(caster, width, height, palette)
    pano = RGBDPanorama(
        rgb=rgb,
        raw_depth=dist,
        interpretation=DepthInterpretation(kind="distance", source=f"analytic {name}"),
        metadata=GenerationMetadata(backend="analytic", prompt=name, width=width, height=height),
        flat_radius=flat_radius,
    )
    return AnalyticScene(name=name, panorama=pano, labels=labels, colours=colours, caster=caster)


# -- primitives (unit directions (N, 3) float64) ----------------------------------------------
def _box_inside(d: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Exit distance and face index (0..5 = -x,+x,-y,+y,-z,+z) of rays from inside a box."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t_axis = np.where(d > 0, hi / d, np.where(d < 0, lo / d, np.inf))  # (N, 3)
    axis = np.argmin(t_axis, axis=1)
    t = np.take_along_axis(t_axis, axis[:, None], axis=1)[:, 0]
    positive = np.take_along_axis(d, axis[:, None], axis=1)[:, 0] > 0
    return t, (2 * axis + positive).astype(np.int16)


def _column_hit(d: np.ndarray, cx: float, cz: float, half: float) -> np.ndarray:
    """Entry distance of rays into an infinite square column along Y (inf where missed)."""
    t_near = np.full(d.shape[0], -np.inf)
    t_far = np.full(d.shape[0], np.inf)
    for axis, c in ((0, cx), (2, cz)):
        da = d[:, axis]
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (c - half) / da
            t2 = (c + half) / da
        inside = (c - half < 0) & (0 < c + half)
        parallel = da == 0
        lo = np.where(parallel, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
        hi = np.where(parallel, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
        t_near = np.maximum(t_near, lo)
        t_far = np.minimum(t_far, hi)
    hit = (t_near <= t_far) & (t_near > 0)
    return np.where(hit, t_near, np.inf)


def _sphere_hit(d: np.ndarray, centre: np.ndarray, radius: float) -> np.ndarray:
    """First positive distance along rays to a sphere (inf where missed).

    With the origin inside the sphere this is the exit distance.
    """
    b = d @ centre  # ray: |t d - c|^2 = r^2  ->  t^2 - 2 b t + (|c|^2 - r^2) = 0
    c = float(centre @ centre) - radius * radius
    disc = b * b - c
    root = np.sqrt(np.maximum(disc, 0.0))
    t_in, t_out = b - root, b + root
    t = np.where(t_in > 0, t_in, t_out)
    return np.where((disc >= 0) & (t > 0), t, np.inf)


# -- scenes ----------------------------------------------------------------------------------
BOX_ROOM_LABELS = ("wall_left", "wall_right", "floor", "ceiling", "wall_front", "wall_back",
                   "pillar")
BOX_ROOM_COLOURS = {
    "wall_left": (200, 60, 60), "wall_right": (60, 170, 70), "floor": (120, 90, 60),
    "ceiling": (235, 235, 225), "wall_front": (70, 90, 200), "wall_back": (210, 190, 60),
    "pillar": (40, 40, 40), "sky": SKY_COLOUR,
}


def box_room(
    width: int = 1024,
    *,
    x: tuple[float, float] = (-3.0, 3.5),
    y: tuple[float, float] = (-1.6, 1.4),
    z: tuple[float, float] = (-4.5, 2.5),
    pillar: tuple[float, float, float] | None = (1.0, -1.8, 0.3),
) -> AnalyticScene:
    """A rectangular room around the viewer, with a square floor-to-ceiling pillar.

    Parameters
    ----------
    width : int
        Panorama width in pixels (height is half).
    x, y, z : (float, float)
        The room's extent along each axis, metres; must contain the origin (the eye, 1.6 m
        above the floor by default, off-centre so that no wall is symmetric about it).
    pillar : (cx, cz, half) or None
        Square column centred at ``(cx, cz)`` with half-width ``half``, metres, spanning the
        room's height; ``None`` for an empty room.

    Returns
    -------
    AnalyticScene
        Labels ``wall_left, wall_right, floor, ceiling, wall_front, wall_back, pillar``
        (the walls at -x, +x, the floor at y[0], the ceiling at y[1], the walls at -z, +z).
    """
    lo = np.array([x[0], y[0], z[0]], dtype=np.float64)
    hi = np.array([x[1], y[1], z[1]], dtype=np.float64)
    if not (np.all(lo < 0) and np.all(hi > 0)):
        raise InputError(f"the room {x}, {y}, {z} must contain the viewer at the origin")
    if pillar is not None:
        cx, cz, half = pillar
        if not (half > 0 and (abs(cx) > half or abs(cz) > half)):
            raise InputError(f"the pillar {pillar} must have a positive size and not contain the viewer")

    def caster(d: np.ndarray):
        t, label = _box_inside(d, lo, hi)
        if pillar is not None:
            tp = _column_hit(d, pillar[0], pillar[1], pillar[2])
            nearer = tp < t
            t = np.where(nearer, tp, t)
            label = np.where(nearer, np.int16(6), label).astype(np.int16)
        return t, label

    return _make("box_room", caster, BOX_ROOM_LABELS, BOX_ROOM_COLOURS, width)


SPHERES_LABELS = ("outer", "inner")
SPHERES_COLOURS = {"outer": (90, 140, 200), "inner": (220, 120, 40), "sky": SKY_COLOUR}


def nested_spheres(
    width: int = 1024,
    *,
    outer: tuple[tuple[float, float, float], float] = ((0.5, 0.3, -0.4), 8.0),
    inner: tuple[tuple[float, float, float], float] | None = ((2.0, 0.2, -2.5), 1.2),
) -> AnalyticScene:
    """A ball inside a large sphere that surrounds the viewer.

    Parameters
    ----------
    width : int
        Panorama width in pixels.
    outer : ((x, y, z), radius)
        The surrounding sphere, metres; must contain the origin.
    inner : ((x, y, z), radius) or None
        A ball seen from outside; must lie inside ``outer`` and not contain the origin.

    Returns
    -------
    AnalyticScene
        Labels ``outer``, ``inner``.
    """
    oc, orad = np.asarray(outer[0], dtype=np.float64), float(outer[1])
    if not np.linalg.norm(oc) < orad:
        raise InputError("the outer sphere must contain the viewer at the origin")
    if inner is not None:
        ic, irad = np.asarray(inner[0], dtype=np.float64), float(inner[1])
        if not (np.linalg.norm(ic) > irad and np.linalg.norm(ic - oc) + irad < orad):
            raise InputError("the inner ball must lie inside the outer sphere, away from the viewer")

    def caster(d: np.ndarray):
        t = _sphere_hit(d, oc, orad)
        label = np.zeros(d.shape[0], dtype=np.int16)
        if inner is not None:
            ti = _sphere_hit(d, ic, irad)
            nearer = ti < t
            t = np.where(nearer, ti, t)
            label[nearer] = 1
        return t, label

    return _make("nested_spheres", caster, SPHERES_LABELS, SPHERES_COLOURS, width)


GROUND_LABELS = ("ground", "dome")
GROUND_COLOURS = {"ground": (100, 150, 70), "dome": (150, 200, 240), "sky": SKY_COLOUR}


def ground_plane(width: int = 1024, *, eye_height: float = 1.6,
                 sky: float | None = None) -> AnalyticScene:
    """A flat ground ``eye_height`` metres below the viewer.

    Parameters
    ----------
    width : int
        Panorama width in pixels.
    eye_height : float
        Metres above the ground (the plane ``y = -eye_height``).
    sky : float or None
        ``None``: rays that miss the ground hit nothing (NaN distance, unknown depth).
        A number: a dome of that radius around the viewer closes the scene (and cuts off
        the ground beyond it), so every ray has a finite distance.

    Returns
    -------
    AnalyticScene
        Labels ``ground``, ``dome`` (``SKY_LABEL`` where nothing is hit).
    """
    if not eye_height > 0:
        raise InputError(f"eye height must be positive, got {eye_height}")
    if sky is not None and not sky > 0:
        raise InputError(f"the sky dome radius must be positive, got {sky}")

    def caster(d: np.ndarray):
        with np.errstate(divide="ignore"):
            t = np.where(d[:, 1] < 0, -eye_height / np.minimum(d[:, 1], -1e-300), np.inf)
        label = np.zeros(d.shape[0], dtype=np.int16)
        if sky is not None:
            dome = t > sky
            t = np.where(dome, sky, t)
            label[dome] = 1
        missed = ~np.isfinite(t)
        t = np.where(missed, np.nan, t)
        label[missed] = SKY_LABEL
        return t, label

    return _make("ground_plane", caster, GROUND_LABELS, GROUND_COLOURS, width)
