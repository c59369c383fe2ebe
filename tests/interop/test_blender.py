"""Our GLB in Blender: imported with Blender's own glTF importer, checked, and rendered from inside.

``tools/interop/blender_check.py`` runs inside Debian's Blender (``blender -b --factory-startup``)
and reports what the import made: objects, the mesh's vertices converted back from Blender's
Z-up frame to glTF's Y-up frame, UVs, which way its faces point, the material's shader nodes,
the scene's custom properties; and Cycles (CPU) renders from a camera at the origin.

Known answers come from the analytic box room: the vertices must be ours bit for bit (so Blender
read metres and turned Y-up into Z-up and nothing else), their distances from the origin the
exact ray-cast distances, every face must face the origin, and each view from the centre must
show the flat colour of the surface the analytic room puts there (right way round, not mirrored).

The last test takes the route the issue's checker takes: a panorama with exact depth goes
through ``panoforge import`` and ``panoforge export --glb`` (full and adaptive meshes) and Blender
reads vertices whose distances are the true ones to the millimetre of the 16-bit depth file.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scene.project import load_project
from scene.testing.analytic import nested_spheres
from tests.gltf_validator import assert_clean

from .conftest import (
    ROOT,
    VIEWS,
    assert_view_is_right_way_round,
    run_blender,
)


def decode(b64: str, columns: int) -> np.ndarray:
    """A base64 float32 array from the report, as (N, columns) float64."""
    return np.frombuffer(base64.b64decode(b64), dtype="<f4").reshape(-1, columns).astype(np.float64)


@pytest.fixture(scope="module")
def blender_room(blender_exe, room_glb, tmp_path_factory):
    out = tmp_path_factory.mktemp("blender-room")
    return run_blender(blender_exe, room_glb.glb, out), room_glb


def test_one_mesh_object_with_every_vertex_and_face(blender_room):
    report, room = blender_room
    assert report["import"]["result"] == ["FINISHED"]
    assert sorted(report["objects"], key=lambda o: o["name"]) == [
        {"name": "dome", "type": "MESH"}, {"name": "scene", "type": "EMPTY"}]
    mesh = report["mesh"]
    assert mesh["vertices"] == room.mesh.n_vertices
    assert mesh["polygons"] == room.mesh.n_faces
    assert mesh["triangles_only"]


def test_vertices_come_back_as_ours_in_metres_y_up(blender_room):
    """Blender's Z-up coordinates, turned back to glTF's Y-up, are our float32 positions."""
    report, room = blender_room
    got = decode(report["mesh"]["positions_gltf"], 3)
    want = room.mesh.positions.astype(np.float64)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_vertex_distances_are_the_true_distances(blender_room):
    report, room = blender_room
    everything = decode(report["mesh"]["positions_gltf"], 3)
    # The cut faces' backing (scene.backing) comes after the surface: three vertices a face.
    surface = room.mesh.n_vertices - 3 * room.mesh.stats.get("backing_faces", 0)
    pos = everything[:surface]
    dist = np.linalg.norm(pos, axis=1)
    true = room.scene.distance_of(pos)
    assert np.all(np.isfinite(true))
    rel = np.abs(dist - true) / true
    assert rel.max() < 1e-6, f"largest relative error {rel.max():.3g} at vertex {rel.argmax()}"
    back = everything[surface:]  # on or behind the true surface in their direction
    assert np.all(np.linalg.norm(back, axis=1) >= room.scene.distance_of(back) * (1 - 1e-6))
    # Metres, not centimetres or inches: the room's walls are 3 to 4.5 m from the viewer.
    assert 1.39 < dist.min() and dist.max() < 8.0


def test_uvs_are_ours_and_not_flipped(blender_room):
    """Blender flips v on import; turned back, every vertex has our UV."""
    report, room = blender_room
    assert report["mesh"]["uv_layers"] == ["UVMap"]
    assert report["mesh"]["uv_loop_spread"] == 0.0
    uvs = decode(report["mesh"]["uvs_gltf"], 2)
    np.testing.assert_allclose(uvs, room.mesh.uvs, rtol=0, atol=1e-6)


def test_every_face_faces_the_origin(blender_room):
    report, _ = blender_room
    assert report["mesh"]["faces_facing_origin"] == report["mesh"]["polygons"]


def test_material_is_unlit_with_the_embedded_texture(blender_room):
    """KHR_materials_unlit becomes an Emission shader fed by the packed image, no lit BSDF."""
    report, room = blender_room
    mat = report["material"]
    assert mat["count"] == 1
    assert mat["unlit"], mat["nodes"]
    assert not mat["principled"], mat["nodes"]
    pano = room.scene.panorama
    assert mat["image"]["width"] == pano.width and mat["image"]["height"] == pano.height
    assert mat["image"]["packed"] and mat["image"]["colorspace"] == "sRGB"
    assert mat["repeat_u"], "the horizontal REPEAT wrap (seam column u > 1) was not imported"
    assert mat["backface_culling"], "doubleSided false should make Blender cull back faces"


def test_scene_extras_arrive_as_custom_properties(blender_room):
    report, room = blender_room
    props = report["scene_properties"]
    assert props["generation"] == json.loads(json.dumps(room.scene.panorama.metadata.record()))
    assert props["units"] == "metres"
    assert props["depth_interpretation"]["kind"] == "distance"
    assert props["mesh"]["vertices"] == room.mesh.n_vertices
    assert props["mesh"]["faces"] == room.mesh.n_faces


def _render(report: dict, name: str) -> np.ndarray:
    path = next(r["path"] for r in report["renders"] if r["name"] == name)
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.mark.parametrize("view", list(VIEWS))
def test_cycles_view_from_the_centre_is_the_right_way_round(blender_room, view):
    """Each view shows the analytic room's surfaces where they are, in their colours."""
    report, room = blender_room
    image = _render(report, view)
    assert_view_is_right_way_round(image, room.scene, view)


