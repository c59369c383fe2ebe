"""The GLB of a whole composition: one named root, a node per part, validator clean, and the
parts where the scene puts them (read back independently by trimesh)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import trimesh

from scene.export_glb import write_glb, write_scene_glb
from scene.mesh import build_depth_mesh
from scene.mesh_settings import MeshSettings
from scene.scene_mesh import build_scene_meshes
from tests.gltf_validator import assert_clean

from .composition_cases import LIT_COLOUR, composition


def read_glb(path) -> tuple[dict, bytes]:
    data = path.read_bytes()
    (json_len,) = struct.unpack_from("<I", data, 12)
    doc = json.loads(data[20:20 + json_len])
    return doc, data[20 + json_len + 8:]


def accessor(doc: dict, bin_chunk: bytes, index: int) -> np.ndarray:
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    dtype = {5126: "<f4", 5125: "<u4", 5123: "<u2", 5121: "u1"}[acc["componentType"]]
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[acc["type"]]
    raw = bin_chunk[view["byteOffset"]:view["byteOffset"] + view["byteLength"]]
    return np.frombuffer(raw, dtype).reshape(acc["count"], width) if width > 1 else \
        np.frombuffer(raw, dtype)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    scene = composition(128)
    meshes = build_scene_meshes(scene, MeshSettings())
    path = tmp_path_factory.mktemp("scene") / "room.glb"
    write_scene_glb(path, scene, meshes, texture="png")
    return scene, meshes, path


def test_the_file_is_clean_for_the_khronos_validator(exported):
    _, _, path = exported
    report = assert_clean(path)  # no errors, no warnings, no infos
    assert report["info"]["drawCallCount"] == 4 and report["info"]["materialCount"] == 4


def test_one_named_root_with_a_node_per_part(exported):
    scene, _, path = exported
    doc, _ = read_glb(path)
    assert doc["scenes"][0]["nodes"] == [0]
    root = doc["nodes"][0]
    assert root["name"] == "room" and "mesh" not in root
    names = [doc["nodes"][i]["name"] for i in root["children"]]
    assert names == ["dome", "layer l1", "lit cube", "textured cube"]
    assert doc["scenes"][0]["extras"]["parts"] == {"layers": 1, "props": 2}


def test_dome_and_layer_are_unlit_and_inward_props_follow_their_material(exported):
    _, _, path = exported
    doc, _ = read_glb(path)
    nodes = {n["name"]: n for n in doc["nodes"]}

    def material(name):
        prim = doc["meshes"][nodes[name]["mesh"]]["primitives"][0]
        return prim, doc["materials"][prim["material"]]

    for name in ("dome", "layer l1", "textured cube"):
        _, mat = material(name)
        assert mat["extensions"] == {"KHR_materials_unlit": {}}, name
    prim, mat = material("lit cube")
    assert "extensions" not in mat and mat["pbrMetallicRoughness"]["metallicFactor"] == 0.0
    assert {"POSITION", "NORMAL", "COLOR_0"} <= set(prim["attributes"])
    prim, mat = material("textured cube")
    assert "baseColorTexture" in mat["pbrMetallicRoughness"] and "TEXCOORD_0" in prim["attributes"]
    assert all(m["doubleSided"] is False for m in doc["materials"])
    layer = nodes["layer l1"]["extras"]
    assert layer["kind"] == "background" and layer["walk_radius_m"] == 0.5


def test_layer_pixels_without_depth_have_no_vertices(exported):
    scene, meshes, path = exported
    doc, bin_chunk = read_glb(path)
    node = next(n for n in doc["nodes"] if n["name"] == "layer l1")
    prim = doc["meshes"][node["mesh"]]["primitives"][0]
    pos = accessor(doc, bin_chunk, prim["attributes"]["POSITION"])
    layer_mesh = meshes.layers[0][1]
    np.testing.assert_array_equal(pos, layer_mesh.positions)
    dome_vertices = meshes.dome.n_vertices
    assert pos.shape[0] < 0.6 * dome_vertices  # only the left half (plus seam and poles)
    # No vertex on the right half (x > 0 with lon in (0, pi)), all finite.
    lon = np.arctan2(pos[:, 0], -pos[:, 2])
    assert np.isfinite(pos).all() and np.count_nonzero(lon > 0.05) <= 2  # the two poles


def test_props_carry_their_transform_and_land_where_the_scene_puts_them(exported):
    scene, _, path = exported
    doc, bin_chunk = read_glb(path)
    loaded = trimesh.load(path, force="scene", process=False)
    for prop in scene.props:
        node = next(n for n in doc["nodes"] if n["name"] == prop.name)
        t = prop.transform
        assert node["translation"] == list(t.translation)
        assert node["rotation"] == list(t.rotation) and node["scale"] == [t.scale] * 3
        assert node["extras"]["id"] == prop.id and node["extras"]["source"] == prop.source
        matrix, geom = loaded.graph[prop.name]
        world = trimesh.transform_points(loaded.geometry[geom].vertices, matrix)
        np.testing.assert_allclose(world, prop.world_positions(), atol=1e-5)


def test_vertex_colours_are_linear_and_normals_point_out(exported):
    scene, _, path = exported
    doc, bin_chunk = read_glb(path)
    node = next(n for n in doc["nodes"] if n["name"] == "lit cube")
    prim = doc["meshes"][node["mesh"]]["primitives"][0]
    acc = doc["accessors"][prim["attributes"]["COLOR_0"]]
    assert acc["normalized"] is True
    col = accessor(doc, bin_chunk, prim["attributes"]["COLOR_0"]) / 65535.0
    srgb = np.array(LIT_COLOUR) / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    np.testing.assert_allclose(col[:, :3], np.tile(linear, (len(col), 1)), atol=1e-4)
    np.testing.assert_allclose(col[:, 3], 1.0)
    pos = accessor(doc, bin_chunk, prim["attributes"]["POSITION"])
    nrm = accessor(doc, bin_chunk, prim["attributes"]["NORMAL"])
    np.testing.assert_allclose(np.linalg.norm(nrm, axis=1), 1.0, atol=1e-6)
    assert (np.einsum("ij,ij->i", nrm, pos) > 0).all()  # a cube around its origin


def test_a_dome_only_scene_keeps_the_dome_exactly(tmp_path):
    """write_glb (one panorama) is the scene writer with no layers or props."""
    scene = composition(128)
    mesh = build_depth_mesh(scene.dome)
    write_glb(tmp_path / "a.glb", scene.dome, mesh)
    doc, bin_chunk = read_glb(tmp_path / "a.glb")
    assert [n["name"] for n in doc["nodes"]] == ["scene", "dome"]
    prim = doc["meshes"][0]["primitives"][0]
    np.testing.assert_array_equal(accessor(doc, bin_chunk, prim["attributes"]["POSITION"]),
                                  mesh.positions)
