"""Minimal raw-OpenGL (3.3 core) drawing of a scene, for the XR swapchains.

No vispy: the XR process stays small and starts fast. :class:`GLMesh` draws a textured
DepthMesh (position + texture coordinate, unlit): the dome, and each layer with its own
texture. :class:`GLPropMesh` draws a prop (world-frame positions, normals, vertex colours;
the same lambert lighting as the desktop viewport for ``pbr`` props, none for ``unlit``).
:class:`GLScene` holds them all for one :class:`~renderers.xr.scene_source.SceneState` and
draws them depth-tested, so nearer parts hide farther ones. :class:`EyeTarget` wraps a
swapchain image (an OpenGL texture the runtime owns) in a framebuffer with its own depth buffer.

Colour: when the target is an sRGB swapchain, the panorama is uploaded as an sRGB texture
(sampling returns linear values) and ``GL_FRAMEBUFFER_SRGB`` re-encodes on write, so the
bytes in the swapchain are the panorama's own sRGB bytes. With a linear (UNORM) swapchain the
bytes are copied as they are. Prop colours are sRGB bytes too: the lighting factor scales the
sRGB value (as on the desktop) and the shader decodes it to linear for sRGB targets, so an
unlit prop's swapchain bytes are its vertex colour's bytes.

Call everything with the context current. PyOpenGL is imported inside the functions.
"""

from __future__ import annotations

import ctypes

import numpy as np

__all__ = ["GLMesh", "GLPropMesh", "GLScene", "EyeTarget", "read_pixels", "BACKGROUND"]

#: Colour where no surface is drawn (linear RGB, opaque black).
BACKGROUND = (0.0, 0.0, 0.0, 1.0)

_VERTEX_SHADER = """
#version 330 core
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec2 a_uv;
uniform mat4 u_mvp;
out vec2 v_uv;
void main() {
    v_uv = a_uv;
    gl_Position = u_mvp * vec4(a_position, 1.0);
}
"""

_FRAGMENT_SHADER = """
#version 330 core
in vec2 v_uv;
uniform sampler2D u_texture;
out vec4 o_colour;
void main() {
    o_colour = vec4(texture(u_texture, v_uv).rgb, 1.0);
}
"""


_PROP_VERTEX_SHADER = """
#version 330 core
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec3 a_normal;
layout(location = 2) in vec4 a_color;
uniform mat4 u_mvp;
out vec3 v_normal;
out vec4 v_color;
void main() {
    v_normal = a_normal;
    v_color = a_color;
    gl_Position = u_mvp * vec4(a_position, 1.0);
}
"""

_PROP_FRAGMENT_SHADER = """
#version 330 core
in vec3 v_normal;
in vec4 v_color;
uniform float u_lit;
uniform vec3 u_light;
uniform float u_ambient;
uniform float u_srgb;
out vec4 o_colour;
void main() {
    float k = 1.0;
    if (u_lit > 0.5) {
        k = u_ambient + (1.0 - u_ambient) * max(dot(normalize(v_normal), u_light), 0.0);
    }
    vec3 c = v_color.rgb * k;
    if (u_srgb > 0.5) {
        c = mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), step(vec3(0.04045), c));
    }
    o_colour = vec4(c, 1.0);
}
"""


def _compile(kind, source: str) -> int:
    from OpenGL import GL

    shader = GL.glCreateShader(kind)
    GL.glShaderSource(shader, source)
    GL.glCompileShader(shader)
    if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
        log = GL.glGetShaderInfoLog(shader)
        raise RuntimeError(f"shader compile failed: {log!r}")
    return shader


def _program(vertex: str = _VERTEX_SHADER, fragment: str = _FRAGMENT_SHADER) -> int:
    from OpenGL import GL

    vs = _compile(GL.GL_VERTEX_SHADER, vertex)
    fs = _compile(GL.GL_FRAGMENT_SHADER, fragment)
    prog = GL.glCreateProgram()
    GL.glAttachShader(prog, vs)
    GL.glAttachShader(prog, fs)
    GL.glLinkProgram(prog)
    GL.glDeleteShader(vs)
    GL.glDeleteShader(fs)
    if not GL.glGetProgramiv(prog, GL.GL_LINK_STATUS):
        raise RuntimeError(f"shader link failed: {GL.glGetProgramInfoLog(prog)!r}")
    return prog


