"""The Export dialog's engine presets: each one's text and its size before writing, and the
window writing the preset's file through the same planner as the CLI."""

from __future__ import annotations

from scene.composition import Scene
from scene.export_presets import PRESETS, estimate
from scene.gltf_compress import read_glb
from scene.mesh_settings import MeshSettings
from scene.testing.analytic import box_room


def test_dialog_shows_each_presets_text_and_estimate(qt_app):
    from app.window.dialogs.export_dialog import ExportChoices, ExportDialog

    scene = Scene(dome=box_room(128).panorama)
    dialog = ExportDialog(ExportChoices(scene=scene, mesh=MeshSettings()))
    panel = dialog.preset_panel
    assert panel.preset() is None and dialog.options().preset is None
    for name, preset in PRESETS.items():
        panel.combo.setCurrentIndex(panel.combo.findData(name))
        assert panel.about.text() == preset.about
        est = estimate(scene, preset, MeshSettings())
        assert f"{est.triangles:,} triangles" in panel.size_label.text()
        assert dialog.options().preset == name
    dialog.deleteLater()


def test_window_plan_writes_the_preset_file(qt_app, tmp_path):
    from app.window.dialogs.export_dialog import ExportChoices
    from app.window.exporting import export_plan, export_result

    scene = Scene(dome=box_room(128).panorama)
    opts = ExportChoices(folder=tmp_path, stem="room", glb=False, preset="unreal", scene=scene)
    plan = export_plan(opts)
    assert [t.format for t in plan.targets] == ["preset"] and plan.scene is scene
    written, _ = export_result(scene.dome, opts)
    assert written == [tmp_path / "room.unreal.glb"]
    g = read_glb(written[0].read_bytes()).gltf
    assert g["extensionsRequired"] == ["KHR_draco_mesh_compression"]


def test_the_ktx2_box_follows_the_engine_and_writes_basisu_textures(qt_app, tmp_path):
    """The dialog's "KTX2 textures" box is what ``--ktx2`` is: offered only for engines that
    read KTX2, and then the preset file's textures are KHR_texture_basisu."""
    from app.window.dialogs.export_dialog import ExportChoices, ExportDialog
    from app.window.exporting import export_result

    scene = Scene(dome=box_room(128).panorama)
    dialog = ExportDialog(ExportChoices(folder=tmp_path, stem="room", glb=False, scene=scene,
                                        mesh=MeshSettings()))
    panel = dialog.preset_panel
    readers = {n for n, p in PRESETS.items() if p.reads_ktx2}
    assert readers == {"unity", "web", "quest"}
    for name in PRESETS:
        panel.combo.setCurrentIndex(panel.combo.findData(name))
        assert panel.ktx2_box.isEnabled() == (name in readers), name
    panel.combo.setCurrentIndex(panel.combo.findData("godot"))
    panel.ktx2_box.setChecked(True)
    assert dialog.options().ktx2 is False  # godot reads no KTX2: the tick does not apply
    panel.combo.setCurrentIndex(panel.combo.findData("web"))
    assert "triangles" in panel.size_label.text()
    opts = dialog.options()
    assert opts.preset == "web" and opts.ktx2 is True
    dialog.deleteLater()
    written, _ = export_result(scene.dome, opts)
    g = read_glb(written[0].read_bytes()).gltf
    assert "KHR_texture_basisu" in g["extensionsRequired"]
    assert {im["mimeType"] for im in g["images"]} == {"image/ktx2"}
