"""What the headset shows: a project's scene (dome, layers, props), kept in step with the editor.

The XR process reads the project file: the chosen result is the dome, and its composition
(:meth:`scene.project.Project.scene`: the layers and props saved with it) comes with it. The
dome is meshed, every layer with the same :class:`~scene.mesh_settings.MeshSettings`, and the props
are put in the world frame (:func:`renderers.scene_parts.scene_parts`).

The window's "View in headset" (:mod:`app.xr_launcher`) writes its edits to a small JSON
*control file*; the XR process polls it about once a second (:data:`POLL_INTERVAL_S`)::

    {"seq": 3, "result": "r2", "cut_threshold": 0.25, "quit": false,
     "interpretation": {"kind": "disparity", "near": 0.5, "far": 40.0, ...}}

Every key is optional. ``result`` picks another result (the project file is re-read when it
changed on disk, so a result saved after launch, or new layers and props, are found);
``interpretation`` is the dome's :class:`~scene.depth.DepthInterpretation` as its ``to_dict()``
(the editor's near/far live in it, by the scene's own rule; it is applied to the result it was
sent with, and dropped when another result is picked without one); ``cut_threshold`` the
meshes' discontinuity cut; ``quit`` ends the session; ``dump`` (``{"dir": DIR, "n": N}``,
tests) asks for the next drawn frame's eye images in DIR once per new ``n``; ``mirror``
(read once, at start) is the file name, beside the control file, of the desktop mirror
(:mod:`renderers.xr.mirror`).

The controllers step through the project's results too (:meth:`SceneSource.step_result`).
What the headset shows goes back to the editor in a *status file* beside the control file
(:data:`STATUS_FILE_NAME`, rewritten atomically when it changes, :meth:`SceneSource.report`)::

    {"result": "r2", "scale": 2.0}

so the window can follow a result picked in the headset. The new meshes are built on a worker
thread (numpy releases the GIL) so frames keep coming while they are made; the frame loop picks
them up with :meth:`SceneSource.poll`.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scene.depth import DepthInterpretation
from scene.errors import InputError, PanoforgeError
from scene.mesh_settings import MeshSettings
from scene.meshdata import DepthMesh
from scene.panorama import RGBDPanorama

from ..scene_parts import NO_PARTS, SceneParts

__all__ = ["SceneSource", "SceneState", "POLL_INTERVAL_S", "STATUS_FILE_NAME", "read_control"]

#: How often the control file is looked at, seconds.
POLL_INTERVAL_S = 1.0
#: The status file the XR process writes beside the control file.
STATUS_FILE_NAME = "xr-status.json"


@dataclass(frozen=True)
class SceneState:
    """One displayable state: the dome's panorama and mesh, the layers and props, and the
    edits that made them.

    Attributes
    ----------
    result_id : str
    panorama : RGBDPanorama
        The dome, read with ``interpretation`` when the editor sent one.
    mesh : DepthMesh
        The dome's mesh.
    settings : MeshSettings
        Used for the dome and every layer.
    interpretation : dict or None
        The editor's :meth:`DepthInterpretation.to_dict` for the dome (``None``: as saved).
    parts : SceneParts
        The result's layers (meshed) and props (in the world frame).
    walk_radius : float
        Metres from the capture point the tracked head is rendered within
        (:func:`scene.walk_bounds.walk_bounds`).
    """

    result_id: str
    panorama: RGBDPanorama
    mesh: DepthMesh
    settings: MeshSettings
    interpretation: dict | None = None
    parts: SceneParts = NO_PARTS
    walk_radius: float = 0.5


def read_control(path: Path) -> dict | None:
    """The control file's JSON object, or ``None`` when absent or half-written."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _interpretation(data) -> DepthInterpretation:
    if not isinstance(data, dict):
        raise InputError(f"the depth interpretation must be a JSON object, got {data!r}")
    return DepthInterpretation.from_dict(data)


