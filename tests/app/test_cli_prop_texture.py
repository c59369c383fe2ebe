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
