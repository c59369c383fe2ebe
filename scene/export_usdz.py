"""The composition as a USDZ package for Apple Vision Pro, Reality Composer Pro and Quick Look.

Written with Pixar's ``usd-core`` (the ``pxr`` modules, ``pip install 'panoforge[usd]'``):

* stage metadata ``metersPerUnit = 1`` (metres) and ``upAxis = "Y"``, default prim ``/Scene``
  (an ``Xform`` of kind ``component``);
* ``/Scene/dome`` and ``/Scene/layer_<id>``: each a ``Mesh`` of the part's DepthFusion mesh,
  ``orientation = rightHanded`` with the faces wound counter-clockwise seen from the origin, so
  the normals face the viewer (an inward sphere), ``doubleSided = false``, texture
  coordinates ``st`` (face-varying-free, per vertex; USD's ``t`` runs up, so ``t = 1 - v``)
  and an unlit-looking ``UsdPreviewSurface`` (the texture into ``emissiveColor``,
  ``diffuseColor`` black) because USD has no unlit shading model;
* each prop as an ``Xform`` with its transform and a ``Mesh`` child (vertex colours as
  ``displayColor``), lit by ``UsdPreviewSurface`` (roughness 1);
* the textures as PNG/JPEG files inside the package (USDZ allows only those).

The package is built by ``UsdUtils.CreateNewUsdzPackage`` (textures stored uncompressed and
aligned, as USDZ requires). usd-core 26 ships neither the ``usdchecker`` script nor
``UsdUtils.ComplianceChecker``; the tests run what ``usdchecker`` runs there, every validator of
``UsdValidation.ValidationRegistry`` (:func:`validation_errors`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .composition import Scene
from .errors import InputError

__all__ = ["write_usdz", "require_usd", "validation_errors"]


def require_usd():
    """The ``pxr`` modules (Usd, UsdGeom, UsdShade, Sdf, Gf, Vt, UsdUtils), or an InputError."""
    try:
        from pxr import Gf, Sdf, Usd, UsdGeom, UsdShade, UsdUtils, Vt
    except ImportError:
        raise InputError("USDZ export needs usd-core (Pixar's USD), which is not installed",
                         hint="pip install 'panoforge[usd]'") from None
    return Usd, UsdGeom, UsdShade, Sdf, Gf, Vt, UsdUtils


def _safe(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out and not out[0].isdigit() else "_" + out


def _material(stage, path: str, texture: str | None, unlit: bool, mods):
    Usd, UsdGeom, UsdShade, Sdf, Gf, Vt, _ = mods
    mat = UsdShade.Material.Define(stage, path)
    shader = UsdShade.Shader.Define(stage, path + "/surface")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(1.0)
    shader.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(0.0)
    if texture is not None:
        st = UsdShade.Shader.Define(stage, path + "/st")
        st.CreateIdAttr("UsdPrimvarReader_float2")
        st.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
        tex = UsdShade.Shader.Define(stage, path + "/texture")
        tex.CreateIdAttr("UsdUVTexture")
        tex.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(texture)
        tex.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(
            st.ConnectableAPI(), "result")
        tex.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set("repeat")
        tex.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set("clamp")
        tex.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
        rgb = tex.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
        target = "emissiveColor" if unlit else "diffuseColor"
        shader.CreateInput(target, Sdf.ValueTypeNames.Color3f).ConnectToSource(rgb)
        if unlit:
            shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(0, 0, 0))
    else:
        shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(0.8, 0.8, 0.8))
    mat.CreateSurfaceOutput().ConnectToSource(shader.ConnectableAPI(), "surface")
    return mat


def _mesh(stage, path: str, positions, faces, mods, uvs=None, colors=None):
    Usd, UsdGeom, UsdShade, Sdf, Gf, Vt, _ = mods
    mesh = UsdGeom.Mesh.Define(stage, path)
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(positions, np.float32)))
    mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(
        np.full(faces.shape[0], 3, np.int32)))
    mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(
        np.ascontiguousarray(faces.reshape(-1), np.int32)))
    mesh.CreateOrientationAttr(UsdGeom.Tokens.rightHanded)
    mesh.CreateDoubleSidedAttr(False)
    mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    lo, hi = positions.min(axis=0), positions.max(axis=0)
    mesh.CreateExtentAttr(Vt.Vec3fArray([Gf.Vec3f(*map(float, lo)), Gf.Vec3f(*map(float, hi))]))
    api = UsdGeom.PrimvarsAPI(mesh)
    if uvs is not None:
        st = np.ascontiguousarray(np.stack([uvs[:, 0], 1.0 - uvs[:, 1]], axis=1), np.float32)
        api.CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray,
                          UsdGeom.Tokens.vertex).Set(Vt.Vec2fArray.FromNumpy(st))
    if colors is not None:
        api.CreatePrimvar("displayColor", Sdf.ValueTypeNames.Color3fArray,
                          UsdGeom.Tokens.vertex).Set(Vt.Vec3fArray.FromNumpy(
                              np.ascontiguousarray(colors[:, :3] / 255.0, np.float32)))
    return mesh


def _write_texture(folder: Path, name: str, rgb: np.ndarray) -> str:
    from PIL import Image

    file = f"{name}.jpg"
    Image.fromarray(np.ascontiguousarray(rgb)).save(folder / file, format="JPEG", quality=92)
    return file


def write_usdz(path: str | os.PathLike, scene: Scene, meshes) -> list[str]:
    """Write ``scene`` (with its built ``meshes``) as a USDZ package, atomically.

    Parameters
    ----------
    path : str or PathLike
        Must end in ``.usdz``.
    scene : Scene
    meshes : scene.scene_mesh.SceneMeshes

    Returns
    -------
    list of str
        Notices.
    """
    mods = require_usd()
    Usd, UsdGeom, UsdShade, Sdf, Gf, Vt, UsdUtils = mods
    path = Path(path)
    if path.suffix.lower() != ".usdz":
        raise InputError(f"a USDZ file must end in .usdz, got {path.name}",
                         hint="for example --usdz scene.usdz")
    from .atomic import atomic_write_bytes

    with tempfile.TemporaryDirectory(prefix="panoforge-usdz-") as tmp:
        folder = Path(tmp)
        stage = Usd.Stage.CreateNew(str(folder / "scene.usdc"))
        UsdGeom.SetStageMetersPerUnit(stage, 1.0)
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
        root = UsdGeom.Xform.Define(stage, "/Scene")
        Usd.ModelAPI(root.GetPrim()).SetKind("component")
        stage.SetDefaultPrim(root.GetPrim())
        UsdGeom.Scope.Define(stage, "/Scene/Materials")
        parts = [("dome", scene.dome, meshes.dome)]
        parts += [(f"layer_{la.id}", la.panorama, m) for la, m in meshes.layers]
        for name, pano, mesh in parts:
            name = _safe(name)
            pos, uvs, faces = mesh.checked()
            prim = _mesh(stage, f"/Scene/{name}", pos, faces, mods, uvs=uvs)
            tex = _write_texture(folder, name, pano.rgb)
            mat = _material(stage, f"/Scene/Materials/{name}", tex, True, mods)
            UsdShade.MaterialBindingAPI.Apply(prim.GetPrim()).Bind(mat)
        for prop in scene.props:
            name = _safe(prop.name + "_" + prop.id)
            xf = UsdGeom.Xform.Define(stage, f"/Scene/{name}")
            xf.AddTransformOp().Set(Gf.Matrix4d(prop.transform.matrix().T.tolist()))
            m = prop.mesh
            prim = _mesh(stage, f"/Scene/{name}/mesh", m.positions, m.faces, mods,
                         uvs=m.uvs, colors=m.colors)
            tex = _write_texture(folder, name, m.texture) if m.texture is not None else None
            mat = _material(stage, f"/Scene/Materials/{name}", tex, prop.material == "unlit",
                            mods)
            UsdShade.MaterialBindingAPI.Apply(prim.GetPrim()).Bind(mat)
        stage.GetRootLayer().Save()
        out = folder / "scene.usdz"
        if not UsdUtils.CreateNewUsdzPackage(Sdf.AssetPath(str(folder / "scene.usdc")),
                                                   str(out)):
            raise InputError("USD could not package the scene as USDZ")
        atomic_write_bytes(path, out.read_bytes())
    return []


def validation_errors(path: str | os.PathLike) -> list[str]:
    """Every validator of USD's registry run on the file (what ``usdchecker`` runs).

    Returns
    -------
    list of str
        ``"<type> <name>: <message>"`` per error or warning; empty when clean.
    """
    from pxr import Usd, UsdValidation

    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    stage = Usd.Stage.Open(str(path))
    return [f"{e.GetType()} {e.GetName()}: {e.GetMessage()}"
            for e in UsdValidation.ValidationContext(validators).Validate(stage)]
