"""Work around a reference-counting defect of PySide6 6.12.0 on CPython 3.11.

PySide6/shiboken6 6.12.0 (the ``abi3`` wheels) return ``None`` from every ``void`` method and
``True`` from ``Signal.emit`` without taking a reference. On CPython 3.12+ these objects are
immortal (PEP 683) and nothing happens; on 3.11 each call lowers their reference count by
one, and after some tens of thousands of calls (minutes of a busy window, or one long test)
the interpreter aborts with ``Fatal Python error: none_dealloc`` / ``bool_dealloc``.
PySide6 6.11.3 does not have the defect.

:func:`protect_singletons` detects the defect with a cheap probe and, only when it is there,
makes ``None``, ``True`` and ``False`` effectively immortal by adding a very large number to
their reference counts (what CPython 3.12 does by design). It is a no-op on 3.12+ and with a
correct PySide6. The real fix is a PySide6 without the defect (``!=6.12.0``) or Python 3.12+.
"""

from __future__ import annotations

import sys

__all__ = ["singletons_leak", "protect_singletons"]

_BOOST = 1 << 40
_done = False


def singletons_leak() -> bool:
    """Whether calling a ``void`` PySide6 method loses a reference to ``None`` here."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("refcount-probe")
    return sys.getrefcount(None) < before - 32


def protect_singletons() -> bool:
    """Make ``None``/``True``/``False`` immortal if this PySide6 leaks them; True if it did."""
    global _done
    if _done:
        return True
    if not singletons_leak():
        return False
    import ctypes

    for obj in (None, True, False):
        # ob_refcnt is the first field of every object in CPython 3.11 (a Py_ssize_t).
        ctypes.c_ssize_t.from_address(id(obj)).value += _BOOST
    _done = True
    return True
