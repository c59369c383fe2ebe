"""The project file ``.panoforge``: every result a user made, safely on disk.

Layout
------
A zip archive (members in this order, all dated 1980-01-01, so the same project always gives
the same bytes)::

    manifest.json                 deflated, UTF-8, sorted keys
    results/<id>/rgb.png|rgb.jpg  stored: the original encoded bytes when known, else PNG
    results/<id>/depth.png        stored: 16- or 8-bit greyscale PNG for integer raw depth
    results/<id>/depth.npy        stored: the raw depth array for float (or other) data

The manifest (``format`` = :data:`FORMAT_NAME`, ``format_version`` = :data:`FORMAT_VERSION`)::

    {"format", "format_version", "app_version", "active_id",
     "mesh_settings": {mode, max_error, cut_threshold},
     "results": [{"id", "kind", "label", "parent_id",
                  "metadata": GenerationMetadata, "interpretation": DepthInterpretation | null,
                  "flat_radius",
                  "rgb":   {"file", "mime", "width", "height", "bytes", "sha256"},
                  "depth": {"file", "format": "png16"|"png8"|"npy", "dtype",
                            "width", "height", "bytes", "sha256"} | null}]}

No wall-clock time is stored (no creation times, no durations, fixed zip dates), so the same
inputs give a byte-identical file.

Safety
------
Saving is atomic (:mod:`scene.atomic`): a crash mid-save leaves the previous file intact.
Loading never writes anything. It refuses member names that are absolute, contain ``..`` or
backslashes, or repeat; a manifest of another format or a newer version; members whose size
differs from the manifest's or exceeds a cap derived from the image size (so a "zip bomb"
is refused before anything is decompressed, and reading is bounded anyway); checksums that do
not match; images whose decoded size or type differ from the manifest. Every refusal is a
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
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import atomic_writer
from .composition import Layer, Prop, Scene
from .depth import DepthInterpretation
from .errors import PanoforgeError, ProjectFileError
from .imageio import png_header
from .metadata import GenerationMetadata, plain_json, software_version
from .panorama import RGBDPanorama
from .settings import MeshSettings

__all__ = [
    "Project", "Result", "save_project", "load_project", "project_to_bytes", "read_manifest",
    "FORMAT_NAME", "FORMAT_VERSION", "RESULT_KINDS", "MANIFEST_NAME",
]

FORMAT_NAME = "panoforge-project"
FORMAT_VERSION = 1
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


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


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
    """

    id: str
    panorama: RGBDPanorama
    kind: str = "generated"
    parent_id: str | None = None
    label: str = ""
    created: str = field(default_factory=_now)
    layers: list[Layer] = field(default_factory=list)
    props: list[Prop] = field(default_factory=list)
    # Encoded images of the arrays they were made from: (array, bytes, kind/mime). Saves
    # reuse them while the panorama's arrays are the same objects (they are immutable).
    _rgb_cache: tuple | None = field(default=None, repr=False)
    _depth_cache: tuple | None = field(default=None, repr=False)


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
    """

    results: list[Result] = field(default_factory=list)
    active_id: str | None = None
    mesh_settings: MeshSettings = field(default_factory=MeshSettings)

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
                     name=result.id)

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


def _encode_rgb(result: Result) -> tuple[bytes, str]:
    pano = result.panorama
    if pano.rgb_encoded is not None and pano.rgb_mime in _MIME_EXT:
        return bytes(pano.rgb_encoded), pano.rgb_mime
    cache = result._rgb_cache
    if cache is not None and cache[0] is pano.rgb:
        return cache[1], cache[2]
    data = _png_bytes(pano.rgb)
    result._rgb_cache = (pano.rgb, data, "image/png")
    return data, "image/png"


def _depth_format(raw: np.ndarray) -> str:
    if raw.dtype == np.uint16:
        return "png16"
    if raw.dtype == np.uint8:
        return "png8"
    return "npy"


def _encode_depth(result: Result) -> tuple[bytes, str]:
    raw = result.panorama.raw_depth
    cache = result._depth_cache
    if cache is not None and cache[0] is raw:
        return cache[1], cache[2]
    arr = np.asarray(raw)
    fmt = _depth_format(arr)
    if fmt == "npy":
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False),
                allow_pickle=False)
        data = buf.getvalue()
    else:
        data = _png_bytes(arr)
    result._depth_cache = (raw, data, fmt)
    return data, fmt


def _entry(name: str, data: bytes) -> dict:
    return {"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _zip_info(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = compress
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def _members(project: Project) -> tuple[dict, list[tuple[str, bytes]]]:
    ids = [r.id for r in project.results]
    if len(set(ids)) != len(ids) or not all(_ID_RE.match(i) for i in ids):
        raise ValueError(f"result ids must be unique and simple, got {ids}")
    files: list[tuple[str, bytes]] = []
    results = []
    for r in project.results:
        pano = r.panorama
        rgb_bytes, mime = _encode_rgb(r)
        rgb_name = f"results/{r.id}/rgb.{_MIME_EXT[mime]}"
        files.append((rgb_name, rgb_bytes))
        rgb_entry = dict(_entry(rgb_name, rgb_bytes), mime=mime, width=pano.width,
                         height=pano.height)
        depth_entry = None
        if pano.raw_depth is not None:
            depth_bytes, fmt = _encode_depth(r)
            raw = np.asarray(pano.raw_depth)
            depth_name = f"results/{r.id}/depth.{_DEPTH_FORMATS[fmt][0]}"
            files.append((depth_name, depth_bytes))
            depth_entry = dict(_entry(depth_name, depth_bytes), format=fmt,
                               dtype=raw.dtype.newbyteorder("<").str if raw.dtype.itemsize > 1
                               else raw.dtype.str,
                               width=int(raw.shape[1]), height=int(raw.shape[0]))
        results.append({
            "id": r.id, "kind": r.kind, "label": r.label, "parent_id": r.parent_id,
            "metadata": pano.metadata.record(),
            "interpretation": pano.interpretation.to_dict() if pano.interpretation else None,
            "flat_radius": float(pano.flat_radius), "rgb": rgb_entry, "depth": depth_entry,
        })
    manifest = {
        "format": FORMAT_NAME, "format_version": FORMAT_VERSION,
        "app_version": software_version(), "active_id": project.active_id,
        "mesh_settings": project.mesh_settings.to_dict(), "results": results,
    }
    return plain_json(manifest), files


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
                            "Panoforge; open a backup or an autosave copy")


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
    if len(names) > 2 * MAX_RESULTS + 16:
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


def _decode_png(data: bytes, name: str, want: tuple[int, int], bits: int, colour: int) -> np.ndarray:
    from PIL import Image

    hdr = png_header(data)
    if hdr is None or (hdr[0], hdr[1]) != want or hdr[2] != bits or hdr[3] != colour:
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
    meta = s.get(rd, "metadata", dict)
    interp_d = s.get(rd, "interpretation", dict, optional=True)
    flat_radius = s.get(rd, "flat_radius", (int, float))

    rs = _Schema(f"results[{index}].rgb")
    rgb_e = s.get(rd, "rgb", dict)
    mime = rs.get(rgb_e, "mime", str)
    if mime not in _MIME_EXT:
        raise _fail(f"manifest: result {rid} has RGB of unknown type {mime!r}")
    want = rs.size(rgb_e)
    rgb_bytes = _image_member(zf, rgb_e, rs, 3 * want[0] * want[1] * 2 + _SLACK_BYTES, path_name)
    rgb = _load_rgb(rgb_bytes, mime, rgb_e["file"], want)

    raw = None
    depth_e = s.get(rd, "depth", dict, optional=True)
    depth_bytes = fmt = None
    if depth_e is not None:
        ds = _Schema(f"results[{index}].depth")
        fmt = ds.get(depth_e, "format", str)
        dtype = ds.get(depth_e, "dtype", str)
        if fmt not in _DEPTH_FORMATS:
            raise _fail(f"manifest: result {rid} has depth of unknown format {fmt!r}")
        try:
            itemsize = np.dtype(dtype).itemsize
            ok_dtype = np.dtype(dtype).kind in "fiu"
        except TypeError:
            ok_dtype = False
        if not ok_dtype or (_DEPTH_FORMATS[fmt][1] not in (None, np.dtype(dtype).name)):
            raise _fail(f"manifest: result {rid} has depth of unsupported dtype {dtype!r}")
        dwant = ds.size(depth_e)
        cap = 2 * itemsize * dwant[0] * dwant[1] + _SLACK_BYTES
        depth_bytes = _image_member(zf, depth_e, ds, cap, path_name)
        raw = _load_depth(depth_bytes, fmt, dtype, depth_e["file"], dwant)

    try:
        interp = DepthInterpretation.from_dict(interp_d) if interp_d is not None else None
        pano = RGBDPanorama(
            rgb=rgb, raw_depth=raw, interpretation=interp,
            metadata=GenerationMetadata.from_dict(meta), flat_radius=float(flat_radius),
            rgb_encoded=rgb_bytes, rgb_mime=mime,
        )
    except (PanoforgeError, TypeError, ValueError) as exc:
        raise _fail(f"result {rid} is inconsistent: {getattr(exc, 'message', exc)}") from None
    result = Result(id=rid, panorama=pano, kind=kind, parent_id=parent, label=label,
                    created=created)
    if raw is not None:
        result._depth_cache = (raw, depth_bytes, fmt)
    return result


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
        try:
            mesh = MeshSettings.from_dict(s.get(manifest, "mesh_settings", dict))
        except (PanoforgeError, TypeError) as exc:
            raise _fail(f"manifest: bad mesh settings ({getattr(exc, 'message', exc)})") from None
        active = s.get(manifest, "active_id", str, optional=True)
        results = [_load_result(zf, rd, i, path.name) for i, rd in enumerate(results_d)]
    ids = [r.id for r in results]
    if len(set(ids)) != len(ids):
        raise _fail(f"{path.name} has two results with the same id")
    if active is not None and active not in ids:
        raise _fail(f"manifest: the active result {active!r} is not in the project")
    return Project(results=results, active_id=active, mesh_settings=mesh)
