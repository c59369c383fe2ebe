"""``batch.jsonl``: one JSON line per job outcome, appended and synced as it happens.

A record: ``job`` (its folder name), ``line`` (in the jobs file), ``status`` (``done``,
``failed``, ``cancelled``, ``skipped`` — already finished by an earlier run), ``request_hash``,
``outputs`` (paths relative to the output folder), ``timings`` (seconds per stage, ``total``),
``error`` (``""`` unless it failed), ``worker`` (process id), ``run`` (which run of the batch
wrote it) and ``time`` (UTC). A run also writes one ``{"event": "run", ...}`` line when it
starts.

The ledger is the history; whether a job is finished is decided by its folder's ``job.json``
(:func:`app.batch.execute.finished`), so a driver killed between moving a job into place and
appending its line loses nothing. A line cut short by a kill is ignored when reading.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path

__all__ = ["Ledger", "read_ledger", "LEDGER_NAME"]

LEDGER_NAME = "batch.jsonl"


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


class Ledger:
    """Appends records to ``OUT/batch.jsonl`` (one ``write`` + ``fsync`` per record).

    Parameters
    ----------
    out_dir : path
    run_id : str
        Written into every record.
    """

    def __init__(self, out_dir: str | os.PathLike, run_id: str) -> None:
        self.path = Path(out_dir) / LEDGER_NAME
        self.run_id = run_id
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._repair_tail()

    def _repair_tail(self) -> None:
        """A line cut short by a killed run gets its newline, so the next record stands alone."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                if fh.tell() == 0:
                    return
                fh.seek(-1, os.SEEK_END)
                last = fh.read(1)
        except OSError:
            return
        if last != b"\n":
            os.write(self._fd, b"\n")

    def write(self, record: dict) -> None:
        """Append ``record`` (with ``run`` and ``time``) and sync it to disk."""
        line = json.dumps({**record, "run": self.run_id, "time": _now()}, sort_keys=True)
        os.write(self._fd, (line + "\n").encode("utf-8"))
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_ledger(out_dir: str | os.PathLike) -> list[dict]:
    """Every whole record of ``OUT/batch.jsonl`` in order (damaged lines are skipped)."""
    path = Path(out_dir) / LEDGER_NAME
    records = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return records
    for raw in text.splitlines():
        try:
            rec = json.loads(raw)
        except ValueError:
            continue
        if isinstance(rec, dict):
            records.append(rec)
    return records
