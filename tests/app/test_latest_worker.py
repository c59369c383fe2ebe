"""The window's "latest wins" background worker (mesh rebuilds, recovery copies)."""

from __future__ import annotations

import threading

from app.window.latest_worker import LatestWorker


def _gated():
    """A handler that records items and blocks on a gate, so tests control the timing."""
    gate, started, seen = threading.Event(), threading.Event(), []

    def handle(item):
        started.set()
        gate.wait(10)
        seen.append(item)
        if item == "boom":
            raise RuntimeError("handler failed")

    return gate, started, seen, handle


def test_waiting_requests_are_replaced_by_the_newest():
    gate, started, seen, handle = _gated()
    w = LatestWorker("t", handle)
    w.submit(1)
    assert started.wait(5)  # 1 is being handled
    for item in (2, 3, 4):
        w.submit(item)
    assert not w.is_idle()
    gate.set()
    assert w.wait_idle(5)
    assert seen == [1, 4] and w.replaced == 2
    w.stop(drain=False)


def test_a_failing_handler_does_not_stop_the_worker():
    gate, started, seen, handle = _gated()
    gate.set()
    w = LatestWorker("t", handle)
    w.submit("boom")
    assert w.wait_idle(5)
    w.submit("after")
    assert w.wait_idle(5)
    assert seen == ["boom", "after"]
    w.stop(drain=False)


def test_stop_drains_or_drops_what_is_waiting():
    for drain, expected in ((True, [1, 2]), (False, [1])):
        gate, started, seen, handle = _gated()
        w = LatestWorker("t", handle)
        w.submit(1)
        assert started.wait(5)
        w.submit(2)
        threading.Timer(0.2, gate.set).start()
        w.stop(drain=drain, timeout_s=5)
        assert seen == expected, drain
        assert not w._thread.is_alive()
