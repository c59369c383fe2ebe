"""Where a model's weights are, for every model family: one discovery, one offline rule.

Standard library only (no torch, no huggingface_hub): the registry and ``panoforge --help``
ask it, and they must stay fast. Every family (LDM3D, LDM3D-SR, LRM, depth estimation) finds
its weights the same way and differs only in what makes a folder its own (the family's
folder check):

1. a folder given with ``--model`` (or ``--depth-model``), as given;
2. ``<models_home>/<backend>`` (:func:`models_home`), when no folder or id was given;
3. the Hugging Face cache (:func:`hf_hub_cache`, ``models--OWNER--NAME/snapshots/<commit>/``);
4. not found: offline (:func:`hf_offline`), an :class:`~scene.errors.InputError` whose hint
   is the download command (:func:`models.catalog.download_command`); online, "download it".

``huggingface_hub`` resolves its cache the same way (its environment variables are read
here rather than importing it, which would cost the CLI's start-up time).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scene.errors import InputError

__all__ = ["HF_ID", "hf_offline", "hf_hub_cache", "models_home", "find_in_hf_cache",
           "is_folder_argument", "given_folder", "Found", "locate", "first_usable",
           "download_hint", "spec_lookup"]

#: A Hugging Face model id, ``owner/name``.
HF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TRUE = {"1", "ON", "YES", "TRUE"}


def spec_lookup(specs: dict, name: str, what: str):
    """``specs[name]``, or the one refusal of an unknown model name listing the known ones.

    Parameters
    ----------
    specs : dict of str -> spec
    name : str
    what : str
        What the family calls a name, e.g. ``"LDM3D backend"``.

    Raises
    ------
    InputError
    """
    try:
        return specs[name]
    except KeyError:
        raise InputError(f"unknown {what} {name!r}",
                         hint="choose one of: " + ", ".join(specs)) from None


def hf_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set to a true value."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.upper() in _TRUE


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache folder, resolved the way ``huggingface_hub`` does.

    ``HF_HUB_CACHE``, else the legacy ``HUGGINGFACE_HUB_CACHE``, else ``$HF_HOME/hub``, else
    ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub``.
    """
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.path.expandvars(os.environ[var])).expanduser()
    if os.environ.get("HF_HOME"):
        home = Path(os.path.expandvars(os.environ["HF_HOME"])).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        home = Path(xdg).expanduser() / "huggingface"
    return home / "hub"


def models_home() -> Path:
    """Panoforge's own model folder: ``$PANOFORGE_MODELS`` or ``~/.local/share/panoforge/models``.

    ``<models_home>/<backend name>`` (e.g. ``.../models/ldm3d-pano``) is looked at before the
    Hugging Face cache, and it is the folder the download hint names.
    """
    env = os.environ.get("PANOFORGE_MODELS")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data).expanduser() / "panoforge" / "models"


def find_in_hf_cache(repo_id: str, revision: str = "main") -> tuple[Path, str] | None:
    """The snapshot folder of ``repo_id`` in the Hugging Face cache, and its commit hash.

    Parameters
    ----------
    repo_id : str
        ``"owner/name"``.
    revision : str
        A branch name whose ``refs/`` file gives the commit, or a 40-digit commit; when the
        ref is missing and the cache holds exactly one snapshot, that one is used.

    Returns
    -------
    (Path, str) or None
    """
    repo_dir = hf_hub_cache() / ("models--" + repo_id.replace("/", "--"))
    snapshots = repo_dir / "snapshots"
    ref = repo_dir / "refs" / revision
    if ref.is_file():
        commit = ref.read_text(encoding="utf-8").strip()
        if (snapshots / commit).is_dir():
            return snapshots / commit, commit
    if re.fullmatch(r"[0-9a-f]{40}", revision) and (snapshots / revision).is_dir():
        return snapshots / revision, revision
    if snapshots.is_dir():
        found = [p for p in snapshots.iterdir() if p.is_dir()]
        if len(found) == 1:
            return found[0], found[0].name
    return None


def is_folder_argument(model: str) -> bool:
    """Whether a ``--model`` value names a folder (it exists, looks like a path, or is no
    Hugging Face id) rather than a Hugging Face id."""
    return (Path(model).expanduser().exists() or model.startswith((".", "/", "~"))
            or not HF_ID.match(model))


