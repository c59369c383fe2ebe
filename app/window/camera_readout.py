"""The camera readout: where the viewport's camera looks, in the status bar.

Inside view: ``Yaw +30.0°  Pitch −10.0°  FOV 75.0°`` and, once the eye has moved off the
capture point (WASD, walk mode), ``Eye +0.05, +0.00, −0.04 m``. Outside view: the orbit's
yaw, pitch, field of view and zoom. The angles are those of ``panoforge render`` (yaw 0 =
panorama centre, -Z; positive yaw turns right, positive pitch looks up; the field of view is
horizontal), so the numbers can be typed into ``--yaw --pitch --fov --eye``.

The label follows the viewport's frames (vispy's draw event): every look, zoom or step
redraws the view, so the readout is current whenever the picture is.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

__all__ = ["CameraReadout", "readout_text", "camera_pose"]

_MINUS = "\u2212"


def _num(value: float, digits: int, sign: bool = True) -> str:
    v = round(float(value), digits) + 0.0  # no "-0.0"
    text = f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"
    return text.replace("-", _MINUS)


def camera_pose(viewport) -> dict:
    """The active camera's numbers.

    Returns
    -------
    dict
        ``view`` ("inside"/"outside"), ``yaw_deg``, ``pitch_deg``, ``fov_deg`` (degrees,
        horizontal field of view) and, inside, ``eye`` ((3,) tuple, metres) or, outside,
        ``zoom`` (orbit distance in framing extents).
    """
    cam = viewport.camera
    s = cam.state
    pose = {"view": viewport.view, "yaw_deg": float(s.yaw_deg),
            "pitch_deg": float(s.pitch_deg), "fov_deg": float(s.fov_deg)}
    if viewport.view == "inside":
        pose["eye"] = tuple(float(v) for v in s.eye)
    else:
        pose["zoom"] = float(s.zoom)
    return pose


def readout_text(pose: dict) -> str:
    """One line for the status bar from :func:`camera_pose`'s numbers."""
    text = (f"Yaw {_num(pose['yaw_deg'], 1)}°  Pitch {_num(pose['pitch_deg'], 1)}°  "
            f"FOV {_num(pose['fov_deg'], 1, sign=False)}°")
    if pose["view"] == "inside":
        eye = pose["eye"]
        if any(round(v, 2) != 0 for v in eye):
            text += "  Eye " + ", ".join(_num(v, 2) for v in eye) + " m"
    else:
        text = "Orbit " + text + f"  Zoom {_num(pose['zoom'], 2, sign=False)}×"
    return text


class CameraReadout(QLabel):
    """A status-bar label showing the viewport camera's yaw, pitch, field of view (and eye).

    Parameters
    ----------
    viewport : renderers.viewport.Viewport or None
        ``None`` (no renderer): the label stays empty.
    """

    def __init__(self, viewport, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraReadout")
        self.setToolTip("Where the 3D view looks: yaw (degrees right of the panorama centre), "
                        "pitch (degrees up) and the horizontal field of view, and the eye's "
                        "offset in metres once you step away from the centre. The same "
                        "numbers render this view with panoforge render --yaw --pitch --fov "
                        "--eye (or press F12)")
        self.viewport = viewport
        self.pose: dict | None = None
        if viewport is not None:
            viewport.canvas.events.draw.connect(self._on_draw, position="last")
            self.refresh()

    def _on_draw(self, event=None) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Show the camera as it is now."""
        if self.viewport is None:
            return
        pose = camera_pose(self.viewport)
        if pose != self.pose:
            self.pose = pose
            self.setText(readout_text(pose))

    def detach(self) -> None:
        """Stop following the viewport (it is being closed)."""
        if self.viewport is not None:
            try:
                self.viewport.canvas.events.draw.disconnect(self._on_draw)
            except Exception:  # noqa: BLE001 - the canvas may already be gone
                pass
            self.viewport = None
