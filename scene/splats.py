"""The scene as 3D Gaussian splats: standard 3DGS ``.ply`` and ``KHR_gaussian_splatting`` GLB.

One Gaussian per known pixel of the dome and of each layer, and one per vertex of each prop:

* **position**: the pixel's ray at its distance (world frame, metres), or the prop vertex
  through the prop's transform;
* **scale**: the footprint of the pixel's solid angle at its depth: ``d·cos(lat)·2π/W``
  along the parallel (east), ``d·π/H`` along the meridian (north) and a tenth of the smaller
  one along the ray (a thin disc lying on the surface); for a prop vertex, half the mean
  length of its edges on all three axes (times the prop's scale);
* **rotation**: the quaternion whose columns are (east, north, inward ray), so the disc
  faces the viewer; identity for props;
* **opacity** 1, **colour** spherical-harmonics degree 0 (``f_dc = (rgb - 0.5) / C0`` with
  ``C0 = 0.28209479177387814``, rgb in 0..1, sRGB as 3DGS trains).

The ``.ply`` is the layout 3DGS, SuperSplat, PlayCanvas and Spark read: binary little-endian
float32 ``x y z nx ny nz f_dc_0 f_dc_1 f_dc_2 opacity scale_0 scale_1 scale_2 rot_0 rot_1
rot_2 rot_3``, opacity stored as a logit and scales as natural logs as 3DGS stores them
(opacity 1 has no finite logit, so :data:`OPACITY_LOGIT` is stored: sigmoid gives 1 − 1e-4),
``rot_0`` is the quaternion's w. It is written with :mod:`plyfile` (a maintained reader/writer).

The GLB is one ``POINTS`` primitive per part with ``POSITION``, ``COLOR_0`` (linear, for the
point-cloud fallback) and the extension's attributes ``KHR_gaussian_splatting:SCALE`` (log),
``:ROTATION`` (xyzw), ``:OPACITY`` (0..1) and ``:SH_DEGREE_0_COEF_0``, with
``{"kernel": "ellipse", "colorSpace": "srgb_rec709_display"}`` on the primitive (the Khronos
review draft of the extension).

``.spz`` (Niantic's format) is written by :mod:`scene.splats_spz` with Niantic's reference
library as WebAssembly in Node.js (no maintained Python SPZ writer installs here).

Very large panoramas are thinned to at most :data:`MAX_SPLAT_WIDTH` columns first (8.4 M
splats at 4096 × 2048 would be a 570 MB file); a notice says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .composition import Scene
from .conventions import latitudes, longitudes
from .errors import InputError

__all__ = ["Splats", "scene_splats", "write_splat_ply", "write_splat_glb", "write_splats",
           "SH_C0", "OPACITY_LOGIT", "MAX_SPLAT_WIDTH", "PLY_PROPERTIES", "SPLAT_FORMATS"]

SH_C0 = 0.28209479177387814
#: logit(1 - 1e-4): "opaque" in a format that stores opacity before a sigmoid.
OPACITY_LOGIT = float(np.log((1 - 1e-4) / 1e-4))
MAX_SPLAT_WIDTH = 2048
#: The standard 3DGS vertex properties, in order.
PLY_PROPERTIES = ("x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2", "opacity",
                  "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3")
SPLAT_FORMATS = (".ply", ".glb", ".spz")
#: Thickness of a pixel's disc along its ray, as a fraction of its smaller footprint.
THICKNESS = 0.1


@dataclass
class Splats:
    """Gaussians of one part.

    Attributes
    ----------
    name : str
    positions : (N, 3) float32, metres
    scales : (N, 3) float32, metres (linear; the files store logs)
    rotations : (N, 4) float32, unit quaternions (x, y, z, w)
    colors : (N, 3) float32, sRGB 0..1
    """

    name: str
    positions: np.ndarray
    scales: np.ndarray
    rotations: np.ndarray
    colors: np.ndarray

    @property
    def count(self) -> int:
        return int(self.positions.shape[0])


def _quaternions(m: np.ndarray) -> np.ndarray:
    """(N, 4) float32 unit quaternions (x, y, z, w) of (N, 3, 3) rotation matrices (SciPy)."""
    from scipy.spatial.transform import Rotation

    return Rotation.from_matrix(m).as_quat().astype(np.float32)


def _panorama_splats(name: str, pano, notices: list[str]) -> Splats | None:
    from .panorama import resize_bilinear_wrap, resize_nearest_wrap

    if not pano.has_depth:
        dist = np.full((pano.height, pano.width), float(pano.flat_radius), np.float32)
    else:
        dist = np.asarray(pano.distance, np.float32)
    rgb = pano.rgb
    h, w = dist.shape
    if w > MAX_SPLAT_WIDTH:
        nw, nh = MAX_SPLAT_WIDTH, MAX_SPLAT_WIDTH // 2
        dist = resize_nearest_wrap(dist, nh, nw)
        rgb = np.clip(np.round(resize_bilinear_wrap(rgb, nh, nw)), 0, 255).astype(np.uint8)
        notices.append(f"{name}: splats made at {nw}x{nh} from the {w}x{h} panorama "
                       f"(one per pixel at full size would be {w * h:,})")
        h, w = nh, nw
    lat = latitudes(h)[:, None]
    lon = longitudes(w)[None, :]
    known = np.isfinite(dist) & (dist > 0)
    if not known.any():
        return None
    la = np.broadcast_to(lat, (h, w))[known]
    lo = np.broadcast_to(lon, (h, w))[known]
    d = dist[known].astype(np.float64)
    cl, sl, co, so = np.cos(la), np.sin(la), np.cos(lo), np.sin(lo)
    ray = np.stack([cl * so, sl, -cl * co], axis=1)
    east = np.stack([co, np.zeros_like(co), so], axis=1)
    north = np.stack([-sl * so, cl, sl * co], axis=1)
    along = d * np.maximum(cl, 1e-6) * 2 * np.pi / w
    across = d * np.pi / h
    thick = THICKNESS * np.minimum(along, across)
    rot = _quaternions(np.stack([east, north, -ray], axis=2))  # right-handed
    return Splats(name=name, positions=(ray * d[:, None]).astype(np.float32),
                  scales=np.stack([along, across, thick], axis=1).astype(np.float32),
                  rotations=rot, colors=(rgb[known].astype(np.float32) / 255.0))


def _prop_splats(prop) -> Splats:
    m = prop.mesh
    pos = prop.world_positions()
    f = m.faces.astype(np.int64)
    edges = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    length = np.linalg.norm(m.positions[edges[:, 0]] - m.positions[edges[:, 1]], axis=1)
    total = np.zeros(m.n_vertices)
    count = np.zeros(m.n_vertices)
    for k in range(2):
        np.add.at(total, edges[:, k], length)
        np.add.at(count, edges[:, k], 1)
    size = 0.5 * prop.transform.scale * total / np.maximum(count, 1)
    size = np.where(size > 0, size, float(size[size > 0].min()) if (size > 0).any() else 1e-3)
    if m.colors is not None:
        colors = m.colors[:, :3].astype(np.float32) / 255.0
    elif m.texture is not None:
        th, tw = m.texture.shape[:2]
        x = np.clip((m.uvs[:, 0] % 1.0) * tw, 0, tw - 1).astype(int)
        y = np.clip(m.uvs[:, 1] * th, 0, th - 1).astype(int)
        colors = m.texture[y, x].astype(np.float32) / 255.0
    else:
        colors = np.full((m.n_vertices, 3), 0.8, np.float32)
    rot = np.tile(np.asarray(prop.transform.rotation, np.float32), (m.n_vertices, 1))
    return Splats(prop.name, pos, np.repeat(size[:, None], 3, axis=1).astype(np.float32),
                  rot, colors)


def scene_splats(scene: Scene) -> tuple[list[Splats], list[str]]:
    """The Gaussians of every part: dome, layers (known pixels), props (vertices).

    Returns
    -------
    parts : list of Splats
    notices : list of str
    """
    notices: list[str] = []
    parts = [_panorama_splats("dome", scene.dome, notices)]
    parts += [_panorama_splats(f"layer {la.id}", la.panorama, notices) for la in scene.layers]
    parts += [_prop_splats(p) for p in scene.props]
    parts = [p for p in parts if p is not None and p.count]
    if not parts:
        raise InputError("the scene has no known depth and no props: nothing to make splats of")
    return parts, notices


def _ply_array(parts: list[Splats]) -> np.ndarray:
    pos = np.concatenate([p.positions for p in parts])
    n = pos.shape[0]
    out = np.zeros(n, dtype=[(k, "<f4") for k in PLY_PROPERTIES])
    out["x"], out["y"], out["z"] = pos[:, 0], pos[:, 1], pos[:, 2]
    dc = (np.concatenate([p.colors for p in parts]) - 0.5) / SH_C0
    for k in range(3):
        out[f"f_dc_{k}"] = dc[:, k]
    out["opacity"] = OPACITY_LOGIT
    sc = np.log(np.concatenate([p.scales for p in parts]))
    for k in range(3):
        out[f"scale_{k}"] = sc[:, k]
    q = np.concatenate([p.rotations for p in parts])
    out["rot_0"], out["rot_1"], out["rot_2"], out["rot_3"] = q[:, 3], q[:, 0], q[:, 1], q[:, 2]
    return out


def write_splat_ply(path: str | os.PathLike, scene: Scene) -> list[str]:
    """Write the standard 3DGS ``.ply`` of ``scene``, atomically; the notices."""
    try:
        from plyfile import PlyData, PlyElement
    except ImportError:
        raise InputError("writing splats needs the plyfile package, which is not installed",
                         hint="pip install 'panoforge[splats]'") from None
    from .atomic import atomic_writer

    parts, notices = scene_splats(scene)
    ply = PlyData([PlyElement.describe(_ply_array(parts), "vertex")], text=False,
                  byte_order="<", comments=["Panoforge 3D Gaussian splats (SH degree 0)"])
    with atomic_writer(path) as fh:
        ply.write(fh)
    return notices


def write_splat_glb(path: str | os.PathLike, scene: Scene) -> list[str]:
    """Write ``scene`` as ``KHR_gaussian_splatting`` point primitives in a GLB, atomically."""
    from .atomic import atomic_writer
    from .gltf_compress import GLBDocument
    from .metadata import software_version

    parts, notices = scene_splats(scene)
    ext = "KHR_gaussian_splatting"
    doc = GLBDocument({"asset": {"version": "2.0",
                                 "generator": f"Panoforge {software_version()}"},
                       "extensionsUsed": [ext], "scene": 0,
                       "scenes": [{"name": "Panoforge splats", "nodes": [0],
                                   "extras": {"units": "metres", "sh_degree": 0}}],
                       "nodes": [{"name": scene.name or "scene", "children": []}],
                       "meshes": [], "accessors": [], "bufferViews": [],
                       "buffers": [{"byteLength": 0}]}, [])
    g = doc.gltf
    for part in parts:
        lin = np.where(part.colors <= 0.04045, part.colors / 12.92,
                       ((part.colors + 0.055) / 1.055) ** 2.4)
        color = np.concatenate([lin, np.ones((part.count, 1))], axis=1).astype(np.float32)
        attrs = {
            "POSITION": doc.add_accessor(part.positions, "VEC3", 5126, target=34962,
                                         bounds=True),
            "COLOR_0": doc.add_accessor(color, "VEC4", 5126, target=34962),
            f"{ext}:SCALE": doc.add_accessor(np.log(part.scales), "VEC3", 5126, target=34962),
            f"{ext}:ROTATION": doc.add_accessor(part.rotations, "VEC4", 5126, target=34962),
            f"{ext}:OPACITY": doc.add_accessor(np.ones(part.count, np.float32), "SCALAR",
                                               5126, target=34962),
            f"{ext}:SH_DEGREE_0_COEF_0": doc.add_accessor((part.colors - 0.5) / SH_C0,
                                                          "VEC3", 5126, target=34962),
        }
        g["meshes"].append({"name": part.name, "primitives": [{
            "attributes": attrs, "mode": 0,
            "extensions": {ext: {"kernel": "ellipse", "colorSpace": "srgb_rec709_display"}}}]})
        g["nodes"].append({"name": part.name, "mesh": len(g["meshes"]) - 1})
        g["nodes"][0]["children"].append(len(g["nodes"]) - 1)
    out, _ = doc.parts()
    with atomic_writer(path) as fh:
        for p in out:
            fh.write(p)
    return notices


def write_splats(path: str | os.PathLike, scene: Scene) -> list[str]:
    """Write splats by the path's suffix (``.ply``, ``.glb`` or ``.spz``)."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix == ".ply":
        return write_splat_ply(path, scene)
    if suffix == ".glb":
        return write_splat_glb(path, scene)
    if suffix == ".spz":
        from .splats_spz import write_splat_spz

        return write_splat_spz(path, scene)
    raise InputError(f"splats are written as .ply, .glb or .spz, not "
                     f"{suffix or 'no suffix'!r}",
                     hint="for example --splats scene_splats.ply")
