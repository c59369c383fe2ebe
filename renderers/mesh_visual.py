"""The vispy visual that draws a DepthMesh with its panorama texture.

One shader program, four modes:

``textured``
    Triangles sampling the equirect image (linear filtering; the sampler repeats
    horizontally so the seam column with ``u > 1`` wraps, and clamps vertically).
``depth``
    Triangles coloured by the distance of each point from the origin through a colour map
    (log scale between the 1st and 99th percentile of the mesh's vertex distances).
``wireframe``
    Every triangle's edges as lines, coloured by the texture.
``points``
    Every vertex as a point, coloured by the texture.

:class:`SceneLayers` adds a *backdrop*: a plain textured sphere beyond the scene, drawn in the
``textured`` mode from inside, so the holes that the discontinuity cut leaves beside
silhouettes show the panorama's own colour in that direction instead of the background.

:meth:`SceneLayers.set_parts` adds the rest of a composition (:mod:`renderers.scene_parts`):
one more textured node per layer (the same visual as the dome, its own texture) and one
:func:`PropNode` per prop (vertex colours, lambert lighting for ``pbr`` props, none for
``unlit``; coloured by distance in the ``depth`` mode). Every node depth-tests, so nearer parts
hide farther ones whatever the drawing order.

Triangles are drawn with back-face culling on (faces are wound counter-clockwise as seen
from the origin), so from inside every face shows and from outside the near half of the
sphere disappears: the dollhouse view looks into the scene through the near wall.

The GPU keeps one vertex buffer of positions (``float32``), one of texture coordinates and
one index buffer of faces; :meth:`DepthMeshVisual.set_positions` replaces only the positions
(the fast path for live depth edits, ``glBufferSubData`` of the same size).
"""

from __future__ import annotations

import numpy as np

from scene.errors import InputError
from scene.meshdata import DepthMesh
from scene.panorama import resize_bilinear_wrap

__all__ = ["MODES", "MAX_TEXTURE_WIDTH", "DepthMeshVisual", "DepthMeshNode", "texture_image",
           "depth_range", "SceneLayers", "backdrop_mesh", "PropNode"]

MODES = ("textured", "depth", "wireframe", "points")
#: Widest panorama texture uploaded as it is; wider ones are resampled to this width
#: (every desktop GPU and Mesa's llvmpipe accept 8192-texel textures).
MAX_TEXTURE_WIDTH = 8192

_MODE_CODE = {"textured": 0.0, "depth": 1.0, "wireframe": 0.0, "points": 0.0}

VERT = """
attribute vec3 a_position;
attribute vec2 a_uv;
uniform float u_point_size;
varying vec2 v_uv;
varying float v_dist;

void main() {
    v_uv = a_uv;
    v_dist = length(a_position);
    gl_Position = $transform(vec4(a_position, 1.0));
    gl_PointSize = u_point_size;
}
"""

FRAG = """
uniform sampler2D u_texture;
uniform sampler2D u_colormap;
uniform float u_mode;          // 0: texture colour, 1: distance through the colour map
uniform vec2 u_log_range;      // log(near), log(far) of the colour map
varying vec2 v_uv;
varying float v_dist;

void main() {
    if (u_mode > 0.5) {
        float span = max(u_log_range.y - u_log_range.x, 1e-6);
        float t = clamp((log(max(v_dist, 1e-6)) - u_log_range.x) / span, 0.0, 1.0);
        gl_FragColor = vec4(texture2D(u_colormap, vec2(t, 0.5)).rgb, 1.0);
    } else {
        gl_FragColor = vec4(texture2D(u_texture, v_uv).rgb, 1.0);
    }
}
"""


PROP_VERT = """
attribute vec3 a_position;
attribute vec3 a_normal;
attribute vec4 a_color;
varying vec4 v_color;
varying vec3 v_normal;
varying float v_dist;

void main() {
    v_color = a_color;
    v_normal = a_normal;
    v_dist = length(a_position);
    gl_Position = $transform(vec4(a_position, 1.0));
}
"""

