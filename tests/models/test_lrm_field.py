"""Known answers for LRM's field → mesh stage: triplanes and MLPs set by hand.

The triplane holds x² + y² (plane 0) and z² (plane 1), or |x|, |y|, |z|; the MLP turns them
into a density whose threshold surface is exactly a sphere of radius r, or a cube of half-side
a. The real sampling (``sample_triplane``), activations and mesher then have to give that
surface back: vertices within one voxel, the right volume, every face wound outward.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.lrm.network import TriplaneDecoder, sample_triplane  # noqa: E402
from models.lrm.reconstruct import DEFAULT_THRESHOLD, LRM_TO_OBJECT, triplane_field  # noqa: E402
from models.props.mesher import grid_axes, mesh_field, signed_volume  # noqa: E402
from tests.models.tiny_lrm import analytic_planes, set_analytic_decoder  # noqa: E402

RES = 64
K = 8.0  # density slope


def _sp_inv(y: float) -> float:
    return math.log(math.expm1(y))


class _Net(torch.nn.Module):
    """The query half of LRMNetwork around a hand-set decoder (no encoder needed)."""

    def __init__(self, decoder):
        super().__init__()
        self.synthesizer = torch.nn.Module()
        self.synthesizer.decoder = decoder

    def query(self, planes, points):
        from models.lrm.network import LRMNetwork

        return LRMNetwork.query(self, planes, points)


def _sphere_net(r: float):
    planes = analytic_planes(lambda i, u, v: [u * u + v * v if i == 0 else
                                             (v * v if i == 1 else 0 * u)], 1)
    dec = TriplaneDecoder(1)
    base = 1.0 + _sp_inv(DEFAULT_THRESHOLD)
    set_analytic_decoder(dec, [({0: {0: -1.0, 1: -1.0}}, {0: 10.0}), ({0: {0: 1.0}}, {}),
                               ({0: {0: 1.0}}, {}),
                               ({0: {0: K}, 1: {}, 2: {}, 3: {}},
                                {0: base + K * (r * r - 10.0), 1: 2.0, 2: 0.0, 3: -2.0})])
    return _Net(dec), planes


def _box_net(a: float):
    """Features 1 − |x|, 1 − |y|, 1 − |z| (zero outside the box, like the planes' padding);
    the density crosses the threshold where their minimum is 1 − a."""
    def fn(i, u, v):
        if i == 0:
            return [1 - np.abs(u), 1 - np.abs(v)]
        if i == 1:
            return [0 * u, 1 - np.abs(v)]
        return [0 * u, 0 * u]

    planes = analytic_planes(fn, 2)
    dec = TriplaneDecoder(2)
    base = 1.0 + _sp_inv(DEFAULT_THRESHOLD)
    # features: [p0: gx, gy, p1: 0, gz, p2: 0, 0]; min(p, q) = p - relu(p - q)
    set_analytic_decoder(dec, [
        ({0: {0: 1.0, 1: -1.0}, 1: {0: 1.0}, 2: {3: 1.0}}, {}),  # relu(gx - gy), gx, gz
        ({0: {1: 1.0, 0: -1.0}, 1: {2: 1.0}}, {}),               # m = min(gx, gy), gz
        ({0: {0: 1.0, 1: -1.0}, 1: {0: 1.0}}, {}),               # relu(m - gz), m
        ({0: {1: K, 0: -K}}, {0: base - K * (1.0 - a)}),
    ])
    return _Net(dec), planes


def test_sample_triplane_reads_the_plane_pairs():
    """Plane 0 is indexed by (x, y), plane 1 by (x, z), plane 2 by (z, y)."""
    planes = analytic_planes(lambda i, u, v: [u + 10 * v + 100 * i], 1, res=32)
    pts = torch.tensor([[[0.3, -0.5, 0.7]]])
    f = sample_triplane(planes, pts)[0, 0].numpy()
    np.testing.assert_allclose(f, [0.3 - 5.0, 100 + 0.3 + 7.0, 200 + 0.7 - 5.0], atol=1e-4)


@pytest.mark.parametrize(("r", "res"), [(0.5, RES), (0.35, RES), (0.35, 160)])
def test_sphere_density_gives_the_sphere(r, res):
    """At 64 every grid point is sampled; at 160 the coarse-to-fine pass is on."""
    net, planes = _sphere_net(r)
    field = triplane_field(net, planes)
    field.to_object = np.eye(3)  # compare in the field's own frame
    mesh = mesh_field(field, res)
    _, voxel = grid_axes(field.lo, field.hi, res)
    radius = np.linalg.norm(mesh.positions, axis=1)
    assert np.abs(radius - r).max() < voxel
    vol = signed_volume(mesh.positions, mesh.faces)
    assert vol == pytest.approx(4 / 3 * np.pi * r**3, rel=0.03)
    p = mesh.positions.astype(np.float64)
    a, b, c = p[mesh.faces[:, 0]], p[mesh.faces[:, 1]], p[mesh.faces[:, 2]]
    normals = np.cross(b - a, c - a)
    assert (np.einsum("ij,ij->i", normals, (a + b + c) / 3) > 0).all()
    # the colour head: sigmoid(2, 0, -2)
    assert np.allclose(mesh.colors[:, :3].astype(int), [224, 128, 31], atol=1)


def test_box_density_gives_the_box():
    a = 0.45
    net, planes = _box_net(a)
    field = triplane_field(net, planes)
    field.to_object = np.eye(3)
    mesh = mesh_field(field, RES)
    _, voxel = grid_axes(field.lo, field.hi, RES)
    cheb = np.abs(mesh.positions).max(axis=1)
    assert np.abs(cheb - a).max() < voxel
    assert signed_volume(mesh.positions, mesh.faces) == pytest.approx((2 * a) ** 3, rel=0.03)
    p = mesh.positions.astype(np.float64)
    f = mesh.faces
    n = np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]])
    keep = np.linalg.norm(n, axis=1) > 1e-12
    assert (np.einsum("ij,ij->i", n[keep], p[f[keep]].mean(axis=1)) > 0).all()


def test_lrm_frame_becomes_y_up_front_plus_z():
    """A ball at LRM's (0, −0.4, 0.3) — towards the camera, above the centre — ends up in
    front (+Z) and above (+Y) in the object frame."""
    off = np.array([0.0, -0.4, 0.3])

    def fn(i, u, v):
        if i == 0:
            return [(u - off[0]) ** 2 + (v - off[1]) ** 2]
        if i == 1:
            return [(v - off[2]) ** 2]
        return [0 * u]

    planes = analytic_planes(fn, 1)
    net, _ = _sphere_net(0.2)
    field = triplane_field(net, planes)
    mesh = mesh_field(field, RES)
    centre = mesh.positions.mean(axis=0)
    np.testing.assert_allclose(centre, LRM_TO_OBJECT @ off, atol=0.02)
    np.testing.assert_allclose(centre, [0.0, 0.3, 0.4], atol=0.02)