# -- the user's route: panoforge import, panoforge export, Blender ------------------------------
SPHERES_WIDTH = 256


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def imported_spheres(tmp_path_factory):
    """Nested spheres imported from a PNG and a 16-bit depth PNG in millimetres."""
    scene = nested_spheres(SPHERES_WIDTH)
    folder = tmp_path_factory.mktemp("cli-spheres")
    Image.fromarray(scene.panorama.rgb).save(folder / "spheres.png")
    mm = np.rint(np.asarray(scene.panorama.raw_depth, dtype=np.float64) * 1000).astype(np.uint16)
    Image.fromarray(mm).save(folder / "spheres_depth.png")
    res = _cli(folder, "import", "spheres.png", "--depth", "spheres_depth.png",
               "-o", "spheres.panoforge")
    assert res.returncode == 0, res.stderr
    return scene, folder


@pytest.mark.parametrize("mesh_mode", ["full", "adaptive"])
def test_cli_export_opens_in_blender_with_true_distances(imported_spheres, blender_exe,
                                                         mesh_mode):
    scene, folder = imported_spheres
    glb = folder / f"spheres-{mesh_mode}.glb"
    res = _cli(folder, "export", "spheres.panoforge", "--glb", glb.name, "--mesh", mesh_mode)
    assert res.returncode == 0, res.stderr
    assert_clean(glb)
    report = run_blender(blender_exe, glb, folder / f"blender-{mesh_mode}", render=False)

    # The root is named after the exported result's id (what `panoforge info` lists and
    # `export --result` takes), so an engine user can trace the node back to the project.
    root = load_project(folder / "spheres.panoforge").pick(None).id
    assert sorted(report["objects"], key=lambda o: o["name"]) == [
        {"name": "dome", "type": "MESH"}, {"name": root, "type": "EMPTY"}]
    parts = {p["name"]: p for p in report["parts"]}
    assert parts[root]["parent"] is None and parts["dome"]["parent"] == root
    mesh = report["mesh"]
    assert mesh["faces_facing_origin"] == mesh["polygons"] > 0
    assert report["material"]["unlit"]
    props = report["scene_properties"]
    assert props["mesh"]["mode"] == mesh_mode
    assert props["mesh"]["vertices"] == mesh["vertices"]
    # The cut faces are backed (scene.backing): three vertices each, after the surface's own.
    backing = props["mesh"]["backing_faces"]
    assert backing == props["mesh"]["cut_faces"] > 0
    surface = mesh["vertices"] - 3 * backing
    if mesh_mode == "full":
        assert surface == (SPHERES_WIDTH + 1) * (SPHERES_WIDTH // 2) + 2
    else:
        assert surface < (SPHERES_WIDTH + 1) * (SPHERES_WIDTH // 2) // 2

    everything = decode(mesh["positions_gltf"], 3)
    pos = everything[:surface]
    # The two pole vertices sit at the mean height of the nearest row, not on a pixel's ray.
    on_rays = np.hypot(pos[:, 0], pos[:, 2]) > 1e-6
    assert np.count_nonzero(~on_rays) == 2
    dist = np.linalg.norm(pos[on_rays], axis=1)
    true = scene.distance_of(pos[on_rays])
    # 16-bit depth in millimetres: half a millimetre of rounding, plus float32.
    tol = 0.0005 + 2e-6 * true.max()
    err = np.abs(dist - true)
    assert err.max() <= tol, f"largest error {err.max() * 1000:.3f} mm"
    # Backing vertices lie on or behind the true surface in their direction, never in front.
    back = everything[surface:]
    behind = np.linalg.norm(back, axis=1) - scene.distance_of(back)
    assert behind.min() >= -tol, f"a backing vertex {-behind.min() * 1000:.3f} mm in front"
    assert json.dumps(props["depth_interpretation"])  # the interpretation travelled too


def test_a_composition_arrives_with_every_part_in_place(blender_exe, composition_glb, tmp_path):
    """Dome, layer and props are objects under the named root; the props' vertices are where
    their transforms put them (Blender applied TRS and turned Z-up back, nothing else)."""
    scene, glb = composition_glb
    report = run_blender(blender_exe, glb, tmp_path, render=False)
    assert report["import"]["result"] == ["FINISHED"]
    parts = {p["name"]: p for p in report["parts"]}
    assert parts["room"]["type"] == "EMPTY" and parts["room"]["parent"] is None
    names = ["dome", "layer l1"] + [p.name for p in scene.props]
    for name in names:
        assert parts[name]["type"] == "MESH" and parts[name]["parent"] == "room", parts[name]
    for prop in scene.props:
        want = prop.world_positions().astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(parts[prop.name]["world_mean_gltf"], want, atol=1e-5)
        assert parts[prop.name]["vertices"] >= prop.mesh.n_faces // 2