PROP_FRAG = """
uniform sampler2D u_colormap;
uniform float u_mode;          // 0: vertex colour, 1: distance through the colour map
uniform float u_lit;           // 1: lambert lighting, 0: unlit
uniform vec3 u_light;          // unit direction towards the light, world frame
uniform float u_ambient;
uniform vec2 u_log_range;
varying vec4 v_color;
varying vec3 v_normal;
varying float v_dist;

void main() {
    if (u_mode > 0.5) {
        float span = max(u_log_range.y - u_log_range.x, 1e-6);
        float t = clamp((log(max(v_dist, 1e-6)) - u_log_range.x) / span, 0.0, 1.0);
        gl_FragColor = vec4(texture2D(u_colormap, vec2(t, 0.5)).rgb, 1.0);
        return;
    }
    float k = 1.0;
    if (u_lit > 0.5) {
        vec3 n = normalize(v_normal);
        k = u_ambient + (1.0 - u_ambient) * max(dot(n, u_light), 0.0);
    }
    gl_FragColor = vec4(v_color.rgb * k, 1.0);
}
"""


def texture_image(rgb: np.ndarray, max_width: int = MAX_TEXTURE_WIDTH) -> np.ndarray:
    """The panorama image as it is uploaded: unchanged, or resampled if wider than allowed.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        Row 0 is the top (``v = 0``), uploaded first, so texture ``t = v`` with no flip.
    max_width : int

    Returns
    -------
    (h, w, 3) uint8 C-contiguous ndarray, ``w <= max_width``
    """
    rgb = np.asarray(rgb)
    h, w = rgb.shape[:2]
    if w > max_width:
        new_w = max_width
        new_h = max(1, new_w * h // w)
        rgb = np.clip(np.rint(resize_bilinear_wrap(rgb, new_h, new_w)), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(rgb)


def _sample_distances(positions: np.ndarray, sample: int) -> np.ndarray:
    step = max(1, positions.shape[0] // sample)
    p = positions[::step]
    d = np.sqrt(np.einsum("ij,ij->i", p, p, dtype=np.float64))
    return d[np.isfinite(d) & (d > 0)]


def depth_range(positions: np.ndarray, sample: int = 200_000) -> tuple[float, float]:
    """Distances that the depth colour map spans: 1st and 99th percentile, metres.

    Parameters
    ----------
    positions : (N, 3) float32 ndarray
    sample : int
        At most about this many evenly spaced vertices are looked at.

    Returns
    -------
    (near, far) : tuple of float
        ``0 < near < far``.
    """
    return _range_of(_sample_distances(positions, sample))


def _range_of(d: np.ndarray) -> tuple[float, float]:
    if d.size == 0:
        return (1.0, 2.0)
    near, far = np.percentile(d, [1.0, 99.0])
    near = max(float(near), 1e-3)
    far = max(float(far), near * 1.01)
    return near, far


def _check_mesh(mesh: DepthMesh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`DepthMesh.checked` (the viewport may show a mesh with no faces)."""
    return mesh.checked(allow_no_faces=True)


def _edges(faces: np.ndarray) -> np.ndarray:
    """(3M*2,) uint32 line indices: the three edges of every face (shared edges twice)."""
    return np.ascontiguousarray(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1))


def _make_visual_class():
    """Build the Visual subclass lazily so importing this module does not import vispy."""
    from vispy import gloo
    from vispy.visuals import Visual

    from .depth_colours import depth_lut

    class _DepthMeshVisual(Visual):
        """Draws a :class:`~scene.meshdata.DepthMesh` textured by its panorama.

        Parameters
        ----------
        mode : {"textured", "depth", "wireframe", "points"}
        point_size : float
            Pixels, for the ``points`` mode.
        """

        def __init__(self, mode: str = "textured", point_size: float = 2.0):
            Visual.__init__(self, vcode=VERT, fcode=FRAG)
            self._positions = gloo.VertexBuffer(np.zeros((1, 3), np.float32))
            self._uvs = gloo.VertexBuffer(np.zeros((1, 2), np.float32))
            self._faces = gloo.IndexBuffer(np.zeros(3, np.uint32))
            self._edges_buf: object | None = None
            self._faces_cpu = np.zeros((0, 3), np.uint32)
            self._texture = gloo.Texture2D(np.zeros((1, 2, 3), np.uint8),
                                           interpolation="linear",
                                           wrapping=("repeat", "clamp_to_edge"))
            lut = depth_lut(256)  # the one depth colour map (renderers.depth_colours)
            lut = (np.clip(lut[:, :3], 0, 1) * 255).astype(np.uint8)[None]
            self._colormap = gloo.Texture2D(lut, interpolation="linear",
                                            wrapping="clamp_to_edge")
            prog = self.shared_program
            prog["a_position"] = self._positions
            prog["a_uv"] = self._uvs
            prog["u_texture"] = self._texture
            prog["u_colormap"] = self._colormap
            prog["u_point_size"] = float(point_size)
            prog["u_log_range"] = (0.0, 1.0)
            self._n_vertices = 0
            self._depth_range = (1.0, 2.0)
            self._extent = 10.0
            self._pos_for_bounds = None
            self._bounds = None
            self._has_data = False
            self._mode = "textured"
            self.set_mode(mode)

        # -- data ---------------------------------------------------------------------
        def set_data(self, rgb: np.ndarray | None, mesh: DepthMesh) -> None:
            """Upload a new mesh (positions, texture coordinates, faces) and optionally a texture.

            Parameters
            ----------
            rgb : (H, W, 3) uint8 ndarray or None
                The panorama; ``None`` keeps the current texture.
            mesh : DepthMesh
            """
            pos, uv, faces = _check_mesh(mesh)
            if rgb is not None:
                self._texture.set_data(texture_image(rgb))
            self._positions.set_data(pos)
            self._uvs.set_data(uv)
            self._faces_cpu = faces
            self._faces.set_data(faces.reshape(-1) if faces.size else np.zeros(3, np.uint32))
            self._edges_buf = None
            self._n_vertices = pos.shape[0]
            self._update_ranges(pos)
            self._has_data = True
            self._apply_mode()
            self.update()

        def set_positions(self, positions: np.ndarray) -> None:
            """Replace vertex positions only (same count; faces and uvs unchanged).

            Parameters
            ----------
            positions : (N, 3) float32 ndarray
                ``N`` must equal the current vertex count.
            """
            pos = np.ascontiguousarray(positions, dtype=np.float32)
            if pos.shape != (self._n_vertices, 3):
                raise InputError(f"position update has shape {pos.shape}, the mesh has "
                                 f"{self._n_vertices} vertices",
                                 hint="use set_data when the topology changes")
            self._positions.set_data(pos)
            self._update_ranges(pos)
            self.update()

        def _update_ranges(self, pos: np.ndarray) -> None:
            # A strided sample keeps live edits cheap (reductions over 1M+ vertices cost tens
            # of ms); the clip planes leave a 2x margin over the extent.
            d = _sample_distances(pos, 200_000)
            near, far = _range_of(d)
            self.shared_program["u_log_range"] = (float(np.log(near)), float(np.log(far)))
            self._depth_range = (near, far)
            self._extent = float(d.max()) if d.size else 10.0
            self._pos_for_bounds = pos
            self._bounds = None
            self._bounds_changed()

        @property
        def depth_range(self) -> tuple[float, float]:
            """(near, far) metres spanned by the depth colour map."""
            return self._depth_range

        @property
        def extent(self) -> float:
            """Distance of the farthest vertex from the origin (of a strided sample), metres."""
            return self._extent

        @property
        def n_faces(self) -> int:
            return int(self._faces_cpu.shape[0])

        @property
        def n_vertices(self) -> int:
            return int(self._n_vertices)

        def use_texture_of(self, other) -> None:
            """Sample ``other``'s panorama texture (one copy on the GPU for both visuals)."""
            self.shared_program["u_texture"] = other._texture

        def free(self) -> None:
            """Delete the GPU buffers and textures now (the visual cannot draw afterwards)."""
            for obj in (self._positions, self._uvs, self._faces, self._edges_buf,
                        self._texture, self._colormap):
                if obj is not None:
                    obj.delete()
            self._edges_buf = None
            self._has_data = False

        # -- mode ---------------------------------------------------------------------
        @property
        def mode(self) -> str:
            return self._mode

        def set_mode(self, mode: str) -> None:
            """Switch between ``textured``, ``depth``, ``wireframe`` and ``points``."""
            if mode not in MODES:
                raise InputError(f"unknown render mode {mode!r}",
                                 hint="use one of " + ", ".join(MODES))
            self._mode = mode
            self._apply_mode()
            self.update()

        def _apply_mode(self) -> None:
            mode = self._mode
            self.shared_program["u_mode"] = _MODE_CODE[mode]
            if mode in ("textured", "depth"):
                self._draw_mode = "triangles"
                self._index_buffer = self._faces
                self.set_gl_state(depth_test=True, cull_face="back", front_face="ccw",
                                  blend=False)
            elif mode == "wireframe":
                if self._edges_buf is None and self._has_data:
                    self._edges_buf = gloo.IndexBuffer(_edges(self._faces_cpu)
                                                       if self._faces_cpu.size
                                                       else np.zeros(2, np.uint32))
                self._draw_mode = "lines"
                self._index_buffer = self._edges_buf
                self.set_gl_state(depth_test=True, cull_face=False, blend=False)
            else:
                self._draw_mode = "points"
                self._index_buffer = None
                self.set_gl_state(depth_test=True, cull_face=False, blend=False)

        # -- vispy hooks --------------------------------------------------------------
        def _prepare_draw(self, view):
            if not self._has_data or (self._mode in ("textured", "depth", "wireframe")
                                      and self._faces_cpu.size == 0):
                return False
            return True

        @staticmethod
        def _prepare_transforms(view):
            view.view_program.vert["transform"] = view.transforms.get_transform()

        def _compute_bounds(self, axis, view):
            if self._bounds is None and self._pos_for_bounds is not None:
                p = self._pos_for_bounds
                self._bounds = [(float(p[:, i].min()), float(p[:, i].max())) for i in range(3)]
            return None if self._bounds is None else self._bounds[axis]

    return _DepthMeshVisual


def _make_prop_class():
    """Build the prop Visual subclass lazily (see :data:`PROP_FRAG` for the shading)."""
    from vispy import gloo
    from vispy.visuals import Visual

    from .depth_colours import depth_lut
    from .scene_parts import AMBIENT, LIGHT_DIRECTION

    class _PropVisual(Visual):
        """Draws one :class:`~renderers.scene_parts.PropPart` (world-frame arrays)."""

        def __init__(self, part):
            Visual.__init__(self, vcode=PROP_VERT, fcode=PROP_FRAG)
            faces = np.ascontiguousarray(part.faces, np.uint32)
            self._buffers = [gloo.VertexBuffer(np.ascontiguousarray(part.positions, np.float32)),
                             gloo.VertexBuffer(np.ascontiguousarray(part.normals, np.float32)),
                             gloo.VertexBuffer(part.colors.astype(np.float32) / 255.0)]
            self._faces = gloo.IndexBuffer(faces.reshape(-1))
            lut = depth_lut(256)  # the one depth colour map (renderers.depth_colours)
            lut = (np.clip(lut[:, :3], 0, 1) * 255).astype(np.uint8)[None]
            self._colormap = gloo.Texture2D(lut, interpolation="linear",
                                            wrapping="clamp_to_edge")
            prog = self.shared_program
            prog["a_position"], prog["a_normal"], prog["a_color"] = self._buffers
            prog["u_colormap"] = self._colormap
            prog["u_lit"] = 1.0 if part.lit else 0.0
            prog["u_light"] = LIGHT_DIRECTION
            prog["u_ambient"] = float(AMBIENT)
            prog["u_log_range"] = (0.0, 1.0)
            prog["u_mode"] = 0.0
            self.part = part
            self._n_faces = int(faces.shape[0])
            p = np.asarray(part.positions)
            self._bounds = [(float(p[:, i].min()), float(p[:, i].max())) for i in range(3)]
            self._draw_mode = "triangles"
            self._index_buffer = self._faces
            # Closed, outward-wound meshes: the depth test alone hides their far side.
            self.set_gl_state(depth_test=True, cull_face=False, blend=False)

        def set_mode(self, mode: str, log_range: tuple[float, float]) -> None:
            """Vertex colours (every mode but ``depth``) or distance through the colour map."""
            self.shared_program["u_mode"] = 1.0 if mode == "depth" else 0.0
            self.shared_program["u_log_range"] = tuple(float(v) for v in log_range)
            self.update()

        @property
        def n_faces(self) -> int:
            return self._n_faces

        @property
        def n_vertices(self) -> int:
            return int(self.part.positions.shape[0])

        def free(self) -> None:
            for obj in (*self._buffers, self._faces, self._colormap):
                obj.delete()
            self._n_faces = 0

        def _prepare_draw(self, view):
            return self._n_faces > 0

        @staticmethod
        def _prepare_transforms(view):
            view.view_program.vert["transform"] = view.transforms.get_transform()

        def _compute_bounds(self, axis, view):
            return self._bounds[axis]

    return _PropVisual


_CLASSES: dict[str, type] = {}


def _classes() -> dict[str, type]:
    if not _CLASSES:
        from vispy.scene.visuals import create_visual_node

        visual = _make_visual_class()
        _CLASSES["visual"] = visual
        _CLASSES["node"] = create_visual_node(visual)
        _CLASSES["prop_node"] = create_visual_node(_make_prop_class())
    return _CLASSES


def PropNode(part, parent=None):  # noqa: N802 - a class factory, named like the class
    """A vispy scene-graph node drawing one :class:`~renderers.scene_parts.PropPart`."""
    return _classes()["prop_node"](part, parent=parent)


def DepthMeshVisual(*args, **kwargs):  # noqa: N802 - a class factory, named like the class
    """Create the (non-scene-graph) visual; see the module docstring for the modes."""
    return _classes()["visual"](*args, **kwargs)


def DepthMeshNode(*args, parent=None, **kwargs):  # noqa: N802
    """Create the visual as a vispy scene-graph node (``parent`` = a view's scene)."""
    return _classes()["node"](*args, parent=parent, **kwargs)


#: The backdrop sphere sits this many scene extents from the origin (beyond every vertex and
#: within the cameras' far planes, which are at least twice the extent).
BACKDROP_SCALE = 1.5


def backdrop_mesh(radius: float, width: int = 256) -> DepthMesh:
    """A textured sphere of ``radius`` metres on a ``width x width/2`` equirect grid.

    Returns
    -------
    DepthMesh
        Built by :func:`scene.mesh.full_grid_mesh` (same texture conventions as any scene
        mesh), nothing cut.
    """
    from scene.mesh import full_grid_mesh

    dist = np.full((width // 2, width), float(radius), dtype=np.float32)
    return full_grid_mesh(dist, float("inf"))


class SceneLayers:
    """The scene's meshes and the backdrop as vispy nodes under one parent.

    The dome (:attr:`mesh`) and its backdrop always exist; :meth:`set_parts` adds a node per
    layer and per prop of a composition (:class:`~renderers.scene_parts.SceneParts`).

    Parameters
    ----------
    parent : vispy scene node
        Usually ``view.scene``.
    mode : str
        One of :data:`MODES`.
    backdrop : bool
        Fill cut holes with the panorama's colour (``textured`` mode, inside view only).
    """

    def __init__(self, parent, mode: str = "textured", backdrop: bool = True):
        # Created first, so drawn first; the depth test keeps it behind the scene anyway.
        self.parent = parent
        self.backdrop = DepthMeshNode(parent=parent)
        self.mesh = DepthMeshNode(parent=parent)
        self.backdrop.use_texture_of(self.mesh)
        self.layer_nodes: list = []
        self.prop_nodes: list = []
        self.backdrop_enabled = bool(backdrop)
        self.inside = True
        self.shown = True
        self._backdrop_radius = 0.0
        self._parts_extent = 0.0
        self.set_mode(mode)

    def set_data(self, rgb: np.ndarray | None, mesh: DepthMesh) -> None:
        """Upload a mesh (and a new texture unless ``rgb`` is None)."""
        self.mesh.set_data(rgb, mesh)
        self._fit_backdrop()
        self._apply_parts_mode()

    def set_positions(self, positions: np.ndarray) -> None:
        """Replace the mesh's vertex positions (same topology)."""
        self.mesh.set_positions(positions)
        self._fit_backdrop()

    def set_parts(self, parts) -> None:
        """Show a composition's layers and props (:class:`~renderers.scene_parts.SceneParts`)
        instead of the current ones; ``None`` or an empty one shows the dome alone.

        Buffers are uploaded here, once; drawing a frame adds one draw call per part.
        """
        self._free_parts()
        if parts is not None:
            for layer in parts.layers:
                node = DepthMeshNode(parent=self.parent)
                node.set_data(layer.rgb, layer.mesh)
                self.layer_nodes.append(node)
            for prop in parts.props:
                self.prop_nodes.append(PropNode(prop, parent=self.parent))
            self._parts_extent = parts.extent()
        self._fit_backdrop()
        self._apply_parts_mode()
        self._update_visibility()

    @property
    def extent(self) -> float:
        """Distance of the farthest vertex of the dome or any part, metres."""
        return max(self.mesh.extent, self._parts_extent)

    @property
    def n_faces(self) -> int:
        return self.mesh.n_faces + sum(n.n_faces for n in self.layer_nodes + self.prop_nodes)

    @property
    def n_vertices(self) -> int:
        return (self.mesh.n_vertices
                + sum(n.n_vertices for n in self.layer_nodes + self.prop_nodes))

    def _fit_backdrop(self) -> None:
        radius = BACKDROP_SCALE * max(self.extent, 1e-3)
        # Rebuilding the small sphere only when the extent moves keeps live edits cheap.
        if not (0.8 * self._backdrop_radius <= radius <= 1.25 * self._backdrop_radius):
            self.backdrop.set_data(None, backdrop_mesh(radius))
            self._backdrop_radius = radius

    @property
    def mode(self) -> str:
        return self.mesh.mode

    def set_mode(self, mode: str) -> None:
        self.mesh.set_mode(mode)
        self._apply_parts_mode()
        self._update_visibility()

    def _apply_parts_mode(self) -> None:
        mode = self.mesh.mode
        for node in self.layer_nodes:
            node.set_mode(mode)
        near, far = self.mesh.depth_range
        log_range = (float(np.log(near)), float(np.log(far)))
        for node in self.layer_nodes:
            # One colour map for the whole scene: the dome's distances.
            node.shared_program["u_log_range"] = log_range
        for node in self.prop_nodes:
            node.set_mode(mode, log_range)

    def set_inside(self, inside: bool) -> None:
        """The backdrop only makes sense from inside (from outside it would hide the scene)."""
        self.inside = bool(inside)
        self._update_visibility()

    def set_backdrop(self, enabled: bool) -> None:
        self.backdrop_enabled = bool(enabled)
        self._update_visibility()

    def set_shown(self, shown: bool) -> None:
        """Hide or show every node (an empty viewport draws only its background)."""
        self.shown = bool(shown)
        self._update_visibility()

    def _update_visibility(self) -> None:
        self.mesh.visible = self.shown
        for node in self.layer_nodes + self.prop_nodes:
            node.visible = self.shown
        self.backdrop.visible = (self.shown and self.backdrop_enabled and self.inside
                                 and self.mesh.mode == "textured")

    def _free_parts(self) -> None:
        for node in self.layer_nodes + self.prop_nodes:
            node.parent = None
            node.free()
        self.layer_nodes, self.prop_nodes = [], []
        self._parts_extent = 0.0

    def free(self) -> None:
        self._free_parts()
        self.backdrop.free()
        self.mesh.free()
