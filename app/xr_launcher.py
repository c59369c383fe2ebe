"""The window's "View in headset": `panoforge xr` in its own process, fed the editor's edits.

A separate process means a runtime that crashes or hangs cannot take the editor down, and the
XR process stays small (no Qt, no torch). The editor talks to it through a small JSON control
file (see :mod:`renderers.xr.scene_source`) that the XR process polls about once a second::

    handle = start_headset("forest.panoforge")        # returns at once
    handle.update(result_id="r3", interpretation=pano.interpretation)  # shown within ~1 s
    handle.update(cut_threshold=0.1)
    handle.running                                      # False once the process has ended
    handle.mirror_file                                  # the left eye, a few times a second
    handle.status()                                     # {"result": "r2", "scale": 2.0}
    handle.stop()                                       # ends the session cleanly

Nothing here imports Qt: the window polls :attr:`HeadsetHandle.running` (or
:meth:`HeadsetHandle.poll`) from a timer and shows :meth:`HeadsetHandle.output` when the process
ended with an error (exit code 2 carries the "start your runtime" message).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from scene.atomic import atomic_write_bytes

__all__ = ["start_headset", "HeadsetHandle", "CONTROL_FILE_NAME", "MIRROR_FILE_NAME"]

CONTROL_FILE_NAME = "xr-control.json"
LOG_FILE_NAME = "xr.log"
#: The desktop mirror the XR process writes beside the control file (renderers.xr.mirror).
MIRROR_FILE_NAME = "xr-mirror.png"
#: What the headset shows, written by the XR process (renderers.xr.scene_source).
STATUS_FILE_NAME = "xr-status.json"

#: Builds the XR process's command line from (project path, control file path).
CommandBuilder = Callable[[Path, Path], Sequence[str]]


def _default_command(project: Path, control: Path) -> list[str]:
    return [sys.executable, "-m", "app", "xr", str(project), "--control-file", str(control)]


class HeadsetHandle:
    """A running (or finished) headset session started by :func:`start_headset`.

    Attributes
    ----------
    process : subprocess.Popen
    control_file : Path
        The JSON file :meth:`update` and :meth:`stop` write.
    log_file : Path
        The process's stdout and stderr.
    mirror_file : Path
        The PNG the XR process rewrites a few times a second with the left eye's image,
        downscaled (absent until the first frame is drawn).
    """

    def __init__(self, process: subprocess.Popen, control_file: Path, log_file: Path,
                 log_handle, state: dict) -> None:
        self.process = process
        self.control_file = control_file
        self.log_file = log_file
        self.mirror_file = control_file.parent / MIRROR_FILE_NAME
        self._log_handle = log_handle
        self._state = state

    # -- status ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the XR process is still alive."""
        return self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit code once ended (0 clean, 2 no runtime / bad input), else ``None``."""
        return self.process.poll()

    def poll(self) -> int | None:
        """Same as :attr:`returncode` (for a window timer)."""
        return self.process.poll()

    def output(self) -> str:
        """What the XR process printed so far (its messages, for the window to show)."""
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    # -- talking to it -----------------------------------------------------------------
    def _write(self) -> None:
        self._state["seq"] = int(self._state.get("seq", 0)) + 1
        atomic_write_bytes(self.control_file, json.dumps(self._state).encode("utf-8"))

    def update(self, *, result_id: str | None = None, interpretation=None,
               cut_threshold: float | None = None) -> None:
        """Send edits; the headset shows them within about a second.

        Parameters
        ----------
        result_id : str, optional
            Show another result of the project (saved in the project file, with its layers
            and props). Picking another result without an ``interpretation`` drops the one
            sent before (it belonged to the other result).
        interpretation : DepthInterpretation or dict, optional
            The result's depth interpretation as the editor has it (its near/far included);
            sent as its ``to_dict()``.
        cut_threshold : float, optional
            The meshes' discontinuity cut threshold.
        """
        if result_id is not None:
            if str(result_id) != self._state.get("result"):
                self._state.pop("interpretation", None)
            self._state["result"] = str(result_id)
        if interpretation is not None:
            data = interpretation if isinstance(interpretation, dict) else interpretation.to_dict()
            self._state["interpretation"] = dict(data)
        if cut_threshold is not None:
            self._state["cut_threshold"] = float(cut_threshold)
        self._write()

    def status(self) -> dict | None:
        """What the headset shows, as its XR process last reported it (``{"result": ID,
        "scale": S}``, see :mod:`renderers.xr.scene_source`), or ``None`` before the first
        report."""
        try:
            data = json.loads((self.control_file.parent / STATUS_FILE_NAME).read_text(
                encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def request_dump(self, folder: str, n: int) -> None:
        """Ask for the next drawn frame's eye images and ``frame.json`` in ``folder`` (a path
        as the XR process sees it; ``n`` a new number for every request). Tests use it."""
        self._state["dump"] = {"dir": str(folder), "n": int(n)}
        self._write()

    def stop(self, timeout: float = 10.0) -> int | None:
        """End the session: ask the XR process to quit, then insist if it does not.

        The process ends the OpenXR session properly when asked (within about a second); after
        ``timeout`` seconds it gets SIGTERM (which it also handles cleanly), then is killed.

        Returns
        -------
        int or None
            The exit code.
        """
        if self.running:
            self._state["quit"] = True
            self._write()
            for sig_wait in (timeout, 5.0):
                try:
                    self.process.wait(sig_wait)
                    break
                except subprocess.TimeoutExpired:
                    if sig_wait == timeout:
                        self.process.terminate()
            if self.running:
                self.process.kill()
                self.process.wait()
        if not self._log_handle.closed:
            self._log_handle.close()
        return self.process.returncode

    def wait_for_output(self, text: str, timeout: float = 30.0) -> bool:
        """Wait until the process printed ``text`` (or ended); whether it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if not self.running:
                return text in self.output()
            time.sleep(0.1)
        return False


