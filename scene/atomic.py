"""Atomic file writes: a crash mid-write leaves the previous file intact.

Write to a temporary file in the same folder, flush and fsync it, ``os.replace`` it over the
target, then fsync the folder so the rename itself is durable.

The rules of :mod:`scene.output_paths` apply: only a regular file is ever replaced (a device,
FIFO, socket or folder at the path is refused), a symlink is followed (the file it points to is
replaced, atomically, and the link stays), a full or read-only disk becomes
:class:`scene.output_paths.OutputError` with the previous file intact.

Temporary files are named ``.NAME.panoforge-tmp-PID-XXXXXXXX`` (hidden, next to the target).
One left behind by a process that was killed (``kill -9``, power loss) is removed by the next
write to that folder: a temporary file whose process is gone, or whose process id now belongs
to a process started after the file was last written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .output_paths import check_output_file, make_folder, write_error

__all__ = ["atomic_writer", "atomic_write_bytes", "TEMP_MARK", "remove_stale_temp_files",
           "writer_is_gone"]

_DISK_ERRORS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG, errno.EROFS}
#: What every temporary file's name contains (``.NAME.panoforge-tmp-PID-XXXXXXXX``).
TEMP_MARK = ".panoforge-tmp-"
_TEMP_RE = re.compile(r"^\..*\.panoforge-tmp-(\d+)-[A-Za-z0-9_]+$")


def writer_is_gone(pid: int, when: float) -> bool | None:
    """Whether the process ``pid`` that wrote something at ``when`` (epoch seconds) is gone.

    True when no such process exists or the id now belongs to a process started after
    ``when`` (ids are reused); False while it may still be writing; None when it cannot be
    told. The one rule for leftovers of interrupted writes (temporary files here, batch
    staging folders in :mod:`app.batch.execute`).
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, owned by someone else
    except OSError:
        return None
    try:
        started = os.stat(f"/proc/{pid}").st_ctime
    except OSError:
        return False  # alive, and its start time is unknown: keep the file
    return started > when + 1.0


def remove_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Remove Panoforge's own temporary files in ``folder`` whose writer is gone.

    Returns
    -------
    list of Path
        The files removed (never anything but ``.*.panoforge-tmp-PID-*`` regular files).
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is None or int(m.group(1)) == os.getpid():
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or not writer_is_gone(int(m.group(1)),
                                                                          st.st_mtime):
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _final_mode(target: Path) -> int:
    """Permissions for the new file: the old file's, else what the umask allows (mkstemp's 0600
    would hide saved scenes from other users and tools)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open ``path`` for binary writing so that it appears whole or not at all.

    Yields
    ------
    BinaryIO
        A file in the target's folder; on normal exit it replaces ``path`` atomically, on an
        exception it is removed and ``path`` is left as it was.

    Raises
    ------
    scene.output_paths.OutputError
        Before anything is written: a folder, device, FIFO or socket at ``path`` (or where a
        symlink at ``path`` points), a file where a folder is needed. While writing: the disk
        is full or read-only ("nothing was changed"; the previous file is intact).
    """
    shown = Path(path)
    target = check_output_file(shown)
    folder = target.parent if str(target.parent) else Path(".")
    make_folder(folder)
    remove_stale_temp_files(folder)
    name = target.name[:180]
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}{TEMP_MARK}{os.getpid()}-", dir=folder)
    except OSError as exc:
        raise write_error(exc, shown) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fchmod(fh.fileno(), _final_mode(target))
            os.fsync(fh.fileno())
        check_output_file(target)  # (still a regular file or nothing: never replace a device)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno in _DISK_ERRORS:
            raise write_error(exc, shown) from None
        raise
    _fsync_dir(folder)


def atomic_write_bytes(path: str | os.PathLike, data: bytes | bytearray | memoryview) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path) as fh:
        fh.write(data)
