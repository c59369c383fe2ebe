"""A baked texture atlas for a vertex-coloured object mesh (a prop's colours as an image).

Some engines and viewers ignore glTF vertex colours or lose them on import; an atlas keeps
the prop's look in any of them. :func:`bake_vertex_colours` UV-unwraps the mesh with
`xatlas <https://github.com/jpcy/xatlas>`_ (the ``xatlas`` Python bindings: charts, seams and
packing are its job) and rasterises each triangle's barycentric blend of its vertex colours
into the atlas with numpy. The rasteriser is written here because it is one vectorised step
on arrays we already hold (no library rasterises per-vertex colours into a UV layout without
a GPU context). It is *conservative*: every texel within ~half a texel's diagonal of a
triangle takes that triangle's colour at the nearest point, so sampling the atlas at a vertex's
UV gives the vertex's own colour, and the gutter around each chart is filled outwards so that
bilinear filtering and mip-maps do not bleed the background in.
"""

from __future__ import annotations

import numpy as np

from .composition import ObjectMesh
from .errors import InputError

__all__ = ["bake_vertex_colours", "MIN_SIZE", "MAX_SIZE", "PADDING"]

#: Smallest and largest atlas edge, texels.
MIN_SIZE, MAX_SIZE = 16, 8192
#: Texels between charts (xatlas ``PackOptions.padding``) and the gutter filled around them.
PADDING = 2
#: Smallest factor an atlas larger than asked is drawn smaller by (see :func:`_unwrap`).
_MIN_SHRINK = 0.6
#: Texels whose centre lies this far outside a triangle (in texels) still take its colour:
#: half a texel's diagonal, so every texel the triangle touches is coloured.
_REACH = 0.7072
#: Candidate texels rasterised at once (bounds the temporaries to ~100 MB).
_CHUNK = 1 << 22


def _unwrap(positions: np.ndarray, faces: np.ndarray, size: int):
    """xatlas charts packed into one atlas of at most ``size`` texels a side.

    Returns ``(vmapping, faces, uvs, w, h)``: uvs normalised to the atlas, ``w, h`` its size.
    Charting is the slow part (~20 s for 50 k triangles) and the binding has no separate
    packing call, so an atlas that comes out larger than ``size`` is drawn at ``size`` (the
    normalised uvs scale with it; the padding is wide enough to stay >= 2 texels) rather than
    charted again; only one that would shrink below :data:`_MIN_SHRINK` is charted again.
    """
    try:
        import xatlas
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError("a baked texture atlas needs the xatlas package",
                         hint="pip install xatlas (a panoforge dependency)") from exc
    texels_per_unit = 0.0  # xatlas estimates a scale that fills the resolution
    for _ in range(4):
        atlas = xatlas.Atlas()
        atlas.add_mesh(positions, faces)
        pack = xatlas.PackOptions()
        pack.resolution = int(size)
        pack.padding = int(np.ceil(PADDING / _MIN_SHRINK))
        pack.bilinear = True
        pack.texels_per_unit = float(texels_per_unit)
        atlas.generate(xatlas.ChartOptions(), pack)
        w, h = int(atlas.width), int(atlas.height)
        shrink = min(1.0, size / max(w, h))
        if atlas.atlas_count <= 1 and shrink >= _MIN_SHRINK:
            vmapping, new_faces, uvs = atlas[0]
            chart = atlas.get_mesh_vertex_assignment(0)[0].astype(np.int64)
            w, h = max(1, int(w * shrink)), max(1, int(h * shrink))
            return vmapping, new_faces, _uv_for_unassigned(positions, vmapping, uvs, chart), w, h
        texels_per_unit = float(atlas.texels_per_unit) * min(0.8, 0.95 * shrink)
    raise InputError(f"the prop's charts do not fit a {size}x{size} atlas",
                     hint="use a larger --texture-size")


def _uv_for_unassigned(positions, vmapping, uvs, atlas_index):
    """xatlas leaves the vertices of degenerate (zero-area) triangles out of every chart, at
    UV (0, 0); each takes the UV of the charted vertex nearest to it (in metres; in practice
    one at the same point), so its colour is the one there."""
    out = np.array(uvs, dtype=np.float32)
    lost = atlas_index < 0
    lost |= atlas_index == 0xFFFFFFFF
    if lost.any() and not lost.all():
        from scipy.spatial import cKDTree

        p = positions[vmapping.astype(np.int64)]
        _, nearest = cKDTree(p[~lost]).query(p[lost])
        out[lost] = out[~lost][nearest]
    return out


