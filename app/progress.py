"""A terminal progress bar fed by the generator protocol's :class:`models.base.Progress`.

The same ``on_progress`` callback drives the window's progress bar; here it drives a tqdm bar
(step of total, elapsed, ETA, what the backend is doing). When the output is not a terminal
(a log file, a test's pipe) it prints one plain line per new message or every tenth of the
work instead of redrawing a bar.
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["TerminalProgress"]


def _fmt_s(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


class TerminalProgress:
    """Callable progress sink: ``with TerminalProgress("generating") as bar: backend(..., bar)``.

    Parameters
    ----------
    description : str
        Shown before the bar.
    stream : text file, optional
        Where to draw (default ``sys.stderr``).
    bar : bool or None
        Force the tqdm bar on or off; ``None`` draws it only on a terminal.

    Attributes
    ----------
    calls : int
        How many reports were received.
    last : models.base.Progress or None
        The latest report.
    """

    def __init__(self, description: str = "", stream: TextIO | None = None,
                 bar: bool | None = None) -> None:
        self.description = description
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)()
        self.use_bar = isatty if bar is None else bar
        self._tqdm = None
        self._last_message = None
        self._last_tenth = -1
        self.calls = 0
        self.last = None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __call__(self, progress) -> None:
        """Show one :class:`models.base.Progress` report."""
        self.calls += 1
        self.last = progress
        total = max(int(progress.total), 1)
        step = min(max(int(progress.step), 0), total)
        if self.use_bar:
            self._bar_update(step, total, progress)
        else:
            self._line_update(step, total, progress)

    def _bar_update(self, step: int, total: int, progress) -> None:
        from tqdm import tqdm

        if self._tqdm is None:
            self._tqdm = tqdm(total=total, desc=self.description, file=self.stream,
                              unit="step", dynamic_ncols=True, leave=True,
                              bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                         "[{elapsed}<{remaining}]{postfix}")
        bar = self._tqdm
        if bar.total != total:
            bar.total = total
        bar.n = step
        post = progress.message or ""
        if progress.eta_s and step < total:
            post = f"{post}, about {_fmt_s(progress.eta_s)} left" if post else ""
        bar.set_postfix_str(post, refresh=False)
        bar.refresh()

    def _line_update(self, step: int, total: int, progress) -> None:
        tenth = int(10 * step / total)
        if progress.message == self._last_message and tenth == self._last_tenth:
            return
        self._last_message = progress.message
        self._last_tenth = tenth
        parts = [f"{self.description}: " if self.description else "", f"step {step}/{total}"]
        if progress.message:
            parts.append(f" {progress.message}")
        parts.append(f" ({_fmt_s(progress.elapsed_s)} elapsed")
        if step < total and progress.eta_s:
            parts.append(f", about {_fmt_s(progress.eta_s)} left")
        parts.append(")")
        print("".join(parts), file=self.stream, flush=True)

    def close(self) -> None:
        """Finish the bar (leave it on screen)."""
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
