"""The command line's terminal plumbing: a closed pipe and the folders it makes.

- **A closed pipe** (``panoforge export ... | head -1``): like other command-line tools, the
  work goes on and the rest of the output is dropped. :func:`guard_stdout` swaps ``sys.stdout``
  for a writer that, on the first ``BrokenPipeError``, points file descriptor 1 at
  ``/dev/null`` and stays quiet; files are still written, the exit status is the command's, and
  there is no traceback (not even Python's "Exception ignored" at exit).
- **Folders made for outputs**: :func:`announce_folders` prints ``created folder X`` for each
  folder :func:`scene.output_paths.make_folder` creates while a command runs.

Only the standard library is imported, so ``panoforge --help`` stays cheap.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator

__all__ = ["guard_stdout", "announce_folders", "PipeSafeWriter"]


class PipeSafeWriter(io.TextIOBase):
    """A text stream over ``stream`` that drops everything once the reader has gone.

    Parameters
    ----------
    stream : TextIO
        The real ``sys.stdout``.
    """

    def __init__(self, stream) -> None:
        super().__init__()
        self._stream = stream
        self.closed_pipe = False

    def _silence(self) -> None:
        self.closed_pipe = True
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            try:
                self._stream.write(text)
                if "\n" in text:
                    self._stream.flush()
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._silence()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False

    @property
    def encoding(self):  # noqa: D401 - like TextIOWrapper
        return getattr(self._stream, "encoding", "utf-8")

    def writable(self) -> bool:
        return True


@contextlib.contextmanager
def guard_stdout() -> Iterator[PipeSafeWriter]:
    """``sys.stdout`` becomes a :class:`PipeSafeWriter` for the duration (see module doc)."""
    real = sys.stdout
    if isinstance(real, PipeSafeWriter) or real is None:
        yield real
        return
    safe = PipeSafeWriter(real)
    sys.stdout = safe
    try:
        yield safe
        safe.flush()
    finally:
        sys.stdout = real
        if safe.closed_pipe:
            with contextlib.suppress(OSError, ValueError):
                real.flush()


@contextlib.contextmanager
def announce_folders(stream=None) -> Iterator[None]:
    """Print ``created folder X`` for each output folder made while the block runs."""
    from scene.output_paths import FOLDER_LISTENERS

    def say(folder) -> None:
        print(f"created folder {folder}", file=stream if stream is not None else sys.stdout)

    FOLDER_LISTENERS.append(say)
    try:
        yield
    finally:
        FOLDER_LISTENERS.remove(say)