class GLMesh:
    """A textured DepthMesh on the GPU.

    Parameters
    ----------
    srgb : bool
        Upload the texture as sRGB (for sRGB render targets; see the module docstring).
    """

    def __init__(self, srgb: bool = True) -> None:
        from OpenGL import GL

        self.srgb = bool(srgb)
        self.program = _program()
        self.u_mvp = GL.glGetUniformLocation(self.program, "u_mvp")
        self.u_texture = GL.glGetUniformLocation(self.program, "u_texture")
        self.vao = GL.glGenVertexArrays(1)
        self.vbo_pos, self.vbo_uv, self.ebo = GL.glGenBuffers(3)
        self.texture = GL.glGenTextures(1)
        self.n_indices = 0
        self.texture_size = (0, 0)

    def set_mesh(self, positions: np.ndarray, uvs: np.ndarray, faces: np.ndarray) -> None:
        """Upload geometry.

        Parameters
        ----------
        positions : (N, 3) float32 ndarray
            Metres, scene frame.
        uvs : (N, 2) float32 ndarray
            Texture coordinates, v = 0 at the image's top row.
        faces : (M, 3) uint32 ndarray
        """
        from OpenGL import GL

        pos = np.ascontiguousarray(positions, dtype=np.float32)
        uv = np.ascontiguousarray(uvs, dtype=np.float32)
        idx = np.ascontiguousarray(faces, dtype=np.uint32)
        GL.glBindVertexArray(self.vao)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.vbo_pos)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, pos.nbytes, pos, GL.GL_STATIC_DRAW)
        GL.glEnableVertexAttribArray(0)
        GL.glVertexAttribPointer(0, 3, GL.GL_FLOAT, GL.GL_FALSE, 0, ctypes.c_void_p(0))
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.vbo_uv)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, uv.nbytes, uv, GL.GL_STATIC_DRAW)
        GL.glEnableVertexAttribArray(1)
        GL.glVertexAttribPointer(1, 2, GL.GL_FLOAT, GL.GL_FALSE, 0, ctypes.c_void_p(0))
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self.ebo)
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, idx.nbytes, idx, GL.GL_STATIC_DRAW)
        GL.glBindVertexArray(0)
        self.n_indices = int(idx.size)

    def set_texture(self, rgb: np.ndarray) -> None:
        """Upload the panorama colour, (H, W, 3) uint8 sRGB, row 0 at the top.

        Wider than the GPU's largest texture, it is resampled down (wrapping at the seam).
        """
        from OpenGL import GL

        img = np.asarray(rgb, dtype=np.uint8)
        limit = int(GL.glGetIntegerv(GL.GL_MAX_TEXTURE_SIZE))
        if img.shape[1] > limit:
            from scene.panorama import resize_bilinear_wrap

            h = limit // 2
            img = np.clip(np.rint(resize_bilinear_wrap(img, h, 2 * h)), 0, 255).astype(np.uint8)
        img = np.ascontiguousarray(img)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
        internal = GL.GL_SRGB8 if self.srgb else GL.GL_RGB8
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, internal, img.shape[1], img.shape[0], 0,
                        GL.GL_RGB, GL.GL_UNSIGNED_BYTE, img)
        GL.glGenerateMipmap(GL.GL_TEXTURE_2D)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR_MIPMAP_LINEAR)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, GL.GL_REPEAT)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)
        GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        self.texture_size = (img.shape[1], img.shape[0])

    def draw(self, mvp: np.ndarray) -> None:
        """Draw into the bound framebuffer with ``clip = mvp @ [x, y, z, 1]`` ((4, 4) float)."""
        from OpenGL import GL

        if self.n_indices == 0:
            return
        GL.glUseProgram(self.program)
        GL.glUniformMatrix4fv(self.u_mvp, 1, GL.GL_TRUE,
                              np.ascontiguousarray(mvp, dtype=np.float32))
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
        GL.glUniform1i(self.u_texture, 0)
        GL.glBindVertexArray(self.vao)
        GL.glDrawElements(GL.GL_TRIANGLES, self.n_indices, GL.GL_UNSIGNED_INT,
                          ctypes.c_void_p(0))
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)

    def delete(self) -> None:
        from OpenGL import GL

        GL.glDeleteTextures([self.texture])
        GL.glDeleteBuffers(3, [self.vbo_pos, self.vbo_uv, self.ebo])
        GL.glDeleteVertexArrays(1, [self.vao])
        GL.glDeleteProgram(self.program)


