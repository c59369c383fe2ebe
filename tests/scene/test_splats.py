"""Gaussian splats: one per known pixel with the pixel's footprint, the standard 3DGS layout,
the KHR_gaussian_splatting GLB (and exactly what the validator says about it), and .spz that
round-trips through Niantic's reference reader within SPZ's own quantisation."""

from __future__ import annotations

import numpy as np
import pytest
from plyfile import PlyData

from scene.composition import ObjectMesh, Prop, Scene, Transform
from scene.errors import InputError
from scene.gltf_compress import read_glb
from scene.splats import (
    OPACITY_LOGIT,
    PLY_PROPERTIES,
    SH_C0,
    scene_splats,
    write_splat_glb,
    write_splat_ply,
    write_splats,
)
from scene.testing.analytic import box_room
from scene.testing.shapes import cube_arrays
from tests.gltf_validator import issue_messages, validate_glb

W = 128


@pytest.fixture(scope="module")
def room():
    analytic = box_room(W)
    pos, faces, _ = cube_arrays(0.2)
    prop = Prop("p1", ObjectMesh(pos, faces, colors=np.full((24, 3), 200, np.uint8)),
                Transform((0.0, -1.4, -2.0), scale=2.0), name="crate")
    return analytic, Scene(dome=analytic.panorama, props=(prop,))


