"""`panoforge prop add --texture-size N` stores a prop with a baked texture atlas (issue 12)."""

from __future__ import annotations

from scene.testing.analytic import box_room


def test_prop_add_texture_size_saves_a_textured_prop(tmp_path):
    from app.cli import main
    from scene.project import Project, load_project, save_project

    p = Project()
    p.add_result(box_room(64, pillar=None).panorama, label="room")
    path = tmp_path / "room.panoforge"
    save_project(path, p)
    assert main(["prop", "add", str(path), "--prompt", "rock", "--backend", "procedural",
                 "--at", "-1", "-1.6", "-2", "--height", "0.5", "--grid", "24",
                 "--texture-size", "128"]) == 0
    (prop,) = load_project(path).active.props
    assert prop.mesh.texture.shape == (128, 128, 3) and prop.mesh.colors is None
    assert prop.mesh.uvs.shape == (prop.mesh.n_vertices, 2)


def test_the_window_s_add_prop_can_bake_the_atlas(make_window, qtbot):
    from app.window.props import PropDialog, PropOptions
    from tests.app.conftest import wait_mesh

    w = make_window()
    dlg = PropDialog(w)
    dlg.texture.setCurrentIndex(dlg.texture.findData(1024))
    assert dlg.options().texture_size == 1024 and PropOptions().texture_size == 0
    dlg.deleteLater()
    w.doc.add_result(box_room(128).panorama, kind="imported")
    wait_mesh(qtbot, w)
    with qtbot.waitSignal(w.stages.stageEnded, timeout=60000) as sig:
        w.props.begin(PropOptions(prompt="a rock", height=0.5, grid=32, texture_size=128))
    assert sig.args == ["add_prop", "finished"]
    made = w.props.pending[1]
    assert made.mesh.texture.shape == (128, 128, 3) and made.mesh.colors is None
