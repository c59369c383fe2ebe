"""The procedural prop backend and the shared field → mesh stage, against exact answers."""

from __future__ import annotations

import threading
from collections import Counter

import numpy as np
import pytest

from models.props import PropRequest, generate_prop
from models.props import sdf as S
from models.props.backend import procedural_field
from models.props.mesher import Field, grid_axes, mesh_field, signed_volume
from models.props.shapes import SHAPES, make_shape, shape_for_prompt
from scene.errors import CancelledError, InputError

RES = 64


def _closed(faces) -> bool:
    f = np.asarray(faces, np.int64)
    directed = Counter(map(tuple, np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])))
    return all(n == 1 for n in directed.values()) and all((b, a) in directed for a, b in directed)


@pytest.mark.parametrize("name", SHAPES)
def test_every_shape_meshes_closed_on_its_surface(name):
    shape = make_shape(name)
    mesh = mesh_field(procedural_field(shape), RES)
    _, voxel = grid_axes(shape.lo, shape.hi, RES)
    assert np.abs(shape.sdf(mesh.positions)).max() < voxel
    assert _closed(mesh.faces)
    assert signed_volume(mesh.positions, mesh.faces) > 0
    lo, hi = mesh.bounds()
    assert lo[1] == pytest.approx(0.0, abs=voxel) and 0.9 < hi[1] <= 1.0 + voxel
    assert mesh.colors.shape == (mesh.n_vertices, 4)


@pytest.mark.parametrize("name", [n for n in SHAPES if make_shape(n).volume is not None])
def test_volumes_match_the_closed_forms(name):
    shape = make_shape(name)
    mesh = mesh_field(procedural_field(shape), 96)
    assert signed_volume(mesh.positions, mesh.faces) == pytest.approx(shape.volume, rel=0.01)


def test_ball_vertices_lie_on_the_sphere_and_face_outward():
    mesh = generate_prop(PropRequest(prompt="a ball", resolution=RES)).mesh
    shape = make_shape("ball")
    _, voxel = grid_axes(shape.lo, shape.hi, RES)
    c = np.array([0.0, 0.5, 0.0])
    r = np.linalg.norm(mesh.positions - c, axis=1)
    assert np.abs(r - 0.5).max() < voxel
    p = mesh.positions.astype(np.float64)
    a, b, d = (p[mesh.faces[:, i]] for i in range(3))
    n = np.cross(b - a, d - a)
    assert (np.einsum("ij,ij->i", n, (a + b + d) / 3 - c) > 0).all()


def test_cone_distance_is_exact():
    # upright cone: radius 1 at y = 0, apex at y = 1 (slope 45 degrees)
    pts = np.array([[0, 0.5, 0], [0, 2, 0], [0, -1, 0], [2, 0, 0], [0.5, 0.5, 0], [0, 1, 0]])
    d = S.cone_y(pts, 0, 0, 0.0, 1.0, 1.0, 0.0)
    np.testing.assert_allclose(d, [-0.5 / np.sqrt(2), 1.0, 1.0, 1.0, 0.0, 0.0], atol=1e-12)


def test_box_and_cylinder_distances_are_exact():
    np.testing.assert_allclose(S.box([[2, 0, 0], [0, 0, 0], [2, 2, 0]], (0, 0, 0), (1, 1, 1)),
                               [1.0, -1.0, np.sqrt(2)])
    np.testing.assert_allclose(S.cylinder_y([[0, 0.5, 0], [3, 0.5, 0], [0, 3, 0], [2, 2, 0]],
                                            0, 0, 1.0, 0.0, 1.0), [-0.5, 2.0, 2.0, np.sqrt(2)])


def test_words_pick_the_object_and_colour_it():
    assert shape_for_prompt("A tall PINE tree")[0] == "pine"
    assert shape_for_prompt("mossy boulder")[0] == "rock"
    name, tint = shape_for_prompt("a red crate")
    assert name == "crate" and tint[0] > 1 > tint[2]
    plain = generate_prop(PropRequest(prompt="crate", resolution=24)).mesh.colors
    red = generate_prop(PropRequest(prompt="red crate", resolution=24)).mesh.colors
    assert red[:, 0].mean() > plain[:, 0].mean() and red[:, 2].mean() < plain[:, 2].mean()
    with pytest.raises(InputError, match="knows no object") as err:
        shape_for_prompt("a spaceship")
    assert "pine" in err.value.hint


