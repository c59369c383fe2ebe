"""The models on this computer: which catalogue models are installed, damaged or missing,
and installing a copied folder into the models directory after checking it.

Standard library plus ``safetensors`` (imported inside the functions that read a header), so
``panoforge models`` answers without torch. The places looked at are the ones generation
itself uses (:mod:`models.weights_discovery`): ``<models_home>/<backend>`` first, then the Hugging
Face cache snapshot of the model's repository.

Three levels of checking, cheapest first:

- **file set** (:func:`check_folder`): every file of :attr:`CatalogEntry.required` exists, and
  each :attr:`CatalogEntry.weights` pattern matches a ``.safetensors`` file; pickle-only
  weights are named as such; every safetensors header is read and must describe exactly the
  bytes in the file (a truncated or overwritten file fails here without hashing it);
- **content** (:func:`verify_folder`): the SHA-256 of each weight file against, in this order,
  the checksums the catalogue publishes for the folder's revision, the record ``models add``
  wrote when it installed the folder, and the download's own record (the blob name of a
  Hugging Face cache snapshot, or the ``etag`` that ``hf download --local-dir`` writes);
- **install** (:func:`add_model`): both of the above, on the bytes as they are copied.

A revision the catalogue has no checksums for is accepted with a warning, never silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from models.catalog import CATALOG, CatalogEntry, download_command, entry
from models.weights_discovery import find_in_hf_cache, models_home
from scene.errors import InputError

__all__ = [
    "MANIFEST", "PICKLE_SUFFIXES", "FileProblem", "ModelStatus", "AddReport", "install_folder",
    "locate", "folder_revision", "check_folder", "identify", "model_status", "list_status",
    "verify_folder", "verify_installed", "add_model", "sha256_file", "folder_size",
]

#: What ``models add`` writes into an installed folder: id, revision, SHA-256 of every file.
MANIFEST = ".panoforge-install.json"
#: Weight formats that unpickle (and can run code) when loaded: never loaded, never installed.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_CHUNK = 1 << 22


@dataclass(frozen=True)
class FileProblem:
    """One damaged or missing file.

    Parameters
    ----------
    path : str
        Relative to the model folder (POSIX separators).
    problem : str
        What is wrong with it.
    """

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class ModelStatus:
    """What is known about one catalogue model on this computer.

    Parameters
    ----------
    entry : CatalogEntry
    state : {"installed", "missing", "damaged", "built-in"}
    folder : Path or None
        Where it was found (``None`` when missing or built in).
    size_bytes : int
        Bytes of all files in the folder (0 when missing).
    revision : str
        Commit hash of the weights when known, else ``""``.
    problems : list of FileProblem
        Why it is damaged.
    warnings : list of str
        What was accepted but could not be confirmed (unknown revision, ...).
    verified : str
        What the content was checked against (``""`` when only the file set was checked).
    """

    entry: CatalogEntry
    state: str
    folder: Path | None = None
    size_bytes: int = 0
    revision: str = ""
    problems: list[FileProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verified: str = ""

    @property
    def download(self) -> str:
        """The command that fetches this model into its folder under the models directory."""
        return download_command(self.entry, install_folder(self.entry))


@dataclass
class AddReport:
    """What :func:`add_model` installed.

    Parameters
    ----------
    entry : CatalogEntry
    folder : Path
        The installed folder.
    revision : str
    replaced : bool
        An earlier copy was replaced.
    warnings : list of str
    """

    entry: CatalogEntry
    folder: Path
    revision: str
    replaced: bool = False
    warnings: list[str] = field(default_factory=list)


# -- places ------------------------------------------------------------------------------
def install_folder(e: CatalogEntry, root: Path | None = None) -> Path:
    """Where ``models add`` installs ``e``: ``<models_home>/<backend>``."""
    return Path(root or models_home()) / e.backend


def locate(e: CatalogEntry) -> list[Path]:
    """The folders that may hold ``e``, in the order generation looks at them (existing ones)."""
    found = []
    own = install_folder(e)
    if own.is_dir() and any(own.iterdir()):
        found.append(own)
    cached = find_in_hf_cache(e.id)
    if cached is not None:
        found.append(cached[0])
    return found


def _rel(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def _files(folder: Path) -> list[Path]:
    """Every file under ``folder`` except download bookkeeping (``.cache/``, our manifest)."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).parts
        if rel[0] in (".cache", ".git", ".huggingface") or rel[-1] in (MANIFEST, ".gitattributes"):
            continue
        if p.is_file():
            out.append(p)
    return out