def start_headset(project_path, result_id: str | None = None, *,
                  workdir=None, command: CommandBuilder | None = None) -> HeadsetHandle:
    """Start ``panoforge xr`` on a saved project, in its own process; returns at once.

    Parameters
    ----------
    project_path : str or Path
        The ``.panoforge`` file (save the project first: the XR process reads the file, and
        re-reads it when it changes).
    result_id : str, optional
        The result to show first (default: the project's active result).
    workdir : str or Path, optional
        Where the control file and the log go (default: a new temporary folder).
    command : callable, optional
        ``command(project_path, control_file) -> argv`` (default: this Python running
        ``-m app xr``); lets a caller run it another way (the tests run it in a chroot).
        ``--result ID`` is appended when ``result_id`` is given.

    Returns
    -------
    HeadsetHandle

    Raises
    ------
    InputError
        The project file does not exist (save the project first).
    """
    from scene.errors import InputError

    if project_path is None or not Path(project_path).is_file():
        raise InputError(f"no saved project at {project_path!s}",
                         hint="save the project first: the headset reads the project file")
    project = Path(project_path).resolve()
    folder = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="panoforge-xr-"))
    folder.mkdir(parents=True, exist_ok=True)
    control = folder / CONTROL_FILE_NAME
    log_path = folder / LOG_FILE_NAME
    state: dict = {"seq": 0, "mirror": MIRROR_FILE_NAME}
    if result_id:
        state["result"] = str(result_id)
    atomic_write_bytes(control, json.dumps(state).encode("utf-8"))
    argv = list((command or _default_command)(project, control))
    if result_id:
        argv += ["--result", str(result_id)]
    log = open(log_path, "w", encoding="utf-8")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    kwargs = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True  # Ctrl+C in the editor's terminal is not ours
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            env=env, cwd=str(Path(__file__).resolve().parents[1]), **kwargs)
    return HeadsetHandle(proc, control, log_path, log, state)
