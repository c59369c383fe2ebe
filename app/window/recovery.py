"""Nothing lost: every result is on disk as soon as it arrives, and a crash is recoverable.

Each running window owns a *session folder* ``<AppDataLocation>/sessions/<pid>-<start time>``
holding ``session.json`` (its process id, the open project's path and where its recovery copy
is). The recovery copy is a complete ``.panoforge`` project written atomically
(:func:`scene.project.save_project`) after every new result and, debounced, after edits:

- next to a saved project: ``.<name>.panoforge.recovery`` (same folder, same disk);
- for an untitled project: ``untitled.panoforge`` inside the session folder.

Saving the project makes the copy redundant, so it is removed; closing cleanly removes the
session folder. A session folder whose process no longer exists is an *orphan*: the window
that starts next lists the orphans and offers to recover them (:func:`find_orphans`).

Writes run on a background thread (the newest snapshot wins), so a large project never
stalls the window; :meth:`RecoveryStore.flush` waits for them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from scene.atomic import atomic_write_bytes

from .latest_worker import LatestWorker

__all__ = ["RecoveryStore", "Orphan", "find_orphans", "recovery_path_for", "default_root",
           "project_snapshot", "SESSION_FILE", "UNTITLED_NAME"]

SESSION_FILE = "session.json"
UNTITLED_NAME = "untitled.panoforge"


def default_root() -> Path:
    """``<AppDataLocation>/sessions`` (``~/.local/share/Panoforge/Panoforge/sessions`` here)."""
    from PySide6.QtCore import QStandardPaths

    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not base:
        base = str(Path.home() / ".local" / "share" / "Panoforge")
    return Path(base) / "sessions"


def recovery_path_for(project_path: str | os.PathLike) -> Path:
    """Where the recovery copy of a saved project lives: ``.<name>.recovery`` beside it."""
    p = Path(project_path)
    return p.parent / f".{p.name}.recovery"


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id runs a Python/Panoforge program now."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # a reused id belongs to some other program
        with contextlib.suppress(OSError):
            text = cmdline.read_bytes().lower()
            return b"python" in text or b"panoforge" in text
    return True


def project_snapshot(project):
    """A shallow copy of ``project`` whose result list no longer changes with the open one,
    for a background writer. The results are shared: an edit made during a write may land in
    that copy or not, and the edit's own change notice queues the next write, which has it."""
    if dataclasses.is_dataclass(project):
        snap = dataclasses.replace(project)
    else:
        import copy

        snap = copy.copy(project)
    snap.results = list(project.results)
    return snap


@dataclass
class Orphan:
    """A recovery copy left behind by a session that did not close cleanly.

    Parameters
    ----------
    session_dir : Path
    recovery_file : Path
        The ``.panoforge`` copy to load.
    project_path : Path or None
        The project it belonged to (``None``: untitled).
    pid : int
    modified : float
        ``st_mtime`` of the recovery copy, seconds since the epoch.
    """

    session_dir: Path
    recovery_file: Path
    project_path: Path | None
    pid: int
    modified: float

    @property
    def title(self) -> str:
        name = self.project_path.name if self.project_path else "Untitled project"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.modified))
        return f"{name} (last written {when})"

    def discard(self) -> None:
        """Delete the copy and the session folder (the user chose not to recover it)."""
        with contextlib.suppress(OSError):
            self.recovery_file.unlink()
        shutil.rmtree(self.session_dir, ignore_errors=True)

    def forget(self, keep: Path | None = None) -> None:
        """After recovery: delete the session folder and the old copy (unless it is ``keep``,
        the new session's own copy, which can be the same file for a saved project)."""
        if keep is None or Path(keep) != self.recovery_file:
            with contextlib.suppress(OSError):
                self.recovery_file.unlink()
        shutil.rmtree(self.session_dir, ignore_errors=True)