def folder_size(folder: Path) -> int:
    """Bytes of every file in ``folder`` (symbolic links followed, as in the HF cache)."""
    return sum(p.stat().st_size for p in _files(folder))


def _read_manifest(folder: Path) -> dict:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _download_record(folder: Path, rel: str) -> tuple[str, str]:
    """``(commit, sha256 or "")`` that ``hf download --local-dir`` recorded for ``rel``."""
    meta = folder / ".cache" / "huggingface" / "download" / f"{rel}.metadata"
    try:
        lines = meta.read_text(encoding="utf-8").splitlines()
    except OSError:
        return "", ""
    commit = lines[0].strip() if lines else ""
    etag = lines[1].strip().strip('"').lower() if len(lines) > 1 else ""
    return (commit if _HEX40.match(commit) else ""), (etag if _HEX64.match(etag) else "")


def _cache_blob_sha(path: Path) -> str:
    """The SHA-256 a Hugging Face cache snapshot file points at (its blob's name), or ``""``."""
    if path.is_symlink():
        name = Path(os.readlink(path)).name
        if _HEX64.match(name) and path.resolve().parent.name == "blobs":
            return name
    return ""


def folder_revision(folder: Path) -> str:
    """The commit hash of the weights in ``folder``, if anything records it, else ``""``.

    Read from the ``models add`` manifest, a Hugging Face cache snapshot's folder name, or the
    download records that ``hf download --local-dir`` leaves in ``.cache/huggingface``.
    """
    rev = str(_read_manifest(folder).get("revision") or "")
    if rev:
        return rev
    parts = folder.resolve().parts
    if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith("models--"):
        return parts[-1]
    records = folder / ".cache" / "huggingface" / "download"
    if records.is_dir():
        for meta in sorted(records.rglob("*.metadata")):
            commit = meta.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].strip()
            if _HEX40.match(commit):
                return commit
    return ""


# -- the file set ------------------------------------------------------------------------
def _safetensors_problem(path: Path) -> str:
    """``""`` when ``path`` is a readable safetensors file whose header covers it exactly."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            f.keys()
    except Exception as exc:  # the library's own error names what is wrong with the header
        return f"not a readable safetensors file ({exc})"
    return ""


def _pickles(folder: Path) -> list[str]:
    return [_rel(p, folder) for p in _files(folder) if p.name.lower().endswith(PICKLE_SUFFIXES)]


def weight_files(e: CatalogEntry, folder: Path) -> list[Path]:
    """The ``.safetensors`` files that ``e``'s weight patterns match in ``folder``."""
    out: list[Path] = []
    for pattern in e.weights:
        for p in sorted(folder.glob(pattern)):
            if p.is_file() and p.name.endswith(".safetensors") and p not in out:
                out.append(p)
    return out


