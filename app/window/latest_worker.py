"""A background thread that always works on the newest request ("latest wins").

The window has two of these jobs: rebuilding the mesh while the user drags a slider, and
writing the recovery copy of the project as results arrive. In both, a request that is still
waiting when a newer one comes is worthless, so it is replaced rather than queued. This class
is that mechanism, once; the callers supply what to do with an item.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["LatestWorker"]


class LatestWorker:
    """Run ``handle(item)`` on a daemon thread for the newest submitted item.

    Parameters
    ----------
    name : str
        The thread's name.
    handle : callable
        ``handle(item) -> None``; called on the worker thread, one item at a time. It should
        catch its own errors (an escaping exception is swallowed so the thread keeps serving).
    """

    def __init__(self, name: str, handle: Callable[[Any], None]) -> None:
        self._handle = handle
        self._cond = threading.Condition()
        self._pending: Any = None
        self._has_pending = False
        self._busy = False
        self._stop = False
        self.replaced = 0  #: requests replaced by a newer one before they were handled
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: Any) -> None:
        """Queue ``item``, replacing one that has not started yet."""
        with self._cond:
            if self._has_pending:
                self.replaced += 1
            self._pending, self._has_pending = item, True
            self._cond.notify()

    def is_idle(self) -> bool:
        """Nothing waiting and nothing being handled."""
        with self._cond:
            return not self._has_pending and not self._busy

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Block until idle; False if ``timeout_s`` seconds passed first."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._has_pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def stop(self, drain: bool, timeout_s: float = 30.0) -> None:
        """End the thread: after handling what is waiting (``drain``) or dropping it."""
        with self._cond:
            self._stop = True
            if not drain:
                self._pending, self._has_pending = None, False
            self._cond.notify_all()
        self._thread.join(timeout=timeout_s)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._has_pending and not self._stop:
                    self._cond.wait()
                if not self._has_pending:
                    return
                item, self._pending, self._has_pending = self._pending, None, False
                self._busy = True
            try:
                self._handle(item)
            except Exception:  # noqa: BLE001 - the handler reports its own errors
                pass
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