def test_one_gaussian_per_pixel_on_the_surface_with_its_footprint(room):
    analytic, scene = room
    parts, notices = scene_splats(scene)
    dome = parts[0]
    assert dome.count == W * (W // 2) and notices == []
    d = np.linalg.norm(dome.positions, axis=1)
    exact = analytic.distance_of(dome.positions / d[:, None])
    np.testing.assert_allclose(d, exact, rtol=1e-4)  # on the room's surface
    lat = np.arcsin(dome.positions[:, 1] / d)
    np.testing.assert_allclose(dome.scales[:, 0], d * np.cos(lat) * 2 * np.pi / W, rtol=1e-3)
    np.testing.assert_allclose(dome.scales[:, 1], d * np.pi / (W // 2), rtol=1e-3)
    assert (dome.scales[:, 2] < dome.scales[:, :2].min(axis=1)).all()  # a thin disc
    # the disc's thin axis (third column of the rotation) lies along the ray
    from scipy.spatial.transform import Rotation

    axis3 = Rotation.from_quat(dome.rotations).as_matrix()[:, :, 2]
    cos = np.abs(np.einsum("ij,ij->i", axis3, dome.positions / d[:, None]))
    assert cos.min() > 0.9999
    np.testing.assert_allclose(dome.colors, analytic.panorama.rgb.reshape(-1, 3) / 255.0)
    crate = parts[1]
    assert crate.count == 24
    np.testing.assert_allclose(crate.positions.mean(0), (0.0, -1.4, -2.0), atol=1e-5)
    # half the mean edge (0.4 m sides, diagonals 0.57 m, times scale 2)
    assert 0.4 < crate.scales[0, 0] < 0.6


def test_ply_has_the_standard_3dgs_layout_and_values(room, tmp_path):
    analytic, scene = room
    path = tmp_path / "s.ply"
    write_splat_ply(path, scene)
    ply = PlyData.read(str(path))
    assert ply.byte_order == "<" and not ply.text
    v = ply["vertex"]
    assert tuple(p.name for p in v.properties) == PLY_PROPERTIES
    assert all(v[p].dtype == np.float32 for p in PLY_PROPERTIES)
    parts, _ = scene_splats(scene)
    assert v.count == sum(p.count for p in parts)
    n = W * (W // 2)
    rgb = np.stack([v[f"f_dc_{k}"][:n] for k in range(3)], axis=1) * SH_C0 + 0.5
    np.testing.assert_allclose(rgb, analytic.panorama.rgb.reshape(-1, 3) / 255.0, atol=1e-6)
    assert np.allclose(v["opacity"], OPACITY_LOGIT) and 1 / (1 + np.exp(-OPACITY_LOGIT)) > 0.9999
    np.testing.assert_allclose(np.exp(v["scale_0"][:n]), parts[0].scales[:, 0], rtol=1e-5)
    q = np.stack([v[f"rot_{k}"] for k in range(4)], axis=1)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(q[:n, 0], parts[0].rotations[:, 3])  # rot_0 is w


def test_splat_glb_declares_the_extension_and_the_validator_flags_only_its_attributes(
        room, tmp_path):
    _, scene = room
    path = tmp_path / "s.glb"
    write_splat_glb(path, scene)
    g = read_glb(path.read_bytes()).gltf
    assert g["extensionsUsed"] == ["KHR_gaussian_splatting"]
    prim = g["meshes"][0]["primitives"][0]
    assert prim["mode"] == 0
    assert prim["extensions"]["KHR_gaussian_splatting"]["kernel"] == "ellipse"
    report = validate_glb(path)
    issues = report["issues"]
    # The pinned validator (2.0.0-dev.3.10) predates the extension: it rejects the
    # namespaced attribute names "KHR_gaussian_splatting:*" as invalid (errors), and says it
    # cannot validate the extension (info). Nothing else.
    assert issues["numWarnings"] == 0, issue_messages(report)
    for m in issues["messages"]:
        if m["severity"] == 0:
            assert m["code"] == "MESH_PRIMITIVE_INVALID_ATTRIBUTE", m
            assert "/attributes/KHR_gaussian_splatting:" in m["pointer"], m
        else:
            assert m["code"] == "UNSUPPORTED_EXTENSION", m
    assert issues["numErrors"] == 4 * len(g["meshes"])


def test_other_suffixes_are_refused_with_a_way_out(room, tmp_path):
    _, scene = room
    with pytest.raises(InputError) as err:
        write_splats(tmp_path / "s.obj", scene)
    assert "ply" in err.value.hint and not (tmp_path / "s.obj").exists()


def test_spz_round_trips_through_its_reference_reader(room, tmp_path):
    from scene.splats_spz import SPZ_MAGIC, read_splat_spz

    _, scene = room
    path = tmp_path / "s.spz"
    assert write_splats(path, scene) == []
    assert path.read_bytes()[:4] == SPZ_MAGIC
    parts, _ = scene_splats(scene)
    back = read_splat_spz(path)  # Niantic's library (WebAssembly), not Panoforge's code
    n = sum(p.count for p in parts)
    assert back["numPoints"] == n and back["shDegree"] == 0
    pos = np.concatenate([p.positions for p in parts])
    # 24-bit fixed point, 12 fractional bits: half a 1/4096 m step
    assert np.abs(back["positions"] - pos).max() <= 2.0 ** -13 + 1e-6
    # log scales in 1/16 steps: within half a step
    scales = np.log(np.concatenate([p.scales for p in parts]))
    assert np.abs(back["scales"] - scales).max() <= 1 / 32 + 1e-4
    # colours in 8 bits: within one level of 255 after the SH-0 mapping back to rgb
    rgb = back["colors"] * SH_C0 + 0.5
    assert np.abs(rgb - np.concatenate([p.colors for p in parts])).max() <= 1.5 / 255
    # opaque stays opaque (8-bit sigmoid)
    assert (1 / (1 + np.exp(-back["alphas"].astype(np.float64)))).min() >= 254 / 255
    # the same rotations (q and -q are one rotation)
    q = np.concatenate([p.rotations for p in parts])
    assert np.abs(np.einsum("ij,ij->i", back["rotations"], q)).min() > 0.999


def test_spz_refuses_a_scene_beyond_its_position_range_and_a_missing_library(
        room, tmp_path, monkeypatch):
    _, scene = room
    pos, faces, _ = cube_arrays(0.2)
    far = Scene(dome=scene.dome, props=(Prop("p9", ObjectMesh(
        pos, faces, colors=np.full((24, 3), 200, np.uint8)), Transform((3000.0, 0.0, 0.0)),
        name="far crate"),))
    with pytest.raises(InputError, match="at most 2048 m"):
        write_splats(tmp_path / "far.spz", far)
    assert not (tmp_path / "far.spz").exists()
    monkeypatch.setenv("PANOFORGE_SPZ_TOOL", str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match="@adobe/spz") as err:
        write_splats(tmp_path / "s.spz", scene)
    assert "npm ci" in err.value.hint and not (tmp_path / "s.spz").exists()
