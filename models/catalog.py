"""Every model Panoforge knows, in one place: where it comes from, what it needs, its licence.

Standard library only, and no file-system access: this is data. ``panoforge models`` (status,
``add``, ``verify``: :mod:`models.store`), the download hints, and the licence that each result
records (:func:`licence_records`) all read it, so a new model family adds one
:class:`CatalogEntry` here and nothing else needs to learn its licence or its file set.

Checksums. The SHA-256 values below are the Git LFS object ids that the Hugging Face hub
publishes on each weight file's page (the ``SHA256`` under "Git LFS Details"), read through the
project's reference search; each :class:`Revision` says where its values were read. They are
only as complete as what was published and found: a revision lists the files whose checksum is
known, and a file not listed is checked for structure (a readable safetensors header whose data
fills the file) but not for content. A revision that is not listed at all is accepted with a
warning ("no published checksums known for revision X"), never silently.

Licences. ``commercial_use`` answers one question: may a user sell what they make with the
model? ``True`` does not mean "no conditions": the CreativeML OpenRAIL-M licence of the LDM3D
family allows commercial use but forbids the uses listed in its Attachment A, and
:attr:`Licence.conditions` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Licence", "Revision", "CatalogEntry", "CATALOG", "LICENCES", "entry", "entry_for_backend",
    "entry_for_model", "entries", "download_command", "download_command_for", "licence_record",
    "licence_records",
    "PROCEDURAL_ID",
]


@dataclass(frozen=True)
class Licence:
    """A model licence.

    Parameters
    ----------
    spdx : str
        SPDX identifier, or the Hugging Face licence id where SPDX has none
        (``"creativeml-openrail-m"``).
    name : str
        Human-readable name.
    url : str
        Where the licence text is.
    commercial_use : bool
        Whether results may be used commercially.
    conditions : str
        What still applies when commercial use is allowed (or why it is not), one sentence.
    """

    spdx: str
    name: str
    url: str
    commercial_use: bool
    conditions: str = ""

    def to_dict(self) -> dict:
        """Plain JSON: ``spdx``, ``name``, ``url``, ``commercial_use``, ``conditions``."""
        return {"spdx": self.spdx, "name": self.name, "url": self.url,
                "commercial_use": self.commercial_use, "conditions": self.conditions}


OPENRAIL_M = Licence(
    "creativeml-openrail-m", "CreativeML Open RAIL-M",
    "https://huggingface.co/spaces/CompVis/stable-diffusion-license", True,
    "commercial use allowed; the use restrictions of its Attachment A apply and must be passed "
    "on to anyone you share the model or its derivatives with")
CC_BY_NC_4 = Licence(
    "CC-BY-NC-4.0", "Creative Commons Attribution-NonCommercial 4.0 International",
    "https://creativecommons.org/licenses/by-nc/4.0/", False,
    "non-commercial use only; credit the authors")
APACHE_2 = Licence(
    "Apache-2.0", "Apache License 2.0", "https://www.apache.org/licenses/LICENSE-2.0", True,
    "keep the licence and notices when redistributing the weights")

#: The licences by SPDX id.
LICENCES: dict[str, Licence] = {lic.spdx: lic for lic in (OPENRAIL_M, CC_BY_NC_4, APACHE_2)}


@dataclass(frozen=True)
class Revision:
    """One published revision of a model and the SHA-256 of the weight files known for it.

    Parameters
    ----------
    commit : str
        Commit hash on the Hugging Face hub (40 hex digits, or the 7+ digit short hash the hub
        shows), or ``""`` when the checksums were published without the commit they belong to
        (a pull request's diff): then they identify the files but not the revision.
    sha256 : tuple of (str, str)
        ``(path inside the folder, lowercase hex SHA-256)`` for each file whose checksum was
        published and found; may not cover every weight file.
    source : str
        Where the checksums were read.
    """

    commit: str
    sha256: tuple[tuple[str, str], ...] = ()
    source: str = ""

    @property
    def checksums(self) -> dict[str, str]:
        """``{path: sha256}``."""
        return dict(self.sha256)


@dataclass(frozen=True)
class CatalogEntry:
    """A model Panoforge can use.

    Parameters
    ----------
    id : str
        Hugging Face repository id (``"Intel/ldm3d-pano"``); ``PROCEDURAL_ID`` for the built-in
        generator.
    family : str
        ``"ldm3d"``, ``"ldm3d_sr"``, ``"lrm"``, ``"depth_estimation"`` or ``"procedural"``
        (the ``models/`` package that loads it).
    backend : str
        The name the rest of Panoforge uses for it (``--backend``, the window's lists); also the
        folder name under the models directory (``<models_home>/<backend>``).
    task : str
        What it does, a few words.
    licence : Licence
    required : tuple of str
        Files that must exist, relative to the model folder (configs, tokenizer files).
    weights : tuple of str
        Glob patterns relative to the folder; each must match at least one file (so fp16-only
        or sharded weights satisfy ``"unet/*.safetensors"``). Only ``.safetensors`` count:
        pickle weights (``.bin``, ``.pt``, ``.pth``, ``.ckpt``) are never loaded.
    revisions : tuple of Revision
        Known revisions with their published checksums (may be empty).
    size_hint : str
        Approximate download size, for the list.
    """

    id: str
    family: str
    backend: str
    task: str
    licence: Licence
    required: tuple[str, ...] = ()
    weights: tuple[str, ...] = ()
    revisions: tuple[Revision, ...] = ()
    size_hint: str = ""
    notes: str = field(default="", compare=False)

    @property
    def commercial_use(self) -> bool:
        """Whether the licence allows commercial use of results."""
        return self.licence.commercial_use

    @property
    def needs_weights(self) -> bool:
        """``False`` for the built-in generator."""
        return bool(self.required or self.weights)

    def revision(self, commit: str) -> Revision | None:
        """The known revision ``commit`` (either hash may be a prefix of 7+ characters)."""
        commit = (commit or "").lower()
        if len(commit) < 7:
            return None
        for rev in self.revisions:
            if len(rev.commit) >= 7 and (rev.commit.startswith(commit)
                                         or commit.startswith(rev.commit)):
                return rev
        return None


# -- file sets ---------------------------------------------------------------------------
# tokenizer_config.json is written by every transformers version; the vocabulary itself is
# vocab.json + merges.txt (published folders) or tokenizer.json (newer save_pretrained).
_CLIP_TOKENIZER = ("tokenizer/tokenizer_config.json",)
_LDM3D_REQUIRED = ("model_index.json", "scheduler/scheduler_config.json", *_CLIP_TOKENIZER,
                   "text_encoder/config.json", "unet/config.json", "vae/config.json")
_LDM3D_WEIGHTS = ("unet/*.safetensors", "vae/*.safetensors", "text_encoder/*.safetensors")
_SR_REQUIRED = (*_LDM3D_REQUIRED, "low_res_scheduler/scheduler_config.json")
_LRM_REQUIRED = ("config.json",)
_LRM_WEIGHTS = ("model.safetensors",)
_DA_REQUIRED = ("config.json", "preprocessor_config.json")
_DA_WEIGHTS = ("model.safetensors",)

_HUB = "Hugging Face hub file pages (Git LFS SHA256), read through the reference search"
# ldm3d-pano's VAE weights were uploaded once (commit 4a82c9a) and never changed since, so
# every later revision holds the same file.
_PANO_VAE = ("vae/diffusion_pytorch_model.safetensors",
             "ca1779adb2fb6bebcf6accb080a6ad7023b2c1a2ec2ed53b32d967dbb6017982")
_LRM_BASE_SHA = "25411aca0cf483e8793147a08b9b0c967cf4fb2795a08a91040c11ac0fa304d6"
_LRM_LARGE_SHA = "cdd329b11d0d7ee8818912e503cb1f755098974f841d9ff29b64812defb93390"
PROCEDURAL_ID = "panoforge/procedural"


def _da(size: str, variant: str, licence: Licence, task: str, revisions=(), size_hint="",
        metric: str = "") -> CatalogEntry:
    """A Depth Anything V2 entry (transformers layout)."""
    name = f"Depth-Anything-V2-{'Metric-' + metric + '-' if metric else ''}{variant}-hf"
    backend = "depth-anything-v2-" + (metric.lower() + "-" if metric else "") + size
    return CatalogEntry(f"depth-anything/{name}", "depth_estimation", backend, task, licence,
                        _DA_REQUIRED, _DA_WEIGHTS, tuple(revisions), size_hint,
                        _METRIC_NOTE if metric else "")


_REL = "relative depth from one picture"
_METRIC_IN = "metric depth (metres) from one picture, indoor scenes"
_METRIC_OUT = "metric depth (metres) from one picture, outdoor scenes"
_METRIC_NOTE = ("the metric model cards carry no licence tag of their own; Panoforge applies "
                "the licence of the backbone they were fine-tuned from")

#: Every known model, in display order.
CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(PROCEDURAL_ID, "procedural", "procedural",
                 "built-in ray-cast scenes with exact depth (no weights)", APACHE_2,
                 notes="Panoforge's own code; nothing to download"),
    CatalogEntry(
        "Intel/ldm3d-pano", "ldm3d", "ldm3d-pano", "360° panorama RGB + depth from a prompt",
        OPENRAIL_M, _LDM3D_REQUIRED, _LDM3D_WEIGHTS,
        (Revision("8fc3e1177787deb6be2db52a75ead42f0ff62fd8",
                  (("unet/diffusion_pytorch_model.safetensors",
                    "7f848acff5112911b7d2a6d1bc77e11484c0fc2d862edd5f00a8eb519c08476c"),
                   _PANO_VAE), _HUB),
         Revision("58e39b8d2d565d49890e09b93d8f36446ea71aa8",
                  (("unet/diffusion_pytorch_model.safetensors",
                    "7f848acff5112911b7d2a6d1bc77e11484c0fc2d862edd5f00a8eb519c08476c"),
                   _PANO_VAE), _HUB),
         Revision("38d2858ff0bc7f2ccfa390de3af41c51f3808021",
                  (("unet/diffusion_pytorch_model.safetensors",
                    "020c894fe0709d7d79d67458c3e0900fce41cc8e6e29f16cab2a0f964d64dd1e"),
                   _PANO_VAE), _HUB),
         Revision("76d5aa4149f848c4862835a230e3c5bac4eee6bd",
                  (("unet/diffusion_pytorch_model.safetensors",
                    "ed83ade7ae6213da6a7335e561796810e003866afe893ee0356416adc1934eec"),
                   _PANO_VAE), _HUB)),
        "about 5.5 GB"),
    CatalogEntry("Intel/ldm3d-4c", "ldm3d", "ldm3d-4c", "perspective RGB + depth from a prompt",
                 OPENRAIL_M, _LDM3D_REQUIRED, _LDM3D_WEIGHTS,
                 (Revision("6ed420065af86288b16562c7fe68fa57b50ee333",
                           (("unet/diffusion_pytorch_model.safetensors",
                             "e3b6130d59d770b349733ca60018e697ec939f8e2a9730c2694d09af29f77a05"),),
                           _HUB),),
                 "about 5.5 GB"),
    CatalogEntry(
        "Intel/ldm3d", "ldm3d", "ldm3d", "perspective RGB + depth (6-channel VAE) from a prompt",
        OPENRAIL_M, _LDM3D_REQUIRED, _LDM3D_WEIGHTS,
        (Revision("124e194cf5723a0ad3279b15233140f8ac56bcf9",
                  (("unet/diffusion_pytorch_model.safetensors",
                    "fd576c92df09861d9ee02d9d97b85753b01e584851dc8b2277a4d3700798a3c6"),), _HUB),),
        "about 5.5 GB"),
    CatalogEntry("Intel/ldm3d-sr", "ldm3d_sr", "ldm3d-sr", "4x RGB + depth super-resolution",
                 OPENRAIL_M, _SR_REQUIRED, _LDM3D_WEIGHTS,
                 (Revision("b0f2d5f699bd16ab9d970a629e024c8da8a1354f",
                           (("unet/diffusion_pytorch_model.safetensors",
                             "875f4a72e6ebdb147bb40bdb46524de35ea59303b0a4d4a1fda1d398f4a0c945"),),
                           _HUB),),
                 "about 5 GB"),
    CatalogEntry("zxhezexin/openlrm-mix-base-1.1", "lrm", "lrm-base",
                 "3D object (triplane NeRF) from one picture", CC_BY_NC_4, _LRM_REQUIRED,
                 _LRM_WEIGHTS,
                 (Revision("8c12811", (("model.safetensors", _LRM_BASE_SHA),),
                           _HUB + " (the hub shows only the short commit hash)"),),
                 "about 1.0 GB"),
    CatalogEntry("zxhezexin/openlrm-mix-large-1.1", "lrm", "lrm-large",
                 "3D object (triplane NeRF) from one picture, larger", CC_BY_NC_4, _LRM_REQUIRED,
                 _LRM_WEIGHTS,
                 (Revision("", (("model.safetensors", _LRM_LARGE_SHA),),
                           "the hub's pull request #1 that added model.safetensors (LFS oid)"),),
                 "about 1.8 GB"),
    _da("small", "Small", APACHE_2, _REL,
        (Revision("5426e4f0f36572d16453bbda7a8389317b1bef99",
                  (("model.safetensors",
                    "3152477ce0d8d6978d76b995120de97cb5b928701fd0f817769f59e249a16b70"),), _HUB),),
        "about 99 MB"),
    _da("base", "Base", CC_BY_NC_4, _REL, (), "about 390 MB"),
    _da("large", "Large", CC_BY_NC_4, _REL, (), "about 1.3 GB"),
    _da("small", "Small", APACHE_2, _METRIC_IN, metric="Indoor"),
    _da("base", "Base", CC_BY_NC_4, _METRIC_IN, metric="Indoor"),
    _da("large", "Large", CC_BY_NC_4, _METRIC_IN, metric="Indoor"),
    _da("small", "Small", APACHE_2, _METRIC_OUT, metric="Outdoor"),
    _da("base", "Base", CC_BY_NC_4, _METRIC_OUT, metric="Outdoor"),
    _da("large", "Large", CC_BY_NC_4, _METRIC_OUT, metric="Outdoor"),
)

_BY_ID = {e.id.lower(): e for e in CATALOG}
_BY_BACKEND = {e.backend: e for e in CATALOG}


def entries(family: str | None = None) -> list[CatalogEntry]:
    """All entries, or those of one family, in display order."""
    return [e for e in CATALOG if family is None or e.family == family]


def entry(key: str) -> CatalogEntry | None:
    """The entry whose Hugging Face id (case-insensitive) or backend name is ``key``."""
    return _BY_ID.get((key or "").lower()) or _BY_BACKEND.get(key or "")


def entry_for_backend(backend: str) -> CatalogEntry | None:
    """The entry of a backend name (``"ldm3d-pano"``), or ``None``."""
    return _BY_BACKEND.get(backend)


def entry_for_model(model_id: str, backend: str = "") -> CatalogEntry | None:
    """The entry that made a result: by its model id, else by its backend name.

    A local folder path as ``model_id`` falls back to the backend's entry (the folder was
    checked to hold that backend's model); an unknown Hugging Face id gives ``None``.
    """
    found = _BY_ID.get((model_id or "").lower())
    if found is not None:
        return found
    if model_id and model_id.count("/") == 1 and not model_id.startswith((".", "/", "~")) \
            and not _looks_like_path(model_id):
        return None  # another repository: its licence is not ours to guess
    return _BY_BACKEND.get(backend)


def _looks_like_path(model_id: str) -> bool:
    import os

    return os.path.exists(os.path.expanduser(model_id))


def download_command(e: CatalogEntry, folder) -> str:
    """The exact command that fetches ``e`` into ``folder`` (``""`` for the built-in one)."""
    if not e.needs_weights:
        return ""
    return download_command_for(e.id, folder)


def download_command_for(repo_id: str, folder, files: tuple[str, ...] = ()) -> str:
    """The one form of the download command: ``hf download REPO [FILES] --local-dir FOLDER``
    (also for a Hugging Face id the catalogue does not know)."""
    only = "".join(f" {f}" for f in files)
    return f"hf download {repo_id}{only} --local-dir {folder}"


def licence_record(e: CatalogEntry | None, model_id: str = "") -> dict:
    """What a result records about one model it was made with (plain JSON).

    Parameters
    ----------
    e : CatalogEntry or None
        ``None`` for a model the catalogue does not know: its licence is recorded as unknown
        and ``commercial_use`` as ``None`` (not known to allow it).
    model_id : str
        The id to record when ``e`` is ``None``.

    Returns
    -------
    dict
        ``model``, ``spdx``, ``name``, ``url``, ``commercial_use``, ``conditions``.
    """
    if e is None:
        return {"model": model_id, "spdx": "unknown", "name": "unknown licence", "url": "",
                "commercial_use": None,
                "conditions": "not in Panoforge's catalogue: read the model card before using "
                "results commercially"}
    return {"model": e.id, **e.licence.to_dict()}


def licence_records(*models: str | tuple[str, str]) -> list[dict]:
    """Licence records for the models that made a result, without repeats.

    Each argument is a model id or backend name, or a ``(model_id, backend)`` pair (a local
    folder path as model id falls back to the backend's entry). The built-in procedural
    generator records nothing: it is Panoforge's own code, not a model with a licence.
    """
    out: list[dict] = []
    for m in models:
        model_id, backend = m if isinstance(m, tuple) else (m, m)
        e = entry_for_model(model_id, backend)
        if e is not None and not e.needs_weights:
            continue
        rec = licence_record(e, model_id)
        if rec not in out:
            out.append(rec)
    return out