def _attribute(location: int, buffer: int, data: np.ndarray) -> None:
    from OpenGL import GL

    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, buffer)
    GL.glBufferData(GL.GL_ARRAY_BUFFER, data.nbytes, data, GL.GL_STATIC_DRAW)
    GL.glEnableVertexAttribArray(location)
    GL.glVertexAttribPointer(location, data.shape[1], GL.GL_FLOAT, GL.GL_FALSE, 0,
                             ctypes.c_void_p(0))


class GLPropMesh:
    """One prop on the GPU (a :class:`~renderers.scene_parts.PropPart`, world frame).

    Parameters
    ----------
    part : PropPart
    srgb : bool
        The render target is sRGB (colours are decoded to linear in the shader).
    """

    def __init__(self, part, srgb: bool = True) -> None:
        from OpenGL import GL

        from ..scene_parts import AMBIENT, LIGHT_DIRECTION

        self.program = _program(_PROP_VERTEX_SHADER, _PROP_FRAGMENT_SHADER)
        self.u_mvp = GL.glGetUniformLocation(self.program, "u_mvp")
        GL.glUseProgram(self.program)
        GL.glUniform1f(GL.glGetUniformLocation(self.program, "u_lit"), 1.0 if part.lit else 0.0)
        GL.glUniform3f(GL.glGetUniformLocation(self.program, "u_light"), *LIGHT_DIRECTION)
        GL.glUniform1f(GL.glGetUniformLocation(self.program, "u_ambient"), float(AMBIENT))
        GL.glUniform1f(GL.glGetUniformLocation(self.program, "u_srgb"), 1.0 if srgb else 0.0)
        GL.glUseProgram(0)
        self.vao = GL.glGenVertexArrays(1)
        self.buffers = GL.glGenBuffers(4)
        idx = np.ascontiguousarray(part.faces, dtype=np.uint32)
        GL.glBindVertexArray(self.vao)
        _attribute(0, self.buffers[0], np.ascontiguousarray(part.positions, np.float32))
        _attribute(1, self.buffers[1], np.ascontiguousarray(part.normals, np.float32))
        _attribute(2, self.buffers[2], part.colors.astype(np.float32) / np.float32(255.0))
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self.buffers[3])
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, idx.nbytes, idx, GL.GL_STATIC_DRAW)
        GL.glBindVertexArray(0)
        self.n_indices = int(idx.size)

    def draw(self, mvp: np.ndarray) -> None:
        """Draw into the bound framebuffer with ``clip = mvp @ [x, y, z, 1]``."""
        from OpenGL import GL

        GL.glUseProgram(self.program)
        GL.glUniformMatrix4fv(self.u_mvp, 1, GL.GL_TRUE,
                              np.ascontiguousarray(mvp, dtype=np.float32))
        GL.glBindVertexArray(self.vao)
        GL.glDrawElements(GL.GL_TRIANGLES, self.n_indices, GL.GL_UNSIGNED_INT,
                          ctypes.c_void_p(0))
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)

    def delete(self) -> None:
        from OpenGL import GL

        GL.glDeleteBuffers(4, list(self.buffers))
        GL.glDeleteVertexArrays(1, [self.vao])
        GL.glDeleteProgram(self.program)


