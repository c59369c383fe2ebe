"""Where an output may be written: one set of rules for every writer.

Every file Panoforge writes goes through :mod:`scene.atomic`, which applies these rules; the
front-ends also call :func:`check_output` for each target before any work is done, so a bad
path is refused before a mesh is built or a model runs.

Rules
-----
- An output file only ever replaces a **regular file**. A folder, device node (``/dev/null``,
  ``/dev/full``), FIFO or socket at the path is refused.
- A **symlink** is followed: the file it points to is replaced atomically (the link stays a
  link). A link into a device or folder is refused like the device or folder itself.
- The folders above the path are made when missing, and every folder made is announced to the
  listeners in :data:`FOLDER_LISTENERS` (the command line prints ``created folder X``). A file
  where a folder is needed (``--images FILE/sub``) is refused.
- A full or read-only disk, or a missing permission, becomes :class:`OutputError`: "the disk is
  full at PATH, nothing was changed" (the atomic writer leaves the previous file intact).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

from .errors import PanoforgeError

__all__ = [
    "OutputError", "check_output", "check_output_file", "check_output_folder", "make_folder",
    "write_error", "FOLDER_LISTENERS",
]

#: ``callable(Path) -> None`` called with each folder :func:`make_folder` creates.
FOLDER_LISTENERS: list[Callable[[Path], None]] = []


class OutputError(PanoforgeError, OSError):
    """An output cannot be written at the path given (nothing was changed).

    Also an ``OSError``, so code that caught the writer's ``OSError`` still catches it.
    """


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words (``None`` for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _existing_ancestor(folder: Path, what: str, shown: Path) -> Path:
    """The nearest folder above (or at) ``folder`` that exists; refuse a file in the way."""
    probe = folder
    while True:
        try:
            st = os.stat(probe)
        except FileNotFoundError:
            if probe.parent == probe:
                return probe
            probe = probe.parent
            continue
        except NotADirectoryError:
            probe = probe.parent
            continue
        except OSError as exc:
            raise write_error(exc, shown, what) from None
        if not stat.S_ISDIR(st.st_mode):
            raise OutputError(
                f"cannot write {what} {shown}: {probe} is {_kind(st.st_mode) or 'a file'}, "
                f"not a folder",
                hint="choose a path inside a folder")
        return probe


def _check_writable_folder(folder: Path, what: str, shown: Path) -> None:
    if _read_only(folder):
        raise OutputError(f"the disk is read-only at {shown}, nothing was changed",
                          hint="choose a path on a writable disk")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"no permission to write {what} {shown} (in {folder}), nothing was "
                          "changed", hint="choose a folder you can write to")


def check_output_file(path: str | os.PathLike, what: str = "the output") -> Path:
    """Refuse ``path`` as an output file unless it is (or will be) a regular file.

    Parameters
    ----------
    path : str or PathLike
    what : str
        The output in the user's words (``"--glb"``, ``"the project"``), for messages.

    Returns
    -------
    Path
        The file to write: ``path`` itself, or the file a symlink points to.

    Raises
    ------
    OutputError
        A folder, device, FIFO or socket at ``path``; a file where a folder is needed above it;
        a read-only disk or a folder without write permission.
    """
    shown = Path(path)
    target = Path(os.path.realpath(shown)) if shown.is_symlink() else shown
    try:
        st = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:
        raise write_error(exc, shown, what) from None
    if st is not None:
        kind = _kind(st.st_mode)
        if kind is not None:
            via = f" (the symlink {shown} points to {target})" if target != shown else ""
            hint = (f"give a file name inside it, e.g. {shown / 'scene'}{shown.suffix or ''}"
                    if stat.S_ISDIR(st.st_mode) else "choose a path to a regular file")
            raise OutputError(f"{what} {shown} is {kind}{via}; Panoforge only replaces regular "
                              "files, so nothing was written", hint=hint)
    folder = target.parent if str(target.parent) else Path(".")
    ancestor = _existing_ancestor(folder, what, shown)
    _check_writable_folder(ancestor, what, shown)
    return target


def check_output_folder(path: str | os.PathLike, what: str = "the output folder") -> Path:
    """Refuse ``path`` as an output folder when it, or a folder above it, is not a folder.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
    """
    folder = Path(path)
    ancestor = _existing_ancestor(folder, what, folder)
    _check_writable_folder(ancestor, what, folder)
    return folder


def check_output(path: str | os.PathLike, *, folder: bool = False, what: str = "the output") -> Path:
    """:func:`check_output_folder` when ``folder`` else :func:`check_output_file`."""
    return check_output_folder(path, what) if folder else check_output_file(path, what)


def make_folder(folder: str | os.PathLike, what: str = "the output") -> Path:
    """Make ``folder`` and the folders above it when missing, announcing each one made.

    Raises
    ------
    OutputError
        A file where a folder is needed, a read-only or full disk, no permission.
    """
    folder = Path(folder) if str(folder) else Path(".")
    if folder.is_dir():
        return folder
    ancestor = _existing_ancestor(folder, what, folder)
    missing = []
    probe = folder
    while probe != ancestor and probe.parent != probe:
        missing.append(probe)
        probe = probe.parent
    for made in reversed(missing):
        try:
            os.mkdir(made)
        except FileExistsError:
            if not made.is_dir():
                raise OutputError(f"cannot make the folder {made}: a file is in the way",
                                  hint="choose another path") from None
            continue
        except OSError as exc:
            raise write_error(exc, made, what) from None
        for listener in list(FOLDER_LISTENERS):
            listener(made)
    return folder


_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}


def write_error(exc: OSError, path: str | os.PathLike, what: str = "the output") -> OutputError:
    """The :class:`OutputError` a user reads for an ``OSError`` raised while writing ``path``."""
    path = Path(path)
    code = exc.errno
    if code in _FULL:
        return OutputError(f"the disk is full at {path}, nothing was changed",
                           hint="free some space or choose another disk")
    if code == errno.EROFS:
        return OutputError(f"the disk is read-only at {path}, nothing was changed",
                           hint="choose a path on a writable disk")
    if code in (errno.EACCES, errno.EPERM):
        return OutputError(f"no permission to write {what} {path}, nothing was changed",
                           hint="choose a folder you can write to")
    if code == errno.ENOTDIR:
        return OutputError(f"cannot write {what} {path}: a file is where a folder should be",
                           hint="choose a path inside a folder")
    if code == errno.EISDIR:
        return OutputError(f"{what} {path} is a folder, nothing was written",
                           hint="give a file name inside it")
    reason = exc.strerror or str(exc)
    return OutputError(f"cannot write {what} {path}: {reason}, nothing was changed",
                       hint="check the path and the disk")