def _build(project_path: Path, project, result_id: str | None, settings: MeshSettings,
           interpretation: dict | None) -> SceneState:
    from scene.mesh import build_depth_mesh
    from scene.walk_bounds import walk_bounds

    from ..scene_parts import scene_parts

    result = project.pick(result_id)
    scene = project.scene(result.id)
    pano = scene.dome
    if interpretation is not None and pano.has_depth:
        # The editor's interpretation, as the window applies it (its near/far included).
        pano = pano.with_interpretation(_interpretation(interpretation))
    mesh = build_depth_mesh(pano, settings)
    return SceneState(result.id, pano, mesh, settings, interpretation,
                      scene_parts(scene, settings), walk_bounds(scene).radius)


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
        #: Where the desktop mirror goes (the control file's ``mirror``), or ``None``.
        self.mirror_path: Path | None = None
        first_ctl = read_control(self.control_file) if self.control_file else None
        if first_ctl and isinstance(first_ctl.get("mirror"), str) and first_ctl["mirror"]:
            self.mirror_path = self.control_file.parent / Path(first_ctl["mirror"]).name
        first = self.project.pick(result_id)
        self._first_id = first.id
        self.current: SceneState | None = None
        self.quit_requested = False
        self._seen_seq = None
        self._seen_dump = None
        self._reported = None
        #: A frame dump the editor asked for and the frame loop has not written yet (a folder).
        self.dump_request: Path | None = None
        self._next_poll = 0.0
        self._worker: threading.Thread | None = None
        self._ready: SceneState | None = None
        self._lock = threading.Lock()

    def build(self) -> SceneState:
        """Build the first state (the mesh of the chosen result); sets :attr:`current`."""
        self.current = _build(self.project_path, self.project, self._first_id,
                              self.project.mesh_settings, None)
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
        dump = ctl.get("dump")
        if isinstance(dump, dict) and dump.get("dir") and dump.get("n") != self._seen_dump:
            self._seen_dump = dump.get("n")
            self.dump_request = Path(str(dump["dir"]))
        seq = ctl.get("seq")
        if seq == self._seen_seq or (self._worker is not None and self._worker.is_alive()):
            return ready
        self._seen_seq = seq
        cur = self.current
        want_id = str(ctl.get("result") or cur.result_id)
        interp = ctl.get("interpretation")
        if interp is None and want_id == cur.result_id:
            interp = cur.interpretation
        cut = ctl.get("cut_threshold")
        settings = cur.settings
        try:
            if cut is not None:
                settings = settings.with_(cut_threshold=float(cut))
        except PanoforgeError as exc:
            _warn(f"ignoring the cut threshold {cut!r}: {exc.message}")
        mtime = self._project_mtime()
        if (want_id, interp, settings, mtime) == (cur.result_id, cur.interpretation,
                                                  cur.settings, self._mtime):
            return ready
        self._worker = threading.Thread(target=self._rebuild, name="xr-mesh",
                                        args=(want_id, settings, interp, mtime), daemon=True)
        self._worker.start()
        return ready

    def report(self, scale: float = 1.0) -> bool:
        """Write the status file when what is shown changed (the result, the scene's scale);
        whether it was written. Nothing without a control file."""
        if self.control_file is None or self.current is None:
            return False
        status = {"result": self.current.result_id, "scale": round(float(scale), 6)}
        if status == self._reported:
            return False
        self._reported = status
        path = self.control_file.parent / STATUS_FILE_NAME
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_text(json.dumps(status), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:  # the editor's folder went away: it is not listening
            _warn(f"could not write {path}: {exc}")
        return True

    def step_result(self, step: int) -> str | None:
        """Show the next (``step=1``) or previous (``-1``) result of the project, wrapping.

        The mesh is built on the worker thread like an edit's (:meth:`poll` returns it);
        the editor's depth interpretation belonged to the result shown, so it is dropped.

        Returns
        -------
        str or None
            The id of the result being built, or ``None`` when there is nothing to step to
            (one result) or a rebuild is still running (the press is ignored).
        """
        ids = [r.id for r in self.project.results]
        cur = self.current
        if not step or len(ids) < 2 or (self._worker is not None and self._worker.is_alive()):
            return None
        here = ids.index(cur.result_id) if cur.result_id in ids else 0
        want = ids[(here + int(np.sign(step))) % len(ids)]
        self._worker = threading.Thread(target=self._rebuild, name="xr-mesh",
                                        args=(want, cur.settings, None, self._mtime),
                                        daemon=True)
        self._worker.start()
        return want

    def _rebuild(self, result_id: str, settings: MeshSettings, interpretation,
                 mtime: float) -> None:
        try:
            project = self.project
            if mtime != self._mtime:
                project = self._load(self.project_path)
            state = _build(self.project_path, project, result_id, settings, interpretation)
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
