"""View and projection matrices in plain numpy, shared by the viewport, offscreen renders and XR.

Conventions
-----------
- World frame of :mod:`scene.conventions`: right-handed, +Y up, metres; the panorama centre is
  along -Z. A camera looks along its local -Z with +Y up (OpenGL's eye space).
- ``yaw`` turns right (towards +X) when positive; yaw 0 looks at -Z, the panorama centre, so a
  camera at yaw = longitude looks at that panorama column. ``pitch`` looks up when positive.
- Matrices are 4x4 float64 for column vectors, ``clip = P @ V @ [x, y, z, 1]`` (OpenGL's
  convention; transpose them for row-vector libraries such as vispy's ``MatrixTransform``).
  Clip space is OpenGL's: after the divide, x, y and z run from -1 to 1, +y up, and depth
  -1 at the near plane.
- Quaternions are ``(x, y, z, w)`` (OpenXR's ``XrQuaternionf`` order) and need not be unit
  length (they are normalised here).
- Field-of-view angles given in degrees are *horizontal* unless the name says otherwise.

Nothing here imports vispy, Qt or OpenXR: the XR session reuses :func:`projection_from_fov`
and :func:`view_from_pose` with the angles and poses ``xrLocateViews`` returns.
"""

from __future__ import annotations

import numpy as np

from scene.errors import InputError

__all__ = [
    "rotation_yaw_pitch",
    "quaternion_yaw_pitch",
    "quaternion_to_matrix",
    "view_from_pose",
    "view_yaw_pitch",
    "look_at",
    "projection_from_fov",
    "perspective",
    "vertical_fov_deg",
    "project_points",
    "forward_vector",
]