def find_orphans(root: Path | None = None, exclude: Path | None = None) -> list[Orphan]:
    """Recovery copies of sessions whose process is gone, newest first.

    Parameters
    ----------
    root : Path, optional
        The sessions folder (default :func:`default_root`).
    exclude : Path, optional
        A session folder to skip (the caller's own).
    """
    root = Path(root) if root is not None else default_root()
    found: list[Orphan] = []
    if not root.is_dir():
        return found
    for folder in root.iterdir():
        if not folder.is_dir() or (exclude is not None and folder == exclude):
            continue
        try:
            info = json.loads((folder / SESSION_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            continue
        pid = int(info.get("pid", 0))
        if _pid_alive(pid):
            continue  # that window is still running
        rec = info.get("recovery_file")
        if not rec or not Path(rec).is_file():
            shutil.rmtree(folder, ignore_errors=True)  # nothing to recover
            continue
        proj = info.get("project_path")
        found.append(Orphan(folder, Path(rec), Path(proj) if proj else None, pid,
                            Path(rec).stat().st_mtime))
    found.sort(key=lambda o: o.modified, reverse=True)
    return found


class RecoveryStore:
    """This window's session folder and recovery copy.

    Parameters
    ----------
    root : Path, optional
        The sessions folder (default :func:`default_root`; tests pass a temporary one).
    writer : callable, optional
        ``(path, project) -> None``; default :func:`scene.project.save_project` (atomic).
    """

    def __init__(self, root: Path | None = None, writer=None) -> None:
        self.root = Path(root) if root is not None else default_root()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.session_dir = self.root / f"{os.getpid()}-{stamp}-{id(self) & 0xFFFF:04x}"
        self._writer = writer
        self._project_path: Path | None = None
        self.writes = 0
        self.last_error: Exception | None = None
        self._worker = LatestWorker("recovery", self._write_copy)

    # -- where ----------------------------------------------------------------------------
    @property
    def recovery_file(self) -> Path:
        if self._project_path is not None:
            return recovery_path_for(self._project_path)
        return self.session_dir / UNTITLED_NAME

    def set_project_path(self, path: Path | None) -> None:
        """The open project moved (Save As, Open): the copy moves with it."""
        new = Path(path) if path is not None else None
        if new == self._project_path:
            return
        self.flush()
        self._remove_copy()
        self._project_path = new
        self._write_session()

    # -- writing --------------------------------------------------------------------------
    def write(self, project) -> None:
        """Queue a complete copy of ``project`` (returns at once; see :meth:`flush`)."""
        self._worker.submit(project_snapshot(project))

    def flush(self, timeout_s: float = 60.0) -> bool:
        """Wait until every queued copy is on disk."""
        return self._worker.wait_idle(timeout_s)

    def saved(self) -> None:
        """The project was saved: its copy is redundant."""
        self.flush()
        self._remove_copy()
        self._write_session()

    def close(self) -> None:
        """Clean shutdown: remove the copy and the session folder."""
        self._worker.stop(drain=True, timeout_s=30)
        self._remove_copy()
        shutil.rmtree(self.session_dir, ignore_errors=True)

    # -- internals ------------------------------------------------------------------------
    def _remove_copy(self) -> None:
        with contextlib.suppress(OSError):
            self.recovery_file.unlink()

    def _write_session(self, has_copy: bool | None = None) -> None:
        if has_copy is None:
            has_copy = self.recovery_file.is_file()
        info = {
            "pid": os.getpid(),
            "started": self.session_dir.name,
            "project_path": str(self._project_path) if self._project_path else None,
            "recovery_file": str(self.recovery_file) if has_copy else None,
        }
        self.session_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.session_dir / SESSION_FILE,
                           json.dumps(info, indent=1).encode("utf-8"))

    def _write_copy(self, snap) -> None:
        """On the worker thread: write one snapshot as the recovery copy."""
        try:
            target = self.recovery_file
            writer = self._writer
            if writer is None:
                from scene.project import save_project as writer
            self.session_dir.mkdir(parents=True, exist_ok=True)
            writer(target, snap)
            self._write_session(has_copy=True)
            self.writes += 1
            self.last_error = None
        except Exception as exc:  # disk full, permissions: surfaced by the window
            self.last_error = exc
