"""The exporter registry: one path from a scene to every file format, meshes built once."""

from __future__ import annotations

import pytest

from scene.errors import InputError
from scene.export_glb import write_scene_glb
from scene.exporters import EXPORTERS, ExportOptions, export, export_scene
from scene.mesh_settings import MeshSettings

from .composition_cases import composition


def test_every_format_is_registered():
    assert set(EXPORTERS) == {"glb", "ply", "images", "cubemap", "preset", "splats", "usdz"}


def test_one_call_builds_the_meshes_once_and_writes_every_format(tmp_path, monkeypatch):
    import scene.scene_mesh as sm

    comp = composition(64)
    calls = []

    original = sm.build_scene_meshes

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(sm, "build_scene_meshes", counting)
    targets = {"glb": tmp_path / "a.glb", "ply": tmp_path / "a.ply",
               "images": tmp_path / "flat", "cubemap": tmp_path / "faces"}
    options = ExportOptions(mesh_settings=MeshSettings(cut_threshold=0.1), texture="png",
                            face_size=16)
    outcomes = export_scene(comp, targets, options)
    assert len(calls) == 1 and calls[0][1] == options.mesh_settings
    assert [o.format for o in outcomes] == list(targets)
    assert all(p.exists() for o in outcomes for p in o.paths)
    assert len(outcomes[3].paths) == 6
    # The registry's GLB is the scene writer's, byte for byte.
    meshes = original(comp, options.mesh_settings)
    write_scene_glb(tmp_path / "b.glb", comp, meshes, texture="png")
    assert (tmp_path / "a.glb").read_bytes() == (tmp_path / "b.glb").read_bytes()


def test_image_formats_build_no_mesh(tmp_path, monkeypatch):
    import scene.scene_mesh as sm

    monkeypatch.setattr(sm, "build_scene_meshes", lambda *a, **k: pytest.fail("built a mesh"))
    export("cubemap", composition(64), tmp_path / "faces", ExportOptions(face_size=8))


def test_unknown_formats_are_refused_before_any_work(tmp_path):
    with pytest.raises(InputError, match="unknown export format"):
        export_scene(composition(64), {"glb": tmp_path / "a.glb", "obj": tmp_path / "a.obj"})
    assert not (tmp_path / "a.glb").exists()