def given_folder(model: str, flag: str = "--model", hint: str = "check the path") -> Path:
    """The folder a ``--model`` value names, refused unless it is an existing folder.

    Parameters
    ----------
    model : str
    flag : str
        The option the user typed (for the message).
    hint : str
        What to do when a value that is not a path names nothing.

    Raises
    ------
    InputError
        It does not exist (the hint names the nearest existing folder and a close spelling,
        :func:`models.model_folder.check_model_path`) or it is a file.
    """
    from .model_folder import check_model_path

    path = Path(model).expanduser()
    if not path.exists():
        check_model_path(model)  # (says the path does not exist, not "download")
        raise InputError(f"the model folder {model} does not exist", hint=hint)
    if not path.is_dir():
        raise InputError(f"{flag} {model} is a file; it must be a model folder",
                         hint=f"point {flag} at the model's folder, not at one of its files")
    return path


@dataclass(frozen=True)
class Found:
    """Where :func:`locate` found a model.

    Parameters
    ----------
    folder : Path or None
        The local folder; ``None`` when it must be downloaded first (online only).
    source : {"folder", "own", "cache", "download"}
        Given as a folder, ``<models_home>/<backend>``, a Hugging Face cache snapshot, or
        not on this computer.
    repo_id : str
        The Hugging Face id (``""`` for a folder given as such).
    revision : str
        Commit of the weights when anything records it (:func:`models.store.folder_revision`,
        the cache snapshot's name), else ``""``.
    """

    folder: Path | None
    source: str
    repo_id: str = ""
    revision: str = ""


def locate(model: str | None, repo_id: str, own: Path | None,
           is_model_folder: Callable[[Path], bool], *, missing: str, hint: str,
           flag: str = "--model", folder_hint: str = "check the path") -> Found:
    """Find a model by the one order (module docstring); the family checks the folder after.

    Parameters
    ----------
    model : str or None
        ``--model``: a folder, a Hugging Face id, or ``None`` for the default.
    repo_id : str
        The default's Hugging Face id (used when ``model`` is ``None``).
    own : Path or None
        ``<models_home>/<backend>`` of the default (looked at only when ``model`` is ``None``).
    is_model_folder : callable
        ``(Path) -> bool``: whether a folder looks like this family's (cheap, file names).
    missing : str
        Start of the offline refusal, subject and verb, e.g. ``"the weights of
        Intel/ldm3d-pano are"`` or ``"the depth model X is"``.
    hint : str
        The offline refusal's hint (the download command, :func:`download_hint`).
    flag, folder_hint : str
        For :func:`given_folder`.

    Raises
    ------
    InputError
        A given folder that is missing or a file; offline and not on this computer.
    """
    from .store import folder_revision

    if model:
        if is_folder_argument(model):
            path = given_folder(model, flag, folder_hint)
            return Found(path, "folder", "", folder_revision(path))
        repo_id, own = model, None
    if own is not None and is_model_folder(own):
        return Found(own, "own", repo_id, folder_revision(own))
    cached = find_in_hf_cache(repo_id)
    if cached is not None:
        return Found(cached[0], "cache", repo_id, cached[1])
    if hf_offline():
        where = f"{own} and " if own is not None else ""
        raise InputError(f"{missing} not on this computer and HF_HUB_OFFLINE is set "
                         f"(looked in {where}the Hugging Face cache {hf_hub_cache()})",
                         hint=hint)
    return Found(None, "download", repo_id, "")


def first_usable(repo_id: str, own: Path, is_model_folder: Callable[[Path], bool],
                 check: Callable[[Path], object]) -> tuple[bool, str]:
    """Whether a default model is on disk: ``own``, then the cache (JSON reads only).

    Parameters
    ----------
    repo_id : str
    own : Path
        ``<models_home>/<backend>``.
    is_model_folder, check : callable
        The family's cheap recogniser and its full folder check (raises ``InputError``).

    Returns
    -------
    (bool, str)
        ``(True, "found in FOLDER")`` or ``(False, reason)``.
    """
    candidates = [own]
    cached = find_in_hf_cache(repo_id)
    if cached is not None:
        candidates.append(cached[0])
    reasons = []
    for folder in candidates:
        if not is_model_folder(folder):
            continue
        try:
            check(folder)
        except InputError as exc:
            reasons.append(exc.message)
            continue
        return True, f"found in {folder}"
    return False, "; ".join(reasons) or f"{repo_id} weights not found locally"


def download_hint(repo_id: str, folder: Path, then: str, files: tuple[str, ...] = ()) -> str:
    """The offline hint: the exact download command, then how to use what it fetched.

    Parameters
    ----------
    repo_id : str
    folder : Path
        Where the command puts it (``<models_home>/<backend>``).
    then : str
        The family's next step (which option takes the folder, what needs no weights).
    files : tuple of str
        Only these files of the repository (all when empty).
    """
    from .catalog import download_command_for

    return (f"download it once with a network connection:\n"
            f"      {download_command_for(repo_id, folder, files)}\n  {then}")
