"""GLB export: Khronos-validator clean, read back by trimesh with exact geometry and texture.

The mesh is the real DepthFusion full-grid mesh of the analytic box room, so vertex distances
can be compared with exact ray-cast distances after the round trip through the file.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import replace

import numpy as np
import pytest
import trimesh
from PIL import Image

from scene.backing import surface_only
from scene.errors import InputError
from scene.export_glb import (
    COMPONENT_UNSIGNED_INT,
    COMPONENT_UNSIGNED_SHORT,
    WRAP_REPEAT,
    glb_bytes,
    texture_bytes,
    write_glb,
)
from scene.mesh import build_depth_mesh
from scene.mesh_settings import MeshSettings
from scene.meshdata import DepthMesh
from scene.metadata import GenerationMetadata
from scene.testing.analytic import box_room, ground_plane, nested_spheres
from tests.gltf_validator import assert_clean, validate_glb


@pytest.fixture(scope="module")
def room():
    """Box room at 256x128 (power-of-two texture: the validator has nothing to say)."""
    scene = box_room(256)
    pano = scene.panorama.with_metadata(GenerationMetadata(backend="procedural",
                                                           prompt="a box room", seed=7))
    return scene, pano, build_depth_mesh(pano)


def read_glb(path) -> tuple[dict, bytes]:
    """Parse a GLB by hand: (JSON document, BIN chunk bytes), checking the container."""
    data = open(path, "rb").read()
    magic, version, length = struct.unpack_from("<III", data, 0)
    assert (magic, version, length) == (0x46546C67, 2, len(data))
    jlen, jtype = struct.unpack_from("<II", data, 12)
    assert jtype == 0x4E4F534A and jlen % 4 == 0
    doc = json.loads(data[20:20 + jlen])
    blen, btype = struct.unpack_from("<II", data, 20 + jlen)
    assert btype == 0x004E4942 and blen % 4 == 0
    assert 28 + jlen + blen == len(data)
    return doc, data[28 + jlen:28 + jlen + blen]


def image_bytes(doc: dict, bin_chunk: bytes) -> bytes:
    view = doc["bufferViews"][doc["images"][0]["bufferView"]]
    off = view.get("byteOffset", 0)
    return bin_chunk[off:off + view["byteLength"]]


def loaded_mesh(path) -> trimesh.Trimesh:
    scene = trimesh.load(path, process=False)
    geoms = list(scene.geometry.values())
    assert len(geoms) == 1
    return geoms[0]


@pytest.mark.parametrize("texture", ["jpeg", "png"])
def test_validator_reports_nothing(tmp_path, room, texture):
    _, pano, mesh = room
    path = tmp_path / f"room_{texture}.glb"
    assert write_glb(path, pano, mesh, texture=texture) == []
    report = assert_clean(path)  # zero errors, warnings and infos, messages listed on failure
    assert report["issues"]["numHints"] == 0
    info = report["info"]
    assert info["hasTextures"] and info["drawCallCount"] == 1 and info["materialCount"] == 1
    assert info["totalVertexCount"] == mesh.n_vertices
    assert info["totalTriangleCount"] == mesh.n_faces


@pytest.mark.parametrize("scene_fn", [box_room, ground_plane, nested_spheres])
@pytest.mark.parametrize("mode", ["full", "adaptive"])
def test_every_analytic_scene_and_mesh_mode_is_clean(tmp_path, scene_fn, mode):
    """Unknown sky (ground plane), curved surfaces and adaptive meshes validate too."""
    scene = scene_fn(256)
    mesh = build_depth_mesh(scene.panorama, MeshSettings(mode=mode))
    path = tmp_path / f"{scene.name}_{mode}.glb"
    write_glb(path, scene.panorama, mesh)
    report = assert_clean(path)
    assert report["info"]["totalTriangleCount"] == mesh.n_faces
    got = loaded_mesh(path)
    np.testing.assert_array_equal(np.asarray(got.vertices, dtype=np.float32), mesh.positions)


def test_document_structure(tmp_path, room):
    _, pano, mesh = room
    path = tmp_path / "room.glb"
    meta = {"prompt": "a café in Tōkyō ☕", "seed": 7, "nested": {"steps": 20}}
    write_glb(path, pano, mesh, metadata=meta)
    assert_clean(path)  # UTF-8 JSON with non-ASCII text is fine for the validator
    doc, _ = read_glb(path)
    assert doc["asset"]["version"] == "2.0"
    assert doc["asset"]["generator"].startswith("Panoforge ")
    # One named root with one child per part: here only the dome.
    assert len(doc["meshes"]) == 1 and len(doc["nodes"]) == 2
    assert len(doc["meshes"][0]["primitives"]) == 1
    assert doc["scenes"][doc["scene"]]["nodes"] == [0]
    assert doc["nodes"][0] == {"name": "scene", "children": [1]}
    assert doc["nodes"][1] == {"name": "dome", "mesh": 0}
    assert "KHR_materials_unlit" in doc["extensionsUsed"]
    mat = doc["materials"][0]
    assert mat["extensions"] == {"KHR_materials_unlit": {}}
    assert mat["doubleSided"] is False
    assert mat["pbrMetallicRoughness"]["baseColorTexture"]["index"] == 0
    sampler = doc["samplers"][doc["textures"][0]["sampler"]]
    assert sampler["wrapS"] == WRAP_REPEAT  # the seam column's u runs past 1
    assert doc["images"][0]["mimeType"] == "image/jpeg"
    extras = doc["scenes"][0]["extras"]
    assert extras["generation"] == meta
    assert extras["mesh"]["mode"] == "full" and extras["mesh"]["grid"] == [256, 128]
    assert extras["depth_interpretation"]["kind"] == "distance"
    prim = doc["meshes"][0]["primitives"][0]
    pos_acc = doc["accessors"][prim["attributes"]["POSITION"]]
    # exact float32 bounds (the validator checks them too)
    assert pos_acc["min"] == [float(v) for v in mesh.positions.min(axis=0)]
    assert pos_acc["max"] == [float(v) for v in mesh.positions.max(axis=0)]
    assert "TEXCOORD_0" in prim["attributes"]
    # 256x128 grid has 33k vertices: uint16 indices fit
    assert mesh.n_vertices <= 65535
    assert doc["accessors"][prim["indices"]]["componentType"] == COMPONENT_UNSIGNED_SHORT


def test_default_metadata_is_the_panoramas(tmp_path, room):
    _, pano, mesh = room
    data, _ = glb_bytes(pano, mesh)
    path = tmp_path / "m.glb"
    path.write_bytes(data)
    doc, _ = read_glb(path)
    gen = doc["scenes"][0]["extras"]["generation"]
    assert gen["backend"] == "procedural" and gen["prompt"] == "a box room" and gen["seed"] == 7


def test_non_finite_metadata_becomes_null_json(tmp_path, room):
    _, pano, mesh = room
    path = tmp_path / "nan.glb"
    write_glb(path, pano, mesh, metadata={"guidance": float("nan"), "arr": np.arange(3)})
    doc, _ = read_glb(path)  # json.loads would accept NaN; check the strict form directly
    gen = doc["scenes"][0]["extras"]["generation"]
    assert gen == {"guidance": None, "arr": [0, 1, 2]}
    assert validate_glb(path)["issues"]["numErrors"] == 0


def test_trimesh_reads_exact_geometry_facing_the_origin(tmp_path, room):
    scene, pano, mesh = room
    path = tmp_path / "room.glb"
    write_glb(path, pano, mesh, texture="png")
    got = loaded_mesh(path)
    np.testing.assert_array_equal(np.asarray(got.vertices, dtype=np.float32), mesh.positions)
    np.testing.assert_array_equal(got.faces, mesh.faces)
    np.testing.assert_array_equal(np.asarray(got.visual.uv, dtype=np.float32)[:, 0],
                                  mesh.uvs[:, 0])
    # winding after the round trip: every face's normal points at the origin
    v = np.asarray(got.vertices, dtype=np.float64)
    a, b, c = (v[got.faces[:, k]] for k in range(3))
    facing = np.einsum("ij,ij->i", np.cross(b - a, c - a), (a + b + c) / 3)
    assert (facing < 0).all()
    # distances are metres and right: compare with exact ray casts of the room
    used = np.unique(surface_only(mesh).faces)  # (backing vertices stand behind cuts)
    r = np.linalg.norm(v[used], axis=1)
    exact = scene.distance_of(v[used] / r[:, None])
    np.testing.assert_allclose(r, exact, rtol=2e-6)


def test_png_texture_decodes_to_the_panorama_exactly(tmp_path, room):
    _, pano, mesh = room
    path = tmp_path / "room.glb"
    write_glb(path, pano, mesh, texture="png")
    img = loaded_mesh(path).visual.material.baseColorTexture
    np.testing.assert_array_equal(np.asarray(img.convert("RGB")), pano.rgb)


def test_jpeg_texture_decodes_close_to_the_panorama(tmp_path, room):
    _, pano, mesh = room
    path = tmp_path / "room.glb"
    write_glb(path, pano, mesh, texture="jpeg", jpeg_quality=92)
    doc, bin_chunk = read_glb(path)
    blob = image_bytes(doc, bin_chunk)
    assert blob[:3] == b"\xff\xd8\xff"
    got = np.asarray(Image.open(io.BytesIO(blob)).convert("RGB")).astype(np.int16)
    err = np.abs(got - pano.rgb.astype(np.int16))
    assert got.shape == pano.rgb.shape
    assert err.mean() < 2.0, err.mean()
    assert np.percentile(err, 99) <= 24


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_encoded_bytes_are_embedded_unchanged(tmp_path, room, fmt, mime):
    _, pano, mesh = room
    buf = io.BytesIO()
    # compress_level 9 / quality 75 differ from what the exporter would produce itself
    Image.fromarray(pano.rgb).save(buf, format=fmt, **({"compress_level": 9} if fmt == "PNG"
                                                       else {"quality": 75}))
    encoded = buf.getvalue()
    pixels = np.asarray(Image.open(io.BytesIO(encoded)).convert("RGB"))
    carrying = replace(pano, rgb=pixels, rgb_encoded=encoded, rgb_mime=mime)
    path = tmp_path / "reuse.glb"
    write_glb(path, carrying, mesh, texture=fmt.lower())
    doc, bin_chunk = read_glb(path)
    assert doc["images"][0]["mimeType"] == mime
    assert image_bytes(doc, bin_chunk) == encoded
    assert_clean(path)


def test_other_format_or_wrong_size_is_encoded_fresh(room):
    _, pano, mesh = room
    buf = io.BytesIO()
    Image.fromarray(pano.rgb).save(buf, format="PNG")
    png = buf.getvalue()
    carrying = replace(pano, rgb_encoded=png, rgb_mime="image/png")
    data, mime, _ = texture_bytes(carrying, "jpeg")
    assert mime == "image/jpeg" and data[:2] == b"\xff\xd8"
    data, mime, _ = texture_bytes(carrying, "auto")
    assert (data, mime) == (png, "image/png")
    # bytes that do not match the pixels' size are not trusted
    small = io.BytesIO()
    Image.fromarray(pano.rgb[::2, ::2]).save(small, format="PNG")
    stale = replace(pano, rgb_encoded=small.getvalue(), rgb_mime="image/png")
    data, _, _ = texture_bytes(stale, "png")
    assert Image.open(io.BytesIO(data)).size == (pano.width, pano.height)


def test_wide_texture_is_downscaled_with_a_notice(tmp_path, room):
    _, pano, mesh = room
    path = tmp_path / "small.glb"
    notices = write_glb(path, pano, mesh, texture="png", max_texture_width=128)
    assert len(notices) == 1 and "downscaled" in notices[0] and "128x64" in notices[0]
    doc, bin_chunk = read_glb(path)
    assert Image.open(io.BytesIO(image_bytes(doc, bin_chunk))).size == (128, 64)
    assert_clean(path)
    # the default limit is 8192: this 256-wide texture is left alone
    assert write_glb(tmp_path / "full.glb", pano, mesh, texture="png") == []


def test_large_mesh_uses_uint32_indices(tmp_path):
    scene = box_room(512)  # 512 x 256 grid: more than 65535 vertices
    mesh = build_depth_mesh(scene.panorama)
    assert mesh.n_vertices > 65535
    path = tmp_path / "big.glb"
    write_glb(path, scene.panorama, mesh)
    doc, _ = read_glb(path)
    prim = doc["meshes"][0]["primitives"][0]
    assert doc["accessors"][prim["indices"]]["componentType"] == COMPONENT_UNSIGNED_INT
    assert_clean(path)
    np.testing.assert_array_equal(loaded_mesh(path).faces, mesh.faces)


def test_npot_texture_gets_only_the_unavoidable_info(tmp_path):
    """A 96x48 texture with REPEAT wrapping draws one INFO (WebGL 1 NPOT) and nothing else."""
    scene = box_room(96)
    path = tmp_path / "npot.glb"
    write_glb(path, scene.panorama, build_depth_mesh(scene.panorama))
    report = validate_glb(path)
    issues = report["issues"]
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0
    assert {m["code"] for m in issues["messages"]} == {"IMAGE_NPOT_DIMENSIONS"}


def test_bad_meshes_and_options_are_refused(tmp_path, room):
    _, pano, mesh = room
    target = tmp_path / "keep.glb"
    target.write_bytes(b"previous")
    nan_pos = mesh.positions.copy()
    nan_pos[5] = np.nan
    with pytest.raises(InputError, match="non-finite"):
        write_glb(target, pano, DepthMesh(nan_pos, mesh.uvs, mesh.faces))
    empty = DepthMesh(mesh.positions, mesh.uvs, np.zeros((0, 3), np.uint32))
    with pytest.raises(InputError, match="no faces"):
        write_glb(target, pano, empty)
    with pytest.raises(InputError, match="texture format"):
        write_glb(target, pano, mesh, texture="webp")
    with pytest.raises(InputError, match="quality"):
        write_glb(target, pano, mesh, jpeg_quality=0)
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.glb"]