class GLScene:
    """Everything a :class:`~renderers.xr.scene_source.SceneState` shows: the dome, its
    layers (each a textured :class:`GLMesh`) and its props (:class:`GLPropMesh`).

    Parameters
    ----------
    srgb : bool
        As for :class:`GLMesh`.
    """

    def __init__(self, srgb: bool = True, backdrop: bool = True) -> None:
        self.srgb = bool(srgb)
        self.dome = GLMesh(srgb=self.srgb)
        # the window's backdrop rule (renderers.mesh_visual.SceneLayers): a sphere behind
        # everything, textured with the panorama, fills the slits the discontinuity cut
        # leaves, so the headset shows no black cracks where the window and render show none
        self.backdrop = GLMesh(srgb=self.srgb) if backdrop else None
        self.layers: list[GLMesh] = []
        self.props: list[GLPropMesh] = []
        self.extent = 0.0

    def set_state(self, state) -> None:
        """Upload the dome's mesh and texture and replace the layers and props (once per
        state; :meth:`draw` only issues draw calls)."""
        self.dome.set_mesh(state.mesh.positions, state.mesh.uvs, state.mesh.faces)
        self.dome.set_texture(state.panorama.rgb)
        self._free_parts()
        for layer in state.parts.layers:
            gl_layer = GLMesh(srgb=self.srgb)
            gl_layer.set_mesh(layer.mesh.positions, layer.mesh.uvs, layer.mesh.faces)
            gl_layer.set_texture(layer.rgb)
            self.layers.append(gl_layer)
        self.props = [GLPropMesh(part, srgb=self.srgb) for part in state.parts.props]
        dome = float(state.mesh.distances().max()) if state.mesh.n_vertices else 0.0
        self.extent = max(dome, state.parts.extent())
        if self.backdrop is not None:
            from ..mesh_visual import BACKDROP_SCALE, backdrop_mesh

            sphere = backdrop_mesh(BACKDROP_SCALE * max(self.extent, 1e-3))
            self.backdrop.set_mesh(sphere.positions, sphere.uvs, sphere.faces)
            self.backdrop.set_texture(state.panorama.rgb)

    @property
    def far_plane(self) -> float:
        """A far clip plane beyond every part, metres."""
        return 100.0 if self.extent <= 0 else self.extent * 2.0 + 1.0

    def draw(self, mvp: np.ndarray) -> None:
        """Draw every part into the bound framebuffer (depth test on: see :class:`EyeTarget`)."""
        if self.backdrop is not None:
            self.backdrop.draw(mvp)
        self.dome.draw(mvp)
        for part in (*self.layers, *self.props):
            part.draw(mvp)

    def _free_parts(self) -> None:
        for part in (*self.layers, *self.props):
            part.delete()
        self.layers, self.props = [], []

    def delete(self) -> None:
        self._free_parts()
        self.dome.delete()
        if self.backdrop is not None:
            self.backdrop.delete()


class EyeTarget:
    """A framebuffer that renders into one colour texture (a swapchain image) with depth.

    Parameters
    ----------
    color_texture : int
        OpenGL texture name of the swapchain image.
    size : (int, int)
        Its ``(width, height)``.
    srgb : bool
        Whether the texture has an sRGB format (enables ``GL_FRAMEBUFFER_SRGB`` when bound).
    """

    def __init__(self, color_texture: int, size: tuple[int, int], srgb: bool) -> None:
        from OpenGL import GL

        self.size = (int(size[0]), int(size[1]))
        self.srgb = bool(srgb)
        self.fbo = GL.glGenFramebuffers(1)
        self.depth = GL.glGenRenderbuffers(1)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self.depth)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_DEPTH_COMPONENT24, *self.size)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D,
                                  int(color_texture), 0)
        GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT,
                                     GL.GL_RENDERBUFFER, self.depth)
        status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        if status != GL.GL_FRAMEBUFFER_COMPLETE:
            raise RuntimeError(f"swapchain framebuffer incomplete (status 0x{int(status):x})")

    def begin(self) -> None:
        """Bind, set the viewport, clear colour and depth; depth test on, no culling."""
        from OpenGL import GL

        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        GL.glViewport(0, 0, *self.size)
        if self.srgb:
            GL.glEnable(GL.GL_FRAMEBUFFER_SRGB)
        else:
            GL.glDisable(GL.GL_FRAMEBUFFER_SRGB)
        GL.glClearColor(*BACKGROUND)
        GL.glClearDepth(1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthFunc(GL.GL_LESS)
        # Faces face the capture point; moving within the small radius keeps them so, but
        # rubber sheets can be seen edge-on from the other side: draw both sides.
        GL.glDisable(GL.GL_CULL_FACE)

    def end(self) -> None:
        from OpenGL import GL

        GL.glDisable(GL.GL_FRAMEBUFFER_SRGB)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)

    def delete(self) -> None:
        from OpenGL import GL

        GL.glDeleteFramebuffers(1, [self.fbo])
        GL.glDeleteRenderbuffers(1, [self.depth])


def read_pixels(target: EyeTarget) -> np.ndarray:
    """The target's colour as (H, W, 3) uint8, row 0 at the top (the bytes as stored)."""
    from OpenGL import GL

    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, target.fbo)
    GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
    w, h = target.size
    data = GL.glReadPixels(0, 0, w, h, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, 0)
    img = np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)
    return img[::-1].copy()
