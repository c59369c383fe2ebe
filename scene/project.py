"""The project file ``.panoforge``: every result a user made, safely on disk.

Layout
------
A zip archive (members in this order, all dated 1980-01-01, so the same project always gives
the same bytes)::

    manifest.json                              deflated, UTF-8, sorted keys
    results/<id>/rgb.png|rgb.jpg               stored: the original encoded bytes when known,
                                               else PNG
    results/<id>/depth.png                     stored: 16- or 8-bit greyscale PNG for integer
                                               raw depth (the user's imported file itself
                                               when it was one, within the member cap)
    results/<id>/depth.npy                     stored: the raw depth array for float data
    results/<id>/layers/<lid>/rgb.*|depth.*    a layer's panorama, stored like a result's
    results/<id>/props/<pid>/positions.npy     a prop's mesh: positions <f4 (N, 3),
                             faces.npy         faces <u4 (M, 3), colors.npy |u1 (N, 4) and
                             colors.npy        uvs.npy <f4 (N, 2) when it has them,
                             uvs.npy           texture.png (8-bit RGB) when textured
                             texture.png

The manifest (``format`` = :data:`FORMAT_NAME`, ``format_version`` = :data:`FORMAT_VERSION`)::

    {"format", "format_version", "app_version", "active_id",
     "mesh_settings": {mode, max_error, cut_threshold (null = no cut)},
     ["views": [{"name", "yaw_deg", "pitch_deg", "fov_deg", "eye"}]]  (scene.saved_views)
     "results": [{"id", "kind", "label", "parent_id", ["name"], ["favourite"], <panorama>,
                  "layers": [{"id", "kind", "walk_radius", "method", "label", <panorama>}],
                  "props": [{"id", "name", "material", "source", "transform": Transform,
                             "mesh": {"positions", "faces", "colors" | null, "uvs" | null:
                                        {"file", "dtype", "shape", "bytes", "sha256"},
                                      "texture": {"file", "mime", "width", "height",
                                                  "bytes", "sha256"} | null}}]}]}

    <panorama> = "metadata": GenerationMetadata, "interpretation": DepthInterpretation | null,
                 "flat_radius",
                 "rgb":   {"file", "mime", "width", "height", "bytes", "sha256"},
                 "depth": {"file", "format": "png16"|"png8"|"npy", "dtype",
                           "width", "height", "bytes", "sha256"} | null

``name`` (:mod:`scene.result_names`) and ``favourite`` (``true``) are optional members of a
result, and ``views`` of the manifest, written only when set: a file without them saves back
to the same bytes.

Versions: format 2 added ``layers`` and ``props`` (:mod:`scene.composition`). Format 3 added
``name``, ``favourite`` and ``views``; a file is written as format 3 only when it has one of
them, so a format-2 Panoforge refuses it (it would silently drop them on its next save) and
reads every other file as before. Format 1 files (no layers or props: each result is a dome
alone) open unchanged and are written as format 2 on save; a file of a newer format is
refused with a hint to update Panoforge.

No wall-clock time is stored (no creation times, no durations, fixed zip dates), so the same
inputs give a byte-identical file.

Safety
------
Saving is atomic (:mod:`scene.atomic`): a crash mid-save leaves the previous file intact.
Loading never writes anything. It refuses member names that are absolute, contain ``..`` or
backslashes, or repeat; a manifest of another format or a newer version; members whose size
differs from the manifest's or exceeds a cap derived from the image size (so a "zip bomb"
is refused before anything is decompressed, and reading is bounded anyway); checksums that do
not match; images whose decoded size or type differ from the manifest; prop arrays whose
dtype or shape are not the ones the format allows (the member's size is capped from the shape
before it is read). Layers and props get every check a result's images get. Every refusal is a
:class:`~scene.errors.ProjectFileError` that says what is wrong.

Loading then saving gives the same bytes: encoded images are kept from the file they came
from, and the manifest is written deterministically.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import re
import struct
import warnings
import weakref
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import atomic_writer
from .composition import Layer, ObjectMesh, Prop, Scene, Transform
from .depth import DepthInterpretation
from .errors import PanoforgeError, ProjectFileError
from .imageio import png_header
from .mesh_settings import MeshSettings
from .metadata import GenerationMetadata, plain_json, software_version
from .panorama import RGBDPanorama
from .result_names import name_problem
from .saved_views import SavedView, views_from_list, views_to_list

__all__ = [
    "Project", "Result", "save_project", "load_project", "project_to_bytes", "read_manifest",
    "FORMAT_NAME", "FORMAT_VERSION", "PLAIN_FORMAT_VERSION", "RESULT_KINDS", "MANIFEST_NAME",
]

FORMAT_NAME = "panoforge-project"
FORMAT_VERSION = 3
#: The version written when a project uses nothing of format 3 (names, favourites, views):
#: such a file stays readable, and saves to the same bytes, in a format-2 Panoforge.
PLAIN_FORMAT_VERSION = 2
MANIFEST_NAME = "manifest.json"
RESULT_KINDS = ("generated", "imported", "upscaled", "repaired", "depth-estimated")
#: Limits a loaded project must respect (far above anything Panoforge makes).
MAX_MANIFEST_BYTES = 16 * 2**20
MAX_RESULTS = 1000
MAX_SIDE = 65536
MAX_PIXELS = 2**28
_SLACK_BYTES = 2**20
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MIME_EXT = {"image/png": "png", "image/jpeg": "jpg"}
_DEPTH_FORMATS = {"png16": ("png", "uint16"), "png8": ("png", "uint8"), "npy": ("npy", None)}
_PNG_COMPRESS_LEVEL = 4
#: A prop's mesh arrays (stored as .npy members): name -> (dtypes accepted, columns).
_PROP_ARRAYS = {"positions": (("<f4",), 3), "faces": (("<u4",), 3), "colors": (("|u1",), 4),
                "uvs": (("<f4",), 2)}
#: Layers and props a project may hold in all (far above anything Panoforge makes).
MAX_PARTS = 4096
MAX_PROP_VERTICES = 2**24
_NPY_HEADER_SLACK = 4096


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class _Encoded:
    """Encoded bytes of a panorama's or a prop's arrays, reused while the arrays are the same
    objects (they are immutable): ``rgb``/``depth``/``texture`` = (array, bytes, kind)."""

    __slots__ = ("rgb", "depth", "texture", "__weakref__")

    def __init__(self) -> None:
        self.rgb = self.depth = self.texture = None


@dataclass(eq=False)
class Result:
    """One panorama in a project, with its place in the project's history.

    Parameters
    ----------
    id : str
        Unique in the project (``r1``, ``r2`` ...; letters, digits, ``_`` and ``-``).
    panorama : RGBDPanorama
    kind : {"generated", "imported", "upscaled"}
    parent_id : str or None
        The result this one was made from (an upscale's source), for lineage.
    label : str
        Shown to the user (the prompt, or the imported file's name).
    created : str
        ISO 8601 UTC time it was added.
    layers : list of scene.composition.Layer
        What fills the parts this dome hides (made from it).
    props : list of scene.composition.Prop
        Objects placed in this dome's scene.
    name : str
        What the user renamed it to (:mod:`scene.result_names`; ``""``: none, shown by its
        label). Written to the manifest only when set.
    favourite : bool
        Starred in the gallery. Written to the manifest only when true.
    """

    id: str
    panorama: RGBDPanorama
    kind: str = "generated"
    parent_id: str | None = None
    label: str = ""
    created: str = field(default_factory=_now)
    layers: list[Layer] = field(default_factory=list)
    props: list[Prop] = field(default_factory=list)
    name: str = ""
    favourite: bool = False
    # Encoded images of the arrays they were made from. Saves reuse them while the
    # panorama's arrays are the same objects (they are immutable).
    _encoded: _Encoded = field(default_factory=_Encoded, repr=False)


@dataclass(eq=False)
class Project:
    """All results of one piece of work, the active one and the mesh settings.

    Parameters
    ----------
    results : list of Result
        In the order they were made.
    active_id : str or None
        The result shown and exported by default.
    mesh_settings : MeshSettings
    views : list of scene.saved_views.SavedView
        Named camera poses (View ▸ Saved Views); the manifest's optional ``"views"``, written
        only when there is at least one.
    """

    results: list[Result] = field(default_factory=list)
    active_id: str | None = None
    mesh_settings: MeshSettings = field(default_factory=MeshSettings)
    views: list[SavedView] = field(default_factory=list)

    @property
    def active(self) -> Result | None:
        """The active result, or ``None`` in an empty project."""
        for r in self.results:
            if r.id == self.active_id:
                return r
        return None

    def _find(self, result_id: str) -> Result | None:
        """The result called ``result_id`` (or ``r<result_id>`` for a bare number), or None."""
        key = str(result_id)
        alias = f"r{key}" if key.isdigit() else None
        return next((r for r in self.results if r.id in (key, alias)), None)

    def get(self, result_id: str) -> Result:
        """The result called ``result_id`` (a bare number ``2`` also finds ``r2``).

        Raises
        ------
        InputError
            No such result; the hint lists the ids.
        """
        from .errors import InputError

        result = self._find(result_id)
        if result is not None:
            return result
        raise InputError(f"this project has no result {result_id!r}",
                         hint="its results are: " + (", ".join(r.id for r in self.results) or "none"))

    def pick(self, result_id: str | None = None) -> Result:
        """The result a command works on: ``result_id`` if given, else the active one, else
        the newest.

        Raises
        ------
        InputError
            The project has no results, or none called ``result_id``.
        """
        from .errors import InputError

        if not self.results:
            raise InputError("this project has no results yet",
                             hint="generate or import a panorama into it first")
        if result_id:
            return self.get(result_id)
        return self.active or self.results[-1]

    def new_id(self) -> str:
        """An id no result of this project has had (``r`` + one more than the largest)."""
        n = 0
        for r in self.results:
            if r.id.startswith("r") and r.id[1:].isdigit():
                n = max(n, int(r.id[1:]))
        return f"r{n + 1}"

    def add_result(self, panorama: RGBDPanorama, kind: str = "generated",
                   parent_id: str | None = None, label: str = "") -> Result:
        """Append a panorama as a new result and make it the active one.

        Parameters
        ----------
        panorama : RGBDPanorama
        kind : {"generated", "imported", "upscaled"}
        parent_id : str, optional
            The id of the result it was made from (kept even if that result was deleted).
        label : str, optional
            Defaults to the prompt, or the imported file's name, or the backend.

        Returns
        -------
        Result
        """
        if not isinstance(panorama, RGBDPanorama):
            raise TypeError(f"a project holds RGBDPanorama results, got {type(panorama).__name__}")
        if kind not in RESULT_KINDS:
            raise ValueError(f"result kind must be one of {RESULT_KINDS}, got {kind!r}")
        if parent_id is not None:
            # Normalise "2" to "r2" when it exists; a parent that was deleted stays as lineage.
            parent = self._find(parent_id)
            parent_id = parent.id if parent is not None else str(parent_id)
        if not label:
            md = panorama.metadata
            label = (md.user_prompt or md.prompt or str(md.extra.get("rgb_file") or "")
                     or md.backend or "panorama")
        result = Result(id=self.new_id(), panorama=panorama, kind=kind, parent_id=parent_id,
                        label=label)
        self.results.append(result)
        self.active_id = result.id
        return result

    def scene(self, result_id: str | None = None) -> Scene:
        """The composition a command draws or exports: the picked dome (see :meth:`pick`)
        with its layers and props."""
        result = self.pick(result_id)
        return Scene(dome=result.panorama, layers=tuple(result.layers), props=tuple(result.props),
                     name=result.name or result.id)  # the export's root node: the user's name

    def set_active(self, result_id: str) -> Result:
        """Make ``result_id`` the active result and return it."""
        result = self.get(result_id)
        self.active_id = result.id
        return result


# -- encoding ----------------------------------------------------------------------------------
def _png_bytes(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, format="PNG",
                                                    compress_level=_PNG_COMPRESS_LEVEL)
    return buf.getvalue()


#: Caches of the layers' and props' encodings (a Result keeps its own in its fields).
_PART_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _part_cache(part) -> _Encoded:
    cache = _PART_CACHE.get(part)
    if cache is None:
        cache = _PART_CACHE[part] = _Encoded()
    return cache


def _encode_rgb(pano: RGBDPanorama, cache: _Encoded) -> tuple[bytes, str]:
    if pano.rgb_encoded is not None and pano.rgb_mime in _MIME_EXT:
        return bytes(pano.rgb_encoded), pano.rgb_mime
    if cache.rgb is not None and cache.rgb[0] is pano.rgb:
        return cache.rgb[1], cache.rgb[2]
    data = _png_bytes(pano.rgb)
    cache.rgb = (pano.rgb, data, "image/png")
    return data, "image/png"


def _depth_format(raw: np.ndarray) -> str:
    if raw.dtype == np.uint16:
        return "png16"
    if raw.dtype == np.uint8:
        return "png8"
    return "npy"


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False),
            allow_pickle=False)
    return buf.getvalue()


def _depth_cap(dtype: np.dtype, width: int, height: int) -> int:
    """Most bytes a stored depth member may have (the loader refuses more)."""
    return 2 * np.dtype(dtype).itemsize * width * height + _SLACK_BYTES


def _given_depth_png(pano: RGBDPanorama, arr: np.ndarray, fmt: str) -> bytes | None:
    """The user's own depth PNG (:meth:`RGBDPanorama.encoded_depth`) when the loader will
    take it as it is: the right size, bit depth and colour type, within the member cap."""
    data = pano.encoded_depth()
    if data is None or fmt == "npy":
        return None
    h, w = arr.shape
    if not _png_is(data, (w, h), 8 * arr.dtype.itemsize, 0) \
            or len(data) > _depth_cap(arr.dtype, w, h):
        return None
    return bytes(data)


def _encode_depth(pano: RGBDPanorama, cache: _Encoded) -> tuple[bytes, str]:
    raw = pano.raw_depth
    if cache.depth is not None and cache.depth[0] is raw:
        return cache.depth[1], cache.depth[2]
    arr = np.asarray(raw)
    fmt = _depth_format(arr)
    data = _given_depth_png(pano, arr, fmt)
    if data is None:
        data = _npy_bytes(arr) if fmt == "npy" else _png_bytes(arr)
    cache.depth = (raw, data, fmt)
    return data, fmt


def _entry(name: str, data: bytes) -> dict:
    return {"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _zip_info(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = compress
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def _le_dtype(dtype: np.dtype) -> str:
    return dtype.newbyteorder("<").str if dtype.itemsize > 1 else dtype.str


def _panorama_members(pano: RGBDPanorama, folder: str, cache: _Encoded,
                      files: list[tuple[str, bytes]]) -> dict:
    """Append a panorama's image members under ``folder`` and return its manifest fields."""
    rgb_bytes, mime = _encode_rgb(pano, cache)
    rgb_name = f"{folder}/rgb.{_MIME_EXT[mime]}"
    files.append((rgb_name, rgb_bytes))
    rgb_entry = dict(_entry(rgb_name, rgb_bytes), mime=mime, width=pano.width, height=pano.height)
    depth_entry = None
    if pano.raw_depth is not None:
        depth_bytes, fmt = _encode_depth(pano, cache)
        raw = np.asarray(pano.raw_depth)
        depth_name = f"{folder}/depth.{_DEPTH_FORMATS[fmt][0]}"
        files.append((depth_name, depth_bytes))
        depth_entry = dict(_entry(depth_name, depth_bytes), format=fmt, dtype=_le_dtype(raw.dtype),
                           width=int(raw.shape[1]), height=int(raw.shape[0]))
    return {
        "metadata": pano.metadata.record(),
        "interpretation": pano.interpretation.to_dict() if pano.interpretation else None,
        "flat_radius": float(pano.flat_radius), "rgb": rgb_entry, "depth": depth_entry,
    }


def _array_member(arr: np.ndarray, name: str, files: list[tuple[str, bytes]]) -> dict:
    data = _npy_bytes(arr)
    files.append((name, data))
    return dict(_entry(name, data), dtype=_le_dtype(arr.dtype), shape=list(arr.shape))


def _prop_members(prop: Prop, folder: str, files: list[tuple[str, bytes]]) -> dict:
    m = prop.mesh
    mesh = {key: (_array_member(getattr(m, key), f"{folder}/{key}.npy", files)
                  if getattr(m, key) is not None else None)
            for key in _PROP_ARRAYS}
    mesh["texture"] = None
    if m.texture is not None:
        cache = _part_cache(m)
        if cache.texture is None or cache.texture[0] is not m.texture:
            cache.texture = (m.texture, _png_bytes(m.texture), "image/png")
        name = f"{folder}/texture.png"
        files.append((name, cache.texture[1]))
        mesh["texture"] = dict(_entry(name, cache.texture[1]), mime="image/png",
                               width=int(m.texture.shape[1]), height=int(m.texture.shape[0]))
    return {"id": prop.id, "name": prop.name, "material": prop.material, "source": prop.source,
            "transform": prop.transform.to_dict(), "mesh": mesh}


def _members(project: Project) -> tuple[dict, list[tuple[str, bytes]]]:
    ids = [r.id for r in project.results]
    if len(set(ids)) != len(ids) or not all(_ID_RE.match(i) for i in ids):
        raise ValueError(f"result ids must be unique and simple, got {ids}")
    files: list[tuple[str, bytes]] = []
    results = []
    for r in project.results:
        for kind, parts in (("layer", r.layers), ("prop", r.props)):
            part_ids = [p.id for p in parts]
            if len(set(part_ids)) != len(part_ids) or not all(_ID_RE.match(i) for i in part_ids):
                raise ValueError(f"{kind} ids of {r.id} must be unique and simple, got {part_ids}")
        entry = {"id": r.id, "kind": r.kind, "label": r.label, "parent_id": r.parent_id}
        # optional (absent when unset, so older files load and save to the same bytes)
        if name_problem(r.name) or r.name != r.name.strip():  # load would refuse it
            raise ValueError(f"result {r.id}: {name_problem(r.name) or 'unstripped name'}")
        if r.name:
            entry["name"] = r.name
        if r.favourite:
            entry["favourite"] = True
        entry.update(_panorama_members(r.panorama, f"results/{r.id}", r._encoded, files))
        entry["layers"] = [
            dict({"id": layer.id, "kind": layer.kind, "walk_radius": float(layer.walk_radius),
                  "method": layer.method, "label": layer.label},
                 **_panorama_members(layer.panorama, f"results/{r.id}/layers/{layer.id}",
                                     _part_cache(layer), files))
            for layer in r.layers]
        entry["props"] = [_prop_members(prop, f"results/{r.id}/props/{prop.id}", files)
                          for prop in r.props]
        results.append(entry)
    manifest = {
        "format": FORMAT_NAME, "format_version": _format_version_of(project),
        "app_version": software_version(), "active_id": project.active_id,
        "mesh_settings": project.mesh_settings.to_dict(), "results": results,
    }
    if project.views:  # optional: absent, a format-2 file saves to the same bytes
        manifest["views"] = views_to_list(project.views)
    return plain_json(manifest), files


def _format_version_of(project: Project) -> int:
    """3 when the project keeps what a format-2 Panoforge would drop on its next save (result
    names, favourites, saved views), so that one refuses the file ("update Panoforge")
    instead of losing them; else 2."""
    uses_3 = bool(project.views) or any(r.name or r.favourite for r in project.results)
    return FORMAT_VERSION if uses_3 else PLAIN_FORMAT_VERSION


def _write_zip(fh, manifest: dict, files: list[tuple[str, bytes]]) -> None:
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    with zipfile.ZipFile(fh, "w") as zf:
        zf.writestr(_zip_info(MANIFEST_NAME, zipfile.ZIP_DEFLATED), (text + "\n").encode("utf-8"))
        for name, data in files:
            zf.writestr(_zip_info(name, zipfile.ZIP_STORED), data)


def project_to_bytes(project: Project) -> bytes:
    """The ``.panoforge`` file's bytes (what :func:`save_project` writes)."""
    manifest, files = _members(project)
    buf = io.BytesIO()
    _write_zip(buf, manifest, files)
    return buf.getvalue()


def save_project(path: str | Path, project: Project) -> None:
    """Write ``project`` to ``path`` atomically (the old file survives any failure).

    Images are encoded before the file is opened, so a failure there touches nothing.
    """
    manifest, files = _members(project)
    with atomic_writer(path) as fh:
        _write_zip(fh, manifest, files)


# -- loading -----------------------------------------------------------------------------------
def _fail(message: str, hint: str = "") -> ProjectFileError:
    return ProjectFileError(message, hint=hint or "the file is damaged or was not made by "
                            "Panoforge; open a backup copy (after a crash, Panoforge offers "
                            "its recovery copy of unsaved work when it starts again)")


def _safe_member(name: str) -> bool:
    if not name or len(name) > 512 or "\\" in name or "\x00" in name or ":" in name:
        return False
    if name.startswith("/"):
        return False
    parts = name.split("/")
    if name.endswith("/"):
        parts = parts[:-1]
    return all(p not in ("", ".", "..") for p in parts)


class _Schema:
    """Small helpers that read typed fields and say where a bad one is."""

    def __init__(self, where: str) -> None:
        self.where = where

    def get(self, obj: dict, key: str, types, *, optional: bool = False):
        if not isinstance(obj, dict):
            raise _fail(f"manifest: {self.where} is not an object")
        if key not in obj:
            if optional:
                return None
            raise _fail(f"manifest: {self.where} has no {key!r}")
        value = obj[key]
        if value is None and optional:
            return None
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise _fail(f"manifest: {self.where}.{key} has the wrong type (bool)")
        if not isinstance(value, types):
            raise _fail(f"manifest: {self.where}.{key} has the wrong type "
                        f"({type(value).__name__})")
        return value

    def size(self, obj: dict) -> tuple[int, int]:
        w = self.get(obj, "width", int)
        h = self.get(obj, "height", int)
        if not (1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE and w * h <= MAX_PIXELS):
            raise _fail(f"manifest: {self.where} claims an image of {w}x{h} pixels, beyond "
                        f"Panoforge's limit ({MAX_SIDE} a side, {MAX_PIXELS:,} pixels)")
        return w, h


def read_manifest(zf: zipfile.ZipFile, path_name: str = "project") -> dict:
    """Check the archive's member names and return its parsed, version-checked manifest."""
    names = [i.filename for i in zf.infolist()]
    if len(names) > 2 * MAX_RESULTS + 6 * MAX_PARTS + 16:
        raise _fail(f"{path_name} has {len(names):,} members, far more than a project can hold")
    for name in names:
        if not _safe_member(name):
            raise _fail(f"{path_name} has an unsafe member name {name!r} (absolute, '..' or "
                        "outside the archive); refusing to read it",
                        hint="do not open project files from untrusted sources")
    if len(set(names)) != len(names):
        raise _fail(f"{path_name} has duplicate members")
    try:
        info = zf.getinfo(MANIFEST_NAME)
    except KeyError:
        raise _fail(f"{path_name} has no {MANIFEST_NAME}: it is not a Panoforge project") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise _fail(f"{path_name}: the manifest claims {info.file_size:,} bytes, over the "
                    f"{MAX_MANIFEST_BYTES:,} limit")
    data = _read_member(zf, info, info.file_size, path_name)
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(f"{path_name}: the manifest is not valid JSON ({exc})") from None
    s = _Schema("the manifest")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise _fail(f"{path_name} is not a Panoforge project (no format {FORMAT_NAME!r} in its "
                    "manifest)")
    version = s.get(manifest, "format_version", int)
    if version > FORMAT_VERSION:
        app = manifest.get("app_version", "?")
        raise ProjectFileError(
            f"{path_name} was saved by a newer Panoforge ({app}, project format {version}); "
            f"this version reads format {FORMAT_VERSION}",
            hint="update Panoforge to open it",
        )
    if version < 1:
        raise _fail(f"{path_name}: unknown project format version {version}")
    return manifest


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, expected: int, path_name: str) -> bytes:
    if info.flag_bits & 0x1:
        raise _fail(f"{path_name}: member {info.filename} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _fail(f"{path_name}: member {info.filename} uses an unsupported compression")
    if info.file_size != expected:
        raise _fail(f"{path_name}: member {info.filename} is {info.file_size:,} bytes but the "
                    f"manifest says {expected:,}")
    try:
        with zf.open(info) as fh:
            data = fh.read(expected + 1)  # bounded: never more than declared
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, struct.error) as exc:
        raise _fail(f"{path_name}: member {info.filename} is damaged ({exc})") from None
    if len(data) != expected:
        raise _fail(f"{path_name}: member {info.filename} does not have its declared size")
    return data


def _image_member(zf: zipfile.ZipFile, entry: dict, s: _Schema, cap: int, path_name: str) -> bytes:
    name = s.get(entry, "file", str)
    size = s.get(entry, "bytes", int)
    digest = s.get(entry, "sha256", str)
    if not _safe_member(name):
        raise _fail(f"manifest: {s.where} points outside the archive ({name!r})",
                    hint="do not open project files from untrusted sources")
    if not (0 < size <= cap):
        raise _fail(f"manifest: {s.where} declares {size:,} bytes, more than an image of its "
                    f"size can need ({cap:,}); refusing to decompress it")
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise _fail(f"{path_name} is missing {name}") from None
    data = _read_member(zf, info, size, path_name)
    if hashlib.sha256(data).hexdigest() != digest:
        raise _fail(f"{path_name}: {name} is damaged (its checksum does not match the manifest)")
    return data


def _png_is(data: bytes, want: tuple[int, int], bits: int, colour: int) -> bool:
    """Whether ``data`` is a PNG of size ``want`` (w, h), ``bits`` per sample and colour type
    ``colour``: what the loader (:func:`_decode_png`) takes for a member."""
    return png_header(data) == (*want, bits, colour)


def _decode_png(data: bytes, name: str, want: tuple[int, int], bits: int, colour: int) -> np.ndarray:
    from PIL import Image

    if not _png_is(data, want, bits, colour):
        hdr = png_header(data)
        got = "not a PNG" if hdr is None else f"{hdr[0]}x{hdr[1]}, {hdr[2]}-bit type {hdr[3]}"
        raise _fail(f"{name} is not the {want[0]}x{want[1]} {bits}-bit image the manifest "
                    f"describes ({got})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            im.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _fail(f"{name} cannot be decoded ({exc})") from None
    arr = np.asarray(im)
    return arr.astype(np.uint16) if bits == 16 and arr.dtype != np.uint16 else arr


def _load_rgb(data: bytes, mime: str, name: str, want: tuple[int, int]) -> np.ndarray:
    if mime == "image/png":
        return _decode_png(data, name, want, 8, 2)
    from PIL import Image

    try:
        im = Image.open(io.BytesIO(data))
        if im.format != "JPEG" or im.size != want or im.mode != "RGB":
            raise _fail(f"{name} is not the {want[0]}x{want[1]} RGB JPEG the manifest describes")
        im.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _fail(f"{name} cannot be decoded ({exc})") from None
    return np.asarray(im)


def _load_depth(data: bytes, fmt: str, dtype: str, name: str, want: tuple[int, int]) -> np.ndarray:
    if fmt == "png16":
        return _decode_png(data, name, want, 16, 0)
    if fmt == "png8":
        return _decode_png(data, name, want, 8, 0)
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _fail(f"{name} cannot be read as an array ({exc})") from None
    if not isinstance(arr, np.ndarray) or arr.shape != (want[1], want[0]) or arr.dtype.str != dtype:
        raise _fail(f"{name} is not the {want[0]}x{want[1]} {dtype} array the manifest describes")
    return arr.astype(arr.dtype.newbyteorder("="), copy=False)


def _load_panorama(zf: zipfile.ZipFile, rd: dict, s: _Schema, path_name: str,
                   cache: _Encoded) -> RGBDPanorama:
    """The panorama of a result or a layer entry (fields ``metadata`` ... ``depth``)."""
    meta = s.get(rd, "metadata", dict)
    interp_d = s.get(rd, "interpretation", dict, optional=True)
    flat_radius = s.get(rd, "flat_radius", (int, float))

    rs = _Schema(f"{s.where}.rgb")
    rgb_e = s.get(rd, "rgb", dict)
    mime = rs.get(rgb_e, "mime", str)
    if mime not in _MIME_EXT:
        raise _fail(f"manifest: {s.where} has RGB of unknown type {mime!r}")
    want = rs.size(rgb_e)
    rgb_bytes = _image_member(zf, rgb_e, rs, 3 * want[0] * want[1] * 2 + _SLACK_BYTES, path_name)
    rgb = _load_rgb(rgb_bytes, mime, rgb_e["file"], want)

    raw = None
    depth_e = s.get(rd, "depth", dict, optional=True)
    if depth_e is not None:
        ds = _Schema(f"{s.where}.depth")
        fmt = ds.get(depth_e, "format", str)
        dtype = ds.get(depth_e, "dtype", str)
        if fmt not in _DEPTH_FORMATS:
            raise _fail(f"manifest: {s.where} has depth of unknown format {fmt!r}")
        try:
            ok_dtype = np.dtype(dtype).kind in "fiu"
        except TypeError:
            ok_dtype = False
        if not ok_dtype or (_DEPTH_FORMATS[fmt][1] not in (None, np.dtype(dtype).name)):
            raise _fail(f"manifest: {s.where} has depth of unsupported dtype {dtype!r}")
        dwant = ds.size(depth_e)
        cap = _depth_cap(np.dtype(dtype), dwant[0], dwant[1])
        depth_bytes = _image_member(zf, depth_e, ds, cap, path_name)
        raw = _load_depth(depth_bytes, fmt, dtype, depth_e["file"], dwant)
        cache.depth = (raw, depth_bytes, fmt)

    try:
        interp = DepthInterpretation.from_dict(interp_d) if interp_d is not None else None
        return RGBDPanorama(
            rgb=rgb, raw_depth=raw, interpretation=interp,
            metadata=GenerationMetadata.from_dict(meta), flat_radius=float(flat_radius),
            rgb_encoded=rgb_bytes, rgb_mime=mime,
        )
    except (PanoforgeError, TypeError, ValueError) as exc:
        raise _fail(f"{s.where} is inconsistent: {getattr(exc, 'message', exc)}") from None


def _part_id(s: _Schema, entry: dict) -> str:
    pid = s.get(entry, "id", str)
    if not _ID_RE.match(pid):
        raise _fail(f"manifest: {s.where} id {pid!r} is not a simple name")
    return pid


def _load_layer(zf: zipfile.ZipFile, ld: dict, where: str, path_name: str) -> Layer:
    s = _Schema(where)
    lid = _part_id(s, ld)
    kind = s.get(ld, "kind", str)
    walk = s.get(ld, "walk_radius", (int, float))
    method = s.get(ld, "method", str)
    label = s.get(ld, "label", str)
    cache = _Encoded()
    pano = _load_panorama(zf, ld, s, path_name, cache)
    try:
        layer = Layer(id=lid, panorama=pano, kind=kind, walk_radius=float(walk), method=method,
                      label=label)
    except PanoforgeError as exc:
        raise _fail(f"manifest: {where} is inconsistent: {exc.message}") from None
    _PART_CACHE[layer] = cache
    return layer


def _array(zf: zipfile.ZipFile, entry: dict, s: _Schema, key: str, n_rows: int | None,
           path_name: str) -> np.ndarray:
    """One of a prop's .npy arrays: dtype and shape checked against the manifest before the
    member is read, and the member's bytes bounded by that shape."""
    dtypes, columns = _PROP_ARRAYS[key]
    dtype = s.get(entry, "dtype", str)
    shape = s.get(entry, "shape", list)
    if dtype not in dtypes:
        raise _fail(f"manifest: {s.where} has unsupported dtype {dtype!r} (want {dtypes[0]})")
    if (len(shape) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in shape)
            or shape[1] != columns or not (1 <= shape[0] <= 2 * MAX_PROP_VERTICES)
            or (n_rows is not None and shape[0] != n_rows)):
        raise _fail(f"manifest: {s.where} has an unexpected shape {shape}")
    cap = np.dtype(dtype).itemsize * shape[0] * shape[1] + _NPY_HEADER_SLACK
    data = _image_member(zf, entry, s, cap, path_name)
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _fail(f"{entry['file']} cannot be read as an array ({exc})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.str != dtype or list(arr.shape) != shape:
        raise _fail(f"{entry['file']} is not the {dtype} {shape} array the manifest describes")
    return arr.astype(arr.dtype.newbyteorder("="), copy=False)


def _load_prop(zf: zipfile.ZipFile, pd: dict, where: str, path_name: str) -> Prop:
    s = _Schema(where)
    pid = _part_id(s, pd)
    name = s.get(pd, "name", str)
    material = s.get(pd, "material", str)
    source = s.get(pd, "source", dict)
    td = s.get(pd, "transform", dict)
    md = s.get(pd, "mesh", dict)
    ms = _Schema(f"{where}.mesh")
    arrays: dict = {}
    n = None
    for key in _PROP_ARRAYS:
        entry = ms.get(md, key, dict, optional=key in ("colors", "uvs"))
        if entry is not None:
            arrays[key] = _array(zf, entry, _Schema(f"{where}.mesh.{key}"), key,
                                 None if key in ("positions", "faces") else n, path_name)
        if key == "positions":
            n = arrays[key].shape[0]
            if n > MAX_PROP_VERTICES:
                raise _fail(f"manifest: {where} has {n:,} vertices, over {MAX_PROP_VERTICES:,}")
    tex_e = ms.get(md, "texture", dict, optional=True)
    texture = tex_bytes = None
    if tex_e is not None:
        ts = _Schema(f"{where}.mesh.texture")
        if ts.get(tex_e, "mime", str) != "image/png":
            raise _fail(f"manifest: {where} has a texture that is not a PNG")
        want = ts.size(tex_e)
        tex_bytes = _image_member(zf, tex_e, ts, 3 * want[0] * want[1] * 2 + _SLACK_BYTES,
                                  path_name)
        texture = _decode_png(tex_bytes, tex_e["file"], want, 8, 2)
    try:
        transform = Transform.from_dict(td)
        mesh = ObjectMesh(arrays["positions"], arrays["faces"], colors=arrays.get("colors"),
                          uvs=arrays.get("uvs"), texture=texture)
        prop = Prop(id=pid, mesh=mesh, transform=transform, name=name, material=material,
                    source=source)
    except (PanoforgeError, KeyError, TypeError, ValueError) as exc:
        raise _fail(f"manifest: {where} is inconsistent: {getattr(exc, 'message', exc)}") from None
    if texture is not None:
        _part_cache(mesh).texture = (mesh.texture, tex_bytes, "image/png")
    return prop


def _load_result(zf: zipfile.ZipFile, rd: dict, index: int, path_name: str) -> Result:
    s = _Schema(f"results[{index}]")
    rid = s.get(rd, "id", str)
    if not _ID_RE.match(rid):
        raise _fail(f"manifest: result id {rid!r} is not a simple name")
    kind = s.get(rd, "kind", str)
    if kind not in RESULT_KINDS:
        raise _fail(f"manifest: result {rid} has unknown kind {kind!r}")
    label = s.get(rd, "label", str)
    parent = s.get(rd, "parent_id", str, optional=True)
    created = s.get(rd, "created", str, optional=True) or ""  # written by format 1.0 files
    name = s.get(rd, "name", str, optional=True) or ""
    if name_problem(name) or name != name.strip():
        raise _fail(f"manifest: result {rid} has an unusable name "
                    f"({name_problem(name) or 'white space at an end'})")
    favourite = bool(s.get(rd, "favourite", bool, optional=True))
    encoded = _Encoded()
    pano = _load_panorama(zf, rd, s, path_name, encoded)
    # Format 1 has neither list: a v1 result is a dome alone.
    layers_d = s.get(rd, "layers", list, optional=True) or []
    props_d = s.get(rd, "props", list, optional=True) or []
    layers = [_load_layer(zf, ld, f"results[{index}].layers[{i}]", path_name)
              for i, ld in enumerate(layers_d)]
    props = [_load_prop(zf, pd, f"results[{index}].props[{i}]", path_name)
             for i, pd in enumerate(props_d)]
    for what, parts in (("layer", layers), ("prop", props)):
        if len({p.id for p in parts}) != len(parts):
            raise _fail(f"{path_name}: result {rid} has two {what}s with the same id")
    return Result(id=rid, panorama=pano, kind=kind, parent_id=parent, label=label,
                  created=created, layers=layers, props=props, name=name, favourite=favourite,
                  _encoded=encoded)


def load_project(path: str | Path) -> Project:
    """Read and validate a ``.panoforge`` file. Never writes anything.

    Raises
    ------
    ProjectFileError
        Missing, damaged, unsafe or too new a file; the message says what is wrong.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise ProjectFileError(f"project {str(path)!r} {what}", hint="check the path")
    try:
        zf = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _fail(f"{path.name} is not a Panoforge project (not a readable zip archive: "
                    f"{exc})") from None
    with zf:
        manifest = read_manifest(zf, path.name)
        s = _Schema("the manifest")
        results_d = s.get(manifest, "results", list)
        if len(results_d) > MAX_RESULTS:
            raise _fail(f"{path.name} lists {len(results_d)} results, over the limit of {MAX_RESULTS}")
        parts = sum(len(rd.get(k) or []) for rd in results_d if isinstance(rd, dict)
                    for k in ("layers", "props") if isinstance(rd.get(k) or [], list))
        if parts > MAX_PARTS:
            raise _fail(f"{path.name} lists {parts} layers and props, over the limit of {MAX_PARTS}")
        try:
            mesh = MeshSettings.from_dict(s.get(manifest, "mesh_settings", dict))
        except (PanoforgeError, TypeError) as exc:
            raise _fail(f"manifest: bad mesh settings ({getattr(exc, 'message', exc)})") from None
        active = s.get(manifest, "active_id", str, optional=True)
        try:
            views = views_from_list(s.get(manifest, "views", list, optional=True) or [])
        except ValueError as exc:
            raise _fail(f"manifest: bad saved views ({exc})") from None
        results = [_load_result(zf, rd, i, path.name) for i, rd in enumerate(results_d)]
    ids = [r.id for r in results]
    if len(set(ids)) != len(ids):
        raise _fail(f"{path.name} has two results with the same id")
    if active is not None and active not in ids:
        raise _fail(f"manifest: the active result {active!r} is not in the project")
    return Project(results=results, active_id=active, mesh_settings=mesh, views=views)
