"""Engine presets: validator-clean GLBs whose compressed meshes decode to the uncompressed ones,
a closed collider inside the room, the quest budget, sizes known before writing, USDZ."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from scene import gltf_compress
from scene.collider import collider_mesh
from scene.composition import ObjectMesh, Prop, Scene, Transform
from scene.export_presets import (
    PRESETS,
    QUEST_TRIANGLES,
    estimate,
    get_preset,
    preset_meshes,
    write_preset,
)
from scene.gltf_compress import read_glb
from scene.mesh_settings import MeshSettings
from scene.scene_mesh import build_scene_meshes
from scene.testing.analytic import box_room
from scene.testing.shapes import cube_arrays
from tests.gltf_validator import issue_messages, validate_glb

GLB_PRESETS = [n for n, p in PRESETS.items() if p.container == "glb"]
SETTINGS = MeshSettings()
#: The only validator infos a compressed file may have: the validator cannot decode the
#: compression extensions, so it says it cannot check them and cannot see that the Draco
#: bufferViews are used.
ALLOWED_INFOS = {"UNSUPPORTED_EXTENSION", "UNUSED_OBJECT"}


@pytest.fixture(scope="module")
def room():
    analytic = box_room(256)
    pos, faces, uvs = cube_arrays(0.25)
    tex = np.zeros((8, 8, 3), np.uint8)
    tex[..., 0] = 200
    props = (Prop("p1", ObjectMesh(pos, faces, uvs=uvs, texture=tex),
                  Transform.yaw((0.5, -1.35, -2.0), 30.0), name="crate"),
             Prop("p2", ObjectMesh(pos, faces, colors=np.full((24, 3), 90, np.uint8)),
                  Transform((-1.0, -1.35, -2.0)), name="block", material="unlit"))
    return analytic, Scene(dome=analytic.panorama, props=props, name="room")


@pytest.fixture(scope="module")
def written(room, tmp_path_factory):
    _, scene = room
    out = tmp_path_factory.mktemp("presets")
    meshes = build_scene_meshes(scene, SETTINGS)
    files = {}
    for name in GLB_PRESETS:
        path = out / f"{name}.glb"
        write_preset(scene, get_preset(name), path, SETTINGS, meshes)
        files[name] = path
    # the uncompressed file of the adaptive mesh the adaptive presets (unreal) write
    files["godot-adaptive"] = out / "godot-adaptive.glb"
    write_preset(scene, get_preset("godot"), files["godot-adaptive"],
                 SETTINGS.with_(mode="adaptive"))
    return files


def _doc(path):
    return read_glb(path.read_bytes())


@pytest.mark.parametrize("name", GLB_PRESETS)
def test_every_glb_preset_is_validator_clean(written, name):
    report = validate_glb(written[name])
    issues = report["issues"]
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issue_messages(report)
    codes = {m["code"] for m in issues["messages"] if m["severity"] == 2}
    assert codes <= ALLOWED_INFOS, issue_messages(report)


@pytest.mark.parametrize("name", GLB_PRESETS)
def test_each_preset_uses_the_compression_its_engine_reads(written, name):
    g = _doc(written[name]).gltf
    want = {"draco": "KHR_draco_mesh_compression", "meshopt": "EXT_meshopt_compression",
            None: None}[PRESETS[name].compression]
    used = set(g.get("extensionsUsed", []))
    compressions = used & {"KHR_draco_mesh_compression", "EXT_meshopt_compression"}
    assert compressions == ({want} if want else set())
    if want:
        assert want in g["extensionsRequired"]
    assert "KHR_texture_basisu" not in used  # KTX2 is off by default (see KTX2_BY_DEFAULT)
    assert g["scenes"][0]["extras"]["preset"] == name


def _positions_by_node(path) -> dict:
    """Node name -> (N, 3) decoded POSITION, decoding Draco/meshopt with their libraries."""
    import DracoPy
    import meshoptimizer

    data = path.read_bytes()
    js_len = struct.unpack_from("<I", data, 12)[0]
    bin_chunk = data[20 + js_len + 8:]
    doc = read_glb(data)
    g = doc.gltf
    out = {}
    for node in g["nodes"]:
        if "mesh" not in node:
            continue
        prim = g["meshes"][node["mesh"]]["primitives"][0]
        acc = g["accessors"][prim["attributes"]["POSITION"]]
        draco = prim.get("extensions", {}).get("KHR_draco_mesh_compression")
        if draco:
            mesh = DracoPy.decode(bytes(doc.views[draco["bufferView"]]))
            out[node["name"]] = np.asarray(mesh.points, np.float32)
            continue
        view = g["bufferViews"][acc["bufferView"]]
        ext = view.get("extensions", {}).get("EXT_meshopt_compression")
        if ext:
            start = ext.get("byteOffset", 0)
            raw = meshoptimizer.decode_vertex_buffer(
                ext["count"], ext["byteStride"], bin_chunk[start:start + ext["byteLength"]])
            out[node["name"]] = np.frombuffer(np.ascontiguousarray(raw).tobytes(),
                                              "<f4").reshape(-1, 3)
        else:
            out[node["name"]] = doc.accessor_array(prim["attributes"]["POSITION"])
    return out


@pytest.mark.parametrize("name", ["unity", "unreal", "web"])
def test_compressed_meshes_decode_to_the_uncompressed_ones(written, name):
    plain = _positions_by_node(written["godot-adaptive" if PRESETS[name].adaptive else "godot"])
    packed = _positions_by_node(written[name])
    assert set(packed) - {"collider"} == set(plain) - {"collider"}
    for node, pos in packed.items():
        if node == "collider":
            continue
        ref = plain[node]
        if PRESETS[name].compression == "meshopt":  # lossless codec, positions rounded to
            # MESHOPT_POSITION_BITS mantissa bits first (a relative error, per coordinate)
            bits = gltf_compress.MESHOPT_POSITION_BITS
            np.testing.assert_array_equal(pos, gltf_compress.round_mantissa(ref, bits))
            assert np.all(np.abs(pos - ref) <= np.abs(ref) * 2.0 ** -(bits + 1))
        else:  # Draco quantizes positions to 14 bits of the bounding cube, may merge
            # vertices that are equal in every attribute, and reorders them
            from scipy.spatial import cKDTree

            tol = float((ref.max(0) - ref.min(0)).max()) / 2 ** 13
            assert cKDTree(ref).query(pos)[0].max() <= tol
            assert cKDTree(pos).query(ref)[0].max() <= tol
    assert written[name].stat().st_size < 0.5 * written["godot"].stat().st_size


def test_collider_is_a_closed_material_less_node_inside_the_room(written, room):
    analytic, scene = room
    g = _doc(written["unity"]).gltf
    nodes = {n["name"]: n for n in g["nodes"]}
    assert "collider" in nodes and "collider" not in {n["name"] for n in
                                                      _doc(written["web"]).gltf["nodes"]}
    assert nodes["collider"] in [g["nodes"][i] for i in g["nodes"][0]["children"]]
    prim = g["meshes"][nodes["collider"]["mesh"]]["primitives"][0]
    assert "material" not in prim
    pos, faces = collider_mesh(scene)
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), 1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert (counts == 2).all()  # closed: every edge has two faces
    # never behind the visible surface: each vertex no farther than the room along its ray
    d = np.linalg.norm(pos, axis=1)
    room_d = analytic.distance_of(pos / d[:, None])
    assert (d <= room_d * 1.002).all()  # (pixel centres are sampled, not the exact rays)
    assert d.min() > 0.5 * room_d.min()
    # faces face the origin (counter-clockwise seen from inside)
    p = pos.astype(np.float64)
    n = np.cross(p[faces[:, 1]] - p[faces[:, 0]], p[faces[:, 2]] - p[faces[:, 0]])
    assert (np.einsum("ij,ij->i", n, p[faces].mean(axis=1)) < 0).all()


def test_collider_is_switched_off_for_the_presets_without_it(written):
    for name in GLB_PRESETS:
        names = {n["name"] for n in _doc(written[name]).gltf["nodes"]}
        assert ("collider" in names) == PRESETS[name].collider, name


def _triangles(path) -> int:
    g = _doc(path).gltf
    return sum(g["accessors"][p["indices"]]["count"] // 3
               for m in g["meshes"] for p in m["primitives"])


def test_quest_stays_under_its_triangle_budget(room, tmp_path):
    _, scene = room
    big = Scene(dome=box_room(1024).panorama, props=scene.props)
    path = tmp_path / "quest.glb"
    # a budget below what the adaptive mesh makes, so the simplifier has to meet it
    preset = get_preset("quest")
    from dataclasses import replace

    tight = replace(preset, triangle_budget=20_000)
    write_preset(big, tight, path, SETTINGS)
    assert _triangles(path) <= 20_000 + 4000  # + the collider
    assert PRESETS["quest"].triangle_budget == QUEST_TRIANGLES < 300_000
    assert PRESETS["quest"].max_texture_width == 4096
    report = validate_glb(path)
    assert report["issues"]["numErrors"] == 0 and report["issues"]["numWarnings"] == 0


@pytest.mark.parametrize("name", GLB_PRESETS)
def test_estimate_gives_the_written_triangle_count_and_a_near_size(written, room, name):
    _, scene = room
    est = estimate(scene, get_preset(name), SETTINGS)
    assert est.triangles == _triangles(written[name])
    size = written[name].stat().st_size
    assert size / 3 <= est.total_bytes <= size * 3, (est.line(), size)


def test_unknown_preset_names_the_known_ones():
    from scene.errors import InputError

    with pytest.raises(InputError) as err:
        get_preset("playstation")
    assert "unity" in err.value.hint


def test_every_preset_explains_itself():
    for p in PRESETS.values():
        assert len(p.about) > 80 and p.title
    for name in ("unity", "web", "quest"):
        assert "KTX2" in PRESETS[name].about


def test_glb_header_length_matches_the_file(written):
    data = written["unity"].read_bytes()
    assert struct.unpack_from("<I", data, 8)[0] == len(data)
    js_len = struct.unpack_from("<I", data, 12)[0]
    json.loads(data[20:20 + js_len])


# -- USDZ --------------------------------------------------------------------------------------
def test_usdz_is_clean_in_metres_y_up_and_faces_inward(room, tmp_path):
    from pxr import Usd, UsdGeom

    from scene.export_usdz import validation_errors

    _, scene = room
    path = tmp_path / "scene.usdz"
    write_preset(scene, get_preset("visionos"), path, SETTINGS)
    assert validation_errors(path) == []
    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    dome = UsdGeom.Mesh(stage.GetPrimAtPath("/Scene/dome"))
    assert dome.GetOrientationAttr().Get() == UsdGeom.Tokens.rightHanded
    p = np.asarray(dome.GetPointsAttr().Get(), np.float64)
    f = np.asarray(dome.GetFaceVertexIndicesAttr().Get()).reshape(-1, 3)
    n = np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]])
    facing = np.einsum("ij,ij->i", n, p[f].mean(axis=1))
    assert (facing < 0).mean() > 0.999  # right-handed normals point at the viewer
    names = {prim.GetName() for prim in stage.Traverse()}
    assert {"crate_p1", "block_p2"} <= names
    shader = stage.GetPrimAtPath("/Scene/Materials/dome/surface")
    assert shader.GetAttribute("inputs:emissiveColor").HasAuthoredConnections()


def test_large_draco_primitives_are_split_on_one_grid(room, tmp_path, monkeypatch):
    """A mesh over the chunk size becomes several Draco primitives quantized on one grid, so
    a vertex shared by two pieces decodes to the same point in both (no cracks)."""
    import DracoPy

    import scene.gltf_compress as gc

    _, scene = room
    ref_mesh = preset_meshes(scene, get_preset("unreal"), SETTINGS).dome  # (adaptive)
    monkeypatch.setattr(gc, "DRACO_CHUNK_FACES", ref_mesh.n_faces // 5)
    path = tmp_path / "unreal.glb"
    write_preset(scene, get_preset("unreal"), path, SETTINGS)
    report = validate_glb(path)
    assert report["issues"]["numErrors"] == 0 and report["issues"]["numWarnings"] == 0, \
        issue_messages(report)
    doc = _doc(path)
    g = doc.gltf
    dome = next(m for m in g["meshes"] if m["name"] == "dome")
    assert len(dome["primitives"]) > 2
    pieces = [np.asarray(DracoPy.decode(bytes(doc.views[p["extensions"][
        "KHR_draco_mesh_compression"]["bufferView"]])).points, np.float64)
        for p in dome["primitives"]]
    ref = ref_mesh.positions.astype(np.float64)
    span = float((ref.max(0) - ref.min(0)).max())
    quantum = span / (2 ** 14 - 1)
    # every decoded point lies on the shared grid
    origin = ref.min(0)
    for p in pieces:
        steps = (p - origin) / quantum
        np.testing.assert_allclose(steps, np.round(steps), atol=1e-2)
    assert sum(g["accessors"][p["indices"]]["count"] // 3 for p in dome["primitives"]) == \
        ref_mesh.n_faces


def _dome_triangles(path) -> np.ndarray:
    """The dome's triangles as (F, 3) vertex indices, each rotated to start at its smallest
    corner (same winding), rows sorted; meshopt index buffers decoded by meshoptimizer."""
    import meshoptimizer

    data = path.read_bytes()
    js_len = struct.unpack_from("<I", data, 12)[0]
    bin_chunk = data[20 + js_len + 8:]
    doc = read_glb(data)
    g = doc.gltf
    node = next(n for n in g["nodes"] if n.get("name") == "dome")
    acc = g["accessors"][g["meshes"][node["mesh"]]["primitives"][0]["indices"]]
    ext = g["bufferViews"][acc["bufferView"]].get("extensions", {}).get(
        "EXT_meshopt_compression")
    if ext:
        start = ext["byteOffset"]
        raw = meshoptimizer.decode_index_buffer(ext["count"], ext["byteStride"],
                                                bin_chunk[start:start + ext["byteLength"]])
        # the wrapper returns uint32 words whatever the index size: view them as it
        raw = np.asarray(raw).view("<u2" if ext["byteStride"] == 2 else "<u4")[:ext["count"]]
        tri = raw.astype(np.int64).reshape(-1, 3)
    else:
        tri = doc.accessor_array(g["meshes"][node["mesh"]]["primitives"][0]["indices"]
                                 ).astype(np.int64).reshape(-1, 3)
    first = tri.argmin(axis=1)
    rolled = np.stack([tri[np.arange(len(tri)), (first + k) % 3] for k in range(3)], axis=1)
    return rolled[np.lexsort(rolled.T[::-1])], rolled


@pytest.mark.parametrize("name", ["unity", "web"])
def test_meshopt_keeps_every_triangle_and_its_winding_in_cache_order(written, name):
    plain, plain_order = _dome_triangles(written["godot"])
    packed, packed_order = _dome_triangles(written[name])
    np.testing.assert_array_equal(packed, plain)  # same triangles, same winding
    # reordered for the vertex cache (the index codec alone only rotates a few corners)
    assert np.mean(np.any(packed_order != plain_order, axis=1)) > 0.5


def test_round_mantissa_moves_values_by_at_most_half_a_unit_of_the_kept_bits():
    rng = np.random.default_rng(4)
    v = (rng.standard_normal(10_000) * 10.0 ** rng.integers(-3, 4, 10_000)).astype(np.float32)
    r = gltf_compress.round_mantissa(v, 12)
    assert r.dtype == np.float32
    assert np.all(np.abs(r.astype(np.float64) - v) <= np.abs(v.astype(np.float64)) * 2.0 ** -13)
    assert np.all((r.view(np.uint32) & np.uint32((1 << 11) - 1)) == 0)  # low 11 bits zeroed
    assert np.array_equal(np.sign(r), np.sign(v))
    np.testing.assert_array_equal(gltf_compress.round_mantissa(r, 12), r)  # idempotent


def test_web_preset_is_at_most_a_quarter_of_the_plain_file_on_the_1024_forest(tmp_path):
    from models.base import GenerationRequest
    from models.registry import get_backend

    req = GenerationRequest(prompt="a misty pine forest at dawn", seed=3, width=1024,
                            height=512)
    scene = Scene(dome=get_backend("procedural").generate(req).panorama, name="forest")
    meshes = build_scene_meshes(scene, SETTINGS)
    sizes = {}
    for name in ("godot", "web"):
        path = tmp_path / f"{name}.glb"
        write_preset(scene, get_preset(name), path, SETTINGS, meshes)
        sizes[name] = path.stat().st_size
        if name == "web":
            report = validate_glb(path)
            assert report["issues"]["numErrors"] == 0, issue_messages(report)
            assert report["issues"]["numWarnings"] == 0, issue_messages(report)
    assert sizes["web"] <= sizes["godot"] / 4, sizes


def test_primitives_over_the_cache_limit_keep_their_order_and_triangles(room, tmp_path,
                                                                        monkeypatch):
    _, scene = room
    meshes = build_scene_meshes(scene, SETTINGS)
    write_preset(scene, get_preset("godot"), tmp_path / "plain.glb", SETTINGS, meshes)
    monkeypatch.setattr(gltf_compress, "MESHOPT_CACHE_MAX_FACES", 0)  # every one is "large"
    write_preset(scene, get_preset("web"), tmp_path / "large.glb", SETTINGS, meshes)
    plain, plain_order = _dome_triangles(tmp_path / "plain.glb")
    large, large_order = _dome_triangles(tmp_path / "large.glb")
    np.testing.assert_array_equal(large, plain)
    # the writer's order (the index codec alone rotates the corners of a few triangles)
    assert np.mean(np.any(large_order != plain_order, axis=1)) < 0.05


def test_adaptive_presets_mesh_adaptively_whatever_the_project_asks(room):
    """unreal and visionos write the adaptive mesh (Draco and USDZ at full resolution take a
    minute or 170 MB at 4096 px); the others keep the project's full grid."""
    _, scene = room
    full = build_scene_meshes(scene, SETTINGS).dome.n_faces
    adaptive = build_scene_meshes(scene, SETTINGS.with_(mode="adaptive")).dome.n_faces
    assert adaptive < full / 4
    for name, preset in PRESETS.items():
        if preset.triangle_budget is not None:
            continue
        got = preset_meshes(scene, preset, SETTINGS).dome.n_faces
        assert got == (adaptive if name in ("unreal", "visionos") else full), name
        assert estimate(scene, preset, SETTINGS).triangles >= got
