"""The renderers' layer meshes are the exporters' (one rule: scene.scene_mesh.build_layer_meshes)."""

from __future__ import annotations

import numpy as np

import renderers.scene_parts as scene_parts_module
import scene.scene_mesh as scene_mesh
from renderers.scene_parts import scene_parts
from scene.mesh import DEFAULT_SETTINGS
from scene.mesh_settings import MeshSettings
from tests.renderers.composition_fixtures import composition


def test_scene_parts_draws_the_layers_the_exporters_write():
    _, scene = composition()
    settings = MeshSettings(mode="adaptive", max_error=0.02)
    parts = scene_parts(scene, settings)
    built = scene_mesh.build_scene_meshes(scene, settings)
    assert parts.layers and len(parts.layers) == len(built.layers)
    for part, (layer, mesh) in zip(parts.layers, built.layers, strict=True):
        assert part.id == layer.id
        np.testing.assert_array_equal(part.mesh.positions, mesh.positions)
        np.testing.assert_array_equal(part.mesh.faces, mesh.faces)


def test_scene_parts_asks_the_scene_rule_which_layers_to_mesh(monkeypatch):
    """A copy of the layer rule in the renderers would ignore the scene's function."""
    _, scene = composition()
    calls = []

    def no_layers(sc, settings=DEFAULT_SETTINGS):
        calls.append(settings)
        return ()

    monkeypatch.setattr(scene_mesh, "build_layer_meshes", no_layers)
    assert scene_parts_module.scene_parts(scene).layers == ()
    assert calls == [DEFAULT_SETTINGS]
