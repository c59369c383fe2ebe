"""What the headset shows: a project's result and its mesh, kept in step with the editor.

The window's "View in headset" (:mod:`app.xr_launcher`) writes its edits to a small JSON
*control file*; the XR process polls it about once a second (:data:`POLL_INTERVAL_S`)::

    {"seq": 3, "result": "r2", "near": 0.5, "far": 40.0, "cut_threshold": 0.25, "quit": false}

Every key is optional. ``result`` picks another result (the project file is re-read when it
changed on disk, so a result saved after launch is found); ``near``/``far`` change the depth
interpretation's range (what a disparity map is stretched to); ``cut_threshold`` the mesh's
discontinuity cut; ``quit`` ends the session. The new mesh is built on a worker thread (numpy
releases the GIL) so frames keep coming while it is made; the frame loop picks it up with
:meth:`SceneSource.poll`.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from scene.errors import PanoforgeError
from scene.meshdata import DepthMesh
from scene.panorama import RGBDPanorama
from scene.settings import MeshSettings

__all__ = ["SceneSource", "SceneState", "POLL_INTERVAL_S", "read_control"]

#: How often the control file is looked at, seconds.
POLL_INTERVAL_S = 1.0


@dataclass(frozen=True)
class SceneState:
    """One displayable state: the panorama, its mesh and the edits that made it."""

    result_id: str
    panorama: RGBDPanorama
    mesh: DepthMesh
    settings: MeshSettings
    near: float | None = None
    far: float | None = None


def read_control(path: Path) -> dict | None:
    """The control file's JSON object, or ``None`` when absent or half-written."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _build(project_path: Path, project, result_id: str | None, settings: MeshSettings,
           near: float | None, far: float | None) -> SceneState:
    from scene.mesh import build_depth_mesh

    result = project.pick(result_id)
    pano = result.panorama
    if (near is not None or far is not None) and pano.has_depth:
        # The editor's near/far, applied by the same rule as the window.
        lo, hi = pano.near_far()
        pano = pano.with_near_far(lo if near is None else near, hi if far is None else far)
    mesh = build_depth_mesh(pano, settings)
    return SceneState(result.id, pano, mesh, settings, near, far)


class SceneSource:
    """Loads the project, builds the first mesh (:meth:`build`), then follows the control file.

    Construction only reads and checks the project (a bad path or result id fails at once);
    :meth:`build` makes the mesh.

    Parameters
    ----------
    project_path : str or Path
        A ``.panoforge`` file.
    result_id : str, optional
        The result to show (default: the project's active result).
    control_file : str or Path, optional
        The editor's control file (see the module docstring).
    """

    def __init__(self, project_path, result_id: str | None = None, control_file=None) -> None:
        from scene.project import load_project

        self.project_path = Path(project_path)
        self._load = load_project
        self.project = load_project(self.project_path)
        self._mtime = self._project_mtime()
        self.control_file = Path(control_file) if control_file else None
        first = self.project.pick(result_id)
        self._first_id = first.id
        self.current: SceneState | None = None
        self.quit_requested = False
        self._seen_seq = None
        self._next_poll = 0.0
        self._worker: threading.Thread | None = None
        self._ready: SceneState | None = None
        self._lock = threading.Lock()

    def build(self) -> SceneState:
        """Build the first state (the mesh of the chosen result); sets :attr:`current`."""
        self.current = _build(self.project_path, self.project, self._first_id,
                              self.project.mesh_settings, None, None)
        return self.current

    def _project_mtime(self) -> float:
        try:
            return self.project_path.stat().st_mtime
        except OSError:
            return 0.0

    def poll(self, now: float | None = None) -> SceneState | None:
        """Look at the control file (at most once a second); return a newly built state once.

        Returns
        -------
        SceneState or None
            The new state when a rebuild finished since the last call.
        """
        now = time.monotonic() if now is None else now
        with self._lock:
            ready, self._ready = self._ready, None
        if ready is not None:
            self.current = ready
        if self.control_file is None or now < self._next_poll:
            return ready
        self._next_poll = now + POLL_INTERVAL_S
        ctl = read_control(self.control_file)
        if ctl is None:
            return ready
        if ctl.get("quit"):
            self.quit_requested = True
        seq = ctl.get("seq")
        if seq == self._seen_seq or (self._worker is not None and self._worker.is_alive()):
            return ready
        self._seen_seq = seq
        cur = self.current
        want_id = str(ctl.get("result") or cur.result_id)
        near = ctl.get("near", cur.near)
        far = ctl.get("far", cur.far)
        cut = ctl.get("cut_threshold")
        settings = cur.settings
        try:
            if cut is not None:
                settings = settings.with_(cut_threshold=float(cut))
        except PanoforgeError as exc:
            _warn(f"ignoring the cut threshold {cut!r}: {exc.message}")
        mtime = self._project_mtime()
        if (want_id, near, far, settings, mtime) == (cur.result_id, cur.near, cur.far,
                                                     cur.settings, self._mtime):
            return ready
        self._worker = threading.Thread(target=self._rebuild, name="xr-mesh",
                                        args=(want_id, settings, near, far, mtime), daemon=True)
        self._worker.start()
        return ready

    def _rebuild(self, result_id: str, settings: MeshSettings, near, far, mtime: float) -> None:
        try:
            project = self.project
            if mtime != self._mtime:
                project = self._load(self.project_path)
            state = _build(self.project_path, project, result_id, settings, near, far)
        except PanoforgeError as exc:
            _warn(f"could not show the edit: {exc.message}")
            return
        except Exception as exc:  # noqa: BLE001 - a bad edit must not end the session
            _warn(f"could not show the edit: {exc!r}")
            return
        self.project, self._mtime = project, mtime
        with self._lock:
            self._ready = state

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait for a rebuild in progress to finish (tests and shutdown)."""
        if self._worker is not None:
            self._worker.join(timeout)


def _warn(msg: str) -> None:
    print(f"panoforge xr: {msg}", file=sys.stderr, flush=True)