def test_procedural_prop_source_and_determinism():
    a = generate_prop(PropRequest(prompt="rock", seed=3, resolution=32))
    b = generate_prop(PropRequest(prompt="rock", seed=3, resolution=32))
    c = generate_prop(PropRequest(prompt="rock", seed=4, resolution=32))
    np.testing.assert_array_equal(a.mesh.positions, b.mesh.positions)
    assert a.mesh.n_vertices != c.mesh.n_vertices or not np.array_equal(a.mesh.positions,
                                                                         c.mesh.positions)
    assert a.name == "rock"
    assert a.source["backend"] == "procedural" and a.source["shape"] == "rock"
    assert a.source["grid"] == 32 and a.source["seed"] == 3
    assert a.source["commercial_use"] is True


def test_procedural_refuses_a_picture(tmp_path):
    with pytest.raises(InputError, match="from words"):
        generate_prop(PropRequest(prompt="rock", image=tmp_path / "x.png"))


def test_progress_and_cancel():
    steps = []
    generate_prop(PropRequest(prompt="lamp", resolution=32), on_progress=steps.append)
    assert [s.step for s in steps] == sorted(s.step for s in steps)
    assert steps[-1].step == steps[-1].total
    ev = threading.Event()
    ev.set()
    with pytest.raises(CancelledError):
        generate_prop(PropRequest(prompt="lamp", resolution=32), cancel=ev)

    # cancelled part way: the field is never asked again after the flag is set
    calls = []
    ev2 = threading.Event()

    def density(p):
        calls.append(len(p))
        if len(calls) == 2:
            ev2.set()
        return -S.sphere(p, (0, 0, 0), 0.5)

    big = Field(density, (-1, -1, -1), (1, 1, 1))
    with pytest.raises(CancelledError):
        mesh_field(big, 512, cancel=ev2)
    assert len(calls) == 2


def test_empty_field_and_bad_resolution_are_explained():
    empty = Field(lambda p: -np.ones(len(p)), (-1, -1, -1), (1, 1, 1))
    with pytest.raises(InputError, match="no surface"):
        mesh_field(empty, 32)
    with pytest.raises(InputError, match="grid resolution"):
        mesh_field(empty, 4)


def test_object_touching_the_box_is_still_closed():
    """A solid bigger than the sampling box is cut by it and closed by the padding."""
    f = Field(lambda p: -S.box(p, (0, 0, 0), (1.5, 0.5, 0.5)), (-1, -1, -1), (1, 1, 1))
    mesh = mesh_field(f, 24)
    assert _closed(mesh.faces)
    assert signed_volume(mesh.positions, mesh.faces) == pytest.approx(2.0, rel=0.01)
    full = Field(lambda p: np.ones(len(p)), (-1, -1, -1), (1, 1, 1))
    with pytest.raises(InputError, match="fills its whole box"):
        mesh_field(full, 24)


@pytest.mark.parametrize("name", SHAPES)
def test_coarse_to_fine_gives_the_dense_mesh(name):
    """Sampling only near the surface changes nothing: the same vertices and faces."""
    f = procedural_field(make_shape(name))
    dense = mesh_field(f, 96, coarse=None)
    fine = mesh_field(f, 96, coarse=32)
    np.testing.assert_array_equal(fine.positions, dense.positions)
    np.testing.assert_array_equal(fine.faces, dense.faces)


def test_coarse_to_fine_evaluates_few_points():
    shape = make_shape("ball")
    seen = []

    def density(p):
        seen.append(len(p))
        return -shape.sdf(p)

    f = Field(density, shape.lo, shape.hi)
    mesh_field(f, 192)  # default coarse pass: 64 per side
    axes, _ = grid_axes(shape.lo, shape.hi, 192)
    assert sum(seen) < 0.35 * np.prod([len(a) for a in axes])
