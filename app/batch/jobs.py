"""A jobs file -> checked :class:`Job` s, or one error listing every bad row with its line.

Formats (by the file's suffix)
------------------------------
``.csv``
    A header row naming the columns, then one job per row (standard quoting; a stray quote is
    an error, not a silently merged row). Empty cells take the default.
``.jsonl``
    One JSON object per line; blank lines are skipped.
``.toml``
    ``[[jobs]]`` tables, one per job, and an optional ``[defaults]`` table whose keys every job
    takes unless it gives its own.

Keys (``-`` and ``_`` are the same; every other key is refused)
---------------------------------------------------------------
``prompt`` (required), ``id`` (letters, digits, ``._-``), ``seed`` (default 0), ``backend``
(a text backend of :data:`models.registry.BACKENDS`, default ``procedural``), ``size``
(``WxH``) or ``width``/``height``, ``steps``, ``guidance``, ``negative``, ``scheduler``,
``model``, ``device``, ``upscale`` (``auto``/``sr``/``classical``, ``true`` = ``auto``,
empty/``false``/``none`` = no), ``repair_poles`` (true/false), ``exports`` (a list, or in CSV
one cell separated by ``;``, ``,``, ``|`` or spaces: ``glb``, ``ply``, ``images``, ``cubemap``,
``stereo360``).

Each job's folder name is ``<id or row number>-<prompt slug>-s<seed>``; its request hash is
the SHA-256 of the request in canonical JSON (everything that changes the outputs), so a rerun
can tell a finished job from one whose request changed.

Reading is plain Python per row (no model or backend is imported), so a 100 000-row file is
checked in about a second.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from pathlib import Path

from scene.errors import InputError

__all__ = ["Job", "JobFileError", "read_jobs", "parse_jobs", "job_from_fields", "EXPORTS",
           "UPSCALE_METHODS", "KEYS", "MAX_PROBLEMS_SHOWN", "job_name", "slug"]

#: Export formats a job may ask for.
EXPORTS = ("glb", "ply", "images", "cubemap", "stereo360")
#: ``upscale`` values that run an upscale.
UPSCALE_METHODS = ("auto", "sr", "classical")
#: Every key a job may give (canonical spelling).
KEYS = ("id", "prompt", "negative", "seed", "backend", "size", "width", "height", "steps",
        "guidance", "scheduler", "model", "device", "upscale", "repair_poles", "exports")
_KEY_SET = frozenset(KEYS)
_SCHEDULERS = ("ddim", "dpm++2m", "euler-a")
_DEVICES = ("auto", "cpu", "cuda")
_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"", "0", "false", "no", "off", "n", "none"}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SIZE_RE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")
_SPLIT_RE = re.compile(r"[;,|\s]+")
#: How many problems the error message lists (the count of the rest follows).
MAX_PROBLEMS_SHOWN = 20
#: Bumped when what a job writes changes, so finished jobs of an older layout are redone.
_HASH_FORMAT = 1
#: :data:`models.base.SEED_MAX` (not imported here: ``models.base`` loads numpy and scene).
_SEED_MAX = 2**63 - 1


class JobFileError(InputError):
    """A jobs file cannot be run as it is; ``problems`` holds ``(line, message)`` pairs."""

    def __init__(self, message: str, hint: str = "", problems=()) -> None:
        super().__init__(message, hint)
        self.problems = list(problems)


@dataclass(frozen=True)
class Job:
    """One checked request of a batch.

    Parameters
    ----------
    index : int
        1-based position in the file.
    line : int
        Line of the file the job starts on.
    name : str
        Its folder name in the output folder (unique within the batch).
    prompt, negative : str
    seed : int
    backend : str
    width, height : int or None
        ``None``: the backend's default.
    steps : int or None
    guidance : float or None
    scheduler, model : str or None
    device : str
    upscale : str or None
        ``auto``, ``sr``, ``classical``, or ``None`` for no upscaling.
    repair_poles : bool
    exports : tuple of str
        In :data:`EXPORTS` order.
    id : str or None
    """

    index: int
    line: int
    name: str
    prompt: str
    seed: int = 0
    backend: str = "procedural"
    width: int | None = None
    height: int | None = None
    steps: int | None = None
    guidance: float | None = None
    negative: str = ""
    scheduler: str | None = None
    model: str | None = None
    device: str = "auto"
    upscale: str | None = None
    repair_poles: bool = False
    exports: tuple = ()
    id: str | None = None

    @property
    def request_hash(self) -> str:
        """SHA-256 (hex) of :meth:`request_fields` (computed when asked: checking a
        100 000-row file needs no hashes)."""
        return request_hash(self.request_fields())

    def request_fields(self) -> dict:
        """What the outputs depend on (the hash's input): no id, index, line or name."""
        d = {k: getattr(self, k) for k in _REQUEST_FIELDS}
        d["exports"] = list(self.exports)
        return d

    def to_dict(self) -> dict:
        """Everything, JSON-ready (what workers receive and ``job.json`` records)."""
        d = {k: getattr(self, k) for k in _ALL_FIELDS}
        d["exports"] = list(self.exports)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Job:
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["exports"] = tuple(d.get("exports", ()))
        return cls(**d)

    def generation_request(self):
        """The :class:`models.base.GenerationRequest` of this job."""
        from models.base import GenerationRequest

        return GenerationRequest(prompt=self.prompt, negative_prompt=self.negative, seed=self.seed,
                                 steps=self.steps, guidance=self.guidance, width=self.width,
                                 height=self.height, scheduler=self.scheduler, device=self.device,
                                 model=self.model, preview_every=0)


_ALL_FIELDS = tuple(f.name for f in dataclass_fields(Job))
_REQUEST_FIELDS = tuple(k for k in _ALL_FIELDS
                        if k not in ("index", "line", "name", "id"))


def request_hash(fields: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of ``fields`` and the layout version."""
    text = json.dumps({"format": _HASH_FORMAT, **fields}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def slug(prompt: str, limit: int = 32) -> str:
    """``"A misty pine forest!"`` -> ``"a-misty-pine-forest"`` (``scene`` when nothing is left)."""
    s = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:limit].rstrip("-")
    return s or "scene"


def job_name(label: str, prompt: str, seed: int) -> str:
    """``<label>-<slug>-s<seed>``."""
    return f"{label}-{slug(prompt)}-s{seed}"


# -- one row -------------------------------------------------------------------------------
class _Bad(Exception):
    pass


def _text(v, key) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _Bad(f"{key} must be text, got {v!r}")
    return str(v)


def _int(v, key, lo=None, hi=None) -> int | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        raise _Bad(f"{key} must be a whole number, got {v!r}")
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, str):
        s = v.strip()
        if not re.fullmatch(r"[+-]?\d+", s):
            raise _Bad(f"{key} must be a whole number, got {v!r}")
        v = int(s)
    if not isinstance(v, int):
        raise _Bad(f"{key} must be a whole number, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"{lo} to {hi}" if hi is not None else f"at least {lo}"
        raise _Bad(f"{key} must be {rng}, got {v}")
    return v


def _float(v, key, lo=None, hi=None) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        raise _Bad(f"{key} must be a number, got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise _Bad(f"{key} must be a number, got {v!r}") from None
    if f != f or (lo is not None and f < lo) or (hi is not None and f > hi):
        raise _Bad(f"{key} must be from {lo} to {hi}, got {v!r}")
    return f


def _bool(v, key) -> bool:
    if isinstance(v, bool):
        return v
    if v is None:
        return False
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise _Bad(f"{key} must be true or false, got {v!r}")


def _choice(v, key, choices) -> str | None:
    if v is None:
        return None
    s = _text(v, key).strip().lower()
    if not s:
        return None
    if s not in choices:
        raise _Bad(f"{key} must be one of {', '.join(choices)}, got {v!r}")
    return s


def _exports(v) -> tuple:
    if v is None:
        return ()
    items = v if isinstance(v, list | tuple) else _SPLIT_RE.split(_text(v, "exports"))
    wanted = set()
    for item in items:
        s = _text(item, "exports").strip().lower().replace("-", "").replace("_", "")
        if not s:
            continue
        if s not in EXPORTS:
            raise _Bad(f"unknown export {item!r}: choose from {', '.join(EXPORTS)}")
        wanted.add(s)
    return tuple(e for e in EXPORTS if e in wanted)


def _upscale(v) -> str | None:
    if isinstance(v, bool):
        return "auto" if v else None
    s = "" if v is None else _text(v, "upscale").strip().lower()
    if s in _FALSE:
        return None
    if s in _TRUE:
        return "auto"
    if s not in UPSCALE_METHODS:
        raise _Bad(f"upscale must be one of {', '.join(UPSCALE_METHODS)} or false, got {v!r}")
    return s


def _backends() -> dict:
    from models.registry import BACKENDS

    return {name: info for name, info in BACKENDS.items() if info.kind == "text"}


def _check_size(backend: str, info, width, height) -> tuple[int | None, int | None]:
    if width is None and height is None:
        return None, None
    d = info.defaults
    if not d.perspective:  # panoramas are 2:1: one side gives the other
        width = 2 * height if width is None else width
        height = width // 2 if height is None else height
        if width != 2 * height:
            raise _Bad(f"size {width}x{height}: a panorama must be 2:1 "
                       f"(e.g. {2 * height}x{height})")
    else:
        width = d.width if width is None else width
        height = d.height if height is None else height
    lo = 16 if backend == "procedural" else 64
    if not (lo <= width <= 4096 and lo <= height <= 4096):
        raise _Bad(f"size {width}x{height} is out of range: {lo} to 4096 pixels a side")
    if backend != "procedural" and (width % 8 or height % 8):
        raise _Bad(f"size {width}x{height}: {backend} needs sides that are multiples of 8")
    return width, height


def _normal_key(key) -> str:
    return str(key).strip().lower().replace("-", "_")


def job_from_fields(raw: dict, index: int, line: int, *, backends=None,
                    defaults: dict | None = None) -> Job:
    """One row's fields -> :class:`Job`.

    Parameters
    ----------
    raw : dict
        Key -> value as read (strings from CSV, JSON/TOML values otherwise).
    index, line : int
        1-based position and line number.
    backends : dict, optional
        The text backends (read from the registry when omitted).
    defaults : dict, optional
        Values for keys the row leaves out.

    Raises
    ------
    ValueError
        With the row's problem in words (the caller adds the line number).
    """
    backends = _backends() if backends is None else backends
    row = {}
    for source in (defaults or {}, raw):
        for key, value in source.items():
            k = _normal_key(key)
            if k not in _KEY_SET:
                raise _Bad(f"unknown key {key!r}: the keys are {', '.join(KEYS)}")
            if isinstance(value, str) and not value.strip() and k != "negative":
                row.pop(k, None)  # (an empty CSV cell: the default)
                continue
            row[k] = value
    prompt = _text(row.get("prompt", ""), "prompt").strip()
    if not prompt:
        raise _Bad("the prompt is empty")
    job_id = row.get("id")
    if job_id is not None:
        job_id = _text(job_id, "id").strip()
        if not _ID_RE.match(job_id):
            raise _Bad(f"id {job_id!r} must be 1 to 64 letters, digits, '.', '_' or '-' "
                       "(it names the job's folder)")
    seed = _int(row.get("seed"), "seed", 0, _SEED_MAX) or 0
    backend = _text(row.get("backend", "procedural"), "backend").strip().lower()
    if backend not in backends:
        raise _Bad(f"unknown backend {backend!r}: choose from {', '.join(backends)}")
    width, height = _int(row.get("width"), "width", 1), _int(row.get("height"), "height", 1)
    if "size" in row:
        if width is not None or height is not None:
            raise _Bad("give size or width/height, not both")
        m = _SIZE_RE.match(_text(row["size"], "size"))
        if m is None:
            raise _Bad(f"size must be WIDTHxHEIGHT, e.g. 1024x512, got {row['size']!r}")
        width, height = int(m.group(1)), int(m.group(2))
    width, height = _check_size(backend, backends[backend], width, height)
    fields = dict(
        prompt=prompt, seed=seed, backend=backend, width=width, height=height,
        steps=_int(row.get("steps"), "steps", 1, 1000),
        guidance=_float(row.get("guidance"), "guidance", 0.0, 100.0),
        negative=_text(row.get("negative", ""), "negative"),
        scheduler=_choice(row.get("scheduler"), "scheduler", _SCHEDULERS),
        model=(_text(row["model"], "model").strip() or None) if "model" in row else None,
        device=_choice(row.get("device"), "device", _DEVICES) or "auto",
        upscale=_upscale(row.get("upscale")),
        repair_poles=_bool(row.get("repair_poles"), "repair_poles"),
        exports=_exports(row.get("exports")),
    )
    if fields["model"] and not backends[backend].needs_weights:
        raise _Bad(f"model is for the LDM3D backends; {backend} uses no weights")
    label = job_id if job_id is not None else str(index)
    return Job(index=index, line=line, name=job_name(label, prompt, seed), id=job_id, **fields)


# -- files ---------------------------------------------------------------------------------
def _csv_rows(text: str):
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = None
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, None, f"bad CSV ({exc}); check the quotes on this line"
            return
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            unknown = [h for h in header if _normal_key(h) not in _KEY_SET]
            if unknown:
                yield line, None, (f"unknown column {unknown[0]!r}: the columns are "
                                   f"{', '.join(KEYS)}")
                return
            if "prompt" not in {_normal_key(h) for h in header}:
                yield line, None, "the header has no prompt column"
                return
            continue
        if len(cells) != len(header):
            yield line, None, (f"{len(cells)} fields, the header has {len(header)} "
                               "(a comma inside a prompt needs quotes)")
            continue
        yield line, dict(zip(header, cells, strict=True)), None


def _jsonl_rows(text: str):
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield n, None, f"not JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(obj, dict):
            yield n, None, "each line must be a JSON object like {\"prompt\": \"...\"}"
            continue
        yield n, obj, None


_TOML_JOB_RE = re.compile(r"^[ \t]*\[\[[ \t]*jobs[ \t]*\]\]", re.MULTILINE)


def _toml_rows(text: str):
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        yield 0, None, f"not TOML: {exc}"
        return
    extra = sorted(set(doc) - {"jobs", "defaults"})
    if extra:
        yield 1, None, f"unknown table or key {extra[0]!r}: use [[jobs]] and [defaults]"
        return
    jobs = doc.get("jobs", [])
    if not isinstance(jobs, list) or not all(isinstance(j, dict) for j in jobs):
        yield 1, None, "jobs must be [[jobs]] tables"
        return
    lines = [text.count("\n", 0, m.start()) + 1 for m in _TOML_JOB_RE.finditer(text)]
    defaults = doc.get("defaults", {})
    for i, table in enumerate(jobs):
        yield (lines[i] if i < len(lines) else 0), {**defaults, **table}, None


_READERS = {".csv": _csv_rows, ".jsonl": _jsonl_rows, ".ndjson": _jsonl_rows,
            ".toml": _toml_rows}


def parse_jobs(text: str, fmt: str, *, source: str = "the jobs file") -> list[Job]:
    """Check every row of ``text`` (``fmt``: ``.csv``, ``.jsonl`` or ``.toml``).

    Returns
    -------
    list of Job

    Raises
    ------
    JobFileError
        Every problem found, each with its line number; or no jobs at all.
    """
    backends = _backends()
    problems: list[tuple[int, str]] = []
    jobs: list[Job] = []
    names: dict[str, int] = {}
    for line, fields, error in _READERS[fmt](text):
        if error is not None:
            problems.append((line, error))
            continue
        index = len(jobs) + 1
        try:
            job = job_from_fields(fields, index, line, backends=backends)
        except _Bad as exc:
            problems.append((line, str(exc)))
            jobs.append(None)  # (keeps the row numbers of later jobs)
            continue
        if job.name in names:
            problems.append((line, f"job {job.name!r} is the same as the one on line "
                                   f"{names[job.name]} (same id or row, prompt and seed)"))
        names[job.name] = line
        jobs.append(job)
    if problems:
        shown = "\n".join(f"  line {ln}: {msg}" if ln else f"  {msg}"
                          for ln, msg in problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        tail = f"\n  ... and {more} more" if more > 0 else ""
        n = len(problems)
        raise JobFileError(f"{source}: {n} problem{'s' if n > 1 else ''}, nothing was run:\n"
                           f"{shown}{tail}", hint="fix the lines above and run it again",
                           problems=problems)
    if not jobs:
        raise JobFileError(f"{source} has no jobs (0 rows), nothing was run",
                           hint="add one request per row (CSV with a header, one JSON object "
                           "per line, or [[jobs]] tables in TOML)")
    return jobs


def read_jobs(path: str | Path) -> list[Job]:
    """Read and check the jobs file at ``path`` (see the module docstring).

    Raises
    ------
    JobFileError
        A missing or unreadable file, an unknown suffix, or any bad row.
    """
    path = Path(path)
    fmt = path.suffix.lower()
    if fmt not in _READERS:
        raise JobFileError(f"{path}: unknown jobs file type {path.suffix or '(none)'!r}",
                           hint="use a .csv, .jsonl or .toml file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise JobFileError(f"{path} does not exist", hint="give the path of a jobs file") \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JobFileError(f"cannot read {path}: {exc}",
                           hint="the file should be UTF-8 text") from None
    return parse_jobs(text, fmt, source=str(path))
