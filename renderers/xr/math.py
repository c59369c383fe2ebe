"""Matrices for the headset: per-eye projection from an OpenXR field of view, pose -> view.

Pure numpy, column-vector convention (``clip = P @ V @ world``), OpenGL clip space
(``z_ndc`` in [-1, 1]), right-handed world with +Y up and -Z forward (Panoforge's frame, which
is also OpenXR's). Matrices are float64 ``(4, 4)``; transpose them for ``glUniformMatrix4fv``
with ``transpose=False`` or pass ``transpose=True``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "projection_from_fov",
    "perspective",
    "quat_to_matrix",
    "yaw_of_quat",
    "pose_matrix",
    "view_from_pose",
    "rotation_y",
    "translation",
]


def projection_from_fov(angle_left: float, angle_right: float, angle_up: float,
                        angle_down: float, near: float, far: float) -> np.ndarray:
    """OpenGL projection for an asymmetric frustum given as an OpenXR ``XrFovf``.

    Parameters
    ----------
    angle_left, angle_right, angle_up, angle_down : float
        Radians, as in ``XrFovf``: the angle of each frustum side from the view axis, positive
        to the right and up (so ``angle_left`` and ``angle_down`` are usually negative).
    near, far : float
        Clip distances in metres, ``0 < near < far``.

    Returns
    -------
    (4, 4) float64 ndarray
        Maps eye space (looking along -Z) to clip space; the frustum's side planes map to
        ``x_ndc = -1/+1`` and ``y_ndc = -1/+1``, the near/far planes to ``z_ndc = -1/+1``.
    """
    if not (0.0 < near < far):
        raise ValueError(f"need 0 < near < far, got near={near}, far={far}")
    tl, tr = np.tan(angle_left), np.tan(angle_right)
    tu, td = np.tan(angle_up), np.tan(angle_down)
    if not (tr > tl and tu > td):
        raise ValueError("the field of view is empty (right <= left or up <= down)")
    w, h = tr - tl, tu - td
    p = np.zeros((4, 4))
    p[0, 0] = 2.0 / w
    p[0, 2] = (tr + tl) / w
    p[1, 1] = 2.0 / h
    p[1, 2] = (tu + td) / h
    p[2, 2] = -(far + near) / (far - near)
    p[2, 3] = -2.0 * far * near / (far - near)
    p[3, 2] = -1.0
    return p


def perspective(fovy: float, aspect: float, near: float, far: float) -> np.ndarray:
    """The classic symmetric ``gluPerspective`` matrix (vertical fov ``fovy`` in radians)."""
    f = 1.0 / np.tan(fovy / 2.0)
    p = np.zeros((4, 4))
    p[0, 0] = f / aspect
    p[1, 1] = f
    p[2, 2] = (far + near) / (near - far)
    p[2, 3] = 2.0 * far * near / (near - far)
    p[3, 2] = -1.0
    return p


def quat_to_matrix(q) -> np.ndarray:
    """Rotation matrix of a quaternion given as ``(x, y, z, w)`` (OpenXR's ``XrQuaternionf`` order).

    Returns
    -------
    (3, 3) float64 ndarray
        The quaternion is normalised first; a zero quaternion raises ``ValueError``.
    """
    x, y, z, w = np.asarray(q, dtype=np.float64)
    n = x * x + y * y + z * z + w * w
    if n == 0.0:
        raise ValueError("zero quaternion")
    s = 2.0 / n
    return np.array([
        [1 - s * (y * y + z * z), s * (x * y - z * w), s * (x * z + y * w)],
        [s * (x * y + z * w), 1 - s * (x * x + z * z), s * (y * z - x * w)],
        [s * (x * z - y * w), s * (y * z + x * w), 1 - s * (x * x + y * y)],
    ])


def yaw_of_quat(q) -> float:
    """Heading (rotation about +Y, radians, counter-clockwise seen from above) of an orientation.

    Taken from where the orientation sends -Z (the forward axis), projected on the floor; 0 means
    facing -Z, +pi/2 facing -X (turned left).
    """
    fwd = quat_to_matrix(q) @ np.array([0.0, 0.0, -1.0])
    return float(np.arctan2(-fwd[0], -fwd[2]))


def translation(t) -> np.ndarray:
    """(4, 4) float64 translation by ``t`` (3,) metres."""
    m = np.eye(4)
    m[:3, 3] = np.asarray(t, dtype=np.float64)
    return m


def rotation_y(angle: float) -> np.ndarray:
    """(4, 4) float64 rotation by ``angle`` radians about +Y (counter-clockwise from above)."""
    c, s = np.cos(angle), np.sin(angle)
    m = np.eye(4)
    m[0, 0], m[0, 2], m[2, 0], m[2, 2] = c, s, -s, c
    return m


def pose_matrix(orientation, position) -> np.ndarray:
    """Rigid transform of a pose: maps the posed object's local coordinates to its space.

    Parameters
    ----------
    orientation : (4,) array_like
        Quaternion ``(x, y, z, w)``.
    position : (3,) array_like
        Metres.

    Returns
    -------
    (4, 4) float64 ndarray
    """
    m = np.eye(4)
    m[:3, :3] = quat_to_matrix(orientation)
    m[:3, 3] = np.asarray(position, dtype=np.float64)
    return m


def view_from_pose(orientation, position) -> np.ndarray:
    """View matrix of an eye posed in its space: the inverse of :func:`pose_matrix`.

    Returns
    -------
    (4, 4) float64 ndarray
        Maps space coordinates to eye coordinates (eye at the origin looking along -Z).
    """
    r = quat_to_matrix(orientation)
    m = np.eye(4)
    m[:3, :3] = r.T
    m[:3, 3] = -r.T @ np.asarray(position, dtype=np.float64)
    return m
