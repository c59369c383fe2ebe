"""The one-model slot the backends share: reload only when the key changes."""

from __future__ import annotations

from models.loaded_model import LoadedModel


def test_the_model_is_loaded_once_per_key_and_dropped_before_the_next():
    slot, loads = LoadedModel(), []

    def load(name):
        def run():
            assert slot.value is None  # the previous model is dropped before loading
            loads.append(name)
            return object()
        return run

    a = slot.get("a", load("a"))
    assert slot.get("a", load("a")) is a and loads == ["a"]
    b = slot.get("b", load("b"))
    assert b is not a and loads == ["a", "b"] and slot.value is b
    slot.clear()
    assert slot.value is None
    with slot.lock:  # re-entrant: a run holds it while asking for the model
        slot.get("b", load("b"))
    assert loads == ["a", "b", "b"]