def rotation_yaw_pitch(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """Camera-to-world rotation of a camera with the given yaw and pitch.

    Parameters
    ----------
    yaw_deg : float
        Degrees, positive turns right (towards +X); 0 looks along -Z.
    pitch_deg : float
        Degrees, positive looks up.

    Returns
    -------
    (3, 3) float64 ndarray
        Columns are the camera's right, up and backward (+Z) axes in world coordinates;
        the view direction is ``-R[:, 2]``.
    """
    y = np.radians(yaw_deg)
    p = np.radians(pitch_deg)
    cy, sy = np.cos(y), np.sin(y)
    cp, sp = np.cos(p), np.sin(p)
    # Rotation about +Y by -yaw (turning right), after a rotation about +X by +pitch.
    ry = np.array([[cy, 0.0, -sy], [0.0, 1.0, 0.0], [sy, 0.0, cy]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
    return ry @ rx


def forward_vector(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """(3,) float64 unit view direction: the panorama direction at lon = yaw, lat = pitch."""
    return -rotation_yaw_pitch(yaw_deg, pitch_deg)[:, 2]


def quaternion_yaw_pitch(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """The rotation of :func:`rotation_yaw_pitch` as an ``(x, y, z, w)`` quaternion.

    Returns
    -------
    (4,) float64 ndarray
        Unit quaternion, OpenXR component order.
    """
    hy = np.radians(-yaw_deg) / 2.0
    hp = np.radians(pitch_deg) / 2.0
    qy = np.array([0.0, np.sin(hy), 0.0, np.cos(hy)])
    qx = np.array([np.sin(hp), 0.0, 0.0, np.cos(hp)])
    return _qmul(qy, qx)


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ])


def quaternion_to_matrix(orientation_xyzw) -> np.ndarray:
    """Rotation matrix of a quaternion.

    Parameters
    ----------
    orientation_xyzw : (4,) array-like
        ``(x, y, z, w)``; normalised here. A zero quaternion raises :class:`InputError`.

    Returns
    -------
    (3, 3) float64 ndarray
        Rotates column vectors: ``world = R @ local``.
    """
    q = np.asarray(orientation_xyzw, dtype=np.float64).reshape(4)
    n = np.linalg.norm(q)
    if not np.isfinite(n) or n < 1e-12:
        raise InputError(f"orientation quaternion {q.tolist()} has no direction",
                         hint="pass a non-zero (x, y, z, w) quaternion")
    x, y, z, w = q / n
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def _view_from_rotation(rot: np.ndarray, position) -> np.ndarray:
    pos = np.asarray(position, dtype=np.float64).reshape(3)
    view = np.eye(4)
    view[:3, :3] = rot.T
    view[:3, 3] = -rot.T @ pos
    return view


def view_from_pose(orientation_xyzw, position) -> np.ndarray:
    """World-to-eye matrix of a camera pose (OpenXR ``XrPosef``).

    Parameters
    ----------
    orientation_xyzw : (4,) array-like
        Camera-to-world rotation as an ``(x, y, z, w)`` quaternion.
    position : (3,) array-like
        Camera position in the world, metres.

    Returns
    -------
    (4, 4) float64 ndarray
        ``V`` with ``eye = V @ [x, y, z, 1]``: the inverse of the pose's rigid transform.
    """
    return _view_from_rotation(quaternion_to_matrix(orientation_xyzw), position)


def view_yaw_pitch(yaw_deg: float, pitch_deg: float, eye=(0.0, 0.0, 0.0)) -> np.ndarray:
    """World-to-eye matrix of a camera at ``eye`` looking at ``(yaw, pitch)``.

    Returns
    -------
    (4, 4) float64 ndarray
    """
    return _view_from_rotation(rotation_yaw_pitch(yaw_deg, pitch_deg), eye)


def look_at(eye, target=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """World-to-eye matrix of a camera at ``eye`` looking at ``target``.

    Parameters
    ----------
    eye, target : (3,) array-like
        Metres; must differ.
    up : (3,) array-like
        World direction that appears up; must not be parallel to ``target - eye``
        (then +Z or +X is used instead so the matrix stays valid at the poles).

    Returns
    -------
    (4, 4) float64 ndarray
    """
    eye = np.asarray(eye, dtype=np.float64).reshape(3)
    fwd = np.asarray(target, dtype=np.float64).reshape(3) - eye
    n = np.linalg.norm(fwd)
    if n < 1e-12:
        raise InputError("look_at: the eye and the target are the same point")
    fwd /= n
    for candidate in (up, (0.0, 0.0, -1.0), (1.0, 0.0, 0.0)):
        right = np.cross(fwd, np.asarray(candidate, dtype=np.float64))
        if np.linalg.norm(right) > 1e-6:
            break
    right /= np.linalg.norm(right)
    true_up = np.cross(right, fwd)
    rot = np.stack([right, true_up, -fwd], axis=1)
    return _view_from_rotation(rot, eye)


def projection_from_fov(left: float, right: float, up: float, down: float,
                        near: float, far: float) -> np.ndarray:
    """Perspective projection from the four half-angles of an asymmetric frustum.

    OpenXR's ``XrFovf`` convention: radians measured from the view axis, ``left`` and
    ``down`` negative for a frustum that contains the axis.

    Parameters
    ----------
    left, right, up, down : float
        Radians, each in (-pi/2, pi/2), with ``left < right`` and ``down < up``.
    near : float
        Distance of the near plane, metres, > 0.
    far : float
        Distance of the far plane, metres, > near; ``inf`` gives an infinite far plane.

    Returns
    -------
    (4, 4) float64 ndarray
        OpenGL clip matrix (depth -1 at ``near``, +1 at ``far``).
    """
    angles = np.array([left, right, up, down], dtype=np.float64)
    if not np.all(np.abs(angles) < np.pi / 2) or not (left < right and down < up):
        raise InputError(f"invalid field of view angles left={left}, right={right}, up={up}, "
                         f"down={down} (radians)",
                         hint="each must be within ±pi/2, with left < right and down < up")
    if not (near > 0 and far > near):
        raise InputError(f"invalid clip distances near={near}, far={far}",
                         hint="use 0 < near < far (far may be inf)")
    tl, tr, tu, td = np.tan(angles)
    proj = np.zeros((4, 4))
    proj[0, 0] = 2.0 / (tr - tl)
    proj[0, 2] = (tr + tl) / (tr - tl)
    proj[1, 1] = 2.0 / (tu - td)
    proj[1, 2] = (tu + td) / (tu - td)
    if np.isinf(far):
        proj[2, 2] = -1.0
        proj[2, 3] = -2.0 * near
    else:
        proj[2, 2] = -(far + near) / (far - near)
        proj[2, 3] = -2.0 * far * near / (far - near)
    proj[3, 2] = -1.0
    return proj


def vertical_fov_deg(fov_x_deg: float, aspect: float) -> float:
    """Vertical field of view, degrees, of a horizontal one at ``aspect = width / height``."""
    return float(np.degrees(2.0 * np.arctan(np.tan(np.radians(fov_x_deg) / 2.0) / aspect)))


def perspective(fov_x_deg: float, aspect: float, near: float, far: float) -> np.ndarray:
    """Symmetric perspective projection from a *horizontal* field of view.

    Parameters
    ----------
    fov_x_deg : float
        Horizontal field of view, degrees, in (0, 180).
    aspect : float
        Width / height of the image, > 0.
    near, far : float
        Clip distances, metres (see :func:`projection_from_fov`).

    Returns
    -------
    (4, 4) float64 ndarray
    """
    if not (0.0 < fov_x_deg < 180.0):
        raise InputError(f"field of view must be between 0 and 180 degrees, got {fov_x_deg}",
                         hint="for example --fov 90")
    if not aspect > 0:
        raise InputError(f"aspect ratio must be positive, got {aspect}")
    half_x = np.radians(fov_x_deg) / 2.0
    half_y = np.arctan(np.tan(half_x) / aspect)
    return projection_from_fov(-half_x, half_x, half_y, -half_y, near, far)


def project_points(points, view: np.ndarray, proj: np.ndarray, size) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions of world points in an image rendered with ``proj @ view``.

    Parameters
    ----------
    points : (..., 3) array-like
        World positions, metres.
    view, proj : (4, 4) ndarray
    size : (int, int)
        Image ``(width, height)`` in pixels.

    Returns
    -------
    xy : (..., 2) float64 ndarray
        Continuous pixel coordinates (column, row), row 0 at the top, pixel centres at
        integer + 0.5.
    in_front : (...) bool ndarray
        True where the point lies in front of the camera.
    """
    pts = np.asarray(points, dtype=np.float64)
    homo = np.concatenate([pts, np.ones(pts.shape[:-1] + (1,))], axis=-1)
    clip = homo @ (proj @ view).T
    w = clip[..., 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        ndc = clip[..., :2] / w[..., None]
    width, height = size
    xy = np.stack([(ndc[..., 0] + 1.0) * 0.5 * width, (1.0 - ndc[..., 1]) * 0.5 * height], -1)
    return xy, w > 0
