"""One loaded model per process, kept while it is asked for with the same key.

Pipelines take gigabytes, so a backend keeps the last one it loaded and reloads only when
what identifies it (folder, weight variant, device, memory options) changes. The lock is
held by a backend for a whole run when the run changes the shared model (LDM3D's seamless
patch and memory options), so two runs never interleave.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

__all__ = ["LoadedModel"]


class LoadedModel:
    """A slot for one loaded model.

    Attributes
    ----------
    lock : threading.RLock
        Re-entrant: :meth:`get` may be called while it is held.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._key: Hashable | None = None
        self._value = None

    def get(self, key: Hashable, load: Callable[[], object]):
        """The model loaded for ``key``; ``load()`` runs when the slot holds another (or none).

        The previous model is dropped before loading, so two never sit in memory at once.
        """
        with self.lock:
            if self._value is None or self._key != key:
                self.clear()
                self._value = load()
                self._key = key
            return self._value

    @property
    def value(self):
        """The model held now, or ``None``."""
        return self._value

    def clear(self) -> None:
        """Forget the model (its memory is freed once nothing else refers to it)."""
        with self.lock:
            self._key = None
            self._value = None
