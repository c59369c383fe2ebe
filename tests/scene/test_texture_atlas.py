"""A prop's vertex colours baked into a texture atlas (issue 12, scene.texture_atlas)."""

from __future__ import annotations

import numpy as np
import pytest

from models.props import PropRequest, generate_prop
from scene.composition import ObjectMesh, Prop, Scene, Transform
from scene.errors import InputError
from scene.export_glb import write_scene_glb
from scene.mesh import DEFAULT_SETTINGS
from scene.scene_mesh import build_scene_meshes
from scene.testing.analytic import box_room
from scene.texture_atlas import bake_vertex_colours
from tests.gltf_validator import assert_clean


@pytest.fixture(scope="module")
def rock() -> ObjectMesh:
    return generate_prop(PropRequest(backend="procedural", prompt="rock", resolution=24)).mesh


@pytest.fixture(scope="module")
def baked(rock) -> ObjectMesh:
    return bake_vertex_colours(rock, 512)


def _bilinear(texture: np.ndarray, uvs: np.ndarray) -> np.ndarray:
    """(N, 3) float colour of ``texture`` at glTF ``uvs`` (v down), bilinear, clamped."""
    h, w = texture.shape[:2]
    p = uvs.astype(np.float64) * (w, h) - 0.5
    x0, y0 = np.floor(p[:, 0]).astype(np.int64), np.floor(p[:, 1]).astype(np.int64)
    fx, fy = (p[:, 0] - x0)[:, None], (p[:, 1] - y0)[:, None]
    t = texture.astype(np.float64)

    def at(y, x):
        return t[np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)]

    return (at(y0, x0) * (1 - fx) * (1 - fy) + at(y0, x0 + 1) * fx * (1 - fy)
            + at(y0 + 1, x0) * (1 - fx) * fy + at(y0 + 1, x0 + 1) * fx * fy)


def _vertex_colours_of(baked: ObjectMesh, rock: ObjectMesh) -> np.ndarray:
    """The original colour of each baked vertex (vertices split at seams keep their point)."""
    from scipy.spatial import cKDTree

    d, i = cKDTree(rock.positions).query(baked.positions)
    assert d.max() == 0.0  # the unwrap only splits vertices, it moves none
    return rock.colors[i, :3].astype(np.float64)


def test_the_atlas_reproduces_the_vertex_colours(rock, baked):
    assert baked.colors is None and baked.texture.dtype == np.uint8
    assert baked.texture.shape == (512, 512, 3)
    assert baked.n_faces == rock.n_faces
    assert ((baked.uvs >= 0) & (baked.uvs <= 1)).all()
    want = _vertex_colours_of(baked, rock)
    err = np.abs(_bilinear(baked.texture, baked.uvs) - want).max(axis=1)
    assert np.median(err) <= 1.0 and np.percentile(err, 99) <= 4.0, (np.median(err), err.max())
    # the rock's colours vary, so a flat texture would not pass
    assert want.std(axis=0).max() > 5
    flat = np.full_like(baked.texture, np.round(want.mean(axis=0)).astype(np.uint8))
    assert np.percentile(np.abs(_bilinear(flat, baked.uvs) - want).max(axis=1), 99) > 8


def test_the_rasteriser_is_what_colours_the_atlas(rock, monkeypatch):
    # The stage switched off: without the per-triangle rasterisation the atlas is one colour.
    import scene.texture_atlas as atlas_module

    monkeypatch.setattr(atlas_module, "_rasterise",
                        lambda uv, faces, colours, w, h: (np.zeros((h, w, 3)),
                                                          np.zeros((h, w), bool)))
    off = bake_vertex_colours(rock, 128)
    assert len(np.unique(off.texture.reshape(-1, 3), axis=0)) == 1


def test_refusals(rock):
    with pytest.raises(InputError):
        bake_vertex_colours(rock, 4)
    with pytest.raises(InputError, match="no vertex colours"):
        bake_vertex_colours(ObjectMesh(rock.positions, rock.faces), 256)


def test_a_glb_with_the_textured_prop_is_clean(baked, tmp_path):
    room = box_room(64)
    prop = Prop("p1", baked, Transform.yaw((0.0, -1.0, -2.0), 20.0, 0.5), name="rock")
    scene = Scene(dome=room.panorama, props=(prop,), name="room")
    path = tmp_path / "textured_prop.glb"
    write_scene_glb(path, scene, build_scene_meshes(scene, DEFAULT_SETTINGS), texture="png")
    assert_clean(path)

