"""One picture → triplane → density field → mesh, with OpenLRM's camera and conventions.

- **Source camera** (OpenLRM's inference default): at distance ``d`` = 2 on the −Y axis of
  LRM's Z-up frame, looking at the origin, image right = +X, image up = +Z; normalised
  intrinsics fx = fy = 0.75, cx = cy = 0.5. Its 16 features are the 3×4 camera-to-world
  matrix row by row, then fx, fy, cx, cy.
- **Field**: density ``softplus(raw − 1)`` over the box [-1, 1]³; the surface is where it
  equals the threshold (3.0, OpenLRM's ``mesh_thres``).
- **Object frame**: LRM's (x, y, z) becomes Panoforge's (x, z, −y): +Y up, and the side the
  picture shows faces +Z (towards a viewer in front of it).
"""

from __future__ import annotations

import numpy as np

from models.base import Progress, raise_if_cancelled

__all__ = ["source_camera", "LRM_TO_OBJECT", "DEFAULT_THRESHOLD", "DEFAULT_CAMERA_DISTANCE",
           "image_tensor", "triplane_field", "reconstruct"]

DEFAULT_THRESHOLD = 3.0
DEFAULT_CAMERA_DISTANCE = 2.0
#: LRM frame (Z up, camera on −Y) → object frame (Y up, front +Z): (x, y, z) → (x, z, −y).
LRM_TO_OBJECT = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
_QUERY_CHUNK = 2**18


def source_camera(distance: float = DEFAULT_CAMERA_DISTANCE) -> np.ndarray:
    """(16,) float32 raw features of the canonical source camera (see the module docstring)."""
    rt = np.array([[1.0, 0.0, 0.0, 0.0],
                   [0.0, 0.0, -1.0, -float(distance)],
                   [0.0, 1.0, 0.0, 0.0]])
    return np.concatenate([rt.ravel(), [0.75, 0.75, 0.5, 0.5]]).astype(np.float32)


def image_tensor(rgb: np.ndarray, device: str = "cpu"):
    """``(S, S, 3)`` float in [0, 1] → ``(1, 3, S, S)`` float32 tensor."""
    import torch

    arr = np.ascontiguousarray(np.asarray(rgb, np.float32).transpose(2, 0, 1)[None])
    return torch.from_numpy(arr).to(device)


def triplane_field(net, planes, threshold: float = DEFAULT_THRESHOLD):
    """The :class:`models.props.mesher.Field` of a triplane (evaluated in chunks, no grad)."""
    import torch

    from models.props.mesher import Field

    device = planes.device

    def _query(points: np.ndarray):
        outs_d, outs_c = [], []
        with torch.no_grad():
            for i in range(0, len(points), _QUERY_CHUNK):
                p = torch.from_numpy(np.ascontiguousarray(points[i:i + _QUERY_CHUNK],
                                                          np.float32)).to(device)
                d, c = net.query(planes, p[None])
                outs_d.append(d[0].float().cpu().numpy())
                outs_c.append(c[0].float().cpu().numpy())
        return np.concatenate(outs_d), np.concatenate(outs_c)

    return Field(density=lambda p: _query(p)[0], lo=(-1.0, -1.0, -1.0), hi=(1.0, 1.0, 1.0),
                 level=float(threshold), color=lambda p: np.clip(_query(p)[1], 0.0, 1.0),
                 to_object=LRM_TO_OBJECT)


def reconstruct(net, rgb: np.ndarray, resolution: int = 256,
                threshold: float = DEFAULT_THRESHOLD,
                camera_distance: float = DEFAULT_CAMERA_DISTANCE,
                on_progress=None, cancel=None):
    """Lift one prepared picture to a mesh.

    Parameters
    ----------
    net : models.lrm.network.LRMNetwork
    rgb : (S, S, 3) float32 ndarray
        The object centred on white (:func:`models.lrm.preprocess.recentre`), S = the model's
        input side.
    resolution : int
        Marching-cubes grid samples per side of the box (default 256).
    threshold : float
        Density of the surface.
    camera_distance : float
        Source camera distance in LRM units (OpenLRM's slider: 1.0..3.5, default 2).
    on_progress, cancel
        As in :mod:`models.base`; progress runs 0 → 1 over "encoding" and the mesher's slabs.

    Returns
    -------
    ObjectMesh
        Object frame (+Y up, front +Z), LRM units (the box is 2 wide), vertex colours.
    """
    import time

    import torch

    from models.props.mesher import mesh_field

    t0 = time.perf_counter()
    raise_if_cancelled(cancel)
    if on_progress is not None:
        on_progress(Progress(0, 1, 0.0, 0.0, message="encoding the picture"))

    def layer_done(i: int, n: int) -> None:
        if on_progress is not None:
            elapsed = time.perf_counter() - t0
            on_progress(Progress(i, n, elapsed, elapsed / i * (n - i),
                                 message="lifting the picture to a triplane"))

    device = next(net.parameters()).device
    cam = torch.from_numpy(source_camera(camera_distance))[None].to(device)
    with torch.no_grad():
        planes = net.forward_planes(image_tensor(rgb, str(device)), cam, cancel=cancel,
                                    on_layer=layer_done)
    field = triplane_field(net, planes, threshold)

    def sub(p: Progress) -> None:
        if on_progress is not None:
            elapsed = time.perf_counter() - t0
            on_progress(Progress(p.step, p.total, elapsed, p.eta_s, message=p.message))

    return mesh_field(field, resolution, sub, cancel)
