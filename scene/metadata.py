"""What made a result: the record that makes "same inputs, same pixels" checkable."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np

__all__ = ["GenerationMetadata", "software_version", "plain_json"]


def software_version() -> str:
    """Panoforge's version string (from the installed distribution, else ``"0+unknown"``)."""
    try:
        from importlib.metadata import version

        return version("panoforge")
    except Exception:  # not installed (running from a source tree)
        return "0+unknown"


def plain_json(value):
    """A copy of ``value`` made of plain JSON types, for the project manifest and GLB extras.

    Dicts (keys become strings), lists and tuples are copied recursively; numpy arrays and
    scalars are unwrapped; non-finite floats become ``None`` (strict JSON has no NaN); any
    other object becomes its ``str``.
    """
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain_json(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


@dataclass
class GenerationMetadata:
    """Settings and provenance of one result.

    All fields are plain JSON types so the record goes unchanged into the project manifest
    and into a GLB's ``extras``.

    Parameters
    ----------
    backend : str
        Registry name of the generator ("procedural", "ldm3d-pano", "import", ...).
    prompt, negative_prompt : str
        The prompt as sent to the model (after presets and the "360 view of" prefix);
        ``user_prompt`` keeps what the user typed.
    seed, steps : int
    guidance : float
    width, height : int
        Output size in pixels.
    scheduler, model_id, model_revision, device, dtype : str
    seamless : bool
        Circular padding along the width was on.
    software_version : str
        Panoforge's version.
    created : str
        ISO 8601 UTC time the result was made.
    duration_s : float
        Wall time of the generation, seconds.
    extra : dict
        Backend-specific facts (library versions, source file names for imports, ...).
    licences : list of dict
        The licence of each model that made the result (``models.catalog.licence_records``:
        ``model``, ``spdx``, ``name``, ``url``, ``commercial_use`` (bool, or ``None`` when not
        known), ``conditions``). Empty for the procedural generator and imports, and for
        results stored before licences were recorded. :mod:`scene.licences` reads them.
    """

    backend: str = ""
    prompt: str = ""
    user_prompt: str = ""
    negative_prompt: str = ""
    seed: int = 0
    steps: int = 0
    guidance: float = 0.0
    width: int = 0
    height: int = 0
    scheduler: str = ""
    model_id: str = ""
    model_revision: str = ""
    device: str = ""
    dtype: str = ""
    seamless: bool = False
    software_version: str = field(default_factory=software_version)
    created: str = field(default_factory=_now)
    duration_s: float = 0.0
    extra: dict = field(default_factory=dict)
    licences: list = field(default_factory=list)

    def with_licences(self, records) -> GenerationMetadata:
        """A copy that also records ``records`` (licence dicts not already there, in order).

        For a stage that changes a result with another model (depth estimation, upscaling):
        ``replace(meta, ...)`` shares the list, so this never changes ``self``.
        """
        merged = [dict(r) for r in self.licences]
        for rec in records:
            if rec not in merged:
                merged.append(dict(rec))
        return replace(self, licences=merged)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> GenerationMetadata:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known.setdefault("created", "")  # a stored record has no time: don't invent one
        return cls(**known)

    def record(self) -> dict:
        """What is written into files (project manifest, GLB extras): everything that made
        the result, without the wall-clock facts (``created``, ``duration_s``).

        Leaving the clock out makes the same inputs give byte-identical files, which is how
        a user checks "same seed, same result" with nothing but ``cmp``.
        """
        d = self.to_dict()
        for k in ("created", "duration_s"):
            d.pop(k)
        return d