def _rasterise(uv_px: np.ndarray, faces: np.ndarray, colours: np.ndarray, w: int, h: int):
    """Conservative per-triangle barycentric rasterisation into an (h, w) atlas.

    Parameters
    ----------
    uv_px : (N, 2) float64 ndarray
        Vertex positions in texels (x right, y down; texel centres at ``i + 0.5``).
    faces : (M, 3) int64 ndarray
    colours : (N, 3) float64 ndarray
        0-255.

    Returns
    -------
    image : (h, w, 3) float64 ndarray
    filled : (h, w) bool ndarray
    """
    image = np.zeros((h * w, 3))
    best = np.full(h * w, -np.inf)
    tri = uv_px[faces]  # (M, 3, 2)
    lo = np.floor(tri.min(axis=1) - 0.5 - _REACH).astype(np.int64)
    hi = np.ceil(tri.max(axis=1) - 0.5 + _REACH).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, (w - 1, h - 1))
    bw = np.maximum(hi[:, 0] - lo[:, 0] + 1, 0)
    bh = np.maximum(hi[:, 1] - lo[:, 1] + 1, 0)
    count = bw * bh
    ends = np.cumsum(count)
    start_tri = 0
    while start_tri < faces.shape[0]:  # chunks of whole triangles
        base = ends[start_tri - 1] if start_tri else 0
        stop = int(np.searchsorted(ends, base + _CHUNK, side="right"))
        stop = max(stop, start_tri + 1)
        sel = np.arange(start_tri, stop)
        n = count[sel]
        t = np.repeat(sel, n)
        off = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        px = lo[t, 0] + off % bw[t]
        py = lo[t, 1] + off // bw[t]
        c = np.stack([px + 0.5, py + 0.5], axis=1)
        a, b, d = tri[t, 0], tri[t, 1], tri[t, 2]
        # signed distances (texels) to the three edges, positive inside, either winding
        area = (b[:, 0] - a[:, 0]) * (d[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (d[:, 0] - a[:, 0])
        sign = np.where(area < 0, -1.0, 1.0)
        dist = []
        lam = []
        for p0, p1 in ((b, d), (d, a), (a, b)):  # edge opposite vertex 0, 1, 2
            e = p1 - p0
            cross = (e[:, 0] * (c[:, 1] - p0[:, 1]) - e[:, 1] * (c[:, 0] - p0[:, 0])) * sign
            dist.append(cross / np.maximum(np.hypot(e[:, 0], e[:, 1]), 1e-12))
            lam.append(cross)
        score = np.min(np.stack(dist, axis=1), axis=1)
        near = score >= -_REACH
        bary = np.stack(lam, axis=1)[near] / np.maximum(np.abs(area[near]), 1e-12)[:, None]
        bary = np.clip(bary, 0.0, None)  # outside: the nearest side's blend
        bary /= np.maximum(bary.sum(axis=1, keepdims=True), 1e-12)
        fv = faces[t[near]]
        col = np.einsum("kj,kjc->kc", bary, colours[fv])
        texel = py[near] * w + px[near]
        s = score[near]
        # each texel keeps the triangle it lies deepest inside
        order = np.lexsort((-s, texel))
        texel, s, col = texel[order], s[order], col[order]
        first = np.ones(texel.size, dtype=bool)
        first[1:] = texel[1:] != texel[:-1]
        texel, s, col = texel[first], s[first], col[first]
        better = s > best[texel]
        image[texel[better]] = col[better]
        best[texel[better]] = s[better]
        start_tri = stop
    return image.reshape(h, w, 3), np.isfinite(best).reshape(h, w)


def _fill_gutter(image: np.ndarray, filled: np.ndarray, steps: int) -> np.ndarray:
    """Grow the charts' colours ``steps`` texels outwards (mean of the filled 4-neighbours);
    what is still empty takes the mean colour."""
    img = image.copy()
    ok = filled.copy()
    for _ in range(steps):
        total = np.zeros_like(img)
        n = np.zeros(ok.shape)
        for axis, shift in ((0, 1), (0, -1), (1, 1), (1, -1)):
            src = np.roll(img * ok[..., None], shift, axis=axis)
            cnt = np.roll(ok, shift, axis=axis).astype(np.float64)
            edge = [slice(None), slice(None)]
            edge[axis] = 0 if shift == 1 else -1  # no wrap-around
            src[tuple(edge)] = 0
            cnt[tuple(edge)] = 0
            total += src
            n += cnt
        grow = ~ok & (n > 0)
        if not grow.any():
            break
        img[grow] = total[grow] / n[grow, None]
        ok |= grow
    if ok.any() and not ok.all():
        img[~ok] = img[ok].mean(axis=0)
    return img


def bake_vertex_colours(mesh: ObjectMesh, size: int = 1024) -> ObjectMesh:
    """The same surface with its vertex colours baked into a texture atlas.

    Parameters
    ----------
    mesh : ObjectMesh
        With ``colors`` (N, 4) uint8 sRGB.
    size : int
        Atlas edge in texels, :data:`MIN_SIZE` to :data:`MAX_SIZE`; a power of two is best.

    Returns
    -------
    ObjectMesh
        Vertices split along the chart seams (positions are copies of the input's), the
        same triangles in the same order, ``uvs`` (N', 2) float32 (glTF: v down, 0 = the
        image's top row), ``texture`` (size, size, 3) uint8 and no vertex colours (a glTF
        viewer would multiply the two).
    """
    size = int(size)
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise InputError(f"a texture atlas of {size} texels is outside {MIN_SIZE}-{MAX_SIZE}",
                         hint="for example --texture-size 1024")
    if mesh.colors is None:
        raise InputError("the prop has no vertex colours to bake into a texture",
                         hint="leave out --texture-size")
    vmapping, faces, uvs, w, h = _unwrap(mesh.positions, mesh.faces, size)
    vmapping = vmapping.astype(np.int64)
    faces = faces.astype(np.int64)
    colours = mesh.colors[vmapping, :3].astype(np.float64)
    # the charts fill w x h texels of a size x size image (a power of two when size is one:
    # NPOT textures lose mip-maps in WebGL 1 and some engines)
    uv = uvs.astype(np.float64) * (w, h) / size
    image, filled = _rasterise(uv * size, faces, colours, size, size)
    image = _fill_gutter(image, filled, 2 * PADDING + 2)
    texture = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return ObjectMesh(positions=mesh.positions[vmapping], faces=faces.astype(np.uint32),
                      uvs=uv.astype(np.float32), texture=texture)