def check_folder(e: CatalogEntry, folder: Path) -> list[FileProblem]:
    """Check ``folder`` against ``e``'s file set and every weight file's safetensors header.

    Reads only JSON files and safetensors headers (no hashing, no torch).

    Returns
    -------
    list of FileProblem
        Empty when the folder is complete.
    """
    folder = Path(folder)
    problems: list[FileProblem] = []
    for rel in e.required:
        p = folder / rel
        if not p.is_file():
            problems.append(FileProblem(rel, "missing"))
        elif p.suffix == ".json":
            try:
                json.loads(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                problems.append(FileProblem(rel, f"not readable JSON ({exc})"))
    pickles = _pickles(folder)
    for pattern in e.weights:
        if any(p.is_file() for p in folder.glob(pattern)):
            continue
        where = os.path.dirname(pattern)
        near = [p for p in pickles if os.path.dirname(p) == where]
        if near:
            problems.append(FileProblem(
                pattern, f"only pickle weights ({', '.join(near)}); Panoforge loads only "
                ".safetensors, because pickle files can run code when they are loaded"))
        else:
            problems.append(FileProblem(pattern, "missing (no .safetensors weights)"))
    for p in weight_files(e, folder):
        why = _safetensors_problem(p)
        if why:
            problems.append(FileProblem(_rel(p, folder), why))
    return problems


# -- which model a folder holds ------------------------------------------------------------
def _json(folder: Path, rel: str) -> dict:
    try:
        data = json.loads((folder / rel).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _by_structure(folder: Path) -> list[CatalogEntry]:
    """Catalogue entries whose layout and configuration ``folder`` matches."""
    index = _json(folder, "model_index.json")
    cls = str(index.get("_class_name", ""))
    if cls:
        if "Upscale" in cls:
            return [e for e in CATALOG if e.family == "ldm3d_sr"]
        out_ch = _json(folder, "vae/config.json").get("out_channels")
        ldm3d = [e for e in CATALOG if e.family == "ldm3d"]
        if out_ch == 6:
            return [e for e in ldm3d if e.backend == "ldm3d"]
        if out_ch == 4:
            return [e for e in ldm3d if e.backend != "ldm3d"]
        return []
    cfg = _json(folder, "config.json")
    if cfg.get("model_type") == "depth_anything":
        hidden = (cfg.get("backbone_config") or {}).get("hidden_size")
        size = {384: "small", 768: "base", 1024: "large"}.get(hidden)
        metric = cfg.get("depth_estimation_type") == "metric"
        kind = ""
        if metric:
            kind = {20: "indoor", 80: "outdoor"}.get(cfg.get("max_depth"), "?")
        return [e for e in CATALOG if e.family == "depth_estimation"
                and (size is None or e.backend.endswith("-" + size))
                and ((kind and f"-{kind}-" in e.backend) if metric else
                     not any(k in e.backend for k in ("-indoor-", "-outdoor-")))]
    if any(k in cfg for k in ("triplane_dim", "encoder_model_name", "transformer_dim")):
        dim = cfg.get("transformer_dim")
        size = {768: "base", 1024: "large"}.get(dim)
        return [e for e in CATALOG
                if e.family == "lrm" and (size is None or e.backend.endswith(size))]
    return []


def _by_name(folder: Path) -> list[CatalogEntry]:
    """Entries named by the folder: a cache folder ``models--OWNER--NAME`` or the folder name."""
    names = []
    for part in folder.resolve().parts:
        if part.startswith("models--"):
            names.append(part[len("models--"):].replace("--", "/").lower())
    names.append(folder.name.lower())
    hits = []
    for n in names:
        for e in CATALOG:
            if n in (e.id.lower(), e.id.split("/")[1].lower(), e.backend) and e not in hits:
                hits.append(e)
    return hits


def identify(folder: Path, model: str | None = None) -> CatalogEntry:
    """Which catalogue model ``folder`` holds.

    Parameters
    ----------
    folder : Path
    model : str, optional
        A backend name or Hugging Face id given by the user; it must fit the folder's layout.

    Raises
    ------
    InputError
        Unknown name, a name that does not fit the folder, or a folder that fits several
        models (with the option that settles it).
    """
    folder = Path(folder)
    fits = _by_structure(folder)
    if model:
        chosen = entry(model)
        if chosen is None or not chosen.needs_weights:
            raise InputError(f"{model!r} is not a model Panoforge knows",
                             hint="run 'panoforge models' for the list of names")
        if fits and chosen not in fits:
            raise InputError(
                f"{folder} does not hold {chosen.id}: its files look like "
                + " or ".join(e.id for e in fits),
                hint=f"use --model {fits[0].backend}, or copy the right folder")
        return chosen
    if not fits:
        named = [e for e in _by_name(folder) if e.needs_weights]
        if len(named) == 1:
            return named[0]
        raise InputError(
            f"{folder} does not look like any model Panoforge knows (no model_index.json of "
            "a diffusers pipeline, no config.json of Depth Anything or OpenLRM)",
            hint="copy the folder that 'hf download REPO --local-dir FOLDER' made; "
            "'panoforge models' lists the models and their commands")
    if len(fits) == 1:
        return fits[0]
    named = [e for e in _by_name(folder) if e in fits]
    if len(named) == 1:
        return named[0]
    raise InputError(f"{folder} could hold any of " + ", ".join(e.id for e in fits),
                     hint="say which with --model " + " or --model ".join(e.backend for e in fits))


# -- content -----------------------------------------------------------------------------
def sha256_file(path: Path, on_bytes: Callable[[int], None] | None = None) -> str:
    """Lowercase hex SHA-256 of a file, read in 4 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
    return h.hexdigest()


def _expected(e: CatalogEntry, folder: Path, revision: str) -> dict[str, tuple[str, str]]:
    """``{relative path: (sha256, what it comes from)}`` for every file with a known checksum."""
    out: dict[str, tuple[str, str]] = {}
    for rel, sha in (_read_manifest(folder).get("sha256") or {}).items():
        if isinstance(sha, str) and _HEX64.match(sha):
            out[rel] = (sha, "the checksum recorded when it was installed")
    for p in weight_files(e, folder):
        rel = _rel(p, folder)
        blob = _cache_blob_sha(p) or _download_record(folder, rel)[1]
        if blob and rel not in out:
            out[rel] = (blob, "its download record")
    rev = e.revision(revision)
    if rev is not None:
        for rel, sha in rev.checksums.items():
            out[rel] = (sha, f"the published checksum of revision {rev.commit[:12]}")
    return out


def _match_revision(e: CatalogEntry, hashes: dict[str, str]):
    """The known :class:`Revision` whose published checksums all equal ``hashes``, or ``None``."""
    for rev in e.revisions:
        sums = rev.checksums
        if sums and all(hashes.get(rel) == sha for rel, sha in sums.items()):
            return rev
    return None


def _settle_revision(e: CatalogEntry, revision: str, hashes: dict[str, str],
                     expected: dict[str, tuple[str, str]]) -> tuple[str, list[str], str]:
    """``(revision, warnings, what the content matched)`` once every weight file is hashed.

    A revision the catalogue lists was already compared file by file. Otherwise the hashes
    may still equal the published files of a known revision (a copy that lost its download
    records); if not, the revision is accepted with a warning that says what was checked.
    """
    if e.revision(revision) is not None:
        return revision, [], ""
    rev = _match_revision(e, hashes)
    if rev is not None:
        return (revision or rev.commit), [], "the published checksums of its weight files"
    name = revision[:12] if revision else "(not recorded)"
    checked = "the file set and safetensors headers were checked"
    if any(why == "its download record" for _, why in expected.values()):
        checked += ", and each weight file against its download record"
    else:
        checked += "; the content could not be compared with anything"
    return revision, [f"no published checksums known for revision {name} of {e.id}: "
                      f"accepted with a warning ({checked})"], ""


def verify_folder(folder: Path, e: CatalogEntry | None = None, *,
                  on_file: Callable[[str, int], None] | None = None) -> ModelStatus:
    """Check ``folder`` completely: file set, headers and the SHA-256 of every weight file.

    Parameters
    ----------
    folder : Path
    e : CatalogEntry, optional
        Default: :func:`identify`.
    on_file : callable, optional
        Called ``(relative path, size in bytes)`` before each file is hashed.

    Returns
    -------
    ModelStatus
        ``state`` is ``"installed"`` or ``"damaged"`` (each damaged file in ``problems``).
    """
    folder = Path(folder)
    e = e or identify(folder)
    status = ModelStatus(e, "installed", folder, folder_size(folder), folder_revision(folder))
    status.problems = check_folder(e, folder)
    expected = _expected(e, folder, status.revision)
    hashes: dict[str, str] = {}
    for rel in sorted(set(expected) | {_rel(p, folder) for p in weight_files(e, folder)}):
        p = folder / rel
        if not p.is_file():
            if rel in expected and not any(q.path == rel for q in status.problems):
                status.problems.append(FileProblem(rel, "missing"))
            continue
        if on_file is not None:
            on_file(rel, p.stat().st_size)
        hashes[rel] = sha256_file(p)
        if rel in expected and hashes[rel] != expected[rel][0]:
            status.problems.append(FileProblem(
                rel, f"damaged: its SHA-256 {hashes[rel][:16]}… does not match "
                f"{expected[rel][1]} ({expected[rel][0][:16]}…)"))
    status.revision, status.warnings, matched = _settle_revision(e, status.revision, hashes,
                                                                 expected)
    status.verified = ", ".join(sorted({why for _, why in expected.values()} - {""}
                                       | ({matched} if matched else set())))
    if status.problems:
        status.state = "damaged"
    return status


def _quick_status(e: CatalogEntry, folder: Path) -> ModelStatus:
    st = ModelStatus(e, "installed", folder, folder_size(folder), folder_revision(folder),
                     check_folder(e, folder))
    for rel, size in (_read_manifest(folder).get("sizes") or {}).items():
        p = folder / rel
        if p.is_file() and p.stat().st_size != size:
            st.problems.append(FileProblem(rel, f"{p.stat().st_size} bytes, installed "
                                                f"with {size}"))
    if st.problems:
        st.state = "damaged"
    return st


def model_status(e: CatalogEntry) -> ModelStatus:
    """The quick status of one model (file set and headers; no hashing).

    The folder reported is the one generation uses: the first of :func:`locate`. When that
    one is damaged and a later copy is complete, a warning says so (generation does not fall
    back to it).
    """
    if not e.needs_weights:
        return ModelStatus(e, "built-in")
    folders = locate(e)
    if not folders:
        return ModelStatus(e, "missing")
    st = _quick_status(e, folders[0])
    if st.state == "damaged":
        for other in folders[1:]:
            if _quick_status(e, other).state == "installed":
                st.warnings.append(f"a complete copy is in {other}, but {folders[0]} is used "
                                   "first: repair it (models add) or remove it")
                break
    return st


def list_status() -> list[ModelStatus]:
    """:func:`model_status` of every catalogue model, in catalogue order."""
    return [model_status(e) for e in CATALOG]


def verify_installed(on_file: Callable[[str, int], None] | None = None) -> list[ModelStatus]:
    """:func:`verify_folder` of every installed copy of every catalogue model."""
    out = []
    for e in CATALOG:
        for folder in locate(e):
            out.append(verify_folder(folder, e, on_file=on_file))
    return out


# -- installing --------------------------------------------------------------------------
def _refuse_problems(e: CatalogEntry, source: Path, problems: list[FileProblem]) -> None:
    pickle = [p for p in problems if "pickle" in p.problem]
    lines = "; ".join(str(p) for p in problems)
    if pickle:
        raise InputError(
            f"{source} has only pickle weights where {e.id} needs .safetensors ({lines})",
            hint="download the safetensors files of the model: "
            + download_command(e, "FOLDER") + ", then run 'panoforge models add FOLDER'")
    raise InputError(f"{source} is not a complete {e.id} folder: {lines}",
                     hint="copy the whole folder that '" + download_command(e, "FOLDER")
                     + "' made, then run 'panoforge models add FOLDER'")


def _unpack(archive: Path, into: Path) -> Path:
    """Extract ``archive`` into ``into`` (nothing outside it) and return the model folder."""
    name = archive.name.lower()
    if name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            for member in z.namelist():
                target = (into / member).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise InputError(f"{archive} holds a path outside its folder: {member}",
                                     hint="use an archive made from the model folder itself")
            z.extractall(into)
    else:
        with tarfile.open(archive) as t:
            try:
                t.extractall(into, filter="data")
            except tarfile.FilterError as exc:
                raise InputError(f"{archive} holds an unsafe member: {exc}",
                                 hint="use an archive made from the model folder itself") from None
    entries_ = [p for p in into.iterdir() if not p.name.startswith(".")]
    return entries_[0] if len(entries_) == 1 and entries_[0].is_dir() else into


def _copy_hashing(src: Path, dst: Path) -> str:
    """Copy ``src`` to ``dst`` and return the SHA-256 of the bytes written (one read)."""
    h = hashlib.sha256()
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        while chunk := fi.read(_CHUNK):
            h.update(chunk)
            fo.write(chunk)
        fo.flush()
        os.fsync(fo.fileno())
    return h.hexdigest()


def add_model(source: str | os.PathLike, model: str | None = None, *,
              root: str | os.PathLike | None = None,
              on_file: Callable[[str, int], None] | None = None) -> AddReport:
    """Install a model folder (or an archive of one) into the models directory.

    Everything is checked before the installed copy becomes visible: the file set, every
    safetensors header, and the SHA-256 of each weight file as it is copied against the
    published checksums (or the download's own record). The copy is assembled in a hidden
    folder beside the destination and renamed into place, so a failed or interrupted
    ``add`` leaves the previous installation as it was. Pickle weights are not copied.

    Parameters
    ----------
    source : path
        A model folder, or a ``.zip`` / ``.tar[.gz]`` of one.
    model : str, optional
        Backend name or Hugging Face id, when the folder alone does not say which model it is.
    root : path, optional
        The models directory (default :func:`models.weights_discovery.models_home`).
    on_file : callable, optional
        Called ``(relative path, size)`` before each file is copied.

    Returns
    -------
    AddReport

    Raises
    ------
    InputError
        With the file named: missing source, single weight file, pickle-only weights, wrong
        file set, unreadable header, checksum mismatch.
    """
    source = Path(source).expanduser()
    root = Path(root or models_home())
    if not source.exists():
        raise InputError(f"{source} does not exist",
                         hint="give the model folder you copied (e.g. from a USB drive)")
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".incoming-", dir=root))
    try:
        folder = source
        if source.is_file():
            low = source.name.lower()
            if low.endswith(PICKLE_SUFFIXES):
                raise InputError(
                    f"{source} is a pickle file; Panoforge loads only .safetensors weights, "
                    "because pickle files can run code when they are loaded",
                    hint="get the model's safetensors files with 'hf download REPO "
                    "--local-dir FOLDER' and add the folder")
            if not low.endswith(_ARCHIVES):
                raise InputError(
                    f"{source} is a single file, not a model folder: a model needs its "
                    "configuration files next to the weights",
                    hint="add the whole folder that 'hf download REPO --local-dir FOLDER' "
                    "made (or a .zip/.tar of it)")
            folder = _unpack(source, work / "unpacked")
        e = identify(folder, model)
        dest = install_folder(e, root)
        if dest.exists() and folder.resolve() == dest.resolve():
            raise InputError(f"{folder} is already the installed copy of {e.id}",
                             hint="run 'panoforge models verify' to check it")
        problems = check_folder(e, folder)
        if problems:
            _refuse_problems(e, source, problems)
        revision = folder_revision(folder)
        expected = _expected(e, folder, revision)
        staged = work / e.backend
        hashes: dict[str, str] = {}
        sizes: dict[str, int] = {}
        for p in _files(folder):
            rel = _rel(p, folder)
            if p.name.lower().endswith(PICKLE_SUFFIXES):
                continue
            if on_file is not None:
                on_file(rel, p.stat().st_size)
            hashes[rel] = _copy_hashing(p, staged / rel)
            sizes[rel] = p.stat().st_size
            if rel in expected and hashes[rel] != expected[rel][0]:
                raise InputError(
                    f"{source / rel} is damaged: its SHA-256 {hashes[rel]} does not match "
                    f"{expected[rel][1]} ({expected[rel][0]})",
                    hint="copy that file again from the original download, or download the "
                    "model again: " + download_command(e, "FOLDER"))
        revision, warnings, _ = _settle_revision(e, revision, hashes, expected)
        from scene.atomic import atomic_write_bytes

        manifest = {"id": e.id, "backend": e.backend, "revision": revision,
                    "licence": e.licence.spdx, "source": str(source),
                    "sha256": hashes, "sizes": sizes}
        atomic_write_bytes(staged / MANIFEST,
                           json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
        replaced = dest.exists()
        old = work / "replaced"
        if replaced:
            os.replace(dest, old)
        try:
            os.replace(staged, dest)
        except OSError:
            if replaced:
                os.replace(old, dest)
            raise
        return AddReport(e, dest, revision, replaced, warnings)
    finally:
        shutil.rmtree(work, ignore_errors=True)

