"""Matrices for the headset: per-eye projection from an OpenXR field of view, pose -> view.

The projection and view matrices are the renderers' shared ones (:mod:`renderers.view_math`):
:func:`projection_from_fov` takes an ``XrFovf``'s four angles, :func:`view_from_pose` an
``XrPosef``'s quaternion ``(x, y, z, w)`` and position. This module adds what placing the scene
in a tracked room needs: rigid transforms about +Y and the heading of an orientation.

Column-vector convention (``clip = P @ V @ world``), OpenGL clip space, right-handed world with
+Y up and -Z forward (Panoforge's frame, which is also OpenXR's); matrices are float64 (4, 4).
"""

from __future__ import annotations

import numpy as np

from renderers.view_math import projection_from_fov, view_from_pose
from renderers.view_math import quaternion_to_matrix as quat_to_matrix

__all__ = [
    "projection_from_fov",
    "view_from_pose",
    "quat_to_matrix",
    "yaw_of_quat",
    "pose_matrix",
    "rotation_y",
    "translation",
]


def yaw_of_quat(q) -> float:
    """Heading (rotation about +Y, radians, counter-clockwise seen from above) of an orientation.

    Taken from where the orientation sends -Z (the forward axis), projected on the floor; 0 means
    facing -Z, +pi/2 facing -X (turned left). Looking straight up or down gives 0.
    """
    fwd = quat_to_matrix(q) @ np.array([0.0, 0.0, -1.0])
    if np.hypot(fwd[0], fwd[2]) < 1e-9:
        return 0.0
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
        The inverse of :func:`view_from_pose` for the same pose.
    """
    m = np.eye(4)
    m[:3, :3] = quat_to_matrix(orientation)
    m[:3, 3] = np.asarray(position, dtype=np.float64)
    return m
